//! The lockfile, `cleat.lock`: what `cleat lock` resolved and rendered, per
//! environment and release, as a versioned JSON document specified in
//! `lockfile-spec/`.
//!
//! A locked release records its package tree (versions, sources, digests),
//! its merged values with every secret replaced by a marker holding the
//! secret's reference and a salted hash (see [`crate::release::secret`]),
//! and every rendered object's identity and digest, plus a digest of the whole entry. Reading checks the format
//! version first, then every field, then every release digest, so a
//! truncated, edited or future lockfile is refused with the reason.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::authoring::chart::lookup::LookupKey;
use crate::authoring::object::Object;
use crate::release::secret::Unmasked;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};
use crate::shared::digest::{canonical_json, sha256};

/// The file name of the lockfile, beside the release file.
pub const LOCK_FILE: &str = "cleat.lock";
/// The lockfile format this cleat writes.
///
/// - 1: the first format; secret markers hold an unsalted SHA-256 (`sha256`).
/// - 2: secret markers hold a salted argon2id hash (`hash`); version 1 is
///   still read, and `cleat lock` rewrites it.
/// - 3: a package may be a Helm chart (`format: helm-chart`), and a chart
///   release records what it rendered with besides its values (`chart`).
/// - 4: a chart release records what its templates looked up and the
///   answers (`chart.lookups`).
pub const VERSION: u64 = 4;
/// The oldest lockfile format this cleat reads.
pub const OLDEST_VERSION: u64 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Lockfile {
    pub lockfile_version: u64,
    pub generated_by: String,
    pub environments: Vec<LockedEnvironment>,
}

/// The releases of one environment; `name` is `None` for the release file
/// without environment overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LockedEnvironment {
    pub name: Option<String>,
    pub releases: Vec<LockedRelease>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LockedRelease {
    pub name: String,
    pub namespace: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    pub kube_version: String,
    pub package: LockedPackage,
    /// The Helm release of the same namespace this release takes over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm_release: Option<String>,
    /// For a Helm chart release: what it rendered with besides its values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<ChartSettings>,
    /// The digest of the built-in checks' severities the objects were
    /// checked with (`authoring::policy::Settings::digest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    pub values: serde_json::Value,
    pub objects: Vec<LockedObject>,
    pub digest: String,
}

/// What a Helm chart release renders with besides its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChartSettings {
    /// The release's time, in Unix seconds: what `now` gives and when
    /// certificates start (`SOURCE_DATE_EPOCH` when locked, else 0).
    pub time: i64,
    /// The secret marker of the random key (`randomKey`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random_key: Option<serde_json::Value>,
    /// What the templates looked up, by key, and what they were answered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lookups: Vec<LockedLookup>,
}

/// One key a chart release's templates looked up (`lookup`) and its answer:
/// the object, the list, or `{}` for nothing found. A Secret's `data` and
/// `stringData` are a secret marker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LockedLookup {
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub answer: serde_json::Value,
}

impl LockedLookup {
    /// The key it answers.
    pub fn key(&self) -> LookupKey {
        LookupKey {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }

    /// `key` answered with `answer`.
    pub fn new(key: &LookupKey, answer: serde_json::Value) -> LockedLookup {
        LockedLookup {
            api_version: key.api_version.clone(),
            kind: key.kind.clone(),
            namespace: key.namespace.clone(),
            name: key.name.clone(),
            answer,
        }
    }
}

/// Where in [`ChartSettings`] the random key's marker is, as a key of
/// `{"randomKey": marker}` (for [`crate::release::secret`]).
pub const RANDOM_KEY: &str = "randomKey";

/// What kind of package a locked package is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// A Helm chart, rendered as Helm renders it.
    HelmChart,
}

/// A package in a locked tree; dependencies carry the key they render under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LockedPackage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub name: String,
    pub version: String,
    /// The version of the application the package deploys, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    /// `None` for a cleat package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    pub source: String,
    pub digest: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<LockedPackage>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LockedObject {
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    pub digest: String,
}

impl LockedObject {
    /// The locked identity and digest of a rendered object.
    pub fn of(object: &Object) -> LockedObject {
        LockedObject {
            api_version: object.api_version.clone(),
            kind: object.kind.clone(),
            namespace: object.namespace.clone(),
            name: object.name.clone(),
            digest: sha256(canonical_json(&object.body).as_bytes()),
        }
    }

