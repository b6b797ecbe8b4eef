//! Kubernetes objects: rendered YAML parsed and checked as objects.
//!
//! Each rendered document must be an object with `apiVersion`, `kind` and a
//! valid `metadata.name`; cluster-scoped kinds must not set a namespace;
//! labels and annotations must be strings; no two documents may describe the
//! same object; each dependency an object's lifecycle names must be an object
//! of the release in the same or an earlier phase, with no cycle. Errors point back at the template line that produced the bad
//! document. Empty documents are dropped. Objects keep the order of their
//! sources: CRDs first, then templates by name, documents in order.

use std::collections::HashMap;
use std::sync::Arc;

use crate::authoring::lifecycle::{self, Lifecycle};
use crate::authoring::render::{source_line, Rendered};
use crate::shared::diagnostics::{did_you_mean, Diagnostic, Diagnostics, Origin, Source};
use crate::shared::yaml::{self, Node, Value};

/// A rendered, checked Kubernetes object.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// The whole object, keys in the order the template wrote them.
    pub body: serde_json::Value,
    /// The package file it came from (`templates/deployment.yaml`).
    pub source: String,
    /// Its phase, dependencies and when it is applied, from its annotations.
    pub lifecycle: Lifecycle,
    /// Where it was rendered, to point a problem found later at the
    /// template line of a field ([`Object::diagnostic_at`]).
    pub rendered: Option<Rendering>,
}

/// Where an object was rendered: the template, its output, and the object's
/// document in that output (the `index`th document of `part`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rendering {
    pub template: Arc<Source>,
    pub output: Arc<Source>,
    pub part: yaml::Part,
    pub index: usize,
}

/// `apps/v1 Deployment web/api`: how messages name an object, wherever it
/// is held (rendered, planned, locked or recorded).
pub fn id(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{api_version} {kind} {ns}/{name}"),
        None => format!("{api_version} {kind} {name}"),
    }
}

/// Rendered output parsed again to point diagnostics at template lines,
/// each part once however many diagnostics point into it.
#[derive(Default)]
pub struct Locator {
    parsed: HashMap<(usize, usize), Option<Vec<yaml::Document>>>,
    /// Where each line of an output starts, by output.
    lines: HashMap<usize, Vec<usize>>,
}

