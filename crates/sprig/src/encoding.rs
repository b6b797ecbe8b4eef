//! Encodings, digests, JSON and regular expressions: `b64enc`, `b64dec`,
//! `sha256sum`, `toJson`/`toPrettyJson`/`toRawJson` (Go's encoding/json:
//! sorted keys, `<`, `>`, `&` escaped except in raw, Go's float forms), and
//! the `regex*` family (Rust's regex, whose syntax is RE2's, as Go's regexp).

use std::fmt::Write as _;

use base64::Engine as _;
use gotmpl::Value;
use sha2::Digest as _;

use crate::{arity, text};

type Result = std::result::Result<Value, String>;

pub fn register(add: &mut impl FnMut(&str, fn(&[Value]) -> Result)) {
    add("b64enc", |a| match a {
        [v] => Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(text(v)),
        )),
        _ => Err(arity("b64enc", 1, a.len())),
    });
    add("b64dec", |a| match a {
        [v] => Ok(Value::String(
            match base64::engine::general_purpose::STANDARD.decode(text(v)) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(e) => e.to_string(),
            },
        )),
        _ => Err(arity("b64dec", 1, a.len())),
    });
    add("sha256sum", |a| match a {
        [v] => Ok(Value::String(
            sha2::Sha256::digest(text(v).as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        )),
        _ => Err(arity("sha256sum", 1, a.len())),
    });
    add("toJson", |a| json1(a, "toJson", |v| json(v, true, None)));
    add("toRawJson", |a| {
        json1(a, "toRawJson", |v| json(v, false, None))
    });
    add("toPrettyJson", |a| {
        json1(a, "toPrettyJson", |v| json(v, true, Some(0)))
    });
    add("regexMatch", |a| match a {
        [re, s] => Ok(Value::Bool(regex(re)?.is_match(&text(s)))),
        _ => Err(arity("regexMatch", 2, a.len())),
    });
    add("regexFind", |a| match a {
        [re, s] => Ok(Value::String(
            regex(re)?
                .find(&text(s))
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
        )),
        _ => Err(arity("regexFind", 2, a.len())),
    });
    add("regexFindAll", |a| match a {
        [re, s, n] => {
            let text = text(s);
            let re = regex(re)?;
            let all = re.find_iter(&text).map(|m| Value::from(m.as_str()));
            let limit = crate::int(n);
            Ok(Value::List(if limit < 0 {
                all.collect()
            } else {
                all.take(limit as usize).collect()
            }))
        }
        _ => Err(arity("regexFindAll", 3, a.len())),
    });
    add("regexReplaceAll", |a| match a {
        [re, s, replacement] => Ok(Value::String(
            regex(re)?
                .replace_all(&text(s), text(replacement).as_str())
                .into_owned(),
        )),
        _ => Err(arity("regexReplaceAll", 3, a.len())),
    });
    add("regexReplaceAllLiteral", |a| match a {
        [re, s, replacement] => Ok(Value::String(
            regex(re)?
                .replace_all(&text(s), regex::NoExpand(&text(replacement)))
                .into_owned(),
        )),
        _ => Err(arity("regexReplaceAllLiteral", 3, a.len())),
    });
    add("regexSplit", |a| match a {
        [re, s, n] => {
            let text = text(s);
            let re = regex(re)?;
            let limit = crate::int(n);
            let parts: Vec<Value> = if limit < 0 {
                re.split(&text).map(Value::from).collect()
            } else if limit == 0 {
                Vec::new()
            } else {
                re.splitn(&text, limit as usize).map(Value::from).collect()
            };
            Ok(Value::List(parts))
        }
        _ => Err(arity("regexSplit", 3, a.len())),
    });
}

fn regex(pattern: &Value) -> std::result::Result<regex::Regex, String> {
    regex::Regex::new(&text(pattern)).map_err(|e| format!("error parsing regexp: {e}"))
}

fn json1(args: &[Value], name: &str, f: impl Fn(&Value) -> String) -> Result {
    match args {
        [v] => Ok(Value::String(f(v))),
        _ => Err(arity(name, 1, args.len())),
    }
}

/// `v` as Go's json.Marshal writes it (`indent`: json.MarshalIndent with two
/// spaces, at this depth).
fn json(v: &Value, escape_html: bool, indent: Option<usize>) -> String {
    let mut out = String::new();
    write_json(&mut out, v, escape_html, indent);
    out
}

fn write_json(out: &mut String, v: &Value, escape_html: bool, indent: Option<usize>) {
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    match v {
        Value::Object(object) => write_json(out, object.value(), escape_html, indent),
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&json_float(*f)),
        Value::String(s) => json_string(out, s, escape_html),
        Value::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(depth) = indent {
                    newline(out, depth + 1);
                }
                write_json(out, item, escape_html, indent.map(|d| d + 1));
            }
            if let Some(depth) = indent {
                newline(out, depth);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            if entries.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (key, value)) in entries.entries().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(depth) = indent {
                    newline(out, depth + 1);
                }
                json_string(out, key, escape_html);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(out, value, escape_html, indent.map(|d| d + 1));
            }
            if let Some(depth) = indent {
                newline(out, depth);
            }
            out.push('}');
        }
    }
}

/// Go's encoding/json float: shortest digits, plain between 1e-6 and 1e21,
/// else exponent form without a leading zero in the exponent (`1e-07`
/// becomes `1e-7`).
fn json_float(f: f64) -> String {
    let magnitude = f.abs();
    if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
        let text = format!("{f:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{}", exponent.abs());
    }
    let text = format!("{f}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

fn json_string(out: &mut String, s: &str, escape_html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if escape_html => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
