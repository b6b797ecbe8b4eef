//! The template tree: text, actions, control structures and pipelines,
//! parsed from the tokens, with `define`s split out as templates of their own.

use std::sync::Arc;

use crate::lex::{self, Kind, Name, Span, Token};
use crate::{ByName, Error, Func};

/// A parsed template: its nodes, and the text they point into.
#[derive(Debug, Clone)]
pub struct Tree {
    /// Its name: the file's, or the `define`'s.
    pub name: String,
    /// Its top-level nodes, in `body`.
    pub root: Span,
    /// Everything parsed from its file, shared by the file's templates.
    pub body: Arc<Body>,
    /// The file it was parsed from, and its text, for positions in errors.
    pub file: Arc<(String, Arc<str>)>,
}

impl Tree {
    /// The template's top-level nodes.
    pub fn nodes(&self) -> &[Node] {
        self.body.nodes(self.root)
    }

    /// Whether the template has nothing but blank text.
    pub fn is_empty(&self) -> bool {
        self.nodes()
            .iter()
            .all(|n| matches!(n, Node::Text(t) if self.file.1[t.range()].trim().is_empty()))
    }

    /// The error at byte offset `at` of the tree's file.
    pub fn error(&self, at: usize, message: impl Into<String>) -> Error {
        error_at(&self.file.0, &self.file.1, at, message)
    }

    /// An error executing `command`, as Go words it: `executing "NAME" at
    /// <COMMAND>: MESSAGE`.
    pub fn exec_error(&self, command: &Command, message: impl std::fmt::Display) -> Error {
        let text = self
            .file
            .1
            .get(command.at..command.end)
            .unwrap_or_default()
            .trim();
        self.error(
            command.pos,
            format!("executing {:?} at <{text}>: {message}", self.name),
        )
    }
}

pub fn error_at(file: &str, text: &str, at: usize, message: impl Into<String>) -> Error {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    Error {
        template: file.to_string(),
        line,
        col,
        message: message.into(),
    }
}

/// Everything parsed from one file, in flat lists that nodes point into
/// by [`Span`] or index: a chart's templates run to megabytes and tens of
/// thousands of actions, which are a handful of allocations this way, made
/// and freed at once, rather than several per action.
#[derive(Debug, Default)]
pub struct Body {
    nodes: Vec<Node>,
    controls: Vec<Control>,
    calls: Vec<Call>,
    /// Parenthesised pipelines.
    pipes: Vec<Pipe>,
    commands: Vec<Command>,
    args: Vec<Arg>,
    /// Field chains and declared variables.
    names: Vec<Name>,
    /// String literals, unquoted.
    strings: String,
}

impl Body {
    /// An empty body with room for what `tokens` can make (each token at
    /// most one node, command, operand or name), so that no list grows by
    /// copying itself.
    fn sized(tokens: &[Token], strings: String) -> Body {
        let (mut nodes, mut commands, mut args, mut names) = (0, 0, 0, 0);
        for token in tokens {
            match token.kind {
                Kind::Text(_) => nodes += 1,
                Kind::Open => (nodes, commands) = (nodes + 1, commands + 1),
                Kind::Pipe | Kind::LeftParen => commands += 1,
                Kind::Field(_) | Kind::Variable(_) => (args, names) = (args + 1, names + 1),
                Kind::Close | Kind::RightParen | Kind::Comma | Kind::Declare | Kind::Assign => {}
                _ => args += 1,
            }
        }
        Body {
            nodes: Vec::with_capacity(nodes),
            commands: Vec::with_capacity(commands),
            args: Vec::with_capacity(args),
            names: Vec::with_capacity(names),
            strings,
            ..Body::default()
        }
    }

    pub fn nodes(&self, span: Span) -> &[Node] {
        &self.nodes[span.range()]
    }

    pub fn commands(&self, span: Span) -> &[Command] {
        &self.commands[span.range()]
    }

    pub fn args(&self, span: Span) -> &[Arg] {
        &self.args[span.range()]
    }

    pub fn names(&self, span: Span) -> &[Name] {
        &self.names[span.range()]
    }

