//! Command-line definitions only: every flag, its help text and examples.
//! The commands themselves live in [`crate::commands`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// cleat: typed Kubernetes packages, a reviewable lockfile, server-side apply.
#[derive(Debug, Parser)]
#[command(
    name = "cleat",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    after_help = "Environment:\n  NO_COLOR  set to any value to turn off colours\n\nExit codes:\n  0  success\n  1  an error: the input, the command line or the cluster (printed on stderr)\n  2  changes are present (`cleat diff`), or drift (`cleat status --exit-code`)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Render(RenderArgs),
    Lint(LintArgs),
    Schema(SchemaArgs),
    New(NewArgs),
    Package(PackageArgs),
    #[command(subcommand)]
    Repo(RepoCommand),
    Search(SearchArgs),
    Deps(DepsArgs),
    Lock(LockArgs),
    Template(TemplateArgs),
    Diff(DiffArgs),
    Apply(ApplyArgs),
    Delete(DeleteArgs),
    Status(StatusArgs),
    Rollback(RollbackArgs),
    Backup(BackupArgs),
    Verify(VerifyArgs),
    Restore(RestoreArgs),
    Export(ExportArgs),
    Import(ImportArgs),
    Test(TestArgs),
    Completions(CompletionsArgs),
}

/// Where values come from, in increasing priority after the schema defaults.
#[derive(Debug, Args, Clone, Default)]
pub struct ValuesArgs {
    /// A values file (YAML); repeat to layer several, later files win
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Set one value, typed by the schema (`replicas=3` is an integer); wins over files
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
}

/// Helm's flags, for a Helm chart (a directory or archive with `Chart.yaml`).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Helm charts")]
pub struct ChartArgs {
    /// Set a value to a string, as Helm's `--set-string`
    #[arg(long = "set-string", value_name = "PATH=VALUE")]
    pub set_string: Vec<String>,
    /// Set a value to JSON, as Helm's `--set-json`
    #[arg(long = "set-json", value_name = "PATH=JSON")]
    pub set_json: Vec<String>,
    /// Set a value to a file's content, as Helm's `--set-file`
    #[arg(long = "set-file", value_name = "PATH=FILE")]
    pub set_file: Vec<String>,
    /// Set a value to the literal text after `=`, as Helm's `--set-literal`
    #[arg(long = "set-literal", value_name = "PATH=TEXT")]
    pub set_literal: Vec<String>,
    /// API versions `.Capabilities.APIVersions.Has` finds, beside the built-in ones
    #[arg(
        long = "api-versions",
        short = 'a',
        value_name = "GROUP/VERSION[/KIND]"
    )]
    pub api_versions: Vec<String>,
    /// Print the CRDs of `crds/` directories too (first)
    #[arg(long)]
    pub include_crds: bool,
    /// Leave out test hooks (`helm.sh/hook: test`)
    #[arg(long)]
    pub skip_tests: bool,
    /// Leave out every hook
    #[arg(long)]
    pub no_hooks: bool,
    /// Only the objects of this template (`templates/x.yaml`); repeat for several
    #[arg(long = "show-only", short = 's', value_name = "TEMPLATE")]
    pub show_only: Vec<String>,
    /// A secret (`file:PATH` or `env:NAME`) that makes the release's random values and keys its own
    #[arg(long = "random-key", value_name = "SOURCE")]
    pub random_key: Option<String>,
}

/// The release the package is rendered for.
#[derive(Debug, Args, Clone)]
pub struct ReleaseArgs {
    /// Release name, seen by templates as `release.name` [default: the package name]
    #[arg(long = "release", value_name = "NAME")]
    pub release: Option<String>,
    /// Namespace, seen by templates as `release.namespace`
    #[arg(short = 'n', long, value_name = "NS", default_value = "default")]
    pub namespace: String,
    /// Kubernetes version to render for, seen as `capabilities.kube_version`
    #[arg(long, value_name = "VERSION", default_value = crate::authoring::render::DEFAULT_KUBE_VERSION)]
    pub kube_version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Yaml,
    Json,
}

