//! Rendering: package templates plus checked values in, YAML text out.
//!
//! Templates run in a minijinja environment set up so that values keep their
//! types: every `{{ expr }}` prints as JSON (which is YAML), so strings are
//! always one quoted scalar and maps and lists print inline in place.
//! Undefined variables are errors. The environment holds only the package's
//! own templates and files, has no clock, environment variables or network,
//! and runs on a fuel budget and a recursion limit, so a runaway template
//! stops with an error. Parsing the output into objects is the next stage's job.

pub mod check;
mod flow;
mod functions;
pub mod tree;

use std::collections::HashSet;
use std::sync::Arc;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

use crate::authoring::package::Package;
use crate::shared::diagnostics::{Diagnostic, Diagnostics, Origin, Source};
use crate::shared::memory;
pub use functions::parse_version;

/// The budget of one template's render, in minijinja's fuel: one per
/// instruction, and one per 64 bytes of data built (strings, lists and maps
/// made by operators, literals and filters, and the output). 4 Mi fuel is
/// 4,194,304 instructions or 256 MiB of data, whichever runs out first:
/// far beyond what thousands of objects need, and reached within about a
/// second by a runaway loop or an expression that builds too much.
pub const FUEL: u64 = 4 * 1024 * 1024;
/// What one fuel pays for, in bytes of data (minijinja's accounting).
const BYTES_PER_FUEL: u64 = 64;
/// Most output a package's templates may write together.
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024 * 1024;
/// Largest value one `{{ }}` may print, measured before it is printed:
/// minijinja serialises a value whole before its fuel is charged.
pub const MAX_PRINTED_BYTES: usize = 32 * 1024 * 1024;
/// Most the process's resident memory may grow while a package's templates
/// render. Fuel counts most data built, but minijinja materialises a list
/// concatenated with itself many times over inside one instruction, so this
/// is watched from outside ([`crate::shared::memory`]).
pub const MAX_RENDER_MEMORY: u64 = 512 * 1024 * 1024;
/// Deepest nesting of macro calls and includes.
pub const RECURSION_LIMIT: usize = 200;
/// The Kubernetes version rendered for when none is given.
pub const DEFAULT_KUBE_VERSION: &str = "1.34.0";

/// The release a package is rendered for: what templates see as `release`
/// and `capabilities`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub name: String,
    pub namespace: String,
    pub revision: u64,
    pub kube_version: semver::Version,
}

/// One template's output, named after the template it came from.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub template: Arc<Source>,
    pub output: Arc<Source>,
}

/// A minijinja environment holding the package's templates, compiled. Every
/// template that fails to compile is reported.
pub fn environment(package: &Package) -> Result<Environment<'static>, Diagnostics> {
    let mut env = Environment::new();
    // YAML templates print values as JSON; NOTES are text for people.
    env.set_auto_escape_callback(|name| {
        if name.contains("templates/NOTES.") {
            AutoEscape::None
        } else {
            AutoEscape::Json
        }
    });
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Block tags on their own lines leave no blank lines or stray indentation.
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build();
    if let Ok(syntax) = syntax {
        env.set_syntax(syntax);
    }
    env.set_fuel(Some(FUEL));
    env.set_formatter(|out, state, value| {
        check_printable(value)?;
        minijinja::escape_formatter(out, state, value)
    });
    env.set_recursion_limit(RECURSION_LIMIT);
    let names: HashSet<String> = package.templates.iter().map(|t| t.name.clone()).collect();
    env.set_path_join_callback(move |name, parent| {
        match import_candidates(name, parent)
            .into_iter()
            .find(|c| names.contains(c))
        {
            Some(found) => found.into(),
            None => name.into(),
        }
    });
    functions::register(&mut env);
    let mut problems = Vec::new();
    for template in package.templates.iter().chain(&package.notes) {
        if let Err(error) = env.add_template_owned(template.name.clone(), template.text.to_string())
        {
            problems.push(template_error(&error, package));
        }
    }
    Diagnostics::check(problems, env)
}

