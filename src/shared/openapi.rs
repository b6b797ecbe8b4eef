//! Values checked against OpenAPI v3 schemas as Kubernetes writes them: the
//! structural schemas of CustomResourceDefinitions (`openAPIV3Schema`), and
//! the definitions of the built-in kinds, which name one another by `$ref`.
//! A schema is compiled once into [`Schemas`] (a set of definitions is
//! compiled one definition at a time, when a value first needs it), then
//! checks any number of values without looking a keyword up again.
//!
//! Covered: `type`, `nullable`, `properties`, `additionalProperties`,
//! `required`, `items`, `enum`, `minimum`/`maximum` (with `exclusiveMinimum`/
//! `exclusiveMaximum` as booleans), `multipleOf`, `minLength`/`maxLength`,
//! `pattern`, `minItems`/`maxItems`, `minProperties`/`maxProperties`,
//! `allOf`/`anyOf`/`oneOf`/`not`, `$ref` (a definition's name),
//! `x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields` and
//! `format: quantity`. Other keywords (other formats,
//! `x-kubernetes-validations`) are not checked.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::shared::diagnostics::did_you_mean;

/// Most problems reported for one value.
const MAX_PROBLEMS: usize = 20;
/// Deepest nesting checked; deeper values are not looked into.
const MAX_DEPTH: usize = 64;
/// A resource quantity written as a string (`500m`, `1Gi`, `1e3`).
const QUANTITY: &str =
    r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)?$";

/// How a schema reads what it does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// A CRD's structural schema: `null` only where `nullable`, and a field
    /// no schema declares is pruned by the API server.
    Structural,
    /// The built-in kinds: `null` means unset, and a field no schema
    /// declares is refused (server-side apply: "field not declared in
    /// schema").
    BuiltIn,
}

/// What is wrong with a value at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `.spec.replicas`, `.spec.ports[0].name` (`.` for the value itself).
    pub path: String,
    /// The same place as a JSON pointer: `/spec/ports/0/name`.
    pub pointer: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A compiled schema in [`Schemas`]: one node of one definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id {
    definition: u32,
    node: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
}

impl Type {
    fn parse(name: &str) -> Option<Type> {
        Some(match name {
            "object" => Type::Object,
            "array" => Type::Array,
            "string" => Type::String,
            "integer" => Type::Integer,
            "number" => Type::Number,
            "boolean" => Type::Boolean,
            _ => return None,
        })
    }

    fn article(self) -> &'static str {
        match self {
            Type::Object => "an object",
            Type::Array => "a list",
            Type::String => "a string",
            Type::Integer => "an integer",
            Type::Number => "a number",
            Type::Boolean => "a boolean",
        }
    }
}

/// Fields an object schema does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extra {
    /// Nothing says: the object's shape is not declared at all.
    Undeclared,
    /// Refused, or pruned ([`Dialect`]).
    Closed,
    Any,
    Schema(Id),
}

/// One schema, its keywords read once.
#[derive(Debug)]
struct Node {
    kind: Option<Type>,
    nullable: bool,
    int_or_string: bool,
    quantity: bool,
    choices: Vec<Value>,
    minimum: Option<(f64, bool)>,
    maximum: Option<(f64, bool)>,
    multiple_of: Option<f64>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<(String, Option<Regex>)>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    min_properties: Option<u64>,
    max_properties: Option<u64>,
    all_of: Vec<Id>,
    any_of: Vec<Id>,
    one_of: Vec<Id>,
    not: Option<Id>,
    properties: HashMap<String, Id>,
    extra: Extra,
    required: Vec<String>,
    items: Option<Id>,
}

/// Compiled schemas: named definitions (sorted by name), each compiled
/// from its JSON the first time a value is checked against it, so that
/// checking a few kinds of a large set costs only what they reach.
#[derive(Debug)]
pub struct Schemas {
    dialect: Dialect,
    definitions: Vec<Definition>,
}

/// One named schema: its JSON, and its nodes once compiled (the first is
/// the schema itself).
#[derive(Debug)]
struct Definition {
    name: Cow<'static, str>,
    json: Cow<'static, str>,
    nodes: OnceLock<Vec<Node>>,
}

/// A step of the path to a value.
#[derive(Clone, Copy)]
enum Step<'v> {
    Field(&'v str),
    Index(usize),
}

