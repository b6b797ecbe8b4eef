//! `index.yaml`: the list of every package archive a repository holds, with
//! the digest each download is verified against.

use std::path::Path;
use std::sync::Arc;

use crate::authoring::package::manifest::{self, Dependency};
use crate::authoring::package::{archive, Package};
use crate::shared::diagnostics::{Diagnostic, Diagnostics, Source};
use crate::shared::files::io_error;
use crate::shared::yaml::fields;
use crate::shared::yaml::{self, Node, Value};

/// The file name of a repository index.
pub const INDEX_FILE: &str = "index.yaml";
/// The index format this cleat writes and reads.
pub const FORMAT_VERSION: i64 = 1;

/// A repository index: entries sorted by name, newest version first.
#[derive(Debug, Clone, Default)]
pub struct Index {
    pub entries: Vec<Entry>,
}

/// One package archive in a repository.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub version: semver::Version,
    /// `sha256:` digest of the archive file.
    pub digest: String,
    /// When the archive was first indexed (RFC 3339, UTC).
    pub created: String,
    pub description: String,
    /// The version of the application the package deploys, when it says.
    pub app_version: Option<String>,
    pub keywords: Vec<String>,
    pub deprecated: bool,
    /// The package's dependencies, so resolution needs no downloads.
    pub dependencies: Vec<Dependency>,
}

impl Entry {
    /// The archive's file name in the repository.
    pub fn archive_name(&self) -> String {
        format!("{}-{}{}", self.name, self.version, archive::EXTENSION)
    }

    fn from_package(package: &Package, digest: String, created: String) -> Entry {
        let manifest = &package.manifest;
        Entry {
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            digest,
            created,
            description: manifest.description.clone(),
            app_version: manifest.metadata.app_version.clone(),
            keywords: manifest.metadata.keywords.clone(),
            deprecated: manifest.metadata.deprecated,
            dependencies: manifest.dependencies.clone(),
        }
    }
}

impl Index {
    /// Indexes every `*.tgz` in `dir`. Entries whose archive is unchanged keep
    /// their `created` time from `previous`; new ones get `now`.
    pub fn build(dir: &Path, previous: &Index, now: &str) -> Result<Index, Diagnostics> {
        let shown = dir.display().to_string();
        let listing = std::fs::read_dir(dir).map_err(|e| io_error(&shown, &e))?;
        let mut paths = Vec::new();
        for entry in listing {
            let path = entry.map_err(|e| io_error(&shown, &e))?.path();
            if path.to_string_lossy().ends_with(archive::EXTENSION) && path.is_file() {
                paths.push(path);
            }
        }
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        for path in paths {
            match Package::read_archive(&path).and_then(|p| Ok((p.digest()?.to_string(), p))) {
                Ok((digest, package)) => {
                    let created = previous
                        .entries
                        .iter()
                        .find(|e| e.digest == digest)
                        .map_or_else(|| now.to_string(), |e| e.created.clone());
                    entries.push(Entry::from_package(&package, digest, created));
                }
                Err(errors) => problems.extend(errors.0),
            }
        }
        sort(&mut entries);
        Diagnostics::check(problems, Index { entries })
    }

