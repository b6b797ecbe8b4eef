//! Commands: glue between the command line and the library, one file each.
//! A command writes its result to stdout and returns diagnostics on failure;
//! `main` prints those on stderr and picks the exit code.

mod apply;
mod bundle;
mod completions;
mod delete;
mod deps;
mod diff;
mod lint;
mod lock;
mod new;
mod pack;
mod render;
mod repo;
mod rollback;
mod schema;
mod status;

use futures::stream::{self, StreamExt};

use crate::cli::{ClusterArgs, Command, ReleaseArgs, SelectArgs, ValuesArgs};
use crate::cluster::{self, Cluster};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::package::{self, Package};
use crate::plan::{self, Plan};
use crate::render::{parse_version, Release};
use crate::repository::Client;
use crate::resolve::{self, Tree};
use crate::values::Layer;

/// What a successful command reports besides its output.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Warnings to print on stderr.
    pub warnings: Vec<Diagnostic>,
    /// The process's exit code: 0, or 2 from `diff` when changes are present.
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
        Command::Template(args) => lock::template(args, out),
        Command::Diff(args) => diff::run(args, out),
        Command::Apply(args) => apply::run(args, out),
        Command::Delete(args) => delete::run(args, out),
        Command::Status(args) => status::run(args, out),
        Command::Rollback(args) => rollback::run(args, out),
        Command::Backup(args) => bundle::backup(args, out),
        Command::Verify(args) => bundle::verify(args, out),
        Command::Restore(args) => bundle::restore(args, out),
        Command::Export(args) => bundle::export(args, out),
        Command::Completions(args) => completions::run(args, out),
    }
}

/// Reads the values files named on the command line.
fn value_files(args: &ValuesArgs) -> Result<Vec<Layer>, Diagnostics> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        match package::read_file(path).and_then(|bytes| package::source(&name, &bytes)) {
            Ok(source) => files.push(Layer::File(source)),
            Err(diagnostic) => problems.push(diagnostic),
        }
    }
    Diagnostics::check(problems, files)
}

/// The release to render `package` for.
fn release(args: &ReleaseArgs, package: &Package) -> Result<Release, Diagnostics> {
    let kube_version = parse_version(&args.kube_version).map_err(|e| {
        Diagnostic::error(format!(
            "`--kube-version {}`: {}",
            args.kube_version,
            e.detail().unwrap_or_default()
        ))
        .hint("write a Kubernetes version such as `1.20.2` or `v1.31`")
    })?;
    let name = args
        .release
        .clone()
        .unwrap_or_else(|| package.manifest.name.clone());
    for (flag, value) in [("--release", &name), ("--namespace", &args.namespace)] {
        if !package::manifest::is_dns_label(value) {
            return Err(Diagnostic::error(format!("`{flag} {value}` is not a valid name"))
                .hint("use lowercase letters, digits and `-`, at most 63 characters, starting with a letter")
                .into());
        }
    }
    Ok(Release {
        name,
        namespace: args.namespace.clone(),
        revision: 1,
        kube_version,
    })
}

/// Writes command output, turning a closed pipe into a quiet success.
fn write(out: &mut dyn std::io::Write, text: &str) -> Result<(), Diagnostics> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Diagnostic::error(format!("cannot write output: {e}")).into()),
    }
}

/// Rows under a header, columns padded to line up; the last column is not padded.
fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == N {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        text.trim_end().to_string() + "\n"
    };
    let mut text = line(header.to_vec());
    for row in rows {
        text.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    text
}

/// Opens the package at `path` (a directory or an archive) and resolves its
/// dependencies through the repositories and the cache.
fn open(path: &std::path::Path) -> Result<Tree, Diagnostics> {
    let package = Package::open(path)?;
    resolve::resolve(package, &mut Client::new(false))
}

/// Whether stdout gets colours: a terminal, and `NO_COLOR` unset.
fn stdout_color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// A runtime for the commands that talk to a cluster.
fn runtime() -> Result<tokio::runtime::Runtime, Diagnostic> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Diagnostic::error(format!("cannot start the async runtime: {e}")))
}

