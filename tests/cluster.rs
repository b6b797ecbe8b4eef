//! `cleat diff` and `cleat apply` against a real kube-apiserver and etcd on
//! 127.0.0.1 (scripts/control-plane), never a mocked client. Each test uses
//! namespaces of its own on the shared control plane; the test that stops
//! the API server has a control plane of its own.

mod common;

use std::fs;
use std::path::Path;

use common::cluster::{configmap, project, run, run_with, spawn, ControlPlane};
use common::{package, temp_dir};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn examples(namespace: &str) -> String {
    let examples = root().join("packages-example");
    format!(
        "  - name: shop
    namespace: {namespace}
    package: {web}
    kubeVersion: \"1.20.2\"
    valueFiles: [{web}/values-production.yaml]
  - name: report
    namespace: {namespace}-batch
    package: {job}
    kubeVersion: \"1.20.2\"
    valueFiles: [{job}/values-production.yaml]
",
        web = examples.join("webapp").display(),
        job = examples.join("cronjob").display(),
    )
}

/// `resourceVersion` of every object the example releases create.
fn versions(plane: &ControlPlane, namespace: &str) -> Vec<String> {
    let paths = [
        format!("/api/v1/namespaces/{namespace}/configmaps/shop"),
        format!("/apis/apps/v1/namespaces/{namespace}/deployments/shop"),
        format!("/api/v1/namespaces/{namespace}/services/shop"),
        format!("/api/v1/namespaces/{namespace}/serviceaccounts/shop"),
        format!("/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses/shop"),
        format!("/apis/autoscaling/v2beta2/namespaces/{namespace}/horizontalpodautoscalers/shop"),
        format!("/apis/policy/v1beta1/namespaces/{namespace}/poddisruptionbudgets/shop"),
        format!("/apis/batch/v1beta1/namespaces/{namespace}-batch/cronjobs/report"),
    ];
    paths
        .iter()
        .map(|path| {
            let object = plane.get(path).unwrap_or_else(|| panic!("{path} exists"));
            object["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn first_install_then_no_change_then_one_changed_value() {
    let plane = ControlPlane::shared();
    let dir = project("install", &examples("install"));

    // First install: both namespaces are created, then every object.
    let out = run(plane, &dir, &["apply", "--yes"]).ok();
    assert!(out.contains("+ create v1 Namespace install\n"), "{out}");
    assert!(
        out.contains("+ create v1 Namespace install-batch\n"),
        "{out}"
    );
    assert!(
        out.contains("release shop: revision 1: 8 created, 0 changed, 0 deleted, 0 unchanged\n"),
        "{out}"
    );
    assert!(
        out.contains("release report: revision 1: 2 created, 0 changed, 0 deleted, 0 unchanged\n"),
        "{out}"
    );
    let deployment = plane
        .get("/apis/apps/v1/namespaces/install/deployments/shop")
        .unwrap();
    assert_eq!(
        deployment["metadata"]["labels"]["cleat.dev/release"],
        "shop"
    );
    assert_eq!(
        deployment["metadata"]["annotations"]["cleat.dev/release-namespace"],
        "install"
    );
    let managers: Vec<&str> = deployment["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert!(managers.contains(&"cleat"), "{managers:?}");

    // Nothing changed: zero changes, exit 0, and nothing persisted.
    let before = versions(plane, "install");
    let diff = run(plane, &dir, &["diff"]);
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);
    assert!(
        diff.stdout
            .ends_with("0 to create, 0 to change, 0 to delete, 8 unchanged\n"),
        "{}",
        diff.stdout
    );
    let out = run(plane, &dir, &["apply", "--yes"]).ok();
    assert!(
        out.ends_with("0 to create, 0 to change, 0 to delete, 8 unchanged\n"),
        "{out}"
    );
    assert_eq!(
        versions(plane, "install"),
        before,
        "a no-change apply persists nothing"
    );

    // A value cleat set, changed outside cleat, is drift: the diff names who
    // changed it and exits 2, and apply takes it back.
    let configmap = "/api/v1/namespaces/install/configmaps/shop";
    plane.apply_as(
        "intruder",
        configmap,
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "shop", "namespace": "install"},
            "data": {"features.yaml": "changed by hand"}}),
    );
    let diff = run(plane, &dir, &["diff"]);
    assert_eq!(diff.code, 2, "{}{}", diff.stdout, diff.stderr);
    assert!(
        diff.stdout.contains("~ change v1 ConfigMap install/shop\n    drift: `intruder` changed .data.features.yaml, which cleat set; applying takes it back\n"),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout.contains("-  features.yaml: changed by hand"),
        "{}",
        diff.stdout
    );
    let out = run(plane, &dir, &["apply", "--yes"]).ok();
    assert!(
        out.contains("release shop: revision 2: 0 created, 1 changed, 0 deleted, 6 unchanged\n  took back .data.features.yaml of v1 ConfigMap install/shop from `intruder`\n"),
        "{out}"
    );
    let live = plane.get(configmap).unwrap();
    assert!(
        live["data"]["features.yaml"]
            .as_str()
            .unwrap()
            .contains("checkout_v2: true"),
        "{live}"
    );

    // One value changes: the diff shows exactly that field, exit 2.
    let text = fs::read_to_string(dir.join("cleat.yaml")).unwrap();
    let changed = text.replacen(
        "    valueFiles: [",
        "    values: {autoscaling: {enabled: false}, replicas: 5}\n    valueFiles: [",
        1,
    );
    fs::write(dir.join("cleat.yaml"), changed).unwrap();
    let diff = run(plane, &dir, &["diff", "shop"]);
    assert_eq!(diff.code, 2, "{}{}", diff.stdout, diff.stderr);
    let changes: Vec<&str> = diff
        .stdout
        .lines()
        .filter(|l| {
            (l.starts_with("    -") || l.starts_with("    +"))
                && !l.starts_with("    ---")
                && !l.starts_with("    +++")
        })
        .collect();
    assert!(
        diff.stdout
            .contains("~ change apps/v1 Deployment install/shop\n"),
        "{}",
        diff.stdout
    );
    // Autoscaling owned the replica count (the server defaulted it to 1).
    assert_eq!(
        changes,
        ["    -  replicas: 1", "    +  replicas: 5"],
        "{}",
        diff.stdout
    );
    let out = run(plane, &dir, &["apply", "shop", "--yes"]).ok();
    assert!(
        // Autoscaling off: the HorizontalPodAutoscaler is pruned.
        out.contains("release shop: revision 3: 0 created, 1 changed, 1 deleted, 5 unchanged"),
        "{out}"
    );
    let deployment = plane
        .get("/apis/apps/v1/namespaces/install/deployments/shop")
        .unwrap();
    assert_eq!(deployment["spec"]["replicas"], 5);
}

