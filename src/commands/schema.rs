//! `cleat schema`: the package's (or Helm chart's) values schema as
//! standard JSON Schema.

use crate::authoring::chart::{self, Chart};
use crate::authoring::Input;
use crate::cli::SchemaArgs;
use crate::shared::diagnostics::Diagnostics;

use super::Outcome;

pub fn run(args: SchemaArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let Some(path) = &args.package else {
        let text =
            serde_json::to_string_pretty(&crate::release::file::json_schema()).unwrap_or_default();
        super::write(out, &(text + "\n"))?;
        return Ok(Outcome::default());
    };
    let package = match Input::open(path)? {
        Input::Chart(chart) => {
            let text = serde_json::to_string_pretty(&chart_schema(&chart)).unwrap_or_default();
            super::write(out, &(text + "\n"))?;
            return Ok(Outcome::default());
        }
        Input::Package(package) => package,
    };
    let tree = super::resolve(package)?;
    let package = &tree.package;
    // Template problems are `lint`'s business; the schema only needs to parse.
    let (schema, problems) = crate::authoring::render::tree::check_tree(&tree);
    let Some(schema) = schema else {
        return Err(Diagnostics(problems));
    };
    let document = titled(
        &package.manifest.name,
        &package.manifest.version.to_string(),
        schema.to_json_schema(),
    );
    let text = serde_json::to_string_pretty(&document).unwrap_or_default() + "\n";
    super::write(out, &text)?;
    Ok(Outcome::default())
}

/// `body` as a JSON Schema document titled for the package or chart
/// `name` at `version`.
fn titled(name: &str, version: &str, body: serde_json::Value) -> serde_json::Value {
    let mut document = serde_json::Map::new();
    document.insert(
        "$schema".into(),
        "https://json-schema.org/draft/2020-12/schema".into(),
    );
    document.insert("title".into(), format!("Values of {name} {version}").into());
    if let serde_json::Value::Object(body) = body {
        document.extend(body);
    }
    serde_json::Value::Object(document)
}

/// `cleat schema CHART`: the chart's `values.schema.json` as it is, or,
/// for a chart without one, a schema of what its default values hold
/// (subcharts' included; each key with the type of its default, maps open
/// to more keys, as charts take keys their defaults do not list).
fn chart_schema(chart: &Chart) -> serde_json::Value {
    if let Some(own) = &chart.schema {
        return own.clone();
    }
    let (_, defaults) = chart::with_defaults(chart);
    titled(
        chart.name(),
        &chart.metadata.version,
        inferred(&serde_json::Value::Object(defaults)),
    )
}

/// A schema a value fits: its type, and for a map its keys (more allowed,
/// as Helm charts take keys their defaults do not list); `null` (no
/// default) fits anything.
fn inferred(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::{json, Value};
    match value {
        Value::Null => json!({}),
        Value::Bool(_) => json!({"type": ["boolean", "null"]}),
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            json!({"type": ["integer", "number", "null"]})
        }
        Value::Number(_) => json!({"type": ["number", "null"]}),
        Value::String(_) => json!({"type": ["string", "null"]}),
        Value::Array(_) => json!({"type": ["array", "null"]}),
        Value::Object(map) => {
            let properties: serde_json::Map<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), inferred(v))).collect();
            json!({"type": ["object", "null"], "properties": properties})
        }
    }
}
