//! The Helm conformance harness: renders every chart of a corpus (a
//! directory of charts, such as prometheus-community/helm-charts' `charts/`)
//! with the real `helm template` and with cleat, with the chart's defaults
//! and with each `ci/*.yaml` values file it ships, and compares the objects
//! semantically (parsed, as JSON), printing every difference by object and
//! path, and a Markdown table of charts × value sets.
//!
//! Dependencies a chart lists but does not ship are vendored from the
//! corpus itself (or a `--vendor` directory of charts) into a copy of the
//! chart; a chart whose dependencies are
//! elsewhere is skipped with the reason. The corpus is never part of the
//! checkout: fetch it and pass its path.
//!
//! ```text
//! cargo run --release --example helm-corpus -- CORPUS [--vendor DIR]... [CHART...]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use cleat::authoring::chart::{self, engine::Release, values::Typing, Chart};
use cleat::shared::diagnostics::Source;
use cleat::shared::yaml::{self, Dialect};
use serde_json::Value;

const KUBE_VERSION: &str = "1.34.0";

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(corpus) = args.next().map(PathBuf::from) else {
        eprintln!("usage: helm-corpus CORPUS_DIR [CHART...]");
        std::process::exit(2);
    };
    let mut only: Vec<String> = Vec::new();
    let mut vendors = vec![corpus.clone()];
    while let Some(arg) = args.next() {
        if arg == "--vendor" {
            vendors.extend(args.next().map(PathBuf::from));
        } else {
            only.push(arg);
        }
    }
    let helm = std::env::var("HELM")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            let home = std::env::var("HOME").unwrap_or_default();
            PathBuf::from(home).join(".cache/cleat/tools/helm/helm")
        });
    let work = std::env::temp_dir().join("cleat-helm-corpus");
    let _ = std::fs::remove_dir_all(&work);
    let mut names: Vec<String> = std::fs::read_dir(&corpus)
        .expect("the corpus directory is readable")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Chart.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut rows = Vec::new();
    let (mut equal, mut total) = (0, 0);
    for name in &names {
        if !only.is_empty() && !only.contains(name) {
            continue;
        }
        let chart_dir = match vendor(&corpus, &vendors, name, &work) {
            Ok(dir) => dir,
            Err(reason) => {
                rows.push(format!("| {name} | — | skipped: {reason} |"));
                continue;
            }
        };
        let mut sets = vec![None];
        let ci = chart_dir.join("ci");
        if let Ok(entries) = std::fs::read_dir(&ci) {
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            files.sort();
            sets.extend(files.into_iter().map(Some));
        }
        for values in sets {
            let label = values.as_ref().map_or("defaults".to_string(), |p| {
                format!("ci/{}", p.file_name().unwrap_or_default().to_string_lossy())
            });
            let by_helm = match helm_render(&helm, &chart_dir, values.as_deref()) {
                Ok(objects) => objects,
                Err(reason) => {
                    rows.push(format!(
                        "| {name} | {label} | skipped: helm fails: {} |",
                        first_line(&reason)
                    ));
                    continue;
                }
            };
            total += 1;
            let result = match cleat_render(&chart_dir, values.as_deref()) {
                Ok(by_cleat) => {
                    let differences = compare(&by_helm, &by_cleat);
                    if differences.is_empty() {
                        equal += 1;
                        format!("equal ({} objects)", by_helm.len())
                    } else {
                        println!("## {name} with {label}");
                        for difference in &differences {
                            println!("- {difference}");
                        }
                        format!(
                            "**{} differences** (of {} objects)",
                            differences.len(),
                            by_helm.len()
                        )
                    }
                }
                Err(error) => {
                    println!("## {name} with {label}\n- cleat fails: {error}");
                    format!("**cleat fails**: {}", first_line(&error))
                }
            };
            rows.push(format!("| {name} | {label} | {result} |"));
        }
    }
    println!("\n| chart | values | result |\n|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    println!("\n{equal} of {total} renders equal");
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().replace('|', "\\|")
}

