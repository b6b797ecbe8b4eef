//! Helm charts as the package of a release in `cleat.yaml`: locked (the
//! chart's archive digest, Helm's computed values with secrets as markers,
//! every object), rendered again from the lock, checked with `lock
//! --check`, and applied to a real control plane with the chart's hooks
//! in cleat's phases: CRDs first, `pre-install` hooks by weight, each ready
//! before the next, the objects, then `post-` hooks, install and upgrade
//! told apart by the release's records. The control plane has no nodes:
//! the tests play the Job controller through the status subresource.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::cluster::{project, run, run_with, spawn, ControlPlane};
use common::helm::{helm, objects};
use common::{cleat_with, temp_dir};

const CHART: &[(&str, &str)] = &[
    (
        "Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.2.0\nappVersion: \"1.4\"\n",
    ),
    (
        "values.yaml",
        "replicas: 1\nimage: nginx:1.25\nbanner: hello\nsub:\n  colour: blue\n",
    ),
    (
        "crds/widget.yaml",
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.charts.example.com}
spec:
  group: charts.example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
",
    ),
    (
        "templates/settings.yaml",
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  replicas: {{ .Values.replicas | quote }}
  banner: {{ .Values.banner | default \"none\" | quote }}
  password: {{ .Values.password | default \"unset\" | b64enc | quote }}
  colour: {{ .Values.sub.colour }}
",
    ),
    (
        "templates/hooks.yaml",
        "apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migrate
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: \"5\"
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: {{ .Values.image }}}]
---
apiVersion: charts.example.com/v1
kind: Widget
metadata:
  name: {{ .Release.Name }}-first
  annotations:
    helm.sh/hook: pre-install
    helm.sh/hook-weight: \"-3\"
spec: {size: 1}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-upgraded
  annotations:
    helm.sh/hook: post-upgrade
data: {replicas: {{ .Values.replicas | quote }}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-ran
  annotations:
    helm.sh/hook: post-install,post-upgrade
    helm.sh/hook-delete-policy: hook-succeeded
data: {image: {{ .Values.image }}}
---
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations:
    helm.sh/hook: test
spec:
  containers: [{name: test, image: busybox}]
",
    ),
];

/// The fixture chart in a new directory `test`, as `web/`.
fn chart(test: &str) -> PathBuf {
    let root = temp_dir(test).join("web");
    common::write_files(&root, CHART);
    root
}

fn release(package: &Path, namespace: &str, values: &str) -> String {
    let values = if values.is_empty() {
        String::new()
    } else {
        format!("    values:\n{values}")
    };
    format!(
        "  - name: shop\n    namespace: {namespace}\n    package: {}\n{values}",
        package.display()
    )
}

const VALUES: &str =
    "      replicas: 3\n      banner: null\n      password: {secretFrom: {env: SHOP_PASSWORD}}\n";

fn lockfile(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("cleat.lock")).unwrap()).unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{:x}", sha2::Sha256::digest(bytes))
}

#[test]
fn a_chart_release_locks_its_archive_computed_values_and_objects() {
    let chart = chart("chart-release-lock");
    // `helm package` makes the archive a team publishes: its bytes are the
    // chart's identity in the lock.
    let out = chart.parent().unwrap();
    let packed = Command::new(helm())
        .args(["package", &chart.display().to_string(), "-d"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        packed.status.success(),
        "{}",
        String::from_utf8_lossy(&packed.stderr)
    );
    let archive = out.join("web-0.2.0.tgz");
    let dir = project(
        "chart-release-lock-project",
        &release(&archive, "shop", VALUES),
    );
    let env = [("SHOP_PASSWORD", "hunter2")];
    let locked = cleat_with(&dir, &["lock"], &env).ok();
    assert!(
        locked.starts_with("shop web 0.2.0 (6 objects) sha256:"),
        "{locked}"
    );

    let lock = lockfile(&dir);
    let entry = &lock["environments"][0]["releases"][0];
    assert_eq!(lock["lockfileVersion"], 4);
    let package = &entry["package"];
    assert_eq!(package["format"], "helm-chart");
    assert_eq!(package["name"], "web");
    assert_eq!(package["version"], "0.2.0");
    assert_eq!(package["appVersion"], "1.4");
    assert_eq!(
        package["digest"],
        sha256(&std::fs::read(&archive).unwrap()).as_str()
    );
    assert_eq!(entry["chart"], serde_json::json!({"time": 0}));
    // Helm's computed values: defaults under the release's, `null` removing
    // a default, the secret only as a marker.
    let values = &entry["values"];
    assert_eq!(values["replicas"], 3);
    assert_eq!(values["image"], "nginx:1.25");
    assert_eq!(values["sub"], serde_json::json!({"colour": "blue"}));
    assert!(values.get("banner").is_none(), "{values}");
    assert_eq!(values["password"]["secretFrom"]["env"], "SHOP_PASSWORD");
    assert!(!lock.to_string().contains("hunter2"));
    let names: Vec<&str> = entry["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "widgets.charts.example.com",
            "shop-migrate",
            "shop-first",
            "shop-ran",
            "shop-settings",
            "shop-upgraded"
        ],
        "test hooks are not part of the release"
    );

    // The objects are helm's, the hooks with cleat's phases written in.
    let by_cleat = objects(&cleat_with(&dir, &["template", "shop"], &env).ok());
    let by_helm = Command::new(helm())
        .args([
            "template",
            "shop",
            &archive.display().to_string(),
            "-n",
            "shop",
            "--include-crds",
            "--skip-tests",
            "--set",
            "replicas=3,banner=null,password=hunter2",
        ])
        .output()
        .unwrap();
    assert!(
        by_helm.status.success(),
        "{}",
        String::from_utf8_lossy(&by_helm.stderr)
    );
    let mut by_helm = objects(&String::from_utf8_lossy(&by_helm.stdout));
    let phases = [
        ("shop-first", "-2", "install"),
        ("shop-migrate", "-1", "always"),
        ("shop-upgraded", "1", "upgrade"),
        ("shop-ran", "1", "always"),
    ];
    for object in &mut by_helm {
        let name = object["metadata"]["name"].as_str().unwrap().to_string();
        let metadata = &mut object["metadata"];
        if let Some((_, phase, apply)) = phases.iter().find(|(n, _, _)| *n == name) {
            metadata["annotations"]["cleat.dev/phase"] = (*phase).into();
            metadata["annotations"]["cleat.dev/apply"] = (*apply).into();
        } else if name.starts_with("widgets.") {
            metadata["annotations"] = serde_json::json!({"cleat.dev/phase": "-3"});
        }
    }
    assert_eq!(by_cleat, by_helm);

    // From the lockfile alone, and checked against it.
    let again = cleat_with(
        &dir,
        &["template", "shop", "--lockfile", "cleat.lock"],
        &env,
    )
    .ok();
    assert_eq!(objects(&again), by_cleat);
    assert_eq!(
        cleat_with(&dir, &["lock", "--check"], &env).ok(),
        "cleat.lock is up to date\n"
    );
    let wrong = cleat_with(
        &dir,
        &["template", "shop", "--lockfile", "cleat.lock"],
        &[("SHOP_PASSWORD", "other")],
    )
    .err();
    assert!(
        wrong.contains("secret `password` is not the one locked"),
        "{wrong}"
    );
}

