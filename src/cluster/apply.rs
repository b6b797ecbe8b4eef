//! Applying a plan: server-side apply as field manager `cleat`, step by
//! step (phases and dependencies, each step ready before the next), and
//! inside a step stage by stage: namespaces and CRDs first (waiting until
//! each CRD is established), then cluster-scoped objects, config, storage,
//! workloads, services, ingress, and everything else. Requests within a
//! stage run concurrently, up to a bound; a stage with a failure is the
//! last one started. An object that cannot be patched and may be replaced
//! is deleted and created again.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use kube::api::{Patch, PatchParams};

use crate::cluster::client::{retry, Cluster};
use crate::cluster::order;
use crate::cluster::ownership::FIELD_MANAGER;
use crate::cluster::plan::{apply_error, Plan};
use crate::cluster::planned::{Change, Planned};
use crate::cluster::record::Item;
use crate::cluster::{replace, wait};
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

/// How long a CRD may take to be established.
const CRD_TIMEOUT: Duration = Duration::from_secs(60);

/// How to apply.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Take over fields that other field managers own.
    pub force: bool,
    /// Most requests in flight at once.
    pub concurrency: usize,
    /// How long a step may take to be ready before the next, and a
    /// replaced object to be gone.
    pub timeout: Duration,
    /// Wait until each step is ready before the next starts.
    pub wait_steps: bool,
}

/// What an apply did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub created: usize,
    pub changed: usize,
    /// Deleted and created again.
    pub replaced: usize,
    pub unchanged: usize,
    /// Taken over from another owner, every value as it was.
    pub adopted: usize,
    /// Left alone this time by their `cleat.dev/apply`.
    pub skipped: usize,
    /// Every object of the release as applied, with its uid.
    pub inventory: Vec<Item>,
}

/// An applied object's id and uid.
type Uid = (String, Option<String>);

/// Applies what `plan` would change, step by step ([`order::steps`]): each
/// step's objects in stages by kind, then, when a step follows, waiting
/// until they are ready. Unchanged and skipped objects are left alone.
/// Deletions are the caller's, with [`crate::cluster::prune`], once the
/// objects are ready.
pub async fn apply(
    cluster: &Cluster,
    plan: &Plan,
    options: Options,
) -> Result<Applied, Diagnostics> {
    let mut applied = Applied::default();
    for namespace in &plan.namespaces {
        create_namespace(cluster, namespace).await?;
    }
    let mut uids: HashMap<String, Option<String>> = plan
        .objects
        .iter()
        .map(|object| (object.id(), object.uid.clone()))
        .collect();
    let steps = plan.steps();
    // Hooks deleted after they succeeded: not in the inventory.
    let mut gone = std::collections::HashSet::new();
    for (number, (step, indices)) in steps.iter().enumerate() {
        let objects: Vec<&Planned> = indices.iter().map(|&i| &plan.objects[i]).collect();
        let result = apply_step(cluster, &objects, options, &mut applied, &mut uids).await;
        let later = || not_applied(&steps[number + 1..], plan);
        if let Err(mut problems) = result {
            problems.0.extend(later());
            return Err(problems);
        }
        // Hooks deleted once they succeed, or when they fail, are waited
        // for, even last.
        let ran = |o: &&Planned| !matches!(o.change, Change::Unchanged | Change::Skip(_));
        let succeeded: Vec<&Planned> = objects
            .iter()
            .copied()
            .filter(|o| o.lifecycle.hook.is_some_and(|h| h.delete_succeeded))
            .filter(ran)
            .collect();
        let may_fail = objects
            .iter()
            .copied()
            .filter(ran)
            .any(|o| o.lifecycle.hook.is_some_and(|h| h.delete_failed));
        if (options.wait_steps && number + 1 < steps.len()) || !succeeded.is_empty() || may_fail {
            let waited: Vec<&Planned> = objects
                .iter()
                .copied()
                .filter(|o| !matches!(o.change, Change::Skip(_)))
                .collect();
            let what = format!(
                "release {} (phase {}, step {})",
                plan.release,
                step.0,
                number + 1
            );
            if let Err(mut problems) = wait::wait(cluster, &what, &waited, options.timeout).await {
                // Hooks Helm deletes when they fail (`hook-failed`) go, after
                // the failure is read.
                for hook in waited
                    .iter()
                    .filter(|o| o.lifecycle.hook.is_some_and(|h| h.delete_failed))
                {
                    let uid = uids.get(&hook.id()).cloned().flatten();
                    let why = "as its helm.sh/hook-delete-policy hook-failed asks";
                    if let Err(problem) =
                        replace::delete(cluster, hook, uid.as_deref(), options.timeout, why).await
                    {
                        problems.0.push(problem);
                    }
                }
                problems.0.extend(later());
                return Err(problems);
            }
        }
        for hook in succeeded {
            let uid = uids.get(&hook.id()).cloned().flatten();
            let why = "as its helm.sh/hook-delete-policy hook-succeeded asks";
            replace::delete(cluster, hook, uid.as_deref(), options.timeout, why).await?;
            gone.insert(hook.id());
        }
    }
    applied.inventory = plan
        .objects
        .iter()
        .filter(|object| !gone.contains(&object.id()))
        .filter_map(|object| {
            let uid = uids.get(&object.id()).cloned().flatten();
            // A skipped object that does not exist is not the release's yet.
            let absent = matches!(object.change, Change::Skip(_)) && uid.is_none();
            (!absent).then(|| object.item(uid))
        })
        .collect();
    applied.inventory.sort();
    Ok(applied)
}

