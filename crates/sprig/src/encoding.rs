//! Encodings, digests, JSON and regular expressions: `b64enc`, `b64dec`,
//! `b32enc`, `b32dec`, `sha1sum`, `sha256sum`, `sha512sum`, `adler32sum`, `toJson`/`toPrettyJson`/`toRawJson` (Go's encoding/json:
//! sorted keys, `<`, `>`, `&` escaped except in raw, Go's float forms), and
//! the `regex*` family (Rust's regex, whose syntax is RE2's, as Go's regexp).

use std::fmt::Write as _;

use base64::Engine as _;
use gotmpl::Value;

use crate::{arity, text};

type Result = std::result::Result<Value, String>;

pub fn register(add: &mut impl FnMut(&str, fn(&[Value]) -> Result)) {
    add("b64enc", |a| match a {
        [v] => Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(bytes(v)),
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
    add("sha1sum", |a| digest::<sha1::Sha1>(a, "sha1sum"));
    add("sha256sum", |a| digest::<sha2::Sha256>(a, "sha256sum"));
    add("sha512sum", |a| digest::<sha2::Sha512>(a, "sha512sum"));
    add("adler32sum", |a| match a {
        [v] => Ok(Value::String(adler32(&bytes(v)).to_string())),
        _ => Err(arity("adler32sum", 1, a.len())),
    });
    add("b32enc", |a| match a {
        [v] => Ok(Value::String(base32_encode(&bytes(v)))),
        _ => Err(arity("b32enc", 1, a.len())),
    });
    // As b64dec: a string that is not base32 gives the decoder's message.
    add("b32dec", |a| match a {
        [v] => Ok(Value::String(match base32_decode(&text(v)) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(offset) => format!("illegal base32 data at input byte {offset}"),
        })),
        _ => Err(arity("b32dec", 1, a.len())),
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

/// The bytes of a string argument (a binary file's own, see
/// `Value::bytes`), else of its text.
fn bytes(v: &Value) -> Vec<u8> {
    match v.raw_bytes() {
        Some(raw) => raw.to_vec(),
        None => text(v).into_bytes(),
    }
}

/// The digest of the argument's text, in lower-case hex.
fn digest<D: sha2::Digest>(args: &[Value], name: &str) -> Result {
    match args {
        [v] => Ok(Value::String(D::digest(bytes(v)).iter().fold(
            String::new(),
            |mut out, b| {
                let _ = write!(out, "{b:02x}");
                out
            },
        ))),
        _ => Err(arity(name, 1, args.len())),
    }
}

/// Adler-32 (RFC 1950), as Go's hash/adler32.
fn adler32(bytes: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in bytes.chunks(5552) {
        for byte in chunk {
            a += u32::from(*byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 with padding, as Go's base32.StdEncoding.
fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let bits = block.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let symbols = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < symbols {
                out.push(BASE32[((bits >> (35 - i * 5)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes RFC 4648 base32 with padding; the offset of the first bad byte.
fn base32_decode(text: &str) -> std::result::Result<Vec<u8>, usize> {
    let text = text.trim_end_matches(['\r', '\n']);
    if text.len() % 8 != 0 {
        return Err(text.len() / 8 * 8);
    }
    let mut out = Vec::with_capacity(text.len() / 8 * 5);
    for (index, block) in text.as_bytes().chunks(8).enumerate() {
        let data = block.iter().take_while(|b| **b != b'=').count();
        let last = index + 1 == text.len() / 8;
        if block[data..].iter().any(|b| *b != b'=') || (!last && data < 8) {
            return Err(index * 8 + data);
        }
        let mut bits = 0u64;
        for (i, byte) in block[..data].iter().enumerate() {
            let Some(value) = BASE32.iter().position(|c| c == byte) else {
                return Err(index * 8 + i);
            };
            bits |= (value as u64) << (35 - i * 5);
        }
        let bytes = match data {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            _ => return Err(index * 8 + data),
        };
        out.extend_from_slice(&bits.to_be_bytes()[3..3 + bytes]);
    }
    Ok(out)
}

/// Most compiled patterns kept for reuse: charts call the regex functions
/// from helpers every template includes, with a handful of patterns.
const KEPT_PATTERNS: usize = 64;

/// `pattern` compiled, from the patterns compiled before when it is one.
fn regex(pattern: &Value) -> std::result::Result<regex::Regex, String> {
    static KEPT: std::sync::Mutex<Vec<(String, regex::Regex)>> = std::sync::Mutex::new(Vec::new());
    let pattern = text(pattern);
    let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, re)) = kept.iter().find(|(p, _)| *p == pattern) {
        return Ok(re.clone());
    }
    let re = regex::Regex::new(&pattern).map_err(|e| format!("error parsing regexp: {e}"))?;
    if kept.len() < KEPT_PATTERNS {
        kept.push((pattern, re.clone()));
    }
    Ok(re)
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
