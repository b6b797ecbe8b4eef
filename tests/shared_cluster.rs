//! cleat in a cluster it shares with other releases, Helm and people, on a
//! real kube-apiserver and etcd (scripts/control-plane): it never takes over
//! or deletes what another owner holds, and prune never destroys what others
//! rely on (CRDs and their objects, namespaces of others, volumes' data).

mod common;

use std::fs;

use common::cluster::{configmap, project, run, run_with, spawn, ControlPlane};
use common::package;

fn releases(pkg: &std::path::Path, namespace: &str, names: &[&str]) -> String {
    names
        .iter()
        .map(|name| {
            format!(
                "  - name: {name}\n    namespace: {namespace}\n    package: {}\n",
                pkg.display()
            )
        })
        .collect()
}

#[test]
fn two_releases_never_take_or_delete_each_others_objects() {
    let plane = ControlPlane::shared();
    let shared = configmap("shared-settings");
    let pkg = package("owners-package", &[("templates/shared.yaml", &shared)]);
    let dir = project("owners", &releases(&pkg, "owners", &["x", "y"]));
    run(plane, &dir, &["apply", "x", "--yes"]).ok();

    // Release y renders the same object: refused, naming its owner.
    let err = run(plane, &dir, &["apply", "y", "--yes"]).err();
    assert!(err.starts_with("error: v1 ConfigMap owners/shared-settings (from `templates/shared.yaml`) exists and belongs to cleat release `x` of namespace `owners`; cleat does not take over what others own\n"), "{err}");
    let err = run(plane, &dir, &["diff", "y"]).err();
    assert!(err.contains("belongs to cleat release `x`"), "{err}");
    let live = plane
        .get("/api/v1/namespaces/owners/configmaps/shared-settings")
        .unwrap();
    assert_eq!(live["metadata"]["labels"]["cleat.dev/release"], "x");

    // Adopted explicitly, the plan says so; then it is y's, and deleting x
    // leaves it, saying why.
    let out = run(plane, &dir, &["apply", "y", "--yes", "--adopt"]).ok();
    assert!(out.contains("! adopt v1 ConfigMap owners/shared-settings from cleat release `x` of namespace `owners` (every value as it is)\n"), "{out}");
    let out = run(plane, &dir, &["delete", "x", "-n", "owners"]).ok();
    assert_eq!(out, "release x: 0 objects deleted, 1 records deleted\n  kept v1 ConfigMap owners/shared-settings: it belongs to cleat release `y` of namespace `owners` now\n");
    let live = plane
        .get("/api/v1/namespaces/owners/configmaps/shared-settings")
        .unwrap();
    assert_eq!(live["metadata"]["labels"]["cleat.dev/release"], "y");

    // An object deleted and made again by someone else, with y's marks
    // copied, is not the one y recorded: y's delete leaves it.
    let path = "/api/v1/namespaces/owners/configmaps/shared-settings";
    let copy = plane.get(path).unwrap();
    plane.delete(path);
    plane.apply_as(
        "human",
        path,
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "shared-settings", "namespace": "owners",
                "labels": copy["metadata"]["labels"], "annotations": copy["metadata"]["annotations"]}}),
    );
    let out = run(plane, &dir, &["delete", "y", "-n", "owners"]).ok();
    assert!(out.contains("  kept v1 ConfigMap owners/shared-settings: it was recreated by someone else (not the recorded uid)\n"), "{out}");
    assert!(plane.get(path).is_some());
}

