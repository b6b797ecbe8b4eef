//! `cleat render` on the example packages and on small fixtures: output,
//! typed interpolation, values layering and determinism.

mod common;

use common::{cleat, package};

const WEBAPP: &str = "packages-example/webapp";
const WEBAPP_PROD: &str = "packages-example/webapp/values-production.yaml";
const CRONJOB: &str = "packages-example/cronjob";
const CRONJOB_PROD: &str = "packages-example/cronjob/values-production.yaml";

#[test]
fn webapp_defaults() {
    insta::assert_snapshot!(cleat(&["render", WEBAPP]).ok());
}

#[test]
fn webapp_production_on_kubernetes_1_20() {
    let out = cleat(&[
        "render",
        WEBAPP,
        "-f",
        WEBAPP_PROD,
        "--release",
        "shop",
        "-n",
        "web",
        "--kube-version",
        "1.20.2",
    ])
    .ok();
    assert!(out.contains("apiVersion: autoscaling/v2beta2\n"));
    assert!(out.contains("apiVersion: policy/v1beta1\n"));
    insta::assert_snapshot!(out);
}

#[test]
fn webapp_production_on_kubernetes_1_34() {
    let out = cleat(&[
        "render",
        WEBAPP,
        "-f",
        WEBAPP_PROD,
        "--release",
        "shop",
        "-n",
        "web",
    ])
    .ok();
    assert!(out.contains("apiVersion: autoscaling/v2\n"));
    assert!(out.contains("apiVersion: policy/v1\n"));
    insta::assert_snapshot!(out);
}

#[test]
fn cronjob_switches_api_version_on_the_cluster_version() {
    let old = cleat(&[
        "render",
        CRONJOB,
        "-f",
        CRONJOB_PROD,
        "--kube-version",
        "1.20.2",
    ])
    .ok();
    let new = cleat(&[
        "render",
        CRONJOB,
        "-f",
        CRONJOB_PROD,
        "--kube-version",
        "1.21.0",
    ])
    .ok();
    assert!(old.contains("apiVersion: batch/v1beta1\nkind: CronJob\n"));
    assert!(new.contains("apiVersion: batch/v1\nkind: CronJob\n"));
    insta::assert_snapshot!(old);
}

#[test]
fn cronjob_time_zone_fails_clearly_before_1_27() {
    let err = cleat(&[
        "render",
        CRONJOB,
        "-f",
        CRONJOB_PROD,
        "--set",
        "timeZone=Europe/Berlin",
        "--kube-version",
        "1.26.0",
    ])
    .err();
    assert!(err.contains("error: invalid operation: timeZone needs Kubernetes 1.27 or later, this render is for 1.26.0"), "{err}");
    assert!(err.contains("--> templates/cronjob.yaml:11:"), "{err}");
    let ok = cleat(&[
        "render",
        CRONJOB,
        "-f",
        CRONJOB_PROD,
        "--set",
        "timeZone=Europe/Berlin",
        "--kube-version",
        "1.27.0",
    ])
    .ok();
    assert!(ok.contains("  timeZone: Europe/Berlin\n"));
}

#[test]
fn config_change_rolls_the_deployment() {
    let checksum = |out: &str| {
        out.lines()
            .find(|l| l.contains("checksum/config"))
            .map(str::to_string)
    };
    let before = cleat(&["render", WEBAPP]).ok();
    let after = cleat(&["render", WEBAPP, "--set", "config.extra\\.conf=x=1"]).ok();
    assert!(checksum(&before).is_some());
    assert_ne!(checksum(&before), checksum(&after));
    assert!(after.contains("  extra.conf: x=1\n"), "{after}");
}

#[test]
fn rendering_is_byte_identical_across_runs() {
    let args = ["render", WEBAPP, "-f", WEBAPP_PROD];
    let first = cleat(&args).ok();
    for _ in 0..3 {
        assert_eq!(cleat(&args).ok(), first);
    }
}

#[test]
fn json_output_is_a_kubernetes_list() {
    let out = cleat(&["render", WEBAPP, "-o", "json"]).ok();
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list["kind"], "List");
    let kinds: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "ConfigMap",
            "Deployment",
            "PodDisruptionBudget",
            "Service",
            "ServiceAccount"
        ]
    );
}

