//! cleat: a declarative package manager for Kubernetes.
//!
//! The modules follow the data flow: a [`package`] is loaded, its
//! [`values`] are layered and checked against the schema, templates are
//! checked statically and rendered ([`render`]), and the output is parsed into
//! checked Kubernetes objects ([`object`]). [`diagnostics`] and [`yaml`] serve
//! every stage. The command-line interface lives in [`cli`] and [`commands`].

pub mod atomic;
pub mod cli;
pub mod commands;
pub mod diagnostics;
pub mod digest;
pub mod object;
pub mod package;
pub mod render;
pub mod repository;
pub mod resolve;
pub mod values;
pub mod yaml;

use std::sync::Arc;

use diagnostics::{Diagnostics, Source};
use object::Object;
use render::Release;
use resolve::Tree;

/// Renders a resolved package into checked objects: schemas, static template
/// checks and values first (all their problems reported together), then
/// rendering and object checks.
pub fn render_objects(
    tree: &Tree,
    value_files: &[Arc<Source>],
    sets: &[String],
    release: &Release,
) -> Result<Vec<Object>, Diagnostics> {
    let (schema, mut problems) = render::check::check_tree(tree);
    let Some(schema) = schema else {
        return Err(Diagnostics(problems));
    };
    let values = values::resolve(&schema, value_files, sets).map_err(|d| problems.extend(d.0));
    let values = match values {
        Ok(values) if problems.is_empty() => values,
        _ => return Err(Diagnostics(problems)),
    };
    let (crds, rendered) = render::render_tree(tree, &values, release)?;
    object::objects(&crds, &rendered)
}
