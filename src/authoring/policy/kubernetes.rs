//! The schemas of Kubernetes' built-in kinds for every minor version from
//! 1.20 to 1.37, shipped inside cleat (`schemas/kubernetes/`, written by
//! `scripts/kube-schemas` from the kinds' OpenAPI definitions), and the
//! custom kinds a release's CustomResourceDefinitions define. A version is
//! indexed once per process, when a release targets it, and only the
//! definitions a release's objects reach are compiled.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

use crate::authoring::object::Object;
use crate::shared::openapi::{Dialect, Id, Problem, Schemas};

/// The first and last minor versions shipped.
pub const OLDEST: u64 = 20;
pub const NEWEST: u64 = 37;

/// The schemas of each minor version (unpacked by `build.rs`).
const VERSIONS: &[(u64, &str)] = &[
    (
        20,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.20.json")),
    ),
    (
        21,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.21.json")),
    ),
    (
        22,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.22.json")),
    ),
    (
        23,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.23.json")),
    ),
    (
        24,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.24.json")),
    ),
    (
        25,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.25.json")),
    ),
    (
        26,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.26.json")),
    ),
    (
        27,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.27.json")),
    ),
    (
        28,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.28.json")),
    ),
    (
        29,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.29.json")),
    ),
    (
        30,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.30.json")),
    ),
    (
        31,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.31.json")),
    ),
    (
        32,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.32.json")),
    ),
    (
        33,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.33.json")),
    ),
    (
        34,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.34.json")),
    ),
    (
        35,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.35.json")),
    ),
    (
        36,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.36.json")),
    ),
    (
        37,
        include_str!(concat!(env!("OUT_DIR"), "/kubernetes/v1.37.json")),
    ),
];

/// The built-in kinds of one minor version. Each definition is compiled
/// when an object first needs it ([`Schemas`]), so that a small release
/// pays for a few definitions, not for all 700.
pub struct Kubernetes {
    /// The minor version of the schemas: `1.MINOR`.
    pub minor: u64,
    /// `apps/v1/Deployment` → its schema.
    kinds: Index<&'static str, Id>,
    /// `Deployment` → `apps/v1` and the other apiVersions that have it.
    api_versions: Index<&'static str, Vec<&'static str>>,
    schemas: Schemas,
    /// The schema of every object's `metadata`.
    object_meta: Option<Id>,
}

/// The maps of a version's kinds (177 in 1.34) and their apiVersions, built
/// at each run and keyed by names the shipped schemas hold: hashed fast, not
/// with SipHash, which took a tenth of a small chart's render.
type Index<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The definition of every object's `metadata`.
const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

impl Kubernetes {
    /// The schemas for `version`: its minor version's, else the nearest
    /// shipped (before 1.20, 1.20; after 1.37, 1.37).
    pub fn at(version: &semver::Version) -> &'static Kubernetes {
        static LOADED: Mutex<Vec<&'static Kubernetes>> = Mutex::new(Vec::new());
        let minor = version.minor.clamp(OLDEST, NEWEST);
        let mut loaded = LOADED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(found) = loaded.iter().find(|k| k.minor == minor) {
            return found;
        }
        // At most one per shipped version, for the life of the process.
        let indexed: &'static Kubernetes = Box::leak(Box::new(Kubernetes::load(minor)));
        loaded.push(indexed);
        indexed
    }

    fn load(minor: u64) -> Kubernetes {
        const SHIPPED: &str = "the shipped schemas are what scripts/kube-schemas writes";
        let (_, json) = VERSIONS
            .iter()
            .find(|(m, _)| *m == minor)
            .expect("every minor version from OLDEST to NEWEST is shipped");
        // Line by line, as the script lays it out: the kinds, then one
        // definition per line, sorted by name (`"NAME":{...},`).
        let mut lines = json.lines();
        let kinds = lines
            .next()
            .and_then(|line| line.strip_prefix("{\"kinds\":")?.strip_suffix(','))
            .expect(SHIPPED);
        let kinds: Index<&'static str, &'static str> = serde_json::from_str(kinds).expect(SHIPPED);
        assert_eq!(lines.next(), Some("\"definitions\":{"), "{SHIPPED}");
        let definitions = lines.take_while(|line| *line != "}}").map(|line| {
            let line = line.strip_suffix(',').unwrap_or(line);
            // A definition's name has no quotes.
            let (name, schema) = line
                .strip_prefix('"')
                .and_then(|line| line.split_once('"'))
                .and_then(|(name, rest)| Some((name, rest.strip_prefix(':')?)))
                .expect(SHIPPED);
            (Cow::Borrowed(name), Cow::Borrowed(schema))
        });
        let schemas = Schemas::definitions(definitions, Dialect::BuiltIn);
        let mut api_versions: Index<&str, Vec<&str>> = Index::default();
        for key in kinds.keys() {
            if let Some((api_version, kind)) = key.rsplit_once('/') {
                let versions = api_versions.entry(kind).or_default();
                versions.push(api_version);
                versions.sort_unstable();
            }
        }
        Kubernetes {
            minor,
            kinds: kinds
                .into_iter()
                .filter_map(|(kind, name)| Some((kind, schemas.id(name)?)))
                .collect(),
            api_versions,
            object_meta: schemas.id(OBJECT_META),
            schemas,
        }
    }

    /// Whether the version knows `api_version` `kind`.
    pub fn knows(&self, api_version: &str, kind: &str) -> bool {
        self.kinds
            .contains_key(format!("{api_version}/{kind}").as_str())
    }

    /// The apiVersions at which this version has `kind`.
    pub fn api_versions(&self, kind: &str) -> &[&'static str] {
        self.api_versions.get(kind).map_or(&[], Vec::as_slice)
    }

    /// What is wrong with `object` under its kind's schema, or `None` when
    /// this version has no such kind.
    pub fn validate(&self, object: &Object) -> Option<Vec<Problem>> {
        let id = *self
            .kinds
            .get(format!("{}/{}", object.api_version, object.kind).as_str())?;
        Some(self.schemas.validate(&object.body, id, &[]))
    }

    /// What is wrong with an object's `metadata`, at its path in the object.
    fn validate_metadata(&self, object: &Value) -> Vec<Problem> {
        let (Some(id), Some(metadata)) = (self.object_meta, object.get("metadata")) else {
            return Vec::new();
        };
        let mut found = self.schemas.validate(metadata, id, &[]);
        for problem in &mut found {
            problem.pointer.insert_str(0, "/metadata");
            problem.path = match problem.path.as_str() {
                "." => ".metadata".to_string(),
                path => format!(".metadata{path}"),
            };
        }
        found
    }
}

