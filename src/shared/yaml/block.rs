//! A fast reader for the YAML that charts, values files and rendered
//! manifests are nearly always written in: block maps and lists, one-line
//! plain and quoted scalars, `|` and `>` blocks, empty `{}` and `[]`,
//! comments and `---`. It reads bytes a line at a time and yields the same
//! events, at the same lines and columns, as yaml-rust2, and gives up
//! (`None`) on anything else: anchors, tags, flow collections with content,
//! multi-line plain or quoted scalars, tabs, directives, and every error.
//! The caller then reads the text with yaml-rust2, so rare syntax and error
//! messages keep one implementation.

use std::cell::Cell;

use yaml_rust2::parser::Event;
use yaml_rust2::scanner::TScalarStyle;

/// Where an event is: its line (from 1) and column (in characters, from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub line: usize,
    pub col: usize,
}

/// Deepest nesting read here; deeper text goes to yaml-rust2 (and to the
/// builder's own limit).
const MAX_DEPTH: usize = 256;

/// Longest key read here: YAML allows at most 1024 characters for a key
/// written without `?`.
const MAX_KEY: usize = 1024;

/// Calls `emit` with every event of `text`, or returns `None` as soon as
/// the text is not in the subset read here (some events may have been
/// emitted by then).
pub fn events(text: &str, emit: &mut dyn FnMut(Event, Mark)) -> Option<()> {
    if !plain_text(text) {
        return None;
    }
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
        line_start: 0,
        emit,
        depth: 0,
        last_mark: Cell::new((0, 0, 0)),
    };
    reader.stream()
}

/// Text without tabs, carriage returns or other control characters, byte
/// order marks or Unicode line breaks, which the subset leaves to yaml-rust2.
fn plain_text(text: &str) -> bool {
    // A chunk at a time, without stopping early, so that it vectorises.
    let controls = text.as_bytes().chunks(64).any(|chunk| {
        chunk
            .iter()
            .fold(false, |found, &b| found | (b < 0x20 && b != b'\n'))
    });
    !controls
        && (text.is_ascii()
            || !["\u{feff}", "\u{85}", "\u{2028}", "\u{2029}"]
                .iter()
                .any(|c| text.contains(c)))
}

/// What a value follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    /// A list's `-`.
    Dash,
    /// A map's `key:`.
    Key,
}

/// What a line holds from a given character on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// `- ...`, or `-` alone.
    Entry,
    /// `key: ...`, the colon at this byte.
    Key { colon: usize },
    /// Anything else: a scalar.
    Other,
}

struct Reader<'t, 'e> {
    text: &'t str,
    bytes: &'t [u8],
    /// The next byte to read.
    pos: usize,
    /// The line of `pos` (from 1), and the byte it starts at.
    line: usize,
    line_start: usize,
    emit: &'e mut dyn FnMut(Event, Mark),
    depth: usize,
    /// The last mark's line start, byte and column.
    last_mark: Cell<(usize, usize, usize)>,
}

impl Reader<'_, '_> {
    fn stream(&mut self) -> Option<()> {
        self.send(Event::StreamStart, Mark { line: 1, col: 0 });
        loop {
            self.skip_blank_lines();
            if self.at_end() {
                break;
            }
            self.document()?;
        }
        let end = self.next_mark();
        self.send(Event::StreamEnd, end);
        Some(())
    }

    fn document(&mut self) -> Option<()> {
        if self.at_document_start() {
            self.send(Event::DocumentStart, self.mark_at(self.pos));
            self.pos += 3;
            // `--- value` and `--- |` are for yaml-rust2.
            self.skip_spaces();
            if !self.at_line_end() {
                return None;
            }
            self.next_line();
            self.skip_blank_lines();
            if self.at_end() || self.at_document_start() {
                let mark = self.next_mark();
                self.send(scalar(String::new(), TScalarStyle::Plain), mark);
                self.send(Event::DocumentEnd, mark);
                return Some(());
            }
        } else {
            // An implicit start is where the first token is: a map's
            // first colon, a list's first dash, a scalar's first character.
            let start = self.content_start();
            let mark = match self.classify(start)? {
                Line::Key { colon } => self.mark_at(colon),
                Line::Entry | Line::Other => self.mark_at(start),
            };
            self.send(Event::DocumentStart, mark);
        }
        self.node_on_line(-1)?;
        self.skip_blank_lines();
        if !self.at_end() && !self.at_document_start() {
            return None;
        }
        self.send(Event::DocumentEnd, self.next_mark());
        Some(())
    }