#[test]
fn lock_check_names_a_changed_chart_and_a_new_chart_version() {
    let chart = chart("chart-release-check");
    let dir = project("chart-release-check-project", &release(&chart, "shop", ""));
    cleat_with(&dir, &["lock"], &[]).ok();
    let digest = lockfile(&dir)["environments"][0]["releases"][0]["package"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    // A chart directory is identified by its canonical archive: the same
    // files give the same digest; `.helmignore`d files do not count.
    std::fs::write(chart.join(".helmignore"), "notes.txt\n").unwrap();
    std::fs::write(chart.join("notes.txt"), "scratch").unwrap();
    cleat_with(&dir, &["lock"], &[]).ok();
    let ignored = &lockfile(&dir)["environments"][0]["releases"][0]["package"]["digest"];
    assert_ne!(
        ignored.as_str().unwrap(),
        digest,
        ".helmignore is one of the chart's files"
    );
    std::fs::write(chart.join("notes.txt"), "scratch, changed").unwrap();
    assert_eq!(cleat_with(&dir, &["lock", "--check"], &[]).code, 0);

    std::fs::write(
        chart.join("values.yaml"),
        "replicas: 2\nimage: nginx:1.25\nsub: {colour: red}\n",
    )
    .unwrap();
    let changed = cleat_with(&dir, &["lock", "--check"], &[]).err();
    assert!(
        changed.contains("release `shop`: package: web 0.2.0 changed content (sha256:"),
        "{changed}"
    );
    assert!(
        changed.contains("release `shop`: value `replicas`: 1 → 2"),
        "{changed}"
    );
    assert!(
        changed.contains("release `shop`: value `sub.colour`: \"blue\" → \"red\""),
        "{changed}"
    );
    assert!(
        changed.contains("release `shop`: object v1 ConfigMap shop-settings: changed"),
        "{changed}"
    );

    let manifest = std::fs::read_to_string(chart.join("Chart.yaml")).unwrap();
    std::fs::write(chart.join("Chart.yaml"), manifest.replace("0.2.0", "0.3.0")).unwrap();
    let newer = cleat_with(&dir, &["lock", "--check"], &[]).err();
    assert!(
        newer.contains("release `shop`: package: web 0.2.0 → web 0.3.0"),
        "{newer}"
    );

    // A lock entry whose chart is gone from the cache and from its path.
    cleat_with(&dir, &["lock"], &[]).ok();
    std::fs::remove_dir_all(&chart).unwrap();
    let gone = cleat_with(
        &dir,
        &["template", "shop", "--lockfile", "cleat.lock"],
        &[("XDG_CACHE_HOME", "/nonexistent/cache")],
    )
    .err();
    assert!(gone.contains("chart web 0.3.0 (sha256:"), "{gone}");
    assert!(gone.contains("is not in the cache, and"), "{gone}");
    assert!(
        gone.contains("hint: restore it from a backup bundle, or lock again"),
        "{gone}"
    );
}

/// Polls until `found` gives something while `child` runs, at most a minute.
fn until<T>(child: &mut Child, what: &str, mut found: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = found() {
            return value;
        }
        if child.try_wait().unwrap().is_some() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            panic!("cleat ended before {what}:\n{stderr}");
        }
        assert!(start.elapsed() < Duration::from_secs(60), "never: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// cleat with `args` in `dir`, completing the migration Job (a new one,
/// not `before`) when it appears.
fn completing(
    plane: &ControlPlane,
    dir: &Path,
    args: &[&str],
    job: &str,
    before: &serde_json::Value,
) {
    let mut child = spawn(plane, dir, args, std::process::Stdio::piped());
    until(&mut child, "the migration Job is created", || {
        plane.get(job).filter(|j| j["metadata"]["uid"] != *before)
    });
    finish_and_wait(plane, child, job);
}

/// Completes Job `job`, then waits for `child` to succeed; gives its stdout.
fn finish_and_wait(plane: &ControlPlane, child: Child, job: &str) -> String {
    plane.finish_job(job, "Complete");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_chart_release_applies_crds_then_hooks_then_objects_and_upgrades() {
    let plane = ControlPlane::shared();
    let chart = chart("chart-release-apply");
    // `cleat apply` runs in the background here, without the variable: the
    // secret comes from a file. With a random key too, whose marker the
    // record keeps: an apply that changes nothing is no upgrade (the
    // post-upgrade hook waits).
    let values = VALUES.replace("{env: SHOP_PASSWORD}", "{file: password.txt}")
        + "    randomKey: {file: random.key}\n";
    let dir = project(
        "chart-release-apply-project",
        &release(&chart, "chart-release", &values),
    );
    std::fs::write(dir.join("password.txt"), "hunter2\n").unwrap();
    std::fs::write(dir.join("random.key"), "0123456789abcdef0123456789abcdef\n").unwrap();
    let env = [];
    let diff = run_with(plane, &dir, &["diff"], &env);
    assert_eq!(diff.code, 2, "{}", diff.stderr);
    assert!(
        diff.stdout.contains(
            "  order (each step applied once the one before is ready):
    1. phase -3:
       apiextensions.k8s.io/v1 CustomResourceDefinition widgets.charts.example.com
    2. phase -2:
       charts.example.com/v1 Widget chart-release/shop-first
    3. phase -1:
       batch/v1 Job chart-release/shop-migrate
    4. phase 0:
       v1 ConfigMap chart-release/shop-settings
"
        ),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout.contains("= skip v1 ConfigMap chart-release/shop-upgraded: applied when the release is upgraded\n"),
        "{}",
        diff.stdout
    );

    let job = "/apis/batch/v1/namespaces/chart-release/jobs/shop-migrate";
    let settings = "/api/v1/namespaces/chart-release/configmaps/shop-settings";
    let mut child = spawn(
        plane,
        &dir,
        &["apply", "--yes", "--timeout", "60s"],
        std::process::Stdio::piped(),
    );
    until(&mut child, "the migration Job is created", || {
        plane.get(job)
    });
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        plane.get(settings).is_none(),
        "the objects came before the pre-install hook completed"
    );
    assert!(plane
        .get("/apis/charts.example.com/v1/namespaces/chart-release/widgets/shop-first")
        .is_some());
    plane.finish_job(job, "Complete");
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let live = plane.get(settings).unwrap();
    assert_eq!(live["data"]["replicas"], "3");
    assert_eq!(live["data"]["banner"], "none");
    assert!(plane
        .get("/api/v1/namespaces/chart-release/configmaps/shop-upgraded")
        .is_none());
    assert!(plane
        .get("/api/v1/namespaces/chart-release/pods/shop-test")
        .is_none());

    let clean = run_with(plane, &dir, &["diff"], &env);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    // The post-install hook ran and was deleted, as its policy asks: that
    // is no drift.
    let ran = "/api/v1/namespaces/chart-release/configmaps/shop-ran";
    assert!(plane.get(ran).is_none());
    let status = run_with(plane, &dir, &["status", "--exit-code"], &env);
    assert_eq!(status.code, 0, "{}{}", status.stdout, status.stderr);
    assert!(status.stdout.contains("shop"), "{}", status.stdout);

    // An upgrade: the pre-install hook is left alone, the post-upgrade hook
    // comes after the objects; the changed Job is replaced and runs again.
    let values = values
        .replace("replicas: 3", "replicas: 4")
        .replace("banner: null", "image: nginx:1.27");
    std::fs::write(
        dir.join("cleat.yaml"),
        format!("releases:\n{}", release(&chart, "chart-release", &values)),
    )
    .unwrap();
    let diff = run_with(plane, &dir, &["diff"], &env).stdout;
    assert!(diff.contains("= skip charts.example.com/v1 Widget chart-release/shop-first: applied when the release is installed\n"), "{diff}");
    assert!(
        diff.contains("± replace batch/v1 Job chart-release/shop-migrate"),
        "{diff}"
    );
    assert!(
        diff.contains("+ create v1 ConfigMap chart-release/shop-upgraded\n"),
        "{diff}"
    );
    let first_job = plane.get(job).unwrap()["metadata"]["uid"].clone();
    let apply = ["apply", "--yes", "--timeout", "60s"];
    completing(plane, &dir, &apply, job, &first_job);
    assert_ne!(plane.get(job).unwrap()["metadata"]["uid"], first_job);
    assert_eq!(plane.get(settings).unwrap()["data"]["replicas"], "4");
    let upgraded = plane
        .get("/api/v1/namespaces/chart-release/configmaps/shop-upgraded")
        .unwrap();
    assert_eq!(upgraded["data"]["replicas"], "4");
    assert!(plane.get(ran).is_none());
    assert_eq!(run_with(plane, &dir, &["diff"], &env).code, 0);

    // An upgrade that leaves the migration Job as it is runs it again
    // (Helm's before-hook-creation, the default policy).
    let values = values.replace("replicas: 4", "replicas: 6");
    let file = format!("releases:\n{}", release(&chart, "chart-release", &values));
    std::fs::write(dir.join("cleat.yaml"), file).unwrap();
    let diff = run_with(plane, &dir, &["diff"], &env).stdout;
    assert!(diff.contains("± replace batch/v1 Job chart-release/shop-migrate (a hook: deleted and created again, so it runs again)\n"), "{diff}");
    assert!(
        diff.contains("+ create v1 ConfigMap chart-release/shop-ran\n"),
        "{diff}"
    );
    let third = plane.get(job).unwrap()["metadata"]["uid"].clone();
    completing(plane, &dir, &apply, job, &third);
    assert_ne!(plane.get(job).unwrap()["metadata"]["uid"], third);
    assert_eq!(plane.get(settings).unwrap()["data"]["replicas"], "6");
    assert!(plane.get(ran).is_none());
    assert_eq!(run_with(plane, &dir, &["diff"], &env).code, 0);

    // Revision 1 again, from its record (as revision 4): the chart archive
    // comes from the cache by digest. As `helm rollback`, it runs no
    // upgrade hook: the migration Job is left as it is.
    let second_job = plane.get(job).unwrap()["metadata"]["uid"].clone();
    let rollback = ["rollback", "shop", "-n", "chart-release", "--revision", "1"];
    run_with(plane, &dir, &rollback, &env).ok();
    assert_eq!(plane.get(settings).unwrap()["data"]["replicas"], "3");
    assert_eq!(plane.get(job).unwrap()["metadata"]["uid"], second_job);

    // A backup carries the chart archive, and verifies.
    let backup = ["backup", "-n", "chart-release", "-o", "backup.tgz"];
    run_with(plane, &dir, &backup, &env).ok();
    let verified = run(plane, &dir, &["verify", "backup.tgz"]).ok();
    assert!(
        verified.contains("  1 releases, 1 package archives, 6 rendered objects")
            && verified.contains("chart-release/shop revision 4 (web 0.2.0, applied "),
        "{verified}"
    );

    let deleted = run(
        plane,
        &dir,
        &["delete", "shop", "--namespace", "chart-release"],
    );
    assert_eq!(deleted.code, 0, "{}", deleted.stderr);
    assert!(plane.get(settings).is_none());
    assert!(plane
        .get("/api/v1/namespaces/chart-release/configmaps/shop-upgraded")
        .is_none());
}

/// A classic Helm repository in a new directory: `web` at `versions`,
/// packed by `helm package` and indexed by `helm repo index`.
fn helm_repository(test: &str, versions: &[&str]) -> PathBuf {
    let repo = temp_dir(test).join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    for version in versions {
        publish(&repo, version);
    }
    repo
}

/// Packs `web` at `version` into `repo` and indexes it again.
fn publish(repo: &Path, version: &str) {
    let chart = chart(&format!("chart-{version}"));
    let manifest = std::fs::read_to_string(chart.join("Chart.yaml")).unwrap();
    std::fs::write(chart.join("Chart.yaml"), manifest.replace("0.2.0", version)).unwrap();
    for args in [
        vec![
            "package".to_string(),
            chart.display().to_string(),
            "-d".into(),
            repo.display().to_string(),
        ],
        vec!["repo".into(), "index".into(), repo.display().to_string()],
    ] {
        let done = Command::new(helm()).args(&args).output().unwrap();
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
}

fn repository_release(url: &str, extra: &str) -> String {
    format!("  - name: shop\n    namespace: shop\n    package:\n      chart: web\n      version: \"~0.2\"\n      repository: {url}\n{extra}")
}

#[test]
fn a_chart_release_from_a_helm_repository_over_http() {
    let repo = helm_repository("chart-repository", &["0.2.0", "0.1.0", "1.0.0"]);
    let server = common::http::Server::serve(repo.clone());
    let dir = project(
        "chart-repository-project",
        &repository_release(&server.url, ""),
    );
    let cache = dir.join("cache").display().to_string();
    let env = [("XDG_CACHE_HOME", cache.as_str())];
    let locked = cleat_with(&dir, &["lock"], &env).ok();
    assert!(
        locked.starts_with("shop web 0.2.0 (6 objects) sha256:"),
        "{locked}"
    );
    let package = &lockfile(&dir)["environments"][0]["releases"][0]["package"];
    assert_eq!(package["format"], "helm-chart");
    assert_eq!(
        package["source"],
        format!("repository:{}", server.url).as_str()
    );
    let archive = std::fs::read(repo.join("web-0.2.0.tgz")).unwrap();
    assert_eq!(package["digest"], sha256(&archive).as_str());
    assert_eq!(server.take_requests(), ["/index.yaml", "/web-0.2.0.tgz"]);

    // From the lock, with an empty cache: fetched by the locked version and
    // checked against the locked digest.
    let fresh = dir.join("fresh").display().to_string();
    let again = cleat_with(
        &dir,
        &["template", "shop", "--lockfile", "cleat.lock"],
        &[("XDG_CACHE_HOME", &fresh)],
    )
    .ok();
    assert!(again.contains("name: shop-settings"), "{again}");

    // A new patch version: the cached index does not know it until
    // `--update`, which then reports it.
    publish(&repo, "0.2.1");
    assert_eq!(cleat_with(&dir, &["lock", "--check"], &env).code, 0);
    let newer = cleat_with(&dir, &["lock", "--check", "--update"], &env).err();
    assert!(
        newer.contains("release `shop`: package: web 0.2.0 → web 0.2.1"),
        "{newer}"
    );

    // An archive that is not the one indexed is refused.
    std::fs::write(repo.join("web-0.2.1.tgz"), &archive).unwrap();
    let tampered = cleat_with(&dir, &["lock", "--update"], &[("XDG_CACHE_HOME", &fresh)]).err();
    let refused = format!(
        "error: `{0}web-0.2.1.tgz` has digest {1}, but the index of {0} says sha256:",
        server.url,
        sha256(&archive)
    );
    assert!(tampered.starts_with(&refused), "{tampered}");
    assert!(
        tampered.contains("hint: the archive changed after it was indexed: do not use it"),
        "{tampered}"
    );

    // No version satisfies the constraint.
    std::fs::write(
        dir.join("cleat.yaml"),
        format!(
            "releases:\n{}",
            repository_release(&server.url, "").replace("~0.2", "^2")
        ),
    )
    .unwrap();
    let none = cleat_with(&dir, &["lock"], &env).err();
    assert!(
        none.contains(&format!(
            "error: no version of chart `web` in {} satisfies `^2`",
            server.url
        )),
        "{none}"
    );
    assert!(none.contains("hint: versions of `web` in"), "{none}");
    assert!(none.contains(": 1.0.0, 0.2.1, 0.2.0, 0.1.0"), "{none}");
}

#[test]
fn a_helm_repository_with_basic_authentication() {
    let repo = helm_repository("chart-repository-auth", &["0.2.0"]);
    let server = common::http::Server::serve(repo);
    server.require_basic_auth("ci", "s3cret");
    let credentials = "      credentials:\n        username: {env: REPO_USER}\n        password: {file: repo-password}\n";
    let dir = project(
        "chart-repository-auth-project",
        &repository_release(&server.url, credentials),
    );
    std::fs::write(dir.join("repo-password"), "s3cret\n").unwrap();
    let cache = dir.join("cache").display().to_string();

    let unset = cleat_with(&dir, &["lock"], &[("XDG_CACHE_HOME", &cache)]).err();
    assert!(unset.contains("error: secret `credentials.username` comes from environment variable `REPO_USER`, which is not set"), "{unset}");
    let wrong = cleat_with(
        &dir,
        &["lock"],
        &[("XDG_CACHE_HOME", &cache), ("REPO_USER", "someone")],
    )
    .err();
    assert!(
        wrong.contains(&format!(
            "error: cannot fetch `{}index.yaml`: the server answered 401 Unauthorized",
            server.url
        )),
        "{wrong}"
    );
    assert!(
        wrong.contains("hint: the repository wants credentials"),
        "{wrong}"
    );
    let locked = cleat_with(
        &dir,
        &["lock"],
        &[("XDG_CACHE_HOME", &cache), ("REPO_USER", "ci")],
    )
    .ok();
    assert!(locked.starts_with("shop web 0.2.0 (6 objects)"), "{locked}");
    assert!(!std::fs::read_to_string(dir.join("cleat.lock"))
        .unwrap()
        .contains("s3cret"));

    // A cleat repository is not a Helm one, and says so.
    let cleat_repo = temp_dir("chart-repository-cleat").join("repo");
    std::fs::create_dir_all(&cleat_repo).unwrap();
    std::fs::write(
        cleat_repo.join("index.yaml"),
        "formatVersion: 1\npackages: []\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("cleat.yaml"),
        format!(
            "releases:\n{}",
            repository_release(&cleat_repo.display().to_string(), "")
        ),
    )
    .unwrap();
    let wrong_kind = cleat_with(&dir, &["lock"], &[("XDG_CACHE_HOME", &cache)]).err();
    assert!(
        wrong_kind
            .contains("index.yaml` is not a Helm repository index: it has no `apiVersion: v1`"),
        "{wrong_kind}"
    );
    assert!(
        wrong_kind.contains(
            "hint: a Helm repository serves the `index.yaml` that `helm repo index` writes"
        ),
        "{wrong_kind}"
    );
}

#[test]
fn a_random_key_makes_a_chart_release_s_random_values_secret_and_is_locked_as_a_marker() {
    let root = temp_dir("chart-release-random").join("random");
    common::write_files(
        &root,
        &[
            ("Chart.yaml", "apiVersion: v2\nname: random\nversion: 0.1.0\n"),
            ("templates/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: admin\nstringData:\n  password: {{ randAlphaNum 24 | quote }}\n"),
        ],
    );
    let password = |dir: &Path, env: &[(&str, &str)]| {
        let out = cleat_with(dir, &["template", "shop"], env).ok();
        out.lines()
            .find(|l| l.contains("password:"))
            .unwrap()
            .to_string()
    };
    let keyed = |key: &str| format!("{}    randomKey: {key}\n", release(&root, "shop", ""));

    // Without a key: stable, but anyone who knows the release computes it.
    let open = project("chart-release-random-open", &release(&root, "shop", ""));
    let locked = cleat_with(&open, &["lock"], &[]);
    assert!(locked.stderr.contains("warning: `randAlphaNum` (and any other random function) draws from the release's name and namespace alone"), "{}", locked.stderr);
    let public = password(&open, &[]);

    let dir = project("chart-release-random", &keyed("{file: random.key}"));
    std::fs::write(dir.join("random.key"), "0123456789abcdef0123456789abcdef\n").unwrap();
    let first = cleat_with(&dir, &["lock"], &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(!first.stderr.contains("warning"), "{}", first.stderr);
    let lock = std::fs::read_to_string(dir.join("cleat.lock")).unwrap();
    assert!(!lock.contains("0123456789abcdef"), "{lock}");
    let marker = &lockfile(&dir)["environments"][0]["releases"][0]["chart"]["randomKey"];
    assert_eq!(
        marker["secretFrom"],
        serde_json::json!({"file": "random.key"})
    );
    assert!(
        marker["hash"].as_str().unwrap().starts_with("$argon2id$"),
        "{marker}"
    );
    let secret = password(&dir, &[]);
    assert_ne!(secret, public);
    // Locking again keeps the marker: the same bytes.
    cleat_with(&dir, &["lock"], &[]).ok();
    assert_eq!(
        std::fs::read_to_string(dir.join("cleat.lock")).unwrap(),
        lock
    );
    assert_eq!(cleat_with(&dir, &["lock", "--check"], &[]).code, 0);
    // From the lockfile, the key is read again and must be the locked one.
    let again = cleat_with(&dir, &["template", "shop", "--lockfile", "cleat.lock"], &[]).ok();
    assert!(again.contains(&secret), "{again}");
    std::fs::write(dir.join("random.key"), "another key, of thirty-two chars\n").unwrap();
    let wrong = cleat_with(&dir, &["template", "shop", "--lockfile", "cleat.lock"], &[]).err();
    assert!(
        wrong.contains("error: release `shop`: secret `randomKey` is not the one locked"),
        "{wrong}"
    );
    let changed = cleat_with(&dir, &["lock", "--check"], &[]).err();
    assert!(
        changed.contains("release `shop`: chart randomKey: (secret) → (secret)"),
        "{changed}"
    );
    assert!(
        changed.contains("release `shop`: object v1 Secret admin: changed"),
        "{changed}"
    );

    // Too short, or on a package, is refused.
    std::fs::write(dir.join("random.key"), "short\n").unwrap();
    let short = cleat_with(&dir, &["lock"], &[]).err();
    assert!(
        short.contains("error: the random key from `randomKey` has 5 characters, fewer than 32"),
        "{short}"
    );
    let pkg = common::package(
        "random-package",
        &[(
            "templates/cm.yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
        )],
    );
    std::fs::write(
        dir.join("cleat.yaml"),
        format!(
            "releases:\n{}    randomKey: {{env: KEY}}\n",
            release(&pkg, "shop", "")
        ),
    )
    .unwrap();
    let package = cleat_with(
        &dir,
        &["lock"],
        &[("KEY", "0123456789abcdef0123456789abcdef")],
    )
    .err();
    assert!(
        package.contains(
            "error: release `shop` sets `randomKey`, but its package is not a Helm chart"
        ),
        "{package}"
    );
    let bad = "releases:\n  - name: shop\n    package: x\n    randomKey: hunter2hunter2hunter2hunter2hunter2\n";
    std::fs::write(dir.join("cleat.yaml"), bad).unwrap();
    let literal = cleat_with(&dir, &["lock"], &[]).err();
    assert!(
        literal.contains(
            "error: `randomKey` must be `{env: NAME}` or `{file: PATH}`\n  --> cleat.yaml:4:16"
        ),
        "{literal}"
    );
    assert!(
        literal.contains("hint: secrets are never written in the release file"),
        "{literal}"
    );
}

#[test]
fn delete_runs_a_chart_s_pre_delete_hooks_first_and_its_post_delete_hooks_last() {
    let plane = ControlPlane::shared();
    let root = temp_dir("chart-release-delete-hooks").join("farewell");
    common::write_files(
        &root,
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: farewell\nversion: 0.1.0\n",
            ),
            (
                "templates/settings.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {a: b, token: {{ randAlphaNum 8 | quote }}}\n",
            ),
            (
                "templates/hooks.yaml",
                "apiVersion: batch/v1
kind: Job
metadata:
  name: drain
  annotations:
    helm.sh/hook: pre-delete
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: drain, image: busybox}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: farewell-note
  annotations:
    helm.sh/hook: post-delete
data: {said: goodbye}
",
            ),
        ],
    );
    let namespace = "chart-release-delete";
    let dir = project(
        "chart-release-delete-project",
        &release(&root, namespace, ""),
    );
    // diff and apply warn, as lock and template do, of random values
    // without a random key.
    let diff = run(plane, &dir, &["diff"]);
    let warning = "warning: `randAlphaNum` (and any other random function) draws from the release's name and namespace alone";
    assert!(diff.stderr.contains(warning), "{}", diff.stderr);
    let applied = run(plane, &dir, &["apply", "--yes"]);
    assert!(applied.stderr.contains(warning), "{}", applied.stderr);
    let job = format!("/apis/batch/v1/namespaces/{namespace}/jobs/drain");
    let settings = format!("/api/v1/namespaces/{namespace}/configmaps/settings");
    let note = format!("/api/v1/namespaces/{namespace}/configmaps/farewell-note");
    assert!(
        plane.get(&job).is_none() && plane.get(&note).is_none(),
        "delete hooks are not applied"
    );
    assert!(plane.get(&settings).is_some());

    let mut child = spawn(
        plane,
        &dir,
        &["delete", "shop", "-n", namespace, "--timeout", "60s"],
        std::process::Stdio::piped(),
    );
    until(&mut child, "the pre-delete Job is created", || {
        plane.get(&job)
    });
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        plane.get(&settings).is_some(),
        "the objects were deleted before the pre-delete hook completed"
    );
    let stdout = finish_and_wait(plane, child, &job);
    assert!(
        stdout
            .contains("release shop: 1 objects deleted, 1 records deleted\n  ran 2 delete hooks\n"),
        "{stdout}"
    );
    assert!(plane.get(&settings).is_none());
    assert_eq!(plane.get(&note).unwrap()["data"]["said"], "goodbye");

    // With --no-hooks, nothing runs: the hooks left from the last delete
    // are not made again.
    let uid = |path: &str| plane.get(path).unwrap()["metadata"]["uid"].clone();
    let (job_uid, note_uid) = (uid(&job), uid(&note));
    run(plane, &dir, &["apply", "--yes"]).ok();
    let quiet = run(
        plane,
        &dir,
        &["delete", "shop", "-n", namespace, "--no-hooks"],
    )
    .ok();
    assert_eq!(
        quiet,
        "release shop: 1 objects deleted, 1 records deleted\n"
    );
    assert_eq!((uid(&job), uid(&note)), (job_uid, note_uid));
    assert!(plane.get(&settings).is_none());
}