impl Schemas {
    /// Definitions given as name and JSON text, naming each other by
    /// `$ref`; none is parsed until a value is checked against it.
    pub fn definitions(
        definitions: impl IntoIterator<Item = (Cow<'static, str>, Cow<'static, str>)>,
        dialect: Dialect,
    ) -> Schemas {
        let mut definitions: Vec<Definition> = definitions
            .into_iter()
            .map(|(name, json)| Definition {
                name,
                json,
                nodes: OnceLock::new(),
            })
            .collect();
        definitions.sort_by(|a, b| a.name.cmp(&b.name));
        definitions.dedup_by(|a, b| a.name == b.name);
        Schemas {
            dialect,
            definitions,
        }
    }

    /// One schema (a CRD version's `openAPIV3Schema`), compiled at once,
    /// and its id.
    pub fn single(schema: &Value, dialect: Dialect) -> (Schemas, Id) {
        let nodes = Compiler::new(0, &|_| None).root(schema);
        let definition = Definition {
            name: Cow::Borrowed(""),
            json: Cow::Borrowed(""),
            nodes: OnceLock::from(nodes),
        };
        let schemas = Schemas {
            dialect,
            definitions: vec![definition],
        };
        (
            schemas,
            Id {
                definition: 0,
                node: 0,
            },
        )
    }

    /// The definition named `name`.
    pub fn id(&self, name: &str) -> Option<Id> {
        let index = self
            .definitions
            .binary_search_by(|d| d.name.as_ref().cmp(name))
            .ok()?;
        Some(Id {
            // Far fewer than 2^32 definitions.
            definition: index as u32,
            node: 0,
        })
    }

    /// The node `id`, compiling its definition if this is its first use.
    fn node(&self, id: Id) -> &Node {
        let definition = &self.definitions[id.definition as usize];
        let nodes = definition.nodes.get_or_init(|| {
            // A definition that is not JSON is checked as "anything goes".
            let schema: Value = serde_json::from_str(&definition.json).unwrap_or_default();
            Compiler::new(id.definition, &|name| self.id(name)).root(&schema)
        });
        &nodes[id.node as usize]
    }

    /// What is wrong with `value` under schema `id` (at most
    /// [`MAX_PROBLEMS`]), leaving out the top-level fields `skip` (which the
    /// API server checks apart, such as a custom object's `metadata`).
    pub fn validate(&self, value: &Value, id: Id, skip: &[&str]) -> Vec<Problem> {
        let mut problems = Vec::new();
        self.check(value, id, &mut Vec::new(), skip, &mut problems);
        problems.truncate(MAX_PROBLEMS);
        problems
    }

