//! The typed values schema: JSON Schema written in YAML, as a checked tree.
//!
//! A package's `values.schema.yaml` uses a subset of JSON Schema (draft
//! 2020-12) that maps onto types a template can rely on: string, integer,
//! number, boolean, list of T, map of T, objects with declared properties,
//! `enum`, and the constraints `minimum`/`maximum`, `minLength`/`maxLength`,
//! `pattern`, `minItems`/`maxItems` and `required`. Keywords outside that
//! subset are errors rather than silently ignored, so a schema never promises
//! a check that does not happen. Keys starting with `x-` are left for tools.

use std::sync::Arc;

use regex::Regex;
use serde_json::json;

use crate::shared::diagnostics::{did_you_mean, Diagnostic, Origin, Source};
use crate::shared::yaml::{self, Key, Node, Value};

/// One node of the schema tree.
#[derive(Debug, Clone)]
pub struct Schema {
    pub kind: Kind,
    pub title: Option<String>,
    pub description: Option<String>,
    pub default: Option<Node>,
    /// `enum`: the only values allowed.
    pub allowed: Option<Vec<Node>>,
    pub origin: Origin,
}

/// What a value must be.
#[derive(Debug, Clone)]
pub enum Kind {
    Any,
    String {
        min_length: Option<u64>,
        max_length: Option<u64>,
        pattern: Option<Regex>,
    },
    Integer {
        minimum: Option<f64>,
        maximum: Option<f64>,
    },
    Number {
        minimum: Option<f64>,
        maximum: Option<f64>,
    },
    Boolean,
    List {
        items: Box<Schema>,
        min_items: Option<u64>,
        max_items: Option<u64>,
    },
    /// A map with declared keys (`properties`) and, optionally, any other
    /// key whose value matches `additional` (a map of T when no properties).
    Object {
        properties: Vec<(String, Schema)>,
        required: Vec<String>,
        additional: Option<Box<Schema>>,
    },
    /// A value of one of several schemas: `type: [integer, string]` and
    /// `anyOf`, or of exactly one: `oneOf` (`exclusive`).
    Union {
        options: Vec<Schema>,
        exclusive: bool,
    },
    /// `null`, the type `"null"` (in a union: `type: [string, "null"]`).
    Null,
    /// `format: int-or-string`: an integer or a string (`80`, `"50%"`, `http`).
    IntOrString,
    /// `format: quantity`: a Kubernetes quantity (`1`, `500m`, `1.5`, `1Gi`, `2e3`).
    Quantity,
}

/// A Kubernetes quantity written as a string, as the API server parses it: a
/// signed decimal number, then a binary (`Ki`..`Ei`) or decimal (`n`, `u`,
/// `m`, `k`, `M`..`E`) suffix or a decimal exponent (`e3`, `E-2`).
pub const QUANTITY_PATTERN: &str =
    r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$";

impl Kind {
    /// The type's name as error messages show it.
    pub fn name(&self) -> String {
        match self {
            Kind::Any => "any value".into(),
            Kind::String { .. } => "string".into(),
            Kind::Integer { .. } => "integer".into(),
            Kind::Number { .. } => "number".into(),
            Kind::Boolean => "boolean".into(),
            Kind::List { items, .. } => format!("list of {}", items.kind.name()),
            Kind::Object {
                properties,
                additional: Some(value),
                ..
            } if properties.is_empty() => {
                format!("map of {}", value.kind.name())
            }
            Kind::Object { .. } => "map".into(),
            Kind::Union { options, .. } => options
                .iter()
                .map(|o| o.kind.name())
                .collect::<Vec<_>>()
                .join(" or "),
            Kind::Null => "null".into(),
            Kind::IntOrString => "integer or string".into(),
            Kind::Quantity => "quantity".into(),
        }
    }
}

const KEYWORDS: [&str; 25] = [
    "$schema",
    "$id",
    "$defs",
    "$ref",
    "type",
    "title",
    "description",
    "default",
    "enum",
    "const",
    "examples",
    "format",
    "anyOf",
    "oneOf",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "items",
    "minItems",
    "maxItems",
    "properties",
    "required",
    "additionalProperties",
];
const TYPES: [&str; 7] = [
    "string", "integer", "number", "boolean", "array", "object", "null",
];
/// The formats cleat checks.
const FORMATS: [&str; 2] = ["int-or-string", "quantity"];
/// The keywords that apply to a type, beyond those that apply to all.
fn applies_to(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "string" => &["minLength", "maxLength", "pattern"],
        "integer" | "number" => &["minimum", "maximum"],
        "array" => &["items", "minItems", "maxItems"],
        "object" => &["properties", "required", "additionalProperties"],
        _ => &[],
    }
}
/// Keywords that belong to the schema as a whole, not to one type of a union.
const GENERAL: [&str; 8] = [
    "$schema",
    "$id",
    "title",
    "description",
    "default",
    "enum",
    "const",
    "examples",
];