    /// Versions of `name`, newest first.
    pub fn versions<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries.iter().filter(move |e| e.name == name)
    }

    /// Entries whose name, description or a keyword contains `query`,
    /// ignoring case.
    pub fn search(&self, query: &str) -> Vec<&Entry> {
        let query = query.to_lowercase();
        self.entries
            .iter()
            .filter(|e| {
                e.name.contains(&query)
                    || e.description.to_lowercase().contains(&query)
                    || e.keywords.iter().any(|k| k.to_lowercase().contains(&query))
            })
            .collect()
    }

    /// The index as YAML, in a stable order.
    pub fn to_yaml(&self) -> String {
        let entries: Vec<serde_json::Value> = self
            .entries
            .iter()
            .map(|e| {
                let mut entry = serde_json::json!({
                    "name": e.name,
                    "version": e.version.to_string(),
                    "digest": e.digest,
                    "created": e.created,
                    "description": e.description,
                });
                if let Some(app) = &e.app_version {
                    entry["appVersion"] = app.clone().into();
                }
                if !e.keywords.is_empty() {
                    entry["keywords"] = e.keywords.clone().into();
                }
                if e.deprecated {
                    entry["deprecated"] = true.into();
                }
                if !e.dependencies.is_empty() {
                    entry["dependencies"] = e.dependencies.iter().map(dependency_json).collect();
                }
                entry
            })
            .collect();
        let document = serde_json::json!({
            "formatVersion": FORMAT_VERSION,
            "packages": entries,
        });
        format!(
            "# A cleat repository index, written by `cleat repo index`.\n{}",
            yaml::emit_document(&document)
        )
    }

    /// Parses an index, checking every field.
    pub fn parse(source: &Arc<Source>) -> Result<Index, Diagnostics> {
        let root = yaml::parse_document(source)?;
        let mut problems = Vec::new();
        let Value::Map(fields) = &root.value else {
            return Err(Diagnostic::error(format!(
                "`{}` must be a map with `formatVersion` and `packages`",
                source.name
            ))
            .at(root.origin.clone())
            .into());
        };
        fields::check_fields(
            fields,
            &["formatVersion", "packages"],
            &source.name,
            &mut problems,
        );
        match root.get("formatVersion").map(|n| &n.value) {
            Some(Value::Int(FORMAT_VERSION)) => {}
            Some(Value::Int(v)) if *v > FORMAT_VERSION => {
                return Err(Diagnostic::error(format!(
                    "`{}` has index format {v}; this cleat reads format {FORMAT_VERSION}",
                    source.name
                ))
                .at(root.get("formatVersion").map_or(root.origin.clone(), |n| n.origin.clone()))
                .hint("upgrade cleat to use this repository")
                .into())
            }
            _ => {
                return Err(Diagnostic::error(format!(
                    "`{}` is not a cleat repository index: `formatVersion: {FORMAT_VERSION}` is missing",
                    source.name
                ))
                .at(root.origin.clone())
                .into())
            }
        }
        let items = match root.get("packages") {
            Some(Node {
                value: Value::List(items),
                ..
            }) => items.as_slice(),
            Some(Node {
                value: Value::Null, ..
            }) => &[],
            Some(other) => {
                return Err(Diagnostic::error("`packages` must be a list")
                    .at(other.origin.clone())
                    .into())
            }
            None => {
                return Err(Diagnostic::error("missing required field `packages`")
                    .at(root.origin.clone())
                    .into())
            }
        };
        let mut entries: Vec<Entry> = items
            .iter()
            .filter_map(|item| entry(item, &source.name, &mut problems))
            .collect();
        sort(&mut entries);
        Diagnostics::check(problems, Index { entries })
    }
}

const ENTRY_FIELDS: [&str; 9] = [
    "name",
    "version",
    "digest",
    "created",
    "description",
    "appVersion",
    "keywords",
    "deprecated",
    "dependencies",
];

