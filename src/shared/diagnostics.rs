//! Errors a user can cause, with where they come from and how to fix them.
//!
//! Every stage reports problems as [`Diagnostic`]s: a message, an optional
//! [`Origin`] (file, line and column, with the source text kept alongside so the
//! offending line can be shown), and `hint:` lines. A failing operation returns
//! [`Diagnostics`], a non-empty list, so a stage can report every problem it
//! found at once instead of stopping at the first.

use std::fmt::{self, Write as _};
use std::sync::Arc;

/// A named piece of text that diagnostics can point into: a file, or a
/// command-line argument such as `--set replicas=3`.
#[derive(Debug, PartialEq, Eq)]
pub struct Source {
    /// The name shown to the user (a path relative to the package, or the argument).
    pub name: String,
    /// The full text, used to print the line a diagnostic points at;
    /// shared with the template engine, which keeps it for its own errors.
    pub text: Arc<str>,
}

impl Source {
    /// A shared source with the given display name and text.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Arc<Source> {
        Arc::new(Source {
            name: name.into(),
            text: text.into(),
        })
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        self.text.lines().nth(line.checked_sub(1)?)
    }
}

/// A position in a [`Source`]: 1-based line and column, and how many characters
/// the marker under the line should cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub source: Arc<Source>,
    pub line: usize,
    pub col: usize,
    pub width: usize,
}

impl Origin {
    /// The origin of the byte range `range` of `source`: its line, its
    /// column in characters, and as wide as its first line.
    pub fn spanning(source: &Arc<Source>, range: std::ops::Range<usize>) -> Origin {
        let before = source.text.get(..range.start).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        let spanned = source.text.get(range).unwrap_or_default();
        let width = spanned
            .split('\n')
            .next()
            .unwrap_or_default()
            .chars()
            .count();
        Origin::new(source, line, col).with_width(width)
    }

    pub fn new(source: &Arc<Source>, line: usize, col: usize) -> Origin {
        Origin {
            source: Arc::clone(source),
            line,
            col,
            width: 1,
        }
    }

    /// The origin with its marker widened to `width` characters.
    pub fn with_width(mut self, width: usize) -> Origin {
        self.width = width.max(1);
        self
    }

    /// `file:line:col`, as editors and terminals recognise it.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.source.name, self.line, self.col)
    }
}

/// How bad a diagnostic is: errors fail the command, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    /// Worth knowing; nothing is wrong.
    Info,
}

