//! `cleat new`: scaffolds a small, working package that passes `cleat lint`.

use std::fs;
use std::path::Path;

use crate::cli::NewArgs;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};
use crate::shared::yaml::fields::is_dns_label;

use super::Outcome;

/// The scaffold's files; `NAME` is replaced by the package name.
const FILES: [(&str, &str); 8] = [
    ("package.yaml", include_str!("scaffold/package.yaml")),
    (
        "values.schema.yaml",
        include_str!("scaffold/values.schema.yaml"),
    ),
    ("README.md", include_str!("scaffold/README.md")),
    (
        "templates/_helpers.yaml",
        include_str!("scaffold/templates/_helpers.yaml"),
    ),
    (
        "templates/deployment.yaml",
        include_str!("scaffold/templates/deployment.yaml"),
    ),
    (
        "templates/disruptionbudget.yaml",
        include_str!("scaffold/templates/disruptionbudget.yaml"),
    ),
    (
        "templates/service.yaml",
        include_str!("scaffold/templates/service.yaml"),
    ),
    (
        "templates/serviceaccount.yaml",
        include_str!("scaffold/templates/serviceaccount.yaml"),
    ),
];

pub fn run(args: NewArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    if !is_dns_label(&args.name) {
        return Err(Diagnostic::error(format!("`{}` is not a valid package name", args.name))
            .hint("use lowercase letters, digits and `-`, at most 63 characters, starting with a letter")
            .into());
    }
    let root = args.dir.join(&args.name);
    let shown = root.display().to_string();
    if root.exists() {
        return Err(Diagnostic::error(format!("`{shown}` already exists"))
            .hint("choose another name or remove the directory")
            .into());
    }
    for (name, text) in FILES {
        let path = root.join(name);
        write_file(&path, &text.replace("NAME", &args.name))?;
    }
    super::write(
        out,
        &format!(
            "created package `{}` in `{shown}`\nnext: cleat lint {shown}\n",
            args.name
        ),
    )?;
    Ok(Outcome::default())
}

fn write_file(path: &Path, text: &str) -> Result<(), Diagnostic> {
    let shown = path.display().to_string();
    let error = |e: std::io::Error| {
        Diagnostic::error(format!("cannot write `{shown}`: {e}")).about(shown.clone())
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(error)?;
    }
    fs::write(path, text).map_err(error)
}
