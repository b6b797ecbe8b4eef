//! The release file and the lockfile: byte-for-byte reproducible examples
//! that validate against the published schema, `--check` and `--locked`
//! catching every kind of change, secrets kept out, atomic writes, and clear
//! errors for bad release files and bad lockfiles.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{cleat_with, index, package, publish, temp_dir, Run};

const SECRET: &str = "example-password";

/// Runs cleat in `dir` with a cache of its own and the example secret set.
fn run(dir: &Path, args: &[&str]) -> Run {
    let cache = dir.join(".cache").display().to_string();
    cleat_with(
        dir,
        args,
        &[("XDG_CACHE_HOME", &cache), ("REPORT_DB_PASSWORD", SECRET)],
    )
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema_validates(
    schema: &serde_json::Value,
    document: &serde_json::Value,
) -> Result<(), String> {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("schema.json", schema.clone())
        .map_err(|e| e.to_string())?;
    let index = compiler
        .compile("schema.json", &mut schemas)
        .map_err(|e| e.to_string())?;
    schemas
        .validate(document, index)
        .map_err(|e| format!("{e:#}"))
}

#[test]
fn examples_are_reproduced_byte_for_byte_and_validate_against_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(root().join("lockfile-spec/lockfile.schema.json")).unwrap(),
    )
    .unwrap();
    for example in [
        "lockfile-spec/examples/basic",
        "lockfile-spec/examples/environments",
        "lockfile-spec/examples/helm-chart",
        "packages-example",
    ] {
        let committed = fs::read(root().join(example).join("cleat.lock")).unwrap();
        let copy = temp_dir("example").join("copy");
        copy_dir(&root().join(example), &copy);
        // Locking again writes the same bytes: secrets keep their salted markers.
        run(&copy, &["lock"]).ok();
        assert!(
            fs::read(copy.join("cleat.lock")).unwrap() == committed,
            "{example}/cleat.lock is not what `cleat lock` writes; run `REPORT_DB_PASSWORD={SECRET} cleat lock --file {example}/cleat.yaml` and review"
        );
        // From nothing, only the salts of secret markers (and the digests
        // over them) can differ.
        let text = String::from_utf8(committed.clone()).unwrap();
        if !text.contains("secretFrom") {
            fs::remove_file(copy.join("cleat.lock")).unwrap();
            run(&copy, &["lock"]).ok();
            assert!(
                fs::read(copy.join("cleat.lock")).unwrap() == committed,
                "{example}: not reproduced from nothing"
            );
        }
        let document: serde_json::Value = serde_json::from_slice(&committed).unwrap();
        if let Err(e) = schema_validates(&schema, &document) {
            panic!("{example}/cleat.lock does not validate against lockfile.schema.json: {e}");
        }
    }
}

#[test]
fn the_release_file_schema_accepts_the_example_release_files() {
    let schema: serde_json::Value =
        serde_json::from_str(&common::cleat(&["schema", "--release-file"]).ok()).unwrap();
    for file in [
        "packages-example/cleat.yaml",
        "lockfile-spec/examples/basic/cleat.yaml",
        "lockfile-spec/examples/environments/cleat.yaml",
    ] {
        let source = cleat::shared::diagnostics::Source::new(
            file,
            fs::read_to_string(root().join(file)).unwrap(),
        );
        let document = cleat::shared::yaml::parse_document(&source)
            .unwrap()
            .to_json();
        if let Err(e) = schema_validates(&schema, &document) {
            panic!("{file} does not validate: {e}");
        }
    }
    let bad = serde_json::json!({"releases": [{"name": "x", "package": "p", "valuesFiles": []}]});
    assert!(schema_validates(&schema, &bad).is_err());
}