impl Schema {
    /// Parses a values schema file, reporting every problem at once.
    pub fn parse(source: &Arc<Source>) -> Result<Schema, Vec<Diagnostic>> {
        let root = yaml::parse_document(source).map_err(|d| vec![d])?;
        let mut problems = Vec::new();
        let root = inline_references(&root, &mut problems);
        let schema = parse_node(&root, &mut problems);
        if !matches!(schema.kind, Kind::Object { .. }) && problems.is_empty() {
            problems.push(
                Diagnostic::error("the values schema must describe a map (`type: object`)")
                    .at(root.origin.clone()),
            );
        }
        // Defaults must satisfy the schema they belong to.
        schema.check_defaults("", &mut problems);
        // A definition used in ten places reports its problem once.
        let mut seen = std::collections::HashSet::new();
        problems.retain(|d| {
            let at = d.origin.as_ref().map(Origin::location).unwrap_or_default();
            seen.insert((at, d.message.clone()))
        });
        if problems.is_empty() {
            Ok(schema)
        } else {
            Err(problems)
        }
    }

    fn check_defaults(&self, path: &str, problems: &mut Vec<Diagnostic>) {
        if let Some(default) = &self.default {
            let mut found = Vec::new();
            crate::authoring::values::validate(self, default, path, &mut found);
            for problem in found {
                problems.push(Diagnostic {
                    message: format!("invalid default: {}", problem.message),
                    ..problem
                });
            }
        }
        match &self.kind {
            Kind::Object { properties, .. } => {
                for (name, child) in properties {
                    child.check_defaults(&join(path, name), problems);
                }
            }
            Kind::List { items, .. } => items.check_defaults(&format!("{path}[]"), problems),
            _ => {}
        }
    }

