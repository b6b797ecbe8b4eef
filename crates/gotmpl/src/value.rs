//! Values as templates see them, and Go's printing of them (`%v`): maps as
//! `map[a:1 b:2]` with sorted keys, lists as `[a b]`, nil as `<nil>`, and
//! floats in Go's shortest form (`1e+06`, `1.5`, `100000`). Maps are shared
//! as Go's are: a function that sets a key in a map (sprig's `set`) changes
//! it for every name that holds it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Deepest nesting printed; a map that holds itself stops there.
const MAX_PRINT_DEPTH: usize = 100;

/// A map shared by reference, keys in order.
///
/// A map may be frozen ([`Value::freeze`]): it can still be written, but
/// it remembers that it was ([`Dict::written`]), so that templates run side
/// by side on shared data can be run again one after the other when one of
/// them wrote into it.
#[derive(Clone, Default)]
pub struct Dict(Arc<Shared>);

#[derive(Default)]
struct Shared {
    map: RwLock<BTreeMap<String, Value>>,
    frozen: AtomicBool,
    written: AtomicBool,
}

impl Dict {
    /// The map to read: templates running side by side read shared maps
    /// at once, without waiting on each other.
    fn lock(&self) -> RwLockReadGuard<'_, BTreeMap<String, Value>> {
        self.0.map.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<String, Value>> {
        if self.0.frozen.load(Ordering::Relaxed) {
            self.0.written.store(true, Ordering::Relaxed);
        }
        self.0.map.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, key: &str) -> Option<Value> {
        self.lock().get(key).cloned()
    }

    pub fn insert(&self, key: String, value: Value) {
        self.write().insert(key, value);
    }

    pub fn remove(&self, key: &str) -> Option<Value> {
        self.write().remove(key)
    }

    /// Whether the map was written since it was frozen.
    pub fn written(&self) -> bool {
        self.0.written.load(Ordering::Relaxed)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.lock().contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The entries now, in key order.
    pub fn entries(&self) -> Vec<(String, Value)> {
        self.lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// A new map holding the same entries (not shared with this one).
    pub fn copy(&self) -> Dict {
        self.entries().into_iter().collect()
    }
}

impl FromIterator<(String, Value)> for Dict {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(items: I) -> Dict {
        Dict(Arc::new(Shared {
            map: RwLock::new(items.into_iter().collect()),
            ..Shared::default()
        }))
    }
}

impl PartialEq for Dict {
    fn eq(&self, other: &Dict) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.entries() == other.entries()
    }
}

impl std::fmt::Debug for Dict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.entries()).finish()
    }
}

/// A function templates may call: its arguments, evaluated; a message on
/// failure (shown as `error calling NAME: message`).
pub type Func = Arc<dyn Fn(&[Value]) -> Result<Value, String> + Send + Sync>;

/// Where a function is called: the file and the byte offset of the call,
/// in the execution of template `root` (a helper's call site is reached
/// from every template that includes it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Site {
    pub root: String,
    pub file: String,
    pub offset: usize,
}

/// A function that also learns where it is called (for random functions
/// seeded by their call site, so that output does not change between runs).
pub type SiteFunc = Arc<dyn Fn(&Site, &[Value]) -> Result<Value, String> + Send + Sync>;

/// A value with methods, as Go's typed values have them (Helm's `.Files`,
/// `.Capabilities.APIVersions.Has`): functions, `range` and comparisons see
/// its `value`; a field names a method first, then a key of the value; it
/// prints as `shown` when set (Go's `String()` method), else as its value.
/// The value may be made on first use ([`Object::lazy`]), for values that
/// are costly and mostly reached through methods (a chart's files).
pub struct Object {
    value: OnceLock<Value>,
    make: Option<Box<dyn Fn() -> Value + Send + Sync>>,
    pub methods: BTreeMap<&'static str, Func>,
    pub shown: Option<String>,
    /// For a Go string that is not UTF-8: its bytes (the value and
    /// `shown` hold the text with U+FFFD for what is not).
    bytes: Option<Arc<[u8]>>,
}

impl Object {
    pub fn new(value: Value, methods: BTreeMap<&'static str, Func>) -> Object {
        Object {
            value: OnceLock::from(value),
            make: None,
            methods,
            shown: None,
            bytes: None,
        }
    }

    /// An object whose value `make` gives when first needed.
    pub fn lazy(
        make: impl Fn() -> Value + Send + Sync + 'static,
        methods: BTreeMap<&'static str, Func>,
    ) -> Object {
        Object {
            value: OnceLock::new(),
            make: Some(Box::new(make)),
            methods,
            shown: None,
            bytes: None,
        }
    }

    /// Prints as `shown`.
    pub fn shown(self, shown: impl Into<String>) -> Object {
        Object {
            shown: Some(shown.into()),
            ..self
        }
    }

    /// The bytes of a string that is not UTF-8 (see [`Value::bytes`]).
    pub fn raw_bytes(&self) -> Option<&[u8]> {
        self.bytes.as_deref()
    }

    pub fn value(&self) -> &Value {
        self.value
            .get_or_init(|| self.make.as_ref().map_or(Value::Nil, |make| make()))
    }
}

impl std::fmt::Debug for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let methods: Vec<_> = self.methods.keys().collect();
        f.debug_struct("Object")
            .field("value", self.value())
            .field("methods", &methods)
            .finish()
    }
}

impl PartialEq for Object {
    fn eq(&self, other: &Object) -> bool {
        self.value() == other.value()
    }
}