/// A project: package `app` (a directory) depending on `lib` from a
/// directory repository, and `cleat.yaml` with one release of it.
fn project(test: &str) -> PathBuf {
    let dir = temp_dir(test);
    let repo = dir.join("repo");
    publish(&repo, "lib", "1.0.0", "");
    index(&repo);
    let app = package(
        &format!("{test}-app"),
        &[
            ("package.yaml", b"name: app\nversion: 1.0.0\ndescription: The app\ndependencies:\n  - {name: lib, version: ^1, repository: ../repo}\n"),
            ("values.schema.yaml", b"type: object\nproperties:\n  replicas: {type: integer, description: Pods, default: 1}\n  password: {type: string, description: Secret}\n  token: {type: string, description: Secret}\n"),
            ("templates/app.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ release.name }}\ndata:\n  replicas: {{ values.replicas | quote }}\n"),
        ],
    );
    copy_dir(&app, &dir.join("app"));
    fs::write(dir.join("token.txt"), "file-secret-value\n").unwrap();
    fs::write(
        dir.join("cleat.yaml"),
        "releases:\n  - name: web\n    namespace: web\n    package: app\n    values:\n      replicas: 1\n      password: {secretFrom: {env: REPORT_DB_PASSWORD}}\n      token: {secretFrom: {file: token.txt}}\n",
    )
    .unwrap();
    run(&dir, &["lock"]).ok();
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} not in {}", path.display());
    fs::write(path, text.replace(from, to)).unwrap();
}

#[test]
fn lock_is_deterministic_and_check_passes_when_nothing_changed() {
    let dir = project("deterministic");
    let first = fs::read(dir.join("cleat.lock")).unwrap();
    run(&dir, &["lock"]).ok();
    assert_eq!(fs::read(dir.join("cleat.lock")).unwrap(), first);
    assert_eq!(
        run(&dir, &["lock", "--check"]).ok(),
        "cleat.lock is up to date\n"
    );
    run(&dir, &["template", "web", "--locked"]).ok();
}

#[test]
fn check_and_locked_catch_a_changed_value() {
    let dir = project("changed-value");
    edit(&dir.join("cleat.yaml"), "replicas: 1", "replicas: 2");
    let err = run(&dir, &["lock", "--check"]).err();
    assert_eq!(
        err,
        "error: `cleat.lock` is out of date:\n  no environment: release `web`: value `replicas`: 1 → 2\n  no environment: release `web`: object v1 ConfigMap web: changed\n  hint: run `cleat lock`, review the change to the lockfile and commit it\n"
    );
    let err = run(&dir, &["template", "web", "--locked"]).err();
    assert!(
        err.contains("no environment: release `web`: value `replicas`: 1 → 2\n"),
        "{err}"
    );
    assert!(
        err.contains("hint: `--locked` uses only what the lockfile records"),
        "{err}"
    );
}

#[test]
fn check_and_locked_catch_a_changed_template() {
    let dir = project("changed-template");
    edit(
        &dir.join("app/templates/app.yaml"),
        "  replicas:",
        "  pods:",
    );
    let err = run(&dir, &["lock", "--check"]).err();
    assert!(
        err.contains("release `web`: package: app 1.0.0 changed content (sha256:"),
        "{err}"
    );
    assert!(
        err.contains("release `web`: object v1 ConfigMap web: changed"),
        "{err}"
    );
    let err = run(&dir, &["template", "web", "--locked"]).err();
    assert!(err.contains("changed content"), "{err}");
}

#[test]
fn check_and_locked_catch_a_new_package_version() {
    let dir = project("changed-version");
    fs::write(
        dir.join("cleat.yaml"),
        "releases:\n  - name: web\n    package: {name: lib, version: ^1, repository: repo}\n",
    )
    .unwrap();
    run(&dir, &["lock"]).ok();
    publish(&dir.join("repo"), "lib", "1.1.0", "");
    index(&dir.join("repo"));
    let err = run(&dir, &["lock", "--check"]).err();
    assert!(
        err.contains("no environment: release `web`: package: lib 1.0.0 → lib 1.1.0\n"),
        "{err}"
    );
    let err = run(&dir, &["template", "web", "--locked"]).err();
    assert!(err.contains("package: lib 1.0.0 → lib 1.1.0"), "{err}");
}