fn entry(node: &Node, file: &str, problems: &mut Vec<Diagnostic>) -> Option<Entry> {
    let Value::Map(fields) = &node.value else {
        problems.push(Diagnostic::error("a package entry must be a map").at(node.origin.clone()));
        return None;
    };
    fields::check_fields(fields, &ENTRY_FIELDS, file, problems);
    let name = fields::required_string(node, "name", problems);
    if let Some((name, origin)) = &name {
        if !fields::is_dns_label(name) {
            problems.push(
                Diagnostic::error(format!("package name `{name}` is not a valid name"))
                    .at(origin.clone()),
            );
        }
    }
    let version = fields::required_string(node, "version", problems).and_then(|(text, origin)| {
        semver::Version::parse(&text)
            .map_err(|e| {
                problems.push(
                    Diagnostic::error(format!("version `{text}` is not a semantic version: {e}"))
                        .at(origin),
                )
            })
            .ok()
    });
    let digest = fields::required_string(node, "digest", problems);
    if let Some((digest, origin)) = &digest {
        if !crate::shared::digest::is_digest(digest) {
            problems.push(
                Diagnostic::error(format!("`{digest}` is not a digest"))
                    .at(origin.clone())
                    .hint("write `sha256:` and 64 lowercase hex digits"),
            );
        }
    }
    let created = fields::required_string(node, "created", problems);
    let description = fields::required_string(node, "description", problems);
    let app_version = fields::optional_string(node, "appVersion", problems).map(|(a, _)| a);
    let keywords = manifest::strings(node, "keywords", problems);
    let deprecated = match node.get("deprecated").map(|n| &n.value) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            problems.push(
                Diagnostic::error("`deprecated` must be true or false").at(node
                    .get("deprecated")
                    .map_or(node.origin.clone(), |n| n.origin.clone())),
            );
            false
        }
    };
    let dependencies = match node.get("dependencies") {
        None => Vec::new(),
        Some(Node {
            value: Value::List(items),
            ..
        }) => items
            .iter()
            .filter_map(|item| manifest::dependency(item, file, problems))
            .collect(),
        Some(other) => {
            problems
                .push(Diagnostic::error("`dependencies` must be a list").at(other.origin.clone()));
            Vec::new()
        }
    };
    Some(Entry {
        name: name?.0,
        version: version?,
        digest: digest?.0,
        created: created?.0,
        description: description?.0,
        app_version,
        keywords,
        deprecated,
        dependencies,
    })
}

fn dependency_json(dependency: &Dependency) -> serde_json::Value {
    let mut json = serde_json::json!({
        "name": dependency.name,
        "version": dependency.version.to_string(),
        "repository": dependency.repository,
    });
    if let Some(alias) = &dependency.alias {
        json["alias"] = alias.clone().into();
    }
    if let Some(condition) = &dependency.condition {
        json["condition"] = condition.clone().into();
    }
    json
}

fn sort(entries: &mut [Entry]) {
    entries.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| b.version.cmp(&a.version)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_reads_back_what_it_wrote() {
        let text = "formatVersion: 1\npackages:\n  - name: web\n    version: 1.0.0\n    digest: sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n    created: \"2026-11-24T18:00:00Z\"\n    description: A web app\n  - name: web\n    version: 1.10.0\n    digest: sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n    created: \"2026-11-24T18:00:00Z\"\n    description: A web app\n    dependencies:\n      - name: lib\n        version: ^1.2\n        repository: ../lib\n";
        let index = Index::parse(&Source::new("index.yaml", text)).unwrap();
        let versions: Vec<String> = index
            .versions("web")
            .map(|e| e.version.to_string())
            .collect();
        assert_eq!(versions, ["1.10.0", "1.0.0"]);
        let again = Index::parse(&Source::new("index.yaml", index.to_yaml())).unwrap();
        assert_eq!(again.to_yaml(), index.to_yaml());
        assert_eq!(again.entries[0].dependencies[0].repository, "../lib");
    }

    #[test]
    fn a_bad_index_names_the_line() {
        let text = "formatVersion: 1\npackages:\n  - name: web\n    version: one\n    digest: md5:x\n    created: now\n    description: d\n";
        let errors = Index::parse(&Source::new("index.yaml", text)).unwrap_err();
        let messages: Vec<String> = errors
            .0
            .iter()
            .map(|d| format!("{} {}", d.message, d.origin.as_ref().unwrap().location()))
            .collect();
        assert_eq!(
            messages,
            [
                "version `one` is not a semantic version: unexpected character 'o' while parsing major version number index.yaml:4:14",
                "`md5:x` is not a digest index.yaml:5:13",
            ]
        );
        let future = Index::parse(&Source::new(
            "index.yaml",
            "formatVersion: 2\npackages: []\n",
        ))
        .unwrap_err();
        assert_eq!(
            future.0[0].message,
            "`index.yaml` has index format 2; this cleat reads format 1"
        );
    }
}
