//! Values: where they come from, how they merge, and whether they fit the schema.
//!
//! Values are layered in a fixed order: the schema's defaults, then each
//! layer in the order given (values files, and values written inline in a
//! release file), then each `--set PATH=VALUE`. Maps merge
//! key by key, lists and scalars replace, and `null` removes a key: what the
//! layers below set is gone, and the schema's default applies again (the key
//! is absent when it has none). Every value keeps the file and line it came
//! from, so validation, which reports all problems at once, can point at the
//! exact place, and a template that reads a key a `null` removed can be told
//! where that `null` is.

pub mod schema;

use std::sync::Arc;

use crate::shared::diagnostics::{did_you_mean, Diagnostic, Diagnostics, Origin, Source};
use crate::shared::yaml::{self, Key, Node, Value};
pub use schema::{join, Kind, Schema};

/// One layer of values.
#[derive(Debug, Clone)]
pub enum Layer {
    /// A values file, parsed when layered.
    File(Arc<Source>),
    /// Values already parsed, such as a release file's inline `values`.
    Inline(Node),
}

/// Values merged and checked, ready to render.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub values: serde_json::Value,
    /// Each `null` that removed a key: the key's path and where it was written.
    pub nulls: Vec<(String, Origin)>,
}

/// Merges defaults, layers and `--set` arguments, and checks the result
/// against the schema.
pub fn resolve(
    schema: &Schema,
    layers: &[Layer],
    sets: &[String],
) -> Result<Resolved, Diagnostics> {
    let mut problems = Vec::new();
    let mut nulls = Vec::new();
    let node = layer(schema, layers, sets, &mut nulls, &mut problems);
    validate(schema, &node, "", &mut problems);
    // A required key a `null` removed: the `null` is what to fix.
    for problem in &mut problems {
        let removed = nulls
            .iter()
            .find(|(path, _)| problem.message == required_missing(path));
        if let Some((_, origin)) = removed {
            problem.origin = Some(origin.clone());
            problem.hints.insert(0, "this `null` removed it".into());
        }
    }
    Diagnostics::check(
        problems,
        Resolved {
            values: node.to_json(),
            nulls,
        },
    )
}

/// The message for a required key without a value.
fn required_missing(path: &str) -> String {
    format!("`{path}` is required but has no value")
}

/// Every `null` map value in `node`, with its path under `path`.
fn collect_nulls(node: &Node, path: &str, nulls: &mut Vec<(String, Origin)>) {
    if let Value::Map(entries) = &node.value {
        for (key, value) in entries {
            let child = join(path, &key.name);
            match value.value {
                Value::Null => nulls.push((child, value.origin.clone())),
                _ => collect_nulls(value, &child, nulls),
            }
        }
    }
}

/// The merged values, before validation; sources that cannot be read are
/// reported and left out, so the rest is still checked.
fn layer(
    schema: &Schema,
    layers: &[Layer],
    sets: &[String],
    nulls: &mut Vec<(String, Origin)>,
    problems: &mut Vec<Diagnostic>,
) -> Node {
    let mut merged = schema
        .defaults()
        .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), schema.origin.clone()));
    for layer in layers {
        let parsed = match layer {
            Layer::File(file) => yaml::parse_document(file),
            Layer::Inline(node) => Ok(node.clone()),
        };
        match parsed {
            Ok(Node {
                value: Value::Null, ..
            }) => {}
            Ok(
                node @ Node {
                    value: Value::Map(_),
                    ..
                },
            ) => {
                collect_nulls(&node, "", nulls);
                merge(&mut merged, node)
            }
            Ok(node) => problems.push(
                Diagnostic::error(format!(
                    "a values file must hold a map of values, found {}",
                    node.value.type_name()
                ))
                .at(node.origin),
            ),
            Err(diagnostic) => problems.push(diagnostic),
        }
    }
    for set in sets {
        match parse_set(schema, set) {
            Ok(node) => {
                collect_nulls(&node, "", nulls);
                merge(&mut merged, node)
            }
            Err(diagnostic) => problems.push(diagnostic),
        }
    }
    fill_defaults(schema, &mut merged);
    merged
}

