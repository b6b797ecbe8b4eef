//! Helm's own records of a release, for taking a running Helm release over:
//! its newest revision read from Helm's storage (Secrets named
//! `sh.helm.release.v1.NAME.vN`, Helm's default, or ConfigMaps of the same
//! name with `--storage configmap`), each base64 of gzip'd JSON; the fields
//! Helm and kubectl manage on an adopted object handed to cleat's field
//! manager; and Helm's records retired once cleat has taken over.

use std::io::Read;

use base64::Engine;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};

use crate::cluster::client::{retry, Cluster};
use crate::cluster::ownership::FIELD_MANAGER;
use crate::cluster::planned::Planned;
use crate::shared::diagnostics::Diagnostic;

/// Most bytes a Helm release record may unpack to.
const MAX_RELEASE_BYTES: u64 = 64 * 1024 * 1024;
/// The annotation client-side `kubectl apply` (and Helm 3) keeps its last
/// applied object in.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The newest revision of a Helm release, as Helm stored it.
#[derive(Debug, Clone)]
pub struct HelmRelease {
    pub name: String,
    pub namespace: String,
    pub revision: u64,
    /// The chart as Helm stored it: `metadata` (Chart.yaml), `templates`,
    /// `values`, `schema` and `files`, contents in base64; Helm does not
    /// store subcharts.
    pub chart: serde_json::Value,
    /// The values the user gave (`helm get values`), not the computed ones.
    pub config: serde_json::Map<String, serde_json::Value>,
    /// `Secret` or `ConfigMap`: where Helm keeps the release's records.
    pub storage: &'static str,
    /// The names of every record of the release, each revision's.
    pub records: Vec<String>,
}

/// Reads the newest revision of Helm release `name` in `namespace`, from
/// Secrets, else from ConfigMaps. Refuses a release whose newest revision
/// is not `deployed` (a `pending-upgrade` means a Helm operation runs, or
/// was killed), naming what to do.
pub async fn newest(
    cluster: &Cluster,
    name: &str,
    namespace: &str,
) -> Result<HelmRelease, Diagnostic> {
    for storage in ["Secret", "ConfigMap"] {
        let api = cluster.api(&cluster.served("v1", storage).await?, Some(namespace));
        let params = ListParams::default().labels(&format!("owner=helm,name={name}"));
        let list = retry(|| api.list(&params)).await.map_err(|e| {
            cluster.error(
                &format!("reading the Helm release `{name}` ({storage}s)"),
                &e,
            )
        })?;
        let mut found: Vec<(u64, String, serde_json::Value)> = list
            .items
            .into_iter()
            .filter_map(|item| {
                let record = item.metadata.name.clone()?;
                let version = item
                    .metadata
                    .labels
                    .as_ref()?
                    .get("version")?
                    .parse()
                    .ok()?;
                Some((version, record, item.data))
            })
            .collect();
        if found.is_empty() {
            continue;
        }
        found.sort_by_key(|(version, _, _)| *version);
        let records = found.iter().map(|(_, record, _)| record.clone()).collect();
        let Some((revision, record, data)) = found.pop() else {
            continue;
        };
        let stored = match storage {
            // A Secret's data comes base64-encoded once more.
            "Secret" => data["data"]["release"]
                .as_str()
                .and_then(|text| base64::engine::general_purpose::STANDARD.decode(text).ok())
                .and_then(|bytes| String::from_utf8(bytes).ok()),
            _ => data["data"]["release"].as_str().map(str::to_string),
        };
        let release = decode(&record, stored.as_deref().unwrap_or_default())?;
        let status = release["info"]["status"].as_str().unwrap_or("unknown");
        if status != "deployed" {
            let hint = if status.starts_with("pending-") {
                format!("a Helm operation is running on it, or was killed: wait for it, or end it with `helm rollback {name} -n {namespace}` (or `helm uninstall`), then import")
            } else {
                format!("bring it to a deployed revision with Helm first (`helm history {name} -n {namespace}`)")
            };
            return Err(Diagnostic::error(format!(
                "Helm release `{name}` in namespace `{namespace}` is `{status}` at revision {revision}, not deployed"
            ))
            .about(format!("{storage} {namespace}/{record}"))
            .hint(hint));
        }
        let config = match &release["config"] {
            serde_json::Value::Object(map) => map.clone(),
            _ => serde_json::Map::new(),
        };
        return Ok(HelmRelease {
            name: name.to_string(),
            namespace: namespace.to_string(),
            revision,
            chart: release["chart"].clone(),
            config,
            storage,
            records,
        });
    }
    Err(Diagnostic::error(format!(
        "there is no Helm release `{name}` in namespace `{namespace}`"
    ))
    .hint(format!(
        "`helm list -n {namespace}` lists the releases there"
    )))
}

