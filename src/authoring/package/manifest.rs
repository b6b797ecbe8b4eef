//! `package.yaml`: a package's name, version, supported Kubernetes versions,
//! dependencies and descriptive metadata (the fields Helm's Chart.yaml has:
//! appVersion, home, sources, keywords, maintainers, icon, annotations,
//! deprecated), checked field by field with positions.

use std::sync::Arc;

use crate::shared::diagnostics::{Diagnostic, Origin, Source};
use crate::shared::yaml::fields::{check_fields, is_dns_label, optional_string, required_string};
use crate::shared::yaml::{self, Node, Value};

/// The file name of a package manifest.
pub const MANIFEST_FILE: &str = "package.yaml";

/// A checked package manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub name: String,
    pub version: semver::Version,
    pub description: String,
    /// Kubernetes versions the package supports; `None` means any.
    pub kube_version: Option<semver::VersionReq>,
    pub dependencies: Vec<Dependency>,
    pub metadata: Metadata,
    /// Severities of the built-in checks for the package's objects, over
    /// their defaults (`policy:`).
    pub policy: crate::authoring::policy::settings::Settings,
}

/// What a package says about itself, for people and tools; rendering sees
/// it as `package.*`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// The version of the application the package deploys (`appVersion`).
    pub app_version: Option<String>,
    pub home: Option<String>,
    pub sources: Vec<String>,
    pub keywords: Vec<String>,
    pub maintainers: Vec<Maintainer>,
    pub icon: Option<String>,
    pub annotations: Vec<(String, String)>,
    pub deprecated: bool,
}

/// A person who maintains a package.
#[derive(Debug, Clone, PartialEq)]
pub struct Maintainer {
    pub name: String,
    pub email: Option<String>,
    pub url: Option<String>,
}

/// A dependency as the manifest declares it; resolution happens elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    pub name: String,
    pub version: semver::VersionReq,
    /// A repository directory (relative to the package) or HTTP(S) URL.
    pub repository: String,
    pub alias: Option<String>,
    /// A values path that switches the dependency on, such as `redis.enabled`.
    pub condition: Option<String>,
    /// Where the dependency is declared.
    pub origin: Origin,
}

