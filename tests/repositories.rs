//! Repositories: indexing, searching, and fetching through a real HTTP server
//! on 127.0.0.1, with every download checked against the index digest and
//! kept in the content-addressed cache.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::http::Server;
use common::{cleat_with, index, package, publish, temp_dir};

fn in_dir(dir: &Path, cache: &Path, args: &[&str]) -> common::Run {
    cleat_with(
        dir,
        args,
        &[("XDG_CACHE_HOME", &cache.display().to_string())],
    )
}

/// A root package `app` needing `lib` at `constraint` from `repository`.
fn app(test: &str, constraint: &str, repository: &str) -> PathBuf {
    let manifest = format!(
        "name: app\nversion: 1.0.0\ndescription: The app\ndependencies:\n  - {{name: lib, version: \"{constraint}\", repository: \"{repository}\"}}\n"
    );
    package(
        test,
        &[
            ("package.yaml", manifest.as_bytes()),
            ("values.schema.yaml", b"type: object\nproperties: {}\n"),
            (
                "templates/app.yaml",
                b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ release.name }}\n",
            ),
        ],
    )
}

fn digest_of(path: &Path) -> String {
    cleat::shared::digest::sha256(&fs::read(path).unwrap())
}

#[test]
fn repo_index_lists_every_archive_and_keeps_created_times() {
    let repo = temp_dir("index");
    publish(&repo, "lib", "1.0.0", "");
    publish(
        &repo,
        "web",
        "0.9.0",
        "  - {name: lib, version: ^1, repository: .}\n",
    );
    fs::write(repo.join("README.md"), "not an archive").unwrap();
    let run = |epoch: &str| {
        cleat_with(
            &repo,
            &["repo", "index", "."],
            &[("SOURCE_DATE_EPOCH", epoch)],
        )
        .ok()
    };
    assert_eq!(
        run("1764000000"),
        "./index.yaml: 2 archives of 2 packages\n"
    );
    let first = fs::read_to_string(repo.join("index.yaml")).unwrap();
    assert_eq!(
        first,
        format!(
            "# A cleat repository index, written by `cleat repo index`.
formatVersion: 1
packages:
  - name: lib
    version: \"1.0.0\"
    digest: {}
    created: \"2025-11-24T16:00:00Z\"
    description: The lib package
  - name: web
    version: \"0.9.0\"
    digest: {}
    created: \"2025-11-24T16:00:00Z\"
    description: The web package
    dependencies:
      - name: lib
        version: \"^1\"
        repository: \".\"
",
            digest_of(&repo.join("lib-1.0.0.tgz")),
            digest_of(&repo.join("web-0.9.0.tgz"))
        )
    );
    // Indexing again later keeps the times of archives already indexed.
    publish(&repo, "lib", "1.1.0", "");
    assert_eq!(
        run("1764100000"),
        "./index.yaml: 3 archives of 2 packages\n"
    );
    let second = fs::read_to_string(repo.join("index.yaml")).unwrap();
    assert_eq!(
        second.matches("created: \"2025-11-24T16:00:00Z\"").count(),
        2,
        "{second}"
    );
    assert_eq!(
        second.matches("created: \"2025-11-25T19:46:40Z\"").count(),
        1,
        "{second}"
    );
    assert!(
        second.find("version: \"1.1.0\"").unwrap() < second.find("version: \"1.0.0\"").unwrap()
    );

    // An archive that is not a valid package stops indexing, named.
    fs::write(
        repo.join("broken-1.0.0.tgz"),
        "this is a text file, not a gzip archive",
    )
    .unwrap();
    let err = cleat_with(&repo, &["repo", "index", "."], &[]).err();
    assert!(err.starts_with("error: package archive `./broken-1.0.0.tgz` is not a valid gzip-compressed tar archive"), "{err}");
    assert_eq!(
        fs::read_to_string(repo.join("index.yaml")).unwrap(),
        second,
        "the index is untouched"
    );
}

