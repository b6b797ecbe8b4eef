//! Custom rules in CEL, the language Kubernetes' ValidatingAdmissionPolicy
//! uses: each rule matches objects by kind, namespace and labels, and holds
//! an expression over `object`, `release` and `values` that must be true.
//! This module reads and compiles rules (each problem at its line) and
//! evaluates one over an object; which objects it meets is the caller's.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::catalog::{Check, Severity};
use crate::shared::diagnostics::{Diagnostic, Origin};
use crate::shared::yaml::fields::{check_fields, is_dns_label, optional_string};
use crate::shared::yaml::{Node, Value};

/// The group of every custom rule's check.
pub const GROUP: &str = "rule";

/// The fields a rule may have.
const FIELDS: [&str; 5] = ["name", "match", "expression", "message", "severity"];
const MATCH_FIELDS: [&str; 3] = ["kinds", "namespaces", "labels"];

/// A compiled rule.
pub struct Rule {
    /// The rule as a check: its name as the id, its message as the why. It
    /// lives for the process, as the built-in checks do: a command reads
    /// its rules once.
    pub check: &'static Check,
    pub expression: String,
    /// Where the expression is written.
    pub origin: Origin,
    kinds: Vec<String>,
    namespaces: Vec<String>,
    labels: BTreeMap<String, String>,
    program: cel::Program,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("name", &self.check.id)
            .field("expression", &self.expression)
            .finish()
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.canonical() == other.canonical()
    }
}

impl Eq for Rule {}

impl Rule {
    /// Whether the rule applies to an object of `kind` in `namespace` (the
    /// release's for a namespaced object that names none) with `labels`.
    pub fn matches(&self, kind: &str, namespace: Option<&str>, labels: &serde_json::Value) -> bool {
        (self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind))
            && (self.namespaces.is_empty()
                || namespace.is_some_and(|n| self.namespaces.iter().any(|m| m == n)))
            && self
                .labels
                .iter()
                .all(|(key, value)| labels[key.as_str()].as_str() == Some(value))
    }

    /// Whether `object` passes, in `scope` (which holds `release` and
    /// `values`); `Err` says why the expression could not be evaluated.
    pub fn passes(&self, scope: &cel::Context, object: &serde_json::Value) -> Result<bool, String> {
        let mut context = scope.new_inner_scope();
        context
            .add_variable("object", object)
            .map_err(|e| e.to_string())?;
        match self.program.execute(&context) {
            Ok(cel::Value::Bool(passes)) => Ok(passes),
            Ok(other) => Err(format!(
                "it gave {}, not a boolean",
                other
                    .json()
                    .map_or_else(|_| format!("{other:?}"), |json| json.to_string())
            )),
            Err(error) => Err(error.to_string()),
        }
    }

    /// What the lock's policy digest covers: everything but positions.
    pub fn canonical(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.check.id,
            "severity": self.check.severity.name(),
            "message": self.check.why,
            "expression": self.expression,
            "match": {"kinds": self.kinds, "namespaces": self.namespaces, "labels": self.labels},
        })
    }
}

/// The context rules run in: `release` and `values` bound, `object` bound
/// per object by [`Rule::passes`].
pub fn scope(
    release: &serde_json::Value,
    values: &serde_json::Value,
) -> Result<cel::Context<'static, 'static>, String> {
    let mut context = cel::Context::default();
    context
        .add_variable("release", release)
        .map_err(|e| e.to_string())?;
    context
        .add_variable("values", values)
        .map_err(|e| e.to_string())?;
    Ok(context)
}

/// The rules a `rules:` list holds, every problem at its line; a rule may
/// not take the name of a built-in check or of one of `others`.
pub fn parse(node: &Node, others: &[Arc<Rule>], problems: &mut Vec<Diagnostic>) -> Vec<Arc<Rule>> {
    let builtin = |id: &str| super::catalog::ALL.iter().any(|c| c.id == id);
    let taken = |id: &str| builtin(id) || others.iter().any(|r| r.check.id == id);
    let Value::List(items) = &node.value else {
        problems.push(
            Diagnostic::error(format!(
                "`rules` must be a list of rules, found {}",
                node.value.type_name()
            ))
            .at(node.origin.clone())
            .hint("write `rules: [{name: replicas, match: {kinds: [Deployment]}, expression: \"object.spec.replicas >= 2\"}]`"),
        );
        return Vec::new();
    };
    let mut rules: Vec<Arc<Rule>> = Vec::new();
    for item in items {
        if let Some(rule) = rule(item, problems) {
            let id = rule.check.id;
            if taken(id) || rules.iter().any(|r| r.check.id == id) {
                let what = if builtin(id) {
                    "a built-in check"
                } else {
                    "another rule"
                };
                problems.push(
                    Diagnostic::error(format!("rule `{id}` has the name of {what}"))
                        .at(item
                            .get("name")
                            .map_or(item.origin.clone(), |n| n.origin.clone()))
                        .hint(
                            "give each rule a name of its own: exemptions and severities name it",
                        ),
                );
                continue;
            }
            rules.push(Arc::new(rule));
        }
    }
    rules
}

