//! Authoring: what a package author writes, turned into checked objects.
//!
//! A [`package`] is loaded from a directory or archive; its dependencies are
//! resolved to exact versions ([`resolve`]) through [`repository`] indexes
//! and the verifying cache; the [`values`] are layered (defaults, files,
//! `--set`) and checked against the schemas; templates are checked statically
//! and rendered ([`render`]); and the output is parsed into checked Kubernetes
//! objects ([`object`]), each with its [`lifecycle`] (phase, dependencies, when
//! it is applied). [`render_objects`] runs the whole stage; [`lint`] adds
//! style warnings, and [`policy`] cleat's built-in checks of the objects. A Helm [`chart`] is the other input this stage takes;
//! [`Input::open`] tells the two apart.
//!
//! Invariant: nothing here knows a release file, a lockfile or a cluster
//! exists. Rendering itself never touches the network or the file system:
//! only loading and fetching packages do.

pub mod chart;
pub mod lifecycle;
pub mod lint;
pub mod object;
pub mod package;
pub mod policy;
pub mod render;
pub mod repository;
pub mod resolve;
pub mod values;

use std::collections::BTreeSet;

use crate::shared::diagnostics::{Diagnostic, Diagnostics, Origin};
use object::Object;
use render::Release;
use resolve::Tree;

/// What a path the user names holds.
pub enum Input {
    Package(package::Package),
    Chart(chart::Chart),
}

impl Input {
    /// Opens a directory or archive: a Helm chart if it holds `Chart.yaml`,
    /// else a cleat package. An archive is read and unpacked once.
    pub fn open(path: &std::path::Path) -> Result<Input, Diagnostics> {
        if !path.is_file() {
            return Ok(if path.join(chart::CHART_FILE).is_file() {
                Input::Chart(chart::Chart::load(path)?)
            } else {
                Input::Package(package::Package::load(path)?)
            });
        }
        let bytes = crate::shared::files::read_within(path, package::MAX_PACKAGE_BYTES)?;
        let shown = path.display().to_string();
        let unpacked = package::archive::read(&shown, &bytes)?;
        if unpacked.files.contains_key(chart::CHART_FILE) {
            return Ok(Input::Chart(chart::Chart::from_files(
                &shown,
                chart::files::loaded(unpacked.files),
                0,
            )?));
        }
        let package = package::Package::from_unpacked(path, &bytes, unpacked)?;
        Ok(Input::Package(package.named_by(path)?))
    }
}

/// Most rounds of switching conditional dependencies on before giving up.
const MAX_CONDITION_ROUNDS: usize = 50;

/// Renders a resolved package into its merged values and checked objects:
/// schemas, static template checks and values first (all their problems reported together), then
/// rendering and object checks.
pub fn render_objects(
    tree: &Tree,
    layers: &[values::Layer],
    sets: &[String],
    release: &Release,
) -> Result<(serde_json::Value, Vec<Object>), Diagnostics> {
    let (schema, mut problems) = render::tree::check_tree(tree);
    if schema.is_none() {
        return Err(Diagnostics(problems));
    }
    // Dependencies with a condition start switched off; values decide which
    // come on, and those bring their schemas (and their own conditions).
    let mut on = BTreeSet::new();
    let mut rounds = 0;
    let values = loop {
        rounds += 1;
        if rounds > MAX_CONDITION_ROUNDS {
            problems.push(Diagnostic::error(format!(
                "the conditions of dependencies do not settle: each set of switched-on dependencies changes which are on (last: {})",
                on.iter().cloned().collect::<Vec<_>>().join(", ")
            )).hint("make conditions depend on the parent's own values, not on values a dependency's defaults provide"));
            return Err(Diagnostics(problems));
        }
        let schema =
            render::tree::values_schema(tree, &on).ok_or_else(|| Diagnostics(problems.clone()))?;
        let resolved = match values::resolve(&schema, layers, sets) {
            Ok(resolved) => resolved,
            Err(errors) => {
                problems.extend(errors.0);
                return Err(Diagnostics(problems));
            }
        };
        let now_on = render::tree::switched_on(tree, &resolved.values);
        if now_on == on {
            break resolved;
        }
        on = now_on;
    };
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }
    let (crds, rendered) = render::tree::render_tree(tree, &values.values, release)
        .map_err(|errors| removed_by_null(errors, &values.nulls))?;
    let objects = object::objects(&crds, &rendered)?;
    Ok((values.values, objects))
}

/// Render errors at a template line that reads a value a `null` removed get
/// a hint saying where that `null` is.
fn removed_by_null(mut errors: Diagnostics, nulls: &[(String, Origin)]) -> Diagnostics {
    for diagnostic in &mut errors.0 {
        let Some(line) = diagnostic
            .origin
            .as_ref()
            .and_then(|o| o.source.line_text(o.line).map(str::to_string))
        else {
            continue;
        };
        for (path, origin) in nulls {
            // A dependency reads its values without its key in front.
            let own = path.split_once('.').map(|(_, rest)| rest);
            let reads = |p: &str| {
                line.match_indices(&format!("values.{p}")).any(|(at, m)| {
                    !line[at + m.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
                })
            };
            if reads(path) || own.is_some_and(reads) {
                let hint = format!(
                    "`{path}` was removed by the `null` at {}",
                    origin.location()
                );
                *diagnostic = std::mem::replace(diagnostic, Diagnostic::error("")).hint(hint);
            }
        }
    }
    errors
}
