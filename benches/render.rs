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