#[test]
fn a_chart_release_is_backed_up_exported_and_restored_onto_a_fresh_cluster() {
    let source = ControlPlane::start("chart-backup-source");
    let root = temp_dir("chart-backup").join("notes");
    common::write_files(
        &root,
        &[
            ("Chart.yaml", "apiVersion: v2\nname: notes\nversion: 2.0.0\n"),
            ("values.yaml", "greeting: hello\n"),
            (
                "templates/settings.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata: {greeting: {{ .Values.greeting }}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-ready\n  annotations:\n    helm.sh/hook: post-install\ndata: {ready: \"yes\"}\n",
            ),
        ],
    );
    let dir = project(
        "chart-backup-project",
        &release(&root, "notes", "      greeting: bonjour\n"),
    );
    run(&source, &dir, &["apply", "--yes"]).ok();
    run(
        &source,
        &dir,
        &["backup", "-n", "notes", "-o", "backup.tgz"],
    )
    .ok();
    let verified = run(&source, &dir, &["verify", "backup.tgz"]).ok();
    assert!(
        verified.contains("  1 releases, 1 package archives, 2 rendered objects"),
        "{verified}"
    );
    let exported = run(&source, &dir, &["export", "shop", "-n", "notes"]).ok();
    let exported = cleat::release::lock::Lockfile::parse("export", exported.as_bytes()).unwrap();
    let entry = &exported.environments[0].releases[0];
    assert_eq!(
        entry.package.format,
        Some(cleat::release::lock::Format::HelmChart)
    );
    assert_eq!(entry.values["greeting"], "bonjour");

    // A new, empty cluster, and a machine without the chart or its cache.
    let target = ControlPlane::start("chart-backup-target");
    let fresh = temp_dir("chart-restore");
    std::fs::copy(dir.join("backup.tgz"), fresh.join("backup.tgz")).unwrap();
    std::fs::remove_dir_all(&root).unwrap();
    let out = run(&target, &fresh, &["restore", "backup.tgz"]).ok();
    assert!(out.contains("restored notes/shop revision 1: "), "{out}");
    let notes = target
        .get("/api/v1/namespaces/notes/configmaps/notes")
        .unwrap();
    assert_eq!(notes["data"]["greeting"], "bonjour");
    assert_eq!(
        target
            .get("/api/v1/namespaces/notes/configmaps/notes-ready")
            .unwrap()["data"]["ready"],
        "yes"
    );
    // Its lock entry, exported from the new cluster, says it is up to date
    // and without drift.
    let exported = run(&target, &fresh, &["export", "shop", "-n", "notes"]).ok();
    std::fs::write(fresh.join("cleat.lock"), exported).unwrap();
    let status = run(
        &target,
        &fresh,
        &["status", "--lockfile", "cleat.lock", "--exit-code"],
    );
    assert_eq!(status.code, 0, "{}{}", status.stdout, status.stderr);
    assert!(
        status.stdout.contains("  lock: up to date"),
        "{}",
        status.stdout
    );
}

