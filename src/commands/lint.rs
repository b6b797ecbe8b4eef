//! `cleat lint`: every check `render` makes, plus style warnings and the
//! built-in checks of the objects (`authoring::policy`), all at once; for a
//! Helm chart, `.Values` references nothing declares.

use crate::authoring::object::Object;
use crate::authoring::policy::{self, Settings};
use crate::authoring::{lint, Input};
use crate::cli::{LintArgs, LintFormat};
use crate::shared::diagnostics::{counted, Diagnostic, Diagnostics};

use super::Outcome;

pub fn run(args: LintArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let package = match Input::open(&args.package)? {
        Input::Chart(chart) => {
            let kube_version = super::kube_version(&args.release)?;
            let (mut rendered, warnings) =
                super::chart::lint(&chart, &args.values, &args.release, &args.chart)?;
            let what = format!("{} {} (Helm chart)", chart.name(), chart.metadata.version);
            let settings = Settings::default().with(&super::policy_flags(&args.policy)?);
            let release = policy::Release {
                name: &rendered.release.name,
                namespace: &rendered.release.namespace,
                kube_version: &kube_version,
                values: &rendered.values,
            };
            return super::chart::with_objects(&mut rendered.manifests, |objects, _| {
                report(
                    &what,
                    objects,
                    &release,
                    &settings,
                    warnings,
                    args.output,
                    out,
                )
            });
        }
        Input::Package(package) => package,
    };
    super::chart::refuse_flags(&args.chart)?;
    let tree = super::resolve(package)?;
    let package = &tree.package;
    let warnings = lint::warnings(&tree);
    let files = super::value_files(&args.values)?;
    let release = super::release(&args.release, package)?;
    let (values, objects) =
        crate::authoring::render_objects(&tree, &files, &args.values.sets, &release).map_err(
            |mut errors| {
                errors.0.append(&mut warnings.clone());
                errors
            },
        )?;
    let what = format!("{} {}", package.manifest.name, package.manifest.version);
    let settings = package
        .manifest
        .policy
        .with(&super::policy_flags(&args.policy)?);
    let release = policy::Release {
        name: &release.name,
        namespace: &release.namespace,
        kube_version: &release.kube_version,
        values: &values,
    };
    report(
        &what,
        &objects,
        &release,
        &settings,
        warnings,
        args.output,
        out,
    )
}

/// The report on `what`: the built-in checks' findings in `objects` beside
/// `warnings`, a summary line, the exemptions; exit 1 on any error.
fn report(
    what: &str,
    objects: &[Object],
    release: &policy::Release,
    settings: &Settings,
    warnings: Vec<Diagnostic>,
    format: LintFormat,
    out: &mut dyn std::io::Write,
) -> Result<Outcome, Diagnostics> {
    let checked = policy::run(objects, settings, release);
    let mut diagnostics = warnings.clone();
    diagnostics.extend(checked.diagnostics(objects));
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let infos = diagnostics
        .iter()
        .filter(|d| d.severity == crate::shared::diagnostics::Severity::Info)
        .count();
    let warnings_count = diagnostics.len() - errors - infos;
    let exit_code = u8::from(errors > 0);
    let report = Report {
        objects,
        checked: &checked,
        others: warnings.iter().chain(&checked.problems).collect(),
    };
    let text = match format {
        LintFormat::Text => {
            let infos = match infos {
                0 => String::new(),
                n => format!(", {n} for information"),
            };
            let mut text = format!(
                "{what}: {} objects, {}, {}{infos}\n",
                objects.len(),
                counted(warnings_count, "warning"),
                match errors {
                    0 => "no errors".to_string(),
                    n => counted(n, "error"),
                }
            );
            for line in checked.exemptions(objects) {
                text.push_str(&format!("  exempt: {line}\n"));
            }
            super::write(out, &text)?;
            return Ok(Outcome {
                warnings: diagnostics,
                exit_code,
            });
        }
        LintFormat::Json => {
            let mut json = report.json();
            json.insert("subject".into(), what.into());
            json.insert("objects".into(), objects.len().into());
            json.insert("errors".into(), errors.into());
            json.insert("warnings".into(), warnings_count.into());
            serde_json::Value::Object(json)
        }
        LintFormat::Sarif => report.sarif(),
    };
    super::write(
        out,
        &(serde_json::to_string_pretty(&text).unwrap_or_default() + "\n"),
    )?;
    Ok(Outcome {
        warnings: Vec::new(),
        exit_code,
    })
}

/// A lint report for tools: the checks' findings, and the other
/// diagnostics (style warnings, wrong exemptions).
struct Report<'a> {
    objects: &'a [Object],
    checked: &'a policy::Report,
    others: Vec<&'a Diagnostic>,
}