/// Every Helm release of the cluster, by namespace and name, from the
/// labels of Helm's records (Secrets and ConfigMaps).
pub async fn all(cluster: &Cluster) -> Result<Vec<(String, String)>, Diagnostic> {
    let mut found = std::collections::BTreeSet::new();
    for storage in ["Secret", "ConfigMap"] {
        let api = cluster.api(&cluster.served("v1", storage).await?, None);
        let params = ListParams::default().labels("owner=helm");
        let list = retry(|| api.list(&params))
            .await
            .map_err(|e| cluster.error(&format!("listing Helm releases ({storage}s)"), &e))?;
        for item in list.items {
            let name = item
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("name"))
                .cloned();
            if let (Some(namespace), Some(name)) = (item.metadata.namespace.clone(), name) {
                found.insert((namespace, name));
            }
        }
    }
    Ok(found.into_iter().collect())
}

/// A release record as Helm writes it: base64 of gzip'd JSON (or of plain
/// JSON, which Helm also reads), bounded.
fn decode(record: &str, text: &str) -> Result<serde_json::Value, Diagnostic> {
    let fail = |what: String| {
        Diagnostic::error(format!("Helm release record `{record}` {what}"))
            .hint("helm cannot read it either; delete that revision's record, or repair the release with helm, then import")
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| fail(format!("is not base64: {e}")))?;
    let mut json = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(bytes.as_slice())
            .take(MAX_RELEASE_BYTES + 1)
            .read_to_end(&mut json)
            .map_err(|e| fail(format!("is not gzip: {e}")))?;
        if json.len() as u64 > MAX_RELEASE_BYTES {
            return Err(fail(format!(
                "unpacks to more than {} MiB",
                MAX_RELEASE_BYTES >> 20
            )));
        }
    } else {
        json = bytes;
    }
    let value: serde_json::Value =
        serde_json::from_slice(&json).map_err(|e| fail(format!("is not JSON: {e}")))?;
    if !value["chart"].is_object() || !value["info"].is_object() {
        return Err(fail(
            "is not a Helm release (no `chart` or `info`)".to_string(),
        ));
    }
    Ok(value)
}

/// Whether a field manager is Helm's or kubectl's, whose fields cleat
/// takes over: `helm` (Helm 3's update, Helm 4's apply), `kubectl`,
/// `kubectl-client-side-apply`, `kubectl-edit` and kubectl's other verbs.
fn taken_from(manager: &str) -> bool {
    manager.starts_with("helm") || manager.starts_with("kubectl")
}

/// Makes cleat the only manager of what Helm and kubectl managed on each
/// of `objects`: their entries leave `managedFields` (cleat's apply owns
/// the same values already) and the last-applied annotation goes. Values
/// stay as they are. Returns how many objects changed hands.
pub async fn take_fields(cluster: &Cluster, objects: &[&Planned]) -> Result<usize, Diagnostic> {
    let mut moved = 0;
    for object in objects {
        let api = cluster.api(&object.resource, object.namespace.as_deref());
        let live = retry(|| api.get_opt(&object.name))
            .await
            .map_err(|e| cluster.error(&format!("reading {}", object.id()), &e))?;
        let Some(live) = live else { continue };
        let fields = &live.metadata.managed_fields.clone().unwrap_or_default();
        let kept: Vec<_> = fields
            .iter()
            .filter(|f| !f.manager.as_deref().is_some_and(taken_from))
            .cloned()
            .collect();
        let last_applied = live
            .metadata
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key(LAST_APPLIED_ANNOTATION));
        if kept.len() == fields.len() && !last_applied {
            continue;
        }
        let patch = serde_json::json!({
            "metadata": {
                "resourceVersion": live.metadata.resource_version,
                "managedFields": kept,
                "annotations": {LAST_APPLIED_ANNOTATION: null},
            }
        });
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_string()),
            ..PatchParams::default()
        };
        let patch = Patch::Merge(&patch);
        retry(|| api.patch(&object.name, &params, &patch))
            .await
            .map_err(|e| {
                cluster.error(&format!("taking over the fields of {}", object.id()), &e)
            })?;
        moved += 1;
    }
    Ok(moved)
}

/// Deletes every record of the Helm release: Helm forgets it (`helm list`
/// no longer shows it) and cannot roll it back; its objects stay.
pub async fn retire(cluster: &Cluster, release: &HelmRelease) -> Result<usize, Diagnostic> {
    let api = cluster.api(
        &cluster.served("v1", release.storage).await?,
        Some(&release.namespace),
    );
    let params = DeleteParams::default();
    for record in &release.records {
        match retry(|| api.delete(record, &params)).await {
            Ok(_) | Err(kube::Error::Api(kube::core::ErrorResponse { code: 404, .. })) => {}
            Err(e) => return Err(cluster.error(&format!("deleting Helm's record `{record}`"), &e)),
        }
    }
    Ok(release.records.len())
}
