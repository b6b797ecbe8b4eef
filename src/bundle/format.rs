//! Backup bundles: deployed state as one canonical archive.
//!
//! A bundle (`cleat-backup/` inside a canonical `.tgz`, written like a
//! package archive) holds, for every backed-up release, its newest record
//! (`records/NS/NAME.json`), its rendered objects (`objects/NS/NAME.json`),
//! optionally the live objects (`live/NS/NAME.json`), every package archive
//! its lock entry references (`packages/sha256/HEX.tgz`), and `cleat.lock`
//! with one environment per namespace. `bundle.json` lists every other file
//! with its SHA-256. Reading checks the format version first, then every
//! digest, the lockfile, the packages and the rendered objects, before
//! anything is used.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::authoring::package::archive;
use crate::cluster::record::Record;
use crate::release::lock::{LockedEnvironment, LockedObject, LockedPackage, Lockfile};
use crate::shared::diagnostics::{Diagnostic, Diagnostics};
use crate::shared::digest::sha256;

/// The top-level directory of a bundle.
pub const ROOT: &str = "cleat-backup";
/// The bundle format this cleat writes and reads.
pub const VERSION: u64 = 1;
const MANIFEST: &str = "bundle.json";

/// `bundle.json`: the bundle's version and every file's digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    pub bundle_version: u64,
    pub created_by: String,
    pub files: BTreeMap<String, String>,
}

/// A verified bundle.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub records: Vec<Record>,
    /// Package archives by digest.
    pub packages: BTreeMap<String, Vec<u8>>,
    /// Rendered objects by `NS/NAME` of their release.
    pub objects: BTreeMap<String, serde_json::Value>,
    pub lockfile: Lockfile,
    /// Whether live objects are included.
    pub live: usize,
}

/// What goes into a bundle for one release.
pub struct Entry {
    pub record: Record,
    /// The rendered objects, as a JSON `List`.
    pub objects: serde_json::Value,
    /// The live objects, as a JSON `List`, when included.
    pub live: Option<serde_json::Value>,
}

/// A record file of a bundle: JSON of the record format this cleat reads.
fn record(bytes: &[u8]) -> Result<Record, String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    match value["recordVersion"].as_u64() {
        Some(crate::cluster::record::VERSION) => {}
        Some(version) => {
            return Err(format!(
                "it has format version {version}; this cleat reads version {}",
                crate::cluster::record::VERSION
            ))
        }
        None => return Err("it has no `recordVersion`".to_string()),
    }
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// An objects file of a bundle: a `v1` `List` of objects.
fn list(bytes: &[u8]) -> Result<serde_json::Value, String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if value["apiVersion"] != "v1" || value["kind"] != "List" {
        return Err("it is not a `v1` `List`".to_string());
    }
    match value["items"].as_array() {
        Some(items) if items.iter().all(serde_json::Value::is_object) => Ok(value),
        _ => Err("its `items` are not a list of objects".to_string()),
    }
}

/// The locked object a Secret without values (as a bundle keeps it without
/// `--include-secrets`) stands for, if it is one.
fn redacted<'a>(
    object: &serde_json::Value,
    locked: &'a [LockedObject],
) -> Option<&'a LockedObject> {
    if object["kind"] != "Secret"
        || object.get("data").is_some()
        || object.get("stringData").is_some()
    {
        return None;
    }
    locked.iter().find(|l| {
        l.kind == "Secret"
            && object["apiVersion"] == l.api_version.as_str()
            && object["metadata"]["name"] == l.name.as_str()
            && object["metadata"]["namespace"].as_str() == l.namespace.as_deref()
    })
}

/// Reads and verifies the bundle file at `path`.
pub fn open(path: &std::path::Path) -> Result<Bundle, Diagnostics> {
    let shown = path.display().to_string();
    let bytes =
        crate::shared::files::read_within(path, crate::authoring::package::MAX_PACKAGE_BYTES)?;
    read(&shown, &bytes)
}

/// Every package digest a locked tree references.
pub fn digests(package: &LockedPackage, found: &mut Vec<String>) {
    found.push(package.digest.clone());
    for dependency in &package.dependencies {
        digests(dependency, found);
    }
}