#[test]
fn a_crd_and_an_object_of_its_kind_apply_together() {
    let plane = ControlPlane::shared();
    let crd = b"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
";
    let widget = b"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {{ release.name }}\nspec:\n  size: {{ values.replicas }}\n";
    let pkg = package(
        "crd-package",
        &[("crds/widget.yaml", crd), ("templates/widget.yaml", widget)],
    );
    let dir = project(
        "crd",
        &format!(
            "  - name: gadget\n    namespace: crd-test\n    package: {}\n",
            pkg.display()
        ),
    );
    let out = run(plane, &dir, &["apply", "--yes"]).ok();
    assert!(
        out.contains(
            "+ create apiextensions.k8s.io/v1 CustomResourceDefinition widgets.example.com\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("+ create example.com/v1 Widget crd-test/gadget\n"),
        "{out}"
    );
    let widget = plane
        .get("/apis/example.com/v1/namespaces/crd-test/widgets/gadget")
        .unwrap();
    assert_eq!(widget["spec"]["size"], 1);
    let diff = run(plane, &dir, &["diff"]);
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);

    // Deleting the release keeps its CRD unless asked.
    let out = run(plane, &dir, &["delete", "gadget", "-n", "crd-test"]).ok();
    assert_eq!(
        out,
        "release gadget: 1 objects deleted, 1 records deleted\n  kept apiextensions.k8s.io/v1 CustomResourceDefinition widgets.example.com: deleting it deletes every object of its kind (0 now)\n  CRDs stay unless --include-crds\n"
    );
    assert!(plane
        .get("/apis/example.com/v1/namespaces/crd-test/widgets/gadget")
        .is_none());
    assert!(plane
        .get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")
        .is_some());
}

#[test]
fn a_field_owned_by_another_manager_is_a_named_conflict() {
    let plane = ControlPlane::shared();
    plane.apply_as("other-tool", "/api/v1/namespaces/conflict", serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "conflict"}}));
    plane.apply_as(
        "other-tool",
        "/api/v1/namespaces/conflict/configmaps/settings",
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "conflict"}, "data": {"mode": "theirs"}}),
    );
    let template =
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: ours\n";
    let pkg = package("conflict-package", &[("templates/cm.yaml", template)]);
    let dir = project(
        "conflict",
        &format!(
            "  - name: settings\n    namespace: conflict\n    package: {}\n",
            pkg.display()
        ),
    );
    // The object exists and is nobody's release's: refused, and nothing applied.
    let err = run(plane, &dir, &["apply", "--yes"]).err();
    assert_eq!(
        err,
        "error: v1 ConfigMap conflict/settings (from `templates/cm.yaml`) exists and belongs to no release (made by hand or by another tool); cleat does not take over what others own\n  hint: leave it out of this release, or take it over: `--adopt` for every such object, or the annotation `cleat.dev/adopt: \"true\"` on this one\n"
    );
    // Adopted, its fields still belong to their manager: a named conflict.
    let err = run(plane, &dir, &["apply", "--yes", "--adopt"]).err();
    assert!(
        err.starts_with("error: planning v1 ConfigMap conflict/settings (from `templates/cm.yaml`): Apply failed with 1 conflict: conflict with \"other-tool\": .data.mode (409 Conflict)\n"),
        "{err}"
    );
    assert!(err.contains("hint: another field manager owns these fields; `--force-conflicts` makes cleat take them over"), "{err}");
    let live = plane
        .get("/api/v1/namespaces/conflict/configmaps/settings")
        .unwrap();
    assert_eq!(live["data"]["mode"], "theirs", "nothing was applied");
    let out = run(
        plane,
        &dir,
        &["apply", "--yes", "--adopt", "--force-conflicts"],
    )
    .ok();
    assert!(
        out.contains("! adopt v1 ConfigMap conflict/settings from no release (made by hand or by another tool)\n~ change v1 ConfigMap conflict/settings\n"),
        "{out}"
    );
    assert!(out.contains(", 1 to adopt\n"), "{out}");
    let live = plane
        .get("/api/v1/namespaces/conflict/configmaps/settings")
        .unwrap();
    assert_eq!(live["data"]["mode"], "ours");
    assert_eq!(live["metadata"]["labels"]["cleat.dev/release"], "settings");
}

#[test]
fn an_unknown_kind_fails_before_anything_is_applied() {
    let plane = ControlPlane::shared();
    let pkg = package(
        "unknown-kind",
        &[
            (
                "templates/a.yaml",
                b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n",
            ),
            (
                "templates/b.yaml",
                b"apiVersion: example.org/v1\nkind: Gizmo\nmetadata:\n  name: second\n",
            ),
        ],
    );
    let dir = project(
        "unknown",
        &format!(
            "  - name: gizmo\n    namespace: unknown-kind\n    package: {}\n",
            pkg.display()
        ),
    );
    let err = run(plane, &dir, &["apply", "--yes"]).err();
    assert_eq!(
        err,
        "error: Gizmo `second` from `templates/b.yaml`: the cluster serves no kind `Gizmo` in `example.org/v1`\n  hint: check apiVersion and kind; a custom resource needs its CRD installed first, or in the package's `crds/`\n"
    );
    assert!(
        plane.get("/api/v1/namespaces/unknown-kind").is_none(),
        "nothing was applied"
    );
}