/// The error naming the objects of `steps` that were not applied because
/// an earlier step failed, if they would have changed.
fn not_applied(steps: &[(order::Step, Vec<usize>)], plan: &Plan) -> Option<Diagnostic> {
    let waiting: Vec<String> = steps
        .iter()
        .flat_map(|(_, indices)| indices)
        .map(|&i| &plan.objects[i])
        .filter(|o| !matches!(o.change, Change::Unchanged | Change::Skip(_)))
        .map(|o| o.id())
        .collect();
    (!waiting.is_empty()).then(|| {
        Diagnostic::error(format!(
            "not applied, because they come after: {}",
            waiting.join(", ")
        ))
    })
}

/// Applies the objects of one step that would change, stage by stage; a
/// stage with a failure is the last one started.
async fn apply_step(
    cluster: &Cluster,
    objects: &[&Planned],
    options: Options,
    applied: &mut Applied,
    uids: &mut HashMap<String, Option<String>>,
) -> Result<(), Diagnostics> {
    let mut stages: BTreeMap<u8, Vec<&Planned>> = BTreeMap::new();
    for object in objects {
        match object.change {
            Change::Unchanged => applied.unchanged += 1,
            Change::Skip(_) => applied.skipped += 1,
            _ => stages
                .entry(order::stage(&object.kind, object.resource.namespaced))
                .or_default()
                .push(object),
        }
    }
    for (stage, objects) in stages {
        // Once the API server stops answering, the rest of the stage is not tried.
        let unreachable = AtomicBool::new(false);
        let results: Vec<Option<Result<Uid, Diagnostic>>> = stream::iter(objects.iter())
            .map(|object| {
                let unreachable = &unreachable;
                async move {
                    if unreachable.load(Ordering::Relaxed) {
                        return None;
                    }
                    let result = apply_one(cluster, object, options).await;
                    if let Err((_, true)) = &result {
                        unreachable.store(true, Ordering::Relaxed);
                    }
                    Some(
                        result
                            .map(|uid| (object.id(), uid))
                            .map_err(|(problem, _)| problem),
                    )
                }
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        let skipped = results.iter().filter(|r| r.is_none()).count();
        let mut problems = Vec::new();
        for result in results.into_iter().flatten() {
            match result {
                Ok((id, uid)) => {
                    uids.insert(id, uid);
                }
                Err(problem) => problems.push(problem),
            }
        }
        if skipped > 0 {
            problems.push(Diagnostic::error(format!(
                "{skipped} more objects were not applied: the API server stopped answering"
            ))
            .hint("run the same apply again once the API server answers: it converges, applying only what is missing or different"));
        }
        if !problems.is_empty() {
            return Err(Diagnostics(problems));
        }
        for object in &objects {
            match object.change {
                Change::Create => applied.created += 1,
                Change::Replace { .. } => applied.replaced += 1,
                Change::Adopt => applied.adopted += 1,
                _ => applied.changed += 1,
            }
        }
        if stage == 0 {
            for crd in objects
                .iter()
                .filter(|o| o.kind == "CustomResourceDefinition")
            {
                wait_established(cluster, crd).await?;
            }
        }
    }
    Ok(())
}

/// Applies one object, giving its uid; on failure, whether the API server
/// is unreachable.
async fn apply_one(
    cluster: &Cluster,
    object: &Planned,
    options: Options,
) -> Result<Option<String>, (Diagnostic, bool)> {
    if let Change::Replace { .. } = object.change {
        replace::delete(
            cluster,
            object,
            object.uid.as_deref(),
            options.timeout,
            "to replace it",
        )
        .await
        .map_err(|problem| (problem, false))?;
    }
    // Drift is taken back: those fields were cleat's.
    let force = options.force || !object.drift.is_empty();
    let api = cluster.api(&object.resource, object.namespace.as_deref());
    let mut params = PatchParams::apply(FIELD_MANAGER);
    params.force = force;
    let patch = Patch::Apply(&object.body);
    retry(|| api.patch(&object.name, &params, &patch))
        .await
        .map(|applied| applied.metadata.uid)
        .map_err(|e| {
            let unreachable = !matches!(e, kube::Error::Api(_));
            (
                apply_error(cluster, "applying", &object.id(), &object.source, &e),
                unreachable,
            )
        })
}

/// Creates the namespace `name`, labelled as made by cleat.
pub async fn create_namespace(cluster: &Cluster, name: &str) -> Result<(), Diagnostic> {
    let resource = cluster.served("v1", "Namespace").await?;
    let api = cluster.api(&resource, None);
    let body = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "cleat"}},
    });
    let patch = Patch::Apply(&body);
    let params = PatchParams::apply(FIELD_MANAGER);
    retry(|| api.patch(name, &params, &patch))
        .await
        .map(|_| ())
        .map_err(|e| cluster.error(&format!("creating namespace `{name}`"), &e))
}

/// Waits until the CRD `crd` reports the condition Established.
async fn wait_established(cluster: &Cluster, crd: &Planned) -> Result<(), Diagnostic> {
    let api = cluster.api(&crd.resource, None);
    let start = Instant::now();
    loop {
        let live = retry(|| api.get(&crd.name))
            .await
            .map_err(|e| cluster.error(&format!("reading {}", crd.id()), &e))?;
        if crate::cluster::client::condition(&live.data["status"], "Established").is_some() {
            return Ok(());
        }
        if start.elapsed() > CRD_TIMEOUT {
            return Err(Diagnostic::error(format!(
                "{} was not established within {} s",
                crd.id(),
                CRD_TIMEOUT.as_secs()
            ))
            .hint("check its conditions with `kubectl describe crd`; objects of its kinds were not applied"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