/// Gives list items and map entries the defaults of their schema, at every
/// depth: `- {}` in a list of objects gets the item's property defaults, and
/// a key a `null` removed gets its default back.
fn fill_defaults(schema: &Schema, node: &mut Node) {
    match (&schema.kind, &mut node.value) {
        (
            Kind::Object {
                properties,
                additional,
                ..
            },
            Value::Map(entries),
        ) => {
            for (name, child) in properties {
                if !entries.iter().any(|(key, _)| key.name == *name) {
                    if let Some(default) = child.defaults() {
                        let key = Key {
                            name: name.clone(),
                            origin: child.origin.clone(),
                        };
                        entries.push((key, default));
                    }
                }
            }
            for (key, value) in entries.iter_mut() {
                match properties.iter().find(|(name, _)| *name == key.name) {
                    Some((_, child)) => fill_defaults(child, value),
                    None => {
                        if let Some(child) = additional {
                            with_defaults(child, value);
                        }
                    }
                }
            }
        }
        (Kind::List { items, .. }, Value::List(elements)) => {
            for element in elements {
                with_defaults(items, element);
            }
        }
        _ => {}
    }
}

/// `node`, an item or entry of `schema`, laid over the schema's property
/// defaults, then filled below.
fn with_defaults(schema: &Schema, node: &mut Node) {
    if let (Value::Map(_), Some(mut base)) = (&node.value, schema.property_defaults()) {
        let origin = node.origin.clone();
        merge(
            &mut base,
            std::mem::replace(node, Node::new(Value::Null, origin)),
        );
        *node = base;
    }
    fill_defaults(schema, node);
}

/// Lays `over` on top of `base`.
pub fn merge(base: &mut Node, over: Node) {
    match (&mut base.value, over.value) {
        (Value::Map(entries), Value::Map(overrides)) => {
            // Problems with the map as a whole point at the last file that set it.
            base.origin = over.origin;
            // Keys by position, so that merging large maps stays linear.
            let mut at: std::collections::HashMap<String, usize> = entries
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.name.clone(), i))
                .collect();
            let mut removed = false;
            for (key, value) in overrides {
                match (at.get(&key.name).copied(), &value.value) {
                    (Some(_), Value::Null) => {
                        // Removed after the loop, so positions stay valid.
                        at.remove(&key.name);
                        removed = true;
                    }
                    (None, Value::Null) => {}
                    (Some(i), _) => merge(&mut entries[i].1, value),
                    (None, _) => {
                        at.insert(key.name.clone(), entries.len());
                        entries.push((key, value));
                    }
                }
            }
            if removed {
                let live: std::collections::HashSet<usize> = at.into_values().collect();
                let mut i = 0;
                entries.retain(|_| {
                    i += 1;
                    live.contains(&(i - 1))
                });
            }
        }
        (_, value) => {
            *base = Node::new(value, over.origin);
        }
    }
}

/// Whether `text` is written as an integer but does not fit 64 bits.
fn is_integer_beyond_64_bits(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && text.parse::<i64>().is_err()
}

/// Parses `--set PATH=VALUE` into a map holding one value, typed by the schema:
/// `--set replicas=3` is an integer where the schema says integer, and
/// `--set image.tag=1.10` stays the string `"1.10"` where it says string.
/// Where the schema wants a list or map, or does not know the path, the value
/// is read as YAML (`--set 'args=[a, b]'`). Dots in keys are escaped: `a\.b`.
pub fn parse_set(schema: &Schema, argument: &str) -> Result<Node, Diagnostic> {
    let source = Source::new("--set", argument);
    let Some(eq) = argument.find('=') else {
        return Err(Diagnostic::error(format!("`--set {argument}` has no `=`"))
            .at(Origin::new(&source, 1, 1).with_width(argument.chars().count()))
            .hint("write `--set PATH=VALUE`, for example `--set image.tag=1.25.3`"));
    };
    let (path_text, raw) = (&argument[..eq], &argument[eq + 1..]);
    let path = split_path(path_text);
    if path.iter().any(String::is_empty) {
        return Err(
            Diagnostic::error(format!("`{path_text}` is not a values path"))
                .at(Origin::new(&source, 1, 1).with_width(eq.max(1)))
                .hint("write keys separated by dots, for example `resources.limits.memory`"),
        );
    }
    let value_col = argument[..=eq].chars().count() + 1;
    let origin = Origin::new(&source, 1, value_col).with_width(raw.chars().count());
    let value = match schema.at(&path).map(|s| &s.kind) {
        // `--set key=null` removes the key, as `null` in a values file does.
        _ if raw == "null" => Value::Null,
        Some(Kind::String { .. }) => Value::String(raw.to_string()),
        Some(Kind::IntOrString) => raw
            .parse()
            .map(Value::Int)
            .unwrap_or_else(|_| Value::String(raw.into())),
        Some(Kind::Quantity) => match (raw.parse::<i64>(), raw.parse::<f64>()) {
            (Ok(i), _) => Value::Int(i),
            (_, Ok(f)) if f.is_finite() && !raw.contains(['e', 'E']) => Value::Float(f),
            _ => Value::String(raw.into()),
        },
        Some(Kind::Integer { .. }) => raw
            .parse()
            .map(Value::Int)
            .unwrap_or_else(|_| Value::String(raw.into())),
        Some(Kind::Number { .. }) => match raw.parse::<f64>() {
            Ok(f) if f.is_finite() => Value::Float(f),
            _ => Value::String(raw.into()),
        },
        Some(Kind::Boolean) => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(raw.into()),
        },
        _ => {
            // Pad so positions in the parsed value line up with the argument.
            let padded = Source::new("--set", format!("{}{raw}", " ".repeat(value_col - 1)));
            let mut node =
                yaml::parse_document(&padded).map_err(|d| rebase_diagnostic(d, &source))?;
            rebase(&mut node, &source);
            node.value
        }
    };
    let mut node = Node::new(value, origin);
    let key_origin = Origin::new(&source, 1, 1).with_width(eq);
    for key in path.into_iter().rev() {
        let key = Key {
            name: key,
            origin: key_origin.clone(),
        };
        node = Node::new(Value::Map(vec![(key, node)]), key_origin.clone());
    }
    Ok(node)
}

