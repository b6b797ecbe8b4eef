//! The types Kubernetes values need, through `cleat render`: unions and
//! null, int-or-string and quantity formats, `$defs`/`$ref`, defaults inside
//! list items, and `null` removing a key from files and `--set` alike.

mod common;

use common::{cleat_in, package};

/// A package whose only template prints `values` whole.
fn values_package(name: &str, schema: &str) -> std::path::PathBuf {
    let template = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: values\ndata:\n  values: {{ values | to_json | quote }}\n";
    package(
        name,
        &[
            ("values.schema.yaml", schema.as_bytes()),
            ("templates/cm.yaml", template),
        ],
    )
}

/// The values the package renders with `args`, as JSON.
fn rendered(pkg: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["render", "."];
    all.extend_from_slice(args);
    let out = cleat_in(pkg, &all).ok();
    let line = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("values: "))
        .unwrap_or_else(|| panic!("no values line in {out}"));
    let text: String = serde_json::from_str(line).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn render_err(pkg: &std::path::Path, args: &[&str]) -> String {
    let mut all = vec!["render", "."];
    all.extend_from_slice(args);
    cleat_in(pkg, &all).err()
}

const RESOURCES: &str = "type: object
$defs:
  resources:
    type: object
    description: Requests and limits
    properties:
      requests:
        type: object
        additionalProperties: {format: quantity}
      limits:
        type: object
        additionalProperties: {format: quantity}
