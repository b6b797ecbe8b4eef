//! Helm charts, rendered by cleat itself: a chart directory or archive is
//! loaded as Helm loads it ([`Chart`], this module), its values coalesced as
//! Helm coalesces them ([`values`]), its templates executed by the Go
//! template engine with Helm's functions and data ([`engine`]), and the
//! output split into objects, hooks and CRDs in Helm's order
//! ([`manifests`]).
//!
//! Loading follows Helm's loader: `Chart.yaml` (apiVersion v1 with
//! `requirements.yaml`, or v2), `values.yaml` (YAML 1.1, as Go's yaml.v2
//! reads it), `values.schema.json`, `templates/**`, subcharts in `charts/`
//! as directories or `.tgz` archives, and every other file for `.Files`;
//! a directory honours `.helmignore`. Unlike Helm, symbolic links are
//! refused, and archives and files are bounded as packages are.

pub mod engine;
pub mod files;
pub mod lint;
pub mod lookup;
pub mod manifests;
pub mod metadata;
pub mod values;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::authoring::package::{self, archive};
use crate::shared::diagnostics::{Diagnostic, Diagnostics, Source};
use crate::shared::glob::Glob;
use crate::shared::parallel;
use crate::shared::yaml::{self, Dialect};

pub use metadata::Metadata;

/// The file that makes a directory a chart.
pub const CHART_FILE: &str = "Chart.yaml";

/// Deepest nesting of subcharts accepted (a chart inside a chart ...).
const MAX_CHART_DEPTH: usize = 20;

/// A chart read into memory, with its subcharts.
#[derive(Debug, Clone)]
pub struct Chart {
    pub metadata: Metadata,
    /// `values.yaml` as JSON (a map; empty when the chart has none).
    pub values: serde_json::Map<String, serde_json::Value>,
    /// Keys `values.yaml` names only in comments (`# key: value`), as
    /// charts document optional values: not typos when templates read them.
    pub commented: std::collections::BTreeSet<String>,
    /// `values.schema.json`, parsed.
    pub schema: Option<serde_json::Value>,
    /// `templates/**` by name (`templates/deployment.yaml`).
    pub templates: Vec<Arc<Source>>,
    /// The files `.Files` serves: everything but Chart.yaml, values,
    /// the schema, templates and subcharts.
    pub files: Arc<files::Files>,
    /// Subcharts from `charts/`, in name order.
    pub dependencies: Vec<Chart>,
}

impl Chart {
    /// Loads the chart directory at `dir`.
    pub fn load(dir: &Path) -> Result<Chart, Diagnostics> {
        let rules = ignore_rules(dir)?;
        let paths = package::walk_tree(dir, &|name, is_dir| skipped(&rules, name, is_dir))?;
        let files = paths
            .into_iter()
            .map(|(name, path)| (name, files::File::at(path)))
            .collect();
        Chart::from_files(&dir.display().to_string(), files, 0)
    }

    /// Reads the chart directory at `dir` whole and packs it: the chart, and
    /// its canonical archive (the files Helm's loader reads, `.helmignore`
    /// honoured, under a directory named after the chart, with fixed
    /// times and modes), whose SHA-256 identifies the chart, subcharts
    /// included, as a package's archive identifies the package.
    pub fn pack(dir: &Path) -> Result<(Chart, Vec<u8>), Diagnostics> {
        let rules = ignore_rules(dir)?;
        let shown = dir.display().to_string();
        let files = package::read_tree(dir, &|name, is_dir| skipped(&rules, name, is_dir))?;
        let chart = Chart::from_files(&shown, files::loaded(files.clone()), 0)?;
        let bytes = archive::build(chart.name(), &files).map_err(|e| {
            Diagnostic::error(format!("cannot build the archive of `{shown}`: {e}")).about(shown)
        })?;
        Ok((chart, bytes))
    }

