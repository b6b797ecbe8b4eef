//! What the cluster answers to a chart's `lookup`, as Helm's lookup reads
//! it: the object (`{}` when there is none), or for an empty name the list
//! of every such object in the namespace (every namespace when it is
//! empty). A kind the cluster does not serve finds nothing. Each object is
//! as the API server returns it without `metadata.managedFields` and the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation, which
//! templates have no use for and which would put a Secret's data beside
//! its marker.

use kube::api::ListParams;

use crate::authoring::chart::lookup::LookupKey;
use crate::cluster::client::{retry, Cluster};
use crate::shared::diagnostics::Diagnostic;

/// Most objects one list lookup may find, so that an answer stays small
/// enough to hold and to review in a lockfile.
pub const MAX_LISTED: u32 = 500;

/// The cluster's answer to `key`.
pub async fn answer(cluster: &Cluster, key: &LookupKey) -> Result<serde_json::Value, Diagnostic> {
    let nothing = serde_json::json!({});
    let Some(resource) = cluster.resource(&key.api_version, &key.kind).await? else {
        return Ok(nothing);
    };
    let namespace = Some(key.namespace.as_str()).filter(|n| !n.is_empty());
    let api = cluster.api(&resource, namespace);
    let failed = |e: &kube::Error| cluster.error(&format!("looking up {key}"), e);
    if !key.name.is_empty() {
        // A namespaced kind asked for without a namespace is not there.
        if resource.namespaced && namespace.is_none() {
            return Ok(nothing);
        }
        return match retry(|| api.get_opt(&key.name)).await {
            Ok(Some(object)) => Ok(trimmed(
                serde_json::to_value(object).unwrap_or(nothing),
                key,
            )),
            Ok(None) => Ok(nothing),
            Err(e) => Err(failed(&e)),
        };
    }
    let params = ListParams::default().limit(MAX_LISTED);
    let list = match retry(|| api.list(&params)).await {
        Ok(list) => list,
        Err(kube::Error::Api(e)) if e.code == 404 => return Ok(nothing),
        Err(e) => return Err(failed(&e)),
    };
    if list
        .metadata
        .continue_
        .as_deref()
        .is_some_and(|c| !c.is_empty())
    {
        return Err(Diagnostic::error(format!(
            "the lookup of {key} finds more than {MAX_LISTED} objects, more than cleat holds for one lookup"
        ))
        .hint("look up the objects by name, or in one namespace"));
    }
    let items: Vec<serde_json::Value> = list
        .items
        .into_iter()
        .map(|object| trimmed(serde_json::to_value(object).unwrap_or_default(), key))
        .collect();
    Ok(serde_json::json!({
        "apiVersion": key.api_version,
        "kind": format!("{}List", key.kind),
        "metadata": {},
        "items": items,
    }))
}

/// `object` with its kind, without what templates have no use for.
fn trimmed(mut object: serde_json::Value, key: &LookupKey) -> serde_json::Value {
    let Some(map) = object.as_object_mut() else {
        return object;
    };
    map.insert("apiVersion".into(), key.api_version.clone().into());
    map.insert("kind".into(), key.kind.clone().into());
    if let Some(metadata) = map.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        metadata.remove("managedFields");
        if let Some(annotations) = metadata
            .get_mut("annotations")
            .and_then(|a| a.as_object_mut())
        {
            annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
            if annotations.is_empty() {
                metadata.remove("annotations");
            }
        }
    }
    object
}
