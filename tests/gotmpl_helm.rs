//! The Go template engine (crates/gotmpl) against the real helm: a chart
//! of fixture templates that use only Go's language and built-ins, rendered
//! by `helm template` and by the engine with the same data, compared as
//! objects. Helm reads values as JSON (numbers are float64) and blanks
//! `<no value>`; the engine's side does the same.

mod common;

use std::process::Command;

use common::helm::{assert_same, helm, render_both};
use gotmpl::{Templates, Value};

const VALUES: &str = "name: web
replicas: 3
big: 1000000
ratio: 1.5
tiny: 0.00001
enabled: true
off: false
empty: \"\"
list: [a, b, c]
numbers: [1, 2, 3]
map: {beta: 2, alpha: 1, zed: {deep: true}}
nested: {inner: {v: deep}}
nothing: null
";

/// Fixture templates: each a ConfigMap whose values are what one feature renders.
const TEMPLATES: [(&str, &str); 6] = [
    (
        "values.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: values
data:
  name: {{ printf "%q" (print .Values.name) }}
  replicas: {{ printf "%q" (print .Values.replicas) }}
  big: {{ printf "%q" (print .Values.big) }}
  ratio: {{ printf "%q" (print .Values.ratio) }}
  tiny: {{ printf "%q" (print .Values.tiny) }}
  list: {{ printf "%q" (print .Values.list) }}
  map: {{ printf "%q" (print .Values.map) }}
  missing: "{{ .Values.missing }}"
  nothing: "{{ .Values.nothing }}"
  release: {{ printf "%q" (print .Release.Name "/" .Release.Namespace) }}
  chart: {{ printf "%q" .Chart.Name }}
  dollar: {{ printf "%q" (print $.Values.name) }}
"#,
    ),
    (
        "control.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: control
data:
  if: "{{ if .Values.enabled }}yes{{ else }}no{{ end }}"
  elseif: "{{ if .Values.off }}a{{ else if .Values.empty }}b{{ else if .Values.name }}c{{ end }}"
  with: "{{ with .Values.nested.inner }}{{ .v }}{{ end }}"
  elsewith: "{{ with .Values.missing }}x{{ else with .Values.name }}{{ . }}{{ else }}none{{ end }}"
  range: "{{ range $i, $v := .Values.list }}{{ $i }}{{ $v }}{{ end }}"
  rangemap: "{{ range $k, $v := .Values.map }}{{ $k }}{{ end }}"
  rangeint: "{{ range 4 }}{{ . }}{{ end }}"
  rangeelse: "{{ range .Values.missing }}x{{ else }}empty{{ end }}"
  break: "{{ range .Values.list }}{{ if eq . "c" }}{{ break }}{{ end }}{{ . }}{{ end }}"
  continue: "{{ range .Values.list }}{{ if eq . "a" }}{{ continue }}{{ end }}{{ . }}{{ end }}"
  vars: "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}"
  trim: "a {{- " b " -}} c"
  comment: "a{{/* hidden */}}b"
{{- define "conformance.item" }}[{{ . }}]{{ end }}
  define: "{{ template "conformance.item" .Values.name }}"
  block: "{{ block "conformance.block" .Values.replicas }}<{{ . }}>{{ end }}"
"#,
    ),
    (
        "builtins.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: builtins
data:
  and: {{ printf "%q" (print (and 1 0 2) (and 1 2)) }}
  or: {{ printf "%q" (print (or 0 "" "x") (or 0 false)) }}
  not: {{ printf "%q" (print (not .Values.enabled) (not "")) }}
  len: {{ printf "%q" (print (len .Values.list) (len .Values.name) (len .Values.map)) }}
  index: {{ printf "%q" (print (index .Values.list 1) (index .Values.map "zed" "deep")) }}
  eq: {{ printf "%q" (print (eq .Values.name "api" "web") (eq 1 1) (ne "a" "b")) }}
  order: {{ printf "%q" (print (lt 1 2) (le 2 2) (gt "b" "a") (ge 1.5 .Values.ratio)) }}
  print: {{ printf "%q" (print 1 2 "a" 3 true) }}
  println: {{ printf "%q" (println 1 "a" .Values.list) }}
  nilcmp: {{ printf "%q" (print (eq .Values.missing "x")) }}
"#,
    ),
    (
        "printf.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: printf
data:
  basic: {{ printf "%q" (printf "%s-%d-%v-%t" .Values.name 42 .Values.list .Values.enabled) }}
  float: {{ printf "%q" (printf "%f|%.2f|%e|%g|%v" .Values.ratio .Values.ratio .Values.big .Values.tiny .Values.big) }}
  width: {{ printf "%q" (printf "[%5s][%-5s][%05d][%x][%X][%o][%+d]" "ab" "ab" 42 255 255 8 5) }}
  quoted: {{ printf "%q" (printf "%q" "say \"hi\"") }}
  bad: {{ printf "%q" (printf "%d %s" "x") }}
  extra: {{ printf "%q" (printf "a" 1 "b") }}
  char: {{ printf "%q" (printf "%c%c" 104 105) }}
"#,
    ),
    (
        "escapes.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: escapes
data:
  html: {{ printf "%q" (html "<a href='x'>&\"</a>") }}
  js: {{ printf "%q" (js "it's \"<b>\" & a=b\\") }}
  urlquery: {{ printf "%q" (urlquery "a b&c=d/é~") }}
  slice: {{ printf "%q" (print (slice .Values.list 1) (slice .Values.list 0 1)) }}
  args: {{ printf "%q" (html 1 "<" 2) }}
"#,
    ),
    (
        "numbers.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: numbers
data:
  literals: {{ printf "%q" (print 0x1F 1_000 -2 1.5 1e3 'a') }}
  floats: {{ printf "%q" (print 100000.0 1234567.0 0.0001 123456.7) }}
"#,
    ),
];