    /// Loads a chart archive (`helm package`'s `.tgz`, or [`Chart::pack`]'s),
    /// named `shown` in messages.
    pub fn read_archive(shown: &str, bytes: &[u8]) -> Result<Chart, Diagnostics> {
        Chart::from_archive(shown, bytes, 0)
    }

    fn from_archive(shown: &str, bytes: &[u8], depth: usize) -> Result<Chart, Diagnostics> {
        let unpacked = archive::read_as("chart archive", shown, bytes)?;
        Chart::from_files(shown, files::loaded(unpacked.files), depth)
    }

    /// Builds a chart from its files by relative name, as Helm's loader
    /// sorts them. Its subcharts load on another thread while this one
    /// reads the chart's own files; errors come in the order of a load one
    /// after the other (the chart's own first).
    pub fn from_files(
        shown: &str,
        files: files::Files,
        depth: usize,
    ) -> Result<Chart, Diagnostics> {
        if depth > MAX_CHART_DEPTH {
            return Err(Diagnostic::error(format!(
                "`{shown}` nests subcharts more than {MAX_CHART_DEPTH} levels deep"
            ))
            .about(shown.to_string())
            .into());
        }
        let mut own = BTreeMap::new();
        let mut subcharts: BTreeMap<String, files::Files> = BTreeMap::new();
        for (name, file) in files {
            match name.strip_prefix("charts/") {
                Some(inner) if !name.ends_with(".prov") => {
                    if !inner.starts_with(['.', '_']) {
                        let (chart, within) = inner.split_once('/').unwrap_or((inner, ""));
                        subcharts
                            .entry(chart.to_string())
                            .or_default()
                            .insert(within.to_string(), file);
                    }
                }
                _ => {
                    own.insert(name, file);
                }
            }
        }
        if subcharts.is_empty() {
            return Chart::from_own_files(shown, own);
        }
        let subcharts: Vec<(String, files::Files)> = subcharts.into_iter().collect();
        let load_subchart = |(name, files): &(String, files::Files)| {
            let inner = format!("{shown}/charts/{name}");
            if name.ends_with(".tgz") || name.ends_with(".tar.gz") {
                let bytes = match files.get("") {
                    Some(file) => file.read(&inner)?,
                    None => &[],
                };
                Chart::from_archive(&inner, bytes, depth + 1)
            } else {
                Chart::from_files(&inner, files.clone(), depth + 1)
            }
        };
        // Each subchart on the machine's cores, beside the chart's own files.
        let load_subcharts = || -> Result<Vec<Chart>, Diagnostics> {
            parallel::map(&subcharts, load_subchart)
                .into_iter()
                .collect()
        };
        let (dependencies, chart) =
            parallel::join(load_subcharts, || Chart::from_own_files(shown, own));
        let chart = chart?;
        Ok(Chart {
            dependencies: dependencies?,
            ..chart
        })
    }