#[test]
fn objects_of_a_helm_release_or_made_by_hand_are_refused_unless_adopted() {
    let plane = ControlPlane::shared();
    plane.apply_as(
        "helm",
        "/api/v1/namespaces/helmish",
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "helmish"}}),
    );
    plane.apply_as(
        "helm",
        "/api/v1/namespaces/helmish/configmaps/db",
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "db", "namespace": "helmish",
                "labels": {"app.kubernetes.io/managed-by": "Helm"},
                "annotations": {"meta.helm.sh/release-name": "postgres", "meta.helm.sh/release-namespace": "helmish"}},
            "data": {"value": "1"}}),
    );
    plane.apply_as(
        "kubectl-client-side-apply",
        "/api/v1/namespaces/helmish/configmaps/handmade",
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "handmade", "namespace": "helmish"}, "data": {"value": "1"}}),
    );
    let (db, handmade) = (configmap("db"), configmap("handmade"));
    let pkg = package(
        "helmish-package",
        &[
            ("templates/db.yaml", &db),
            ("templates/handmade.yaml", &handmade),
        ],
    );
    let dir = project("helmish", &releases(&pkg, "helmish", &["app"]));
    // One error per object, each naming its owner; nothing is applied.
    let err = run(plane, &dir, &["apply", "--yes"]).err();
    assert!(err.contains("error: v1 ConfigMap helmish/db (from `templates/db.yaml`) exists and belongs to Helm release `postgres` of namespace `helmish`; cleat does not take over what others own\n  hint: `helm uninstall` of that release would delete it; migrate the Helm release instead of sharing its objects\n"), "{err}");
    assert!(err.contains("error: v1 ConfigMap helmish/handmade (from `templates/handmade.yaml`) exists and belongs to no release (made by hand or by another tool)"), "{err}");
    assert!(err.ends_with("\n2 errors\n"), "{err}");
    let live = plane
        .get("/api/v1/namespaces/helmish/configmaps/db")
        .unwrap();
    assert!(live["metadata"]["labels"]
        .get("cleat.dev/release")
        .is_none());

    // The package may adopt one object by annotation; the other still fails.
    let adopting = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: handmade\n  annotations:\n    cleat.dev/adopt: \"true\"\ndata:\n  value: \"1\"\n";
    fs::write(pkg.join("templates/handmade.yaml"), adopting).unwrap();
    let err = run(plane, &dir, &["apply", "--yes", "--force-conflicts"]).err();
    assert!(err.contains("helmish/db"), "{err}");
    assert!(!err.contains("helmish/handmade"), "{err}");
    fs::remove_file(pkg.join("templates/db.yaml")).unwrap();
    let out = run(plane, &dir, &["apply", "--yes", "--force-conflicts"]).ok();
    assert!(out.contains("! adopt v1 ConfigMap helmish/handmade from no release (made by hand or by another tool)\n"), "{out}");
    let live = plane
        .get("/api/v1/namespaces/helmish/configmaps/handmade")
        .unwrap();
    assert_eq!(live["metadata"]["labels"]["cleat.dev/release"], "app");
}

#[test]
fn rollback_leaves_an_object_another_release_adopted() {
    let plane = ControlPlane::shared();
    let (a, b) = (configmap("a"), configmap("b"));
    let first = package("rollback-owner-1", &[("templates/a.yaml", &a)]);
    let dir = project(
        "rollback-owner",
        &releases(&first, "rollback-owner", &["x"]),
    );
    run(plane, &dir, &["apply", "--yes"]).ok();
    fs::write(first.join("templates/b.yaml"), &b).unwrap();
    run(plane, &dir, &["apply", "--yes"]).ok();
    // Release y adopts b; x's rollback to revision 1 would delete b.
    let other = package("rollback-owner-2", &[("templates/b.yaml", &b)]);
    let other_dir = project(
        "rollback-owner-y",
        &releases(&other, "rollback-owner", &["y"]),
    );
    run(plane, &other_dir, &["apply", "--yes", "--adopt"]).ok();
    let out = run(plane, &dir, &["rollback", "x", "-n", "rollback-owner"]).ok();
    assert!(out.contains("release x: revision 3: 0 created, 0 changed, 0 deleted, 1 unchanged\n  kept v1 ConfigMap rollback-owner/b: it belongs to cleat release `y` of namespace `rollback-owner` now\n"), "{out}");
    assert!(plane
        .get("/api/v1/namespaces/rollback-owner/configmaps/b")
        .is_some());
}

const CRD: &[u8] = b"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gizmos.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gizmos, singular: gizmo, kind: Gizmo, listKind: GizmoList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
";

