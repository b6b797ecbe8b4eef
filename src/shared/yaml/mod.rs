//! YAML in and out, with positions and limits.
//!
//! [`parse_stream`] and [`parse_document`] turn YAML text into [`Node`] trees in
//! which every value and key keeps the file, line and column it came from, so
//! later stages can point at the exact place a bad value was written. Parsing
//! follows the YAML 1.2 core schema (`yes` is a string, not a boolean) and is
//! bounded: nesting deeper than [`MAX_DEPTH`], more than [`MAX_NODES`] nodes in a
//! document (alias expansion included) and duplicate keys are errors, so alias
//! bombs and hostile nesting fail quickly instead of exhausting memory or stack.
//! The block YAML that nearly all files and templates write is read by a fast
//! reader of its own (`block`); the rest, and every error, by yaml-rust2.
//!
//! [`emit`] writes JSON values back out as block YAML that every Kubernetes
//! YAML parser (YAML 1.1 included) reads with the same types.

mod block;
mod emit;
pub mod fields;

pub use emit::{emit, emit_document, write_document};

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

use crate::shared::diagnostics::{counted, Diagnostic, Origin, Source};

/// Deepest nesting of maps and lists accepted in one document.
pub const MAX_DEPTH: usize = 200;
/// Most nodes accepted in one document, counting every alias expansion.
pub const MAX_NODES: usize = 2_000_000;

/// How unquoted scalars resolve to types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The YAML 1.2 core schema: `yes` and `on` are strings; duplicate keys
    /// are errors. cleat's own files.
    Core,
    /// YAML 1.1 as Go's gopkg.in/yaml.v2 reads it (Helm's values and
    /// manifests, Kubernetes' YAML): `yes`/`no`/`on`/`off`/`y`/`n` are
    /// booleans, `0755` is octal, `_` separates digits, and a duplicate key
    /// replaces the earlier value.
    Yaml11,
}

/// A YAML value with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub origin: Origin,
}

/// A map key with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub origin: Origin,
}

/// The value of a [`Node`]. Maps keep their keys in the order written.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    List(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

impl Value {
    /// The name of the value's type, as error messages show it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
        }
    }
}

impl Node {
    pub fn new(value: Value, origin: Origin) -> Node {
        Node { value, origin }
    }

    /// The value under `key` when this node is a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as JSON. Non-finite floats, which JSON cannot hold, become null;
    /// validation reports them before values reach a template.
    pub fn to_json(&self) -> serde_json::Value {
        self.clone().into_json()
    }

    /// [`Node::to_json`], moving the strings instead of copying them.
    pub fn into_json(self) -> serde_json::Value {
        match self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(b),
            Value::Int(i) => serde_json::Value::from(i),
            Value::Float(f) => serde_json::Number::from_f64(f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s),
            Value::List(items) => items.into_iter().map(Node::into_json).collect(),
            Value::Map(entries) => entries
                .into_iter()
                .map(|(k, v)| (k.name, v.into_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }

    /// A JSON value as a node, every part of it at `origin`.
    pub fn from_json(value: &serde_json::Value, origin: &Origin) -> Node {
        let value = match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(|i| Node::from_json(i, origin)).collect())
            }
            serde_json::Value::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| {
                        let key = Key {
                            name: k.clone(),
                            origin: origin.clone(),
                        };
                        (key, Node::from_json(v, origin))
                    })
                    .collect(),
            ),
        };
        Node::new(value, origin.clone())
    }

    /// A short, single-line rendering of the value for error messages.
    pub fn summary(&self) -> String {
        match &self.value {
            Value::String(s) => {
                let mut text: String = s.chars().take(40).collect();
                if text.len() < s.len() {
                    text.push('…');
                }
                format!("{text:?}")
            }
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::List(items) => format!("a list of {}", counted(items.len(), "item")),
            Value::Map(entries) => {
                format!("a map of {}", counted(entries.len(), "key"))
            }
        }
    }
}

/// One document of a YAML stream and the line its content starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub root: Node,
    pub start_line: usize,
}

/// Parses every document of a YAML stream.
pub fn parse_stream(source: &Arc<Source>) -> Result<Vec<Document>, Diagnostic> {
    parse_part(source, &Part::whole(&source.text))
}

