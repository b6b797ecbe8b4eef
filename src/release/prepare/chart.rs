//! Helm chart releases ready to lock or apply: a release whose package is a
//! chart directory or archive, rendered as Helm renders it, into the same
//! lock entry and objects as a package's; and such a lock entry rendered
//! again from the chart archive it records by digest.
//!
//! A chart is identified by the SHA-256 of its archive: the file for a
//! `.tgz`, the canonical archive ([`Chart::pack`]) for a directory, kept in
//! the cache either way. The entry records the values as Helm computes them
//! (every chart's defaults under the release's values), which render again
//! as they are, and the release's time (`SOURCE_DATE_EPOCH`), which `now`
//! and certificates read.

use std::path::Path;
use std::sync::Arc;

use crate::authoring::chart::engine::{RandomKey, Release};
use crate::authoring::chart::lookup::Answers;
use crate::authoring::chart::{self, Chart, Given};
use crate::authoring::policy::Settings as PolicySettings;
use crate::authoring::repository::{Client, Location};
use crate::authoring::values::Layer;
use crate::release::file::{Secret, Spec};
use crate::release::lock::{
    ChartSettings, Format, LockedLookup, LockedPackage, LockedRelease, RANDOM_KEY,
};
use crate::release::secret::{self, Unmasked};
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

use super::Prepared;

/// The chart at `path` and its archive's bytes, or `None` when `path` is
/// not a chart (no `Chart.yaml` in the directory or archive).
pub fn open(path: &Path) -> Result<Option<(Chart, Vec<u8>)>, Diagnostics> {
    if !path.is_file() {
        if !path.join(chart::CHART_FILE).is_file() {
            return Ok(None);
        }
        return Chart::pack(path).map(Some);
    }
    let bytes =
        crate::shared::files::read_within(path, crate::authoring::package::MAX_PACKAGE_BYTES)?;
    let shown = path.display().to_string();
    let unpacked = crate::authoring::package::archive::read(&shown, &bytes)?;
    if !unpacked.files.contains_key(chart::CHART_FILE) {
        return Ok(None);
    }
    let chart = Chart::from_files(&shown, chart::files::loaded(unpacked.files), 0)?;
    Ok(Some((chart, bytes)))
}

/// How a chart release's lookups are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answering {
    /// By the cluster as it is when the release is planned; offline, every
    /// lookup finds nothing (a release of the release file).
    Live,
    /// As the lock entry records, the cluster only reading a Secret's data
    /// again, which must verify its marker (`--locked`, a lockfile, a
    /// release's record).
    Recorded,
}

/// A chart release and what it takes to render it again with other answers
/// to its lookups, once a cluster can give them.
pub struct ChartRun {
    computed: chart::Computed,
    release: Release,
    /// The lock entry's fields besides objects and lookups.
    entry: LockedRelease,
    settings: ChartSettings,
    /// The secrets of the values and the random key.
    secrets: Vec<Unmasked>,
    pub answering: Answering,
    /// The lookups an earlier lock entry records: with [`Answering::Recorded`]
    /// the answers, else markers to keep and answers to compare with.
    pub recorded: Vec<LockedLookup>,
    /// With [`Answering::Recorded`], the entry the render must equal, and
    /// the lockfile that holds it (for messages).
    expected: Option<(LockedRelease, String)>,
    /// The severities the objects are checked with, when they are checked
    /// (a release of the release file; a lock entry was checked when locked).
    policy: Option<PolicySettings>,
}

impl std::fmt::Debug for ChartRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChartRun")
            .field("release", &self.entry.name)
            .field("answering", &self.answering)
            .finish_non_exhaustive()
    }
}

impl ChartRun {
    /// The answers the lock entry records, unless one is a Secret whose data
    /// it keeps as a marker: that one needs the cluster.
    pub fn recorded_answers(&self) -> Option<Answers> {
        self.recorded
            .iter()
            .map(|l| (!secret::has_masked_secret(&l.answer)).then(|| (l.key(), l.answer.clone())))
            .collect()
    }