    fn id(&self) -> String {
        crate::authoring::object::id(
            &self.api_version,
            &self.kind,
            self.namespace.as_deref(),
            &self.name,
        )
    }
}

impl LockedRelease {
    /// Takes the secret markers of `earlier` that verify `secrets`, so that
    /// an unchanged secret keeps its marker and the entry its digest.
    pub fn keep_markers(&mut self, earlier: &LockedRelease, secrets: &[Unmasked]) {
        let mut changed = crate::release::secret::keep(&mut self.values, &earlier.values, secrets);
        let keys = (
            self.chart.as_mut().and_then(|c| c.random_key.as_mut()),
            earlier.chart.as_ref().and_then(|c| c.random_key.as_ref()),
        );
        if let (Some(ours), Some(theirs)) = keys {
            let mut key = serde_json::json!({ RANDOM_KEY: ours.clone() });
            let earlier = serde_json::json!({ RANDOM_KEY: theirs });
            if crate::release::secret::keep(&mut key, &earlier, secrets) {
                *ours = key[RANDOM_KEY].clone();
                changed = true;
            }
        }
        if let (Some(ours), Some(theirs)) = (self.chart.as_mut(), earlier.chart.as_ref()) {
            for lookup in &mut ours.lookups {
                let key = lookup.key();
                if let Some(earlier) = theirs.lookups.iter().find(|l| l.key() == key) {
                    changed |= crate::release::secret::keep_lookup(
                        &key.to_string(),
                        &mut lookup.answer,
                        &earlier.answer,
                        secrets,
                    );
                }
            }
        }
        if changed {
            self.digest = self.compute_digest();
        }
    }

    /// How many secret markers of the unsalted format (version 1) it holds.
    pub fn unsalted_markers(&self) -> usize {
        fn count(value: &serde_json::Value) -> usize {
            if crate::release::secret::is_unsalted(value) {
                return 1;
            }
            match value {
                serde_json::Value::Object(map) => map.values().map(count).sum(),
                _ => 0,
            }
        }
        count(&self.values)
    }

    /// A locked release with its objects sorted and its digest computed.
    pub fn new(
        name: String,
        namespace: String,
        context: Option<String>,
        kube_version: &semver::Version,
        package: LockedPackage,
        values: serde_json::Value,
        objects: &[Object],
    ) -> LockedRelease {
        let mut objects: Vec<LockedObject> = objects.iter().map(LockedObject::of).collect();
        objects.sort();
        let mut release = LockedRelease {
            name,
            namespace,
            context,
            kube_version: kube_version.to_string(),
            package,
            helm_release: None,
            chart: None,
            policy: None,
            values,
            objects,
            digest: String::new(),
        };
        release.digest = release.compute_digest();
        release
    }

    /// The entry with what a Helm chart release rendered with, and the Helm
    /// release it takes over.
    pub fn with_settings(
        mut self,
        chart: Option<ChartSettings>,
        helm_release: Option<String>,
    ) -> LockedRelease {
        self.chart = chart;
        self.helm_release = helm_release;
        self.digest = self.compute_digest();
        self
    }

    /// The entry with the digest of the policy its objects were checked with.
    pub fn with_policy(mut self, policy: Option<String>) -> LockedRelease {
        self.policy = policy;
        self.digest = self.compute_digest();
        self
    }