/// Parses every document of a YAML stream in `dialect`.
pub fn parse_stream_as(
    source: &Arc<Source>,
    dialect: Dialect,
) -> Result<Vec<Document>, Diagnostic> {
    parse_part_as(source, &Part::whole(&source.text), dialect)
}

/// A piece of a YAML stream made of whole documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub bytes: Range<usize>,
    /// Lines of the stream before the part.
    pub lines_before: usize,
}

impl Part {
    /// The whole stream as one part.
    fn whole(text: &str) -> Part {
        Part {
            bytes: 0..text.len(),
            lines_before: 0,
        }
    }
}

/// Cuts a stream into parts of at least `min_bytes` (the last may be
/// shorter) at lines that start a document (`---`), which YAML allows
/// nowhere inside a document, so each part parses on its own. Streams with
/// directives (`%YAML`, `%TAG`), which belong to the document after them,
/// stay whole.
pub fn parts(text: &str, min_bytes: usize) -> Vec<Part> {
    let mut parts = Vec::new();
    let (mut start, mut start_line, mut offset) = (0, 0, 0);
    for (line_number, line) in text.split_inclusive('\n').enumerate() {
        if line.starts_with('%') {
            return vec![Part::whole(text)];
        }
        let opens_document = line
            .strip_prefix("---")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']));
        if opens_document && offset - start >= min_bytes {
            parts.push(Part {
                bytes: start..offset,
                lines_before: start_line,
            });
            (start, start_line) = (offset, line_number);
        }
        offset += line.len();
    }
    parts.push(Part {
        bytes: start..text.len(),
        lines_before: start_line,
    });
    parts
}

/// Parses the documents of one part of a stream; positions are in the stream.
pub fn parse_part(source: &Arc<Source>, part: &Part) -> Result<Vec<Document>, Diagnostic> {
    parse_part_as(source, part, Dialect::Core)
}

/// [`parse_part`] in `dialect`.
pub fn parse_part_as(
    source: &Arc<Source>,
    part: &Part,
    dialect: Dialect,
) -> Result<Vec<Document>, Diagnostic> {
    let text = &source.text[part.bytes.clone()];
    let mut builder = Builder::new(source, part.lines_before, dialect);
    let read = block::events(text, &mut |event, mark| {
        builder.event(event, mark.line, mark.col)
    });
    if read.is_some() && builder.error.is_none() {
        return Ok(builder.documents);
    }
    // Anything else (and every error) is yaml-rust2's, from the start.
    let mut builder = Builder::new(source, part.lines_before, dialect);
    let mut parser = Parser::new_from_str(text);
    // Events are pulled one by one: yaml-rust2's own `load` recurses once per
    // nesting level and overflows the stack on deeply nested block documents.
    let scanned = loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break Ok(()),
            Ok((event, mark)) => builder.event(event, mark.line(), mark.col()),
            Err(error) => break Err(error),
        }
        if builder.error.is_some() {
            break Ok(());
        }
    };
    if let Some(error) = builder.error {
        return Err(error);
    }
    if let Err(error) = scanned {
        let origin = builder.origin(error.marker().line(), error.marker().col());
        let diagnostic = Diagnostic::error(format!(
            "invalid YAML in `{}`: {}",
            source.name,
            error.info()
        ))
        .at(origin);
        let hint = error
            .info()
            .contains("recursion limit")
            .then(|| "maps and lists nest too deeply".to_string());
        return Err(diagnostic.maybe_hint(hint));
    }
    Ok(builder.documents)
}

/// Parses a file that holds at most one document; an empty file is null.
pub fn parse_document(source: &Arc<Source>) -> Result<Node, Diagnostic> {
    parse_document_as(source, Dialect::Core)
}

/// [`parse_document`] in `dialect`.
pub fn parse_document_as(source: &Arc<Source>, dialect: Dialect) -> Result<Node, Diagnostic> {
    let mut documents = parse_stream_as(source, dialect)?;
    match documents.len() {
        0 => Ok(Node::new(Value::Null, Origin::new(source, 1, 1))),
        1 => Ok(documents.remove(0).root),
        _ => Err(Diagnostic::error(format!(
            "`{}` holds {} YAML documents, expected one",
            source.name,
            documents.len()
        ))
        .at(Origin::new(source, documents[1].start_line, 1))
        .hint("remove the `---` separators or split the file")),
    }
}

