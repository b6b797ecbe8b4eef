//! Build steps of the `cleat` package, both for the speed of a run:
//! - the Kubernetes schemas shipped gzipped in `schemas/kubernetes/` are
//!   unpacked into `OUT_DIR`, where `authoring::policy::kubernetes`
//!   includes them, so that a run reads a version's definitions in place
//!   instead of inflating a quarter of a megabyte first;
//! - on Linux the `cleat` binary is linked position-dependent (`-no-pie`,
//!   as Go links helm and kubectl), which spares every run the loader's
//!   pass over some 40,000 relocations of its tables (0.7 ms a run).

use std::io::Read;
use std::path::{Path, PathBuf};

fn main() {
    let shipped = Path::new("schemas/kubernetes");
    println!("cargo:rerun-if-changed={}", shipped.display());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let out = out.join("kubernetes");
    std::fs::create_dir_all(&out).expect("OUT_DIR is writable");
    let entries = std::fs::read_dir(shipped).expect("schemas/kubernetes is in the package");
    for entry in entries {
        let path = entry.expect("schemas/kubernetes lists").path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(unpacked) = name.strip_suffix(".gz") else {
            continue;
        };
        let compressed = std::fs::read(&path).expect("a shipped schema reads");
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(compressed.as_slice())
            .read_to_end(&mut text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        std::fs::write(out.join(unpacked), text).expect("OUT_DIR is writable");
    }
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