    /// SHA-256 of the canonical JSON of the entry without its `digest`.
    pub fn compute_digest(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.remove("digest");
        }
        sha256(canonical_json(&value).as_bytes())
    }

    /// What differs from `other`, the same release rendered now, one line each.
    pub fn differences(&self, now: &LockedRelease) -> Vec<String> {
        let mut found = Vec::new();
        for (field, locked, current) in [
            ("namespace", Some(&self.namespace), Some(&now.namespace)),
            ("context", self.context.as_ref(), now.context.as_ref()),
            (
                "kubeVersion",
                Some(&self.kube_version),
                Some(&now.kube_version),
            ),
        ] {
            if locked != current {
                found.push(format!(
                    "{field}: {} → {}",
                    locked.map_or("(none)", |s| s.as_str()),
                    current.map_or("(none)", |s| s.as_str())
                ));
            }
        }
        if self.policy != now.policy {
            let shown = |p: &Option<String>| p.clone().unwrap_or_else(|| "(none)".into());
            found.push(format!(
                "policy: {} → {}",
                shown(&self.policy),
                shown(&now.policy)
            ));
        }
        if self.helm_release != now.helm_release {
            let name = |h: &Option<String>| h.clone().unwrap_or_else(|| "(none)".into());
            found.push(format!(
                "helmRelease: {} → {}",
                name(&self.helm_release),
                name(&now.helm_release)
            ));
        }
        let time = |c: &Option<ChartSettings>| c.as_ref().map(|c| c.time);
        if time(&self.chart) != time(&now.chart) {
            let shown = |t: Option<i64>| t.map_or("(none)".to_string(), |t| t.to_string());
            found.push(format!(
                "chart time: {} → {}",
                shown(time(&self.chart)),
                shown(time(&now.chart))
            ));
        }
        let key = |c: &Option<ChartSettings>| c.as_ref().and_then(|c| c.random_key.clone());
        if key(&self.chart) != key(&now.chart) {
            let shown =
                |k: Option<serde_json::Value>| if k.is_some() { "(secret)" } else { "(none)" };
            found.push(format!(
                "chart randomKey: {} → {}",
                shown(key(&self.chart)),
                shown(key(&now.chart))
            ));
        }
        let lookups = |c: &Option<ChartSettings>| -> std::collections::BTreeMap<LookupKey, serde_json::Value> {
            c.iter()
                .flat_map(|c| &c.lookups)
                .map(|l| (l.key(), l.answer.clone()))
                .collect()
        };
        let (was, is) = (lookups(&self.chart), lookups(&now.chart));
        for (key, answer) in &is {
            match was.get(key) {
                None => found.push(format!("lookup {key}: new")),
                Some(before) if before != answer => {
                    found.push(format!("lookup {key}: answered differently"))
                }
                Some(_) => {}
            }
        }
        for key in was.keys().filter(|k| !is.contains_key(*k)) {
            found.push(format!("lookup {key}: no longer asked"));
        }
        package_differences(&self.package, &now.package, "package", &mut found);
        value_differences(&self.values, &now.values, "", &mut found);
        // By identity, so that comparing thousands of objects stays linear.
        let locked: std::collections::HashMap<String, &LockedObject> =
            self.objects.iter().map(|o| (o.id(), o)).collect();
        let mut current = std::collections::HashSet::new();
        for object in &now.objects {
            let id = object.id();
            match locked.get(&id) {
                None => found.push(format!("object {id}: new")),
                Some(locked) if locked.digest != object.digest => {
                    found.push(format!("object {id}: changed"))
                }
                Some(_) => {}
            }
            current.insert(id);
        }
        for object in &self.objects {
            let id = object.id();
            if !current.contains(&id) {
                found.push(format!("object {id}: no longer rendered"));
            }
        }
        found
    }
}

fn package_differences(
    locked: &LockedPackage,
    now: &LockedPackage,
    at: &str,
    found: &mut Vec<String>,
) {
    if locked.name != now.name || locked.version != now.version {
        found.push(format!(
            "{at}: {} {} → {} {}",
            locked.name, locked.version, now.name, now.version
        ));
    } else if locked.digest != now.digest {
        found.push(format!(
            "{at}: {} {} changed content ({} → {})",
            now.name, now.version, locked.digest, now.digest
        ));
    }
    if locked.source != now.source {
        found.push(format!("{at}: source {} → {}", locked.source, now.source));
    }
    for dependency in &now.dependencies {
        let key = dependency.key.as_deref().unwrap_or_default();
        let path = format!("{at} → {key}");
        match locked.dependencies.iter().find(|d| d.key == dependency.key) {
            Some(old) => package_differences(old, dependency, &path, found),
            None => found.push(format!(
                "{path}: new dependency {} {}",
                dependency.name, dependency.version
            )),
        }
    }
    for dependency in &locked.dependencies {
        if !now.dependencies.iter().any(|d| d.key == dependency.key) {
            found.push(format!(
                "{at} → {}: dependency removed",
                dependency.key.as_deref().unwrap_or_default()
            ));
        }
    }
}

