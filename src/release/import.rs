//! A running Helm release turned into a release of the release file: the
//! chart written out beside the release file when it comes from Helm's
//! record, the values the user gave Helm in a values file, and the entry
//! (with `helmRelease`, so the first apply takes the Helm release over)
//! added to `cleat.yaml`, which is created when missing. Nothing is
//! written unless all of it can be, and the release file still reads.

use std::path::{Path, PathBuf};

use base64::Engine;

use crate::authoring::package::archive;
use crate::release::file::ReleaseFile;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};
use crate::shared::files::io_error;

/// A Helm release to write into the release file.
pub struct Imported {
    pub name: String,
    pub namespace: String,
    /// The values the user gave Helm (`helm get values`).
    pub values: serde_json::Map<String, serde_json::Value>,
    pub chart: ChartSource,
}

/// Where the release's chart comes from.
pub enum ChartSource {
    /// The chart as Helm's record stores it (no subcharts), written out.
    Stored(serde_json::Value),
    /// A chart directory or archive the user names.
    Path(PathBuf),
    /// A classic Helm repository, at the version the release runs.
    Repository {
        url: String,
        chart: String,
        version: String,
    },
}

/// What [`write`] wrote, relative to the release file's directory.
#[derive(Debug)]
pub struct Written {
    /// The chart directory written from Helm's record, if it was.
    pub chart: Option<String>,
    /// The values file, if the release had values.
    pub values: Option<String>,
}

/// Adds `imported` to the release file at `file`.
pub fn write(file: &Path, imported: &Imported) -> Result<Written, Diagnostics> {
    let dir = crate::shared::files::parent_dir(file).to_path_buf();
    let shown = file.display().to_string();
    let existing = match std::fs::read_to_string(file) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_error(&shown, &e).into()),
    };
    if let Some(text) = &existing {
        let parsed = ReleaseFile::parse(
            crate::shared::diagnostics::Source::new(&shown, text.as_str()),
            dir.clone(),
        )?;
        if parsed.releases.iter().any(|r| r.name == imported.name) {
            return Err(Diagnostic::error(format!(
                "`{shown}` declares a release `{}` already",
                imported.name
            ))
            .hint("remove it, or import into another release file with `--file`")
            .into());
        }
    }
    let (package, chart) = match &imported.chart {
        ChartSource::Stored(stored) => {
            let (written, files) = stored_chart(stored)?;
            (format!(" {written}"), Some((written, files)))
        }
        ChartSource::Path(path) => (format!(" {}", relative_to(&dir, path)), None),
        ChartSource::Repository {
            url,
            chart,
            version,
        } => (
            format!("\n    chart: {chart}\n    version: \"={version}\"\n    repository: {url}"),
            None,
        ),
    };
    let chart_root = chart.as_ref().map(|(root, _)| root.clone());
    let values = (!imported.values.is_empty()).then(|| format!("values/{}.yaml", imported.name));
    let mut entry = format!(
        "- name: {}\n  namespace: {}\n  package:{package}\n  helmRelease: {}\n",
        imported.name, imported.namespace, imported.name
    );
    if let Some(values) = &values {
        entry.push_str(&format!("  valueFiles: [{values}]\n"));
    }
    let text = match &existing {
        None => format!("releases:\n{}", indent(&entry, "  ")),
        Some(text) => with_release(text, &entry).ok_or_else(|| {
            Diagnostic::error(format!(
                "`{shown}` has no block list `releases:` that cleat can add to"
            ))
            .hint(format!(
                "add the release by hand:\n{}",
                indent(&entry, "  ")
            ))
        })?,
    };
    ReleaseFile::parse(
        crate::shared::diagnostics::Source::new(&shown, text.as_str()),
        dir.clone(),
    )?;
    // Written only into paths that do not exist: nothing is overwritten.
    let mut planned: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    if let Some((root, files)) = chart {
        for (name, bytes) in files {
            planned.push((dir.join(&root).join(name), bytes));
        }
    }
    if let Some(values) = &values {
        let yaml =
            crate::shared::yaml::emit_document(&serde_json::Value::Object(imported.values.clone()));
        let header = format!("# The values Helm release `{}` was given (`helm get values`), as cleat import found them.\n# Move secrets into `secretFrom` references in cleat.yaml before committing this file.\n", imported.name);
        planned.push((dir.join(values), format!("{header}{yaml}").into_bytes()));
    }
    // A file that exists with the same bytes (the chart of another release
    // imported before) is left as it is.
    planned.retain(|(path, bytes)| std::fs::read(path).ok().as_ref() != Some(bytes));
    if let Some((path, _)) = planned.iter().find(|(path, _)| path.exists()) {
        return Err(Diagnostic::error(format!("`{}` exists already", path.display()))
            .hint("cleat import writes only new files: move it away, or import into another directory with `--file`")
            .into());
    }
    for (path, bytes) in &planned {
        let fail = |e: std::io::Error| io_error(&path.display().to_string(), &e);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        crate::shared::files::write_private(path, bytes).map_err(fail)?;
    }
    crate::shared::files::write(file, text.as_bytes()).map_err(|e| io_error(&shown, &e))?;
    Ok(Written {
        chart: chart_root,
        values,
    })
}

