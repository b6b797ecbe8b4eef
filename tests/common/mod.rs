//! Helpers for tests that run the `cleat` binary as a user would.

#![allow(dead_code)]

pub mod cluster;
pub mod helm;
pub mod http;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The result of one `cleat` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    pub fn ok(self) -> String {
        assert_eq!(self.code, 0, "cleat failed:\n{}", self.stderr);
        self.stdout
    }

    /// Asserts failure with exit code 1 and returns stderr.
    pub fn err(self) -> String {
        assert_eq!(
            self.code, 1,
            "expected exit code 1, stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self.stderr
    }
}

/// Runs `cleat` with `args` in the repository root, colours off.
pub fn cleat(args: &[&str]) -> Run {
    cleat_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

pub fn cleat_in(dir: &Path, args: &[&str]) -> Run {
    cleat_with(dir, args, &[])
}

/// Runs `cleat` in `dir` with extra environment variables.
pub fn cleat_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_cleat"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SOURCE_DATE_EPOCH")
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .output()
        .expect("the cleat binary runs");
    Run::from(output)
}

/// Runs `command` with `input` on its standard input and gives what it
/// printed; `runs` says what the test needs (for the message when the
/// program cannot be started).
pub fn piped(command: &mut Command, input: &[u8], runs: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect(runs);
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// A fresh, empty directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("cleat-test-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Writes `files` (name, text) under `root`, making directories.
pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

pub const MANIFEST: &str = "name: fixture\nversion: 0.1.0\ndescription: A test package\n";

pub const SCHEMA: &str = "type: object
properties:
  replicas: {type: integer, description: Pods, minimum: 1, default: 1}
  image:
    type: object
    description: Image
    properties:
      repository: {type: string, description: Repository, default: nginx}
      tag: {type: string, description: Tag, default: \"1.25\"}
  config:
    type: object
    description: Files
    additionalProperties: {type: string}
  enabled: {type: boolean, description: Switch, default: false}
";

/// Writes a package with the standard manifest and schema plus `files`
/// (which may replace them) and returns its directory.
pub fn package(name: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let dir = temp_dir(name);
    let defaults: [(&str, &[u8]); 2] = [
        ("package.yaml", MANIFEST.as_bytes()),
        ("values.schema.yaml", SCHEMA.as_bytes()),
    ];
    for (file, content) in defaults.iter().chain(files) {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

/// Replaces a temporary directory in output by `[DIR]`.
pub fn redact(text: &str, dir: &Path) -> String {
    text.replace(&dir.display().to_string(), "[DIR]")
}

/// Writes the archive of package `name` `version` into the repository
/// directory `repo`, built by the library (so even packages whose
/// dependencies cannot resolve can be published). The package has a
/// `greeting` value and renders one ConfigMap, `RELEASE-NAME`, that shows it
/// with the version; `dependencies` is the YAML list of its dependencies.
pub fn publish(repo: &Path, name: &str, version: &str, dependencies: &str) {
    let manifest = format!(
        "name: {name}\nversion: {version}\ndescription: The {name} package\ndependencies:\n{dependencies}"
    );
    let schema = format!(
        "type: object\nproperties:\n  greeting: {{type: string, description: Greeting, default: hello from {name}}}\n"
    );
    let template = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{{ release.name ~ \"-{name}\" }}}}\ndata:\n  version: \"{version}\"\n  greeting: {{{{ values.greeting }}}}\n"
    );
    let files = std::collections::BTreeMap::from([
        ("package.yaml".to_string(), manifest.into_bytes()),
        ("values.schema.yaml".to_string(), schema.into_bytes()),
        (
            "templates/configmap.yaml".to_string(),
            template.into_bytes(),
        ),
    ]);
    let bytes = cleat::authoring::package::archive::build(name, &files).unwrap();
    std::fs::create_dir_all(repo).unwrap();
    std::fs::write(repo.join(format!("{name}-{version}.tgz")), bytes).unwrap();
}

/// Runs `cleat repo index REPO`.
pub fn index(repo: &Path) {
    cleat(&["repo", "index", &repo.display().to_string()]).ok();
}
