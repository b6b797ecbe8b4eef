//! The release file, `cleat.yaml`: the releases people declare, the
//! environments that override them, and references to secret values.
//!
//! Parsing checks every field with its position, so errors point at the
//! line. [`ReleaseFile::select`] applies one environment's overrides and
//! gives each release as a [`Spec`]: which package, which values in which
//! order, which namespace, context and Kubernetes version. Secrets stay
//! references until [`Spec::layers`] reads them, at render time only.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::authoring::package::manifest::version_req;
use crate::authoring::package::read_file;
use crate::authoring::policy::Settings as PolicySettings;
use crate::authoring::repository::Location;
use crate::authoring::values::{join, Layer};
use crate::shared::diagnostics::{did_you_mean, Diagnostic, Diagnostics, Origin, Source};
use crate::shared::files::read_within;
use crate::shared::yaml::fields::{check_fields, is_dns_label, optional_string, required_string};
use crate::shared::yaml::{self, Node, Value};

/// The file name commands look for in the current directory.
pub const RELEASE_FILE: &str = "cleat.yaml";
/// Largest secret file read.
const MAX_SECRET_BYTES: u64 = 1024 * 1024;

/// A parsed release file.
#[derive(Debug, Clone)]
pub struct ReleaseFile {
    pub source: Arc<Source>,
    /// The directory relative paths are relative to.
    pub dir: PathBuf,
    pub releases: Vec<Declared>,
    pub environments: Vec<Environment>,
    pub default_environment: Option<String>,
    /// Severities of the built-in checks for every release (`policy:`).
    pub policy: PolicySettings,
}

/// A release as declared, before any environment applies.
#[derive(Debug, Clone)]
pub struct Declared {
    pub name: String,
    pub origin: Origin,
    pub package: PackageRef,
    /// The Helm release of the same namespace this release takes over.
    pub helm_release: Option<String>,
    pub settings: Settings,
}

/// What an environment, or a release, may set.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub namespace: Option<String>,
    pub context: Option<String>,
    pub kube_version: Option<semver::Version>,
    /// The secret a Helm chart's random functions are seeded with.
    pub random_key: Option<SecretFrom>,
    pub value_files: Vec<(PathBuf, Origin)>,
    pub values: Option<Node>,
    /// Severities of the built-in checks (`policy:`).
    pub policy: PolicySettings,
}

/// An environment: settings for every release, and per release.
#[derive(Debug, Clone)]
pub struct Environment {
    pub name: String,
    pub settings: Settings,
    /// Overrides by release name.
    pub releases: Vec<(String, Settings)>,
}

/// Where a release's package comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum PackageRef {
    /// A package directory or archive: the path as written, and where it is.
    Path { written: String, path: PathBuf },
    /// The highest version in a repository that satisfies a constraint.
    Repository {
        name: String,
        version: semver::VersionReq,
        /// The repository as written, and where it is.
        written: String,
        repository: Location,
    },
    /// The highest version of a Helm chart in a classic Helm repository
    /// (`index.yaml` with `entries`) that satisfies a constraint.
    Chart {
        name: String,
        version: semver::VersionReq,
        written: String,
        repository: Location,
        /// HTTP basic authentication for the repository.
        credentials: Option<Credentials>,
    },
}

/// A user name and password for a repository, each read from a secret
/// reference when used.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials {
    pub username: SecretFrom,
    pub password: SecretFrom,
}

impl PackageRef {
    /// Where the package comes from, as the lockfile records it: the
    /// release file's words, so the lockfile does not depend on the
    /// directory cleat ran in.
    pub fn source(&self) -> String {
        match self {
            PackageRef::Path { written, .. } => format!("path:{written}"),
            PackageRef::Repository { written, .. } | PackageRef::Chart { written, .. } => {
                format!("repository:{written}")
            }
        }
    }
}

