//! Helm charts rendered by cleat against the real helm: fixture charts that
//! exercise chart semantics (subcharts as directories and archives, values
//! scoping, globals, aliases, conditions, tags, import-values, a library
//! chart, `.Files`, `.Capabilities`, `.Chart`, `tpl`, hooks, CRDs, YAML 1.1
//! values, `--set` typing) rendered by `helm template` and by `cleat
//! render`, compared as objects; and chart errors, whose messages are
//! checked.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::helm::{helm, objects};
use common::{cleat, cleat_with, temp_dir};

use common::write_files as write;

/// An umbrella chart with a subchart directory, an aliased second copy of
/// it, a disabled one, a tag-controlled one, an archived one and a library.
fn umbrella(name: &str) -> PathBuf {
    let root = temp_dir(name).join("umbrella");
    write(
        &root,
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: umbrella\nversion: 1.2.3\nappVersion: \"4.5\"\ndescription: An umbrella\nkeywords: [a, b]\ndependencies:\n  - name: web\n    version: \">=0.1.0\"\n  - name: web\n    alias: second\n    version: 0.1.x\n  - name: web\n    alias: third\n    version: \"*\"\n    condition: third.enabled\n  - name: web\n    alias: tagged\n    version: 0.1.0\n    tags: [extra]\n  - name: web\n    alias: versionless\n  - name: lib\n    version: 1.0.0\n  - name: packed\n    version: 0.3.0\n    import-values:\n      - child: exported\n        parent: fromPacked\n      - data\n",
            ),
            (
                "values.yaml",
                "global:\n  domain: example.org\n  nested: {a: 1}\nweb:\n  replicas: 2\nsecond:\n  replicas: 5\n  label: yes\nthird:\n  enabled: false\ntags:\n  extra: false\nfromPacked:\n  own: parent\nunset: {drop: me, keep: this}\nfloat: 1e6\noctal: 0755\n",
            ),
            ("files/config.ini", "a=1\nb=2\n"),
            ("files/other.conf", "x y\n"),
            (".helmignore", "*.bak\nprivate/\n/docs/*.md\n"),
            ("files/ignored.bak", "secret\n"),
            ("private/key", "secret\n"),
            ("files/private", "kept: a file, not a directory\n"),
            ("docs/a.md", "ignored at the root\n"),
            ("docs/deeper/b.md", "kept: the rule names one level\n"),
            ("crds/thing.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.example.org\nspec:\n  group: example.org\n  names: {kind: Thing, plural: things}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]\n"),
            (
                "templates/_helpers.tpl",
                "{{- define \"umbrella.name\" -}}{{ .Chart.Name }}-{{ .Release.Name }}{{- end -}}\n{{- define \"web.label\" -}}overridden-by-parent{{- end -}}\n",
            ),
            (
                "templates/config.yaml",
                r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "umbrella.name" . }}
  labels:
    {{- include "lib.labels" . | nindent 4 }}
data:
  chart: {{ printf "%s %s %s %v %v" .Chart.Name .Chart.Version .Chart.AppVersion .Chart.Keywords .Chart.IsRoot | quote }}
  release: {{ printf "%s %s %v %v %v %s" .Release.Name .Release.Namespace .Release.Revision .Release.IsInstall .Release.IsUpgrade .Release.Service | quote }}
  template: {{ printf "%s %s" .Template.Name .Template.BasePath | quote }}
  kube: {{ printf "%s %s %s %v" .Capabilities.KubeVersion.Version .Capabilities.KubeVersion.Major .Capabilities.KubeVersion.Minor (.Capabilities.APIVersions.Has "apps/v1") | quote }}
  extra-api: {{ .Capabilities.APIVersions.Has "example.org/v1" | quote }}
  files: {{ .Files.Get "files/config.ini" | quote }}
  lines: {{ .Files.Lines "files/config.ini" | toJson | quote }}
  glob: {{ range $path, $_ := .Files.Glob "files/*" }}{{ $path }} {{ end }}
  ignored: {{ .Files.Get "files/ignored.bak" | quote }}
  all: {{ range $path, $_ := .Files }}{{ $path }} {{ end }}
  imported: {{ toJson .Values.fromPacked | quote }}
  data: {{ .Values.data | quote }}
  unset: {{ toJson .Values.unset | quote }}
  numbers: {{ printf "%v %v" .Values.float .Values.octal | quote }}
  subcharts: {{ keys .Subcharts | sortAlpha | join "," | quote }}
  tpl: {{ tpl "{{ .Values.global.domain }}/{{ .Release.Name }}" . | quote }}
  set: {{ toJson .Values.cli | quote }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: as-config
data:
  {{- (.Files.Glob "files/*").AsConfig | nindent 2 }}
---
apiVersion: v1
kind: Secret
metadata:
  name: as-secrets
data:
  {{- (.Files.Glob "files/*.ini").AsSecrets | nindent 2 }}
"#,
            ),
            (
                "templates/hooks.yaml",
                "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-weight: \"-5\"\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: busybox}]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: smoke\n  annotations:\n    helm.sh/hook: test\nspec:\n  containers: [{name: t, image: busybox}]\n",
            ),
            ("templates/NOTES.txt", "Installed {{ .Release.Name }}.\n"),
            // The subchart: its own values, the parent's globals.
            ("charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n"),
            ("charts/web/values.yaml", "replicas: 1\nlabel: plain\nglobal:\n  nested: {b: 2}\n"),
            (
                "charts/web/templates/deploy.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}-{{ .Release.Name }}\ndata:\n  replicas: {{ .Values.replicas | quote }}\n  label: {{ .Values.label | quote }}\n  global: {{ toJson .Values.global | quote }}\n  root: {{ .Chart.IsRoot | quote }}\n  template: {{ .Template.Name | quote }}\n  helper: {{ include \"web.label\" . | quote }}\n",
            ),
            ("charts/web/templates/_helpers.tpl", "{{- define \"web.label\" -}}from-web{{- end -}}\n"),
            // A library chart: templates for others, no objects.
            ("charts/lib/Chart.yaml", "apiVersion: v2\nname: lib\nversion: 1.0.0\ntype: library\n"),
            (
                "charts/lib/templates/_labels.tpl",
                "{{- define \"lib.labels\" -}}\napp.kubernetes.io/name: {{ .Chart.Name }}\napp.kubernetes.io/instance: {{ .Release.Name }}\n{{- end -}}\n",
            ),
            ("charts/lib/templates/ignored.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: never}\n"),
        ],
    );
    // A subchart shipped as an archive, as `helm dependency update` leaves it.
    let packed = temp_dir(&format!("{name}-packed")).join("packed");
    write(
        &packed,
        &[
            ("Chart.yaml", "apiVersion: v2\nname: packed\nversion: 0.3.0\n"),
            ("values.yaml", "exported: {fromChild: 1, own: child}\nexports:\n  data: {data: exported-data}\n"),
            ("templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: packed\ndata:\n  values: {{ toJson .Values | quote }}\n"),
        ],
    );
    let status = Command::new(helm())
        .args(["package", "-d"])
        .arg(root.join("charts"))
        .arg(&packed)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    root
}

