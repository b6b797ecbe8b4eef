//! `cleat lint`: every check `render` makes, plus style warnings, all at
//! once; for a Helm chart, `.Values` references nothing declares.

use crate::authoring::{lint, Input};
use crate::cli::LintArgs;
use crate::shared::diagnostics::Diagnostics;

use super::Outcome;

pub fn run(args: LintArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let package = match Input::open(&args.package)? {
        Input::Chart(chart) => {
            return super::chart::lint(&chart, &args.values, &args.release, &args.chart, out)
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
    let summary = format!(
        "{} {}: {} objects, {} warnings, no errors\n",
        package.manifest.name,
        package.manifest.version,
        objects.len(),
        warnings.len()
    );
    super::write(out, &summary)?;
    Ok(Outcome {
        warnings,
        ..Outcome::default()
    })
}