    /// A chart from its own files (all but `charts/`), without subcharts.
    fn from_own_files(shown: &str, mut files: files::Files) -> Result<Chart, Diagnostics> {
        let text = |name: &str, file: &files::File| -> Result<Arc<Source>, Diagnostic> {
            let shown = format!("{shown}/{name}");
            package::source(&shown, file.read(&shown)?)
        };
        let Some(manifest) = files.remove(CHART_FILE) else {
            return Err(Diagnostic::error(format!("`{shown}` has no `{CHART_FILE}`"))
                .about(shown.to_string())
                .hint("a Helm chart needs `Chart.yaml` with at least `apiVersion`, `name` and `version`")
                .into());
        };
        let requirements = match files.get("requirements.yaml") {
            Some(bytes) => Some(text("requirements.yaml", bytes)?),
            None => None,
        };
        let metadata = metadata::parse(&text(CHART_FILE, &manifest)?, requirements.as_ref())?;
        files.remove("Chart.lock");
        files.remove("requirements.lock");
        let values = match files.remove("values.yaml") {
            Some(file) => Some(text("values.yaml", &file)?),
            None => None,
        };
        let parse_values = || match &values {
            Some(source) => {
                Ok::<_, Diagnostics>((values_map(source)?, commented_keys(&source.text)))
            }
            None => Ok(Default::default()),
        };
        let read_rest = || -> Result<_, Diagnostics> {
            let schema = match files.remove("values.schema.json") {
                Some(file) => {
                    let name = format!("{shown}/values.schema.json");
                    Some(serde_json::from_slice(file.read(&name)?).map_err(|e| {
                        Diagnostic::error(format!("`{name}` is not valid JSON: {e}")).about(name)
                    })?)
                }
                None => None,
            };
            let mut templates = Vec::new();
            let mut rest = BTreeMap::new();
            for (name, file) in files {
                if name.starts_with("templates/") {
                    templates.push(text(&name, &file)?);
                } else {
                    rest.insert(name, file);
                }
            }
            Ok((schema, templates, rest))
        };
        // Large values (kube-prometheus-stack's are 200 KB) are parsed on a
        // thread of their own while the rest is read.
        let large = parallel::worth_threads(values.as_ref().map(|v| v.text.len()));
        let (parsed, rest) = parallel::join_if(large, parse_values, read_rest);
        let (values, commented) = parsed?;
        let (schema, templates, rest) = rest?;
        Ok(Chart {
            metadata,
            values,
            commented,
            schema,
            templates,
            files: Arc::new(rest),
            dependencies: Vec::new(),
        })
    }

    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// Whether the chart or one of its subcharts has a values schema.
    pub fn has_schema(&self) -> bool {
        self.schema.is_some() || self.dependencies.iter().any(Chart::has_schema)
    }

    /// Whether the chart is a library chart (templates for other charts
    /// only; it renders no objects itself).
    pub fn is_library(&self) -> bool {
        self.metadata.chart_type == "library"
    }
}

/// The user's values: `-f` files merged in order, then each `--set`
/// flavour in the order given.
pub fn user_values(
    files: &[Arc<Source>],
    sets: &[(values::Typing, String)],
) -> Result<serde_json::Map<String, serde_json::Value>, Diagnostics> {
    let mut merged = serde_json::Map::new();
    for file in files {
        values::merge_maps(&mut merged, values_map(file)?);
    }
    for (typing, text) in sets {
        values::apply_set(&mut merged, text, *typing).map_err(|message| {
            Diagnostics::from(Diagnostic::error(format!("in `--set {text}`: {message}")))
        })?;
    }
    Ok(merged)
}

/// A values file (YAML 1.1, as Helm reads it) as a map; empty when the
/// file is.
pub fn values_map(
    source: &Arc<Source>,
) -> Result<serde_json::Map<String, serde_json::Value>, Diagnostics> {
    let node = yaml::parse_document_as(source, Dialect::Yaml11)?;
    let (kind, origin) = (node.value.type_name(), node.origin.clone());
    match node.into_json() {
        serde_json::Value::Object(map) => Ok(map),
        serde_json::Value::Null => Ok(serde_json::Map::new()),
        _ => Err(Diagnostic::error(format!(
            "`{}` holds a {kind}, expected a map of values",
            source.name
        ))
        .at(origin)
        .into()),
    }
}

/// Renders `chart` with the user's values for `release`, as `helm template`
/// does: dependencies enabled, values imported and coalesced and checked
/// against each chart's schema ([`computed_values`]), templates executed,
/// output sorted ([`render_computed`]).
pub fn render(
    chart: &Chart,
    user: serde_json::Map<String, serde_json::Value>,
    release: &engine::Release,
    include_crds: bool,
) -> Result<manifests::Manifests, Diagnostics> {
    let computed = computed_values(chart, user, Given::User)?;
    render_computed(&computed, release, include_crds)
}

/// A chart ready to render: its dependencies enabled by the values, their
/// values imported, and the values templates read.
pub struct Computed {
    pub chart: Chart,
    /// The values coalesced over every chart's defaults: what
    /// `helm get values --all` shows.
    pub values: serde_json::Value,
}

