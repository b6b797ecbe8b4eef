//! The flow check: the schema node each name stands for, followed through
//! the template's syntax tree, so a typo read through an alias is caught as
//! surely as one in `values.imge.tag`.
//!
//! Names get a schema node from `{% set s = values.service %}`, from `for`
//! over a list of objects (`rule` in `for rule in values.routes`) or over a
//! map's `items` (`v` in `for k, v in values.sidecars | items`), from `with`,
//! and from macro arguments: a call `h.probe(values.probes.liveness)` checks
//! the macro's body with `p` standing for that node, in imported helpers too.
//! Reading a field such a node does not declare is an error at the template
//! line, with "did you mean", in branches not taken too; so is `is defined`
//! on it. Concatenating a boolean with `~` is an error: minijinja prints it
//! as `True`. Where a name's schema cannot be known (built by a filter, a
//! map or list literal), nothing is said. Paths written from `values`
//! directly are the path check's ([`super::check`]), not reported twice.
//!
//! The syntax tree is minijinja's unstable machinery, pinned by Cargo.lock.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use minijinja::machinery::ast::{self, CallArg, Expr, Stmt};
use minijinja::machinery::Span;

use crate::authoring::package::Package;
use crate::authoring::values::{Kind, Schema};
use crate::shared::diagnostics::{did_you_mean, Diagnostic, Origin, Source};

use super::functions::MAP_METHODS;

/// Deepest chain of macro calls followed into macro bodies.
const MAX_CALL_DEPTH: usize = 8;

/// What a name stands for, as far as the check knows.
#[derive(Clone)]
enum Ty<'s> {
    /// A node of the values schema, and how to name it (`values.routes[]`).
    Schema(&'s Schema, String),
    /// The pairs of a map's `items`: the schema of its values, if one.
    Items(Option<(&'s Schema, String)>),
    /// An imported helper template.
    Module(String),
    /// A macro: the template it is in and its name.
    Macro(String, String),
    Unknown,
}

/// Checks every template of `package`: fields read through names that
/// stand for schema nodes.
pub fn check(package: &Package, schema: &Schema) -> Vec<Diagnostic> {
    let names: Vec<&str> = package.templates.iter().map(|t| t.name.as_str()).collect();
    let parsed: HashMap<&str, (Arc<Source>, Stmt<'_>)> = package
        .templates
        .iter()
        .filter_map(|t| {
            let tree = minijinja::machinery::parse(&t.text, &t.name, Default::default()).ok()?;
            Some((t.name.as_str(), (Arc::clone(t), tree)))
        })
        .collect();
    let mut checker = Checker {
        root: schema,
        parsed: &parsed,
        names: &names,
        problems: Vec::new(),
        seen: HashSet::new(),
        followed: HashSet::new(),
        depth: 0,
    };
    for template in &package.templates {
        if let Some((_, tree)) = parsed.get(template.name.as_str()) {
            let mut scope = Scope::new(&template.name);
            checker.stmt(tree, &mut scope);
        }
    }
    checker.problems
}

/// Names bound in a template, innermost block last.
struct Scope<'s> {
    template: String,
    frames: Vec<HashMap<String, Ty<'s>>>,
}

impl<'s> Scope<'s> {
    fn new(template: &str) -> Scope<'s> {
        Scope {
            template: template.to_string(),
            frames: vec![HashMap::new()],
        }
    }

    fn get(&self, name: &str) -> Option<&Ty<'s>> {
        self.frames.iter().rev().find_map(|f| f.get(name))
    }

    fn bind(&mut self, name: &str, ty: Ty<'s>) {
        if let Some(frame) = self.frames.last_mut() {
            frame.insert(name.to_string(), ty);
        }
    }
}

struct Checker<'a, 's> {
    root: &'s Schema,
    parsed: &'a HashMap<&'a str, (Arc<Source>, Stmt<'a>)>,
    names: &'a [&'a str],
    problems: Vec<Diagnostic>,
    /// Problems reported, by place and message.
    seen: HashSet<(String, String)>,
    /// Macro calls followed, by macro and the schema nodes of the arguments.
    followed: HashSet<(String, String, Vec<String>)>,
    depth: usize,
}

