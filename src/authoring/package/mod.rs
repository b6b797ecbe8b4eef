//! Packages: loading a package directory or archive into memory, with its manifest.
//!
//! A package is read once, whole, into a [`Package`]: its manifest, values
//! schema, templates, CRDs and every other file (for `files.get` in templates).
//! Nothing after this stage touches the file system, which is what keeps
//! rendering sandboxed and deterministic. Loading refuses symbolic links (they
//! could point outside the package), non-UTF-8 text and files or packages
//! larger than the documented limits.

pub mod archive;
pub mod manifest;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::shared::diagnostics::{Diagnostic, Diagnostics, Source};
use crate::shared::files::{io_error, read_within, too_large};
pub use manifest::{Dependency, Manifest, MANIFEST_FILE};

/// The file name of a package's values schema.
pub const SCHEMA_FILE: &str = "values.schema.yaml";
/// Largest single file accepted in a package or as a values file.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// Largest package accepted, all files together.
pub const MAX_PACKAGE_BYTES: u64 = 100 * 1024 * 1024;
/// Most files accepted in one package.
pub const MAX_PACKAGE_FILES: usize = 10_000;

/// A package read into memory. File names are relative to the package root and
/// use `/`, so they are the same on every machine.
#[derive(Debug, Clone)]
pub struct Package {
    /// Where the package was loaded from, for messages.
    pub location: PathBuf,
    pub manifest: Manifest,
    pub manifest_source: Arc<Source>,
    pub schema: Arc<Source>,
    /// `templates/**` in name order; names starting with `_` are helpers.
    pub templates: Vec<Arc<Source>>,
    /// `templates/NOTES.*` (not YAML): text rendered for people after an
    /// apply, not an object.
    pub notes: Option<Arc<Source>>,
    /// `crds/**` in name order: plain YAML, never templated.
    pub crds: Vec<Arc<Source>>,
    /// Every file of the package by relative name, templates included;
    /// shared so each render can hand it to templates without copying.
    pub files: Arc<BTreeMap<String, Vec<u8>>>,
    /// The digest of the archive the package came from, or of the canonical
    /// archive of its files, computed when first asked for.
    digest: OnceLock<String>,
}

impl Package {
    /// Opens a package directory or a package archive (`NAME-VERSION.tgz`).
    pub fn open(path: &Path) -> Result<Package, Diagnostics> {
        if path.is_file() {
            Package::read_archive(path)
        } else {
            Package::load(path)
        }
    }

    /// Loads the package directory at `dir`.
    pub fn load(dir: &Path) -> Result<Package, Diagnostics> {
        let files = read_tree(dir, &|name, _| {
            name.rsplit('/').next().is_some_and(|n| n.starts_with('.'))
        })?;
        Package::from_files(dir, files)
    }

    /// Reads the package archive at `path`, whose file name must be the
    /// package's [`archive_name`](Package::archive_name).
    pub fn read_archive(path: &Path) -> Result<Package, Diagnostics> {
        let bytes = read_within(path, MAX_PACKAGE_BYTES)?;
        Package::from_archive(path, &bytes)?.named_by(path)
    }

    /// The package read from `path`, if the file's name is the package's
    /// [`archive_name`](Package::archive_name).
    pub fn named_by(self, path: &Path) -> Result<Package, Diagnostics> {
        let shown = path.display().to_string();
        let package = self;
        let expected = package.archive_name();
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if file_name.as_deref() != Some(expected.as_str()) {
            let manifest = &package.manifest;
            return Err(Diagnostic::error(format!(
                "`{shown}` holds package {} {}, which disagrees with its file name",
                manifest.name, manifest.version
            ))
            .about(shown)
            .hint(format!(
                "an archive is named after the package it holds: `{expected}`"
            ))
            .into());
        }
        Ok(package)
    }

    /// Builds a package from archive bytes, named by `location` in messages.
    pub fn from_archive(location: &Path, bytes: &[u8]) -> Result<Package, Diagnostics> {
        let unpacked = archive::read(&location.display().to_string(), bytes)?;
        Package::from_unpacked(location, bytes, unpacked)
    }