/// Render a package's templates to Kubernetes YAML on stdout.
///
/// Values are checked against the package schema and templates are checked
/// statically before anything renders; every problem is reported at once.
/// The objects are then checked against their kinds' Kubernetes schemas
/// (`docs/policy.md`): an object the API server would refuse is an error; a
/// kind nothing defines, a warning. `--policy` turns other checks on (`cleat
/// lint` runs them all).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat render packages-example/webapp\n  cleat render packages-example/webapp -f packages-example/webapp/values-production.yaml\n  cleat render ./mypkg --set replicas=3 --set image.tag=1.25.3 --release api -n web\n  cleat render ./mypkg --kube-version 1.20.2 --output json"
)]
pub struct RenderArgs {
    /// The package or Helm chart: a directory or a `.tgz` archive
    #[arg(value_name = "PACKAGE")]
    pub package: PathBuf,
    #[command(flatten)]
    pub values: ValuesArgs,
    #[command(flatten)]
    pub release: ReleaseArgs,
    #[command(flatten)]
    pub chart: ChartArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Output format: a YAML stream, or a JSON `List`
    #[arg(short, long, value_enum, default_value = "yaml")]
    pub output: OutputFormat,
}

/// Check a package: manifest, schema, templates, values and rendered objects.
///
/// Reports every problem at once as file:line messages, and what cleat's
/// built-in checks (pin, limit, harden, availability; `docs/policy.md`) find
/// in the objects; exits 1 if there is any error (warnings alone do not
/// fail).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat lint packages-example/webapp\n  cleat lint packages-example/cronjob -f packages-example/cronjob/values-production.yaml\n  cleat lint ./my-helm-chart -f values-prod.yaml"
)]
pub struct LintArgs {
    /// The package or Helm chart: a directory or a `.tgz` archive
    #[arg(value_name = "PACKAGE")]
    pub package: PathBuf,
    #[command(flatten)]
    pub values: ValuesArgs,
    #[command(flatten)]
    pub release: ReleaseArgs,
    #[command(flatten)]
    pub chart: ChartArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// How to print the report: text, JSON with every finding of the
    /// built-in checks, or SARIF 2.1.0 for code-scanning UIs
    #[arg(short, long, value_enum, default_value = "text")]
    pub output: LintFormat,
}

/// How `cleat lint` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    Text,
    Json,
    Sarif,
}

/// Severities of the built-in checks, over the package's (`docs/policy.md`).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Policy")]
pub struct PolicyArgs {
    /// A check's severity for this run, over the package's `policy:`
    /// (`--policy schema=warning`, `--policy image-digest=error`; repeatable)
    #[arg(long = "policy", value_name = "CHECK=SEVERITY")]
    pub policy: Vec<String>,
    /// A YAML file of custom rules in CEL, run with the package's
    /// (`docs/policy.md`; repeatable)
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
}

/// Print a package's values schema, or the release file's schema, as JSON Schema.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat schema packages-example/webapp > webapp.schema.json\n  # then, in a values file, for editors with the YAML language server:\n  # yaml-language-server: $schema=webapp.schema.json\n  cleat schema --release-file > cleat.schema.json"
)]
pub struct SchemaArgs {
    /// The package or Helm chart: a directory or a `.tgz` archive
    #[arg(value_name = "PACKAGE", required_unless_present = "release_file")]
    pub package: Option<PathBuf>,
    /// Print the schema of the release file, `cleat.yaml`, instead
    #[arg(long, conflicts_with = "package")]
    pub release_file: bool,
}