#[test]
fn a_user_limited_to_one_namespace_gets_a_forbidden_error_naming_the_object() {
    let plane = ControlPlane::shared();
    let ns = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}});
    plane.apply_as("setup", "/api/v1/namespaces/team-a", ns);
    plane.apply_as(
        "setup",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles/everything",
        serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "everything", "namespace": "team-a"},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}),
    );
    plane.apply_as(
        "setup",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/limited",
        serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "limited", "namespace": "team-a"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "everything"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "limited"}]}),
    );
    let kubeconfig = plane.user("limited").display().to_string();
    let pkg = package(
        "rbac-package",
        &[("templates/cm.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ release.name }}\n  namespace: {{ release.namespace }}\n")],
    );
    let dir = project(
        "rbac",
        &format!(
            "  - name: allowed\n    namespace: team-a\n    package: {0}\n  - name: denied\n    namespace: team-b\n    package: {0}\n",
            pkg.display()
        ),
    );
    let out = run(
        plane,
        &dir,
        &["apply", "allowed", "--yes", "--kubeconfig", &kubeconfig],
    )
    .ok();
    assert!(
        out.contains("release allowed: revision 1: 1 created"),
        "{out}"
    );
    let err = run(
        plane,
        &dir,
        &["apply", "denied", "--yes", "--kubeconfig", &kubeconfig],
    )
    .err();
    // Applying starts by taking the release's lease, which the user may not.
    assert!(
        err.starts_with("error: reading lease team-b/cleat-release-denied: leases.coordination.k8s.io \"cleat-release-denied\" is forbidden: User \"limited\" cannot get resource \"leases\" in API group \"coordination.k8s.io\" in the namespace \"team-b\" (403 Forbidden)\n"),
        "{err}"
    );
    // A diff takes no lease, and names the object.
    let err = run(
        plane,
        &dir,
        &["diff", "denied", "--kubeconfig", &kubeconfig],
    )
    .err();
    assert!(
        err.starts_with("error: reading v1 ConfigMap team-b/denied: configmaps \"denied\" is forbidden: User \"limited\" cannot get resource \"configmaps\" in API group \"\" in the namespace \"team-b\" (403 Forbidden)\n"),
        "{err}"
    );
    assert!(err.contains("hint: the user of context `cleat-test` may not do this; ask for RBAC permission, or use another context"), "{err}");
}

#[test]
fn an_api_server_stopped_mid_apply_fails_clearly_and_a_rerun_converges() {
    let plane = ControlPlane::start("restart");
    let objects = root().join("bench/packages/objects");
    let dir = project(
        "restart",
        &format!(
            "  - name: many\n    namespace: restart\n    package: {}\n    values: {{count: 300}}\n",
            objects.display()
        ),
    );
    let child = spawn(
        &plane,
        &dir,
        &["apply", "--yes", "--concurrency", "2"],
        std::process::Stdio::null(),
    );
    // Stop the API server once the apply has begun writing.
    let start = std::time::Instant::now();
    while plane
        .get("/api/v1/namespaces/restart/configmaps/many-0")
        .is_none()
    {
        assert!(start.elapsed().as_secs() < 60, "the apply never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    plane.stop_apiserver();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: applying "), "{stderr}");
    assert!(
        stderr.contains(
            "hint: is the API server of context `cleat-test` reachable? cleat retried 5 times"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("more objects were not applied: the API server stopped answering"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    plane.start_apiserver();
    // The interrupted apply could not release its lease: it holds until it
    // expires, then the next apply takes it over and converges.
    let err = run(&plane, &dir, &["apply", "--yes"]).err();
    assert!(
        err.starts_with("error: release `many` is being applied by "),
        "{err}"
    );
    std::thread::sleep(std::time::Duration::from_secs(
        cleat::cluster::lease::DURATION_SECONDS + 1,
    ));
    let out = run(&plane, &dir, &["apply", "--yes"]).ok();
    assert!(out.contains("release many: "), "{out}");
    assert!(out.contains("took over the expired lease of "), "{out}");
    let diff = run(&plane, &dir, &["diff"]);
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);
    assert!(
        diff.stdout
            .ends_with("0 to create, 0 to change, 0 to delete, 900 unchanged\n"),
        "{}",
        diff.stdout
    );
}

/// The names of a release's record Secrets in `namespace`.
fn records(plane: &ControlPlane, namespace: &str, release: &str) -> Vec<String> {
    let list = plane
        .get(&format!(
            "/api/v1/namespaces/{namespace}/secrets?labelSelector=cleat.dev/release={release}"
        ))
        .unwrap();
    let mut names: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn removed_objects_are_pruned_and_kept_ones_reported() {
    let plane = ControlPlane::shared();
    let (a, b, c) = (configmap("a"), configmap("b"), configmap("c"));
    let pkg = package(
        "prune-package",
        &[
            ("templates/a.yaml", &a),
            ("templates/b.yaml", &b),
            ("templates/c.yaml", &c),
        ],
    );
    let dir = project(
        "prune",
        &format!(
            "  - name: pruned\n    namespace: prune\n    package: {}\n",
            pkg.display()
        ),
    );
    run(plane, &dir, &["apply", "--yes"]).ok();
    assert_eq!(
        records(plane, "prune", "pruned"),
        ["cleat.release.pruned.v1"]
    );
    plane.apply_as("human", "/api/v1/namespaces/prune/configmaps/b", serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "b", "namespace": "prune", "annotations": {"cleat.dev/keep": "true"}}}));
    fs::remove_file(pkg.join("templates/a.yaml")).unwrap();
    fs::remove_file(pkg.join("templates/b.yaml")).unwrap();

    let diff = run(plane, &dir, &["diff"]);
    assert_eq!(diff.code, 2, "{}{}", diff.stdout, diff.stderr);
    assert!(
        diff.stdout
            .contains("- delete v1 ConfigMap prune/a (no longer rendered)\n= keep v1 ConfigMap prune/b: annotated cleat.dev/keep\n"),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout
            .ends_with("0 to create, 0 to change, 1 to delete, 1 unchanged, 1 kept\n"),
        "{}",
        diff.stdout
    );
    let out = run(plane, &dir, &["apply", "--yes"]).ok();
    assert!(out.contains("release pruned: revision 2: 0 created, 0 changed, 1 deleted, 1 unchanged\n  kept v1 ConfigMap prune/b: annotated cleat.dev/keep\n"), "{out}");
    assert!(plane.get("/api/v1/namespaces/prune/configmaps/a").is_none());
    assert!(plane.get("/api/v1/namespaces/prune/configmaps/b").is_some());
    assert!(plane.get("/api/v1/namespaces/prune/configmaps/c").is_some());
    // The kept object is no longer the release's: the next plan has nothing to delete.
    let diff = run(plane, &dir, &["diff"]);
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);
}