    /// Builds a package from the archive `bytes`, already `unpacked`.
    pub fn from_unpacked(
        location: &Path,
        bytes: &[u8],
        unpacked: archive::Unpacked,
    ) -> Result<Package, Diagnostics> {
        let shown = location.display().to_string();
        let package = Package::from_files(location, unpacked.files)?;
        if unpacked.root != package.manifest.name {
            return Err(Diagnostic::error(format!(
                "package archive `{shown}` keeps its files under `{}/`, but its manifest names package `{}`",
                unpacked.root, package.manifest.name
            ))
            .about(shown)
            .hint("rebuild the archive with `cleat package DIR`")
            .into());
        }
        let _ = package.digest.set(crate::shared::digest::sha256(bytes));
        Ok(package)
    }

    /// Builds a package from its files, checking the manifest.
    pub fn from_files(
        location: &Path,
        files: BTreeMap<String, Vec<u8>>,
    ) -> Result<Package, Diagnostics> {
        let shown = location.display();
        let text = |name: &str| -> Result<Arc<Source>, Diagnostic> {
            let bytes = files.get(name).ok_or_else(|| {
                Diagnostic::error(format!("`{shown}` has no `{name}`")).about(shown.to_string()).hint(
                    "a package needs `package.yaml` and `values.schema.yaml`; `cleat new NAME` creates a working one",
                )
            })?;
            source(name, bytes)
        };
        let manifest_source = text(MANIFEST_FILE)?;
        let manifest = manifest::parse(&manifest_source).map_err(Diagnostics)?;
        let schema = text(SCHEMA_FILE)?;
        let sources_under = |dir: &str| -> Result<Vec<Arc<Source>>, Diagnostic> {
            files
                .iter()
                .filter(|(name, _)| name.starts_with(dir) && is_yaml(name))
                .map(|(name, bytes)| source(name, bytes))
                .collect()
        };
        let templates = sources_under("templates/")?;
        let crds = sources_under("crds/")?;
        let notes = files
            .iter()
            .find(|(name, _)| name.starts_with("templates/NOTES.") && !is_yaml(name))
            .map(|(name, bytes)| source(name, bytes))
            .transpose()?;
        if templates.is_empty() {
            return Err(Diagnostic::error(format!("`{shown}` has no templates"))
                .about(format!("{shown}/templates"))
                .hint("add Kubernetes YAML templates as `templates/NAME.yaml`")
                .into());
        }
        Ok(Package {
            location: location.to_path_buf(),
            manifest,
            manifest_source,
            schema,
            templates,
            notes,
            crds,
            files: Arc::new(files),
            digest: OnceLock::new(),
        })
    }

    /// The package with `prefix` in front of the names of its sources, so
    /// messages and output say which dependency a file belongs to
    /// (`redis/templates/service.yaml`). `files` keeps its names.
    pub fn prefixed(&self, prefix: &str) -> Package {
        let rename = |s: &Arc<Source>| Source::new(format!("{prefix}{}", s.name), s.text.clone());
        Package {
            manifest_source: rename(&self.manifest_source),
            schema: rename(&self.schema),
            templates: self.templates.iter().map(rename).collect(),
            notes: self.notes.as_ref().map(rename),
            crds: self.crds.iter().map(rename).collect(),
            ..self.clone()
        }
    }

    /// The file name of the package's archive: `NAME-VERSION.tgz`.
    pub fn archive_name(&self) -> String {
        let manifest = &self.manifest;
        format!(
            "{}-{}{}",
            manifest.name,
            manifest.version,
            archive::EXTENSION
        )
    }

    /// The canonical archive of the package's files.
    /// Building it also settles the package's [`digest`](Package::digest),
    /// unless it was read from an archive, so it is not built twice.
    pub fn archive(&self) -> Result<Vec<u8>, Diagnostic> {
        let bytes = archive::build(&self.manifest.name, &self.files).map_err(|e| {
            Diagnostic::error(format!(
                "cannot build the archive of `{}`: {e}",
                self.location.display()
            ))
        })?;
        self.digest
            .get_or_init(|| crate::shared::digest::sha256(&bytes));
        Ok(bytes)
    }

    /// The package's identity: `sha256:` and the digest of the archive it
    /// was read from, or of its canonical archive.
    pub fn digest(&self) -> Result<&str, Diagnostic> {
        if let Some(digest) = self.digest.get() {
            return Ok(digest);
        }
        let bytes = self.archive()?;
        Ok(self
            .digest
            .get_or_init(|| crate::shared::digest::sha256(&bytes)))
    }

    /// Templates that produce objects (helpers, named `_*`, only hold macros).
    pub fn rendered_templates(&self) -> impl Iterator<Item = &Arc<Source>> {
        self.templates.iter().filter(|t| !is_helper(&t.name))
    }
}

