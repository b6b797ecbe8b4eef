//! cleat: a declarative package manager for Kubernetes.
//!
//! The modules follow the data flow: a [`package`] is loaded, its
//! [`values`] are layered and checked against the schema, templates are
//! checked statically and rendered ([`render`]), and the output is parsed into
//! checked Kubernetes objects ([`object`]). [`diagnostics`] and [`yaml`] serve
//! every stage. The command-line interface lives in [`cli`] and [`commands`].

pub mod apply;
pub mod atomic;
pub mod bundle;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod diagnostics;
pub mod digest;
pub mod lease;
pub mod lock;
pub mod object;
pub mod package;
pub mod parallel;
pub mod plan;
pub mod record;
pub mod release;
pub mod releasefile;
pub mod render;
pub mod repository;
pub mod resolve;
pub mod values;
pub mod wait;
pub mod yaml;

use std::collections::BTreeSet;

use diagnostics::Diagnostics;
use object::Object;
use render::Release;
use resolve::Tree;

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
            problems.push(diagnostics::Diagnostic::error(format!(
                "the conditions of dependencies do not settle: each set of switched-on dependencies changes which are on (last: {})",
                on.iter().cloned().collect::<Vec<_>>().join(", ")
            )).hint("make conditions depend on the parent's own values, not on values a dependency's defaults provide"));
            return Err(Diagnostics(problems));
        }
        let schema =
            render::tree::values_schema(tree, &on).ok_or_else(|| Diagnostics(problems.clone()))?;
        let values = match values::resolve(&schema, layers, sets) {
            Ok(values) => values,
            Err(errors) => {
                problems.extend(errors.0);
                return Err(Diagnostics(problems));
            }
        };
        let now_on = render::tree::switched_on(tree, &values);
        if now_on == on {
            break values;
        }
        on = now_on;
    };
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }
    let (crds, rendered) = render::tree::render_tree(tree, &values, release)?;
    let objects = object::objects(&crds, &rendered)?;
    Ok((values, objects))
}
