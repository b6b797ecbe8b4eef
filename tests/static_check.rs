//! The static check follows values wherever they flow: through `set`,
//! loops over lists and maps, `with`, and macro arguments into helpers.
//! Each typo is an error at its template line with "did you mean", before
//! any values exist and in branches not taken.

mod common;

use common::{cleat_in, package};

const SCHEMA: &[u8] = b"type: object
properties:
  service:
    type: object
    description: The Service
    properties:
      grpcPort: {type: integer, description: gRPC port, default: 9000}
      enabled: {type: boolean, description: Whether to expose it, default: true}
  routes:
    type: array
    description: HTTP routes
    default: []
    items:
      type: object
      properties:
        path: {type: string, description: Path prefix}
        filters: {type: array, description: Filters, items: {type: string}}
  probes:
    type: object
    description: Probes
    properties:
      liveness:
        type: object
        description: Liveness probe
        properties:
          path: {type: string, description: Path, default: /healthz}
  sidecars:
    type: object
    description: Extra containers by name
    additionalProperties:
      type: object
      properties:
        image: {type: string, description: Image}
  extra:
    type: object
    description: Anything
    additionalProperties: true
";

fn lint(test: &str, template: &str) -> String {
    let helper = b"{% macro probe(p) %}path: {{ p.pth }}{% endmacro %}\n{% macro fine(p) %}path: {{ p.path }}{% endmacro %}\n";
    let pkg = package(
        test,
        &[
            ("values.schema.yaml", SCHEMA),
            ("templates/_helpers.yaml", helper),
            ("templates/cm.yaml", template.as_bytes()),
        ],
    );
    cleat_in(&pkg, &["lint", "."]).err()
}

const HEAD: &str = "{% import \"_helpers.yaml\" as h %}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n";

#[test]
fn an_alias_made_with_set_is_checked_in_branches_not_taken() {
    let err = lint(
        "flow-set",
        &format!("{HEAD}{{% set s = values.service %}}\n{{% if false and s.grpcPrt %}}\n  a: b\n{{% endif %}}\n"),
    );
    assert!(
        err.starts_with("error: `s.grpcPrt` is not declared in the values schema: `s` stands for `values.service`, which has no field `grpcPrt`\n  --> templates/cm.yaml:8:17\n   |\n 8 | {% if false and s.grpcPrt %}\n   |                 ^^^^^^^^^\n  hint: did you mean `grpcPort`?\n"),
        "{err}"
    );
}

#[test]
fn a_loop_variable_over_a_list_of_objects_and_is_defined_on_it() {
    let err = lint(
        "flow-for",
        &format!("{HEAD}{{% for rule in values.routes %}}\n{{% if rule.filtres is defined %}}\n  f: x\n{{% endif %}}\n{{% endfor %}}\n"),
    );
    assert!(
        err.starts_with("error: `rule.filtres` is not declared in the values schema: `rule` stands for `values.routes[]`, which has no field `filtres`\n  --> templates/cm.yaml:8:7\n"),
        "{err}"
    );
    assert!(err.contains("hint: did you mean `filters`?"), "{err}");
}

#[test]
fn macro_arguments_are_followed_into_imported_helpers() {
    let err = lint(
        "flow-macro",
        &format!("{HEAD}  live: {{{{ h.probe(values.probes.liveness) }}}}\n  ok: {{{{ h.fine(values.probes.liveness) }}}}\n"),
    );
    assert_eq!(err.matches("error: ").count(), 1, "{err}");
    assert!(
        err.starts_with("error: `p.pth` is not declared in the values schema: `p` stands for `values.probes.liveness`, which has no field `pth`\n  --> templates/_helpers.yaml:1:30\n"),
        "{err}"
    );
    assert!(err.contains("hint: did you mean `path`?"), "{err}");
}

#[test]
fn with_blocks_and_items_loops_over_maps_of_objects() {
    let err = lint(
        "flow-with-items",
        &format!("{HEAD}{{% with l = values.probes.liveness %}}\n  l: {{{{ l.pat }}}}\n{{% endwith %}}\n{{% for name, car in values.sidecars | items %}}\n  {{{{ name }}}}: {{{{ car.imag }}}}\n{{% endfor %}}\n{{% for name, car in values.sidecars.items() %}}\n  {{{{ name }}}}2: {{{{ car.imge }}}}\n{{% endfor %}}\n"),
    );
    assert!(err.contains("error: `l.pat` is not declared in the values schema: `l` stands for `values.probes.liveness`, which has no field `pat`\n  --> templates/cm.yaml:8:9\n"), "{err}");
    assert!(err.contains("error: `car.imag` is not declared in the values schema: `car` stands for `values.sidecars.*`, which has no field `imag`\n  --> templates/cm.yaml:11:18\n"), "{err}");
    assert!(err.contains("error: `car.imge` is not declared in the values schema: `car` stands for `values.sidecars.*`, which has no field `imge`\n  --> templates/cm.yaml:14:19\n"), "{err}");
    assert!(err.ends_with("3 errors\n"), "{err}");
}

#[test]
fn a_boolean_concatenated_with_tilde_is_refused() {
    let err = lint(
        "flow-bool",
        &format!("{HEAD}  flag: {{{{ \"on-\" ~ values.service.enabled }}}}\n"),
    );
    assert!(
        err.starts_with("error: `~` prints the boolean `values.service.enabled` as `True` or `False`, not YAML's `true` or `false`\n  --> templates/cm.yaml:7:26\n"),
        "{err}"
    );
    assert!(
        err.contains("hint: write `(values.service.enabled | to_json)` to get `true` or `false`"),
        "{err}"
    );
}

#[test]
fn names_whose_schema_cannot_be_known_are_left_alone() {
    let template = format!("{HEAD}{{% set built = values.routes | map(attribute=\"path\") | list %}}\n{{% set any = values.extra %}}\n  a: \"{{{{ built.whatever is defined }}}}\"\n  b: \"{{{{ any.whatever is defined }}}}\"\n{{% set m = {{\"k\": 1}} %}}\n  c: \"{{{{ m.nothing is defined }}}}\"\n");
    let pkg = package(
        "flow-unknown",
        &[
            ("values.schema.yaml", SCHEMA),
            (
                "templates/_helpers.yaml",
                b"{% macro probe(p) %}{% endmacro %}\n",
            ),
            ("templates/cm.yaml", template.as_bytes()),
        ],
    );
    let out = cleat_in(&pkg, &["lint", "."]);
    assert!(
        out.stderr.contains("no errors") || out.stdout.contains("no errors"),
        "{}{}",
        out.stdout,
        out.stderr
    );
}