#[test]
fn a_crd_no_longer_rendered_is_kept_with_every_object_of_its_kind() {
    let plane = ControlPlane::shared();
    let cm = configmap("settings");
    let pkg = package(
        "crd-keep-package",
        &[("crds/gizmo.yaml", CRD), ("templates/cm.yaml", &cm)],
    );
    let dir = project("crd-keep", &releases(&pkg, "crd-keep", &["gizmos"]));
    run(plane, &dir, &["apply", "--yes"]).ok();
    // Someone makes an object of the kind by hand.
    let gizmo = "/apis/example.com/v1/namespaces/crd-keep/gizmos/handmade";
    plane.apply_as(
        "human",
        gizmo,
        serde_json::json!({"apiVersion": "example.com/v1", "kind": "Gizmo",
            "metadata": {"name": "handmade", "namespace": "crd-keep"}}),
    );
    fs::remove_dir_all(pkg.join("crds")).unwrap();

    let diff = run(plane, &dir, &["diff"]);
    assert_eq!(
        diff.code, 0,
        "only a kept CRD: nothing changes\n{}{}",
        diff.stdout, diff.stderr
    );
    assert!(diff.stdout.contains("= keep apiextensions.k8s.io/v1 CustomResourceDefinition gizmos.example.com: deleting it deletes every object of its kind (1 now)\n"), "{}", diff.stdout);
    let text = fs::read_to_string(dir.join("cleat.yaml")).unwrap();
    fs::write(dir.join("cleat.yaml"), text + "    values: {replicas: 2}\n").unwrap();
    let out = run(plane, &dir, &["apply", "--yes"]).ok();
    assert!(out.contains("release gizmos: revision 2: 0 created, 1 changed, 0 deleted, 0 unchanged\n  kept apiextensions.k8s.io/v1 CustomResourceDefinition gizmos.example.com: deleting it deletes every object of its kind (1 now)\n"), "{out}");
    assert!(plane.get(gizmo).is_some());

    // The CRD stays the release's: only `--prune-crds` deletes it, shown first.
    let diff = run(plane, &dir, &["diff", "--prune-crds"]);
    assert_eq!(diff.code, 2, "{}{}", diff.stdout, diff.stderr);
    assert!(diff.stdout.contains("- delete apiextensions.k8s.io/v1 CustomResourceDefinition gizmos.example.com (no longer rendered; deletes every object of its kind, 1 now)\n"), "{}", diff.stdout);
    let out = run(plane, &dir, &["apply", "--yes", "--prune-crds"]).ok();
    assert!(out.contains("1 deleted"), "{out}");
}

#[test]
fn volumes_and_namespaces_holding_others_objects_are_kept() {
    let plane = ControlPlane::shared();
    let pvc = b"apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n";
    let scratch = b"apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: scratch\n  annotations:\n    cleat.dev/deletable: \"true\"\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n";
    let namespace = b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: keep-tenant\n";
    let cm = configmap("settings");
    let pkg = package(
        "keep-package",
        &[
            ("templates/data.yaml", pvc),
            ("templates/scratch.yaml", scratch),
            ("templates/namespace.yaml", namespace),
            ("templates/cm.yaml", &cm),
        ],
    );
    let dir = project("keep", &releases(&pkg, "keep-data", &["store"]));
    run(plane, &dir, &["apply", "--yes"]).ok();
    plane.apply_as(
        "human",
        "/api/v1/namespaces/keep-tenant/configmaps/theirs",
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "theirs", "namespace": "keep-tenant"}}),
    );
    for file in ["data.yaml", "scratch.yaml", "namespace.yaml"] {
        fs::remove_file(pkg.join("templates").join(file)).unwrap();
    }
    let diff = run(plane, &dir, &["diff"]);
    assert_eq!(diff.code, 2, "{}{}", diff.stdout, diff.stderr);
    assert!(
        diff.stdout
            .contains("= keep v1 Namespace keep-tenant: it holds 1 objects of others\n"),
        "{}",
        diff.stdout
    );
    assert!(diff.stdout.contains("= keep v1 PersistentVolumeClaim keep-data/data: deleting it deletes its data; annotate it cleat.dev/deletable: \"true\" to allow that\n"), "{}", diff.stdout);
    assert!(
        diff.stdout
            .contains("- delete v1 PersistentVolumeClaim keep-data/scratch (no longer rendered)\n"),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout
            .ends_with("0 to create, 0 to change, 1 to delete, 1 unchanged, 2 kept\n"),
        "{}",
        diff.stdout
    );
    run(plane, &dir, &["apply", "--yes"]).ok();
    assert!(plane.get("/api/v1/namespaces/keep-tenant").is_some());
    assert!(plane
        .get("/api/v1/namespaces/keep-data/persistentvolumeclaims/data")
        .is_some());
    let scratch = plane.get("/api/v1/namespaces/keep-data/persistentvolumeclaims/scratch");
    assert!(
        scratch.is_none() || scratch.unwrap()["metadata"]["deletionTimestamp"].is_string(),
        "the deletable claim is deleted"
    );
}

