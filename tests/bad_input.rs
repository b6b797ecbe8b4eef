//! Every bad input the foundation issue names gets a clear error that names
//! the file (and line where there is one), exit code 1, never a panic or hang.

mod common;

use common::{cleat, cleat_in, package, redact};

const DEPLOYMENT: &[u8] = b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ release.name }}\nspec:\n  replicas: {{ values.replicas }}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: \"nginx:1.27.3\"}]}\n";

fn with_template(name: &str) -> std::path::PathBuf {
    package(name, &[("templates/deployment.yaml", DEPLOYMENT)])
}

#[test]
fn missing_package_directory() {
    let err = cleat(&["render", "no/such/package"]).err();
    assert_eq!(
        err,
        "error: cannot read `no/such/package`: no such file or directory\n  --> no/such/package\n"
    );
}

#[test]
fn missing_manifest() {
    let dir = common::temp_dir("no-manifest");
    std::fs::write(dir.join("values.schema.yaml"), "type: object\n").unwrap();
    let err = redact(&cleat_in(&dir, &["render", "."]).err(), &dir);
    assert!(
        err.starts_with("error: `.` has no `package.yaml`\n"),
        "{err}"
    );
    assert!(
        err.contains("hint: a package needs `package.yaml` and `values.schema.yaml`"),
        "{err}"
    );
}

#[test]
fn missing_values_file() {
    let err = cleat_in(
        &with_template("missing-values"),
        &["render", ".", "-f", "nope.yaml"],
    )
    .err();
    assert_eq!(
        err,
        "error: cannot read `nope.yaml`: no such file or directory\n  --> nope.yaml\n"
    );
}

#[test]
fn invalid_yaml_in_a_values_file() {
    let pkg = package(
        "bad-yaml",
        &[
            ("templates/deployment.yaml", DEPLOYMENT),
            (
                "bad.yaml",
                b"replicas: 2\nimage: [unclosed\nenabled: true\n",
            ),
        ],
    );
    let err = cleat_in(&pkg, &["render", ".", "-f", "bad.yaml"]).err();
    assert!(
        err.starts_with("error: invalid YAML in `bad.yaml`: "),
        "{err}"
    );
    assert!(err.contains("  --> bad.yaml:"), "{err}");
}

#[test]
fn invalid_yaml_in_the_manifest_names_the_file() {
    let pkg = package(
        "bad-manifest",
        &[
            ("templates/deployment.yaml", DEPLOYMENT),
            ("package.yaml", b"name: x\n  version: : 1\n"),
        ],
    );
    let err = cleat_in(&pkg, &["lint", "."]).err();
    assert!(
        err.starts_with(
            "error: invalid YAML in `package.yaml`: mapping values are not allowed in this context"
        ),
        "{err}"
    );
    assert!(err.contains("--> package.yaml:2:"), "{err}");
}

#[test]
fn yaml_alias_bomb_is_refused() {
    let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let pkg = package(
        "alias-bomb",
        &[
            ("templates/deployment.yaml", DEPLOYMENT),
            ("bomb.yaml", bomb.as_bytes()),
        ],
    );
    let err = cleat_in(&pkg, &["render", ".", "-f", "bomb.yaml"]).err();
    assert!(
        err.starts_with(
            "error: `bomb.yaml` expands to more than 2000000 YAML nodes\n  --> bomb.yaml:7:"
        ),
        "{err}"
    );
    assert!(
        err.contains("hint: aliases that repeat aliases grow exponentially (an alias bomb)"),
        "{err}"
    );
}

