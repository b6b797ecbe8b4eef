//! `cleat package`: a package directory in, its canonical archive out.

use crate::cli::PackageArgs;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

use super::Outcome;

pub fn run(args: PackageArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    if !args.package.is_dir() {
        let shown = args.package.display().to_string();
        return Err(
            Diagnostic::error(format!("`{shown}` is not a package directory"))
                .about(shown)
                .hint("`cleat package` archives a directory; an archive is already packaged")
                .into(),
        );
    }
    // A package whose templates do not pass the static check is not worth
    // publishing; checking needs its dependencies' schemas.
    let tree = super::open(&args.package)?;
    let package = &tree.package;
    let problems = crate::authoring::render::tree::check_tree(&tree).1;
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }
    let bytes = package.archive()?;
    let path = args.output.join(package.archive_name());
    let shown = path.display().to_string();
    crate::shared::files::write(&path, &bytes).map_err(|e| {
        Diagnostic::error(format!("cannot write `{shown}`: {e}"))
            .about(shown.clone())
            .hint("`-o DIR` must name an existing, writable directory")
    })?;
    let digest = crate::shared::digest::sha256(&bytes);
    super::write(out, &format!("{shown}\n{digest}\n"))?;
    Ok(Outcome::default())
}
