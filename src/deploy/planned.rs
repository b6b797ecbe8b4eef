//! Releases planned against their clusters, each under its lease when it is
//! to be applied.

use std::collections::HashMap;
use std::sync::Arc;

use futures::stream::{self, StreamExt};

use crate::cluster::client::{self, Cluster, Connection};
use crate::cluster::lease::{self, Held};
use crate::cluster::plan::{self, Plan};
use crate::release::lock::LockedRelease;
use crate::release::prepare::Prepared;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

/// Releases planned, or restored, at once (each with its own requests in flight).
pub const RELEASES_AT_ONCE: usize = 4;

/// A release planned against its cluster.
pub struct PlannedRelease {
    pub cluster: Arc<Cluster>,
    pub plan: Plan,
    pub locked: LockedRelease,
    /// The root package's NOTES, rendered, to show after a successful apply.
    pub notes: Option<String>,
    /// What rendering warned about (a chart's random values not secret).
    pub warnings: Vec<Diagnostic>,
    /// The release's lease, when planned to apply and its namespace existed.
    pub(super) lease: Option<Held>,
}

impl PlannedRelease {
    /// Whether deploying would do anything: change an object, or record the
    /// lock entry as a new revision.
    pub fn pending(&self) -> bool {
        self.plan.has_changes() || !self.recorded()
    }

    /// Whether the newest record holds exactly this lock entry.
    fn recorded(&self) -> bool {
        self.plan
            .previous
            .as_ref()
            .is_some_and(|r| r.lock.digest == self.locked.digest)
    }

    /// The holder whose expired lease this release's lease took over.
    pub fn took_over(&self) -> Option<&str> {
        self.lease.as_ref().and_then(|l| l.took_over.as_deref())
    }
}

/// Plans `releases`, each against its cluster (the connection's context,
/// else the release's own, else the current one), side by side and in their
/// order. With `lock`, each release's lease is taken before it is planned
/// and held in the result; on failure, every lease taken is released again.
pub async fn plan_releases(
    releases: Vec<Prepared>,
    connection: &Connection,
    options: &plan::Options,
    lock: bool,
) -> Result<Vec<PlannedRelease>, Diagnostics> {
    let mut clusters: HashMap<Option<String>, Arc<Cluster>> = HashMap::new();
    let mut work = Vec::new();
    for release in releases {
        let context = connection.context_for(release.locked.context.as_deref());
        let cluster = match clusters.get(&context) {
            Some(cluster) => Arc::clone(cluster),
            None => {
                let cluster = Arc::new(connection.connect(context.as_deref()).await?);
                clusters.insert(context, Arc::clone(&cluster));
                cluster
            }
        };
        work.push((cluster, release));
    }
    // Every release runs to its end, so all problems are reported together.
    let planned: Vec<Result<PlannedRelease, Vec<Diagnostic>>> = stream::iter(work)
        .map(|(cluster, release)| plan_release(cluster, release, options, lock))
        .buffered(RELEASES_AT_ONCE)
        .collect()
        .await;
    let mut plans = Vec::new();
    let mut problems = Vec::new();
    for result in planned {
        match result {
            Ok(plan) => plans.push(plan),
            Err(found) => problems.extend(found),
        }
    }
    if !problems.is_empty() {
        problems.extend(release_leases(&mut plans).await.0);
        return Err(Diagnostics(problems));
    }
    Ok(plans)
}

/// Plans one prepared release, taking its lease first with `lock`; on
/// failure, the lease is released again. A secret whose value the newest
/// record's marker verifies keeps that marker, so an unchanged release
/// matches its record.
pub async fn plan_release(
    cluster: Arc<Cluster>,
    release: Prepared,
    options: &plan::Options,
    lock: bool,
) -> Result<PlannedRelease, Vec<Diagnostic>> {
    let lease = if lock {
        take_lease(&cluster, &release.locked.name, &release.locked.namespace)
            .await
            .map_err(|problem| vec![problem])?
    } else {
        None
    };
    match planned(&cluster, release, options).await {
        Ok((plan, locked, notes, warnings)) => Ok(PlannedRelease {
            cluster,
            plan,
            locked,
            notes,
            warnings,
            lease,
        }),
        Err(errors) => {
            let mut problems = errors.0;
            if let Some(held) = lease {
                problems.extend(lease::release(&cluster, held).await.err());
            }
            Err(problems)
        }
    }
}

/// The plan of `release`, rendered with the cluster's answers to its
/// lookups, and its lock entry, NOTES and warnings.
async fn planned(
    cluster: &Cluster,
    release: Prepared,
    options: &plan::Options,
) -> Result<(Plan, LockedRelease, Option<String>, Vec<Diagnostic>), Diagnostics> {
    let Prepared {
        mut locked,
        objects,
        secrets,
        notes,
        warnings,
        ..
    } = super::lookups::complete(cluster, release).await?;
    let options = &plan::Options {
        adopt_helm: locked.helm_release.clone(),
        ..options.clone()
    };
    let mut plan = plan::plan(cluster, &locked.name, &locked.namespace, &objects, options).await?;
    if let Some(previous) = &plan.previous {
        locked.keep_markers(&previous.lock, &secrets);
    }
    let same_entry = plan
        .previous
        .as_ref()
        .is_some_and(|p| p.lock.digest == locked.digest);
    plan.hold_upgrades(same_entry);
    Ok((plan, locked, notes, warnings))
}

/// The lease of a release, taken before it is planned. A release whose
/// namespace does not exist yet has nothing to protect; it gets its lease
/// once deploying has created the namespace.
async fn take_lease(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
) -> Result<Option<Held>, Diagnostic> {
    let namespaces = cluster.served("v1", "Namespace").await?;
    let api = cluster.api(&namespaces, None);
    if matches!(client::retry(|| api.get_opt(namespace)).await, Ok(None)) {
        return Ok(None);
    }
    lease::acquire(cluster, release, namespace).await.map(Some)
}

/// Releases every lease the plans hold; returns the problems met.
pub async fn release_leases(plans: &mut [PlannedRelease]) -> Diagnostics {
    let mut problems = Vec::new();
    for planned in plans {
        if let Some(held) = planned.lease.take() {
            problems.extend(lease::release(&planned.cluster, held).await.err());
        }
    }
    Diagnostics(problems)
}