impl Locator {
    /// [`Object::diagnostic_at`], parsing each part at most once.
    pub fn diagnostic_at(
        &mut self,
        object: &Object,
        diagnostic: Diagnostic,
        pointer: &str,
    ) -> Diagnostic {
        let found = object.rendered.as_ref().and_then(|r| {
            let key = (output_key(&r.output), r.part.bytes.start);
            let documents = self
                .parsed
                .entry(key)
                .or_insert_with(|| {
                    yaml::parse_part_as(&r.output, &r.part, yaml::Dialect::Core).ok()
                })
                .as_ref()?;
            let mut node = &documents.get(r.index)?.root;
            for key in pointer.split('/').skip(1) {
                let key = key.replace("~1", "/").replace("~0", "~");
                let next = match &node.value {
                    Value::Map(_) => node.get(&key),
                    Value::List(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
                    _ => None,
                };
                match next {
                    Some(next) => node = next,
                    None => break,
                }
            }
            Some((node.origin.clone(), r))
        });
        let Some((origin, r)) = found else {
            return diagnostic.about(format!("{} ({})", object.id(), object.source));
        };
        let text = &r.output.text;
        let starts = self.lines.entry(output_key(&r.output)).or_insert_with(|| {
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let line = |n: usize| {
            let start = starts.get(n.wrapping_sub(1)).copied().unwrap_or(text.len());
            let end = starts.get(n).copied().unwrap_or(text.len());
            text[start..end].trim_end_matches(['\n', '\r']).to_string()
        };
        locate_with(diagnostic.at(origin), &r.template, &r.output, line)
    }
}

/// An output's identity while it is held.
fn output_key(output: &Arc<Source>) -> usize {
    Arc::as_ptr(output) as *const u8 as usize
}

impl Object {
    /// The length of the text it was rendered as (0 when not rendered):
    /// what reading, checking or writing it costs, roughly.
    pub fn rendered_len(&self) -> usize {
        self.rendered.as_ref().map_or(0, |r| r.part.bytes.len())
    }

    /// `diagnostic` pointed at the template line that rendered the field at
    /// JSON `pointer` (or the nearest field above it that was rendered),
    /// else about the object in its file.
    pub fn diagnostic_at(&self, diagnostic: Diagnostic, pointer: &str) -> Diagnostic {
        Locator::default().diagnostic_at(self, diagnostic, pointer)
    }

    /// This object's [`id`].
    pub fn id(&self) -> String {
        id(
            &self.api_version,
            &self.kind,
            self.namespace.as_deref(),
            &self.name,
        )
    }

    /// The API group (empty for the core group), which with kind, namespace
    /// and name identifies an object whatever version it is written in.
    pub fn group(&self) -> &str {
        group(&self.api_version)
    }
}

/// The API group of `api_version`: `apps` of `apps/v1`, empty for `v1`.
pub fn group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

/// Built-in kinds that are not namespaced.
const CLUSTER_SCOPED: [&str; 16] = [
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "CSINode",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// Kinds whose names may hold `:` and other path-safe characters.
const RBAC_KINDS: [&str; 4] = ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];

/// Rendered output is parsed in parts of about this size, on every core.
const PART_BYTES: usize = 64 * 1024;

/// Parses and checks CRD files and rendered templates into objects.
pub fn objects(crds: &[Arc<Source>], rendered: &[Rendered]) -> Result<Vec<Object>, Diagnostics> {
    objects_as(crds, rendered, yaml::Dialect::Core)
}

/// [`objects`], the YAML read in `dialect`. A Helm chart's output is read
/// as Kubernetes reads it: YAML 1.1, and the namespace a cluster-scoped
/// object carries ignored instead of refused.
pub fn objects_as(
    crds: &[Arc<Source>],
    rendered: &[Rendered],
    dialect: yaml::Dialect,
) -> Result<Vec<Object>, Diagnostics> {
    let sources: Vec<(&Arc<Source>, &Arc<Source>)> = crds
        .iter()
        .map(|crd| (crd, crd))
        .chain(rendered.iter().map(|r| (&r.output, &r.template)))
        .collect();
    let parts: Vec<(usize, yaml::Part)> = sources
        .iter()
        .enumerate()
        .flat_map(|(index, (output, _))| {
            yaml::parts(&output.text, PART_BYTES)
                .into_iter()
                .map(move |part| (index, part))
        })
        .collect();
    // Consecutive parts grouped into jobs of at least PART_BYTES, so that a
    // small package is parsed without starting any thread.
    let mut jobs: Vec<&[(usize, yaml::Part)]> = Vec::new();
    let (mut start, mut size) = (0, 0);
    for (end, (_, part)) in parts.iter().enumerate() {
        size += part.bytes.len();
        if size >= PART_BYTES || end + 1 == parts.len() {
            jobs.push(&parts[start..=end]);
            (start, size) = (end + 1, 0);
        }
    }
    let parse = |(index, part): &(usize, yaml::Part)| {
        let (output, template) = sources[*index];
        yaml::parse_part_as(output, part, dialect).map(|documents| {
            documents
                .into_iter()
                .enumerate()
                .filter(|(_, document)| document.root.value != Value::Null)
                .map(|(at, document)| {
                    let origin = document.root.origin.clone();
                    let object = object(document.root, &output.name, dialect).map(|mut o| {
                        o.rendered = Some(Rendering {
                            template: Arc::clone(template),
                            output: Arc::clone(output),
                            part: part.clone(),
                            index: at,
                        });
                        o
                    });
                    (origin, object)
                })
                .collect::<Vec<_>>()
        })
    };
    let parsed: Vec<_> =
        crate::shared::parallel::map(&jobs, |job| job.iter().map(parse).collect::<Vec<_>>())
            .into_iter()
            .flatten()
            .collect();
    let mut objects: Vec<Object> = Vec::new();
    // Where each object was rendered, to locate problems found across objects.
    let mut rendered_by = Vec::new();
    // Identity (group, kind, namespace, name) to the source that rendered it first.
    let mut seen: HashMap<(String, String, Option<String>, String), String> = HashMap::new();
    let mut problems = Vec::new();
    // A source with a YAML error gives no objects; it is parsed again whole,
    // so the message does not depend on where the parts were cut.
    let mut failed = vec![false; sources.len()];
    for ((index, _), documents) in parts.iter().zip(&parsed) {
        if documents.is_err() && !std::mem::replace(&mut failed[*index], true) {
            let (output, template) = sources[*index];
            if let Err(diagnostic) = yaml::parse_stream_as(output, dialect) {
                problems.push(locate(diagnostic, template, output));
            }
        }
    }
    for ((index, _), documents) in parts.iter().zip(parsed) {
        let (Ok(documents), false) = (documents, failed[*index]) else {
            continue;
        };
        let (output, template) = sources[*index];
        for (origin, object) in documents {
            match object {
                Ok(object) => {
                    let identity = (
                        object.group().to_string(),
                        object.kind.clone(),
                        object.namespace.clone(),
                        object.name.clone(),
                    );
                    if let Some(first) = seen.get(&identity) {
                        let diagnostic = Diagnostic::error(format!(
                            "`{}` is rendered twice (also by `{first}`)",
                            object.id()
                        ))
                        .at(origin)
                        .hint("give each object a unique name, for example with `release.name`");
                        problems.push(locate(diagnostic, template, output));
                    } else {
                        seen.insert(identity, object.source.clone());
                        objects.push(object);
                        rendered_by.push((template, output));
                    }
                }
                Err(found) => {
                    problems.extend(found.into_iter().map(|d| locate(d, template, output)))
                }
            }
        }
    }
    if problems.is_empty() {
        for (index, problem) in check_dependencies(&objects) {
            let (template, output) = rendered_by[index];
            problems.push(locate(problem, template, output));
        }
    }
    Diagnostics::check(problems, objects)
}

/// Moves a diagnostic about rendered output onto the template line that most
/// likely produced it, and shows the rendered line as a hint.
fn locate(diagnostic: Diagnostic, template: &Arc<Source>, output: &Arc<Source>) -> Diagnostic {
    let line = |n: usize| output.line_text(n).unwrap_or_default().to_string();
    locate_with(diagnostic, template, output, line)
}

/// [`locate`], with `line` giving the text of a line of the output.
fn locate_with(
    mut diagnostic: Diagnostic,
    template: &Arc<Source>,
    output: &Arc<Source>,
    line: impl FnOnce(usize) -> String,
) -> Diagnostic {
    let Some(origin) = diagnostic.origin.clone() else {
        return diagnostic;
    };
    if Arc::ptr_eq(template, output) {
        return diagnostic;
    }
    let rendered = line(origin.line);
    match source_line(template, &rendered, origin.line) {
        Some(line) => {
            let col = template
                .line_text(line)
                .map_or(1, |l| l.len() - l.trim_start().len() + 1);
            let width = template
                .line_text(line)
                .map_or(1, |l| l.trim().chars().count());
            diagnostic.origin = Some(Origin::new(template, line, col).with_width(width));
        }
        None => {
            diagnostic.origin = None;
            diagnostic.subject = Some(format!("{} (rendered line {})", template.name, origin.line));
        }
    }
    diagnostic.hint(format!(
        "rendered line {}: `{}`",
        origin.line,
        rendered.trim()
    ))
}

/// What references name each of `objects` by, in order.
pub fn identities(objects: &[Object]) -> Vec<lifecycle::Identity<'_>> {
    objects
        .iter()
        .map(|o| {
            (
                o.group(),
                o.kind.as_str(),
                o.namespace.as_deref(),
                o.name.as_str(),
            )
        })
        .collect()
}

/// The object each of `object`'s dependencies names, by index into the
/// objects of `identities`.
pub fn dependencies(
    object: &Object,
    identities: &[lifecycle::Identity],
) -> Vec<Result<usize, lifecycle::Reference>> {
    lifecycle::resolve(
        &object.lifecycle.depends_on,
        object.namespace.as_deref(),
        identities,
    )
}

/// Checks the dependencies of every object: each names an object of the
/// release, none in a later phase, and they form no cycle. Gives each
/// problem with the index of the object it is about.
fn check_dependencies(objects: &[Object]) -> Vec<(usize, Diagnostic)> {
    let identities = identities(objects);
    let mut problems = Vec::new();
    let mut edges: HashMap<usize, Vec<usize>> = HashMap::new();
    for (index, object) in objects.iter().enumerate() {
        for dependency in dependencies(object, &identities) {
            let problem = |message: String| {
                Diagnostic::error(format!("{} {message}", object.id()))
                    .maybe_at(object.lifecycle.origin.clone())
            };
            match dependency {
                Err(reference) => {
                    let candidates: Vec<String> = objects
                        .iter()
                        .map(|o| format!("{} {}", o.kind, o.name))
                        .collect();
                    let written = format!("{} {}", reference.kind, reference.name);
                    let hint = did_you_mean(&written, candidates.iter().map(String::as_str))
                        .unwrap_or_else(|| {
                            "a dependency must be an object this release renders".to_string()
                        });
                    problems.push((
                        index,
                        problem(format!(
                            "depends on {reference}, which the release does not render"
                        ))
                        .hint(hint),
                    ));
                }
                Ok(target) if objects[target].lifecycle.phase > object.lifecycle.phase => {
                    problems.push((
                        index,
                        problem(format!(
                            "(phase {}) depends on {} in phase {}, which is applied after it",
                            object.lifecycle.phase,
                            objects[target].id(),
                            objects[target].lifecycle.phase
                        ))
                        .hint("move the dependency to the same or an earlier phase"),
                    ));
                }
                Ok(target) if target == index => {
                    problems.push((index, problem("depends on itself".to_string())))
                }
                Ok(target) => edges.entry(index).or_default().push(target),
            }
        }
    }
    if let Some(cycle) = find_cycle(objects.len(), &edges) {
        let path: Vec<String> = cycle
            .iter()
            .chain(cycle.first())
            .map(|&i| objects[i].id())
            .collect();
        let first = cycle[0];
        problems.push((
            first,
            Diagnostic::error(format!(
                "the dependencies form a cycle: {}",
                path.join(" → ")
            ))
            .maybe_at(objects[first].lifecycle.origin.clone())
            .hint("no object can be applied first; remove one of these dependencies"),
        ));
    }
    problems
}

/// A cycle in the graph of `count` nodes and `edges`, as the nodes on it.
fn find_cycle(count: usize, edges: &HashMap<usize, Vec<usize>>) -> Option<Vec<usize>> {
    // 0: not visited, 1: on the current path, 2: done.
    let mut state = vec![0u8; count];
    for start in 0..count {
        if state[start] != 0 {
            continue;
        }
        // An explicit stack of (node, next edge to follow): no recursion.
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            let targets = edges.get(&node).map_or(&[][..], Vec::as_slice);
            if let Some(&target) = targets.get(*next) {
                *next += 1;
                match state[target] {
                    0 => {
                        state[target] = 1;
                        path.push((target, 0));
                    }
                    1 => {
                        let at = path.iter().position(|&(n, _)| n == target).unwrap_or(0);
                        return Some(path[at..].iter().map(|&(n, _)| n).collect());
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                path.pop();
            }
        }
    }
    None
}

fn object(root: Node, source: &str, dialect: yaml::Dialect) -> Result<Object, Vec<Diagnostic>> {
    let Value::Map(_) = &root.value else {
        return Err(vec![Diagnostic::error(format!(
            "a document must be a Kubernetes object (a map), found {}",
            root.value.type_name()
        ))
        .at(root.origin.clone())]);
    };
    let mut problems = Vec::new();
    let text = |node: &Node, field: &str, problems: &mut Vec<Diagnostic>| -> Option<String> {
        match node.get(field) {
            Some(Node {
                value: Value::String(s),
                ..
            }) if !s.is_empty() => Some(s.clone()),
            Some(other) => {
                problems.push(
                    Diagnostic::error(format!(
                        "`{field}` must be a non-empty string, found {}",
                        other.summary()
                    ))
                    .at(other.origin.clone()),
                );
                None
            }
            None => {
                problems.push(
                    Diagnostic::error(format!("the object has no `{field}`"))
                        .at(node.origin.clone()),
                );
                None
            }
        }
    };
    let api_version = text(&root, "apiVersion", &mut problems);
    let kind = text(&root, "kind", &mut problems);
    let metadata = match root.get("metadata") {
        Some(
            metadata @ Node {
                value: Value::Map(_),
                ..
            },
        ) => Some(metadata),
        Some(other) => {
            problems.push(Diagnostic::error("`metadata` must be a map").at(other.origin.clone()));
            None
        }
        None => {
            problems.push(
                Diagnostic::error("the object has no `metadata`")
                    .at(root.origin.clone())
                    .hint("add `metadata: {name: ...}`"),
            );
            None
        }
    };
    let name = metadata.and_then(|m| text(m, "name", &mut problems));
    let mut namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(|ns| match &ns.value {
            Value::String(s) if crate::shared::yaml::fields::is_dns_label(s) => Some(s.clone()),
            _ => {
                problems.push(
                    Diagnostic::error(format!(
                        "`metadata.namespace` must be a valid namespace name, found {}",
                        ns.summary()
                    ))
                    .at(ns.origin.clone()),
                );
                None
            }
        });
    if let (Some(kind), Some(name), Some(metadata)) = (&kind, &name, metadata) {
        let name_node = metadata.get("name").unwrap_or(metadata);
        if let Some(problem) = name_problem(kind, name) {
            problems.push(Diagnostic::error(format!("`{kind}` name `{name}` is invalid: {problem}")).at(name_node.origin.clone()).hint(
                "use lowercase letters, digits, `-` and `.`; the `dns_name` filter makes a valid name from any text",
            ));
        }
        if CLUSTER_SCOPED.contains(&kind.as_str()) && dialect == yaml::Dialect::Yaml11 {
            // Read as Kubernetes reads a chart's output: the API server
            // ignores the namespace of a cluster-scoped object.
            namespace = None;
        } else if CLUSTER_SCOPED.contains(&kind.as_str()) && namespace.is_some() {
            let origin = metadata
                .get("namespace")
                .map_or(metadata.origin.clone(), |n| n.origin.clone());
            problems.push(
                Diagnostic::error(format!(
                    "`{kind}` is cluster-scoped and cannot have `metadata.namespace`"
                ))
                .at(origin)
                .hint("remove the namespace"),
            );
        }
        for field in ["labels", "annotations"] {
            check_string_map(metadata, field, &mut problems);
        }
    }
    let lifecycle = match metadata.map(lifecycle::parse) {
        Some(Err(found)) => {
            problems.extend(found);
            Lifecycle::default()
        }
        Some(Ok(lifecycle)) => lifecycle,
        None => Lifecycle::default(),
    };
    if let Some(api_version) = &api_version {
        if api_version.split('/').count() > 2
            || api_version.starts_with('/')
            || api_version.ends_with('/')
        {
            let origin = root
                .get("apiVersion")
                .map_or(root.origin.clone(), |n| n.origin.clone());
            problems.push(
                Diagnostic::error(format!(
                    "`apiVersion` `{api_version}` must be `VERSION` or `GROUP/VERSION`"
                ))
                .at(origin),
            );
        }
    }
    match (api_version, kind, name) {
        (Some(api_version), Some(kind), Some(name)) if problems.is_empty() => Ok(Object {
            api_version,
            kind,
            name,
            namespace,
            body: root.into_json(),
            source: source.to_string(),
            lifecycle,
            rendered: None,
        }),
        _ => Err(problems),
    }
}

fn check_string_map(metadata: &Node, field: &str, problems: &mut Vec<Diagnostic>) {
    let Some(node) = metadata.get(field) else {
        return;
    };
    match &node.value {
        Value::Null => {}
        Value::Map(entries) => {
            for (key, value) in entries {
                if !matches!(value.value, Value::String(_)) {
                    problems.push(
                        Diagnostic::error(format!(
                            "`metadata.{field}.{}` must be a string, found {} {}",
                            key.name,
                            value.value.type_name(),
                            value.summary()
                        ))
                        .at(value.origin.clone())
                        .hint("Kubernetes rejects non-string label and annotation values; use the `quote` filter"),
                    );
                } else if field == "labels" && value.as_str().is_some_and(|v| !is_label_value(v)) {
                    problems.push(
                        Diagnostic::error(format!(
                            "label `{}` has an invalid value {}: at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit",
                            key.name,
                            value.summary()
                        ))
                        .at(value.origin.clone()),
                    );
                }
            }
        }
        _ => problems.push(
            Diagnostic::error(format!("`metadata.{field}` must be a map of strings"))
                .at(node.origin.clone()),
        ),
    }
}

fn is_label_value(value: &str) -> bool {
    value.is_empty()
        || (value.len() <= 63
            && value.starts_with(|c: char| c.is_ascii_alphanumeric())
            && value.ends_with(|c: char| c.is_ascii_alphanumeric())
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
}

/// Why `name` is not a valid name for `kind`, if it is not.
fn name_problem(kind: &str, name: &str) -> Option<&'static str> {
    if name.len() > 253 {
        return Some("longer than 253 characters");
    }
    if RBAC_KINDS.contains(&kind) {
        return (name.contains(['/', '%']) || name == "." || name == "..")
            .then_some("it may not contain `/` or `%`");
    }
    let valid = name.split('.').all(|label| {
        !label.is_empty()
            && label.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && label.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    });
    (!valid).then_some("names are lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit")
}

/// The objects as one YAML stream, each preceded by a `# Source:` comment.
/// Large streams are written in batches on every core.
pub fn to_yaml_stream(objects: &[Object]) -> String {
    let batches: Vec<&[Object]> = objects.chunks(256).collect();
    let texts = crate::shared::parallel::map(&batches, |batch| {
        let mut out = String::new();
        for object in *batch {
            write_document(&mut out, object, &[]);
        }
        out
    });
    texts.concat()
}

/// One object as a YAML document: `---`, `# Source:`, any further comment
/// lines, the object.
pub fn write_document(out: &mut String, object: &Object, comments: &[String]) {
    out.push_str("---\n# Source: ");
    out.push_str(&object.source);
    out.push('\n');
    for comment in comments {
        out.push_str("# ");
        out.push_str(comment);
        out.push('\n');
    }
    yaml::write_document(out, &object.body);
}

/// The objects as a Kubernetes `List`.
pub fn list<'a>(objects: impl IntoIterator<Item = &'a Object>) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": objects.into_iter().map(|o| &o.body).collect::<Vec<_>>(),
    })
}

