//! Repositories: directories or HTTP(S) base URLs that hold package archives
//! and an [`index`] (or Helm charts and Helm's index, [`charts`]), and the
//! on-disk cache in front of them.
//!
//! Every archive fetched is checked against the digest its index gives before
//! it is used, then kept in a content-addressed cache
//! (`$XDG_CACHE_HOME/cleat/packages/sha256/HEX.tgz`), so a package once
//! fetched is never fetched again. Indexes of HTTP repositories are cached too
//! and refreshed only when asked, or when resolution needs a version the
//! cached index does not have.

pub mod charts;
pub mod index;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::authoring::package::{Package, MAX_PACKAGE_BYTES};
use crate::shared::diagnostics::{Diagnostic, Diagnostics};
use crate::shared::files::io_error;
pub use charts::{ChartEntry, ChartIndex};
pub use index::{Entry, Index, INDEX_FILE};

/// Where a repository is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Location {
    Dir(PathBuf),
    /// A base URL, always ending in `/`.
    Url(String),
}

impl Location {
    /// Reads a repository reference: an `http://` or `https://` URL, a
    /// `file://` path, or a directory. Relative references are relative to
    /// `base`, the location of whatever declared them.
    pub fn parse(text: &str, base: &Location) -> Location {
        if text.starts_with("http://") || text.starts_with("https://") {
            return Location::Url(with_slash(text));
        }
        let path = text.strip_prefix("file://").unwrap_or(text);
        match base {
            _ if Path::new(path).is_absolute() => Location::Dir(PathBuf::from(path)),
            Location::Dir(dir) => Location::Dir(normalize(&dir.join(path))),
            Location::Url(url) => Location::Url(with_slash(&join_url(url, path))),
        }
    }

    /// The address of `file` in the repository.
    fn file(&self, file: &str) -> String {
        match self {
            Location::Dir(dir) => dir.join(file).display().to_string(),
            Location::Url(url) => format!("{url}{file}"),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Dir(dir) => write!(f, "{}", dir.display()),
            Location::Url(url) => f.write_str(url),
        }
    }
}

fn with_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

/// `relative` resolved against the base URL `base` (which ends in `/`).
fn join_url(base: &str, relative: &str) -> String {
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut segments: Vec<&str> = base[host_end..]
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    for segment in relative.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    format!("{}/{}", &base[..host_end], segments.join("/"))
}

/// `path` with `.` and `..` components folded, without touching the disk.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The cache directory: `$XDG_CACHE_HOME/cleat`, else `$HOME/.cache/cleat`.
pub fn cache_dir() -> Result<PathBuf, Diagnostic> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = non_empty("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(dir).join("cleat"));
    }
    if let Some(home) = non_empty("HOME") {
        return Ok(PathBuf::from(home).join(".cache").join("cleat"));
    }
    Err(
        Diagnostic::error("cannot find a cache directory: neither XDG_CACHE_HOME nor HOME is set")
            .hint("set XDG_CACHE_HOME to a writable directory"),
    )
}

/// Most redirects followed for one request.
const MAX_REDIRECTS: usize = 5;

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> &str {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let host_end = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    &url[..host_end]
}

/// Fetches indexes and archives from repositories through the cache.
pub struct Client {
    agent: ureq::Agent,
    /// The cache directory, looked up when first needed.
    cache: Option<PathBuf>,
    /// Whether cached HTTP indexes are fetched again before use.
    refresh: bool,
    indexes: HashMap<Location, Arc<Index>>,
    chart_indexes: HashMap<Location, Arc<ChartIndex>>,
    /// `Authorization` headers by origin (`scheme://host[:port]`).
    credentials: HashMap<String, String>,
    /// HTTP indexes that were read from the cache, not fetched in this run.
    stale: Vec<Location>,
    /// Cache writes held back until [`Client::commit`], for commands that
    /// must write nothing unless all they read is verified.
    held: Option<Vec<(PathBuf, Vec<u8>)>>,
}

impl Client {
    /// A client using the cache directory; `refresh` fetches HTTP indexes
    /// again instead of using cached copies.
    pub fn new(refresh: bool) -> Client {
        let agent = ureq::Agent::config_builder()
            .user_agent(concat!("cleat/", env!("CARGO_PKG_VERSION")))
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_global(Some(Duration::from_secs(300)))
            .http_status_as_error(false)
            // Redirects are followed here, within the repository's host only.
            .max_redirects(0)
            .build()
            .into();
        Client {
            agent,
            cache: None,
            refresh,
            indexes: HashMap::new(),
            chart_indexes: HashMap::new(),
            credentials: HashMap::new(),
            stale: Vec::new(),
            held: None,
        }
    }

