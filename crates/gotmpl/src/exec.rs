//! Executing a template tree against data, with Go's semantics: dot and
//! variables, pipelines passing their value as the last argument, truth,
//! `range` over lists, maps (in key order) and integers, `<no value>` for a
//! missing value, and Go's built-in functions.

use std::sync::Arc;

use crate::lex::Name;
use crate::parse::{Arg, Call, Command, Control, Node, Pipe, Tree};
use crate::value::{Func, Site, SiteFunc, Value};
use crate::{ByName, Error};

/// Deepest nesting of `template` calls.
const MAX_DEPTH: usize = 1000;

enum Flow {
    Normal,
    Break,
    Continue,
}

/// Most times one template may be included inside itself (Helm's limit).
const MAX_INCLUDES: usize = 1000;

/// Most actions, texts and loop passes one execution runs: a template
/// that loops without end stops with an error instead of hanging.
pub const MAX_STEPS: u64 = 20_000_000;

/// Stack left below which a nested list runs on a new segment, and the
/// segment's size.
const STACK_RED_ZONE: usize = 128 * 1024;
const STACK_GROWTH: usize = 4 * 1024 * 1024;

/// Longest text a template may print, and longest string a function may
/// return: what a runaway template builds is refused, not held in memory.
pub const MAX_TEXT: usize = 32 << 20;

struct Exec<'a> {
    trees: &'a ByName<Arc<Tree>>,
    funcs: &'a ByName<Func>,
    sited: &'a ByName<SiteFunc>,
    /// The template executed: where every call of this execution is.
    root: &'a str,
    out: String,
    depth: usize,
    /// Templates that `tpl` texts defined, innermost last.
    local: Vec<ByName<Arc<Tree>>>,
    /// How deep each template is included in itself now.
    including: ByName<usize>,
    /// Nodes and loop passes run so far, against [`MAX_STEPS`].
    steps: u64,
}

pub fn execute(
    trees: &ByName<Arc<Tree>>,
    funcs: &ByName<Func>,
    sited: &ByName<SiteFunc>,
    name: &str,
    data: &Value,
) -> Result<String, Error> {
    let Some(tree) = trees.get(name) else {
        return Err(Error {
            template: name.to_string(),
            line: 0,
            col: 0,
            message: format!("no template {name:?}"),
        });
    };
    let mut exec = Exec {
        trees,
        funcs,
        sited,
        root: name,
        // A template prints about as much as it is long.
        out: String::with_capacity(tree.file.1.len()),
        depth: 0,
        local: Vec::new(),
        including: ByName::default(),
        steps: 0,
    };
    let mut vars = vec![(Name::from(""), data.clone())];
    exec.list(tree, tree.nodes(), data, &mut vars)?;
    Ok(exec.out)
}

