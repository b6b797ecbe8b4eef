//! Ordering and lifecycle on a real control plane: phases and dependencies
//! applied step by step (each ready before the next), a failing migration
//! stopping the rollout, objects applied only on install or created once,
//! and replacing what cannot be patched. The control plane has no nodes:
//! the tests play the Job and Deployment controllers through the status
//! subresource.

mod common;

use std::fs;
use std::time::{Duration, Instant};

use common::cluster::{project, run, spawn, ControlPlane};
use common::package;

fn release(pkg: &std::path::Path, name: &str, namespace: &str) -> String {
    format!(
        "  - name: {name}\n    namespace: {namespace}\n    package: {}\n",
        pkg.display()
    )
}

const SCHEMA: &[u8] = b"type: object\nproperties:\n  image: {type: string, description: Image, default: \"app:1\"}\n  migration: {type: string, description: Migration image, default: \"migrate:1\"}\n";

const CONFIG: &[u8] =
    b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  image: {{ values.image }}\n";

const MIGRATION: &[u8] = b"apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    cleat.dev/phase: \"-1\"
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: {{ values.migration }}
";

const DEPLOYMENT: &[u8] = b"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    cleat.dev/depends-on: batch/v1 Job migrate
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: {{ values.image }}
";

fn app(name: &str) -> std::path::PathBuf {
    package(
        name,
        &[
            ("values.schema.yaml", SCHEMA),
            ("templates/config.yaml", CONFIG),
            ("templates/migrate.yaml", MIGRATION),
            ("templates/web.yaml", DEPLOYMENT),
        ],
    )
}

/// Polls until `found` gives something, at most a minute.
fn until<T>(what: &str, mut found: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = found() {
            return value;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "never: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn uid(object: &serde_json::Value) -> String {
    object["metadata"]["uid"].as_str().unwrap().to_string()
}

#[test]
fn the_migration_job_completes_before_the_rollout_starts() {
    let plane = ControlPlane::shared();
    let pkg = app("ordered-package");
    let dir = project("ordered", &release(&pkg, "shop", "ordered"));

    let diff = run(plane, &dir, &["diff"]);
    assert_eq!(diff.code, 2, "{}", diff.stderr);
    assert!(
        diff.stdout.contains(
            "  order (each step applied once the one before is ready):\n    1. phase -1:\n       batch/v1 Job ordered/migrate\n    2. phase 0:\n       v1 ConfigMap ordered/settings\n       apps/v1 Deployment ordered/web (waits for batch/v1 Job ordered/migrate)\n"
        ),
        "{}",
        diff.stdout
    );

    let child = spawn(
        plane,
        &dir,
        &["apply", "--yes", "--timeout", "60s"],
        std::process::Stdio::piped(),
    );
    let job = "/apis/batch/v1/namespaces/ordered/jobs/migrate";
    let web = "/apis/apps/v1/namespaces/ordered/deployments/web";
    until("the Job is created", || plane.get(job));
    // The rollout waits: nothing of phase 0 exists while the Job runs.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        plane.get(web).is_none(),
        "the Deployment came before the Job completed"
    );
    assert!(plane
        .get("/api/v1/namespaces/ordered/configmaps/settings")
        .is_none());
    plane.finish_job(job, "Complete");
    let completed = plane.get(job).unwrap()["status"]["conditions"][0]["lastTransitionTime"]
        .as_str()
        .unwrap()
        .to_string();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("release shop (phase -1, step 1): 0 of 1 objects ready\n")
            && stderr.contains("release shop (phase -1, step 1): 1 of 1 objects ready\n"),
        "{stderr}"
    );
    let created = plane.get(web).unwrap()["metadata"]["creationTimestamp"]
        .as_str()
        .unwrap()
        .to_string();
    // RFC 3339 in UTC to the second: text order is time order.
    assert!(
        created >= completed,
        "Deployment created {created}, Job completed {completed}"
    );
}