    /// A client that holds its cache writes back until [`Client::commit`].
    pub fn holding(refresh: bool) -> Client {
        Client {
            held: Some(Vec::new()),
            ..Client::new(refresh)
        }
    }

    /// Writes the cache entries held back, once what they hold is verified.
    pub fn commit(&mut self) -> Result<(), Diagnostic> {
        for (path, bytes) in self.held.take().unwrap_or_default() {
            self.store(&path, &bytes)?;
        }
        Ok(())
    }

    /// Forgets every HTTP index read from the cache, so the next use of each
    /// fetches it. Returns whether there was any.
    pub fn refresh_stale(&mut self) -> bool {
        let stale = std::mem::take(&mut self.stale);
        for location in &stale {
            self.indexes.remove(location);
            self.chart_indexes.remove(location);
        }
        self.refresh = true;
        !stale.is_empty()
    }

    /// The index of the cleat repository at `location`.
    pub fn index(&mut self, location: &Location) -> Result<Arc<Index>, Diagnostics> {
        if let Some(index) = self.indexes.get(location) {
            return Ok(Arc::clone(index));
        }
        let hint =
            |dir: &Path| format!("build the index with `cleat repo index {}`", dir.display());
        let index = self.read_index(location, "yaml", &hint, |address, bytes| {
            let source = crate::authoring::package::source(address, bytes)?;
            Ok(Arc::new(Index::parse(&source)?))
        })?;
        self.indexes.insert(location.clone(), Arc::clone(&index));
        Ok(index)
    }

    /// The index of the Helm chart repository at `location`.
    pub fn chart_index(&mut self, location: &Location) -> Result<Arc<ChartIndex>, Diagnostics> {
        if let Some(index) = self.chart_indexes.get(location) {
            return Ok(Arc::clone(index));
        }
        let hint = |dir: &Path| format!("build the index with `helm repo index {}`", dir.display());
        let index = self.read_index(location, "helm.yaml", &hint, |address, bytes| {
            let source = crate::authoring::package::source(address, bytes)?;
            Ok(Arc::new(ChartIndex::parse(&source)?))
        })?;
        self.chart_indexes
            .insert(location.clone(), Arc::clone(&index));
        Ok(index)
    }

    /// Reads and parses `index.yaml` at `location`: from the directory, or
    /// for a URL from the cache (a file ending in `suffix`) unless
    /// refreshing, else fetched and, once it parses, cached.
    fn read_index<T>(
        &mut self,
        location: &Location,
        suffix: &str,
        missing: &dyn Fn(&Path) -> String,
        parse: impl Fn(&str, &[u8]) -> Result<T, Diagnostics>,
    ) -> Result<T, Diagnostics> {
        let address = location.file(INDEX_FILE);
        match location {
            Location::Dir(dir) => {
                if !dir.is_dir() {
                    return Err(Diagnostic::error(format!(
                        "the repository directory `{}` does not exist",
                        dir.display()
                    ))
                    .hint("check the `repository:`; a relative path is relative to the file that names it")
                    .into());
                }
                let bytes = std::fs::read(dir.join(INDEX_FILE))
                    .map_err(|e| io_error(&address, &e).hint(missing(dir)))?;
                parse(&address, &bytes)
            }
            Location::Url(url) => {
                let cached = self.cache()?.join("indexes").join(format!(
                    "{}.{suffix}",
                    crate::shared::digest::sha256_hex(url.as_bytes())
                ));
                match std::fs::read(&cached) {
                    Ok(bytes) if !self.refresh => {
                        self.stale.push(location.clone());
                        // A cached index that no longer reads is said to be
                        // the cache's, not the server's.
                        parse(&address, &bytes).map_err(|mut errors| {
                            let hint = format!("this index was read from the cache (`{}`), not from the server; `--update` fetches it again", cached.display());
                            if let Some(first) = errors.0.first_mut() {
                                *first = first.clone().hint(hint);
                            }
                            errors
                        })
                    }
                    _ => {
                        // Only an index that reads is kept.
                        let bytes = self.get(&address)?;
                        let index = parse(&address, &bytes)?;
                        self.store(&cached, &bytes)?;
                        Ok(index)
                    }
                }
            }
        }
    }

