//! A recorded revision of a release deployed again, as a new revision.

use std::path::Path;
use std::sync::Arc;

use crate::authoring::repository::Client;
use crate::cluster::client::Cluster;
use crate::cluster::plan;
use crate::cluster::record;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

use super::apply::{deploy_one, Deployed, Options};
use super::planned::{plan_release, release_leases};
use crate::authoring::object::Object;

/// What a rollback did.
pub struct RolledBack {
    /// The revision applied again.
    pub to: u64,
    pub deployed: Deployed,
    /// How many rollback hooks ran.
    pub hooks: usize,
}

/// Deploys `revision` of `release` in `namespace` again (else the one before
/// the newest complete one), rendered from its record, as a new revision.
/// For a Helm chart release, as `helm rollback`: the revision's
/// `pre-rollback` hooks run first (each phase ready before the next) and its
/// `post-rollback` hooks last, and its hooks of installs and upgrades wait.
pub async fn rollback(
    cluster: Arc<Cluster>,
    release: &str,
    namespace: &str,
    revision: Option<u64>,
    options: Options,
) -> Result<RolledBack, Diagnostics> {
    // Only complete revisions can be rolled back to; an unfinished apply
    // after the newest is taken over by the rollback itself.
    let mut history = record::history(&cluster, release, namespace).await?;
    history.retain(|r| !r.pending);
    let Some(newest) = history.last() else {
        return Err(record::not_found(release, namespace, &cluster.context).into());
    };
    let revisions: Vec<String> = history.iter().map(|r| r.revision.to_string()).collect();
    let target = match revision {
        Some(revision) => history.iter().find(|r| r.revision == revision),
        None => history.iter().rev().nth(1),
    }
    .ok_or_else(|| {
        Diagnostic::error(match revision {
            Some(revision) => format!("release `{release}` has no revision {revision}"),
            None => format!(
                "release `{release}` has no revision before {}",
                newest.revision
            ),
        })
        .hint(format!("recorded revisions: {}", revisions.join(", ")))
    })?;
    let name = format!("revision {} of release `{release}`", target.revision);
    let prepared = crate::release::prepare::from_lock(
        &target.lock,
        Path::new("."),
        &name,
        &mut Client::new(false),
    )?;
    let (before, after): (Vec<Object>, Vec<Object>) = prepared
        .rollback_hooks
        .iter()
        .cloned()
        .partition(|h| h.lifecycle.phase < 0);
    let plan_options = plan::Options::new(options.force, options.concurrency);
    let mut planned = plan_release(Arc::clone(&cluster), prepared, &plan_options, true)
        .await
        .map_err(Diagnostics)?;
    planned.plan.hold_hooks(
        "a hook of installs and upgrades: a rollback runs the chart's rollback hooks instead",
    );
    let timeout = options.timeout;
    let hooks = |hooks: Vec<Object>, what: &'static str| {
        let cluster = Arc::clone(&cluster);
        async move {
            super::hooks::run(&cluster, release, namespace, &hooks, timeout, what)
                .await
                .map(|ran| ran.len())
        }
    };
    let ran = match hooks(before, "pre-rollback hooks").await {
        Ok(ran) => ran,
        Err(mut errors) => {
            errors
                .0
                .extend(release_leases(std::slice::from_mut(&mut planned)).await.0);
            return Err(errors);
        }
    };
    let (_, deployed) = deploy_one(planned, options).await?;
    let ran = ran + hooks(after, "post-rollback hooks").await?;
    Ok(RolledBack {
        to: target.revision,
        deployed,
        hooks: ran,
    })
}