/// Create a new package directory that passes `cleat lint`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  cleat new api\n  cleat new api --dir packages/")]
pub struct NewArgs {
    /// Package name: lowercase letters, digits and `-`
    pub name: String,
    /// Directory to create the package in
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

/// Write a package's canonical archive, `NAME-VERSION.tgz`, and print its digest.
///
/// The archive is byte-for-byte the same for the same files on any machine,
/// so its `sha256:` digest identifies the package wherever it is stored.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat package packages-example/webapp\n  cleat package ./mypkg -o repo/ && cleat repo index repo/"
)]
pub struct PackageArgs {
    /// The package directory
    #[arg(value_name = "DIR")]
    pub package: PathBuf,
    /// Directory to write the archive to
    #[arg(short, long, value_name = "DIR", default_value = ".")]
    pub output: PathBuf,
}

/// Work with package repositories.
#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    Index(RepoIndexArgs),
}

/// Write `index.yaml` for a directory of package archives.
///
/// Serve the directory over HTTP(S), or use it as it is, as a repository.
/// Archives already indexed keep their `created` time; new ones get the
/// current time, or `SOURCE_DATE_EPOCH` when it is set.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  cleat package ./mypkg -o repo/\n  cleat repo index repo/")]
pub struct RepoIndexArgs {
    /// The directory holding `NAME-VERSION.tgz` archives
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// List the package versions in a repository whose name or description matches.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat search web --repo https://packages.example.com/stable\n  cleat search '' --repo ./repo --output json"
)]
pub struct SearchArgs {
    /// Text to look for in names and descriptions (empty lists everything)
    pub query: String,
    /// The repository: an HTTP(S) base URL or a directory
    #[arg(long, value_name = "URL_OR_DIR")]
    pub repo: String,
    /// Output format
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

/// Resolve a package's dependencies and print the tree with versions and digests.
///
/// Each package name gets the highest version that satisfies every
/// constraint on it; archives are fetched, checked against their repository's
/// digest and cached. Cached repository indexes are used until `--update`,
/// or until they lack a version that the constraints need.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat deps ./mypkg\n  cleat deps ./mypkg --update --output json"
)]
pub struct DepsArgs {
    /// The package: a directory or a `.tgz` archive
    #[arg(value_name = "PACKAGE")]
    pub package: PathBuf,
    /// Fetch repository indexes again instead of using cached copies
    #[arg(long)]
    pub update: bool,
    /// Output format
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: ListFormat,
}

/// The release file and the environment to use.
#[derive(Debug, Args, Clone)]
pub struct ReleaseFileArgs {
    /// The release file; the lockfile, `cleat.lock`, is beside it
    #[arg(long = "file", value_name = "PATH", default_value = crate::release::file::RELEASE_FILE)]
    pub file: PathBuf,
    /// The environment whose overrides apply [default: the file's `defaultEnvironment`]
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
}

/// Resolve and render every release of the release file and write `cleat.lock`.
///
/// Without `--env`, every environment the file declares is locked (or the
/// releases as declared, when it declares none); with `--env`, only that
/// one is locked again and the others are kept. The lockfile records package
/// versions and digests, merged values (secrets only as salted hashes) and
/// every rendered object's digest; the same inputs write the same bytes.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat lock\n  cleat lock --env production\n  cleat lock --check     # in CI: fail if cleat.lock is out of date\n  cleat lock --cluster   # record what charts look up in their clusters\n\nExit codes: 0 locked (or up to date with --check), 1 errors or, with --check, out of date"
)]
pub struct LockArgs {
    #[command(flatten)]
    pub release_file: ReleaseFileArgs,
    /// Write nothing; fail, naming each release and object that changed, if
    /// the lockfile is out of date
    #[arg(long)]
    pub check: bool,
    /// Fetch repository indexes again instead of using cached copies
    #[arg(long)]
    pub update: bool,
    /// Answer Helm charts' `lookup` calls from each release's cluster and
    /// record the answers (else every lookup finds nothing, as `helm
    /// template`)
    #[arg(long)]
    pub cluster: bool,
    #[command(flatten)]
    pub connection: ClusterArgs,
}

