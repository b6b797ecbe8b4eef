//! `cleat schema`: the package's values schema as standard JSON Schema.

use crate::cli::SchemaArgs;
use crate::diagnostics::Diagnostics;
use crate::package::Package;
use crate::values::Schema;

use super::Outcome;

pub fn run(args: SchemaArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let package = Package::open(&args.package)?;
    let schema = Schema::parse(&package.schema).map_err(Diagnostics)?;
    let mut document = serde_json::Map::new();
    document.insert(
        "$schema".into(),
        "https://json-schema.org/draft/2020-12/schema".into(),
    );
    document.insert(
        "title".into(),
        format!(
            "Values of {} {}",
            package.manifest.name, package.manifest.version
        )
        .into(),
    );
    if let serde_json::Value::Object(body) = schema.to_json_schema() {
        document.extend(body);
    }
    let text = serde_json::to_string_pretty(&document).unwrap_or_default() + "\n";
    super::write(out, &text)?;
    Ok(Outcome::default())
}
