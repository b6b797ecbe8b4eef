//! Dependencies: resolution to the highest versions that satisfy every
//! constraint, rendering with each dependency's own values and schema,
//! conditions, aliases, conflicts and cycles. Repositories here are
//! directories; `repositories.rs` covers HTTP.

mod common;

use std::path::{Path, PathBuf};

use common::{cleat_with, index, package, publish, temp_dir};

/// A root package `app` with `dependencies` (YAML list) and `schema`.
fn app(test: &str, dependencies: &str, schema: &str) -> PathBuf {
    let manifest =
        format!("name: app\nversion: 1.0.0\ndescription: The app\ndependencies:\n{dependencies}");
    package(
        test,
        &[
            ("package.yaml", manifest.as_bytes()),
            ("values.schema.yaml", schema.as_bytes()),
            (
                "templates/app.yaml",
                b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ release.name }}\n",
            ),
        ],
    )
}

const NO_VALUES: &str = "type: object\nproperties: {}\n";

/// Runs cleat in `dir` with its own cache.
fn run(dir: &Path, args: &[&str]) -> common::Run {
    let cache = dir.join(".cache").display().to_string();
    cleat_with(dir, args, &[("XDG_CACHE_HOME", &cache)])
}

/// lib 1.0.0, 1.2.0, 1.3.0 and 2.0.0, and web 1.0.0 (needing lib ~1.2).
fn repository(test: &str) -> PathBuf {
    let repo = temp_dir(&format!("{test}-repo"));
    for version in ["1.0.0", "1.2.0", "1.3.0", "2.0.0"] {
        publish(&repo, "lib", version, "");
    }
    publish(
        &repo,
        "web",
        "1.0.0",
        "  - {name: lib, version: ~1.2, repository: .}\n",
    );
    index(&repo);
    repo
}

#[test]
fn dependencies_render_with_their_own_values_under_their_key() {
    let repo = repository("render");
    let dir = app(
        "render",
        &format!(
            "  - {{name: web, version: ^1, repository: {}, alias: frontend, condition: features.web}}\n",
            repo.display()
        ),
        "type: object\nproperties:\n  features:\n    type: object\n    description: Switches\n    properties:\n      web: {type: boolean, description: Web, default: true}\n",
    );
    std::fs::write(dir.join("values.yaml"), "frontend:\n  greeting: hi\n").unwrap();
    let out = run(&dir, &["render", ".", "-f", "values.yaml"]).ok();
    // web 1.0.0 under its alias, with its values; its own dependency, the
    // newest lib that satisfies ~1.2, with lib's defaults.
    assert!(
        out.contains("# Source: frontend/templates/configmap.yaml\n"),
        "{out}"
    );
    assert!(
        out.contains("  name: app-web\ndata:\n  version: \"1.0.0\"\n  greeting: hi\n"),
        "{out}"
    );
    assert!(
        out.contains("# Source: frontend/lib/templates/configmap.yaml\n"),
        "{out}"
    );
    assert!(
        out.contains("  name: app-lib\ndata:\n  version: \"1.2.0\"\n  greeting: hello from lib\n"),
        "{out}"
    );
    assert_eq!(out.matches("kind: ConfigMap").count(), 3, "{out}");

    // The condition switches the dependency, and what it brings, off.
    let out = run(&dir, &["render", ".", "--set", "features.web=false"]).ok();
    assert_eq!(out.matches("kind: ConfigMap").count(), 1, "{out}");

    // A dependency's values are checked against its own schema.
    std::fs::write(
        dir.join("bad.yaml"),
        "frontend:\n  greeting: 42\n  colour: blue\n",
    )
    .unwrap();
    let err = run(&dir, &["render", ".", "-f", "bad.yaml"]).err();
    assert!(
        err.starts_with(
            "error: `frontend.greeting`: expected string, found integer 42\n  --> bad.yaml:2:13\n"
        ),
        "{err}"
    );
    assert!(err.contains("error: unknown value `frontend.colour`: the schema does not declare it\n  --> bad.yaml:3:3\n"), "{err}");

    // The schema shows the dependency's values under its key.
    let schema: serde_json::Value =
        serde_json::from_str(&run(&dir, &["schema", "."]).ok()).unwrap();
    assert_eq!(
        schema["properties"]["frontend"]["properties"]["greeting"]["default"],
        "hello from web"
    );
}

