//! A planned release deployed: applied stage by stage, waited for, pruned
//! and recorded as a revision, under the release's lease; with `atomic`, a
//! failure puts the previous revision back.

use std::sync::Arc;
use std::time::Duration;

use crate::authoring::repository::Client;
use crate::cluster::apply::{self, Applied};
use crate::cluster::client::Cluster;
use crate::cluster::lease;
use crate::cluster::plan::{self, Plan};
use crate::cluster::planned::{Change, Planned};
use crate::cluster::prune::{self, Pruned};
use crate::cluster::record::{self, Item, Record};
use crate::release::lock::LockedRelease;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

use super::planned::{release_leases, PlannedRelease};

/// How long waits take by default: for readiness, and between ordered steps.
pub const TIMEOUT: Duration = Duration::from_secs(300);

/// How to deploy.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Take over fields that other field managers own.
    pub force: bool,
    /// Most requests in flight at once.
    pub concurrency: usize,
    /// Wait for readiness before pruning.
    pub wait: bool,
    /// How long a wait may take: for readiness, and between ordered steps.
    pub timeout: Duration,
    /// Wait until each ordered step is ready before the next starts (not
    /// when rolling back after a failure: those objects were ready before).
    pub wait_steps: bool,
    /// On failure, apply the previous revision again.
    pub atomic: bool,
    /// Most revisions kept in the cluster.
    pub history_max: usize,
    /// Keep the records of a Helm release taken over (else deleted).
    pub keep_helm_history: bool,
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
    /// The Helm release this deploy took over, if it did.
    pub took_over: Option<TookOver>,
}

/// What taking over a Helm release did.
#[derive(Debug, Clone)]
pub struct TookOver {
    pub helm_release: String,
    /// Objects whose Helm or kubectl fields cleat now manages.
    pub moved: usize,
    /// Helm's records deleted (0 when kept).
    pub retired: usize,
    /// Helm's records kept (`--keep-helm-history`).
    pub kept: usize,
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
        let newest = record::newest(cluster, &plan.release, &plan.namespace).await?;
        let planned_on = plan.interrupted.as_ref().or(plan.previous.as_ref());
        if newest.revision() != planned_on.map(|r| r.revision) {
            let by = newest
                .pending
                .as_ref()
                .or(newest.complete.as_ref())
                .map_or("someone", |r| r.applied_by.as_str());
            return Err(Diagnostic::error(format!(
                "release `{}` was applied by {by} while this plan was made",
                plan.release
            ))
            .hint("run the apply again to plan against what is there now")
            .into());
        }
        apply_and_record(planned, options).await
    }
    .await;
    let released = lease::release(cluster, held).await;
    let deployed = result?;
    released?;
    Ok(deployed)
}

/// Deploys one planned release, then releases its lease (also on failure);
/// gives the plan back with what was deployed.
pub async fn deploy_one(
    planned: PlannedRelease,
    options: Options,
) -> Result<(Plan, Deployed), Diagnostics> {
    let mut planned = [planned];
    let result = deploy(&planned[0], options).await;
    let released = release_leases(&mut planned).await;
    let deployed = result?;
    Diagnostics::check(released.0, ())?;
    let [planned] = planned;
    Ok((planned.plan, deployed))
}

