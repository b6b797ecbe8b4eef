//! `cleat lint`: every check `render` makes, plus style warnings, all at once.

use crate::cli::LintArgs;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::values::{join, Kind, Schema};

use super::Outcome;

pub fn run(args: LintArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let tree = super::open(&args.package)?;
    let package = &tree.package;
    let mut warnings = Vec::new();
    if let (Some(schema), _) = crate::render::tree::check_tree(&tree) {
        undocumented(&schema, "", &mut warnings);
    }
    if !package.files.contains_key("README.md") {
        warnings.push(
            Diagnostic::warning("the package has no README.md")
                .about(package.location.display().to_string())
                .hint("say what the package deploys and which values matter"),
        );
    }
    let files = super::value_files(&args.values)?;
    let release = super::release(&args.release, package)?;
    let (_, objects) = crate::render_objects(&tree, &files, &args.values.sets, &release).map_err(
        |mut errors| {
            errors.0.append(&mut warnings.clone());
            errors
        },
    )?;
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

/// Every schema field without a `description`: values files and `cleat schema`
/// show descriptions to users, so each field needs one line.
fn undocumented(schema: &Schema, path: &str, warnings: &mut Vec<Diagnostic>) {
    if let Kind::Object { properties, .. } = &schema.kind {
        for (name, child) in properties {
            let child_path = join(path, name);
            if child.description.is_none() {
                warnings.push(
                    Diagnostic::warning(format!("`{child_path}` has no `description`"))
                        .at(child.origin.clone())
                        .hint("add one line that says what the value does"),
                );
            }
            undocumented(child, &child_path, warnings);
        }
    }
}