/// The names of the objects of `kind` (`/api/v1/.../configmaps`) labelled
/// as release `release`'s.
fn labelled(plane: &ControlPlane, path: &str, release: &str) -> Vec<String> {
    let list = plane
        .get(&format!("{path}?labelSelector=cleat.dev/release={release}"))
        .unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_apply_killed_at_any_moment_leaves_nothing_unknown() {
    let plane = ControlPlane::shared();
    let many = b"{% for i in range(values.replicas) %}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ i }}\ndata:\n  index: {{ i | string }}\n{% endfor %}\n";
    let schema = b"type: object\nproperties:\n  replicas: {type: integer, description: How many, default: 1}\n";
    let pkg = package(
        "killed-package",
        &[
            ("templates/many.yaml", many),
            ("values.schema.yaml", schema),
        ],
    );
    let release = |replicas: u32| {
        format!(
            "  - name: killed\n    namespace: killed\n    package: {}\n    values: {{replicas: {replicas}}}\n",
            pkg.display()
        )
    };
    let dir = project("killed", &release(400));
    for delay in [200, 700, 1500, 3000] {
        fs::write(
            dir.join("cleat.yaml"),
            format!("releases:\n{}", release(400)),
        )
        .unwrap();
        let mut apply = spawn(
            plane,
            &dir,
            &["apply", "--yes"],
            std::process::Stdio::null(),
        );
        std::thread::sleep(std::time::Duration::from_millis(delay));
        apply.kill().unwrap(); // SIGKILL: no clean-up of any kind
        apply.wait().unwrap();
        // The killed apply's lease would expire in 30 s; an operator may
        // delete it, as this test does.
        let lease = "/apis/coordination.k8s.io/v1/namespaces/killed/leases/cleat-release-killed";
        if plane.get(lease).is_some() {
            plane.delete(lease);
        }
        // A revert renders fewer objects; then the release is deleted.
        fs::write(dir.join("cleat.yaml"), format!("releases:\n{}", release(5))).unwrap();
        run(plane, &dir, &["apply", "--yes"]).ok();
        let status = run(plane, &dir, &["status"]).ok();
        assert!(!status.contains("interrupted"), "{status}");
        assert!(!status.contains("unrecorded"), "{status}");
        run(plane, &dir, &["delete", "killed", "-n", "killed"]).ok();
        let left = labelled(plane, "/api/v1/namespaces/killed/configmaps", "killed");
        assert!(
            left.is_empty(),
            "killed after {delay} ms: {} objects survived: {left:?}",
            left.len()
        );
    }
}

#[test]
fn status_reports_objects_labelled_as_the_release_but_in_no_record() {
    let plane = ControlPlane::shared();
    let cm = configmap("settings");
    let pkg = package("unrecorded-package", &[("templates/cm.yaml", &cm)]);
    let dir = project("unrecorded", &releases(&pkg, "unrecorded", &["tracked"]));
    run(plane, &dir, &["apply", "--yes"]).ok();
    plane.apply_as(
        "old-cleat",
        "/api/v1/namespaces/unrecorded/configmaps/stray",
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "stray", "namespace": "unrecorded",
                "labels": {"cleat.dev/release": "tracked"},
                "annotations": {"cleat.dev/release-namespace": "unrecorded"}}}),
    );
    let status = run(plane, &dir, &["status", "--exit-code"]);
    assert_eq!(status.code, 2, "{}{}", status.stdout, status.stderr);
    assert!(status.stdout.contains("  unrecorded: 1 objects carry the release's labels but are in no record\n    ? v1 ConfigMap unrecorded/stray\n"), "{}", status.stdout);
}