#[test]
fn set_values_are_typed_by_the_schema() {
    let out = cleat(&[
        "render",
        WEBAPP,
        "--set",
        "replicas=3",
        "--set",
        "image.tag=1.10",
        "--set",
        "args=[--verbose, \"2\"]",
    ])
    .ok();
    assert!(out.contains("\n  replicas: 3\n"), "{out}");
    assert!(
        out.contains("image: registry.example.com/shop/web:1.10\n"),
        "{out}"
    );
    assert!(
        out.contains("args:\n            - \"--verbose\"\n            - \"2\"\n"),
        "{out}"
    );
}

#[test]
fn later_values_files_win_and_lists_replace() {
    let pkg = package(
        "layers",
        &[
            ("templates/cm.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {{ values.config }}\nbinaryData: {}\n"),
            ("a.yaml", b"config: {a: from-a, b: from-a}\n"),
            ("b.yaml", b"config: {b: from-b}\n"),
        ],
    );
    let out = common::cleat_in(
        &pkg,
        &[
            "render",
            ".",
            "-f",
            "a.yaml",
            "-f",
            "b.yaml",
            "--set",
            "config.c=from-set",
        ],
    )
    .ok();
    assert!(
        out.contains("data:\n  a: from-a\n  b: from-b\n  c: from-set\n"),
        "{out}"
    );
}

/// Strings that break Helm templates stay one scalar each, and maps insert in place.
#[test]
fn interpolation_keeps_types_and_cannot_break_yaml() {
    let tricky =
        "key: value # not a comment\nsecond line with \"quotes\" and 'single'\n- not a list\n";
    let values = serde_json::json!({
        "config": {"tricky": tricky, "version": "1.10", "answer": "yes", "octal": "0755", "empty": ""},
        "replicas": 3,
    });
    let template = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typed\n  annotations:\n    replicas: {{ values.replicas | quote }}\n    inline: {{ values.config.tricky }}\ndata: {{ values.config }}\n";
    let pkg = package(
        "typed",
        &[
            ("templates/cm.yaml", template.as_bytes()),
            ("values.yaml", values.to_string().as_bytes()),
        ],
    );
    let out = common::cleat_in(&pkg, &["render", ".", "-f", "values.yaml", "-o", "json"]).ok();
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let object = &list["items"][0];
    assert_eq!(object["data"], values["config"]);
    assert_eq!(object["metadata"]["annotations"]["inline"], tricky);
    assert_eq!(object["metadata"]["annotations"]["replicas"], "3");
    // The YAML output reads back with the same types.
    let yaml = common::cleat_in(&pkg, &["render", ".", "-f", "values.yaml"]).ok();
    assert!(
        yaml.contains("  version: \"1.10\"\n  answer: \"yes\"\n  octal: \"0755\"\n  empty: \"\"\n"),
        "{yaml}"
    );
}

#[test]
fn crds_come_first_and_are_not_templated() {
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n  annotations:\n    note: \"{{ not a template }}\"\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {kind: Widget, plural: widgets}\n  versions: [{name: v1, served: true, storage: true}]\n";
    let pkg = package(
        "crds",
        &[
            ("crds/widgets.yaml", crd.as_bytes()),
            (
                "templates/widget.yaml",
                b"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: {{ release.name }}}\n",
            ),
        ],
    );
    let out = common::cleat_in(&pkg, &["render", ".", "--release", "w1"]).ok();
    let crd_at = out.find("kind: CustomResourceDefinition").unwrap();
    let widget_at = out.find("kind: Widget").unwrap();
    assert!(crd_at < widget_at);
    assert!(out.contains("note: \"{{ not a template }}\""), "{out}");
}

