//! Taking over running Helm releases, on a real control plane with the
//! real helm: a chart with a CRD, a hook, a Secret, a Service and a
//! Deployment installed by `helm install` (server-side, as Helm 4 applies,
//! and client-side, as Helm 3 releases were made), then `cleat import`
//! (plan: every object adopted, every value as it is; nothing in the
//! cluster changes), `cleat apply` (the same objects, same uids, cleat
//! their only field manager, Helm's records retired or kept), a clean
//! `cleat diff`, and a later values change. Bad releases are refused with
//! their reason before anything is written.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use common::cluster::{run, ControlPlane};
use common::helm::helm;
use common::temp_dir;

const CHART: &[(&str, &str)] = &[
    (
        "Chart.yaml",
        "apiVersion: v2\nname: shop\nversion: 1.3.0\nappVersion: \"2.1\"\n",
    ),
    (
        "values.yaml",
        "replicas: 1\nimage: nginx:1.25\npassword: change-me\n",
    ),
    (
        "crds/gadget.yaml",
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.import.example.com}
spec:
  group: import.example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
",
    ),
    (
        "templates/objects.yaml",
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
  labels:
    app.kubernetes.io/managed-by: {{ .Release.Service }}
data:
  replicas: {{ .Values.replicas | quote }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-password
type: Opaque
data:
  password: {{ .Values.password | b64enc | quote }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
spec:
  selector: {app: {{ .Release.Name }}}
  ports:
    - {name: http, port: 80, targetPort: 8080, protocol: TCP}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
        - name: web
          image: {{ .Values.image }}
          ports: [{containerPort: 8080, protocol: TCP}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-schema-version
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: \"-1\"
data:
  image: {{ .Values.image }}
",
    ),
];

/// The chart, its CRD's group `GROUP.example.com` (so tests own theirs).
fn chart(group: &str) -> PathBuf {
    let root = temp_dir(&format!("{group}-chart")).join("shop");
    let group = format!("{group}.example.com");
    let texts: Vec<String> = CHART
        .iter()
        .map(|(_, t)| t.replace("import.example.com", &group))
        .collect();
    let files: Vec<(&str, &str)> = CHART
        .iter()
        .zip(&texts)
        .map(|((n, _), t)| (*n, t.as_str()))
        .collect();
    common::write_files(&root, &files);
    root
}

fn helm_in(plane: &ControlPlane, args: &[&str]) -> String {
    helm_with(plane, args, &[])
}

/// helm with `args` against `plane`, with extra environment variables.
fn helm_with(plane: &ControlPlane, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = Command::new(helm())
        .args(args)
        .envs(env.iter().copied())
        .env("KUBECONFIG", &plane.kubeconfig)
        .env("HELM_CACHE_HOME", temp_dir("helm-cache"))
        .env("HELM_CONFIG_HOME", temp_dir("helm-config"))
        .env("HELM_DATA_HOME", temp_dir("helm-data"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "helm {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// The API paths of the release's objects (the CRD last).
fn paths(namespace: &str, release: &str) -> Vec<String> {
    vec![
        format!("/api/v1/namespaces/{namespace}/configmaps/{release}-settings"),
        format!("/api/v1/namespaces/{namespace}/secrets/{release}-password"),
        format!("/api/v1/namespaces/{namespace}/services/{release}"),
        format!("/apis/apps/v1/namespaces/{namespace}/deployments/{release}"),
        format!("/api/v1/namespaces/{namespace}/configmaps/{release}-schema-version"),
        format!("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.{namespace}.example.com"),
    ]
}

/// Each object's uid, resourceVersion and what it holds.
fn snapshot(plane: &ControlPlane, paths: &[String]) -> Vec<(String, String, serde_json::Value)> {
    paths
        .iter()
        .map(|path| {
            let object = plane.get(path).unwrap_or_else(|| panic!("{path} exists"));
            let held = ["data", "spec"]
                .iter()
                .map(|f| object[*f].clone())
                .collect::<Vec<_>>()
                .into();
            (
                object["metadata"]["uid"].as_str().unwrap().to_string(),
                object["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                held,
            )
        })
        .collect()
}

fn helm_records(plane: &ControlPlane, namespace: &str) -> usize {
    plane
        .get(&format!(
            "/api/v1/namespaces/{namespace}/secrets?labelSelector=owner%3Dhelm"
        ))
        .unwrap()["items"]
        .as_array()
        .unwrap()
        .len()
}

fn takes_over(server_side: bool, keep: bool) {
    let plane = ControlPlane::shared();
    let (namespace, release) = match server_side {
        true => ("import-ssa", "shop"),
        false => ("import-csa", "legacy"),
    };
    let chart = chart(namespace);
    let chart_arg = chart.display().to_string();
    let mut install = vec![
        "install",
        release,
        &chart_arg,
        "-n",
        namespace,
        "--create-namespace",
    ];
    install.extend(["--set", "replicas=3,password=s3cret"]);
    if !server_side {
        install.push("--server-side=false");
    }
    helm_in(plane, &install);
    let paths = paths(namespace, release);
    let before = snapshot(plane, &paths);

    let dir = temp_dir(&format!("{namespace}-project"));
    let imported = run(plane, &dir, &["import", release, "-n", namespace]);
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    let out = &imported.stdout;
    assert!(out.contains(&format!("  wrote charts/shop-1.3.0/ (the chart as Helm stored it)\n  wrote values/{release}.yaml")), "{out}");
    assert!(
        out.contains("0 to create, 0 to change, 0 to delete, 6 unchanged, 6 to adopt\n"),
        "{out}"
    );
    for path in &paths {
        let name = path.rsplit('/').next().unwrap();
        assert!(
            out.contains(&format!("{name} from ")) && out.contains("(every value as it is)"),
            "{name}: {out}"
        );
    }
    assert!(!out.contains("~ change"), "{out}");
    assert!(
        imported.stderr.contains(&format!(
            "warning: values/{release}.yaml holds the values Helm was given"
        )),
        "{}",
        imported.stderr
    );
    let values = std::fs::read_to_string(dir.join(format!("values/{release}.yaml"))).unwrap();
    assert!(
        values.contains("password: s3cret\n") && values.contains("replicas: 3\n"),
        "{values}"
    );
    let file = std::fs::read_to_string(dir.join("cleat.yaml")).unwrap();
    assert_eq!(file, format!("releases:\n  - name: {release}\n    namespace: {namespace}\n    package: charts/shop-1.3.0\n    helmRelease: {release}\n    valueFiles: [values/{release}.yaml]\n"));
    // Nothing in the cluster changed.
    assert_eq!(snapshot(plane, &paths), before);
    assert_eq!(helm_records(plane, namespace), 1);

    let mut apply = vec!["apply", "--yes"];
    if keep {
        apply.push("--keep-helm-history");
    }
    let applied = run(plane, &dir, &apply);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let expected = if keep {
        format!("release {release}: took over Helm release `{release}`: 6 objects now managed by cleat only, 1 Helm records kept (--keep-helm-history)\n")
    } else {
        format!("release {release}: took over Helm release `{release}`: 6 objects now managed by cleat only, 1 Helm records deleted\n")
    };
    assert!(applied.stdout.contains(&expected), "{}", applied.stdout);
    let after = snapshot(plane, &paths);
    for ((path, (uid, _, held)), (uid_after, _, held_after)) in
        paths.iter().zip(&before).zip(&after)
    {
        assert_eq!(uid, uid_after, "{path} was recreated");
        assert_eq!(held, held_after, "{path} changed a value");
    }
    for path in &paths {
        let live = plane.get(path).unwrap();
        // Who manages the chart's fields (the API server keeps a CRD's status).
        let managers: Vec<&str> = live["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                f["fieldsV1"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .any(|k| k != "f:status")
            })
            .map(|f| f["manager"].as_str().unwrap())
            .collect();
        assert_eq!(managers, ["cleat"], "{path}: {}", live["metadata"]);
        assert_eq!(
            live["metadata"]["labels"]["cleat.dev/release"], release,
            "{path}"
        );
        assert!(live["metadata"]["annotations"]
            ["kubectl.kubernetes.io/last-applied-configuration"]
            .is_null());
    }
    let listed = helm_in(plane, &["list", "-n", namespace, "-q"]);
    if keep {
        assert_eq!(helm_records(plane, namespace), 1);
        assert_eq!(listed.trim(), release);
    } else {
        assert_eq!(helm_records(plane, namespace), 0);
        assert_eq!(listed.trim(), "");
    }
    let diff = run(plane, &dir, &["diff"]);
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);

    // Later applies are ordinary upgrades.
    let values_file = dir.join(format!("values/{release}.yaml"));
    std::fs::write(&values_file, values.replace("replicas: 3", "replicas: 5")).unwrap();
    let upgraded = run(plane, &dir, &["apply", "--yes"]);
    assert_eq!(upgraded.code, 0, "{}", upgraded.stderr);
    let deployment = plane.get(&paths[3]).unwrap();
    assert_eq!(deployment["spec"]["replicas"], 5);
    assert_eq!(deployment["metadata"]["uid"].as_str().unwrap(), before[3].0);
    assert_eq!(run(plane, &dir, &["diff"]).code, 0);
}

#[test]
fn a_helm_4_release_applied_server_side_is_taken_over_without_touching_an_object() {
    takes_over(true, false);
}

#[test]
fn a_helm_3_style_client_side_release_is_taken_over_keeping_helm_history() {
    takes_over(false, true);
}

/// A Helm release record with `release` as its JSON, as Helm writes it.
fn record(plane: &ControlPlane, namespace: &str, name: &str, release: &[u8]) {
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gzip, release).unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap());
    secret(plane, namespace, name, &encoded);
}

fn secret(plane: &ControlPlane, namespace: &str, name: &str, stored: &str) {
    plane.apply_as(
        "test",
        &format!("/api/v1/namespaces/{namespace}/secrets/sh.helm.release.v1.{name}.v1"),
        serde_json::json!({
            "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
            "metadata": {"name": format!("sh.helm.release.v1.{name}.v1"), "namespace": namespace,
                         "labels": {"owner": "helm", "name": name, "version": "1", "status": "deployed"}},
            "data": {"release": base64::engine::general_purpose::STANDARD.encode(stored)}
        }),
    );
}

fn refused(plane: &ControlPlane, dir: &Path, args: &[&str]) -> String {
    let result = run(plane, dir, args);
    assert_eq!(result.code, 1, "{}", result.stdout);
    assert!(!dir.join("cleat.yaml").exists(), "nothing is written");
    assert!(!dir.join("charts").exists() && !dir.join("values").exists());
    result.stderr
}

#[test]
fn releases_that_cannot_be_taken_over_are_refused_before_anything_is_written() {
    let plane = ControlPlane::shared();
    let namespace = "import-bad";
    plane.apply_as(
        "test",
        &format!("/api/v1/namespaces/{namespace}"),
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}),
    );
    let dir = temp_dir("import-bad-project");

    let missing = refused(plane, &dir, &["import", "nothing", "-n", namespace]);
    assert!(
        missing.contains("error: there is no Helm release `nothing` in namespace `import-bad`"),
        "{missing}"
    );
    assert!(
        missing.contains("hint: `helm list -n import-bad` lists the releases there"),
        "{missing}"
    );

    secret(plane, namespace, "corrupt", "this is not what helm writes");
    let corrupt = refused(plane, &dir, &["import", "corrupt", "-n", namespace]);
    assert!(
        corrupt
            .contains("error: Helm release record `sh.helm.release.v1.corrupt.v1` is not base64"),
        "{corrupt}"
    );
    assert!(
        corrupt.contains("hint: helm cannot read it either"),
        "{corrupt}"
    );

    let chart =
        serde_json::json!({"metadata": {"name": "shop", "version": "1.3.0"}, "templates": []});
    let pending = serde_json::json!({"name": "stuck", "namespace": namespace, "version": 1,
        "info": {"status": "pending-upgrade"}, "chart": chart, "config": {}});
    record(plane, namespace, "stuck", pending.to_string().as_bytes());
    let stuck = refused(plane, &dir, &["import", "stuck", "-n", namespace]);
    assert!(stuck.contains("error: Helm release `stuck` in namespace `import-bad` is `pending-upgrade` at revision 1, not deployed"), "{stuck}");
    assert!(stuck.contains("hint: a Helm operation is running on it, or was killed: wait for it, or end it with `helm rollback stuck -n import-bad`"), "{stuck}");

    // Helm does not store subcharts: without the chart, that is said.
    let umbrella = serde_json::json!({"metadata": {"name": "umbrella", "version": "2.0.0",
        "dependencies": [{"name": "redis", "version": "18.x"}]}, "templates": []});
    let deployed = serde_json::json!({"name": "umbrella", "namespace": namespace, "version": 1,
        "info": {"status": "deployed"}, "chart": umbrella, "config": {}});
    record(
        plane,
        namespace,
        "umbrella",
        deployed.to_string().as_bytes(),
    );
    let subcharts = refused(plane, &dir, &["import", "umbrella", "-n", namespace]);
    assert!(subcharts.contains("error: chart umbrella 2.0.0 depends on redis, and Helm does not store subcharts in its release records"), "{subcharts}");
    assert!(
        subcharts.contains("hint: name the chart: `--chart PATH`"),
        "{subcharts}"
    );
    let not_a_chart = refused(
        plane,
        &dir,
        &[
            "import",
            "umbrella",
            "-n",
            namespace,
            "--chart",
            "/nonexistent/umbrella",
        ],
    );
    assert!(
        not_a_chart
            .contains("error: `/nonexistent/umbrella` is not a Helm chart: it has no `Chart.yaml`"),
        "{not_a_chart}"
    );

    // A chart file that would land outside the chart.
    let hostile = serde_json::json!({"metadata": {"name": "evil", "version": "1.0.0"},
        "templates": [{"name": "../../escape.yaml", "data": "eDogeQo="}]});
    let deployed = serde_json::json!({"name": "evil", "namespace": namespace, "version": 1,
        "info": {"status": "deployed"}, "chart": hostile, "config": {}});
    record(plane, namespace, "evil", deployed.to_string().as_bytes());
    let escape = refused(plane, &dir, &["import", "evil", "-n", namespace]);
    assert!(escape.contains("error: the Helm release's chart has an entry `../../escape.yaml` that points outside the archive with `..`"), "{escape}");
    assert!(!dir.parent().unwrap().join("escape.yaml").exists());
}