#[test]
fn documents_nested_thousands_deep_are_refused() {
    let deep = format!("replicas:\n{}x\n", "- ".repeat(5000));
    let pkg = package(
        "deep",
        &[
            ("templates/deployment.yaml", DEPLOYMENT),
            ("deep.yaml", deep.as_bytes()),
        ],
    );
    let err = cleat_in(&pkg, &["render", ".", "-f", "deep.yaml"]).err();
    assert!(
        err.starts_with(
            "error: `deep.yaml` nests maps and lists more than 200 levels deep\n  --> deep.yaml:"
        ),
        "{err}"
    );
    let flow = format!("replicas: {}{}\n", "[".repeat(20_000), "]".repeat(20_000));
    let pkg = package(
        "deep-flow",
        &[
            ("templates/deployment.yaml", DEPLOYMENT),
            ("deep.yaml", flow.as_bytes()),
        ],
    );
    let err = cleat_in(&pkg, &["render", ".", "-f", "deep.yaml"]).err();
    assert!(
        err.starts_with(
            "error: invalid YAML in `deep.yaml`: recursion limit exceeded\n  --> deep.yaml:1:"
        ),
        "{err}"
    );
    assert!(
        err.contains("hint: maps and lists nest too deeply"),
        "{err}"
    );
}

#[test]
fn invalid_utf8_is_refused_with_its_line() {
    let pkg = package(
        "utf8",
        &[
            ("templates/deployment.yaml", DEPLOYMENT),
            ("latin1.yaml", b"replicas: 2\nname: caf\xe9\n"),
        ],
    );
    let err = cleat_in(&pkg, &["render", ".", "-f", "latin1.yaml"]).err();
    assert_eq!(err, "error: `latin1.yaml` is not valid UTF-8 (byte 21 on line 2)\n  --> latin1.yaml\n  hint: save the file as UTF-8\n");
    let pkg = package(
        "utf8-template",
        &[("templates/deployment.yaml", b"kind: \xff\n")],
    );
    let err = cleat_in(&pkg, &["render", "."]).err();
    assert!(
        err.starts_with("error: `templates/deployment.yaml` is not valid UTF-8 (byte 6 on line 1)"),
        "{err}"
    );
}

#[test]
fn huge_values_file_is_refused() {
    let huge = format!(
        "replicas: 1\npadding: \"{}\"\n",
        "x".repeat(9 * 1024 * 1024)
    );
    let pkg = package(
        "huge",
        &[
            ("templates/deployment.yaml", DEPLOYMENT),
            ("huge.yaml", huge.as_bytes()),
        ],
    );
    let err = cleat_in(&pkg, &["render", ".", "-f", "huge.yaml"]).err();
    assert_eq!(
        err,
        "error: `huge.yaml` is 9.0 MiB, more than the 8 MiB a file may hold\n  --> huge.yaml\n"
    );
}

#[test]
fn invalid_schema_reports_every_problem() {
    let schema = b"type: object\nproperties:\n  replicas: {type: int, default: 1}\n  name: {type: string, patern: \"^a\"}\n  port: {type: integer, maximum: 10, default: 80}\n";
    let pkg = package(
        "bad-schema",
        &[
            ("templates/deployment.yaml", DEPLOYMENT),
            ("values.schema.yaml", schema),
        ],
    );
    let err = cleat_in(&pkg, &["lint", "."]).err();
    insta::assert_snapshot!(err);
}

#[test]
fn template_syntax_errors_name_file_and_line() {
    let pkg = package(
        "syntax",
        &[
            ("templates/a.yaml", b"kind: A\nname: {{ values.replicas }\n"),
            (
                "templates/b.yaml",
                b"kind: B\n{% if values.enabled %}\nx: 1\n",
            ),
        ],
    );
    let err = cleat_in(&pkg, &["render", "."]).err();
    insta::assert_snapshot!(err);
}

#[test]
fn values_errors_are_all_reported_with_file_and_line() {
    let values = b"replicas: \"3\"\nimage:\n  tg: \"1.0\"\n  repository: 5\nenabled: yes\n";
    let pkg = package(
        "bad-values",
        &[
            ("templates/deployment.yaml", DEPLOYMENT),
            ("values.yaml", values),
        ],
    );
    let err = cleat_in(
        &pkg,
        &["render", ".", "-f", "values.yaml", "--set", "replicas=0"],
    )
    .err();
    insta::assert_snapshot!(err);
}