    /// The node that starts at the first non-space character of the line
    /// at `pos`, inside a collection at column `parent` (-1: the root).
    fn node_on_line(&mut self, parent: isize) -> Option<()> {
        let start = self.content_start();
        if self.column(start) <= parent {
            return None;
        }
        match self.classify(start)? {
            Line::Entry => self.sequence(start, self.mark_at(start), false),
            Line::Key { colon } => self.mapping(start, colon),
            Line::Other => {
                self.pos = start;
                self.scalar_value(parent)
            }
        }
    }

    /// A block list whose first `-` is at byte `dash`, its start reported at
    /// `mark`; `indentless` when it is a map's value written at the map's
    /// column, which a key at that column ends.
    fn sequence(&mut self, mut dash: usize, mark: Mark, indentless: bool) -> Option<()> {
        self.enter()?;
        let column = self.column(dash);
        self.send(Event::SequenceStart(0, None), mark);
        loop {
            self.pos = dash + 1;
            self.skip_spaces();
            self.value(After::Dash, column)?;
            match self.next_at(column)? {
                Some((next, Line::Entry)) => dash = next,
                Some((_, Line::Key { .. })) if indentless => break,
                Some(_) => return None,
                None => break,
            }
        }
        self.send(Event::SequenceEnd, self.next_mark());
        self.leave();
        Some(())
    }

    /// A block map whose first key starts at byte `key`, its colon at
    /// `colon`.
    fn mapping(&mut self, mut key: usize, mut colon: usize) -> Option<()> {
        self.enter()?;
        let column = self.column(key);
        self.send(Event::MappingStart(0, None), self.mark_at(colon));
        loop {
            let mark = self.mark_at(key);
            let (name, style) = self.key(key, colon)?;
            self.send(scalar(name, style), mark);
            self.pos = colon + 1;
            self.skip_spaces();
            self.value(After::Key, column)?;
            match self.next_at(column)? {
                Some((next, Line::Key { colon: c })) => (key, colon) = (next, c),
                Some(_) => return None,
                None => break,
            }
        }
        self.send(Event::MappingEnd, self.next_mark());
        self.leave();
        Some(())
    }

    /// After an item of a collection at `column`: the next line's first
    /// byte and what it holds when it continues the collection, `None` when
    /// the collection ends there (less indented, a document start, the
    /// end), and `None` outside for a line indented more (for yaml-rust2).
    fn next_at(&mut self, column: isize) -> Option<Option<(usize, Line)>> {
        self.skip_blank_lines();
        if self.at_end() || self.at_document_start() {
            return Some(None);
        }
        let next = self.content_start();
        let at = self.column(next);
        if at < column {
            return Some(None);
        }
        if at > column {
            return None;
        }
        Some(Some((next, self.classify(next)?)))
    }

