//! A package with its dependencies: their schemas combined under their keys,
//! their conditions evaluated, and each package rendered with its own values.
//!
//! A dependency's values are its parent's values under the dependency's key
//! (its alias, or its name), checked by the dependency's own schema. A
//! dependency with a condition is rendered, and its values checked, only
//! when the condition (a boolean in its parent's values) holds, so a
//! switched-off dependency never asks for values it would need.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::authoring::resolve::{Child, Tree};
use crate::authoring::values::{join, Kind, Schema};
use crate::shared::diagnostics::{Diagnostic, Diagnostics, Source};

use super::{check, render, Release, Rendered};

/// Statically checks a package and its dependencies: every package's
/// templates against its schema, which holds each dependency's schema under
/// the dependency's key, and every condition. Returns the root's schema,
/// when every schema parses, and the problems found.
pub fn check_tree(tree: &Tree) -> (Option<Schema>, Vec<Diagnostic>) {
    let mut problems = Vec::new();
    let schema = combine(tree, "", None, &mut problems);
    (schema, problems)
}

/// The schema the values are checked against when the dependencies with a
/// condition are on exactly for the key paths in `on`: the others accept
/// any value and give no defaults.
pub fn values_schema(tree: &Tree, on: &BTreeSet<String>) -> Option<Schema> {
    combine(tree, "", Some(on), &mut Vec::new())
}

/// The key paths (`frontend`, `frontend.cache`) of the dependencies with a
/// condition that holds in `values`, below dependencies that are on.
pub fn switched_on(tree: &Tree, values: &serde_json::Value) -> BTreeSet<String> {
    let mut on = BTreeSet::new();
    let mut pending = vec![(tree, values, String::new())];
    while let Some((tree, values, path)) = pending.pop() {
        for child in &tree.dependencies {
            let child_path = join(&path, child.dependency.key());
            if child.dependency.condition.is_some() {
                if !holds(child, values) {
                    continue;
                }
                on.insert(child_path.clone());
            }
            pending.push((&child.tree, child_values(child, values), child_path));
        }
    }
    on
}

/// Renders a package and every dependency that is on, each with its own
/// values. Returns the CRDs of the packages rendered and their templates' output.
pub fn render_tree(
    tree: &Tree,
    values: &serde_json::Value,
    release: &Release,
) -> Result<(Vec<Arc<Source>>, Vec<Rendered>), Diagnostics> {
    let mut crds = Vec::new();
    let mut rendered = Vec::new();
    let mut problems = Vec::new();
    let mut pending = vec![(tree, values)];
    while let Some((tree, values)) = pending.pop() {
        crds.extend(tree.package.crds.iter().cloned());
        match render(&tree.package, values, release) {
            Ok(output) => rendered.extend(output),
            Err(errors) => problems.extend(errors.0),
        }
        // Pushed in reverse so dependencies render in the order declared.
        for child in tree.dependencies.iter().rev() {
            if child.dependency.condition.is_none() || holds(child, values) {
                pending.push((&child.tree, child_values(child, values)));
            }
        }
    }
    Diagnostics::check(problems, (crds, rendered))
}

/// Whether the condition of `child` is true in its parent's `values`.
fn holds(child: &Child, values: &serde_json::Value) -> bool {
    child
        .dependency
        .condition
        .as_ref()
        .is_some_and(|condition| {
            condition
                .split('.')
                .try_fold(values, |value, key| value.get(key))
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false)
        })
}

static NO_VALUES: serde_json::Value = serde_json::Value::Null;

fn child_values<'v>(child: &Child, values: &'v serde_json::Value) -> &'v serde_json::Value {
    values.get(child.dependency.key()).unwrap_or(&NO_VALUES)
}

/// The schema of `tree` at key path `at`, with its dependencies' schemas
/// under their keys. With `on`, dependencies with a condition outside it
/// accept any value; without, templates and conditions are checked too.
fn combine(
    tree: &Tree,
    at: &str,
    on: Option<&BTreeSet<String>>,
    problems: &mut Vec<Diagnostic>,
) -> Option<Schema> {
    let mut schema = Schema::parse(&tree.package.schema)
        .map_err(|errors| problems.extend(errors))
        .ok();
    for child in &tree.dependencies {
        let key = child.dependency.key();
        let path = join(at, key);
        let manifest = &child.tree.package.manifest;
        let switched_off =
            child.dependency.condition.is_some() && on.is_some_and(|on| !on.contains(&path));
        let child_schema = if switched_off {
            Some(Schema::any(child.dependency.origin.clone()))
        } else {
            combine(&child.tree, &path, on, problems)
        };
        let Some(mut child_schema) = child_schema else {
            continue;
        };
        child_schema.description.get_or_insert_with(|| {
            format!(
                "Values of dependency {} {}",
                manifest.name, manifest.version
            )
        });
        if let Some(schema) = &mut schema {
            if let Err(problem) = schema.add_dependency(key, child_schema) {
                problems.push(problem);
            }
        }
    }
    let schema = schema?;
    if on.is_none() {
        problems.extend(check::check(&tree.package, &schema));
        problems.extend(
            tree.dependencies
                .iter()
                .filter_map(|c| check_condition(c, &schema)),
        );
    }
    Some(schema)
}

/// A condition must name a boolean its parent's schema declares.
fn check_condition(child: &Child, schema: &Schema) -> Option<Diagnostic> {
    let condition = child.dependency.condition.as_ref()?;
    let path: Vec<String> = condition.split('.').map(str::to_string).collect();
    let key = child.dependency.key();
    let problem = match schema.at(&path).map(|s| &s.kind) {
        Some(Kind::Boolean) => return None,
        Some(other) => format!(
            "the condition of dependency `{key}`, `{condition}`, is a {} in the values schema, not a boolean",
            other.name()
        ),
        None => format!(
            "the condition of dependency `{key}`, `{condition}`, is not declared in the values schema"
        ),
    };
    Some(
        Diagnostic::error(problem)
            .at(child.dependency.origin.clone())
            .hint("declare the condition as a boolean with a default, such as `enabled: {type: boolean, default: true}`"),
    )
}