/// One release with an environment's overrides applied.
#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    pub namespace: String,
    /// The kubeconfig context; `None` means the current context.
    pub context: Option<String>,
    pub environment: Option<String>,
    pub kube_version: semver::Version,
    /// The secret a Helm chart's random functions are seeded with.
    pub random_key: Option<SecretFrom>,
    pub package: PackageRef,
    /// The Helm release of the same namespace this release takes over.
    pub helm_release: Option<String>,
    /// Severities of the built-in checks: the file's, the release's, the
    /// environment's and the override's, each over the one before, all over
    /// the package's own.
    pub policy: PolicySettings,
    /// Values files and inline values, in the order they layer.
    pub values: Vec<ValuesRef>,
    /// The release file's directory, which secret files are relative to.
    pub dir: PathBuf,
}

/// A layer of a release's values before it is read.
#[derive(Debug, Clone)]
pub enum ValuesRef {
    File(PathBuf, Origin),
    Inline(Node),
}

/// A secret value: a reference in the release file, read at render time.
#[derive(Debug, Clone, PartialEq)]
pub struct Secret {
    /// The values path it fills, such as `database.password`.
    pub path: String,
    pub from: SecretFrom,
}

/// Where a secret's value is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretFrom {
    Env(String),
    File(PathBuf),
}

impl SecretFrom {
    /// The reference as the lockfile records it: `{"env": NAME}` or `{"file": PATH}`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            SecretFrom::Env(name) => serde_json::json!({ "env": name }),
            SecretFrom::File(path) => serde_json::json!({ "file": path.display().to_string() }),
        }
    }

    /// Reads the secret's value; a file is relative to `dir`, and its one
    /// trailing newline is dropped.
    pub fn read(&self, path: &str, dir: &Path) -> Result<String, Diagnostic> {
        match self {
            SecretFrom::Env(name) => std::env::var(name).map_err(|_| {
                Diagnostic::error(format!(
                    "secret `{path}` comes from environment variable `{name}`, which is not set"
                ))
                .hint(format!(
                    "export {name} before running cleat; its value never reaches the lockfile"
                ))
            }),
            SecretFrom::File(file) => {
                let file = &dir.join(file);
                let bytes = read_within(file, MAX_SECRET_BYTES)?;
                let mut text = String::from_utf8(bytes).map_err(|_| {
                    Diagnostic::error(format!(
                        "secret `{path}` comes from `{}`, which is not UTF-8 text",
                        file.display()
                    ))
                })?;
                if text.ends_with('\n') {
                    text.pop();
                }
                Ok(text)
            }
        }
    }
}

const FIELDS: [&str; 4] = ["releases", "environments", "defaultEnvironment", "policy"];
const RELEASE_FIELDS: [&str; 10] = [
    "name",
    "namespace",
    "package",
    "helmRelease",
    "randomKey",
    "context",
    "kubeVersion",
    "valueFiles",
    "values",
    "policy",
];
const ENVIRONMENT_FIELDS: [&str; 5] = ["context", "kubeVersion", "randomKey", "releases", "policy"];
const OVERRIDE_FIELDS: [&str; 7] = [
    "namespace",
    "randomKey",
    "context",
    "kubeVersion",
    "valueFiles",
    "values",
    "policy",
];
const PACKAGE_FIELDS: [&str; 5] = ["name", "chart", "version", "repository", "credentials"];

impl ReleaseFile {
    /// Reads and checks the release file at `path`.
    pub fn load(path: &Path) -> Result<ReleaseFile, Diagnostics> {
        let shown = path.display().to_string();
        let bytes = read_file(path).map_err(|d| {
            d.hint(format!(
                "run cleat where `{RELEASE_FILE}` is, or name it with `--file PATH`"
            ))
        })?;
        let source = crate::authoring::package::source(&shown, &bytes)?;
        let dir = crate::shared::files::parent_dir(path).to_path_buf();
        ReleaseFile::parse(source, dir)
    }