#[test]
fn secret_values_appear_in_no_output_and_no_artefact() {
    use base64::Engine;
    use std::io::Read;
    let plane = ControlPlane::shared();
    let secret = b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: credentials\ndata:\n  password: {{ values.password | b64encode }}\nstringData:\n  dsn: {{ \"postgres://app:\" ~ values.password ~ \"@db\" }}\n";
    let schema =
        b"type: object\nproperties:\n  password: {type: string, description: The password}\n";
    let pkg = package(
        "secret-package",
        &[
            ("templates/secret.yaml", secret),
            ("values.schema.yaml", schema),
        ],
    );
    let dir = project(
        "secrets",
        &format!(
            "  - name: vault\n    namespace: secrets\n    package: {}\n    values:\n      password: {{secretFrom: {{env: APP_PASSWORD}}}}\n",
            pkg.display()
        ),
    );
    let mut seen = String::new();
    let mut step = |args: &[&str], password: &str| {
        let out = run_with(plane, &dir, args, &[("APP_PASSWORD", password)]);
        seen.push_str(&out.stdout);
        seen.push_str(&out.stderr);
        out
    };
    let (first, second) = ("correct-horse-battery", "staple-tr0ub4dor");
    assert_eq!(step(&["lock"], first).code, 0);
    assert_eq!(step(&["diff"], first).code, 2);
    assert_eq!(step(&["diff", "-o", "json"], first).code, 2);
    assert_eq!(step(&["apply", "--yes"], first).code, 0);
    assert_eq!(step(&["lock"], second).code, 0);
    let diff = step(&["diff"], second);
    assert_eq!(diff.code, 2, "{}{}", diff.stdout, diff.stderr);
    assert!(diff.stdout.contains("(hidden, digest "), "{}", diff.stdout);
    assert_eq!(step(&["diff", "-o", "json"], second).code, 2);
    assert_eq!(step(&["apply", "--yes"], second).code, 0);
    assert_eq!(step(&["status"], second).code, 0);
    let bundle = dir.join("backup.tgz");
    let bundle_arg = bundle.display().to_string();
    assert_eq!(
        step(
            &[
                "backup",
                "-n",
                "secrets",
                "--include-live",
                "-o",
                &bundle_arg
            ],
            second
        )
        .code,
        0
    );
    assert_eq!(step(&["verify", &bundle_arg], second).code, 0);
    assert_eq!(step(&["export", "vault", "-n", "secrets"], second).code, 0);

    // Every artefact: the lockfile, the record Secrets (decoded), the bundle's files.
    let mut artefacts = vec![(
        "cleat.lock".to_string(),
        fs::read_to_string(dir.join("cleat.lock")).unwrap(),
    )];
    let records = plane
        .get("/api/v1/namespaces/secrets/secrets?labelSelector=cleat.dev/release=vault")
        .unwrap();
    for record in records["items"].as_array().unwrap() {
        let Some(encoded) = record["data"]["record"].as_str() else {
            continue;
        };
        let compressed = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        let mut json = String::new();
        flate2::read::GzDecoder::new(compressed.as_slice())
            .read_to_string(&mut json)
            .unwrap();
        artefacts.push((
            record["metadata"]["name"].as_str().unwrap().to_string(),
            json,
        ));
    }
    let bytes = fs::read(&bundle).unwrap();
    let unpacked =
        cleat::authoring::package::archive::read_as("backup bundle", "backup.tgz", &bytes).unwrap();
    for (name, content) in unpacked.files {
        artefacts.push((name, String::from_utf8_lossy(&content).into_owned()));
    }
    artefacts.push(("output".to_string(), seen));
    assert!(
        artefacts.len() > 6,
        "{:?}",
        artefacts.iter().map(|a| &a.0).collect::<Vec<_>>()
    );
    for password in [first, second] {
        let b64 = base64::engine::general_purpose::STANDARD.encode(password);
        let dsn = base64::engine::general_purpose::STANDARD
            .encode(format!("postgres://app:{password}@db"));
        let digest = cleat::shared::digest::sha256_hex(password.as_bytes());
        for (name, content) in &artefacts {
            for leak in [password, &b64, &dsn, &digest] {
                assert!(
                    !content.contains(leak),
                    "`{name}` holds `{leak}`:\n{content}"
                );
            }
        }
    }
    // The bundle is its owner's alone.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&bundle).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn drift_is_shown_and_taken_back_while_fields_cleat_never_set_still_conflict() {
    let plane = ControlPlane::shared();
    let cm = configmap("settings");
    let pkg = package("drift-package", &[("templates/cm.yaml", &cm)]);
    let dir = project("drift", &releases(&pkg, "drift", &["drifty"]));
    run(plane, &dir, &["apply", "--yes"]).ok();
    let path = "/api/v1/namespaces/drift/configmaps/settings";
    let edit = |data: serde_json::Value| {
        plane.apply_as(
            "kubectl-edit",
            path,
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "settings", "namespace": "drift"}, "data": data}),
        )
    };
    edit(serde_json::json!({"value": "99"}));
    let diff = run(plane, &dir, &["diff"]);
    assert_eq!(diff.code, 2, "{}{}", diff.stdout, diff.stderr);
    assert!(diff.stdout.contains("    drift: `kubectl-edit` changed .data.value, which cleat set; applying takes it back\n"), "{}", diff.stdout);
    assert!(
        diff.stdout.contains("-  value: '99'\n") || diff.stdout.contains("-  value: \"99\"\n"),
        "{}",
        diff.stdout
    );
    let json: serde_json::Value =
        serde_json::from_str(&run(plane, &dir, &["diff", "-o", "json"]).stdout).unwrap();
    assert_eq!(
        json["releases"][0]["objects"][0]["drift"][0],
        serde_json::json!({"manager": "kubectl-edit", "field": ".data.value"})
    );
    let out = run(plane, &dir, &["apply", "--yes"]).ok();
    assert!(
        out.contains(
            "  took back .data.value of v1 ConfigMap drift/settings from `kubectl-edit`\n"
        ),
        "{out}"
    );
    assert_eq!(plane.get(path).unwrap()["data"]["value"], "1");

    // A field cleat starts to set that another manager holds is theirs: a
    // conflict, which only --force-conflicts takes.
    edit(serde_json::json!({"extra": "theirs"}));
    let template = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  value: {{ values.replicas | quote }}\n  extra: ours\n";
    fs::write(pkg.join("templates/cm.yaml"), template).unwrap();
    let err = run(plane, &dir, &["apply", "--yes"]).err();
    assert!(err.contains("error: planning v1 ConfigMap drift/settings (from `templates/cm.yaml`): Apply failed with 1 conflict: conflict with \"kubectl-edit\""), "{err}");
    assert!(
        err.contains("`--force-conflicts` makes cleat take them over"),
        "{err}"
    );
    run(plane, &dir, &["apply", "--yes", "--force-conflicts"]).ok();
    assert_eq!(plane.get(path).unwrap()["data"]["extra"], "ours");
}