fn split_path(path: &str) -> Vec<String> {
    let mut keys = vec![String::new()];
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => keys
                .last_mut()
                .into_iter()
                .for_each(|k| k.extend(chars.next())),
            '.' => keys.push(String::new()),
            c => keys.last_mut().into_iter().for_each(|k| k.push(c)),
        }
    }
    keys
}

fn rebase(node: &mut Node, source: &Arc<Source>) {
    node.origin.source = Arc::clone(source);
    match &mut node.value {
        Value::List(items) => items.iter_mut().for_each(|item| rebase(item, source)),
        Value::Map(entries) => entries.iter_mut().for_each(|(key, value)| {
            key.origin.source = Arc::clone(source);
            rebase(value, source);
        }),
        _ => {}
    }
}

fn rebase_diagnostic(mut diagnostic: Diagnostic, source: &Arc<Source>) -> Diagnostic {
    if let Some(origin) = &mut diagnostic.origin {
        origin.source = Arc::clone(source);
    }
    diagnostic.message = diagnostic
        .message
        .replace("invalid YAML in `--set`", "invalid YAML in `--set` value");
    diagnostic
}

fn shown(path: &str) -> &str {
    if path.is_empty() {
        "values"
    } else {
        path
    }
}

/// Checks `node` against `schema`, adding a diagnostic for every problem.
pub fn validate(schema: &Schema, node: &Node, path: &str, problems: &mut Vec<Diagnostic>) {
    let mismatch = |problems: &mut Vec<Diagnostic>| {
        let expected = schema.kind.name();
        let found = match node.value {
            Value::List(_) | Value::Map(_) => node.summary(),
            _ => format!("{} {}", node.value.type_name(), node.summary()),
        };
        let mut diagnostic = Diagnostic::error(format!(
            "`{}`: expected {expected}, found {found}",
            shown(path)
        ))
        .at(node.origin.clone());
        diagnostic = match (&schema.kind, &node.value) {
            (Kind::String { .. }, Value::Int(_) | Value::Float(_) | Value::Bool(_)) => {
                diagnostic.hint("quote the value to make it a string, for example `\"1.10\"`")
            }
            (Kind::Integer { .. }, Value::String(s)) if is_integer_beyond_64_bits(s) => {
                diagnostic.hint("the number is out of range: integers are 64-bit, from -9223372036854775808 to 9223372036854775807")
            }
            (Kind::Integer { .. } | Kind::Number { .. }, Value::String(s)) if s.trim().parse::<f64>().is_ok() => {
                diagnostic.hint("remove the quotes to make it a number")
            }
            (Kind::Boolean, Value::String(s)) if matches!(s.to_lowercase().as_str(), "yes" | "no" | "on" | "off" | "y" | "n") => {
                diagnostic.hint("write `true` or `false`; YAML 1.2 reads `yes`, `no`, `on` and `off` as strings")
            }
            _ => diagnostic,
        };
        problems.push(
            diagnostic.maybe_hint(
                schema
                    .description
                    .as_ref()
                    .map(|d| format!("`{}`: {d}", shown(path))),
            ),
        );
    };
    match (&schema.kind, &node.value) {
        (Kind::Any, _) => {}
        (
            Kind::String {
                min_length,
                max_length,
                pattern,
            },
            Value::String(s),
        ) => {
            let length = s.chars().count() as u64;
            if let Some(min) = min_length.filter(|min| length < *min) {
                problems.push(constraint(
                    node,
                    path,
                    format!("is {length} characters long, shorter than the minimum {min}"),
                ));
            }
            if let Some(max) = max_length.filter(|max| length > *max) {
                problems.push(constraint(
                    node,
                    path,
                    format!("is {length} characters long, longer than the maximum {max}"),
                ));
            }
            if let Some(pattern) = pattern.as_ref().filter(|p| !p.is_match(s)) {
                let diagnostic = constraint(
                    node,
                    path,
                    format!("does not match the pattern `{}`", pattern.as_str()),
                );
                problems.push(
                    diagnostic.maybe_hint(
                        schema
                            .description
                            .as_ref()
                            .map(|d| format!("`{path}`: {d}")),
                    ),
                );
            }
        }
        (Kind::Integer { minimum, maximum }, Value::Int(i)) => {
            range(node, path, *i as f64, *minimum, *maximum, problems)
        }
        (Kind::Number { minimum, maximum }, Value::Int(i)) => {
            range(node, path, *i as f64, *minimum, *maximum, problems)
        }
        (Kind::Number { minimum, maximum }, Value::Float(f)) => {
            if f.is_finite() {
                range(node, path, *f, *minimum, *maximum, problems)
            } else {
                problems.push(constraint(node, path, "is not a finite number".into()));
            }
        }
        (Kind::Boolean, Value::Bool(_)) => {}
        (Kind::Null, Value::Null) => {}
        (Kind::IntOrString, Value::Int(_) | Value::String(_)) => {}
        (Kind::Quantity, Value::Int(_)) => {}
        (Kind::Quantity, Value::Float(f)) if f.is_finite() => {}
        (Kind::Quantity, Value::String(s)) => {
            static QUANTITY: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
            let pattern = QUANTITY.get_or_init(|| regex::Regex::new(schema::QUANTITY_PATTERN).ok());
            if pattern.as_ref().is_some_and(|p| !p.is_match(s)) {
                problems.push(
                    constraint(node, path, "is not a Kubernetes quantity".into()).hint(
                        "a quantity is a number with an optional suffix: `500m`, `1.5`, `1Gi`, `2e3` (Ki, Mi, Gi, Ti, Pi, Ei; n, u, m, k, M, G, T, P, E)",
                    ),
                );
            }
        }
        (Kind::Union { options, exclusive }, _) => {
            let results: Vec<Vec<Diagnostic>> = options
                .iter()
                .map(|option| {
                    let mut found = Vec::new();
                    validate(option, node, path, &mut found);
                    found
                })
                .collect();
            let passing = results.iter().filter(|r| r.is_empty()).count();
            if *exclusive && passing > 1 {
                problems.push(constraint(
                    node,
                    path,
                    format!("fits {passing} of the `oneOf` schemas; it must fit exactly one"),
                ));
            } else if passing == 0 {
                // The option of the value's own type says best what is wrong.
                match options.iter().position(|o| fits_type(&o.kind, &node.value)) {
                    Some(closest) => {
                        problems.extend(results.into_iter().nth(closest).unwrap_or_default())
                    }
                    None => mismatch(problems),
                }
            }
        }
        (
            Kind::List {
                items,
                min_items,
                max_items,
            },
            Value::List(elements),
        ) => {
            let count = elements.len() as u64;
            if let Some(min) = min_items.filter(|min| count < *min) {
                problems.push(constraint(
                    node,
                    path,
                    format!("has {count} items, fewer than the minimum {min}"),
                ));
            }
            if let Some(max) = max_items.filter(|max| count > *max) {
                problems.push(constraint(
                    node,
                    path,
                    format!("has {count} items, more than the maximum {max}"),
                ));
            }
            for (index, element) in elements.iter().enumerate() {
                validate(
                    items,
                    element,
                    &format!("{}[{index}]", shown(path)),
                    problems,
                );
            }
        }
        (
            Kind::Object {
                properties,
                required,
                additional,
            },
            Value::Map(entries),
        ) => {
            for (key, value) in entries {
                let child_path = join(path, &key.name);
                match properties.iter().find(|(name, _)| *name == key.name) {
                    Some((_, child)) => validate(child, value, &child_path, problems),
                    None => match additional {
                        Some(child) => validate(child, value, &child_path, problems),
                        None => problems.push(unknown_key(&key.name, &child_path, key, schema)),
                    },
                }
            }
            for name in required {
                if !entries.iter().any(|(key, _)| key.name == *name) {
                    let child_path = join(path, name);
                    let description = properties
                        .iter()
                        .find(|(p, _)| p == name)
                        .and_then(|(_, s)| s.description.clone());
                    problems.push(
                        Diagnostic::error(required_missing(&child_path))
                            .at(node.origin.clone())
                            .hint(format!(
                                "set it in a values file or with `--set {child_path}=...`"
                            ))
                            .maybe_hint(description.map(|d| format!("`{child_path}`: {d}"))),
                    );
                }
            }
        }
        _ => mismatch(problems),
    }
    if let Some(allowed) = &schema.allowed {
        let value = node.to_json();
        if !allowed.iter().any(|a| a.to_json() == value) {
            let names: Vec<String> = allowed.iter().map(Node::summary).collect();
            let suggestion = node
                .as_str()
                .and_then(|s| did_you_mean(s, allowed.iter().filter_map(Node::as_str)));
            problems.push(
                constraint(node, path, format!("is not one of {}", names.join(", ")))
                    .maybe_hint(suggestion),
            );
        }
    }
}