impl Exec<'_> {
    /// The template `name`: one a `tpl` text defined, else one of the set.
    fn lookup(&self, name: &str) -> Option<Arc<Tree>> {
        self.local
            .iter()
            .rev()
            .find_map(|set| set.get(name).cloned())
            .or_else(|| self.trees.get(name).cloned())
    }

    /// `include NAME DATA`: the output of template NAME with DATA as dot.
    fn include(&mut self, args: &[Value]) -> Result<Value, String> {
        let (name, data) = match args {
            [Value::String(name)] => (name.clone(), Value::Nil),
            [Value::String(name), data] => (name.clone(), data.clone()),
            _ => {
                return Err(format!(
                    "wrong number of args for include: want 2 got {}",
                    args.len()
                ))
            }
        };
        let Some(called) = self.lookup(&name) else {
            return Err(format!(
                "template: no template {name:?} associated with template \"gotpl\""
            ));
        };
        let count = self.including.entry(name.clone()).or_default();
        if *count >= MAX_INCLUDES {
            return Err(format!("rendering template has a nested reference name: {name}: unable to execute template"));
        }
        *count += 1;
        let saved = std::mem::take(&mut self.out);
        let mut vars = vec![(Name::from(""), data.clone())];
        let result = self.list(&called, called.nodes(), &data, &mut vars);
        let text = std::mem::replace(&mut self.out, saved);
        if let Some(count) = self.including.get_mut(&name) {
            *count -= 1;
        }
        result.map_err(|e| e.to_string())?;
        Ok(Value::String(text))
    }

    /// `tpl TEXT DATA`: TEXT parsed as a template of the calling one's name,
    /// its defines visible to it, executed with DATA as dot.
    fn tpl(&mut self, tree: &Tree, args: &[Value]) -> Result<Value, String> {
        let (text, data) = match args {
            [Value::String(text), data] => (text.clone(), data.clone()),
            [other, _] => {
                return Err(format!(
                    "wrong type for value; expected string; got {}",
                    other.type_name()
                ))
            }
            _ => {
                return Err(format!(
                    "wrong number of args for tpl: want 2 got {}",
                    args.len()
                ))
            }
        };
        let parsed = crate::parse::parse(&tree.name, text.into(), self.funcs, &mut Vec::new())
            .map_err(|e| e.to_string())?;
        let set: ByName<Arc<Tree>> = parsed.into_iter().map(|(n, t)| (n, Arc::new(t))).collect();
        let Some(main) = set.get(&tree.name).cloned() else {
            return Ok(Value::String(String::new()));
        };
        if self.depth >= MAX_DEPTH {
            return Err(format!("exceeded maximum template depth ({MAX_DEPTH})"));
        }
        self.depth += 1;
        self.local.push(set);
        let saved = std::mem::take(&mut self.out);
        let mut vars = vec![(Name::from(""), data.clone())];
        let result = self.list(&main, main.nodes(), &data, &mut vars);
        let output = std::mem::replace(&mut self.out, saved);
        self.local.pop();
        self.depth -= 1;
        result.map_err(|e| e.to_string())?;
        Ok(Value::String(output))
    }

    fn list(
        &mut self,
        tree: &Tree,
        nodes: &[Node],
        dot: &Value,
        vars: &mut Vec<(Name, Value)>,
    ) -> Result<Flow, Error> {
        for node in nodes {
            self.step(tree, || tree.body.offset(node))?;
            // Templates recurse through include and tpl: grow the stack
            // rather than overflow it.
            let flow = stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
                self.node(tree, node, dot, vars)
            })?;
            match flow {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    /// Counts one step against [`MAX_STEPS`] (`at`: where, for the message).
    fn step(&mut self, tree: &Tree, at: impl FnOnce() -> usize) -> Result<(), Error> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(tree.error(
                at(),
                format!("template runs more than {MAX_STEPS} steps: a loop that does not end?"),
            ));
        }
        Ok(())
    }

    /// Runs `nodes` in a scope of their own: variables they declare end with them.
    fn scoped(
        &mut self,
        tree: &Tree,
        nodes: &[Node],
        dot: &Value,
        vars: &mut Vec<(Name, Value)>,
    ) -> Result<Flow, Error> {
        let mark = vars.len();
        let flow = self.list(tree, nodes, dot, vars);
        vars.truncate(mark);
        flow
    }

    fn node(
        &mut self,
        tree: &Tree,
        node: &Node,
        dot: &Value,
        vars: &mut Vec<(Name, Value)>,
    ) -> Result<Flow, Error> {
        match node {
            Node::Text(span) => self.out.push_str(&tree.file.1[span.range()]),
            Node::Action(pipe) => {
                let value = self.pipe(tree, pipe, dot, vars)?;
                if pipe.vars.is_empty() {
                    print(&mut self.out, &value);
                }
                if self.out.len() > MAX_TEXT {
                    return Err(tree.error(
                        tree.body.offset(node),
                        format!("template output exceeds {} MiB", MAX_TEXT >> 20),
                    ));
                }
            }
            Node::If(control) | Node::With(control) => {
                let Control {
                    pipe,
                    body,
                    otherwise,
                } = tree.body.control(*control);
                let (body, otherwise) = (tree.body.nodes(*body), tree.body.nodes(*otherwise));
                let mark = vars.len();
                let value = self.pipe(tree, pipe, dot, vars)?;
                // `with` runs its body with the value as dot; `if` keeps dot.
                let inner = if matches!(node, Node::With(_)) {
                    &value
                } else {
                    dot
                };
                let flow = if value.truthy() {
                    self.scoped(tree, body, inner, vars)?
                } else {
                    self.scoped(tree, otherwise, dot, vars)?
                };
                vars.truncate(mark);
                return Ok(flow);
            }
            Node::Range(control) => {
                let Control {
                    pipe,
                    body,
                    otherwise,
                } = tree.body.control(*control);
                let (body, otherwise) = (tree.body.nodes(*body), tree.body.nodes(*otherwise));
                let first = &tree.body.commands(pipe.commands)[0];
                let mark = vars.len();
                // The variables are set per element, not to the pipeline's value.
                let value = self.evaluate(tree, pipe, dot, vars)?;
                let items: Vec<(Value, Value)> = match value.plain() {
                    Value::List(items) => items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (Value::Int(i as i64), v.clone()))
                        .collect(),
                    Value::Map(entries) => entries
                        .entries()
                        .into_iter()
                        .map(|(k, v)| (Value::String(k), v))
                        .collect(),
                    Value::Int(n) if *n > MAX_STEPS as i64 => {
                        return Err(tree.exec_error(
                            first,
                            format!("range over {n}: more than {MAX_STEPS} passes"),
                        ));
                    }
                    Value::Int(n) => (0..*n).map(|i| (Value::Int(i), Value::Int(i))).collect(),
                    Value::Nil => Vec::new(),
                    other => {
                        return Err(tree.exec_error(
                            first,
                            format!("range can't iterate over {}", other.go_string()),
                        ));
                    }
                };
                if items.is_empty() {
                    let flow = self.scoped(tree, otherwise, dot, vars)?;
                    vars.truncate(mark);
                    return Ok(flow);
                }
                for (key, item) in items {
                    self.step(tree, || first.at)?;
                    let inner = vars.len();
                    match tree.body.names(pipe.vars) {
                        [element] => vars.push((element.clone(), item.clone())),
                        [index, element] => {
                            vars.push((index.clone(), key));
                            vars.push((element.clone(), item.clone()));
                        }
                        _ => {}
                    }
                    let flow = self.list(tree, body, &item, vars)?;
                    vars.truncate(inner);
                    if let Flow::Break = flow {
                        break;
                    }
                }
                vars.truncate(mark);
            }
            Node::Template(call) => {
                let Call { at, name, pipe } = tree.body.call(*call);
                let value = match pipe {
                    Some(pipe) => self.pipe(tree, pipe, dot, vars)?,
                    None => Value::Nil,
                };
                let Some(called) = self.lookup(name) else {
                    return Err(tree.error(*at, format!("no such template {name:?}")));
                };
                if self.depth >= MAX_DEPTH {
                    return Err(tree.error(
                        *at,
                        format!("exceeded maximum template depth ({MAX_DEPTH})"),
                    ));
                }
                self.depth += 1;
                let mut inner = vec![(Name::from(""), value.clone())];
                let result = self.list(&called, called.nodes(), &value, &mut inner);
                self.depth -= 1;
                result?;
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn pipe(
        &mut self,
        tree: &Tree,
        pipe: &Pipe,
        dot: &Value,
        vars: &mut Vec<(Name, Value)>,
    ) -> Result<Value, Error> {
        let value = self.evaluate(tree, pipe, dot, vars)?;
        for name in tree.body.names(pipe.vars) {
            if pipe.assign {
                if let Some(slot) = vars.iter_mut().rev().find(|(n, _)| n == name) {
                    slot.1 = value.clone();
                }
            } else {
                vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    /// The pipeline's value, its variables left unset.
    fn evaluate(
        &mut self,
        tree: &Tree,
        pipe: &Pipe,
        dot: &Value,
        vars: &mut Vec<(Name, Value)>,
    ) -> Result<Value, Error> {
        let mut value: Option<Value> = None;
        for command in tree.body.commands(pipe.commands) {
            value = Some(self.command(tree, command, dot, vars, value)?);
        }
        Ok(value.unwrap_or_default())
    }

    fn command(
        &mut self,
        tree: &Tree,
        command: &Command,
        dot: &Value,
        vars: &mut Vec<(Name, Value)>,
        piped: Option<Value>,
    ) -> Result<Value, Error> {
        let Some((first, rest)) = tree.body.args(command.args).split_first() else {
            return Err(tree.error(command.at, "missing value for command"));
        };
        if let Arg::Func(name) = first {
            // `and` and `or` stop at the first argument that decides.
            if &**name == "and" || &**name == "or" {
                let mut last = Value::Nil;
                let count = rest.len() + usize::from(piped.is_some());
                if count == 0 {
                    return Err(tree.exec_error(
                        command,
                        format!("wrong number of args for {name}: want at least 1 got 0"),
                    ));
                }
                for arg in rest {
                    last = self.arg(tree, arg, dot, vars, command)?;
                    if last.truthy() == (&**name == "or") {
                        return Ok(last);
                    }
                }
                if let Some(piped) = piped {
                    last = piped;
                }
                return Ok(last);
            }
            let args = self.operands(tree, command, rest, piped, dot, vars)?;
            return self.call(tree, command, name, &args);
        }
        if !rest.is_empty() || piped.is_some() {
            // `.Files.Get "x"`: the last field of a chain may be a method.
            let chain = match first {
                Arg::Field(fields) => Some((dot.clone(), tree.body.names(*fields))),
                Arg::Variable(name, fields) => {
                    Some((self.variable(vars, name), tree.body.names(*fields)))
                }
                Arg::Pipe(pipe, fields) if !fields.is_empty() => {
                    let value = self.evaluate(tree, tree.body.pipe(*pipe), dot, vars)?;
                    Some((value, tree.body.names(*fields)))
                }
                _ => None,
            };
            if let Some((base, fields)) = chain {
                if let Some((method, path)) = fields.split_last() {
                    let receiver =
                        fields_of(&base, path).map_err(|m| tree.exec_error(command, m))?;
                    if let Value::Object(object) = &receiver {
                        if let Some(func) = object.methods.get(&**method) {
                            let args = self.operands(tree, command, rest, piped, dot, vars)?;
                            return func(&args).map_err(|message| {
                                tree.exec_error(
                                    command,
                                    format!("error calling {method}: {message}"),
                                )
                            });
                        }
                    }
                }
            }
            let what = match first {
                Arg::Field(fields) => format!(".{}", tree.body.names(*fields).join(".")),
                _ => "a value".into(),
            };
            return Err(tree.exec_error(
                command,
                format!("can't give argument to non-function {what}"),
            ));
        }
        self.arg(tree, first, dot, vars, command)
    }

    /// The arguments a function or method gets: the operands after its
    /// name, then the piped value, without methods.
    fn operands(
        &mut self,
        tree: &Tree,
        command: &Command,
        rest: &[Arg],
        piped: Option<Value>,
        dot: &Value,
        vars: &mut Vec<(Name, Value)>,
    ) -> Result<Vec<Value>, Error> {
        let mut args = Vec::with_capacity(rest.len() + 1);
        for arg in rest {
            args.push(given(self.arg(tree, arg, dot, vars, command)?));
        }
        args.extend(piped.map(given));
        Ok(args)
    }

    /// Calls the function `name` of `command` with `args`; `include` and
    /// `tpl` execute templates of the set themselves.
    fn call(
        &mut self,
        tree: &Tree,
        command: &Command,
        name: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let runs_templates = name == "include" || name == "tpl";
        let result = if runs_templates && self.funcs.contains_key(name) {
            if name == "include" {
                self.include(args)
            } else {
                self.tpl(tree, args)
            }
        } else if let Some(func) = self.sited.get(name) {
            let site = Site {
                root: self.root.to_string(),
                file: tree.file.0.clone(),
                offset: command.at,
            };
            func(&site, args)
        } else {
            let func = self.funcs.get(name).ok_or_else(|| {
                tree.exec_error(command, format!("function \"{name}\" not defined"))
            })?;
            func(args)
        };
        match result {
            Ok(Value::String(text)) if text.len() > MAX_TEXT => Err(tree.exec_error(
                command,
                format!(
                    "error calling {name}: its result is {} MiB, more than {} MiB",
                    text.len() >> 20,
                    MAX_TEXT >> 20
                ),
            )),
            result => result.map_err(|message| {
                tree.exec_error(command, format!("error calling {name}: {message}"))
            }),
        }
    }

    fn variable(&self, vars: &[(Name, Value)], name: &str) -> Value {
        vars.iter()
            .rev()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// One operand's value; errors name `command`, the operand's.
    fn arg(
        &mut self,
        tree: &Tree,
        arg: &Arg,
        dot: &Value,
        vars: &mut Vec<(Name, Value)>,
        command: &Command,
    ) -> Result<Value, Error> {
        Ok(match arg {
            Arg::Dot => dot.clone(),
            Arg::Nil => Value::Nil,
            Arg::Bool(b) => Value::Bool(*b),
            Arg::Int(i) => Value::Int(*i),
            Arg::Float(f) => Value::Float(*f),
            Arg::String(s) => Value::String(tree.body.string(*s).to_string()),
            Arg::Field(fields) => {
                fields_of(dot, tree.body.names(*fields)).map_err(|m| tree.exec_error(command, m))?
            }
            Arg::Variable(name, fields) => {
                let value = self.variable(vars, name);
                fields_of(&value, tree.body.names(*fields))
                    .map_err(|m| tree.exec_error(command, m))?
            }
            Arg::Func(name) => self.call(tree, command, name, &[])?,
            Arg::Pipe(pipe, fields) => {
                let value = self.pipe(tree, tree.body.pipe(*pipe), dot, vars)?;
                fields_of(&value, tree.body.names(*fields))
                    .map_err(|m| tree.exec_error(command, m))?
            }
        })
    }
}

/// What a function is given for `value`: the value without methods, but
/// a value that prints its own way (Go's `Stringer`: times, versions) stays
/// itself, so that printing functions show it as Go does.
fn given(value: Value) -> Value {
    match &value {
        Value::Object(object) if object.shown.is_some() => value,
        _ => value.plain().clone(),
    }
}

/// `value.a.b`: map lookups; a missing key is nil, a field of nil an error;
/// a method of an object is called without arguments. A field of a nil
/// base (dot, a variable or a parenthesised pipeline) is nil, as in Go,
/// where such a nil has no type to complain about.
fn fields_of(value: &Value, fields: &[Name]) -> Result<Value, String> {
    if *value == Value::Nil {
        return Ok(Value::Nil);
    }
    let mut current = value.clone();
    for field in fields {
        if let Value::Object(object) = &current {
            if let Some(method) = object.methods.get(&**field) {
                current = method(&[]).map_err(|m| format!("error calling {field}: {m}"))?;
                continue;
            }
            current = object.value().clone();
        }
        current = match current {
            Value::Map(entries) => entries.get(field).unwrap_or_default(),
            Value::Nil => return Err(format!("nil pointer evaluating interface {{}}.{field}")),
            // Data is untyped, as Helm's: Go names the type `interface {}`.
            _ => {
                return Err(format!(
                    "can't evaluate field {field} in type interface {{}}"
                ))
            }
        };
    }
    Ok(current)
}

/// Prints an action's value: `<no value>` for nil, else as `%v`.
fn print(out: &mut String, value: &Value) {
    match value {
        Value::Nil => out.push_str("<no value>"),
        other => out.push_str(&other.go_string()),
    }
}

/// Go's built-in template functions.
pub fn builtins() -> ByName<Func> {
    let mut funcs: ByName<Func> = ByName::default();
    let mut add = |name: &str, f: Func| {
        funcs.insert(name.to_string(), f);
    };
    // Handled by the executor (they do not evaluate every argument).
    add("and", Arc::new(|_| Ok(Value::Nil)));
    add("or", Arc::new(|_| Ok(Value::Nil)));
    add(
        "not",
        Arc::new(|args| match args {
            [value] => Ok(Value::Bool(!value.truthy())),
            _ => Err(format!(
                "wrong number of args for not: want 1 got {}",
                args.len()
            )),
        }),
    );
    add(
        "len",
        Arc::new(|args| match args {
            [Value::String(s)] => Ok(Value::Int(s.len() as i64)),
            [Value::List(l)] => Ok(Value::Int(l.len() as i64)),
            [Value::Map(m)] => Ok(Value::Int(m.len() as i64)),
            [other] => Err(format!("len of type {}", other.type_name())),
            _ => Err(format!(
                "wrong number of args for len: want 1 got {}",
                args.len()
            )),
        }),
    );
    add(
        "index",
        Arc::new(|args| {
            let Some((first, keys)) = args.split_first() else {
                return Err("wrong number of args for index: want at least 1 got 0".into());
            };
            let mut current = first.clone();
            for key in keys {
                current = match (&current, key) {
                    (Value::List(items), Value::Int(i)) => {
                        let index =
                            usize::try_from(*i).map_err(|_| format!("index out of range: {i}"))?;
                        items
                            .get(index)
                            .cloned()
                            .ok_or(format!("index out of range: {i}"))?
                    }
                    (Value::Map(entries), Value::String(k)) => entries.get(k).unwrap_or_default(),
                    (Value::Nil, _) => return Err("index of untyped nil".into()),
                    (Value::Map(_), other) => {
                        return Err(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        ))
                    }
                    (other, _) => {
                        return Err(format!("can't index item of type {}", other.type_name()))
                    }
                };
            }
            Ok(current)
        }),
    );
    add("print", Arc::new(|args| Ok(Value::String(sprint(args)))));
    add("slice", Arc::new(slice));
    add(
        "html",
        Arc::new(|args| Ok(Value::String(escape_html(&sprint(args))))),
    );
    add(
        "js",
        Arc::new(|args| Ok(Value::String(escape_js(&sprint(args))))),
    );
    add(
        "urlquery",
        Arc::new(|args| Ok(Value::String(escape_query(&sprint(args))))),
    );
    add(
        "printf",
        Arc::new(|args| match args.split_first() {
            Some((Value::String(format), rest)) => {
                Ok(Value::String(crate::printf::sprintf(format, rest)))
            }
            Some((other, _)) => Err(format!(
                "wrong type for value; expected string; got {}",
                other.type_name()
            )),
            None => Err("wrong number of args for printf: want at least 1 got 0".into()),
        }),
    );
    add(
        "println",
        Arc::new(|args| {
            let parts: Vec<String> = args.iter().map(Value::go_string).collect();
            Ok(Value::String(parts.join(" ") + "\n"))
        }),
    );
    add(
        "eq",
        Arc::new(|args| {
            let Some((first, rest)) = args.split_first().filter(|(_, r)| !r.is_empty()) else {
                return Err("missing argument for comparison".into());
            };
            for other in rest {
                if equal(first, other)? {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }),
    );
    add(
        "ne",
        Arc::new(|args| match args {
            [a, b] => Ok(Value::Bool(!equal(a, b)?)),
            _ => Err(format!(
                "wrong number of args for ne: want 2 got {}",
                args.len()
            )),
        }),
    );
    for (name, wanted) in [
        ("lt", [std::cmp::Ordering::Less].as_slice()),
        ("le", &[std::cmp::Ordering::Less, std::cmp::Ordering::Equal]),
        ("gt", &[std::cmp::Ordering::Greater]),
        (
            "ge",
            &[std::cmp::Ordering::Greater, std::cmp::Ordering::Equal],
        ),
    ] {
        let wanted = wanted.to_vec();
        let label = name.to_string();
        add(
            name,
            Arc::new(move |args| match args {
                [a, b] => Ok(Value::Bool(wanted.contains(&order(a, b)?))),
                _ => Err(format!(
                    "wrong number of args for {label}: want 2 got {}",
                    args.len()
                )),
            }),
        );
    }
    funcs
}

/// `slice x 1 2`: a part of a string (by bytes) or a list.
fn slice(args: &[Value]) -> Result<Value, String> {
    let Some((item, bounds)) = args.split_first() else {
        return Err("wrong number of args for slice: want at least 1 got 0".into());
    };
    let length = match item {
        Value::String(s) => s.len(),
        Value::List(l) => l.len(),
        Value::Nil => return Err("slice of untyped nil".into()),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    if bounds.len() > 2 {
        return Err(format!("too many slice indexes: {}", bounds.len()));
    }
    let mut indexes = [0, length];
    for (slot, bound) in indexes.iter_mut().zip(bounds) {
        *slot = match bound {
            Value::Int(i) if *i >= 0 => *i as usize,
            Value::Int(i) => return Err(format!("index out of range: {i}")),
            other => {
                return Err(format!(
                    "cannot index slice/array with type {}",
                    other.type_name()
                ))
            }
        };
    }
    let [start, end] = indexes;
    if start > end {
        return Err(format!("invalid slice index: {start} > {end}"));
    }
    if end > length {
        return Err(format!("index out of range: {end}"));
    }
    Ok(match item {
        Value::String(s) => {
            Value::String(String::from_utf8_lossy(&s.as_bytes()[start..end]).into_owned())
        }
        Value::List(l) => Value::List(l[start..end].to_vec()),
        _ => Value::Nil,
    })
}

/// `html`: Go's HTMLEscapeString.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `js`: Go's JSEscapeString.
fn escape_js(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `urlquery`: Go's QueryEscape.
fn escape_query(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `fmt.Sprint`: a space between operands when neither is a string.
fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 && !matches!(arg, Value::String(_)) && !matches!(args[i - 1], Value::String(_)) {
            out.push(' ');
        }
        out.push_str(&arg.go_string());
    }
    out
}

/// Go's `eq` for two values: basic kinds compare, nil equals only nil, and
/// values of different kinds (an int and a float) are an error.
fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    Ok(match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Nil, _) | (_, Value::Nil) => false,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::List(_) | Value::Map(_), _) | (_, Value::List(_) | Value::Map(_)) => {
            return Err(format!(
                "non-comparable types {}: {}, {}: {}",
                a.type_name(),
                a.go_string(),
                b.type_name(),
                b.go_string()
            ))
        }
        _ => {
            return Err(format!(
                "incompatible types for comparison: {} and {}",
                a.type_name(),
                b.type_name()
            ))
        }
    })
}

/// Go's ordering for `lt`, `le`, `gt`, `ge`: integers, floats and strings,
/// each only with its own kind.
fn order(a: &Value, b: &Value) -> Result<std::cmp::Ordering, String> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x
            .partial_cmp(y)
            .ok_or_else(|| "invalid type for comparison".into()),
        (Value::String(x), Value::String(y)) => Ok(x.cmp(y)),
        (
            Value::Int(_) | Value::Float(_) | Value::String(_),
            Value::Int(_) | Value::Float(_) | Value::String(_),
        ) => Err("incompatible types for comparison".into()),
        _ => Err("invalid type for comparison".into()),
    }
}
