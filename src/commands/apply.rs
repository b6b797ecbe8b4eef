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
    plans: &mut [super::PlannedRelease],
    args: &ApplyArgs,
    out: &mut dyn std::io::Write,
) -> Result<(), Diagnostics> {
    let shown: Vec<&Plan> = plans.iter().map(|p| &p.plan).collect();
    super::write(
        out,
        &super::diff::describe(&shown, super::stdout_color(), false),
    )?;
    let recorded = |p: &super::PlannedRelease| {
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
    let after = After {
        wait: (args.wait || args.atomic).then_some(args.timeout),
        atomic: args.atomic,
        history_max: args.history_max,
    };
    for planned in plans.iter() {
        if !super::diff::has_changes(&planned.plan) && recorded(planned) {
            continue;
        }
        let mut summary = if planned.lease.is_some() {
            runtime.block_on(apply_and_record(planned, options, after))?
        } else {
            runtime.block_on(apply_new_namespace(planned, options, after))?
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
    planned: &super::PlannedRelease,
    options: Options,
    after: After,
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
        apply_and_record(planned, options, after).await
    }
    .await;
    let released = crate::lease::release(cluster, held).await;
    let summary = result?;
    released?;
    Ok(summary)
}

/// What happens after the objects are applied.
#[derive(Debug, Clone, Copy)]
pub(super) struct After {
    /// Wait for readiness, at most this long.
    pub wait: Option<std::time::Duration>,
    /// On failure, apply the previous revision again.
    pub atomic: bool,
    pub history_max: usize,
}

/// Applies one planned release (its lease held), waits for readiness when
/// asked, prunes, and records the new revision. With `atomic`, a failure
/// puts the previous revision back and reports both.
pub(super) async fn apply_and_record(
    planned: &super::PlannedRelease,
    options: Options,
    after: After,
) -> Result<String, Diagnostics> {
    let (cluster, plan) = (&planned.cluster, &planned.plan);
    let result = async {
        let mut applied = apply::apply(cluster, plan, options).await?;
        if let Some(timeout) = after.wait {
            crate::wait::wait(cluster, &plan.release, &plan.objects, timeout).await?;
        }
        apply::prune(cluster, &plan.deletions, &mut applied).await?;
        Ok::<_, Diagnostics>(applied)
    }
    .await;
    let applied = match (result, after.atomic, &plan.previous) {
        (Ok(applied), _, _) => applied,
        (Err(failure), true, Some(previous)) => {
            let mut problems = failure.0;
            match roll_back(planned, previous, options, after).await {
                Ok(revision) => problems.push(Diagnostic::error(format!(
                    "--atomic: release `{}` was rolled back to revision {} (recorded as revision {revision})",
                    plan.release, previous.revision
                ))),
                Err(errors) => {
                    problems.push(Diagnostic::error(format!(
                        "--atomic: rolling release `{}` back to revision {} failed too",
                        plan.release, previous.revision
                    )));
                    problems.extend(errors.0);
                }
            }
            return Err(Diagnostics(problems));
        }
        (Err(failure), _, _) => return Err(failure),
    };
    let revision = record(planned, &planned.locked, &applied, after.history_max).await?;
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

/// Records a new revision of the planned release with `lock` and what was applied.
async fn record(
    planned: &super::PlannedRelease,
    lock: &crate::lock::LockedRelease,
    applied: &apply::Applied,
    history_max: usize,
) -> Result<u64, Diagnostics> {
    let (cluster, plan) = (&planned.cluster, &planned.plan);
    let current = crate::record::latest(cluster, &plan.release, &plan.namespace).await?;
    let revision = current.as_ref().map_or(1, |r| r.revision + 1);
    let record = Record {
        record_version: crate::record::VERSION,
        release: plan.release.clone(),
        namespace: plan.namespace.clone(),
        revision,
        applied_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        applied_by: applied_by(&cluster.context),
        lock: lock.clone(),
        inventory: applied.inventory.clone(),
    };
    crate::record::write(cluster, &record, history_max).await?;
    Ok(revision)
}

/// Applies the `previous` revision again after a failed apply: its objects,
/// and deletes what the failed apply created that it does not have. The
/// rollback is not waited for: its objects were ready before.
async fn roll_back(
    planned: &super::PlannedRelease,
    previous: &Record,
    options: Options,
    after: After,
) -> Result<u64, Diagnostics> {
    let (cluster, plan) = (&planned.cluster, &planned.plan);
    let name = format!(
        "revision {} of release `{}`",
        previous.revision, plan.release
    );
    let prepared = crate::release::from_lock(
        &previous.lock,
        std::path::Path::new("."),
        &name,
        &mut crate::repository::Client::new(false),
    )?;
    let mut back = crate::plan::plan(
        cluster,
        &plan.release,
        &plan.namespace,
        &prepared.objects,
        true,
        options.concurrency,
    )
    .await?;
    for created in plan
        .objects
        .iter()
        .filter(|o| o.change == crate::plan::Change::Create)
    {
        let known = previous.inventory.iter().any(|item| {
            item.same_object(
                &created.api_version,
                &created.kind,
                created.namespace.as_deref(),
                &created.name,
            )
        });
        if !known {
            back.deletions.push(crate::plan::Deletion {
                item: crate::record::Item {
                    api_version: created.api_version.clone(),
                    kind: created.kind.clone(),
                    namespace: created.namespace.clone(),
                    name: created.name.clone(),
                    uid: None,
                },
                resource: created.resource.clone(),
            });
        }
    }
    let options = Options {
        force: true,
        ..options
    };
    let mut applied = apply::apply(cluster, &back, options).await?;
    apply::prune(cluster, &back.deletions, &mut applied).await?;
    let rolled = super::PlannedRelease {
        cluster: std::sync::Arc::clone(cluster),
        plan: back,
        locked: previous.lock.clone(),
        lease: None,
    };
    record(&rolled, &previous.lock, &applied, after.history_max).await
}

/// Who applies: the local user and host, and the kubeconfig context.
fn applied_by(context: &str) -> String {
    format!("{} (context {context})", crate::lease::operator())
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