    /// The value after a dash or a key's colon (`pos` past the spaces that
    /// follow it) of a collection at column `parent`.
    fn value(&mut self, after: After, parent: isize) -> Option<()> {
        if !self.at_line_end() {
            let start = self.pos;
            if matches!(self.bytes[start], b'|' | b'>') {
                return self.block_scalar(parent);
            }
            return match self.classify(start)? {
                // A map written after a dash: `- key: value`.
                Line::Key { colon } if after == After::Dash => self.mapping(start, colon),
                Line::Key { .. } | Line::Entry => None,
                Line::Other => self.scalar_value(parent),
            };
        }
        self.next_line();
        self.skip_blank_lines();
        let ends = self.at_end() || self.at_document_start();
        let next = self.content_start();
        if !ends && self.column(next) > parent {
            return self.node_on_line(parent);
        }
        let same_column = !ends && self.column(next) == parent;
        let entry = same_column && self.classify(next)? == Line::Entry;
        if entry && after == After::Key {
            // A list under a key may be written at the key's column; it is
            // reported where its first item is.
            return self.sequence(next, self.past_dash(next), true);
        }
        // Nothing: an empty value, reported where the next token is (past
        // the next item's dash, for a list).
        let mark = if entry {
            self.past_dash(next)
        } else {
            self.next_mark()
        };
        self.send(scalar(String::new(), TScalarStyle::Plain), mark);
        Some(())
    }

    /// A one-line scalar at `pos`, or `{}` or `[]`, then the end of the line;
    /// `parent` is the column of the collection it is in.
    fn scalar_value(&mut self, parent: isize) -> Option<()> {
        let start = self.pos;
        let mark = self.mark_at(start);
        match self.bytes[start] {
            b'"' | b'\'' => {
                let (text, style, end) = self.quoted(start)?;
                self.send(scalar(text, style), mark);
                self.pos = end;
            }
            b'[' => self.pos = self.flow_list(start)?,
            b'{' => {
                // Only `{}`; maps written in flow are for yaml-rust2.
                if self.bytes.get(start + 1) != Some(&b'}') {
                    return None;
                }
                self.send(Event::MappingStart(0, None), mark);
                self.send(Event::MappingEnd, self.mark_at(start + 1));
                self.pos = start + 2;
            }
            _ => {
                let end = self.plain_end(start)?;
                let text = self.text[start..end].trim_end_matches(' ').to_string();
                self.send(scalar(text, TScalarStyle::Plain), mark);
                self.pos = end;
            }
        }
        // Only spaces or a comment may follow, and no line may continue it.
        let before = self.pos;
        self.skip_spaces();
        let spaced = self.pos > before
            || self.bytes.get(before) != Some(&b'#')
            || self.bytes[before - 1] == b' ';
        if !self.at_line_end() || !spaced {
            return None;
        }
        self.next_line();
        self.skip_blank_lines();
        if !self.at_end() && !self.at_document_start() {
            let next = self.content_start();
            if self.column(next) > parent {
                return None;
            }
        }
        Some(())
    }

    /// A list written in flow on one line, `[a, "b", 'c']`, of scalars
    /// only; the byte after its `]`.
    fn flow_list(&mut self, open: usize) -> Option<usize> {
        self.send(Event::SequenceStart(0, None), self.mark_at(open));
        let mut at = open + 1;
        let mut first = true;
        loop {
            while self.bytes.get(at) == Some(&b' ') {
                at += 1;
            }
            if first && self.bytes.get(at) == Some(&b']') {
                break;
            }
            let mark = self.mark_at(at);
            let (text, style, end) = match *self.bytes.get(at)? {
                b'"' | b'\'' => self.quoted(at)?,
                _ if !self.plain_start(at) => return None,
                _ => {
                    // A plain item ends at `,` or `]`; a `:` or `#` in it,
                    // or the line's end, is for yaml-rust2.
                    let mut end = at;
                    loop {
                        match *self.bytes.get(end)? {
                            b',' | b']' => break,
                            b':' | b'#' | b'\n' | b'[' | b'{' | b'}' => return None,
                            _ => end += 1,
                        }
                    }
                    let text = self.text[at..end].trim_end_matches(' ').to_string();
                    (text, TScalarStyle::Plain, end)
                }
            };
            self.send(scalar(text, style), mark);
            at = end;
            while self.bytes.get(at) == Some(&b' ') {
                at += 1;
            }
            match *self.bytes.get(at)? {
                b']' => break,
                // A comma before the `]` is for yaml-rust2.
                b',' => at += 1,
                _ => return None,
            }
            first = false;
        }
        self.send(Event::SequenceEnd, self.mark_at(at));
        Some(at + 1)
    }

