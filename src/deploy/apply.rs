//! A planned release deployed: applied stage by stage, waited for, pruned
//! and recorded as a revision, under the release's lease; with `atomic`, a
//! failure puts the previous revision back.

use std::time::Duration;

use crate::authoring::repository::Client;
use crate::cluster::apply::{self, Applied};
use crate::cluster::client::Cluster;
use crate::cluster::lease;
use crate::cluster::plan::{self, Change, Plan};
use crate::cluster::prune::{self, Allow, Deletion, Pruned};
use crate::cluster::record::{self, Item, Record};
use crate::release::lock::LockedRelease;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

use super::planned::PlannedRelease;

/// How to deploy.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Take over fields that other field managers own.
    pub force: bool,
    /// Most requests in flight at once.
    pub concurrency: usize,
    /// Wait for readiness before pruning, at most this long.
    pub wait: Option<Duration>,
    /// On failure, apply the previous revision again.
    pub atomic: bool,
    /// Most revisions kept in the cluster.
    pub history_max: usize,
    /// The revision to record.
    pub revision: Revision,
}

/// Which revision a deploy records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revision {
    /// The one after the newest record.
    Next,
    /// A revision of a backup, restored with its number.
    Restored(u64),
}

/// What a deploy did.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub release: String,
    pub namespace: String,
    /// The revision recorded.
    pub revision: u64,
    pub applied: Applied,
    pub pruned: Pruned,
    /// Namespaces created for the release's objects.
    pub namespaces: usize,
}

impl Deployed {
    /// Objects created, namespaces included.
    pub fn created(&self) -> usize {
        self.applied.created + self.namespaces
    }
}

/// Deploys a planned release. A release planned without its lease (its
/// namespace did not exist yet) gets its namespace and lease first, and is
/// refused if someone applied it in the meantime.
pub async fn deploy(planned: &PlannedRelease, options: Options) -> Result<Deployed, Diagnostics> {
    if planned.lease.is_some() {
        return apply_and_record(planned, options).await;
    }
    let (cluster, plan) = (&planned.cluster, &planned.plan);
    apply::create_namespace(cluster, &plan.namespace).await?;
    let held = lease::acquire(cluster, &plan.release, &plan.namespace).await?;
    let result = async {
        let newest = record::latest(cluster, &plan.release, &plan.namespace).await?;
        if let Some(newest) = newest {
            if plan.previous.as_ref().map(|r| r.revision) != Some(newest.revision) {
                return Err(Diagnostic::error(format!(
                    "release `{}` was applied by {} while this plan was made",
                    plan.release, newest.applied_by
                ))
                .hint("run the apply again to plan against what is there now")
                .into());
            }
        }
        apply_and_record(planned, options).await
    }
    .await;
    let released = lease::release(cluster, held).await;
    let deployed = result?;
    released?;
    Ok(deployed)
}

/// Applies one planned release (its lease held), waits for readiness when
/// asked, prunes, and records the new revision. With `atomic`, a failure
/// puts the previous revision back and reports both.
async fn apply_and_record(
    planned: &PlannedRelease,
    options: Options,
) -> Result<Deployed, Diagnostics> {
    let (cluster, plan) = (&planned.cluster, &planned.plan);
    let apply_options = apply::Options {
        force: options.force,
        concurrency: options.concurrency,
    };
    let result = async {
        let applied = apply::apply(cluster, plan, apply_options).await?;
        if let Some(timeout) = options.wait {
            crate::cluster::wait::wait(cluster, &plan.release, &plan.objects, timeout).await?;
        }
        let pruned = prune::prune(cluster, &plan.release, &plan.namespace, &plan.deletions).await?;
        Ok::<_, Diagnostics>((applied, pruned))
    }
    .await;
    let (applied, pruned) = match (result, options.atomic, &plan.previous) {
        (Ok(done), _, _) => done,
        (Err(failure), true, Some(previous)) => {
            let mut problems = failure.0;
            match roll_back(cluster, plan, previous, options).await {
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
    let mut inventory = applied.inventory.clone();
    inventory.extend(pruned.retained.iter().cloned());
    inventory.sort();
    let revision = write_record(cluster, plan, &planned.locked, inventory, options).await?;
    Ok(Deployed {
        release: plan.release.clone(),
        namespace: plan.namespace.clone(),
        revision,
        applied,
        pruned,
        namespaces: plan.namespaces.len(),
    })
}

/// Records what was applied of `plan` with `lock` as a revision: the next
/// one, or the restored one.
async fn write_record(
    cluster: &Cluster,
    plan: &Plan,
    lock: &LockedRelease,
    inventory: Vec<Item>,
    options: Options,
) -> Result<u64, Diagnostics> {
    let (revision, applied_by) = match options.revision {
        Revision::Next => {
            let current = record::latest(cluster, &plan.release, &plan.namespace).await?;
            let revision = current.as_ref().map_or(1, |r| r.revision + 1);
            (
                revision,
                format!("{} (context {})", lease::operator(), cluster.context),
            )
        }
        Revision::Restored(revision) => (
            revision,
            format!(
                "{} (context {}, restored)",
                lease::operator(),
                cluster.context
            ),
        ),
    };
    let record = Record {
        record_version: record::VERSION,
        release: plan.release.clone(),
        namespace: plan.namespace.clone(),
        revision,
        applied_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        applied_by,
        lock: lock.clone(),
        inventory,
    };
    record::write(cluster, &record, options.history_max).await?;
    Ok(revision)
}

/// Applies the `previous` revision again after a failed apply of `plan`: its
/// objects, and deletes what the failed apply created that it does not have.
/// The rollback is not waited for: its objects were ready before.
async fn roll_back(
    cluster: &Cluster,
    plan: &Plan,
    previous: &Record,
    options: Options,
) -> Result<u64, Diagnostics> {
    let name = format!(
        "revision {} of release `{}`",
        previous.revision, plan.release
    );
    let prepared = crate::release::prepare::from_lock(
        &previous.lock,
        std::path::Path::new("."),
        &name,
        &mut Client::new(false),
    )?;
    let plan_options = plan::Options {
        force: true,
        adopt: false,
        prune_crds: false,
        concurrency: options.concurrency,
    };
    let mut back = plan::plan(
        cluster,
        &plan.release,
        &plan.namespace,
        &prepared.objects,
        plan_options,
    )
    .await?;
    let mut created = Vec::new();
    for object in plan.objects.iter().filter(|o| o.change == Change::Create) {
        let known = previous.inventory.iter().any(|item| {
            item.same_object(
                &object.api_version,
                &object.kind,
                object.namespace.as_deref(),
                &object.name,
            )
        });
        if !known {
            created.push(Item {
                api_version: object.api_version.clone(),
                kind: object.kind.clone(),
                namespace: object.namespace.clone(),
                name: object.name.clone(),
                uid: None,
            });
        }
    }
    let created: Vec<Deletion> = prune::classify(
        cluster,
        &plan.release,
        &plan.namespace,
        created,
        Allow::default(),
    )
    .await?;
    back.deletions.extend(created);
    let apply_options = apply::Options {
        force: true,
        concurrency: options.concurrency,
    };
    let applied = apply::apply(cluster, &back, apply_options).await?;
    let pruned = prune::prune(cluster, &back.release, &back.namespace, &back.deletions).await?;
    let mut inventory = applied.inventory;
    inventory.extend(pruned.retained);
    inventory.sort();
    let options = Options {
        revision: Revision::Next,
        ..options
    };
    write_record(cluster, &back, &previous.lock, inventory, options).await
}
