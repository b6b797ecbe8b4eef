//! CustomResourceDefinitions: the resources a CRD defines, and the checks
//! before one is changed, so that upgrading a CRD never loses data. A change
//! is refused, with the reason and what to do, when it removes a version
//! objects may be stored in (`status.storedVersions`), changes `scope`,
//! stops serving a version that live objects were written in, or narrows
//! the schema so that live objects become invalid or lose fields. And
//! custom resources checked against the CRDs the cluster serves, when
//! their CRD is not in the release.

use kube::api::ListParams;

use crate::authoring::object::Object;
use crate::cluster::client::{retry, Cluster, Resource};
use crate::cluster::planned::Planned;
use crate::shared::diagnostics::Diagnostic;
use crate::shared::openapi::{Dialect, Id, Schemas};

/// Objects shown by name in a refusal.
const EXAMPLES: usize = 3;

/// The group and kind a CRD defines.
pub fn kind(crd: &serde_json::Value) -> Option<(String, String)> {
    let spec = &crd["spec"];
    Some((
        spec["group"].as_str()?.to_string(),
        spec["names"]["kind"].as_str()?.to_string(),
    ))
}

/// The resource of `version` of the kind `crd` defines.
pub fn resource(crd: &serde_json::Value, version: &str) -> Option<Resource> {
    let spec = &crd["spec"];
    let (group, kind) = kind(crd)?;
    let plural = spec["names"]["plural"].as_str()?;
    let gvk = kube::api::GroupVersionKind::gvk(&group, version, &kind);
    Some(Resource {
        api: kube::discovery::ApiResource::from_gvk_with_plural(&gvk, plural),
        namespaced: spec["scope"].as_str() != Some("Cluster"),
    })
}

/// Every version `crd` declares, with its entry in `spec.versions`.
fn versions(crd: &serde_json::Value) -> Vec<(&str, &serde_json::Value)> {
    crd["spec"]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| Some((v["name"].as_str()?, v)))
        .collect()
}

/// A resource of each version `crd` declares.
pub fn resources(crd: &serde_json::Value) -> Vec<Resource> {
    versions(crd)
        .into_iter()
        .filter_map(|(name, _)| resource(crd, name))
        .collect()
}

/// The version objects of `crd` are stored in (else its first).
pub fn storage_version(crd: &serde_json::Value) -> Option<&str> {
    let versions = versions(crd);
    versions
        .iter()
        .find(|(_, v)| v["storage"] == true)
        .or(versions.first())
        .map(|(name, _)| *name)
}

fn served(crd: &serde_json::Value) -> Vec<&str> {
    versions(crd)
        .into_iter()
        .filter(|(_, v)| v["served"] != false)
        .map(|(name, _)| name)
        .collect()
}