/// The names `{% import name %}` in template `parent` may mean, in the order
/// tried: as written, beside the template, then in each directory above it
/// up to its package's `templates/`, then from the package's root (a
/// dependency's template names start with its key: `redis/templates/...`).
fn import_candidates(name: &str, parent: &str) -> Vec<String> {
    let mut candidates = vec![name.to_string()];
    let prefix = parent.find("templates/").map_or("", |i| &parent[..i]);
    let top = format!("{prefix}templates");
    let mut dir = parent.rsplit_once('/').map_or("", |(dir, _)| dir);
    while dir.len() >= top.len() && !dir.is_empty() {
        candidates.push(format!("{dir}/{name}"));
        if dir == top {
            break;
        }
        dir = dir.rsplit_once('/').map_or("", |(d, _)| d);
    }
    candidates.push(format!("{prefix}{name}"));
    let mut seen = HashSet::new();
    candidates.retain(|c| seen.insert(c.clone()));
    candidates
}

/// Refuses a value that would print as more than [`MAX_PRINTED_BYTES`],
/// estimating its size from lengths (8 bytes an item, the bytes of strings),
/// so that `{{ [1] * 100000000 }}` stops before it is serialised.
fn check_printable(value: &Value) -> Result<(), minijinja::Error> {
    let too_large = || {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!(
                "this value would print as more than {} MiB, the most one `{{{{ }}}}` may print",
                MAX_PRINTED_BYTES / (1024 * 1024)
            ),
        )
    };
    let mut size = 0usize;
    let mut pending = vec![value.clone()];
    while let Some(value) = pending.pop() {
        if let Some(text) = value.as_str() {
            size = size.saturating_add(text.len());
        } else if matches!(
            value.kind(),
            minijinja::value::ValueKind::Seq
                | minijinja::value::ValueKind::Map
                | minijinja::value::ValueKind::Iterable
        ) {
            size = size.saturating_add(value.len().unwrap_or(0).saturating_mul(8));
            if size > MAX_PRINTED_BYTES {
                return Err(too_large());
            }
            let is_map = value.kind() == minijinja::value::ValueKind::Map;
            for item in value.try_iter()? {
                if is_map {
                    pending.push(value.get_item(&item)?);
                }
                pending.push(item);
                if pending.len() > MAX_PRINTED_BYTES / 8 {
                    return Err(too_large());
                }
            }
        } else {
            size = size.saturating_add(8);
        }
        if size > MAX_PRINTED_BYTES {
            return Err(too_large());
        }
    }
    Ok(())
}

/// Renders every template (helpers excepted) with `values`.
pub fn render(
    package: &Package,
    values: &serde_json::Value,
    release: &Release,
) -> Result<Vec<Rendered>, Diagnostics> {
    if let Some(supported) = &package.manifest.kube_version {
        if !supported.matches(&release.kube_version) {
            let origin = kube_version_origin(package);
            return Err(Diagnostic::error(format!(
                "package `{}` supports Kubernetes {supported}, not {}",
                package.manifest.name, release.kube_version
            ))
            .at(origin)
            .hint("render for a supported version with `--kube-version`")
            .into());
        }
    }
    let env = environment(package)?;
    let context = context(package, values, release);
    let mut rendered = Vec::new();
    let mut problems = Vec::new();
    // Each template that failed, with its error.
    let mut failed: Vec<(String, Diagnostic)> = Vec::new();
    let mut written = 0;
    let watch = memory::Watch::start(MAX_RENDER_MEMORY, Diagnostic::error(""));
    for template in package.rendered_templates() {
        watch.stop_with(out_of_memory(package, &template.name));
        let result = env
            .get_template(&template.name)
            .and_then(|t| t.render(context.clone()));
        match result {
            Ok(text) => {
                written += text.len();
                if written > MAX_OUTPUT_BYTES {
                    problems.push(
                        Diagnostic::error(format!(
                            "the templates of package `{}` write more than {} MiB together (the limit), `{}` among them",
                            package.manifest.name,
                            MAX_OUTPUT_BYTES / (1024 * 1024),
                            template.name
                        ))
                        .about(template.name.clone())
                        .hint("split the package, or keep large files out of its objects"),
                    );
                    break;
                }
                rendered.push(Rendered {
                    template: Arc::clone(template),
                    output: Source::new(template.name.clone(), text),
                })
            }
            Err(error) => failed.push((template.name.clone(), template_error(&error, package))),
        }
    }
    problems.extend(one_per_cause(failed));
    Diagnostics::check(problems, rendered)
}

