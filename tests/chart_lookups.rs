//! A Helm chart's `lookup` answered by the real control plane when cleat
//! plans against it, and by nothing offline, as `helm template`: the
//! answers the same as helm's own (`helm template --dry-run=server`),
//! recorded in the lock entry by `lock --cluster` (a Secret's data only as a
//! marker), used as recorded with `--locked`, a changed answer named, and a
//! looked-up Secret whose data changed refused.

mod common;

use std::path::Path;
use std::process::Command;

use common::cluster::{project, run, ControlPlane};
use common::helm::{helm, objects};
use common::temp_dir;

const NAMESPACE: &str = "chart-lookups";

/// A chart that copies a value of a ConfigMap it does not own, follows a
/// pointer from one ConfigMap to another (a lookup asked only once the
/// first is answered), lists ConfigMaps, and keeps its generated password
/// by reading its own Secret back.
const CHART: &[(&str, &str)] = &[
    (
        "Chart.yaml",
        "apiVersion: v2\nname: keeper\nversion: 0.1.0\n",
    ),
    (
        "templates/settings.yaml",
        r#"{{- $ns := .Release.Namespace }}
{{- $external := lookup "v1" "ConfigMap" $ns "external" }}
{{- $pointer := lookup "v1" "ConfigMap" $ns "pointer" }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  colour: {{ dig "data" "colour" "none" $external | quote }}
  {{- if $pointer }}
  target: {{ dig "data" "value" "none" (lookup "v1" "ConfigMap" $ns $pointer.data.target) | quote }}
  {{- end }}
  listed: {{ (lookup "v1" "ConfigMap" $ns "").kind | default "none" | quote }}
  names: "{{ range (lookup "v1" "ConfigMap" $ns "").items }}{{ if not (or (hasPrefix "kube-" .metadata.name) (eq .metadata.name "settings")) }}{{ .metadata.name }},{{ end }}{{ end }}"
  nothing: {{ lookup "v1" "Namespace" "" "no-such-namespace" | quote }}
"#,
    ),
    (
        "templates/secret.yaml",
        r#"{{- $own := lookup "v1" "Secret" .Release.Namespace "app-password" }}
apiVersion: v1
kind: Secret
metadata:
  name: app-password
data:
  password: {{ if $own }}{{ index $own.data "password" }}{{ else }}{{ randAlphaNum 24 | b64enc }}{{ end }}
"#,
    ),
];

fn configmap(plane: &ControlPlane, name: &str, data: serde_json::Value) {
    plane.apply_as(
        "someone-else",
        &format!("/api/v1/namespaces/{NAMESPACE}/configmaps/{name}"),
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": NAMESPACE}, "data": data}),
    );
}

fn lockfile(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("cleat.lock")).unwrap()).unwrap()
}

/// The answers the lock entry records, by `KIND NAME`.
fn answers(dir: &Path) -> std::collections::BTreeMap<String, serde_json::Value> {
    lockfile(dir)["environments"][0]["releases"][0]["chart"]["lookups"]
        .as_array()
        .expect("the lock entry records lookups")
        .iter()
        .map(|l| {
            (
                format!(
                    "{} {}",
                    l["kind"].as_str().unwrap(),
                    l["name"].as_str().unwrap()
                ),
                l["answer"].clone(),
            )
        })
        .collect()
}

/// The `settings` ConfigMap's data in a stream of rendered objects.
fn settings(text: &str) -> serde_json::Value {
    objects(text)
        .into_iter()
        .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == "settings")
        .expect("settings is rendered")["data"]
        .clone()
}