#[test]
fn cleat_test_runs_a_chart_s_test_hooks_and_reports_a_failure_with_its_reason() {
    let plane = ControlPlane::shared();
    let root = temp_dir("chart-release-tests").join("tested");
    common::write_files(
        &root,
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: tested\nversion: 0.1.0\n",
            ),
            (
                "templates/settings.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {a: b}\n",
            ),
            (
                "templates/tests/connection.yaml",
                "apiVersion: v1
kind: Pod
metadata:
  name: connection-test
  annotations:
    helm.sh/hook: test
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  containers: [{name: check, image: busybox, command: [wget, settings]}]
",
            ),
        ],
    );
    let namespace = "chart-release-tests";
    let dir = project(
        "chart-release-tests-project",
        &release(&root, namespace, ""),
    );
    run(plane, &dir, &["apply", "--yes"]).ok();
    let pod = format!("/api/v1/namespaces/{namespace}/pods/connection-test");
    assert!(plane.get(&pod).is_none(), "test hooks are not applied");
    // Pods need the namespace's default service account, which the test
    // control plane does not make (nor tokens: the pod mounts none).
    plane.apply_as(
        "test",
        &format!("/api/v1/namespaces/{namespace}/serviceaccounts/default"),
        serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": namespace}}),
    );

    // The control plane has no nodes: the test plays the kubelet.
    let finish = |phase: &str, message: &str| {
        let mut child = spawn(
            plane,
            &dir,
            &["test", "shop", "-n", namespace, "--timeout", "60s"],
            std::process::Stdio::piped(),
        );
        let before = plane.get(&pod).map(|p| p["metadata"]["uid"].clone());
        until(&mut child, "the test pod is created", || {
            plane
                .get(&pod)
                .filter(|p| Some(p["metadata"]["uid"].clone()) != before)
        });
        plane.patch_status(
            &format!("{pod}/status"),
            serde_json::json!({"status": {"phase": phase, "message": message}}),
        );
        child.wait_with_output().unwrap()
    };
    let passed = finish("Succeeded", "");
    assert!(
        passed.status.success(),
        "{}",
        String::from_utf8_lossy(&passed.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&passed.stdout),
        format!("release shop: 1 tests passed\n  passed v1 Pod {namespace}/connection-test\n")
    );
    // Run again, the test pod is made anew; this time it fails.
    let failed = finish("Failed", "wget: bad address 'settings'");
    assert_eq!(failed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains(&format!("error: v1 Pod {namespace}/connection-test is not ready: failed: wget: bad address 'settings'\n")), "{stderr}");
    assert!(stderr.contains("error: release shop (tests): a pod failed\n  hint: fix what the pod's conditions and events above show; waiting longer does not help\n"), "{stderr}");

    let package = common::package(
        "tested-package",
        &[(
            "templates/cm.yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n",
        )],
    );
    let plain = project(
        "chart-release-tests-package",
        &format!(
            "  - name: plain\n    namespace: {namespace}\n    package: {}\n",
            package.display()
        ),
    );
    run(plane, &plain, &["apply", "--yes"]).ok();
    let refused = run(plane, &plain, &["test", "plain", "-n", namespace]).err();
    assert!(
        refused.contains("error: release `plain` is a cleat package, which has no test hooks"),
        "{refused}"
    );
}

