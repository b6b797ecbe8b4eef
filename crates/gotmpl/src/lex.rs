//! Cutting a template into text and action tokens, with `{{-`/`-}}`
//! trimming and comments applied, each token with its byte offset.

use std::collections::HashSet;
use std::sync::Arc;

/// A name (field, variable or function), shared by every place that
/// writes it: templates repeat a handful of names thousands of times.
pub type Name = Arc<str>;

/// A run of a list: bytes of a text, or entries of one of a parsed file's
/// lists (see `parse::Body`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// The span from `start` to `end` (a parsed file's lists and texts are
    /// far below 4 GiB: files and `tpl` texts are bounded).
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// One token and where it starts in the template.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: Kind,
    pub at: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Text outside actions, after trimming: its bytes in the template.
    Text(Span),
    /// `{{`; the action runs to the matching [`Kind::Close`].
    Open,
    Close,
    /// `.Name` (each segment of a chain is its own token).
    Field(Name),
    /// `.` alone.
    Dot,
    /// `$name`, or `$` alone (the empty name).
    Variable(Name),
    /// A name: a function or a keyword.
    Ident(Name),
    /// A string literal, unquoted: its bytes in the strings of the lexer.
    String(Span),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
    Pipe,
    LeftParen,
    RightParen,
    Declare,
    Assign,
    Comma,
}

