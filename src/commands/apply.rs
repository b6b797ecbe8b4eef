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
    let lock = !args.dry_run;
    let mut plans = runtime.block_on(super::plan_releases(
        &args.select,
        &args.cluster,
        args.force_conflicts,
        lock,
    ))?;
    let result = apply_plans(&runtime, &mut plans, &args, out);
    let released = runtime.block_on(super::release_leases(&mut plans));
    result?;
    if !released.0.is_empty() {
        return Err(released);
    }
    Ok(Outcome::default())
}

fn apply_plans(
    runtime: &tokio::runtime::Runtime,
    plans: &mut [super::Planned],
    args: &ApplyArgs,
    out: &mut dyn std::io::Write,
) -> Result<(), Diagnostics> {
    let shown: Vec<&Plan> = plans.iter().map(|p| &p.plan).collect();
    super::write(
        out,
        &super::diff::describe(&shown, super::stdout_color(), false),
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
        return Ok(());
    }
    if !args.yes && std::io::stdin().is_terminal() && !confirm()? {
        return Err(Diagnostic::error("nothing applied: not confirmed").into());
    }
    let options = Options {
        force: args.force_conflicts,
        concurrency: args.cluster.concurrency,
    };
    for planned in plans.iter() {
        if !super::diff::has_changes(&planned.plan) && recorded(planned) {
            continue;
        }
        let mut summary = if planned.lease.is_some() {
            runtime.block_on(apply_and_record(planned, options, args.history_max))?
        } else {
            runtime.block_on(apply_new_namespace(planned, options, args.history_max))?
        };
        if let Some(holder) = planned.lease.as_ref().and_then(|l| l.took_over.clone()) {
            summary.push_str(&format!("  took over the expired lease of {holder}\n"));
        }
        super::write(out, &summary)?;
    }
    Ok(())
}

/// Applies a release whose namespace did not exist when it was planned:
/// creates the namespace, takes the lease, checks that nobody applied the
/// release in the meantime, applies, and releases the lease.
async fn apply_new_namespace(
    planned: &super::Planned,
    options: Options,
    history_max: usize,
) -> Result<String, Diagnostics> {
    let (cluster, plan) = (&planned.cluster, &planned.plan);
    apply::create_namespace(cluster, &plan.namespace).await?;
    let held = crate::lease::acquire(cluster, &plan.release, &plan.namespace).await?;
    let result = async {
        if let Some(record) = crate::record::latest(cluster, &plan.release, &plan.namespace).await?
        {
            return Err(Diagnostic::error(format!(
                "release `{}` was applied by {} while this plan was made",
                plan.release, record.applied_by
            ))
            .hint("run the apply again to plan against what is there now")
            .into());
        }
        apply_and_record(planned, options, history_max).await
    }
    .await;
    let released = crate::lease::release(cluster, held).await;
    let summary = result?;
    released?;
    Ok(summary)
}

/// Applies one planned release (its lease held), prunes, and records the
/// new revision.
pub(super) async fn apply_and_record(
    planned: &super::Planned,
    options: Options,
    history_max: usize,
) -> Result<String, Diagnostics> {
    let (cluster, plan) = (&planned.cluster, &planned.plan);
    let applied = apply::apply(cluster, plan, options).await?;
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
    crate::record::write(cluster, &record, history_max).await?;
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
    Ok(summary)
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