    /// The archive of chart version `entry` of the Helm repository at
    /// `location`: from the cache, or fetched from its first URL (relative
    /// to the repository, or absolute), checked against the index's digest
    /// and cached.
    pub fn fetch_chart(
        &mut self,
        location: &Location,
        entry: &ChartEntry,
    ) -> Result<Vec<u8>, Diagnostics> {
        if let Some(bytes) = match &entry.digest {
            Some(digest) => self.cached(digest)?,
            None => None,
        } {
            return Ok(bytes);
        }
        let Some(url) = entry.urls.first() else {
            return Err(Diagnostic::error(format!(
                "the index of {location} lists {} {} without a URL",
                entry.name, entry.version
            ))
            .hint("ask the repository's owner to index it again (`helm repo index`)")
            .into());
        };
        let address = if url.contains("://") {
            url.clone()
        } else {
            location.file(url)
        };
        let bytes = match location {
            Location::Dir(_) if !url.contains("://") => {
                crate::shared::files::read_within(Path::new(&address), MAX_PACKAGE_BYTES)?
            }
            _ => self.get(&address)?,
        };
        let actual = crate::shared::digest::sha256(&bytes);
        if let Some(digest) = entry.digest.as_ref().filter(|d| **d != actual) {
            return Err(Diagnostic::error(format!(
                "`{address}` has digest {actual}, but the index of {location} says {digest}"
            ))
            .about(address)
            .hint("the archive changed after it was indexed: do not use it; if the publisher replaced it on purpose, they must index the repository again")
            .into());
        }
        self.keep(&bytes)?;
        Ok(bytes)
    }

    /// Sends `username` and `password` (HTTP basic authentication) with
    /// every request to the host of `location`, and to no other.
    pub fn authorize(&mut self, location: &Location, username: &str, password: &str) {
        if let Location::Url(url) = location {
            use base64::Engine;
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
            self.credentials
                .insert(origin(url).to_string(), format!("Basic {token}"));
        }
    }

    /// The package `entry` of the repository at `location`: from the cache,
    /// or fetched, checked against the entry's digest and cached.
    pub fn fetch(&mut self, location: &Location, entry: &Entry) -> Result<Package, Diagnostics> {
        let cached = self.archive_path(&entry.digest)?;
        let address = location.file(&entry.archive_name());
        let bytes = match self.read_cached(&cached) {
            Ok(bytes) if crate::shared::digest::sha256(&bytes) == entry.digest => bytes,
            _ => {
                let bytes = match location {
                    Location::Dir(_) => {
                        crate::shared::files::read_within(Path::new(&address), MAX_PACKAGE_BYTES)?
                    }
                    Location::Url(_) => self.get(&address)?,
                };
                let actual = crate::shared::digest::sha256(&bytes);
                if actual != entry.digest {
                    return Err(Diagnostic::error(format!(
                        "`{address}` has digest {actual}, but the index of {location} says {}",
                        entry.digest
                    ))
                    .about(address)
                    .hint("the archive changed after it was indexed: do not use it; if the publisher replaced it on purpose, they must index the repository again")
                    .into());
                }
                bytes
            }
        };
        let package = Package::from_archive(Path::new(&address), &bytes)?;
        let manifest = &package.manifest;
        if manifest.name != entry.name || manifest.version != entry.version {
            return Err(Diagnostic::error(format!(
                "`{address}` holds package {} {}, but the index of {location} lists it as {} {}",
                manifest.name, manifest.version, entry.name, entry.version
            ))
            .about(address)
            .into());
        }
        // Kept only once it is the package its index says it is.
        self.store(&cached, &bytes)?;
        Ok(package)
    }

    /// The archive with `digest` from the cache, if it is there whole.
    pub fn cached(&mut self, digest: &str) -> Result<Option<Vec<u8>>, Diagnostic> {
        let path = self.archive_path(digest)?;
        Ok(self
            .read_cached(&path)
            .ok()
            .filter(|bytes| crate::shared::digest::sha256(bytes) == digest))
    }

    /// A cache file: held back in this run, else on disk.
    fn read_cached(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let held = self.held.iter().flatten().find(|(p, _)| p == path);
        match held {
            Some((_, bytes)) => Ok(bytes.clone()),
            None => std::fs::read(path),
        }
    }