fn value_differences(
    locked: &serde_json::Value,
    now: &serde_json::Value,
    path: &str,
    found: &mut Vec<String>,
) {
    let is_secret = crate::release::secret::is_marker;
    match (locked, now) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b))
            if !is_secret(locked) && !is_secret(now) =>
        {
            for (key, value) in b {
                let child = crate::authoring::values::join(path, key);
                match a.get(key) {
                    Some(old) => value_differences(old, value, &child, found),
                    None => found.push(format!("value `{child}`: added")),
                }
            }
            for key in a.keys().filter(|k| !b.contains_key(*k)) {
                found.push(format!(
                    "value `{}`: removed",
                    crate::authoring::values::join(path, key)
                ));
            }
        }
        (a, b) if a != b => {
            let shown = |v: &serde_json::Value| {
                if is_secret(v) {
                    "(secret)".to_string()
                } else {
                    let text = v.to_string();
                    if text.chars().count() > 60 {
                        format!("{}…", text.chars().take(60).collect::<String>())
                    } else {
                        text
                    }
                }
            };
            found.push(format!("value `{path}`: {} → {}", shown(a), shown(b)));
        }
        _ => {}
    }
}

impl LockedEnvironment {
    /// A name to show for the environment: its name, or "no environment".
    pub fn label(name: Option<&str>) -> String {
        name.map_or_else(
            || "no environment".to_string(),
            |n| format!("environment `{n}`"),
        )
    }

    /// What differs between this locked environment and `now`, one line per
    /// difference, each naming its release.
    pub fn differences(&self, now: &LockedEnvironment) -> Vec<String> {
        let mut found = Vec::new();
        for release in &now.releases {
            match self.releases.iter().find(|r| r.name == release.name) {
                None => found.push(format!("release `{}`: not locked", release.name)),
                Some(locked) => found.extend(
                    locked
                        .differences(release)
                        .into_iter()
                        .map(|d| format!("release `{}`: {d}", release.name)),
                ),
            }
        }
        for release in &self.releases {
            if !now.releases.iter().any(|r| r.name == release.name) {
                found.push(format!(
                    "release `{}`: locked, but no longer declared",
                    release.name
                ));
            }
        }
        found
    }
}

impl Lockfile {
    /// An empty lockfile written by this cleat.
    pub fn new() -> Lockfile {
        Lockfile {
            lockfile_version: VERSION,
            generated_by: format!("cleat {}", env!("CARGO_PKG_VERSION")),
            environments: Vec::new(),
        }
    }

    /// The lockfile as its file holds it: pretty JSON, two-space indent,
    /// environments and releases sorted, ending in a newline.
    pub fn to_text(&self) -> String {
        let mut sorted = self.clone();
        sorted.environments.sort_by(|a, b| a.name.cmp(&b.name));
        for environment in &mut sorted.environments {
            environment.releases.sort_by(|a, b| a.name.cmp(&b.name));
        }
        serde_json::to_string_pretty(&sorted).unwrap_or_default() + "\n"
    }

    /// The releases locked for environment `name`.
    pub fn environment(&self, name: Option<&str>) -> Option<&LockedEnvironment> {
        self.environments.iter().find(|e| e.name.as_deref() == name)
    }

    /// Sets the releases of one environment, replacing what was locked for it.
    pub fn set_environment(&mut self, environment: LockedEnvironment) {
        self.environments.retain(|e| e.name != environment.name);
        self.environments.push(environment);
    }

    /// Reads the lockfile at `path`; `Ok(None)` when there is none.
    pub fn read(path: &Path) -> Result<Option<Lockfile>, Diagnostics> {
        let shown = path.display().to_string();
        match std::fs::read(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(crate::shared::files::io_error(&shown, &e).into()),
            Ok(bytes) => Lockfile::parse(&shown, &bytes)
                .map(Some)
                .map_err(Diagnostics::from),
        }
    }

