//! The language, case by case, with what Go's text/template gives.

use gotmpl::{Templates, Value};

fn render(text: &str, data: &Value) -> String {
    let mut set = Templates::new();
    set.parse("t", text).unwrap_or_else(|e| panic!("{e}"));
    set.execute("t", data).unwrap_or_else(|e| panic!("{e}"))
}

fn data() -> Value {
    Value::map([
        ("name", Value::from("web")),
        ("replicas", Value::Float(3.0)),
        ("big", Value::Float(1_000_000.0)),
        ("on", Value::Bool(true)),
        ("empty", Value::from("")),
        (
            "list",
            Value::List(vec![Value::from("a"), Value::from("b")]),
        ),
        (
            "map",
            Value::map([("y", Value::Int(2)), ("x", Value::Int(1))]),
        ),
        (
            "nested",
            Value::map([("inner", Value::map([("v", Value::from("deep"))]))]),
        ),
    ])
}

#[test]
fn actions_fields_variables_and_printing() {
    let cases = [
        ("{{ .name }}", "web"),
        ("{{ .replicas }} {{ .big }}", "3 1e+06"),
        ("{{ .missing }}", "<no value>"),
        ("{{ .nested.inner.v }}", "deep"),
        ("{{ $x := .name }}{{ $x }}-{{ $ }}", "web-map[big:1e+06 empty: list:[a b] map:map[x:1 y:2] name:web nested:map[inner:map[v:deep]] on:true replicas:3]"),
        ("{{ .list }} {{ .map }}", "[a b] map[x:1 y:2]"),
        ("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", "2"),
        ("a {{- \" b \" -}} c", "a b c"),
        ("a  {{- /* gone */ -}}  c", "ac"),
        ("{{ `raw\\n` }}|{{ \"esc\\n\" }}", "raw\\n|esc\n"),
        ("{{ 'a' }} {{ 0x1F }} {{ 1_000 }} {{ -2 }} {{ 1.5 }} {{ 1e3 }}", "97 31 1000 -2 1.5 1000"),
        ("{{ (.nested.inner).v }}", "deep"),
        ("{{ \"plain\" }}|{{ \"a\\tb\" }}|{{ \"tail\\\"\" }}", "plain|a\tb|tail\""),
        // Names are Unicode letters, digits and `_`, as in Go.
        ("{{ $ünï := 1 }}{{ $ünï }} {{ $aü_b2 := 2 }}{{ $aü_b2 }}", "1 2"),
    ];
    for (text, expected) in cases {
        assert_eq!(render(text, &data()), expected, "{text}");
    }
}

#[test]
fn control_structures() {
    let cases = [
        ("{{ if .on }}yes{{ else }}no{{ end }}", "yes"),
        (
            "{{ if .empty }}a{{ else if .missing }}b{{ else }}c{{ end }}",
            "c",
        ),
        ("{{ with .nested.inner }}{{ .v }}{{ end }}", "deep"),
        (
            "{{ with .missing }}x{{ else with .name }}{{ . }}{{ else }}none{{ end }}",
            "web",
        ),
        (
            "{{ range $i, $v := .list }}{{ $i }}={{ $v }};{{ end }}",
            "0=a;1=b;",
        ),
        (
            "{{ range $k, $v := .map }}{{ $k }}{{ $v }}{{ end }}",
            "x1y2",
        ),
        ("{{ range .missing }}x{{ else }}empty{{ end }}", "empty"),
        ("{{ range 3 }}{{ . }}{{ end }}", "012"),
        ("{{ range -3 }}{{ . }}{{ else }}none{{ end }}", "none"),
        (
            "{{ range $i, $v := .list }}{{ if eq $v \"b\" }}{{ break }}{{ end }}{{ $v }}{{ end }}",
            "a",
        ),
        (
            "{{ range .list }}{{ if eq . \"a\" }}{{ continue }}{{ end }}{{ . }}{{ end }}",
            "b",
        ),
        (
            "{{ define \"x\" }}[{{ . }}]{{ end }}{{ template \"x\" .name }}",
            "[web]",
        ),
        ("{{ block \"b\" .name }}<{{ . }}>{{ end }}", "<web>"),
    ];
    for (text, expected) in cases {
        assert_eq!(render(text, &data()), expected, "{text}");
    }
}

#[test]
fn builtins() {
    let cases = [
        (
            "{{ and 1 0 2 }} {{ or 0 \"\" \"x\" }} {{ not .on }}",
            "0 x false",
        ),
        (
            "{{ len .list }} {{ len .name }} {{ index .list 1 }} {{ index .map \"y\" }}",
            "2 3 b 2",
        ),
        (
            "{{ eq .name \"web\" \"api\" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ ge \"b\" \"a\" }}",
            "true true true true",
        ),
        (
            "{{ print 1 2 \"a\" 3 }}|{{ println 1 \"a\" }}",
            "1 2a3|1 a\n",
        ),
        (
            "{{ printf \"%s-%d-%v-%q-%05.1f|%-4s|%x\" .name 42 .on \"q\" 3.14159 \"ab\" 255 }}",
            "web-42-true-\"q\"-003.1|ab  |ff",
        ),
        (
            "{{ printf \"%d\" .name }} {{ printf \"%s\" }} {{ printf \"a\" 1 }}",
            "%!d(string=web) %!s(MISSING) a%!(EXTRA int=1)",
        ),
        ("{{ .name | printf \"%s!\" }}", "web!"),
        ("{{ slice \"abcdef\" 1 3 }} {{ slice .list 1 }} {{ html \"<&>\" }} {{ urlquery \"a b\" }}", "bc [b] &lt;&amp;&gt; a+b"),
    ];
    for (text, expected) in cases {
        assert_eq!(render(text, &data()), expected, "{text}");
    }
}

/// Columns are 0-based in messages, as Go prints them.
#[test]
fn errors_name_the_template_line_and_column() {
    let mut set = Templates::new();
    let err = set.parse("t", "a\n{{ if .x }}\nb").unwrap_err();
    assert_eq!(
        err.to_string(),
        "template: t:2:3: unexpected EOF: {{if}} has no {{end}}"
    );
    let err = set.parse("t", "{{ nope 1 }}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "template: t:1:3: function \"nope\" not defined"
    );
    let err = set.parse("t", "{{ \"ab\ncd\" }}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "template: t:1:3: unterminated quoted string"
    );
    let err = set.parse("t", "{{ $y }}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "template: t:1:3: undefined variable \"$y\""
    );
    set.parse("t", "line\n  {{ .a.b }}").unwrap();
    let err = set.execute("t", &Value::map([])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "template: t:2:7: executing \"t\" at <.a.b>: nil pointer evaluating interface {}.b"
    );
    set.parse("t", "{{ eq 1 1.0 }}").unwrap();
    let err = set.execute("t", &Value::Nil).unwrap_err();
    assert_eq!(
        err.to_string(),
        "template: t:1:3: executing \"t\" at <eq 1 1.0>: error calling eq: incompatible types for comparison: int and float64"
    );
}