/// Where a diagnostic points: its file, line and column, else its subject.
fn place(d: &Diagnostic) -> serde_json::Value {
    match &d.origin {
        Some(o) => serde_json::json!({"file": o.source.name, "line": o.line, "column": o.col}),
        None => serde_json::json!({"file": d.subject}),
    }
}

impl Report<'_> {
    /// cleat's own JSON: `findings` and `diagnostics`.
    fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        let findings: Vec<serde_json::Value> = self
            .checked
            .located(self.objects)
            .into_iter()
            .map(|(finding, diagnostic)| {
                let check = finding.check;
                serde_json::json!({
                    "check": check.id,
                    "group": check.group,
                    "severity": finding.severity.name(),
                    "object": self.objects.get(finding.found.object).map(Object::id),
                    "path": finding.found.pointer,
                    "at": place(&diagnostic),
                    "message": finding.found.message,
                    "why": check.why,
                    "fix": check.fix,
                    "exempt": finding.exempt,
                })
            })
            .collect();
        let others: Vec<serde_json::Value> = self
            .others
            .iter()
            .map(|d| {
                serde_json::json!({
                    "severity": if d.is_error() { "error" } else { "warning" },
                    "message": d.message,
                    "at": place(d),
                    "hints": d.hints,
                })
            })
            .collect();
        let mut json = serde_json::Map::new();
        json.insert("findings".into(), findings.into());
        json.insert("diagnostics".into(), others.into());
        json
    }

    /// SARIF 2.1.0, for code-scanning UIs: one rule per built-in check
    /// (and `lint` for the other diagnostics), one result per finding at its
    /// template line; an exempted finding is a result suppressed in source,
    /// with its reason.
    fn sarif(&self) -> serde_json::Value {
        let level = |severity: policy::Severity| match severity {
            policy::Severity::Error => "error",
            policy::Severity::Warning => "warning",
            policy::Severity::Info => "note",
            policy::Severity::Off => "none",
        };
        let mut rules: Vec<serde_json::Value> = policy::catalog::ALL
            .iter()
            .map(|check| {
                serde_json::json!({
                    "id": check.id,
                    "shortDescription": {"text": check.why},
                    "help": {"text": format!("{} (docs/policy.md)", check.fix)},
                    "defaultConfiguration": {"level": level(check.severity)},
                    "properties": {"tags": [check.group]},
                })
            })
            .collect();
        rules.push(serde_json::json!({
            "id": LINT_RULE,
            "shortDescription": {"text": "A problem of the package or chart itself, or of an exemption."},
        }));
        let location = |d: &Diagnostic| -> Vec<serde_json::Value> {
            let Some(o) = &d.origin else {
                return Vec::new();
            };
            vec![serde_json::json!({"physicalLocation": {
                "artifactLocation": {"uri": uri(&o.source.name)},
                "region": {"startLine": o.line.max(1), "startColumn": o.col.max(1)},
            }})]
        };
        let index = |id: &str| policy::catalog::ALL.iter().position(|c| c.id == id);
        let mut results: Vec<serde_json::Value> = self
            .checked
            .located(self.objects)
            .into_iter()
            .map(|(finding, diagnostic)| {
                let mut result = serde_json::json!({
                    "ruleId": finding.check.id,
                    "ruleIndex": index(finding.check.id),
                    "level": level(finding.severity),
                    "message": {"text": finding.found.message},
                    "locations": location(&diagnostic),
                });
                if let Some(reason) = &finding.exempt {
                    result["suppressions"] =
                        serde_json::json!([{"kind": "inSource", "justification": reason}]);
                }
                result
            })
            .collect();
        results.extend(self.others.iter().map(|d| {
            serde_json::json!({
                "ruleId": LINT_RULE,
                "ruleIndex": policy::catalog::ALL.len(),
                "level": if d.is_error() { "error" } else { "warning" },
                "message": {"text": d.message},
                "locations": location(d),
            })
        }));
        serde_json::json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "cleat",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }},
                "results": results,
            }],
        })
    }
}

/// The rule of diagnostics that are not findings of a check.
const LINT_RULE: &str = "lint";

/// A file name as a SARIF URI: relative names stay relative to the package
/// (or chart), absolute ones become `file://` URIs.
fn uri(name: &str) -> String {
    let escaped: String = name
        .chars()
        .map(|c| match c {
            ' ' => "%20".to_string(),
            '%' => "%25".to_string(),
            '#' => "%23".to_string(),
            c => c.to_string(),
        })
        .collect();
    if name.starts_with('/') {
        format!("file://{escaped}")
    } else {
        escaped
    }
}