/// Whether a template is a helper: its file name starts with `_`.
pub fn is_helper(name: &str) -> bool {
    name.rsplit('/')
        .next()
        .is_some_and(|file| file.starts_with('_'))
}

fn is_yaml(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// Text of a package file, refusing what is not UTF-8; a byte-order mark
/// at its start is dropped.
pub fn source(name: &str, bytes: &[u8]) -> Result<Arc<Source>, Diagnostic> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(
            Diagnostic::error(format!("`{name}` is gzip-compressed, not text"))
                .about(name.to_string())
                .hint("serve or save it uncompressed"),
        );
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Source::new(
            name,
            text.strip_prefix('\u{feff}').unwrap_or(text),
        )),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            Err(Diagnostic::error(format!(
                "`{name}` is not valid UTF-8 (byte {} on line {line})",
                e.valid_up_to()
            ))
            .about(name.to_string())
            .hint("save the file as UTF-8"))
        }
    }
}

/// Reads one file the user names (a values file), within [`MAX_FILE_BYTES`].
pub fn read_file(path: &Path) -> Result<Vec<u8>, Diagnostic> {
    read_within(path, MAX_FILE_BYTES)
}

/// Every file below `dir`, by relative `/`-separated name, but those
/// `skip(name, is_dir)` names (a skipped directory is not entered): hidden
/// entries for a package, what `.helmignore` says for a Helm chart.
pub fn read_tree(
    dir: &Path,
    skip: &dyn Fn(&str, bool) -> bool,
) -> Result<BTreeMap<String, Vec<u8>>, Diagnostics> {
    let mut files = BTreeMap::new();
    for (name, path) in walk_tree(dir, skip)? {
        let bytes = fs::read(&path).map_err(|e| io_error(&name, &e))?;
        files.insert(name, bytes);
    }
    Ok(files)
}

/// The files [`read_tree`] would read, by name, with their paths, the
/// limits checked (for callers that read some files later, or never).
pub fn walk_tree(
    dir: &Path,
    skip: &dyn Fn(&str, bool) -> bool,
) -> Result<BTreeMap<String, std::path::PathBuf>, Diagnostics> {
    let shown = dir.display().to_string();
    let metadata = fs::metadata(dir).map_err(|e| io_error(&shown, &e))?;
    if !metadata.is_dir() {
        return Err(
            Diagnostic::error(format!("`{shown}` is not a package directory"))
                .about(shown)
                .hint("pass the directory that holds `package.yaml`")
                .into(),
        );
    }
    let mut files = BTreeMap::new();
    let mut total = 0u64;
    let mut pending = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, prefix)) = pending.pop() {
        let entries = fs::read_dir(&path).map_err(|e| io_error(&path.display().to_string(), &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&path.display().to_string(), &e))?;
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                return Err(Diagnostic::error(format!(
                    "`{}` has a file name that is not UTF-8",
                    entry.path().display()
                ))
                .about(entry.path().display().to_string())
                .into());
            };
            let name = format!("{prefix}{file_name}");
            let file_type = entry.file_type().map_err(|e| io_error(&name, &e))?;
            if skip(&name, file_type.is_dir()) {
                continue;
            }
            if file_type.is_symlink() {
                return Err(Diagnostic::error(format!("`{name}` is a symbolic link"))
                    .about(entry.path().display().to_string())
                    .hint("packages hold regular files only, so they cannot reach outside themselves; copy the file in")
                    .into());
            } else if file_type.is_dir() {
                pending.push((entry.path(), format!("{name}/")));
            } else if file_type.is_file() {
                let size = entry.metadata().map_err(|e| io_error(&name, &e))?.len();
                if size > MAX_FILE_BYTES {
                    return Err(too_large(&name, size, MAX_FILE_BYTES).into());
                }
                total += size;
                if total > MAX_PACKAGE_BYTES || files.len() >= MAX_PACKAGE_FILES {
                    return Err(Diagnostic::error(format!(
                        "`{shown}` is larger than a package may be ({} files, {} MiB at most)",
                        MAX_PACKAGE_FILES,
                        MAX_PACKAGE_BYTES / (1024 * 1024)
                    ))
                    .about(shown)
                    .into());
                }
                files.insert(name, entry.path());
            }
        }
    }
    Ok(files)
}