#[test]
fn the_engine_renders_what_helm_renders() {
    let (by_helm, by_engine) = render_both("conformance", VALUES, &TEMPLATES, |_| {});
    assert_same(&by_helm, &by_engine);
}

/// Errors helm reports while executing, with their place and wording.
#[test]
fn execution_errors_read_as_helm_reports_them() {
    let cases = [
        "kind: A\nvalue: {{ .Values.missing.deeper }}\n",
        "kind: A\nvalue: {{ index .Values.list 5 }}\n",
        "kind: A\nvalue: {{ eq .Values.count 1 }}\n",
        "kind: A\n{{ range .Values.count }}{{ end }}\n",
        "kind: A\nvalue: {{ .Values.name.inner }}\n",
    ];
    for (index, template) in cases.iter().enumerate() {
        let chart = common::temp_dir("gotmpl-errors").join("errors");
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::write(
            chart.join("Chart.yaml"),
            "apiVersion: v2\nname: errors\nversion: 0.1.0\n",
        )
        .unwrap();
        let values = "list: [a]\ncount: 1.5\nname: web\n";
        std::fs::write(chart.join("values.yaml"), values).unwrap();
        std::fs::write(chart.join("templates/t.yaml"), template).unwrap();
        let output = Command::new(helm())
            .args(["template", "rel", &chart.display().to_string()])
            .output()
            .expect("helm runs");
        // Helm 4 writes some of Go's errors over three lines; joined, they
        // are Go's one-line error.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr
            .lines()
            .take_while(|l| !l.is_empty())
            .map(str::trim)
            .collect();
        let by_helm = match lines.as_slice() {
            [place, executing, message] => format!(
                "template: {}: {executing} {message}",
                place.trim_start_matches("Error: ")
            ),
            [one] => one.trim_start_matches("Error: ").to_string(),
            other => panic!("case {index}: helm said {other:?}"),
        };

        let parsed = cleat::shared::yaml::parse_document(&cleat::shared::diagnostics::Source::new(
            "v", values,
        ))
        .unwrap()
        .to_json();
        let root = Value::map([("Values", sprig::helm::from_json(&parsed))]);
        let mut set = Templates::new();
        set.parse("errors/templates/t.yaml", *template).unwrap();
        let by_engine = set
            .execute("errors/templates/t.yaml", &root)
            .unwrap_err()
            .to_string();
        assert_eq!(by_engine, by_helm, "case {index}: {template}");
    }
}