    fn check<'v>(
        &self,
        value: &'v Value,
        id: Id,
        path: &mut Vec<Step<'v>>,
        skip: &[&str],
        problems: &mut Vec<Problem>,
    ) {
        if path.len() > MAX_DEPTH || problems.len() >= MAX_PROBLEMS {
            return;
        }
        let node = self.node(id);
        let problem = |problems: &mut Vec<Problem>, path: &[Step], message: String| {
            problems.push(problem_at(path, message));
        };
        if value.is_null() {
            let allowed = node.nullable || self.dialect == Dialect::BuiltIn;
            if !allowed && (node.kind.is_some() || node.quantity || node.int_or_string) {
                problem(problems, path, "must not be null".into());
            }
            return;
        }
        let fits = match node.kind {
            _ if node.quantity => match value {
                Value::Number(_) => true,
                Value::String(text) => quantity().is_match(text),
                _ => false,
            },
            Some(Type::Object) => value.is_object(),
            Some(Type::Array) => value.is_array(),
            Some(Type::String) => value.is_string() || (node.int_or_string && is_integer(value)),
            Some(Type::Integer) => is_integer(value) || (node.int_or_string && value.is_string()),
            Some(Type::Number) => value.is_number(),
            Some(Type::Boolean) => value.is_boolean(),
            None if node.int_or_string => is_integer(value) || value.is_string(),
            None => true,
        };
        if !fits {
            let wanted = match node.kind {
                _ if node.quantity => "a quantity (a number, or a string such as `500m` or `1Gi`)",
                None => "an integer or a string",
                Some(kind) => kind.article(),
            };
            problem(
                problems,
                path,
                format!("must be {wanted}, found {}", describe(value)),
            );
            return;
        }
        if !node.choices.is_empty() && !node.choices.contains(value) {
            let names: Vec<String> = node.choices.iter().map(Value::to_string).collect();
            problem(
                problems,
                path,
                format!("must be one of {}, found {value}", names.join(", ")),
            );
        }
        match value {
            Value::Number(number) => {
                if let Some(n) = number.as_f64() {
                    for message in bounds(node, n) {
                        problem(problems, path, message);
                    }
                }
            }
            Value::String(text) => {
                let length = text.chars().count() as u64;
                if let Some(min) = node.min_length.filter(|&m| length < m) {
                    problem(
                        problems,
                        path,
                        format!("must be at least {min} characters long"),
                    );
                }
                if let Some(max) = node.max_length.filter(|&m| length > m) {
                    problem(
                        problems,
                        path,
                        format!("must be at most {max} characters long"),
                    );
                }
                if let Some((pattern, Some(re))) = &node.pattern {
                    if !re.is_match(text) {
                        problem(
                            problems,
                            path,
                            format!("must match the pattern `{pattern}`"),
                        );
                    }
                }
            }
            _ => {}
        }
        for (keyword, schemas, wanted) in [
            ("allOf", &node.all_of, Some(node.all_of.len())),
            ("anyOf", &node.any_of, None),
            ("oneOf", &node.one_of, Some(1)),
        ] {
            if schemas.is_empty() {
                continue;
            }
            let passing = schemas.iter().filter(|&&s| self.passes(value, s)).count();
            let ok = match wanted {
                Some(n) => passing == n,
                None => passing >= 1,
            };
            if !ok {
                problem(problems, path, format!("does not satisfy `{keyword}`"));
            }
        }
        if node.not.is_some_and(|not| self.passes(value, not)) {
            problem(problems, path, "matches the schema under `not`".into());
        }
        match value {
            Value::Object(fields) => self.check_object(fields, node, path, skip, problems),
            Value::Array(items) => {
                let count = items.len() as u64;
                if let Some(min) = node.min_items.filter(|&m| count < m) {
                    problem(problems, path, format!("must have at least {min} items"));
                }
                if let Some(max) = node.max_items.filter(|&m| count > m) {
                    problem(problems, path, format!("must have at most {max} items"));
                }
                if let Some(item) = node.items {
                    for (index, value) in items.iter().enumerate() {
                        path.push(Step::Index(index));
                        self.check(value, item, path, &[], problems);
                        path.pop();
                    }
                }
            }
            _ => {}
        }
    }

    fn check_object<'v>(
        &self,
        fields: &'v Map<String, Value>,
        node: &Node,
        path: &mut Vec<Step<'v>>,
        skip: &[&str],
        problems: &mut Vec<Problem>,
    ) {
        let count = fields.len() as u64;
        if let Some(min) = node.min_properties.filter(|&m| count < m) {
            problems.push(problem_at(path, format!("must have at least {min} fields")));
        }
        if let Some(max) = node.max_properties.filter(|&m| count > m) {
            problems.push(problem_at(path, format!("must have at most {max} fields")));
        }
        for name in &node.required {
            if !fields.contains_key(name) && !skip.contains(&name.as_str()) {
                problems.push(problem_at(
                    path,
                    format!("is missing the required field `{name}`"),
                ));
            }
        }
        for (name, value) in fields {
            if skip.contains(&name.as_str()) {
                continue;
            }
            path.push(Step::Field(name));
            match (node.properties.get(name), node.extra) {
                (Some(&field), _) => self.check(value, field, path, &[], problems),
                (None, Extra::Schema(extra)) => self.check(value, extra, path, &[], problems),
                (None, Extra::Any | Extra::Undeclared) => {}
                (None, Extra::Closed) => {
                    let near = did_you_mean(name, node.properties.keys().map(String::as_str))
                        .map_or(String::new(), |m| format!(" ({m})"));
                    let message = match self.dialect {
                        Dialect::Structural => format!(
                            "is not in the schema{near}: the API server drops it on the next write"
                        ),
                        Dialect::BuiltIn => {
                            format!("is not a field of this kind's schema{near}")
                        }
                    };
                    problems.push(problem_at(path, message));
                }
            }
            path.pop();
        }
    }

    /// Whether `value` passes schema `id`, for the combinators.
    fn passes(&self, value: &Value, id: Id) -> bool {
        let mut found = Vec::new();
        self.check(value, id, &mut Vec::new(), &[], &mut found);
        found.is_empty()
    }
}