    /// The schema of the value at `path` (map keys), if the schema declares it.
    pub fn at(&self, path: &[String]) -> Option<&Schema> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self);
        };
        match &self.kind {
            Kind::Object {
                properties,
                additional,
                ..
            } => properties
                .iter()
                .find(|(name, _)| name == first)
                .map(|(_, schema)| schema)
                .or(additional.as_deref())?
                .at(rest),
            Kind::Any => Some(self),
            Kind::Union { options, .. } => options.iter().find_map(|o| o.at(path)),
            _ => None,
        }
    }

    /// A schema that accepts any value and gives no default.
    pub fn any(origin: Origin) -> Schema {
        Schema {
            kind: Kind::Any,
            title: None,
            description: None,
            default: None,
            allowed: None,
            origin,
        }
    }

    /// Declares the values of a dependency under `key`, checked by the
    /// dependency's own `schema`.
    pub fn add_dependency(&mut self, key: &str, schema: Schema) -> Result<(), Diagnostic> {
        let Kind::Object { properties, .. } = &mut self.kind else {
            return Err(Diagnostic::error(format!(
                "the values schema is a {}, but dependency `{key}` needs a map to keep its values in",
                self.kind.name()
            ))
            .at(self.origin.clone())
            .hint("make the top of values.schema.yaml `type: object`"));
        };
        if let Some((_, declared)) = properties.iter().find(|(name, _)| name == key) {
            return Err(Diagnostic::error(format!(
                "the values schema declares `{key}`, which holds the values of dependency `{key}`"
            ))
            .at(declared.origin.clone())
            .hint("remove it: the dependency's own schema checks these values; or give the dependency an `alias`"));
        }
        properties.push((key.to_string(), schema));
        Ok(())
    }

    /// The declared property names of an object schema.
    pub fn property_names(&self) -> Vec<&str> {
        match &self.kind {
            Kind::Object { properties, .. } => {
                properties.iter().map(|(name, _)| name.as_str()).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The values the schema gives when nothing else does: explicit defaults,
    /// and for every map its properties' defaults (an empty map when none), so
    /// templates can test `values.a.b is defined` without guarding `values.a`.
    pub fn defaults(&self) -> Option<Node> {
        if let Some(default) = &self.default {
            return Some(default.clone());
        }
        self.property_defaults()
    }

    /// For a map schema, its properties' defaults (an empty map when none),
    /// whatever default the map itself has: what a list item `- {}` gets.
    pub fn property_defaults(&self) -> Option<Node> {
        let Kind::Object { properties, .. } = &self.kind else {
            return None;
        };
        let entries: Vec<(Key, Node)> = properties
            .iter()
            .filter_map(|(name, schema)| {
                let value = schema.defaults()?;
                Some((
                    Key {
                        name: name.clone(),
                        origin: schema.origin.clone(),
                    },
                    value,
                ))
            })
            .collect();
        Some(Node::new(Value::Map(entries), self.origin.clone()))
    }

    /// The schema as standard JSON Schema, for editors and other tools. Objects
    /// with declared properties refuse other keys, as cleat does.
    pub fn to_json_schema(&self) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        let put = |out: &mut serde_json::Map<String, serde_json::Value>,
                   key: &str,
                   value: serde_json::Value| {
            out.insert(key.to_string(), value);
        };
        match &self.kind {
            Kind::Any => {}
            Kind::String {
                min_length,
                max_length,
                pattern,
            } => {
                put(&mut out, "type", json!("string"));
                if let Some(n) = min_length {
                    put(&mut out, "minLength", json!(n));
                }
                if let Some(n) = max_length {
                    put(&mut out, "maxLength", json!(n));
                }
                if let Some(p) = pattern {
                    put(&mut out, "pattern", json!(p.as_str()));
                }
            }
            Kind::Integer { minimum, maximum } | Kind::Number { minimum, maximum } => {
                let name = if matches!(self.kind, Kind::Integer { .. }) {
                    "integer"
                } else {
                    "number"
                };
                put(&mut out, "type", json!(name));
                if let Some(n) = minimum {
                    put(&mut out, "minimum", number(*n));
                }
                if let Some(n) = maximum {
                    put(&mut out, "maximum", number(*n));
                }
            }
            Kind::Boolean => put(&mut out, "type", json!("boolean")),
            Kind::List {
                items,
                min_items,
                max_items,
            } => {
                put(&mut out, "type", json!("array"));
                put(&mut out, "items", items.to_json_schema());
                if let Some(n) = min_items {
                    put(&mut out, "minItems", json!(n));
                }
                if let Some(n) = max_items {
                    put(&mut out, "maxItems", json!(n));
                }
            }
            Kind::Object {
                properties,
                required,
                additional,
            } => {
                // A values file, not the merged values: `null` removes a
                // key, and a key the defaults give need not be written.
                put(&mut out, "type", json!("object"));
                let written: Vec<&String> = properties
                    .iter()
                    .filter(|(name, child)| child.must_be_written(required.contains(name)))
                    .map(|(name, _)| name)
                    .collect();
                if !properties.is_empty() {
                    let props: serde_json::Map<_, _> = properties
                        .iter()
                        .map(|(name, child)| {
                            let exported = child.to_json_schema();
                            let exported = if written.contains(&name) {
                                exported
                            } else {
                                or_null(exported)
                            };
                            (name.clone(), exported)
                        })
                        .collect();
                    put(&mut out, "properties", props.into());
                }
                if !written.is_empty() {
                    put(&mut out, "required", json!(written));
                }
                let additional = match additional {
                    Some(schema) => or_null(schema.to_json_schema()),
                    None => json!(false),
                };
                put(&mut out, "additionalProperties", additional);
            }
            Kind::Union { options, exclusive } => {
                let keyword = if *exclusive { "oneOf" } else { "anyOf" };
                let options: Vec<_> = options.iter().map(Schema::to_json_schema).collect();
                put(&mut out, keyword, options.into());
            }
            Kind::Null => put(&mut out, "type", json!("null")),
            Kind::IntOrString => {
                put(
                    &mut out,
                    "anyOf",
                    json!([{"type": "integer"}, {"type": "string"}]),
                );
                put(&mut out, "x-kubernetes-int-or-string", json!(true));
            }
            Kind::Quantity => put(
                &mut out,
                "anyOf",
                json!([{"type": "number"}, {"type": "string", "pattern": QUANTITY_PATTERN}]),
            ),
        }
        if let Some(title) = &self.title {
            put(&mut out, "title", json!(title));
        }
        if let Some(description) = &self.description {
            put(&mut out, "description", json!(description));
        }
        if let Some(allowed) = &self.allowed {
            put(
                &mut out,
                "enum",
                allowed.iter().map(Node::to_json).collect(),
            );
        }
        if let Some(default) = self.defaults() {
            put(&mut out, "default", default.to_json());
        }
        serde_json::Value::Object(out)
    }
}

impl Schema {
    /// Whether a values file must write this property (`required` by its
    /// map): it is required and has no default, or it is a map, always
    /// there through defaults, holding a property that must be written.
    fn must_be_written(&self, required: bool) -> bool {
        match (&self.default, &self.kind) {
            (Some(_), _) => false,
            (
                None,
                Kind::Object {
                    properties,
                    required: inner,
                    ..
                },
            ) => properties
                .iter()
                .any(|(name, child)| child.must_be_written(inner.contains(name))),
            (None, _) => required,
        }
    }
}

/// An exported schema that also takes `null` (which removes a key).
fn or_null(mut schema: serde_json::Value) -> serde_json::Value {
    let null = json!("null");
    if let Some(kind) = schema.get("type").cloned() {
        let mut kinds = match kind {
            serde_json::Value::Array(kinds) => kinds,
            single => vec![single],
        };
        if !kinds.contains(&null) {
            kinds.push(null);
        }
        schema["type"] = kinds.into();
    }
    if let Some(allowed) = schema.get_mut("enum").and_then(|e| e.as_array_mut()) {
        if !allowed.contains(&serde_json::Value::Null) {
            allowed.push(serde_json::Value::Null);
        }
    }
    for keyword in ["anyOf", "oneOf"] {
        if let Some(options) = schema.get_mut(keyword).and_then(|o| o.as_array_mut()) {
            options.push(json!({"type": "null"}));
        }
    }
    schema
}

fn number(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// Joins a values path: `image` + `tag` = `image.tag`.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn parse_node(node: &Node, problems: &mut Vec<Diagnostic>) -> Schema {
    let mut schema = Schema {
        kind: Kind::Any,
        title: None,
        description: None,
        default: None,
        allowed: None,
        origin: node.origin.clone(),
    };
    let Value::Map(entries) = &node.value else {
        problems.push(
            Diagnostic::error(format!(
                "a schema must be a map of keywords, found {}",
                node.value.type_name()
            ))
            .at(node.origin.clone())
            .hint("write for example `type: string` and `description: ...`"),
        );
        return schema;
    };
    for (index, (key, value)) in entries.iter().enumerate() {
        if !KEYWORDS.contains(&key.name.as_str()) && !key.name.starts_with("x-") {
            // `{description: The name, in full}`: the comma ended the value.
            let split = index > 0 && value.value == Value::Null && key.name.contains(' ');
            let comma = split.then(|| {
                let previous = &entries[index - 1].0.name;
                format!(
                    "a `,` inside `{{...}}` ends a value, so `{}` became a key of its own: quote the value of `{previous}`, for example `{previous}: \"..., {}\"`",
                    key.name, key.name
                )
            });
            problems.push(
                Diagnostic::error(format!("unsupported schema keyword `{}`", key.name))
                    .at(key.origin.clone())
                    .maybe_hint(comma)
                    .maybe_hint(did_you_mean(&key.name, KEYWORDS))
                    .hint("cleat supports: type, description, default, enum, const, format, anyOf, oneOf, $defs, $ref, minimum, maximum, minLength, maxLength, pattern, items, minItems, maxItems, properties, required, additionalProperties"),
            );
        }
    }
    let text = |field: &str, problems: &mut Vec<Diagnostic>| -> Option<String> {
        let value = node.get(field)?;
        match value.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                problems.push(
                    Diagnostic::error(format!(
                        "`{field}` must be a string, found {}",
                        value.value.type_name()
                    ))
                    .at(value.origin.clone()),
                );
                None
            }
        }
    };
    schema.title = text("title", problems);
    schema.description = text("description", problems);
    schema.default = node.get("default").cloned();
    schema.allowed = match node.get("enum") {
        None => None,
        Some(Node {
            value: Value::List(items),
            ..
        }) if !items.is_empty() => Some(items.clone()),
        Some(other) => {
            problems.push(
                Diagnostic::error("`enum` must be a non-empty list of allowed values")
                    .at(other.origin.clone()),
            );
            None
        }
    };
    if let Some(constant) = node.get("const") {
        if schema.allowed.is_some() {
            problems.push(
                Diagnostic::error("`const` and `enum` cannot be used together")
                    .at(constant.origin.clone())
                    .hint("`const: X` is `enum: [X]`; keep one"),
            );
        }
        schema.allowed = Some(vec![constant.clone()]);
    }
    if let Some(format) = node.get("format") {
        schema.kind = format_kind(node, format, problems);
        return schema;
    }
    for (keyword, exclusive) in [("anyOf", false), ("oneOf", true)] {
        if let Some(options) = node.get(keyword) {
            schema.kind = union_kind(node, keyword, options, exclusive, problems);
            return schema;
        }
    }
    if let Some(
        types @ Node {
            value: Value::List(_),
            ..
        },
    ) = node.get("type")
    {
        schema.kind = type_list_kind(node, types, problems);
        return schema;
    }
    let type_name = match node.get("type") {
        Some(t) => match t.as_str() {
            Some(name) if TYPES.contains(&name) => Some(name.to_string()),
            _ => {
                problems.push(
                    Diagnostic::error(format!("unknown type {}", t.summary()))
                        .at(t.origin.clone())
                        .maybe_hint(t.as_str().and_then(|name| did_you_mean(name, TYPES)))
                        .hint("types: string, integer, number, boolean, array, object, null; or a list of them"),
                );
                return schema;
            }
        },
        None => infer_type(node, schema.allowed.as_deref()),
    };
    let Some(type_name) = type_name else {
        problems.push(
            Diagnostic::error("a schema needs a `type`")
                .at(node.origin.clone())
                .hint("add `type: string` (or integer, number, boolean, array, object)"),
        );
        return schema;
    };
    let count = |field: &str, problems: &mut Vec<Diagnostic>| -> Option<u64> {
        let value = node.get(field)?;
        match value.value {
            Value::Int(n) if n >= 0 => Some(n as u64),
            _ => {
                problems.push(
                    Diagnostic::error(format!(
                        "`{field}` must be a whole number of at least 0, found {}",
                        value.summary()
                    ))
                    .at(value.origin.clone()),
                );
                None
            }
        }
    };
    let bound = |field: &str, problems: &mut Vec<Diagnostic>| -> Option<f64> {
        let value = node.get(field)?;
        match value.value {
            Value::Int(n) => Some(n as f64),
            Value::Float(f) if f.is_finite() => Some(f),
            _ => {
                problems.push(
                    Diagnostic::error(format!(
                        "`{field}` must be a number, found {}",
                        value.summary()
                    ))
                    .at(value.origin.clone()),
                );
                None
            }
        }
    };
    let allowed_for = |fields: &[&str], problems: &mut Vec<Diagnostic>| {
        // The keywords from `minimum` on apply to some types only.
        let all = &KEYWORDS[KEYWORDS.iter().position(|k| *k == "minimum").unwrap_or(0)..];
        for &field in all {
            if let (false, Some(value)) = (fields.contains(&field), node.get(field)) {
                problems.push(
                    Diagnostic::error(format!("`{field}` does not apply to type `{type_name}`"))
                        .at(value.origin.clone()),
                );
            }
        }
    };
    schema.kind = match type_name.as_str() {
        "string" => {
            allowed_for(&["minLength", "maxLength", "pattern"], problems);
            let pattern = text("pattern", problems).and_then(|p| match Regex::new(&p) {
                Ok(regex) => Some(regex),
                Err(e) => {
                    let origin = node
                        .get("pattern")
                        .map(|n| n.origin.clone())
                        .unwrap_or(node.origin.clone());
                    let reason = e
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or_default()
                        .trim()
                        .to_string();
                    problems
                        .push(Diagnostic::error(format!("invalid `pattern`: {reason}")).at(origin));
                    None
                }
            });
            Kind::String {
                min_length: count("minLength", problems),
                max_length: count("maxLength", problems),
                pattern,
            }
        }
        "integer" => {
            allowed_for(&["minimum", "maximum"], problems);
            Kind::Integer {
                minimum: bound("minimum", problems),
                maximum: bound("maximum", problems),
            }
        }
        "number" => {
            allowed_for(&["minimum", "maximum"], problems);
            Kind::Number {
                minimum: bound("minimum", problems),
                maximum: bound("maximum", problems),
            }
        }
        "boolean" => {
            allowed_for(&[], problems);
            Kind::Boolean
        }
        "null" => {
            allowed_for(&[], problems);
            Kind::Null
        }
        "array" => {
            allowed_for(&["items", "minItems", "maxItems"], problems);
            let items = match node.get("items") {
                Some(items) => parse_node(items, problems),
                None => {
                    problems.push(
                        Diagnostic::error("a schema of `type: array` needs `items`")
                            .at(node.origin.clone())
                            .hint("describe the elements, for example `items: {type: string}`"),
                    );
                    return schema;
                }
            };
            Kind::List {
                items: Box::new(items),
                min_items: count("minItems", problems),
                max_items: count("maxItems", problems),
            }
        }
        _ => {
            allowed_for(
                &["properties", "required", "additionalProperties"],
                problems,
            );
            object_kind(node, problems)
        }
    };
    schema
}