/// Entries from which a map finds duplicate keys by hashing, not scanning.
const HASHED_FROM: usize = 16;

/// A container being filled while its events arrive.
enum Frame {
    List {
        items: Vec<Node>,
        origin: Origin,
        anchor: usize,
    },
    Map {
        entries: Vec<(Key, Node)>,
        /// Each key's line, once the map is large enough that scanning its
        /// entries for a duplicate would cost more than hashing.
        seen: Option<HashMap<String, usize>>,
        key: Option<Key>,
        origin: Origin,
        anchor: usize,
    },
}

/// Builds [`Node`]s from parser events, enforcing the limits. The parser's
/// callback cannot fail, so the first error is kept and later events ignored.
struct Builder<'a> {
    source: &'a Arc<Source>,
    dialect: Dialect,
    lines_before: usize,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    documents: Vec<Document>,
    document_start: usize,
    nodes: usize,
    error: Option<Diagnostic>,
}

impl<'a> Builder<'a> {
    fn new(source: &'a Arc<Source>, lines_before: usize, dialect: Dialect) -> Builder<'a> {
        Builder {
            source,
            dialect,
            lines_before,
            stack: Vec::new(),
            anchors: HashMap::new(),
            documents: Vec::new(),
            document_start: lines_before + 1,
            nodes: 0,
            error: None,
        }
    }

    /// The place of an event at `line` (from 1) and `col` (from 0) of the part.
    fn origin(&self, line: usize, col: usize) -> Origin {
        Origin::new(self.source, self.lines_before + line.max(1), col + 1)
    }

    fn fail(&mut self, diagnostic: Diagnostic) {
        if self.error.is_none() {
            self.error = Some(diagnostic);
        }
    }

    fn count(&mut self, nodes: usize, origin: &Origin) -> bool {
        self.nodes += nodes;
        if self.nodes > MAX_NODES {
            self.fail(
                Diagnostic::error(format!(
                    "`{}` expands to more than {MAX_NODES} YAML nodes",
                    self.source.name
                ))
                .at(origin.clone())
                .hint("aliases that repeat aliases grow exponentially (an alias bomb); write the values out"),
            );
            return false;
        }
        true
    }

    fn open(&mut self, frame: Frame, origin: &Origin) {
        if self.stack.len() >= MAX_DEPTH {
            self.fail(
                Diagnostic::error(format!(
                    "`{}` nests maps and lists more than {MAX_DEPTH} levels deep",
                    self.source.name
                ))
                .at(origin.clone()),
            );
            return;
        }
        if self.count(1, origin) {
            self.stack.push(frame);
        }
    }

    /// Stores a finished node in its parent, or as the document's root.
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                // A block map's start mark lies past its first key; point at the key.
                let mut root = node;
                if let Value::Map(entries) = &root.value {
                    if let Some((first, _)) = entries.first() {
                        root.origin = first.origin.clone();
                    }
                }
                self.documents.push(Document {
                    root,
                    start_line: self.document_start,
                })
            }
            Some(Frame::List { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries, seen, key, ..
            }) => match key.take() {
                Some(key) => {
                    // A map or list written under a key is pointed at by its key.
                    let mut node = node;
                    if matches!(node.value, Value::Map(_) | Value::List(_)) {
                        node.origin = key.origin.clone();
                    }
                    if entries.len() == HASHED_FROM {
                        *seen = Some(
                            entries
                                .iter()
                                .map(|(k, _)| (k.name.clone(), k.origin.line))
                                .collect(),
                        );
                    }
                    let first = match seen {
                        Some(seen) => seen.get(&key.name).copied(),
                        None => entries
                            .iter()
                            .find(|(k, _)| k.name == key.name)
                            .map(|(k, _)| k.origin.line),
                    };
                    if let (Some(_), Dialect::Yaml11) = (first, self.dialect) {
                        // yaml.v2: the later value wins.
                        if let Some(entry) = entries.iter_mut().find(|(k, _)| k.name == key.name) {
                            entry.1 = node;
                        }
                    } else if let Some(first) = first {
                        let diagnostic = Diagnostic::error(format!(
                            "duplicate key `{}` (first written on line {first})",
                            key.name
                        ))
                        .at(key.origin.clone())
                        .hint("remove one of the two entries");
                        self.fail(diagnostic);
                    } else {
                        if let Some(seen) = seen {
                            seen.insert(key.name.clone(), key.origin.line);
                        }
                        entries.push((key, node));
                    }
                }
                None => match key_name(&node) {
                    Some(name) => {
                        *key = Some(Key {
                            name,
                            origin: node.origin,
                        })
                    }
                    None => {
                        let diagnostic = Diagnostic::error(format!(
                            "map keys must be strings, numbers or booleans, found {}",
                            node.value.type_name()
                        ))
                        .at(node.origin);
                        self.fail(diagnostic);
                    }
                },
            },
        }
    }
}