#[test]
fn lookups_are_answered_by_the_cluster_recorded_in_the_lock_and_checked() {
    let plane = ControlPlane::shared();
    let chart = temp_dir("chart-lookups-chart").join("keeper");
    common::write_files(&chart, CHART);
    let dir = project(
        "chart-lookups",
        &format!(
            "  - name: keeper\n    namespace: {NAMESPACE}\n    package: {}\n",
            chart.display()
        ),
    );
    plane.apply_as(
        "someone-else",
        &format!("/api/v1/namespaces/{NAMESPACE}"),
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}),
    );
    configmap(plane, "external", serde_json::json!({"colour": "blue"}));
    configmap(plane, "pointer", serde_json::json!({"target": "aim"}));
    configmap(plane, "aim", serde_json::json!({"value": "found"}));

    // Offline every lookup finds nothing, as under `helm template`, and the
    // lock records each key asked with nothing found.
    run(plane, &dir, &["lock"]).ok();
    let offline = answers(&dir);
    assert_eq!(
        offline.keys().collect::<Vec<_>>(),
        [
            "ConfigMap ",
            "ConfigMap external",
            "ConfigMap pointer",
            "Namespace no-such-namespace",
            "Secret app-password"
        ]
    );
    assert!(
        offline.values().all(|a| *a == serde_json::json!({})),
        "{offline:?}"
    );
    let template = run(plane, &dir, &["template", "keeper"]).ok();
    assert_eq!(
        settings(&template),
        serde_json::json!({"colour": "none", "listed": "none", "names": "", "nothing": "map[]"})
    );

    // Against the cluster the answers are the cluster's, and a diff names
    // each one the lockfile records otherwise.
    let diff = run(plane, &dir, &["diff"]);
    assert_eq!(diff.code, 2, "{}", diff.stderr);
    for key in [
        "v1 ConfigMap chart-lookups/external",
        "v1 ConfigMap (every one in chart-lookups)",
    ] {
        assert!(
            diff.stderr.contains(&format!(
                "warning: release `keeper`: the cluster answers the lookup of {key} differently than the lockfile records"
            )),
            "{}",
            diff.stderr
        );
    }
    assert!(
        diff.stderr
            .contains("`cleat lock --cluster` records the cluster's answers"),
        "{}",
        diff.stderr
    );
    assert!(diff.stdout.contains("colour: blue"), "{}", diff.stdout);

    // `lock --cluster` records them, the followed pointer too; rendering
    // from the lockfile alone gives what helm renders against the cluster.
    run(plane, &dir, &["lock", "--cluster"]).ok();
    let recorded = answers(&dir);
    assert_eq!(recorded["ConfigMap external"]["data"]["colour"], "blue");
    assert_eq!(recorded["ConfigMap aim"]["data"]["value"], "found");
    assert_eq!(recorded["ConfigMap "]["kind"], "ConfigMapList");
    assert!(
        recorded["ConfigMap external"]["metadata"]
            .get("managedFields")
            .is_none(),
        "{}",
        recorded["ConfigMap external"]
    );
    assert_eq!(recorded["Secret app-password"], serde_json::json!({}));
    let from_lock = run(
        plane,
        &dir,
        &["template", "keeper", "--lockfile", "cleat.lock"],
    )
    .ok();
    let by_helm = Command::new(helm())
        .args([
            "template",
            "keeper",
            chart.to_str().unwrap(),
            "-n",
            NAMESPACE,
            "--dry-run=server",
        ])
        .env("KUBECONFIG", &plane.kubeconfig)
        .output()
        .expect("helm runs");
    assert!(
        by_helm.status.success(),
        "{}",
        String::from_utf8_lossy(&by_helm.stderr)
    );
    let by_helm = settings(&String::from_utf8_lossy(&by_helm.stdout));
    assert_eq!(settings(&from_lock), by_helm);
    assert_eq!(by_helm["target"], "found");
    assert_eq!(by_helm["names"], "aim,external,pointer,");

    // Applied as locked; afterwards the chart reads its own Secret back and
    // keeps the password it made.
    run(plane, &dir, &["apply", "--locked", "--yes"]).ok();
    let secret = format!("/api/v1/namespaces/{NAMESPACE}/secrets/app-password");
    let password = plane.get(&secret).unwrap()["data"]["password"].clone();
    let settings_path = format!("/api/v1/namespaces/{NAMESPACE}/configmaps/settings");
    assert_eq!(plane.get(&settings_path).unwrap()["data"]["colour"], "blue");
    let again = run(plane, &dir, &["diff"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    run(plane, &dir, &["lock", "--cluster"]).ok();
    let text = std::fs::read_to_string(dir.join("cleat.lock")).unwrap();
    let shown = password.as_str().unwrap();
    assert!(
        !text.contains(shown),
        "the lockfile holds the Secret's data:\n{text}"
    );
    let marker = &answers(&dir)["Secret app-password"]["data"];
    assert_eq!(
        marker["secretFrom"],
        serde_json::json!({"lookup": "v1 Secret chart-lookups/app-password"})
    );
    assert!(
        marker["hash"].as_str().unwrap().starts_with("$argon2id$"),
        "{marker}"
    );
    // Locking again keeps the marker while the data verifies it.
    let before = std::fs::read(dir.join("cleat.lock")).unwrap();
    run(plane, &dir, &["lock", "--cluster"]).ok();
    assert_eq!(std::fs::read(dir.join("cleat.lock")).unwrap(), before);
    run(plane, &dir, &["apply", "--locked", "--yes"]).ok();
    assert_eq!(plane.get(&secret).unwrap()["data"]["password"], password);

    // Offline, the Secret's data is not there to render with.
    let offline = run(
        plane,
        &dir,
        &["template", "keeper", "--lockfile", "cleat.lock"],
    )
    .err();
    assert!(
        offline.contains("error: release `keeper` looked up v1 Secret chart-lookups/app-password, whose data the lock entry keeps only as a marker: it renders only against its cluster"),
        "{offline}"
    );

    // With --locked, the recorded answer is used and a changed one named.
    configmap(plane, "external", serde_json::json!({"colour": "red"}));
    let locked = run(plane, &dir, &["diff", "--locked"]);
    assert_eq!(locked.code, 0, "{}\n{}", locked.stdout, locked.stderr);
    assert!(
        locked.stderr.contains("warning: release `keeper`: the cluster answers the lookup of v1 ConfigMap chart-lookups/external differently than its lock entry records\n  hint: rendered with the recorded answer; lock again to take the new one"),
        "{}",
        locked.stderr
    );
    let unlocked = run(plane, &dir, &["diff"]);
    assert_eq!(unlocked.code, 2);
    assert!(
        unlocked.stdout.contains("colour: red"),
        "{}",
        unlocked.stdout
    );

    // A looked-up Secret whose data changed is refused, as a changed
    // secret of the values is.
    plane.apply_as(
        "someone-else",
        &secret,
        serde_json::json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "app-password", "namespace": NAMESPACE},
            "data": {"password": "b3RoZXI="}}),
    );
    let refused = run(plane, &dir, &["diff", "--locked"]).err();
    assert!(
        refused.contains("error: release `keeper`: its lock entry answers the lookup of v1 Secret chart-lookups/app-password with a Secret, but the data of Secret `app-password` changed since"),
        "{refused}"
    );

    // Locking without the cluster says which recorded answers it drops.
    let dropped = run(plane, &dir, &["lock"]);
    assert!(
        dropped.stderr.contains("warning: locked without a cluster, these lookups find nothing, though the lockfile recorded the cluster's answers:\n  release `keeper`: v1 ConfigMap (every one in chart-lookups)\n  release `keeper`: v1 ConfigMap chart-lookups/aim\n"),
        "{}",
        dropped.stderr
    );
}