/// A value: what data holds and functions take and return.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Go's nil interface: an absent or null value.
    #[default]
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    List(Vec<Value>),
    /// Keys in order, as Go's maps print and range; shared, as Go's.
    Map(Dict),
    Object(Arc<Object>),
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::String(text.to_string())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::String(text)
    }
}

impl Value {
    /// A map from pairs.
    pub fn map<'a>(pairs: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// A Go string of any bytes: a plain string when they are UTF-8; else
    /// one that prints its text (U+FFFD for what is not UTF-8) and keeps
    /// the bytes for functions that read bytes (`b64enc`, digests), as a
    /// binary file read with Helm's `.Files.Get` keeps them in Go.
    pub fn bytes(bytes: &[u8]) -> Value {
        match std::str::from_utf8(bytes) {
            Ok(text) => Value::from(text),
            Err(_) => {
                let text = String::from_utf8_lossy(bytes).into_owned();
                let mut object =
                    Object::new(Value::String(text.clone()), BTreeMap::new()).shown(text);
                object.bytes = Some(Arc::from(bytes));
                Value::Object(Arc::new(object))
            }
        }
    }

    /// The bytes of the string `self` is: a non-UTF-8 string's own, else
    /// those of its text.
    pub fn raw_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Object(object) => object.raw_bytes(),
            Value::String(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// Freezes every map this value reaches (through maps, lists and the
    /// values of objects made so far) and gives them, to ask later whether
    /// one was written ([`Dict::written`]).
    pub fn freeze(&self, frozen: &mut Vec<Dict>) {
        match self {
            Value::Map(dict) => {
                // Already frozen: reached before (a map may hold itself).
                if dict.0.frozen.swap(true, Ordering::Relaxed) {
                    return;
                }
                frozen.push(dict.clone());
                for (_, value) in dict.entries() {
                    value.freeze(frozen);
                }
            }
            Value::List(items) => items.iter().for_each(|item| item.freeze(frozen)),
            Value::Object(object) => {
                if let Some(value) = object.value.get() {
                    value.freeze(frozen);
                }
            }
            _ => {}
        }
    }

    /// The value without its methods: what functions are given.
    pub fn plain(&self) -> &Value {
        match self {
            Value::Object(object) => object.value().plain(),
            other => other,
        }
    }

    /// Go's truth: false, 0, nil, and empty strings, lists and maps are false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Object(object) => object.value().truthy(),
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
        }
    }

    /// The Go type name, for messages (`map[string]interface {}`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Object(object) => object.value().type_name(),
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::List(_) => "[]interface {}",
            Value::Map(_) => "map[string]interface {}",
        }
    }

    /// The value as `%v` prints it.
    pub fn go_string(&self) -> String {
        let mut out = String::new();
        self.write_go(&mut out, 0);
        out
    }

    fn write_go(&self, out: &mut String, depth: usize) {
        if depth > MAX_PRINT_DEPTH {
            out.push_str("...");
            return;
        }
        match self {
            Value::Object(object) => match &object.shown {
                Some(shown) => out.push_str(shown),
                None => object.value().write_go(out, depth),
            },
            Value::Nil => out.push_str("<nil>"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => out.push_str(&format_float(*f)),
            Value::String(s) => out.push_str(s),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    item.write_go(out, depth + 1);
                }
                out.push(']');
            }
            Value::Map(entries) => {
                out.push_str("map[");
                for (i, (key, value)) in entries.entries().iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(key);
                    out.push(':');
                    value.write_go(out, depth + 1);
                }
                out.push(']');
            }
        }
    }
}

/// A float as Go's `%v` prints it (strconv's 'g' with the shortest
/// precision): the shortest digits that read back the same, in exponent form
/// (`1e+06`, `1.5e-07`, two exponent digits at least) when the exponent is
/// below -4 or at least 6, else plain (`100000`, `0.0001`, `1.5`).
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `1.234567e6`.
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    // strconv: "if precision was the shortest possible, use precision 6".
    let eprec = 6;
    let sign = if negative { "-" } else { "" };
    if exponent < -4 || exponent >= eprec {
        let (first, rest) = digits.split_at(1);
        let mut text = format!("{sign}{first}");
        if !rest.is_empty() {
            text.push('.');
            text.push_str(rest);
        }
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(text, "e{exp_sign}{:02}", exponent.abs());
        text
    } else if exponent < 0 {
        let zeros = "0".repeat((-exponent - 1) as usize);
        format!("{sign}0.{zeros}{digits}")
    } else {
        let point = exponent as usize + 1;
        if digits.len() <= point {
            format!("{sign}{digits}{}", "0".repeat(point - digits.len()))
        } else {
            format!("{sign}{}.{}", &digits[..point], &digits[point..])
        }
    }
}

/// `%q`: a Go double-quoted string with Go's escapes.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go_prints_them() {
        let cases = [
            (3.0, "3"),
            (1.5, "1.5"),
            (100000.0, "100000"),
            (1000000.0, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (123456.7, "123456.7"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
            (0.1 + 0.2, "0.30000000000000004"),
        ];
        for (f, text) in cases {
            assert_eq!(format_float(f), text, "{f}");
        }
    }

    #[test]
    fn composites_print_as_go_prints_them() {
        let value = Value::map([
            (
                "b",
                Value::List(vec![Value::from("x"), Value::Int(2), Value::Nil]),
            ),
            ("a", Value::Bool(true)),
        ]);
        assert_eq!(value.go_string(), "map[a:true b:[x 2 <nil>]]");
    }
}
