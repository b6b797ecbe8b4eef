//! `cargo bench`: rendering the webapp example and a package of 1,000 objects,
//! in process (load, check, render, parse, emit). `bench/run` compares the
//! whole `cleat render` process with `helm template` side by side. A values
//! map of 80,000 keys shows that parsing stays linear in the keys.

use std::path::Path;

use cleat::authoring::package::Package;
use cleat::authoring::render::Release;

fn main() {
    divan::main();
}

fn release() -> Release {
    Release {
        name: "bench".into(),
        namespace: "default".into(),
        revision: 1,
        kube_version: semver::Version::new(1, 34, 0),
    }
}

fn render(dir: &str, sets: &[String]) -> String {
    let package =
        Package::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)).expect("package loads");
    let tree = cleat::authoring::resolve::Tree::leaf(package);
    let (_, objects) =
        cleat::authoring::render_objects(&tree, &[], sets, &release()).expect("package renders");
    cleat::authoring::object::to_yaml_stream(&objects)
}

#[divan::bench]
fn webapp() -> String {
    render("packages-example/webapp", &[])
}

/// 334 services of 3 objects each: 1,002 objects.
#[divan::bench]
fn objects_1000() -> String {
    render("bench/packages/objects", &["count=334".to_string()])
}

/// A values file whose one map has 80,000 keys, parsed: duplicate keys are
/// found through a hash map, so the cost is linear in the keys.
#[divan::bench]
fn values_map_80000_keys(bencher: divan::Bencher) {
    let text: String = std::iter::once("config:\n".to_string())
        .chain((0..80_000).map(|i| format!("  k{i}: v\n")))
        .collect();
    bencher.bench(|| {
        let source = cleat::shared::diagnostics::Source::new("m.yaml", text.clone());
        cleat::shared::yaml::parse_document(&source).expect("parses")
    });
}

/// What the checks know of the release besides its objects.
fn checked(kube_version: &semver::Version) -> cleat::authoring::policy::Release<'_> {
    static NO_VALUES: serde_json::Value = serde_json::Value::Null;
    cleat::authoring::policy::Release {
        name: "bench",
        namespace: "default",
        kube_version,
        values: &NO_VALUES,
    }
}

/// 1,000 services of 3 objects each: 3,000 objects, rendered.
fn objects_3000() -> Vec<cleat::authoring::object::Object> {
    let package =
        Package::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/packages/objects"))
            .expect("package loads");
    let tree = cleat::authoring::resolve::Tree::leaf(package);
    cleat::authoring::render_objects(&tree, &[], &["count=1000".to_string()], &release())
        .expect("package renders")
        .1
}

/// Rendering 3,000 objects, to compare the checks below with.
#[divan::bench(sample_count = 20)]
fn render_3000_objects() -> String {
    render("bench/packages/objects", &["count=1000".to_string()])
}

/// The built-in checks of 3,000 objects, as `lock` and `apply` run them
/// (findings counted, not located).
#[divan::bench(sample_count = 20)]
fn policy_3000_objects(bencher: divan::Bencher) {
    let objects = objects_3000();
    let settings = cleat::authoring::policy::Settings::default();
    bencher.bench(|| {
        cleat::authoring::policy::run(&objects, &settings, &checked(&release().kube_version))
            .findings
            .len()
    });
}

/// Only the schema check of 3,000 objects: their share of the checks
/// above (the schemas are compiled once per process, before the samples).
#[divan::bench(sample_count = 20)]
fn schema_3000_objects(bencher: divan::Bencher) {
    let objects = objects_3000();
    let only_schema = cleat::authoring::policy::catalog::ALL
        .iter()
        .filter(|c| c.id != "schema")
        .map(|c| (c.id.to_string(), cleat::authoring::policy::Severity::Off))
        .collect();
    let settings = cleat::authoring::policy::Settings {
        severities: only_schema,
        rules: Vec::new(),
    };
    bencher.bench(|| {
        cleat::authoring::policy::run(&objects, &settings, &checked(&release().kube_version))
            .findings
            .len()
    });
}

/// The same checks with every finding located at its template line, as
/// `cleat lint` reports them.
#[divan::bench(sample_count = 5)]
fn policy_3000_objects_located(bencher: divan::Bencher) {
    let objects = objects_3000();
    let settings = cleat::authoring::policy::Settings::default();
    bencher.bench(|| {
        cleat::authoring::policy::run(&objects, &settings, &checked(&release().kube_version))
            .diagnostics(&objects)
            .len()
    });
}