/// `format: int-or-string` or `format: quantity`, with no `type`, `type:
/// string`, or a list of the types the format covers.
fn format_kind(node: &Node, format: &Node, problems: &mut Vec<Diagnostic>) -> Kind {
    let name = format.as_str().unwrap_or_default();
    let (kind, types): (Kind, &[&str]) = match name {
        "int-or-string" => (Kind::IntOrString, &["integer", "string"]),
        "quantity" => (Kind::Quantity, &["integer", "number", "string"]),
        _ => {
            problems.push(
                Diagnostic::error(format!("unsupported format {}", format.summary()))
                    .at(format.origin.clone())
                    .maybe_hint(format.as_str().and_then(|f| did_you_mean(f, FORMATS)))
                    .hint("cleat checks the formats int-or-string and quantity; say what else a value must be with `pattern`"),
            );
            return Kind::Any;
        }
    };
    let fits = match node.get("type") {
        None => true,
        Some(t) => match &t.value {
            Value::String(single) => types.contains(&single.as_str()),
            Value::List(items) => items
                .iter()
                .all(|i| i.as_str().is_some_and(|n| types.contains(&n))),
            _ => false,
        },
    };
    if !fits {
        let origin = node
            .get("type")
            .map_or(node.origin.clone(), |t| t.origin.clone());
        problems.push(
            Diagnostic::error(format!(
                "`format: {name}` is for values of the types {}",
                types.join(", ")
            ))
            .at(origin)
            .hint("leave out `type`: the format says what the value may be"),
        );
    }
    for (key, _) in map_entries(node) {
        if !GENERAL.contains(&key.name.as_str()) && key.name != "format" && key.name != "type" {
            problems.push(
                Diagnostic::error(format!("`{}` does not apply to `format: {name}`", key.name))
                    .at(key.origin.clone()),
            );
        }
    }
    kind
}

