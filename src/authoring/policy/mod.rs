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

use std::collections::BTreeMap;

pub use catalog::{check, settings, Check, Settings, Severity};

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

/// The findings in `objects` (for Kubernetes `kube_version`) under
/// `settings` that are errors, or a summary of the warnings (`release`
/// names the release for messages).
pub fn enforce(
    settings: &Settings,
    objects: &[Object],
    kube_version: &semver::Version,
    release: &str,
) -> Result<Option<Diagnostic>, Diagnostics> {
    let report = run(objects, settings, kube_version);
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
    for finding in report.findings.iter().filter(|f| f.exempt.is_none()) {
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

/// Runs every check that `settings` leaves on over `objects`, rendered for
/// Kubernetes `kube_version`.
pub fn run(objects: &[Object], settings: &Settings, kube_version: &semver::Version) -> Report {
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
            match check(id) {
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
    let release = checks::Objects::new(objects, kube_version);
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
    for ((check, _, severity), found) in on.into_iter().zip(found) {
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
        let package = Settings([("image-digest".to_string(), Severity::Warning)].into());
        let release = Settings([("image-digest".to_string(), Severity::Error)].into());
        let both = package.with(&release);
        assert_eq!(both.0["image-digest"], Severity::Error);
        assert_ne!(both.digest(), package.digest());
        assert_eq!(Settings::default().digest(), Settings::default().digest());
        // Setting a check to its default changes nothing.
        let same = Settings([("image-tag".to_string(), Severity::Warning)].into());
        assert_eq!(same.digest(), Settings::default().digest());
    }
}