/// Render one release of the release file to stdout.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat template shop\n  cleat template shop --env production --locked\n  cleat template shop --env production --lockfile cleat.lock   # without the release file's sources"
)]
pub struct TemplateArgs {
    /// The release's name
    pub release: String,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output format: a YAML stream, or a JSON `List`
    #[arg(short, long, value_enum, default_value = "yaml")]
    pub output: OutputFormat,
}

/// Which releases a cluster command acts on, and where they come from.
#[derive(Debug, Args, Clone)]
pub struct SelectArgs {
    /// Releases to act on [default: every release of the environment]
    #[arg(value_name = "RELEASE")]
    pub releases: Vec<String>,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Where releases are rendered from: the release file, held to its lockfile
/// with `--locked`, or a lockfile alone.
#[derive(Debug, Args, Clone)]
pub struct SourceArgs {
    #[command(flatten)]
    pub release_file: ReleaseFileArgs,
    /// Refuse to go on if rendering no longer matches the lockfile
    #[arg(long)]
    pub locked: bool,
    /// Render from this lockfile alone: packages by digest from the cache or
    /// their recorded sources, values as locked, secrets read again and checked
    #[arg(long, value_name = "PATH", conflicts_with = "locked")]
    pub lockfile: Option<PathBuf>,
}

/// How to reach the cluster.
#[derive(Debug, Args, Clone)]
pub struct ClusterArgs {
    /// The kubeconfig [default: $KUBECONFIG, else ~/.kube/config]
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context, over each release's own [default: the release's, else the current]
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Most API requests in flight at once
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub concurrency: usize,
}

/// What a plan may take over from others, and what it may delete.
#[derive(Debug, Args, Clone)]
pub struct PlanArgs {
    /// Take over objects that exist and belong to another release, to a Helm
    /// release or to nobody (else each is an error); the plan says `adopt`
    #[arg(long)]
    pub adopt: bool,
    /// Delete CRDs the release no longer renders, and with them every object
    /// of their kinds (else they are kept and reported)
    #[arg(long)]
    pub prune_crds: bool,
    /// Delete and create again objects whose change cannot be patched (an
    /// immutable field): `all` for every such object that holds no data,
    /// `KIND/NAME` for one, a PersistentVolumeClaim or StatefulSet with
    /// volume claims included. Jobs are replaced without it
    #[arg(long, value_name = "all|KIND/NAME")]
    pub replace: Vec<String>,
}

/// Show what `cleat apply` would change, object by object.
///
/// Each object is dry-run with server-side apply (field manager `cleat`) and
/// compared with the live object, without the fields the server manages.
/// Secret values are masked.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat diff --env staging\n  cleat diff shop --env production --locked\n  cleat diff --lockfile cleat.lock --env production --output json\n\nExit codes: 0 nothing would change, 2 changes are present, 1 an error"
)]
pub struct DiffArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Output format
    #[arg(short, long, value_enum, default_value = "text")]
    pub output: ReportFormat,
}

/// How a report prints: for people, or as JSON for tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

/// Apply releases with server-side apply, after showing the plan.
///
/// Namespaces and CRDs go first (each CRD established before objects of its
/// kinds), then cluster-scoped objects, config, storage, workloads, services,
/// ingress and the rest. Missing namespaces are created. Unchanged objects
/// are not touched.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat apply --env staging\n  cleat apply --env production --locked --yes\n  cleat apply --lockfile cleat.lock --env production --yes   # in a pipeline"
)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Take over fields that another field manager owns
    #[arg(long)]
    pub force_conflicts: bool,
    /// Show the plan and stop
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (cleat asks only on a terminal)
    #[arg(short, long)]
    pub yes: bool,
    /// Release records (revisions) to keep in the cluster
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub history_max: usize,
    /// Keep the records of a Helm release this apply takes over (release
    /// file `helmRelease`), instead of deleting them; `helm list` then still
    /// shows it, but Helm must not touch it again
    #[arg(long)]
    pub keep_helm_history: bool,
    /// Wait until every object is ready before pruning and recording
    #[arg(long)]
    pub wait: bool,
    /// How long to wait for readiness, such as `90s` or `5m`
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration)]
    pub timeout: std::time::Duration,
    /// If applying or waiting fails, apply the previous revision again (implies --wait)
    #[arg(long)]
    pub atomic: bool,
}

