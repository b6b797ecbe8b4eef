//! A restore: every release of a bundle planned (forced) against the cluster
//! and deployed with its recorded revision, its namespace renamed if asked.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use futures::stream::{self, StreamExt};

use crate::authoring::repository::Client;
use crate::cluster::client::Cluster;
use crate::cluster::plan::{self, Plan};
use crate::deploy::apply::{deploy_one, Deployed, Options, Revision};
use crate::deploy::planned::{plan_release, RELEASES_AT_ONCE};
use crate::shared::diagnostics::Diagnostics;

use super::format::Bundle;

/// One release restored, or only planned on a dry run.
pub struct Restored {
    pub plan: Plan,
    /// What was deployed; `None` on a dry run.
    pub deployed: Option<Deployed>,
}

/// Restores every release of `bundle` onto `cluster`, side by side, each to
/// its end; results keep the bundle's order. Namespaces are renamed by
/// `namespaces` (old to new); a dry run only plans.
pub async fn restore(
    cluster: Arc<Cluster>,
    bundle: &Bundle,
    namespaces: &BTreeMap<String, String>,
    dry_run: bool,
    concurrency: usize,
) -> Result<Vec<Result<Restored, Diagnostics>>, Diagnostics> {
    let mut client = Client::new(false);
    for bytes in bundle.packages.values() {
        client.keep(bytes)?;
    }
    let mut releases = Vec::new();
    for record in &bundle.records {
        let mut lock = record.lock.clone();
        if let Some(new) = namespaces.get(&record.namespace) {
            lock.namespace = new.clone();
            lock.digest = lock.compute_digest();
        }
        let name = format!("release `{}` of the bundle", record.release);
        let prepared =
            crate::release::prepare::from_lock(&lock, Path::new("."), &name, &mut client)?;
        releases.push((record.revision, prepared));
    }
    let options = Options {
        force: true,
        concurrency,
        wait: false,
        timeout: crate::deploy::apply::TIMEOUT,
        wait_steps: true,
        atomic: false,
        history_max: usize::MAX,
        keep_helm_history: false,
        revision: Revision::Next,
    };
    Ok(stream::iter(releases)
        .map(|(revision, prepared)| {
            let cluster = Arc::clone(&cluster);
            async move {
                let plan_options = plan::Options::new(true, concurrency);
                let planned = plan_release(cluster, prepared, &plan_options, !dry_run)
                    .await
                    .map_err(Diagnostics)?;
                if dry_run {
                    return Ok(Restored {
                        plan: planned.plan,
                        deployed: None,
                    });
                }
                let options = Options {
                    revision: Revision::Restored(revision),
                    ..options
                };
                let (plan, deployed) = deploy_one(planned, options).await?;
                Ok(Restored {
                    plan,
                    deployed: Some(deployed),
                })
            }
        })
        .buffered(RELEASES_AT_ONCE)
        .collect()
        .await)
}