#[test]
fn a_removed_dependency_is_pruned_whole() {
    let plane = ControlPlane::shared();
    let dir = temp_dir("prune-dependency");
    let repo = dir.join("repo");
    common::publish(&repo, "lib", "1.0.0", "");
    common::index(&repo);
    let app = dir.join("app");
    fs::create_dir_all(app.join("templates")).unwrap();
    fs::write(
        app.join("values.schema.yaml"),
        "type: object\nproperties: {}\n",
    )
    .unwrap();
    fs::write(
        app.join("templates/app.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    )
    .unwrap();
    let manifest = "name: app\nversion: 1.0.0\ndescription: d\n";
    fs::write(
        app.join("package.yaml"),
        format!("{manifest}dependencies:\n  - {{name: lib, version: ^1, repository: ../repo}}\n"),
    )
    .unwrap();
    fs::write(
        dir.join("cleat.yaml"),
        "releases:\n  - name: withlib\n    namespace: prune-dep\n    package: app\n",
    )
    .unwrap();
    run(plane, &dir, &["apply", "--yes"]).ok();
    assert!(plane
        .get("/api/v1/namespaces/prune-dep/configmaps/withlib-lib")
        .is_some());
    fs::write(app.join("package.yaml"), manifest).unwrap();
    let out = run(plane, &dir, &["apply", "--yes"]).ok();
    assert!(
        out.contains("- delete v1 ConfigMap prune-dep/withlib-lib (no longer rendered)\n"),
        "{out}"
    );
    assert!(
        out.contains("revision 2: 0 created, 0 changed, 1 deleted, 1 unchanged"),
        "{out}"
    );
    assert!(plane
        .get("/api/v1/namespaces/prune-dep/configmaps/withlib-lib")
        .is_none());
}

#[test]
fn history_is_trimmed_and_delete_removes_objects_and_records() {
    let plane = ControlPlane::shared();
    let a = configmap("settings");
    let pkg = package("history-package", &[("templates/a.yaml", &a)]);
    let dir = project("history", &format!("  - name: hist\n    namespace: history\n    package: {}\n    values: {{replicas: 1}}\n", pkg.display()));
    for replicas in 1..=4 {
        let text = fs::read_to_string(dir.join("cleat.yaml")).unwrap();
        let text = text.replace(
            &format!("replicas: {}", replicas - 1),
            &format!("replicas: {replicas}"),
        );
        fs::write(dir.join("cleat.yaml"), text).unwrap();
        run(plane, &dir, &["apply", "--yes", "--history-max", "2"]).ok();
    }
    assert_eq!(
        records(plane, "history", "hist"),
        ["cleat.release.hist.v3", "cleat.release.hist.v4"]
    );

    let out = run(plane, &dir, &["delete", "hist", "-n", "history"]).ok();
    assert_eq!(out, "release hist: 1 objects deleted, 2 records deleted\n");
    assert!(plane
        .get("/api/v1/namespaces/history/configmaps/settings")
        .is_none());
    assert!(records(plane, "history", "hist").is_empty());
    let err = run(plane, &dir, &["delete", "hist", "-n", "history"]).err();
    assert!(
        err.starts_with(
            "error: release `hist` has no record in namespace `history` of context `cleat-test`\n"
        ),
        "{err}"
    );
}

#[test]
fn the_record_of_3000_objects_stays_far_below_the_object_limit() {
    let plane = ControlPlane::shared();
    let objects = root().join("bench/packages/objects");
    let dir = project("big-record", &format!("  - name: big\n    namespace: big-record\n    package: {}\n    values: {{count: 1000}}\n", objects.display()));
    run(plane, &dir, &["apply", "--yes"]).ok();
    let secret = plane
        .get("/api/v1/namespaces/big-record/secrets/cleat.release.big.v1")
        .unwrap();
    let size = secret["data"]["record"].as_str().unwrap().len() * 3 / 4;
    eprintln!("record of 3,000 objects: {size} bytes");
    assert!(size < 300 * 1024, "{size} bytes");
    // 1,000 objects of each kind are read in pages of 500: every one is found.
    let diff = run(plane, &dir, &["diff"]);
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);
    assert!(
        diff.stdout
            .ends_with("0 to create, 0 to change, 0 to delete, 3000 unchanged\n"),
        "{}",
        diff.stdout
    );
}

fn lease_body(
    namespace: &str,
    release: &str,
    holder: &str,
    renewed: std::time::SystemTime,
) -> serde_json::Value {
    let time = humantime::format_rfc3339_micros(renewed).to_string();
    serde_json::json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": format!("cleat-release-{release}"), "namespace": namespace},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": 30, "acquireTime": time, "renewTime": time}})
}

