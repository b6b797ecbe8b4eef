//! Values checked against an OpenAPI v3 schema as Kubernetes writes them: the
//! structural schemas of CustomResourceDefinitions (`openAPIV3Schema`).
//!
//! Covered: `type`, `nullable`, `properties`, `additionalProperties`,
//! `required`, `items`, `enum`, `minimum`/`maximum` (with `exclusiveMinimum`/
//! `exclusiveMaximum` as booleans), `multipleOf`, `minLength`/`maxLength`,
//! `pattern`, `minItems`/`maxItems`, `minProperties`/`maxProperties`,
//! `allOf`/`anyOf`/`oneOf`/`not`, `x-kubernetes-int-or-string` and
//! `x-kubernetes-preserve-unknown-fields`. A field that no schema declares
//! is reported as pruned: the API server drops it on the next write. Other
//! keywords (`format`, `x-kubernetes-validations`) are not checked.

use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;

/// Most problems reported for one value.
const MAX_PROBLEMS: usize = 20;
/// Deepest nesting checked; deeper values are not looked into.
const MAX_DEPTH: usize = 64;

/// What is wrong with a value at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `.spec.replicas`, `.spec.ports[0].name`.
    pub path: String,
    pub message: String,
}

impl Problem {
    /// A problem at `path` (`.` for the value itself).
    fn at(path: &str, message: impl Into<String>) -> Problem {
        let path = if path.is_empty() { "." } else { path };
        Problem {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Checks values against schemas, compiling each pattern once.
#[derive(Default)]
pub struct Validator {
    patterns: HashMap<String, Option<Regex>>,
}

impl Validator {
    /// What is wrong with `value` under `schema` (at most [`MAX_PROBLEMS`]).
    pub fn validate(&mut self, value: &Value, schema: &Value) -> Vec<Problem> {
        let mut problems = Vec::new();
        self.check(value, schema, &mut String::new(), 0, &mut problems);
        problems.truncate(MAX_PROBLEMS);
        problems
    }

    fn check(
        &mut self,
        value: &Value,
        schema: &Value,
        path: &mut String,
        depth: usize,
        problems: &mut Vec<Problem>,
    ) {
        if depth > MAX_DEPTH || problems.len() >= MAX_PROBLEMS {
            return;
        }
        let mut problem = |message: String| problems.push(Problem::at(path, message));
        if value.is_null() {
            if schema["nullable"] != true && schema.get("type").is_some() {
                problem("must not be null".into());
            }
            return;
        }
        let int_or_string = schema["x-kubernetes-int-or-string"] == true;
        if let Some(wanted) = schema["type"].as_str() {
            let fits = match wanted {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string() || (int_or_string && is_integer(value)),
                "integer" => is_integer(value) || (int_or_string && value.is_string()),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                _ => true,
            };
            if !fits {
                problem(format!(
                    "must be {}, found {}",
                    article(wanted),
                    describe(value)
                ));
                return;
            }
        } else if int_or_string && !(is_integer(value) || value.is_string()) {
            problem(format!(
                "must be an integer or a string, found {}",
                describe(value)
            ));
            return;
        }
        if let Some(choices) = schema["enum"].as_array() {
            if !choices.contains(value) {
                let names: Vec<String> = choices.iter().map(Value::to_string).collect();
                problem(format!(
                    "must be one of {}, found {value}",
                    names.join(", ")
                ));
            }
        }
        match value {
            Value::Number(number) => {
                if let Some(n) = number.as_f64() {
                    bounds(schema, n, &mut problem);
                }
            }
            Value::String(text) => {
                let length = text.chars().count() as u64;
                if let Some(min) = schema["minLength"].as_u64().filter(|&m| length < m) {
                    problem(format!("must be at least {min} characters long"));
                }
                if let Some(max) = schema["maxLength"].as_u64().filter(|&m| length > m) {
                    problem(format!("must be at most {max} characters long"));
                }
                if let Some(pattern) = schema["pattern"].as_str() {
                    let compiled = self
                        .patterns
                        .entry(pattern.to_string())
                        .or_insert_with(|| Regex::new(pattern).ok());
                    if compiled.as_ref().is_some_and(|re| !re.is_match(text)) {
                        problem(format!("must match the pattern `{pattern}`"));
                    }
                }
            }
            _ => {}
        }
        for (keyword, compare) in [("allOf", 0), ("anyOf", 1), ("oneOf", 2)] {
            let Some(schemas) = schema[keyword].as_array() else {
                continue;
            };
            let passing = schemas.iter().filter(|s| self.passes(value, s)).count();
            let ok = match compare {
                0 => passing == schemas.len(),
                1 => passing >= 1,
                _ => passing == 1,
            };
            if !ok {
                problems.push(Problem::at(path, format!("does not satisfy `{keyword}`")));
            }
        }
        if schema.get("not").is_some_and(|not| self.passes(value, not)) {
            problems.push(Problem::at(path, "matches the schema under `not`"));
        }
        match value {
            Value::Object(fields) => self.check_object(fields, schema, path, depth, problems),
            Value::Array(items) => {
                let count = items.len() as u64;
                let mut at = |message: String| problems.push(Problem::at(path, message));
                if let Some(min) = schema["minItems"].as_u64().filter(|&m| count < m) {
                    at(format!("must have at least {min} items"));
                }
                if let Some(max) = schema["maxItems"].as_u64().filter(|&m| count > m) {
                    at(format!("must have at most {max} items"));
                }
                if let Some(item_schema) = schema.get("items") {
                    for (index, item) in items.iter().enumerate() {
                        let length = path.len();
                        path.push_str(&format!("[{index}]"));
                        self.check(item, item_schema, path, depth + 1, problems);
                        path.truncate(length);
                    }
                }
            }
            _ => {}
        }
    }

    fn check_object(
        &mut self,
        fields: &serde_json::Map<String, Value>,
        schema: &Value,
        path: &mut String,
        depth: usize,
        problems: &mut Vec<Problem>,
    ) {
        let count = fields.len() as u64;
        if let Some(min) = schema["minProperties"].as_u64().filter(|&m| count < m) {
            problems.push(Problem::at(
                path,
                format!("must have at least {min} fields"),
            ));
        }
        if let Some(max) = schema["maxProperties"].as_u64().filter(|&m| count > m) {
            problems.push(Problem::at(path, format!("must have at most {max} fields")));
        }
        for required in schema["required"].as_array().into_iter().flatten() {
            if let Some(name) = required.as_str().filter(|n| !fields.contains_key(*n)) {
                problems.push(Problem::at(
                    path,
                    format!("is missing the required field `{name}`"),
                ));
            }
        }
        let properties = schema["properties"].as_object();
        let additional = schema.get("additionalProperties");
        let preserve = schema["x-kubernetes-preserve-unknown-fields"] == true
            || additional == Some(&Value::Bool(true));
        // An object without a declared shape (only `type: object`) at the
        // root of `metadata` and the like is checked by the API server.
        let declared = properties.is_some() || additional.is_some();
        for (name, field) in fields {
            let length = path.len();
            path.push('.');
            path.push_str(name);
            match (properties.and_then(|p| p.get(name)), additional) {
                (Some(field_schema), _) => {
                    self.check(field, field_schema, path, depth + 1, problems)
                }
                (None, Some(extra)) if extra.is_object() => {
                    self.check(field, extra, path, depth + 1, problems)
                }
                _ if preserve || !declared => {}
                _ => problems.push(Problem::at(
                    path,
                    "is not in the schema: the API server drops it on the next write",
                )),
            }
            path.truncate(length);
        }
    }

    /// Whether `value` passes `schema`, for the combinators.
    fn passes(&mut self, value: &Value, schema: &Value) -> bool {
        let mut found = Vec::new();
        self.check(value, schema, &mut String::new(), 0, &mut found);
        found.is_empty()
    }
}

fn bounds(schema: &Value, n: f64, problem: &mut impl FnMut(String)) {
    if let Some(min) = schema["minimum"].as_f64() {
        let exclusive = schema["exclusiveMinimum"] == true;
        if n < min || (exclusive && n == min) {
            let than = if exclusive {
                "greater than"
            } else {
                "at least"
            };
            problem(format!("must be {than} {}, found {n}", schema["minimum"]));
        }
    }
    if let Some(max) = schema["maximum"].as_f64() {
        let exclusive = schema["exclusiveMaximum"] == true;
        if n > max || (exclusive && n == max) {
            let than = if exclusive { "less than" } else { "at most" };
            problem(format!("must be {than} {}, found {n}", schema["maximum"]));
        }
    }
    if let Some(step) = schema["multipleOf"].as_f64().filter(|s| *s > 0.0) {
        if (n / step).fract() != 0.0 {
            problem(format!("must be a multiple of {}", schema["multipleOf"]));
        }
    }
}

fn is_integer(value: &Value) -> bool {
    value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
}

fn article(kind: &str) -> String {
    match kind {
        "object" => "an object".into(),
        "array" => "a list".into(),
        "integer" => "an integer".into(),
        other => format!("a {other}"),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(value: Value, schema: Value) -> Vec<String> {
        Validator::default()
            .validate(&value, &schema)
            .iter()
            .map(Problem::to_string)
            .collect()
    }

    #[test]
    fn objects_are_checked_field_by_field_with_their_paths() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "required": ["size"], "properties": {
            "size": {"type": "integer", "minimum": 1, "maximum": 5},
            "mode": {"type": "string", "enum": ["fast", "safe"]},
            "port": {"x-kubernetes-int-or-string": true},
            "tags": {"type": "array", "maxItems": 1, "items": {"type": "string", "pattern": "^[a-z]+$"}},
            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "note": {"type": "string", "nullable": true}
        }}}});
        let valid = json!({"spec": {"size": 3, "mode": "safe", "port": "http", "tags": ["a"], "extra": {"any": 1}, "note": null}});
        assert!(problems(valid, schema.clone()).is_empty());
        let invalid = json!({"spec": {"size": 10, "mode": "slow", "port": true, "tags": ["A", "b"], "color": "red"}});
        assert_eq!(
            problems(invalid, schema.clone()),
            [
                ".spec.size: must be at most 5, found 10",
                ".spec.mode: must be one of \"fast\", \"safe\", found \"slow\"",
                ".spec.port: must be an integer or a string, found the boolean true",
                ".spec.tags: must have at most 1 items",
                ".spec.tags[0]: must match the pattern `^[a-z]+$`",
                ".spec.color: is not in the schema: the API server drops it on the next write",
            ]
        );
        assert_eq!(
            problems(json!({"spec": {"size": "3"}}), schema),
            [".spec.size: must be an integer, found the string \"3\""]
        );
        assert_eq!(
            problems(
                json!({"spec": {}}),
                json!({"properties": {"spec": {"required": ["size"]}}})
            ),
            [".spec: is missing the required field `size`"]
        );
    }

    #[test]
    fn combinators_and_bounds() {
        let schema = json!({"anyOf": [{"type": "integer"}, {"type": "string"}]});
        assert!(problems(json!(1), schema.clone()).is_empty());
        assert_eq!(
            problems(json!(true), schema),
            [".: does not satisfy `anyOf`"]
        );
        let exclusive = json!({"type": "number", "minimum": 0, "exclusiveMinimum": true});
        assert_eq!(
            problems(json!(0), exclusive),
            [".: must be greater than 0, found 0"]
        );
    }
}