fn key_name(node: &Node) -> Option<String> {
    match &node.value {
        Value::String(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Null => Some(String::new()),
        Value::List(_) | Value::Map(_) => None,
    }
}

fn size(node: &Node) -> usize {
    match &node.value {
        Value::List(items) => 1 + items.iter().map(size).sum::<usize>(),
        Value::Map(entries) => 1 + entries.iter().map(|(_, v)| size(v)).sum::<usize>(),
        _ => 1,
    }
}

impl Builder<'_> {
    /// Takes in one event, at `line` and `col` of the part.
    fn event(&mut self, event: Event, line: usize, col: usize) {
        if self.error.is_some() {
            return;
        }
        let origin = self.origin(line, col);
        match event {
            Event::DocumentStart => {
                self.document_start = self.lines_before + line.max(1);
                self.anchors.clear();
                self.nodes = 0;
            }
            Event::Scalar(text, style, anchor, tag) => {
                if self.count(1, &origin) {
                    let width = text.chars().count();
                    let tagged_str = tag.is_some_and(|t| t.suffix == "str");
                    let value = if style == TScalarStyle::Plain && !tagged_str {
                        match self.dialect {
                            Dialect::Core => resolve_plain(text),
                            Dialect::Yaml11 => resolve_plain_11(text),
                        }
                    } else {
                        Value::String(text)
                    };
                    let width = if style == TScalarStyle::Plain {
                        width
                    } else {
                        1
                    };
                    self.finish(Node::new(value, origin.with_width(width)), anchor);
                }
            }
            Event::Alias(anchor) => match self.anchors.get(&anchor).cloned() {
                Some(node) => {
                    if self.count(size(&node), &origin) {
                        self.finish(node, 0);
                    }
                }
                None => self.fail(Diagnostic::error("alias to an unknown anchor").at(origin)),
            },
            Event::SequenceStart(anchor, _) => {
                let frame = Frame::List {
                    items: Vec::new(),
                    origin: origin.clone(),
                    anchor,
                };
                self.open(frame, &origin);
            }
            Event::MappingStart(anchor, _) => {
                let frame = Frame::Map {
                    entries: Vec::new(),
                    seen: None,
                    key: None,
                    origin: origin.clone(),
                    anchor,
                };
                self.open(frame, &origin);
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::List {
                    items,
                    origin,
                    anchor,
                }) => self.finish(Node::new(Value::List(items), origin), anchor),
                Some(Frame::Map {
                    entries,
                    origin,
                    anchor,
                    ..
                }) => self.finish(Node::new(Value::Map(entries), origin), anchor),
                None => {}
            },
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
    }
}

/// Resolves an unquoted scalar by the YAML 1.2 core schema.
fn resolve_plain(text: String) -> Value {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(&text);
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Value::Int(i);
        }
    } else if let Some(octal) = text.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(octal, 8) {
            return Value::Int(i);
        }
    } else if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
    }
    if is_float_syntax(unsigned) {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::String(text)
}

