//! `cleat deps`: the resolved dependency tree, with versions and digests.

use crate::authoring::package::Package;
use crate::authoring::repository::Client;
use crate::authoring::resolve::{self, Tree};
use crate::cli::{DepsArgs, ListFormat};
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

use super::Outcome;

pub fn run(args: DepsArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let package = Package::open(&args.package)?;
    let tree = resolve::resolve(package, &mut Client::new(args.update))?;
    let text = match args.output {
        ListFormat::Json => {
            serde_json::to_string_pretty(&json(&tree, None)?).unwrap_or_default() + "\n"
        }
        ListFormat::Table => {
            let mut text = line(&tree, None)?;
            lines(&tree, "", &mut text)?;
            text
        }
    };
    super::write(out, &text)?;
    Ok(Outcome::default())
}

fn lines(tree: &Tree, indent: &str, text: &mut String) -> Result<(), Diagnostic> {
    for (i, child) in tree.dependencies.iter().enumerate() {
        let last = i + 1 == tree.dependencies.len();
        let (branch, below) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        text.push_str(indent);
        text.push_str(branch);
        text.push_str(&line(&child.tree, Some(&child.dependency))?);
        lines(&child.tree, &format!("{indent}{below}"), text)?;
    }
    Ok(())
}

/// `name version digest (location)`, with the alias and condition of a dependency.
fn line(
    tree: &Tree,
    dependency: Option<&crate::authoring::package::Dependency>,
) -> Result<String, Diagnostic> {
    let manifest = &tree.package.manifest;
    let mut text = format!("{} {}", manifest.name, manifest.version);
    if let Some(app) = &manifest.metadata.app_version {
        text.push_str(&format!(" (app {app})"));
    }
    text.push_str(&format!(" {} ({})", tree.package.digest()?, tree.location));
    if manifest.metadata.deprecated {
        text.push_str(" DEPRECATED");
    }
    if let Some(dependency) = dependency {
        if let Some(alias) = &dependency.alias {
            text.push_str(&format!(" as {alias}"));
        }
        if let Some(condition) = &dependency.condition {
            text.push_str(&format!(" if {condition}"));
        }
    }
    Ok(text + "\n")
}

fn json(
    tree: &Tree,
    dependency: Option<&crate::authoring::package::Dependency>,
) -> Result<serde_json::Value, Diagnostic> {
    let manifest = &tree.package.manifest;
    let mut node = serde_json::json!({
        "name": manifest.name,
        "version": manifest.version.to_string(),
        "digest": tree.package.digest()?,
        "source": tree.location.to_string(),
    });
    let metadata = &manifest.metadata;
    if let Some(app) = &metadata.app_version {
        node["appVersion"] = app.clone().into();
    }
    for (field, value) in [("home", &metadata.home), ("icon", &metadata.icon)] {
        if let Some(value) = value {
            node[field] = value.clone().into();
        }
    }
    if !metadata.keywords.is_empty() {
        node["keywords"] = metadata.keywords.clone().into();
    }
    if metadata.deprecated {
        node["deprecated"] = true.into();
    }
    if let Some(dependency) = dependency {
        node["key"] = dependency.key().into();
        node["constraint"] = dependency.version.to_string().into();
        if let Some(condition) = &dependency.condition {
            node["condition"] = condition.clone().into();
        }
    }
    let children: Result<Vec<serde_json::Value>, Diagnostic> = tree
        .dependencies
        .iter()
        .map(|child| json(&child.tree, Some(&child.dependency)))
        .collect();
    node["dependencies"] = children?.into();
    Ok(node)
}