/// One error per cause: the same problem at the same place (a helper that
/// ten templates call) is reported once, naming the templates that reached it.
fn one_per_cause(problems: Vec<(String, Diagnostic)>) -> Vec<Diagnostic> {
    let at = |d: &Diagnostic| d.origin.as_ref().map(Origin::location);
    let mut groups: Vec<(Diagnostic, Vec<String>)> = Vec::new();
    for (template, problem) in problems {
        let same = |d: &Diagnostic| d.message == problem.message && at(d) == at(&problem);
        match groups.iter_mut().find(|(d, _)| same(d)) {
            Some((_, templates)) => templates.push(template),
            None => groups.push((problem, vec![template])),
        }
    }
    groups
        .into_iter()
        .map(|(problem, templates)| {
            let elsewhere = problem
                .origin
                .as_ref()
                .is_some_and(|o| templates.iter().any(|t| *t != o.source.name));
            if elsewhere {
                let hint = format!("reached while rendering {}", templates.join(", "));
                problem.hint(hint)
            } else {
                problem
            }
        })
        .collect()
}

/// What is printed when rendering `template` passes [`MAX_RENDER_MEMORY`].
fn out_of_memory(package: &Package, template: &str) -> Diagnostic {
    Diagnostic::error(format!(
        "rendering `{template}` of package `{}` took more than {} MiB of memory (the limit) and was stopped",
        package.manifest.name,
        MAX_RENDER_MEMORY / (1024 * 1024)
    ))
    .about(template.to_string())
    .hint("look for a list or string that doubles in a loop (`{% set ns.l = ns.l + ns.l %}`), or a value that grows without bound")
}

/// Renders the package's `templates/NOTES.*`, if it has one, as plain text
/// with the same context as its templates.
pub fn notes(
    package: &Package,
    values: &serde_json::Value,
    release: &Release,
) -> Result<Option<String>, Diagnostics> {
    let Some(notes) = &package.notes else {
        return Ok(None);
    };
    let env = environment(package)?;
    let context = context(package, values, release);
    env.get_template(&notes.name)
        .and_then(|t| t.render(context))
        .map(Some)
        .map_err(|error| template_error(&error, package).into())
}

fn kube_version_origin(package: &Package) -> Origin {
    let source = &package.manifest_source;
    let line = source
        .text
        .lines()
        .position(|l| l.starts_with("kubeVersion"))
        .map_or(1, |i| i + 1);
    Origin::new(source, line, 1).with_width("kubeVersion".len())
}

/// What templates see: `values`, `release`, `package`, `capabilities`, `files`.
fn context(package: &Package, values: &serde_json::Value, release: &Release) -> Value {
    let version = &release.kube_version;
    minijinja::context! {
        values => Value::from(Serde(values)),
        release => minijinja::context! {
            name => release.name.clone(),
            namespace => release.namespace.clone(),
            revision => release.revision,
        },
        package => {
            let manifest = &package.manifest;
            let metadata = &manifest.metadata;
            let maintainers: Vec<Value> = metadata
                .maintainers
                .iter()
                .map(|m| minijinja::context! { name => m.name.clone(), email => m.email.clone(), url => m.url.clone() })
                .collect();
            let annotations: serde_json::Map<String, serde_json::Value> = metadata
                .annotations
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect();
            minijinja::context! {
                name => manifest.name.clone(),
                version => manifest.version.to_string(),
                description => manifest.description.clone(),
                app_version => metadata.app_version.clone(),
                home => metadata.home.clone(),
                sources => metadata.sources.clone(),
                keywords => metadata.keywords.clone(),
                maintainers => maintainers,
                icon => metadata.icon.clone(),
                annotations => Value::from(Serde(serde_json::Value::Object(annotations))),
                deprecated => metadata.deprecated,
            }
        },
        capabilities => minijinja::context! {
            kube_version => format!("{}.{}.{}", version.major, version.minor, version.patch),
            kube_major => version.major,
            kube_minor => version.minor,
        },
        // `files` refuses `templates/` names itself, so the package's map is shared as is.
        files => Value::from_object(functions::Files(Arc::clone(&package.files))),
    }
}