#[test]
fn a_failing_migration_stops_the_rollout_and_atomic_restores_the_previous_revision() {
    let plane = ControlPlane::shared();
    let pkg = app("failing-package");
    let dir = project("failing", &release(&pkg, "shop", "failing"));
    let job = "/apis/batch/v1/namespaces/failing/jobs/migrate";
    let web = "/apis/apps/v1/namespaces/failing/deployments/web";

    let child = spawn(
        plane,
        &dir,
        &["apply", "--yes"],
        std::process::Stdio::piped(),
    );
    until("the Job is created", || plane.get(job));
    plane.finish_job(job, "Complete");
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let first_job = uid(&plane.get(job).unwrap());

    // Version 2: a new migration and a new image. The changed Job cannot be
    // patched (its template is immutable): it is replaced, by default.
    let values = "    values: {image: \"app:2\", migration: \"migrate:2\"}\n";
    fs::write(
        dir.join("cleat.yaml"),
        format!("releases:\n{}{values}", release(&pkg, "shop", "failing")),
    )
    .unwrap();
    let diff = run(plane, &dir, &["diff"]).stdout;
    assert!(
        diff.contains("± replace batch/v1 Job failing/migrate (spec.template cannot change in place: deleted and created again)\n"),
        "{diff}"
    );
    assert!(
        diff.contains("0 to create, 2 to change, 1 to replace, 0 to delete"),
        "{diff}"
    );

    let child = spawn(
        plane,
        &dir,
        &["apply", "--yes", "--atomic", "--timeout", "60s"],
        std::process::Stdio::piped(),
    );
    let second_job = until("the Job is replaced", || {
        plane.get(job).map(|j| uid(&j)).filter(|u| *u != first_job)
    });
    plane.finish_job(job, "Failed");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: batch/v1 Job failing/migrate is not ready: failed: Job has reached the specified backoff limit\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: release shop (phase -1, step 1): a Job failed\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: not applied, because they come after: v1 ConfigMap failing/settings, apps/v1 Deployment failing/web\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: --atomic: release `shop` was rolled back to revision 1 (recorded as revision 2)\n"),
        "{stderr}"
    );
    // The rollout never started, and the rollback put revision 1's Job back.
    let image =
        plane.get(web).unwrap()["spec"]["template"]["spec"]["containers"][0]["image"].clone();
    assert_eq!(image, "app:1");
    let restored = plane.get(job).unwrap();
    assert_ne!(uid(&restored), second_job);
    assert_eq!(
        restored["spec"]["template"]["spec"]["containers"][0]["image"],
        "migrate:1"
    );
}

