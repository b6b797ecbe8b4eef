//! Policy: cleat's built-in checks of rendered objects, what operators
//! learn the hard way (pin, limit, harden, keep available), each with an
//! id, a default severity, why it matters and the fix. Severities may be
//! changed per check ([`Settings`]); an object is exempted from a check by
//! an annotation that must say why (`cleat.dev/exempt-CHECK: "reason"`).
//! The checks read only the objects, so they run wherever objects are
//! rendered; a finding points at the template line of its field.

pub mod catalog;
pub mod checks;
pub mod kubernetes;
pub mod rules;
pub mod settings;

use std::collections::BTreeMap;

pub use catalog::{check, Check, Severity};
pub use settings::{settings, Settings};

use crate::authoring::object::{Locator, Object};
use crate::shared::diagnostics::{counted, Diagnostic, Diagnostics};

/// Objects from which the checks run side by side.
const PARALLEL_OBJECTS: usize = 500;

/// The prefix of the annotation that exempts an object from a check.
pub const EXEMPT_ANNOTATION: &str = "cleat.dev/exempt-";

/// What a check found: an object (its index), the JSON pointer of the
/// field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub object: usize,
    pub pointer: String,
    pub message: String,
}

/// A finding with its check and severity, or the reason it is exempted.
pub struct Finding {
    pub check: &'static Check,
    pub severity: Severity,
    pub found: Found,
    /// The reason the object's exemption gives, when it has one.
    pub exempt: Option<String>,
}

/// The release whose objects are checked: what the schemas and the rules
/// read besides the objects.
pub struct Release<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    /// The Kubernetes version the objects are for.
    pub kube_version: &'a semver::Version,
    /// The release's values, as rules see them (`values`).
    pub values: &'a serde_json::Value,
}