#[test]
fn a_read_only_user_gets_status_and_diff_without_a_dry_run() {
    let plane = ControlPlane::shared();
    let cm = configmap("settings");
    let pkg = package("readonly-package", &[("templates/cm.yaml", &cm)]);
    let dir = project("readonly", &releases(&pkg, "readonly", &["watched"]));
    run(plane, &dir, &["apply", "--yes"]).ok();
    plane.apply_as(
        "setup",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/readonly/roles/reader",
        serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "reader", "namespace": "readonly"},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]}]}),
    );
    plane.apply_as(
        "setup",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/readonly/rolebindings/reader",
        serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "reader", "namespace": "readonly"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "reader"}]}),
    );
    let reader = plane.user("reader").display().to_string();
    plane.apply_as(
        "kubectl-edit",
        "/api/v1/namespaces/readonly/configmaps/settings",
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": "readonly"}, "data": {"value": "7"}}),
    );
    let status = run(plane, &dir, &["status", "--kubeconfig", &reader]).ok();
    assert!(status.contains("  (drift found without a server-side dry run, which the user may not run: cleat's estimate)\n  drift: 1 objects\n    ~ changed v1 ConfigMap readonly/settings\n"), "{status}");
    let diff = run(plane, &dir, &["diff", "--kubeconfig", &reader]);
    assert_eq!(diff.code, 2, "{}{}", diff.stdout, diff.stderr);
    assert!(
        diff.stdout
            .contains("(compared without a server-side dry run"),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout.contains("-  value: '7'\n") || diff.stdout.contains("-  value: \"7\"\n"),
        "{}",
        diff.stdout
    );
}