/// Why changing the live CRD `live` into `crd` (as planned) would lose
/// data or objects; empty when it is safe.
pub async fn check(cluster: &Cluster, crd: &Planned, live: &serde_json::Value) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let id = crd.id();
    let (old_scope, new_scope) = (
        live["spec"]["scope"].as_str().unwrap_or("Namespaced"),
        crd.body["spec"]["scope"].as_str().unwrap_or("Namespaced"),
    );
    if old_scope != new_scope {
        problems.push(
            Diagnostic::error(format!(
                "{id} (from `{}`): changing `spec.scope` from {old_scope} to {new_scope} is refused: the existing objects of its kind would no longer be found",
                crd.source
            ))
            .hint("keep the scope; to move the objects, define a new CRD (another group or kind) and migrate them to it"),
        );
        return problems;
    }
    let declared: Vec<&str> = versions(&crd.body).into_iter().map(|(n, _)| n).collect();
    let stored: Vec<&str> = live["status"]["storedVersions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .collect();
    for version in stored.iter().filter(|v| !declared.contains(v)) {
        problems.push(
            Diagnostic::error(format!(
                "{id} (from `{}`): version `{version}` is removed, but objects may be stored in it (status.storedVersions: {})",
                crd.source,
                stored.join(", ")
            ))
            .hint(format!(
                "keep `{version}` until the stored objects are migrated: read and write every object so it is stored in the new storage version, then remove `{version}` from status.storedVersions, then remove the version"
            )),
        );
    }
    if !problems.is_empty() {
        return problems;
    }
    // Live objects are read in a version served now and after the change.
    let now_served = served(live);
    let then_served = served(&crd.body);
    let Some(reading) = storage_version(&crd.body)
        .filter(|v| now_served.contains(v))
        .or_else(|| now_served.iter().copied().find(|v| then_served.contains(v)))
    else {
        return problems;
    };
    let Some(resource) = resource(live, reading) else {
        return problems;
    };
    let dropped: Vec<&str> = now_served
        .iter()
        .copied()
        .filter(|v| !then_served.contains(v))
        .collect();
    let group = kind(live).map(|(g, _)| g).unwrap_or_default();
    let schema = versions(&crd.body)
        .into_iter()
        .find(|(name, _)| *name == reading)
        .map(|(_, v)| v["schema"]["openAPIV3Schema"].clone());
    // The API server owns metadata and status; the schema does not describe them here.
    let schema = schema.filter(|s| s.is_object()).map(|mut schema| {
        if let Some(properties) = schema["properties"].as_object_mut() {
            properties.shift_remove("status");
            properties.shift_remove("metadata");
        }
        schema
    });
    let schema = schema.map(|schema| Schemas::single(&schema, Dialect::Structural));
    let mut written_in: Vec<(String, Vec<String>)> = dropped
        .iter()
        .map(|v| (v.to_string(), Vec::new()))
        .collect();
    let mut invalid: Vec<String> = Vec::new();
    let mut invalid_count = 0;
    let api = cluster.api(&resource, None);
    let mut params = ListParams::default().limit(500);
    loop {
        let list = match retry(|| api.list(&params)).await {
            Ok(list) => list,
            Err(e) => {
                problems.push(cluster.error(&format!("listing the objects of {id}"), &e));
                return problems;
            }
        };
        let next = list.metadata.continue_.clone().filter(|c| !c.is_empty());
        for object in &list.items {
            let name = match &object.metadata.namespace {
                Some(ns) => format!("{ns}/{}", object.metadata.name.as_deref().unwrap_or("")),
                None => object.metadata.name.clone().unwrap_or_default(),
            };
            for (version, objects) in &mut written_in {
                let api_version = format!("{group}/{version}");
                let wrote = object
                    .metadata
                    .managed_fields
                    .iter()
                    .flatten()
                    .any(|f| f.api_version.as_deref() == Some(api_version.as_str()));
                if wrote {
                    objects.push(name.clone());
                }
            }
            if let Some((schemas, root)) = &schema {
                let value = serde_json::to_value(object).unwrap_or_default();
                let skip = ["apiVersion", "kind", "metadata", "status"];
                let found = schemas.validate(&value, *root, &skip);
                if let Some(first) = found.first() {
                    invalid_count += 1;
                    if invalid.len() < EXAMPLES {
                        invalid.push(format!("{name}: {first}"));
                    }
                }
            }
        }
        match next {
            Some(token) => params = params.continue_token(&token),
            None => break,
        }
    }
    for (version, objects) in written_in.into_iter().filter(|(_, o)| !o.is_empty()) {
        let examples: Vec<&str> = objects.iter().take(EXAMPLES).map(String::as_str).collect();
        problems.push(
            Diagnostic::error(format!(
                "{id} (from `{}`): version `{version}` would no longer be served, but {} objects were written in it, among them {}",
                crd.source,
                objects.len(),
                examples.join(", ")
            ))
            .hint(format!(
                "keep serving `{version}` until the clients that write these objects use another version"
            )),
        );
    }
    if invalid_count > 0 {
        let mut diagnostic = Diagnostic::error(format!(
            "{id} (from `{}`): {invalid_count} existing objects do not fit its new schema of `{reading}`",
            crd.source
        ));
        for example in &invalid {
            diagnostic = diagnostic.hint(example.clone());
        }
        problems.push(diagnostic.hint(
            "change those objects to fit first (their next write would be refused, or drop those fields), or widen the schema",
        ));
    }
    problems
}

/// The served CRDs of custom kinds, compiled per version, by CRD name and
/// version (`None`: no such CRD, or no schema to check against).
pub type Served = std::collections::HashMap<(String, String), Option<(Schemas, Id)>>;

/// What is wrong with `object`, of a kind the cluster serves through a CRD
/// that is not in the release, under the schema of that CRD's version, each
/// problem at its template line; nothing when the kind is built in (its
/// group has no dot, or no CRD defines it), or the object is exempted from
/// `schema`.
pub async fn served_problems(
    cluster: &Cluster,
    object: &Object,
    resource: &Resource,
    served: &mut Served,
) -> Vec<Diagnostic> {
    let Some((group, version)) = object.api_version.split_once('/') else {
        return Vec::new();
    };
    let exempt = format!(
        "{}{}",
        crate::authoring::policy::EXEMPT_ANNOTATION,
        "schema"
    );
    if !group.contains('.') || object.body["metadata"]["annotations"][&exempt].is_string() {
        return Vec::new();
    }
    let name = format!("{}.{group}", resource.api.plural);
    let key = (name.clone(), version.to_string());
    if !served.contains_key(&key) {
        let compiled = served_schema(cluster, &name, version).await;
        served.insert(key.clone(), compiled);
    }
    let Some((schemas, root)) = &served[&key] else {
        return Vec::new();
    };
    let skip = ["apiVersion", "kind", "metadata"];
    schemas
        .validate(&object.body, *root, &skip)
        .into_iter()
        .map(|problem| {
            let message = format!(
                "schema [validate]: {}: `{}` {} (under the CRD `{name}` the cluster serves)",
                object.id(),
                problem.path,
                problem.message
            );
            object.diagnostic_at(
                Diagnostic::error(message).hint(format!(
                    "fix the field, or annotate the object `{exempt}: \"why\"`"
                )),
                &problem.pointer,
            )
        })
        .collect()
}

/// The compiled schema of `version` of the CRD `name`, if the cluster has
/// that CRD (and the client may read it).
async fn served_schema(cluster: &Cluster, name: &str, version: &str) -> Option<(Schemas, Id)> {
    let definitions = cluster
        .served("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        .await
        .ok()?;
    let api = cluster.api(&definitions, None);
    let crd = retry(|| api.get_opt(name)).await.ok()??;
    let crd = serde_json::to_value(crd).ok()?;
    let schema = versions(&crd)
        .into_iter()
        .find(|(n, _)| *n == version)
        .map(|(_, v)| v["schema"]["openAPIV3Schema"].clone())?;
    schema
        .is_object()
        .then(|| Schemas::single(&schema, Dialect::Structural))
}