fn rule(node: &Node, problems: &mut Vec<Diagnostic>) -> Option<Rule> {
    let Value::Map(entries) = &node.value else {
        problems.push(
            Diagnostic::error(format!(
                "a rule must be a map, found {}",
                node.value.type_name()
            ))
            .at(node.origin.clone()),
        );
        return None;
    };
    let before = problems.len();
    check_fields(entries, &FIELDS, "a rule", problems);
    let name = optional_string(node, "name", problems);
    if let Some((name, origin)) = &name {
        if !is_dns_label(name) {
            problems.push(
                Diagnostic::error(format!("rule name `{name}` is not a DNS label"))
                    .at(origin.clone())
                    .hint("use lowercase letters, digits and `-`: the name is part of the exemption annotation `cleat.dev/exempt-NAME`"),
            );
        }
    } else if node.get("name").is_none() {
        problems.push(Diagnostic::error("a rule needs a `name`").at(node.origin.clone()));
    }
    let expression = optional_string(node, "expression", problems);
    if expression.is_none() && node.get("expression").is_none() {
        let which = name
            .as_ref()
            .map_or("a rule".to_string(), |(n, _)| format!("rule `{n}`"));
        problems.push(
            Diagnostic::error(format!("{which} needs an `expression`"))
                .at(node.origin.clone())
                .hint("write a CEL expression that is true for a good object, such as `object.spec.replicas >= 2`"),
        );
    }
    let message = optional_string(node, "message", problems).map(|(m, _)| m);
    let severity = match optional_string(node, "severity", problems) {
        None => Severity::Error,
        Some((text, origin)) => Severity::parse(&text).unwrap_or_else(|| {
            problems.push(
                Diagnostic::error(format!(
                    "the severity of a rule {}",
                    Severity::expected(&format!("`{text}`"))
                ))
                .at(origin),
            );
            Severity::Error
        }),
    };
    let (kinds, namespaces, labels) = matching(node.get("match"), problems);
    let program = expression.as_ref().and_then(|(text, origin)| {
        cel::Program::compile(text)
            .map_err(|errors| {
                for error in errors.errors {
                    let mut at = origin.clone();
                    // A one-line expression written inline: the column of the error in it.
                    if !text.contains('\n') && error.pos.1 >= 0 {
                        at.col += error.pos.1 as usize + usize::from(origin.width > text.len());
                    }
                    problems.push(
                        Diagnostic::error(format!(
                            "the expression of rule `{}` is not valid CEL: {}",
                            name.as_ref().map_or("", |(n, _)| n.as_str()),
                            error.msg
                        ))
                        .at(at)
                        .hint("see https://kubernetes.io/docs/reference/using-api/cel/ for the language"),
                    );
                }
            })
            .ok()
    });
    if problems.len() > before {
        return None;
    }
    let (name, _) = name?;
    let (expression, origin) = expression?;
    let why = message.unwrap_or_else(|| format!("`{expression}` is false"));
    let check: &'static Check = Box::leak(Box::new(Check {
        id: Box::leak(name.into_boxed_str()),
        group: GROUP,
        severity,
        why: Box::leak(why.into_boxed_str()),
        fix: "Change the object so that the rule's expression is true.",
    }));
    Some(Rule {
        check,
        expression,
        origin,
        kinds,
        namespaces,
        labels,
        program: program?,
    })
}

type Matching = (Vec<String>, Vec<String>, BTreeMap<String, String>);

