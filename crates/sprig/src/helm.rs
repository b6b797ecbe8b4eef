//! Helm's own functions beside sprig's: `toYaml` (what sigs.k8s.io/yaml
//! writes: the value through JSON, then gopkg.in/yaml.v2's emitter: sorted
//! keys, sequences not indented under their key, strings quoted only where
//! YAML would read them as something else), `toYamlPretty` (the same,
//! sequences indented), `toToml` (BurntSushi/toml's encoder) and `fromToml`,
//! `fromJson`/`fromJsonArray`, `required` and `fail`.

use gotmpl::Value;

use crate::{arity, text};

type Result = std::result::Result<Value, String>;

pub fn register(add: &mut impl FnMut(&str, fn(&[Value]) -> Result)) {
    add("toYaml", |a| match a {
        // Helm trims the final line break.
        [v] => Ok(Value::String(to_yaml(v).trim_end_matches('\n').to_string())),
        _ => Err(arity("toYaml", 1, a.len())),
    });
    add("toYamlPretty", |a| match a {
        [v] => {
            let mut out = String::new();
            let v = v.plain();
            match v {
                Value::Map(m) if !m.is_empty() => write_map(&mut out, v, 0, 2),
                Value::List(l) if !l.is_empty() => write_list(&mut out, v, 0, 2),
                scalar => out.push_str(&scalar_text(scalar, 0)),
            }
            Ok(Value::String(out.trim_end_matches('\n').to_string()))
        }
        _ => Err(arity("toYamlPretty", 1, a.len())),
    });
    add("toToml", |a| match a {
        [Value::Map(m)] => {
            let mut out = String::new();
            toml_table(&mut out, &[], m);
            Ok(Value::String(out))
        }
        [other] => {
            let mut out = String::new();
            toml_value(&mut out, other);
            Ok(Value::String(out))
        }
        _ => Err(arity("toToml", 1, a.len())),
    });
    // On bad input Helm gives the error's text instead of failing.
    add("fromToml", |a| match a {
        [v] => Ok(match basic_toml::from_str::<serde_json::Value>(&text(v)) {
            Ok(json) => from_toml(&json),
            Err(e) => Value::map([("Error", Value::String(e.to_string()))]),
        }),
        _ => Err(arity("fromToml", 1, a.len())),
    });
    add("required", |a| match a {
        [message, Value::Nil] => Err(text(message)),
        [message, Value::String(s)] if s.is_empty() => Err(text(message)),
        [_, v] => Ok(v.clone()),
        _ => Err(arity("required", 2, a.len())),
    });
    // On bad input Helm gives the error's text instead of failing.
    add("fromJson", |a| match a {
        [v] => Ok(match serde_json::from_str::<serde_json::Value>(&text(v)) {
            Ok(json @ serde_json::Value::Object(_)) => from_json(&json),
            Ok(_) => Value::map([(
                "Error",
                Value::from("json: cannot unmarshal into Go value of type map[string]interface {}"),
            )]),
            Err(e) => Value::map([("Error", Value::String(e.to_string()))]),
        }),
        _ => Err(arity("fromJson", 1, a.len())),
    });
    add("fromJsonArray", |a| match a {
        [v] => Ok(match serde_json::from_str::<serde_json::Value>(&text(v)) {
            Ok(json @ serde_json::Value::Array(_)) => from_json(&json),
            Ok(_) => Value::List(vec![Value::from(
                "json: cannot unmarshal into Go value of type []interface {}",
            )]),
            Err(e) => Value::List(vec![Value::String(e.to_string())]),
        }),
        _ => Err(arity("fromJsonArray", 1, a.len())),
    });
    add("fail", |a| match a {
        [message] => Err(text(message)),
        _ => Err(arity("fail", 1, a.len())),
    });
}

/// JSON as Go's json.Unmarshal gives it: numbers are float64.
pub fn from_json(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(items) => Value::List(items.iter().map(from_json).collect()),
        serde_json::Value::Object(map) => {
            Value::Map(map.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}

/// TOML as BurntSushi/toml decodes it for Helm: integers are int64,
/// other numbers float64.
fn from_toml(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or_default()),
        },
        serde_json::Value::Array(items) => Value::List(items.iter().map(from_toml).collect()),
        serde_json::Value::Object(map) => {
            Value::Map(map.iter().map(|(k, v)| (k.clone(), from_toml(v))).collect())
        }
        other => from_json(other),
    }
}