#[test]
fn objects_applied_on_install_only_or_created_once_are_left_alone_later() {
    let plane = ControlPlane::shared();
    let secret = b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: generated\n  annotations:\n    cleat.dev/apply: create\nstringData:\n  token: {{ values.image }}\n";
    let seed = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: seed\n  annotations:\n    cleat.dev/apply: install\ndata:\n  image: {{ values.image }}\n";
    let upgrade = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: upgraded\n  annotations:\n    cleat.dev/apply: upgrade\ndata:\n  image: {{ values.image }}\n";
    let pkg = package(
        "once-package",
        &[
            ("values.schema.yaml", SCHEMA),
            ("templates/secret.yaml", secret),
            ("templates/seed.yaml", seed),
            ("templates/upgraded.yaml", upgrade),
        ],
    );
    let dir = project("once", &release(&pkg, "once", "once"));
    let first = run(plane, &dir, &["apply", "--yes"]).ok();
    assert!(
        first.contains("3 created, 0 changed, 0 deleted, 0 unchanged, 1 skipped"),
        "{first}"
    );
    assert!(plane
        .get("/api/v1/namespaces/once/configmaps/upgraded")
        .is_none());

    fs::write(
        dir.join("cleat.yaml"),
        format!(
            "releases:\n{}    values: {{image: \"app:2\"}}\n",
            release(&pkg, "once", "once")
        ),
    )
    .unwrap();
    let diff = run(plane, &dir, &["diff"]).stdout;
    assert!(
        diff.contains("= skip v1 Secret once/generated: created once, never updated\n"),
        "{diff}"
    );
    assert!(
        diff.contains("= skip v1 ConfigMap once/seed: applied when the release is installed\n"),
        "{diff}"
    );
    assert!(
        diff.contains("+ create v1 ConfigMap once/upgraded\n"),
        "{diff}"
    );
    run(plane, &dir, &["apply", "--yes"]).ok();
    let secret = plane
        .get("/api/v1/namespaces/once/secrets/generated")
        .unwrap();
    assert_eq!(
        secret["data"]["token"], "YXBwOjE=",
        "the generated Secret kept its first value"
    );
    let seed = plane
        .get("/api/v1/namespaces/once/configmaps/seed")
        .unwrap();
    assert_eq!(seed["data"]["image"], "app:1");
    let upgraded = plane
        .get("/api/v1/namespaces/once/configmaps/upgraded")
        .unwrap();
    assert_eq!(upgraded["data"]["image"], "app:2");
    // Skipped objects are still the release's: nothing was pruned.
    let again = run(plane, &dir, &["diff"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
}

#[test]
fn a_changed_selector_is_refused_until_replacing_is_allowed() {
    let plane = ControlPlane::shared();
    let deployment = |app: &str, annotation: &str| {
        format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n{annotation}spec:\n  selector:\n    matchLabels: {{app: {app}}}\n  template:\n    metadata:\n      labels: {{app: {app}}}\n    spec:\n      containers:\n        - name: web\n          image: nginx\n")
    };
    let pkg = package(
        "selector-package",
        &[("templates/web.yaml", deployment("web", "").as_bytes())],
    );
    let dir = project("selector", &release(&pkg, "sel", "selector"));
    run(plane, &dir, &["apply", "--yes"]).ok();
    let path = "/apis/apps/v1/namespaces/selector/deployments/web";
    let before = uid(&plane.get(path).unwrap());

    fs::write(pkg.join("templates/web.yaml"), deployment("other", "")).unwrap();
    let err = run(plane, &dir, &["diff"]).err();
    assert_eq!(
        err,
        "error: apps/v1 Deployment selector/web (from `templates/web.yaml`) cannot be changed in place: `spec.selector` cannot change once created\n  hint: let cleat delete it and create it again: annotate it `cleat.dev/replace: \"true\"`, or `--replace Deployment/web`\n  hint: or keep those fields as they are\n"
    );
    let flagged = run(plane, &dir, &["diff", "--replace", "Deployment/web"]).stdout;
    assert!(
        flagged.contains(
            "± replace apps/v1 Deployment selector/web (spec.selector cannot change in place"
        ),
        "{flagged}"
    );

    let annotated = "  annotations:\n    cleat.dev/replace: \"true\"\n";
    fs::write(
        pkg.join("templates/web.yaml"),
        deployment("other", annotated),
    )
    .unwrap();
    let applied = run(plane, &dir, &["apply", "--yes"]).ok();
    assert!(
        applied.contains("0 created, 0 changed, 1 replaced, 0 deleted"),
        "{applied}"
    );
    let after = plane.get(path).unwrap();
    assert_ne!(uid(&after), before);
    assert_eq!(after["spec"]["selector"]["matchLabels"]["app"], "other");
    assert_eq!(run(plane, &dir, &["diff"]).code, 0);
}

#[test]
fn delete_goes_in_reverse_order_and_waits_for_finalizers() {
    let plane = ControlPlane::shared();
    let database = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: database\n  annotations:\n    cleat.dev/phase: \"-1\"\ndata: {}\n";
    let app = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  finalizers: [example.com/drain]\ndata: {}\n";
    let pkg = package(
        "finalizers-package",
        &[
            ("templates/database.yaml", database),
            ("templates/app.yaml", app),
        ],
    );
    let dir = project("finalizers", &release(&pkg, "held", "finalizers"));
    run(plane, &dir, &["apply", "--yes"]).ok();
    let app = "/api/v1/namespaces/finalizers/configmaps/app";
    let database = "/api/v1/namespaces/finalizers/configmaps/database";

    // A finalizer nobody removes: the delete says what holds the object.
    let err = run(
        plane,
        &dir,
        &["delete", "held", "-n", "finalizers", "--timeout", "1s"],
    )
    .err();
    assert!(
        err.contains("error: v1 ConfigMap finalizers/app was deleted but is still there after 1 s, held by the finalizers example.com/drain\n"),
        "{err}"
    );
    assert!(
        err.contains(
            "hint: a finalizer waits for its controller: check that it runs, or raise --timeout"
        ),
        "{err}"
    );
    assert!(
        plane.get(database).is_some(),
        "phase -1 goes after phase 0 is gone"
    );

    // Applied again (the record is still there), then deleted while the
    // test plays the controller that owns the finalizer.
    let child = spawn(
        plane,
        &dir,
        &["delete", "held", "-n", "finalizers", "--timeout", "60s"],
        std::process::Stdio::piped(),
    );
    until("the app is being deleted", || {
        plane
            .get(app)
            .filter(|a| a["metadata"]["deletionTimestamp"].is_string())
    });
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        plane.get(database).is_some(),
        "deleted before what depends on it was gone"
    );
    plane.patch_status(app, serde_json::json!({"metadata": {"finalizers": null}}));
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("release held: deleting: 0 of 1 objects gone\n")
            && stderr.contains("release held: deleting: 1 of 1 objects gone\n"),
        "{stderr}"
    );
    assert!(plane.get(app).is_none() && plane.get(database).is_none());
}