/// What values [`computed_values`] is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Given {
    /// The user's values, to coalesce over the charts' defaults.
    User,
    /// Values computed before (a lock entry's), used as they are.
    Computed,
}

/// Checks that `chart` can render, enables its dependencies and imports
/// their values, and computes the values (or, for [`Given::Computed`],
/// takes `values` as computed before), checked against each chart's schema.
pub fn computed_values(
    chart: &Chart,
    values: serde_json::Map<String, serde_json::Value>,
    given: Given,
) -> Result<Computed, Diagnostics> {
    let computed = Computed::unchecked(chart, values, given)?;
    Diagnostics::check(computed.check(), computed)
}

impl Computed {
    /// [`computed_values`] without the schema check, for a caller that
    /// runs [`Computed::check`] beside other work.
    pub fn unchecked(
        chart: &Chart,
        values: serde_json::Map<String, serde_json::Value>,
        given: Given,
    ) -> Result<Computed, Diagnostics> {
        if chart.is_library() {
            return Err(Diagnostic::error(format!(
                "chart `{}` is a library chart: it only defines templates for other charts",
                chart.name()
            ))
            .hint("render a chart that depends on it")
            .into());
        }
        let missing: Vec<&str> = chart
            .metadata
            .dependencies
            .iter()
            .filter(|d| !chart.dependencies.iter().any(|sub| sub.name() == d.name))
            .map(|d| d.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(Diagnostic::error(format!(
                "chart `{}` lists dependencies that are not in its `charts/` directory: {}",
                chart.name(),
                missing.join(", ")
            ))
            .hint("put each chart in `charts/` (a directory or a .tgz; `helm dependency build` downloads them), or remove it from Chart.yaml")
            .into());
        }
        let mut chart = chart.clone();
        values::enable_dependencies(&mut chart, &values);
        values::import_values(&mut chart);
        let values = serde_json::Value::Object(match given {
            Given::User => values::coalesce(&chart, values, false),
            Given::Computed => values,
        });
        Ok(Computed { chart, values })
    }

    /// The values checked against each chart's `values.schema.json`:
    /// what does not meet them.
    pub fn check(&self) -> Vec<Diagnostic> {
        values::validate(&self.chart, &self.values, "")
    }
}

/// Executes the templates of a computed chart for `release` and sorts the
/// output. The CRDs of `crds/` are read only when `include_crds` asks for
/// them: Helm does not look at them otherwise, and they can be megabytes.
pub fn render_computed(
    computed: &Computed,
    release: &engine::Release,
    include_crds: bool,
) -> Result<manifests::Manifests, Diagnostics> {
    let rendered = engine::render(&computed.chart, &computed.values, release)?;
    let mut manifests = manifests::manifests(&computed.chart, &rendered.outputs, include_crds)?;
    manifests.warnings = rendered.warnings;
    manifests.lookups = rendered.lookups;
    Ok(manifests)
}

/// The keys of `key:` written in comment lines (`# key: value`, `## key:`).
fn commented_keys(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter_map(|line| line.trim_start().strip_prefix('#'))
        .filter_map(|comment| {
            let comment = comment
                .trim_start_matches('#')
                .trim_start()
                .trim_start_matches("- ");
            let (key, _) = comment.split_once(':')?;
            let plain = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_alphanumeric() || "_-.".contains(c));
            plain.then(|| key.to_string())
        })
        .collect()
}

/// The chart with the dependencies its defaults enable (aliases applied),
/// and its default values coalesced: what the chart is before a user gives
/// any values, for checks and schemas.
pub fn with_defaults(chart: &Chart) -> (Chart, serde_json::Map<String, serde_json::Value>) {
    let mut chart = chart.clone();
    values::enable_dependencies(&mut chart, &serde_json::Map::new());
    let defaults = values::coalesce(&chart, serde_json::Map::new(), false);
    (chart, defaults)
}