    /// Parses a release file whose relative paths are relative to `dir`.
    pub fn parse(source: Arc<Source>, dir: PathBuf) -> Result<ReleaseFile, Diagnostics> {
        let root = yaml::parse_document(&source)?;
        let file = source.name.clone();
        let mut problems = Vec::new();
        let Value::Map(fields) = &root.value else {
            return Err(
                Diagnostic::error(format!("`{file}` must be a map with `releases`"))
                    .at(root.origin.clone())
                    .into(),
            );
        };
        check_fields(fields, &FIELDS, &file, &mut problems);
        let mut releases = Vec::new();
        match root.get("releases") {
            Some(Node {
                value: Value::List(items),
                ..
            }) => {
                for item in items {
                    if let Some(release) = declared(item, &dir, &file, &mut problems) {
                        if releases.iter().any(|r: &Declared| r.name == release.name) {
                            problems.push(
                                Diagnostic::error(format!(
                                    "release `{}` is declared twice",
                                    release.name
                                ))
                                .at(release.origin.clone())
                                .hint("release names are unique within a release file"),
                            );
                        }
                        releases.push(release);
                    }
                }
            }
            Some(other) => problems.push(
                Diagnostic::error("`releases` must be a list of releases").at(other.origin.clone()),
            ),
            None => problems.push(
                Diagnostic::error("missing required field `releases`").at(root.origin.clone()),
            ),
        }
        let mut environments = Vec::new();
        match root.get("environments") {
            None => {}
            Some(Node {
                value: Value::Map(entries),
                ..
            }) => {
                for (key, node) in entries {
                    let environment = environment(
                        &key.name,
                        key.origin.clone(),
                        node,
                        &releases,
                        &dir,
                        &file,
                        &mut problems,
                    );
                    environments.extend(environment);
                }
            }
            Some(other) => problems.push(
                Diagnostic::error(
                    "`environments` must be a map from environment name to its settings",
                )
                .at(other.origin.clone()),
            ),
        }
        let policy = policy_settings(&root, &dir, &mut problems);
        let default_environment = optional_string(&root, "defaultEnvironment", &mut problems);
        if let Some((name, origin)) = &default_environment {
            if !environments.iter().any(|e| &e.name == name) {
                problems.push(unknown_environment(name, &environments).at(origin.clone()));
            }
        }
        Diagnostics::check(
            problems,
            ReleaseFile {
                source,
                dir,
                releases,
                environments,
                default_environment: default_environment.map(|(name, _)| name),
                policy,
            },
        )
    }

    /// The environment a command uses: `env`, else the declared default,
    /// else none.
    pub fn environment_name(&self, env: Option<&str>) -> Result<Option<String>, Diagnostic> {
        match env
            .map(str::to_string)
            .or_else(|| self.default_environment.clone())
        {
            None => Ok(None),
            Some(name) if self.environments.iter().any(|e| e.name == name) => Ok(Some(name)),
            Some(name) => {
                Err(unknown_environment(&name, &self.environments).about(self.source.name.clone()))
            }
        }
    }

    /// Every release with the overrides of environment `env` (already
    /// checked by [`environment_name`](Self::environment_name)) applied.
    pub fn select(&self, env: Option<&str>) -> Vec<Spec> {
        let environment = env.and_then(|name| self.environments.iter().find(|e| e.name == name));
        self.releases
            .iter()
            .map(|release| {
                let overrides = environment.and_then(|e| {
                    e.releases
                        .iter()
                        .find(|(name, _)| *name == release.name)
                        .map(|(_, settings)| settings)
                });
                let layered = [
                    Some(&release.settings),
                    environment.map(|e| &e.settings),
                    overrides,
                ];
                let pick = |get: &dyn Fn(&Settings) -> Option<String>| {
                    layered.iter().rev().flatten().find_map(|s| get(s))
                };
                let mut values = Vec::new();
                for settings in [Some(&release.settings), overrides].into_iter().flatten() {
                    values.extend(
                        settings
                            .value_files
                            .iter()
                            .map(|(p, o)| ValuesRef::File(p.clone(), o.clone())),
                    );
                    values.extend(settings.values.iter().cloned().map(ValuesRef::Inline));
                }
                Spec {
                    name: release.name.clone(),
                    namespace: pick(&|s| s.namespace.clone()).unwrap_or_else(|| "default".into()),
                    context: pick(&|s| s.context.clone()),
                    environment: environment.map(|e| e.name.clone()),
                    kube_version: layered
                        .iter()
                        .rev()
                        .flatten()
                        .find_map(|s| s.kube_version.clone())
                        .unwrap_or_else(|| {
                            crate::authoring::render::parse_version(
                                crate::authoring::render::DEFAULT_KUBE_VERSION,
                            )
                            .unwrap_or(semver::Version::new(1, 34, 0))
                        }),
                    random_key: layered
                        .iter()
                        .rev()
                        .flatten()
                        .find_map(|s| s.random_key.clone()),
                    package: release.package.clone(),
                    helm_release: release.helm_release.clone(),
                    policy: layered
                        .iter()
                        .flatten()
                        .fold(self.policy.clone(), |policy, s| policy.with(&s.policy)),
                    values,
                    dir: self.dir.clone(),
                }
            })
            .collect()
    }