/// Compiles one definition into nodes, resolving `$ref`s to the ids of
/// other definitions without compiling them.
struct Compiler<'r> {
    definition: u32,
    resolve: &'r dyn Fn(&str) -> Option<Id>,
    nodes: Vec<Node>,
}

impl<'r> Compiler<'r> {
    fn new(definition: u32, resolve: &'r dyn Fn(&str) -> Option<Id>) -> Compiler<'r> {
        Compiler {
            definition,
            resolve,
            nodes: Vec::new(),
        }
    }

    /// The nodes of `schema`, itself the first.
    fn root(mut self, schema: &Value) -> Vec<Node> {
        self.nodes.push(Node::empty());
        self.nodes[0] = self.node(schema);
        self.nodes
    }

    fn compile(&mut self, schema: &Value) -> Id {
        if let Some(id) = schema["$ref"].as_str().and_then(self.resolve) {
            return id;
        }
        let index = self.nodes.len();
        self.nodes.push(Node::empty());
        self.nodes[index] = self.node(schema);
        Id {
            definition: self.definition,
            // A definition has far fewer than 2^32 nodes.
            node: index as u32,
        }
    }

    fn node(&mut self, schema: &Value) -> Node {
        let count = |keyword: &str| schema[keyword].as_u64();
        let bound = |keyword: &str, exclusive: &str| {
            Some((schema[keyword].as_f64()?, schema[exclusive] == true))
        };
        let mut list = |keyword: &str| -> Vec<Id> {
            let schemas = schema[keyword].as_array().cloned().unwrap_or_default();
            schemas.iter().map(|s| self.compile(s)).collect()
        };
        let all_of = list("allOf");
        let any_of = list("anyOf");
        let one_of = list("oneOf");
        let not = schema.get("not").map(|s| self.compile(s));
        let properties = schema["properties"].as_object();
        let extra = match schema.get("additionalProperties") {
            Some(Value::Bool(true)) => Extra::Any,
            Some(Value::Bool(false)) => Extra::Closed,
            Some(extra) if extra.is_object() => Extra::Schema(self.compile(extra)),
            _ if schema["x-kubernetes-preserve-unknown-fields"] == true => Extra::Any,
            _ if properties.is_some() => Extra::Closed,
            _ => Extra::Undeclared,
        };
        let properties = properties
            .into_iter()
            .flatten()
            .map(|(name, field)| (name.clone(), self.compile(field)))
            .collect();
        Node {
            kind: schema["type"].as_str().and_then(Type::parse),
            nullable: schema["nullable"] == true,
            int_or_string: schema["x-kubernetes-int-or-string"] == true,
            quantity: schema["format"] == "quantity",
            choices: schema["enum"].as_array().cloned().unwrap_or_default(),
            minimum: bound("minimum", "exclusiveMinimum"),
            maximum: bound("maximum", "exclusiveMaximum"),
            multiple_of: schema["multipleOf"].as_f64().filter(|s| *s > 0.0),
            min_length: count("minLength"),
            max_length: count("maxLength"),
            pattern: schema["pattern"]
                .as_str()
                .map(|p| (p.to_string(), Regex::new(p).ok())),
            min_items: count("minItems"),
            max_items: count("maxItems"),
            min_properties: count("minProperties"),
            max_properties: count("maxProperties"),
            all_of,
            any_of,
            one_of,
            not,
            properties,
            extra,
            required: schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| Some(r.as_str()?.to_string()))
                .collect(),
            items: schema.get("items").map(|s| self.compile(s)),
        }
    }
}

impl Node {
    fn empty() -> Node {
        Node {
            kind: None,
            nullable: false,
            int_or_string: false,
            quantity: false,
            choices: Vec::new(),
            minimum: None,
            maximum: None,
            multiple_of: None,
            min_length: None,
            max_length: None,
            pattern: None,
            min_items: None,
            max_items: None,
            min_properties: None,
            max_properties: None,
            all_of: Vec::new(),
            any_of: Vec::new(),
            one_of: Vec::new(),
            not: None,
            properties: HashMap::new(),
            extra: Extra::Undeclared,
            required: Vec::new(),
            items: None,
        }
    }
}

fn quantity() -> &'static Regex {
    static QUANTITY_RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    QUANTITY_RE.get_or_init(|| Regex::new(QUANTITY).expect("the quantity pattern compiles"))
}