/// `anyOf` or `oneOf`: a list of schemas, alongside only the keywords that
/// belong to the whole (description, default, enum...).
fn union_kind(
    node: &Node,
    keyword: &str,
    options: &Node,
    exclusive: bool,
    problems: &mut Vec<Diagnostic>,
) -> Kind {
    let Value::List(items) = &options.value else {
        problems.push(
            Diagnostic::error(format!("`{keyword}` must be a list of schemas"))
                .at(options.origin.clone()),
        );
        return Kind::Any;
    };
    if items.is_empty() {
        problems.push(
            Diagnostic::error(format!("`{keyword}` must list at least one schema"))
                .at(options.origin.clone()),
        );
        return Kind::Any;
    }
    for (key, _) in map_entries(node) {
        if !GENERAL.contains(&key.name.as_str()) && key.name != keyword {
            problems.push(
                Diagnostic::error(format!(
                    "`{}` next to `{keyword}` is not supported",
                    key.name
                ))
                .at(key.origin.clone())
                .hint(format!("put it in each schema of `{keyword}`")),
            );
        }
    }
    Kind::Union {
        options: items
            .iter()
            .map(|item| parse_node(item, problems))
            .collect(),
        exclusive,
    }
}

/// `type: [integer, string]`: a union of one schema per type, each with the
/// keywords that apply to its type.
fn type_list_kind(node: &Node, types: &Node, problems: &mut Vec<Diagnostic>) -> Kind {
    let Value::List(items) = &types.value else {
        return Kind::Any;
    };
    let mut names: Vec<&str> = Vec::new();
    for item in items {
        match item.as_str() {
            Some(name) if TYPES.contains(&name) && !names.contains(&name) => names.push(name),
            _ => problems.push(
                Diagnostic::error(format!(
                    "`type` lists {}, which is not a type or listed twice",
                    item.summary()
                ))
                .at(item.origin.clone())
                .maybe_hint(item.as_str().and_then(|name| did_you_mean(name, TYPES))),
            ),
        }
    }
    if names.is_empty() {
        problems
            .push(Diagnostic::error("`type` must list at least one type").at(types.origin.clone()));
        return Kind::Any;
    }
    for (key, _) in map_entries(node) {
        let name = key.name.as_str();
        let general = GENERAL.contains(&name) || name == "type" || name.starts_with("x-");
        if !general
            && KEYWORDS.contains(&name)
            && !names.iter().any(|t| applies_to(t).contains(&name))
        {
            problems.push(
                Diagnostic::error(format!(
                    "`{name}` does not apply to any of the types {}",
                    names.join(", ")
                ))
                .at(key.origin.clone()),
            );
        }
    }
    let options = names
        .iter()
        .map(|name| {
            let mut entries = vec![(
                Key {
                    name: "type".into(),
                    origin: types.origin.clone(),
                },
                Node::new(Value::String(name.to_string()), types.origin.clone()),
            )];
            entries.extend(
                map_entries(node)
                    .iter()
                    .filter(|(key, _)| applies_to(name).contains(&key.name.as_str()))
                    .cloned(),
            );
            parse_node(
                &Node::new(Value::Map(entries), node.origin.clone()),
                problems,
            )
        })
        .collect();
    Kind::Union {
        options,
        exclusive: false,
    }
}