    /// The release named `name` among `specs`, or an error listing them.
    pub fn find<'a>(&self, specs: &'a [Spec], name: &str) -> Result<&'a Spec, Diagnostic> {
        specs.iter().find(|s| s.name == name).ok_or_else(|| {
            let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
            Diagnostic::error(format!(
                "`{}` declares no release `{name}`",
                self.source.name
            ))
            .about(self.source.name.clone())
            .maybe_hint(did_you_mean(name, names.iter().copied()))
            .hint(format!("releases: {}", names.join(", ")))
        })
    }
}

impl Spec {
    /// The release's values layers, with every secret reference replaced by
    /// the secret's value, and the secrets read.
    pub fn layers(&self) -> Result<(Vec<Layer>, Vec<Secret>), Diagnostics> {
        let mut layers = Vec::new();
        let mut secrets = Vec::new();
        let mut problems = Vec::new();
        for values in &self.values {
            match values {
                ValuesRef::File(path, origin) => {
                    let name = path.display().to_string();
                    match read_file(path)
                        .and_then(|bytes| crate::authoring::package::source(&name, &bytes))
                    {
                        Ok(source) => layers.push(Layer::File(source)),
                        Err(problem) => problems.push(problem.at(origin.clone())),
                    }
                }
                ValuesRef::Inline(node) => {
                    let mut node = node.clone();
                    substitute(&mut node, "", &self.dir, &mut secrets, &mut problems);
                    layers.push(Layer::Inline(node));
                }
            }
        }
        Diagnostics::check(problems, (layers, secrets))
    }
}

/// Replaces every `{secretFrom: ...}` in `node` by the secret's value.
fn substitute(
    node: &mut Node,
    path: &str,
    dir: &Path,
    secrets: &mut Vec<Secret>,
    problems: &mut Vec<Diagnostic>,
) {
    if let Some(from) = secret_from(node) {
        match from.read(path, dir) {
            Ok(value) => {
                secrets.push(Secret {
                    path: path.to_string(),
                    from,
                });
                node.value = Value::String(value);
            }
            Err(problem) => problems.push(problem.at(node.origin.clone())),
        }
        return;
    }
    if let Value::Map(entries) = &mut node.value {
        for (key, child) in entries {
            substitute(child, &join(path, &key.name), dir, secrets, problems);
        }
    }
}

/// The reference of a `{secretFrom: {env: NAME}}` or `{secretFrom: {file: PATH}}`
/// node, already checked by [`check_secrets`]. File paths stay as written,
/// relative to the release file, so the lockfile records the same words.
fn secret_from(node: &Node) -> Option<SecretFrom> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    let [(key, reference)] = entries.as_slice() else {
        return None;
    };
    if key.name != "secretFrom" {
        return None;
    }
    if let Some(name) = reference.get("env").and_then(Node::as_str) {
        return Some(SecretFrom::Env(name.to_string()));
    }
    reference
        .get("file")
        .and_then(Node::as_str)
        .map(|file| SecretFrom::File(PathBuf::from(file)))
}