    /// Keeps an archive in the cache under its digest, so it can be used
    /// later without its source (`--lockfile`, backups).
    pub fn keep(&mut self, bytes: &[u8]) -> Result<(), Diagnostic> {
        let path = self.archive_path(&crate::shared::digest::sha256(bytes))?;
        if self.read_cached(&path).is_ok() {
            return Ok(());
        }
        self.store(&path, bytes)
    }

    /// Where the archive with `digest` is kept in the cache.
    pub fn archive_path(&mut self, digest: &str) -> Result<PathBuf, Diagnostic> {
        let hex = digest
            .strip_prefix(crate::shared::digest::PREFIX)
            .unwrap_or(digest);
        Ok(self
            .cache()?
            .join("packages")
            .join("sha256")
            .join(format!("{hex}.tgz")))
    }

    fn cache(&mut self) -> Result<PathBuf, Diagnostic> {
        if let Some(dir) = &self.cache {
            return Ok(dir.clone());
        }
        let dir = cache_dir()?;
        self.cache = Some(dir.clone());
        Ok(dir)
    }

    fn store(&mut self, path: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
        if let Some(held) = &mut self.held {
            held.push((path.to_path_buf(), bytes.to_vec()));
            return Ok(());
        }
        let shown = path.display().to_string();
        let fail = |e: std::io::Error| {
            Diagnostic::error(format!("cannot write to the cache `{shown}`: {e}"))
                .about(shown.clone())
                .hint("set XDG_CACHE_HOME to a writable directory")
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        crate::shared::files::write(path, bytes).map_err(fail)
    }

    /// GETs `url`, refusing bodies larger than a package may be, and
    /// following redirects only to the same host.
    fn get(&self, url: &str) -> Result<Vec<u8>, Diagnostic> {
        let fail = |reason: String| {
            Diagnostic::error(format!("cannot fetch `{url}`: {reason}")).about(url.to_string())
        };
        let mut at = url.to_string();
        let mut redirects = 0;
        let mut response = loop {
            let mut request = self.agent.get(&at);
            if let Some(authorization) = self.credentials.get(origin(&at)) {
                request = request.header("Authorization", authorization);
            }
            let response = request.call().map_err(|e| {
                fail(e.to_string()).hint("check the repository URL and the network")
            })?;
            if !response.status().is_redirection() {
                break response;
            }
            let Some(target) = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
            else {
                return Err(fail(format!(
                    "the server answered {} without a location",
                    response.status()
                )));
            };
            let target = if target.contains("://") {
                target.to_string()
            } else if target.starts_with('/') {
                format!("{}{target}", origin(&at))
            } else {
                join_url(&at[..at.rfind('/').map_or(at.len(), |i| i + 1)], target)
            };
            if origin(&target) != origin(url) {
                return Err(fail(format!("the server redirects to `{target}`, on another host"))
                    .hint(format!("cleat follows redirects within the repository's host only; if you trust `{}`, write the repository URL with that host", origin(&target))));
            }
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Err(fail(format!("more than {MAX_REDIRECTS} redirects")));
            }
            at = target;
        };
        let status = response.status();
        if !status.is_success() {
            let hint = if status == 404 && url.ends_with(INDEX_FILE) {
                format!(
                    "a repository serves `{INDEX_FILE}` at its base URL; is this the right URL?"
                )
            } else if status == 401 || status == 403 {
                "the repository wants credentials: give a Helm chart release `credentials: {username: {env: NAME}, password: {env: NAME}}`".to_string()
            } else {
                "check the repository URL, or ask its owner".to_string()
            };
            return Err(fail(format!("the server answered {status}")).hint(hint));
        }
        response
            .body_mut()
            .with_config()
            .limit(MAX_PACKAGE_BYTES)
            .read_to_vec()
            .map_err(|e| fail(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_against_their_base() {
        let dir = Location::Dir(PathBuf::from("/srv/app"));
        assert_eq!(
            Location::parse("../repo", &dir),
            Location::Dir(PathBuf::from("/srv/repo"))
        );
        assert_eq!(
            Location::parse("file:///r", &dir),
            Location::Dir(PathBuf::from("/r"))
        );
        let url = Location::parse("https://example.com/charts/stable", &dir);
        assert_eq!(
            url,
            Location::Url("https://example.com/charts/stable/".into())
        );
        assert_eq!(
            Location::parse("../lib", &url),
            Location::Url("https://example.com/charts/lib/".into())
        );
        assert_eq!(
            Location::parse("../../../x", &url),
            Location::Url("https://example.com/x/".into())
        );
    }
}
