//! Helm's `lookup` function, answered from what was looked up before
//! rendering: rendering stays pure, so the answers come in with the release
//! (from the cluster, or from a lock entry) and the keys the templates asked
//! for go out with the result. A key without an answer finds nothing, as
//! under `helm template`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use gotmpl::{Func, Templates, Value};
use serde::{Deserialize, Serialize};

/// What one `lookup` call asks: `lookup API_VERSION KIND NAMESPACE NAME`.
/// An empty name asks for a list; an empty namespace, for every namespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LookupKey {
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for LookupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (api_version, kind) = (&self.api_version, &self.kind);
        match (self.namespace.as_str(), self.name.as_str()) {
            ("", "") => write!(f, "{api_version} {kind} (every one)"),
            (namespace, "") => write!(f, "{api_version} {kind} (every one in {namespace})"),
            ("", name) => write!(f, "{api_version} {kind} {name}"),
            (namespace, name) => write!(f, "{api_version} {kind} {namespace}/{name}"),
        }
    }
}

/// The answers `lookup` gives, by key: an object, a list (`items`), or `{}`
/// for nothing found.
pub type Answers = BTreeMap<LookupKey, serde_json::Value>;

/// The keys the templates of one render looked up.
#[derive(Debug, Clone, Default)]
pub struct Asked(Arc<Mutex<BTreeSet<LookupKey>>>);

impl Asked {
    /// Every key asked so far, in order.
    pub fn keys(&self) -> BTreeSet<LookupKey> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// Registers `lookup` in `set`, answering from `answers`; returns what the
/// templates ask.
pub fn register(set: &mut Templates, answers: Arc<Answers>) -> Asked {
    let asked = Asked::default();
    let record = asked.clone();
    let func: Func = Arc::new(move |args: &[Value]| {
        let [api_version, kind, namespace, name] = args else {
            return Err(format!(
                "wrong number of args for lookup: want 4 got {}",
                args.len()
            ));
        };
        let text = |value: &Value| match value {
            Value::String(text) => Ok(text.to_string()),
            other => Err(format!(
                "wrong type for value; expected string; got {}",
                other.type_name()
            )),
        };
        let key = LookupKey {
            api_version: text(api_version)?,
            kind: text(kind)?,
            namespace: text(namespace)?,
            name: text(name)?,
        };
        let answer = answers.get(&key).map(sprig::helm::from_json);
        record
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(key);
        Ok(answer.unwrap_or_else(|| Value::map([])))
    });
    set.func("lookup", func);
    asked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kind: &str, namespace: &str, name: &str) -> LookupKey {
        LookupKey {
            api_version: "v1".into(),
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    #[test]
    fn answers_what_it_was_given_and_records_every_key() {
        let mut set = Templates::new();
        let answers = Answers::from([(
            key("ConfigMap", "web", "settings"),
            serde_json::json!({"data": {"colour": "blue"}}),
        )]);
        let asked = register(&mut set, Arc::new(answers));
        set.parse(
            "t",
            r#"{{ (lookup "v1" "ConfigMap" "web" "settings").data.colour }} {{ lookup "v1" "Secret" "web" "" }} {{ lookup "v1" "Secret" "web" }}"#,
        )
        .expect("parses");
        let error = set
            .execute("t", &Value::map([]))
            .expect_err("three arguments are too few");
        assert!(
            error
                .message
                .contains("wrong number of args for lookup: want 4 got 3"),
            "{}",
            error.message
        );
        assert_eq!(
            asked.keys(),
            BTreeSet::from([
                key("ConfigMap", "web", "settings"),
                key("Secret", "web", "")
            ])
        );
        set.parse("u", r#"{{ (lookup "v1" "ConfigMap" "web" "settings").data.colour }}|{{ lookup "v1" "Secret" "web" "" }}|{{ lookup "v1" "Secret" "" 3 }}"#)
            .expect("parses");
        let error = set.execute("u", &Value::map([])).expect_err("3 is no name");
        assert!(
            error
                .message
                .contains("wrong type for value; expected string; got int"),
            "{}",
            error.message
        );
        set.parse(
            "v",
            r#"{{ (lookup "v1" "ConfigMap" "web" "settings").data.colour }}|{{ lookup "v1" "Secret" "web" "" }}"#,
        )
        .expect("parses");
        assert_eq!(
            set.execute("v", &Value::map([])).expect("renders"),
            "blue|map[]"
        );
    }

    #[test]
    fn keys_read_as_people_write_them() {
        assert_eq!(key("Secret", "web", "db").to_string(), "v1 Secret web/db");
        assert_eq!(
            key("Secret", "web", "").to_string(),
            "v1 Secret (every one in web)"
        );
        assert_eq!(key("Namespace", "", "web").to_string(), "v1 Namespace web");
    }
}
