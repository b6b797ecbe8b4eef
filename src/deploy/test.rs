//! A Helm chart release's test hooks run (`helm test`) through
//! [`super::hooks`], each waited for until it succeeds; a failure names
//! the hook with its status, events and the last lines of its pod's log.

use std::path::Path;
use std::time::Duration;

use crate::cluster::client::Cluster;
use crate::cluster::record;
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
    let prepared = super::hooks::rendered(cluster, record, base).await?;
    if prepared.test_hooks.is_empty() {
        return Err(Diagnostic::error(format!(
            "chart {} {} of release `{release}` has no test hooks",
            record.lock.package.name, record.lock.package.version
        ))
        .into());
    }
    super::hooks::run(
        cluster,
        release,
        namespace,
        &prepared.test_hooks,
        timeout,
        "tests",
    )
    .await
}
