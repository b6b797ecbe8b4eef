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

use crate::authoring::chart::engine::{RandomKey, Release};
use crate::authoring::chart::manifests::ReleaseObjects;
use crate::authoring::chart::{self, Chart, Given};
use crate::authoring::repository::{Client, Location};
use crate::authoring::values::Layer;
use crate::release::file::{Secret, Spec};
use crate::release::lock::{ChartSettings, Format, LockedPackage, LockedRelease, RANDOM_KEY};
use crate::release::secret;
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

/// Renders and locks a release of `spec` whose package is `chart`, with
/// `archive` its archive's bytes (kept in the cache).
pub fn from_spec(
    spec: &Spec,
    chart: &Chart,
    archive: &[u8],
    client: &mut Client,
    earlier: Option<&LockedRelease>,
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
    };
    let computed = chart::computed_values(chart, user, Given::User)?;
    let (rendered, warnings) = render(
        &computed,
        spec.name.clone(),
        spec.namespace.clone(),
        spec.kube_version.to_string(),
        &settings,
        random_key,
    )?;
    let (values, mut secrets) =
        secret::mask(&computed.values, &secrets, earlier.map(|e| &e.values));
    secrets.extend(key_secret);
    let locked = LockedRelease::new(
        spec.name.clone(),
        spec.namespace.clone(),
        spec.context.clone(),
        &spec.kube_version,
        locked_chart(chart, archive, spec.package.source()),
        values,
        &rendered.objects,
    )
    .with_settings(Some(settings), spec.helm_release.clone());
    Ok(Prepared {
        locked,
        objects: rendered.objects,
        secrets,
        notes: None,
        warnings,
        delete_hooks: rendered.delete_hooks,
        test_hooks: rendered.test_hooks,
    })
}

/// The objects of a release of the computed chart, and what rendering
/// warns about.
fn render(
    computed: &chart::Computed,
    name: String,
    namespace: String,
    kube_version: String,
    settings: &ChartSettings,
    random_key: Option<RandomKey>,
) -> Result<(ReleaseObjects, Vec<Diagnostic>), Diagnostics> {
    let release = Release {
        name,
        namespace,
        revision: 1,
        is_upgrade: false,
        kube_version,
        api_versions: Vec::new(),
        time: settings.time,
        random_key,
    };
    let mut manifests = chart::render_computed(computed, &release, true)?;
    let warnings = std::mem::take(&mut manifests.warnings);
    Ok((manifests.release_objects(), warnings))
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
/// cache by digest, else from its recorded path (relative to `base`),
/// checked against the digest; the locked values, secrets read again
/// (`values`), used as computed, and the random key read again.
pub fn from_lock(
    locked: &LockedRelease,
    values: serde_json::Value,
    random_key: Option<RandomKey>,
    base: &Path,
    client: &mut Client,
) -> Result<(ReleaseObjects, Vec<Diagnostic>), Diagnostics> {
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
    });
    render(
        &computed,
        locked.name.clone(),
        locked.namespace.clone(),
        locked.kube_version.clone(),
        &settings,
        random_key,
    )
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