#[test]
fn a_failed_hook_with_hook_failed_is_deleted_after_its_failure_is_reported() {
    let plane = ControlPlane::shared();
    let root = temp_dir("chart-release-hook-failed").join("failing");
    common::write_files(
        &root,
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: failing\nversion: 0.1.0\n",
            ),
            (
                "templates/settings.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {a: b}\n",
            ),
            (
                "templates/migrate.yaml",
                "apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    helm.sh/hook: pre-install
    helm.sh/hook-delete-policy: hook-failed
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: busybox}]
",
            ),
        ],
    );
    let namespace = "chart-release-hook-failed";
    let dir = project(
        "chart-release-hook-failed-project",
        &release(&root, namespace, ""),
    );
    let job = format!("/apis/batch/v1/namespaces/{namespace}/jobs/migrate");
    let mut child = spawn(
        plane,
        &dir,
        &["apply", "--yes", "--timeout", "60s"],
        std::process::Stdio::piped(),
    );
    until(&mut child, "the migration Job is created", || {
        plane.get(&job)
    });
    plane.finish_job(&job, "Failed");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("error: batch/v1 Job {namespace}/migrate is not ready: failed: Job has reached the specified backoff limit\n")), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: not applied, because they come after: v1 ConfigMap {namespace}/settings\n"
        )),
        "{stderr}"
    );
    assert!(plane.get(&job).is_none(), "the failed hook is deleted");
    assert!(plane
        .get(&format!(
            "/api/v1/namespaces/{namespace}/configmaps/settings"
        ))
        .is_none());
}

