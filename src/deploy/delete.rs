//! A release removed from its cluster: a Helm chart's `pre-delete` hooks,
//! its recorded objects, its records, then its `post-delete` hooks.

use std::path::Path;

use crate::authoring::object::Object;
use crate::cluster::client::Cluster;
use crate::cluster::prune::{classify, prune, Allow, Pruned};
use crate::cluster::record::{self, Record};
use crate::release::lock::Format;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

/// What a delete did.
pub struct Deleted {
    /// Objects deleted, and objects kept with why.
    pub pruned: Pruned,
    /// Records deleted.
    pub records: usize,
    /// A chart's delete hooks run.
    pub hooks: usize,
}

/// Deletes the objects of the newest record of `release` in `namespace`, and
/// of an unfinished apply after it, that still belong to it, CRDs only with
/// `include_crds`, in the reverse of their apply order, waiting (at most
/// `timeout`) for each step to be gone, finalizers done, before the next;
/// then every record of the release. With `hooks`, a Helm chart release's
/// `pre-delete` hooks run first and its `post-delete` hooks last, each
/// phase ready before the next, as `helm uninstall` runs them; the chart
/// is rendered again from the record (relative sources from `base`).
pub async fn delete(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
    include_crds: bool,
    timeout: std::time::Duration,
    hooks: Option<&Path>,
) -> Result<Deleted, Diagnostics> {
    let newest = record::newest(cluster, release, namespace).await?;
    if newest.revision().is_none() {
        return Err(record::not_found(release, namespace, &cluster.context).into());
    }
    let hooks = match (hooks, newest.complete.as_ref().or(newest.pending.as_ref())) {
        (Some(base), Some(record)) => delete_hooks(cluster, record, base).await?,
        _ => Vec::new(),
    };
    let (before, after): (Vec<Object>, Vec<Object>) =
        hooks.into_iter().partition(|h| h.lifecycle.phase < 0);
    let ran = before.len() + after.len();
    super::hooks::run(
        cluster,
        release,
        namespace,
        &before,
        timeout,
        "delete hooks",
    )
    .await?;
    let allow = Allow {
        definitions: include_crds,
    };
    // CRDs last, so that what they would take with them is counted after the
    // release's own objects of their kinds are gone.
    let (definitions, objects): (Vec<_>, Vec<_>) = newest
        .inventory()
        .into_iter()
        .partition(|item| item.kind == "CustomResourceDefinition");
    let mut pruned = Pruned::default();
    for items in [objects, definitions] {
        let deletions = classify(cluster, release, namespace, items, allow).await?;
        pruned.extend(prune(cluster, release, namespace, &deletions, Some(timeout)).await?);
    }
    let records = record::delete_all(cluster, release, namespace).await?;
    super::hooks::run(cluster, release, namespace, &after, timeout, "delete hooks").await?;
    Ok(Deleted {
        pruned,
        records,
        hooks: ran,
    })
}

/// The delete hooks of the chart release `record` holds, rendered again.
async fn delete_hooks(
    cluster: &Cluster,
    record: &Record,
    base: &Path,
) -> Result<Vec<Object>, Diagnostics> {
    if record.lock.package.format != Some(Format::HelmChart) {
        return Ok(Vec::new());
    }
    super::hooks::rendered(cluster, record, base)
        .await
        .map(|prepared| prepared.delete_hooks)
        .map_err(|mut errors| {
            errors.0.push(
                Diagnostic::error(format!(
                    "cannot run the delete hooks of release `{}`: its chart does not render here",
                    record.release
                ))
                .hint("`--no-hooks` deletes the release without running them"),
            );
            errors
        })
}
