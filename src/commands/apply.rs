//! `cleat apply`: the plan shown, then applied with server-side apply.

use std::io::{BufRead, IsTerminal, Write};

use crate::apply::{self, Options};
use crate::cli::ApplyArgs;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::plan::Plan;
use crate::record::Record;

use super::Outcome;

pub fn run(args: ApplyArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let runtime = super::runtime()?;
    let plans = runtime.block_on(super::plan_releases(
        &args.select,
        &args.cluster,
        args.force_conflicts,
    ))?;
    let shown: Vec<&Plan> = plans.iter().map(|p| &p.plan).collect();
    super::write(
        out,
        &super::diff::describe(&shown, super::stdout_color(), true),
    )?;
    let recorded = |p: &super::Planned| {
        p.plan
            .previous
            .as_ref()
            .is_some_and(|r| r.lock.digest == p.locked.digest)
    };
    let pending = plans
        .iter()
        .any(|p| super::diff::has_changes(&p.plan) || !recorded(p));
    if args.dry_run || !pending {
        return Ok(Outcome::default());
    }
    if !args.yes && std::io::stdin().is_terminal() && !confirm()? {
        return Err(Diagnostic::error("nothing applied: not confirmed").into());
    }
    let options = Options {
        force: args.force_conflicts,
        concurrency: args.cluster.concurrency,
    };
    for planned in &plans {
        let (cluster, plan) = (&planned.cluster, &planned.plan);
        if !super::diff::has_changes(plan) && recorded(planned) {
            continue;
        }
        let applied = runtime.block_on(apply::apply(cluster, plan, options))?;
        let revision = plan.previous.as_ref().map_or(1, |r| r.revision + 1);
        let record = Record {
            record_version: crate::record::VERSION,
            release: plan.release.clone(),
            namespace: plan.namespace.clone(),
            revision,
            applied_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            applied_by: applied_by(&cluster.context),
            lock: planned.locked.clone(),
            inventory: applied.inventory.clone(),
        };
        runtime.block_on(crate::record::write(cluster, &record, args.history_max))?;
        let mut summary = format!(
            "release {}: revision {revision}: {} created, {} changed, {} deleted, {} unchanged\n",
            plan.release,
            applied.created + plan.namespaces.len(),
            applied.changed,
            applied.deleted,
            applied.unchanged
        );
        for kept in &applied.kept {
            summary.push_str(&format!(
                "  kept {kept}: annotated {}\n",
                apply::KEEP_ANNOTATION
            ));
        }
        super::write(out, &summary)?;
    }
    Ok(Outcome::default())
}

/// Who applies: the local user and host, and the kubeconfig context.
fn applied_by(context: &str) -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    format!("{user}@{host} (context {context})")
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
