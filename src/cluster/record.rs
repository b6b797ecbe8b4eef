//! Release records: what was applied, kept in the cluster.
//!
//! Before its first write to the cluster, an apply stores the revision it is
//! about to make as pending, with every object it may create; after it
//! succeeds, the same record is stored complete. So an apply that is killed
//! or fails leaves nothing unknown: its pending record lists what it may have
//! made, and the next apply takes it over. cleat stores one Secret per
//! revision in the release's namespace (type `cleat.dev/release.v1`, named
//! `cleat.release.NAME.vN`, labelled with the release and revision): the
//! lock entry that was applied (secrets only as SHA-256 markers), the
//! inventory of applied objects with their uids, the revision, and when and
//! by whom. The record is gzip-compressed JSON and holds digests, not
//! manifests, so 3,000 objects stay far below the 1 MiB object limit. Older
//! revisions beyond the history limit are deleted.

use std::io::{Read, Write};

use base64::Engine;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use serde::{Deserialize, Serialize};

use crate::cluster::client::{retry, Cluster};
use crate::release::lock::LockedRelease;
use crate::shared::diagnostics::Diagnostic;

/// The Secret type of release records.
pub const TYPE: &str = "cleat.dev/release.v1";
/// The label holding a record's revision.
pub const REVISION_LABEL: &str = "cleat.dev/revision";
/// The record format this cleat writes and reads.
pub const VERSION: u64 = 1;
/// Largest record accepted (compressed), well below the 1 MiB object limit.
pub const MAX_RECORD_BYTES: usize = 900 * 1024;

/// One applied revision of a release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Record {
    pub record_version: u64,
    pub release: String,
    pub namespace: String,
    pub revision: u64,
    /// RFC 3339, UTC.
    pub applied_at: String,
    pub applied_by: String,
    pub lock: LockedRelease,
    pub inventory: Vec<Item>,
    /// An apply that has not finished (or failed) writing this revision.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
}

/// The newest records of a release: its newest complete revision, and an
/// unfinished apply after it.
#[derive(Debug, Clone, Default)]
pub struct Newest {
    pub complete: Option<Record>,
    pub pending: Option<Record>,
}

impl Newest {
    /// From a release's records, oldest first.
    fn of(mut history: Vec<Record>) -> Newest {
        let pending = match history.last() {
            Some(last) if last.pending => history.pop(),
            _ => None,
        };
        history.retain(|r| !r.pending);
        Newest {
            complete: history.pop(),
            pending,
        }
    }

    /// The newest revision recorded, complete or not.
    pub fn revision(&self) -> Option<u64> {
        self.pending
            .as_ref()
            .or(self.complete.as_ref())
            .map(|r| r.revision)
    }

    /// Every object the newest records list, each once (with the newest
    /// uid known for it).
    pub fn inventory(&self) -> Vec<Item> {
        let mut items: std::collections::BTreeMap<
            (String, String, Option<String>, String),
            Option<String>,
        > = Default::default();
        for item in self
            .complete
            .iter()
            .chain(&self.pending)
            .flat_map(|r| &r.inventory)
        {
            let key = (
                item.api_version.clone(),
                item.kind.clone(),
                item.namespace.clone(),
                item.name.clone(),
            );
            let known = items.entry(key).or_default();
            if item.uid.is_some() {
                known.clone_from(&item.uid);
            }
        }
        items
            .into_iter()
            .map(|((api_version, kind, namespace, name), uid)| Item {
                api_version,
                kind,
                namespace,
                name,
                uid,
            })
            .collect()
    }
}

/// An applied object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Item {
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
}

impl Item {
    /// `apiVersion Kind namespace/name`, as messages show an object.
    pub fn id(&self) -> String {
        crate::authoring::object::id(
            &self.api_version,
            &self.kind,
            self.namespace.as_deref(),
            &self.name,
        )
    }

    /// What makes it the same object as another: see [`object_key`].
    pub fn key(&self) -> ObjectKey {
        object_key(
            &self.api_version,
            &self.kind,
            self.namespace.as_deref(),
            &self.name,
        )
    }
}

/// An object's identity across versions of its group: group, kind,
/// namespace and name, for sets that find the same object in constant time.
pub type ObjectKey = (String, String, Option<String>, String);