#[test]
fn search_lists_matching_versions_from_a_directory_or_http() {
    let repo = temp_dir("search");
    publish(&repo, "lib", "1.0.0", "");
    publish(&repo, "lib", "1.1.0", "");
    publish(&repo, "web", "2.0.0", "");
    index(&repo);
    let server = Server::serve(repo.clone());
    let cache = temp_dir("search-cache");
    let expected = format!(
        "NAME  VERSION  APP VERSION  DIGEST{pad}  DESCRIPTION\nlib   1.1.0    {none}{}  The lib package\nlib   1.0.0    {none}{}  The lib package\n",
        digest_of(&repo.join("lib-1.1.0.tgz")),
        digest_of(&repo.join("lib-1.0.0.tgz")),
        pad = " ".repeat(71 - 6),
        // No app version: an empty column.
        none = " ".repeat(11 + 2),
    );
    let from_dir = in_dir(&repo, &cache, &["search", "lib", "--repo", "."]).ok();
    assert_eq!(from_dir, expected);
    let from_http = in_dir(&repo, &cache, &["search", "LIB", "--repo", &server.url]).ok();
    assert_eq!(from_http, expected);
    assert_eq!(server.take_requests(), ["/index.yaml"]);

    let err = in_dir(&repo, &cache, &["search", "db", "--repo", "."]).err();
    assert_eq!(err, "error: no package in . matches `db`\n  hint: search for part of a name, or for `''` to list everything\n");
    let json: serde_json::Value = serde_json::from_str(
        &in_dir(&repo, &cache, &["search", "", "--repo", ".", "-o", "json"]).ok(),
    )
    .unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert_eq!(json[2]["name"], "web");
}

#[test]
fn downloads_are_verified_cached_and_not_fetched_again() {
    let repo = temp_dir("http-repo");
    publish(&repo, "lib", "1.0.0", "");
    publish(&repo, "lib", "1.1.0", "");
    index(&repo);
    let server = Server::serve(repo.clone());
    let cache = temp_dir("http-cache");
    let dir = app("http-app", "^1", &server.url);

    let out = in_dir(&dir, &cache, &["render", "."]).ok();
    assert!(out.contains("version: \"1.1.0\""), "{out}");
    assert_eq!(server.take_requests(), ["/index.yaml", "/lib-1.1.0.tgz"]);
    let digest = digest_of(&repo.join("lib-1.1.0.tgz"));
    let cached = cache
        .join("cleat/packages/sha256")
        .join(format!("{}.tgz", digest.trim_start_matches("sha256:")));
    assert_eq!(digest_of(&cached), digest);

    // A second resolution makes no request at all.
    let again = in_dir(&dir, &cache, &["render", "."]).ok();
    assert_eq!(again, out);
    assert_eq!(server.take_requests(), Vec::<String>::new());

    // `deps --update` fetches the index again, but not the cached archive.
    in_dir(&dir, &cache, &["deps", ".", "--update"]).ok();
    assert_eq!(server.take_requests(), ["/index.yaml"]);

    // A version the cached index does not know refreshes the index once.
    publish(&repo, "lib", "1.2.0", "");
    index(&repo);
    let newer = app("http-app-newer", "^1.2", &server.url);
    let out = in_dir(&newer, &cache, &["render", "."]).ok();
    assert!(out.contains("version: \"1.2.0\""), "{out}");
    assert_eq!(server.take_requests(), ["/index.yaml", "/lib-1.2.0.tgz"]);

    // A damaged cache entry is noticed and fetched again.
    fs::write(&cached, b"damaged").unwrap();
    in_dir(
        &app("http-app-older", "~1.1", &server.url),
        &cache,
        &["render", "."],
    )
    .ok();
    assert_eq!(server.take_requests(), ["/lib-1.1.0.tgz"]);
    assert_eq!(digest_of(&cached), digest);
}

