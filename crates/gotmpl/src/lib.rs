//! Go's `text/template`, in Rust: templates parse into a tree ([`parse`]),
//! which executes against data ([`exec`]) with functions supplied by the
//! caller, printing values as Go's `fmt` does ([`value`]).
//!
//! Knows nothing of Helm or cleat: Helm's function library and chart
//! semantics are built on top of it.
//!
//! ```
//! use gotmpl::{Templates, Value};
//! let mut set = Templates::new();
//! set.parse("t", "{{ range $i, $v := .items }}{{ if $i }}, {{ end }}{{ $v }}{{ end }}").unwrap();
//! let data = Value::map([("items", Value::List(vec![Value::Int(1), Value::from("two")]))]);
//! assert_eq!(set.execute("t", &data).unwrap(), "1, two");
//! ```

mod exec;
mod lex;
mod parse;
mod printf;
pub mod value;

pub use exec::{MAX_STEPS, MAX_TEXT};
pub use parse::{Base, Reference};
pub use value::{Dict, Func, Object, Site, SiteFunc, Value};

/// A map by name (templates, functions): hashed with foldhash, as every
/// action looks names up.
type ByName<V> = std::collections::HashMap<String, V, foldhash::fast::RandomState>;

/// An error with the template's name, line and column (1-based; Go prints
/// the column 0-based, and so does `Display`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub template: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "template: {}:{}:{}: {}",
            self.template,
            self.line,
            self.col.saturating_sub(1),
            self.message
        )
    }
}

impl std::error::Error for Error {}

/// Text below which [`Templates::parse_all`] parses on one thread.
const PARALLEL_BYTES: usize = 256 * 1024;

/// A set of named templates (each file and each `define`) and the functions
/// they may call.
#[derive(Default)]
pub struct Templates {
    trees: ByName<std::sync::Arc<parse::Tree>>,
    funcs: ByName<Func>,
    sited: ByName<SiteFunc>,
}

impl Templates {
    /// An empty set with Go's built-in functions.
    pub fn new() -> Templates {
        Templates {
            trees: ByName::default(),
            funcs: exec::builtins(),
            sited: ByName::default(),
        }
    }

    /// Adds (or replaces) a function templates may call.
    pub fn func(&mut self, name: &str, func: Func) {
        self.funcs.insert(name.to_string(), func);
    }

    /// Parses `text` (a `&str`, or an `Arc<str>` the set then shares
    /// instead of copying) as the template `name`; its `define`s join the set.
    pub fn parse(&mut self, name: &str, text: impl Into<std::sync::Arc<str>>) -> Result<(), Error> {
        let trees = parse::parse(name, text.into(), &self.funcs, &mut Vec::new())?;
        self.add(name, trees);
        Ok(())
    }

    /// Parses each `(name, text)` as [`Templates::parse`] would, on every
    /// core when there is text enough to gain from it, and adds them in
    /// the order given (so a later definition wins, as one by one); the
    /// errors of those that do not parse, in that order.
    pub fn parse_all(&mut self, files: &[(String, std::sync::Arc<str>)]) -> Vec<Error> {
        let funcs = &self.funcs;
        // Each run of files reuses one list of tokens.
        let parse_run = |files: &[(String, std::sync::Arc<str>)]| {
            let mut tokens = Vec::new();
            files
                .iter()
                .map(|(name, text)| {
                    parse::parse(name, std::sync::Arc::clone(text), funcs, &mut tokens)
                })
                .collect::<Vec<_>>()
        };
        let total: usize = files.iter().map(|(_, text)| text.len()).sum();
        let threads = match total < PARALLEL_BYTES {
            true => 1,
            // Asking the system reads cgroup files: only for text enough.
            false => std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
        };
        let parsed: Vec<_> = if threads < 2 {
            parse_run(files)
        } else {
            // Consecutive runs of about equal text, one per thread.
            let share = total.div_ceil(threads);
            let mut chunks: Vec<&[(String, std::sync::Arc<str>)]> = Vec::new();
            let (mut start, mut size) = (0, 0);
            for (end, (_, text)) in files.iter().enumerate() {
                size += text.len();
                if size >= share || end + 1 == files.len() {
                    chunks.push(&files[start..=end]);
                    (start, size) = (end + 1, 0);
                }
            }
            std::thread::scope(|scope| {
                let handles: Vec<_> = chunks
                    .iter()
                    .map(|chunk| {
                        std::thread::Builder::new()
                            // The parser recurses once per nesting level.
                            .stack_size(16 << 20)
                            .spawn_scoped(scope, || parse_run(chunk))
                    })
                    .collect();
                handles
                    .into_iter()
                    .zip(&chunks)
                    .flat_map(|(handle, chunk)| match handle.map(|h| h.join()) {
                        Ok(Ok(results)) => results,
                        // No thread (or one that panicked): parse here.
                        _ => parse_run(chunk),
                    })
                    .collect()
            })
        };
        let mut errors = Vec::new();
        for ((name, _), result) in files.iter().zip(parsed) {
            match result {
                Ok(trees) => self.add(name, trees),
                Err(error) => errors.push(error),
            }
        }
        errors
    }