/// The key of the object `api_version` `kind` `namespace`/`name`: the
/// version of the group may differ between two keys of the same object.
pub fn object_key(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> ObjectKey {
    (
        crate::authoring::object::group(api_version).to_string(),
        kind.to_string(),
        namespace.map(str::to_string),
        name.to_string(),
    )
}

/// The revision the next apply records after the newest `complete` record
/// and an unfinished `pending` one: the unfinished one, which it takes over,
/// else the one after the newest.
pub fn next_revision(complete: Option<&Record>, pending: Option<&Record>) -> u64 {
    match (pending, complete) {
        (Some(pending), _) => pending.revision,
        (None, Some(complete)) => complete.revision + 1,
        (None, None) => 1,
    }
}

/// The error for a release without records.
pub fn not_found(release: &str, namespace: &str, context: &str) -> Diagnostic {
    Diagnostic::error(format!(
        "release `{release}` has no record in namespace `{namespace}` of context `{context}`"
    ))
    .hint("check the name, `--namespace` and `--context`; only releases applied by cleat have records")
}

/// The name of the Secret holding `revision` of `release`.
pub fn secret_name(release: &str, revision: u64) -> String {
    format!("cleat.release.{release}.v{revision}")
}

/// The Secrets of `namespace` (or of every namespace), where records are.
async fn secrets(
    cluster: &Cluster,
    namespace: Option<&str>,
) -> Result<kube::Api<kube::api::DynamicObject>, Diagnostic> {
    Ok(cluster.api(&cluster.served("v1", "Secret").await?, namespace))
}

/// The newest complete record of every release in `namespace`, or in every
/// namespace, sorted by namespace and name.
pub async fn all(cluster: &Cluster, namespace: Option<&str>) -> Result<Vec<Record>, Diagnostic> {
    let api = secrets(cluster, namespace).await?;
    let params = ListParams::default().labels(crate::cluster::ownership::RELEASE_LABEL);
    let list = retry(|| api.list(&params))
        .await
        .map_err(|e| cluster.error("reading release records", &e))?;
    let mut newest: std::collections::BTreeMap<(String, String), Record> = Default::default();
    for secret in list.items {
        if secret.data["type"] != TYPE {
            continue;
        }
        let name = secret.metadata.name.clone().unwrap_or_default();
        let record = decode(
            &name,
            secret.data["data"]["record"].as_str().unwrap_or_default(),
        )?;
        if record.pending {
            continue;
        }
        let key = (record.namespace.clone(), record.release.clone());
        if newest
            .get(&key)
            .is_none_or(|r| r.revision < record.revision)
        {
            newest.insert(key, record);
        }
    }
    Ok(newest.into_values().collect())
}

/// Every record of `release` in `namespace`, oldest first, a pending one
/// included. A namespace or release without records gives an empty list.
pub async fn history(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
) -> Result<Vec<Record>, Diagnostic> {
    let api = secrets(cluster, Some(namespace)).await?;
    let params = ListParams::default().labels(&format!(
        "{}={release}",
        crate::cluster::ownership::RELEASE_LABEL
    ));
    let list = match retry(|| api.list(&params)).await {
        Ok(list) => list,
        Err(kube::Error::Api(e)) if e.code == 404 => return Ok(Vec::new()),
        Err(e) => {
            return Err(cluster.error(&format!("reading the records of release `{release}`"), &e))
        }
    };
    let mut records = Vec::new();
    for secret in list.items {
        if secret.data["type"] != TYPE {
            continue;
        }
        let name = secret.metadata.name.clone().unwrap_or_default();
        let encoded = secret.data["data"]["record"].as_str().unwrap_or_default();
        records.push(decode(&name, encoded)?);
    }
    records.sort_by_key(|r| r.revision);
    Ok(records)
}

/// The newest complete record of `release`, and an unfinished apply after it.
pub async fn newest(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
) -> Result<Newest, Diagnostic> {
    Ok(Newest::of(history(cluster, release, namespace).await?))
}

/// The newest complete record of `release`, if it was ever applied.
pub async fn latest(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
) -> Result<Option<Record>, Diagnostic> {
    Ok(newest(cluster, release, namespace).await?.complete)
}

/// Stores `record`; a complete one then deletes revisions older than the
/// newest `keep`.
pub async fn write(cluster: &Cluster, record: &Record, keep: usize) -> Result<(), Diagnostic> {
    let api = secrets(cluster, Some(&record.namespace)).await?;
    let name = secret_name(&record.release, record.revision);
    let encoded = encode(record)?;
    let body = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "type": TYPE,
        "metadata": {
            "name": name,
            "namespace": record.namespace,
            "labels": {
                crate::cluster::ownership::RELEASE_LABEL: record.release,
                REVISION_LABEL: record.revision.to_string(),
                "app.kubernetes.io/managed-by": "cleat",
            },
        },
        "data": {"record": encoded},
    });
    let patch = Patch::Apply(&body);
    let params = PatchParams::apply(crate::cluster::ownership::FIELD_MANAGER).force();
    retry(|| api.patch(&name, &params, &patch))
        .await
        .map_err(|e| cluster.error(&format!("writing release record `{name}`"), &e))?;
    if record.pending {
        return Ok(());
    }
    let history = history(cluster, &record.release, &record.namespace).await?;
    let excess = history.len().saturating_sub(keep.max(1));
    let params = DeleteParams::default();
    for old in &history[..excess] {
        let old_name = secret_name(&old.release, old.revision);
        match retry(|| api.delete(&old_name, &params)).await {
            Ok(_) | Err(kube::Error::Api(kube::core::ErrorResponse { code: 404, .. })) => {}
            Err(e) => {
                return Err(cluster.error(&format!("deleting old release record `{old_name}`"), &e))
            }
        }
    }
    Ok(())
}

