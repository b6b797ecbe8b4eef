//! cleat's built-in checks of rendered objects (pin, limit, harden,
//! availability) in `cleat lint`: every check finds its failing object at
//! the template line of the field and leaves its passing object alone;
//! severities set in `package.yaml`; exemptions that must give a reason;
//! the same for a Helm chart.

mod common;

use std::collections::BTreeMap;

use common::{cleat, package};

/// Objects that fail every check that is on by default.
const FAILING: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: batch
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web, tier: front}
  template:
    metadata:
      labels: {app: web}
    spec:
      hostNetwork: true
      volumes:
        - name: logs
          hostPath: {path: /var/log}
      initContainers:
        - name: setup
          image: busybox
      containers:
        - name: web
          image: nginx:latest
          imagePullPolicy: Always
          securityContext:
            privileged: true
            runAsUser: 0
            capabilities: {add: [NET_ADMIN]}
---
apiVersion: batch/v1
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
          containers:
            - name: report
              image: registry.example.com/report:2.1.0
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports: [{port: 80}]
";

/// The same objects made to pass: every check is satisfied.
const PASSING: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: batch
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: batch, namespace: batch}
spec: {hard: {requests.cpu: \"4\"}}
---
apiVersion: v1
kind: LimitRange
metadata: {name: batch, namespace: batch}
spec: {limits: [{type: Container, default: {memory: 256Mi}}]}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      serviceAccountName: web
      securityContext: {runAsNonRoot: true, runAsUser: 10001}
      containers:
        - name: web
          image: nginx:1.27.3
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
          livenessProbe: {httpGet: {path: /, port: 80}}
          readinessProbe: {httpGet: {path: /, port: 80}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: web}}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: \"@daily\"
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 1
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          automountServiceAccountToken: false
          nodeSelector: {pool: batch}
          securityContext: {runAsNonRoot: true, runAsUser: 10001}
          containers:
            - name: report
              image: registry.example.com/report:2.1.0
              securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [NET_RAW]}}
              resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
";

/// `cleat lint -o json` of a package with `template` as its one template.
fn lint_json(name: &str, manifest: &str, template: &str) -> (i32, serde_json::Value) {
    let dir = package(
        name,
        &[
            ("package.yaml", manifest.as_bytes()),
            ("templates/objects.yaml", template.as_bytes()),
        ],
    );
    let run = cleat(&["lint", dir.to_str().unwrap(), "-o", "json"]);
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    (run.code, report)
}

/// Each finding as `CHECK line: MESSAGE`, by check.
fn findings(report: &serde_json::Value) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["at"]["file"], "templates/objects.yaml", "{f}");
        found
            .entry(f["check"].as_str().unwrap().to_string())
            .or_default()
            .push(format!(
                "{}: {}",
                f["at"]["line"],
                f["message"].as_str().unwrap()
            ));
    }
    found
}

const MANIFEST: &str = "name: checked\nversion: 0.1.0\ndescription: Checked\n";

