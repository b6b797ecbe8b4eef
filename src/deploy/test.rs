//! A Helm chart release's test hooks run (`helm test`): rendered again from
//! the release's newest record, applied in their phases (made anew, as
//! Helm's default `before-hook-creation` asks), and waited for until each
//! succeeds; a failure names the hook with its status, events and the
//! last lines of its pod's log.

use std::path::Path;
use std::time::Duration;

use crate::authoring::repository::Client;
use crate::cluster::client::Cluster;
use crate::cluster::planned::{Change, Planned};
use crate::cluster::{apply, plan, record, wait};
use crate::release::lock::Format;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

/// Runs the test hooks of `release` in `namespace`, at most `timeout` for
/// each phase; gives the tests that passed. Relative chart sources are
/// relative to `base`.
pub async fn test(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
    base: &Path,
    timeout: Duration,
) -> Result<Vec<String>, Diagnostics> {
    let newest = record::newest(cluster, release, namespace).await?;
    let Some(record) = newest.complete.as_ref() else {
        return Err(record::not_found(release, namespace, &cluster.context).into());
    };
    if record.lock.package.format != Some(Format::HelmChart) {
        return Err(Diagnostic::error(format!(
            "release `{release}` is a cleat package, which has no test hooks"
        ))
        .hint("`cleat test` runs the `helm.sh/hook: test` objects of a Helm chart release")
        .into());
    }
    let name = format!("the record of release `{release}`");
    let prepared =
        crate::release::prepare::from_lock(&record.lock, base, &name, &mut Client::new(false))?;
    if prepared.test_hooks.is_empty() {
        return Err(Diagnostic::error(format!(
            "chart {} {} of release `{release}` has no test hooks",
            record.lock.package.name, record.lock.package.version
        ))
        .into());
    }
    let options = plan::Options::new(false, 16);
    let mut plan = plan::plan(cluster, release, namespace, &prepared.test_hooks, &options).await?;
    plan.rerun_hooks();
    let apply_options = apply::Options {
        force: false,
        concurrency: 16,
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
        &format!("release {release} (tests)"),
        &kept,
        timeout,
    )
    .await?;
    Ok(ran.iter().map(|o| o.id()).collect())
}