/// Delete a release: every object its newest record lists, then its records.
///
/// Objects go in reverse apply order, each only if it is still the release's
/// (its marks name the release, its uid is the recorded one). Objects
/// annotated `cleat.dev/keep: "true"`, objects others own now, CRDs (unless
/// `--include-crds`), namespaces holding objects of others and volumes not
/// annotated `cleat.dev/deletable: "true"` are left in place and reported.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat delete shop -n shop\n  cleat delete widgets -n tools --include-crds --context staging"
)]
pub struct DeleteArgs {
    /// The release's name
    pub release: String,
    /// The release's namespace, where its records are
    #[arg(short, long, value_name = "NS")]
    pub namespace: String,
    /// Delete the release's CRDs too, and with them every object of their kinds
    #[arg(long)]
    pub include_crds: bool,
    /// Do not run a Helm chart release's `pre-delete` and `post-delete` hooks
    #[arg(long)]
    pub no_hooks: bool,
    /// How long deleted objects may take to be gone (finalizers), such as `90s` or `5m`
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration)]
    pub timeout: std::time::Duration,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Show each release's newest record and its drift.
///
/// Per release: the revision, when and by whom it was applied, whether the
/// lockfile's digest matches the record's, and drift: recorded objects missing
/// from the cluster, and objects whose values cleat set were changed outside
/// cleat (found by re-planning the recorded revision).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat status --env production\n  cleat status shop --output json\n  cleat status --exit-code      # in a scheduled job: exit 2 on drift\n\nExit codes: 0 no drift (or without --exit-code), 2 drift with --exit-code, 1 an error"
)]
pub struct StatusArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Output format
    #[arg(short, long, value_enum, default_value = "text")]
    pub output: ReportFormat,
    /// Exit 2 when any release has drifted
    #[arg(long)]
    pub exit_code: bool,
    /// Print the NOTES of each release's recorded revision, as `cleat apply` did
    #[arg(long)]
    pub notes: bool,
}

/// Apply a recorded revision of a release again, as a new revision.
///
/// The revision's packages come from the cache by digest and its values from
/// the record (secrets read again and checked against their markers); objects
/// the newest revision has and the old one does not are deleted.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat rollback shop -n shop             # to the revision before the newest\n  cleat rollback shop -n shop --revision 3"
)]
pub struct RollbackArgs {
    /// The release's name
    pub release: String,
    /// The release's namespace, where its records are
    #[arg(short, long, value_name = "NS")]
    pub namespace: String,
    /// The revision to go back to [default: the one before the newest]
    #[arg(long, value_name = "N")]
    pub revision: Option<u64>,
    /// Take over fields that another field manager owns
    #[arg(long)]
    pub force_conflicts: bool,
    /// Release records (revisions) to keep in the cluster
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub history_max: usize,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Back up releases from the cluster's records into one verifiable bundle.
///
/// The bundle holds each release's newest record, a lockfile of them, every
/// package archive they need (from the local cache), the rendered objects
/// and, with `--include-live`, the live objects.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat backup -n shop -o shop.tgz\n  cleat backup --all-namespaces --include-live -o cluster-backup.tgz"
)]
pub struct BackupArgs {
    /// Releases to back up [default: every release in the namespace]
    #[arg(value_name = "RELEASE")]
    pub releases: Vec<String>,
    /// The namespace whose releases to back up
    #[arg(
        short,
        long,
        value_name = "NS",
        required_unless_present = "all_namespaces"
    )]
    pub namespace: Option<String>,
    /// Back up the releases of every namespace
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// Include the live objects as the cluster holds them (Secret values dropped)
    #[arg(long)]
    pub include_live: bool,
    /// Keep Secret values in the bundle, rendered and live, in plain base64
    /// (without it, Secrets are kept without `data` and `stringData`)
    #[arg(long)]
    pub include_secrets: bool,
    /// The bundle to write
    #[arg(short, long, value_name = "BUNDLE.tgz")]
    pub output: PathBuf,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Check a backup bundle: every digest, the lockfile, packages and rendered objects.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  cleat verify shop.tgz")]