/// A rule's `match:`: kinds, namespaces, labels (each empty when absent).
fn matching(node: Option<&Node>, problems: &mut Vec<Diagnostic>) -> Matching {
    let mut found = Matching::default();
    let Some(node) = node else {
        return found;
    };
    let Value::Map(entries) = &node.value else {
        problems.push(
            Diagnostic::error("`match` must be a map of `kinds`, `namespaces` and `labels`")
                .at(node.origin.clone()),
        );
        return found;
    };
    check_fields(entries, &MATCH_FIELDS, "match", problems);
    for (field, list) in [("kinds", &mut found.0), ("namespaces", &mut found.1)] {
        let Some(items) = node.get(field) else {
            continue;
        };
        match &items.value {
            Value::List(items) => {
                for item in items {
                    match &item.value {
                        Value::String(text) => list.push(text.clone()),
                        other => problems.push(
                            Diagnostic::error(format!(
                                "`match.{field}` lists names, found {}",
                                other.type_name()
                            ))
                            .at(item.origin.clone()),
                        ),
                    }
                }
            }
            other => problems.push(
                Diagnostic::error(format!(
                    "`match.{field}` must be a list, found {}",
                    other.type_name()
                ))
                .at(items.origin.clone())
                .hint(format!("write `{field}: [...]`")),
            ),
        }
    }
    if let Some(labels) = node.get("labels") {
        match &labels.value {
            Value::Map(entries) => {
                for (key, value) in entries {
                    match &value.value {
                        Value::String(text) => {
                            found.2.insert(key.name.clone(), text.clone());
                        }
                        other => problems.push(
                            Diagnostic::error(format!(
                                "the label `{}` of `match.labels` must be a string, found {}",
                                key.name,
                                other.type_name()
                            ))
                            .at(value.origin.clone()),
                        ),
                    }
                }
            }
            other => problems.push(
                Diagnostic::error(format!(
                    "`match.labels` must be a map of label to value, found {}",
                    other.type_name()
                ))
                .at(labels.origin.clone()),
            ),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::diagnostics::Source;

    fn parsed(text: &str) -> (Vec<Arc<Rule>>, Vec<String>) {
        let source = Source::new("rules.yaml", text);
        let node = crate::shared::yaml::parse_document(&source).unwrap();
        let mut problems = Vec::new();
        let rules = parse(&node, &[], &mut problems);
        let shown = problems
            .iter()
            .map(|p| {
                let at = p
                    .origin
                    .as_ref()
                    .map_or(String::new(), |o| format!("{}:{} ", o.line, o.col));
                format!("{at}{}", p.message)
            })
            .collect();
        (rules, shown)
    }

    #[test]
    fn rules_compile_match_and_evaluate() {
        let (rules, problems) = parsed(
            "- name: two-replicas\n  match: {kinds: [Deployment], labels: {tier: web}}\n  expression: \"object.spec.replicas >= 2 && release.name == 'shop' && values.ha\"\n  message: web tiers run two replicas\n",
        );
        assert_eq!(problems, Vec::<String>::new());
        let rule = &rules[0];
        assert_eq!(rule.check.id, "two-replicas");
        assert_eq!(rule.check.why, "web tiers run two replicas");
        assert!(rule.matches(
            "Deployment",
            None,
            &serde_json::json!({"tier": "web", "app": "x"})
        ));
        assert!(!rule.matches("Deployment", None, &serde_json::json!({"tier": "db"})));
        assert!(!rule.matches("StatefulSet", None, &serde_json::json!({"tier": "web"})));
        let scope = scope(
            &serde_json::json!({"name": "shop"}),
            &serde_json::json!({"ha": true}),
        )
        .unwrap();
        assert_eq!(
            rule.passes(&scope, &serde_json::json!({"spec": {"replicas": 3}})),
            Ok(true)
        );
        assert_eq!(
            rule.passes(&scope, &serde_json::json!({"spec": {"replicas": 1}})),
            Ok(false)
        );
        let missing = rule
            .passes(&scope, &serde_json::json!({"spec": {}}))
            .unwrap_err();
        assert!(missing.contains("replicas"), "{missing}");
    }

    #[test]
    fn wrong_rules_are_refused_at_their_lines() {
        let (rules, problems) = parsed(
            "- name: broken\n  expression: \"object.spec.replicas >= \"\n- name: schema\n  expression: \"true\"\n- name: x\n  expresion: \"true\"\n  severity: loud\n",
        );
        assert!(rules.is_empty());
        assert!(
            problems[0].starts_with("2:40 the expression of rule `broken` is not valid CEL:"),
            "{problems:?}"
        );
        assert_eq!(
            problems[1],
            "3:9 rule `schema` has the name of a built-in check"
        );
        assert_eq!(problems[2], "6:3 unknown field `expresion` in `a rule`");
        assert_eq!(problems[3], "5:7 rule `x` needs an `expression`");
        assert_eq!(
            problems[4],
            "7:13 the severity of a rule must be `error`, `warning`, `info` or `off`, found `loud`"
        );
    }
}