/// `text` with each line indented by `by`.
fn indent(text: &str, by: &str) -> String {
    text.lines().map(|line| format!("{by}{line}\n")).collect()
}

/// The release file `text` with `entry` added at the end of its block list
/// `releases:`, indented as its items are; `None` when there is none.
fn with_release(text: &str, entry: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.trim_end() == "releases:")?;
    let top_level = |l: &str| !l.is_empty() && !l.starts_with([' ', '#', '-']);
    let end = lines[start + 1..]
        .iter()
        .position(|l| top_level(l))
        .map_or(lines.len(), |at| start + 1 + at);
    let item_indent = lines[start + 1..end]
        .iter()
        .find(|l| l.trim_start().starts_with("- "))
        .map_or("  ".to_string(), |l| {
            " ".repeat(l.len() - l.trim_start().len())
        });
    // After the last line of the list that is not blank or a comment.
    let last = (start..end)
        .rev()
        .find(|&i| !lines[i].trim().is_empty() && !lines[i].trim_start().starts_with('#'))
        .unwrap_or(start);
    let mut out: Vec<String> = lines[..=last].iter().map(|l| l.to_string()).collect();
    out.push(indent(entry, &item_indent).trim_end().to_string());
    out.extend(lines[last + 1..].iter().map(|l| l.to_string()));
    Some(out.join("\n") + "\n")
}

/// `path` as the release file in `dir` should name it: relative to `dir`
/// when it is inside it, else absolute.
fn relative_to(dir: &Path, path: &Path) -> String {
    let absolute = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (dir, path) = (absolute(dir), absolute(path));
    match path.strip_prefix(&dir) {
        Ok(inside) => inside.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

/// A file of a chart to write: its name in the chart, and its bytes.
type ChartFile = (String, Vec<u8>);

/// The files of a chart as Helm's record stores it, under
/// `charts/NAME-VERSION/`: Chart.yaml from its metadata, values.yaml,
/// values.schema.json, templates and the other files. Refuses a chart with
/// dependencies (Helm does not store subcharts) and names that would reach
/// outside the chart.
fn stored_chart(stored: &serde_json::Value) -> Result<(String, Vec<ChartFile>), Diagnostic> {
    let metadata = &stored["metadata"];
    let (Some(name), Some(version)) = (metadata["name"].as_str(), metadata["version"].as_str())
    else {
        return Err(Diagnostic::error(
            "the Helm release's chart has no name or version in its record",
        ));
    };
    if let Some(dependencies) = metadata["dependencies"]
        .as_array()
        .filter(|d| !d.is_empty())
    {
        let names: Vec<&str> = dependencies
            .iter()
            .filter_map(|d| d["name"].as_str())
            .collect();
        return Err(Diagnostic::error(format!(
            "chart {name} {version} depends on {}, and Helm does not store subcharts in its release records",
            names.join(", ")
        ))
        .hint(format!("name the chart: `--chart PATH` (a directory or .tgz of {name} {version}, with its charts/), or `--repository URL`")));
    }
    let root = format!("charts/{name}-{version}");
    let mut files = vec![(
        "Chart.yaml".to_string(),
        crate::shared::yaml::emit_document(metadata).into_bytes(),
    )];
    if let Some(values) = stored["values"].as_object().filter(|v| !v.is_empty()) {
        files.push((
            "values.yaml".into(),
            crate::shared::yaml::emit_document(&serde_json::Value::Object(values.clone()))
                .into_bytes(),
        ));
    }
    let decode = |field: &str, text: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| {
                Diagnostic::error(format!(
                    "the Helm release's chart has `{field}` that is not base64: {e}"
                ))
            })
    };
    if let Some(schema) = stored["schema"].as_str().filter(|s| !s.is_empty()) {
        files.push(("values.schema.json".into(), decode("schema", schema)?));
    }
    for list in ["templates", "files"] {
        for file in stored[list].as_array().into_iter().flatten() {
            let file_name = file["name"].as_str().unwrap_or_default();
            let parts = archive::components(file_name).map_err(|why| {
                Diagnostic::error(format!("the Helm release's chart {why}")).hint(
                    "a chart file must stay inside the chart; name the chart with `--chart PATH`",
                )
            })?;
            if parts.is_empty() {
                continue;
            }
            files.push((
                parts.join("/"),
                decode(list, file["data"].as_str().unwrap_or_default())?,
            ));
        }
    }
    Ok((root, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_go_at_the_end_of_the_releases_list() {
        let entry = "- name: web\n  package: charts/web\n";
        let text =
            "# ours\nreleases:\n- name: a\n  package: a\n\n# trailing\nenvironments:\n  prod: {}\n";
        assert_eq!(
            with_release(text, entry).unwrap(),
            "# ours\nreleases:\n- name: a\n  package: a\n- name: web\n  package: charts/web\n\n# trailing\nenvironments:\n  prod: {}\n"
        );
        let indented = "releases:\n  - name: a\n    package: a\n";
        assert_eq!(
            with_release(indented, entry).unwrap(),
            "releases:\n  - name: a\n    package: a\n  - name: web\n    package: charts/web\n"
        );
        assert_eq!(with_release("releases: []\n", entry), None);
    }
}