    /// Where a plain scalar starting at `start` ends on its line: before a
    /// comment or the line's end. `None` for what is not a plain scalar
    /// here (an indicator first, a `: ` inside).
    fn plain_end(&self, start: usize) -> Option<usize> {
        if !self.plain_start(start) {
            return None;
        }
        let line_end = self.line_end(start);
        let mut at = start;
        while at < line_end {
            match self.bytes[at] {
                b'#' if self.bytes[at - 1] == b' ' => return Some(at),
                b':' if at + 1 == line_end || self.bytes[at + 1] == b' ' => return None,
                _ => at += 1,
            }
        }
        Some(line_end)
    }

    /// Whether a plain scalar may start at `start`: not at an indicator,
    /// except a `-` or `:` that a character other than a space follows.
    fn plain_start(&self, start: usize) -> bool {
        match self.bytes[start] {
            b'-' | b':' => !matches!(self.bytes.get(start + 1), Some(b' ' | b'\n') | None),
            b'?' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>'
            | b'\'' | b'"' | b'%' | b'@' | b'`' => false,
            _ => true,
        }
    }

    /// A `|` or `>` block at `pos`, whose lines are indented more than
    /// `parent`.
    fn block_scalar(&mut self, parent: isize) -> Option<()> {
        let folded = self.bytes[self.pos] == b'>';
        self.pos += 1;
        let chomp = match self.bytes.get(self.pos) {
            Some(b'-') => b'-',
            Some(b'+') => b'+',
            _ => b' ',
        };
        if chomp != b' ' {
            self.pos += 1;
        }
        // An explicit indentation, or text after the header, is for yaml-rust2.
        let before = self.pos;
        self.skip_spaces();
        match self.bytes.get(self.pos) {
            None | Some(b'\n') => {}
            Some(b'#') if self.pos > before => {}
            _ => return None,
        }
        self.next_line();
        // Blank lines first, then the first line with text sets the indentation.
        let mut leading = 0;
        let mut widest_blank = 0;
        let indent = loop {
            if self.at_end() {
                return None;
            }
            let start = self.content_start();
            if self.bytes.get(start).is_some_and(|&b| b != b'\n') {
                break start - self.line_start;
            }
            widest_blank = widest_blank.max(start - self.line_start);
            leading += 1;
            self.next_line();
        };
        if indent as isize <= parent || widest_blank > indent || (folded && leading > 0) {
            return None;
        }
        let mark = Mark {
            line: self.line,
            col: indent,
        };
        let mut text = String::new();
        for _ in 0..leading {
            text.push('\n');
        }
        // Blank lines since the last line of text.
        let mut blanks = 0;
        let mut wrote = false;
        while !self.at_end() {
            let start = self.content_start();
            let end = self.line_end(start);
            let width = start - self.line_start;
            if start == end {
                // Blank; more spaces than the indentation would be text.
                if width > indent {
                    return None;
                }
                blanks += 1;
                self.next_line();
                continue;
            }
            if width < indent {
                break;
            }
            if end == self.bytes.len() {
                // A last line without a line break: for yaml-rust2.
                return None;
            }
            if folded && width > indent {
                return None;
            }
            if wrote {
                match (folded, blanks) {
                    (true, 0) => text.push(' '),
                    (true, n) => text.extend(std::iter::repeat_n('\n', n)),
                    (false, n) => text.extend(std::iter::repeat_n('\n', n + 1)),
                }
            }
            text.push_str(&self.text[self.line_start + indent..end]);
            wrote = true;
            blanks = 0;
            self.next_line();
        }
        match chomp {
            b'-' => {}
            b'+' => text.extend(std::iter::repeat_n('\n', blanks + 1)),
            _ => text.push('\n'),
        }
        let style = if folded {
            TScalarStyle::Folded
        } else {
            TScalarStyle::Literal
        };
        self.send(scalar(text, style), mark);
        Some(())
    }