/// One problem: what is wrong, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub origin: Option<Origin>,
    /// Where the problem is when there is no line to point at (a file, an object).
    pub subject: Option<String>,
    pub hints: Vec<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            origin: None,
            subject: None,
            hints: Vec::new(),
        }
    }

    pub fn warning(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn info(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Info,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, origin: Origin) -> Diagnostic {
        self.origin = Some(origin);
        self
    }

    /// Points at a file or object without a line.
    /// The diagnostic pointing at `origin`, if there is one.
    pub fn maybe_at(self, origin: Option<Origin>) -> Diagnostic {
        match origin {
            Some(origin) => self.at(origin),
            None => self,
        }
    }

    pub fn about(mut self, subject: impl Into<String>) -> Diagnostic {
        self.subject = Some(subject.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hints.push(hint.into());
        self
    }

    /// Adds the hint only when there is one.
    pub fn maybe_hint(self, hint: Option<String>) -> Diagnostic {
        match hint {
            Some(hint) => self.hint(hint),
            None => self,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic; with `color`, ANSI colours mark severity and the caret.
    pub fn render(&self, color: bool) -> String {
        let paint = |code: &str, text: &str| {
            if color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_string()
            }
        };
        let (label, code) = match self.severity {
            Severity::Error => ("error", "1;31"),
            Severity::Warning => ("warning", "1;33"),
            Severity::Info => ("info", "1;36"),
        };
        let mut out = format!("{}: {}\n", paint(code, label), self.message);
        if let Some(origin) = &self.origin {
            let _ = writeln!(out, "  --> {}", origin.location());
            if let Some(line) = origin.source.line_text(origin.line) {
                let number = origin.line.to_string();
                let pad = " ".repeat(number.len());
                let (shown, col) = excerpt(&line.replace('\t', " "), origin.col);
                let _ = writeln!(out, " {pad} |");
                let _ = writeln!(out, " {number} | {shown}");
                let caret = "^".repeat(origin.width.min(EXCERPT_CHARS));
                let indent = " ".repeat(col.saturating_sub(1));
                let _ = writeln!(out, " {pad} | {indent}{}", paint(code, &caret));
            }
        } else if let Some(subject) = &self.subject {
            let _ = writeln!(out, "  --> {subject}");
        }
        for hint in &self.hints {
            let _ = writeln!(out, "  {}: {hint}", paint("1;36", "hint"));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// Longest part of a source line a diagnostic shows.
const EXCERPT_CHARS: usize = 100;

/// A window of `line` around 1-based column `col` short enough to read, and
/// the column within it.
fn excerpt(line: &str, col: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= EXCERPT_CHARS {
        return (line.to_string(), col);
    }
    let start = col
        .saturating_sub(EXCERPT_CHARS / 2)
        .min(chars.len() - EXCERPT_CHARS);
    let mut shown: String = chars[start..start + EXCERPT_CHARS].iter().collect();
    if start + EXCERPT_CHARS < chars.len() {
        shown.push('…');
    }
    if start > 0 {
        (format!("…{shown}"), col - start + 1)
    } else {
        (shown, col)
    }
}

/// A failed operation: one or more diagnostics, at least one of them an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// `Ok(value)` when `diagnostics` holds no error, otherwise all of them.
    pub fn check<T>(diagnostics: Vec<Diagnostic>, value: T) -> Result<T, Diagnostics> {
        if diagnostics.iter().any(Diagnostic::is_error) {
            Err(Diagnostics(diagnostics))
        } else {
            Ok(value)
        }
    }

    pub fn render(&self, color: bool) -> String {
        let rendered: Vec<String> = self.0.iter().map(|d| d.render(color)).collect();
        rendered.join("\n")
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Diagnostics {
        Diagnostics(vec![diagnostic])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Diagnostics {}

/// The candidate closest to `word`, if any is close enough to be a likely typo.
/// `1 error`, `2 errors`: a count and its noun, for messages.
pub fn counted(count: usize, noun: &str) -> String {
    match count {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::levenshtein(word, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len().max(word.len()) / 3).max(1))
        .min()
        .map(|(_, candidate)| format!("did you mean `{candidate}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_source_line_with_a_caret() {
        let source = Source::new("values.yaml", "image:\n  tag: 5\n");
        let diagnostic = Diagnostic::error("`image.tag`: expected string, found integer `5`")
            .at(Origin::new(&source, 2, 8))
            .hint("quote it: `\"5\"`");
        assert_eq!(
            diagnostic.render(false),
            "error: `image.tag`: expected string, found integer `5`\n  --> values.yaml:2:8\n   |\n 2 |   tag: 5\n   |        ^\n  hint: quote it: `\"5\"`\n"
        );
    }

    #[test]
    fn shows_a_window_of_long_lines() {
        let source = Source::new(
            "long.yaml",
            format!("{}x{}", "a".repeat(500), "b".repeat(500)),
        );
        let rendered = Diagnostic::error("here")
            .at(Origin::new(&source, 1, 501))
            .render(false);
        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(
            lines[3],
            format!(" 1 | …{}x{}…", "a".repeat(49), "b".repeat(50))
        );
        let column = |line: &str, c: char| line.chars().position(|x| x == c);
        assert_eq!(column(lines[4], '^'), column(lines[3], 'x'));
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("imge", ["image", "replicas"]),
            Some("did you mean `image`?".to_string())
        );
        assert_eq!(did_you_mean("zzzzzz", ["image", "replicas"]), None);
    }
}