impl<'a, 's> Checker<'a, 's> {
    fn stmts(&mut self, stmts: &[Stmt<'_>], scope: &mut Scope<'s>) {
        for stmt in stmts {
            self.stmt(stmt, scope);
        }
    }

    /// `stmts` in a block of their own.
    fn block(&mut self, stmts: &[Stmt<'_>], scope: &mut Scope<'s>, bound: Vec<(String, Ty<'s>)>) {
        scope.frames.push(bound.into_iter().collect());
        self.stmts(stmts, scope);
        scope.frames.pop();
    }

    fn stmt(&mut self, stmt: &Stmt<'_>, scope: &mut Scope<'s>) {
        match stmt {
            Stmt::Template(t) => self.stmts(&t.children, scope),
            Stmt::EmitExpr(e) => {
                self.expr(&e.expr, scope);
            }
            Stmt::EmitRaw(_) | Stmt::Continue(_) | Stmt::Break(_) => {}
            Stmt::ForLoop(f) => {
                let iterated = self.expr(&f.iter, scope);
                let mut bound = vec![("loop".to_string(), Ty::Unknown)];
                match (&f.target, iterated) {
                    (Expr::Var(v), Ty::Schema(s, path)) => {
                        let item = match &s.kind {
                            Kind::List { items, .. } => Ty::Schema(items, format!("{path}[]")),
                            _ => Ty::Unknown,
                        };
                        bound.push((v.id.to_string(), item));
                    }
                    (target, Ty::Items(values)) if unpacked(target).len() == 2 => {
                        let items = unpacked(target);
                        if let Expr::Var(k) = &items[0] {
                            bound.push((k.id.to_string(), Ty::Unknown));
                        }
                        if let Expr::Var(v) = &items[1] {
                            let ty = values.map_or(Ty::Unknown, |(s, p)| Ty::Schema(s, p));
                            bound.push((v.id.to_string(), ty));
                        }
                    }
                    (target, _) => {
                        bound.extend(targets(target).into_iter().map(|n| (n, Ty::Unknown)))
                    }
                }
                scope.frames.push(bound.into_iter().collect());
                if let Some(filter) = &f.filter_expr {
                    self.expr(filter, scope);
                }
                self.stmts(&f.body, scope);
                scope.frames.pop();
                self.block(&f.else_body, scope, Vec::new());
            }
            Stmt::IfCond(i) => {
                self.expr(&i.expr, scope);
                self.stmts(&i.true_body, scope);
                self.stmts(&i.false_body, scope);
            }
            Stmt::WithBlock(w) => {
                let mut bound = Vec::new();
                for (target, value) in &w.assignments {
                    let ty = self.expr(value, scope);
                    if let Expr::Var(v) = target {
                        bound.push((v.id.to_string(), ty));
                    }
                }
                self.block(&w.body, scope, bound);
            }
            Stmt::Set(s) => {
                let ty = self.expr(&s.expr, scope);
                match &s.target {
                    Expr::Var(v) => scope.bind(v.id, ty),
                    target => {
                        for name in targets(target) {
                            scope.bind(&name, Ty::Unknown);
                        }
                    }
                }
            }
            Stmt::SetBlock(s) => {
                self.stmts(&s.body, scope);
                if let Expr::Var(v) = &s.target {
                    scope.bind(v.id, Ty::Unknown);
                }
            }
            Stmt::AutoEscape(a) => self.stmts(&a.body, scope),
            Stmt::FilterBlock(f) => self.stmts(&f.body, scope),
            Stmt::Block(b) => self.stmts(&b.body, scope),
            Stmt::Import(i) => {
                let module = self.module(&i.expr, &scope.template);
                if let Expr::Var(v) = &i.name {
                    scope.bind(v.id, module.map_or(Ty::Unknown, Ty::Module));
                }
            }
            Stmt::FromImport(i) => {
                let module = self.module(&i.expr, &scope.template);
                for (name, alias) in &i.names {
                    let (Expr::Var(name), bound) = (name, alias.as_ref().unwrap_or(name)) else {
                        continue;
                    };
                    if let Expr::Var(bound) = bound {
                        let ty = module
                            .clone()
                            .map_or(Ty::Unknown, |m| Ty::Macro(m, name.id.to_string()));
                        scope.bind(bound.id, ty);
                    }
                }
            }
            Stmt::Extends(_) | Stmt::Include(_) => {}
            Stmt::Macro(m) => {
                let template = scope.template.clone();
                scope.bind(m.name, Ty::Macro(template, m.name.to_string()));
                // Checked with unknown arguments here; with known ones at calls.
                let params = m
                    .args
                    .iter()
                    .flat_map(targets)
                    .map(|n| (n, Ty::Unknown))
                    .collect();
                self.block(&m.body, scope, params);
            }
            Stmt::CallBlock(c) => {
                self.call(&c.call, scope);
                let params = c
                    .macro_decl
                    .args
                    .iter()
                    .flat_map(targets)
                    .map(|n| (n, Ty::Unknown))
                    .collect();
                self.block(&c.macro_decl.body, scope, params);
            }
            Stmt::Do(d) => {
                self.call(&d.call, scope);
            }
        }
    }

    /// The template an import names, if the package has it.
    fn module(&self, expr: &Expr<'_>, parent: &str) -> Option<String> {
        let Expr::Const(c) = expr else { return None };
        let name = c.value.as_str()?;
        super::import_candidates(name, parent)
            .into_iter()
            .find(|candidate| self.names.contains(&candidate.as_str()))
    }

    fn expr(&mut self, expr: &Expr<'_>, scope: &mut Scope<'s>) -> Ty<'s> {
        match expr {
            Expr::Var(v) => match scope.get(v.id) {
                Some(ty) => ty.clone(),
                None if v.id == "values" => Ty::Schema(self.root, "values".into()),
                None => Ty::Unknown,
            },
            Expr::Const(_) => Ty::Unknown,
            Expr::GetAttr(g) => {
                let base = self.expr(&g.expr, scope);
                self.field(base, g.name, &g.expr, g.span(), scope)
            }
            Expr::GetItem(g) => {
                let base = self.expr(&g.expr, scope);
                self.expr(&g.subscript_expr, scope);
                match (&g.subscript_expr, base) {
                    (Expr::Const(c), base) if c.value.as_str().is_some() => {
                        let name = c.value.as_str().unwrap_or_default().to_string();
                        self.field(base, &name, &g.expr, g.span(), scope)
                    }
                    (Expr::Const(_), Ty::Schema(s, path)) => match &s.kind {
                        Kind::List { items, .. } => Ty::Schema(items, format!("{path}[]")),
                        _ => Ty::Unknown,
                    },
                    _ => Ty::Unknown,
                }
            }
            Expr::Call(c) => self.call(c, scope),
            Expr::Filter(f) => {
                let base = f.expr.as_ref().map(|e| self.expr(e, scope));
                self.args(&f.args, scope);
                match (f.name, base) {
                    ("items", Some(Ty::Schema(s, path))) => Ty::Items(map_values(s, &path)),
                    ("default", Some(ty @ Ty::Schema(..))) => ty,
                    _ => Ty::Unknown,
                }
            }
            Expr::Test(t) => {
                self.expr(&t.expr, scope);
                self.args(&t.args, scope);
                Ty::Unknown
            }
            Expr::BinOp(b) => {
                let left = self.expr(&b.left, scope);
                let right = self.expr(&b.right, scope);
                if matches!(b.op, ast::BinOpKind::Concat) {
                    for (side, ty) in [(&b.left, left), (&b.right, right)] {
                        if let Ty::Schema(s, path) = ty {
                            if matches!(s.kind, Kind::Boolean) {
                                self.boolean_concat(side, &path, scope);
                            }
                        }
                    }
                }
                Ty::Unknown
            }
            Expr::UnaryOp(u) => {
                self.expr(&u.expr, scope);
                Ty::Unknown
            }
            Expr::Compare(c) => {
                self.expr(&c.expr, scope);
                for op in &c.ops {
                    self.expr(&op.expr, scope);
                }
                Ty::Unknown
            }
            Expr::IfExpr(i) => {
                self.expr(&i.test_expr, scope);
                let then = self.expr(&i.true_expr, scope);
                if let Some(otherwise) = &i.false_expr {
                    self.expr(otherwise, scope);
                }
                then
            }
            Expr::Slice(s) => {
                self.expr(&s.expr, scope);
                for part in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.expr(part, scope);
                }
                Ty::Unknown
            }
            Expr::List(l) => {
                for item in &l.items {
                    self.expr(item, scope);
                }
                Ty::Unknown
            }
            Expr::Tuple(t) => {
                for item in &t.items {
                    self.expr(item, scope);
                }
                Ty::Unknown
            }
            Expr::Map(m) => {
                for item in m.keys.iter().chain(&m.values) {
                    self.expr(item, scope);
                }
                Ty::Unknown
            }
        }
    }

    fn args(
        &mut self,
        args: &[CallArg<'_>],
        scope: &mut Scope<'s>,
    ) -> Vec<(Option<String>, Ty<'s>)> {
        args.iter()
            .map(|arg| match arg {
                CallArg::Pos(e) => (None, self.expr(e, scope)),
                CallArg::Kwarg(name, e) => (Some(name.to_string()), self.expr(e, scope)),
                CallArg::PosSplat(e) | CallArg::KwargSplat(e) => {
                    self.expr(e, scope);
                    (None, Ty::Unknown)
                }
            })
            .collect()
    }

    /// A call; a macro call with arguments that stand for schema nodes has
    /// the macro's body checked with its parameters bound to them.
    fn call(&mut self, call: &ast::Call<'_>, scope: &mut Scope<'s>) -> Ty<'s> {
        // `m.items()`: the pairs of the map, as the `items` filter gives.
        if let Expr::GetAttr(g) = &call.expr {
            if g.name == "items" && call.args.is_empty() {
                if let Ty::Schema(s, path) = self.expr(&g.expr, scope) {
                    return Ty::Items(map_values(s, &path));
                }
            }
        }
        let callee = self.expr(&call.expr, scope);
        let args = self.args(&call.args, scope);
        if let (Ty::Macro(template, name), true) = (
            callee,
            args.iter().any(|(_, ty)| matches!(ty, Ty::Schema(..))),
        ) {
            self.follow(&template, &name, args);
        }
        Ty::Unknown
    }

    fn follow(&mut self, template: &str, name: &str, args: Vec<(Option<String>, Ty<'s>)>) {
        let key_args = args
            .iter()
            .map(|(_, ty)| match ty {
                Ty::Schema(_, path) => path.clone(),
                _ => String::new(),
            })
            .collect();
        let key = (template.to_string(), name.to_string(), key_args);
        if self.depth >= MAX_CALL_DEPTH || !self.followed.insert(key) {
            return;
        }
        let Some((_, tree)) = self.parsed.get(template) else {
            return;
        };
        let Some(declared) = find_macro(tree, name) else {
            return;
        };
        let params: Vec<String> = declared.args.iter().flat_map(targets).collect();
        let mut bound: HashMap<String, Ty<'s>> =
            params.iter().map(|p| (p.clone(), Ty::Unknown)).collect();
        let mut position = 0;
        for (keyword, ty) in args {
            match keyword {
                Some(keyword) => {
                    bound.insert(keyword, ty);
                }
                None => {
                    if let Some(param) = params.get(position) {
                        bound.insert(param.clone(), ty);
                    }
                    position += 1;
                }
            }
        }
        // The macro sees its template's top-level names, as imported there.
        let mut scope = Scope::new(template);
        self.top_level(tree, &mut scope);
        scope.frames.push(bound);
        self.depth += 1;
        self.stmts(&declared.body, &mut scope);
        self.depth -= 1;
    }

    /// Binds the imports and macros at the top of a template.
    fn top_level(&mut self, tree: &Stmt<'_>, scope: &mut Scope<'s>) {
        let Stmt::Template(t) = tree else { return };
        for stmt in &t.children {
            match stmt {
                Stmt::Import(_) | Stmt::FromImport(_) => self.stmt(stmt, scope),
                Stmt::Macro(m) => {
                    let template = scope.template.clone();
                    scope.bind(m.name, Ty::Macro(template, m.name.to_string()));
                }
                _ => {}
            }
        }
    }

    /// The field `name` of `base`; an error when `base` is a schema map that
    /// does not declare it (and the path is not one written from `values`).
    fn field(
        &mut self,
        base: Ty<'s>,
        name: &str,
        of: &Expr<'_>,
        span: Span,
        scope: &Scope<'s>,
    ) -> Ty<'s> {
        match base {
            Ty::Module(module) => Ty::Macro(module, name.to_string()),
            Ty::Schema(schema, path) => match lookup(schema, name) {
                Lookup::Found(child) => Ty::Schema(child, format!("{path}.{name}")),
                Lookup::Unknown => Ty::Unknown,
                Lookup::Undeclared(declared) => {
                    if !written_from_values(of, scope) {
                        let written = format!("{}.{name}", spelled(of));
                        let diagnostic = Diagnostic::error(format!(
                            "`{written}` is not declared in the values schema: `{}` stands for `{path}`, which has no field `{name}`",
                            spelled(of)
                        ))
                        .maybe_hint(
                            did_you_mean(name, declared.iter().copied())
                                .or_else(|| (!declared.is_empty()).then(|| format!("`{path}` declares: {}", declared.join(", ")))),
                        );
                        self.report(diagnostic, &scope.template, span);
                    }
                    Ty::Unknown
                }
            },
            _ => Ty::Unknown,
        }
    }

    fn boolean_concat(&mut self, side: &Expr<'_>, path: &str, scope: &Scope<'s>) {
        let diagnostic = Diagnostic::error(format!(
            "`~` prints the boolean `{path}` as `True` or `False`, not YAML's `true` or `false`"
        ))
        .hint(format!(
            "write `({} | to_json)` to get `true` or `false`",
            spelled(side)
        ));
        self.report(diagnostic, &scope.template, span_of(side));
    }

    fn report(&mut self, diagnostic: Diagnostic, template: &str, span: Span) {
        let Some((source, _)) = self.parsed.get(template) else {
            return;
        };
        let width = if span.end_line == span.start_line {
            usize::from(span.end_col.saturating_sub(span.start_col)).max(1)
        } else {
            1
        };
        let origin = Origin::new(
            source,
            usize::from(span.start_line),
            usize::from(span.start_col) + 1,
        )
        .with_width(width);
        let key = (origin.location(), diagnostic.message.clone());
        if self.seen.insert(key) {
            self.problems.push(diagnostic.at(origin));
        }
    }
}

enum Lookup<'s> {
    Found(&'s Schema),
    /// The schema cannot say (any value, a union, a method).
    Unknown,
    /// A map that does not declare the field; its declared fields.
    Undeclared(Vec<&'s str>),
}

fn lookup<'s>(schema: &'s Schema, name: &str) -> Lookup<'s> {
    match &schema.kind {
        Kind::Object {
            properties,
            additional,
            ..
        } => {
            if let Some((_, child)) = properties.iter().find(|(n, _)| n == name) {
                return Lookup::Found(child);
            }
            if let Some(child) = additional {
                return Lookup::Found(child);
            }
            if MAP_METHODS.contains(&name) {
                return Lookup::Unknown;
            }
            Lookup::Undeclared(properties.iter().map(|(n, _)| n.as_str()).collect())
        }
        _ => Lookup::Unknown,
    }
}