    /// A map key at byte `key` whose colon is at `colon`.
    fn key(&self, key: usize, colon: usize) -> Option<(String, TScalarStyle)> {
        match self.bytes[key] {
            b'"' | b'\'' => self.quoted(key).map(|(name, style, _)| (name, style)),
            _ => Some((
                self.text[key..colon].trim_end_matches(' ').to_string(),
                TScalarStyle::Plain,
            )),
        }
    }

    /// What the line holds from byte `start` on, or `None` for what the
    /// subset does not read.
    fn classify(&self, start: usize) -> Option<Line> {
        let line_end = self.line_end(start);
        let first = *self.bytes.get(start)?;
        if first == b'-' && (start + 1 == line_end || self.bytes[start + 1] == b' ') {
            return Some(Line::Entry);
        }
        if start == self.line_start && self.text[start..line_end].starts_with("...") {
            // A document end marker (or text that looks like one).
            return None;
        }
        // A key: a quoted or plain scalar, then `:` and a space or the end.
        let after_key = match first {
            b'"' | b'\'' => self.quoted(start)?.2,
            _ if !self.plain_start(start) => return Some(Line::Other),
            _ => match self.plain_end_of_key(start, line_end) {
                Some(colon) => colon,
                None => return Some(Line::Other),
            },
        };
        let mut colon = after_key;
        while self.bytes.get(colon) == Some(&b' ') {
            colon += 1;
        }
        let is_key = self.bytes.get(colon) == Some(&b':')
            && matches!(self.bytes.get(colon + 1), Some(b' ' | b'\n') | None);
        if !is_key {
            return Some(Line::Other);
        }
        if colon - start > MAX_KEY {
            return None;
        }
        Some(Line::Key { colon })
    }

    /// The colon ending a plain key that starts at `start`, if the line is
    /// one.
    fn plain_end_of_key(&self, start: usize, line_end: usize) -> Option<usize> {
        let mut at = start;
        while at < line_end {
            match self.bytes[at] {
                b'#' if at > start && self.bytes[at - 1] == b' ' => return None,
                b':' if at + 1 == line_end || self.bytes[at + 1] == b' ' => return Some(at),
                _ => at += 1,
            }
        }
        None
    }

    /// The text and style of the quoted scalar at `start` and the byte
    /// after its closing quote, when it closes on its line with escapes
    /// read here.
    fn quoted(&self, start: usize) -> Option<(String, TScalarStyle, usize)> {
        let quote = self.bytes[start];
        let style = if quote == b'"' {
            TScalarStyle::DoubleQuoted
        } else {
            TScalarStyle::SingleQuoted
        };
        let mut text = String::new();
        let mut at = start + 1;
        let mut run = at;
        loop {
            let byte = *self.bytes.get(at)?;
            match byte {
                b'\n' => return None,
                b'\'' if quote == b'\'' => {
                    text.push_str(&self.text[run..at]);
                    if self.bytes.get(at + 1) == Some(&b'\'') {
                        text.push('\'');
                        at += 2;
                        run = at;
                    } else {
                        return Some((text, style, at + 1));
                    }
                }
                b'"' if quote == b'"' => {
                    text.push_str(&self.text[run..at]);
                    return Some((text, style, at + 1));
                }
                b'\\' if quote == b'"' => {
                    text.push_str(&self.text[run..at]);
                    let (c, width) = self.escape(at + 1)?;
                    text.push(c);
                    at += 1 + width;
                    run = at;
                }
                _ => at += 1,
            }
        }
    }

