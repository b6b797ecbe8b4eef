//! Style checks of a package, beyond what rendering requires: warnings for
//! what users of the package will miss.

use crate::authoring::resolve::Tree;
use crate::authoring::values::{join, Kind, Schema};
use crate::shared::diagnostics::Diagnostic;

/// The style warnings of the root package of `tree`: schema fields without
/// a description, and a missing README.
pub fn warnings(tree: &Tree) -> Vec<Diagnostic> {
    let package = &tree.package;
    let mut warnings = Vec::new();
    if let (Some(schema), _) = crate::authoring::render::tree::check_tree(tree) {
        undocumented(&schema, "", &mut warnings);
    }
    if !package.files.contains_key("README.md") {
        warnings.push(
            Diagnostic::warning("the package has no README.md")
                .about(package.location.display().to_string())
                .hint("say what the package deploys and which values matter"),
        );
    }
    warnings
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