/// The objects as a Kubernetes `List`, pretty-printed JSON.
pub fn to_json_list<'a>(objects: impl IntoIterator<Item = &'a Object>) -> String {
    let mut text = serde_json::to_string_pretty(&list(objects)).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_found_without_recursion() {
        let edges: HashMap<usize, Vec<usize>> =
            [(0, vec![1]), (1, vec![2]), (2, vec![0]), (3, vec![0])].into();
        assert_eq!(find_cycle(4, &edges), Some(vec![0, 1, 2]));
        let chain: HashMap<usize, Vec<usize>> = (0..100_000).map(|i| (i, vec![i + 1])).collect();
        assert_eq!(find_cycle(100_001, &chain), None);
    }

    fn rendered(template: &str, output: &str) -> Rendered {
        Rendered {
            template: Source::new("templates/t.yaml", template),
            output: Source::new("templates/t.yaml", output),
        }
    }

    fn messages(result: Result<Vec<Object>, Diagnostics>) -> Vec<String> {
        result
            .unwrap_err()
            .0
            .iter()
            .map(|d| {
                format!(
                    "{}: {}",
                    d.origin.as_ref().map(|o| o.location()).unwrap_or_default(),
                    d.message
                )
            })
            .collect()
    }

    #[test]
    fn parses_objects_and_drops_empty_documents() {
        let r = rendered(
            "",
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\n---\n---\n",
        );
        let objects = objects(&[], &[r]).unwrap();
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].id(), "v1 ConfigMap ns/a");
    }

    #[test]
    fn points_object_errors_at_the_template_line() {
        let template = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ values.name }}\n  labels:\n    port: {{ values.port }}\n";
        let output = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"Bad_Name\"\n  labels:\n    port: 8080\n";
        assert_eq!(
            messages(objects(&[], &[rendered(template, output)])),
            [
                "templates/t.yaml:4:3: `ConfigMap` name `Bad_Name` is invalid: names are lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit",
                "templates/t.yaml:6:5: `metadata.labels.port` must be a string, found integer 8080",
            ]
        );
    }

    #[test]
    fn refuses_duplicates_and_namespaced_cluster_objects() {
        let output = "kind: Namespace\napiVersion: v1\nmetadata: {name: a, namespace: b}\n---\nkind: Secret\napiVersion: v1\nmetadata: {name: s}\n---\nkind: Secret\napiVersion: v1\nmetadata: {name: s}\n---\n- 1\n";
        assert_eq!(
            messages(objects(&[], &[rendered(output, output)])),
            [
                "templates/t.yaml:3:1: `Namespace` is cluster-scoped and cannot have `metadata.namespace`",
                "templates/t.yaml:9:1: `v1 Secret s` is rendered twice (also by `templates/t.yaml`)",
                "templates/t.yaml:13:1: a document must be a Kubernetes object (a map), found list",
            ]
        );
    }

    #[test]
    fn large_outputs_parsed_in_parts_report_like_whole_ones() {
        let object = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
        let count = PART_BYTES / object.len() * 3;
        let mut output: String = (0..count)
            .map(|i| object.replace("name: c", &format!("name: c{i}")))
            .collect();
        let lines = output.lines().count();
        // Positions in the output itself, as for CRD files.
        let same = |text: &str| {
            let source = Source::new("templates/t.yaml", text);
            Rendered {
                template: source.clone(),
                output: source,
            }
        };
        assert_eq!(objects(&[], &[same(&output)]).unwrap().len(), count);
        // A bad object and a syntax error far down, past the first part: the
        // lines are those of the whole output, and the valid parts before the
        // error add nothing (no duplicates reported).
        output.push_str("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c0}\n");
        assert_eq!(
            messages(objects(&[], &[same(&output)])),
            [format!(
                "templates/t.yaml:{}:1: `v1 ConfigMap c0` is rendered twice (also by `templates/t.yaml`)",
                lines + 2
            )]
        );
        output.push_str("---\nkey: [unclosed\n");
        assert_eq!(
            messages(objects(&[], &[same(&output)])),
            [format!(
                "templates/t.yaml:{}:1: invalid YAML in `templates/t.yaml`: while parsing a flow sequence, expected ',' or ']'",
                lines + 7
            )]
        );
    }
}
