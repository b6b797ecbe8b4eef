//! What an object's lifecycle annotations ask for: the phase it is applied
//! in, the objects of the release it waits for, when it is applied at all,
//! and whether it may be replaced when it cannot be patched, read with the
//! template line of a bad value; and which objects a reference names. The
//! checks across objects are [`crate::authoring::object`]'s; applying in
//! order is the applier's job.

use crate::shared::diagnostics::{did_you_mean, Diagnostic, Origin};
use crate::shared::yaml::{Node, Value};

/// The phase an object is applied in: a whole number, lower first, default 0.
pub const PHASE_ANNOTATION: &str = "cleat.dev/phase";
/// Objects of the release this one waits for: `[APIVERSION] KIND [NAMESPACE/]NAME`,
/// separated by commas or line breaks.
pub const DEPENDS_ON_ANNOTATION: &str = "cleat.dev/depends-on";
/// When the object is applied: `always`, `install`, `upgrade` or `create`.
pub const APPLY_ANNOTATION: &str = "cleat.dev/apply";
/// `"true"`: the object may be deleted and created again when a change
/// cannot be patched (Jobs may be by default).
pub const REPLACE_ANNOTATION: &str = "cleat.dev/replace";

/// When an object is applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum When {
    /// Every apply (the default).
    #[default]
    Always,
    /// Only when the release is installed (its first revision).
    Install,
    /// Only when the release is upgraded (every revision after the first).
    Upgrade,
    /// Whenever it does not exist, and never updated: a generated Secret.
    Create,
}

impl When {
    const NAMES: [&'static str; 4] = ["always", "install", "upgrade", "create"];

    fn parse(text: &str) -> Option<When> {
        match text {
            "always" => Some(When::Always),
            "install" => Some(When::Install),
            "upgrade" => Some(When::Upgrade),
            "create" => Some(When::Create),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            When::Always => "always",
            When::Install => "install",
            When::Upgrade => "upgrade",
            When::Create => "create",
        }
    }
}

/// An object of the release that another waits for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// The API group (empty for the core group) when the reference names
    /// an apiVersion; `None` matches any group.
    pub group: Option<String>,
    pub kind: String,
    /// `None`: the namespace of the object that refers.
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{} {namespace}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// An object's lifecycle, as its annotations say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lifecycle {
    pub phase: i64,
    pub depends_on: Vec<Reference>,
    pub apply: When,
    /// Whether the object may be replaced when it cannot be patched.
    pub replace: Option<bool>,
    /// For a Helm chart's hook (`helm.sh/hook`), what its
    /// `helm.sh/hook-delete-policy` asks.
    pub hook: Option<HookPolicy>,
    /// Where the annotations were written, for messages about them.
    pub origin: Option<Origin>,
}

/// What `helm.sh/hook-delete-policy` asks of a hook; without the
/// annotation, Helm's default, `before-hook-creation`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HookPolicy {
    /// `before-hook-creation`: deleted and created again each time it runs,
    /// so that it runs again even when unchanged.
    pub recreate: bool,
    /// `hook-succeeded`: deleted once it is ready.
    pub delete_succeeded: bool,
    /// `hook-failed`: deleted when it fails.
    pub delete_failed: bool,
}

/// The annotation that makes an object a Helm hook.
pub const HOOK_ANNOTATION: &str = "helm.sh/hook";
/// The annotation that says when Helm deletes a hook.
const HOOK_DELETE_ANNOTATION: &str = "helm.sh/hook-delete-policy";

/// The hook policy of an object whose annotation `key` reads `annotation(key)`.
fn hook_policy<'a>(annotation: impl Fn(&str) -> Option<&'a str>) -> Option<HookPolicy> {
    annotation(HOOK_ANNOTATION)?;
    let Some(policy) = annotation(HOOK_DELETE_ANNOTATION) else {
        return Some(HookPolicy {
            recreate: true,
            ..HookPolicy::default()
        });
    };
    let has = |name: &str| policy.split(',').any(|p| p.trim() == name);
    Some(HookPolicy {
        recreate: has("before-hook-creation"),
        delete_succeeded: has("hook-succeeded"),
        delete_failed: has("hook-failed"),
    })
}

/// Reads the lifecycle annotations of an object's `metadata`, as rendered.
pub fn parse(metadata: &Node) -> Result<Lifecycle, Vec<Diagnostic>> {
    let mut lifecycle = Lifecycle::default();
    let Some(Node {
        value: Value::Map(entries),
        ..
    }) = metadata.get("annotations")
    else {
        return Ok(lifecycle);
    };
    let mut problems = Vec::new();
    for (key, node) in entries {
        let Value::String(text) = &node.value else {
            continue;
        };
        match read(&mut lifecycle, &key.name, text) {
            Ok(false) => continue,
            Ok(true) => {}
            Err(found) => problems.extend(found.into_iter().map(|(message, hint)| {
                Diagnostic::error(format!("annotation `{}`: {message}", key.name))
                    .at(node.origin.clone())
                    .hint(hint)
            })),
        }
        lifecycle.origin.get_or_insert_with(|| node.origin.clone());
    }
    lifecycle.hook = hook_policy(|key| {
        entries
            .iter()
            .find(|(k, _)| k.name == key)
            .and_then(|(_, node)| node.as_str())
    });
    if problems.is_empty() {
        Ok(lifecycle)
    } else {
        Err(problems)
    }
}

