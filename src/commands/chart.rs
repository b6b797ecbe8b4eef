//! Helm charts on the command line: the chart, Helm's values flags and the
//! release turned into rendered manifests, and those printed as `helm
//! template` prints them (CRDs with `--include-crds`, then objects, then
//! hooks, each under `# Source:`).

use crate::authoring::chart::engine::{RandomKey, Release};
use crate::authoring::chart::manifests::{Hook, Manifests};
use crate::authoring::chart::values::Typing;
use crate::authoring::chart::{self, Chart};
use crate::authoring::object::{self, Object};
use crate::cli::{ChartArgs, OutputFormat, ReleaseArgs, ValuesArgs};
use crate::release::file::SecretFrom;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};
use crate::shared::parallel;

/// A chart rendered for the command line: its manifests, the values they
/// were rendered with, and the release.
pub struct Rendered {
    pub manifests: Manifests,
    pub values: serde_json::Value,
    pub release: Release,
}

/// Renders `chart` with the values and release of the command line.
pub fn render(
    chart: &Chart,
    values: &ValuesArgs,
    release: &ReleaseArgs,
    args: &ChartArgs,
) -> Result<Rendered, Diagnostics> {
    let files = super::text_files(&values.files)?;
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
        for text in super::text_files(&[file.into()])? {
            sets.push((Typing::Literal, format!("{key}={}", text.text)));
        }
    }
    sets.extend(
        args.set_literal
            .iter()
            .map(|s| (Typing::Literal, s.clone())),
    );
    let user = chart::user_values(&files, &sets)?;
    let name = release
        .release
        .clone()
        .unwrap_or_else(|| chart.name().to_string());
    if !is_release_name(&name) {
        return Err(Diagnostic::error(format!(
            "`{name}` is not a valid Helm release name"
        ))
        .hint("use lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit, at most 53 characters (Helm's rule); pass `--release NAME`")
        .into());
    }
    super::check_name("--namespace", &release.namespace, "namespace")?;
    let release = Release {
        name,
        namespace: release.namespace.clone(),
        revision: 1,
        is_upgrade: false,
        kube_version: release.kube_version.clone(),
        api_versions: args.api_versions.clone(),
        time: crate::release::prepare::chart::source_date_epoch()?,
        random_key: random_key(args.random_key.as_deref())?,
        // Offline, as `helm template`: every lookup finds nothing.
        lookups: Default::default(),
    };
    let computed = chart::Computed::unchecked(chart, user, chart::Given::User)?;
    // The schemas are checked beside the render, whose output is dropped
    // when they fail: compiling the metaschemas a JSON Schema is checked
    // against costs as much as rendering a small chart.
    let (problems, rendered) = parallel::join_if(
        computed.chart.has_schema(),
        || computed.check(),
        || chart::render_computed(&computed, &release, args.include_crds),
    );
    Diagnostics::check(problems, ())?;
    let mut manifests = rendered?;
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
    Ok(Rendered {
        manifests,
        values: computed.values,
        release,
    })
}

/// `cleat lint CHART`: the chart rendered as `render` would, its CRDs
/// included (every error at once), then the warnings of [`chart::lint`];
/// a summary line.
pub fn lint(
    chart: &Chart,
    values: &ValuesArgs,
    release: &ReleaseArgs,
    args: &ChartArgs,
) -> Result<(Rendered, Vec<Diagnostic>), Diagnostics> {
    let mut warnings = chart::lint::undeclared_values(chart);
    // The chart's CRDs are checked too, and define the kinds of its objects.
    let args = ChartArgs {
        include_crds: true,
        ..args.clone()
    };
    let rendered = render(chart, values, release, &args).map_err(|mut errors| {
        errors.0.extend(warnings.iter().cloned());
        errors
    })?;
    warnings.extend(rendered.manifests.warnings.iter().cloned());
    Ok((rendered, warnings))
}

