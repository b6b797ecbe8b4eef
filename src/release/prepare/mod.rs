//! Releases ready to lock or apply: a release file entry resolved and
//! rendered into its lock entry, or a lock entry whose packages are loaded by
//! digest and rendered again to exactly the objects it records. A release
//! of a Helm chart is prepared by [`chart`].

pub mod chart;

use std::path::Path;

use crate::authoring::chart::engine::RandomKey;
use crate::authoring::object::Object;
use crate::authoring::package::Package;
use crate::authoring::render::Release;
use crate::authoring::repository::{Client, Location};
use crate::authoring::resolve::{self, Child, Tree};
use crate::authoring::values::Layer;
use crate::release::file::{PackageRef, SecretFrom, Spec};
use crate::release::lock::{Format, LockedPackage, LockedRelease, RANDOM_KEY};
use crate::release::secret::{self, Unmasked};
use crate::shared::diagnostics::{Diagnostic, Diagnostics, Source};
use crate::shared::yaml::Node;

/// A rendered release and its lock entry.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub locked: LockedRelease,
    pub objects: Vec<Object>,
    /// The secrets' values, in memory only, so that markers can be kept.
    pub secrets: Vec<Unmasked>,
    /// The root package's NOTES, rendered, secret values replaced.
    pub notes: Option<String>,
    /// What rendering warns about (a chart's random values that are not secret).
    pub warnings: Vec<Diagnostic>,
    /// A Helm chart's `pre-delete` and `post-delete` hooks, which `cleat
    /// delete` runs; not objects of the release.
    pub delete_hooks: Vec<Object>,
    /// A Helm chart's `test` hooks, which `cleat test` runs.
    pub test_hooks: Vec<Object>,
    /// A Helm chart's `pre-rollback` and `post-rollback` hooks, which
    /// `cleat rollback` runs.
    pub rollback_hooks: Vec<Object>,
    /// A Helm chart release, to render again once a cluster answers its
    /// lookups.
    pub chart: Option<std::sync::Arc<chart::ChartRun>>,
}

impl Prepared {
    /// Whether the release's templates looked anything up.
    pub fn looks_up(&self) -> bool {
        self.locked
            .chart
            .as_ref()
            .is_some_and(|c| !c.lookups.is_empty())
    }

    /// Why the release cannot be rendered without its cluster: its lookups
    /// found a Secret whose data the lock entry keeps only as a marker.
    pub fn offline_problem(&self) -> Option<Diagnostic> {
        let run = self.chart.as_ref()?;
        if run.answering != chart::Answering::Recorded || run.recorded_answers().is_some() {
            return None;
        }
        let secrets: Vec<String> = run
            .recorded
            .iter()
            .filter(|l| secret::has_masked_secret(&l.answer))
            .map(|l| l.key().to_string())
            .collect();
        Some(
            Diagnostic::error(format!(
                "release `{}` looked up {}, whose data the lock entry keeps only as a marker: it renders only against its cluster",
                self.locked.name,
                secrets.join(", ")
            ))
            .hint("use `cleat diff` or `cleat apply`, which read the Secret again and check it against the marker"),
        )
    }
}

