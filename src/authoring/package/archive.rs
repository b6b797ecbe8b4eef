//! Package archives: the canonical `.tgz` a package is identified by, and
//! reading archives that may be hostile.
//!
//! Writing is canonical: regular files only, sorted by name, under one
//! top-level directory named after the package, with fixed modes, owners and
//! times, GNU long names, and a gzip header without name or time. The same
//! files give the same bytes on every machine, so the archive's SHA-256
//! identifies the package.
//!
//! Reading never touches the disk: entries are unpacked into memory, and
//! anything a package has no use for is refused before it is kept: links,
//! devices, FIFOs, sparse files, absolute or `..` paths, names with a NUL
//! byte or longer than [`MAX_NAME_BYTES`], duplicates, entries outside the
//! top-level directory, data after the gzip stream (which would give the same
//! content many digests), and archives that unpack past the package limits.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::rc::Rc;

use flate2::bufread::GzDecoder;
use flate2::{Compression, GzBuilder};
use tar::{EntryType, Header};

use super::{MAX_FILE_BYTES, MAX_PACKAGE_BYTES, MAX_PACKAGE_FILES};
use crate::shared::diagnostics::Diagnostic;

/// Longest entry name accepted, bytes (Linux's PATH_MAX).
pub const MAX_NAME_BYTES: usize = 4096;

/// The file name extension of package archives.
pub const EXTENSION: &str = ".tgz";

/// Most bytes an archive may unpack to, tar headers and padding included:
/// the package limit plus room for one header block per file.
const MAX_UNPACKED_BYTES: u64 = MAX_PACKAGE_BYTES + 2 * 1024 * MAX_PACKAGE_FILES as u64;

/// The canonical archive of a package named `root` holding `files`.
pub fn build(root: &str, files: &BTreeMap<String, Vec<u8>>) -> io::Result<Vec<u8>> {
    let gzip = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::default());
    let mut tar = tar::Builder::new(gzip);
    for (name, bytes) in files {
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        tar.append_data(&mut header, format!("{root}/{name}"), bytes.as_slice())?;
    }
    tar.into_inner()?.finish()
}

/// An archive read into memory.
#[derive(Debug)]
pub struct Unpacked {
    /// The top-level directory every entry is under.
    pub root: String,
    /// Files by name relative to `root`.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Reads the package archive `bytes`, named `name` in messages.
pub fn read(name: &str, bytes: &[u8]) -> Result<Unpacked, Diagnostic> {
    read_as("package archive", name, bytes)
}

/// An archive as messages name it: its kind and its file.
struct At<'a> {
    kind: &'a str,
    file: &'a str,
}