/// The custom kinds the CustomResourceDefinitions among some objects
/// define, with the schema of each version.
#[derive(Default)]
pub struct Custom {
    /// `example.com/v1/Widget` → its schema.
    kinds: HashMap<String, (Schemas, Id)>,
}

impl Custom {
    pub fn new(objects: &[Object]) -> Custom {
        let mut custom = Custom::default();
        let definitions = objects.iter().filter(|o| {
            o.kind == "CustomResourceDefinition"
                && o.api_version.starts_with("apiextensions.k8s.io/")
        });
        for crd in definitions {
            let spec = &crd.body["spec"];
            let (Some(group), Some(kind)) =
                (spec["group"].as_str(), spec["names"]["kind"].as_str())
            else {
                continue;
            };
            // v1 has a schema per version; v1beta1 may have one for all.
            let shared = &spec["validation"]["openAPIV3Schema"];
            let versions = spec["versions"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![serde_json::json!({"name": spec["version"].clone()})]);
            for version in &versions {
                let Some(name) = version["name"].as_str() else {
                    continue;
                };
                let schema = match &version["schema"]["openAPIV3Schema"] {
                    Value::Null => shared,
                    own => own,
                };
                let compiled = match schema {
                    Value::Object(_) => Schemas::single(schema, Dialect::Structural),
                    // No schema: anything goes, but the kind is known.
                    _ => Schemas::single(
                        &serde_json::json!({"x-kubernetes-preserve-unknown-fields": true}),
                        Dialect::Structural,
                    ),
                };
                custom
                    .kinds
                    .insert(format!("{group}/{name}/{kind}"), compiled);
            }
        }
        custom
    }

    /// Whether a CRD here defines `object`'s kind at its apiVersion.
    pub fn defines(&self, object: &Object) -> bool {
        self.kinds
            .contains_key(&format!("{}/{}", object.api_version, object.kind))
    }

    /// What is wrong with `object` under the schema its CRD gives its
    /// version (its `metadata` under Kubernetes' own), or `None` when no
    /// CRD here defines it.
    pub fn validate(&self, object: &Object, kubernetes: &Kubernetes) -> Option<Vec<Problem>> {
        let (schemas, id) = self
            .kinds
            .get(&format!("{}/{}", object.api_version, object.kind))?;
        let skip = ["apiVersion", "kind", "metadata"];
        let mut found = kubernetes.validate_metadata(&object.body);
        found.extend(schemas.validate(&object.body, *id, &skip));
        Some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_version_loads_with_the_common_kinds() {
        assert_eq!(VERSIONS.len() as u64, NEWEST - OLDEST + 1);
        for minor in OLDEST..=NEWEST {
            let kubernetes = Kubernetes::at(&semver::Version::new(1, minor, 0));
            assert_eq!(kubernetes.minor, minor);
            for (api, kind) in [
                ("apps/v1", "Deployment"),
                ("v1", "Service"),
                ("v1", "ConfigMap"),
            ] {
                assert!(kubernetes.knows(api, kind), "1.{minor} lacks {api} {kind}");
            }
        }
        // CronJob is batch/v1 from 1.21; PodSecurityPolicy is gone in 1.25.
        let at = |minor| Kubernetes::at(&semver::Version::new(1, minor, 0));
        assert!(!at(20).knows("batch/v1", "CronJob"));
        assert!(at(21).knows("batch/v1", "CronJob"));
        assert!(at(24).knows("policy/v1beta1", "PodSecurityPolicy"));
        assert!(!at(25).knows("policy/v1beta1", "PodSecurityPolicy"));
        assert_eq!(at(12).minor, OLDEST);
        assert_eq!(at(99).minor, NEWEST);
    }
}