#[test]
fn static_check_catches_typos_in_branches_not_taken() {
    let template = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ release.name }}\n{% if values.enabled %}\ndata:\n  tag: {{ values.imge.tag }}\n  who: {{ relase.name }}\n{% endif %}\n";
    let pkg = package("static", &[("templates/cm.yaml", template)]);
    let err = cleat_in(&pkg, &["render", "."]).err();
    insta::assert_snapshot!(err);
}

#[test]
fn runaway_loops_stop_with_an_error() {
    let template =
        b"{% for i in range(10000) %}{% for j in range(10000) %}{{ i }}{% endfor %}{% endfor %}\n";
    let pkg = package("loop", &[("templates/loop.yaml", template)]);
    let err = cleat_in(&pkg, &["render", "."]).err();
    assert!(
        err.starts_with("error: engine ran out of fuel\n  --> templates/loop.yaml:1:"),
        "{err}"
    );
    assert!(
        err.contains(
            "hint: rendering stopped at its limit of 4194304 steps or 256 MiB of data built"
        ),
        "{err}"
    );
}

#[test]
fn runaway_recursion_stops_with_an_error() {
    let template = b"{% macro down(n) %}{{ down(n + 1) }}{% endmacro %}\nx: {{ down(1) }}\n";
    let pkg = package("recursion", &[("templates/rec.yaml", template)]);
    let err = cleat_in(&pkg, &["render", "."]).err();
    assert!(
        err.starts_with(
            "error: invalid operation: recursion limit exceeded\n  --> templates/rec.yaml:1:"
        ),
        "{err}"
    );
}

#[test]
fn undefined_optional_values_fail_at_render() {
    let schema = b"type: object\nproperties:\n  host: {type: string, description: Host}\n";
    let template =
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  host: {{ values.host }}\n";
    let pkg = package(
        "undefined",
        &[
            ("templates/cm.yaml", template),
            ("values.schema.yaml", schema),
        ],
    );
    let err = cleat_in(&pkg, &["render", "."]).err();
    assert!(
        err.starts_with(
            "error: undefined value: `values.host` is undefined\n  --> templates/cm.yaml:5:12"
        ),
        "{err}"
    );
    assert!(
        err.contains("test optional ones with `is defined`"),
        "{err}"
    );
}

#[test]
fn rendered_objects_are_checked_and_point_at_the_template() {
    let template = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ \"Not_Valid\" }}\n  labels:\n    replicas: {{ values.replicas }}\n---\nkind: Service\nmetadata: {name: svc}\n";
    let pkg = package("objects", &[("templates/bad.yaml", template)]);
    let err = cleat_in(&pkg, &["render", "."]).err();
    insta::assert_snapshot!(err);
}

#[test]
fn rendered_yaml_that_does_not_parse_points_at_the_template() {
    let template = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ values.replicas }}\n   b: broken indentation\n";
    let pkg = package("broken", &[("templates/broken.yaml", template)]);
    let err = cleat_in(&pkg, &["render", "."]).err();
    assert!(err.starts_with("error: invalid YAML in `templates/broken.yaml`: mapping values are not allowed in this context\n  --> templates/broken.yaml:7:"), "{err}");
}

#[test]
fn symbolic_links_are_refused() {
    let pkg = with_template("symlink");
    std::os::unix::fs::symlink("/etc/passwd", pkg.join("passwd")).unwrap();
    let err = cleat_in(&pkg, &["render", "."]).err();
    assert!(
        err.starts_with("error: `passwd` is a symbolic link\n"),
        "{err}"
    );
}