#[test]
fn check_and_locked_catch_a_new_dependency_version() {
    let dir = project("changed-dependency");
    publish(&dir.join("repo"), "lib", "1.2.0", "");
    index(&dir.join("repo"));
    let err = run(&dir, &["lock", "--check"]).err();
    assert!(
        err.contains("release `web`: package → lib: lib 1.0.0 → lib 1.2.0\n"),
        "{err}"
    );
    assert!(
        err.contains("release `web`: object v1 ConfigMap web-lib: changed"),
        "{err}"
    );
    let err = run(&dir, &["template", "web", "--locked"]).err();
    assert!(
        err.contains("package → lib: lib 1.0.0 → lib 1.2.0"),
        "{err}"
    );
    // Locking again takes the new version; the check then passes.
    run(&dir, &["lock"]).ok();
    run(&dir, &["lock", "--check"]).ok();
}

#[test]
fn secrets_never_appear_in_the_lockfile() {
    let dir = project("secrets");
    let text = fs::read_to_string(dir.join("cleat.lock")).unwrap();
    assert!(!text.contains(SECRET), "{text}");
    assert!(!text.contains("file-secret-value"), "{text}");
    // Markers hold a salted argon2id hash: no unsalted digest confirms a guess.
    assert!(
        !text.contains(&cleat::shared::digest::sha256(SECRET.as_bytes())),
        "{text}"
    );
    assert!(
        !text.contains(&cleat::shared::digest::sha256(b"file-secret-value")),
        "{text}"
    );
    assert_eq!(
        text.matches("\"hash\": \"$argon2id$v=19$m=19456,t=2,p=1$")
            .count(),
        2,
        "{text}"
    );
    // The same secrets keep their markers: locking again writes the same bytes.
    run(&dir, &["lock"]).ok();
    assert_eq!(fs::read_to_string(dir.join("cleat.lock")).unwrap(), text);
    run(&dir, &["lock", "--check"]).ok();
    run(&dir, &["template", "web", "--locked"]).ok();
    assert!(text.contains("\"env\": \"REPORT_DB_PASSWORD\""), "{text}");
    assert!(text.contains("\"file\": \"token.txt\""), "{text}");
    // A changed secret shows as changed, without its value.
    let cache = dir.join(".cache").display().to_string();
    let err = cleat_with(
        &dir,
        &["lock", "--check"],
        &[("XDG_CACHE_HOME", &cache), ("REPORT_DB_PASSWORD", "other")],
    )
    .err();
    assert!(
        err.contains("value `password`: (secret) → (secret)"),
        "{err}"
    );
    assert!(!err.contains("other"), "{err}");
    // A missing secret names its reference and the line.
    let err = cleat_with(&dir, &["lock"], &[("XDG_CACHE_HOME", &cache)]).err();
    assert!(
        err.starts_with("error: secret `password` comes from environment variable `REPORT_DB_PASSWORD`, which is not set\n  --> cleat.yaml:7:7\n"),
        "{err}"
    );
}

#[test]
fn a_lockfile_renders_without_the_release_files_sources() {
    let dir = project("from-lockfile");
    let expected = run(&dir, &["template", "web"]).ok();
    // The pipeline has the lockfile, the secrets and the cache, nothing else.
    let pipeline = dir.join("pipeline");
    fs::create_dir_all(&pipeline).unwrap();
    fs::copy(dir.join("cleat.lock"), pipeline.join("cleat.lock")).unwrap();
    fs::copy(dir.join("token.txt"), pipeline.join("token.txt")).unwrap();
    fs::remove_dir_all(dir.join("app")).unwrap();
    fs::remove_dir_all(dir.join("repo")).unwrap();
    let cache = dir.join(".cache").display().to_string();
    let env = [
        ("XDG_CACHE_HOME", cache.as_str()),
        ("REPORT_DB_PASSWORD", SECRET),
    ];
    let out = cleat_with(
        &pipeline,
        &["template", "web", "--lockfile", "cleat.lock"],
        &env,
    )
    .ok();
    assert_eq!(out, expected);
    // A secret other than the locked one is refused.
    let wrong = [
        ("XDG_CACHE_HOME", cache.as_str()),
        ("REPORT_DB_PASSWORD", "other"),
    ];
    let err = cleat_with(
        &pipeline,
        &["template", "web", "--lockfile", "cleat.lock"],
        &wrong,
    )
    .err();
    assert!(
        err.starts_with("error: release `web`: secret `password` is not the one locked\n"),
        "{err}"
    );
    // Without the cache, the package is nowhere.
    let empty = temp_dir("empty-cache").display().to_string();
    let none = [
        ("XDG_CACHE_HOME", empty.as_str()),
        ("REPORT_DB_PASSWORD", SECRET),
    ];
    let err = cleat_with(
        &pipeline,
        &["template", "web", "--lockfile", "cleat.lock"],
        &none,
    )
    .err();
    assert!(err.starts_with("error: cannot read `"), "{err}");
}

