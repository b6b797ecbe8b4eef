//! `cleat apply`: the plan shown, then deployed with server-side apply.

use std::io::{BufRead, IsTerminal, Write};

use crate::cli::ApplyArgs;
use crate::cluster::plan::Plan;
use crate::deploy::apply::{deploy, Options, Revision};
use crate::deploy::planned::{plan_releases, release_leases, PlannedRelease};
use crate::release::select::select;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

use super::{output, show, Outcome};

pub fn run(args: ApplyArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let releases = select(&args.select.releases, &super::source(&args.select.source))?;
    let runtime = super::runtime()?;
    let mut plans = runtime.block_on(plan_releases(
        releases,
        &super::connection(&args.cluster),
        &super::plan_options(&args.plan, &args.cluster, args.force_conflicts),
        !args.dry_run,
    ))?;
    let result = apply_plans(&runtime, &plans, &args, out);
    let released = runtime.block_on(release_leases(&mut plans));
    result?;
    let warnings = plans
        .iter()
        .flat_map(|p| p.warnings.iter().cloned())
        .collect();
    Diagnostics::check(
        released.0,
        Outcome {
            warnings,
            ..Outcome::default()
        },
    )
}

fn apply_plans(
    runtime: &tokio::runtime::Runtime,
    plans: &[PlannedRelease],
    args: &ApplyArgs,
    out: &mut dyn std::io::Write,
) -> Result<(), Diagnostics> {
    let shown: Vec<&Plan> = plans.iter().map(|p| &p.plan).collect();
    super::write(out, &show::describe(&shown, super::stdout_color(), false))?;
    if args.dry_run || !plans.iter().any(PlannedRelease::pending) {
        return Ok(());
    }
    if !args.yes && std::io::stdin().is_terminal() && !confirm()? {
        return Err(Diagnostic::error("nothing applied: not confirmed").into());
    }
    let options = Options {
        force: args.force_conflicts,
        concurrency: args.cluster.concurrency,
        wait: args.wait || args.atomic,
        timeout: args.timeout,
        wait_steps: true,
        atomic: args.atomic,
        history_max: args.history_max,
        keep_helm_history: args.keep_helm_history,
        revision: Revision::Next,
    };
    for planned in plans.iter().filter(|p| p.pending()) {
        let mut summary = output::deployed(&runtime.block_on(deploy(planned, options))?);
        for object in &planned.plan.objects {
            for conflict in &object.drift {
                summary.push_str(&format!(
                    "  took back {} of {} from `{}`\n",
                    conflict.field,
                    object.id(),
                    conflict.manager
                ));
            }
        }
        if let Some(holder) = planned.took_over() {
            summary.push_str(&format!("  took over the expired lease of {holder}\n"));
        }
        if let Some(notes) = &planned.notes {
            summary.push_str(&output::notes(&planned.locked.name, notes));
        }
        super::write(out, &summary)?;
    }
    Ok(())
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
