//! Package archives: canonical bytes, reading archives like directories, and
//! refusing every kind of hostile archive with a clear error, writing nothing.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::{cleat, cleat_in, package, temp_dir};
use flate2::write::GzEncoder;
use flate2::Compression;
use tar::{EntryType, Header};

const CONFIGMAP: &[u8] = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ release.name }}\ndata:\n  replicas: {{ values.replicas | quote }}\n";
const MANIFEST: &[u8] = b"name: fixture\nversion: 0.1.0\ndescription: A test package\n";

fn fixture(name: &str) -> PathBuf {
    package(name, &[("templates/configmap.yaml", CONFIGMAP)])
}

/// Runs `cleat package DIR -o OUT` and returns the archive path and digest.
fn pack(dir: &Path, out: &Path) -> (PathBuf, String) {
    let stdout = cleat(&[
        "package",
        &dir.display().to_string(),
        "-o",
        &out.display().to_string(),
    ])
    .ok();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    (PathBuf::from(lines[0]), lines[1].to_string())
}

#[test]
fn archives_are_canonical_across_checkouts_and_times() {
    let first = fixture("canonical-a");
    let second = fixture("canonical-b");
    // The second checkout differs in everything but content: times,
    // permissions, creation order, and an ignored hidden file.
    fs::write(second.join(".editor.swp"), "x").unwrap();
    for file in ["package.yaml", "templates/configmap.yaml"] {
        let path = second.join(file);
        let f = fs::File::options().append(true).open(&path).unwrap();
        f.set_modified(
            std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (a, digest_a) = pack(&first, &temp_dir("out-a"));
    let (b, digest_b) = pack(&second, &temp_dir("out-b"));
    assert_eq!(a.file_name().unwrap(), "fixture-0.1.0.tgz");
    assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
    assert_eq!(digest_a, digest_b);
    // The digest is of the file's bytes, and it is stable across cleat
    // versions: a change here changes every package's identity.
    assert_eq!(
        digest_a,
        format!("sha256:{}", sha256_hex(&fs::read(&a).unwrap()))
    );
    assert_eq!(
        digest_a,
        "sha256:5d0496c97a0b5c2ea57569cc164369d48e392ec2308fd8549bafd96d53b1dca0"
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn render_lint_and_schema_read_archives_like_directories() {
    let dir = fixture("archive-reads");
    let (archive, _) = pack(&dir, &temp_dir("archive-reads-out"));
    let archive = archive.display().to_string();
    let directory = dir.display().to_string();
    for command in ["render", "lint", "schema"] {
        assert_eq!(
            cleat(&[command, &archive]).ok(),
            cleat(&[command, &directory]).ok(),
            "{command}"
        );
    }
}

#[test]
fn packaging_refuses_a_package_with_template_errors() {
    let dir = package(
        "pack-broken",
        &[("templates/cm.yaml", b"value: {{ values.replica }}\n")],
    );
    let out = temp_dir("pack-broken-out");
    let err = cleat(&[
        "package",
        &dir.display().to_string(),
        "-o",
        &out.display().to_string(),
    ])
    .err();
    assert!(
        err.contains("`values.replica` is not declared in the values schema"),
        "{err}"
    );
    assert_eq!(fs::read_dir(&out).unwrap().count(), 0, "nothing is written");
}

// ---- hostile archives ----

/// One raw tar entry: the name and link name go into the header verbatim,
/// bypassing the checks the tar crate's builder makes.
#[derive(Clone, Copy)]
struct Raw<'a> {
    name: &'a [u8],
    kind: EntryType,
    link: &'a [u8],
    data: &'a [u8],
}

fn file<'a>(name: &'a str, data: &'a [u8]) -> Raw<'a> {
    Raw {
        name: name.as_bytes(),
        kind: EntryType::Regular,
        link: b"",
        data,
    }
}

fn tar_bytes(entries: &[Raw]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = Header::new_gnu();
        let gnu = header.as_gnu_mut().unwrap();
        gnu.name[..entry.name.len()].copy_from_slice(entry.name);
        gnu.linkname[..entry.link.len()].copy_from_slice(entry.link);
        header.set_entry_type(entry.kind);
        header.set_size(entry.data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append(&header, entry.data).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A valid package's entries under `fixture/`, followed by `extra`.
fn archive_with(extra: &[Raw]) -> Vec<u8> {
    let mut entries = vec![
        file("fixture/package.yaml", MANIFEST),
        file("fixture/values.schema.yaml", common::SCHEMA.as_bytes()),
        file("fixture/templates/configmap.yaml", CONFIGMAP),
    ];
    entries.extend(extra.iter().copied());
    gzip(&tar_bytes(&entries))
}

/// Writes `bytes` as `fixture-0.1.0.tgz` in a fresh directory, renders it
/// from there, and checks that the directory holds nothing new afterwards.
fn render_archive(test: &str, bytes: &[u8]) -> String {
    let sandbox = temp_dir(test);
    let work = sandbox.join("work");
    fs::create_dir_all(&work).unwrap();
    fs::write(work.join("fixture-0.1.0.tgz"), bytes).unwrap();
    let err = cleat_in(&work, &["render", "fixture-0.1.0.tgz"]).err();
    let mut left: Vec<String> = walk(&sandbox);
    left.sort();
    assert_eq!(
        left,
        ["work", "work/fixture-0.1.0.tgz"],
        "nothing is written"
    );
    err
}

fn walk(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        found.push(path.strip_prefix(dir).unwrap().display().to_string());
        if path.is_dir() {
            found.extend(
                walk(&path)
                    .into_iter()
                    .map(|p| format!("{}/{p}", path.file_name().unwrap().to_string_lossy())),
            );
        }
    }
    found
}

#[test]
fn a_valid_crafted_archive_renders() {
    let sandbox = temp_dir("crafted-valid");
    fs::write(sandbox.join("fixture-0.1.0.tgz"), archive_with(&[])).unwrap();
    let out = cleat_in(&sandbox, &["render", "fixture-0.1.0.tgz"]).ok();
    assert!(out.contains("kind: ConfigMap"), "{out}");
}

#[test]
fn parent_directory_paths_are_refused() {
    let err = render_archive(
        "dotdot",
        &archive_with(&[file("fixture/../../escape.txt", b"x")]),
    );
    assert!(
        err.starts_with("error: package archive `fixture-0.1.0.tgz` has an entry `fixture/../../escape.txt` that points outside the archive with `..`\n"),
        "{err}"
    );
    assert!(err.contains("hint: package archives hold regular files under one directory; rebuild it with `cleat package`"), "{err}");
}

#[test]
fn absolute_paths_are_refused() {
    let err = render_archive("absolute", &archive_with(&[file("/tmp/escape.txt", b"x")]));
    assert!(
        err.contains("has an entry with an absolute path `/tmp/escape.txt`"),
        "{err}"
    );
}

#[test]
fn symbolic_links_are_refused() {
    let link = Raw {
        name: b"fixture/templates/passwd.yaml",
        kind: EntryType::Symlink,
        link: b"/etc/passwd",
        data: b"",
    };
    let err = render_archive("symlink", &archive_with(&[link]));
    assert!(
        err.contains("has `fixture/templates/passwd.yaml`, a symbolic link to `/etc/passwd`"),
        "{err}"
    );
}

#[test]
fn hard_links_are_refused() {
    let link = Raw {
        name: b"fixture/files/shadow",
        kind: EntryType::Link,
        link: b"../../etc/shadow",
        data: b"",
    };
    let err = render_archive("hardlink", &archive_with(&[link]));
    assert!(
        err.contains("has `fixture/files/shadow`, a hard link to `../../etc/shadow`"),
        "{err}"
    );
}

#[test]
fn device_files_and_fifos_are_refused() {
    let device = Raw {
        name: b"fixture/files/null",
        kind: EntryType::Char,
        link: b"",
        data: b"",
    };
    let err = render_archive("device", &archive_with(&[device]));
    assert!(
        err.contains("has `fixture/files/null`, a device file"),
        "{err}"
    );
    let block = Raw {
        name: b"fixture/files/sda",
        kind: EntryType::Block,
        link: b"",
        data: b"",
    };
    let err = render_archive("block", &archive_with(&[block]));
    assert!(
        err.contains("has `fixture/files/sda`, a device file"),
        "{err}"
    );
    let fifo = Raw {
        name: b"fixture/files/pipe",
        kind: EntryType::Fifo,
        link: b"",
        data: b"",
    };
    let err = render_archive("fifo", &archive_with(&[fifo]));
    assert!(err.contains("has `fixture/files/pipe`, a FIFO"), "{err}");
}

#[test]
fn duplicate_entries_are_refused() {
    let err = render_archive(
        "duplicate",
        &archive_with(&[file("fixture/templates/configmap.yaml", b"kind: Secret\n")]),
    );
    assert!(
        err.contains("has `fixture/templates/configmap.yaml` twice"),
        "{err}"
    );
}

#[test]
fn entries_outside_the_top_level_directory_are_refused() {
    let err = render_archive("two-roots", &archive_with(&[file("other/evil.yaml", b"x")]));
    assert!(
        err.contains("has entries under both `fixture/` and `other/`"),
        "{err}"
    );
}

#[test]
fn a_file_larger_than_the_limit_is_refused_from_its_header() {
    // The header claims 200 MiB; refused before any of it is read.
    let mut tar = tar_bytes(&[file("fixture/package.yaml", MANIFEST)]);
    let mut header = Header::new_gnu();
    header.set_path("fixture/files/huge").unwrap();
    header.set_size(200 * 1024 * 1024);
    header.set_cksum();
    tar.truncate(tar.len() - 1024);
    tar.extend_from_slice(header.as_bytes());
    let err = render_archive("huge-file", &gzip(&tar));
    assert!(
        err.contains(
            "has `fixture/files/huge` of 209715200 bytes, more than the 8 MiB a file may hold"
        ),
        "{err}"
    );
}

#[test]
fn decompression_bombs_are_refused() {
    // Thirteen 8 MiB files of zeros: about 100 KiB compressed, 104 MiB unpacked.
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let names: Vec<String> = (0..13).map(|i| format!("fixture/files/zero{i}")).collect();
    let bombs: Vec<Raw> = names.iter().map(|n| file(n, &zeros)).collect();
    let bytes = archive_with(&bombs);
    assert!(bytes.len() < 1024 * 1024, "{}", bytes.len());
    let err = render_archive("bomb", &bytes);
    assert!(
        err.starts_with("error: package archive `fixture-0.1.0.tgz` unpacks to more than a package may hold (10000 files, 100 MiB)\n"),
        "{err}"
    );
    // Zeros after the end of the tar stream count too.
    let mut tar = tar_bytes(&[file("fixture/package.yaml", MANIFEST)]);
    tar.extend(std::iter::repeat_n(0u8, 130 * 1024 * 1024));
    let err = render_archive("bomb-padding", &gzip(&tar));
    assert!(
        err.contains("unpacks to more than a package may hold"),
        "{err}"
    );
}

#[test]
fn too_many_entries_are_refused() {
    let names: Vec<String> = (0..10_001).map(|i| format!("fixture/files/f{i}")).collect();
    let entries: Vec<Raw> = names.iter().map(|n| file(n, b"")).collect();
    let err = render_archive("many", &archive_with(&entries));
    assert!(
        err.contains("unpacks to more than a package may hold (10000 files, 100 MiB)"),
        "{err}"
    );
}

#[test]
fn truncated_and_corrupt_gzip_is_refused() {
    let valid = archive_with(&[]);
    let err = render_archive("truncated", &valid[..valid.len() / 2]);
    assert!(
        err.starts_with("error: package archive `fixture-0.1.0.tgz` is truncated"),
        "{err}"
    );
    assert!(err.contains("hint: download or build it again"), "{err}");

    let mut corrupt = valid.clone();
    let middle = corrupt.len() / 2;
    for byte in &mut corrupt[middle..middle + 16] {
        *byte ^= 0x5a;
    }
    let err = render_archive("corrupt", &corrupt);
    assert!(
        err.starts_with(
            "error: package archive `fixture-0.1.0.tgz` is not a valid gzip-compressed tar archive"
        ) || err.starts_with("error: package archive `fixture-0.1.0.tgz` is truncated"),
        "{err}"
    );

    let err = render_archive("not-gzip", b"apiVersion: v1\nkind: ConfigMap\n");
    assert!(err.starts_with("error: package archive `fixture-0.1.0.tgz` is not a valid gzip-compressed tar archive (invalid gzip header)"), "{err}");
}

#[test]
fn a_manifest_that_disagrees_with_the_archive_name_is_refused() {
    let other = b"name: other\nversion: 0.1.0\ndescription: A test package\n";
    let mut entries = vec![
        file("fixture/package.yaml", other),
        file("fixture/values.schema.yaml", common::SCHEMA.as_bytes()),
        file("fixture/templates/configmap.yaml", CONFIGMAP),
    ];
    let err = render_archive("disagrees-root", &gzip(&tar_bytes(&entries)));
    assert!(
        err.starts_with("error: package archive `fixture-0.1.0.tgz` keeps its files under `fixture/`, but its manifest names package `other`\n"),
        "{err}"
    );
    entries[0] = file(
        "fixture/package.yaml",
        b"name: fixture\nversion: 0.2.0\ndescription: A test package\n",
    );
    let err = render_archive("disagrees-version", &gzip(&tar_bytes(&entries)));
    assert_eq!(
        err,
        "error: `fixture-0.1.0.tgz` holds package fixture 0.2.0, which disagrees with its file name\n  --> fixture-0.1.0.tgz\n  hint: an archive is named after the package it holds: `fixture-0.2.0.tgz`\n"
    );
}

#[test]
fn data_after_the_gzip_stream_is_refused() {
    // Appending a second gzip member would give the same package many digests.
    let mut bytes = archive_with(&[]);
    let second = gzip(b"more");
    bytes.extend(&second);
    let err = render_archive("trailing-member", &bytes);
    assert!(
        err.starts_with(&format!(
            "error: package archive `fixture-0.1.0.tgz` has {} bytes after its gzip stream\n",
            second.len()
        )),
        "{err}"
    );
    let mut bytes = archive_with(&[]);
    bytes.extend(b"junk");
    let err = render_archive("trailing-bytes", &bytes);
    assert!(err.contains("has 4 bytes after its gzip stream"), "{err}");
}

#[test]
fn a_nul_inside_an_entry_name_is_refused() {
    let err = render_archive(
        "nul-name",
        &archive_with(&[Raw {
            name: b"fixture/templates/a.yaml\0hidden.yaml",
            kind: EntryType::Regular,
            link: b"",
            data: CONFIGMAP,
        }]),
    );
    assert!(
        err.starts_with("error: package archive `fixture-0.1.0.tgz` has an entry whose name holds a NUL byte (`fixture/templates/a.yaml"),
        "{err}"
    );
}

#[test]
fn long_names_beyond_the_limit_and_sparse_entries_are_refused() {
    // A GNU long name of 2 MiB, written as the tar crate writes long names.
    let long = format!("fixture/{}", "d/".repeat(1024 * 1024));
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = Header::new_gnu();
    header.set_size(1);
    header.set_mode(0o644);
    builder
        .append_data(&mut header, format!("{long}x.yaml"), &b"x"[..])
        .unwrap();
    let err = render_archive("long-name", &gzip(&builder.into_inner().unwrap()));
    let length = long.len() + "x.yaml".len();
    assert!(
        err.starts_with(&format!("error: package archive `fixture-0.1.0.tgz` has an entry whose name is {length} bytes long, more than 4096\n")),
        "{err}"
    );
    // A well-formed GNU sparse entry: no sparse blocks, a real size of 0.
    let mut entries = tar_bytes(&[
        file("fixture/package.yaml", MANIFEST),
        file("fixture/values.schema.yaml", common::SCHEMA.as_bytes()),
        file("fixture/templates/configmap.yaml", CONFIGMAP),
    ]);
    entries.truncate(entries.len() - 1024); // the two end-of-archive blocks
    let mut header = Header::new_gnu();
    let gnu = header.as_gnu_mut().unwrap();
    gnu.name[..23].copy_from_slice(b"fixture/files/holes.bin");
    gnu.realsize.copy_from_slice(b"00000000000\0");
    header.set_entry_type(EntryType::GNUSparse);
    header.set_size(0);
    header.set_mode(0o644);
    header.set_cksum();
    entries.extend_from_slice(header.as_bytes());
    entries.extend_from_slice(&[0; 1024]);
    let err = render_archive("sparse", &gzip(&entries));
    assert!(
        err.starts_with("error: package archive `fixture-0.1.0.tgz` has `fixture/files/holes.bin`, a sparse file\n"),
        "{err}"
    );
}