/// The schema tree with every `$ref: "#/$defs/NAME"` replaced by that
/// definition (its `description`, `title` and `default` may be overridden
/// beside the `$ref`), and `$defs` removed. A reference to itself, directly
/// or through others, is refused as a cycle.
fn inline_references(root: &Node, problems: &mut Vec<Diagnostic>) -> Node {
    let defs: &[(Key, Node)] = match root.get("$defs") {
        None => &[],
        Some(Node {
            value: Value::Map(entries),
            ..
        }) => entries,
        Some(other) => {
            problems.push(
                Diagnostic::error("`$defs` must be a map of named schemas")
                    .at(other.origin.clone()),
            );
            &[]
        }
    };
    let mut inliner = Inliner {
        defs,
        stack: Vec::new(),
        used: std::collections::HashSet::new(),
        problems,
    };
    let mut without_defs = root.clone();
    if let Value::Map(entries) = &mut without_defs.value {
        entries.retain(|(key, _)| key.name != "$defs");
    }
    let root = inliner.walk(&without_defs);
    // Definitions no schema uses are still checked.
    for (key, def) in defs {
        if !inliner.used.insert(key.name.clone()) {
            continue;
        }
        inliner.stack.push(key.name.clone());
        let inlined = inliner.walk(def);
        inliner.stack.pop();
        parse_node(&inlined, inliner.problems);
    }
    root
}

