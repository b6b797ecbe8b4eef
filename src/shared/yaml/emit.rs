//! Block-style YAML output that keeps types under every YAML parser.
//!
//! Kubernetes tools read YAML 1.1, where `yes`, `on`, `y` and `1:20` are not
//! strings; YAML 1.2 emitters leave those unquoted. This emitter writes a string
//! plain only when it cannot be read as anything else under either version,
//! uses literal blocks for multi-line text, and double quotes otherwise, with
//! every character escaped that a YAML 1.1 parser would refuse or read as a
//! line break (C0 and C1 controls, DEL, U+2028, U+2029, U+FEFF, U+FFFE,
//! U+FFFF). Keys are never blocks. Output is deterministic: map keys keep
//! their order.

use std::fmt::Write;

use serde_json::Value;

/// One value as a YAML document (no `---`), ending in a newline.
pub fn emit_document(value: &Value) -> String {
    let mut out = String::new();
    write_document(&mut out, value);
    out
}

/// [`emit_document`], appended to `out`.
pub fn write_document(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) if !map.is_empty() => write_map(out, map, 0),
        Value::Array(items) if !items.is_empty() => write_list(out, items, 0),
        scalar => {
            inline(out, scalar, 0);
            out.push('\n');
        }
    }
}

/// A value as YAML text for embedding in a template (no trailing newline).
pub fn emit(value: &Value) -> String {
    let mut text = emit_document(value);
    text.pop();
    text
}

fn indent(out: &mut String, level: usize) {
    out.extend(std::iter::repeat_n(' ', level));
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, level: usize) {
    let mut first = true;
    for (key, value) in map {
        if !std::mem::take(&mut first) || !out.ends_with("- ") {
            indent(out, level);
        }
        if is_plain_safe(key) {
            out.push_str(key);
        } else {
            double_quoted(out, key);
        }
        out.push(':');
        write_value_after_key(out, value, level);
    }
}

fn write_list(out: &mut String, items: &[Value], level: usize) {
    for item in items {
        indent(out, level);
        match item {
            Value::Object(map) if !map.is_empty() => {
                out.push_str("- ");
                write_map(out, map, level + 2)
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push_str("-\n");
                write_list(out, inner, level + 2);
            }
            scalar => {
                out.push_str("- ");
                inline(out, scalar, level + 2);
                out.push('\n');
            }
        }
    }
}

fn write_value_after_key(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, level + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_list(out, items, level + 2);
        }
        scalar => {
            out.push(' ');
            inline(out, scalar, level + 2);
            out.push('\n');
        }
    }
}

/// A scalar or empty collection on one line; multi-line strings become a
/// literal block indented at `level`.
fn inline(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => scalar_string(out, s, level),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

fn scalar_string(out: &mut String, s: &str, level: usize) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else if !literal_block(out, s, level) {
        double_quoted(out, s);
    }
}

/// Whether a YAML 1.1 parser reads `c` as itself inside a scalar: not a
/// control character (but tab and line feed), not a character YAML 1.1
/// takes for a line break, not a non-character or byte-order mark.
fn is_literal_char(c: char) -> bool {
    let control = c.is_control() && c != '\t' && c != '\n';
    let special = matches!(
        c,
        '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
    );
    !control && !special
}

