//! `cleat new`, `lint`, `schema`, `completions` and help, run as a user would.

mod common;

use common::{cleat, cleat_in, temp_dir};

#[test]
fn new_scaffolds_a_package_that_lints_and_renders() {
    let dir = temp_dir("new");
    let out = cleat_in(&dir, &["new", "api"]).ok();
    assert_eq!(
        out,
        "created package `api` in `./api`\nnext: cleat lint ./api\n"
    );
    let lint = cleat_in(&dir, &["lint", "api"]);
    assert_eq!(lint.stderr, "", "the scaffold has no warnings");
    assert_eq!(lint.ok(), "api 0.1.0: 4 objects, 0 warnings, no errors\n");
    let rendered = cleat_in(&dir, &["render", "api", "--set", "replicas=3"]).ok();
    assert!(
        rendered.contains("kind: Deployment\n") && rendered.contains("  replicas: 3\n"),
        "{rendered}"
    );
    let again = cleat_in(&dir, &["new", "api"]).err();
    assert!(
        again.starts_with("error: `./api` already exists\n"),
        "{again}"
    );
    let bad = cleat_in(&dir, &["new", "Bad_Name"]).err();
    assert!(
        bad.starts_with("error: `Bad_Name` is not a valid package name\n"),
        "{bad}"
    );
}

#[test]
fn lint_passes_the_examples_and_reports_warnings() {
    let out = cleat(&[
        "lint",
        "packages-example/webapp",
        "-f",
        "packages-example/webapp/values-production.yaml",
    ])
    .ok();
    assert_eq!(out, "webapp 1.0.0: 7 objects, 0 warnings, no errors\n");
    let out = cleat(&[
        "lint",
        "packages-example/cronjob",
        "-f",
        "packages-example/cronjob/values-production.yaml",
    ])
    .ok();
    assert_eq!(out, "cronjob 1.0.0: 1 objects, 0 warnings, no errors\n");
    let pkg = common::package("undocumented", &[(
        "values.schema.yaml",
        b"type: object\nproperties:\n  replicas: {type: integer, default: 1}\n",
    ), ("templates/cm.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {r: {{ values.replicas | quote }}}\n")]);
    let run = cleat_in(&pkg, &["lint", "."]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr
            .contains("warning: `replicas` has no `description`\n  --> values.schema.yaml:3:3"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("warning: the package has no README.md"),
        "{}",
        run.stderr
    );
}

#[test]
fn lint_reports_every_problem_of_a_package_at_once() {
    let out = cleat(&["lint", "packages-example/cronjob"]).err();
    for path in [
        "schedule",
        "image.repository",
        "image.tag",
        "resources.requests.cpu",
        "resources.limits.memory",
    ] {
        assert!(
            out.contains(&format!("error: `{path}` is required but has no value")),
            "{path}: {out}"
        );
    }
    assert!(out.ends_with("7 errors\n"), "{out}");
}

#[test]
fn schema_exports_json_schema_for_editors() {
    let out = cleat(&["schema", "packages-example/webapp"]).ok();
    let schema: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["title"], "Values of webapp 1.0.0");
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(
        schema["properties"]["replicas"],
        serde_json::json!({
            "type": ["integer", "null"], "minimum": 1, "maximum": 100,
            "description": "Pods to run when autoscaling is off", "default": 2
        })
    );
    // A values file may write `null` to remove an entry.
    assert_eq!(
        schema["properties"]["env"]["additionalProperties"],
        serde_json::json!({"type": ["string", "null"]})
    );
    // `image.repository` is required but has a default: a values file need
    // not write it, so the export does not require it.
    assert_eq!(schema["properties"]["image"].get("required"), None);
    assert_eq!(
        schema["properties"]["image"]["properties"]["repository"]["default"],
        "registry.example.com/shop/web"
    );
}

#[test]
fn completions_are_generated_for_each_shell() {
    for (shell, marker) in [
        ("bash", "_cleat()"),
        ("zsh", "#compdef cleat"),
        ("fish", "complete -c cleat"),
    ] {
        let out = cleat(&["completions", shell]).ok();
        assert!(out.contains(marker), "{shell}: {out}");
        assert!(out.contains("render"), "{shell}");
    }
}

#[test]
fn every_command_has_help_with_examples() {
    for command in ["render", "lint", "schema", "new", "completions"] {
        let out = cleat(&[command, "--help"]).ok();
        assert!(out.contains("Examples:\n  cleat "), "{command}: {out}");
    }
    let usage = cleat(&["render"]);
    assert_eq!(usage.code, 1);
    assert!(
        usage
            .stderr
            .contains("required arguments were not provided"),
        "{}",
        usage.stderr
    );
}

#[test]
fn package_metadata_reaches_templates_and_deps() {
    let manifest = b"name: meta\nversion: 0.2.0\ndescription: Metadata\nappVersion: 1.10\nhome: https://example.com/meta\nkeywords: [web, http]\nmaintainers:\n  - {name: Platform team, email: platform@example.com}\nannotations: {example.com/tier: frontend}\ndeprecated: true\n";
    let template = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: meta\n  annotations: {{ package.annotations }}\ndata:\n  app: {{ package.app_version }}\n  home: {{ package.home }}\n  keywords: {{ package.keywords | join(\",\") }}\n  maintainer: {{ package.maintainers[0].email }}\n  deprecated: {{ package.deprecated | to_json | quote }}\n";
    let pkg = common::package(
        "metadata",
        &[("package.yaml", manifest), ("templates/cm.yaml", template)],
    );
    let out = common::cleat_in(&pkg, &["render", "."]).ok();
    assert!(
        out.ends_with("  annotations:\n    example.com/tier: frontend\ndata:\n  app: \"1.10\"\n  home: https://example.com/meta\n  keywords: \"web,http\"\n  maintainer: platform@example.com\n  deprecated: \"true\"\n"),
        "{out}"
    );
    let deps = common::cleat_in(&pkg, &["deps", "."]).ok();
    assert!(deps.starts_with("meta 0.2.0 (app 1.10) sha256:"), "{deps}");
    assert!(deps.trim_end().ends_with("DEPRECATED"), "{deps}");

    let bad = b"name: meta\nversion: 0.2.0\ndescription: Metadata\nhome: example.com\nkeywords: web\nmaintainers: [{email: a@b.c}]\ndeprecated: maybe\n";
    std::fs::write(pkg.join("package.yaml"), bad).unwrap();
    let err = common::cleat_in(&pkg, &["render", "."]).err();
    for message in [
        "error: `home` must be an http(s) URL, found `example.com`\n  --> package.yaml:4:7\n",
        "error: `keywords` must be a list of strings\n  --> package.yaml:5:11\n",
        "error: missing required field `name`\n  --> package.yaml:6:15\n",
        "error: `deprecated` must be true or false, found string\n  --> package.yaml:7:13\n",
    ] {
        assert!(err.contains(message), "{message}\n{err}");
    }
}
