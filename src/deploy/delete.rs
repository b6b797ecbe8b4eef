//! A release removed from its cluster: its recorded objects, then its records.

use crate::cluster::apply::{prune, Applied};
use crate::cluster::client::Cluster;
use crate::cluster::plan::Deletion;
use crate::cluster::record;
use crate::shared::diagnostics::Diagnostics;

/// What a delete did.
pub struct Deleted {
    /// Objects deleted.
    pub deleted: usize,
    /// Objects left in place by their keep annotation.
    pub kept: Vec<String>,
    /// CRDs left in place, without `include_crds`.
    pub kept_crds: Vec<String>,
    /// Records deleted.
    pub records: usize,
}

/// Deletes the objects of the newest record of `release` in `namespace`,
/// CRDs only with `include_crds`, then every record of the release.
pub async fn delete(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
    include_crds: bool,
) -> Result<Deleted, Diagnostics> {
    let Some(newest) = record::latest(cluster, release, namespace).await? else {
        return Err(record::not_found(release, namespace, &cluster.context).into());
    };
    let mut deletions = Vec::new();
    let mut kept_crds = Vec::new();
    for item in &newest.inventory {
        if item.kind == "CustomResourceDefinition" && !include_crds {
            kept_crds.push(item.id());
            continue;
        }
        if let Some(resource) = cluster.resource(&item.api_version, &item.kind).await? {
            deletions.push(Deletion {
                item: item.clone(),
                resource,
            });
        }
    }
    let mut applied = Applied::default();
    prune(cluster, &deletions, &mut applied).await?;
    let records = record::delete_all(cluster, release, namespace).await?;
    Ok(Deleted {
        deleted: applied.deleted,
        kept: applied.kept,
        kept_crds,
        records,
    })
}