/// Resolves, renders and locks one release of the release file. Every
/// package archive is kept in the cache, so the lock entry can later be
/// applied from the cache alone. A secret keeps its marker in `earlier`, an
/// earlier lock entry of the release, when that marker verifies its value.
pub fn from_spec(
    spec: &Spec,
    client: &mut Client,
    earlier: Option<&LockedRelease>,
    answering: chart::Answering,
) -> Result<Prepared, Diagnostics> {
    let package = match &spec.package {
        PackageRef::Path { path, .. } => match chart::open(path)? {
            Some((chart, archive)) => {
                return chart::from_spec(spec, &chart, &archive, client, earlier, answering)
            }
            None => Package::open(path)?,
        },
        PackageRef::Repository {
            name,
            version,
            repository,
            ..
        } => resolve::from_repository(name, version, repository, client)?,
        PackageRef::Chart {
            name,
            version,
            repository,
            credentials,
            ..
        } => {
            if let Some(credentials) = credentials {
                let username = credentials
                    .username
                    .read("credentials.username", &spec.dir)?;
                let password = credentials
                    .password
                    .read("credentials.password", &spec.dir)?;
                client.authorize(repository, &username, &password);
            }
            let (chart, archive) =
                resolve::chart_from_repository(name, version, repository, client)?;
            return chart::from_spec(spec, &chart, &archive, client, earlier, answering);
        }
    };
    if spec.random_key.is_some() {
        return Err(Diagnostic::error(format!(
            "release `{}` sets `randomKey`, but its package is not a Helm chart",
            spec.name
        ))
        .hint("a cleat package's templates draw nothing at random; its secrets come from `secretFrom` references")
        .into());
    }
    keep_root(&package, client)?;
    let tree = resolve::resolve(package, client)?;
    let (layers, secrets) = spec.layers()?;
    let release = Release {
        name: spec.name.clone(),
        namespace: spec.namespace.clone(),
        revision: 1,
        kube_version: spec.kube_version.clone(),
    };
    let (values, objects) = crate::authoring::render_objects(&tree, &layers, &[], &release)?;
    let policy = tree.package.manifest.policy.with(&spec.policy);
    let warnings: Vec<Diagnostic> = crate::authoring::policy::enforce(
        &policy,
        &objects,
        &crate::authoring::policy::Release {
            name: &spec.name,
            namespace: &spec.namespace,
            kube_version: &release.kube_version,
            values: &values,
        },
    )?
    .into_iter()
    .collect();
    let notes = crate::authoring::render::notes(&tree.package, &values, &release)?;
    let (values, secrets) = secret::mask(&values, &secrets, earlier.map(|e| &e.values));
    let notes = notes.map(|text| secret::redact(&text, &secrets));
    let locked = LockedRelease::new(
        spec.name.clone(),
        spec.namespace.clone(),
        spec.context.clone(),
        &spec.kube_version,
        locked_package(&tree, None, spec.package.source())?,
        values,
        &objects,
    );
    let locked = locked
        .with_settings(None, spec.helm_release.clone())
        .with_policy(Some(policy.digest()));
    Ok(Prepared {
        locked,
        objects,
        secrets,
        notes,
        warnings,
        delete_hooks: Vec::new(),
        test_hooks: Vec::new(),
        rollback_hooks: Vec::new(),
        chart: None,
    })
}

/// Keeps the root package's archive in the cache; dependencies fetched from
/// repositories are there already.
fn keep_root(package: &Package, client: &mut Client) -> Result<(), Diagnostic> {
    let bytes = if package.location.is_file() {
        std::fs::read(&package.location).map_err(|e| {
            crate::shared::files::io_error(&package.location.display().to_string(), &e)
        })?
    } else {
        package.archive()?
    };
    client.keep(&bytes)
}