struct Inliner<'a> {
    defs: &'a [(Key, Node)],
    /// The definitions being inlined, outermost first.
    stack: Vec<String>,
    /// The definitions inlined so far.
    used: std::collections::HashSet<String>,
    problems: &'a mut Vec<Diagnostic>,
}

impl Inliner<'_> {
    fn walk(&mut self, node: &Node) -> Node {
        match &node.value {
            Value::Map(entries) => {
                if let Some((_, reference)) = entries.iter().find(|(k, _)| k.name == "$ref") {
                    return self.reference(node, reference, entries);
                }
                let entries = entries
                    .iter()
                    .map(|(key, value)| {
                        // Values, not schemas: left as written.
                        let literal =
                            matches!(key.name.as_str(), "default" | "enum" | "const" | "examples")
                                || key.name.starts_with("x-");
                        let value = if literal {
                            value.clone()
                        } else {
                            self.walk(value)
                        };
                        (key.clone(), value)
                    })
                    .collect();
                Node::new(Value::Map(entries), node.origin.clone())
            }
            Value::List(items) => Node::new(
                Value::List(items.iter().map(|item| self.walk(item)).collect()),
                node.origin.clone(),
            ),
            _ => node.clone(),
        }
    }

    fn reference(&mut self, node: &Node, reference: &Node, siblings: &[(Key, Node)]) -> Node {
        // What stands in for a reference that cannot be followed: any value.
        let placeholder = || {
            let key = |name: &str| Key {
                name: name.into(),
                origin: node.origin.clone(),
            };
            let value = |v| Node::new(v, node.origin.clone());
            let entries = vec![
                (key("type"), value(Value::String("object".into()))),
                (key("additionalProperties"), value(Value::Bool(true))),
            ];
            Node::new(Value::Map(entries), node.origin.clone())
        };
        let text = reference.as_str().unwrap_or_default();
        let Some(name) = text.strip_prefix("#/$defs/") else {
            self.problems.push(
                Diagnostic::error(format!(
                    "`$ref` must be `#/$defs/NAME`, found {}",
                    reference.summary()
                ))
                .at(reference.origin.clone())
                .hint("put shared schemas under `$defs` at the top of values.schema.yaml"),
            );
            return placeholder();
        };
        if self.stack.iter().any(|n| n == name) {
            let mut path: Vec<String> = self.stack.clone();
            path.push(name.to_string());
            let start = path.iter().position(|n| n == name).unwrap_or(0);
            self.problems.push(
                Diagnostic::error(format!(
                    "`$ref` cycle: {}",
                    path[start..]
                        .iter()
                        .map(|n| format!("#/$defs/{n}"))
                        .collect::<Vec<_>>()
                        .join(" → ")
                ))
                .at(reference.origin.clone())
                .hint(
                    "a values schema describes finite values: a definition cannot contain itself",
                ),
            );
            return placeholder();
        }
        let Some((_, def)) = self.defs.iter().find(|(key, _)| key.name == name) else {
            let names = self.defs.iter().map(|(key, _)| key.name.as_str());
            self.problems.push(
                Diagnostic::error(format!(
                    "`$ref` names `{name}`, which `$defs` does not define"
                ))
                .at(reference.origin.clone())
                .maybe_hint(did_you_mean(name, names)),
            );
            return placeholder();
        };
        self.used.insert(name.to_string());
        self.stack.push(name.to_string());
        let mut inlined = self.walk(def);
        self.stack.pop();
        if let Value::Map(entries) = &mut inlined.value {
            for (key, value) in siblings.iter().filter(|(k, _)| k.name != "$ref") {
                if matches!(key.name.as_str(), "description" | "title" | "default") {
                    entries.retain(|(k, _)| k.name != key.name);
                    entries.push((key.clone(), value.clone()));
                } else {
                    self.problems.push(
                        Diagnostic::error(format!("`{}` next to `$ref` is not supported", key.name))
                            .at(key.origin.clone())
                            .hint("beside `$ref` only description, title and default may be given; put the rest in the definition"),
                    );
                }
            }
        }
        inlined
    }
}

fn map_entries(node: &Node) -> &[(Key, Node)] {
    match &node.value {
        Value::Map(entries) => entries,
        _ => &[],
    }
}

fn infer_type(node: &Node, allowed: Option<&[Node]>) -> Option<String> {
    let name = if node.get("properties").is_some() || node.get("additionalProperties").is_some() {
        "object"
    } else if node.get("items").is_some() {
        "array"
    } else {
        match &allowed?.first()?.value {
            Value::String(_) => "string",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::Bool(_) => "boolean",
            _ => return None,
        }
    };
    Some(name.to_string())
}