#[test]
fn unsupported_kubernetes_version_is_refused() {
    let pkg = package(
        "kube",
        &[
            ("templates/deployment.yaml", DEPLOYMENT),
            (
                "package.yaml",
                b"name: kube\nversion: 1.0.0\ndescription: x\nkubeVersion: \">=1.25.0\"\n",
            ),
        ],
    );
    let err = cleat_in(&pkg, &["render", ".", "--kube-version", "1.20.2"]).err();
    assert!(err.starts_with("error: package `kube` supports Kubernetes >=1.25.0, not 1.20.2\n  --> package.yaml:4:1"), "{err}");
    let err = cleat_in(&pkg, &["render", ".", "--kube-version", "one"]).err();
    assert!(
        err.starts_with("error: `--kube-version one`: \"one\" is not a version"),
        "{err}"
    );
}

#[test]
fn bad_set_arguments_point_at_the_argument() {
    let err = cleat_in(
        &with_template("set"),
        &["render", ".", "--set", "replicas=many", "--set", "novalue"],
    )
    .err();
    insta::assert_snapshot!(err);
}

#[test]
fn files_get_of_a_missing_file_names_it() {
    let template = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: {{ files.get(\"conf/ap.conf\") }}\n";
    let pkg = package(
        "files",
        &[("templates/cm.yaml", template), ("conf/app.conf", b"x")],
    );
    let err = cleat_in(&pkg, &["render", "."]).err();
    assert!(err.starts_with("error: invalid operation: files.get: the package has no file `conf/ap.conf`; did you mean `conf/app.conf`?\n  --> templates/cm.yaml:5:"), "{err}");
}

#[test]
fn a_missing_repository_directory_names_the_dependency_line() {
    let pkg = package(
        "missing-repository",
        &[
            ("package.yaml", b"name: app\nversion: 1.0.0\ndescription: An app\ndependencies:\n  - {name: lib, version: ^1, repository: ../no-such-repo}\n"),
            ("templates/deployment.yaml", DEPLOYMENT),
        ],
    );
    let err = cleat_in(&pkg, &["render", "."]).err();
    assert!(
        err.starts_with("error: the repository directory `../no-such-repo` does not exist\n  --> package.yaml:5:5\n"),
        "{err}"
    );
    assert!(
        err.contains(
            "hint: check the `repository:`; a relative path is relative to the file that names it"
        ),
        "{err}"
    );
    assert!(!err.contains("cleat repo index"), "{err}");
}

#[test]
fn an_integer_beyond_64_bits_is_out_of_range() {
    let pkg = package(
        "big-integer",
        &[
            ("templates/deployment.yaml", DEPLOYMENT),
            ("big.yaml", b"replicas: 99999999999999999999\n"),
        ],
    );
    let err = cleat_in(&pkg, &["render", ".", "-f", "big.yaml"]).err();
    assert!(
        err.contains("hint: the number is out of range: integers are 64-bit"),
        "{err}"
    );
    assert!(!err.contains("remove the quotes"), "{err}");
}

#[test]
fn a_byte_order_mark_is_accepted_and_a_gzip_file_is_named() {
    let pkg = package(
        "bom",
        &[
            ("templates/deployment.yaml", DEPLOYMENT),
            ("bom.yaml", "\u{feff}replicas: 4\n".as_bytes()),
        ],
    );
    let out = cleat_in(&pkg, &["render", ".", "-f", "bom.yaml"]).ok();
    assert!(out.contains("replicas: 4"), "{out}");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, b"replicas: 4\n").unwrap();
    std::fs::write(pkg.join("packed.yaml"), gz.finish().unwrap()).unwrap();
    let err = cleat_in(&pkg, &["render", ".", "-f", "packed.yaml"]).err();
    assert!(
        err.starts_with("error: `packed.yaml` is gzip-compressed, not text\n"),
        "{err}"
    );
    assert!(err.contains("hint: serve or save it uncompressed"), "{err}");
    assert!(!err.contains("UTF-8"), "{err}");
}

/// Renders `template` as the package's only template with at most `mib` MiB
/// of data memory (`prlimit`, from util-linux): an expression that builds too
/// much must stop with cleat's error, not with the process killed or aborted.
fn render_bounded(test: &str, template: &str, mib: u64) -> String {
    let pkg = package(test, &[("templates/big.yaml", template.as_bytes())]);
    let output = std::process::Command::new("prlimit")
        .arg(format!("--data={}", mib * 1024 * 1024))
        .arg(env!("CARGO_BIN_EXE_cleat"))
        .args(["render", "."])
        .current_dir(&pkg)
        .env("NO_COLOR", "1")
        .output()
        .expect("prlimit runs (util-linux)");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    stderr
}

#[test]
fn expressions_that_build_too_much_stop_at_the_template_line() {
    let fuel = "hint: rendering stopped at its limit of 4194304 steps or 256 MiB of data built";
    let printed = "this value would print as more than 32 MiB, the most one `{{ }}` may print";
    let cases = [
        ("repeat-list", "{{ [1] * 100000000 }}\n", printed, 1),
        ("nested", "{{ [[1] * 10000] * 10000 }}\n", printed, 1),
        ("indent", "{{ (\"a\\n\" * 1000000) | indent(1000) }}\n", fuel, 1),
        ("double-string", "{% set s = namespace(v=\"ab\") %}\n{% for i in range(40) %}{% set s.v = s.v ~ s.v %}{% endfor %}\n{{ s.v | length }}\n", fuel, 2),
        ("big-output", "{% for i in range(10000) %}{% for j in range(10000) %}{{ \"x\" * 1000 }}{% endfor %}{% endfor %}\n", fuel, 1),
    ];
    for (test, template, message, line) in cases {
        let err = render_bounded(test, template, 512);
        assert!(err.contains(message), "{test}: {err}");
        assert!(
            err.contains(&format!("--> templates/big.yaml:{line}:")),
            "{test}: {err}"
        );
    }
}

/// minijinja materialises a list added to itself past 32 lazy levels inside
/// one instruction, uncharged; the memory watch stops it. The data limit
/// (2 GiB) is the bound: without the watch the process aborts at it.
#[test]
fn a_list_doubled_in_a_loop_stops_at_the_memory_limit() {
    let template = "{% set l = namespace(v=[1]) %}\n{% for i in range(40) %}{% set l.v = l.v + l.v %}{% endfor %}\n{{ l.v | length }}\n";
    let err = render_bounded("double-list", template, 2048);
    assert!(
        err.starts_with("error: rendering `templates/big.yaml` of package `fixture` took more than 512 MiB of memory (the limit) and was stopped\n  --> templates/big.yaml\n"),
        "{err}"
    );
    assert!(
        err.contains("hint: look for a list or string that doubles in a loop"),
        "{err}"
    );
}

fn lifecycle_error(test: &str, templates: &[(&str, &[u8])]) -> String {
    let pkg = package(test, templates);
    cleat_in(&pkg, &["render", "."]).err()
}

#[test]
fn a_dependency_cycle_is_an_error_at_the_template_line() {
    let a = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    cleat.dev/depends-on: v1 ConfigMap b\n";
    let b = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  annotations:\n    cleat.dev/depends-on: ConfigMap a\n";
    let err = lifecycle_error(
        "lifecycle-cycle",
        &[("templates/a.yaml", a), ("templates/b.yaml", b)],
    );
    assert!(
        err.starts_with("error: the dependencies form a cycle: v1 ConfigMap a → v1 ConfigMap b → v1 ConfigMap a\n  --> templates/a.yaml:6:5\n"),
        "{err}"
    );
    assert!(
        err.contains("hint: no object can be applied first; remove one of these dependencies"),
        "{err}"
    );
}

#[test]
fn a_dependency_the_release_does_not_render_is_an_error_with_did_you_mean() {
    let web = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  annotations:\n    cleat.dev/phase: \"1\"\n    cleat.dev/depends-on: batch/v1 Job migrat\n";
    let job = b"apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec: {}\n";
    let err = lifecycle_error(
        "lifecycle-missing",
        &[("templates/web.yaml", web), ("templates/job.yaml", job)],
    );
    assert!(
        err.starts_with("error: v1 ConfigMap web depends on Job migrat, which the release does not render\n  --> templates/web.yaml:6:5\n"),
        "{err}"
    );
    assert!(err.contains("hint: did you mean `Job migrate`?"), "{err}");

    // A dependency in a later phase could never be ready first.
    let early = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: early\n  annotations:\n    cleat.dev/depends-on: Job migrate\n";
    let late = b"apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    cleat.dev/phase: \"2\"\nspec: {}\n";
    let err = lifecycle_error(
        "lifecycle-later",
        &[
            ("templates/early.yaml", early),
            ("templates/late.yaml", late),
        ],
    );
    assert!(
        err.starts_with("error: v1 ConfigMap early (phase 0) depends on batch/v1 Job migrate in phase 2, which is applied after it\n"),
        "{err}"
    );
    assert!(
        err.contains("hint: move the dependency to the same or an earlier phase"),
        "{err}"
    );
}

#[test]
fn bad_lifecycle_annotations_say_what_is_expected() {
    let cases: [(&str, &str, &str); 4] = [
        ("phase", "cleat.dev/phase: first", "error: annotation `cleat.dev/phase`: expected a whole number, found `first`\n"),
        ("apply", "cleat.dev/apply: instal", "error: annotation `cleat.dev/apply`: expected always, install, upgrade or create, found `instal`\n"),
        ("depends", "cleat.dev/depends-on: migrate", "error: annotation `cleat.dev/depends-on`: expected `[APIVERSION] KIND [NAMESPACE/]NAME`, found `migrate`\n"),
        ("replace", "cleat.dev/replace: yes please", "error: annotation `cleat.dev/replace`: expected \"true\" or \"false\", found `yes please`\n"),
    ];
    for (test, annotation, message) in cases {
        let template = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    {annotation}\n");
        let err = lifecycle_error(
            &format!("lifecycle-{test}"),
            &[("templates/x.yaml", template.as_bytes())],
        );
        assert!(err.starts_with(message), "{test}: {err}");
        assert!(err.contains("--> templates/x.yaml:6:"), "{test}: {err}");
    }
    let template = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    cleat.dev/apply: instal\n";
    let err = lifecycle_error("lifecycle-hint", &[("templates/x.yaml", template)]);
    assert!(err.contains("hint: did you mean `install`?"), "{err}");
}

#[test]
fn an_unclosed_block_points_at_its_opening_tag() {
    let template = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n{% if values.replicas %}\ndata:\n{% for i in range(3) %}\n  k{{ i }}: v\n{% endfor %}\n{# {% if never %} #}\n";
    let pkg = package("unclosed", &[("templates/cm.yaml", template)]);
    let err = cleat_in(&pkg, &["render", "."]).err();
    assert_eq!(
        err,
        "error: `{% if %}` is never closed: expected `{% endif %}`\n  --> templates/cm.yaml:5:1\n   |\n 5 | {% if values.replicas %}\n   | ^^^^^^^^^^^^^^^^^^^^^^^^\n  hint: close it with `{% endif %}` where the block ends\n"
    );
}

#[test]
fn an_unquoted_comma_in_a_flow_mapping_is_named() {
    let schema =
        b"type: object\nproperties:\n  name: {type: string, description: The name, in full}\n";
    let template = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
    let pkg = package(
        "flow-comma",
        &[
            ("values.schema.yaml", schema),
            ("templates/cm.yaml", template),
        ],
    );
    let err = cleat_in(&pkg, &["render", "."]).err();
    assert!(
        err.starts_with(
            "error: unsupported schema keyword `in full`\n  --> values.schema.yaml:3:47\n"
        ),
        "{err}"
    );
    assert!(
        err.contains("hint: a `,` inside `{...}` ends a value, so `in full` became a key of its own: quote the value of `description`, for example `description: \"..., in full\"`\n"),
        "{err}"
    );
}