    pub fn string(&self, span: Span) -> &str {
        &self.strings[span.range()]
    }

    pub fn control(&self, index: u32) -> &Control {
        &self.controls[index as usize]
    }

    pub fn call(&self, index: u32) -> &Call {
        &self.calls[index as usize]
    }

    pub fn pipe(&self, index: u32) -> &Pipe {
        &self.pipes[index as usize]
    }

    /// Where `node` starts, for a message about it.
    pub fn offset(&self, node: &Node) -> usize {
        let first = |pipe: &Pipe| self.commands(pipe.commands).first().map_or(0, |c| c.at);
        match node {
            Node::Action(pipe) => first(pipe),
            Node::If(control) | Node::Range(control) | Node::With(control) => {
                first(&self.control(*control).pipe)
            }
            Node::Template(call) => self.call(*call).at,
            Node::Text(span) => span.start as usize,
            Node::Break | Node::Continue => 0,
        }
    }
}

/// A node of a template; what it holds is in its file's [`Body`].
#[derive(Debug, Clone)]
pub enum Node {
    /// Text outside actions: bytes of the tree's file text.
    Text(Span),
    Action(Pipe),
    /// A [`Control`], by index.
    If(u32),
    Range(u32),
    With(u32),
    /// A [`Call`], by index.
    Template(u32),
    Break,
    Continue,
}

/// `if`, `range` or `with`: the pipeline, the body, the `else` branch.
#[derive(Debug, Clone)]
pub struct Control {
    pub pipe: Pipe,
    pub body: Span,
    pub otherwise: Span,
}

/// `{{template "name" pipe}}` (or a `block`) at byte `at`.
#[derive(Debug, Clone)]
pub struct Call {
    pub at: usize,
    pub name: String,
    pub pipe: Option<Pipe>,
}

/// `$x := cmd | cmd`: declared (or assigned) variables, then commands.
#[derive(Debug, Clone, Copy)]
pub struct Pipe {
    /// In the names.
    pub vars: Span,
    /// `=` rather than `:=`.
    pub assign: bool,
    pub commands: Span,
}

#[derive(Debug, Clone)]
pub struct Command {
    /// Where its text starts.
    pub at: usize,
    /// Where Go places it in messages: its first operand, and for a chain
    /// of fields (`.Values.a`) the second field.
    pub pos: usize,
    /// Where its text ends, for messages (`at <.Values.a.b>`).
    pub end: usize,
    pub args: Span,
}

/// An operand; chains of fields are spans of the names.
#[derive(Debug, Clone)]
pub enum Arg {
    Dot,
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// In the strings.
    String(Span),
    /// `.a.b`, from dot.
    Field(Span),
    /// `$x.a.b` (`$` is the empty name).
    Variable(Name, Span),
    /// A function name.
    Func(Name),
    /// `(pipeline)` (by index), then `.a.b` if any.
    Pipe(u32, Span),
}

/// A chain of fields a template writes, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// Byte offset of the chain in the template's text.
    pub at: usize,
    pub base: Base,
    pub fields: Vec<String>,
}

/// What a chain of fields starts from.
#[derive(Debug, Clone, PartialEq)]
pub enum Base {
    /// Dot: `.a.b`.
    Dot,
    /// A variable: `$x.a` (`$` is the empty name).
    Variable(String),
    /// A parenthesised pipeline: `(...).a`.
    Pipe,
}

/// The field chains of `nodes` of `body`, and of everything nested in them.
pub fn references(body: &Body, nodes: &[Node], found: &mut Vec<Reference>) {
    for node in nodes {
        match node {
            Node::Action(pipe) => pipe_references(body, pipe, found),
            Node::If(control) | Node::Range(control) | Node::With(control) => {
                let control = body.control(*control);
                pipe_references(body, &control.pipe, found);
                references(body, body.nodes(control.body), found);
                references(body, body.nodes(control.otherwise), found);
            }
            Node::Template(call) => {
                if let Some(pipe) = &body.call(*call).pipe {
                    pipe_references(body, pipe, found);
                }
            }
            Node::Text(_) | Node::Break | Node::Continue => {}
        }
    }
}

