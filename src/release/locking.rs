//! `cleat lock`'s work: every release of the release file resolved, rendered
//! and locked into a new lockfile, and an existing lockfile checked against it.

use std::path::{Path, PathBuf};

use crate::authoring::repository::Client;
use crate::release::file::ReleaseFile;
use crate::release::lock::{LockedEnvironment, LockedRelease, Lockfile};
use crate::release::prepare::{self, Prepared};
use crate::release::select::lock_path;
use crate::shared::diagnostics::Diagnostics;

/// The release file locked anew.
pub struct Locked {
    /// The lockfile beside the release file.
    pub path: PathBuf,
    /// The lockfile as it is on disk, if there is one.
    pub existing: Option<Lockfile>,
    /// The new lockfile: the environments locked, and with `--env` the
    /// others as they were.
    pub lockfile: Lockfile,
    /// The environments locked (`None` for a file without environments).
    pub environments: Vec<Option<String>>,
    /// Whether one environment was asked for, leaving the others alone.
    pub one_environment: bool,
    /// What rendering warned about.
    pub warnings: Vec<crate::shared::diagnostics::Diagnostic>,
}

impl Locked {
    /// How many secret markers of the unsalted format the lockfile on disk
    /// held (lockfile version 1); the new lockfile has none.
    pub fn unsalted_markers(&self) -> usize {
        self.existing
            .iter()
            .flat_map(|l| &l.environments)
            .flat_map(|e| &e.releases)
            .map(LockedRelease::unsalted_markers)
            .sum()
    }
}

/// Resolves and renders every release of the release file at `file`, in
/// environment `env` or in every environment it declares. With `update`,
/// repository indexes are fetched again. With `check`, nothing is written to
/// the cache: the result is only compared. A chart release whose templates
/// look something up is given to `answer`, which may render it again with a
/// cluster's answers (`cleat lock --cluster`).
pub fn lock(
    file: &Path,
    env: Option<&str>,
    update: bool,
    check: bool,
    answer: &mut dyn FnMut(Prepared) -> Result<Prepared, Diagnostics>,
) -> Result<Locked, Diagnostics> {
    let release_file = ReleaseFile::load(file)?;
    let path = lock_path(file);
    let existing = Lockfile::read(&path)?;
    let environments: Vec<Option<String>> = match env {
        Some(env) => vec![release_file.environment_name(Some(env))?],
        None if release_file.environments.is_empty() => vec![None],
        None => release_file
            .environments
            .iter()
            .map(|e| Some(e.name.clone()))
            .collect(),
    };
    let mut client = if check {
        Client::holding(update)
    } else {
        Client::new(update)
    };
    let mut lockfile = match (env, &existing) {
        (Some(_), Some(existing)) => existing.clone(),
        _ => Lockfile::new(),
    };
    let fresh = Lockfile::new();
    lockfile.generated_by = fresh.generated_by;
    lockfile.lockfile_version = fresh.lockfile_version;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    for target in &environments {
        let mut releases = Vec::new();
        for spec in release_file.select(target.as_deref()) {
            let earlier = existing
                .as_ref()
                .and_then(|e| e.environment(target.as_deref()))
                .and_then(|e| e.releases.iter().find(|r| r.name == spec.name));
            let prepared =
                prepare::from_spec(&spec, &mut client, earlier, prepare::chart::Answering::Live)
                    .and_then(|p| if p.looks_up() { answer(p) } else { Ok(p) });
            match prepared {
                Ok(prepared) => {
                    warnings.extend(prepared.warnings);
                    releases.push(prepared.locked);
                }
                Err(errors) => problems.extend(errors.0),
            }
        }
        lockfile.set_environment(LockedEnvironment {
            name: target.clone(),
            releases,
        });
    }
    Diagnostics::check(
        problems,
        Locked {
            path,
            existing,
            lockfile,
            environments,
            one_environment: env.is_some(),
            warnings,
        },
    )
}

impl Locked {
    /// How the lockfile on disk differs from the new one, a line each; with
    /// every environment locked, environments no longer declared count too.
    /// `None` when there is no lockfile on disk.
    pub fn differences(&self) -> Option<Vec<String>> {
        let existing = self.existing.as_ref()?;
        let mut found = Vec::new();
        for environment in &self.lockfile.environments {
            let name = environment.name.as_deref();
            let differences = match existing.environment(name) {
                Some(locked) => locked.differences(environment),
                None => vec!["not locked".to_string()],
            };
            found.extend(
                differences
                    .into_iter()
                    .map(|d| format!("{}: {d}", LockedEnvironment::label(name))),
            );
        }
        if !self.one_environment {
            for environment in &existing.environments {
                if self
                    .lockfile
                    .environment(environment.name.as_deref())
                    .is_none()
                {
                    found.push(format!(
                        "{}: locked, but no longer declared",
                        LockedEnvironment::label(environment.name.as_deref())
                    ));
                }
            }
        }
        Some(found)
    }
}

impl Locked {
    /// The lookups that the lockfile on disk records an answer for and that
    /// found nothing now: what locking without a cluster drops.
    pub fn dropped_answers(&self) -> Vec<String> {
        let Some(existing) = &self.existing else {
            return Vec::new();
        };
        let mut dropped = Vec::new();
        for environment in &self.lockfile.environments {
            let Some(before) = existing.environment(environment.name.as_deref()) else {
                continue;
            };
            for release in &environment.releases {
                let Some(earlier) = before.releases.iter().find(|r| r.name == release.name) else {
                    continue;
                };
                let answered = |r: &LockedRelease| -> Vec<_> {
                    r.chart
                        .iter()
                        .flat_map(|c| &c.lookups)
                        .filter(|l| l.answer != serde_json::json!({}))
                        .map(|l| l.key())
                        .collect()
                };
                let now = answered(release);
                dropped.extend(
                    answered(earlier)
                        .into_iter()
                        .filter(|key| !now.contains(key))
                        .map(|key| format!("release `{}`: {key}", release.name)),
                );
            }
        }
        dropped
    }
}
