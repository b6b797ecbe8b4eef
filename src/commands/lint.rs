//! `cleat lint`: every check `render` makes, plus style warnings and the
//! built-in checks of the objects (`authoring::policy`), all at once; for a
//! Helm chart, `.Values` references nothing declares.

use crate::authoring::object::Object;
use crate::authoring::policy::{self, Settings};
use crate::authoring::{lint, Input};
use crate::cli::{LintArgs, ReportFormat};
use crate::shared::diagnostics::{counted, Diagnostic, Diagnostics};

use super::Outcome;

pub fn run(args: LintArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let package = match Input::open(&args.package)? {
        Input::Chart(chart) => {
            let (objects, warnings) =
                super::chart::lint(&chart, &args.values, &args.release, &args.chart)?;
            let what = format!("{} {} (Helm chart)", chart.name(), chart.metadata.version);
            let kube_version = super::kube_version(&args.release)?;
            return report(
                &what,
                &objects,
                &kube_version,
                &Settings::default(),
                warnings,
                args.output,
                out,
            );
        }
        Input::Package(package) => package,
    };
    super::chart::refuse_flags(&args.chart)?;
    let tree = super::resolve(package)?;
    let package = &tree.package;
    let warnings = lint::warnings(&tree);
    let files = super::value_files(&args.values)?;
    let release = super::release(&args.release, package)?;
    let (_, objects) = crate::authoring::render_objects(&tree, &files, &args.values.sets, &release)
        .map_err(|mut errors| {
            errors.0.append(&mut warnings.clone());
            errors
        })?;
    let what = format!("{} {}", package.manifest.name, package.manifest.version);
    report(
        &what,
        &objects,
        &release.kube_version,
        &package.manifest.policy,
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
    kube_version: &semver::Version,
    settings: &Settings,
    warnings: Vec<Diagnostic>,
    format: ReportFormat,
    out: &mut dyn std::io::Write,
) -> Result<Outcome, Diagnostics> {
    let checked = policy::run(objects, settings, kube_version);
    let mut diagnostics = warnings.clone();
    diagnostics.extend(checked.diagnostics(objects));
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let exit_code = u8::from(errors > 0);
    let exempted = checked.exemptions(objects);
    match format {
        ReportFormat::Text => {
            let mut text = format!(
                "{what}: {} objects, {}, {}\n",
                objects.len(),
                counted(diagnostics.len() - errors, "warning"),
                match errors {
                    0 => "no errors".to_string(),
                    n => counted(n, "error"),
                }
            );
            for line in &exempted {
                text.push_str(&format!("  exempt: {line}\n"));
            }
            super::write(out, &text)?;
            Ok(Outcome {
                warnings: diagnostics,
                exit_code,
            })
        }
        ReportFormat::Json => {
            let place = |d: &Diagnostic| match &d.origin {
                Some(o) => {
                    serde_json::json!({"file": o.source.name, "line": o.line, "column": o.col})
                }
                None => serde_json::json!({"file": d.subject}),
            };
            let findings: Vec<serde_json::Value> = checked
                .located(objects)
                .into_iter()
                .map(|(finding, diagnostic)| {
                    let check = finding.check;
                    serde_json::json!({
                        "check": check.id,
                        "group": check.group,
                        "severity": finding.severity.name(),
                        "object": objects.get(finding.found.object).map(Object::id),
                        "path": finding.found.pointer,
                        "at": place(&diagnostic),
                        "message": finding.found.message,
                        "why": check.why,
                        "fix": check.fix,
                        "exempt": finding.exempt,
                    })
                })
                .collect();
            let others: Vec<serde_json::Value> = warnings
                .iter()
                .chain(&checked.problems)
                .map(|d| {
                    serde_json::json!({
                        "severity": if d.is_error() { "error" } else { "warning" },
                        "message": d.message,
                        "at": place(d),
                        "hints": d.hints,
                    })
                })
                .collect();
            let report = serde_json::json!({
                "subject": what,
                "objects": objects.len(),
                "errors": errors,
                "warnings": diagnostics.len() - errors,
                "findings": findings,
                "diagnostics": others,
            });
            super::write(
                out,
                &(serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"),
            )?;
            Ok(Outcome {
                warnings: Vec::new(),
                exit_code,
            })
        }
    }
}