    /// Parses lockfile text named `name` in messages.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Lockfile, Diagnostic> {
        let rewrite = "write it again with `cleat lock`, and review the change";
        let fail = |what: String| {
            Diagnostic::error(format!("lockfile `{name}` {what}")).about(name.to_string())
        };
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            let what = if e.is_eof() {
                "is truncated"
            } else {
                "is not valid JSON"
            };
            fail(format!("{what}: {e}")).hint(rewrite)
        })?;
        match value
            .get("lockfileVersion")
            .and_then(serde_json::Value::as_u64)
        {
            Some(OLDEST_VERSION..=VERSION) => {}
            Some(version) if version > VERSION => return Err(fail(format!(
                "has format version {version}, but this cleat ({}) reads version {VERSION}",
                env!("CARGO_PKG_VERSION")
            ))
            .hint(
                "it was written by a newer cleat: upgrade cleat; never edit the version by hand",
            )),
            Some(version) => {
                return Err(fail(format!(
                    "has format version {version}, which no cleat wrote"
                ))
                .hint(rewrite))
            }
            None => {
                return Err(fail(
                    "has no `lockfileVersion`: it is not a cleat lockfile".to_string(),
                )
                .hint(rewrite))
            }
        }
        let lockfile: Lockfile = serde_json::from_slice(bytes)
            .map_err(|e| fail(format!("is not a valid lockfile: {e}")).hint(rewrite))?;
        for environment in &lockfile.environments {
            for release in &environment.releases {
                if release.compute_digest() != release.digest {
                    return Err(fail(format!(
                        "has release `{}` whose content does not match its digest {}",
                        release.name, release.digest
                    ))
                    .hint("the lockfile was edited by hand; write it again with `cleat lock`"));
                }
            }
        }
        Ok(lockfile)
    }

    /// Writes the lockfile atomically: a crash leaves the old one whole.
    pub fn write(&self, path: &Path) -> Result<(), Diagnostic> {
        let shown = path.display().to_string();
        crate::shared::files::write(path, self.to_text().as_bytes()).map_err(|e| {
            Diagnostic::error(format!("cannot write `{shown}`: {e}")).about(shown.clone())
        })
    }
}

impl Default for Lockfile {
    fn default() -> Lockfile {
        Lockfile::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release() -> LockedRelease {
        LockedRelease::new(
            "web".into(),
            "shop".into(),
            None,
            &semver::Version::new(1, 34, 0),
            LockedPackage {
                key: None,
                name: "webapp".into(),
                version: "1.0.0".into(),
                app_version: None,
                format: None,
                source: "path:webapp".into(),
                digest: sha256(b"archive"),
                dependencies: Vec::new(),
            },
            serde_json::json!({"replicas": 2}),
            &[],
        )
    }

    #[test]
    fn a_lockfile_reads_back_what_it_wrote() {
        let mut lockfile = Lockfile::new();
        lockfile.set_environment(LockedEnvironment {
            name: None,
            releases: vec![release()],
        });
        let text = lockfile.to_text();
        assert_eq!(
            Lockfile::parse("cleat.lock", text.as_bytes()).unwrap(),
            lockfile
        );
    }

    #[test]
    fn bad_lockfiles_say_what_is_wrong() {
        let mut lockfile = Lockfile::new();
        lockfile.set_environment(LockedEnvironment {
            name: None,
            releases: vec![release()],
        });
        let text = lockfile.to_text();
        let message = |bytes: &[u8]| Lockfile::parse("cleat.lock", bytes).unwrap_err().message;
        assert!(message(&text.as_bytes()[..text.len() / 2])
            .starts_with("lockfile `cleat.lock` is truncated: EOF while parsing"));
        assert_eq!(
            message(
                text.replace("\"lockfileVersion\": 4", "\"lockfileVersion\": 7")
                    .as_bytes()
            ),
            format!(
                "lockfile `cleat.lock` has format version 7, but this cleat ({}) reads version 4",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert!(message(
            text.replace("\"replicas\": 2", "\"replicas\": 3")
                .as_bytes()
        )
        .starts_with(
            "lockfile `cleat.lock` has release `web` whose content does not match its digest"
        ));
        assert!(message(
            text.replace("\"kubeVersion\"", "\"kubeVersions\"")
                .as_bytes()
        )
        .starts_with(
            "lockfile `cleat.lock` is not a valid lockfile: unknown field `kubeVersions`"
        ));
    }

    #[test]
    fn differences_name_values_packages_and_objects() {
        let old = release();
        let mut now = old.clone();
        now.values = serde_json::json!({"replicas": 3, "debug": true});
        now.package.version = "1.1.0".into();
        assert_eq!(
            old.differences(&now),
            [
                "package: webapp 1.0.0 → webapp 1.1.0",
                "value `replicas`: 2 → 3",
                "value `debug`: added"
            ]
        );
    }
}