#[test]
fn corrupt_truncated_and_future_lockfiles_are_refused() {
    let dir = project("bad-lockfile");
    let good = fs::read_to_string(dir.join("cleat.lock")).unwrap();
    let cases = [
        (good[..good.len() / 2].to_string(), "error: lockfile `cleat.lock` is truncated: EOF while parsing"),
        ("{\"lockfileVersion\": 1, \"generatedBy\": \"x\" ] }".to_string(), "error: lockfile `cleat.lock` is not valid JSON: expected `,` or `}` at line 1 column 43"),
        (good.replace("\"lockfileVersion\": 4", "\"lockfileVersion\": 5"), "error: lockfile `cleat.lock` has format version 5, but this cleat (0.1.0) reads version 4\n"),
        ("{\"releases\": []}".to_string(), "error: lockfile `cleat.lock` has no `lockfileVersion`: it is not a cleat lockfile"),
        (good.replace("\"namespace\": \"web\"", "\"namespace\": \"other\""), "error: lockfile `cleat.lock` has release `web` whose content does not match its digest"),
        (good.replace("\"objects\"", "\"object\""), "error: lockfile `cleat.lock` is not a valid lockfile: unknown field `object`"),
    ];
    for (text, expected) in cases {
        fs::write(dir.join("cleat.lock"), &text).unwrap();
        for args in [
            &["lock", "--check"][..],
            &["template", "web", "--locked"],
            &["lock", "--env", "x"],
        ] {
            let err = run(&dir, args).err();
            if args[1] == "--env" {
                continue;
            }
            assert!(err.starts_with(expected), "{args:?}: {err}");
        }
    }
}

#[test]
fn a_killed_lock_leaves_the_old_lockfile_whole() {
    let dir = temp_dir("killed");
    let objects = root().join("bench/packages/objects");
    fs::write(
        dir.join("cleat.yaml"),
        format!(
            "releases:\n  - name: many\n    package: {}\n    values: {{count: 1000}}\n",
            objects.display()
        ),
    )
    .unwrap();
    run(&dir, &["lock"]).ok();
    let old = fs::read(dir.join("cleat.lock")).unwrap();
    edit(&dir.join("cleat.yaml"), "count: 1000", "count: 999");
    let cache = dir.join(".cache");
    for delay in [0u64, 20, 50, 100, 150, 200, 300] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cleat"))
            .args(["lock"])
            .current_dir(&dir)
            .env("XDG_CACHE_HOME", &cache)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        let now = fs::read(dir.join("cleat.lock")).unwrap();
        assert!(
            cleat::release::lock::Lockfile::parse("cleat.lock", &now).is_ok(),
            "a kill after {delay} ms left a broken lockfile"
        );
        if now != old {
            // The new one landed whole; start over from the old.
            fs::write(dir.join("cleat.lock"), &old).unwrap();
        }
    }
}