impl Dependency {
    /// The key the dependency's values live under in its parent's values,
    /// and the name its templates are shown under: the alias, or the name.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

const FIELDS: [&str; 14] = [
    "name",
    "version",
    "description",
    "kubeVersion",
    "dependencies",
    "appVersion",
    "home",
    "sources",
    "keywords",
    "maintainers",
    "icon",
    "annotations",
    "deprecated",
    "policy",
];
const MAINTAINER_FIELDS: [&str; 3] = ["name", "email", "url"];
const DEPENDENCY_FIELDS: [&str; 5] = ["name", "version", "repository", "alias", "condition"];

/// Parses and checks a manifest, reporting every problem it finds.
pub fn parse(source: &Arc<Source>) -> Result<Manifest, Vec<Diagnostic>> {
    let root = yaml::parse_document(source).map_err(|d| vec![d])?;
    let mut problems = Vec::new();
    let Value::Map(entries) = &root.value else {
        return Err(vec![Diagnostic::error(format!(
            "`{}` must be a map with `name`, `version` and `description`",
            source.name
        ))
        .at(root.origin.clone())]);
    };
    check_fields(entries, &FIELDS, &source.name, &mut problems);

    let name = required_string(&root, "name", &mut problems);
    if let Some((name, origin)) = &name {
        if !is_dns_label(name) {
            problems.push(
                Diagnostic::error(format!("package name `{name}` is not a valid name"))
                    .at(origin.clone())
                    .hint("use lowercase letters, digits and `-`, at most 63 characters, starting with a letter"),
            );
        }
    }
    let version = required_string(&root, "version", &mut problems).and_then(|(text, origin)| {
        semver::Version::parse(&text)
            .map_err(|e| {
                problems.push(
                    Diagnostic::error(format!("version `{text}` is not a semantic version: {e}"))
                        .at(origin)
                        .hint("write MAJOR.MINOR.PATCH, for example `1.2.0`"),
                )
            })
            .ok()
    });
    let description = required_string(&root, "description", &mut problems);
    let kube_version = optional_string(&root, "kubeVersion", &mut problems)
        .and_then(|(text, origin)| version_req(&text, origin, &mut problems));
    let dependencies = match root.get("dependencies") {
        None => Vec::new(),
        Some(Node {
            value: Value::Null, ..
        }) => Vec::new(),
        Some(Node {
            value: Value::List(items),
            ..
        }) => {
            let dependencies: Vec<Dependency> = items
                .iter()
                .filter_map(|item| dependency(item, &source.name, &mut problems))
                .collect();
            for (i, dependency) in dependencies.iter().enumerate() {
                if dependencies[..i]
                    .iter()
                    .any(|d| d.key() == dependency.key())
                {
                    problems.push(
                        Diagnostic::error(format!(
                            "two dependencies use the key `{}`",
                            dependency.key()
                        ))
                        .at(dependency.origin.clone())
                        .hint("give one of them an `alias`: its values then live under the alias"),
                    );
                }
            }
            dependencies
        }
        Some(other) => {
            problems.push(
                Diagnostic::error(format!(
                    "`dependencies` must be a list, found {}",
                    other.value.type_name()
                ))
                .at(other.origin.clone()),
            );
            Vec::new()
        }
    };
    let metadata = metadata(&root, &source.name, &mut problems);
    let policy = match root.get("policy") {
        None => Default::default(),
        Some(node) => crate::authoring::policy::settings::settings(node).unwrap_or_else(|found| {
            problems.extend(found);
            Default::default()
        }),
    };
    match (name, version, description) {
        (Some((name, _)), Some(version), Some((description, _))) if problems.is_empty() => {
            Ok(Manifest {
                name,
                version,
                description,
                kube_version,
                dependencies,
                metadata,
                policy,
            })
        }
        _ => Err(problems),
    }
}

/// One dependency entry, as in `package.yaml` and repository indexes.
pub(crate) fn dependency(
    node: &Node,
    file: &str,
    problems: &mut Vec<Diagnostic>,
) -> Option<Dependency> {
    let Value::Map(entries) = &node.value else {
        problems.push(
            Diagnostic::error("a dependency must be a map with `name` and `version`")
                .at(node.origin.clone()),
        );
        return None;
    };
    check_fields(entries, &DEPENDENCY_FIELDS, file, problems);
    let name = required_string(node, "name", problems);
    let version = required_string(node, "version", problems)
        .and_then(|(text, origin)| version_req(&text, origin, problems));
    let repository = required_string(node, "repository", problems);
    let alias = optional_string(node, "alias", problems);
    if let Some((alias, origin)) = &alias {
        if !is_key(alias) {
            problems.push(
                Diagnostic::error(format!("alias `{alias}` cannot be a values key"))
                    .at(origin.clone())
                    .hint("start with a letter; use letters, digits, `_` and `-`"),
            );
        }
    }
    let condition = optional_string(node, "condition", problems);
    if let Some((condition, origin)) = &condition {
        if !condition.split('.').all(is_key) {
            problems.push(
                Diagnostic::error(format!("condition `{condition}` is not a values path"))
                    .at(origin.clone())
                    .hint("name a boolean value such as `redis.enabled`"),
            );
        }
    }
    Some(Dependency {
        name: name?.0,
        version: version?,
        repository: repository?.0,
        alias: alias.map(|(s, _)| s),
        condition: condition.map(|(s, _)| s),
        origin: node.origin.clone(),
    })
}

fn is_key(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub(crate) fn version_req(
    text: &str,
    origin: Origin,
    problems: &mut Vec<Diagnostic>,
) -> Option<semver::VersionReq> {
    semver::VersionReq::parse(text)
        .map_err(|e| {
            problems.push(
                Diagnostic::error(format!("`{text}` is not a version constraint: {e}"))
                    .at(origin)
                    .hint("write constraints such as `>=1.20.0`, `^1.2` or `>=1.20, <1.32`"),
            )
        })
        .ok()
}

/// The descriptive fields of a manifest.
fn metadata(root: &Node, file: &str, problems: &mut Vec<Diagnostic>) -> Metadata {
    let text = |field: &str, problems: &mut Vec<Diagnostic>| {
        optional_string(root, field, problems).map(|(text, _)| text)
    };
    let mut metadata = Metadata {
        app_version: text("appVersion", problems),
        home: text("home", problems),
        icon: text("icon", problems),
        sources: strings(root, "sources", problems),
        keywords: strings(root, "keywords", problems),
        ..Metadata::default()
    };
    for (field, url) in [("home", &metadata.home), ("icon", &metadata.icon)] {
        if let Some(url) = url.as_ref().filter(|u| !is_url(u)) {
            let origin = root
                .get(field)
                .map_or(root.origin.clone(), |n| n.origin.clone());
            problems.push(
                Diagnostic::error(format!("`{field}` must be an http(s) URL, found `{url}`"))
                    .at(origin),
            );
        }
    }
    match root.get("deprecated").map(|n| (&n.value, n)) {
        None => {}
        Some((Value::Bool(b), _)) => metadata.deprecated = *b,
        Some((other, node)) => problems.push(
            Diagnostic::error(format!(
                "`deprecated` must be true or false, found {}",
                other.type_name()
            ))
            .at(node.origin.clone()),
        ),
    }
    match root.get("annotations") {
        None => {}
        Some(Node {
            value: Value::Map(entries),
            ..
        }) => {
            for (key, value) in entries {
                match value.as_str() {
                    Some(text) => metadata
                        .annotations
                        .push((key.name.clone(), text.to_string())),
                    None => problems.push(
                        Diagnostic::error(format!(
                            "annotation `{}` must be a string, found {}",
                            key.name,
                            value.value.type_name()
                        ))
                        .at(value.origin.clone())
                        .hint("quote it"),
                    ),
                }
            }
        }
        Some(other) => problems.push(
            Diagnostic::error("`annotations` must be a map of strings").at(other.origin.clone()),
        ),
    }
    match root.get("maintainers") {
        None => {}
        Some(Node {
            value: Value::List(items),
            ..
        }) => {
            for item in items {
                let Value::Map(entries) = &item.value else {
                    problems.push(
                        Diagnostic::error(
                            "a maintainer must be a map with `name` (and `email`, `url`)",
                        )
                        .at(item.origin.clone()),
                    );
                    continue;
                };
                check_fields(entries, &MAINTAINER_FIELDS, file, problems);
                let name = required_string(item, "name", problems).map(|(n, _)| n);
                let email = optional_string(item, "email", problems).map(|(e, _)| e);
                let url = optional_string(item, "url", problems).map(|(u, _)| u);
                if let Some(name) = name {
                    metadata.maintainers.push(Maintainer { name, email, url });
                }
            }
        }
        Some(other) => problems.push(
            Diagnostic::error("`maintainers` must be a list of maps with `name`, `email`, `url`")
                .at(other.origin.clone()),
        ),
    }
    metadata
}

fn is_url(text: &str) -> bool {
    text.starts_with("https://") || text.starts_with("http://")
}

/// A list of strings, or an error naming the field.
pub(crate) fn strings(root: &Node, field: &str, problems: &mut Vec<Diagnostic>) -> Vec<String> {
    match root.get(field) {
        None => Vec::new(),
        Some(Node {
            value: Value::List(items),
            ..
        }) => items
            .iter()
            .filter_map(|item| match item.as_str() {
                Some(text) => Some(text.to_string()),
                None => {
                    problems.push(
                        Diagnostic::error(format!(
                            "`{field}` must list strings, found {}",
                            item.value.type_name()
                        ))
                        .at(item.origin.clone()),
                    );
                    None
                }
            })
            .collect(),
        Some(other) => {
            problems.push(
                Diagnostic::error(format!("`{field}` must be a list of strings"))
                    .at(other.origin.clone()),
            );
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Manifest, Vec<Diagnostic>> {
        parse(&Source::new("package.yaml", text))
    }

    #[test]
    fn parses_a_complete_manifest() {
        let manifest = parse_text(
            "name: webapp\nversion: 1.2.0\ndescription: A web app\nkubeVersion: \">=1.20.0\"\ndependencies:\n  - name: redis\n    version: ^17.1\n    repository: https://example.com/charts\n    condition: redis.enabled\n",
        )
        .unwrap();
        assert_eq!(manifest.name, "webapp");
        assert_eq!(manifest.version, semver::Version::new(1, 2, 0));
        assert_eq!(
            manifest.dependencies[0].condition.as_deref(),
            Some("redis.enabled")
        );
        assert!(manifest
            .kube_version
            .unwrap()
            .matches(&semver::Version::new(1, 20, 2)));
    }

    #[test]
    fn reports_every_problem_with_its_line() {
        let problems = parse_text("name: Web_App\nversion: 1.2\ndescripton: x\n").unwrap_err();
        let messages: Vec<String> = problems.iter().map(|d| d.message.clone()).collect();
        assert_eq!(
            messages,
            [
                "unknown field `descripton` in `package.yaml`",
                "package name `Web_App` is not a valid name",
                "version `1.2` is not a semantic version: unexpected end of input while parsing minor version number",
                "missing required field `description`",
            ]
        );
        assert_eq!(problems[0].hints[0], "did you mean `description`?");
        assert_eq!(problems[2].origin.as_ref().unwrap().line, 2);
    }
}