/// Checks the `secretFrom` references in inline values.
fn check_secrets(node: &Node, problems: &mut Vec<Diagnostic>) {
    let Value::Map(entries) = &node.value else {
        return;
    };
    let is_reference = entries.iter().any(|(k, _)| k.name == "secretFrom");
    if !is_reference {
        for (_, child) in entries {
            check_secrets(child, problems);
        }
        return;
    }
    let bad = |origin: &Origin| {
        Diagnostic::error(
            "a secret reference must be `secretFrom: {env: NAME}` or `secretFrom: {file: PATH}`",
        )
        .at(origin.clone())
        .hint("write the reference alone in the map, with exactly one of `env` and `file`")
    };
    let [(_, reference)] = entries.as_slice() else {
        problems.push(bad(&node.origin));
        return;
    };
    let Value::Map(fields) = &reference.value else {
        problems.push(bad(&reference.origin));
        return;
    };
    match fields.as_slice() {
        [(
            key,
            Node {
                value: Value::String(text),
                ..
            },
        )] if (key.name == "env" || key.name == "file") && !text.is_empty() => {}
        _ => problems.push(bad(&reference.origin)),
    }
}

fn declared(
    node: &Node,
    dir: &Path,
    file: &str,
    problems: &mut Vec<Diagnostic>,
) -> Option<Declared> {
    let Value::Map(fields) = &node.value else {
        problems.push(
            Diagnostic::error("a release must be a map with `name` and `package`")
                .at(node.origin.clone()),
        );
        return None;
    };
    check_fields(fields, &RELEASE_FIELDS, file, problems);
    let name = required_string(node, "name", problems);
    if let Some((name, origin)) = &name {
        check_name("release name", name, origin, problems);
    }
    let package = match node.get("package") {
        None => {
            problems.push(
                Diagnostic::error("missing required field `package`").at(node.origin.clone()),
            );
            None
        }
        Some(Node {
            value: Value::String(path),
            ..
        }) => Some(PackageRef::Path {
            written: path.clone(),
            path: dir.join(path),
        }),
        Some(
            reference @ Node {
                value: Value::Map(entries),
                ..
            },
        ) => {
            check_fields(entries, &PACKAGE_FIELDS, file, problems);
            let chart = reference.get("chart").is_some();
            if chart == reference.get("name").is_some() {
                problems.push(
                    Diagnostic::error("a repository package needs `name` (a cleat package) or `chart` (a Helm chart), not both")
                        .at(reference.origin.clone()),
                );
                return None;
            }
            let name = required_string(reference, if chart { "chart" } else { "name" }, problems);
            let version = required_string(reference, "version", problems)
                .and_then(|(text, origin)| version_req(&text, origin, problems));
            let repository = required_string(reference, "repository", problems);
            let credentials = match reference.get("credentials") {
                Some(node) if chart => credentials(node, problems),
                Some(node) => {
                    problems.push(
                        Diagnostic::error("`credentials` are for Helm chart repositories")
                            .at(node.origin.clone()),
                    );
                    None
                }
                None => None,
            };
            let (Some((name, _)), Some(version), Some((written, _))) = (name, version, repository)
            else {
                return None;
            };
            let repository = Location::parse(&written, &Location::Dir(dir.to_path_buf()));
            Some(if chart {
                PackageRef::Chart {
                    name,
                    version,
                    written,
                    repository,
                    credentials,
                }
            } else {
                PackageRef::Repository {
                    name,
                    version,
                    repository,
                    written,
                }
            })
        }
        Some(other) => {
            problems.push(
                Diagnostic::error(
                    "`package` must be a path, or a map with `name` (or `chart`), `version` and `repository`",
                )
                .at(other.origin.clone()),
            );
            None
        }
    };
    let helm_release = optional_string(node, "helmRelease", problems).map(|(name, _)| name);
    let settings = settings(node, dir, problems);
    let (name, origin) = name?;
    Some(Declared {
        name,
        origin,
        package: package?,
        helm_release,
        settings,
    })
}

/// `credentials: {username: REF, password: REF}`, each reference
/// `{env: NAME}` or `{file: PATH}`.
fn credentials(node: &Node, problems: &mut Vec<Diagnostic>) -> Option<Credentials> {
    let username = secret_reference(node, "username", problems);
    let password = secret_reference(node, "password", problems);
    Some(Credentials {
        username: username?,
        password: password?,
    })
}

