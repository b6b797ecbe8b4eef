//! Seeded mutations of every kind of input cleat reads (YAML values, package
//! manifests, schemas, release files, lockfiles, repository indexes, package
//! archives, backup bundles): each is read in process, and must be accepted
//! or refused with an error, never a panic. A few hundred mutations per kind
//! run here; docs/testing.md says how to run many more.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use cleat::shared::diagnostics::Source;

/// Mutations per kind of input; `CLEAT_MUTATIONS` raises it for longer runs.
fn count() -> usize {
    std::env::var("CLEAT_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300)
}

/// A deterministic generator (a 64-bit LCG), so a failure names its seed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// Tokens that tend to break parsers: YAML indicators, anchors and aliases,
/// tags, huge and odd numbers, deep nesting, control and wide characters.
const TOKENS: &[&[u8]] = &[
    b": ",
    b"- ",
    b"{",
    b"}",
    b"[",
    b"]",
    b"&a ",
    b"*a",
    b"<<: *a",
    b"!!binary ",
    b"!x ",
    b"---\n",
    b"...\n",
    b"\"",
    b"'",
    b"|\n",
    b">-\n",
    b"#",
    b"\t",
    b"\r\n",
    b"\0",
    b"99999999999999999999999",
    b"-0x8000000000000000",
    b"1e400",
    b".nan",
    b"~",
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xe2\x80\xa8",
    b"{{ values }}",
    b"{% for x in range(10) %}",
    b"${ENV}",
    b"sha256:",
    b"secretFrom",
];

/// `seed` changed a few times: bytes flipped, cut, repeated, or a token put in.
fn mutate(seed: &[u8], random: &mut Lcg) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..=random.below(4) {
        let at = random.below(bytes.len() + 1);
        match random.below(5) {
            0 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] ^= 1 << random.below(8);
            }
            1 => bytes.truncate(at),
            2 => {
                let token = TOKENS[random.below(TOKENS.len())];
                bytes.splice(at..at, token.iter().copied());
            }
            3 if !bytes.is_empty() => {
                let end = (at + random.below(64)).min(bytes.len());
                let piece = bytes[at.min(end)..end].to_vec();
                bytes.splice(at.min(end)..at.min(end), piece);
            }
            _ => {
                let end = (at + random.below(16)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
        }
    }
    bytes
}

/// Reads `count()` mutations of `seed` with `read`, failing on any panic.
fn survive(kind: &str, seed: &[u8], read: impl Fn(&[u8])) {
    let mut random = Lcg(seed.len() as u64 ^ 0x5eed);
    for case in 0..count() {
        let input = mutate(seed, &mut random);
        let result = catch_unwind(AssertUnwindSafe(|| read(&input)));
        assert!(
            result.is_ok(),
            "{kind}: mutation {case} panicked; input:\n{}",
            String::from_utf8_lossy(&input)
        );
    }
}

fn source(name: &str, bytes: &[u8]) -> Option<Arc<Source>> {
    cleat::authoring::package::source(name, bytes).ok()
}

fn example(path: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn yaml_values_manifests_and_schemas_never_panic() {
    survive(
        "values",
        &example("packages-example/webapp/values-production.yaml"),
        |bytes| {
            if let Some(source) = source("values.yaml", bytes) {
                let _ = cleat::shared::yaml::parse_stream(&source);
            }
        },
    );
    survive(
        "manifest",
        &example("packages-example/webapp/package.yaml"),
        |bytes| {
            if let Some(source) = source("package.yaml", bytes) {
                let _ = cleat::authoring::package::manifest::parse(&source);
            }
        },
    );
    survive(
        "schema",
        &example("packages-example/webapp/values.schema.yaml"),
        |bytes| {
            if let Some(source) = source("values.schema.yaml", bytes) {
                let _ = cleat::authoring::values::Schema::parse(&source);
            }
        },
    );
}

#[test]
fn release_files_lockfiles_and_indexes_never_panic() {
    survive(
        "release file",
        &example("packages-example/cleat.yaml"),
        |bytes| {
            if let Some(source) = source("cleat.yaml", bytes) {
                let dir = std::path::PathBuf::from(".");
                let _ = cleat::release::file::ReleaseFile::parse(source, dir);
            }
        },
    );
    survive(
        "lockfile",
        &example("packages-example/cleat.lock"),
        |bytes| {
            let _ = cleat::release::lock::Lockfile::parse("cleat.lock", bytes);
        },
    );
    survive(
        "index",
        &example("packages-example/repository/index.yaml"),
        |bytes| {
            if let Some(source) = source("index.yaml", bytes) {
                let _ = cleat::authoring::repository::Index::parse(&source);
            }
        },
    );
}

#[test]
fn package_archives_and_bundles_never_panic() {
    let archive = example("packages-example/repository/webapp-1.0.0.tgz");
    survive("archive", &archive, |bytes| {
        let _ = cleat::authoring::package::Package::from_archive(
            std::path::Path::new("webapp-1.0.0.tgz"),
            bytes,
        );
    });
    // A bundle's files mutated inside a well-formed archive, so that the
    // checks after unpacking are reached too.
    let files = std::collections::BTreeMap::from([
        (
            "bundle.json".to_string(),
            b"{\"bundleVersion\": 1, \"createdBy\": \"cleat 0.1.0\", \"files\": {}}".to_vec(),
        ),
        (
            "cleat.lock".to_string(),
            example("packages-example/cleat.lock"),
        ),
    ]);
    let seed = serde_json::to_vec(&serde_json::json!({
        "recordVersion": 1, "release": "x", "namespace": "y", "revision": 1,
        "appliedAt": "2026-12-01T00:00:00Z", "appliedBy": "a", "lock": {}, "inventory": []
    }))
    .unwrap();
    survive("bundle record", &seed, |bytes| {
        let mut files = files.clone();
        files.insert("records/y/x.json".into(), bytes.to_vec());
        let manifest = serde_json::json!({
            "bundleVersion": 1, "createdBy": "cleat 0.1.0",
            "files": files.iter().filter(|(n, _)| *n != "bundle.json")
                .map(|(n, b)| (n.clone(), serde_json::Value::from(cleat::shared::digest::sha256(b))))
                .collect::<serde_json::Map<_, _>>(),
        });
        files.insert("bundle.json".into(), serde_json::to_vec(&manifest).unwrap());
        let archive = cleat::authoring::package::archive::build("cleat-backup", &files).unwrap();
        let _ = cleat::bundle::format::read("bundle.tgz", &archive);
    });
}