#[test]
fn errors_say_what_was_being_done_and_drop_go_value_dumps() {
    let plane = ControlPlane::shared();
    let deployment = |app: &str| {
        format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {{app: {app}}}\n  template:\n    metadata:\n      labels: {{app: {app}}}\n    spec:\n      containers:\n        - name: web\n          image: nginx\n")
    };
    let pkg = package(
        "words-package",
        &[("templates/web.yaml", deployment("web").as_bytes())],
    );
    let dir = project("words", &releases(&pkg, "words", &["worded"]));
    run(plane, &dir, &["apply", "--yes"]).ok();
    fs::write(pkg.join("templates/web.yaml"), deployment("other")).unwrap();
    let err = run(plane, &dir, &["diff"]).err();
    assert!(err.starts_with("error: apps/v1 Deployment words/web (from `templates/web.yaml`) cannot be changed in place: `spec.selector` cannot change once created\n"), "{err}");
    assert!(!err.contains("v1.LabelSelector{"), "{err}");

    // A failed Job: waiting longer would not help, and the hint says so.
    let job = b"apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: migrate\n          image: busybox\n";
    let jobs = package("failed-job-package", &[("templates/job.yaml", job)]);
    let dir = project("failed-job", &releases(&jobs, "failed-job", &["migration"]));
    let plane_dir = dir.clone();
    let waiter = std::thread::spawn(move || {
        run(
            ControlPlane::shared(),
            &plane_dir,
            &["apply", "--yes", "--wait", "--timeout", "60s"],
        )
    });
    let path = "/apis/batch/v1/namespaces/failed-job/jobs/migrate";
    while plane.get(path).is_none() {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    plane.patch_status(
        &format!("{path}/status"),
        serde_json::json!({"status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}}),
    );
    let err = waiter.join().unwrap().err();
    assert!(err.contains("error: release migration: a Job failed\n  hint: fix what the Job's conditions and events above show; waiting longer does not help\n"), "{err}");
    assert!(!err.contains("raise --timeout"), "{err}");
}

#[test]
fn rollback_after_a_failed_apply_goes_before_the_newest_complete_revision() {
    let plane = ControlPlane::shared();
    let (a, b) = (configmap("a"), configmap("b"));
    let pkg = package("rollback-pending", &[("templates/a.yaml", &a)]);
    let dir = project(
        "rollback-pending",
        &releases(&pkg, "rollback-pending", &["x"]),
    );
    run(plane, &dir, &["apply", "--yes"]).ok();
    fs::write(pkg.join("templates/b.yaml"), &b).unwrap();
    run(plane, &dir, &["apply", "--yes"]).ok();
    // Revision 3 adds a Deployment that never becomes ready (the control plane has no nodes).
    let web = b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - {name: web, image: nginx}\n";
    fs::write(pkg.join("templates/web.yaml"), web).unwrap();
    run(
        plane,
        &dir,
        &["apply", "--yes", "--wait", "--timeout", "1s"],
    )
    .err();
    assert!(plane
        .get("/apis/apps/v1/namespaces/rollback-pending/deployments/web")
        .is_some());
    // The rollback goes to the revision before the newest complete one (2),
    // takes over the unfinished revision 3, and prunes what it made.
    let out = run(plane, &dir, &["rollback", "x", "-n", "rollback-pending"]).ok();
    assert!(
        out.starts_with("rolled back to revision 1\nrelease x: revision 3: "),
        "{out}"
    );
    assert!(plane
        .get("/apis/apps/v1/namespaces/rollback-pending/deployments/web")
        .is_none_or(|d| d["metadata"]["deletionTimestamp"].is_string()));
    assert!(plane
        .get("/api/v1/namespaces/rollback-pending/configmaps/b")
        .is_none());
    let status = run(plane, &dir, &["status"]).stdout;
    assert!(!status.contains("interrupted"), "{status}");
}