fn locked_package(
    tree: &Tree,
    key: Option<&str>,
    source: String,
) -> Result<LockedPackage, Diagnostic> {
    let manifest = &tree.package.manifest;
    let dependencies = tree
        .dependencies
        .iter()
        .map(|child| {
            locked_package(
                &child.tree,
                Some(child.dependency.key()),
                format!("repository:{}", child.dependency.repository),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(LockedPackage {
        key: key.map(str::to_string),
        name: manifest.name.clone(),
        version: manifest.version.to_string(),
        app_version: manifest.metadata.app_version.clone(),
        format: None,
        source,
        digest: tree.package.digest()?.to_string(),
        dependencies,
    })
}

/// Renders a lock entry again without the release file: packages by digest
/// from the cache (or their recorded source, checked against the digest),
/// the locked values with each secret read again and checked against its
/// locked SHA-256. The objects must be exactly the locked ones. Relative
/// sources are relative to `base`, the lockfile's directory.
pub fn from_lock(
    locked: &LockedRelease,
    base: &Path,
    lockfile: &str,
    client: &mut Client,
) -> Result<Prepared, Diagnostics> {
    let mut secrets = Vec::new();
    let values = unmask_secrets(&locked.values, "", base, &locked.name, &mut secrets)?;
    let kube_version =
        crate::authoring::render::parse_version(&locked.kube_version).map_err(|_| {
            Diagnostic::error(format!(
                "release `{}` in `{lockfile}` has kubeVersion `{}`, which is not a version",
                locked.name, locked.kube_version
            ))
        })?;
    if locked.package.format == Some(Format::HelmChart) {
        let random_key = match locked.chart.as_ref().and_then(|c| c.random_key.as_ref()) {
            Some(marker) => {
                let key = serde_json::json!({ RANDOM_KEY: marker });
                let key = unmask_secrets(&key, "", base, &locked.name, &mut secrets)?;
                key[RANDOM_KEY].as_str().map(|k| RandomKey(k.to_string()))
            }
            None => None,
        };
        return chart::from_lock(locked, values, secrets, random_key, base, client, lockfile);
    }
    let (objects, notes) = {
        let tree = locked_tree(&locked.package, &Location::Dir(base.to_path_buf()), client)?;
        let origin_source = Source::new(format!("{lockfile} (release {})", locked.name), "");
        let origin = crate::shared::diagnostics::Origin::new(&origin_source, 1, 1);
        let layers = [Layer::Inline(Node::from_json(&values, &origin))];
        let release = Release {
            name: locked.name.clone(),
            namespace: locked.namespace.clone(),
            revision: 1,
            kube_version: kube_version.clone(),
        };
        let (rendered_values, objects) =
            crate::authoring::render_objects(&tree, &layers, &[], &release)?;
        let notes = crate::authoring::render::notes(&tree.package, &rendered_values, &release)?
            .map(|text| secret::redact(&text, &secrets));
        (objects, notes)
    };
    let again = LockedRelease::new(
        locked.name.clone(),
        locked.namespace.clone(),
        locked.context.clone(),
        &kube_version,
        locked.package.clone(),
        locked.values.clone(),
        &objects,
    )
    .with_settings(locked.chart.clone(), locked.helm_release.clone())
    .with_policy(locked.policy.clone());
    let differences = locked.differences(&again);
    if !differences.is_empty() {
        return Err(Diagnostic::error(format!(
            "release `{}` of `{lockfile}` renders differently now:\n  {}",
            locked.name,
            differences.join("\n  ")
        ))
        .hint("this cleat renders the locked packages differently from the cleat that wrote the lockfile; lock again with this cleat and review the change")
        .into());
    }
    Ok(Prepared {
        locked: locked.clone(),
        objects,
        secrets,
        notes,
        warnings: Vec::new(),
        delete_hooks: Vec::new(),
        test_hooks: Vec::new(),
        rollback_hooks: Vec::new(),
        chart: None,
    })
}

/// The tree a lock entry records, each package loaded by its digest.
fn locked_tree(
    locked: &LockedPackage,
    base: &Location,
    client: &mut Client,
) -> Result<Tree, Diagnostics> {
    let (package, location) = load_locked(locked, base, client)?;
    let mut dependencies = Vec::new();
    for dependency in &package.manifest.dependencies {
        let key = dependency.key();
        let Some(child) = locked
            .dependencies
            .iter()
            .find(|d| d.key.as_deref() == Some(key))
        else {
            return Err(Diagnostic::error(format!(
                "the lockfile records no dependency `{key}` of {} {}",
                locked.name, locked.version
            ))
            .hint("lock again with `cleat lock`")
            .into());
        };
        let tree = locked_tree(child, &location, client)?;
        dependencies.push(Child {
            dependency: dependency.clone(),
            tree: Tree {
                package: tree.package.prefixed(&format!("{key}/")),
                ..tree
            },
        });
    }
    Ok(Tree {
        package,
        location,
        dependencies,
    })
}

/// One locked package: from the cache by digest, else from its source.
fn load_locked(
    locked: &LockedPackage,
    base: &Location,
    client: &mut Client,
) -> Result<(Package, Location), Diagnostics> {
    let described = format!("{} {} ({})", locked.name, locked.version, locked.digest);
    let (kind, written) = locked
        .source
        .split_once(':')
        .unwrap_or(("", &locked.source));
    let location = match kind {
        "repository" => Location::parse(written, base),
        _ => match base {
            Location::Dir(dir) => Location::Dir(dir.join(written)),
            Location::Url(_) => base.clone(),
        },
    };
    let package = if let Some(bytes) = client.cached(&locked.digest)? {
        Package::from_archive(Path::new(&described), &bytes)?
    } else {
        match (kind, &location) {
            ("path", Location::Dir(path)) => Package::open(path)?,
            ("repository", _) => {
                let index = client.index(&location)?;
                let entry = index
                    .versions(&locked.name)
                    .find(|e| e.version.to_string() == locked.version)
                    .cloned()
                    .ok_or_else(|| {
                        Diagnostic::error(format!(
                            "{described} is not in the cache, and {location} no longer lists it"
                        ))
                        .hint("restore it from a backup bundle, or lock again")
                    })?;
                client.fetch(&location, &entry)?
            }
            _ => {
                return Err(Diagnostic::error(format!(
                    "{described} has source `{}`, which cleat cannot read",
                    locked.source
                ))
                .into())
            }
        }
    };
    let digest = package.digest()?;
    if digest != locked.digest {
        return Err(Diagnostic::error(format!(
            "{} {} is now {digest}, but the lockfile records {}",
            locked.name, locked.version, locked.digest
        ))
        .about(location.to_string())
        .hint("the package changed since it was locked; lock again and review the change")
        .into());
    }
    let manifest = &package.manifest;
    if manifest.name != locked.name || manifest.version.to_string() != locked.version {
        return Err(Diagnostic::error(format!(
            "{described} holds package {} {}",
            manifest.name, manifest.version
        ))
        .into());
    }
    let location = match (kind, location) {
        ("path", Location::Dir(path)) => Location::Dir(path),
        (_, location) => location,
    };
    Ok((package, location))
}

/// The locked values with every secret marker replaced by the secret, read
/// again from its reference and checked against the locked SHA-256.
fn unmask_secrets(
    values: &serde_json::Value,
    path: &str,
    base: &Path,
    release: &str,
    secrets: &mut Vec<Unmasked>,
) -> Result<serde_json::Value, Diagnostic> {
    let serde_json::Value::Object(map) = values else {
        return Ok(values.clone());
    };
    if let Some(from) = map.get("secretFrom") {
        let reference = match (
            from.get("env").and_then(|v| v.as_str()),
            from.get("file").and_then(|v| v.as_str()),
        ) {
            (Some(name), _) => SecretFrom::Env(name.to_string()),
            (None, Some(file)) => SecretFrom::File(file.into()),
            (None, None) => {
                return Err(Diagnostic::error(format!(
                "release `{release}`: the secret marker at `{path}` names neither `env` nor `file`"
            )))
            }
        };
        let value = reference.read(path, base)?;
        match secret::verifies(values, &value) {
            Ok(true) => {}
            Ok(false) => return Err(Diagnostic::error(format!(
                "release `{release}`: secret `{path}` is not the one locked"
            ))
            .hint("supply the secret that was locked, or lock again with the new one and review the change")),
            Err(why) => return Err(Diagnostic::error(format!(
                "release `{release}`: the secret marker at `{path}` cannot be checked: {why}"
            ))
            .hint("lock again: `cleat lock` writes markers this cleat reads")),
        }
        secrets.push(Unmasked::new(
            &crate::release::secret::pointer(path),
            value.clone(),
        ));
        return Ok(serde_json::Value::String(value));
    }
    let mut out = serde_json::Map::new();
    for (key, value) in map {
        let child = crate::authoring::values::join(path, key);
        out.insert(
            key.clone(),
            unmask_secrets(value, &child, base, release, secrets)?,
        );
    }
    Ok(out.into())
}