#[test]
fn the_example_webapp_runs_its_migration_first() {
    let plane = ControlPlane::shared();
    let webapp = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("packages-example/webapp");
    let dir = project(
        "webapp-migration",
        &format!(
            "{}    kubeVersion: \"1.20.2\"\n    values: {{migration: {{enabled: true}}}}\n",
            release(&webapp, "shop", "webapp-migration")
        ),
    );
    let diff = run(plane, &dir, &["diff"]).stdout;
    assert!(
        diff.contains("  order (each step applied once the one before is ready):\n    1. phase -1:\n       batch/v1 Job webapp-migration/shop-migrate\n    2. phase 0:\n"),
        "{diff}"
    );
}

/// A CRD of kind Widget in group `GROUP` (each test its own), with
/// `versions` (YAML list items at the right indentation) and `scope`.
fn widget_crd(group: &str, scope: &str, versions: &str) -> Vec<u8> {
    format!("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.{group}\nspec:\n  group: {group}\n  scope: {scope}\n  names: {{kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}}\n  versions:\n{versions}").into_bytes()
}

/// A version entry whose schema has `spec.size` (at most `max`) and, with
/// `color`, `spec.color`.
fn widget_version(name: &str, storage: bool, served: bool, max: u32, color: bool) -> String {
    let color = if color {
        "\n                color: {type: string}"
    } else {
        ""
    };
    format!("    - name: {name}\n      served: {served}\n      storage: {storage}\n      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              properties:\n                size: {{type: integer, maximum: {max}}}{color}\n")
}

fn widget(group: &str, version: &str, spec: &str) -> Vec<u8> {
    format!("apiVersion: {group}/{version}\nkind: Widget\nmetadata:\n  name: small\nspec: {spec}\n")
        .into_bytes()
}

#[test]
fn a_crd_field_and_an_object_using_it_ship_in_one_version() {
    let plane = ControlPlane::shared();
    let group = "upgrade.example.com";
    let pkg = package(
        "crd-upgrade-package",
        &[
            (
                "crds/widget.yaml",
                &widget_crd(
                    group,
                    "Namespaced",
                    &widget_version("v1", true, true, 10, false),
                ),
            ),
            ("templates/widget.yaml", &widget(group, "v1", "{size: 3}")),
        ],
    );
    let dir = project("crd-upgrade", &release(&pkg, "widgets", "crd-upgrade"));
    run(plane, &dir, &["apply", "--yes"]).ok();

    // Version 2 of the package: the CRD gains `color`, and the object sets it.
    fs::write(
        pkg.join("crds/widget.yaml"),
        widget_crd(
            group,
            "Namespaced",
            &widget_version("v1", true, true, 10, true),
        ),
    )
    .unwrap();
    fs::write(
        pkg.join("templates/widget.yaml"),
        widget(group, "v1", "{size: 3, color: red}"),
    )
    .unwrap();
    let diff = run(plane, &dir, &["diff"]).stdout;
    assert!(
        diff.contains(&format!("~ change {group}/v1 Widget crd-upgrade/small\n    (planned against the new schema of CRD widgets.{group}, which is applied first; the API server checks this object then)\n")),
        "{diff}"
    );
    // Against the old schema the server would have dropped the new field.
    assert!(diff.contains("    +  color: red\n"), "{diff}");
    run(plane, &dir, &["apply", "--yes"]).ok();
    let live = plane
        .get(&format!(
            "/apis/{group}/v1/namespaces/crd-upgrade/widgets/small"
        ))
        .unwrap();
    assert_eq!(live["spec"]["color"], "red");
    assert_eq!(run(plane, &dir, &["diff"]).code, 0);
}