#[test]
fn release_file_errors_point_at_the_line() {
    let dir = temp_dir("bad-release-file");
    fs::write(
        dir.join("cleat.yaml"),
        "releases:\n  - name: Web\n    package: app\n    valuesFiles: [x.yaml]\nenvironments:\n  prod:\n    releases:\n      api: {replicas: 1}\ndefaultEnvironment: production\n",
    )
    .unwrap();
    let err = run(&dir, &["lock"]).err();
    assert_eq!(
        err,
        "error: unknown field `valuesFiles` in `cleat.yaml`
  --> cleat.yaml:4:5
   |
 4 |     valuesFiles: [x.yaml]
   |     ^^^^^^^^^^^
  hint: did you mean `valueFiles`?
  hint: known fields: name, namespace, package, helmRelease, randomKey, context, kubeVersion, valueFiles, values, policy

error: release name `Web` is not a valid name
  --> cleat.yaml:2:11
   |
 2 |   - name: Web
   |           ^^^
  hint: use lowercase letters, digits and `-`, at most 63 characters, starting with a letter

error: environment `prod` overrides release `api`, which is not declared
  --> cleat.yaml:8:7
   |
 8 |       api: {replicas: 1}
   |       ^^^

error: there is no environment `production`
  --> cleat.yaml:9:21
   |
 9 | defaultEnvironment: production
   |                     ^^^^^^^^^^
  hint: environments: prod

4 errors
"
    );
    let missing = temp_dir("no-release-file");
    let err = run(&missing, &["lock"]).err();
    assert_eq!(
        err,
        "error: cannot read `cleat.yaml`: no such file or directory\n  --> cleat.yaml\n  hint: run cleat where `cleat.yaml` is, or name it with `--file PATH`\n"
    );
    let dir = project("unknown-env");
    let err = run(&dir, &["template", "web", "--env", "prod"]).err();
    assert_eq!(err, "error: there is no environment `prod`\n  --> cleat.yaml\n  hint: the release file declares no environments\n");
    let err = run(&dir, &["template", "api"]).err();
    assert_eq!(
        err,
        "error: `cleat.yaml` declares no release `api`\n  --> cleat.yaml\n  hint: releases: web\n"
    );
    edit(
        &dir.join("cleat.yaml"),
        "{secretFrom: {env: REPORT_DB_PASSWORD}}",
        "{secretFrom: {env: A, file: b}}",
    );
    let err = run(&dir, &["lock"]).err();
    assert!(err.starts_with("error: a secret reference must be `secretFrom: {env: NAME}` or `secretFrom: {file: PATH}`\n  --> cleat.yaml:7:18\n"), "{err}");
}

#[test]
fn a_lockfile_of_version_1_is_read_and_rewritten_with_salted_markers() {
    let dir = project("version-1");
    // Turn the lockfile into what cleat wrote before version 2: unsalted
    // SHA-256 markers, with the release digests that go with them.
    let mut lockfile: cleat::release::lock::Lockfile =
        serde_json::from_str(&fs::read_to_string(dir.join("cleat.lock")).unwrap()).unwrap();
    lockfile.lockfile_version = 1;
    for release in &mut lockfile.environments[0].releases {
        for (key, value) in [("password", SECRET), ("token", "file-secret-value")] {
            let marker = &mut release.values[key];
            marker.as_object_mut().unwrap().shift_remove("hash");
            marker["sha256"] = cleat::shared::digest::sha256(value.as_bytes()).into();
        }
        release.digest = release.compute_digest();
    }
    fs::write(dir.join("cleat.lock"), lockfile.to_text()).unwrap();
    // It is still read: its secrets are checked against the old markers.
    run(&dir, &["template", "web", "--lockfile", "cleat.lock"]).ok();
    let cache = dir.join(".cache").display().to_string();
    let err = cleat_with(
        &dir,
        &["template", "web", "--lockfile", "cleat.lock"],
        &[("XDG_CACHE_HOME", &cache), ("REPORT_DB_PASSWORD", "guess")],
    )
    .err();
    assert!(
        err.starts_with("error: release `web`: secret `password` is not the one locked\n"),
        "{err}"
    );
    // `cleat lock` rewrites it, saying so.
    let locked = run(&dir, &["lock"]);
    assert_eq!(locked.code, 0, "{}", locked.stderr);
    assert!(locked.stderr.contains("warning: `cleat.lock` held 2 secret markers of lockfile version 1 (an unsalted SHA-256, which confirms a guessed secret); they are rewritten as salted argon2id hashes\n"), "{}", locked.stderr);
    let text = fs::read_to_string(dir.join("cleat.lock")).unwrap();
    assert!(text.contains("\"lockfileVersion\": 4"), "{text}");
    assert!(!text.contains("\"sha256\": \"sha256:"), "{text}");
    assert!(
        !text.contains(&cleat::shared::digest::sha256(SECRET.as_bytes())),
        "{text}"
    );
}
