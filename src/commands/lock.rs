//! `cleat lock` and `cleat template`: the release file resolved, rendered
//! and locked, or one release rendered, checked against the lockfile.

use std::path::{Path, PathBuf};

use crate::cli::{LockArgs, OutputFormat, ReleaseFileArgs, SourceArgs, TemplateArgs};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::lock::{LockedEnvironment, Lockfile, LOCK_FILE};
use crate::object;
use crate::release::{self, Prepared};
use crate::releasefile::ReleaseFile;
use crate::repository::Client;

use super::Outcome;

/// The lockfile beside the release file.
fn lock_path(file: &Path) -> PathBuf {
    file.with_file_name(LOCK_FILE)
}

pub fn run(args: LockArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let file = ReleaseFile::load(&args.release_file.file)?;
    let path = lock_path(&args.release_file.file);
    let existing = Lockfile::read(&path)?;
    let targets: Vec<Option<String>> = match &args.release_file.env {
        Some(env) => vec![file.environment_name(Some(env))?],
        None if file.environments.is_empty() => vec![None],
        None => file
            .environments
            .iter()
            .map(|e| Some(e.name.clone()))
            .collect(),
    };
    let mut client = Client::new(args.update);
    let mut lockfile = match (&args.release_file.env, &existing) {
        (Some(_), Some(existing)) => existing.clone(),
        _ => Lockfile::new(),
    };
    lockfile.generated_by = Lockfile::new().generated_by;
    let mut problems = Vec::new();
    for target in &targets {
        let mut releases = Vec::new();
        for spec in file.select(target.as_deref()) {
            match release::from_spec(&spec, &mut client) {
                Ok(prepared) => releases.push(prepared.locked),
                Err(errors) => problems.extend(errors.0),
            }
        }
        lockfile.set_environment(LockedEnvironment {
            name: target.clone(),
            releases,
        });
    }
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }
    let shown = path.display().to_string();
    if args.check {
        let Some(existing) = existing else {
            return Err(Diagnostic::error(format!("there is no lockfile `{shown}`"))
                .hint("write it with `cleat lock` and commit it")
                .into());
        };
        let mut found = Vec::new();
        for environment in &lockfile.environments {
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
        if args.release_file.env.is_none() {
            for environment in &existing.environments {
                if lockfile.environment(environment.name.as_deref()).is_none() {
                    found.push(format!(
                        "{}: locked, but no longer declared",
                        LockedEnvironment::label(environment.name.as_deref())
                    ));
                }
            }
        }
        if !found.is_empty() {
            return Err(out_of_date(&shown, &found).into());
        }
        super::write(out, &format!("{shown} is up to date\n"))?;
        return Ok(Outcome::default());
    }
    lockfile.write(&path)?;
    let mut summary = String::new();
    for environment in lockfile
        .environments
        .iter()
        .filter(|e| targets.contains(&e.name))
    {
        for release in &environment.releases {
            summary.push_str(&format!(
                "{}{} {} {} ({} objects) {}\n",
                environment
                    .name
                    .as_deref()
                    .map_or(String::new(), |n| format!("{n}/")),
                release.name,
                release.package.name,
                release.package.version,
                release.objects.len(),
                release.digest
            ));
        }
    }
    summary.push_str(&format!("wrote {shown}\n"));
    super::write(out, &summary)?;
    Ok(Outcome::default())
}

fn out_of_date(lockfile: &str, differences: &[String]) -> Diagnostic {
    Diagnostic::error(format!(
        "`{lockfile}` is out of date:\n  {}",
        differences.join("\n  ")
    ))
    .hint("run `cleat lock`, review the change to the lockfile and commit it")
}

pub fn template(args: TemplateArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let prepared = select(std::slice::from_ref(&args.release), &args.source)?;
    let objects: Vec<_> = prepared.into_iter().flat_map(|p| p.objects).collect();
    let text = match args.output {
        OutputFormat::Yaml => object::to_yaml_stream(&objects),
        OutputFormat::Json => object::to_json_list(&objects),
    };
    super::write(out, &text)?;
    Ok(Outcome::default())
}

