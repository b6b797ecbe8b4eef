//! The sprig functions (crates/sprig) against the real helm: a fixture
//! chart calling each, rendered by `helm template` and by the engine with
//! the functions, compared as objects.

mod common;

use common::helm::{assert_same, render_both};

const VALUES: &str = "name: My web-app
count: 3
ratio: 2.7
text: \"  padded  \"
list: [b, a, c, a]
empty: \"\"
zero: 0
map: {beta: 2, alpha: 1}
lines: \"one\\ntwo\"
";

const TEMPLATES: [(&str, &str); 11] = [
    (
        "strings.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: strings
data:
  case: {{ printf "%q" (print (upper .Values.name) "|" (lower .Values.name) "|" (title "hello wide world")) }}
  trim: {{ printf "%q" (print (trim .Values.text) "|" (trimAll "-x" "x-a-x") "|" (trimPrefix "My " .Values.name) "|" (trimSuffix "-app" .Values.name)) }}
  tests: {{ printf "%q" (print (contains "web" .Values.name) (hasPrefix "My" .Values.name) (hasSuffix "x" .Values.name)) }}
  replace: {{ printf "%q" (replace "-" "_" .Values.name) }}
  repeat: {{ printf "%q" (repeat 3 "ab") }}
  substr: {{ printf "%q" (print (substr 0 2 "hello") "|" (substr 2 99 "hello") "|" (substr -1 3 "hello")) }}
  trunc: {{ printf "%q" (print (trunc 3 "hello") "|" (trunc -2 "hello") "|" (trunc 9 "hi")) }}
  indent: {{ printf "%q" (indent 2 .Values.lines) }}
  nindent: {{ printf "%q" (nindent 4 .Values.lines) }}
  quote: {{ printf "%q" (print (quote .Values.name 3 .Values.missing) "|" (squote .Values.count) "|" (cat "a" 1 .Values.missing "b")) }}
  join: {{ printf "%q" (print (join "," .Values.list) "|" (join "-" (list 1 2.5 true))) }}
  split: {{ printf "%q" (print (splitList "," "a,b,c") (split "," "x,y")) }}
  tostring: {{ printf "%q" (print (toString .Values.count) (toString .Values.list)) }}
  misc: {{ printf "%q" (print (nospace " a b\tc ") (plural "one" "many" 1) (plural "one" "many" (int .Values.count)) (toStrings (list 1 true "x"))) }}
  ranges: {{ printf "%q" (print (until 3) (until -2) (untilStep 1 10 3) (untilStep 5 0 -2) (untilStep 0 5 0)) }}
  types: {{ printf "%q" (print (typeOf .Values.count) (typeOf 1) (typeOf .Values.list) (typeOf .Values.map) (typeOf .Values.missing) (typeOf "s")) }}
  kinds: {{ printf "%q" (print (kindOf .Values.list) (kindOf .Values.map) (kindOf .Values.missing) (kindIs "string" .Values.name) (typeIs "float64" .Values.count)) }}
"#,
    ),
    (
        "more-strings.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: more-strings
data:
  abbrev: {{ printf "%q" (print (abbrev 5 "hello world") "|" (abbrev 3 "hello") "|" (abbrev 20 "short")) }}
  abbrevboth: {{ printf "%q" (print (abbrevboth 5 10 "1234 5678 9123") "|" (abbrevboth 0 6 "abcdefghij") "|" (abbrevboth 2 5 "abcdefghij") "|" (abbrevboth 10 8 "abcdefghijklmnop")) }}
  words: {{ printf "%q" (print (initials "First Try  here") "|" (untitle "Hello World") "|" (swapcase "This Is A.Test ok")) }}
  wrap: {{ printf "%q" (print (wrap 5 "Hello World and more words") "|" (wrapWith 5 "\t" "Hello Worldwide") "|" (wrap 3 "abcdefgh ij")) }}
  camel: {{ printf "%q" (print (camelcase "http_server") (camelcase "_complex__case_") (camelcase "some words") (camelcase "a") (camelcase "__")) }}
  snake: {{ printf "%q" (print (snakecase "FirstName") " " (snakecase "HTTPServer") " " (snakecase "NoHTTPS") " " (snakecase "GO PATH") " " (snakecase "HTTP20xOK") " " (snakecase "Bld4Floor3rd") " " (snakecase "already_snake_2") " " (snakecase "a.b-C")) }}
  kebab: {{ printf "%q" (print (kebabcase "FirstName") " " (kebabcase "GO_PATH") " " (kebabcase "http2xx") " " (kebabcase "Duration2m3s")) }}
  splitn: {{ printf "%q" (print (splitn "," 2 "a,b,c") (splitn "," -1 "x,y") (splitn "," 0 "x,y")) }}
  quotemeta: {{ printf "%q" (regexQuoteMeta "1.5-2.0?[a]{b}^$|(c)*+\\") }}
  trimall: {{ printf "%q" (trimall "$" "$5.00$") }}
  digests: {{ printf "%q" (print (sha1sum "abc") " " (sha512sum "abc") " " (adler32sum "Wikipedia") " " (adler32sum "")) }}
  base32: {{ printf "%q" (print (b32enc "") "|" (b32enc "f") "|" (b32enc "foob") "|" (b32enc "foobar") "|" (b32dec "MZXW6YQ=") "|" (b32dec "MZXW6YTBOI======")) }}
  paths: {{ printf "%q" (print (base "/a/b/") " " (base "") " " (dir "/a/b") " " (dir "b") " " (clean "/../a//b/./c/") " " (clean "a/../..") " " (ext "a/b.tar.gz") " " (isAbs "/x") (isAbs "x") " " (osBase "a/b.txt") " " (osDir "a/b") " " (osClean "a//b") " " (osExt "x.y") (osIsAbs "/")) }}
  url: {{ printf "%q" (print (urlParse "https://user:pw@example.com:8443/a/b?x=1&y=2#frag") "|" (urlParse "mailto:someone@example.com") "|" (urlParse "/relative/path?q")) }}
  urljoin: {{ printf "%q" (print (urlJoin (dict "scheme" "https" "host" "example.com" "path" "/p" "query" "a=1" "fragment" "f")) "|" (urlJoin (urlParse "https://u@h:1/x?y#z"))) }}
  misc: {{ printf "%q" (print (seq 3) " " (seq 2 5) " " (seq 5 2) " " (seq 0 2 7) " " (seq 7 -2 0) " " (seq 7 2 0) " " (seq) " " (seq -1)) }}
  numbers: {{ printf "%q" (print (toDecimal "0777") " " (toDecimal 17) " " (toDecimal "9") " " (add1f 1.5) " " (biggest 1 5 3) " " (all 1 "a" true) (all 1 "" true) " " (any 0 "" false) (any 0 "x")) }}
  passwords: {{ printf "%q" (print (derivePassword 1 "long" "password" "user" "example.com") " " (derivePassword 2 "maximum" "password" "user" "example.com") " " (derivePassword 1 "medium" "p" "u" "s") " " (derivePassword 1 "short" "p" "u" "s") " " (derivePassword 1 "basic" "p" "u" "s") " " (derivePassword 1 "pin" "p" "u" "s") " " (derivePassword 1 "nope" "p" "u" "s")) }}
  types: {{ printf "%q" (print (typeIsLike "int" .Values.count) (typeIsLike "float64" .Values.count) (typeIsLike "string" "s") (deepEqual (list 1 2) (list 1 2)) (deepEqual (dict "a" 1) (dict "a" 2)) (tuple 1 "a")) }}
"#,
    ),
    (
        "dates.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: dates
data:
  date: {{ printf "%q" (date "Mon Jan _2 15:04:05 MST 2006 | 3:04PM | 002 | -07:00 | Z07:00 | .000" 1257894000) }}
  zones: {{ printf "%q" (print (dateInZone "2006-01-02T15:04:05Z07:00" 1257894000 "UTC") " " (htmlDate 1257894000) " " (htmlDateInZone 1257894000 "UTC") " " (date_in_zone "Jan 2" 0 "UTC")) }}
  parsed: {{ printf "%q" (print (toDate "2006-01-02" "2017-12-31") "|" (toDate "2006-01-02T15:04:05Z07:00" "2009-11-10T23:00:00+02:00" | unixEpoch) "|" (toDate "02 Jan 06 15:04 MST" "10 Nov 09 23:00 UTC" | date "2006-01-02 15:04") "|" (toDate "2006-01-02" "not a date")) }}
  modified: {{ printf "%q" (print (toDate "2006-01-02" "2020-01-01" | dateModify "-1.5h" | date "2006-01-02 15:04") "|" (toDate "2006-01-02" "2020-01-01" | dateModify "bad" | date "2006-01-02") "|" (toDate "2006-01-02" "2020-01-01" | date_modify "36h" | unixEpoch)) }}
  method: {{ printf "%q" (print ((toDate "2006-01-02" "2020-03-04").Format "Jan 2, 2006") " " ((toDate "2006-01-02" "2020-03-04").Unix) " " ((toDate "2006-01-02" "2020-03-04").Year)) }}
  durations: {{ printf "%q" (print (duration "90") " " (duration "3600") " " (duration "0") " " (durationRound "3h5m") " " (durationRound "49h") " " (durationRound "800h") " " (durationRound "9000h") " " (durationRound "30s")) }}
"#,
    ),
    (
        "defaults.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: defaults
data:
  default: {{ printf "%q" (print (default "d" .Values.missing) (default "d" .Values.empty) (default "d" .Values.zero) (default "d" .Values.name)) }}
  piped: {{ printf "%q" (.Values.missing | default "fallback") }}
  empty: {{ printf "%q" (print (empty .Values.empty) (empty .Values.list) (empty .Values.zero) (empty .Values.missing)) }}
  coalesce: {{ printf "%q" (print (coalesce .Values.missing .Values.empty .Values.count)) }}
  ternary: {{ printf "%q" (print (ternary "yes" "no" true) (ternary "yes" "no" (eq .Values.count 3.0))) }}
"#,
    ),
    (
        "lists.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: lists
data:
  ends: {{ printf "%q" (print (first .Values.list) (last .Values.list) (rest .Values.list) (initial .Values.list)) }}
  order: {{ printf "%q" (print (reverse .Values.list) (uniq .Values.list) (sortAlpha .Values.list)) }}
  change: {{ printf "%q" (print (append .Values.list "z") (prepend .Values.list "z") (without .Values.list "a") (compact (list "" 1 0 "x"))) }}
  has: {{ printf "%q" (print (has "a" .Values.list) (has "q" .Values.list)) }}
  concat: {{ printf "%q" (print (concat (list 1) (list 2 3))) }}
  dict: {{ printf "%q" (print (dict "b" 1 "a" .Values.name) (get .Values.map "beta") (get .Values.map "none") (hasKey .Values.map "alpha")) }}
  keys: {{ printf "%q" (print (keys .Values.map | sortAlpha) (values .Values.map | sortAlpha) (pluck "alpha" .Values.map (dict "alpha" 9))) }}
"#,
    ),
    (
        "math.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: math
data:
  int: {{ printf "%q" (print (add 1 2 .Values.count) (add1 .Values.ratio) (sub 10 .Values.ratio) (mul 2 .Values.count 2)) }}
  div: {{ printf "%q" (print (div 7 2) (mod 7 2) (max 1 .Values.count 2) (min 5 .Values.ratio)) }}
  floats: {{ printf "%q" (print (addf 1.5 .Values.ratio 1) (subf 10 .Values.ratio 0.5) (mulf 1.5 2 .Values.count) (divf 10 4) (maxf 1 .Values.ratio 2.5) (minf 5 .Values.ratio) (round 3.14159 2) (round 2.5 0) (round 1234.5678 -2)) }}
  conv: {{ printf "%q" (print (int .Values.ratio) (int64 "42") (float64 3) (floor .Values.ratio) (ceil .Values.ratio) (atoi "12")) }}
"#,
    ),
    (
        "encoding.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: encoding
data:
  b64: {{ printf "%q" (print (b64enc .Values.name) "|" (b64dec "aGVsbG8=")) }}
  sha: {{ printf "%q" (sha256sum .Values.name) }}
  json: {{ printf "%q" (toJson (dict "b" .Values.list "a" (dict "x" 1.5 "y" 3.0 "z" "<&>") "c" nil "d" 1000000 "e" 0.0000001)) }}
  raw: {{ printf "%q" (toRawJson (dict "h" "<b>")) }}
  pretty: {{ printf "%q" (toPrettyJson (dict "k" (list 1 (dict "n" true)) "e" (list))) }}
  match: {{ printf "%q" (print (regexMatch "^My" .Values.name) (regexMatch "[0-9]+" .Values.name)) }}
  find: {{ printf "%q" (print (regexFind "[a-z]+" .Values.name) (regexFindAll "a." "banana" -1) (regexFindAll "a." "banana" 2)) }}
  replace: {{ printf "%q" (print (regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W") "|" (regexReplaceAllLiteral "a(x*)b" "-ab-" "$1")) }}
  split: {{ printf "%q" (print (regexSplit "z+" "pizza" -1) (regexSplit "a" "banana" 2)) }}
"#,
    ),
    (
        "dicts.yaml",
        r#"{{- $d := dict "a" 1 }}
{{- $_ := set $d "b" 2 }}
{{- $_ := unset $d "a" }}
{{- $same := $d }}
{{- $_ := set $same "c" 3 }}
{{- $dst := dict "keep" "dst" "empty" "" "nested" (dict "x" 1) }}
{{- $src := dict "keep" "src" "empty" "filled" "new" "n" "nested" (dict "x" 2 "y" 3) }}
{{- $merged := merge (deepCopy $dst) $src }}
{{- $over := mergeOverwrite (deepCopy $dst) $src (dict "keep" "") }}
{{- $copy := deepCopy $d }}
{{- $_ := set $copy "z" 9 }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: dicts
data:
  set: {{ printf "%q" (print $d) }}
  copy: {{ printf "%q" (print $copy) }}
  merge: {{ printf "%q" (print $merged) }}
  over: {{ printf "%q" (print $over) }}
  pick: {{ printf "%q" (print (pick $src "keep" "new") (omit $src "nested")) }}
  dig: {{ printf "%q" (print (dig "nested" "y" "none" $src) (dig "nested" "q" "none" $src)) }}
  values: {{ printf "%q" (print (set .Values "added" true).added) }}
  semver: {{ printf "%q" (print (semverCompare ">=1.19-0" "v1.20.2") (semverCompare ">=1.19" "1.20.0-gke.1") (semverCompare ">=1.19-0" "1.20.0-gke.1") (semverCompare "<1.21" "1.21.0") (semverCompare "~1.2.3" "1.2.9") (semverCompare "~1.2.3" "1.3.0") (semverCompare "^1.2" "1.9.0") (semverCompare "^0.2.3" "0.3.0") (semverCompare "1.2.x" "1.2.7") (semverCompare ">1.2, <2 || =3.0.0" "3.0.0") (semverCompare "1.1 - 1.3" "1.3.5") (semverCompare "!=1.2.3" "1.2.4") (semverCompare ">1.2" "1.2.5")) }}
  semverparts: {{ printf "%q" (print (semver "v1.20.3-rc.1+build").Major (semver "1.20.3-rc.1+build").Minor (semver "1.20.3-rc.1").Prerelease) }}
"#,
    ),
    (
        "_helpers.tpl",
        r#"{{- define "sprigs.name" -}}{{ .Values.name | lower | replace " " "-" }}{{- end }}
{{- define "sprigs.labels" -}}
app: {{ include "sprigs.name" . }}
release: {{ .Release.Name }}
{{- end }}
{{- define "sprigs.countdown" -}}{{ if gt (int .) 0 }}{{ . }},{{ include "sprigs.countdown" (sub . 1) }}{{ end }}{{- end }}
"#,
    ),
    (
        "include.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: include
  labels:
{{ include "sprigs.labels" . | indent 4 }}
data:
  name: {{ include "sprigs.name" . | quote }}
  nested: {{ printf "%q" (include "sprigs.countdown" 3) }}
  tpl: {{ printf "%q" (tpl "{{ .Values.name }} has {{ len .Values.list }} items" .) }}
  tpldefine: {{ printf "%q" (tpl "{{ define \"inner\" }}[{{ . }}]{{ end }}{{ template \"inner\" .Values.count }}" .) }}
  template: {{ printf "%q" .Template.Name }}
"#,
    ),
    (
        "yaml.yaml",
        r##"apiVersion: v1
kind: ConfigMap
metadata:
  name: yaml
data:
  map: {{ printf "%q" (toYaml .Values.map) }}
  list: {{ printf "%q" (toYaml .Values.list) }}
  scalars: {{ printf "%q" (toYaml (dict "int" 3 "float" 2.5 "big" 1000000.0 "tiny" 0.0000001 "odd" 1234567.5 "huge" 1e21 "small" 0.00012 "t" true "n" nil "s" "plain text")) }}
  quoting: {{ printf "%q" (toYaml (list "true" "yes" "1" "1.5" "" " x" "a: b" "#c" "-" "- x" "-x" ":x" "a #b" "on" "null" "~" "0x10" "1e3" "12:30" "x:" "@a" "`b" "%p" "*r" "&s" "!t" "[u" "{v" ",w" "'q")) }}
  nested: {{ printf "%q" (toYaml (dict "outer" (dict "inner" (list 1 (dict "a" 1 "b" (list "x")) (list 2 3))) "empty" (dict) "none" (list))) }}
  multiline: {{ printf "%q" (toYaml (dict "text" "line one\nline two" "trailing" "a\nb\n")) }}
  top: {{ printf "%q" (toYaml "just a string") }}
  required: {{ printf "%q" (required "needed" .Values.name) }}
  fromjson: {{ printf "%q" (print (fromJson "{\"a\": [1, 2.5, true, null], \"b\": {\"c\": \"d\"}}") ((fromJson "{\"n\": 3}").n | add 1) (fromJsonArray "[1, \"x\"]")) }}
  pretty: {{ printf "%q" (toYamlPretty (dict "outer" (dict "inner" (list 1 (dict "a" 1 "b" (list "x")) (list 2 3))) "list" .Values.list "s" "plain")) }}
  toml: {{ printf "%q" (toToml (dict "name" "x\"q\"\ttab" "ratio" .Values.ratio "count" .Values.count "set" 3 "flag" true "list" .Values.list "mixed" (list 1 "a") "a key" 1 "nothing" nil "map" .Values.map "tables" (list (dict "k" 1) (dict "k" 2 "deep" (dict "z" "y"))) "nest" (dict "inner" (dict "leaf" 1.5) "v" "w"))) }}
  tomlscalar: {{ printf "%q" (toToml "just a string") }}
  fromtoml: {{ printf "%q" (print (fromToml "a = 1\nb = 2.5\nc = [1, \"x\"]\n[t]\nd = \"e\"\n[[arr]]\nk = true\n") ((fromToml "n = 3").n | add 1)) }}
  badtoml: {{ printf "%q" (print (hasKey (fromToml "a = = 1") "Error")) }}
"##,
    ),
];

#[test]
fn sprig_functions_render_what_helm_renders() {
    let (by_helm, by_engine) = render_both("sprigs", VALUES, &TEMPLATES, |set| {
        sprig::register(set);
        sprig::time::register(set, 0);
        set.include_and_tpl();
    });
    assert_same(&by_helm, &by_engine);
}

/// encryptAES draws its IV at random (deterministically, in cleat), so the
/// two ciphertexts differ; each must decrypt with the other's decryptAES.
#[test]
fn aes_ciphertexts_decrypt_across_helm_and_cleat() {
    let plain = "a secret text, longer than one AES block";
    let template = |body: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aes\ndata:\n{body}")
    };
    let encrypt = template(&format!(
        "  ct: {{{{ encryptAES \"the key\" \"{plain}\" | quote }}}}\n  empty: {{{{ encryptAES \"k\" \"\" | quote }}}}\n"
    ));
    let register = |set: &mut gotmpl::Templates| {
        sprig::register(set);
        sprig::random::register(
            set,
            sprig::random::Seed {
                bytes: b"seed".to_vec(),
                public: None,
                time: 0,
            },
        );
    };
    let (by_helm, by_engine) = render_both("aes", "{}", &[("aes.yaml", &encrypt)], register);
    let text = |objects: &[serde_json::Value], key: &str| {
        objects[0]["data"][key].as_str().unwrap().to_string()
    };
    let (helm_ct, cleat_ct) = (text(&by_helm, "ct"), text(&by_engine, "ct"));
    assert_ne!(helm_ct, cleat_ct);
    assert_eq!(text(&by_engine, "empty"), "");
    let decrypt = template(&format!(
        "  fromHelm: {{{{ decryptAES \"the key\" \"{helm_ct}\" | quote }}}}\n  fromCleat: {{{{ decryptAES \"the key\" \"{cleat_ct}\" | quote }}}}\n"
    ));
    let (by_helm, by_engine) = render_both("aes", "{}", &[("aes.yaml", &decrypt)], register);
    for objects in [&by_helm, &by_engine] {
        assert_eq!(text(objects, "fromHelm"), plain);
        assert_eq!(text(objects, "fromCleat"), plain);
    }
}
