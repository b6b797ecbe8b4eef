//! Classic Helm chart repositories: the `index.yaml` that `helm repo index`
//! writes (`apiVersion: v1`, `entries` by chart name, each version with its
//! `urls` and the `digest` of its archive), read into the versions of each
//! chart, newest first.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::shared::diagnostics::{Diagnostic, Diagnostics, Source};
use crate::shared::yaml;

/// A Helm repository's index.
#[derive(Debug, Clone, Default)]
pub struct ChartIndex {
    /// Versions by chart name, newest first.
    pub entries: BTreeMap<String, Vec<ChartEntry>>,
}

/// One chart version in a Helm repository.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartEntry {
    pub name: String,
    pub version: semver::Version,
    /// Where its archive is: absolute, or relative to the repository.
    pub urls: Vec<String>,
    /// `sha256:` and the hex SHA-256 of the archive, when the index gives it.
    pub digest: Option<String>,
}

impl ChartIndex {
    /// The versions of chart `name`, newest first.
    pub fn versions<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a ChartEntry> + 'a {
        self.entries.get(name).into_iter().flatten()
    }

    /// Parses `index.yaml` as Helm reads it. A version Helm would not read
    /// as semantic (after a leading `v`) is skipped, as Helm skips it.
    pub fn parse(source: &Arc<Source>) -> Result<ChartIndex, Diagnostics> {
        let root = yaml::parse_document(source)?;
        let origin = root.origin.clone();
        let json = root.into_json();
        let not_helm = |why: &str| -> Diagnostics {
            Diagnostic::error(format!(
                "`{}` is not a Helm repository index: {why}",
                source.name
            ))
            .at(origin.clone())
            .hint("a Helm repository serves the `index.yaml` that `helm repo index` writes")
            .into()
        };
        if json["apiVersion"] != "v1" {
            return Err(not_helm("it has no `apiVersion: v1`"));
        }
        let Some(entries) = json["entries"].as_object() else {
            return Err(not_helm("`entries` is not a map of charts"));
        };
        let mut index = ChartIndex::default();
        for (name, versions) in entries {
            let mut found: Vec<ChartEntry> = versions
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| {
                    let text = v["version"].as_str()?;
                    let version = semver::Version::parse(text.trim_start_matches('v')).ok()?;
                    Some(ChartEntry {
                        name: name.clone(),
                        version,
                        urls: v["urls"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|u| u.as_str().map(str::to_string))
                            .collect(),
                        digest: v["digest"]
                            .as_str()
                            .filter(|d| !d.is_empty())
                            .map(|d| format!("sha256:{}", d.trim_start_matches("sha256:"))),
                    })
                })
                .collect();
            found.sort_by(|a, b| b.version.cmp(&a.version));
            index.entries.insert(name.clone(), found);
        }
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_helm_repo_index_output() {
        let text = "apiVersion: v1\nentries:\n  web:\n  - name: web\n    version: 0.2.0\n    digest: ab12\n    urls: [web-0.2.0.tgz]\n  - name: web\n    version: v0.10.0\n    urls: [https://cdn.example.com/web-0.10.0.tgz]\n  - name: web\n    version: not-a-version\n    urls: [x.tgz]\ngenerated: \"2026-01-01T00:00:00Z\"\n";
        let index = ChartIndex::parse(&Source::new("index.yaml", text)).unwrap();
        let versions: Vec<_> = index.versions("web").collect();
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[0].version, semver::Version::new(0, 10, 0));
        assert_eq!(versions[0].digest, None);
        assert_eq!(versions[1].digest.as_deref(), Some("sha256:ab12"));
        assert_eq!(versions[1].urls, ["web-0.2.0.tgz"]);
        let cleat = ChartIndex::parse(&Source::new(
            "index.yaml",
            "formatVersion: 1\npackages: []\n",
        ));
        assert!(cleat.unwrap_err().0[0]
            .message
            .contains("is not a Helm repository index: it has no `apiVersion: v1`"));
    }
}