/// Reads an archive of the kind `kind` (for messages: "package archive",
/// "backup bundle"), with every check and limit of package archives.
pub fn read_as(kind: &str, name: &str, bytes: &[u8]) -> Result<Unpacked, Diagnostic> {
    let name = &At { kind, file: name };
    let unpacked = Rc::new(Cell::new(0u64));
    let reader = Limited {
        inner: GzDecoder::new(bytes),
        read: Rc::clone(&unpacked),
    };
    let mut archive = tar::Archive::new(reader);
    let fail = |error: io::Error| -> Diagnostic {
        if unpacked.get() > MAX_UNPACKED_BYTES {
            bomb(name)
        } else {
            corrupt(name, &error)
        }
    };
    let mut root: Option<String> = None;
    let mut files = BTreeMap::new();
    let mut total = 0u64;
    for entry in archive.entries().map_err(fail)? {
        let mut entry = entry.map_err(fail)?;
        let raw = entry.path_bytes();
        // A NUL ends a tar name field; bytes after it would be a second name.
        let old_name = &entry.header().as_old().name;
        let cut = old_name
            .iter()
            .position(|b| *b == 0)
            .is_some_and(|at| old_name[at..].iter().any(|b| *b != 0));
        if cut || raw.contains(&0) {
            return Err(hostile(
                name,
                format!(
                    "has an entry whose name holds a NUL byte (`{}`...)",
                    String::from_utf8_lossy(&raw[..raw.len().min(100)])
                ),
            ));
        }
        if raw.len() > MAX_NAME_BYTES {
            return Err(hostile(
                name,
                format!(
                    "has an entry whose name is {} bytes long, more than {MAX_NAME_BYTES}",
                    raw.len()
                ),
            ));
        }
        let path = String::from_utf8(raw.into_owned())
            .map_err(|_| hostile(name, "has an entry whose name is not UTF-8".to_string()))?;
        let components = components(&path).map_err(|why| hostile(name, why))?;
        let Some((top, rest)) = components.split_first() else {
            return Err(hostile(
                name,
                format!("has an entry with an empty name `{path}`"),
            ));
        };
        match &root {
            None => root = Some(top.to_string()),
            Some(root) if root != top => {
                return Err(hostile(
                    name,
                    format!("has entries under both `{root}/` and `{top}/`; a package archive has one top-level directory"),
                ))
            }
            Some(_) => {}
        }
        let header = entry.header();
        let kind = header.entry_type();
        match kind {
            EntryType::Directory => continue,
            EntryType::Regular => {}
            EntryType::Symlink | EntryType::Link => {
                let target = header
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                let what = if kind == EntryType::Symlink {
                    "a symbolic link"
                } else {
                    "a hard link"
                };
                return Err(hostile(name, format!("has `{path}`, {what} to `{target}`")));
            }
            EntryType::Char | EntryType::Block => {
                return Err(hostile(name, format!("has `{path}`, a device file")))
            }
            EntryType::Fifo => return Err(hostile(name, format!("has `{path}`, a FIFO"))),
            EntryType::GNUSparse => {
                return Err(hostile(name, format!("has `{path}`, a sparse file")))
            }
            other => {
                return Err(hostile(
                    name,
                    format!(
                        "has `{path}` of tar entry type {:?}",
                        other.as_byte() as char
                    ),
                ))
            }
        }
        let file = rest.join("/");
        if file.is_empty() {
            return Err(hostile(
                name,
                format!("has a file `{path}` at the top level"),
            ));
        }
        let size = header.size().map_err(fail)?;
        if size > MAX_FILE_BYTES {
            return Err(hostile(
                name,
                format!(
                    "has `{path}` of {size} bytes, more than the {} MiB a file may hold",
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
            ));
        }
        total += size;
        if total > MAX_PACKAGE_BYTES || files.len() >= MAX_PACKAGE_FILES {
            return Err(bomb(name));
        }
        if files.contains_key(&file) {
            return Err(hostile(name, format!("has `{path}` twice")));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        entry.read_to_end(&mut bytes).map_err(fail)?;
        files.insert(file, bytes);
    }
    // Read to the end of the gzip stream so its checksum and length are
    // verified; nothing may follow it (a second gzip member, or any bytes).
    let mut reader = archive.into_inner();
    io::copy(&mut reader, &mut io::sink()).map_err(fail)?;
    let rest = reader.inner.into_inner();
    if !rest.is_empty() {
        return Err(hostile(
            name,
            format!("has {} bytes after its gzip stream", rest.len()),
        ));
    }
    let Some(root) = root else {
        return Err(hostile(name, "is empty".to_string()));
    };
    Ok(Unpacked { root, files })
}

/// The components of an entry name, refusing absolute and `..` paths; `.`
/// and empty components are dropped.
pub fn components(path: &str) -> Result<Vec<&str>, String> {
    if path.starts_with('/') {
        return Err(format!("has an entry with an absolute path `{path}`"));
    }
    let mut components = Vec::new();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                return Err(format!(
                    "has an entry `{path}` that points outside the archive with `..`"
                ))
            }
            c if c.contains('\\') => {
                return Err(format!(
                    "has an entry `{path}` with a backslash in its name"
                ))
            }
            c => components.push(c),
        }
    }
    Ok(components)
}

fn hostile(name: &At, what: String) -> Diagnostic {
    Diagnostic::error(format!("{} `{}` {what}", name.kind, name.file))
        .about(name.file.to_string())
        .hint("package archives hold regular files under one directory; rebuild it with `cleat package`")
}

fn bomb(name: &At) -> Diagnostic {
    Diagnostic::error(format!(
        "{} `{}` unpacks to more than a package may hold ({MAX_PACKAGE_FILES} files, {} MiB)",
        name.kind,
        name.file,
        MAX_PACKAGE_BYTES / (1024 * 1024)
    ))
    .about(name.file.to_string())
}

fn corrupt(name: &At, error: &io::Error) -> Diagnostic {
    let mut reason = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        reason.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    let what = if error.kind() == io::ErrorKind::UnexpectedEof {
        "is truncated"
    } else {
        "is not a valid gzip-compressed tar archive"
    };
    Diagnostic::error(format!("{} `{}` {what} ({reason})", name.kind, name.file))
        .about(name.file.to_string())
        .hint("download or build it again; `cleat package DIR` writes a valid archive")
}

/// A reader that stops with an error once more than [`MAX_UNPACKED_BYTES`]
/// came through it, counting what it read in a cell the caller keeps.
struct Limited<R> {
    inner: R,
    read: Rc<Cell<u64>>,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        if self.read.get() > MAX_UNPACKED_BYTES {
            return Err(io::Error::other("archive unpacks past the size limit"));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> BTreeMap<String, Vec<u8>> {
        BTreeMap::from([
            ("package.yaml".to_string(), b"name: a\n".to_vec()),
            (
                format!("templates/{}.yaml", "x".repeat(120)),
                b"kind: A\n".to_vec(),
            ),
        ])
    }

    #[test]
    fn a_built_archive_reads_back_the_same_files() {
        let bytes = build("a", &files()).unwrap();
        let unpacked = read("a-1.0.0.tgz", &bytes).unwrap();
        assert_eq!(unpacked.root, "a");
        assert_eq!(unpacked.files, files());
        assert_eq!(
            build("a", &files()).unwrap(),
            bytes,
            "building is deterministic"
        );
    }

    #[test]
    fn paths_that_leave_the_archive_are_refused() {
        assert_eq!(components("./a//b/c").unwrap(), ["a", "b", "c"]);
        assert!(components("/etc/passwd")
            .unwrap_err()
            .contains("absolute path"));
        assert!(components("a/../../b").unwrap_err().contains("`..`"));
        assert!(components("a\\..\\b").unwrap_err().contains("backslash"));
    }
}