/// The fields of the built-in context objects, for the static check.
pub const CONTEXT: [(&str, &[&str]); 4] = [
    ("release", &["name", "namespace", "revision"]),
    (
        "package",
        &[
            "name",
            "version",
            "description",
            "app_version",
            "home",
            "sources",
            "keywords",
            "maintainers",
            "icon",
            "annotations",
            "deprecated",
        ],
    ),
    (
        "capabilities",
        &["kube_version", "kube_major", "kube_minor"],
    ),
    ("files", &functions::FILES_METHODS),
];

/// Turns a minijinja error into a diagnostic pointing at the template line.
fn template_error(error: &minijinja::Error, package: &Package) -> Diagnostic {
    let mut message = match error.detail() {
        Some(detail) => format!("{}: {detail}", error.kind()),
        None => error.kind().to_string(),
    };
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        message.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    let template = error
        .name()
        .and_then(|name| package.templates.iter().find(|t| t.name == name));
    let mut diagnostic = Diagnostic::error(message);
    let at_end = error.kind() == minijinja::ErrorKind::SyntaxError
        && error
            .detail()
            .is_some_and(|d| d.contains("unexpected end of input"));
    if let (true, Some(template)) = (at_end, template) {
        if let Some((keyword, range)) = unclosed_block(&template.text) {
            return Diagnostic::error(format!(
                "`{{% {keyword} %}}` is never closed: expected `{{% end{keyword} %}}`"
            ))
            .at(Origin::spanning(template, range))
            .hint(format!(
                "close it with `{{% end{keyword} %}}` where the block ends"
            ));
        }
    }
    if let Some(template) = template {
        diagnostic = match (error.range(), error.line()) {
            (Some(range), _) => diagnostic.at(Origin::spanning(template, range)),
            (None, Some(line)) => diagnostic.at(Origin::new(template, line, 1)),
            (None, None) => diagnostic.about(template.name.clone()),
        };
    }
    match error.kind() {
        minijinja::ErrorKind::UndefinedError => diagnostic
            .hint("every value a template reads must be declared in values.schema.yaml; test optional ones with `is defined`"),
        minijinja::ErrorKind::OutOfFuel => diagnostic.hint(format!(
            "rendering stopped at its limit of {FUEL} steps or {} MiB of data built; look for a loop that does not end, or a value that grows without bound",
            FUEL * BYTES_PER_FUEL / (1024 * 1024)
        )),
        minijinja::ErrorKind::TemplateNotFound => {
            let wanted = error
                .detail()
                .and_then(|d| d.split(['\'', '"']).nth(1))
                .map(str::to_string);
            let parent = error.name().unwrap_or_default();
            let helpers: Vec<&str> = package
                .templates
                .iter()
                .map(|t| t.name.as_str())
                .filter(|n| n.rsplit('/').next().is_some_and(|f| f.starts_with('_')))
                .collect();
            let diagnostic = match wanted {
                Some(wanted) => diagnostic.hint(format!(
                    "tried: {}",
                    import_candidates(&wanted, parent).join(", ")
                )),
                None => diagnostic,
            };
            diagnostic.hint(if helpers.is_empty() {
                "the package has no helper files (templates whose names start with `_`)".to_string()
            } else {
                format!("helper files in the package: {}", helpers.join(", "))
            })
        }
        minijinja::ErrorKind::UnknownMethod => {
            diagnostic.hint("maps answer items(), keys(), values() and get(); strings and lists have filters instead")
        }
        _ => diagnostic,
    }
}

