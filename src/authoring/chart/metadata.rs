//! `Chart.yaml` (and a v1 chart's `requirements.yaml`): the fields cleat
//! acts on, typed, and the whole file as templates see it in `.Chart`,
//! with Helm's capitalisation (`.Chart.AppVersion`) and zero values for
//! what the file leaves out.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::shared::diagnostics::{Diagnostic, Diagnostics, Origin, Source};
use crate::shared::yaml::{self, Dialect, Node};

/// A chart's metadata.
#[derive(Debug, Clone)]
pub struct Metadata {
    pub api_version: String,
    pub name: String,
    pub version: String,
    pub app_version: String,
    /// `application` or `library` (empty means application).
    pub chart_type: String,
    pub kube_version: String,
    pub dependencies: Vec<Dependency>,
    /// Chart.yaml as JSON, with its own keys.
    pub raw: serde_json::Map<String, Value>,
}

/// One entry of `dependencies`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    pub name: String,
    pub version: String,
    pub repository: String,
    pub condition: String,
    pub tags: Vec<String>,
    pub alias: String,
    /// `import-values`: strings (`exports.NAME` of the child) or
    /// `{child, parent}` maps.
    pub import_values: Vec<Value>,
    pub enabled: bool,
}

/// Parses `Chart.yaml`, with the dependencies of `requirements.yaml` for an
/// apiVersion v1 chart.
pub fn parse(
    source: &Arc<Source>,
    requirements: Option<&Arc<Source>>,
) -> Result<Metadata, Diagnostics> {
    let node = yaml::parse_document_as(source, Dialect::Yaml11)?;
    let Value::Object(raw) = node.to_json() else {
        return Err(Diagnostic::error(format!("`{}` is not a map", source.name))
            .at(node.origin.clone())
            .into());
    };
    let field = |key: &str| scalar(raw.get(key));
    let at = |key: &str| -> Origin {
        node.get(key)
            .map_or_else(|| Origin::new(source, 1, 1), |n| n.origin.clone())
    };
    let mut problems = Vec::new();
    let name = field("name");
    if name.is_empty() {
        problems.push(
            Diagnostic::error(format!("`{}` has no `name`", source.name))
                .at(Origin::new(source, 1, 1))
                .hint("Helm requires it: `name: mychart`"),
        );
    }
    let version = field("version");
    if version.is_empty() {
        problems.push(
            Diagnostic::error(format!("`{}` has no `version`", source.name))
                .at(Origin::new(source, 1, 1))
                .hint("Helm requires a semantic version: `version: 0.1.0`"),
        );
    } else if sprig::semver::satisfies("*", &version).is_err() {
        problems.push(
            Diagnostic::error(format!(
                "chart version `{version}` is not a semantic version"
            ))
            .at(at("version"))
            .hint("write MAJOR.MINOR.PATCH, as `1.2.3`"),
        );
    }
    let api_version = field("apiVersion");
    if !matches!(api_version.as_str(), "v1" | "v2" | "v3") {
        let message = if api_version.is_empty() {
            format!("`{}` has no `apiVersion`", source.name)
        } else {
            format!("chart apiVersion `{api_version}` is not one Helm knows")
        };
        problems.push(
            Diagnostic::error(message)
                .at(at("apiVersion"))
                .hint("write `apiVersion: v2` (Helm 3 and later) or `v1` (Helm 2)"),
        );
    }
    let chart_type = field("type");
    if !matches!(chart_type.as_str(), "" | "application" | "library") {
        problems.push(
            Diagnostic::error(format!(
                "chart type `{chart_type}` is neither `application` nor `library`"
            ))
            .at(at("type")),
        );
    }
    let mut dependencies = Vec::new();
    let mut read_dependencies = |node: &Node, problems: &mut Vec<Diagnostic>| {
        if let Some(list) = node.get("dependencies") {
            match dependency_list(list) {
                Ok(found) => dependencies.extend(found),
                Err(problem) => problems.push(problem),
            }
        }
    };
    read_dependencies(&node, &mut problems);
    if let Some(requirements) = requirements {
        match yaml::parse_document_as(requirements, Dialect::Yaml11) {
            Ok(node) => read_dependencies(&node, &mut problems),
            Err(problem) => problems.push(problem),
        }
    }
    Diagnostics::check(
        problems,
        Metadata {
            api_version,
            name,
            version,
            app_version: field("appVersion"),
            chart_type,
            kube_version: field("kubeVersion"),
            dependencies,
            raw,
        },
    )
}

/// A string field's text: a number written unquoted (`version: 1.0`)
/// counts as its text; anything else as empty.
fn scalar(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn dependency_list(list: &Node) -> Result<Vec<Dependency>, Diagnostic> {
    let yaml::Value::List(items) = &list.value else {
        return Err(Diagnostic::error("`dependencies` must be a list").at(list.origin.clone()));
    };
    items
        .iter()
        .map(|item| {
            let Value::Object(map) = item.to_json() else {
                return Err(Diagnostic::error(
                    "a dependency must be a map with `name`, `version` and `repository`",
                )
                .at(item.origin.clone()));
            };
            let text = |key: &str| scalar(map.get(key));
            let name = text("name");
            if name.is_empty() {
                return Err(Diagnostic::error("a dependency has no `name`").at(item.origin.clone()));
            }
            let tags = match map.get("tags") {
                Some(Value::Array(tags)) => tags
                    .iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            };
            let import_values = match map.get("import-values") {
                Some(Value::Array(values)) => values.clone(),
                _ => Vec::new(),
            };
            Ok(Dependency {
                name,
                version: text("version"),
                repository: text("repository"),
                condition: text("condition"),
                tags,
                alias: text("alias"),
                import_values,
                enabled: true,
            })
        })
        .collect()
}

impl Metadata {
    /// `.Chart` as templates see it: every field of Helm's Metadata with
    /// its Go name, zero values for the missing ones, and `IsRoot`.
    pub fn template_data(&self, is_root: bool) -> Value {
        let raw = &self.raw;
        let text = |key: &str| match raw.get(key) {
            Some(Value::Bool(b)) => Value::String(b.to_string()),
            other => Value::String(scalar(other)),
        };
        let list = |key: &str| match raw.get(key) {
            Some(Value::Array(items)) => Value::Array(items.clone()),
            _ => json!([]),
        };
        let maintainers: Vec<Value> = match raw.get("maintainers") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|m| {
                    let get = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or_default();
                    json!({"Name": get("name"), "Email": get("email"), "URL": get("url")})
                })
                .collect(),
            _ => Vec::new(),
        };
        let dependencies: Vec<Value> = self
            .dependencies
            .iter()
            .map(|d| {
                json!({
                    "Name": d.name, "Version": d.version, "Repository": d.repository,
                    "Condition": d.condition, "Tags": d.tags, "Enabled": d.enabled,
                    "ImportValues": d.import_values, "Alias": d.alias,
                })
            })
            .collect();
        json!({
            "APIVersion": text("apiVersion"),
            "Annotations": raw.get("annotations").cloned().unwrap_or(Value::Null),
            "AppVersion": text("appVersion"),
            "Condition": text("condition"),
            "Dependencies": dependencies,
            "Deprecated": raw.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
            "Description": text("description"),
            "Home": text("home"),
            "Icon": text("icon"),
            "IsRoot": is_root,
            "Keywords": list("keywords"),
            "KubeVersion": text("kubeVersion"),
            "Maintainers": maintainers,
            "Name": self.name,
            "Sources": list("sources"),
            "Tags": text("tags"),
            "Type": text("type"),
            "Version": self.version,
        })
    }
}
