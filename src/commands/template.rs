//! `cleat template`: one release of the release file rendered, checked
//! against the lockfile with `--locked`. Offline, as `helm template`: a
//! chart's lookups find nothing, or what the lockfile records.

use crate::authoring::object;
use crate::cli::{OutputFormat, TemplateArgs};
use crate::release::select::select;
use crate::shared::diagnostics::Diagnostics;

use super::Outcome;

pub fn run(args: TemplateArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let prepared = select(
        std::slice::from_ref(&args.release),
        &super::source(&args.source),
    )?;
    let mut objects = Vec::new();
    let mut warnings = Vec::new();
    for release in prepared {
        if let Some(problem) = release.offline_problem() {
            return Err(problem.into());
        }
        objects.extend(release.objects);
        warnings.extend(release.warnings);
    }
    let text = match args.output {
        OutputFormat::Yaml => object::to_yaml_stream(&objects),
        OutputFormat::Json => object::to_json_list(&objects),
    };
    super::write(out, &text)?;
    Ok(Outcome {
        warnings,
        ..Outcome::default()
    })
}