#[test]
fn every_check_finds_its_failing_object_at_the_template_line_and_passes_the_fixed_one() {
    let (code, report) = lint_json("policy-failing", MANIFEST, FAILING);
    assert_eq!(
        code, 1,
        "privileged, host-namespaces and selector-matches are errors"
    );
    let found = findings(&report);
    let expected: &[(&str, &[&str])] = &[
        ("image-tag", &[
            "23: container `setup` of apps/v1 Deployment web runs image `busybox`, which has no tag",
            "26: container `web` of apps/v1 Deployment web runs image `nginx:latest`, whose tag `latest` moves",
        ]),
        ("pull-policy-always", &["27: container `web` of apps/v1 Deployment web pulls its image on every start (`imagePullPolicy: Always`)"]),
        ("cpu-requests", &[
            "22: container `setup` of apps/v1 Deployment web has no cpu request (`resources.requests.cpu`)",
            "25: container `web` of apps/v1 Deployment web has no cpu request (`resources.requests.cpu`)",
            "45: container `report` of batch/v1 CronJob report has no cpu request (`resources.requests.cpu`)",
        ]),
        ("memory-limits", &[
            "22: container `setup` of apps/v1 Deployment web has no memory limit (`resources.limits.memory`)",
            "25: container `web` of apps/v1 Deployment web has no memory limit (`resources.limits.memory`)",
            "45: container `report` of batch/v1 CronJob report has no memory limit (`resources.limits.memory`)",
        ]),
        ("cronjob-concurrency", &["37: batch/v1 CronJob report lets its runs overlap (`concurrencyPolicy` is `Allow`)"]),
        ("cronjob-history", &["37: batch/v1 CronJob report does not say how many finished Jobs to keep (`successfulJobsHistoryLimit`, `failedJobsHistoryLimit`)"]),
        ("job-placement", &["42: batch/v1 CronJob report may run on any node: its pod has no `nodeSelector`, `affinity` or `tolerations`"]),
        ("namespace-quota", &["4: v1 Namespace batch has no ResourceQuota or LimitRange of the release"]),
        ("run-as-non-root", &[
            "22: container `setup` of apps/v1 Deployment web may run as root: neither it nor its pod sets `runAsNonRoot: true` or a non-zero `runAsUser`",
            "25: container `web` of apps/v1 Deployment web runs as root (`runAsUser: 0`)",
            "45: container `report` of batch/v1 CronJob report may run as root: neither it nor its pod sets `runAsNonRoot: true` or a non-zero `runAsUser`",
        ]),
        ("privileged", &["29: container `web` of apps/v1 Deployment web is privileged"]),
        ("capabilities-added", &["31: container `web` of apps/v1 Deployment web adds the capabilities NET_ADMIN"]),
        ("host-namespaces", &["17: apps/v1 Deployment web shares the node's network (`hostNetwork: true`)"]),
        ("host-path", &["20: apps/v1 Deployment web mounts the node's `/var/log` (volume `logs`)"]),
        ("service-account-token", &[
            "16: apps/v1 Deployment web mounts the token of the `default` service account",
            "42: batch/v1 CronJob report mounts the token of the `default` service account",
        ]),
        ("liveness-probe", &["25: container `web` of apps/v1 Deployment web has no `livenessProbe`"]),
        ("readiness-probe", &["25: container `web` of apps/v1 Deployment web has no `readinessProbe`"]),
        ("replicas", &["10: apps/v1 Deployment web has 1 replica and no HorizontalPodAutoscaler"]),
        ("selector-matches", &["12: apps/v1 Deployment web selects pods labelled tier=front, which its template does not label"]),
        ("service-selector", &["53: v1 Service api selects no pod of the release"]),
    ];
    for (check, messages) in expected {
        assert_eq!(
            found.get(*check).map(Vec::as_slice).unwrap_or_default(),
            *messages,
            "{check}"
        );
    }
    // Counted, not listed above: the same containers without a memory
    // request, escalation, a read-only root or dropped capabilities.
    for check in [
        "memory-requests",
        "privilege-escalation",
        "read-only-root-filesystem",
        "capabilities-dropped",
    ] {
        assert_eq!(found[check].len(), 3, "{check}: {:?}", found[check]);
    }
    assert!(!found.contains_key("image-digest"), "off by default");
    assert!(
        !found.contains_key("disruption-budget"),
        "one replica needs none"
    );
    let severity = |check: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == check)
            .map(|f| f["severity"].as_str().unwrap().to_string())
    };
    assert_eq!(severity("privileged").as_deref(), Some("error"));
    assert_eq!(severity("image-tag").as_deref(), Some("warning"));
    assert_eq!(report["errors"], 3);

    let (code, report) = lint_json("policy-passing", MANIFEST, PASSING);
    assert_eq!(code, 0, "{report}");
    assert_eq!(findings(&report), BTreeMap::new());
}

