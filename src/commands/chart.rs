//! Helm charts on the command line: the chart, Helm's values flags and the
//! release turned into rendered manifests, and those printed as `helm
//! template` prints them (CRDs with `--include-crds`, then objects, then
//! hooks, each under `# Source:`).

use std::path::Path;

use crate::authoring::chart::engine::Release;
use crate::authoring::chart::manifests::{Hook, Manifests};
use crate::authoring::chart::values::Typing;
use crate::authoring::chart::{self, Chart};
use crate::authoring::object::Object;
use crate::authoring::package;
use crate::cli::{ChartArgs, OutputFormat, ReleaseArgs, ValuesArgs};
use crate::shared::diagnostics::{Diagnostic, Diagnostics};
use crate::shared::yaml;

/// Loads and renders the chart at `path`.
pub fn render(
    path: &Path,
    values: &ValuesArgs,
    release: &ReleaseArgs,
    args: &ChartArgs,
) -> Result<Manifests, Diagnostics> {
    let chart = Chart::open(path)?;
    let mut files = Vec::new();
    for file in &values.files {
        let name = file.display().to_string();
        files.push(package::read_file(file).and_then(|bytes| package::source(&name, &bytes))?);
    }
    // Helm's order: JSON, then --set, --set-string, --set-file, --set-literal.
    let mut sets: Vec<(Typing, String)> = Vec::new();
    sets.extend(args.set_json.iter().map(|s| (Typing::Json, s.clone())));
    sets.extend(values.sets.iter().map(|s| (Typing::Inferred, s.clone())));
    sets.extend(args.set_string.iter().map(|s| (Typing::String, s.clone())));
    for set in &args.set_file {
        let Some((key, file)) = set.split_once('=') else {
            return Err(Diagnostic::error(format!("`--set-file {set}` has no file"))
                .hint("write `--set-file PATH=FILE`")
                .into());
        };
        let bytes = package::read_file(Path::new(file))?;
        let text = package::source(file, &bytes)?;
        sets.push((Typing::Literal, format!("{key}={}", text.text)));
    }
    sets.extend(
        args.set_literal
            .iter()
            .map(|s| (Typing::Literal, s.clone())),
    );
    let user = chart::user_values(&files, &sets)?;
    let release = Release {
        name: release
            .release
            .clone()
            .unwrap_or_else(|| chart.name().to_string()),
        namespace: release.namespace.clone(),
        revision: 1,
        is_upgrade: false,
        kube_version: release.kube_version.clone(),
        api_versions: args.api_versions.clone(),
    };
    let mut manifests = chart::render(&chart, user, &release)?;
    if !args.include_crds {
        manifests.crds.clear();
    }
    if args.no_hooks {
        manifests.hooks.clear();
    }
    if args.skip_tests {
        manifests.hooks.retain(|h| !h.is_test());
    }
    if !args.show_only.is_empty() {
        let shown = |object: &Object| {
            args.show_only.iter().any(|wanted| {
                let wanted = wanted.trim_start_matches("./");
                object.source == wanted || object.source.ends_with(&format!("/{wanted}"))
            })
        };
        manifests.crds.retain(shown);
        manifests.objects.retain(shown);
        manifests.hooks.retain(|h| shown(&h.object));
        if manifests.crds.is_empty() && manifests.objects.is_empty() && manifests.hooks.is_empty() {
            return Err(Diagnostic::error(format!(
                "no objects come from {} in chart `{}`",
                args.show_only.join(", "),
                chart.name()
            ))
            .hint("name a template as `templates/x.yaml`, or a subchart's as `charts/sub/templates/x.yaml`")
            .into());
        }
    }
    Ok(manifests)
}

/// Refuses Helm's flags for what is not a chart.
pub fn refuse_flags(args: &ChartArgs) -> Result<(), Diagnostic> {
    let used = [
        ("--set-string", !args.set_string.is_empty()),
        ("--set-json", !args.set_json.is_empty()),
        ("--set-file", !args.set_file.is_empty()),
        ("--set-literal", !args.set_literal.is_empty()),
        ("--api-versions", !args.api_versions.is_empty()),
        ("--include-crds", args.include_crds),
        ("--skip-tests", args.skip_tests),
        ("--no-hooks", args.no_hooks),
        ("--show-only", !args.show_only.is_empty()),
    ];
    match used.iter().find(|(_, on)| *on) {
        Some((flag, _)) => Err(
            Diagnostic::error(format!("`{flag}` is for Helm charts")).hint(
                "a cleat package types `--set` values by its schema and always renders its CRDs",
            ),
        ),
        None => Ok(()),
    }
}

/// The manifests as text in `format`.
pub fn print(manifests: &Manifests, format: OutputFormat) -> String {
    match format {
        OutputFormat::Json => {
            let items: Vec<&serde_json::Value> = manifests
                .crds
                .iter()
                .chain(&manifests.objects)
                .chain(manifests.hooks.iter().map(|h| &h.object))
                .map(|o| &o.body)
                .collect();
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
            let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
            text.push('\n');
            text
        }
        OutputFormat::Yaml => {
            let mut out = String::new();
            for object in manifests.crds.iter().chain(&manifests.objects) {
                document(&mut out, object, None);
            }
            for hook in &manifests.hooks {
                document(&mut out, &hook.object, Some(hook));
            }
            out
        }
    }
}

fn document(out: &mut String, object: &Object, hook: Option<&Hook>) {
    out.push_str("---\n# Source: ");
    out.push_str(&object.source);
    out.push('\n');
    if let Some(hook) = hook {
        out.push_str(&format!(
            "# Hook: {} (weight {})\n",
            hook.events.join(","),
            hook.weight
        ));
    }
    yaml::write_document(out, &object.body);
}