/// Connects to the cluster of `--kubeconfig`, and of `--context`, else of
/// `context` (a release's own), else of the current context.
async fn connect(args: &ClusterArgs, context: Option<&str>) -> Result<Cluster, Diagnostic> {
    cluster::connect(
        args.kubeconfig.as_deref(),
        args.context.as_deref().or(context),
    )
    .await
}

/// A release planned against its cluster.
struct PlannedRelease {
    cluster: std::sync::Arc<Cluster>,
    plan: Plan,
    locked: crate::lock::LockedRelease,
    /// The release's lease, when planned to apply.
    lease: Option<crate::lease::Held>,
}

/// Releases planned, or restored, at once (each with its own requests in flight).
const RELEASES_AT_ONCE: usize = 4;

/// Renders the selected releases and plans each against its cluster (the
/// `--context`, else the release's context, else the current one).
/// With `lock`, each release's lease is taken before it is planned (its
/// namespace created if need be) and held in the result; on failure, every
/// lease taken is released again.
async fn plan_releases(
    select: &SelectArgs,
    cluster_args: &ClusterArgs,
    force: bool,
    lock: bool,
) -> Result<Vec<PlannedRelease>, Diagnostics> {
    let prepared = lock::select(&select.releases, &select.source)?;
    let mut clusters: std::collections::HashMap<Option<String>, std::sync::Arc<Cluster>> =
        std::collections::HashMap::new();
    let mut work = Vec::new();
    for release in prepared {
        let context = cluster_args
            .context
            .clone()
            .or(release.locked.context.clone());
        let cluster = match clusters.get(&context) {
            Some(cluster) => std::sync::Arc::clone(cluster),
            None => {
                let cluster = std::sync::Arc::new(connect(cluster_args, context.as_deref()).await?);
                clusters.insert(context, std::sync::Arc::clone(&cluster));
                cluster
            }
        };
        work.push((cluster, release));
    }
    // Releases are planned side by side, each after taking its lease; every
    // one runs to its end, and the plans keep the release file's order.
    let planned: Vec<Result<PlannedRelease, Vec<Diagnostic>>> = stream::iter(work)
        .map(|(cluster, release)| async move {
            let (name, namespace) = (&release.locked.name, &release.locked.namespace);
            let lease = if lock {
                take_lease(&cluster, name, namespace)
                    .await
                    .map_err(|problem| vec![problem])?
            } else {
                None
            };
            let planned = plan::plan(
                &cluster,
                name,
                namespace,
                &release.objects,
                force,
                cluster_args.concurrency,
            )
            .await;
            match planned {
                Ok(plan) => Ok(PlannedRelease {
                    cluster,
                    plan,
                    locked: release.locked,
                    lease,
                }),
                Err(errors) => {
                    let mut problems = errors.0;
                    if let Some(held) = lease {
                        problems.extend(crate::lease::release(&cluster, held).await.err());
                    }
                    Err(problems)
                }
            }
        })
        .buffered(RELEASES_AT_ONCE)
        .collect()
        .await;
    let mut plans = Vec::new();
    let mut problems = Vec::new();
    for result in planned {
        match result {
            Ok(plan) => plans.push(plan),
            Err(found) => problems.extend(found),
        }
    }
    if !problems.is_empty() {
        problems.extend(release_leases(&mut plans).await.0);
        return Err(Diagnostics(problems));
    }
    Ok(plans)
}

/// The lease of a release, taken before it is planned. A release whose
/// namespace does not exist yet has nothing to protect; it gets its lease
/// once applying has created the namespace.
async fn take_lease(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
) -> Result<Option<crate::lease::Held>, Diagnostic> {
    let namespaces = cluster.served("v1", "Namespace").await?;
    let api = cluster.api(&namespaces, None);
    if matches!(cluster::retry(|| api.get_opt(namespace)).await, Ok(None)) {
        return Ok(None);
    }
    crate::lease::acquire(cluster, release, namespace)
        .await
        .map(Some)
}

/// Releases every lease the plans hold; returns the problems met.
async fn release_leases(plans: &mut [PlannedRelease]) -> Diagnostics {
    let mut problems = Vec::new();
    for planned in plans {
        if let Some(held) = planned.lease.take() {
            problems.extend(crate::lease::release(&planned.cluster, held).await.err());
        }
    }
    Diagnostics(problems)
}