#[test]
fn rollback_runs_the_target_revision_s_rollback_hooks_and_not_its_upgrade_hooks() {
    let plane = ControlPlane::shared();
    let root = temp_dir("chart-release-rollback-hooks").join("backward");
    common::write_files(
        &root,
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: backward\nversion: 0.1.0\n",
            ),
            ("values.yaml", "version: 1\n"),
            (
                "templates/settings.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {version: {{ .Values.version | quote }}}\n",
            ),
            (
                "templates/hooks.yaml",
                "apiVersion: v1
kind: ConfigMap
metadata:
  name: migrated
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
data: {version: {{ .Values.version | quote }}}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: prepare-rollback
  annotations:
    helm.sh/hook: pre-rollback
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: prepare, image: busybox}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: rolled-back
  annotations:
    helm.sh/hook: post-rollback
data: {to: {{ .Values.version | quote }}}
",
            ),
        ],
    );
    let namespace = "chart-release-rollback-hooks";
    let first = project(
        "chart-release-rollback-hooks-project",
        &release(&root, namespace, "      version: 1\n"),
    );
    run(plane, &first, &["apply", "--yes"]).ok();
    let path = |kind: &str, name: &str| match kind {
        "jobs" => format!("/apis/batch/v1/namespaces/{namespace}/jobs/{name}"),
        _ => format!("/api/v1/namespaces/{namespace}/{kind}/{name}"),
    };
    let (job, note) = (
        path("jobs", "prepare-rollback"),
        path("configmaps", "rolled-back"),
    );
    assert!(
        plane.get(&job).is_none() && plane.get(&note).is_none(),
        "rollback hooks are not applied"
    );
    std::fs::write(
        first.join("cleat.yaml"),
        format!(
            "releases:\n{}",
            release(&root, namespace, "      version: 2\n")
        ),
    )
    .unwrap();
    run(plane, &first, &["apply", "--yes"]).ok();
    let migrated = plane.get(&path("configmaps", "migrated")).unwrap();
    assert_eq!(migrated["data"]["version"], "2");

    let mut child = spawn(
        plane,
        &first,
        &["rollback", "shop", "-n", namespace],
        std::process::Stdio::piped(),
    );
    until(&mut child, "the pre-rollback Job is created", || {
        plane.get(&job)
    });
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(
        plane.get(&path("configmaps", "settings")).unwrap()["data"]["version"],
        "2",
        "the objects were rolled back before the pre-rollback hook completed"
    );
    let stdout = finish_and_wait(plane, child, &job);
    assert!(
        stdout.starts_with("rolled back to revision 1\n"),
        "{stdout}"
    );
    assert!(stdout.ends_with("  ran 2 rollback hooks\n"), "{stdout}");
    assert_eq!(
        plane.get(&path("configmaps", "settings")).unwrap()["data"]["version"],
        "1"
    );
    assert_eq!(plane.get(&note).unwrap()["data"]["to"], "1");
    // The upgrade hook did not run again, as in `helm rollback`.
    let after = plane.get(&path("configmaps", "migrated")).unwrap();
    assert_eq!(after["metadata"]["uid"], migrated["metadata"]["uid"]);
    assert_eq!(after["data"]["version"], "2");
}