#[test]
fn a_held_lease_stops_an_apply_and_an_expired_one_is_taken_over() {
    let plane = ControlPlane::shared();
    let ns = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "guarded"}});
    plane.apply_as("setup", "/api/v1/namespaces/guarded", ns);
    let lease = "/apis/coordination.k8s.io/v1/namespaces/guarded/leases/cleat-release-gate";
    let now = std::time::SystemTime::now();
    plane.apply_as(
        "setup",
        lease,
        lease_body("guarded", "gate", "pipeline-42@ci pid 7", now),
    );
    let a = configmap("gate");
    let pkg = package("lease-package", &[("templates/a.yaml", &a)]);
    let dir = project(
        "lease",
        &format!(
            "  - name: gate\n    namespace: guarded\n    package: {}\n",
            pkg.display()
        ),
    );
    let err = run(plane, &dir, &["apply", "--yes"]).err();
    assert!(
        err.starts_with("error: release `gate` is being applied by pipeline-42@ci pid 7 since "),
        "{err}"
    );
    assert!(
        err.contains("(lease guarded/cleat-release-gate, last renewed "),
        "{err}"
    );
    assert!(
        plane
            .get("/api/v1/namespaces/guarded/configmaps/gate")
            .is_none(),
        "nothing was applied"
    );

    // The holder died two minutes ago: its lease has expired.
    let stale = now - std::time::Duration::from_secs(120);
    plane.apply_as(
        "setup",
        lease,
        lease_body("guarded", "gate", "pipeline-42@ci pid 7", stale),
    );
    let out = run(plane, &dir, &["apply", "--yes"]).ok();
    assert!(out.contains("release gate: revision 1: 1 created"), "{out}");
    assert!(
        out.contains("  took over the expired lease of pipeline-42@ci pid 7\n"),
        "{out}"
    );
    assert!(
        plane.get(lease).is_none(),
        "the lease is released after the apply"
    );
}

#[test]
fn two_concurrent_applies_of_one_release_do_not_run_together() {
    let plane = ControlPlane::shared();
    let objects = root().join("bench/packages/objects");
    let dir = project("concurrent", &format!("  - name: busy\n    namespace: concurrent\n    package: {}\n    values: {{count: 1000}}\n", objects.display()));
    let first = spawn(
        plane,
        &dir,
        &["apply", "--yes"],
        std::process::Stdio::null(),
    );
    let lease = "/apis/coordination.k8s.io/v1/namespaces/concurrent/leases/cleat-release-busy";
    let start = std::time::Instant::now();
    while plane.get(lease).is_none() {
        assert!(
            start.elapsed().as_secs() < 60,
            "the first apply never took its lease"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let err = run(plane, &dir, &["apply", "--yes"]).err();
    assert!(
        err.starts_with("error: release `busy` is being applied by "),
        "{err}"
    );
    assert!(
        err.contains(&format!(" pid {} since ", first.id())),
        "{err}"
    );
    let output = first.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out = run(plane, &dir, &["apply", "--yes"]).ok();
    assert!(
        out.ends_with("0 to create, 0 to change, 0 to delete, 3000 unchanged\n"),
        "{out}"
    );
}

#[test]
fn status_shows_the_record_and_drift_from_manual_edits_and_deletes() {
    let plane = ControlPlane::shared();
    let (a, b) = (configmap("a"), configmap("b"));
    let pkg = package(
        "status-package",
        &[("templates/a.yaml", &a), ("templates/b.yaml", &b)],
    );
    let dir = project(
        "status",
        &format!(
            "  - name: watched\n    namespace: status\n    package: {}\n",
            pkg.display()
        ),
    );
    let out = run(plane, &dir, &["status"]).ok();
    assert_eq!(
        out,
        "release watched (namespace status)\n  not applied: no record in the cluster\n"
    );
    run(plane, &dir, &["apply", "--yes"]).ok();
    let out = run(plane, &dir, &["status", "--exit-code"]).ok();
    assert!(out.contains("  revision 1, applied "), "{out}");
    assert!(out.contains("  lock: up to date (sha256:"), "{out}");
    assert!(out.ends_with("  drift: none\n"), "{out}");

    plane.apply_as(
        "human",
        "/api/v1/namespaces/status/configmaps/a",
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "a", "namespace": "status"}, "data": {"value": "edited by hand"}}),
    );
    plane.delete("/api/v1/namespaces/status/configmaps/b");
    let drifted = run(plane, &dir, &["status", "--exit-code"]);
    assert_eq!(drifted.code, 2, "{}{}", drifted.stdout, drifted.stderr);
    assert!(
        drifted.stdout.ends_with("  drift: 2 objects\n    ~ changed v1 ConfigMap status/a\n    - missing v1 ConfigMap status/b\n"),
        "{}",
        drifted.stdout
    );
    let json: serde_json::Value =
        serde_json::from_str(&run(plane, &dir, &["status", "-o", "json"]).ok()).unwrap();
    assert_eq!(json["releases"][0]["record"]["revision"], 1);
    assert_eq!(json["releases"][0]["drift"].as_array().unwrap().len(), 2);
    // Without --exit-code, drift is reported but not an error.
    assert_eq!(run(plane, &dir, &["status"]).code, 0);
}