fn pipe_references(body: &Body, pipe: &Pipe, found: &mut Vec<Reference>) {
    for command in body.commands(pipe.commands) {
        for arg in body.args(command.args) {
            let (base, fields) = match arg {
                Arg::Field(fields) => (Base::Dot, fields),
                Arg::Variable(name, fields) => (Base::Variable(name.to_string()), fields),
                Arg::Pipe(inner, fields) => {
                    pipe_references(body, body.pipe(*inner), found);
                    (Base::Pipe, fields)
                }
                _ => continue,
            };
            if !fields.is_empty() {
                found.push(Reference {
                    at: command.at,
                    base,
                    fields: body.names(*fields).iter().map(|f| f.to_string()).collect(),
                });
            }
        }
    }
}

/// The word that ended a list (`end` or `else`) and where.
type Ending = (String, usize);

struct Parser<'a> {
    tokens: &'a mut [Token],
    pos: usize,
    file: Arc<(String, Arc<str>)>,
    /// The functions a template may call, by name.
    funcs: &'a ByName<Func>,
    defines: Vec<(String, Span)>,
    /// What is parsed, and ends in the trees.
    body: Body,
    /// Nodes, commands and operands being parsed, innermost last: a run
    /// moves into the body's lists when its list, pipeline or command ends,
    /// so that each run is contiguous there.
    nodes: Vec<Node>,
    commands: Vec<Command>,
    args: Vec<Arg>,
    /// Variables in scope, for "undefined variable" errors.
    vars: Vec<Name>,
    /// How many ranges enclose the current node.
    ranges: usize,
    /// How many control structures and parentheses enclose it.
    nesting: usize,
}

/// Deepest nesting of control structures and parentheses a template may
/// write: the parser recurses once per level.
const MAX_NESTING: usize = 500;

/// Parses the template `name`; gives it and each template it defines.
pub fn parse(
    name: &str,
    text: Arc<str>,
    funcs: &ByName<Func>,
    tokens: &mut Vec<Token>,
) -> Result<Vec<(String, Tree)>, Error> {
    let mut strings = String::new();
    lex::lex(&text, &mut strings, tokens).map_err(|(at, m)| error_at(name, &text, at, m))?;
    let file = Arc::new((name.to_string(), text));
    let body = Body::sized(tokens, strings);
    let mut parser = Parser {
        tokens,
        pos: 0,
        file: Arc::clone(&file),
        funcs,
        defines: Vec::new(),
        body,
        nodes: Vec::new(),
        commands: Vec::new(),
        args: Vec::new(),
        vars: vec![Name::from("")],
        ranges: 0,
        nesting: 0,
    };
    let (root, end) = parser.list()?;
    if let Some((word, at)) = end {
        return Err(parser.error(at, format!("unexpected {{{{{word}}}}}")));
    }
    let body = Arc::new(parser.body);
    let mut trees = vec![(
        name.to_string(),
        Tree {
            name: name.to_string(),
            root,
            body: Arc::clone(&body),
            file: Arc::clone(&file),
        },
    )];
    for (defined, root) in parser.defines {
        let tree = Tree {
            name: defined.clone(),
            root,
            body: Arc::clone(&body),
            file: Arc::clone(&file),
        };
        trees.push((defined, tree));
    }
    Ok(trees)
}