#[test]
fn text_reports_point_at_the_template_line_with_why_and_fix() {
    let dir = package(
        "policy-text",
        &[
            ("package.yaml", MANIFEST.as_bytes()),
            ("templates/objects.yaml", FAILING.as_bytes()),
        ],
    );
    let run = cleat(&["lint", dir.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout,
        "checked 0.1.0: 4 objects, 37 warnings, 3 errors\n"
    );
    assert!(
        run.stderr.contains(
            "error: privileged [harden]: container `web` of apps/v1 Deployment web is privileged
  --> templates/objects.yaml:29:13
    |
 29 |             privileged: true
    |             ^^^^^^^^^^^^^^^^
  hint: A privileged container has every device and capability of the node: it is the node. Remove `securityContext.privileged`, adding only the capabilities it needs.
  hint: if the object must be as it is, annotate it `cleat.dev/exempt-privileged: \"why\"`"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn severities_come_from_package_yaml_and_exemptions_must_say_why() {
    let manifest = format!(
        "{MANIFEST}policy:\n  image-tag: error\n  replicas: off\n  image-digest: warning\n"
    );
    let template = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    cleat.dev/exempt-run-as-non-root: \"the vendor image needs root to bind port 80\"
    cleat.dev/exempt-read-only-root-filesystem: \"\"
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
";
    let dir = package(
        "policy-settings",
        &[
            ("package.yaml", manifest.as_bytes()),
            ("templates/objects.yaml", template.as_bytes()),
        ],
    );
    let run = cleat(&["lint", dir.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("error: image-tag [pin]: container `web` of apps/v1 Deployment web runs image `nginx`, which has no tag\n  --> templates/objects.yaml:15:11"), "{}", run.stderr);
    assert!(run.stderr.contains("warning: image-digest [pin]: container `web` of apps/v1 Deployment web runs image `nginx` without a digest"), "{}", run.stderr);
    assert!(!run.stderr.contains("replicas ["), "{}", run.stderr);
    assert!(!run.stderr.contains("run-as-non-root ["), "{}", run.stderr);
    assert!(
        run.stdout.ends_with("  exempt: run-as-non-root on apps/v1 Deployment web: the vendor image needs root to bind port 80\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("error: `cleat.dev/exempt-read-only-root-filesystem` gives no reason\n  --> templates/objects.yaml:7:5"),
        "{}",
        run.stderr
    );

    // A check the policy does not know, a severity it does not know, and
    // an exemption from no check.
    let manifest = format!("{MANIFEST}policy:\n  image-tags: error\n  replicas: never\n");
    let dir = package(
        "policy-bad-settings",
        &[
            ("package.yaml", manifest.as_bytes()),
            ("templates/objects.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations: {cleat.dev/exempt-memory-limit: \"x\"}\n"),
        ],
    );
    let refused = cleat(&["lint", dir.to_str().unwrap()]).err();
    assert!(refused.contains("error: there is no check `image-tags` (did you mean `image-tag`?)\n  --> package.yaml:5:3"), "{refused}");
    assert!(refused.contains("error: the severity of `replicas` must be `error`, `warning`, `info` or `off`, found `never`\n  --> package.yaml:6:13"), "{refused}");
    let dir = package(
        "policy-bad-exemption",
        &[
            ("package.yaml", MANIFEST.as_bytes()),
            ("templates/objects.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations: {cleat.dev/exempt-memory-limit: \"x\"}\n"),
        ],
    );
    let refused = cleat(&["lint", dir.to_str().unwrap()]).err();
    assert!(refused.contains("error: `cleat.dev/exempt-memory-limit` exempts from no check: there is no check `memory-limit` (did you mean `memory-limits`?)"), "{refused}");
}

#[test]
fn lock_refuses_errors_prints_warnings_and_records_the_policy() {
    let template = "apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 10001}
  containers:
    - name: shell
      image: busybox:1.36.1
      securityContext: {privileged: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}
";
    let dir = package(
        "policy-lock",
        &[
            ("package.yaml", MANIFEST.as_bytes()),
            ("templates/pod.yaml", template.as_bytes()),
        ],
    );
    let project = common::temp_dir("policy-lock-project");
    let release = |policy: &str| {
        format!(
            "releases:\n  - name: debug\n    package: {}\n{policy}",
            dir.display()
        )
    };
    std::fs::write(project.join("cleat.yaml"), release("")).unwrap();
    let refused = common::cleat_in(&project, &["lock"]).err();
    assert!(
        refused.contains("error: privileged [harden]: container `shell` of v1 Pod debug is privileged\n  --> templates/pod.yaml:11:"),
        "{refused}"
    );
    assert!(
        refused.contains("error: release `debug`: cleat's built-in checks found 1 error in its objects\n  hint: fix them, exempt an object with `cleat.dev/exempt-CHECK: \"why\"`, or set the check's severity in `policy:` of the release file (docs/policy.md)"),
        "{refused}"
    );
    assert!(!project.join("cleat.lock").exists(), "nothing is locked");

    // The release file lowers it to a warning: locked, with a summary.
    std::fs::write(
        project.join("cleat.yaml"),
        release("    policy: {privileged: warning}\n"),
    )
    .unwrap();
    let locked = common::cleat_in(&project, &["lock"]);
    assert_eq!(locked.code, 0, "{}", locked.stderr);
    assert!(
        locked.stderr.contains("warning: release `debug`: cleat's built-in checks found 3 warnings: liveness-probe (1), privileged (1), readiness-probe (1)\n"),
        "{}",
        locked.stderr
    );
    let lockfile: serde_json::Value =
        serde_json::from_slice(&std::fs::read(project.join("cleat.lock")).unwrap()).unwrap();
    let digest = lockfile["environments"][0]["releases"][0]["policy"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(digest.starts_with("sha256:"), "{digest}");

    // A changed policy is a change of the lock; a file-wide policy counts.
    std::fs::write(
        project.join("cleat.yaml"),
        format!(
            "policy: {{liveness-probe: off}}\n{}",
            release("    policy: {privileged: warning}\n")
        ),
    )
    .unwrap();
    let check = common::cleat_in(&project, &["lock", "--check"]).err();
    assert!(
        check.contains(&format!("release `debug`: policy: {digest} → sha256:")),
        "{check}"
    );

    // A check the release file names wrong is an error at its line.
    std::fs::write(
        project.join("cleat.yaml"),
        release("    policy: {privilegd: warning}\n"),
    )
    .unwrap();
    let wrong = common::cleat_in(&project, &["lock"]).err();
    assert!(
        wrong.contains("error: there is no check `privilegd` (did you mean `privileged`?)\n  --> cleat.yaml:4:14"),
        "{wrong}"
    );
}

#[test]
fn ndots_is_information_about_pods_that_resolve_external_names() {
    let pod = |dns: &str| {
        format!(
            "apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
{dns}  containers:
    - name: client
      image: client:1.0.0
      env:
        - {{name: CACHE, value: \"redis.cache.svc.cluster.local:6379\"}}
        - {{name: API, value: \"https://api.payments.example.com/v2\"}}
"
        )
    };
    let (code, report) = lint_json("policy-ndots", MANIFEST, &pod(""));
    assert_eq!(code, 0, "information never fails: {report}");
    let ndots: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "ndots")
        .collect();
    assert_eq!(ndots.len(), 1, "{report}");
    assert_eq!(ndots[0]["severity"], "info");
    assert_eq!(ndots[0]["path"], "/spec/containers/0/env/1/value");
    assert_eq!(ndots[0]["at"]["line"], 11);
    assert_eq!(
        ndots[0]["message"],
        "container `client` of v1 Pod client resolves `api.payments.example.com` with the default `ndots: 5`"
    );
    let dir = package(
        "policy-ndots-text",
        &[
            ("package.yaml", MANIFEST.as_bytes()),
            ("templates/objects.yaml", pod("").as_bytes()),
        ],
    );
    let run = cleat(&["lint", dir.to_str().unwrap(), "--policy", "ndots=info"]);
    assert!(
        run.stdout.ends_with(", no errors, 1 for information\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("info: ndots [availability]: container `client` of v1 Pod client resolves `api.payments.example.com` with the default `ndots: 5`\n  --> templates/objects.yaml:11:9\n"),
        "{}",
        run.stderr
    );
    let fixed = pod("  dnsConfig:\n    options: [{name: ndots, value: \"2\"}]\n");
    let (_, report) = lint_json("policy-ndots-fixed", MANIFEST, &fixed);
    assert!(
        !report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["check"] == "ndots"),
        "{report}"
    );
}

/// Two Deployments for the CEL rules: `web` (one replica, tier web) and
/// `worker` (three replicas, no labels but its app).
const DEPLOYMENTS: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {tier: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: \"nginx:1.27.3\"}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  replicas: 3
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers: [{name: worker, image: \"worker:2.0.1\"}]
";

#[test]
fn cel_rules_find_false_expressions_and_refuse_invalid_ones() {
    let dir = package(
        "policy-cel",
        &[
            ("package.yaml", MANIFEST.as_bytes()),
            ("templates/objects.yaml", DEPLOYMENTS.as_bytes()),
        ],
    );
    let rules = common::temp_dir("policy-cel-rules").join("rules.yaml");
    std::fs::write(
        &rules,
        "- name: two-replicas
  match: {kinds: [Deployment]}
  expression: \"object.spec.replicas >= 2\"
  message: Deployments run at least two replicas
- name: web-tier
  match: {labels: {tier: web}}
  expression: \"object.metadata.name.startsWith('web') && release.name == 'checked'\"
- name: team-label
  severity: warning
  expression: \"object.metadata.labels.team == 'shop'\"
",
    )
    .unwrap();
    let run = cleat(&[
        "lint",
        dir.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let found: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["group"] == "rule")
        .map(|f| {
            format!(
                "{} {} {}: {}",
                f["check"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["at"]["line"],
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            // False: the message, at the object.
            "two-replicas error 1: apps/v1 Deployment web: Deployments run at least two replicas",
            // web-tier is true for web and does not match worker: no finding.
            // The expression fails on an object without the label: an error that says why.
            "team-label error 1: apps/v1 Deployment web: the expression `object.metadata.labels.team == 'shop'` cannot be evaluated: No such key: team",
            "team-label error 14: apps/v1 Deployment worker: the expression `object.metadata.labels.team == 'shop'` cannot be evaluated: No such key: labels",
        ]
    );

    // In the release file, under `policy.rules`: lock refuses the error,
    // and an invalid expression is an error at its line of cleat.yaml.
    let project = common::temp_dir("policy-cel-project");
    let release = |rules: &str| {
        format!(
            "releases:\n  - name: checked\n    package: {}\n    policy:\n      replicas: off\n      rules:\n{rules}",
            dir.display()
        )
    };
    std::fs::write(
        project.join("cleat.yaml"),
        release(
            "        - name: two-replicas\n          expression: \"object.spec.replicas >= 2\"\n",
        ),
    )
    .unwrap();
    let refused = common::cleat_in(&project, &["lock"]).err();
    assert!(
        refused.contains("error: two-replicas [rule]: apps/v1 Deployment web: `object.spec.replicas >= 2` is false\n"),
        "{refused}"
    );
    assert!(!refused.contains("Deployment worker"), "{refused}");
    std::fs::write(
        project.join("cleat.yaml"),
        release(
            "        - name: two-replicas\n          expression: \"object.spec.replicas >=\"\n",
        ),
    )
    .unwrap();
    let invalid = common::cleat_in(&project, &["lock"]).err();
    assert!(
        invalid.starts_with("error: the expression of rule `two-replicas` is not valid CEL: Syntax error: mismatched input '<EOF>'"),
        "{invalid}"
    );
    assert!(invalid.contains("  --> cleat.yaml:8:"), "{invalid}");

    // A rules file the release file names, read relative to it: its
    // problems at their lines there.
    std::fs::write(
        project.join("rules.yaml"),
        "- name: two-replicas\n  expression: \"object.spec.replicas >= 2\"\n- name: broken\n  expression: \"object.spec.\"\n",
    )
    .unwrap();
    let with_policy = |policy: &str| {
        format!(
            "releases:\n  - name: checked\n    package: {}\n    policy: {policy}\n",
            dir.display()
        )
    };
    std::fs::write(
        project.join("cleat.yaml"),
        with_policy("{replicas: off, rules: rules.yaml}"),
    )
    .unwrap();
    let from_file = common::cleat_in(&project, &["lock"]).err();
    assert!(
        from_file.starts_with("error: the expression of rule `broken` is not valid CEL:"),
        "{from_file}"
    );
    assert!(from_file.contains("  --> rules.yaml:4:"), "{from_file}");
    std::fs::write(
        project.join("cleat.yaml"),
        with_policy("{rules: no-such.yaml}"),
    )
    .unwrap();
    let missing = common::cleat_in(&project, &["lock"]).err();
    assert!(missing.contains("no-such.yaml"), "{missing}");
    assert!(missing.contains("  --> cleat.yaml:4:"), "{missing}");

    // A true rule locks; its digest is in the lock entry, and a changed
    // rule is a changed lock.
    std::fs::write(
        project.join("cleat.yaml"),
        release(
            "        - name: some-replicas\n          expression: \"object.spec.replicas >= 1\"\n",
        ),
    )
    .unwrap();
    let locked = common::cleat_in(&project, &["lock"]);
    assert_eq!(locked.code, 0, "{}", locked.stderr);
    std::fs::write(
        project.join("cleat.yaml"),
        release(
            "        - name: some-replicas\n          expression: \"object.spec.replicas >= 0\"\n",
        ),
    )
    .unwrap();
    let check = common::cleat_in(&project, &["lock", "--check"]).err();
    assert!(
        check.contains("release `checked`: policy: sha256:"),
        "{check}"
    );

    // An exemption may name a rule.
    let exempt = DEPLOYMENTS.replacen(
        "  labels: {tier: web}\n",
        "  labels: {tier: web}\n  annotations: {cleat.dev/exempt-two-replicas: \"a singleton by design\"}\n",
        1,
    );
    std::fs::write(dir.join("templates/objects.yaml"), exempt).unwrap();
    std::fs::write(
        project.join("cleat.yaml"),
        release(
            "        - name: two-replicas\n          expression: \"object.spec.replicas >= 2\"\n",
        ),
    )
    .unwrap();
    let locked = common::cleat_in(&project, &["lock"]);
    assert_eq!(locked.code, 0, "{}", locked.stderr);
}

#[test]
fn env_secret_finds_secrets_written_as_values() {
    let pod = |db: &str| {
        format!(
            "apiVersion: v1
kind: Pod
metadata:
  name: app
spec:
  containers:
    - name: app
      image: app:1.0.0
      env:
        - name: LOG_LEVEL
          value: debug
{db}"
        )
    };
    let literal = pod("        - name: DB_PASSWORD\n          value: hunter2\n");
    let (_, report) = lint_json("policy-env-secret", MANIFEST, &literal);
    assert_eq!(
        findings(&report)
            .get("env-secret")
            .map(Vec::as_slice)
            .unwrap_or_default(),
        ["13: container `app` of v1 Pod app writes the secret `DB_PASSWORD` as a value"]
    );
    let referenced = pod("        - name: DB_PASSWORD\n          valueFrom: {secretKeyRef: {name: db, key: password}}\n");
    let (_, report) = lint_json("policy-env-secret-ref", MANIFEST, &referenced);
    assert!(!findings(&report).contains_key("env-secret"), "{report}");
}