/// The secret reference `field: {env: NAME}` or `field: {file: PATH}` of
/// `node`; anything else is a problem at its line.
fn secret_reference(
    node: &Node,
    field: &str,
    problems: &mut Vec<Diagnostic>,
) -> Option<SecretFrom> {
    let found = node.get(field).and_then(|r| {
        let env = r.get("env").and_then(Node::as_str);
        let file = r.get("file").and_then(Node::as_str);
        match (env, file, &r.value) {
            (Some(name), None, Value::Map(entries)) if entries.len() == 1 => {
                Some(SecretFrom::Env(name.to_string()))
            }
            (None, Some(path), Value::Map(entries)) if entries.len() == 1 => {
                Some(SecretFrom::File(PathBuf::from(path)))
            }
            _ => None,
        }
    });
    if found.is_none() {
        problems.push(
            Diagnostic::error(format!(
                "`{field}` must be `{{env: NAME}}` or `{{file: PATH}}`"
            ))
            .at(node.get(field).map_or(node.origin.clone(), |n| n.origin.clone()))
            .hint("secrets are never written in the release file: they are read from the environment or a file"),
        );
    }
    found
}

fn environment(
    name: &str,
    origin: Origin,
    node: &Node,
    releases: &[Declared],
    dir: &Path,
    file: &str,
    problems: &mut Vec<Diagnostic>,
) -> Option<Environment> {
    check_name("environment name", name, &origin, problems);
    let fields = match &node.value {
        Value::Map(fields) => fields.as_slice(),
        Value::Null => &[],
        _ => {
            problems.push(
                Diagnostic::error(format!("environment `{name}` must be a map"))
                    .at(node.origin.clone()),
            );
            return None;
        }
    };
    check_fields(fields, &ENVIRONMENT_FIELDS, file, problems);
    let shared = settings(node, dir, problems);
    let mut overrides = Vec::new();
    match node.get("releases") {
        None => {}
        Some(Node {
            value: Value::Map(entries),
            ..
        }) => {
            for (key, release) in entries {
                if !releases.iter().any(|r| r.name == key.name) {
                    problems.push(
                        Diagnostic::error(format!(
                            "environment `{name}` overrides release `{}`, which is not declared",
                            key.name
                        ))
                        .at(key.origin.clone())
                        .maybe_hint(did_you_mean(
                            &key.name,
                            releases.iter().map(|r| r.name.as_str()),
                        )),
                    );
                    continue;
                }
                if let Value::Map(fields) = &release.value {
                    check_fields(fields, &OVERRIDE_FIELDS, file, problems);
                }
                overrides.push((key.name.clone(), settings(release, dir, problems)));
            }
        }
        Some(other) => problems.push(
            Diagnostic::error(
                "`releases` of an environment must be a map from release name to overrides",
            )
            .at(other.origin.clone()),
        ),
    }
    Some(Environment {
        name: name.to_string(),
        settings: shared,
        releases: overrides,
    })
}

/// The settings a release, an environment or an override gives; which
/// fields each may hold is checked by the caller.
fn settings(node: &Node, dir: &Path, problems: &mut Vec<Diagnostic>) -> Settings {
    if !matches!(node.value, Value::Map(_) | Value::Null) {
        problems.push(Diagnostic::error("expected a map of settings").at(node.origin.clone()));
        return Settings::default();
    }
    let namespace = optional_string(node, "namespace", problems);
    if let Some((namespace, origin)) = &namespace {
        check_name("namespace", namespace, origin, problems);
    }
    let context = optional_string(node, "context", problems).map(|(s, _)| s);
    let kube_version = optional_string(node, "kubeVersion", problems).and_then(|(text, origin)| {
        crate::authoring::render::parse_version(&text)
            .map_err(|e| {
                problems.push(
                    Diagnostic::error(format!(
                        "`{text}` is not a Kubernetes version: {}",
                        e.detail().unwrap_or_default()
                    ))
                    .at(origin)
                    .hint("write a version such as `1.20.2` or `v1.31`"),
                )
            })
            .ok()
    });
    let mut value_files = Vec::new();
    match node.get("valueFiles") {
        None => {}
        Some(Node {
            value: Value::List(items),
            ..
        }) => {
            for item in items {
                match &item.value {
                    Value::String(path) => value_files.push((dir.join(path), item.origin.clone())),
                    _ => problems.push(
                        Diagnostic::error("a values file must be a path").at(item.origin.clone()),
                    ),
                }
            }
        }
        Some(other) => problems.push(
            Diagnostic::error("`valueFiles` must be a list of paths").at(other.origin.clone()),
        ),
    }
    let values = match node.get("values") {
        None => None,
        Some(
            values @ Node {
                value: Value::Map(_),
                ..
            },
        ) => {
            check_secrets(values, problems);
            Some(values.clone())
        }
        Some(other) => {
            problems.push(
                Diagnostic::error("`values` must be a map of values").at(other.origin.clone()),
            );
            None
        }
    };
    let random_key = node
        .get("randomKey")
        .and_then(|_| secret_reference(node, "randomKey", problems));
    Settings {
        namespace: namespace.map(|(s, _)| s),
        context,
        kube_version,
        random_key,
        value_files,
        values,
        policy: policy_settings(node, dir, problems),
    }
}