#[test]
fn files_and_builtin_filters_work_in_templates() {
    let template = r#"apiVersion: v1
kind: Secret
metadata:
  name: {{ ("Release " ~ release.name ~ " " ~ "x" * 80) | dns_name }}
  annotations:
    sum: {{ files.sha256("conf/app.conf") }}
    yaml: {{ values.image | to_yaml }}
    decoded: {{ "aGVsbG8=" | b64decode }}
    newer: {{ semver_matches(capabilities.kube_version, ">=1.21") | quote }}
data:
  app.conf: {{ files.get("conf/app.conf") | b64encode }}
"#;
    let pkg = package(
        "filters",
        &[
            ("templates/secret.yaml", template.as_bytes()),
            ("conf/app.conf", b"port = 80\n"),
        ],
    );
    let out = common::cleat_in(
        &pkg,
        &[
            "render",
            ".",
            "--release",
            "demo",
            "--kube-version",
            "1.20",
            "-o",
            "json",
        ],
    )
    .ok();
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let secret = &list["items"][0];
    let name = secret["metadata"]["name"].as_str().unwrap();
    assert_eq!(name.len(), 63);
    assert!(name.starts_with("release-demo-xxxx"), "{name}");
    let annotations = &secret["metadata"]["annotations"];
    use sha2::Digest as _;
    let expected: String = sha2::Sha256::digest(b"port = 80\n")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(annotations["sum"], expected);
    assert_eq!(annotations["yaml"], "repository: nginx\ntag: \"1.25\"");
    assert_eq!(annotations["decoded"], "hello");
    assert_eq!(annotations["newer"], "false");
    assert_eq!(secret["data"]["app.conf"], "cG9ydCA9IDgwCg==");
}

/// The platform example: webapp and cronjob from the example repository as
/// dependencies, with the cache in a test directory.
fn platform(args: &[&str]) -> common::Run {
    let cache = common::temp_dir("platform-cache").display().to_string();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    common::cleat_with(root, args, &[("XDG_CACHE_HOME", &cache)])
}

#[test]
fn platform_renders_its_dependencies_from_the_example_repository() {
    let defaults = platform(&["render", "packages-example/platform"]).ok();
    assert!(
        !defaults.contains("kind: CronJob"),
        "the report is off by default"
    );
    insta::assert_snapshot!(platform(&[
        "render",
        "packages-example/platform",
        "-f",
        "packages-example/platform/values-production.yaml",
    ])
    .ok());
}

#[test]
fn example_archives_are_reproduced_byte_for_byte_from_their_directories() {
    // The archives in packages-example/repository were built on another
    // machine at another time; rebuilding them here must give the same bytes.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = common::temp_dir("example-archives");
    for name in ["webapp", "cronjob"] {
        let built = cleat(&[
            "package",
            &format!("packages-example/{name}"),
            "-o",
            &out.display().to_string(),
        ])
        .ok();
        let file = format!("{name}-1.0.0.tgz");
        let committed =
            std::fs::read(root.join("packages-example/repository").join(&file)).unwrap();
        assert!(
            std::fs::read(out.join(&file)).unwrap() == committed,
            "packages-example/repository/{file} is not the archive of packages-example/{name}; rebuild it as packages-example/platform/README.md says"
        );
        let index =
            std::fs::read_to_string(root.join("packages-example/repository/index.yaml")).unwrap();
        let digest = built.lines().nth(1).unwrap();
        assert!(index.contains(digest), "index.yaml lacks {digest}");
    }
}