/// Applies one planned release (its lease held): records the revision as
/// pending with every object it may create, applies, waits for readiness
/// when asked, prunes, and records the revision complete. With `atomic`, a
/// failure puts the previous revision back and reports both.
async fn apply_and_record(
    planned: &PlannedRelease,
    options: Options,
) -> Result<Deployed, Diagnostics> {
    let (cluster, plan) = (&planned.cluster, &planned.plan);
    // The plan read the records under the lease held now: they are current.
    let revision = match options.revision {
        Revision::Next => record::next_revision(plan.previous.as_ref(), plan.interrupted.as_ref()),
        Revision::Restored(revision) => revision,
    };
    let identity = cluster.identity().await;
    let mut record = new_record(cluster, &identity, plan, &planned.locked, revision, options);
    record.pending = true;
    record.inventory = touched(plan);
    record::write(cluster, &record, options.history_max).await?;
    let apply_options = apply::Options {
        force: options.force,
        concurrency: options.concurrency,
        timeout: options.timeout,
        wait_steps: options.wait_steps,
    };
    let result = async {
        let applied = apply::apply(cluster, plan, apply_options).await?;
        if options.wait {
            let objects: Vec<&Planned> = plan
                .objects
                .iter()
                .filter(|o| !matches!(o.change, Change::Skip(_)))
                .collect();
            let what = format!("release {}", plan.release);
            crate::cluster::wait::wait(cluster, &what, &objects, options.timeout).await?;
        }
        let pruned = prune::prune(
            cluster,
            &plan.release,
            &plan.namespace,
            &plan.deletions,
            None,
        )
        .await?;
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
    record.pending = false;
    record.inventory = applied.inventory.clone();
    record.inventory.extend(pruned.retained.iter().cloned());
    record.inventory.sort();
    record::write(cluster, &record, options.history_max).await?;
    let took_over = match &planned.locked.helm_release {
        Some(helm) => take_over(cluster, plan, helm, options.keep_helm_history).await?,
        None => None,
    };
    Ok(Deployed {
        release: plan.release.clone(),
        namespace: plan.namespace.clone(),
        revision,
        applied,
        pruned,
        namespaces: plan.namespaces.len(),
        took_over,
    })
}

/// After a release that takes over Helm release `helm` is applied and
/// recorded: the fields Helm and kubectl managed on the objects adopted
/// from it become cleat's, and Helm's records of it are deleted (or kept).
/// Nothing to do once Helm's records are gone and no object was adopted.
async fn take_over(
    cluster: &Cluster,
    plan: &Plan,
    helm: &str,
    keep: bool,
) -> Result<Option<TookOver>, Diagnostics> {
    // Adopted: marked as the Helm release's, or unmarked and made by Helm
    // (its hooks, the CRDs of `crds/`).
    let adopted: Vec<&Planned> = plan.objects.iter().filter(|o| o.adopt.is_some()).collect();
    let records = match crate::cluster::helm::newest(cluster, helm, &plan.namespace).await {
        Ok(release) => Some(release),
        Err(_) if !adopted.is_empty() => None,
        Err(_) => return Ok(None),
    };
    let moved = crate::cluster::helm::take_fields(cluster, &adopted).await?;
    let (retired, kept) = match (&records, keep) {
        (Some(release), false) => (crate::cluster::helm::retire(cluster, release).await?, 0),
        (Some(release), true) => (0, release.records.len()),
        (None, _) => (0, 0),
    };
    Ok(Some(TookOver {
        helm_release: helm.to_string(),
        moved,
        retired,
        kept,
    }))
}

/// Every object applying `plan` may create, change or delete: what a
/// pending record lists, so that an apply killed at any moment leaves
/// nothing unrecorded.
fn touched(plan: &Plan) -> Vec<Item> {
    let mut items: Vec<Item> = plan
        .objects
        .iter()
        .map(|object| object.item(object.uid.clone()))
        .chain(plan.deletions.iter().map(|d| d.item.clone()))
        .collect();
    items.sort();
    items
}

/// The record of `revision` of the planned release with `lock`, applied
/// now, its inventory still empty.
fn new_record(
    cluster: &Cluster,
    identity: &str,
    plan: &Plan,
    lock: &LockedRelease,
    revision: u64,
    options: Options,
) -> Record {
    let restored = match options.revision {
        Revision::Next => "",
        Revision::Restored(_) => ", restored",
    };
    Record {
        record_version: record::VERSION,
        release: plan.release.clone(),
        namespace: plan.namespace.clone(),
        revision,
        applied_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        applied_by: format!(
            "{} (context {}, as {identity}{restored})",
            lease::operator(),
            cluster.context
        ),
        lock: lock.clone(),
        inventory: Vec::new(),
        pending: false,
    }
}

/// Applies the `previous` revision again after a failed apply of `plan`,
/// taking over the failed apply's pending record: its objects, and what the
/// failed apply made that it does not have is pruned. The rollback is not
/// waited for: its objects were ready before.
async fn roll_back(
    cluster: &Arc<Cluster>,
    plan: &Plan,
    previous: &Record,
    options: Options,
) -> Result<u64, Diagnostics> {
    let name = format!(
        "revision {} of release `{}`",
        previous.revision, plan.release
    );
    let prepared = super::lookups::from_record(
        cluster,
        &previous.lock,
        std::path::Path::new("."),
        &name,
        &mut Client::new(false),
    )
    .await?;
    let plan_options = plan::Options::new(true, options.concurrency);
    let back = plan::plan(
        cluster,
        &plan.release,
        &plan.namespace,
        &prepared.objects,
        &plan_options,
    )
    .await?;
    let back = PlannedRelease {
        cluster: Arc::clone(cluster),
        plan: back,
        locked: previous.lock.clone(),
        notes: None,
        warnings: Vec::new(),
        lease: None,
    };
    let options = Options {
        force: true,
        wait: false,
        wait_steps: false,
        atomic: false,
        revision: Revision::Next,
        ..options
    };
    Box::pin(apply_and_record(&back, options))
        .await
        .map(|deployed| deployed.revision)
}