/// A copy of chart `name` with the dependencies it does not ship taken
/// from the corpus.
fn vendor(corpus: &Path, vendors: &[PathBuf], name: &str, work: &Path) -> Result<PathBuf, String> {
    let source = corpus.join(name);
    let target = work.join(name);
    copy_dir(&source, &target).map_err(|e| e.to_string())?;
    let manifest = std::fs::read_to_string(source.join("Chart.yaml")).map_err(|e| e.to_string())?;
    let node = yaml::parse_document_as(&Source::new("Chart.yaml", manifest), Dialect::Yaml11)
        .map_err(|d| d.message)?
        .into_json();
    let dependencies = node["dependencies"].as_array().cloned().unwrap_or_default();
    for dependency in dependencies {
        let dep = dependency["name"].as_str().unwrap_or_default();
        if target.join("charts").join(dep).join("Chart.yaml").is_file() {
            continue;
        }
        let Some(from) = vendors
            .iter()
            .map(|v| v.join(dep))
            .find(|d| d.join("Chart.yaml").is_file())
        else {
            return Err(format!(
                "dependency `{dep}` is in another repository ({})",
                dependency["repository"].as_str().unwrap_or_default()
            ));
        };
        copy_dir(&from, &target.join("charts").join(dep)).map_err(|e| e.to_string())?;
    }
    Ok(target)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn helm_render(helm: &Path, chart: &Path, values: Option<&Path>) -> Result<Vec<Value>, String> {
    let mut command = Command::new(helm);
    command.args(["template", "rel"]).arg(chart).args([
        "--namespace",
        "ns",
        "--kube-version",
        KUBE_VERSION,
    ]);
    if let Some(values) = values {
        command.arg("-f").arg(values);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run helm: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    objects(&String::from_utf8_lossy(&output.stdout))
}

fn cleat_render(chart_dir: &Path, values: Option<&Path>) -> Result<Vec<Value>, String> {
    let show = |d: cleat::shared::diagnostics::Diagnostics| d.render(false);
    let chart = Chart::load(chart_dir).map_err(show)?;
    let mut files = Vec::new();
    if let Some(values) = values {
        let text = std::fs::read_to_string(values).map_err(|e| e.to_string())?;
        files.push(Source::new(values.display().to_string(), text));
    }
    let user = chart::user_values(&files, &[] as &[(Typing, String)]).map_err(show)?;
    let release = Release {
        name: "rel".into(),
        namespace: "ns".into(),
        revision: 1,
        is_upgrade: false,
        kube_version: KUBE_VERSION.into(),
        api_versions: Vec::new(),
        time: 0,
        random_key: None,
        lookups: Default::default(),
    };
    let manifests = chart::render(&chart, user, &release, false).map_err(show)?;
    let mut objects: Vec<Value> = manifests
        .objects
        .iter()
        .chain(manifests.hooks.iter().map(|h| &h.object))
        .map(|o| o.body.clone())
        .collect();
    sort(&mut objects);
    Ok(objects)
}

fn objects(text: &str) -> Result<Vec<Value>, String> {
    let source = Source::new("helm output", text);
    let mut objects: Vec<Value> = yaml::parse_stream_as(&source, Dialect::Yaml11)
        .map_err(|d| d.message)?
        .into_iter()
        .map(|d| d.root.into_json())
        .filter(|o| o.is_object())
        .collect();
    sort(&mut objects);
    Ok(objects)
}

fn key(object: &Value) -> String {
    format!(
        "{} {} {}/{}",
        object["apiVersion"].as_str().unwrap_or_default(),
        object["kind"].as_str().unwrap_or_default(),
        object["metadata"]["namespace"].as_str().unwrap_or_default(),
        object["metadata"]["name"].as_str().unwrap_or_default()
    )
}

fn sort(objects: &mut [Value]) {
    objects.sort_by_key(key);
}

/// Every difference, as `OBJECT: PATH: helm X, cleat Y`.
fn compare(by_helm: &[Value], by_cleat: &[Value]) -> Vec<String> {
    let helm: BTreeMap<String, &Value> = by_helm.iter().map(|o| (key(o), o)).collect();
    let cleat: BTreeMap<String, &Value> = by_cleat.iter().map(|o| (key(o), o)).collect();
    let mut out = Vec::new();
    for (id, object) in &helm {
        match cleat.get(id) {
            None => out.push(format!("{id}: only helm renders it")),
            Some(other) => diff(id, "", object, other, &mut out),
        }
    }
    for id in cleat.keys().filter(|id| !helm.contains_key(*id)) {
        out.push(format!("{id}: only cleat renders it"));
    }
    out
}

fn diff(id: &str, path: &str, helm: &Value, cleat: &Value, out: &mut Vec<String>) {
    match (helm, cleat) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let inner = format!("{path}/{k}");
                match b.get(k) {
                    Some(w) => diff(id, &inner, v, w, out),
                    None => out.push(format!("{id}: {inner}: helm {}, cleat nothing", short(v))),
                }
            }
            for (k, w) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                out.push(format!(
                    "{id}: {path}/{k}: helm nothing, cleat {}",
                    short(w)
                ));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                diff(id, &format!("{path}/{i}"), v, w, out);
            }
        }
        (a, b) if a != b => out.push(format!(
            "{id}: {path}: helm {}, cleat {}",
            short(a),
            short(b)
        )),
        _ => {}
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 160 {
        format!(
            "{}...",
            &text[..text.char_indices().nth(160).map_or(text.len(), |(i, _)| i)]
        )
    } else {
        text
    }
}