/// Resolves an unquoted scalar as gopkg.in/yaml.v2 does (YAML 1.1).
fn resolve_plain_11(text: String) -> Value {
    match text.as_str() {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => return Value::Bool(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => return Value::Bool(false),
        _ => {}
    }
    let starts_number = text
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'-' || b == b'+' || b == b'.');
    if !starts_number {
        return resolve_plain(text);
    }
    // Digits may be separated by `_`; a base comes from the prefix, and a
    // leading 0 is octal (Go's ParseInt with base 0).
    let plain = text.replace('_', "");
    let (negative, unsigned) = match plain.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, plain.strip_prefix('+').unwrap_or(&plain)),
    };
    let (radix, digits) =
        if let Some(d) = unsigned.strip_prefix("0x").or(unsigned.strip_prefix("0X")) {
            (16, d)
        } else if let Some(d) = unsigned.strip_prefix("0o").or(unsigned.strip_prefix("0O")) {
            (8, d)
        } else if let Some(d) = unsigned.strip_prefix("0b").or(unsigned.strip_prefix("0B")) {
            (2, d)
        } else if unsigned.len() > 1 && unsigned.starts_with('0') {
            (8, &unsigned[1..])
        } else {
            (10, unsigned)
        };
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_alphanumeric()) {
        if let Ok(magnitude) = i128::from_str_radix(digits, radix) {
            let value = if negative { -magnitude } else { magnitude };
            return match i64::try_from(value) {
                Ok(i) => Value::Int(i),
                Err(_) => Value::Float(value as f64),
            };
        }
    }
    if is_float_syntax(unsigned)
        || (!unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()))
    {
        if let Ok(f) = plain.parse::<f64>() {
            return Value::Float(f);
        }
    }
    resolve_plain(text)
}