    /// Adds the trees parsed from template `name`.
    fn add(&mut self, name: &str, trees: Vec<(String, parse::Tree)>) {
        for (defined, tree) in trees {
            // An empty redefinition does not replace a template (as Go).
            if defined != name && tree.is_empty() && self.trees.contains_key(&defined) {
                continue;
            }
            self.trees.insert(defined, std::sync::Arc::new(tree));
        }
    }

    /// Every chain of fields the template `text` writes (`.Values.a`,
    /// `$.Values.a`, `$x.a`, `(pipeline).a`) with where it starts, in
    /// `define`s too; parsed with the set's functions, not added to the set.
    /// For checks of what a template reads, without running it.
    pub fn references(&self, name: &str, text: &str) -> Result<Vec<parse::Reference>, Error> {
        let trees = parse::parse(name, text.into(), &self.funcs, &mut Vec::new())?;
        let mut found = Vec::new();
        for (_, tree) in &trees {
            parse::references(&tree.body, tree.nodes(), &mut found);
        }
        Ok(found)
    }

    /// Adds (or replaces) a function that is told its call site.
    pub fn func_at(&mut self, name: &str, func: SiteFunc) {
        // The plain entry makes the name known to the parser.
        self.funcs
            .insert(name.to_string(), std::sync::Arc::new(|_| Ok(Value::Nil)));
        self.sited.insert(name.to_string(), func);
    }

    /// The function `name`, to register it again under another name.
    pub fn function(&self, name: &str) -> Option<Func> {
        self.funcs.get(name).cloned()
    }

    /// Adds Helm's `include NAME DATA` (a template's output as a string) and
    /// `tpl TEXT DATA` (a string executed as a template), which need the
    /// set itself: Go's text/template has neither.
    pub fn include_and_tpl(&mut self) {
        for name in ["include", "tpl"] {
            // Placeholders: the executor runs these two itself.
            self.funcs
                .insert(name.to_string(), std::sync::Arc::new(|_| Ok(Value::Nil)));
        }
    }

    /// Whether the set has a template `name`.
    pub fn has(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// Executes the template `name` with `data` as dot.
    pub fn execute(&self, name: &str, data: &Value) -> Result<String, Error> {
        exec::execute(&self.trees, &self.funcs, &self.sited, name, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn parse_all_on_many_threads_keeps_the_order_of_definitions_and_errors() {
        // Enough text for the parallel path; one define in the first and
        // the last file (the last wins), and two files that do not parse.
        let filler = "x".repeat(PARALLEL_BYTES / 16);
        let mut files: Vec<(String, Arc<str>)> = (0..40)
            .map(|i| {
                (
                    format!("t{i:02}"),
                    Arc::from(format!("{filler}{{{{ {i} }}}}")),
                )
            })
            .collect();
        files[0].1 = Arc::from(format!("{filler}{{{{ define \"d\" }}}}first{{{{ end }}}}"));
        files[39].1 = Arc::from(format!("{filler}{{{{ define \"d\" }}}}last{{{{ end }}}}"));
        files[10].1 = Arc::from("{{ if }}");
        files[30].1 = Arc::from("{{ end }}");
        let mut set = Templates::new();
        let errors = set.parse_all(&files);
        let failed: Vec<&str> = errors.iter().map(|e| e.template.as_str()).collect();
        assert_eq!(failed, ["t10", "t30"]);
        assert_eq!(set.execute("d", &Value::Nil).unwrap(), "last");
        assert!(set.execute("t05", &Value::Nil).unwrap().ends_with('5'));
    }
}