#[test]
fn rollback_applies_an_older_revision_as_a_new_one() {
    let plane = ControlPlane::shared();
    let (a, b, c) = (configmap("a"), configmap("b"), configmap("c"));
    let pkg = package(
        "rollback-package",
        &[("templates/a.yaml", &a), ("templates/b.yaml", &b)],
    );
    let dir = project("rollback", &format!("  - name: back\n    namespace: rollback\n    package: {}\n    values: {{replicas: 1}}\n", pkg.display()));
    run(plane, &dir, &["apply", "--yes"]).ok();
    fs::remove_file(pkg.join("templates/b.yaml")).unwrap();
    fs::write(pkg.join("templates/c.yaml"), &c).unwrap();
    let text = fs::read_to_string(dir.join("cleat.yaml"))
        .unwrap()
        .replace("replicas: 1", "replicas: 2");
    fs::write(dir.join("cleat.yaml"), text).unwrap();
    let out = run(plane, &dir, &["apply", "--yes"]).ok();
    assert!(
        out.contains("release back: revision 2: 1 created, 1 changed, 1 deleted, 0 unchanged"),
        "{out}"
    );

    let out = run(plane, &dir, &["rollback", "back", "-n", "rollback"]).ok();
    assert!(out.starts_with("rolled back to revision 1\n"), "{out}");
    assert!(
        out.contains("release back: revision 3: 1 created, 1 changed, 1 deleted, 0 unchanged"),
        "{out}"
    );
    let live = plane
        .get("/api/v1/namespaces/rollback/configmaps/a")
        .unwrap();
    assert_eq!(live["data"]["value"], "1");
    assert!(plane
        .get("/api/v1/namespaces/rollback/configmaps/b")
        .is_some());
    assert!(plane
        .get("/api/v1/namespaces/rollback/configmaps/c")
        .is_none());
    assert_eq!(records(plane, "rollback", "back").len(), 3);

    let err = run(
        plane,
        &dir,
        &["rollback", "back", "-n", "rollback", "--revision", "9"],
    )
    .err();
    assert_eq!(
        err,
        "error: release `back` has no revision 9\n  hint: recorded revisions: 1, 2, 3\n"
    );
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
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

fn ready(plane: &ControlPlane, namespace: &str) {
    let path = format!("/apis/apps/v1/namespaces/{namespace}/deployments/web");
    let generation = plane.get(&path).unwrap()["metadata"]["generation"]
        .as_i64()
        .unwrap();
    plane.patch_status(
        &format!("{path}/status"),
        serde_json::json!({"status": {"observedGeneration": generation, "replicas": 1, "updatedReplicas": 1,
            "readyReplicas": 1, "availableReplicas": 1}}),
    );
}

#[test]
fn wait_succeeds_when_ready_and_times_out_with_the_reason_and_atomic_rolls_back() {
    let plane = ControlPlane::shared();
    let schema = b"type: object\nproperties:\n  image: {type: string, description: Image, default: \"nginx:1\"}\n";
    let pkg = package(
        "wait-package",
        &[
            ("values.schema.yaml", schema),
            ("templates/deployment.yaml", DEPLOYMENT.as_bytes()),
        ],
    );
    let dir = project(
        "wait",
        &format!(
            "  - name: waiting\n    namespace: wait\n    package: {}\n",
            pkg.display()
        ),
    );
    let child = spawn(
        plane,
        &dir,
        &["apply", "--yes", "--wait", "--timeout", "60s"],
        std::process::Stdio::piped(),
    );
    let start = std::time::Instant::now();
    while plane
        .get("/apis/apps/v1/namespaces/wait/deployments/web")
        .is_none()
    {
        assert!(
            start.elapsed().as_secs() < 60,
            "the apply never created the deployment"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The control plane has no nodes: the test plays the controller.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    ready(plane, "wait");
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("release waiting: 0 of 1 objects ready\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("release waiting: 1 of 1 objects ready\n"),
        "{stderr}"
    );
    assert!(
        stdout.contains("release waiting: revision 1: 2 created"),
        "{stdout}"
    );

    // A new image that never becomes ready: the wait times out and says why.
    let text = fs::read_to_string(dir.join("cleat.yaml")).unwrap();
    fs::write(
        dir.join("cleat.yaml"),
        format!("{text}    values: {{image: \"nginx:2\"}}\n"),
    )
    .unwrap();
    let err = run(
        plane,
        &dir,
        &["apply", "--yes", "--wait", "--timeout", "2s"],
    )
    .err();
    assert!(
        err.contains("error: apps/v1 Deployment wait/web is not ready: the controller has not seen generation 2 yet (observed 1)\n"),
        "{err}"
    );
    assert!(
        err.contains("error: release waiting: not ready within 2 s\n"),
        "{err}"
    );
    // The failed apply stays recorded as pending, so nothing it made is
    // unknown; status says so, and the next apply takes it over.
    assert_eq!(
        records(plane, "wait", "waiting"),
        ["cleat.release.waiting.v1", "cleat.release.waiting.v2"]
    );
    let status = run(plane, &dir, &["status"]);
    assert_eq!(status.code, 0, "{}{}", status.stdout, status.stderr);
    assert!(
        status
            .stdout
            .contains("  interrupted: the apply of revision 2 by "),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("  revision 1, applied "),
        "{}",
        status.stdout
    );

    // --atomic puts revision 1 back and says so.
    fs::write(
        dir.join("cleat.yaml"),
        format!("{text}    values: {{image: \"nginx:3\"}}\n"),
    )
    .unwrap();
    let err = run(
        plane,
        &dir,
        &["apply", "--yes", "--atomic", "--timeout", "2s"],
    )
    .err();
    assert!(
        err.contains("error: apps/v1 Deployment wait/web is not ready: "),
        "{err}"
    );
    assert!(
        err.contains("error: --atomic: release `waiting` was rolled back to revision 1 (recorded as revision 2)\n"),
        "{err}"
    );
    let live = plane
        .get("/apis/apps/v1/namespaces/wait/deployments/web")
        .unwrap();
    assert_eq!(
        live["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1"
    );
}

/// The example packages as two releases in two namespaces with different values.
fn two_examples(dir: &Path, replicas: u32) {
    let examples = root().join("packages-example");
    fs::write(
        dir.join("cleat.yaml"),
        format!(
            "releases:
  - name: shop
    namespace: backup-web
    package: {web}
    kubeVersion: \"1.20.2\"
    values: {{replicas: {replicas}, env: {{LOG_LEVEL: warn}}}}
  - name: report
    namespace: backup-batch
    package: {job}
    kubeVersion: \"1.20.2\"
    valueFiles: [{job}/values-production.yaml]
    values: {{suspend: true}}
",
            web = examples.join("webapp").display(),
            job = examples.join("cronjob").display(),
        ),
    )
    .unwrap();
}

/// Record names and the lock digests inside them, per namespace.
fn recorded(plane: &ControlPlane) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (namespace, release) in [("backup-web", "shop"), ("backup-batch", "report")] {
        for name in records(plane, namespace, release) {
            let secret = plane
                .get(&format!("/api/v1/namespaces/{namespace}/secrets/{name}"))
                .unwrap();
            let type_ = secret["type"].as_str().unwrap().to_string();
            found.push((name, type_));
        }
    }
    found
}

/// A bundle's files by name.
type Files = std::collections::BTreeMap<String, Vec<u8>>;

fn rebuild(files: &Files) -> Vec<u8> {
    cleat::authoring::package::archive::build("cleat-backup", files).unwrap()
}

fn remanifest(files: &mut Files) {
    let mut manifest: serde_json::Value = serde_json::from_slice(&files["bundle.json"]).unwrap();
    let digests: serde_json::Map<String, serde_json::Value> = files
        .iter()
        .filter(|(name, _)| *name != "bundle.json")
        .map(|(name, bytes)| (name.clone(), cleat::shared::digest::sha256(bytes).into()))
        .collect();
    manifest["files"] = digests.into();
    files.insert("bundle.json".into(), serde_json::to_vec(&manifest).unwrap());
}

#[test]
fn backup_and_restore_onto_a_fresh_control_plane() {
    let source = ControlPlane::start("backup-source");
    let dir = temp_dir("backup");
    two_examples(&dir, 2);
    run(&source, &dir, &["apply", "--yes"]).ok();
    two_examples(&dir, 3);
    run(&source, &dir, &["apply", "--yes"]).ok();
    let before = recorded(&source);
    assert!(
        before
            .iter()
            .any(|(name, _)| name == "cleat.release.shop.v2"),
        "{before:?}"
    );

    let out = run(
        &source,
        &dir,
        &[
            "backup",
            "--all-namespaces",
            "--include-live",
            "-o",
            "backup.tgz",
        ],
    )
    .ok();
    let bundle = dir.join("backup.tgz");
    assert!(out.starts_with("backup.tgz\nsha256:"), "{out}");
    assert_eq!(
        out.lines().nth(1).unwrap(),
        cleat::shared::digest::sha256(&fs::read(&bundle).unwrap())
    );
    let verified = run(&source, &dir, &["verify", "backup.tgz"]).ok();
    assert!(verified.starts_with("backup.tgz: every digest matches\n  2 releases, 2 package archives, 6 rendered objects, live objects included\n"), "{verified}");
    assert!(
        verified.contains("  backup-web/shop revision 2 (webapp 1.0.0, applied "),
        "{verified}"
    );
    let exported = run(&source, &dir, &["export", "shop", "-n", "backup-web"]).ok();
    let exported = cleat::release::lock::Lockfile::parse("export", exported.as_bytes()).unwrap();
    assert_eq!(exported.environments[0].releases[0].namespace, "backup-web");

    // Disaster: a new, empty cluster, and a machine without the package cache.
    let target = ControlPlane::start("backup-target");
    let fresh = temp_dir("restore");
    fs::copy(&bundle, fresh.join("backup.tgz")).unwrap();
    let out = run(&target, &fresh, &["restore", "backup.tgz", "--dry-run"]).ok();
    assert!(out.contains("+ create v1 Namespace backup-web\n"), "{out}");
    assert!(
        target.get("/api/v1/namespaces/backup-web").is_none(),
        "a dry run applies nothing"
    );
    let out = run(&target, &fresh, &["restore", "backup.tgz"]).ok();
    assert!(
        out.contains("restored backup-web/shop revision 2: "),
        "{out}"
    );
    assert!(
        out.contains("restored backup-batch/report revision 1: "),
        "{out}"
    );
    let after = recorded(&target);
    assert!(
        after.contains(&(
            "cleat.release.shop.v2".to_string(),
            "cleat.dev/release.v1".to_string()
        )),
        "{after:?}"
    );
    assert!(
        after.contains(&(
            "cleat.release.report.v1".to_string(),
            "cleat.dev/release.v1".to_string()
        )),
        "{after:?}"
    );
    let status = run(&target, &dir, &["status", "--exit-code"]).ok();
    assert!(status.contains("  revision 2, applied "), "{status}");
    assert!(status.contains("  lock: up to date"), "{status}");
    assert!(
        !status.contains("drift: 1") && !status.contains("drift: 2"),
        "{status}"
    );
    let diff = run(&target, &dir, &["diff"]);
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);
    let deployment = target
        .get("/apis/apps/v1/namespaces/backup-web/deployments/shop")
        .unwrap();
    assert_eq!(
        deployment["metadata"]["labels"]["cleat.dev/release"],
        "shop"
    );

    // Releases restore side by side: one that cannot (its lease is held)
    // does not stop the other, and both outcomes are reported.
    let ns = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "again-batch"}});
    target.apply_as("setup", "/api/v1/namespaces/again-batch", ns);
    target.apply_as(
        "setup",
        "/apis/coordination.k8s.io/v1/namespaces/again-batch/leases/cleat-release-report",
        lease_body(
            "again-batch",
            "report",
            "pipeline-7@ci pid 9",
            std::time::SystemTime::now(),
        ),
    );
    let again = run(
        &target,
        &fresh,
        &[
            "restore",
            "backup.tgz",
            "--namespace-map",
            "backup-web=again-web",
            "--namespace-map",
            "backup-batch=again-batch",
        ],
    );
    assert_eq!(again.code, 1, "{}{}", again.stdout, again.stderr);
    assert!(
        again
            .stdout
            .contains("restored again-web/shop revision 2: "),
        "{}",
        again.stdout
    );
    assert!(
        again
            .stderr
            .starts_with("error: release `report` is being applied by pipeline-7@ci pid 9 since "),
        "{}",
        again.stderr
    );
    assert!(target
        .get("/apis/apps/v1/namespaces/again-web/deployments/shop")
        .is_some());

    // Bad bundles are refused before anything is applied.
    let bytes = fs::read(&bundle).unwrap();
    let files = cleat::authoring::package::archive::read_as("backup bundle", "b", &bytes)
        .unwrap()
        .files;
    let check = |name: &str, bytes: &[u8], expected: &str| {
        fs::write(fresh.join(name), bytes).unwrap();
        let err = run(&target, &fresh, &["verify", name]).err();
        assert!(err.contains(expected), "{name}: {err}");
        let err = run(&target, &fresh, &["restore", name]).err();
        assert!(err.contains(expected), "{name}: {err}");
    };
    check(
        "truncated.tgz",
        &bytes[..bytes.len() / 2],
        "error: backup bundle `truncated.tgz` is truncated",
    );
    let mut changed = files.clone();
    let record = changed
        .keys()
        .find(|k| k.starts_with("records/backup-web"))
        .unwrap()
        .clone();
    changed.get_mut(&record).unwrap().extend_from_slice(b" ");
    check(
        "changed.tgz",
        &rebuild(&changed),
        &format!("has `{record}` with digest sha256:"),
    );
    let mut missing = files.clone();
    let package = missing
        .keys()
        .find(|k| k.starts_with("packages/"))
        .unwrap()
        .clone();
    missing.remove(&package);
    remanifest(&mut missing);
    check(
        "missing.tgz",
        &rebuild(&missing),
        "lacks the package archive sha256:",
    );
    let mut future = files.clone();
    let manifest = String::from_utf8(future["bundle.json"].clone())
        .unwrap()
        .replace("\"bundleVersion\": 1", "\"bundleVersion\": 2");
    future.insert("bundle.json".into(), manifest.into_bytes());
    check(
        "future.tgz",
        &rebuild(&future),
        "has format version 2, but this cleat (0.1.0) reads version 1",
    );
    // Records, objects and live files are checked for what they hold, not
    // only for their digests.
    let mutate = |name: &str, change: &dyn Fn(&mut Files), expected: &str| {
        let mut changed = files.clone();
        change(&mut changed);
        remanifest(&mut changed);
        check(name, &rebuild(&changed), expected);
    };
    mutate(
        "future-record.tgz",
        &|files| {
            let text = String::from_utf8(files[&record].clone()).unwrap();
            files.insert(
                record.clone(),
                text.replace("\"recordVersion\": 1", "\"recordVersion\": 2")
                    .into_bytes(),
            );
        },
        &format!(
            "has an invalid record `{record}`: it has format version 2; this cleat reads version 1"
        ),
    );
    mutate(
        "moved-record.tgz",
        &|files| {
            let bytes = files[&record].clone();
            files.insert("records/elsewhere/shop.json".into(), bytes);
        },
        "has `records/elsewhere/shop.json`, which holds the record of `backup-web/shop`",
    );
    mutate(
        "live-not-json.tgz",
        &|files| {
            files.insert("live/backup-web/shop.json".into(), b"not json".to_vec());
        },
        "has invalid live objects `live/backup-web/shop.json`: expected ident",
    );
    mutate(
        "not-a-list.tgz",
        &|files| {
            let objects = files
                .keys()
                .find(|k| k.starts_with("objects/backup-web"))
                .unwrap()
                .clone();
            let mut value: serde_json::Value = serde_json::from_slice(&files[&objects]).unwrap();
            value["kind"] = "ConfigMapList".into();
            files.insert(objects, serde_json::to_vec(&value).unwrap());
        },
        "is not a `v1` `List`",
    );
    mutate(
        "stray-file.tgz",
        &|files| {
            files.insert("notes.txt".into(), b"hello".to_vec());
        },
        "holds `notes.txt`, which no cleat bundle holds",
    );
    let mut hostile = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Symlink);
    header.set_size(0);
    hostile
        .append_link(&mut header, "cleat-backup/bundle.json", "/etc/passwd")
        .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &hostile.into_inner().unwrap()).unwrap();
    check(
        "hostile.tgz",
        &gz.finish().unwrap(),
        "has `cleat-backup/bundle.json`, a symbolic link to `/etc/passwd`",
    );
}

