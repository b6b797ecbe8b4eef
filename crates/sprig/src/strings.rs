//! The rest of sprig's string family, as its Go libraries define them:
//! `abbrev`, `abbrevboth`, `initials`, `untitle`, `swapcase` and `wrap`,
//! `wrapWith` (Masterminds/goutils), `camelcase`, `snakecase`, `kebabcase`
//! (huandu/xstrings' word rules), `splitn`, `regexQuoteMeta` (Go's
//! `regexp.QuoteMeta`), and the `trimall` alias.

use gotmpl::Value;

use crate::{arity, int, text};

type Result = std::result::Result<Value, String>;

pub fn register(add: &mut impl FnMut(&str, fn(&[Value]) -> Result)) {
    add("abbrev", |a| match a {
        [width, s] => Ok(Value::String(abbreviate(&text(s), 0, int(width)))),
        _ => Err(arity("abbrev", 2, a.len())),
    });
    add("abbrevboth", |a| match a {
        [left, right, s] => {
            let (left, right, s) = (int(left), int(right), text(s));
            // sprig returns the string unchanged where goutils would refuse.
            if right < 4 || (left > 0 && right < 7) {
                return Ok(Value::String(s));
            }
            Ok(Value::String(abbreviate(&s, left, right)))
        }
        _ => Err(arity("abbrevboth", 3, a.len())),
    });
    add("initials", |a| match a {
        [s] => Ok(Value::String(
            text(s)
                .split(char::is_whitespace)
                .filter_map(|word| word.chars().next())
                .collect(),
        )),
        _ => Err(arity("initials", 1, a.len())),
    });
    add("untitle", |a| match a {
        [s] => Ok(Value::String(map_word_starts(&text(s), |c| {
            c.to_lowercase().collect()
        }))),
        _ => Err(arity("untitle", 1, a.len())),
    });
    add("swapcase", |a| match a {
        [s] => Ok(Value::String(swap_case(&text(s)))),
        _ => Err(arity("swapcase", 1, a.len())),
    });
    add("wrap", |a| match a {
        [width, s] => Ok(Value::String(wrap(&text(s), int(width), "\n", false))),
        _ => Err(arity("wrap", 2, a.len())),
    });
    add("wrapWith", |a| match a {
        [width, separator, s] => {
            let separator = text(separator);
            let separator = if separator.is_empty() {
                "\n"
            } else {
                &separator
            };
            Ok(Value::String(wrap(&text(s), int(width), separator, true)))
        }
        _ => Err(arity("wrapWith", 3, a.len())),
    });
    add("camelcase", |a| match a {
        [s] => Ok(Value::String(camel_case(&text(s)))),
        _ => Err(arity("camelcase", 1, a.len())),
    });
    add("snakecase", |a| match a {
        [s] => Ok(Value::String(lower_case_words(&text(s), '_'))),
        _ => Err(arity("snakecase", 1, a.len())),
    });
    add("kebabcase", |a| match a {
        [s] => Ok(Value::String(lower_case_words(&text(s), '-'))),
        _ => Err(arity("kebabcase", 1, a.len())),
    });
    add("splitn", |a| match a {
        [separator, count, s] => {
            let (s, separator) = (text(s), text(separator));
            let parts: Vec<&str> = match usize::try_from(int(count)) {
                Ok(0) => Vec::new(),
                Ok(n) => s.splitn(n, separator.as_str()).collect(),
                Err(_) => s.split(separator.as_str()).collect(),
            };
            Ok(Value::Map(
                parts
                    .into_iter()
                    .enumerate()
                    .map(|(i, p)| (format!("_{i}"), Value::from(p)))
                    .collect(),
            ))
        }
        _ => Err(arity("splitn", 3, a.len())),
    });
    add("regexQuoteMeta", |a| match a {
        [s] => Ok(Value::String(
            text(s)
                .chars()
                .flat_map(|c| {
                    let special = "\\.+*?()|[]{}^$".contains(c);
                    special.then_some('\\').into_iter().chain([c])
                })
                .collect(),
        )),
        _ => Err(arity("regexQuoteMeta", 1, a.len())),
    });
    // sprig's deprecated spelling of trimAll.
    add("trimall", |a| match a {
        [cut, s] => {
            let cut = text(cut);
            Ok(Value::String(
                text(s).trim_matches(|c| cut.contains(c)).to_string(),
            ))
        }
        _ => Err(arity("trimall", 2, a.len())),
    });
}

/// goutils' `AbbreviateFull`: at most `width` bytes, `...` marking what was
/// cut, keeping the text from about `offset`; `s` unchanged where goutils
/// refuses (a width under 4, or under 7 with an offset).
fn abbreviate(s: &str, offset: i64, width: i64) -> String {
    let len = s.len() as i64;
    if s.is_empty() || width < 4 || len <= width {
        return s.to_string();
    }
    let mut offset = offset.clamp(0, len);
    if len - offset < width - 3 {
        offset = len - (width - 3);
    }
    let cut = |from: i64, to: i64| byte_range(s, from as usize, to as usize);
    if offset <= 4 {
        return format!("{}...", cut(0, width - 3));
    }
    if width < 7 {
        return s.to_string();
    }
    if offset + width - 3 < len {
        let rest = byte_range(s, offset as usize, s.len());
        return format!("...{}", abbreviate(rest, 0, width - 3));
    }
    format!("...{}", cut(len - (width - 3), len))
}