/// Writes the bundle of `entries` with their `packages` (by digest).
pub fn write(
    entries: &[Entry],
    packages: &BTreeMap<String, Vec<u8>>,
) -> Result<Vec<u8>, Diagnostic> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut lockfile = Lockfile::new();
    let pretty = |value: &serde_json::Value| {
        serde_json::to_string_pretty(value)
            .unwrap_or_default()
            .into_bytes()
    };
    for entry in entries {
        let record = &entry.record;
        let at = format!("{}/{}.json", record.namespace, record.release);
        files.insert(
            format!("records/{at}"),
            pretty(&serde_json::to_value(record).unwrap_or_default()),
        );
        files.insert(format!("objects/{at}"), pretty(&entry.objects));
        if let Some(live) = &entry.live {
            files.insert(format!("live/{at}"), pretty(live));
        }
        let name = Some(record.namespace.clone());
        let mut releases = lockfile
            .environment(name.as_deref())
            .map(|e| e.releases.clone())
            .unwrap_or_default();
        releases.push(record.lock.clone());
        lockfile.set_environment(LockedEnvironment { name, releases });
    }
    files.insert("cleat.lock".into(), lockfile.to_text().into_bytes());
    for (digest, bytes) in packages {
        let hex = digest.trim_start_matches(crate::shared::digest::PREFIX);
        files.insert(format!("packages/sha256/{hex}.tgz"), bytes.clone());
    }
    let manifest = Manifest {
        bundle_version: VERSION,
        created_by: format!("cleat {}", env!("CARGO_PKG_VERSION")),
        files: files
            .iter()
            .map(|(name, bytes)| (name.clone(), sha256(bytes)))
            .collect(),
    };
    files.insert(
        MANIFEST.into(),
        pretty(&serde_json::to_value(&manifest).unwrap_or_default()),
    );
    archive::build(ROOT, &files)
        .map_err(|e| Diagnostic::error(format!("cannot write the bundle: {e}")))
}