/// The schema of a map's values, for `items`: its `additionalProperties`,
/// or the one schema all its properties share.
fn map_values<'s>(schema: &'s Schema, path: &str) -> Option<(&'s Schema, String)> {
    match &schema.kind {
        Kind::Object {
            properties,
            additional: Some(values),
            ..
        } if properties.is_empty() => Some((values, format!("{path}.*"))),
        _ => None,
    }
}

/// Whether `expr` is a path written from the global `values` (which the
/// path check covers).
fn written_from_values(expr: &Expr<'_>, scope: &Scope<'_>) -> bool {
    match expr {
        Expr::Var(v) => v.id == "values" && scope.get("values").is_none(),
        Expr::GetAttr(g) => written_from_values(&g.expr, scope),
        Expr::GetItem(g) => written_from_values(&g.expr, scope),
        _ => false,
    }
}

/// How an expression is written, for messages (`rule`, `s.port`).
fn spelled(expr: &Expr<'_>) -> String {
    match expr {
        Expr::Var(v) => v.id.to_string(),
        Expr::GetAttr(g) => format!("{}.{}", spelled(&g.expr), g.name),
        Expr::GetItem(g) => format!("{}[...]", spelled(&g.expr)),
        Expr::Call(c) => format!("{}(...)", spelled(&c.expr)),
        _ => "(...)".into(),
    }
}

