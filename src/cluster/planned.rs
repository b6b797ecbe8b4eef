//! One object of a plan: what it is, where it came from, how applying
//! would change it, and what it waits for; and how it is shown (Secret
//! values masked). Planning fills it ([`crate::cluster::plan`]); applying,
//! waiting and replacing read it.

use crate::authoring::lifecycle::Lifecycle;
use crate::cluster::client::Resource;
use crate::cluster::ownership::Owner;
use crate::cluster::record::Item;

/// One object of a plan.
#[derive(Debug, Clone)]
pub struct Planned {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    /// The object as it will be applied.
    pub body: serde_json::Value,
    pub resource: Resource,
    /// The template it came from.
    pub source: String,
    pub change: Change,
    /// The live object's uid, when it exists.
    pub uid: Option<String>,
    /// The owner the object is taken over from, when another holds it.
    pub adopt: Option<Owner>,
    /// Fields cleat applied as they are now that other managers changed
    /// since: drift, which applying takes back.
    pub drift: Vec<Conflict>,
    /// Its phase, dependencies and when it is applied.
    pub lifecycle: Lifecycle,
    /// The objects of the plan it waits for, by index.
    pub dependencies: Vec<usize>,
    /// The CRD of its kind, which this apply creates or changes first: the
    /// object was planned against the new schema without a dry run, and the
    /// server checks it when it is applied, after the CRD is established.
    pub after_definition: Option<String>,
}

/// A field another field manager holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub manager: String,
    /// The field's path, as the API server names it (`.spec.replicas`).
    pub field: String,
}

/// What applying an object would do.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Create,
    /// The unified diff of the live object and the dry-run result, as YAML.
    Update(String),
    /// Deleted and created again: the fields that cannot change in place,
    /// and the diff (estimated without the server, which refuses it).
    Replace {
        fields: Vec<String>,
        diff: String,
    },
    Unchanged,
    /// Taken over from another owner with every value as it is: applied
    /// only to mark it the release's (and make cleat its fields' manager).
    Adopt,
    /// Not applied this time, for the reason given (its `cleat.dev/apply`).
    Skip(&'static str),
}

impl Planned {
    /// The object as an inventory item with `uid`.
    pub fn item(&self, uid: Option<String>) -> Item {
        Item {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            uid,
        }
    }

    /// The object to show: its Secret values masked.
    pub fn shown_body(&self) -> serde_json::Value {
        mask(&self.kind, &self.body)
    }

    /// `apiVersion Kind namespace/name`, as messages show an object.
    pub fn id(&self) -> String {
        crate::authoring::object::id(
            &self.api_version,
            &self.kind,
            self.namespace.as_deref(),
            &self.name,
        )
    }
}

/// A Secret with each value replaced by a short digest, so a diff shows
/// which values change without showing any.
/// The digest is keyed with a random key of this run: two values that
/// differ show different digests, but no digest confirms a guessed value.
pub fn mask(kind: &str, object: &serde_json::Value) -> serde_json::Value {
    static KEY: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    let key = KEY.get_or_init(|| {
        let mut key = [0u8; 32];
        let _ = getrandom::fill(&mut key);
        key
    });
    let mut object = object.clone();
    if kind == "Secret" {
        for field in ["data", "stringData"] {
            if let Some(serde_json::Value::Object(values)) = object.get_mut(field) {
                for value in values.values_mut() {
                    let text = value.as_str().unwrap_or_default();
                    let keyed = [key.as_slice(), text.as_bytes()].concat();
                    let digest = crate::shared::digest::sha256_hex(&keyed);
                    *value = format!("(hidden, digest {})", &digest[..12]).into();
                }
            }
        }
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_in_diffs() {
        let secret = serde_json::json!({"kind": "Secret", "data": {"password": "c2VjcmV0"}});
        let masked = mask("Secret", &secret);
        assert!(masked["data"]["password"]
            .as_str()
            .unwrap()
            .starts_with("(hidden, digest "));
        assert!(!masked.to_string().contains("c2VjcmV0"));
        let unkeyed = crate::shared::digest::sha256_hex(b"c2VjcmV0");
        assert!(!masked.to_string().contains(&unkeyed[..12]));
        assert_eq!(mask("Secret", &secret), masked, "one run, one digest");
    }
}