/// The severities and rules `node`'s `policy:` sets, if it has one; a
/// rules file it names is read relative to the release file's directory.
fn policy_settings(node: &Node, dir: &Path, problems: &mut Vec<Diagnostic>) -> PolicySettings {
    let read = |path: &str| {
        let bytes = read_file(&dir.join(path))?;
        crate::authoring::package::source(path, &bytes)
    };
    match node.get("policy") {
        None => PolicySettings::default(),
        Some(policy) => crate::authoring::policy::settings::settings_reading(policy, &read)
            .unwrap_or_else(|found| {
                problems.extend(found);
                PolicySettings::default()
            }),
    }
}

fn check_name(what: &str, name: &str, origin: &Origin, problems: &mut Vec<Diagnostic>) {
    if !is_dns_label(name) {
        problems.push(
            Diagnostic::error(format!("{what} `{name}` is not a valid name"))
                .at(origin.clone())
                .hint("use lowercase letters, digits and `-`, at most 63 characters, starting with a letter"),
        );
    }
}

fn unknown_environment(name: &str, environments: &[Environment]) -> Diagnostic {
    let names: Vec<&str> = environments.iter().map(|e| e.name.as_str()).collect();
    let listed = if names.is_empty() {
        "the release file declares no environments".to_string()
    } else {
        format!("environments: {}", names.join(", "))
    };
    Diagnostic::error(format!("there is no environment `{name}`"))
        .maybe_hint(did_you_mean(name, names.iter().copied()))
        .hint(listed)
}