/// The releases `names` (every release when empty), rendered: from the
/// lockfile `--lockfile` alone, or from the release file, refusing drift
/// from its lockfile with `--locked`. Problems of all releases are reported.
pub(super) fn select(names: &[String], source: &SourceArgs) -> Result<Vec<Prepared>, Diagnostics> {
    match &source.lockfile {
        Some(path) => from_lockfile(names, &source.release_file, path),
        None => from_release_file(names, &source.release_file, source.locked),
    }
}

fn from_release_file(
    names: &[String],
    args: &ReleaseFileArgs,
    locked: bool,
) -> Result<Vec<Prepared>, Diagnostics> {
    let file = ReleaseFile::load(&args.file)?;
    let env = file.environment_name(args.env.as_deref())?;
    let specs = file.select(env.as_deref());
    let chosen: Vec<&crate::releasefile::Spec> = if names.is_empty() {
        specs.iter().collect()
    } else {
        names
            .iter()
            .map(|name| file.find(&specs, name))
            .collect::<Result<_, _>>()?
    };
    let lock = if locked {
        let path = lock_path(&args.file);
        let shown = path.display().to_string();
        let lockfile = Lockfile::read(&path)?.ok_or_else(|| {
            Diagnostic::error(format!(
                "`--locked` needs a lockfile, and there is no `{shown}`"
            ))
            .hint("write it with `cleat lock` and commit it")
        })?;
        Some((shown, lockfile))
    } else {
        None
    };
    let label = LockedEnvironment::label(env.as_deref());
    let mut client = Client::new(false);
    let mut prepared = Vec::new();
    let mut problems = Vec::new();
    let mut drift = Vec::new();
    for spec in chosen {
        let release = match release::from_spec(spec, &mut client) {
            Ok(release) => release,
            Err(errors) => {
                problems.extend(errors.0);
                continue;
            }
        };
        if let Some((_, lockfile)) = &lock {
            let name = &spec.name;
            match lockfile
                .environment(env.as_deref())
                .and_then(|e| e.releases.iter().find(|r| r.name == *name))
            {
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
    if let (Some((shown, _)), false) = (&lock, drift.is_empty()) {
        problems.push(
            out_of_date(shown, &drift).hint("`--locked` uses only what the lockfile records"),
        );
    }
    Diagnostics::check(problems, prepared)
}

fn from_lockfile(
    names: &[String],
    args: &ReleaseFileArgs,
    path: &Path,
) -> Result<Vec<Prepared>, Diagnostics> {
    let shown = path.display().to_string();
    let lockfile = Lockfile::read(path)?.ok_or_else(|| {
        Diagnostic::error(format!("there is no lockfile `{shown}`")).about(shown.clone())
    })?;
    let environment = match (&args.env, lockfile.environments.as_slice()) {
        (None, [only]) => only,
        (env, environments) => lockfile.environment(env.as_deref()).ok_or_else(|| {
            let names: Vec<String> = environments
                .iter()
                .map(|e| e.name.clone().unwrap_or_else(|| "(none)".into()))
                .collect();
            Diagnostic::error(format!(
                "`{shown}` locks no {}",
                LockedEnvironment::label(env.as_deref())
            ))
            .hint(format!("choose one with `--env`: {}", names.join(", ")))
        })?,
    };
    let chosen: Vec<&crate::lock::LockedRelease> = if names.is_empty() {
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
    let base = crate::package::parent_dir(path);
    let mut client = Client::new(false);
    let mut prepared = Vec::new();
    let mut problems = Vec::new();
    for locked in chosen {
        match release::from_lock(locked, base, &shown, &mut client) {
            Ok(release) => prepared.push(release),
            Err(errors) => problems.extend(errors.0),
        }
    }
    Diagnostics::check(problems, prepared)
}
