//! A Helm chart release's hooks that are not objects of the release (its
//! delete and test hooks), run against the cluster: the recorded revision
//! rendered again, the hooks applied in their phases (made anew, as Helm's
//! default `before-hook-creation` asks), each phase ready before the next
//! and the last waited for too, as Helm waits for a hook.

use std::path::Path;
use std::time::Duration;

use crate::authoring::object::Object;
use crate::authoring::repository::Client;
use crate::cluster::client::Cluster;
use crate::cluster::planned::{Change, Planned};
use crate::cluster::record::Record;
use crate::cluster::{apply, plan, wait};
use crate::release::prepare::Prepared;
use crate::shared::diagnostics::Diagnostics;

/// The revision `record` holds, rendered again (relative sources from
/// `base`), for its hooks.
pub async fn rendered(
    cluster: &Cluster,
    record: &Record,
    base: &Path,
) -> Result<Prepared, Diagnostics> {
    let name = format!("the record of release `{}`", record.release);
    super::lookups::from_record(cluster, &record.lock, base, &name, &mut Client::new(false)).await
}

/// Runs `hooks` of `release` in `namespace` (`what` names them in progress
/// and errors), at most `timeout` for each phase; gives the hooks run.
pub async fn run(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
    hooks: &[Object],
    timeout: Duration,
    what: &str,
) -> Result<Vec<String>, Diagnostics> {
    if hooks.is_empty() {
        return Ok(Vec::new());
    }
    let options = plan::Options::new(false, 16);
    let mut plan = plan::plan(cluster, release, namespace, hooks, &options).await?;
    plan.rerun_hooks();
    let apply_options = apply::Options {
        force: false,
        concurrency: options.concurrency,
        timeout,
        wait_steps: true,
    };
    apply::apply(cluster, &plan, apply_options).await?;
    let ran: Vec<&Planned> = plan
        .objects
        .iter()
        .filter(|o| !matches!(o.change, Change::Skip(_)))
        .collect();
    // Those deleted once they succeeded were waited for by the apply.
    let kept: Vec<&Planned> = ran
        .iter()
        .copied()
        .filter(|o| !o.lifecycle.hook.is_some_and(|h| h.delete_succeeded))
        .collect();
    wait::wait(
        cluster,
        &format!("release {release} ({what})"),
        &kept,
        timeout,
    )
    .await?;
    Ok(ran.iter().map(|o| o.id()).collect())
}