/// The lifecycle a live object's annotations give, values that do not
/// parse left at their defaults (they were checked when rendered).
pub fn of_live(object: &serde_json::Value) -> Lifecycle {
    let mut lifecycle = Lifecycle::default();
    if let Some(annotations) = object["metadata"]["annotations"].as_object() {
        for (key, value) in annotations {
            if let Some(text) = value.as_str() {
                let _ = read(&mut lifecycle, key, text);
            }
        }
        lifecycle.hook = hook_policy(|key| annotations.get(key).and_then(|v| v.as_str()));
    }
    lifecycle
}

/// Applies the annotation `key: text` to `lifecycle`: whether it is a
/// lifecycle annotation, or what is wrong with its value (message, hint).
fn read(lifecycle: &mut Lifecycle, key: &str, text: &str) -> Result<bool, Vec<(String, String)>> {
    let text = text.trim();
    match key {
        PHASE_ANNOTATION => match text.parse::<i64>() {
            Ok(phase) => lifecycle.phase = phase,
            Err(_) => {
                return Err(vec![(
                    format!("expected a whole number, found `{text}`"),
                    "phases are numbers, lower first: `\"-1\"` runs before the default phase 0"
                        .into(),
                )])
            }
        },
        DEPENDS_ON_ANNOTATION => {
            let mut problems = Vec::new();
            for item in text
                .split([',', '\n'])
                .map(str::trim)
                .filter(|i| !i.is_empty())
            {
                match reference(item) {
                    Some(reference) => lifecycle.depends_on.push(reference),
                    None => problems.push((
                        format!("expected `[APIVERSION] KIND [NAMESPACE/]NAME`, found `{item}`"),
                        "for example `batch/v1 Job migrate`; separate several with commas".into(),
                    )),
                }
            }
            if !problems.is_empty() {
                return Err(problems);
            }
        }
        APPLY_ANNOTATION => match When::parse(text) {
            Some(when) => lifecycle.apply = when,
            None => {
                let hint = did_you_mean(text, When::NAMES)
                    .unwrap_or_else(|| format!("one of: {}", When::NAMES.join(", ")));
                return Err(vec![(
                    format!("expected always, install, upgrade or create, found `{text}`"),
                    hint,
                )]);
            }
        },
        REPLACE_ANNOTATION => match text {
            "true" => lifecycle.replace = Some(true),
            "false" => lifecycle.replace = Some(false),
            _ => {
                return Err(vec![(
                    format!("expected \"true\" or \"false\", found `{text}`"),
                    "replacing deletes the object and creates it again".into(),
                )])
            }
        },
        _ => return Ok(false),
    }
    Ok(true)
}

/// `batch/v1 Job ns/migrate`, `Job migrate`.
fn reference(text: &str) -> Option<Reference> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let (group, kind, target) = match words[..] {
        [kind, target] => (None, kind, target),
        [api_version, kind, target] => (
            Some(
                api_version
                    .rsplit_once('/')
                    .map_or("", |(g, _)| g)
                    .to_string(),
            ),
            kind,
            target,
        ),
        _ => return None,
    };
    let (namespace, name) = match target.split_once('/') {
        Some((namespace, name)) => (Some(namespace.to_string()), name),
        None => (None, target),
    };
    let valid = !kind.is_empty()
        && kind.starts_with(|c: char| c.is_ascii_uppercase())
        && !name.is_empty()
        && !name.contains('/');
    valid.then(|| Reference {
        group,
        kind: kind.to_string(),
        namespace,
        name: name.to_string(),
    })
}

impl Reference {
    /// Whether this reference, written on an object in `referring_namespace`,
    /// names the object `(group, kind, namespace, name)`.
    pub fn names(
        &self,
        referring_namespace: Option<&str>,
        (group, kind, namespace, name): Identity,
    ) -> bool {
        self.kind == kind
            && self.name == name
            && self.group.as_deref().is_none_or(|g| g == group)
            && self.namespace.as_deref().or(referring_namespace) == namespace
    }
}

/// An object as a reference names it: group, kind, namespace, name.
pub type Identity<'a> = (&'a str, &'a str, Option<&'a str>, &'a str);

/// The index in `targets` of the object each of `references` names, written
/// on an object in `namespace`; a reference no target answers is given back.
pub fn resolve(
    references: &[Reference],
    namespace: Option<&str>,
    targets: &[Identity],
) -> Vec<Result<usize, Reference>> {
    references
        .iter()
        .map(|reference| {
            targets
                .iter()
                .position(|&target| reference.names(namespace, target))
                .ok_or_else(|| reference.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_a_kind_and_an_object_with_an_optional_version_and_namespace() {
        let job = reference("batch/v1 Job migrate").unwrap();
        assert_eq!(job.group.as_deref(), Some("batch"));
        assert_eq!((job.kind.as_str(), job.name.as_str()), ("Job", "migrate"));
        let config = reference("v1 ConfigMap other/settings").unwrap();
        assert_eq!(config.group.as_deref(), Some(""));
        assert_eq!(config.namespace.as_deref(), Some("other"));
        assert_eq!(reference("Job migrate").unwrap().group, None);
        assert_eq!(reference("job migrate"), None);
        assert_eq!(reference("migrate"), None);
        assert_eq!(reference("a b c d"), None);
    }
}
