//! Rendered objects checked against the Kubernetes schema of their kind at
//! the target version, and custom resources against the release's CRDs:
//! each problem at the template line of its field, in `cleat lint`, and
//! refused by `cleat lock`.

mod common;

use common::{cleat, cleat_in, package, write_files};

/// Objects with one schema problem of each sort.
const INVALID: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: \"3\"
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27.3
          imagePullPolicy: Sometimes
          ports:
            - containerPort: \"80\"
          resources:
            requests: {cpu: half}
            limit: {memory: 1Gi}
        - image: busybox:1.36
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: Loadbalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget}
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
                size: {type: integer, maximum: 5}
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: small
  lables: {size: small}
spec:
  size: 8
  colour: red
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: web
spec: {}
---
apiVersion: batch/v1beta1
kind: CronJob
metadata:
  name: report
spec:
  schedule: \"@daily\"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: report, image: report:2.1.0}]
";

const MANIFEST: &str = "name: checked\nversion: 0.1.0\ndescription: Checked\n";

/// `cleat lint -o json` of a package of `template`, with `extra` arguments:
/// the exit code, and each `schema`/`unknown-kind` finding as
/// `CHECK LINE: MESSAGE`.
fn lint(name: &str, template: &str, extra: &[&str]) -> (i32, Vec<String>) {
    let dir = package(
        name,
        &[
            ("package.yaml", MANIFEST.as_bytes()),
            ("templates/objects.yaml", template.as_bytes()),
        ],
    );
    let mut args = vec!["lint", dir.to_str().unwrap(), "-o", "json"];
    args.extend(extra);
    let run = cleat(&args);
    let report: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    let found = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "schema" || f["check"] == "unknown-kind")
        .map(|f| {
            assert_eq!(f["at"]["file"], "templates/objects.yaml", "{f}");
            format!(
                "{} {} {}: {}",
                f["check"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["at"]["line"],
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    (run.code, found)
}

#[test]
fn each_schema_problem_is_found_at_the_template_line_of_its_field() {
    let (code, found) = lint("schema-invalid", INVALID, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [
            "schema error 6: apps/v1 Deployment web: `.spec.replicas` must be an integer, found the string \"3\"",
            "schema error 16: apps/v1 Deployment web: `.spec.template.spec.containers[0].imagePullPolicy` must be one of \"Always\", \"IfNotPresent\", \"Never\", found \"Sometimes\"",
            "schema error 18: apps/v1 Deployment web: `.spec.template.spec.containers[0].ports[0].containerPort` must be an integer, found the string \"80\"",
            "schema error 20: apps/v1 Deployment web: `.spec.template.spec.containers[0].resources.requests.cpu` must be a quantity (a number, or a string such as `500m` or `1Gi`), found the string \"half\"",
            "schema error 21: apps/v1 Deployment web: `.spec.template.spec.containers[0].resources.limit` is not a field of this kind's schema (did you mean `limits`?)",
            "schema error 22: apps/v1 Deployment web: `.spec.template.spec.containers[1]` is missing the required field `name`",
            "schema error 29: v1 Service web: `.spec.type` must be one of \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\", found \"Loadbalancer\"",
            "schema error 58: example.com/v1 Widget small: `.metadata.lables` is not a field of this kind's schema (did you mean `labels`?)",
            "schema error 60: example.com/v1 Widget small: `.spec.size` must be at most 5, found 8",
            "schema error 61: example.com/v1 Widget small: `.spec.colour` is not in the schema: the API server drops it on the next write",
            "schema error 69: batch/v1beta1 CronJob report: Kubernetes 1.34 has no `CronJob` in `batch/v1beta1`; it has `batch/v1`",
            "unknown-kind warning 64: monitoring.coreos.com/v1 ServiceMonitor web: no schema for `monitoring.coreos.com/v1` `ServiceMonitor`: neither Kubernetes 1.34 nor a CRD of the release defines it, so it is not validated",
        ]
    );
}

#[test]
fn the_schema_is_the_target_versions() {
    let cronjob = INVALID.split("---\n").last().unwrap();
    // batch/v1beta1 CronJobs are served until 1.24.
    let (code, found) = lint("schema-old", cronjob, &["--kube-version", "1.20.2"]);
    assert_eq!(code, 0, "{found:?}");
    assert_eq!(found, Vec::<String>::new());
    let (code, found) = lint("schema-new", cronjob, &["--kube-version", "v1.25"]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        ["schema error 1: batch/v1beta1 CronJob report: Kubernetes 1.25 has no `CronJob` in `batch/v1beta1`; it has `batch/v1`"]
    );
    // Past the newest schemas shipped, the newest are used.
    let (_, found) = lint("schema-future", cronjob, &["--kube-version", "1.99.0"]);
    assert!(found[0].contains("Kubernetes 1.37 has no"), "{found:?}");
}

#[test]
fn an_exemption_with_a_reason_lets_an_object_through() {
    let service = "apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    cleat.dev/exempt-schema: \"a webhook of the platform team rewrites the type\"
spec:
  type: Loadbalancer
  selector: {app: web}
  ports: [{port: 80}]
";
    let dir = package(
        "schema-exempt",
        &[
            ("package.yaml", MANIFEST.as_bytes()),
            ("templates/objects.yaml", service.as_bytes()),
        ],
    );
    let run = cleat(&["lint", dir.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("  exempt: schema on v1 Service web: a webhook of the platform team rewrites the type\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn lock_refuses_an_object_the_schema_refuses() {
    let pkg = package(
        "schema-lock",
        &[
            ("package.yaml", MANIFEST.as_bytes()),
            (
                "templates/objects.yaml",
                b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  retries: {{ 3 }}\n",
            ),
        ],
    );
    let dir = common::temp_dir("schema-lock-project");
    write_files(
        &dir,
        &[(
            "cleat.yaml",
            &format!(
                "releases:\n  - name: settings\n    namespace: apps\n    package: {}\n",
                pkg.display()
            ),
        )],
    );
    let err = cleat_in(&dir, &["lock"]).err();
    assert!(
        err.starts_with("error: schema [validate]: v1 ConfigMap settings: `.data.retries` must be a string, found the number 3\n  --> templates/objects.yaml:6:3\n"),
        "{err}"
    );
    assert!(
        err.contains(
            "error: release `settings`: cleat's built-in checks found 1 error in its objects"
        ),
        "{err}"
    );
    assert!(!dir.join("cleat.lock").exists());
}

#[test]
fn render_refuses_what_the_schema_refuses_and_policy_flags_set_severities() {
    let dir = package(
        "schema-render",
        &[
            ("package.yaml", MANIFEST.as_bytes()),
            ("templates/objects.yaml", INVALID.as_bytes()),
        ],
    );
    let path = dir.to_str().unwrap();
    let run = cleat(&["render", path]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "", "nothing is printed");
    assert!(
        run.stderr.contains("error: schema [validate]: apps/v1 Deployment web: `.spec.replicas` must be an integer, found the string \"3\"\n  --> templates/objects.yaml:6:3\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "error: release `checked`: cleat's built-in checks found 11 errors in its objects"
        ),
        "{}",
        run.stderr
    );
    // Only the schema checks: the Deployment's missing probes are lint's.
    assert!(!run.stderr.contains("liveness-probe"), "{}", run.stderr);

    let run = cleat(&["render", path, "--policy", "schema=warning"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("kind: Deployment"), "{}", run.stdout);
    assert!(
        run.stderr.contains("warning: release `checked`: cleat's built-in checks found 12 warnings: schema (11), unknown-kind (1)"),
        "{}",
        run.stderr
    );
    // A flag may turn on what render leaves to lint.
    let run = cleat(&[
        "render",
        path,
        "--policy",
        "schema=off",
        "--policy",
        "liveness-probe=error",
    ]);
    assert!(
        run.stderr.contains("error: liveness-probe [availability]: container `web` of apps/v1 Deployment web has no `livenessProbe`"),
        "{}",
        run.stderr
    );

    let run = cleat(&[
        "render",
        path,
        "--policy",
        "shema=off",
        "--policy",
        "schema",
        "--policy",
        "schema=loud",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "error: `--policy shema=off`: there is no check `shema` (did you mean `schema`?)\n"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("error: `--policy schema` names no severity\n  hint: write `--policy CHECK=SEVERITY`, as `--policy schema=warning`\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("error: `--policy schema=loud`: the severity must be `error`, `warning`, `info` or `off`, found `loud`\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn sarif_reports_validate_against_the_sarif_schema() {
    let exempt = INVALID.replacen(
        "  name: web\nspec:\n  type:",
        "  name: web\n  annotations: {cleat.dev/exempt-schema: \"rewritten by a webhook\"}\nspec:\n  type:",
        1,
    );
    let dir = package(
        "schema-sarif",
        &[
            ("package.yaml", MANIFEST.as_bytes()),
            ("templates/objects.yaml", exempt.as_bytes()),
        ],
    );
    let run = cleat(&["lint", dir.to_str().unwrap(), "-o", "sarif"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();

    let schema_file = common::helm::tools().join("sarif/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&schema_file).unwrap()).unwrap();
    let mut compiler = boon::Compiler::new();
    let url = "https://json.schemastore.org/sarif-2.1.0.json";
    compiler.add_resource(url, schema).unwrap();
    let mut schemas = boon::Schemas::new();
    let index = compiler.compile(url, &mut schemas).unwrap();
    if let Err(error) = schemas.validate(&sarif, index) {
        panic!("{error:#}\n{}", run.stdout);
    }
    // The schema does catch a report that breaks it.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(schemas.validate(&broken, index).is_err());

    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run0["results"].as_array().unwrap();
    let replicas = results
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap()
                .contains(".spec.replicas")
        })
        .unwrap();
    assert_eq!(replicas["ruleId"], "schema");
    assert_eq!(replicas["level"], "error");
    assert_eq!(
        rules[replicas["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "schema"
    );
    assert_eq!(
        replicas["locations"][0]["physicalLocation"],
        serde_json::json!({"artifactLocation": {"uri": "templates/objects.yaml"}, "region": {"startLine": 6, "startColumn": 3}})
    );
    let suppressed = results
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap()
                .contains("Service web")
        })
        .unwrap();
    assert_eq!(
        suppressed["suppressions"],
        serde_json::json!([{"kind": "inSource", "justification": "rewritten by a webhook"}])
    );
    let unknown = results
        .iter()
        .find(|r| r["ruleId"] == "unknown-kind")
        .unwrap();
    assert_eq!(unknown["level"], "warning");
}

#[test]
fn a_custom_resource_is_checked_against_the_crd_the_cluster_serves() {
    use common::cluster::{project, run, ControlPlane};
    let plane = ControlPlane::shared();
    let crd = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.served.example.com
spec:
  group: served.example.com
  scope: Namespaced
  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
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
                size: {type: integer, maximum: 5}
";
    let definitions = package(
        "schema-served-crd",
        &[
            (
                "package.yaml",
                b"name: gadget-crd\nversion: 0.1.0\ndescription: The Gadget CRD\n",
            ),
            ("templates/gadget-crd.yaml", crd.as_bytes()),
        ],
    );
    let gadget = "apiVersion: served.example.com/v1
kind: Gadget
metadata:
  name: big
spec:
  size: 8
  colour: red
";
    let gadgets = package(
        "schema-served-gadgets",
        &[
            ("package.yaml", MANIFEST.as_bytes()),
            ("templates/gadget.yaml", gadget.as_bytes()),
        ],
    );
    let release = |name: &str, pkg: &std::path::Path| {
        format!(
            "  - name: {name}\n    namespace: served-schema\n    package: {}\n",
            pkg.display()
        )
    };
    let dir = project(
        "schema-served",
        &format!(
            "{}{}",
            release("gadget-crd", &definitions),
            release("gadgets", &gadgets)
        ),
    );
    run(plane, &dir, &["apply", "gadget-crd", "--yes"]).ok();

    // Offline the kind is unknown: a warning, and the lock is written.
    let locked = run(plane, &dir, &["lock"]);
    assert_eq!(locked.code, 0, "{}", locked.stderr);
    assert!(
        locked
            .stderr
            .contains("warning: release `gadgets`: cleat's built-in checks found"),
        "{}",
        locked.stderr
    );
    assert!(
        locked.stderr.contains("unknown-kind (1)"),
        "{}",
        locked.stderr
    );
    // Against the cluster, its CRD is: each problem at the template line.
    let err = run(plane, &dir, &["diff", "gadgets"]).err();
    assert!(
        err.contains("error: schema [validate]: served.example.com/v1 Gadget big: `.spec.size` must be at most 5, found 8 (under the CRD `gadgets.served.example.com` the cluster serves)\n  --> templates/gadget.yaml:6:3\n"),
        "{err}"
    );
    assert!(
        err.contains("`.spec.colour` is not in the schema: the API server drops it on the next write (under the CRD `gadgets.served.example.com` the cluster serves)\n  --> templates/gadget.yaml:7:3\n"),
        "{err}"
    );
    let fixed = gadget.replace("  size: 8\n  colour: red\n", "  size: 3\n");
    std::fs::write(gadgets.join("templates/gadget.yaml"), fixed).unwrap();
    let diff = run(plane, &dir, &["diff", "gadgets"]);
    assert_eq!(diff.code, 2, "changes, no errors: {}", diff.stderr);
}