#[test]
fn objects_from_different_packages_must_not_collide() {
    let repo = repository("collide");
    let dir = app(
        "collide",
        &format!(
            "  - {{name: web, version: ^1, repository: {0}}}\n  - {{name: lib, version: ^1, repository: {0}, alias: cache}}\n",
            repo.display()
        ),
        NO_VALUES,
    );
    let err = run(&dir, &["render", "."]).err();
    assert!(
        err.starts_with("error: `v1 ConfigMap app-lib` is rendered twice (also by `web/lib/templates/configmap.yaml`)\n  --> cache/templates/configmap.yaml:1:1\n"),
        "{err}"
    );
}

#[test]
fn the_highest_version_satisfying_every_constraint_is_chosen() {
    let repo = repository("highest");
    let dir = app(
        "highest",
        &format!(
            "  - {{name: lib, version: ^1, repository: {0}}}\n",
            repo.display()
        ),
        NO_VALUES,
    );
    let out = run(&dir, &["deps", "."]).ok();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("app 1.0.0 sha256:"), "{out}");
    assert!(lines[1].starts_with("└── lib 1.3.0 sha256:"), "{out}");
    assert!(
        lines[1].ends_with(&format!("({})", repo.display())),
        "{out}"
    );

    // Adding web, which needs lib ~1.2, brings lib down to 1.2.0 for both.
    let dir = app(
        "highest-shared",
        &format!(
            "  - {{name: lib, version: ^1, repository: {0}}}\n  - {{name: web, version: ^1, repository: {0}}}\n",
            repo.display()
        ),
        NO_VALUES,
    );
    let json: serde_json::Value =
        serde_json::from_str(&run(&dir, &["deps", ".", "-o", "json"]).ok()).unwrap();
    assert_eq!(json["dependencies"][0]["version"], "1.2.0");
    assert_eq!(json["dependencies"][1]["name"], "web");
    assert_eq!(
        json["dependencies"][1]["dependencies"][0]["version"],
        "1.2.0"
    );
    let digest = json["dependencies"][0]["digest"].as_str().unwrap();
    let archive = std::fs::read(repo.join("lib-1.2.0.tgz")).unwrap();
    assert_eq!(digest, cleat::shared::digest::sha256(&archive));
}

#[test]
fn resolution_backs_up_when_the_newest_candidate_cannot_work() {
    let repo = temp_dir("backtrack-repo");
    publish(&repo, "lib", "1.0.0", "");
    publish(&repo, "lib", "1.3.0", "");
    publish(
        &repo,
        "web",
        "1.0.0",
        "  - {name: lib, version: ^1.0, repository: .}\n",
    );
    publish(
        &repo,
        "web",
        "1.1.0",
        "  - {name: lib, version: ^1.3, repository: .}\n",
    );
    index(&repo);
    let dir = app(
        "backtrack",
        &format!(
            "  - {{name: lib, version: <1.3, repository: {0}}}\n  - {{name: web, version: ^1, repository: {0}}}\n",
            repo.display()
        ),
        NO_VALUES,
    );
    let json: serde_json::Value =
        serde_json::from_str(&run(&dir, &["deps", ".", "-o", "json"]).ok()).unwrap();
    assert_eq!(json["dependencies"][0]["version"], "1.0.0");
    assert_eq!(
        json["dependencies"][1]["version"], "1.0.0",
        "web 1.1.0 needs lib ^1.3"
    );
}

#[test]
fn unsatisfiable_constraints_name_the_chain_that_caused_them() {
    let repo = repository("conflict");
    let dir = app(
        "conflict",
        &format!(
            "  - {{name: lib, version: ^2, repository: {0}}}\n  - {{name: web, version: ^1, repository: {0}}}\n",
            repo.display()
        ),
        NO_VALUES,
    );
    let err = run(&dir, &["deps", "."]).err();
    assert_eq!(
        err,
        format!(
            "error: no version of `lib` satisfies every constraint on it:\n  `^2` required by app 1.0.0\n  `~1.2` required by app 1.0.0 → web 1.0.0\n  --> package.yaml:5:5\n   |\n 5 |   - {{name: lib, version: ^2, repository: {0}}}\n   |     ^\n  hint: versions of `lib` in {0}: 2.0.0, 1.3.0, 1.2.0, 1.0.0\n",
            repo.display()
        )
    );
    let missing = app(
        "missing",
        &format!(
            "  - {{name: nothing, version: ^1, repository: {}}}\n",
            repo.display()
        ),
        NO_VALUES,
    );
    let err = run(&missing, &["render", "."]).err();
    assert!(err.starts_with("error: no version of `nothing` satisfies every constraint on it:\n  `^1` required by app 1.0.0\n"), "{err}");
    assert!(
        err.contains(&format!(
            "hint: {} has no package `nothing`",
            repo.display()
        )),
        "{err}"
    );
}

