//! `cleat apply`: the plan shown, then applied with server-side apply.

use std::io::{BufRead, IsTerminal, Write};

use crate::apply::{self, Options};
use crate::cli::ApplyArgs;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::plan::Plan;

use super::Outcome;

pub fn run(args: ApplyArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let runtime = super::runtime()?;
    let plans = runtime.block_on(super::plan_releases(
        &args.select,
        &args.cluster,
        args.force_conflicts,
    ))?;
    let shown: Vec<&Plan> = plans.iter().map(|(_, plan)| plan).collect();
    super::write(
        out,
        &super::diff::describe(&shown, super::stdout_color(), true),
    )?;
    if args.dry_run || !shown.iter().any(|p| super::diff::has_changes(p)) {
        return Ok(Outcome::default());
    }
    if !args.yes && std::io::stdin().is_terminal() && !confirm()? {
        return Err(Diagnostic::error("nothing applied: not confirmed").into());
    }
    let options = Options {
        force: args.force_conflicts,
        concurrency: args.cluster.concurrency,
    };
    for (cluster, plan) in &plans {
        let applied = runtime.block_on(apply::apply(cluster, plan, options))?;
        super::write(
            out,
            &format!(
                "release {}: {} created, {} changed, {} unchanged\n",
                plan.release,
                applied.created + plan.namespaces.len(),
                applied.changed,
                applied.unchanged
            ),
        )?;
    }
    Ok(Outcome::default())
}

fn confirm() -> Result<bool, Diagnostic> {
    eprint!("Apply these changes? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Diagnostic::error(format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