#[test]
fn every_helm_release_of_the_cluster_is_imported_at_once() {
    let plane = ControlPlane::start("import-all");
    for (release, namespace) in [("shop", "all-shop"), ("blog", "all-blog")] {
        let chart = chart(namespace);
        let manifest = chart.join("Chart.yaml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        std::fs::write(
            &manifest,
            text.replace("name: shop", &format!("name: {release}")),
        )
        .unwrap();
        let chart = chart.display().to_string();
        helm_in(
            &plane,
            &[
                "install",
                release,
                &chart,
                "-n",
                namespace,
                "--create-namespace",
            ],
        );
    }
    // One record no release can be read from: reported, the others imported.
    plane.apply_as(
        "test",
        "/api/v1/namespaces/all-broken",
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "all-broken"}}),
    );
    secret(&plane, "all-broken", "broken", "not a release");
    let dir = temp_dir("import-all-project");
    let imported = run(&plane, &dir, &["import", "--all-namespaces"]);
    assert_eq!(imported.code, 1, "{}{}", imported.stdout, imported.stderr);
    assert!(
        imported
            .stderr
            .contains("error: Helm release record `sh.helm.release.v1.broken.v1` is not base64"),
        "{}",
        imported.stderr
    );
    let out = &imported.stdout;
    assert!(
        out.starts_with(
            "Helm release `blog` (namespace all-blog, revision 1, chart blog 1.3.0, in Secrets):\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "Helm release `shop` (namespace all-shop, revision 1, chart shop 1.3.0, in Secrets):\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "nothing in the cluster changed: `cleat apply blog shop` takes the objects over"
        ),
        "{out}"
    );
    let file = std::fs::read_to_string(dir.join("cleat.yaml")).unwrap();
    assert!(
        file.contains("  - name: blog\n    namespace: all-blog\n")
            && file.contains("  - name: shop\n    namespace: all-shop\n"),
        "{file}"
    );
    assert!(
        out.contains("0 to create, 0 to change, 0 to delete, 12 unchanged, 12 to adopt\n"),
        "{out}"
    );
    let applied = run(&plane, &dir, &["apply", "--yes"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert_eq!(helm_in(&plane, &["list", "-A", "-q"]).trim(), "");
}

#[test]
fn a_release_helm_keeps_in_configmaps_is_taken_over_with_its_chart_from_a_repository() {
    let plane = ControlPlane::shared();
    let namespace = "import-configmap";
    let chart = chart(namespace);
    let chart_arg = chart.display().to_string();
    let install = [
        "install",
        "kept",
        &chart_arg,
        "-n",
        namespace,
        "--create-namespace",
    ];
    helm_with(plane, &install, &[("HELM_DRIVER", "configmap")]);
    // The team's Helm repository holds the chart at the version that runs.
    let repo = temp_dir("import-configmap-repo");
    let repo_arg = repo.display().to_string();
    helm_in(plane, &["package", &chart_arg, "-d", &repo_arg]);
    helm_in(plane, &["repo", "index", &repo_arg]);
    let server = common::http::Server::serve(repo);

    let dir = temp_dir("import-configmap-project");
    let imported = run(
        plane,
        &dir,
        &[
            "import",
            "kept",
            "-n",
            namespace,
            "--repository",
            &server.url,
        ],
    );
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    let out = &imported.stdout;
    assert!(out.starts_with("Helm release `kept` (namespace import-configmap, revision 1, chart shop 1.3.0, in ConfigMaps):\n"), "{out}");
    assert!(
        out.contains("0 to create, 0 to change, 0 to delete, 6 unchanged, 6 to adopt\n"),
        "{out}"
    );
    assert!(
        !dir.join("charts").exists(),
        "the chart comes from the repository"
    );
    let file = std::fs::read_to_string(dir.join("cleat.yaml")).unwrap();
    assert!(file.contains(&format!("    package:\n      chart: shop\n      version: \"=1.3.0\"\n      repository: {}\n    helmRelease: kept\n", server.url)), "{file}");
    assert_eq!(
        std::fs::read_to_string(dir.join("cleat.lock"))
            .unwrap()
            .matches("\"format\": \"helm-chart\"")
            .count(),
        1
    );

    let applied = run(plane, &dir, &["apply", "--yes"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert!(applied.stdout.contains("release kept: took over Helm release `kept`: 6 objects now managed by cleat only, 1 Helm records deleted\n"), "{}", applied.stdout);
    let records = plane
        .get(&format!(
            "/api/v1/namespaces/{namespace}/configmaps?labelSelector=owner%3Dhelm"
        ))
        .unwrap();
    assert_eq!(records["items"].as_array().unwrap().len(), 0);
    assert_eq!(run(plane, &dir, &["diff"]).code, 0);

    // A repository without the running version is refused before anything is written.
    let other = temp_dir("import-configmap-other");
    std::fs::write(other.join("index.yaml"), "apiVersion: v1\nentries: {}\n").unwrap();
    let empty = common::http::Server::serve(other);
    let again = [
        "install",
        "other",
        &chart_arg,
        "-n",
        "import-configmap-2",
        "--create-namespace",
    ];
    helm_with(plane, &again, &[("HELM_DRIVER", "configmap")]);
    let fresh = temp_dir("import-configmap-fresh");
    let import = [
        "import",
        "other",
        "-n",
        "import-configmap-2",
        "--repository",
        &empty.url,
    ];
    let missing = refused(plane, &fresh, &import);
    assert!(
        missing.contains(&format!(
            "error: no version of chart `shop` in {} satisfies `=1.3.0`",
            empty.url
        )),
        "{missing}"
    );
}
