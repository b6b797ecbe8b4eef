//! A release removed from its cluster: its recorded objects, then its records.

use crate::cluster::client::Cluster;
use crate::cluster::prune::{classify, prune, Allow, Pruned};
use crate::cluster::record;
use crate::shared::diagnostics::Diagnostics;

/// What a delete did.
pub struct Deleted {
    /// Objects deleted, and objects kept with why.
    pub pruned: Pruned,
    /// Records deleted.
    pub records: usize,
}

/// Deletes the objects of the newest record of `release` in `namespace`, and
/// of an unfinished apply after it, that still belong to it, CRDs only with
/// `include_crds`, in the reverse of their apply order, waiting (at most
/// `timeout`) for each step to be gone, finalizers done, before the next;
/// then every record of the release.
pub async fn delete(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
    include_crds: bool,
    timeout: std::time::Duration,
) -> Result<Deleted, Diagnostics> {
    let newest = record::newest(cluster, release, namespace).await?;
    if newest.revision().is_none() {
        return Err(record::not_found(release, namespace, &cluster.context).into());
    }
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
    Ok(Deleted { pruned, records })
}