#[test]
fn cycles_are_detected_and_named() {
    let repo = temp_dir("cycle-repo");
    publish(
        &repo,
        "b",
        "1.0.0",
        "  - {name: c, version: ^1, repository: .}\n",
    );
    publish(
        &repo,
        "c",
        "1.0.0",
        "  - {name: b, version: ^1, repository: .}\n",
    );
    publish(
        &repo,
        "d",
        "1.0.0",
        "  - {name: app, version: ^1, repository: .}\n",
    );
    index(&repo);
    let dir = app(
        "cycle",
        &format!(
            "  - {{name: b, version: ^1, repository: {}}}\n",
            repo.display()
        ),
        NO_VALUES,
    );
    let err = run(&dir, &["render", "."]).err();
    assert!(
        err.starts_with(
            "error: dependency cycle: b 1.0.0 → c 1.0.0 → b 1.0.0\n  --> package.yaml:5:5\n"
        ),
        "{err}"
    );
    let dir = app(
        "cycle-root",
        &format!(
            "  - {{name: d, version: ^1, repository: {}}}\n",
            repo.display()
        ),
        NO_VALUES,
    );
    let err = run(&dir, &["render", "."]).err();
    assert!(
        err.starts_with("error: dependency cycle: app 1.0.0 → d 1.0.0 → app 1.0.0\n"),
        "{err}"
    );
}

#[test]
fn bad_dependency_declarations_point_at_package_yaml() {
    let repo = repository("declarations");
    let dir = app(
        "declarations",
        &format!(
            "  - {{name: lib, version: ^1, repository: {0}, condition: lib.enabled}}\n  - {{name: web, version: ^1, repository: {0}, alias: lib}}\n  - {{name: web, version: ^1}}\n",
            repo.display()
        ),
        "type: object\nproperties:\n  web: {type: string, description: Clash}\n",
    );
    let err = run(&dir, &["render", "."]).err();
    assert!(
        err.contains("error: two dependencies use the key `lib`\n  --> package.yaml:6:5\n"),
        "{err}"
    );
    assert!(
        err.contains("error: missing required field `repository`\n  --> package.yaml:7:5\n"),
        "{err}"
    );

    let dir = app(
        "declarations-schema",
        &format!(
            "  - {{name: lib, version: ^1, repository: {0}, condition: lib.enabled}}\n  - {{name: web, version: ^1, repository: {0}}}\n",
            repo.display()
        ),
        "type: object\nproperties:\n  web: {type: string, description: Clash}\n",
    );
    let err = run(&dir, &["render", "."]).err();
    assert!(err.contains("error: the values schema declares `web`, which holds the values of dependency `web`\n  --> values.schema.yaml:3:3\n"), "{err}");
    assert!(err.contains("error: the condition of dependency `lib`, `lib.enabled`, is not declared in the values schema\n  --> package.yaml:5:5\n"), "{err}");
}

#[test]
fn relative_repositories_are_relative_to_the_package() {
    let base = temp_dir("relative");
    let repo = base.join("repo");
    publish(&repo, "lib", "1.0.0", "");
    index(&repo);
    let dir = base.join("app");
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(dir.join("package.yaml"), "name: app\nversion: 1.0.0\ndescription: d\ndependencies:\n  - {name: lib, version: ^1, repository: ../repo}\n").unwrap();
    std::fs::write(dir.join("values.schema.yaml"), NO_VALUES).unwrap();
    std::fs::write(
        dir.join("templates/a.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
    )
    .unwrap();
    let out = run(&base, &["render", "app"]).ok();
    assert!(out.contains("name: app-lib"), "{out}");
    let err = run(&base, &["render", "app", "--set", "lib.greeting=1"]).ok();
    assert!(err.contains("greeting: \"1\""), "{err}");
}