properties:
  web:
    $ref: \"#/$defs/resources\"
    description: Resources of the web container
    default: {requests: {cpu: 100m}}
  worker: {$ref: \"#/$defs/resources\"}
  maxUnavailable: {format: int-or-string, default: \"25%\"}
  replicas: {type: [integer, \"null\"]}
  mode: {const: fast}
  port:
    oneOf:
      - {type: integer, minimum: 1, maximum: 65535}
      - {type: string, pattern: \"^[a-z]+$\"}
";

#[test]
fn quantities_and_int_or_string_accept_what_the_api_server_accepts() {
    let pkg = values_package("types-quantity", RESOURCES);
    let values = rendered(
        &pkg,
        &[
            "--set",
            "worker.limits.cpu=1.5",
            "--set",
            "worker.limits.memory=1Gi",
            "--set",
            "worker.requests.cpu=2e3",
            "--set",
            "maxUnavailable=1",
            "--set",
            "port=http",
        ],
    );
    assert_eq!(
        values["web"],
        serde_json::json!({"requests": {"cpu": "100m"}, "limits": {}})
    );
    assert_eq!(
        values["worker"],
        serde_json::json!({"limits": {"cpu": 1.5, "memory": "1Gi"}, "requests": {"cpu": "2e3"}})
    );
    assert_eq!(values["maxUnavailable"], 1);
    assert_eq!(values["port"], "http");

    let err = render_err(&pkg, &["--set", "worker.limits.memory=1GB"]);
    assert_eq!(
        err,
        "error: `worker.limits.memory`: \"1GB\" is not a Kubernetes quantity\n  --> --set:1:22\n   |\n 1 | worker.limits.memory=1GB\n   |                      ^^^\n  hint: a quantity is a number with an optional suffix: `500m`, `1.5`, `1Gi`, `2e3` (Ki, Mi, Gi, Ti, Pi, Ei; n, u, m, k, M, G, T, P, E)\n"
    );
    std::fs::write(pkg.join("list.yaml"), "maxUnavailable: [1]\n").unwrap();
    let err = render_err(&pkg, &["-f", "list.yaml"]);
    assert!(
        err.starts_with(
            "error: `maxUnavailable`: expected integer or string, found a list of 1 item\n"
        ),
        "{err}"
    );
}

#[test]
fn unions_null_and_const_say_which_types_they_take() {
    let pkg = values_package("types-union", RESOURCES);
    std::fs::write(pkg.join("null.yaml"), "replicas: null\n").unwrap();
    let values = rendered(&pkg, &["--set", "replicas=3"]);
    assert_eq!(values["replicas"], 3);
    let err = render_err(&pkg, &["--set", "replicas=three"]);
    assert!(
        err.starts_with("error: `replicas`: expected integer or null, found string \"three\"\n"),
        "{err}"
    );
    let err = render_err(&pkg, &["--set", "mode=slow"]);
    assert!(
        err.starts_with("error: `mode`: \"slow\" is not one of \"fast\"\n"),
        "{err}"
    );
    // oneOf: the integer schema says what is wrong with an integer.
    let err = render_err(&pkg, &["--set", "port=70000"]);
    assert!(
        err.starts_with("error: `port`: 70000 is more than the maximum 65535\n"),
        "{err}"
    );
    let err = render_err(&pkg, &["--set", "port=HTTP"]);
    assert!(
        err.starts_with("error: `port`: \"HTTP\" does not match the pattern `^[a-z]+$`\n"),
        "{err}"
    );
}

#[test]
fn definitions_are_checked_once_and_cycles_refused() {
    let cycle = "type: object\n$defs:\n  a: {type: object, properties: {b: {$ref: \"#/$defs/b\"}}}\n  b: {type: object, properties: {a: {$ref: \"#/$defs/a\"}}}\nproperties:\n  x: {$ref: \"#/$defs/a\"}\n";
    let err = render_err(&values_package("types-cycle", cycle), &[]);
    assert_eq!(
        err,
        "error: `$ref` cycle: #/$defs/a → #/$defs/b → #/$defs/a\n  --> values.schema.yaml:4:44\n   |\n 4 |   b: {type: object, properties: {a: {$ref: \"#/$defs/a\"}}}\n   |                                            ^\n  hint: a values schema describes finite values: a definition cannot contain itself\n"
    );
    let typo = "type: object\n$defs:\n  resources: {type: object, properties: {cpu: {type: strin}}}\nproperties:\n  a: {$ref: \"#/$defs/resource\"}\n  b: {$ref: \"#/$defs/resources\"}\n  c: {$ref: \"#/$defs/resources\"}\n";
    let err = render_err(&values_package("types-typo", typo), &[]);
    assert!(
        err.starts_with("error: `$ref` names `resource`, which `$defs` does not define\n  --> values.schema.yaml:5:"),
        "{err}"
    );
    assert!(err.contains("hint: did you mean `resources`?"), "{err}");
    // A problem in a definition used twice is reported once, at the definition.
    assert_eq!(err.matches("unknown type \"strin\"").count(), 1, "{err}");
    assert!(err.contains("--> values.schema.yaml:3:"), "{err}");
}

#[test]
fn list_items_get_their_defaults() {
    let schema = "type: object
properties:
  routes:
    type: array
    items:
      type: object
      properties:
        path: {type: string, default: /}
        backend:
          type: object
          properties:
            port: {type: integer, default: 80}
            name: {type: string}
  sidecars:
    type: object
    additionalProperties:
      type: object
      properties:
        image: {type: string, default: \"busybox:1\"}
";
    let pkg = values_package("types-items", schema);
    std::fs::write(
        pkg.join("routes.yaml"),
        "routes:\n  - {}\n  - path: /api\n    backend: {name: api}\nsidecars:\n  log: {}\n",
    )
    .unwrap();
    let values = rendered(&pkg, &["-f", "routes.yaml"]);
    assert_eq!(
        values["routes"],
        serde_json::json!([
            {"path": "/", "backend": {"port": 80}},
            {"path": "/api", "backend": {"port": 80, "name": "api"}}
        ])
    );
    assert_eq!(
        values["sidecars"],
        serde_json::json!({"log": {"image": "busybox:1"}})
    );
}

#[test]
fn null_removes_a_key_from_files_and_set_alike() {
    let schema = "type: object\nproperties:\n  tag: {type: string, default: \"1.0\"}\n  extra: {type: string}\n";
    let pkg = values_package("types-null", schema);
    let values = rendered(&pkg, &["--set", "extra=x", "--set", "extra=null"]);
    assert_eq!(values, serde_json::json!({"tag": "1.0"}));
    // The default applies again.
    let values = rendered(&pkg, &["--set", "tag=2.0", "--set", "tag=null"]);
    assert_eq!(values, serde_json::json!({"tag": "1.0"}));
}

#[test]
fn a_value_removed_by_null_is_named_where_a_template_reads_it_once_per_cause() {
    let schema = "type: object\nproperties:\n  extra: {type: string}\n";
    let helper = b"{% macro extra() %}{{ values.extra }}{% endmacro %}\n";
    let user = |name: &str| {
        format!("{{% import \"_helpers.yaml\" as h %}}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  extra: {{{{ h.extra() }}}}\n")
    };
    let (a, b, c) = (user("a"), user("b"), user("c"));
    let pkg = package(
        "null-hint",
        &[
            ("values.schema.yaml", schema.as_bytes()),
            ("templates/_helpers.yaml", helper),
            ("templates/a.yaml", a.as_bytes()),
            ("templates/b.yaml", b.as_bytes()),
            ("templates/c.yaml", c.as_bytes()),
        ],
    );
    std::fs::write(pkg.join("base.yaml"), "extra: x\n").unwrap();
    std::fs::write(pkg.join("unset.yaml"), "extra: null\n").unwrap();
    let err = render_err(&pkg, &["-f", "base.yaml", "-f", "unset.yaml"]);
    assert_eq!(
        err.matches("error: ").count(),
        1,
        "one cause, one error: {err}"
    );
    assert!(err.contains("--> templates/_helpers.yaml:1:"), "{err}");
    assert!(
        err.contains("hint: `extra` was removed by the `null` at unset.yaml:1:8\n"),
        "{err}"
    );
    assert!(
        err.contains(
            "hint: reached while rendering templates/a.yaml, templates/b.yaml, templates/c.yaml\n"
        ),
        "{err}"
    );
}

/// `cleat schema`'s export, checked by an independent validator (boon),
/// gives each values file the verdict cleat gives it.
#[test]
fn the_exported_schema_agrees_with_cleat_on_every_values_file() {
    let schema = "type: object
required: [name]
properties:
  name: {type: string, description: Required and without default}
  replicas: {type: integer, default: 1}
  db:
    type: object
    required: [host]
    properties:
      host: {type: string}
      port: {type: integer, default: 5432}
  tags: {type: array, items: {type: string}}
  mode: {type: [string, \"null\"], enum: [fast, safe, null]}
  cpu: {format: quantity}
";
    let crafted = values_package("export-verdicts", schema);
    let files: [(&str, bool); 11] = [
        ("name: a\ndb: {host: h}\n", true),
        ("db: {host: h}\n", false),
        ("name: a\n", false),
        ("name: a\ndb: {host: h}\nreplicas: null\n", true),
        ("name: null\ndb: {host: h}\n", false),
        ("name: a\ndb: {host: h, port: null}\n", true),
        ("name: a\ndb: {host: h}\ntags: [x, null]\n", false),
        ("name: a\ndb: {host: h}\nextra: 1\n", false),
        ("name: a\ndb: {host: h}\nreplicas: \"2\"\n", false),
        ("name: a\ndb: {host: h}\ncpu: 500m\nmode: safe\n", true),
        ("name: a\ndb: {host: h}\ncpu: 5 cores\n", false),
    ];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cases: Vec<(std::path::PathBuf, std::path::PathBuf, bool)> = Vec::new();
    for (index, (text, valid)) in files.iter().enumerate() {
        let file = crafted.join(format!("case-{index}.yaml"));
        std::fs::write(&file, text).unwrap();
        cases.push((crafted.clone(), file, *valid));
    }
    for name in ["webapp", "cronjob", "platform"] {
        let pkg = root.join("packages-example").join(name);
        cases.push((pkg.clone(), pkg.join("values-production.yaml"), true));
    }
    for (pkg, file, expected) in cases {
        let exported: serde_json::Value =
            serde_json::from_str(&cleat_in(&pkg, &["schema", "."]).ok()).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        let source = cleat::shared::diagnostics::Source::new("values.yaml", text.clone());
        let document = cleat::shared::yaml::parse_document(&source)
            .unwrap()
            .to_json();
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.add_resource("schema.json", exported).unwrap();
        let index = compiler.compile("schema.json", &mut schemas).unwrap();
        let by_boon = schemas.validate(&document, index).is_ok();
        let run = common::cleat_in(&pkg, &["render", ".", "-f", &file.display().to_string()]);
        let by_cleat = run.code == 0;
        assert_eq!(
            by_boon,
            by_cleat,
            "{}: boon and cleat disagree on\n{text}\ncleat: {}",
            pkg.display(),
            run.stderr
        );
        assert_eq!(by_cleat, expected, "{text}\n{}", run.stderr);
    }
}

#[test]
fn a_null_under_a_required_key_is_pointed_at() {
    let schema = "type: object\nproperties:\n  db:\n    type: object\n    required: [host]\n    properties:\n      host: {type: string, description: The host}\n";
    let pkg = values_package("null-required", schema);
    std::fs::write(pkg.join("v.yaml"), "db:\n  host: null\n").unwrap();
    let err = render_err(&pkg, &["-f", "v.yaml"]);
    assert_eq!(
        err,
        "error: `db.host` is required but has no value\n  --> v.yaml:2:9\n   |\n 2 |   host: null\n   |         ^^^^\n  hint: this `null` removed it\n  hint: set it in a values file or with `--set db.host=...`\n  hint: `db.host`: The host\n"
    );
}