/// Whether BurntSushi writes `v` as a table: a map, or a list of maps only.
fn is_table(v: &Value) -> bool {
    match v.plain() {
        Value::Map(_) => true,
        Value::List(items) => {
            !items.is_empty() && items.iter().all(|i| matches!(i.plain(), Value::Map(_)))
        }
        _ => false,
    }
}

/// The table at `path` (its header already written): its plain keys
/// sorted, then its tables, as BurntSushi/toml's encoder writes them.
fn toml_table(out: &mut String, path: &[String], map: &gotmpl::value::Dict) {
    let mut entries = map.entries();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let indent = "  ".repeat(path.len());
    for (key, value) in entries.iter().filter(|(_, v)| !is_table(v)) {
        if value.plain() == &Value::Nil {
            continue;
        }
        out.push_str(&format!("{indent}{} = ", toml_key(key)));
        toml_value(out, value);
        out.push('\n');
    }
    for (key, value) in entries.iter().filter(|(_, v)| is_table(v)) {
        let mut inner = path.to_vec();
        inner.push(key.clone());
        let header: Vec<String> = inner.iter().map(|k| toml_key(k)).collect();
        match value.plain() {
            Value::Map(table) => {
                if inner.len() == 1 && !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&format!("{indent}[{}]\n", header.join(".")));
                toml_table(out, &inner, table);
            }
            Value::List(tables) => {
                for table in tables {
                    if let Value::Map(table) = table.plain() {
                        if !out.is_empty() {
                            out.push('\n');
                        }
                        out.push_str(&format!("{indent}[[{}]]\n", header.join(".")));
                        toml_table(out, &inner, table);
                    }
                }
            }
            _ => {}
        }
    }
}

/// A bare key when it may be one, else a quoted one.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        toml_string(key)
    }
}

fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value after `key = `, or inside an inline array or table.
fn toml_value(out: &mut String, value: &Value) {
    match value.plain() {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) if f.is_nan() => out.push_str("nan"),
        Value::Float(f) if f.is_infinite() => out.push_str(if *f > 0.0 { "inf" } else { "-inf" }),
        Value::Float(f) => {
            // Go's FormatFloat(f, 'f', -1, 64), then ".0" if it has no point.
            let text = format!("{f}");
            out.push_str(&text);
            if !text.contains('.') {
                out.push_str(".0");
            }
        }
        Value::List(items) => {
            out.push('[');
            for (i, item) in items
                .iter()
                .filter(|v| v.plain() != &Value::Nil)
                .enumerate()
            {
                if i > 0 {
                    out.push_str(", ");
                }
                toml_value(out, item);
            }
            out.push(']');
        }
        Value::Map(map) => {
            let mut entries = map.entries();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&format!("{} = ", toml_key(key)));
                toml_value(out, item);
            }
            out.push('}');
        }
        Value::String(s) => out.push_str(&toml_string(s)),
        other => out.push_str(&toml_string(&text(other))),
    }
}

/// `v` as YAML, as Helm's toYaml writes it, with its final line break.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    let v = v.plain();
    match v {
        Value::Map(m) if !m.is_empty() => write_map(&mut out, v, 0, 0),
        Value::List(l) if !l.is_empty() => write_list(&mut out, v, 0, 0),
        scalar => {
            out.push_str(&scalar_text(scalar, 0));
            out.push('\n');
        }
    }
    out
}

/// `sequence`: how far a sequence is indented under its key (yaml.v2's
/// toYaml: 0; toYamlPretty: 2).
fn write_map(out: &mut String, v: &Value, indent: usize, sequence: usize) {
    let Value::Map(m) = v else { return };
    for (key, value) in m.entries() {
        out.push_str(&" ".repeat(indent));
        out.push_str(&string_text(&key, indent));
        out.push(':');
        write_value(out, &value, indent, true, sequence);
    }
}

fn write_list(out: &mut String, v: &Value, indent: usize, sequence: usize) {
    let Value::List(items) = v else { return };
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        write_value(out, item, indent, false, sequence);
    }
}