    /// The character a double-quoted escape stands for (the byte after its
    /// backslash at `at`) and how many bytes it takes.
    fn escape(&self, at: usize) -> Option<(char, usize)> {
        let c = match *self.bytes.get(at)? {
            b'0' => '\0',
            b'a' => '\x07',
            b'b' => '\x08',
            b't' => '\t',
            b'n' => '\n',
            b'v' => '\x0b',
            b'f' => '\x0c',
            b'r' => '\r',
            b'e' => '\x1b',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            kind @ (b'x' | b'u' | b'U') => {
                let digits = match kind {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let hex = self.text.get(at + 1..at + 1 + digits)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                let code = u32::from_str_radix(hex, 16).ok()?;
                return Some((char::from_u32(code)?, 1 + digits));
            }
            _ => return None,
        };
        Some((c, 1))
    }

    fn send(&mut self, event: Event, mark: Mark) {
        (self.emit)(event, mark);
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Whether `pos`, at a line's start, is at `---` and a space or the end.
    fn at_document_start(&self) -> bool {
        self.pos == self.line_start
            && self.text[self.pos..].starts_with("---")
            && matches!(self.bytes.get(self.pos + 3), Some(b' ' | b'\n') | None)
    }

    /// Whether only a comment or nothing is left on the line from `pos`.
    fn at_line_end(&self) -> bool {
        matches!(self.bytes.get(self.pos), Some(b'\n' | b'#') | None)
    }

    fn skip_spaces(&mut self) {
        while self.bytes.get(self.pos) == Some(&b' ') {
            self.pos += 1;
        }
    }

    /// The byte of the line's end (its `\n`, or the text's end) from `at`.
    fn line_end(&self, at: usize) -> usize {
        memchr::memchr(b'\n', &self.bytes[at..]).map_or(self.bytes.len(), |i| at + i)
    }

    /// Moves `pos` to the start of the next line.
    fn next_line(&mut self) {
        self.pos = (self.line_end(self.pos) + 1).min(self.bytes.len());
        self.line += 1;
        self.line_start = self.pos;
    }

    /// Moves `pos` past blank lines and comment lines, to the start of a
    /// line with content or the end.
    fn skip_blank_lines(&mut self) {
        while !self.at_end() {
            let start = self.content_start();
            if !matches!(self.bytes.get(start), Some(b'\n' | b'#') | None) {
                return;
            }
            self.next_line();
        }
    }

    /// The first non-space byte of the line at `pos`.
    fn content_start(&self) -> usize {
        let mut at = self.line_start;
        while self.bytes.get(at) == Some(&b' ') {
            at += 1;
        }
        at
    }

    /// The column of byte `at` of the current line, in characters.
    fn column(&self, at: usize) -> isize {
        self.mark_at(at).col as isize
    }

    fn mark_at(&self, at: usize) -> Mark {
        // Columns count characters; counted on from the last mark of the
        // line, so that a long line of many items is read once.
        let (from, mut col) = match self.last_mark.get() {
            (start, pos, col) if start == self.line_start && pos <= at => (pos, col),
            _ => (self.line_start, 0),
        };
        let between = &self.bytes[from..at];
        col += if between.is_ascii() {
            between.len()
        } else {
            between.iter().filter(|&&b| b & 0xc0 != 0x80).count()
        };
        self.last_mark.set((self.line_start, at, col));
        Mark {
            line: self.line,
            col,
        }
    }

    /// Where the next token is, from a line's start: its first character,
    /// or (at the end) the start of the line after the last.
    fn next_mark(&self) -> Mark {
        if self.at_end() {
            return Mark {
                line: self.line,
                col: 0,
            };
        }
        self.mark_at(self.content_start())
    }

    /// Past the dash at `dash` and the spaces after it.
    fn past_dash(&self, dash: usize) -> Mark {
        let mut past = dash + 1;
        while self.bytes.get(past) == Some(&b' ') {
            past += 1;
        }
        self.mark_at(past)
    }
}

fn scalar(text: String, style: TScalarStyle) -> Event {
    Event::Scalar(text, style, 0, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yaml_rust2::parser::Parser;

    type Events = Vec<(Event, usize, usize)>;

    fn fast(text: &str) -> Option<Events> {
        let mut read = Vec::new();
        events(text, &mut |event, mark| {
            read.push((event, mark.line, mark.col))
        })?;
        Some(read)
    }

    fn yaml_rust2(text: &str) -> Events {
        let mut parser = Parser::new_from_str(text);
        let mut read = Vec::new();
        loop {
            let (event, mark) = parser.next_token().expect("the sample is YAML");
            let end = event == Event::StreamEnd;
            read.push((event, mark.line(), mark.col()));
            if end {
                return read;
            }
        }
    }

    #[test]
    fn reads_the_block_subset_with_the_events_and_marks_of_yaml_rust2() {
        let samples = [
            "# only a comment\n\n",
            "---\n",
            "a: 1\n---\n---\nb: 2\n",
            "a: 1",
            "a:\n",
            "a:\n  b:\nc: 1\n",
            "a:\n  b:\n---\nc:\n",
            "-\n-\n- a\n",
            "k:\n-\n- a\nb:\n- x\n-\n",
            "- a:\n- b\n",
            "- a: 1\n  b:\n- c\n",
            "-   a: 1\n    b: 2\n-  x\n",
            "-\n  a: 1\n-\n  - b\n",
            "e:\n- g: h\n  i: j\n- x\n",
            "a:\n  - x\n  -\n  - y\nb: \"q\"\n",
            "a  : 1\nb :   2   \nc: v # c\nd: v#not-a-comment\n",
            "\"a b\": 1\n'c': 2\n\"a:b\": 3\na:b: 4\na#b: 5\n\"\": 6\n",
            "a: \"esc \\\" \\\\ \\n \\u00e9 \\x41 \\t \\/ \\0\"\nb: 'it''s'\nc: \"\"\n",
            "clé: valeur\némoji: \"😀\"\n  # a comment\nü: [é, ü]\n",
            "u: http://x:8080/y\nv: b:c\nw: -1\nx: -x\ny: ./x\nz: ~\nr: :sum\n",
            "a:   # comment\n  b: 1\n\n\n# c\n  c: 2\n",
            "a: |\n  x\n    y\n  z\n# c\nb: |-\n  x\n\n\n  y\n\n",
            "a: |+\n  x\n\n\nb: |\n\n  x\n",
            "a: >-\n  x\n  y\n\n  z\nb: >\n  x\n  y\n",
            "- |\n  x\n- \"y\"\n- 'z'\n- |-\n  w\n",
            "a:\n  b: |\n    x\n  c: 1\n",
            "x\n---\ny\n--- # c\na: 1\n",
            "- {}\n- []\n- [a]\n- [ ]\n- [a,b]\n- [\"a\", 'b', c d, 1, 2.5, true] # c\n",
            "[a, b]\n",
            "{}\n",
            "list:\n- a: 1\n  b:\n    - c\n- d: |\n    text\n  e: f\n",
            "a:\n  b:\n    c:\n      d: 1\n  e: 2\nf: 3\n",
        ];
        for text in samples {
            assert_eq!(fast(text), Some(yaml_rust2(text)), "{text:?}");
        }
    }

    #[test]
    fn leaves_everything_else_to_yaml_rust2() {
        let others = [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "? a\n: b\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: 1\n...\n",
            "--- a: 1\n",
            "- - x\n",
            "a:\n  b\n  c\n",
            "a: 'x\n  y'\n",
            "a: {b: 1}\n",
            "a: [x,]\n",
            "a: [x\n  ,y]\n",
            "a: |2\n   x\n",
            "a: |\nb: 1\n",
            "a: >\n  x\n    y\n",
            "a:\tb\n",
            "a: 1\r\n",
            // Errors, which yaml-rust2 reports.
            "a: b: c\n",
            "a: 1\n b: 2\n",
            "a:\n  - b\n  c: 1\n",
            "a: \"x\"y\n",
            "a: \"\\z\"\n",
            "a: - b\n",
        ];
        for text in others {
            assert_eq!(fast(text), None, "{text:?}");
        }
    }
}