/// The tokens of `text` into `tokens` (emptied first: one list serves a
/// thread's templates, so that each does not fault in fresh memory), its
/// string literals unquoted into `strings`, or the byte offset and message
/// of the first problem.
pub fn lex(
    text: &str,
    strings: &mut String,
    tokens: &mut Vec<Token>,
) -> Result<(), (usize, String)> {
    let bytes = text.as_bytes();
    tokens.clear();
    // About one token per 8 bytes in Helm's charts: sized once, not grown.
    tokens.reserve(text.len() / 8);
    let mut names: HashSet<Name, foldhash::fast::RandomState> = HashSet::default();
    let mut intern = |name: &str| -> Name {
        match names.get(name) {
            Some(known) => Arc::clone(known),
            None => {
                let name: Name = Arc::from(name);
                names.insert(Arc::clone(&name));
                name
            }
        }
    };
    let opens = memchr::memmem::Finder::new("{{");
    let mut at = 0;
    let mut trim_next = false;
    while at < text.len() {
        let open = opens.find(&bytes[at..]).map_or(text.len(), |i| at + i);
        let mut chunk = &text[at..open];
        if trim_next {
            chunk = chunk.trim_start_matches(is_space);
        }
        let trim_before = open < text.len() && is_trim(bytes.get(open + 2..open + 4));
        if trim_before {
            chunk = chunk.trim_end_matches(is_space);
        }
        if !chunk.is_empty() {
            tokens.push(Token {
                kind: Kind::Text({
                    let start = chunk.as_ptr() as usize - text.as_ptr() as usize;
                    Span::new(start, start + chunk.len())
                }),
                at,
            });
        }
        if open >= text.len() {
            break;
        }
        let mut inside = open + 2 + if trim_before { 2 } else { 0 };
        // A comment: `{{/* ... */}}`, whole.
        let rest = text[inside..].trim_start_matches(is_space);
        if rest.starts_with("/*") {
            let start = text.len() - rest.len();
            let Some(end) = text[start..].find("*/") else {
                return Err((open, "unclosed comment".into()));
            };
            let after = start + end + 2;
            let tail = &text[after..];
            let (trim, length) = if tail.starts_with(" -}}") {
                (true, 4)
            } else if tail.starts_with("}}") {
                (false, 2)
            } else {
                return Err((open, "comment ends before closing delimiter".into()));
            };
            trim_next = trim;
            at = after + length;
            continue;
        }
        tokens.push(Token {
            kind: Kind::Open,
            at: open,
        });
        // The action's tokens, up to `}}` or ` -}}`.
        loop {
            while inside < text.len() && is_space(bytes[inside] as char) {
                inside += 1;
            }
            if inside >= text.len() {
                return Err((open, "unclosed action".into()));
            }
            if text[inside..].starts_with("-}}")
                && inside > 0
                && is_space(bytes[inside - 1] as char)
            {
                tokens.push(Token {
                    kind: Kind::Close,
                    at: inside,
                });
                trim_next = true;
                at = inside + 3;
                break;
            }
            if text[inside..].starts_with("}}") {
                tokens.push(Token {
                    kind: Kind::Close,
                    at: inside,
                });
                trim_next = false;
                at = inside + 2;
                break;
            }
            let (kind, length) =
                token(&text[inside..], &mut intern, strings).map_err(|m| (inside, m))?;
            tokens.push(Token { kind, at: inside });
            inside += length;
        }
    }
    Ok(())
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Whether the bytes after `{{` are `- ` (a trim marker): a dash then space.
fn is_trim(after: Option<&[u8]>) -> bool {
    matches!(after, Some([b'-', c]) if is_space(*c as char))
}

/// The token at the start of `text` and its length in bytes.
fn token(
    text: &str,
    intern: &mut impl FnMut(&str) -> Name,
    strings: &mut String,
) -> Result<(Kind, usize), String> {
    let start = strings.len();
    let first = text.chars().next().unwrap_or(' ');
    // Letters, digits and `_` (Unicode ones too, as Go's): ASCII bytes
    // are checked as bytes, the rest as characters.
    let word_end = |start: usize| {
        let ascii = text.as_bytes()[start..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .map_or(text.len(), |i| start + i);
        match text.as_bytes().get(ascii) {
            Some(b) if !b.is_ascii() => text[ascii..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map_or(text.len(), |i| ascii + i),
            _ => ascii,
        }
    };
    Ok(match first {
        '|' => (Kind::Pipe, 1),
        '(' => (Kind::LeftParen, 1),
        ')' => (Kind::RightParen, 1),
        ',' => (Kind::Comma, 1),
        '=' => (Kind::Assign, 1),
        ':' if text.starts_with(":=") => (Kind::Declare, 2),
        '.' => {
            let end = word_end(1);
            if end == 1 {
                if text[1..].starts_with(|c: char| c.is_ascii_digit()) {
                    return number(text);
                }
                (Kind::Dot, 1)
            } else {
                (Kind::Field(intern(&text[1..end])), end)
            }
        }
        '$' => {
            let end = word_end(1);
            (Kind::Variable(intern(&text[1..end])), end)
        }
        '"' => {
            // Most strings have no escape: copied in one piece.
            let plain = text[1..].find(['"', '\\', '\n']).map(|i| i + 1);
            if let Some(end) = plain.filter(|&end| text.as_bytes()[end] == b'"') {
                strings.push_str(&text[1..end]);
                return Ok((Kind::String(Span::new(start, strings.len())), end + 1));
            }
            let value = strings;
            let mut chars = text.char_indices().skip(1);
            loop {
                let Some((i, c)) = chars.next() else {
                    return Err("unterminated quoted string".into());
                };
                match c {
                    '"' => return Ok((Kind::String(Span::new(start, value.len())), i + 1)),
                    '\n' => return Err("unterminated quoted string".into()),
                    '\\' => {
                        let Some((_, escaped)) = chars.next() else {
                            return Err("unterminated quoted string".into());
                        };
                        match escaped {
                            'n' => value.push('\n'),
                            't' => value.push('\t'),
                            'r' => value.push('\r'),
                            '\\' => value.push('\\'),
                            '"' => value.push('"'),
                            '\'' => value.push('\''),
                            'a' => value.push('\u{7}'),
                            'b' => value.push('\u{8}'),
                            'f' => value.push('\u{c}'),
                            'v' => value.push('\u{b}'),
                            'x' | 'u' | 'U' => {
                                let digits = match escaped {
                                    'x' => 2,
                                    'u' => 4,
                                    _ => 8,
                                };
                                let hex: String = (0..digits)
                                    .filter_map(|_| chars.next().map(|(_, c)| c))
                                    .collect();
                                let code = u32::from_str_radix(&hex, 16)
                                    .map_err(|_| format!("invalid escape \\{escaped}{hex}"))?;
                                value.push(char::from_u32(code).ok_or("invalid escape")?);
                            }
                            other => return Err(format!("unknown escape sequence: \\{other}")),
                        }
                    }
                    c => value.push(c),
                }
            }
        }
        '`' => match text[1..].find('`') {
            Some(end) => {
                strings.push_str(&text[1..1 + end]);
                (Kind::String(Span::new(start, strings.len())), end + 2)
            }
            None => return Err("unterminated raw quoted string".into()),
        },
        '\'' => {
            let mut chars = text.char_indices().skip(1);
            let (c, length) = match chars.next() {
                Some((_, '\\')) => {
                    let (_, escaped) = chars.next().ok_or("unterminated character constant")?;
                    let c = match escaped {
                        'n' => '\n',
                        't' => '\t',
                        '\\' => '\\',
                        '\'' => '\'',
                        other => other,
                    };
                    (c, 4)
                }
                Some((_, c)) => (c, 2 + c.len_utf8()),
                None => return Err("unterminated character constant".into()),
            };
            if !text[length - 1..].starts_with('\'') {
                return Err("unterminated character constant".into());
            }
            (Kind::Int(c as i64), length)
        }
        c if c.is_ascii_digit()
            || ((c == '-' || c == '+')
                && text[1..].starts_with(|d: char| d.is_ascii_digit() || d == '.')) =>
        {
            return number(text);
        }
        c if c.is_alphabetic() || c == '_' => {
            let end = word_end(0);
            let word = &text[..end];
            let kind = match word {
                "true" => Kind::Bool(true),
                "false" => Kind::Bool(false),
                "nil" => Kind::Nil,
                _ => Kind::Ident(intern(word)),
            };
            (kind, end)
        }
        other => return Err(format!("unexpected {other:?} in command")),
    })
}

/// A Go number literal: decimal, hex, octal, binary, with `_`, or a float.
fn number(text: &str) -> Result<(Kind, usize), String> {
    let bytes = text.as_bytes();
    let mut end = usize::from(matches!(bytes[0], b'+' | b'-'));
    let hex = text[end..].starts_with("0x") || text[end..].starts_with("0X");
    while end < bytes.len() {
        let c = bytes[end];
        let exponent = if hex { b"pP" } else { b"eE" };
        // A sign belongs to the number only right after its exponent mark.
        if c.is_ascii_alphanumeric()
            || c == b'.'
            || c == b'_'
            || (matches!(c, b'+' | b'-') && exponent.contains(&bytes[end - 1]))
        {
            end += 1;
        } else {
            break;
        }
    }
    let literal = &text[..end];
    // Most numbers are plain decimals (`8080`, `0`).
    if literal.len() < 19
        && literal.bytes().all(|b| b.is_ascii_digit())
        && (literal.len() == 1 || !literal.starts_with('0'))
    {
        if let Ok(i) = literal.parse::<i64>() {
            return Ok((Kind::Int(i), literal.len()));
        }
    }
    let clean = literal.replace('_', "");
    let (negative, digits) = match clean.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, clean.trim_start_matches('+').to_string()),
    };
    let radix = |prefix: &str| {
        digits
            .strip_prefix(prefix)
            .or_else(|| digits.strip_prefix(&prefix.to_uppercase()))
    };
    let integer = if let Some(hex) = radix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(octal) = radix("0o") {
        i64::from_str_radix(octal, 8).ok()
    } else if let Some(binary) = radix("0b") {
        i64::from_str_radix(binary, 2).ok()
    } else if digits.len() > 1
        && digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        i64::from_str_radix(&digits[1..], 8).ok()
    } else {
        digits.parse::<i64>().ok()
    };
    let kind = match integer {
        Some(i) => Kind::Int(if negative { -i } else { i }),
        None => match clean.parse::<f64>() {
            Ok(f) => Kind::Float(f),
            Err(_) => return Err(format!("bad number syntax: {literal:?}")),
        },
    };
    Ok((kind, literal.len()))
}