/// Whether `value` is of a type `kind` takes, whatever its constraints.
fn fits_type(kind: &Kind, value: &Value) -> bool {
    match (kind, value) {
        (Kind::Any, _)
        | (Kind::String { .. }, Value::String(_))
        | (Kind::Integer { .. }, Value::Int(_))
        | (Kind::Number { .. }, Value::Int(_) | Value::Float(_))
        | (Kind::Boolean, Value::Bool(_))
        | (Kind::List { .. }, Value::List(_))
        | (Kind::Object { .. }, Value::Map(_))
        | (Kind::Null, Value::Null)
        | (Kind::IntOrString, Value::Int(_) | Value::String(_))
        | (Kind::Quantity, Value::Int(_) | Value::Float(_) | Value::String(_)) => true,
        (Kind::Union { options, .. }, value) => options.iter().any(|o| fits_type(&o.kind, value)),
        _ => false,
    }
}

fn constraint(node: &Node, path: &str, what: String) -> Diagnostic {
    Diagnostic::error(format!("`{}`: {} {what}", shown(path), node.summary()))
        .at(node.origin.clone())
}

fn range(
    node: &Node,
    path: &str,
    n: f64,
    minimum: Option<f64>,
    maximum: Option<f64>,
    problems: &mut Vec<Diagnostic>,
) {
    if let Some(min) = minimum.filter(|min| n < *min) {
        problems.push(constraint(
            node,
            path,
            format!("is less than the minimum {min}"),
        ));
    }
    if let Some(max) = maximum.filter(|max| n > *max) {
        problems.push(constraint(
            node,
            path,
            format!("is more than the maximum {max}"),
        ));
    }
}