#[test]
fn lookups_that_lead_to_new_lookups_without_end_are_refused() {
    let plane = ControlPlane::shared();
    let namespace = "chart-lookups-chain";
    let chart = temp_dir("chart-lookups-chain-chart").join("chain");
    common::write_files(
        &chart,
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: chain\nversion: 0.1.0\n",
            ),
            (
                "templates/end.yaml",
                r#"{{- $name := "link-0" }}
{{- range until 40 }}
{{- $link := lookup "v1" "ConfigMap" $.Release.Namespace $name }}
{{- if $link }}{{ $name = $link.data.next }}{{ end }}
{{- end }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: end
data:
  last: {{ $name | quote }}
"#,
            ),
        ],
    );
    plane.apply_as(
        "someone-else",
        &format!("/api/v1/namespaces/{namespace}"),
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}),
    );
    let link = |i: usize| {
        plane.apply_as(
            "someone-else",
            &format!("/api/v1/namespaces/{namespace}/configmaps/link-{i}"),
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("link-{i}"), "namespace": namespace},
                "data": {"next": format!("link-{}", i + 1)}}),
        )
    };
    // Three links are followed in four renders.
    (0..3).for_each(link);
    let dir = project(
        "chart-lookups-chain",
        &format!(
            "  - name: chain\n    namespace: {namespace}\n    package: {}\n",
            chart.display()
        ),
    );
    let diff = run(plane, &dir, &["diff"]);
    assert_eq!(diff.code, 2, "{}", diff.stderr);
    assert!(diff.stdout.contains("last: link-3"), "{}", diff.stdout);
    // Twenty take more renders than cleat makes.
    (3..20).for_each(link);
    let refused = run(plane, &dir, &["diff"]).err();
    assert!(
        refused.contains("error: release `chain`: after 16 renders its templates still look up keys not asked before\n  hint: a template whose lookups depend on what earlier lookups find must come to an end"),
        "{refused}"
    );
}