    /// Renders the release with `answers` to its lookups (every other key
    /// finds nothing) into its objects and lock entry, the answers of the
    /// keys asked recorded, a Secret's data as a marker (kept from the
    /// recorded lookups while it verifies).
    pub fn prepare(self: &Arc<Self>, answers: Answers) -> Result<Prepared, Diagnostics> {
        let mut release = self.release.clone();
        release.lookups = Arc::new(answers);
        let mut manifests = chart::render_computed(&self.computed, &release, true)?;
        let warnings = std::mem::take(&mut manifests.warnings);
        let asked = std::mem::take(&mut manifests.lookups);
        let rendered = manifests.release_objects();
        let mut warnings = warnings;
        if let Some(policy) = &self.policy {
            let checked = crate::authoring::policy::Release {
                name: &self.entry.name,
                namespace: &self.release.namespace,
                kube_version: &self.release_version()?,
                values: &self.computed.values,
            };
            warnings.extend(crate::authoring::policy::enforce(
                policy,
                &rendered.objects,
                &checked,
            )?);
        }
        let mut lookup_secrets = Vec::new();
        let lookups = asked
            .iter()
            .map(|key| {
                let answer = release
                    .lookups
                    .get(key)
                    .cloned()
                    .unwrap_or_else(|| serde_json::json!({}));
                let earlier = self
                    .recorded
                    .iter()
                    .find(|l| l.key() == *key)
                    .map(|l| &l.answer);
                let masked =
                    secret::mask_lookup(&key.to_string(), &answer, earlier, &mut lookup_secrets);
                LockedLookup::new(key, masked)
            })
            .collect();
        let entry = &self.entry;
        let locked = LockedRelease::new(
            entry.name.clone(),
            entry.namespace.clone(),
            entry.context.clone(),
            &self.release_version()?,
            entry.package.clone(),
            entry.values.clone(),
            &rendered.objects,
        )
        .with_settings(
            Some(ChartSettings {
                lookups,
                ..self.settings.clone()
            }),
            entry.helm_release.clone(),
        )
        .with_policy(entry.policy.clone());
        if let Some((expected, lockfile)) = &self.expected {
            let differences = expected.differences(&locked);
            if !differences.is_empty() {
                return Err(Diagnostic::error(format!(
                    "release `{}` of `{lockfile}` renders differently now:\n  {}",
                    entry.name,
                    differences.join("\n  ")
                ))
                .hint("lock again and review the change (`cleat lock`, or `cleat lock --cluster` to take the cluster's answers to its lookups)")
                .into());
            }
        }
        let mut secrets = self.secrets.clone();
        secrets.extend(lookup_secrets);
        Ok(Prepared {
            locked,
            objects: rendered.objects,
            secrets,
            notes: None,
            warnings,
            delete_hooks: rendered.delete_hooks,
            test_hooks: rendered.test_hooks,
            rollback_hooks: rendered.rollback_hooks,
            chart: Some(Arc::clone(self)),
        })
    }

    fn release_version(&self) -> Result<semver::Version, Diagnostic> {
        crate::authoring::render::parse_version(&self.entry.kube_version).map_err(|_| {
            Diagnostic::error(format!(
                "release `{}` has kubeVersion `{}`, which is not a version",
                self.entry.name, self.entry.kube_version
            ))
        })
    }

    /// The release before its first render: with recorded answers that
    /// need the cluster, not rendered at all (no objects) until
    /// [`crate::deploy`] answers them.
    fn start(self) -> Result<Prepared, Diagnostics> {
        let run = Arc::new(self);
        match run.answering {
            Answering::Live => run.prepare(Answers::new()),
            Answering::Recorded => match run.recorded_answers() {
                Some(answers) => run.prepare(answers),
                None => {
                    let locked = match &run.expected {
                        Some((expected, _)) => expected.clone(),
                        None => run.entry.clone(),
                    };
                    Ok(Prepared {
                        locked,
                        objects: Vec::new(),
                        secrets: run.secrets.clone(),
                        notes: None,
                        warnings: Vec::new(),
                        delete_hooks: Vec::new(),
                        test_hooks: Vec::new(),
                        rollback_hooks: Vec::new(),
                        chart: Some(Arc::clone(&run)),
                    })
                }
            },
        }
    }
}

