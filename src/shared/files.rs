//! Files the user names: bounded reads with errors that name the file, and
//! atomic writes, so a reader sees the old file or the new one, never half of
//! either, even if cleat or the machine dies mid-write.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::Path;

use crate::shared::diagnostics::Diagnostic;

/// The directory holding `path`: its parent, or `.` for a bare file name.
pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Reads the file at `path` if it holds at most `limit` bytes.
pub fn read_within(path: &Path, limit: u64) -> Result<Vec<u8>, Diagnostic> {
    let shown = || path.display().to_string();
    // Opened once and asked its size by the handle: a chart reads hundreds.
    let file = File::open(path).map_err(|e| io_error(&shown(), &e))?;
    let metadata = file.metadata().map_err(|e| io_error(&shown(), &e))?;
    if metadata.is_dir() {
        let shown = shown();
        return Err(
            Diagnostic::error(format!("`{shown}` is a directory, expected a file")).about(shown),
        );
    }
    if metadata.len() > limit {
        return Err(too_large(&shown(), metadata.len(), limit));
    }
    // A file that grows after the check is still read to the limit only.
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(&shown(), &e))?;
    Ok(bytes)
}

pub fn too_large(name: &str, bytes: u64, limit: u64) -> Diagnostic {
    Diagnostic::error(format!(
        "`{name}` is {:.1} MiB, more than the {} MiB a file may hold",
        bytes as f64 / (1024.0 * 1024.0),
        limit / (1024 * 1024)
    ))
    .about(name.to_string())
}

pub fn io_error(name: &str, error: &std::io::Error) -> Diagnostic {
    let reason = match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    };
    Diagnostic::error(format!("cannot read `{name}`: {reason}")).about(name.to_string())
}

/// Writes `bytes` to `path` through a temporary file in the same directory,
/// synced to disk before it is renamed over `path`.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_with(path, bytes, &fs::OpenOptions::new())
}

/// Writes `bytes` to `path` as [`write`] does, readable by its owner only
/// (mode 0600 on Unix): for files that may hold secrets.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    write_with(path, bytes, &options)
}

fn write_with(path: &Path, bytes: &[u8], options: &fs::OpenOptions) -> io::Result<()> {
    let dir = parent_dir(path);
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
    let temporary = dir.join(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = options
            .clone()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        // Persist the rename itself; directories cannot be synced everywhere.
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_behind() {
        let dir = std::env::temp_dir().join(format!("cleat-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.txt");
        write(&path, b"old").unwrap();
        write(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        let missing = dir.join("missing/out.txt");
        assert!(write(&missing, b"x").is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