/// The findings in `objects` of `release` under `settings` that are
/// errors, or a summary of the warnings.
pub fn enforce(
    settings: &Settings,
    objects: &[Object],
    release: &Release,
) -> Result<Option<Diagnostic>, Diagnostics> {
    let report = run(objects, settings, release);
    let release = release.name;
    if report.has_errors() {
        let mut errors: Vec<Diagnostic> = report
            .diagnostics(objects)
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect();
        errors.push(
            Diagnostic::error(format!(
                "release `{release}`: cleat's built-in checks found {} in its objects",
                counted(errors.len(), "error")
            ))
            .hint("fix them, exempt an object with `cleat.dev/exempt-CHECK: \"why\"`, or set the check's severity in `policy:` of the release file (docs/policy.md)"),
        );
        return Err(Diagnostics(errors));
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let warning = |f: &&Finding| f.exempt.is_none() && f.severity == Severity::Warning;
    for finding in report.findings.iter().filter(warning) {
        *counts.entry(finding.check.id).or_default() += 1;
    }
    if counts.is_empty() {
        return Ok(None);
    }
    let total: usize = counts.values().sum();
    let listed: Vec<String> = counts.iter().map(|(id, n)| format!("{id} ({n})")).collect();
    Ok(Some(
        Diagnostic::warning(format!(
            "release `{release}`: cleat's built-in checks found {}: {}",
            counted(total, "warning"),
            listed.join(", ")
        ))
        .hint("`cleat lint` on the package shows each at its template line; `policy:` in the release file sets a check's severity (docs/policy.md)"),
    ))
}

/// What checking the objects found.
#[derive(Default)]
pub struct Report {
    /// Findings of every check that is not off, exempted ones included.
    pub findings: Vec<Finding>,
    /// Exemptions that are themselves wrong (no reason, no such check).
    pub problems: Vec<Diagnostic>,
}

/// Runs every check and rule that `settings` leaves on over the objects of
/// `release`.
pub fn run(objects: &[Object], settings: &Settings, release: &Release) -> Report {
    let mut report = Report::default();
    // Exemptions by object: check id → reason.
    let mut exempt: Vec<BTreeMap<&str, String>> = Vec::with_capacity(objects.len());
    for object in objects {
        let mut mine = BTreeMap::new();
        let annotations = object.body["metadata"]["annotations"].as_object();
        for (key, value) in annotations.into_iter().flatten() {
            let Some(id) = key.strip_prefix(EXEMPT_ANNOTATION) else {
                continue;
            };
            let pointer = format!("/metadata/annotations/{}", key.replace('/', "~1"));
            let reason = value.as_str().unwrap_or_default().trim();
            match settings.check(id) {
                Err(message) => report.problems.push(
                    object.diagnostic_at(
                        Diagnostic::error(format!("`{key}` exempts from no check: {message}")),
                        &pointer,
                    ),
                ),
                Ok(_) if reason.is_empty() => report.problems.push(
                    object.diagnostic_at(
                        Diagnostic::error(format!("`{key}` gives no reason"))
                            .hint("say why the object is exempt, as `cleat.dev/exempt-CHECK: \"the reason\"`: the report lists it"),
                        &pointer,
                    ),
                ),
                Ok(check) => {
                    mine.insert(check.id, reason.to_string());
                }
            }
        }
        exempt.push(mine);
    }
    let target = release;
    let release = checks::Objects::new(objects, release.kube_version);
    let on: Vec<(&'static Check, checks::Run, Severity)> = checks::ALL
        .iter()
        .map(|&(c, run)| (c, run, settings.severity(c)))
        .filter(|(_, _, severity)| *severity != Severity::Off)
        .collect();
    let run = |(_, run, _): &(&'static Check, checks::Run, Severity)| run(&release);
    // The checks are independent: a large release runs them on every core.
    let found = if objects.len() < PARALLEL_OBJECTS {
        on.iter().map(run).collect()
    } else {
        crate::shared::parallel::map(&on, run)
    };
    let mut found: Vec<(&'static Check, Severity, Vec<Found>)> = on
        .into_iter()
        .zip(found)
        .map(|((check, _, severity), found)| (check, severity, found))
        .collect();
    found.extend(run_rules(objects, settings, target));
    for (check, severity, found) in found {
        for found in found {
            let exempt = exempt
                .get(found.object)
                .and_then(|e| e.get(check.id))
                .cloned();
            report.findings.push(Finding {
                check,
                severity,
                found,
                exempt,
            });
        }
    }
    report
}

/// The findings of each rule `settings` leaves on, and of each that
/// cannot be evaluated (under the rule, as errors).
fn run_rules(
    objects: &[Object],
    settings: &Settings,
    release: &Release,
) -> Vec<(&'static Check, Severity, Vec<Found>)> {
    let on: Vec<(&rules::Rule, Severity)> = settings
        .rules
        .iter()
        .map(|r| (r.as_ref(), settings.severity(r.check)))
        .filter(|(_, severity)| *severity != Severity::Off)
        .collect();
    if on.is_empty() {
        return Vec::new();
    }
    let about = serde_json::json!({"name": release.name, "namespace": release.namespace});
    let scope = match rules::scope(&about, release.values) {
        Ok(scope) => scope,
        Err(error) => {
            let found = Found {
                object: usize::MAX,
                pointer: String::new(),
                message: format!("the release's values cannot be given to rules: {error}"),
            };
            return vec![(on[0].0.check, Severity::Error, vec![found])];
        }
    };
    let mut all = Vec::new();
    for (rule, severity) in on {
        let (mut failed, mut broken) = (Vec::new(), Vec::new());
        for (index, object) in objects.iter().enumerate() {
            let namespace = object.namespace.as_deref().or(Some(release.namespace));
            let labels = &object.body["metadata"]["labels"];
            if !rule.matches(&object.kind, namespace, labels) {
                continue;
            }
            match rule.passes(&scope, &object.body) {
                Ok(true) => {}
                Ok(false) => failed.push(Found {
                    object: index,
                    pointer: String::new(),
                    message: format!("{}: {}", object.id(), rule.check.why),
                }),
                Err(error) => broken.push(Found {
                    object: index,
                    pointer: String::new(),
                    message: format!(
                        "{}: the expression `{}` cannot be evaluated: {error}",
                        object.id(),
                        rule.expression
                    ),
                }),
            }
        }
        all.push((rule.check, severity, failed));
        if !broken.is_empty() {
            all.push((rule.check, Severity::Error, broken));
        }
    }
    all
}

impl Report {
    /// The findings not exempted, as diagnostics at their template lines,
    /// then the problems of the exemptions.
    pub fn diagnostics(&self, objects: &[Object]) -> Vec<Diagnostic> {
        let mut found: Vec<Diagnostic> = self
            .located(objects)
            .into_iter()
            .filter(|(f, _)| f.exempt.is_none())
            .map(|(_, d)| d)
            .collect();
        found.extend(self.problems.iter().cloned());
        found
    }

    /// Every finding, exempted ones too, with its diagnostic at its
    /// template line.
    pub fn located(&self, objects: &[Object]) -> Vec<(&Finding, Diagnostic)> {
        let mut locator = Locator::default();
        self.findings
            .iter()
            .map(|f| (f, finding_diagnostic(f, objects, &mut locator)))
            .collect()
    }

    /// The exemptions, a line each: `CHECK on OBJECT: REASON`.
    pub fn exemptions(&self, objects: &[Object]) -> Vec<String> {
        let mut lines: Vec<String> = self
            .findings
            .iter()
            .filter_map(|f| {
                let reason = f.exempt.as_ref()?;
                let object = objects.get(f.found.object)?;
                Some(format!("{} on {}: {reason}", f.check.id, object.id()))
            })
            .collect();
        lines.dedup();
        lines
    }

    /// Whether a finding that is not exempted, or an exemption, is an error.
    pub fn has_errors(&self) -> bool {
        !self.problems.is_empty()
            || self
                .findings
                .iter()
                .any(|f| f.exempt.is_none() && f.severity == Severity::Error)
    }
}

fn finding_diagnostic(finding: &Finding, objects: &[Object], locator: &mut Locator) -> Diagnostic {
    let check = finding.check;
    let message = format!("{} [{}]: {}", check.id, check.group, finding.found.message);
    let diagnostic = match finding.severity {
        Severity::Error => Diagnostic::error(message),
        Severity::Info => Diagnostic::info(message),
        _ => Diagnostic::warning(message),
    }
    .hint(format!("{} {}", check.why, check.fix))
    .hint(format!(
        "if the object must be as it is, annotate it `{EXEMPT_ANNOTATION}{}: \"why\"`",
        check.id
    ));
    match objects.get(finding.found.object) {
        Some(object) => locator.diagnostic_at(object, diagnostic, &finding.found.pointer),
        None => diagnostic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_of_the_catalog_runs_in_its_order() {
        let catalog: Vec<&str> = catalog::ALL.iter().map(|c| c.id).collect();
        let run: Vec<&str> = checks::ALL.iter().map(|(c, _)| c.id).collect();
        assert_eq!(run, catalog);
    }

    #[test]
    fn docs_list_every_check_with_its_group_and_default() {
        let docs = include_str!("../../../docs/policy.md");
        for check in catalog::ALL {
            let row = format!(
                "| `{}` | {} | {} | {} | {} |",
                check.id,
                check.group,
                check.severity.name(),
                check.why,
                check.fix
            );
            assert!(docs.contains(&row), "docs/policy.md lacks: {row}");
        }
    }

    #[test]
    fn severities_layer_and_the_digest_follows_them() {
        let severities = |id: &str, severity| Settings {
            severities: [(id.to_string(), severity)].into(),
            rules: Vec::new(),
        };
        let package = severities("image-digest", Severity::Warning);
        let release = severities("image-digest", Severity::Error);
        let both = package.with(&release);
        assert_eq!(both.severities["image-digest"], Severity::Error);
        assert_ne!(both.digest(), package.digest());
        assert_eq!(Settings::default().digest(), Settings::default().digest());
        // Setting a check to its default changes nothing.
        let same = severities("image-tag", Severity::Warning);
        assert_eq!(same.digest(), Settings::default().digest());
    }
}