#[test]
fn tojson_is_to_json_a_string_that_concatenates_into_one_scalar() {
    let template = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ values.m | tojson }}\n  b: {{ \"pre-\" ~ (values.m | tojson) }}\n  c: {{ \"pre-\" ~ (values.m | to_json) }}\n";
    let schema = b"type: object\nproperties:\n  m: {type: object, description: A map, default: {k: \"x\\\"y\"}}\n";
    let pkg = package(
        "tojson",
        &[
            ("values.schema.yaml", schema),
            ("templates/cm.yaml", template),
        ],
    );
    let out = common::cleat_in(&pkg, &["render", "."]).ok();
    assert!(
        out.ends_with("data:\n  a: \"{\\\"k\\\":\\\"x\\\\\\\"y\\\"}\"\n  b: \"pre-{\\\"k\\\":\\\"x\\\\\\\"y\\\"}\"\n  c: \"pre-{\\\"k\\\":\\\"x\\\\\\\"y\\\"}\"\n"),
        "{out}"
    );
}

#[test]
fn imports_are_found_beside_the_template_then_above_it() {
    let top = b"{% set n = \"from-top\" %}\n";
    let beside = b"{% set n = \"from-beside\" %}\n";
    let user = |helper: &str| {
        format!("{{% import \"{helper}\" as h %}}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{{ h.n }}}}\n")
    };
    let (deep, near) = (user("_helpers.yaml"), user("_helpers.yaml"));
    let pkg = package(
        "imports",
        &[
            ("templates/_helpers.yaml", top),
            ("templates/redis/_helpers.yaml", beside),
            ("templates/redis/x.yaml", near.as_bytes()),
            ("templates/web/deep/y.yaml", deep.as_bytes()),
        ],
    );
    let out = common::cleat_in(&pkg, &["render", "."]).ok();
    assert!(
        out.contains("name: from-beside\n") && out.contains("name: from-top\n"),
        "{out}"
    );

    let typo = user("_helperz.yaml");
    std::fs::write(pkg.join("templates/web/deep/y.yaml"), typo).unwrap();
    let err = common::cleat_in(&pkg, &["render", "."]).err();
    assert!(
        err.contains("  hint: tried: _helperz.yaml, templates/web/deep/_helperz.yaml, templates/web/_helperz.yaml, templates/_helperz.yaml\n  hint: helper files in the package: templates/_helpers.yaml, templates/redis/_helpers.yaml\n"),
        "{err}"
    );
}

#[test]
fn rendered_gives_another_templates_output_for_a_digest() {
    let schema =
        b"type: object\nproperties:\n  x: {type: string, description: A setting, default: a}\n";
    let config =
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\ndata:\n  x: {{ values.x }}\n";
    let user = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: user\n  annotations:\n    checksum/config: {{ rendered(\"configmap.yaml\") | sha256 }}\n";
    let pkg = package(
        "rendered",
        &[
            ("values.schema.yaml", schema),
            ("templates/configmap.yaml", config),
            ("templates/user.yaml", user),
        ],
    );
    let digest = |args: &[&str]| {
        let mut all = vec!["render", "."];
        all.extend_from_slice(args);
        let out = common::cleat_in(&pkg, &all).ok();
        let line = out
            .lines()
            .find(|l| l.contains("checksum/config"))
            .unwrap()
            .to_string();
        line.trim()
            .trim_start_matches("checksum/config: ")
            .trim_matches('"')
            .to_string()
    };
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\ndata:\n  x: \"a\"\n";
    let expected = {
        use sha2::Digest;
        format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
    };
    assert_eq!(digest(&[]), expected);
    assert_ne!(digest(&["--set", "x=b"]), expected);

    std::fs::write(
        pkg.join("templates/a.yaml"),
        "a: {{ rendered(\"b.yaml\") }}\n",
    )
    .unwrap();
    std::fs::write(
        pkg.join("templates/b.yaml"),
        "b: {{ rendered(\"a.yaml\") }}\n",
    )
    .unwrap();
    let err = common::cleat_in(&pkg, &["render", "."]).err();
    assert!(err.starts_with("error: invalid operation: `rendered` nests more than 8 templates deep: templates render each other in a loop\n  --> templates/a.yaml:1:7\n"), "{err}");
}

#[test]
fn a_macro_printing_one_value_is_a_function_through_from_json() {
    let helpers = b"{% macro fullname(x) %}{{ x ~ \"-web\" }}{% endmacro %}\n{% macro labels(x) %}{{ {\"app\": x, \"replicas\": 2} }}{% endmacro %}\n{% macro text() %}two words{% endmacro %}\n";
    let user = b"{% import \"_helpers.yaml\" as h %}\n{% set labels = h.labels(\"x\") | from_json %}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ (h.fullname(release.name) | from_json) ~ \"-suffix\" }}\ndata:\n  app: {{ labels.app }}\n  replicas: {{ (labels.replicas + 1) | quote }}\n";
    let pkg = package(
        "from-json",
        &[
            ("templates/_helpers.yaml", helpers),
            ("templates/user.yaml", user),
        ],
    );
    let out = common::cleat_in(&pkg, &["render", "."]).ok();
    assert!(
        out.ends_with("  name: fixture-web-suffix\ndata:\n  app: x\n  replicas: \"3\"\n"),
        "{out}"
    );

    let bad = b"{% import \"_helpers.yaml\" as h %}\nx: {{ h.text() | from_json }}\n";
    std::fs::write(pkg.join("templates/user.yaml"), bad).unwrap();
    let err = common::cleat_in(&pkg, &["render", "."]).err();
    assert!(err.starts_with("error: invalid operation: from_json: the text is not JSON (expected ident at line 1 column 2): `two words`; a macro used as a value must print exactly one `{{ value }}`\n"), "{err}");
}