fn helm_template(chart: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let output = Command::new(helm())
        .args(["template", "rel"])
        .arg(chart)
        .args(["--namespace", "ns", "--kube-version", "1.30.2"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "helm failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    objects(&String::from_utf8_lossy(&output.stdout))
}

fn cleat_render(chart: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let chart = chart.display().to_string();
    let mut all = vec![
        "render",
        chart.as_str(),
        "--release",
        "rel",
        "-n",
        "ns",
        "--kube-version",
        "1.30.2",
    ];
    all.extend(args);
    objects(&cleat(&all).ok())
}

fn assert_same(by_helm: &[serde_json::Value], by_cleat: &[serde_json::Value]) {
    let name = |o: &serde_json::Value| format!("{} {}", o["kind"], o["metadata"]["name"]);
    let helm_names: Vec<String> = by_helm.iter().map(name).collect();
    let cleat_names: Vec<String> = by_cleat.iter().map(name).collect();
    assert_eq!(cleat_names, helm_names);
    for (ours, theirs) in by_cleat.iter().zip(by_helm) {
        assert_eq!(ours, theirs, "{} differs", name(theirs));
    }
}

#[test]
fn an_umbrella_chart_renders_as_helm_renders_it() {
    let chart = umbrella("chart-umbrella");
    // A binary file: Go strings hold any bytes, so b64enc and the digests
    // see the file's own bytes, not replacement characters.
    std::fs::create_dir_all(chart.join("blob")).unwrap();
    std::fs::write(
        chart.join("blob/data.bin"),
        [0x42, 0x5a, 0xff, 0xfe, 0x00, 0x80, 0x0a],
    )
    .unwrap();
    write(
        &chart,
        &[(
            "templates/blob.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: blob\nbinaryData:\n  data.bin: {{ .Files.Get \"blob/data.bin\" | b64enc }}\ndata:\n  sum: {{ .Files.Get \"blob/data.bin\" | sha256sum }}\n  b32: {{ .Files.Get \"blob/data.bin\" | b32enc }}\n  secrets: {{ (.Files.Glob \"blob/*\").AsSecrets | quote }}\n",
        )],
    );
    let flags = [
        "--include-crds",
        "--api-versions",
        "example.org/v1",
        "--set",
        "cli.n=5,cli.zero=007,cli.list={a,true},unset.drop=null,tags.extra=true",
        "--set-string",
        "cli.s=10",
        "--set-json",
        "cli.j={\"k\":[1,2]}",
    ];
    let by_helm = helm_template(&chart, &flags);
    let by_cleat = cleat_render(&chart, &flags);
    // The fixture covers what it claims: the tagged copy is on, the
    // conditioned one off, the library renders nothing, hooks are there.
    let names: Vec<&str> = by_cleat
        .iter()
        .filter_map(|o| o["metadata"]["name"].as_str())
        .collect();
    for expected in [
        "web-rel",
        "second-rel",
        "tagged-rel",
        "packed",
        "migrate",
        "smoke",
        "things.example.org",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    // A dependency without a version matches no chart, as in Helm 4.
    for absent in ["third-rel", "never", "versionless-rel"] {
        assert!(!names.contains(&absent), "{absent} in {names:?}");
    }
    assert_same(&by_helm, &by_cleat);
    // A chart archive renders as its directory does.
    let archive = chart.join("charts/packed-0.3.0.tgz");
    let by_cleat = cleat_render(&archive, &[]);
    assert_eq!(by_cleat.len(), 1);
    assert_same(&helm_template(&archive, &[]), &by_cleat);
}

#[test]
fn hook_and_crd_flags_select_as_helm_template_does() {
    let chart = umbrella("chart-flags");
    for flags in [
        &["--skip-tests"][..],
        &["--no-hooks"],
        &[],
        &["--show-only", "templates/hooks.yaml"],
    ] {
        assert_same(&helm_template(&chart, flags), &cleat_render(&chart, flags));
    }
    // Hooks are marked in the output.
    let chart_arg = chart.display().to_string();
    let text = cleat(&["render", &chart_arg, "--show-only", "templates/hooks.yaml"]).ok();
    assert!(
        text.contains("# Hook: pre-install,pre-upgrade (weight -5)"),
        "{text}"
    );
    assert!(text.contains("# Hook: test (weight 0)"), "{text}");
}

#[test]
fn renders_the_same_bytes_every_time_with_random_functions() {
    let root = temp_dir("chart-random").join("random");
    write(
        &root,
        &[
            ("Chart.yaml", "apiVersion: v2\nname: random\nversion: 0.1.0\n"),
            (
                "templates/secret.yaml",
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: {{ randAlphaNum 24 | quote }}\n  other: {{ randAlphaNum 24 | quote }}\n  uuid: {{ uuidv4 | quote }}\n  auth: {{ htpasswd \"user\" \"pw\" | quote }}\n  hash: {{ bcrypt \"pw\" | quote }}\n  sealed: {{ encryptAES \"k\" \"secret\" | quote }}\n  {{- range until 2 }}\n  loop{{ . }}: {{ randNumeric 6 | quote }}\n  {{- end }}\n",
            ),
        ],
    );
    let chart = root.display().to_string();
    let first = cleat(&["render", &chart, "--release", "a"]);
    // Without a random key the values are stable but anyone can compute
    // them: a warning at the first call that drew one.
    assert!(
        first.stderr.contains("`randAlphaNum` (and any other random function) draws from the release's name and namespace alone")
            && first.stderr.contains("random/templates/secret.yaml:6:")
            && first.stderr.contains("--random-key"),
        "{}",
        first.stderr
    );
    let first = first.ok();
    assert_eq!(cleat(&["render", &chart, "--release", "a"]).ok(), first);
    let keyed = cleat_with(
        &root,
        &[
            "render",
            &chart,
            "--release",
            "a",
            "--random-key",
            "env:KEY",
        ],
        &[("KEY", "0123456789abcdef0123456789abcdef")],
    );
    assert!(!keyed.stderr.contains("warning"), "{}", keyed.stderr);
    assert_ne!(
        objects(&keyed.ok())[0]["stringData"]["password"],
        objects(&first)[0]["stringData"]["password"]
    );
    let object = &objects(&first)[0]["stringData"];
    let text = |k: &str| object[k].as_str().unwrap().to_string();
    assert_eq!(text("password").len(), 24);
    assert!(text("password").chars().all(|c| c.is_ascii_alphanumeric()));
    // Each call site draws its own value, as does each pass of a loop.
    assert_ne!(text("password"), text("other"));
    assert_ne!(text("loop0"), text("loop1"));
    assert_eq!(text("uuid").len(), 36);
    assert_eq!(&text("uuid")[14..15], "4");
    assert!(text("auth").starts_with("user:$2a$10$"), "{}", text("auth"));
    assert!(text("hash").starts_with("$2a$10$") && text("hash").len() == 60);
    assert_eq!(text("sealed").len(), 44, "IV and one block, base64");
    // Another release draws other values.
    let other = cleat(&["render", &chart, "--release", "b"]).ok();
    assert_ne!(
        objects(&other)[0]["stringData"]["password"],
        object["password"]
    );
}

#[test]
fn now_is_the_release_time_not_the_clock() {
    let root = temp_dir("chart-now").join("now");
    write(
        &root,
        &[
            ("Chart.yaml", "apiVersion: v2\nname: now\nversion: 0.1.0\n"),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    rollme: {{ now | date \"2006-01-02T15:04:05Z07:00\" | quote }}\ndata:\n  shown: {{ now | quote }}\n  ago: {{ ago now | quote }}\n",
            ),
        ],
    );
    let chart = root.display().to_string();
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = |run: common::Run| objects(&run.ok())[0].clone();
    let epoch = data(cleat(&["render", &chart]));
    assert_eq!(
        epoch["metadata"]["annotations"]["rollme"],
        "1970-01-01T00:00:00Z"
    );
    assert_eq!(epoch["data"]["shown"], "1970-01-01 00:00:00 +0000 UTC");
    assert_eq!(epoch["data"]["ago"], "0s");
    let pinned = data(cleat_with(
        here,
        &["render", &chart],
        &[("SOURCE_DATE_EPOCH", "1764547200")],
    ));
    assert_eq!(
        pinned["metadata"]["annotations"]["rollme"],
        "2025-12-01T00:00:00Z"
    );
    let bad = cleat_with(
        here,
        &["render", &chart],
        &[("SOURCE_DATE_EPOCH", "yesterday")],
    )
    .err();
    assert!(
        bad.contains(
            "SOURCE_DATE_EPOCH is `yesterday`, expected whole seconds since 1970-01-01T00:00:00Z"
        ),
        "{bad}"
    );
}

#[test]
fn lint_warns_of_values_nothing_declares_and_schema_describes_the_values() {
    let root = temp_dir("chart-lint").join("web");
    write(
        &root,
        &[
            ("Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n- {name: db, version: 1.x, alias: store}\n"),
            ("values.yaml", "image:\n  repository: nginx\n  tag: \"1.25\"\nreplicaCount: 1\npodLabels: {}\n# nodeSelector: {}\nglobal:\n  region: eu\nstore:\n  size: 2\n"),
            ("values.schema.json", "{\"type\": \"object\", \"properties\": {\"fromSchema\": {\"type\": \"string\"}}}"),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  labels: {{ .Values.podLabels | toJson }}\ndata:\n  image: \"{{ .Values.image.repository }}:{{ .Values.image.tagg }}\"\n  again: \"{{ .Values.image.tagg }}\"\n  replicas: \"{{ $.Values.replicaCont }}\"\n  team: {{ .Values.podLabels.team | default \"x\" | quote }}\n  nodes: {{ .Values.nodeSelector | toJson | quote }}\n  schema: {{ .Values.fromSchema | quote }}\n  store: {{ .Values.store.size | quote }}\n",
            ),
            ("charts/db/Chart.yaml", "apiVersion: v2\nname: db\nversion: 1.2.0\n"),
            ("charts/db/values.yaml", "size: 1\n"),
            (
                "charts/db/templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db-{{ .Values.size }}-{{ .Values.global.region }}\ndata:\n  x: {{ .Values.sise | quote }}\n",
            ),
        ],
    );
    let chart = root.display().to_string();
    let run = cleat(&["lint", &chart]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "web 0.1.0 (Helm chart): 2 objects, 3 warnings, no errors\n"
    );
    let warnings = run.stderr;
    assert!(warnings.contains("warning: `.Values.image.tagg`: `image.tagg` is not declared in the values of chart `web`"), "{warnings}");
    assert!(
        warnings.contains("web/templates/cm.yaml:7:45"),
        "{warnings}"
    );
    assert!(warnings.contains("hint: did you mean `tag`?"), "{warnings}");
    assert_eq!(
        warnings.matches("image.tagg").count(),
        3,
        "reported once: {warnings}"
    );
    assert!(
        warnings.contains("`.Values.replicaCont`: `replicaCont` is not declared"),
        "{warnings}"
    );
    assert!(
        warnings.contains("hint: did you mean `replicaCount`?"),
        "{warnings}"
    );
    // The subchart is checked against its own values (and globals), under its alias.
    assert!(
        warnings.contains("`.Values.sise`: `sise` is not declared in the values of chart `store`"),
        "{warnings}"
    );
    assert!(
        warnings.contains("hint: did you mean `size`?"),
        "{warnings}"
    );
    for declared in [
        "podLabels.team",
        "nodeSelector",
        "fromSchema",
        "global.region",
        "store.size",
    ] {
        assert!(
            !warnings.contains(&format!("`.Values.{declared}`")),
            "{declared}: {warnings}"
        );
    }
    // A chart flag on lint works as on render; a package refuses it.
    assert!(cleat(&["lint", &chart, "--set-string", "image.tag=2"])
        .ok()
        .contains("3 warnings"));
    assert!(cleat(&["lint", "packages-example/webapp", "--skip-tests"])
        .err()
        .contains("`--skip-tests` is for Helm charts"));

    // The chart's own schema as it is; without one, what its defaults hold.
    let own: serde_json::Value = serde_json::from_str(&cleat(&["schema", &chart]).ok()).unwrap();
    assert_eq!(own["properties"]["fromSchema"]["type"], "string");
    std::fs::remove_file(root.join("values.schema.json")).unwrap();
    let inferred: serde_json::Value =
        serde_json::from_str(&cleat(&["schema", &chart]).ok()).unwrap();
    assert_eq!(inferred["title"], "Values of web 0.1.0");
    let image = &inferred["properties"]["image"];
    assert_eq!(
        image["properties"]["tag"]["type"],
        serde_json::json!(["string", "null"])
    );
    assert_eq!(
        inferred["properties"]["replicaCount"]["type"],
        serde_json::json!(["integer", "number", "null"])
    );
    assert_eq!(
        inferred["properties"]["store"]["properties"]["size"]["type"],
        serde_json::json!(["integer", "number", "null"])
    );
}

#[test]
fn hostile_charts_are_refused_with_a_message() {
    let root = temp_dir("chart-hostile").join("hostile");
    let chart = root.display().to_string();
    let render = |template: &str, values: &str| {
        write(
            &root,
            &[
                (
                    "Chart.yaml",
                    "apiVersion: v2\nname: hostile\nversion: 0.1.0\n",
                ),
                ("values.yaml", values),
                ("templates/t.yaml", template),
            ],
        );
        cleat(&["render", &chart]).err()
    };
    let cases = [
        (
            "a: 1\n",
            "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
            "values.yaml` expands to more than",
        ),
        (
            "{{ define \"a\" }}{{ include \"a\" . }}{{ end }}{{ include \"a\" . }}",
            "{}",
            "rendering template has a nested reference name: a",
        ),
        (
            "{{ tpl .Values.x . }}",
            "x: \"{{ tpl .Values.x . }}\"\n",
            "exceeded maximum template depth (1000)",
        ),
        (
            "{{ range 100000000000 }}{{ end }}",
            "{}",
            "range over 100000000000: more than 20000000 passes",
        ),
        (
            "{{ range until 100000 }}{{ range until 1000 }}{{ end }}{{ end }}",
            "{}",
            "template runs more than 20000000 steps: a loop that does not end?",
        ),
        (
            "{{ $x := \"0123456789\" }}{{ range until 40 }}{{ $x = printf \"%s%s\" $x $x }}{{ end }}",
            "{}",
            "error calling printf: its result is 40 MiB, more than 32 MiB",
        ),
        (
            "{{ repeat 1000000000 \"abc\" }}",
            "{}",
            "repeat 1000000000 times of 3 bytes is more than 32 MiB",
        ),
        (
            "{{ until 10000000 }}",
            "{}",
            "from 0 to 10000000 by 1 is more than 1000000 numbers",
        ),
    ];
    let deep_ifs = "{{ if true }}".repeat(100_000);
    let deep_parens = format!("{{{{ {}1{} }}}}", "(".repeat(100_000), ")".repeat(100_000));
    let nested = [
        (
            deep_ifs.as_str(),
            "{}",
            "actions nest more than 500 levels deep",
        ),
        (
            deep_parens.as_str(),
            "{}",
            "actions nest more than 500 levels deep",
        ),
    ];
    for (template, values, expected) in cases.into_iter().chain(nested) {
        let error = render(template, values);
        let shown = &template[..template.len().min(80)];
        assert!(error.contains(expected), "{shown}: {error}");
        assert!(!error.contains("panicked"), "{error}");
    }
}

#[test]
fn chart_errors_name_the_file_line_and_fix() {
    let root = temp_dir("chart-errors").join("broken");
    write(
        &root,
        &[
            ("Chart.yaml", "apiVersion: v2\nname: broken\nversion: 0.1.0\n"),
            ("values.yaml", "image: {tag: 1.0}\n"),
            ("values.schema.json", "{\"type\": \"object\", \"properties\": {\"replicas\": {\"type\": \"integer\"}}}"),
            ("templates/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: {{ required \"image.repository is required\" .Values.image.repository }}\n"),
        ],
    );
    let chart = root.display().to_string();
    let error = cleat(&["render", &chart]).err();
    assert!(
        error.contains("error: image.repository is required")
            && error.contains("broken/templates/a.yaml:6:"),
        "{error}"
    );
    let error = cleat(&[
        "render",
        &chart,
        "--set",
        "replicas=many",
        "--set",
        "image.repository=x",
    ])
    .err();
    assert!(
        error.contains("values don't meet the schema of chart `broken`: at `/replicas`: want integer, but got string"),
        "{error}"
    );
    let list = root.parent().unwrap().join("list.yaml");
    std::fs::write(&list, "- a\n- b\n").unwrap();
    let error = cleat(&["render", &chart, "-f", &list.display().to_string()]).err();
    assert!(
        error.contains("holds a list, expected a map of values"),
        "{error}"
    );
    assert!(error.contains("list.yaml:1:1"), "{error}");
    let error = cleat(&["render", &chart, "--release", "Bad_Name"]).err();
    assert!(
        error.contains("error: `Bad_Name` is not a valid Helm release name")
            && error.contains("at most 53 characters (Helm's rule)"),
        "{error}"
    );
    let long = "a".repeat(54);
    assert!(cleat(&["render", &chart, "--release", &long])
        .err()
        .contains("is not a valid Helm release name"));
    let error = cleat(&["render", &chart, "--namespace", "Prod"]).err();
    assert!(
        error.contains("error: `--namespace Prod` is not a valid namespace"),
        "{error}"
    );
    let error = cleat(&["render", &chart, "--set", "novalue"]).err();
    assert!(
        error.contains(
            "error: in `--set novalue`: key `novalue` has no value (write `novalue=VALUE`)"
        ),
        "{error}"
    );
    std::fs::write(root.join("templates/b.yaml"), "{{ if .Values.x }}\n").unwrap();
    let error = cleat(&["render", &chart, "--set", "image.repository=x"]).err();
    assert!(error.contains("broken/templates/b.yaml:1:"), "{error}");
    assert!(error.contains("unexpected EOF"), "{error}");
    std::fs::write(
        root.join("Chart.yaml"),
        "apiVersion: v2\nname: broken\nversion: one\n",
    )
    .unwrap();
    let error = cleat(&["render", &chart]).err();
    assert!(
        error.contains("error: chart version `one` is not a semantic version"),
        "{error}"
    );
    assert!(error.contains("broken/Chart.yaml:3:"), "{error}");
    std::fs::write(
        root.join("Chart.yaml"),
        "apiVersion: v2\nname: broken\nversion: 0.1.0\ndependencies:\n- {name: db, version: 1.x, repository: https://charts.example.org, condition: db.enabled}\n- {name: cache, version: 2.x}\n",
    )
    .unwrap();
    std::fs::remove_file(root.join("templates/b.yaml")).unwrap();
    let error = cleat(&["render", &chart, "--set", "image.repository=x"]).err();
    assert!(
        error.contains("error: chart `broken` lists dependencies that are not in its `charts/` directory: db, cache"),
        "{error}"
    );
    assert!(
        error.contains("hint: put each chart in `charts/`"),
        "{error}"
    );
    assert!(
        cleat(&["render", "packages-example/webapp", "--include-crds"])
            .err()
            .contains("`--include-crds` is for Helm charts")
    );
    let keyed = cleat(&["render", "packages-example/webapp", "--random-key", "env:K"]).err();
    assert!(
        keyed.contains("`--random-key` is for Helm charts")
            && keyed.contains("hint: a cleat package's templates draw nothing at random"),
        "{keyed}"
    );
}

/// The certificate functions of a chart, each kind of key and issuer.
const CERTS_TEMPLATE: &str = r#"{{- $ca := genCA "my-ca" 365 }}
{{- $cert := genSignedCert "svc.example" (list "10.0.0.1" "::1") (list "svc" "svc.ns.svc") 30 $ca }}
{{- $self := genSelfSignedCert "self" (list "127.0.0.1") (list "localhost") 10 }}
{{- $ec := genPrivateKey "ecdsa" }}
{{- $ed := genPrivateKey "ed25519" }}
{{- $caec := genCAWithKey "ec-ca" 5 $ec }}
{{- $leafed := genSignedCertWithKey "ed-leaf" nil nil 3 $caec $ed }}
{{- $custom := buildCustomCert ($self.Cert | b64enc) ($self.Key | b64enc) }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: certs
data:
  ca.crt: {{ $ca.Cert | quote }}
  ca.key: {{ $ca.Key | quote }}
  tls.crt: {{ $cert.Cert | quote }}
  tls.key: {{ $cert.Key | quote }}
  self.crt: {{ $self.Cert | quote }}
  ec.key: {{ $ec | quote }}
  ed.key: {{ $ed | quote }}
  caec.crt: {{ $caec.Cert | quote }}
  leafed.crt: {{ $leafed.Cert | quote }}
  leafed.key: {{ $leafed.Key | quote }}
  unknown: {{ genPrivateKey "foo" | quote }}
  printed: {{ eq (printf "%v" $custom) (printf "{%s %s}" $self.Cert $self.Key) | quote }}
  yaml: {{ keys (fromYaml (toYaml $self)) | sortAlpha | join "," | quote }}
"#;

/// `openssl x509 -text` of a certificate, its random parts (serial, keys,
/// signature, key identifiers) and dates masked.
fn certificate_text(pem: &str) -> String {
    let text = openssl(&["x509", "-noout", "-text"], pem);
    let masks = [
        (r"(Serial Number:\n\s+)[0-9a-f:]+", "${1}SERIAL"),
        (
            r"(Modulus:|pub:|Signature Value:)\n(\s+[0-9a-f:]+\n)+",
            "$1 HEX\n",
        ),
        (r"(Not (Before|After) ?: ).*", "${1}DATE"),
        (r"(Key Identifier: ?\n\s+)[0-9A-F:]+", "${1}ID"),
    ];
    masks.iter().fold(text, |text, (pattern, with)| {
        regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&text, *with)
            .into_owned()
    })
}

/// Runs openssl with `input` on stdin; its stdout.
fn openssl(args: &[&str], input: &str) -> String {
    let output = common::piped(
        Command::new("openssl").args(args),
        input.as_bytes(),
        "openssl runs (scripts/control-plane installs it)",
    );
    assert!(
        output.status.success(),
        "openssl {args:?} failed:\n{}\n{input}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn certificates_are_made_as_helm_makes_them_from_the_release_key_and_time() {
    let dir = temp_dir("chart-certs");
    let root = dir.join("certs");
    write(
        &root,
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: certs\nversion: 0.1.0\n",
            ),
            ("templates/certs.yaml", CERTS_TEMPLATE),
        ],
    );
    std::fs::write(dir.join("key"), "0123456789abcdef0123456789abcdef-one\n").unwrap();
    std::fs::write(dir.join("other"), "0123456789abcdef0123456789abcdef-two\n").unwrap();
    let by_helm = helm_template(&root, &[]);
    let chart = root.display().to_string();
    let render = |key: &str| {
        let key = format!("file:{}", dir.join(key).display());
        let args = ["render", &chart, "--random-key", &key, "--release", "rel"];
        cleat_with(&dir, &args, &[("SOURCE_DATE_EPOCH", "1764547200")]).ok()
    };
    let text = render("key");
    assert_eq!(render("key"), text, "the same key renders the same bytes");
    let by_cleat = objects(&text);
    let (ours, theirs) = (&by_cleat[0]["data"], &by_helm[0]["data"]);
    let field = |data: &serde_json::Value, k: &str| data[k].as_str().unwrap().to_string();
    for name in ["ca.crt", "tls.crt", "self.crt", "caec.crt", "leafed.crt"] {
        assert_eq!(
            certificate_text(&field(ours, name)),
            certificate_text(&field(theirs, name)),
            "{name} differs from helm's"
        );
    }
    for name in ["ca.key", "tls.key", "ec.key", "ed.key", "leafed.key"] {
        let label = |pem: String| pem.lines().next().unwrap_or_default().to_string();
        assert_eq!(
            label(field(ours, name)),
            label(field(theirs, name)),
            "{name}"
        );
        openssl(&["pkey", "-noout", "-check"], &field(ours, name));
    }
    for name in ["unknown", "printed", "yaml"] {
        assert_eq!(ours[name], theirs[name], "{name}");
    }
    assert_eq!(ours["yaml"], "Cert,Key");
    // Valid from the release's time, and each chain verifies.
    assert!(certificate_text(&field(ours, "ca.crt")).contains("Issuer: CN = my-ca"));
    let dates = openssl(&["x509", "-noout", "-dates"], &field(ours, "ca.crt"));
    assert!(
        dates.contains("notBefore=Dec  1 00:00:00 2025 GMT"),
        "{dates}"
    );
    assert!(
        dates.contains("notAfter=Dec  1 00:00:00 2026 GMT"),
        "{dates}"
    );
    for (leaf, ca) in [("tls.crt", "ca.crt"), ("leafed.crt", "caec.crt")] {
        let ca_file = dir.join(ca);
        std::fs::write(&ca_file, field(ours, ca)).unwrap();
        let ca_file = ca_file.display().to_string();
        let verify = ["verify", "-attime", "1764550000", "-CAfile", &ca_file];
        assert!(openssl(&verify, &field(ours, leaf)).contains("OK"));
    }
    // Another key, other keys.
    let other = objects(&render("other"));
    assert_ne!(other[0]["data"]["ca.key"], ours["ca.key"]);
    // helm's keys and certificates read by cleat: a leaf signed by helm's
    // CA with helm's Ed25519 key, which openssl verifies against it.
    let values = serde_json::json!({"ca": {"Cert": field(theirs, "ca.crt"), "Key": field(theirs, "ca.key")},
        "ec": field(theirs, "ec.key"), "ed": field(theirs, "ed.key"), "self": field(theirs, "self.crt")});
    let with_helm = dir.join("with-helm");
    write(
        &with_helm,
        &[
            ("Chart.yaml", "apiVersion: v2\nname: with-helm\nversion: 0.1.0\n"),
            ("values.yaml", &values.to_string()),
            (
                "templates/cm.yaml",
                "{{- $ca := buildCustomCert (.Values.ca.Cert | b64enc) (.Values.ca.Key | b64enc) }}\n{{- $leaf := genSignedCertWithKey \"leaf\" nil (list \"leaf.ns.svc\") 30 $ca .Values.ed }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaf\ndata:\n  leaf.crt: {{ $leaf.Cert | quote }}\n  ec: {{ (buildCustomCert (.Values.self | b64enc) (.Values.ec | b64enc)).Key | quote }}\n",
            ),
        ],
    );
    let chart = with_helm.display().to_string();
    let args = ["render", &chart, "--release", "rel"];
    // Valid from now, as helm's CA is.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let leaf = objects(&cleat_with(&dir, &args, &[("SOURCE_DATE_EPOCH", &now)]).ok());
    assert_eq!(leaf[0]["data"]["ec"], theirs["ec.key"]);
    let helm_ca = dir.join("helm-ca.crt");
    std::fs::write(&helm_ca, field(theirs, "ca.crt")).unwrap();
    let helm_ca = helm_ca.display().to_string();
    let verify = ["verify", "-CAfile", &helm_ca];
    assert!(openssl(&verify, &field(&leaf[0]["data"], "leaf.crt")).contains("OK"));
}

#[test]
fn key_and_certificate_functions_refuse_a_public_seed_or_no_time() {
    let dir = temp_dir("chart-cert-errors");
    let chart = |name: &str, template: &str| {
        let root = dir.join(name);
        write(
            &root,
            &[
                (
                    "Chart.yaml",
                    &format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n"),
                ),
                ("templates/cm.yaml", template),
            ],
        );
        root.display().to_string()
    };
    std::fs::write(dir.join("key"), "0123456789abcdef0123456789abcdef\n").unwrap();
    let key = format!("file:{}", dir.join("key").display());
    let time = [("SOURCE_DATE_EPOCH", "1764547200")];
    let ca = chart("ca", "data: {{ (genCA \"x\" 1).Cert }}\n");
    let no_key = cleat_with(&dir, &["render", &ca], &time).err();
    assert!(
        no_key.contains("error calling genCA: the seed of random values is not secret, so anyone could compute this private key; pass `--random-key file:PATH`")
            && no_key.contains("ca/templates/cm.yaml:1:"),
        "{no_key}"
    );
    let no_time = cleat_with(&dir, &["render", &ca, "--random-key", &key], &[]).err();
    assert!(
        no_time.contains("certificates start at the release's time, and this release has none (it is 1970-01-01)")
            && no_time.contains("SOURCE_DATE_EPOCH"),
        "{no_time}"
    );
    let short = cleat_with(
        &dir,
        &["render", &ca, "--random-key", "env:SHORT"],
        &[("SHORT", "abc")],
    )
    .err();
    assert!(
        short.contains("the random key from `env:SHORT` has 3 characters, fewer than 32")
            && short.contains("openssl rand -hex 32"),
        "{short}"
    );
    let unset = cleat_with(
        &dir,
        &["render", &ca, "--random-key", "env:CLEAT_TEST_UNSET"],
        &[],
    )
    .err();
    assert!(
        unset.contains("environment variable `CLEAT_TEST_UNSET`, which is not set"),
        "{unset}"
    );
    let bare = cleat_with(&dir, &["render", &ca, "--random-key", "secret"], &[]).err();
    assert!(
        bare.contains("`--random-key secret` names no source"),
        "{bare}"
    );
    // Bad input to the functions fails as in helm, with helm's words.
    for (name, template, message) in [
        ("badkey", "data: {{ genCAWithKey \"x\" 1 \"not a key\" }}\n", "error calling genCAWithKey: parsing private key: no PEM data in input"),
        ("badb64", "data: {{ buildCustomCert \"@@\" \"@@\" }}\n", "error calling buildCustomCert: unable to decode base64 certificate"),
        ("dsa", "data: {{ genSelfSignedCertWithKey \"x\" nil nil 1 (genPrivateKey \"dsa\") }}\n", "error calling genSelfSignedCertWithKey: error creating certificate: x509: certificate private key does not implement crypto.Signer"),
        ("badip", "data: {{ genSelfSignedCertWithKey \"x\" (list \"10.0.0.300\") nil 1 (genPrivateKey \"ed25519\") }}\n", "error calling genSelfSignedCertWithKey: error parsing ip: 10.0.0.300"),
    ] {
        let root = chart(name, template);
        let by_helm = Command::new(helm()).args(["template", "rel"]).arg(&root).output().unwrap();
        let helm_err = String::from_utf8_lossy(&by_helm.stderr);
        assert!(helm_err.contains(message), "helm says: {helm_err}");
        let ours = cleat_with(&dir, &["render", &root, "--random-key", &key], &time).err();
        assert!(ours.contains(message) && ours.contains(&format!("{name}/templates/cm.yaml:1:")), "{ours}");
    }
}

/// cleat executes templates side by side; one that writes into values the
/// others share (`set .Values`, `set $`) makes them run again in Helm's
/// order, so each sees what it sees in Helm.
#[test]
fn templates_that_write_shared_values_see_what_they_see_in_helm() {
    let root = temp_dir("chart-shared-writes").join("writes");
    let config = |name: &str, body: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n{body}")
    };
    let a = config(
        "a",
        "  fromB: {{ .Values.written | default \"unset\" | quote }}\n  top: {{ $.Top | default \"unset\" | quote }}\n  sub: {{ .Values.sub.mark | default \"unset\" | quote }}\n",
    );
    let b = format!(
        "{{{{- $_ := set .Values \"written\" \"by b\" }}}}\n{{{{- $_ := set $ \"Top\" \"by b\" }}}}\n{}",
        config("b", "  seen: {{ .Values.written | quote }}\n")
    );
    let c = config(
        "c",
        "  fromB: {{ .Values.written | default \"unset\" | quote }}\n",
    );
    write(
        &root,
        &[
            ("Chart.yaml", "apiVersion: v2\nname: writes\nversion: 0.1.0\n"),
            ("values.yaml", "sub: {}\n"),
            ("templates/a.yaml", &a),
            ("templates/b.yaml", &b),
            ("templates/c.yaml", &c),
            ("charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"),
            (
                "charts/sub/templates/s.yaml",
                "{{- $_ := set .Values \"mark\" \"by the subchart\" }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n",
            ),
        ],
    );
    let by_helm = helm_template(&root, &[]);
    assert_same(&by_helm, &cleat_render(&root, &[]));
    // Helm's order (deepest first, then names in reverse): s, c, b, a.
    let a = by_helm
        .iter()
        .find(|o| o["metadata"]["name"] == "a")
        .unwrap();
    assert_eq!(a["data"]["fromB"], "by b");
    assert_eq!(a["data"]["top"], "by b");
    assert_eq!(a["data"]["sub"], "by the subchart");
    let c = by_helm
        .iter()
        .find(|o| o["metadata"]["name"] == "c")
        .unwrap();
    assert_eq!(c["data"]["fromB"], "unset");
}
