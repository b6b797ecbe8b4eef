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
pub mod values;
pub mod yaml;

use std::sync::Arc;

use diagnostics::{Diagnostics, Source};
use object::Object;
use package::Package;
use render::Release;
use values::Schema;

/// Renders a loaded package into checked objects: schema, static template
/// check and values first (all their problems reported together), then
/// rendering and object checks.
pub fn render_objects(
    package: &Package,
    value_files: &[Arc<Source>],
    sets: &[String],
    release: &Release,
) -> Result<Vec<Object>, Diagnostics> {
    let schema = Schema::parse(&package.schema).map_err(Diagnostics)?;
    let mut problems = render::check::check(package, &schema);
    let values = values::resolve(&schema, value_files, sets).map_err(|d| problems.extend(d.0));
    let values = match values {
        Ok(values) if problems.is_empty() => values,
        _ => return Err(Diagnostics(problems)),
    };
    let rendered = render::render(package, &values, release)?;
    object::objects(&package.crds, &rendered)
}