/// Renders and locks a release of `spec` whose package is `chart`, with
/// `archive` its archive's bytes (kept in the cache). With
/// [`Answering::Recorded`], `earlier` must be its lock entry, whose lookups
/// answer the templates and which the render must equal.
pub fn from_spec(
    spec: &Spec,
    chart: &Chart,
    archive: &[u8],
    client: &mut Client,
    earlier: Option<&LockedRelease>,
    answering: Answering,
) -> Result<Prepared, Diagnostics> {
    client.keep(archive)?;
    let (layers, secrets) = spec.layers()?;
    let mut user = serde_json::Map::new();
    for layer in &layers {
        let map = match layer {
            Layer::File(source) => chart::values_map(source)?,
            Layer::Inline(node) => match node.clone().into_json() {
                serde_json::Value::Object(map) => map,
                _ => serde_json::Map::new(),
            },
        };
        chart::values::merge_maps(&mut user, map);
    }
    // The random key, locked as a secret marker (kept while it verifies).
    let (random_key, key_marker, key_secret) = match &spec.random_key {
        None => (None, None, Vec::new()),
        Some(from) => {
            let key = random_key(from.read(RANDOM_KEY, &spec.dir)?, RANDOM_KEY)?;
            let earlier = earlier
                .and_then(|e| e.chart.as_ref())
                .and_then(|c| c.random_key.as_ref())
                .map(|marker| serde_json::json!({ RANDOM_KEY: marker }));
            let reference = Secret {
                path: RANDOM_KEY.to_string(),
                from: from.clone(),
            };
            let (masked, unmasked) = secret::mask(
                &serde_json::json!({ RANDOM_KEY: key.0 }),
                &[reference],
                earlier.as_ref(),
            );
            (Some(key), Some(masked[RANDOM_KEY].clone()), unmasked)
        }
    };
    let settings = ChartSettings {
        time: source_date_epoch()?,
        random_key: key_marker,
        lookups: Vec::new(),
    };
    let computed = chart::computed_values(chart, user, Given::User)?;
    let (values, mut secrets) =
        secret::mask(&computed.values, &secrets, earlier.map(|e| &e.values));
    secrets.extend(key_secret);
    let entry = LockedRelease::new(
        spec.name.clone(),
        spec.namespace.clone(),
        spec.context.clone(),
        &spec.kube_version,
        locked_chart(chart, archive, spec.package.source()),
        values,
        &[],
    )
    .with_settings(None, spec.helm_release.clone())
    .with_policy(Some(spec.policy.digest()));
    let recorded = earlier
        .and_then(|e| e.chart.as_ref())
        .map(|c| c.lookups.clone())
        .unwrap_or_default();
    let expected = match answering {
        Answering::Recorded => earlier.map(|e| {
            let lockfile = spec.dir.join(crate::release::lock::LOCK_FILE);
            (e.clone(), lockfile.display().to_string())
        }),
        Answering::Live => None,
    };
    ChartRun {
        release: release(&entry, &settings, random_key),
        computed,
        entry,
        settings,
        secrets,
        answering,
        recorded,
        expected,
        policy: Some(spec.policy.clone()),
    }
    .start()
}

/// The release a lock entry renders for, its lookups not answered yet.
fn release(
    entry: &LockedRelease,
    settings: &ChartSettings,
    random_key: Option<RandomKey>,
) -> Release {
    Release {
        name: entry.name.clone(),
        namespace: entry.namespace.clone(),
        revision: 1,
        is_upgrade: false,
        kube_version: entry.kube_version.clone(),
        api_versions: Vec::new(),
        time: settings.time,
        random_key,
        lookups: Arc::default(),
    }
}

fn locked_chart(chart: &Chart, archive: &[u8], source: String) -> LockedPackage {
    LockedPackage {
        key: None,
        name: chart.name().to_string(),
        version: chart.metadata.version.clone(),
        app_version: Some(chart.metadata.app_version.clone()).filter(|v| !v.is_empty()),
        format: Some(Format::HelmChart),
        source,
        digest: crate::shared::digest::sha256(archive),
        dependencies: Vec::new(),
    }
}

