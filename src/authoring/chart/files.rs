//! A chart's files by relative name: an archive's bytes, or for a chart
//! directory the path each file is read from when first needed, so that
//! files no template reads (CRDs without `--include-crds`, docs, dashboards
//! of disabled features) cost neither reading nor memory.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::shared::diagnostics::Diagnostic;

/// One file of a chart.
#[derive(Debug)]
pub struct File {
    path: Option<PathBuf>,
    bytes: OnceLock<Result<Vec<u8>, String>>,
}

/// Files by relative name (`files/config.ini`).
pub type Files = BTreeMap<String, Arc<File>>;

impl File {
    /// A file whose bytes are at hand.
    pub fn loaded(bytes: Vec<u8>) -> Arc<File> {
        Arc::new(File {
            path: None,
            bytes: OnceLock::from(Ok(bytes)),
        })
    }

    /// A file read from `path` when first asked for.
    pub fn at(path: PathBuf) -> Arc<File> {
        Arc::new(File {
            path: Some(path),
            bytes: OnceLock::new(),
        })
    }

    /// The file's bytes, or a diagnostic about `shown` (the file's name
    /// in messages) when it cannot be read.
    pub fn read(&self, shown: &str) -> Result<&[u8], Diagnostic> {
        self.bytes()
            .map_err(|message| Diagnostic::error(message).about(shown.to_string()))
    }

    /// The file's bytes; the message says which file could not be read.
    pub fn bytes(&self) -> Result<&[u8], String> {
        let read = self.bytes.get_or_init(|| {
            let path = self.path.as_deref().unwrap_or(std::path::Path::new(""));
            crate::authoring::package::read_file(path).map_err(|d| d.message)
        });
        read.as_deref().map_err(Clone::clone)
    }
}

/// Files whose bytes are at hand (an archive's).
pub fn loaded(files: BTreeMap<String, Vec<u8>>) -> Files {
    files
        .into_iter()
        .map(|(name, bytes)| (name, File::loaded(bytes)))
        .collect()
}