/// `s[from..to]` by bytes, as Go slices strings, moved inside UTF-8
/// boundaries (Go would cut a character; Rust strings cannot hold half).
fn byte_range(s: &str, mut from: usize, mut to: usize) -> &str {
    while from < s.len() && !s.is_char_boundary(from) {
        from += 1;
    }
    while to > from && !s.is_char_boundary(to) {
        to -= 1;
    }
    &s[from..to.max(from)]
}

/// Each character that starts a whitespace-separated word through `f`.
fn map_word_starts(s: &str, f: impl Fn(char) -> String) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if c.is_whitespace() {
            start = true;
            out.push(c);
        } else if start {
            out.push_str(&f(c));
            start = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// goutils' `SwapCase`: upper to lower, lower to upper (to title case
/// after white space, which is upper case for every letter without a
/// title form of its own).
fn swap_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_uppercase() {
            out.extend(c.to_lowercase());
        } else if c.is_lowercase() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// goutils' `WrapCustom`: lines of at most `width` bytes broken at spaces;
/// a longer word is cut (`long_words`) or left whole.
fn wrap(s: &str, width: i64, separator: &str, long_words: bool) -> String {
    if s.is_empty() {
        return String::new();
    }
    let width = usize::try_from(width.max(1)).unwrap_or(1);
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut offset = 0;
    while s.len() - offset > width {
        if bytes[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = (width + offset + 1).min(s.len());
        match bytes[offset..end].iter().rposition(|b| *b == b' ') {
            Some(space) => {
                out.push_str(byte_range(s, offset, offset + space));
                out.push_str(separator);
                offset += space + 1;
            }
            None if long_words => {
                let mut end = offset + width;
                while !s.is_char_boundary(end) {
                    end += 1;
                }
                out.push_str(&s[offset..end]);
                out.push_str(separator);
                offset = end;
            }
            None => match bytes[offset + width..].iter().position(|b| *b == b' ') {
                None => {
                    out.push_str(&s[offset..]);
                    offset = s.len();
                }
                Some(space) => {
                    let at = offset + width + space;
                    out.push_str(&s[offset..at]);
                    out.push_str(separator);
                    offset = at + 1;
                }
            },
        }
    }
    out.push_str(&s[offset.min(s.len())..]);
    out
}

/// xstrings' connectors: `-`, `_` and white space.
fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || c.is_whitespace()
}

/// xstrings' `ToCamelCase`: each letter after connectors upper-cased, the
/// connectors dropped (but leading ones, and all but the last of a run).
fn camel_case(s: &str) -> String {
    let mut chars = s.chars();
    let mut out = String::with_capacity(s.len());
    let mut current = None;
    for c in chars.by_ref() {
        if !is_connector(c) {
            current = Some(c.to_uppercase().next().unwrap_or(c));
            break;
        }
        out.push(c);
    }
    let Some(mut r0) = current else {
        // xstrings writes the last connector of an all-connector string twice.
        if let Some(last) = s.chars().last() {
            out.push(last);
        }
        return out;
    };
    for c in chars {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            r0 = r0.to_uppercase().next().unwrap_or(r0);
        } else {
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Word {
    End,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

/// A letter that is not a CJK ideograph.
fn is_alphabet(c: char) -> bool {
    c.is_alphabetic()
        && !matches!(c, '\u{4E00}'..='\u{9FCC}' | '\u{3400}'..='\u{4D85}' | '\u{20000}'..='\u{2B81D}')
}

/// Go's `unicode.IsPunct` for ASCII (`$+<=>^`|~` are symbols, not
/// punctuation); other characters count as letters, digits or other.
fn is_punct(c: char) -> bool {
    matches!(
        c,
        '!' | '"'
            | '#'
            | '%'
            | '&'
            | '\''
            | '('
            | ')'
            | '*'
            | ','
            | '-'
            | '.'
            | '/'
            | ':'
            | ';'
            | '?'
            | '@'
            | '['
            | '\\'
            | ']'
            | '_'
            | '{'
            | '}'
    )
}

/// The next word of `s` by xstrings' rules (a run of connectors, of
/// punctuation, of digits, an upper-case run, a capitalised or lower-case
/// word...) and the rest.
fn next_word(s: &str) -> (Word, &str, &str) {
    let mut chars = s.char_indices().peekable();
    let Some((_, first)) = chars.next() else {
        return (Word::End, "", "");
    };
    let run = |chars: &mut std::iter::Peekable<std::str::CharIndices>,
               keep: &dyn Fn(char) -> bool| {
        while let Some((_, c)) = chars.peek() {
            if !keep(*c) {
                break;
            }
            chars.next();
        }
        chars.peek().map_or(s.len(), |(i, _)| *i)
    };
    let (kind, end) = if is_connector(first) {
        (Word::Connector, run(&mut chars, &is_connector))
    } else if is_punct(first) {
        (Word::Punct, run(&mut chars, &is_punct))
    } else if first.is_uppercase() {
        match chars.peek().copied() {
            Some((_, c)) if c.is_uppercase() => {
                // "HTTPStatus": the run of capitals but the last, which
                // starts the next word when a letter follows it.
                let mut last_start = 0;
                while let Some((i, c)) = chars.peek().copied() {
                    if !c.is_uppercase() {
                        break;
                    }
                    last_start = i;
                    chars.next();
                }
                match chars.peek() {
                    Some((_, c)) if is_alphabet(*c) => (Word::Upper, last_start),
                    Some((i, _)) => (Word::Upper, *i),
                    None => (Word::Upper, s.len()),
                }
            }
            Some((_, c)) if is_alphabet(c) => (
                Word::Upper,
                run(&mut chars, &|c| is_alphabet(c) && !c.is_uppercase()),
            ),
            Some((i, _)) => (Word::Upper, i),
            None => (Word::Upper, s.len()),
        }
    } else if is_alphabet(first) {
        (
            Word::Alphabet,
            run(&mut chars, &|c| is_alphabet(c) && !c.is_uppercase()),
        )
    } else if first.is_numeric() {
        (Word::Number, run(&mut chars, &char::is_numeric))
    } else {
        (
            Word::Other,
            run(&mut chars, &|c| {
                !(is_connector(c) || is_alphabet(c) || c.is_numeric() || is_punct(c))
            }),
        )
    };
    (kind, &s[..end], &s[end..])
}

/// A word written lower-case, connectors as `connector`.
fn push_lower(out: &mut String, kind: Word, word: &str, connector: char) {
    if kind != Word::Upper && kind != Word::Connector {
        out.push_str(word);
        return;
    }
    for c in word.chars() {
        if is_connector(c) {
            out.push(connector);
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// xstrings' `ToSnakeCase`/`ToKebabCase`: words lower-cased and joined
/// with `connector`; a number joins the word before it unless lower-case
/// letters follow it ("Bld4Floor" → "bld4_floor", "HTTP2xx" → "http_2xx").
fn lower_case_words(s: &str, connector: char) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let (mut kind, mut word, mut rest) = next_word(s);
    while !rest.is_empty() {
        if kind != Word::Connector {
            push_lower(&mut out, kind, word, connector);
        }
        let (previous, last) = (kind, word);
        (kind, word, rest) = next_word(rest);
        match previous {
            Word::Number => {
                while kind == Word::Alphabet || kind == Word::Number {
                    push_lower(&mut out, kind, word, connector);
                    (kind, word, rest) = next_word(rest);
                }
                if !matches!(kind, Word::End | Word::Punct | Word::Connector) {
                    out.push(connector);
                }
            }
            Word::Connector => push_lower(&mut out, previous, last, connector),
            Word::Punct => {}
            _ => {
                if kind != Word::Number {
                    if kind != Word::Connector && kind != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                if rest.is_empty() {
                    continue;
                }
                let number = word;
                (kind, word, rest) = next_word(rest);
                if kind != Word::Alphabet {
                    push_lower(&mut out, Word::Number, number, connector);
                    if kind != Word::Connector && kind != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                out.push(connector);
                push_lower(&mut out, Word::Number, number, connector);
                while kind == Word::Alphabet || kind == Word::Number {
                    push_lower(&mut out, kind, word, connector);
                    (kind, word, rest) = next_word(rest);
                }
                if !matches!(kind, Word::End | Word::Connector | Word::Punct) {
                    out.push(connector);
                }
            }
        }
    }
    push_lower(&mut out, kind, word, connector);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_case_as_xstrings_documents() {
        for (input, snake) in [
            ("FirstName", "first_name"),
            ("HTTPServer", "http_server"),
            ("NoHTTPS", "no_https"),
            ("GO_PATH", "go_path"),
            ("GO PATH", "go_path"),
            ("GO-PATH", "go_path"),
            ("http2xx", "http_2xx"),
            ("HTTP20xOK", "http_20x_ok"),
            ("Duration2m3s", "duration_2m3s"),
            ("Bld4Floor3rd", "bld4_floor_3rd"),
        ] {
            assert_eq!(lower_case_words(input, '_'), snake, "{input}");
        }
        for (input, camel) in [
            ("some_words", "SomeWords"),
            ("http_server", "HttpServer"),
            ("no_https", "NoHttps"),
            ("_complex__case_", "_Complex_Case_"),
            ("some words", "SomeWords"),
        ] {
            assert_eq!(camel_case(input), camel, "{input}");
        }
    }
}