impl Parser<'_> {
    fn error(&self, at: usize, message: impl Into<String>) -> Error {
        error_at(&self.file.0, &self.file.1, at, message)
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    /// The next token, taken out of the list: the parser never reads a
    /// token's kind again once it has consumed it.
    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get_mut(self.pos).map(|t| Token {
            kind: std::mem::replace(&mut t.kind, Kind::Comma),
            at: t.at,
        });
        self.pos += 1;
        token
    }

    fn at(&self) -> usize {
        self.peek().map_or(self.file.1.len(), |t| t.at)
    }

    /// Nodes up to `{{end}}` or `{{else ...}}` (or the end of input): the
    /// nodes, and the word that ended them with its position. After `else`,
    /// the tokens of the rest of that action are left to read.
    fn list(&mut self) -> Result<(Span, Option<Ending>), Error> {
        let start = self.nodes.len();
        while let Some(token) = self.next() {
            match token.kind {
                Kind::Text(text) => self.nodes.push(Node::Text(text)),
                Kind::Open => {
                    let at = self.at();
                    match self.peek().map(|t| &t.kind) {
                        Some(Kind::Ident(word)) if matches!(&**word, "end" | "else") => {
                            let word = word.to_string();
                            self.pos += 1;
                            if word == "end" {
                                self.close()?;
                            }
                            return Ok((self.end_list(start), Some((word, at))));
                        }
                        _ => {
                            if let Some(node) = self.action()? {
                                self.nodes.push(node);
                            }
                        }
                    }
                }
                _ => return Err(self.error(token.at, "unexpected token")),
            }
        }
        Ok((self.end_list(start), None))
    }

    /// Moves the nodes from `start` of the stack into the body.
    fn end_list(&mut self, start: usize) -> Span {
        let from = self.body.nodes.len();
        self.body.nodes.extend(self.nodes.drain(start..));
        Span::new(from, self.body.nodes.len())
    }

    fn close(&mut self) -> Result<(), Error> {
        match self.next() {
            Some(Token {
                kind: Kind::Close, ..
            }) => Ok(()),
            Some(token) => Err(self.error(token.at, "unexpected token in action, expected }}")),
            None => Err(self.error(self.file.1.len(), "unclosed action")),
        }
    }

    /// The action after `{{`.
    fn action(&mut self) -> Result<Option<Node>, Error> {
        let at = self.at();
        let keyword = match self.peek().map(|t| &t.kind) {
            Some(Kind::Ident(word)) => Some(Name::clone(word)),
            _ => None,
        };
        let keyword = keyword.as_deref().unwrap_or_default();
        Ok(Some(match keyword {
            "if" | "with" | "range" => {
                self.pos += 1;
                self.control(keyword, at)?
            }
            "define" | "block" => {
                self.pos += 1;
                let name = self.template_name(keyword)?;
                let pipe = if keyword == "block" {
                    Some(self.pipe(false)?)
                } else {
                    self.close().map(|_| None)?
                };
                let saved = std::mem::replace(&mut self.vars, vec![Name::from("")]);
                self.nest(at)?;
                let listed = self.list();
                self.nesting -= 1;
                let (body, end) = listed?;
                self.vars = saved;
                match end {
                    Some((word, _)) if word == "end" => {}
                    Some((word, at)) => {
                        return Err(
                            self.error(at, format!("unexpected {{{{{word}}}}} in {keyword}"))
                        )
                    }
                    None => {
                        return Err(self.error(
                            at,
                            format!("unexpected EOF: {{{{{keyword}}}}} has no {{{{end}}}}"),
                        ))
                    }
                }
                self.defines.push((name.clone(), body));
                if keyword == "define" {
                    return Ok(None);
                }
                self.call(Call { at, name, pipe })
            }
            "template" => {
                self.pos += 1;
                let name = self.template_name("template")?;
                let pipe = match self.peek() {
                    Some(Token {
                        kind: Kind::Close, ..
                    }) => {
                        self.pos += 1;
                        None
                    }
                    _ => Some(self.pipe(false)?),
                };
                self.call(Call { at, name, pipe })
            }
            "break" | "continue" => {
                self.pos += 1;
                if self.ranges == 0 {
                    return Err(self.error(at, format!("{{{{{keyword}}}}} outside {{{{range}}}}")));
                }
                self.close()?;
                if keyword == "break" {
                    Node::Break
                } else {
                    Node::Continue
                }
            }
            _ => Node::Action(self.pipe(false)?),
        }))
    }

    fn call(&mut self, call: Call) -> Node {
        self.body.calls.push(call);
        Node::Template(self.body.calls.len() as u32 - 1)
    }

    fn template_name(&mut self, keyword: &str) -> Result<String, Error> {
        match self.next() {
            Some(Token {
                kind: Kind::String(name),
                ..
            }) => Ok(self.body.string(name).to_string()),
            Some(token) => Err(self.error(
                token.at,
                format!("unexpected token in {keyword} clause, expected a quoted name"),
            )),
            None => Err(self.error(self.file.1.len(), "unclosed action")),
        }
    }

    /// `if`, `with` or `range`, after the keyword: pipeline, body, `else`
    /// (with `else if`/`else with` chains), `end`.
    fn control(&mut self, keyword: &str, at: usize) -> Result<Node, Error> {
        self.nest(at)?;
        let node = self.control_body(keyword, at);
        self.nesting -= 1;
        node
    }

    /// Counts one more level of nesting, refused past [`MAX_NESTING`].
    fn nest(&mut self, at: usize) -> Result<(), Error> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.error(
                at,
                format!("actions nest more than {MAX_NESTING} levels deep"),
            ));
        }
        Ok(())
    }

    fn control_body(&mut self, keyword: &str, at: usize) -> Result<Node, Error> {
        let scope = self.vars.len();
        let pipe = self.pipe(keyword == "range")?;
        if keyword == "range" {
            self.ranges += 1;
        }
        let (body, end) = self.list()?;
        if keyword == "range" {
            self.ranges -= 1;
        }
        let otherwise = match end {
            Some((word, _)) if word == "end" => Span::default(),
            Some((_, else_at)) => match self.peek().map(|t| t.kind.clone()) {
                // `{{else if ...}}`: an `if` in the else branch, ending with this `end`.
                Some(Kind::Ident(next)) if &*next == keyword && keyword != "range" => {
                    self.pos += 1;
                    let node = self.control(&next, else_at)?;
                    let from = self.body.nodes.len();
                    self.body.nodes.push(node);
                    Span::new(from, from + 1)
                }
                _ => {
                    self.close()?;
                    let (otherwise, end) = self.list()?;
                    match end {
                        Some((word, _)) if word == "end" => otherwise,
                        Some((word, at)) => {
                            return Err(self.error(
                                at,
                                format!("unexpected {{{{{word}}}}} after {{{{else}}}}"),
                            ))
                        }
                        None => {
                            return Err(self.error(
                                at,
                                format!("unexpected EOF: {{{{{keyword}}}}} has no {{{{end}}}}"),
                            ))
                        }
                    }
                }
            },
            None => {
                return Err(self.error(
                    at,
                    format!("unexpected EOF: {{{{{keyword}}}}} has no {{{{end}}}}"),
                ))
            }
        };
        self.vars.truncate(scope);
        self.body.controls.push(Control {
            pipe,
            body,
            otherwise,
        });
        let control = self.body.controls.len() as u32 - 1;
        Ok(match keyword {
            "if" => Node::If(control),
            "with" => Node::With(control),
            _ => Node::Range(control),
        })
    }

    /// A pipeline up to `}}` (consumed) or `)` (not consumed).
    fn pipe(&mut self, range: bool) -> Result<Pipe, Error> {
        let at = self.at();
        let mut vars = Vec::new();
        let mut assign = false;
        // `$x :=`, `$x =`, and for range `$i, $e :=`.
        let start = self.pos;
        loop {
            match (
                self.tokens.get(self.pos).map(|t| &t.kind),
                self.tokens.get(self.pos + 1).map(|t| &t.kind),
            ) {
                (Some(Kind::Variable(name)), Some(Kind::Declare | Kind::Assign)) => {
                    assign = matches!(self.tokens[self.pos + 1].kind, Kind::Assign);
                    vars.push(name.clone());
                    self.pos += 2;
                    break;
                }
                (Some(Kind::Variable(name)), Some(Kind::Comma)) if range && vars.is_empty() => {
                    vars.push(name.clone());
                    self.pos += 2;
                }
                _ => {
                    vars.clear();
                    self.pos = start;
                    break;
                }
            }
        }
        if assign {
            for var in &vars {
                if !self.vars.contains(var) {
                    return Err(self.error(at, format!("undefined variable \"${var}\"")));
                }
            }
        }
        let start = self.commands.len();
        loop {
            let command = self.command()?;
            self.commands.push(command);
            match self.peek().map(|t| &t.kind) {
                Some(Kind::Pipe) => {
                    self.pos += 1;
                }
                Some(Kind::Close) => {
                    self.pos += 1;
                    break;
                }
                Some(Kind::RightParen) => break,
                Some(_) => return Err(self.error(self.at(), "unexpected token in pipeline")),
                None => return Err(self.error(self.file.1.len(), "unclosed action")),
            }
        }
        if !assign {
            self.vars.extend(vars.iter().cloned());
        }
        let from = self.body.names.len();
        self.body.names.extend(vars);
        let vars = Span::new(from, self.body.names.len());
        let from = self.body.commands.len();
        self.body.commands.extend(self.commands.drain(start..));
        Ok(Pipe {
            vars,
            assign,
            commands: Span::new(from, self.body.commands.len()),
        })
    }

    fn command(&mut self) -> Result<Command, Error> {
        let at = self.at();
        let mut pos = None;
        // Operands gather on the parser's stack (a parenthesised pipeline's
        // above them), then move into one exact allocation.
        let start = self.args.len();
        while let Some(Token { kind, at }) = self.peek() {
            let at = *at;
            let arg = match kind {
                Kind::Close | Kind::Pipe | Kind::RightParen => break,
                Kind::Field(_) => {
                    let fields = self.fields(at);
                    let count = fields.range().len();
                    if count > 1 && self.args.len() == start {
                        let second = self.tokens[self.pos - count + 1].at;
                        pos.get_or_insert(second);
                    }
                    Arg::Field(fields)
                }
                Kind::LeftParen => {
                    self.pos += 1;
                    self.nest(at)?;
                    let inner = self.pipe(false);
                    self.nesting -= 1;
                    let inner = inner?;
                    let end = match self.next() {
                        Some(Token {
                            kind: Kind::RightParen,
                            at,
                        }) => at + 1,
                        _ => return Err(self.error(at, "unclosed left paren")),
                    };
                    self.body.pipes.push(inner);
                    Arg::Pipe(self.body.pipes.len() as u32 - 1, self.fields(end))
                }
                _ => match self.next().map(|t| t.kind) {
                    Some(Kind::Dot) => Arg::Dot,
                    Some(Kind::Nil) => Arg::Nil,
                    Some(Kind::Bool(b)) => Arg::Bool(b),
                    Some(Kind::Int(i)) => Arg::Int(i),
                    Some(Kind::Float(f)) => Arg::Float(f),
                    Some(Kind::String(s)) => Arg::String(s),
                    Some(Kind::Variable(name)) => {
                        if !self.vars.contains(&name) {
                            return Err(self.error(at, format!("undefined variable \"${name}\"")));
                        }
                        let end = at + 1 + name.len();
                        Arg::Variable(name, self.fields(end))
                    }
                    Some(Kind::Ident(name)) => {
                        if !self.funcs.contains_key(&*name) {
                            return Err(self.error(at, format!("function \"{name}\" not defined")));
                        }
                        Arg::Func(name)
                    }
                    _ => return Err(self.error(at, "unexpected token in operand")),
                },
            };
            self.args.push(arg);
        }
        if self.args.len() == start {
            return Err(self.error(at, "missing value for command"));
        }
        let end = self.at();
        let from = self.body.args.len();
        self.body.args.extend(self.args.drain(start..));
        Ok(Command {
            at,
            pos: pos.unwrap_or(at),
            end,
            args: Span::new(from, self.body.args.len()),
        })
    }

    /// The `.a.b` tokens written right after byte `end` (no space between),
    /// as names.
    fn fields(&mut self, mut end: usize) -> Span {
        let (from, start) = (self.body.names.len(), self.pos);
        while let Some(Token {
            kind: Kind::Field(name),
            at,
        }) = self.tokens.get(self.pos)
        {
            if *at != end {
                break;
            }
            end = *at + 1 + name.len();
            self.pos += 1;
        }
        for token in &mut self.tokens[start..self.pos] {
            if let Kind::Field(name) = std::mem::replace(&mut token.kind, Kind::Comma) {
                self.body.names.push(name);
            }
        }
        Span::new(from, self.body.names.len())
    }
}
