//! `cleat render`: a package or Helm chart and values in, Kubernetes YAML or
//! JSON out, once its objects pass the schema checks.

use crate::authoring::object::{self, Object};
use crate::authoring::policy::{self, Settings};
use crate::authoring::Input;
use crate::cli::{OutputFormat, RenderArgs};
use crate::shared::diagnostics::Diagnostics;
use crate::shared::parallel;

use super::Outcome;

/// The group of checks `render` runs by default: objects the API server
/// refuses (the others are for `lint`, `lock` and `apply`).
const VALIDATE: &str = "validate";

pub fn run(args: RenderArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let flags = super::policy_flags(&args.policy)?;
    let package = match Input::open(&args.package)? {
        Input::Chart(chart) => {
            // Only what is printed is read: the chart's CRDs (which define its
            // custom kinds) with `--include-crds`, as `helm template` reads them.
            let kube_version = super::kube_version(&args.release)?;
            let mut rendered =
                super::chart::render(&chart, &args.values, &args.release, &args.chart)?;
            let mut warnings = std::mem::take(&mut rendered.manifests.warnings);
            let release = policy::Release {
                name: &rendered.release.name,
                namespace: &rendered.release.namespace,
                kube_version: &kube_version,
                values: &rendered.values,
            };
            let settings = Settings::default().only(VALIDATE).with(&flags);
            // Printed beside the checks; shown only when they pass.
            let (checked, text) =
                super::chart::with_objects(&mut rendered.manifests, |objects, hooks| {
                    parallel::join_if(
                        parallel::worth_threads(objects.iter().map(Object::rendered_len)),
                        || policy::enforce(&settings, objects, &release),
                        || super::chart::print(objects, hooks, args.output),
                    )
                });
            warnings.extend(checked?);
            super::write(out, &text)?;
            return Ok(Outcome {
                warnings,
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
    let (values, objects) =
        crate::authoring::render_objects(&tree, &files, &args.values.sets, &release)?;
    let settings = package.manifest.policy.only(VALIDATE).with(&flags);
    let checked = policy::Release {
        name: &release.name,
        namespace: &release.namespace,
        kube_version: &release.kube_version,
        values: &values,
    };
    let warnings = policy::enforce(&settings, &objects, &checked)?;
    let text = match args.output {
        OutputFormat::Yaml => object::to_yaml_stream(&objects),
        OutputFormat::Json => object::to_json_list(&objects),
    };
    super::write(out, &text)?;
    Ok(Outcome {
        warnings: warnings.into_iter().collect(),
        ..Outcome::default()
    })
}