/// Deletes every record of `release`.
pub async fn delete_all(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
) -> Result<usize, Diagnostic> {
    let api = secrets(cluster, Some(namespace)).await?;
    let records = history(cluster, release, namespace).await?;
    let params = DeleteParams::default();
    for record in &records {
        let name = secret_name(release, record.revision);
        match retry(|| api.delete(&name, &params)).await {
            Ok(_) | Err(kube::Error::Api(kube::core::ErrorResponse { code: 404, .. })) => {}
            Err(e) => return Err(cluster.error(&format!("deleting release record `{name}`"), &e)),
        }
    }
    Ok(records.len())
}

/// The record as the Secret holds it: gzip-compressed JSON, base64.
pub fn encode(record: &Record) -> Result<String, Diagnostic> {
    let json = serde_json::to_vec(record).unwrap_or_default();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let compressed = gzip
        .write_all(&json)
        .and_then(|()| gzip.finish())
        .map_err(|e| Diagnostic::error(format!("cannot compress the release record: {e}")))?;
    if compressed.len() > MAX_RECORD_BYTES {
        return Err(Diagnostic::error(format!(
            "the record of release `{}` is {} KiB compressed, more than the {} KiB a record may hold",
            record.release,
            compressed.len() / 1024,
            MAX_RECORD_BYTES / 1024
        ))
        .hint("split the release into several smaller releases"));
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(compressed))
}

fn decode(name: &str, encoded: &str) -> Result<Record, Diagnostic> {
    let fail = |what: String| {
        Diagnostic::error(format!("release record `{name}` {what}")).hint(
            "it was edited or written by something else; delete it, or restore it from a backup",
        )
    };
    let inner = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| fail(format!("is not base64: {e}")))?;
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(inner.as_slice())
        .take(64 * 1024 * 1024)
        .read_to_end(&mut json)
        .map_err(|e| fail(format!("is not gzip: {e}")))?;
    let value: serde_json::Value =
        serde_json::from_slice(&json).map_err(|e| fail(format!("is not JSON: {e}")))?;
    match value
        .get("recordVersion")
        .and_then(serde_json::Value::as_u64)
    {
        Some(VERSION) => {}
        Some(version) => {
            return Err(fail(format!(
                "has format version {version}; this cleat reads version {VERSION}"
            )))
        }
        None => return Err(fail("has no recordVersion".into())),
    }
    serde_json::from_value(value).map_err(|e| fail(format!("is not a valid record: {e}")))
}