#[test]
fn a_digest_mismatch_is_a_hard_error_naming_both_digests() {
    let repo = temp_dir("mismatch-repo");
    publish(&repo, "lib", "1.0.0", "");
    index(&repo);
    let indexed = digest_of(&repo.join("lib-1.0.0.tgz"));
    // The archive is replaced after indexing.
    publish(
        &repo,
        "lib",
        "1.0.0",
        "  - {name: evil, version: ^1, repository: .}\n",
    );
    let served = digest_of(&repo.join("lib-1.0.0.tgz"));
    assert_ne!(indexed, served);
    let server = Server::serve(repo.clone());
    let cache = temp_dir("mismatch-cache");
    let dir = app("mismatch-app", "^1", &server.url);
    let err = in_dir(&dir, &cache, &["render", "."]).err();
    assert_eq!(
        err,
        format!(
            "error: `{url}lib-1.0.0.tgz` has digest {served}, but the index of {url} says {indexed}\n  --> {url}lib-1.0.0.tgz\n  hint: the archive changed after it was indexed: do not use it; if the publisher replaced it on purpose, they must index the repository again\n",
            url = server.url
        )
    );
    assert!(
        !cache.join("cleat/packages/sha256").exists()
            || fs::read_dir(cache.join("cleat/packages/sha256"))
                .unwrap()
                .count()
                == 0,
        "nothing unverified is cached"
    );

    // The same check guards directory repositories.
    let dir = app("mismatch-dir", "^1", &repo.display().to_string());
    let err = in_dir(&dir, &cache, &["render", "."]).err();
    assert!(
        err.contains(&format!(
            "has digest {served}, but the index of {} says {indexed}",
            repo.display()
        )),
        "{err}"
    );
}

#[test]
fn a_missing_repository_or_archive_is_a_clear_error() {
    let repo = temp_dir("missing-repo");
    publish(&repo, "lib", "1.0.0", "");
    index(&repo);
    fs::remove_file(repo.join("lib-1.0.0.tgz")).unwrap();
    let server = Server::serve(repo.clone());
    let cache = temp_dir("missing-cache");

    let wrong = app("missing-index", "^1", &format!("{}nowhere", server.url));
    let err = in_dir(&wrong, &cache, &["render", "."]).err();
    assert_eq!(
        err,
        format!(
            "error: cannot fetch `{0}nowhere/index.yaml`: the server answered 404 Not Found\n  --> {0}nowhere/index.yaml\n  hint: a repository serves `index.yaml` at its base URL; is this the right URL?\n",
            server.url
        )
    );
    let gone = app("missing-archive", "^1", &server.url);
    let err = in_dir(&gone, &cache, &["render", "."]).err();
    assert!(
        err.starts_with(&format!(
            "error: cannot fetch `{}lib-1.0.0.tgz`: the server answered 404 Not Found\n",
            server.url
        )),
        "{err}"
    );

    let refused = app("missing-server", "^1", "http://127.0.0.1:9/");
    let err = in_dir(&refused, &cache, &["render", "."]).err();
    assert!(
        err.starts_with("error: cannot fetch `http://127.0.0.1:9/index.yaml`: "),
        "{err}"
    );
    assert!(
        err.contains("hint: check the repository URL and the network"),
        "{err}"
    );
}

#[test]
fn an_index_that_lies_about_dependencies_is_refused() {
    let repo = temp_dir("lying-repo");
    publish(
        &repo,
        "lib",
        "1.0.0",
        "  - {name: evil, version: ^1, repository: .}\n",
    );
    publish(&repo, "evil", "1.0.0", "");
    index(&repo);
    // The index is edited to hide lib's dependency; the archive is untouched,
    // so its digest still matches.
    let text = fs::read_to_string(repo.join("index.yaml")).unwrap();
    let edited: String = text
        .lines()
        .filter(|line| !line.starts_with("    dependencies:") && !line.starts_with("      "))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_ne!(edited, text);
    fs::write(repo.join("index.yaml"), edited).unwrap();
    let cache = temp_dir("lying-cache");
    let dir = app("lying-app", "^1", &repo.display().to_string());
    let err = in_dir(&dir, &cache, &["render", "."]).err();
    assert_eq!(
        err,
        format!(
            "error: lib 1.0.0 declares other dependencies than the index of {} lists for it\n  hint: the index is out of date or was edited; index the repository again\n",
            repo.display()
        )
    );
}

