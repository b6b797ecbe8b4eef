//! `cleat lock`: the release file resolved, rendered and locked into
//! `cleat.lock`, or, with `--check`, the lockfile checked against it.

use crate::cli::LockArgs;
use crate::release::locking::lock;
use crate::release::select::out_of_date;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

use super::Outcome;

pub fn run(args: LockArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let file = &args.release_file;
    let mut locked = if args.cluster {
        let runtime = super::runtime()?;
        let connection = super::connection(&args.connection);
        let mut clusters = std::collections::HashMap::new();
        lock(
            &file.file,
            file.env.as_deref(),
            args.update,
            args.check,
            &mut |prepared| {
                runtime.block_on(crate::deploy::lookups::on_cluster(
                    &connection,
                    &mut clusters,
                    prepared,
                ))
            },
        )?
    } else {
        lock(
            &file.file,
            file.env.as_deref(),
            args.update,
            args.check,
            &mut Ok,
        )?
    };
    let mut warnings = std::mem::take(&mut locked.warnings);
    let dropped = locked.dropped_answers();
    if !args.cluster && !dropped.is_empty() {
        warnings.push(
            Diagnostic::warning(format!(
                "locked without a cluster, these lookups find nothing, though the lockfile recorded the cluster's answers:\n  {}",
                dropped.join("\n  ")
            ))
            .hint("lock with `--cluster` to record what the cluster answers"),
        );
    }
    let shown = locked.path.display().to_string();
    if args.check {
        let Some(differences) = locked.differences() else {
            return Err(Diagnostic::error(format!("there is no lockfile `{shown}`"))
                .hint("write it with `cleat lock` and commit it")
                .into());
        };
        if !differences.is_empty() {
            return Err(out_of_date(&shown, &differences).into());
        }
        super::write(out, &format!("{shown} is up to date\n"))?;
        return Ok(Outcome {
            warnings,
            ..Outcome::default()
        });
    }
    locked.lockfile.write(&locked.path)?;
    let unsalted = locked.unsalted_markers();
    if unsalted > 0 {
        warnings.push(
            Diagnostic::warning(format!(
                "`{shown}` held {unsalted} secret markers of lockfile version 1 (an unsalted SHA-256, which confirms a guessed secret); they are rewritten as salted argon2id hashes"
            ))
            .hint("commit the new lockfile; the secrets themselves did not change"),
        );
    }
    let mut summary = String::new();
    for environment in locked
        .lockfile
        .environments
        .iter()
        .filter(|e| locked.environments.contains(&e.name))
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
    Ok(Outcome {
        warnings,
        ..Outcome::default()
    })
}