/// Reads and verifies the bundle `bytes`, named `name` in messages.
pub fn read(name: &str, bytes: &[u8]) -> Result<Bundle, Diagnostics> {
    let fail = |what: String| {
        Diagnostic::error(format!("backup bundle `{name}` {what}")).about(name.to_string())
    };
    let unpacked = archive::read_as("backup bundle", name, bytes)?;
    if unpacked.root != ROOT {
        return Err(fail(format!(
            "keeps its files under `{}/`, not `{ROOT}/`: it is not a cleat backup",
            unpacked.root
        ))
        .into());
    }
    let mut files = unpacked.files;
    let manifest = files
        .remove(MANIFEST)
        .ok_or_else(|| fail(format!("has no `{MANIFEST}`: it is not a cleat backup")))?;
    let value: serde_json::Value = serde_json::from_slice(&manifest)
        .map_err(|e| fail(format!("has an invalid `{MANIFEST}`: {e}")))?;
    match value
        .get("bundleVersion")
        .and_then(serde_json::Value::as_u64)
    {
        Some(VERSION) => {}
        Some(version) if version > VERSION => {
            return Err(fail(format!(
                "has format version {version}, but this cleat ({}) reads version {VERSION}",
                env!("CARGO_PKG_VERSION")
            ))
            .hint("it was written by a newer cleat: restore it with that version")
            .into())
        }
        other => {
            return Err(fail(format!(
                "has format version {}, which no cleat wrote",
                other.unwrap_or(0)
            ))
            .into())
        }
    }
    let manifest: Manifest = serde_json::from_value(value)
        .map_err(|e| fail(format!("has an invalid `{MANIFEST}`: {e}")))?;
    let mut problems = Vec::new();
    for (file, digest) in &manifest.files {
        match files.get(file) {
            None => problems.push(fail(format!("lists `{file}`, which it does not hold"))),
            Some(bytes) if &sha256(bytes) != digest => problems.push(
                fail(format!(
                    "has `{file}` with digest {}, but its manifest says {digest}",
                    sha256(bytes)
                ))
                .hint("the bundle was changed after it was written: do not restore it"),
            ),
            Some(_) => {}
        }
    }
    for file in files.keys().filter(|f| !manifest.files.contains_key(*f)) {
        problems.push(fail(format!(
            "holds `{file}`, which its manifest does not list"
        )));
    }
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }
    let lockfile = Lockfile::parse(
        &format!("{name}: cleat.lock"),
        files.get("cleat.lock").map_or(&[][..], |b| b.as_slice()),
    )?;
    let mut records = Vec::new();
    let mut objects = BTreeMap::new();
    let mut packages = BTreeMap::new();
    for (file, bytes) in &files {
        if let Some(hex) = file
            .strip_prefix("packages/sha256/")
            .and_then(|f| f.strip_suffix(".tgz"))
        {
            let digest = format!("{}{hex}", crate::shared::digest::PREFIX);
            if sha256(bytes) != digest {
                problems.push(fail(format!(
                    "has `{file}`, whose content is {}",
                    sha256(bytes)
                )));
            }
            packages.insert(digest, bytes.clone());
        } else if let Some(at) = file
            .strip_prefix("records/")
            .and_then(|f| f.strip_suffix(".json"))
        {
            match record(bytes) {
                Ok(record) if format!("{}/{}", record.namespace, record.release) != at => problems
                    .push(fail(format!(
                        "has `{file}`, which holds the record of `{}/{}`",
                        record.namespace, record.release
                    ))),
                Ok(record) => records.push(record),
                Err(why) => problems.push(fail(format!("has an invalid record `{file}`: {why}"))),
            }
        } else if let Some(at) = file
            .strip_prefix("objects/")
            .and_then(|f| f.strip_suffix(".json"))
        {
            match list(bytes) {
                Ok(list) => {
                    objects.insert(at.to_string(), list);
                }
                Err(why) => problems.push(fail(format!("has invalid objects `{file}`: {why}"))),
            }
        } else if file.starts_with("live/") {
            if let Err(why) = list(bytes) {
                problems.push(fail(format!("has invalid live objects `{file}`: {why}")));
            }
        } else if file != "cleat.lock" {
            problems.push(fail(format!("holds `{file}`, which no cleat bundle holds")));
        }
    }
    for record in &records {
        let at = format!("{}/{}", record.namespace, record.release);
        let locked = lockfile
            .environment(Some(&record.namespace))
            .and_then(|e| e.releases.iter().find(|r| r.name == record.release));
        if locked != Some(&record.lock) {
            problems.push(fail(format!(
                "has a record of `{at}` that its cleat.lock does not match"
            )));
        }
        let mut needed = Vec::new();
        digests(&record.lock.package, &mut needed);
        for digest in needed.iter().filter(|d| !packages.contains_key(*d)) {
            problems.push(
                fail(format!(
                    "lacks the package archive {digest} that release `{at}` needs"
                ))
                .hint("back up again on a machine whose cache holds the packages"),
            );
        }
        // A Secret kept without its values cannot be checked by content:
        // it must be the locked object of its identity.
        let rendered: Vec<String> = objects
            .get(&at)
            .and_then(|list| list["items"].as_array())
            .into_iter()
            .flatten()
            .map(|o| match redacted(o, &record.lock.objects) {
                Some(locked) => locked.digest.clone(),
                None => sha256(crate::shared::digest::canonical_json(o).as_bytes()),
            })
            .collect();
        let mut rendered_sorted = rendered.clone();
        rendered_sorted.sort();
        let mut locked_digests: Vec<String> = record
            .lock
            .objects
            .iter()
            .map(|o| o.digest.clone())
            .collect();
        locked_digests.sort();
        if rendered_sorted != locked_digests {
            problems.push(fail(format!(
                "has rendered objects of `{at}` that do not match its lock entry"
            )));
        }
    }
    let live = files.keys().filter(|f| f.starts_with("live/")).count();
    Diagnostics::check(
        problems,
        Bundle {
            records,
            packages,
            objects,
            lockfile,
            live,
        },
    )
}