/// Every file below `dir`, relative.
fn files_below(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in fs::read_dir(&at).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn checking_commands_write_nothing_to_the_cache() {
    let repo = temp_dir("check-cache-repo");
    publish(&repo, "lib", "1.0.0", "");
    index(&repo);
    let server = Server::serve(repo.clone());
    let app = app("check-cache-app", "^1", &server.url);
    let dir = temp_dir("check-cache");
    fs::write(
        dir.join("cleat.yaml"),
        format!(
            "releases:\n  - {{name: web, namespace: web, package: {}}}\n",
            app.display()
        ),
    )
    .unwrap();
    in_dir(&dir, &temp_dir("check-cache-first"), &["lock"]).ok();
    // Another machine checks the lockfile, and renders from it: its cache stays empty.
    let cache = temp_dir("check-cache-second");
    in_dir(&dir, &cache, &["lock", "--check"]).ok();
    assert_eq!(files_below(&cache), Vec::<String>::new());
    // A refused --locked writes nothing either.
    fs::write(
        app.join("templates/app.yaml"),
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: changed\n",
    )
    .unwrap();
    let err = in_dir(&dir, &cache, &["template", "web", "--locked"]).err();
    assert!(err.contains("is out of date"), "{err}");
    assert_eq!(files_below(&cache), Vec::<String>::new());
}

#[test]
fn a_bad_index_is_not_cached_and_a_bad_cached_one_says_so() {
    let repo = temp_dir("bad-index-repo");
    publish(&repo, "lib", "1.0.0", "");
    fs::write(repo.join("index.yaml"), "formatVersion: 1\npackages: [\n").unwrap();
    let server = Server::serve(repo.clone());
    let app = app("bad-index-app", "^1", &server.url);
    let cache = temp_dir("bad-index-cache");
    let err = in_dir(&app, &cache, &["render", "."]).err();
    assert!(err.contains(&format!("{}index.yaml", server.url)), "{err}");
    assert!(!err.contains("read from the cache"), "{err}");
    // The server fixes its index: the next run uses it, no --update needed.
    index(&repo);
    in_dir(&app, &cache, &["render", "."]).ok();
    // An index spoiled in the cache is said to come from there.
    let cached = cache.join("cleat/indexes");
    let file = fs::read_dir(&cached)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    fs::write(&file, "packages: [\n").unwrap();
    let err = in_dir(&app, &cache, &["render", "."]).err();
    assert!(
        err.contains("this index was read from the cache (`"),
        "{err}"
    );
    assert!(err.contains("`--update` fetches it again"), "{err}");
}

#[test]
fn redirects_are_followed_within_the_host_only() {
    let repo = temp_dir("redirect-repo");
    publish(&repo, "lib", "1.0.0", "");
    index(&repo);
    fs::create_dir_all(repo.join("moved")).unwrap();
    fs::copy(repo.join("index.yaml"), repo.join("moved/index.yaml")).unwrap();
    let server = Server::serve(repo.clone());
    server.redirect("/index.yaml", "/moved/index.yaml");
    let app = app("redirect-app", "^1", &server.url);
    in_dir(&app, &temp_dir("redirect-cache"), &["render", "."]).ok();
    // To another host: refused, naming it.
    let other = Server::serve(repo.clone());
    server.redirect("/index.yaml", &format!("{}index.yaml", other.url));
    let err = in_dir(&app, &temp_dir("redirect-cache-2"), &["render", "."]).err();
    assert!(
        err.contains(&format!(
            "the server redirects to `{}index.yaml`, on another host",
            other.url
        )),
        "{err}"
    );
    assert!(
        err.contains("cleat follows redirects within the repository's host only"),
        "{err}"
    );
    assert!(
        other.take_requests().is_empty(),
        "nothing was fetched from the other host"
    );
}

#[test]
fn search_matches_keywords_and_shows_the_app_version() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let cache = temp_dir("search-keywords-cache");
    let out = in_dir(
        root,
        &cache,
        &[
            "search",
            "service",
            "--repo",
            "packages-example/repository",
            "-o",
            "json",
        ],
    )
    .ok();
    let found: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(found[0]["name"], "webapp");
    assert_eq!(found[0]["appVersion"], "1.4.2");
    assert_eq!(
        found[0]["keywords"],
        serde_json::json!(["web", "http", "service"])
    );
    assert_eq!(found[0]["deprecated"], false);
    let table = in_dir(
        root,
        &cache,
        &["search", "http", "--repo", "packages-example/repository"],
    )
    .ok();
    assert!(
        table.contains("webapp  1.0.0    1.4.2        sha256:"),
        "{table}"
    );
}