/// `f` of every object the chart renders, to be checked and printed: its
/// CRDs, objects and hooks in one slice, in the order [`print`] prints them
/// (the CRDs and objects moved into it and back, not copied: a chart's
/// dashboards and CRDs run to megabytes), and the hooks, whose objects
/// end the slice.
pub fn with_objects<R>(manifests: &mut Manifests, f: impl FnOnce(&[Object], &[Hook]) -> R) -> R {
    let crds = manifests.crds.len();
    let mut all = std::mem::take(&mut manifests.crds);
    all.append(&mut manifests.objects);
    let kept = all.len();
    all.extend(manifests.hooks.iter().map(|h| h.object.clone()));
    let result = f(&all, &manifests.hooks);
    all.truncate(kept);
    manifests.objects = all.split_off(crds);
    manifests.crds = all;
    result
}

/// Refuses Helm's flags for what is not a chart.
pub fn refuse_flags(args: &ChartArgs) -> Result<(), Diagnostic> {
    const TYPED: &str =
        "a cleat package types `--set` values by its schema and always renders its CRDs";
    let used = [
        ("--set-string", !args.set_string.is_empty(), TYPED),
        ("--set-json", !args.set_json.is_empty(), TYPED),
        ("--set-file", !args.set_file.is_empty(), TYPED),
        ("--set-literal", !args.set_literal.is_empty(), TYPED),
        ("--api-versions", !args.api_versions.is_empty(), TYPED),
        ("--include-crds", args.include_crds, TYPED),
        ("--skip-tests", args.skip_tests, TYPED),
        ("--no-hooks", args.no_hooks, TYPED),
        ("--show-only", !args.show_only.is_empty(), TYPED),
        (
            "--random-key",
            args.random_key.is_some(),
            "a cleat package's templates draw nothing at random; its secrets come from `secretFrom` references",
        ),
    ];
    match used.iter().find(|(_, on, _)| *on) {
        Some((flag, _, hint)) => {
            Err(Diagnostic::error(format!("`{flag}` is for Helm charts")).hint(*hint))
        }
        None => Ok(()),
    }
}

/// The objects of [`with_objects`] as text in `format`: CRDs, objects,
/// then hooks (the last `hooks.len()`), which carry a `# Hook: EVENTS
/// (weight N)` line.
pub fn print(objects: &[Object], hooks: &[Hook], format: OutputFormat) -> String {
    match format {
        OutputFormat::Json => object::to_json_list(objects.iter()),
        OutputFormat::Yaml => {
            let (plain, hooked) = objects.split_at(objects.len() - hooks.len());
            let hooks = hooked.iter().zip(hooks).map(|(object, hook)| {
                let line = format!("Hook: {} (weight {})", hook.events.join(","), hook.weight);
                (object, vec![line])
            });
            let documents: Vec<_> = plain.iter().map(|o| (o, Vec::new())).chain(hooks).collect();
            // Each document is written on its own, on the machine's cores
            // when there is enough (the text it was read from says how much).
            let size = |(object, _): &(&Object, Vec<String>)| object.rendered_len();
            let written = parallel::map_sized(&documents, size, |(object, comments)| {
                let mut out = String::new();
                object::write_document(&mut out, object, comments);
                out
            });
            written.concat()
        }
    }
}

/// Helm's release names: dot-separated labels of lowercase letters, digits
/// and `-` (not at either end of a label), at most 53 characters.
fn is_release_name(name: &str) -> bool {
    name.len() <= 53
        && name.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// The key of `--random-key file:PATH|env:NAME`.
fn random_key(source: Option<&str>) -> Result<Option<RandomKey>, Diagnostic> {
    let Some(source) = source else {
        return Ok(None);
    };
    let from = match source.split_once(':') {
        Some(("env", name)) => SecretFrom::Env(name.to_string()),
        Some(("file", path)) => SecretFrom::File(path.into()),
        _ => {
            return Err(
                Diagnostic::error(format!("`--random-key {source}` names no source"))
                    .hint("write `--random-key file:PATH` or `--random-key env:NAME`"),
            )
        }
    };
    let key = from.read("--random-key", std::path::Path::new("."))?;
    crate::release::prepare::chart::random_key(key, source).map(Some)
}