#[test]
fn crd_changes_that_would_lose_data_are_refused_with_the_reason() {
    let plane = ControlPlane::shared();
    let group = "safety.example.com";
    let both = format!(
        "{}{}",
        widget_version("v1beta1", false, true, 10, false),
        widget_version("v1", true, true, 10, false)
    );
    let pkg = package(
        "crd-safety-package",
        &[
            ("crds/widget.yaml", &widget_crd(group, "Namespaced", &both)),
            ("templates/widget.yaml", &widget(group, "v1", "{size: 3}")),
        ],
    );
    let dir = project("crd-safety", &release(&pkg, "widgets", "crd-safety"));
    run(plane, &dir, &["apply", "--yes"]).ok();
    // A client writes another object through v1beta1.
    plane.apply_as(
        "old-client",
        &format!("/apis/{group}/v1beta1/namespaces/crd-safety/widgets/legacy"),
        serde_json::json!({"apiVersion": format!("{group}/v1beta1"), "kind": "Widget",
            "metadata": {"name": "legacy", "namespace": "crd-safety"}, "spec": {"size": 8}}),
    );
    let crd = format!("apiextensions.k8s.io/v1 CustomResourceDefinition widgets.{group} (from `crds/widget.yaml`)");
    let refused = |versions: &str, scope: &str| {
        fs::write(
            pkg.join("crds/widget.yaml"),
            widget_crd(group, scope, versions),
        )
        .unwrap();
        run(plane, &dir, &["diff"]).err()
    };

    let err = refused(&both, "Cluster");
    assert!(err.starts_with(&format!("error: {crd}: changing `spec.scope` from Namespaced to Cluster is refused: the existing objects of its kind would no longer be found\n  hint: keep the scope;")), "{err}");

    // v1beta1 was never the storage version; v1 is: dropping v1 loses data.
    let err = refused(
        &widget_version("v1beta1", true, true, 10, false),
        "Namespaced",
    );
    assert!(err.starts_with(&format!("error: {crd}: version `v1` is removed, but objects may be stored in it (status.storedVersions: v1)\n")), "{err}");
    assert!(
        err.contains("then remove `v1` from status.storedVersions, then remove the version"),
        "{err}"
    );

    let unserved = format!(
        "{}{}",
        widget_version("v1beta1", false, false, 10, false),
        widget_version("v1", true, true, 10, false)
    );
    let err = refused(&unserved, "Namespaced");
    assert!(err.starts_with(&format!("error: {crd}: version `v1beta1` would no longer be served, but 1 objects were written in it, among them crd-safety/legacy\n  hint: keep serving `v1beta1` until the clients that write these objects use another version\n")), "{err}");

    let narrower = format!(
        "{}{}",
        widget_version("v1beta1", false, true, 10, false),
        widget_version("v1", true, true, 5, false)
    );
    // The release's own Widget fits the narrower schema; the old client's does not.
    let err = refused(&narrower, "Namespaced");
    assert!(err.starts_with(&format!("error: {crd}: 1 existing objects do not fit its new schema of `v1`\n  hint: crd-safety/legacy: .spec.size: must be at most 5, found 8\n")), "{err}");

    // Widening is safe and goes through.
    let wider = format!(
        "{}{}",
        widget_version("v1beta1", false, true, 10, false),
        widget_version("v1", true, true, 20, false)
    );
    fs::write(
        pkg.join("crds/widget.yaml"),
        widget_crd(group, "Namespaced", &wider),
    )
    .unwrap();
    run(plane, &dir, &["apply", "--yes"]).ok();
}