fn object_kind(node: &Node, problems: &mut Vec<Diagnostic>) -> Kind {
    let properties: Vec<(String, Schema)> = match node.get("properties") {
        None => Vec::new(),
        Some(Node {
            value: Value::Map(entries),
            ..
        }) => entries
            .iter()
            .map(|(key, value)| (key.name.clone(), parse_node(value, problems)))
            .collect(),
        Some(other) => {
            problems.push(
                Diagnostic::error("`properties` must be a map of schemas").at(other.origin.clone()),
            );
            Vec::new()
        }
    };
    let mut required = Vec::new();
    match node.get("required") {
        None => {}
        Some(Node {
            value: Value::List(items),
            ..
        }) => {
            for item in items {
                match item.as_str() {
                    Some(name) if properties.iter().any(|(p, _)| p == name) => {
                        required.push(name.to_string())
                    }
                    _ => problems.push(
                        Diagnostic::error(format!(
                            "`required` names {}, which is not in `properties`",
                            item.summary()
                        ))
                        .at(item.origin.clone())
                        .maybe_hint(item.as_str().and_then(|name| {
                            did_you_mean(name, properties.iter().map(|(p, _)| p.as_str()))
                        })),
                    ),
                }
            }
        }
        Some(other) => {
            problems.push(
                Diagnostic::error("`required` must be a list of property names")
                    .at(other.origin.clone()),
            );
        }
    }
    let any = || {
        Box::new(Schema {
            kind: Kind::Any,
            title: None,
            description: None,
            default: None,
            allowed: None,
            origin: node.origin.clone(),
        })
    };
    let additional = match node.get("additionalProperties") {
        None if properties.is_empty() => Some(any()),
        None
        | Some(Node {
            value: Value::Bool(false),
            ..
        }) => None,
        Some(Node {
            value: Value::Bool(true),
            ..
        }) => Some(any()),
        Some(schema) => Some(Box::new(parse_node(schema, problems))),
    };
    Kind::Object {
        properties,
        required,
        additional,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Schema, Vec<Diagnostic>> {
        Schema::parse(&Source::new("values.schema.yaml", text))
    }

    fn messages(problems: Vec<Diagnostic>) -> Vec<String> {
        problems
            .into_iter()
            .map(|d| format!("{}:{}", d.origin.map(|o| o.line).unwrap_or(0), d.message))
            .collect()
    }

    #[test]
    fn builds_defaults_from_properties() {
        let schema = parse(
            "type: object\nproperties:\n  replicas: {type: integer, default: 2}\n  image:\n    type: object\n    properties:\n      tag: {type: string, default: \"1.0\"}\n      digest: {type: string}\n",
        )
        .unwrap();
        assert_eq!(
            schema.defaults().unwrap().to_json(),
            json!({"replicas": 2, "image": {"tag": "1.0"}})
        );
    }

    #[test]
    fn reports_every_schema_problem_with_its_line() {
        let problems = parse(
            "type: object\nproperties:\n  a: {type: strin}\n  b: {type: integer, minLength: 2}\n  c: {type: string, patern: x}\n  d: {type: array}\n  e: {type: string, pattern: \"(\"}\nrequired: [f]\n",
        )
        .unwrap_err();
        assert_eq!(
            messages(problems),
            [
                "3:unknown type \"strin\"",
                "4:`minLength` does not apply to type `integer`",
                "5:unsupported schema keyword `patern`",
                "6:a schema of `type: array` needs `items`",
                "7:invalid `pattern`: error: unclosed group",
                "8:`required` names \"f\", which is not in `properties`",
            ]
        );
    }

    #[test]
    fn refuses_defaults_that_break_the_schema() {
        let problems = parse(
            "type: object\nproperties:\n  port: {type: integer, maximum: 65535, default: 70000}\n",
        )
        .unwrap_err();
        assert_eq!(
            messages(problems),
            ["3:invalid default: `port`: 70000 is more than the maximum 65535"]
        );
    }

    #[test]
    fn exports_standard_json_schema() {
        let schema = parse(
            "type: object\nproperties:\n  env:\n    description: Environment variables\n    type: object\n    additionalProperties: {type: string}\n  mode: {enum: [a, b], default: a}\n",
        )
        .unwrap();
        assert_eq!(
            schema.to_json_schema(),
            // A values file may write `null` to remove any key it need not write.
            json!({"type": "object", "properties": {
                "env": {"type": ["object", "null"], "additionalProperties": {"type": ["string", "null"]}, "description": "Environment variables", "default": {}},
                "mode": {"type": ["string", "null"], "enum": ["a", "b", null], "default": "a"}},
                "additionalProperties": false, "default": {"env": {}, "mode": "a"}})
        );
    }
}
