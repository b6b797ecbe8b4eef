//! The releases a command acts on, rendered: from the release file, held to
//! its lockfile with `--locked`, or from a lockfile alone.

use std::path::{Path, PathBuf};

use crate::authoring::repository::Client;
use crate::release::file::{ReleaseFile, Spec};
use crate::release::lock::{LockedEnvironment, LockedRelease, Lockfile, LOCK_FILE};
use crate::release::prepare::{self, Prepared};
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

/// Where releases are rendered from.
#[derive(Debug, Clone)]
pub enum Source {
    /// The release file, in environment `env`; with `locked`, rendering must
    /// match the lockfile beside it.
    ReleaseFile {
        file: PathBuf,
        env: Option<String>,
        locked: bool,
    },
    /// A lockfile alone, in environment `env` (optional when it locks one).
    Lockfile { path: PathBuf, env: Option<String> },
}

impl Source {
    /// The directory relative package sources and secret files are
    /// relative to: where the release file or lockfile is.
    pub fn base(&self) -> &Path {
        crate::shared::files::parent_dir(match self {
            Source::ReleaseFile { file, .. } => file,
            Source::Lockfile { path, .. } => path,
        })
    }
}

/// The lockfile beside the release file `file`.
pub fn lock_path(file: &Path) -> PathBuf {
    file.with_file_name(LOCK_FILE)
}

/// The error for a lockfile that no longer matches what was rendered.
pub fn out_of_date(lockfile: &str, differences: &[String]) -> Diagnostic {
    Diagnostic::error(format!(
        "`{lockfile}` is out of date:\n  {}",
        differences.join("\n  ")
    ))
    .hint("run `cleat lock`, review the change to the lockfile and commit it")
}

/// The releases `names` (every release when empty), rendered from `source`.
/// Problems of all releases are reported.
pub fn select(names: &[String], source: &Source) -> Result<Vec<Prepared>, Diagnostics> {
    match source {
        Source::Lockfile { path, env } => from_lockfile(names, env.as_deref(), path),
        Source::ReleaseFile { file, env, locked } => {
            from_release_file(names, file, env.as_deref(), *locked)
        }
    }
}

fn from_release_file(
    names: &[String],
    path: &Path,
    env: Option<&str>,
    locked: bool,
) -> Result<Vec<Prepared>, Diagnostics> {
    let file = ReleaseFile::load(path)?;
    let env = file.environment_name(env)?;
    let specs = file.select(env.as_deref());
    let chosen: Vec<&Spec> = if names.is_empty() {
        specs.iter().collect()
    } else {
        names
            .iter()
            .map(|name| file.find(&specs, name))
            .collect::<Result<_, _>>()?
    };
    let lock_path = lock_path(path);
    let shown = lock_path.display().to_string();
    // Without `--locked`, the lockfile only lends its secret markers.
    let lockfile = if locked {
        Some(Lockfile::read(&lock_path)?.ok_or_else(|| {
            Diagnostic::error(format!(
                "`--locked` needs a lockfile, and there is no `{shown}`"
            ))
            .hint("write it with `cleat lock` and commit it")
        })?)
    } else {
        Lockfile::read(&lock_path).ok().flatten()
    };
    let label = LockedEnvironment::label(env.as_deref());
    // With `--locked`, nothing enters the cache unless it all matches.
    let mut client = if locked {
        Client::holding(false)
    } else {
        Client::new(false)
    };
    let mut prepared = Vec::new();
    let mut problems = Vec::new();
    let mut drift = Vec::new();
    for spec in chosen {
        let earlier = lockfile
            .as_ref()
            .and_then(|l| l.environment(env.as_deref()))
            .and_then(|e| e.releases.iter().find(|r| r.name == spec.name));
        let answering = if locked {
            prepare::chart::Answering::Recorded
        } else {
            prepare::chart::Answering::Live
        };
        let release = match prepare::from_spec(spec, &mut client, earlier, answering) {
            Ok(release) => release,
            Err(errors) => {
                problems.extend(errors.0);
                continue;
            }
        };
        if locked {
            let name = &spec.name;
            match earlier {
                None => drift.push(format!("{label}: release `{name}`: not locked")),
                Some(entry) => drift.extend(
                    entry
                        .differences(&release.locked)
                        .into_iter()
                        .map(|d| format!("{label}: release `{name}`: {d}")),
                ),
            }
        }
        prepared.push(release);
    }
    if !drift.is_empty() {
        problems.push(
            out_of_date(&shown, &drift).hint("`--locked` uses only what the lockfile records"),
        );
    }
    let prepared = Diagnostics::check(problems, prepared)?;
    client.commit()?;
    Ok(prepared)
}

fn from_lockfile(
    names: &[String],
    env: Option<&str>,
    path: &Path,
) -> Result<Vec<Prepared>, Diagnostics> {
    let shown = path.display().to_string();
    let lockfile = Lockfile::read(path)?.ok_or_else(|| {
        Diagnostic::error(format!("there is no lockfile `{shown}`")).about(shown.clone())
    })?;
    let environment = match (env, lockfile.environments.as_slice()) {
        (None, [only]) => only,
        (env, environments) => lockfile.environment(env).ok_or_else(|| {
            let names: Vec<String> = environments
                .iter()
                .map(|e| e.name.clone().unwrap_or_else(|| "(none)".into()))
                .collect();
            Diagnostic::error(format!(
                "`{shown}` locks no {}",
                LockedEnvironment::label(env)
            ))
            .hint(format!("choose one with `--env`: {}", names.join(", ")))
        })?,
    };
    let chosen: Vec<&LockedRelease> = if names.is_empty() {
        environment.releases.iter().collect()
    } else {
        names
            .iter()
            .map(|name| {
                environment
                    .releases
                    .iter()
                    .find(|r| r.name == *name)
                    .ok_or_else(|| {
                        let known: Vec<&str> = environment
                            .releases
                            .iter()
                            .map(|r| r.name.as_str())
                            .collect();
                        Diagnostic::error(format!(
                            "`{shown}` locks no release `{name}` in {}",
                            LockedEnvironment::label(environment.name.as_deref())
                        ))
                        .hint(format!("releases: {}", known.join(", ")))
                    })
            })
            .collect::<Result<_, _>>()?
    };
    let base = crate::shared::files::parent_dir(path);
    // Nothing enters the cache unless every release renders as locked.
    let mut client = Client::holding(false);
    let mut prepared = Vec::new();
    let mut problems = Vec::new();
    for locked in chosen {
        match prepare::from_lock(locked, base, &shown, &mut client) {
            Ok(release) => prepared.push(release),
            Err(errors) => problems.extend(errors.0),
        }
    }
    let prepared = Diagnostics::check(problems, prepared)?;
    client.commit()?;
    Ok(prepared)
}
