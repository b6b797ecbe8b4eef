//! What a policy sets: severities of the built-in checks (and of rules)
//! that differ from their defaults, and custom rules, read from a
//! `policy:` map of `package.yaml` or the release file.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::catalog::{check, Check, Severity, ALL};
use super::rules::{self, Rule};
use crate::shared::diagnostics::{Diagnostic, Diagnostics, Source};
use crate::shared::yaml::{Node, Value};

/// What a policy sets: severities that differ from the checks' defaults,
/// and custom rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// By check (or rule) id.
    pub severities: BTreeMap<String, Severity>,
    /// In the order they were given.
    pub rules: Vec<Arc<Rule>>,
}

impl Settings {
    /// `other`'s severities over these (a release's over its package's),
    /// and its rules after these, a rule of the same name in its place.
    pub fn with(&self, other: &Settings) -> Settings {
        let mut severities = self.severities.clone();
        severities.extend(other.severities.iter().map(|(k, v)| (k.clone(), *v)));
        let mut rules: Vec<Arc<Rule>> = self
            .rules
            .iter()
            .filter(|r| !other.rules.iter().any(|o| o.check.id == r.check.id))
            .cloned()
            .collect();
        rules.extend(other.rules.iter().cloned());
        Settings { severities, rules }
    }

    /// Every built-in check outside `group` off, and no rules: what `cleat
    /// render` applies over a package's settings, so that it refuses only
    /// objects the API server would (`validate`), and leaves practice to
    /// lint, lock and apply.
    pub fn only(&self, group: &str) -> Settings {
        let mut severities = self.severities.clone();
        severities.extend(
            ALL.iter()
                .filter(|c| c.group != group)
                .map(|c| (c.id.to_string(), Severity::Off)),
        );
        Settings {
            severities,
            rules: Vec::new(),
        }
    }

    pub fn severity(&self, check: &Check) -> Severity {
        self.severities
            .get(check.id)
            .copied()
            .unwrap_or(check.severity)
    }

    /// The check or rule named `id`, or an error with the closest name.
    pub fn check(&self, id: &str) -> Result<&'static Check, String> {
        match self.rules.iter().find(|r| r.check.id == id) {
            Some(rule) => Ok(rule.check),
            None => check(id),
        }
    }

    /// SHA-256 of every check's severity under these settings (and of the
    /// rules, when there are any), as canonical JSON: what a lock entry
    /// records, so that a changed policy (or a check this cleat added) is
    /// a change of the lock.
    pub fn digest(&self) -> String {
        let severities: serde_json::Map<String, serde_json::Value> = ALL
            .iter()
            .map(|c| (c.id.to_string(), self.severity(c).name().into()))
            .collect();
        let mut json = serde_json::Value::Object(severities);
        if !self.rules.is_empty() {
            let rules: Vec<serde_json::Value> = self
                .rules
                .iter()
                .map(|r| {
                    let mut rule = r.canonical();
                    rule["severity"] = self.severity(r.check).name().into();
                    rule
                })
                .collect();
            json = serde_json::json!({"checks": json, "rules": rules});
        }
        crate::shared::digest::sha256(crate::shared::digest::canonical_json(&json).as_bytes())
    }
}

/// Reads a rules file that a `policy:` map names (`rules: FILE`): its
/// text, named as the user wrote it.
pub type ReadRules<'a> = &'a dyn Fn(&str) -> Result<Arc<Source>, Diagnostic>;

/// The severities a `policy:` map sets (`CHECK: error|warning|info|off`),
/// and its `rules:` (custom rules in CEL), every problem at its line; a
/// rules file it names is refused (only the release file reads them).
pub fn settings(node: &Node) -> Result<Settings, Vec<Diagnostic>> {
    settings_reading(node, &|_| {
        Err(
            Diagnostic::error("`rules` of a package is a list: a package reads no rules files")
                .hint(
                "write the rules inline, or name the file from the release file's `policy.rules`",
            ),
        )
    })
}

/// [`settings`], reading a file that `rules: FILE` names with `read`.
pub fn settings_reading(node: &Node, read: ReadRules) -> Result<Settings, Vec<Diagnostic>> {
    let Value::Map(entries) = &node.value else {
        return Err(vec![Diagnostic::error(format!(
            "`policy` must be a map of check to severity, found {}",
            node.value.type_name()
        ))
        .at(node.origin.clone())
        .hint("write `policy: {memory-limits: error, image-digest: warning}`")]);
    };
    let mut settings = Settings::default();
    let mut problems = Vec::new();
    if let Some(rules) = node.get(RULES) {
        let file = match &rules.value {
            Value::String(path) => Some(
                read(path)
                    .and_then(|source| crate::shared::yaml::parse_document(&source))
                    .map_err(|d| match d.origin {
                        Some(_) => d,
                        None => d.at(rules.origin.clone()),
                    }),
            ),
            _ => None,
        };
        match file {
            None => settings.rules = rules::parse(rules, &[], &mut problems),
            Some(Ok(listed)) => settings.rules = rules::parse(&listed, &[], &mut problems),
            Some(Err(problem)) => problems.push(problem),
        }
    }
    for (key, value) in entries {
        if key.name == RULES {
            continue;
        }
        if let Err(message) = settings.check(&key.name) {
            problems.push(Diagnostic::error(message).at(key.origin.clone()));
            continue;
        }
        let severity = match &value.value {
            Value::String(text) => Severity::parse(text),
            _ => None,
        };
        match (severity, &value.value) {
            (Some(severity), _) => {
                settings.severities.insert(key.name.clone(), severity);
            }
            (None, other) => problems.push(
                Diagnostic::error(format!(
                    "the severity of `{}` {}",
                    key.name,
                    Severity::expected(&match other {
                        Value::String(text) => format!("`{text}`"),
                        other => other.type_name().to_string(),
                    })
                ))
                .at(value.origin.clone()),
            ),
        }
    }
    Diagnostics::check(problems, settings).map_err(|d| d.0)
}

/// The key of a `policy:` map that holds custom rules.
pub const RULES: &str = "rules";