/// `s` in double quotes, escaping `"`, `\` and every character that is not
/// read as itself (see [`is_literal_char`]) as `\uXXXX`; line feeds and tabs
/// as `\n` and `\t`.
fn double_quoted(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Runs of characters that need no escape are copied whole; ASCII is
    // looked at byte by byte, the rest decoded.
    let mut plain = 0;
    let mut at = 0;
    while let Some(&byte) = s.as_bytes().get(at) {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\t' => "\\t",
            _ if is_plain_ascii(byte) => {
                at += 1;
                continue;
            }
            _ => {
                let Some(c) = s[at..].chars().next() else {
                    break;
                };
                if is_literal_char(c) {
                    at += c.len_utf8();
                    continue;
                }
                out.push_str(&s[plain..at]);
                let _ = write!(out, "\\u{:04x}", c as u32);
                at += c.len_utf8();
                plain = at;
                continue;
            }
        };
        out.push_str(&s[plain..at]);
        out.push_str(escape);
        at += 1;
        plain = at;
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

/// Printable ASCII: read as itself anywhere in a quoted scalar.
fn is_plain_ascii(byte: u8) -> bool {
    (0x20..0x7f).contains(&byte)
}

/// `|` blocks for readable multi-line text (config files in ConfigMaps);
/// false, writing nothing, when `s` cannot be one.
fn literal_block(out: &mut String, s: &str, level: usize) -> bool {
    let printable = s
        .bytes()
        .all(|b| is_plain_ascii(b) || b == b'\n' || b == b'\t')
        || s.chars().all(is_literal_char);
    let first_line_indented = s.starts_with([' ', '\t']);
    // Trailing spaces on a line survive a block, but not every reader keeps
    // a line of only spaces; such text goes in double quotes.
    let blank_with_spaces = s
        .split('\n')
        .any(|l| !l.is_empty() && l.trim_matches(' ').is_empty());
    if !s.contains('\n') || !printable || first_line_indented || blank_with_spaces {
        return false;
    }
    let body = s.trim_end_matches('\n');
    // Only line breaks: a block would read back as the empty string.
    if body.is_empty() {
        return false;
    }
    out.push('|');
    match s.len() - body.len() {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
        out.push('\n');
        if !line.is_empty() {
            indent(out, level.max(2));
            out.push_str(line);
        }
    }
    true
}

/// Whether `s` reads back as the same string, unquoted, in YAML 1.1 and 1.2.
fn is_plain_safe(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == b'/' || first == b'_')
        || matches!(bytes.last(), Some(b' ' | b':'))
    {
        return false;
    }
    // `#` is never plain, so ` #` needs no check of its own; `: ` starts a map.
    let mut previous = first;
    for &byte in &bytes[1..] {
        let allowed = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'_' | b'-' | b'.' | b'/' | b':' | b'@' | b'+' | b'=' | b' '
            );
        if !allowed || (previous == b':' && byte == b' ') {
            return false;
        }
        previous = byte;
    }
    let reserved = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    s.len() > 5 || !reserved.iter().any(|word| s.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotes_strings_that_yaml_1_1_would_retype() {
        let value = json!({"a": "yes", "b": "on", "c": "1.10", "d": "Y", "e": "nginx:1.25", "f": "", "g": "a: b", "h": "x #y"});
        assert_eq!(
            emit_document(&value),
            "a: \"yes\"\nb: \"on\"\nc: \"1.10\"\nd: \"Y\"\ne: nginx:1.25\nf: \"\"\ng: \"a: b\"\nh: \"x #y\"\n"
        );
    }

    #[test]
    fn writes_nested_maps_and_lists_in_block_style() {
        let value = json!({"spec": {"ports": [{"port": 80, "name": "http"}], "empty": [], "m": {}}, "list": [[1, 2], "x"]});
        assert_eq!(
            emit_document(&value),
            "spec:\n  ports:\n    - port: 80\n      name: http\n  empty: []\n  m: {}\nlist:\n  -\n    - 1\n    - 2\n  - x\n"
        );
    }

    #[test]
    fn writes_multi_line_strings_as_literal_blocks() {
        let value = json!({"data": {"a.conf": "x = 1\n\ny = 2\n", "b": "no newline\nat end"}});
        assert_eq!(
            emit_document(&value),
            "data:\n  a.conf: |\n    x = 1\n\n    y = 2\n  b: |-\n    no newline\n    at end\n"
        );
    }

    #[test]
    fn keys_are_never_blocks_and_breaks_alone_are_quoted() {
        let value = json!({"a\nb": "\n", "c": "\n\n", "\u{2028}": "x\u{85}y"});
        assert_eq!(
            emit_document(&value),
            "\"a\\nb\": \"\\n\"\nc: \"\\n\\n\"\n\"\\u2028\": \"x\\u0085y\"\n"
        );
        // Escapes between runs of ASCII and of other characters.
        let value = json!({"k": "é \"q\" \\ \u{7f}ü\tend\n "});
        assert_eq!(
            emit_document(&value),
            "k: \"é \\\"q\\\" \\\\ \\u007fü\\tend\\n \"\n"
        );
    }

    #[test]
    fn round_trips_through_the_parser() {
        let value = json!({"s": "a \"quoted\" 'x'\ttab", "n": 1.5, "i": -3, "b": true, "z": null, "u": "ü", "ctl": "\u{1}", "lead": "  indented\nline"});
        let text = emit_document(&value);
        let parsed = crate::shared::yaml::parse_document(&crate::shared::diagnostics::Source::new(
            "t", text,
        ))
        .unwrap();
        assert_eq!(parsed.to_json(), value);
    }
}
