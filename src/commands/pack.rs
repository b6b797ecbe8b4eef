//! `cleat package`: a package directory in, its canonical archive out.

use crate::cli::PackageArgs;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::package::Package;
use crate::values::Schema;

use super::Outcome;

pub fn run(args: PackageArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let package = Package::load(&args.package)?;
    // A package that cannot render for anyone is not worth publishing.
    let schema = Schema::parse(&package.schema).map_err(Diagnostics)?;
    let problems = crate::render::check::check(&package, &schema);
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }
    let bytes = package.archive()?;
    let path = args.output.join(package.archive_name());
    let shown = path.display().to_string();
    crate::atomic::write(&path, &bytes).map_err(|e| {
        Diagnostic::error(format!("cannot write `{shown}`: {e}"))
            .about(shown.clone())
            .hint("`-o DIR` must name an existing, writable directory")
    })?;
    let digest = crate::digest::sha256(&bytes);
    super::write(out, &format!("{shown}\n{digest}\n"))?;
    Ok(Outcome::default())
}