/// The rules of the chart directory's `.helmignore`, then Helm's default
/// (hidden files in `templates/`), as Helm's loader reads them.
fn ignore_rules(dir: &Path) -> Result<Vec<Rule>, Diagnostics> {
    let mut rules = Vec::new();
    let path = dir.join(".helmignore");
    if path.is_file() {
        let bytes = package::read_file(&path)?;
        let source = package::source(&path.display().to_string(), &bytes)?;
        for (number, line) in source.text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            rules.push(Rule::new(line).map_err(|message| {
                Diagnostics::from(Diagnostic::error(message).at(
                    crate::shared::diagnostics::Origin::new(&source, number + 1, 1),
                ))
            })?);
        }
    }
    rules.push(Rule::new("templates/.?*").map_err(|m| Diagnostics::from(Diagnostic::error(m)))?);
    Ok(rules)
}

/// One line of `.helmignore`: a pattern, `!` for a negated rule, a
/// trailing `/` for directories only; a pattern without `/` matches a
/// file's or directory's own name at any depth, one with `/` the path from
/// the chart's root.
struct Rule {
    glob: Glob,
    negate: bool,
    directory: bool,
    base_name: bool,
}

impl Rule {
    fn new(line: &str) -> Result<Rule, String> {
        let (negate, line) = match line.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let (directory, line) = match line.strip_suffix('/') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let line = line.strip_prefix('/').unwrap_or(line);
        Ok(Rule {
            glob: Glob::new(line).map_err(|e| format!("in `.helmignore`: {e}"))?,
            negate,
            directory,
            base_name: !line.contains('/'),
        })
    }

    fn matches(&self, name: &str) -> bool {
        if self.base_name {
            self.glob.matches(name.rsplit('/').next().unwrap_or(name))
        } else {
            self.glob.matches(name)
        }
    }
}

/// Whether loading a chart directory skips `name`: `.git`, and what
/// `rules` ignore.
fn skipped(rules: &[Rule], name: &str, is_dir: bool) -> bool {
    name.rsplit('/').next() == Some(".git") || ignored(rules, name, is_dir)
}

/// Whether Helm's loader skips the file or directory `name` (a skipped
/// directory is not entered). The first rule that decides wins, and a
/// negated rule decides for everything it does not match: in Helm, a line
/// `!x` ignores every path that reaches it other than `x`, so it is only
/// useful after the rules it makes exceptions to.
fn ignored(rules: &[Rule], name: &str, is_dir: bool) -> bool {
    for rule in rules {
        if rule.negate {
            if (rule.directory && !is_dir) || !rule.matches(name) {
                return true;
            }
        } else if (!rule.directory || is_dir) && rule.matches(name) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helmignore_rules_match_as_helm_does() {
        let rules: Vec<Rule> = ["*.bak", "secret/", "/docs/*.md", "templates/.?*"]
            .into_iter()
            .map(|l| Rule::new(l).unwrap())
            .collect();
        assert!(ignored(&rules, "a/b/c.bak", false));
        assert!(ignored(&rules, "secret", true));
        assert!(!ignored(&rules, "secret", false));
        assert!(!ignored(&rules, "a/secret", false));
        assert!(ignored(&rules, "docs/a.md", false));
        assert!(!ignored(&rules, "docs/a/b.md", false));
        assert!(ignored(&rules, "templates/.swp", false));
        assert!(!ignored(&rules, "templates/a.yaml", false));
        // A negated rule: an exception only for what earlier rules ignore;
        // everything else reaching it is ignored.
        let rules: Vec<Rule> = ["*.md", "!keep.txt"]
            .into_iter()
            .map(|l| Rule::new(l).unwrap())
            .collect();
        assert!(ignored(&rules, "a.md", false));
        assert!(!ignored(&rules, "keep.txt", false));
        assert!(ignored(&rules, "Chart.yaml", false));
    }
}