/// `1.5`, `.5`, `1.`, `1e3`, `1.5E-3`: digits, at most one dot, an optional exponent.
fn is_float_syntax(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).count();
    let dots = mantissa.bytes().filter(|b| *b == b'.').count();
    let mantissa_ok = digits > 0 && dots <= 1 && digits + dots == mantissa.len();
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok && (dots == 1 || exponent.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Node, Diagnostic> {
        parse_document(&Source::new("test.yaml", text))
    }

    #[test]
    fn keeps_positions_of_values_and_keys() {
        let node = parse("image:\n  repository: nginx\n  tag: 5\n").unwrap();
        let tag = node.get("image").unwrap().get("tag").unwrap();
        assert_eq!(tag.value, Value::Int(5));
        assert_eq!((tag.origin.line, tag.origin.col), (3, 8));
    }

    #[test]
    fn resolves_scalars_by_the_core_schema() {
        let node = parse(
            "a: yes\nb: '1'\nc: 1.10\nd: ~\ne: 0x1f\nf: 1e3\ng: -7\nh: on\ni: 1.2.3\nj: !!str 5\n",
        )
        .unwrap();
        let get = |k: &str| node.get(k).unwrap().value.clone();
        assert_eq!(get("a"), Value::String("yes".into()));
        assert_eq!(get("b"), Value::String("1".into()));
        assert_eq!(get("c"), Value::Float(1.1));
        assert_eq!(get("d"), Value::Null);
        assert_eq!(get("e"), Value::Int(31));
        assert_eq!(get("f"), Value::Float(1000.0));
        assert_eq!(get("g"), Value::Int(-7));
        assert_eq!(get("h"), Value::String("on".into()));
        assert_eq!(get("i"), Value::String("1.2.3".into()));
        assert_eq!(get("j"), Value::String("5".into()));
    }

    #[test]
    fn resolves_scalars_as_yaml_1_1() {
        let text = "a: yes\nb: 0755\nc: 1_000\nd: 0b11\ne: 1e3\nf: .5\ng: +1\nh: 012\ni: 0o12\nj: 0x1F\nk: Off\nl: y\nm: 09\no: ~\np: 2001-12-14\nq: 1:20\nr: 99999999999999999999\ns: -0x10\ndup: 1\ndup: 2\nn: key\n";
        let node = parse_document_as(&Source::new("v.yaml", text), Dialect::Yaml11).unwrap();
        let get = |k: &str| node.get(k).unwrap().value.clone();
        assert_eq!(get("a"), Value::Bool(true));
        assert_eq!(get("b"), Value::Int(493));
        assert_eq!(get("c"), Value::Int(1000));
        assert_eq!(get("d"), Value::Int(3));
        assert_eq!(get("e"), Value::Float(1000.0));
        assert_eq!(get("f"), Value::Float(0.5));
        assert_eq!(get("g"), Value::Int(1));
        assert_eq!(get("h"), Value::Int(10));
        assert_eq!(get("i"), Value::Int(8 + 2));
        assert_eq!(get("j"), Value::Int(31));
        assert_eq!(get("k"), Value::Bool(false));
        assert_eq!(get("l"), Value::Bool(true));
        assert_eq!(get("m"), Value::Float(9.0));
        assert_eq!(get("o"), Value::Null);
        assert_eq!(get("p"), Value::String("2001-12-14".into()));
        assert_eq!(get("q"), Value::String("1:20".into()));
        assert_eq!(get("r"), Value::Float(1e20));
        assert_eq!(get("s"), Value::Int(-16));
        // A duplicate key replaces the value, as yaml.v2 does.
        assert_eq!(get("dup"), Value::Int(2));
        // Keys resolve too: `n` is the boolean false.
        assert_eq!(get("false"), Value::String("key".into()));
    }

    #[test]
    fn refuses_duplicate_keys() {
        let error = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(error.message, "duplicate key `a` (first written on line 1)");
        assert_eq!(error.origin.unwrap().line, 3);
    }

    #[test]
    fn finds_a_duplicate_among_many_keys() {
        let mut text: String = (0..50_000).map(|i| format!("k{i}: v\n")).collect();
        text.push_str("k123: again\n");
        let error = parse(&text).unwrap_err();
        assert_eq!(
            error.message,
            "duplicate key `k123` (first written on line 124)"
        );
        assert_eq!(error.origin.unwrap().line, 50_001);
    }

    #[test]
    fn refuses_alias_bombs() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let error = parse(&text).unwrap_err();
        assert!(error.message.contains("expands to more than"), "{error}");
    }

    #[test]
    fn refuses_deep_nesting() {
        let flow = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let error = parse(&flow).unwrap_err();
        assert_eq!(
            error.message,
            "invalid YAML in `test.yaml`: recursion limit exceeded"
        );
        let block: String = (0..300)
            .map(|depth| format!("{}- \n", "  ".repeat(depth)))
            .collect();
        let error = parse(&block).unwrap_err();
        assert_eq!(
            error.message,
            "`test.yaml` nests maps and lists more than 200 levels deep"
        );
    }

    #[test]
    fn reports_syntax_errors_with_a_line() {
        let error = parse("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(
            error.message.starts_with("invalid YAML in `test.yaml`"),
            "{error}"
        );
        assert!(error.origin.is_some());
    }

    #[test]
    fn cuts_streams_into_parts_that_parse_alone() {
        let text = "a: 1\n---\nb: |\n  ---x\n---x: 2\n--- # c\nc: 3\n";
        let cuts = |min| {
            parts(text, min)
                .iter()
                .map(|p| (&text[p.bytes.clone()], p.lines_before))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            cuts(1),
            [
                ("a: 1\n", 0),
                ("---\nb: |\n  ---x\n---x: 2\n", 1),
                ("--- # c\nc: 3\n", 5)
            ]
        );
        assert_eq!(
            cuts(10),
            [
                ("a: 1\n---\nb: |\n  ---x\n---x: 2\n", 0),
                ("--- # c\nc: 3\n", 5)
            ]
        );
        assert_eq!(cuts(1000).len(), 1);
        assert_eq!(parts("%YAML 1.2\n---\na: 1\n---\nb: 2\n", 1).len(), 1);
        // Positions are those of the whole stream.
        let source = Source::new("s.yaml", text);
        let last = &parts(text, 1)[2];
        let documents = parse_part(&source, last).unwrap();
        assert_eq!(documents[0].start_line, 6);
        assert_eq!(
            documents[0].root.get("c").unwrap().origin.location(),
            "s.yaml:7:4"
        );
    }

    #[test]
    fn splits_streams_into_documents() {
        let source = Source::new("s.yaml", "a: 1\n---\n---\nb: 2\n");
        let documents = parse_stream(&source).unwrap();
        assert_eq!(documents.len(), 3);
        assert_eq!(documents[1].root.value, Value::Null);
        assert_eq!(documents[2].start_line, 3);
    }
}