/// The release file's format as JSON Schema, for editors and other tools.
pub fn json_schema() -> serde_json::Value {
    let settings = |extra: serde_json::Value| {
        let mut properties = serde_json::json!({
            "namespace": {"type": "string", "description": "Namespace the release is installed in", "pattern": "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"},
            "context": {"type": "string", "description": "kubeconfig context; the current context when unset"},
            "kubeVersion": {"type": "string", "description": "Kubernetes version templates render for (capabilities.kube_version)"},
            "randomKey": {"type": "object", "description": "Helm charts: the secret (at least 32 characters) their random functions are seeded with, `{env: NAME}` or `{file: PATH}`", "properties": {"env": {"type": "string"}, "file": {"type": "string"}}, "minProperties": 1, "maxProperties": 1, "additionalProperties": false},
            "valueFiles": {"type": "array", "items": {"type": "string"}, "description": "Values files, relative to the release file, layered in order"},
            "values": {"type": "object", "description": "Values, layered after the files; `{secretFrom: {env: NAME}}` or `{secretFrom: {file: PATH}}` reads a secret at render time"},
            "policy": policy_schema(),
        });
        if let (Some(map), serde_json::Value::Object(extra)) = (properties.as_object_mut(), extra) {
            map.extend(extra);
        }
        properties
    };
    let release = settings(serde_json::json!({
        "name": {"type": "string", "description": "Release name, unique in the file", "pattern": "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"},
        "helmRelease": {"type": "string", "description": "The Helm release of the same namespace this release takes over (written by cleat import)"},
        "package": {
            "description": "A package or Helm chart directory or archive, or a repository and version constraint",
            "oneOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "version": {"type": "string", "description": "semver constraint such as ^1.2"},
                        "repository": {"type": "string", "description": "URL or directory"}
                    },
                    "required": ["name", "version", "repository"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "description": "A Helm chart in a classic Helm repository (index.yaml with entries)",
                    "properties": {
                        "chart": {"type": "string"},
                        "version": {"type": "string", "description": "semver constraint such as ~0.2"},
                        "repository": {"type": "string", "description": "URL or directory"},
                        "credentials": {
                            "type": "object",
                            "description": "HTTP basic authentication, read from the environment or files",
                            "properties": {"username": {"type": "object", "properties": {"env": {"type": "string"}, "file": {"type": "string"}}, "minProperties": 1, "maxProperties": 1, "additionalProperties": false}, "password": {"type": "object", "properties": {"env": {"type": "string"}, "file": {"type": "string"}}, "minProperties": 1, "maxProperties": 1, "additionalProperties": false}},
                            "required": ["username", "password"],
                            "additionalProperties": false
                        }
                    },
                    "required": ["chart", "version", "repository"],
                    "additionalProperties": false
                }
            ]
        }
    }));
    let overrides = settings(serde_json::json!({}));
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cleat release file (cleat.yaml)",
        "type": "object",
        "properties": {
            "releases": {
                "type": "array",
                "items": {"type": "object", "properties": release, "required": ["name", "package"], "additionalProperties": false}
            },
            "environments": {
                "type": "object",
                "additionalProperties": {
                    "type": ["object", "null"],
                    "properties": {
                        "context": {"type": "string"},
                        "kubeVersion": {"type": "string"},
                        "randomKey": {"type": "object", "properties": {"env": {"type": "string"}, "file": {"type": "string"}}, "minProperties": 1, "maxProperties": 1, "additionalProperties": false},
                        "policy": policy_schema(),
                        "releases": {
                            "type": "object",
                            "additionalProperties": {"type": "object", "properties": overrides, "additionalProperties": false}
                        }
                    },
                    "additionalProperties": false
                }
            },
            "defaultEnvironment": {"type": "string"},
            "policy": policy_schema()
        },
        "required": ["releases"],
        "additionalProperties": false
    })
}

/// The JSON Schema of a `policy:` map: each built-in check to a severity.
fn policy_schema() -> serde_json::Value {
    let checks: serde_json::Map<String, serde_json::Value> = crate::authoring::policy::catalog::ALL
        .iter()
        .map(|c| {
            (
                c.id.to_string(),
                serde_json::json!({"enum": ["error", "warning", "info", "off"], "description": c.why}),
            )
        })
        .collect();
    let mut checks = checks;
    checks.insert(
        crate::authoring::policy::settings::RULES.to_string(),
        serde_json::json!({"anyOf": [
            {"type": "string", "description": "A YAML file of custom rules, relative to the release file"},
            {
            "type": "array",
            "description": "Custom rules in CEL (docs/policy.md): each true for every object it matches",
            "items": {
                "type": "object",
                "required": ["name", "expression"],
                "additionalProperties": false,
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z]([-a-z0-9]*[a-z0-9])?$"},
                    "match": {
                        "type": "object",
                        "additionalProperties": false,
                        "properties": {
                            "kinds": {"type": "array", "items": {"type": "string"}},
                            "namespaces": {"type": "array", "items": {"type": "string"}},
                            "labels": {"type": "object", "additionalProperties": {"type": "string"}}
                        }
                    },
                    "expression": {"type": "string", "description": "CEL over `object`, `release` and `values`"},
                    "message": {"type": "string"},
                    "severity": {"enum": ["error", "warning", "info", "off"]}
                }
            }
        }]}),
    );
    serde_json::json!({
        "type": "object",
        "description": "Severities of cleat's built-in checks (docs/policy.md), and custom rules, over the package's own",
        "properties": checks,
        "additionalProperties": false
    })
}