/// Renders a chart release's lock entry again: the chart archive from the
/// cache by digest, else from its recorded source (a path relative to
/// `base`, or a repository), checked against the digest; the locked values,
/// secrets read again (`values`, with `secrets` their values), used as
/// computed; the random key read again; the lookups answered as recorded.
/// The objects must be exactly the locked ones (of `lockfile`).
pub fn from_lock(
    locked: &LockedRelease,
    values: serde_json::Value,
    secrets: Vec<Unmasked>,
    random_key: Option<RandomKey>,
    base: &Path,
    client: &mut Client,
    lockfile: &str,
) -> Result<Prepared, Diagnostics> {
    let package = &locked.package;
    let described = format!(
        "chart {} {} ({})",
        package.name, package.version, package.digest
    );
    let gone = |why: String| -> Diagnostics {
        Diagnostic::error(format!("{described} is not in the cache, and {why}"))
            .hint("restore it from a backup bundle, or lock again")
            .into()
    };
    let bytes = match (
        client.cached(&package.digest)?,
        package.source.split_once(':'),
    ) {
        (Some(bytes), _) => bytes,
        (None, Some(("path", written))) => {
            let path = base.join(written);
            match open(&path)? {
                Some((_, bytes)) => bytes,
                None => return Err(gone(format!("`{}` is no longer a chart", path.display()))),
            }
        }
        (None, Some(("repository", written))) => {
            let location = Location::parse(written, &Location::Dir(base.to_path_buf()));
            let index = client.chart_index(&location)?;
            let entry = index
                .versions(&package.name)
                .find(|e| e.version.to_string() == package.version)
                .cloned()
                .ok_or_else(|| gone(format!("{location} no longer lists it")))?;
            client.fetch_chart(&location, &entry)?
        }
        _ => {
            return Err(gone(format!(
                "its source `{}` cannot be read",
                package.source
            )))
        }
    };
    let digest = crate::shared::digest::sha256(&bytes);
    if digest != package.digest {
        return Err(Diagnostic::error(format!(
            "chart {} {} is now {digest}, but the lockfile records {}",
            package.name, package.version, package.digest
        ))
        .about(package.source.clone())
        .hint("the chart changed since it was locked; lock again and review the change")
        .into());
    }
    let chart = Chart::read_archive(&described, &bytes)?;
    if chart.name() != package.name || chart.metadata.version != package.version {
        return Err(Diagnostic::error(format!(
            "{described} holds chart {} {}",
            chart.name(),
            chart.metadata.version
        ))
        .into());
    }
    let serde_json::Value::Object(values) = values else {
        return Err(Diagnostic::error(format!(
            "release `{}`: the locked values are not a map",
            locked.name
        ))
        .into());
    };
    let computed = chart::computed_values(&chart, values, Given::Computed)?;
    let settings = locked.chart.clone().unwrap_or(ChartSettings {
        time: 0,
        random_key: None,
        lookups: Vec::new(),
    });
    let recorded = settings.lookups.clone();
    ChartRun {
        release: release(locked, &settings, random_key),
        computed,
        entry: locked.clone(),
        settings: ChartSettings {
            lookups: Vec::new(),
            ..settings
        },
        secrets,
        answering: Answering::Recorded,
        recorded,
        expected: Some((locked.clone(), lockfile.to_string())),
        policy: None,
    }
    .start()
}

/// Shortest random key accepted, in characters.
const MIN_RANDOM_KEY: usize = 32;

/// A random key read from `source` (for messages), checked to be long
/// enough to be a secret.
pub fn random_key(key: String, source: &str) -> Result<RandomKey, Diagnostic> {
    let length = key.trim().chars().count();
    if length < MIN_RANDOM_KEY {
        return Err(Diagnostic::error(format!(
            "the random key from `{source}` has {length} characters, fewer than {MIN_RANDOM_KEY}"
        ))
        .hint("make one with `openssl rand -hex 32`; keep it with your other secrets"));
    }
    Ok(RandomKey(key))
}

/// The release's time: `SOURCE_DATE_EPOCH` (whole seconds, the
/// reproducible-builds convention) when set, else the Unix epoch, so that a
/// render never depends on when it ran.
pub fn source_date_epoch() -> Result<i64, Diagnostic> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Err(_) => Ok(0),
        Ok(text) => text.trim().parse().map_err(|_| {
            Diagnostic::error(format!(
                "SOURCE_DATE_EPOCH is `{text}`, expected whole seconds since 1970-01-01T00:00:00Z"
            ))
            .hint("set it to a number such as `1764547200`, or unset it")
        }),
    }
}
