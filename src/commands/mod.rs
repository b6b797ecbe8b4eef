//! Commands: glue between the command line and the library, one file each.
//! A command writes its result to stdout and returns diagnostics on failure;
//! `main` prints those on stderr and picks the exit code.

mod apply;
mod args;
mod backup;
mod chart;
mod completions;
mod delete;
mod deps;
mod diff;
mod export;
mod import;
mod lint;
mod lock;
mod new;
mod output;
mod pack;
mod plan_json;
mod render;
mod repo;
mod restore;
mod rollback;
mod schema;
mod show;
mod status;
mod template;
mod test;
mod verify;

use crate::authoring::package::{self, Package};
use crate::authoring::policy::{check, Settings, Severity};
use crate::authoring::render::{parse_version, Release};
use crate::authoring::repository::Client;
use crate::authoring::resolve::{self, Tree};
use crate::authoring::values::Layer;
use crate::cli::{Command, ReleaseArgs, ValuesArgs};
use crate::shared::diagnostics::{Diagnostic, Diagnostics, Source};

use args::{connection, plan_options, source};
use output::{stdout_color, table, write};

/// What a successful command reports besides its output.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Warnings to print on stderr.
    pub warnings: Vec<Diagnostic>,
    /// The process's exit code: 0, 2 from `diff` when changes are present, or 1
    /// from `import` when some of several releases failed.
    pub exit_code: u8,
}

/// Runs one command, writing its output to `out`.
pub fn run(command: Command, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    match command {
        Command::Render(args) => render::run(args, out),
        Command::Lint(args) => lint::run(args, out),
        Command::Schema(args) => schema::run(args, out),
        Command::New(args) => new::run(args, out),
        Command::Package(args) => pack::run(args, out),
        Command::Repo(command) => repo::run(command, out),
        Command::Search(args) => repo::search(args, out),
        Command::Deps(args) => deps::run(args, out),
        Command::Lock(args) => lock::run(args, out),
        Command::Template(args) => template::run(args, out),
        Command::Diff(args) => diff::run(args, out),
        Command::Apply(args) => apply::run(args, out),
        Command::Delete(args) => delete::run(args, out),
        Command::Status(args) => status::run(args, out),
        Command::Rollback(args) => rollback::run(args, out),
        Command::Backup(args) => backup::run(args, out),
        Command::Verify(args) => verify::run(args, out),
        Command::Restore(args) => restore::run(args, out),
        Command::Export(args) => export::run(args, out),
        Command::Import(args) => import::run(args, out),
        Command::Test(args) => test::run(args, out),
        Command::Completions(args) => completions::run(args, out),
    }
}

/// Reads the values files named on the command line.
fn value_files(args: &ValuesArgs) -> Result<Vec<Layer>, Diagnostics> {
    Ok(text_files(&args.files)?
        .into_iter()
        .map(Layer::File)
        .collect())
}

/// Reads files the user names as text, reporting every one that fails.
fn text_files(paths: &[std::path::PathBuf]) -> Result<Vec<std::sync::Arc<Source>>, Diagnostics> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        match package::read_file(path).and_then(|bytes| package::source(&name, &bytes)) {
            Ok(source) => files.push(source),
            Err(diagnostic) => problems.push(diagnostic),
        }
    }
    Diagnostics::check(problems, files)
}

/// The severities `--policy CHECK=SEVERITY` sets and the rules of each
/// `--rules FILE`, every wrong one named.
fn policy_flags(args: &crate::cli::PolicyArgs) -> Result<Settings, Diagnostics> {
    let mut settings = Settings::default();
    let mut problems = Vec::new();
    for flag in &args.policy {
        let Some((id, severity)) = flag.split_once('=') else {
            problems.push(
                Diagnostic::error(format!("`--policy {flag}` names no severity"))
                    .hint("write `--policy CHECK=SEVERITY`, as `--policy schema=warning`"),
            );
            continue;
        };
        match (check(id.trim()), Severity::parse(severity.trim())) {
            (Err(message), _) => {
                problems.push(Diagnostic::error(format!("`--policy {flag}`: {message}")))
            }
            (Ok(_), None) => problems.push(Diagnostic::error(format!(
                "`--policy {flag}`: the severity {}",
                Severity::expected(&format!("`{}`", severity.trim()))
            ))),
            (Ok(check), Some(severity)) => {
                settings.severities.insert(check.id.to_string(), severity);
            }
        }
    }
    for path in &args.rules {
        let name = path.display().to_string();
        let parsed = package::read_file(path)
            .and_then(|bytes| package::source(&name, &bytes))
            .and_then(|source| crate::shared::yaml::parse_document(&source));
        match parsed {
            Ok(node) => {
                let rules =
                    crate::authoring::policy::rules::parse(&node, &settings.rules, &mut problems);
                settings.rules.extend(rules);
            }
            Err(diagnostic) => problems.push(diagnostic),
        }
    }
    Diagnostics::check(problems, settings)
}

/// The Kubernetes version `--kube-version` names.
fn kube_version(args: &ReleaseArgs) -> Result<semver::Version, Diagnostic> {
    parse_version(&args.kube_version).map_err(|e| {
        Diagnostic::error(format!(
            "`--kube-version {}`: {}",
            args.kube_version,
            e.detail().unwrap_or_default()
        ))
        .hint("write a Kubernetes version such as `1.20.2` or `v1.31`")
    })
}

/// The release to render `package` for.
fn release(args: &ReleaseArgs, package: &Package) -> Result<Release, Diagnostics> {
    let kube_version = kube_version(args)?;
    let name = args
        .release
        .clone()
        .unwrap_or_else(|| package.manifest.name.clone());
    check_name("--release", &name, "name")?;
    check_name("--namespace", &args.namespace, "namespace")?;
    Ok(Release {
        name,
        namespace: args.namespace.clone(),
        revision: 1,
        kube_version,
    })
}

/// Refuses `value` of `flag` (a `what`: name or namespace) unless it is a
/// DNS label.
fn check_name(flag: &str, value: &str, what: &str) -> Result<(), Diagnostic> {
    if crate::shared::yaml::fields::is_dns_label(value) {
        return Ok(());
    }
    Err(
        Diagnostic::error(format!("`{flag} {value}` is not a valid {what}")).hint(
            "use lowercase letters, digits and `-`, at most 63 characters, starting with a letter",
        ),
    )
}

/// Opens the package at `path` (a directory or an archive) and resolves its
/// dependencies through the repositories and the cache.
fn open(path: &std::path::Path) -> Result<Tree, Diagnostics> {
    resolve(Package::open(path)?)
}

/// A package with its dependencies resolved (from the cache or repositories).
fn resolve(package: Package) -> Result<Tree, Diagnostics> {
    resolve::resolve(package, &mut Client::new(false))
}

/// A runtime for the commands that talk to a cluster.
fn runtime() -> Result<tokio::runtime::Runtime, Diagnostic> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Diagnostic::error(format!("cannot start the async runtime: {e}")))
}