pub struct VerifyArgs {
    /// The bundle
    pub bundle: PathBuf,
}

/// Restore a backup bundle onto a cluster: objects, then release records.
///
/// The bundle is verified first; nothing is applied if any check fails.
/// Releases that exist already are shown as a diff and converge.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat restore shop.tgz --context recovery\n  cleat restore shop.tgz --namespace-map shop=shop-restored --dry-run"
)]
pub struct RestoreArgs {
    /// The bundle
    pub bundle: PathBuf,
    /// Restore the releases of namespace OLD into NEW
    #[arg(long, value_name = "OLD=NEW")]
    pub namespace_map: Vec<String>,
    /// Show what restoring would do and stop
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Print a lockfile rebuilt from a release's record in the cluster.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  cleat export shop -n shop > cleat.lock")]
pub struct ExportArgs {
    /// The release's name
    pub release: String,
    /// The release's namespace
    #[arg(short, long, value_name = "NS")]
    pub namespace: String,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Take over a running Helm release: add it to the release file, lock it
/// and show the plan against the live objects.
///
/// Reads the release's newest revision from Helm's records (Secrets, or
/// ConfigMaps), writes its chart (from `--chart`, `--repository`, or the
/// templates Helm stored) and the values the user gave Helm
/// (`values/RELEASE.yaml`), adds the release with `helmRelease: RELEASE`
/// to the release file, locks it and prints the plan. Nothing in the
/// cluster changes: the next `cleat apply` takes the objects over (every
/// value as it is), moves their fields to cleat and retires Helm's records.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat import web -n shop\n  cleat import web -n shop --chart ./charts/web\n  cleat import monitoring -n monitoring --repository https://prometheus-community.github.io/helm-charts"
)]
pub struct ImportArgs {
    /// The Helm release's name
    #[arg(required_unless_present = "all_namespaces")]
    pub release: Option<String>,
    /// The Helm release's namespace
    #[arg(
        short,
        long,
        value_name = "NS",
        required_unless_present = "all_namespaces"
    )]
    pub namespace: Option<String>,
    /// Every Helm release of every namespace, each with the chart Helm stored
    #[arg(short = 'A', long, conflicts_with_all = ["release", "namespace", "chart", "repository"])]
    pub all_namespaces: bool,
    /// The release's chart: a directory or .tgz [default: the chart Helm stored, written to charts/]
    #[arg(long, value_name = "PATH", conflicts_with = "repository")]
    pub chart: Option<PathBuf>,
    /// A classic Helm repository holding the release's chart at the version it runs
    #[arg(long, value_name = "URL")]
    pub repository: Option<String>,
    /// The release file to add the release to (created if missing)
    #[arg(long = "file", value_name = "PATH", default_value = crate::release::file::RELEASE_FILE)]
    pub file: PathBuf,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Run a Helm chart release's tests (its `helm.sh/hook: test` objects).
///
/// The chart is rendered again from the release's newest record; each test
/// hook is created anew, in the order of its weight, and waited for until
/// it succeeds (a pod Succeeded, a Job complete). A failure is reported
/// with the hook's status, events and the last lines of its log, and the
/// command exits 1.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The release's name
    pub release: String,
    /// The release's namespace, where its records are
    #[arg(short, long, value_name = "NS")]
    pub namespace: String,
    /// How long each test may take, such as `90s` or `5m`
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration)]
    pub timeout: std::time::Duration,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Print a shell completion script.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cleat completions bash > /etc/bash_completion.d/cleat\n  cleat completions zsh > \"${fpath[1]}/_cleat\"\n  cleat completions fish > ~/.config/fish/completions/cleat.fish"
)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