/// A value after `key:` or `-`: nested maps and lists on their own lines.
fn write_value(out: &mut String, value: &Value, indent: usize, in_map: bool, sequence: usize) {
    let value = value.plain();
    match value {
        Value::Map(m) if !m.is_empty() => {
            if in_map {
                out.push('\n');
                write_map(out, value, indent + 2, sequence);
            } else {
                // `- a: 1` then the other keys under it.
                let mut nested = String::new();
                write_map(&mut nested, value, indent + 2, sequence);
                out.push(' ');
                out.push_str(nested.trim_start());
            }
        }
        Value::List(l) if !l.is_empty() => {
            if in_map {
                out.push('\n');
                write_list(out, value, indent + sequence, sequence);
            } else {
                let mut nested = String::new();
                write_list(&mut nested, value, indent + 2, sequence);
                out.push(' ');
                out.push_str(nested.trim_start());
            }
        }
        scalar => {
            let text = scalar_text(scalar, indent);
            out.push(' ');
            out.push_str(&text);
            out.push('\n');
        }
    }
}

fn scalar_text(v: &Value, indent: usize) -> String {
    match v {
        Value::Object(object) => scalar_text(object.value(), indent),
        Value::Nil => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        // Through JSON: integral floats become integers.
        Value::Float(f) => json_number(*f),
        Value::String(s) => string_text(s, indent),
        Value::List(_) => "[]".into(),
        Value::Map(_) => "{}".into(),
    }
}

/// A float as toYaml writes it: JSON writes an integral one as an integer,
/// which YAML reads back as one; any other stays a float, which yaml.v2
/// prints as Go's shortest form (`1.2345675e+06`, `1e-07`).
fn json_number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{}", f as i128)
    } else {
        gotmpl::value::format_float(f)
    }
}

/// A string as yaml.v2 writes it: a literal block for several lines;
/// double-quoted when YAML would read it as another type (a boolean, null,
/// a number) or it is empty; single-quoted when its characters would not
/// read back as plain text (a leading space, `: `, ` #`, an indicator);
/// else plain.
fn string_text(s: &str, indent: usize) -> String {
    if s.contains('\n') && !s.chars().any(|c| c.is_control() && c != '\n') {
        let chomp = if s.ends_with('\n') { "|" } else { "|-" };
        let pad = " ".repeat(indent + 2);
        let body: Vec<String> = s
            .trim_end_matches('\n')
            .split('\n')
            .map(|line| {
                if line.is_empty() {
                    String::new()
                } else {
                    format!("{pad}{line}")
                }
            })
            .collect();
        return format!("{chomp}\n{}", body.join("\n"));
    }
    if s.is_empty() || resolves_to_other_type(s) || s.chars().any(|c| c.is_control()) {
        // yaml.v2's double-quoted escapes are Go's for what toYaml meets.
        gotmpl::value::go_quote(s)
    } else if !plain_is_safe(s) {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        s.to_string()
    }
}

/// Whether YAML 1.1 reads the plain text `s` as a boolean, null or number.
fn resolves_to_other_type(s: &str) -> bool {
    let special = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    ];
    special.contains(&s.to_lowercase().as_str()) || looks_numeric(s)
}

/// Whether `s` reads back as the same text when written plain.
fn plain_is_safe(s: &str) -> bool {
    if s != s.trim() {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-x`, `?x` and `:x` are plain; alone or before a space they are not.
        if !matches!(first, '-' | '?' | ':') || s.len() == 1 || s[1..].starts_with(' ') {
            return false;
        }
    }
    !(s.contains(": ") || s.contains(" #") || s.ends_with(':'))
}

fn looks_numeric(s: &str) -> bool {
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    if t.is_empty() {
        return false;
    }
    let digits_dots = t.chars().all(|c| {
        c.is_ascii_digit() || c == '.' || c == '_' || c == 'e' || c == 'E' || c == '+' || c == '-'
    });
    (digits_dots
        && t.chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
        && s.parse::<f64>().is_ok())
        || t.starts_with("0x")
        || t.starts_with("0o")
        || t.starts_with("0b")
        || matches!(t.to_lowercase().as_str(), ".inf" | ".nan")
        || t.chars().all(|c| c.is_ascii_digit() || c == ':')
            && t.contains(':')
            && t.chars().next().is_some_and(|c| c.is_ascii_digit())
}