fn span_of(expr: &Expr<'_>) -> Span {
    match expr {
        Expr::Var(s) => s.span(),
        Expr::Const(s) => s.span(),
        Expr::Slice(s) => s.span(),
        Expr::UnaryOp(s) => s.span(),
        Expr::BinOp(s) => s.span(),
        Expr::Compare(s) => s.span(),
        Expr::IfExpr(s) => s.span(),
        Expr::Filter(s) => s.span(),
        Expr::Test(s) => s.span(),
        Expr::GetAttr(s) => s.span(),
        Expr::GetItem(s) => s.span(),
        Expr::Call(s) => s.span(),
        Expr::List(s) => s.span(),
        Expr::Tuple(s) => s.span(),
        Expr::Map(s) => s.span(),
    }
}

/// The parts of an unpacking target (`k, v`), else none.
fn unpacked<'e, 'src>(target: &'e Expr<'src>) -> &'e [Expr<'src>] {
    match target {
        Expr::Tuple(t) => &t.items,
        Expr::List(l) => &l.items,
        _ => &[],
    }
}

/// The names an assignment target binds (`a`, `(k, v)`).
fn targets(target: &Expr<'_>) -> Vec<String> {
    match target {
        Expr::Var(v) => vec![v.id.to_string()],
        Expr::Tuple(t) => t.items.iter().flat_map(targets).collect(),
        Expr::List(l) => l.items.iter().flat_map(targets).collect(),
        _ => Vec::new(),
    }
}

/// The macro `name` declared at the top of a template.
fn find_macro<'t, 'src>(tree: &'t Stmt<'src>, name: &str) -> Option<&'t ast::Macro<'src>> {
    let Stmt::Template(t) = tree else { return None };
    t.children.iter().find_map(|stmt| match stmt {
        Stmt::Macro(m) if m.name == name => Some(&**m),
        _ => None,
    })
}