/// The innermost block of `text` still open at its end: its keyword and the
/// byte range of its opening tag. Comments, `{{ }}` and raw blocks are skipped.
fn unclosed_block(text: &str) -> Option<(String, std::ops::Range<usize>)> {
    const BLOCKS: [&str; 9] = [
        "if",
        "for",
        "macro",
        "with",
        "block",
        "filter",
        "call",
        "autoescape",
        "set",
    ];
    let mut open: Vec<(String, std::ops::Range<usize>)> = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find('{') {
        let start = at + found;
        let rest = &text[start..];
        let close = match rest.get(1..2) {
            Some("%") => "%}",
            Some("#") => "#}",
            Some("{") => "}}",
            _ => {
                at = start + 1;
                continue;
            }
        };
        let Some(length) = rest[2..].find(close) else {
            break;
        };
        let end = start + 2 + length + 2;
        at = end;
        if close != "%}" {
            continue;
        }
        let inner = text[start + 2..end - 2]
            .trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace());
        let keyword = inner.split_whitespace().next().unwrap_or_default();
        if keyword == "raw" {
            // Nothing inside a raw block is a tag.
            match text[at..].find("endraw") {
                Some(skip) => at += skip,
                None => return Some(("raw".into(), start..end)),
            }
        } else if keyword == "set" && inner.contains('=') {
            // `{% set x = ... %}` is a statement, not a block.
        } else if BLOCKS.contains(&keyword) {
            open.push((keyword.to_string(), start..end));
        } else if let Some(closed) = keyword.strip_prefix("end") {
            if let Some(index) = open.iter().rposition(|(k, _)| k == closed) {
                open.truncate(index);
            }
        }
    }
    open.pop()
}

/// The template line most likely to have produced `rendered`, a line of its
/// output: the line whose literal text, with its `{{ }}` and `{% %}` tags
/// taken out, appears in `rendered` in order and covers most of it. Rendering
/// keeps no source map, so this is a best guess; among equally good lines the
/// one nearest `near` (the rendered line's number) wins. `None` when nothing matches.
pub fn source_line(template: &Source, rendered: &str, near: usize) -> Option<usize> {
    let rendered = rendered.trim_end();
    let mut best: Option<(usize, usize)> = None;
    for (index, line) in template.text.lines().enumerate() {
        let pieces = literal_pieces(line);
        let Some(score) = match_pieces(&pieces, rendered) else {
            continue;
        };
        let line = index + 1;
        let better = best.is_none_or(|(top_line, top)| {
            score > top || (score == top && line.abs_diff(near) < top_line.abs_diff(near))
        });
        if better {
            best = Some((line, score));
        }
    }
    best.map(|(line, _)| line)
}

fn literal_pieces(line: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = line;
    while let Some(start) = rest
        .find(['{'])
        .filter(|&i| matches!(rest.as_bytes().get(i + 1), Some(b'{' | b'%' | b'#')))
    {
        pieces.push(&rest[..start]);
        let close = match rest.as_bytes()[start + 1] {
            b'{' => "}}",
            b'%' => "%}",
            _ => "#}",
        };
        match rest[start..].find(close) {
            Some(end) => rest = &rest[start + end + 2..],
            None => {
                rest = "";
                break;
            }
        }
    }
    pieces.push(rest);
    pieces
}

/// How much of `rendered` the pieces cover, if they appear in it in order,
/// the first at its start and the last at its end.
fn match_pieces(pieces: &[&str], rendered: &str) -> Option<usize> {
    let literal: usize = pieces.iter().map(|p| p.trim().len()).sum();
    if literal == 0 {
        return None;
    }
    if pieces.len() == 1 {
        return (pieces[0].trim_end() == rendered).then_some(literal + 1);
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !rendered.starts_with(first) || !rendered[first.len()..].ends_with(last.trim_end()) {
        return None;
    }
    let mut at = first.len();
    let end = rendered.len() - last.trim_end().len();
    for piece in &pieces[1..pieces.len() - 1] {
        let found = rendered.get(at..end)?.find(piece)?;
        at += found + piece.len();
    }
    Some(literal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_template_line_of_a_rendered_line() {
        let template = Source::new(
            "t.yaml",
            "metadata:\n  name: {{ release.name }}\nspec:\n  replicas: {{ values.replicas }}\n  {% if x %}\n  paused: true\n",
        );
        assert_eq!(source_line(&template, "  replicas: \"3\"", 1), Some(4));
        assert_eq!(source_line(&template, "  name: \"web\"", 1), Some(2));
        assert_eq!(source_line(&template, "  paused: true", 1), Some(6));
        assert_eq!(source_line(&template, "other: 1", 1), None);
        let repeated = Source::new("t.yaml", "kind: A\n---\nkind: A\n");
        assert_eq!(source_line(&repeated, "kind: A", 3), Some(3));
    }
}