fn problem_at(path: &[Step], message: String) -> Problem {
    let mut dotted = String::new();
    let mut pointer = String::new();
    for step in path {
        match step {
            Step::Field(name) => {
                dotted.push('.');
                dotted.push_str(name);
                pointer.push('/');
                pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
            }
            Step::Index(index) => {
                dotted.push_str(&format!("[{index}]"));
                pointer.push_str(&format!("/{index}"));
            }
        }
    }
    if dotted.is_empty() {
        dotted.push('.');
    }
    Problem {
        path: dotted,
        pointer,
        message,
    }
}

fn bounds(node: &Node, n: f64) -> Vec<String> {
    let mut found = Vec::new();
    if let Some((min, exclusive)) = node.minimum {
        if n < min || (exclusive && n == min) {
            let than = if exclusive {
                "greater than"
            } else {
                "at least"
            };
            found.push(format!("must be {than} {min}, found {n}"));
        }
    }
    if let Some((max, exclusive)) = node.maximum {
        if n > max || (exclusive && n == max) {
            let than = if exclusive { "less than" } else { "at most" };
            found.push(format!("must be {than} {max}, found {n}"));
        }
    }
    if let Some(step) = node.multiple_of {
        if (n / step).fract() != 0.0 {
            found.push(format!("must be a multiple of {step}"));
        }
    }
    found
}

fn is_integer(value: &Value) -> bool {
    value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
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
        let (schemas, id) = Schemas::single(&schema, Dialect::Structural);
        schemas
            .validate(&value, id, &[])
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
        let invalid = json!({"spec": {"size": 10, "mode": "slow", "port": true, "tags": ["A", "b"], "sizes": 1}});
        assert_eq!(
            problems(invalid, schema.clone()),
            [
                ".spec.size: must be at most 5, found 10",
                ".spec.mode: must be one of \"fast\", \"safe\", found \"slow\"",
                ".spec.port: must be an integer or a string, found the boolean true",
                ".spec.tags: must have at most 1 items",
                ".spec.tags[0]: must match the pattern `^[a-z]+$`",
                ".spec.sizes: is not in the schema (did you mean `size`?): the API server drops it on the next write",
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

    #[test]
    fn definitions_name_each_other_and_built_in_kinds_take_null_as_unset() {
        let definitions = json!({
            "Pod": {"type": "object", "properties": {"spec": {"$ref": "PodSpec"}}},
            "PodSpec": {"type": "object", "required": ["containers"], "properties": {
                "containers": {"type": "array", "items": {"$ref": "Container"}},
                "priority": {"type": "integer"}
            }},
            "Container": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"},
                "port": {"x-kubernetes-int-or-string": true},
                "cpu": {"format": "quantity"}
            }}
        });
        let definitions = definitions
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, schema)| (Cow::Owned(name.clone()), Cow::Owned(schema.to_string())));
        let schemas = Schemas::definitions(definitions, Dialect::BuiltIn);
        let pod = schemas.id("Pod").unwrap();
        let valid = json!({"spec": {"priority": null, "containers": [{"name": "a", "port": 80, "cpu": "500m"}, {"name": "b", "cpu": 0.5}]}});
        assert!(schemas.validate(&valid, pod, &[]).is_empty());
        let invalid = json!({"spec": {"contianers": [], "priority": "1"}});
        let found = schemas.validate(&invalid, pod, &[]);
        let shown: Vec<String> = found.iter().map(Problem::to_string).collect();
        assert_eq!(
            shown,
            [
                ".spec: is missing the required field `containers`",
                ".spec.contianers: is not a field of this kind's schema (did you mean `containers`?)",
                ".spec.priority: must be an integer, found the string \"1\"",
            ]
        );
        assert_eq!(found[1].pointer, "/spec/contianers");
        let quantities = json!({"spec": {"containers": [{"name": "a", "cpu": "half"}]}});
        assert_eq!(
            schemas.validate(&quantities, pod, &[])[0].to_string(),
            ".spec.containers[0].cpu: must be a quantity (a number, or a string such as `500m` or `1Gi`), found the string \"half\""
        );
        // Fields the caller checks apart are left out.
        assert!(schemas
            .validate(
                &json!({"spec": {"containers": []}, "metadata": 1}),
                pod,
                &["metadata"]
            )
            .is_empty());
    }
}
