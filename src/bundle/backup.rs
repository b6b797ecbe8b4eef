//! A backup: the newest record of each release, with its package archives
//! from the local cache, its rendered objects and, when asked, the live
//! objects, written as one bundle.

use std::collections::BTreeMap;
use std::path::Path;

use crate::authoring::repository::Client;
use crate::cluster::client::{retry, Cluster};
use crate::cluster::record::{self, Record};
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

use super::format::{self, Entry};

/// What to back up.
pub struct Options<'a> {
    /// The namespace whose releases are backed up; every namespace when `None`.
    pub namespace: Option<&'a str>,
    /// Only these releases, when not empty.
    pub releases: &'a [String],
    /// Include the live objects.
    pub live: bool,
    /// Include Secret values, rendered and live.
    pub secrets: bool,
}

/// The bundle of the releases `options` choose, as bytes.
pub async fn backup(cluster: &Cluster, options: &Options<'_>) -> Result<Vec<u8>, Diagnostics> {
    let mut records = record::all(cluster, options.namespace).await?;
    if !options.releases.is_empty() {
        for name in options.releases {
            if !records.iter().any(|r| &r.release == name) {
                return Err(Diagnostics::from(Diagnostic::error(format!(
                    "release `{name}` has no record to back up"
                ))));
            }
        }
        records.retain(|r| options.releases.contains(&r.release));
    }
    if records.is_empty() {
        return Err(Diagnostic::error(format!(
            "there are no release records in {}",
            options
                .namespace
                .map_or("any namespace".to_string(), |n| format!("namespace `{n}`"))
        ))
        .hint("only releases applied by cleat have records")
        .into());
    }
    let mut client = Client::new(false);
    let mut packages = BTreeMap::new();
    let mut entries = Vec::new();
    for record in records {
        let mut digests = Vec::new();
        format::digests(&record.lock.package, &mut digests);
        for digest in digests {
            let bytes = client.cached(&digest)?.ok_or_else(|| {
                Diagnostic::error(format!(
                    "the package archive {digest} of release `{}` is not in the local cache",
                    record.release
                ))
                .hint("run `cleat lock` or `cleat template` for the release here first, or back up from the machine that applied it")
            })?;
            packages.insert(digest, bytes);
        }
        let name = format!("the record of release `{}`", record.release);
        let prepared = crate::deploy::lookups::from_record(
            cluster,
            &record.lock,
            Path::new("."),
            &name,
            &mut client,
        )
        .await?;
        let mut objects = crate::authoring::object::list(&prepared.objects);
        if !options.secrets {
            for object in objects["items"].as_array_mut().into_iter().flatten() {
                without_secret_values(object);
            }
        }
        let live = if options.live {
            Some(live(cluster, &record, options.secrets).await?)
        } else {
            None
        };
        entries.push(Entry {
            record,
            objects,
            live,
        });
    }
    Ok(format::write(&entries, &packages)?)
}

/// The live objects of a record's inventory as a JSON `List`, without what
/// the server manages, and without Secret values unless asked.
async fn live(
    cluster: &Cluster,
    record: &Record,
    secrets: bool,
) -> Result<serde_json::Value, Diagnostic> {
    let mut items = Vec::new();
    for item in &record.inventory {
        let Some(resource) = cluster.resource(&item.api_version, &item.kind).await? else {
            continue;
        };
        let api = cluster.api(&resource, item.namespace.as_deref());
        let Some(object) = retry(|| api.get_opt(&item.name))
            .await
            .map_err(|e| cluster.error(&format!("reading {}", item.id()), &e))?
        else {
            continue;
        };
        let mut object =
            crate::cluster::plan::strip(&serde_json::to_value(&object).unwrap_or_default());
        object["apiVersion"] = item.api_version.clone().into();
        object["kind"] = item.kind.clone().into();
        if !secrets {
            without_secret_values(&mut object);
        }
        items.push(object);
    }
    Ok(serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}))
}

/// A Secret without its values (`data`, `stringData`); other objects as they are.
fn without_secret_values(object: &mut serde_json::Value) {
    if object["kind"] != "Secret" {
        return;
    }
    if let Some(map) = object.as_object_mut() {
        map.shift_remove("data");
        map.shift_remove("stringData");
    }
}
