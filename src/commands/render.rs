//! `cleat render`: a package or Helm chart and values in, Kubernetes YAML or JSON out.

use crate::authoring::{object, Input};
use crate::cli::{OutputFormat, RenderArgs};
use crate::shared::diagnostics::Diagnostics;

use super::Outcome;

pub fn run(args: RenderArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let package = match Input::open(&args.package)? {
        Input::Chart(chart) => {
            let mut manifests =
                super::chart::render(&chart, &args.values, &args.release, &args.chart)?;
            super::write(out, &super::chart::print(&manifests, args.output))?;
            return Ok(Outcome {
                warnings: std::mem::take(&mut manifests.warnings),
                ..Outcome::default()
            });
        }
        Input::Package(package) => package,
    };
    super::chart::refuse_flags(&args.chart)?;
    let tree = super::resolve(package)?;
    let package = &tree.package;
    let files = super::value_files(&args.values)?;
    let release = super::release(&args.release, package)?;
    let (_, objects) =
        crate::authoring::render_objects(&tree, &files, &args.values.sets, &release)?;
    let text = match args.output {
        OutputFormat::Yaml => object::to_yaml_stream(&objects),
        OutputFormat::Json => object::to_json_list(&objects),
    };
    super::write(out, &text)?;
    Ok(Outcome::default())
}