#[test]
fn notes_are_printed_after_an_apply_and_by_status_without_secrets() {
    let plane = ControlPlane::shared();
    let schema = b"type: object\nproperties:\n  port: {type: integer, description: Port, default: 8080}\n  password: {type: string, description: Admin password}\n  replicas: {type: integer, description: Replicas, default: 1}\n";
    let notes = b"Reach {{ release.name }} at http://{{ release.name }}.{{ release.namespace }}:{{ values.port }}\n\nThe admin password is {{ values.password }}.\n";
    let pkg = package(
        "notes-package",
        &[
            ("values.schema.yaml", schema),
            ("templates/cm.yaml", &configmap("settings")),
            ("templates/NOTES.txt", notes),
        ],
    );
    let dir = project(
        "notes",
        &format!(
            "  - name: web\n    namespace: notes\n    package: {}\n    values:\n      password: {{secretFrom: {{env: NOTES_PASSWORD}}}}\n",
            pkg.display()
        ),
    );
    let env = [("NOTES_PASSWORD", "hunter22-secret")];
    let applied = run_with(plane, &dir, &["apply", "--yes"], &env).ok();
    let expected = "NOTES of release web:\n  Reach web at http://web.notes:8080\n\n  The admin password is (secret).\n";
    assert!(applied.ends_with(expected), "{applied}");
    let status = run_with(plane, &dir, &["status", "--notes"], &env).ok();
    assert_eq!(status, expected);
    for output in [&applied, &status] {
        assert!(!output.contains("hunter22"), "{output}");
    }
}