fn unknown_key(name: &str, path: &str, key: &Key, parent: &Schema) -> Diagnostic {
    let known = parent.property_names();
    let diagnostic = Diagnostic::error(format!(
        "unknown value `{path}`: the schema does not declare it"
    ))
    .at(key.origin.clone().with_width(name.chars().count()))
    .maybe_hint(did_you_mean(name, known.iter().copied()));
    if known.len() <= 15 {
        diagnostic.hint(format!("declared here: {}", known.join(", ")))
    } else {
        diagnostic
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SCHEMA: &str = "type: object
properties:
  replicas: {type: integer, minimum: 1, maximum: 50, default: 2}
  image:
    type: object
    required: [repository]
    properties:
      repository: {type: string, description: Image repository}
      tag: {type: string, default: \"1.0\"}
      pullPolicy: {enum: [Always, IfNotPresent, Never], default: IfNotPresent}
  env: {type: object, additionalProperties: {type: string}}
  args: {type: array, items: {type: string}}
  debug: {type: boolean, default: false}
";

    fn schema() -> Schema {
        Schema::parse(&Source::new("values.schema.yaml", SCHEMA)).unwrap()
    }

    fn lines(result: Result<Resolved, Diagnostics>) -> Vec<String> {
        result
            .unwrap_err()
            .0
            .iter()
            .map(|d| format!("{}: {}", d.origin.as_ref().unwrap().location(), d.message))
            .collect()
    }

    #[test]
    fn layers_defaults_files_and_sets() {
        let file = Source::new(
            "prod.yaml",
            "image:\n  repository: nginx\nenv:\n  A: x\nargs: [a, b]\n",
        );
        let sets = [
            "image.tag=1.10".to_string(),
            "replicas=3".into(),
            "args=[c]".into(),
            "env.B=1".into(),
        ];
        let values = resolve(&schema(), &[Layer::File(file)], &sets)
            .unwrap()
            .values;
        assert_eq!(
            values,
            json!({"replicas": 3, "image": {"tag": "1.10", "pullPolicy": "IfNotPresent", "repository": "nginx"},
                   "env": {"A": "x", "B": "1"}, "debug": false, "args": ["c"]})
        );
    }

    #[test]
    fn merging_keeps_the_order_and_removes_what_null_removes() {
        let node =
            |text: &str| crate::shared::yaml::parse_document(&Source::new("v.yaml", text)).unwrap();
        let mut base = node("a: 1\nb: 2\nc: 3\n");
        merge(&mut base, node("b: null\nd: 4\na: 5\n"));
        assert_eq!(base.to_json(), json!({"a": 5, "c": 3, "d": 4}));
        let keys: Vec<String> = match &base.value {
            Value::Map(entries) => entries.iter().map(|(k, _)| k.name.clone()).collect(),
            _ => Vec::new(),
        };
        assert_eq!(keys, ["a", "c", "d"]);
    }

    #[test]
    fn null_removes_what_layers_set_and_the_default_applies_again() {
        let base = Source::new(
            "base.yaml",
            "image: {repository: r, tag: \"2.0\"}\nenv: {A: x}\n",
        );
        let file = Source::new("v.yaml", "image: {tag: null}\nenv: {A: null}\n");
        let resolved = resolve(&schema(), &[Layer::File(base), Layer::File(file)], &[]).unwrap();
        assert_eq!(
            resolved.values["image"],
            json!({"repository": "r", "pullPolicy": "IfNotPresent", "tag": "1.0"})
        );
        assert_eq!(resolved.values["env"], json!({}));
        let nulls: Vec<String> = resolved
            .nulls
            .iter()
            .map(|(path, origin)| format!("{path} {}", origin.location()))
            .collect();
        assert_eq!(nulls, ["image.tag v.yaml:1:14", "env.A v.yaml:2:10"]);
    }

    #[test]
    fn reports_every_problem_with_file_and_line() {
        let file = Source::new(
            "values.yaml",
            "replicas: \"3\"\nimage:\n  tag: 5\n  pullPolicy: always\nimge: {}\nenv:\n  A: [1]\ndebug: yes\n",
        );
        assert_eq!(
            lines(resolve(&schema(), &[Layer::File(file)], &["replicas=99".into()])),
            [
                "--set:1:10: `replicas`: 99 is more than the maximum 50",
                "values.yaml:3:8: `image.tag`: expected string, found integer 5",
                "values.yaml:4:15: `image.pullPolicy`: \"always\" is not one of \"Always\", \"IfNotPresent\", \"Never\"",
                "values.yaml:2:1: `image.repository` is required but has no value",
                "values.yaml:7:3: `env.A`: expected string, found a list of 1 item",
                "values.yaml:8:8: `debug`: expected boolean, found string \"yes\"",
                "values.yaml:5:1: unknown value `imge`: the schema does not declare it",
            ]
        );
    }

    #[test]
    fn hints_point_to_the_fix() {
        let file = Source::new("values.yaml", "image: {repository: r, tag: 5}\nimge: 1\n");
        let problems = resolve(&schema(), &[Layer::File(file)], &[]).unwrap_err().0;
        assert_eq!(
            problems[0].hints,
            ["quote the value to make it a string, for example `\"1.10\"`"]
        );
        assert_eq!(problems[1].hints[0], "did you mean `image`?");
    }

    #[test]
    fn set_values_are_typed_by_the_schema() {
        let problems = resolve(
            &schema(),
            &[],
            &[
                "image.repository=r".into(),
                "replicas=three".into(),
                "nope".into(),
            ],
        );
        assert_eq!(
            lines(problems),
            [
                "--set:1:1: `--set nope` has no `=`",
                "--set:1:10: `replicas`: expected integer, found string \"three\""
            ]
        );
        let problems = resolve(
            &schema(),
            &[],
            &["image.repository=r".into(), "replicas=three".into()],
        );
        assert_eq!(
            lines(problems),
            ["--set:1:10: `replicas`: expected integer, found string \"three\""]
        );
    }
}
