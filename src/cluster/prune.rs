//! Prune: which objects of a release may be deleted, and deleting them.
//!
//! An object the release no longer renders (or that `cleat delete` removes)
//! is deleted only if it still belongs to the release: its live owner marks
//! name the release, its uid is the one recorded, and the delete carries that
//! uid as a precondition, so an object recreated or adopted by someone else
//! in the meantime is never deleted. Some objects stay unless asked, because
//! deleting them destroys what others rely on: a CRD (every object of its
//! kind goes with it), a Namespace holding objects of others, a
//! PersistentVolumeClaim (its data), and anything annotated `cleat.dev/keep`.
//! The plan decides and shows what stays; prune checks again at delete time.

use kube::api::{DeleteParams, ListParams, Preconditions};

use std::time::Duration;

use crate::authoring::lifecycle::{self, Lifecycle};
use crate::cluster::client::{retry, Cluster, Resource};
use crate::cluster::definitions;
use crate::cluster::ownership::{annotated, Owner, DELETABLE_ANNOTATION, KEEP_ANNOTATION};
use crate::cluster::record::Item;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

/// An object of the release to delete, or to keep and report.
#[derive(Debug, Clone)]
pub struct Deletion {
    pub item: Item,
    pub resource: Resource,
    /// Why the object stays, when it does.
    pub keep: Option<Keep>,
    /// For a CRD that is deleted: how many objects of its kind go with it.
    pub takes: Option<usize>,
    /// Its phase and dependencies, from the live object: deletion goes in
    /// the reverse of their order.
    pub lifecycle: Lifecycle,
}

/// Why an object that would be deleted stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keep {
    /// Annotated `cleat.dev/keep: "true"`.
    Annotated,
    /// Someone else owns it now.
    Owner(Owner),
    /// An object of the same name with another uid stands where the
    /// recorded one was.
    Replaced,
    /// A CRD: deleting it deletes every object of its kind.
    Definition { objects: usize },
    /// A Namespace that holds objects of others.
    Namespace { others: usize },
    /// A PersistentVolumeClaim: deleting it deletes its volume's data.
    Volume,
}

impl Keep {
    /// Whether the object stays the release's: kept for what deleting it
    /// would destroy, not because it is no longer the release's.
    pub fn stays_owned(&self) -> bool {
        matches!(
            self,
            Keep::Definition { .. } | Keep::Namespace { .. } | Keep::Volume
        )
    }
}

impl std::fmt::Display for Keep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Keep::Annotated => write!(f, "annotated {KEEP_ANNOTATION}"),
            Keep::Owner(owner) => write!(f, "it belongs to {owner} now"),
            Keep::Replaced => f.write_str("it was recreated by someone else (not the recorded uid)"),
            Keep::Definition { objects } => write!(
                f,
                "deleting it deletes every object of its kind ({objects} now)"
            ),
            Keep::Namespace { others } => {
                write!(f, "it holds {others} objects of others")
            }
            Keep::Volume => write!(
                f,
                "deleting it deletes its data; annotate it {DELETABLE_ANNOTATION}: \"true\" to allow that"
            ),
        }
    }
}

/// What may be deleted of its own accord.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allow {
    /// CRDs, and so every object of their kinds.
    pub definitions: bool,
}

/// Decides for each of `items`, objects recorded for `release` in
/// `namespace`, whether it is deleted or kept. Objects gone from the
/// cluster, or of kinds it no longer serves, have nothing to delete.
pub async fn classify(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
    items: Vec<Item>,
    allow: Allow,
) -> Result<Vec<Deletion>, Diagnostics> {
    let mut deletions = Vec::new();
    let mut problems = Vec::new();
    for item in items {
        let Some(resource) = cluster.resource(&item.api_version, &item.kind).await? else {
            continue;
        };
        let live = match read(cluster, &resource, &item).await {
            Ok(Some(live)) => live,
            Ok(None) => continue,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let keep = match held(&live, &item, release, namespace) {
            Some(keep) => Some(keep),
            None => precious(cluster, &item, &live, release, namespace, allow).await?,
        };
        let takes = match (&keep, item.kind.as_str()) {
            (None, "CustomResourceDefinition") => Some(custom_objects(cluster, &live).await?),
            _ => None,
        };
        deletions.push(Deletion {
            lifecycle: lifecycle::of_live(&live),
            item,
            resource,
            keep,
            takes,
        });
    }
    Diagnostics::check(problems, deletions)
}

/// The live object of `item`, as JSON, if it exists.
async fn read(
    cluster: &Cluster,
    resource: &Resource,
    item: &Item,
) -> Result<Option<serde_json::Value>, Diagnostic> {
    let api = cluster.api(resource, item.namespace.as_deref());
    retry(|| api.get_opt(&item.name))
        .await
        .map(|live| live.map(|l| serde_json::to_value(&l).unwrap_or_default()))
        .map_err(|e| cluster.error(&format!("reading {}", item.id()), &e))
}

/// Why `live` is not the release's to delete: annotated to keep, owned by
/// someone else, or not the recorded object.
fn held(live: &serde_json::Value, item: &Item, release: &str, namespace: &str) -> Option<Keep> {
    if annotated(live, KEEP_ANNOTATION) {
        return Some(Keep::Annotated);
    }
    let owner = Owner::of(live);
    if !owner.is_release(release, namespace) {
        return Some(Keep::Owner(owner));
    }
    let uid = live["metadata"]["uid"].as_str();
    if item.uid.is_some() && item.uid.as_deref() != uid {
        return Some(Keep::Replaced);
    }
    None
}

/// Why deleting `live` would destroy what others rely on, unless allowed.
async fn precious(
    cluster: &Cluster,
    item: &Item,
    live: &serde_json::Value,
    release: &str,
    namespace: &str,
    allow: Allow,
) -> Result<Option<Keep>, Diagnostic> {
    Ok(match item.kind.as_str() {
        "CustomResourceDefinition" if !allow.definitions => Some(Keep::Definition {
            objects: custom_objects(cluster, live).await?,
        }),
        "Namespace" if item.api_version == "v1" => {
            let others = others_in(cluster, &item.name, release, namespace).await?;
            (others > 0).then_some(Keep::Namespace { others })
        }
        "PersistentVolumeClaim" if !annotated(live, DELETABLE_ANNOTATION) => Some(Keep::Volume),
        _ => None,
    })
}

/// How many objects of the kind the CRD `crd` defines exist, in every namespace.
async fn custom_objects(cluster: &Cluster, crd: &serde_json::Value) -> Result<usize, Diagnostic> {
    let version = definitions::storage_version(crd)
        .or(crd["spec"]["version"].as_str())
        .unwrap_or("v1");
    let Some(mut resource) = definitions::resource(crd, version) else {
        return Ok(0);
    };
    // Listed across namespaces.
    resource.namespaced = false;
    count(cluster, &resource, None, |_| true).await
}

/// How many objects in `namespace` belong to others than `release`: every
/// object of every listable kind there, but those the cluster makes itself
/// (events, endpoints, objects with an owner reference, service account
/// tokens, the default service account, the root CA).
async fn others_in(
    cluster: &Cluster,
    namespace: &str,
    release: &str,
    release_namespace: &str,
) -> Result<usize, Diagnostic> {
    let discovery = kube::Discovery::new(cluster.client.clone())
        .run()
        .await
        .map_err(|e| cluster.error("discovering the kinds the cluster serves", &e))?;
    let mut others = 0;
    for group in discovery.groups() {
        for (api, capabilities) in group.recommended_resources() {
            let listable = capabilities.supports_operation(kube::discovery::verbs::LIST);
            let made_by_cluster =
                matches!(api.kind.as_str(), "Event" | "Endpoints" | "EndpointSlice");
            if capabilities.scope != kube::discovery::Scope::Namespaced
                || !listable
                || made_by_cluster
            {
                continue;
            }
            let resource = Resource {
                api,
                namespaced: true,
            };
            others += count(cluster, &resource, Some(namespace), |object| {
                !Owner::of(object).is_release(release, release_namespace)
                    && !made_by_the_cluster(object)
            })
            .await?;
        }
    }
    Ok(others)
}

/// Whether the cluster made `object` itself, or it depends on another object.
fn made_by_the_cluster(object: &serde_json::Value) -> bool {
    let metadata = &object["metadata"];
    let name = metadata["name"].as_str().unwrap_or_default();
    metadata["ownerReferences"]
        .as_array()
        .is_some_and(|o| !o.is_empty())
        || object["type"] == "kubernetes.io/service-account-token"
        || (object["kind"] == "ServiceAccount" && name == "default")
        || (object["kind"] == "ConfigMap" && name == "kube-root-ca.crt")
}

/// How many objects of `resource` in `namespace` (or everywhere) `counts` picks.
async fn count(
    cluster: &Cluster,
    resource: &Resource,
    namespace: Option<&str>,
    counts: impl Fn(&serde_json::Value) -> bool,
) -> Result<usize, Diagnostic> {
    let api = cluster.api(resource, namespace);
    let mut params = ListParams::default().limit(500);
    let mut total = 0;
    loop {
        let list = match retry(|| api.list(&params)).await {
            Ok(list) => list,
            Err(kube::Error::Api(e)) if e.code == 404 || e.code == 405 => return Ok(total),
            Err(e) => {
                return Err(cluster.error(
                    &format!("listing {} {}", resource.api.api_version, resource.api.kind),
                    &e,
                ))
            }
        };
        let next = list.metadata.continue_.clone().filter(|c| !c.is_empty());
        total += list
            .items
            .into_iter()
            .filter_map(|o| {
                let mut value = serde_json::to_value(&o).ok()?;
                value["kind"] = resource.api.kind.clone().into();
                Some(value)
            })
            .filter(|o| counts(o))
            .count();
        match next {
            Some(token) => params = params.continue_token(&token),
            None => return Ok(total),
        }
    }
}

/// The stage an object is deleted in: the reverse of the apply stages.
fn order(deletion: &Deletion) -> std::cmp::Reverse<u8> {
    std::cmp::Reverse(crate::cluster::order::stage(
        &deletion.item.kind,
        deletion.resource.namespaced,
    ))
}

/// The deletions in the reverse of the order they were applied in: steps
/// (phases, dependencies among them) last first, each step's stages in
/// reverse.
fn reverse_steps(deletions: &[Deletion]) -> Vec<Vec<&Deletion>> {
    let identities: Vec<lifecycle::Identity> = deletions
        .iter()
        .map(|d| {
            let item = &d.item;
            let group = crate::authoring::object::group(&item.api_version);
            (
                group,
                item.kind.as_str(),
                item.namespace.as_deref(),
                item.name.as_str(),
            )
        })
        .collect();
    let dependencies: Vec<Vec<usize>> = deletions
        .iter()
        .map(|d| {
            let references = &d.lifecycle.depends_on;
            lifecycle::resolve(references, d.item.namespace.as_deref(), &identities)
                .into_iter()
                .flatten()
                .collect()
        })
        .collect();
    let places: Vec<(i64, &[usize])> = deletions
        .iter()
        .zip(&dependencies)
        .map(|(d, deps)| (d.lifecycle.phase, deps.as_slice()))
        .collect();
    crate::cluster::order::steps(&places)
        .into_iter()
        .rev()
        .map(|(_, indices)| {
            let mut step: Vec<&Deletion> = indices.iter().map(|&i| &deletions[i]).collect();
            step.sort_by_key(|d| order(d));
            step
        })
        .collect()
}

/// What a prune did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pruned {
    pub deleted: usize,
    /// Objects left in place, with why.
    pub kept: Vec<(String, Keep)>,
    /// The objects kept that stay the release's, to record again.
    pub retained: Vec<Item>,
}

impl Pruned {
    /// Adds what another prune did.
    pub fn extend(&mut self, other: Pruned) {
        self.deleted += other.deleted;
        self.kept.extend(other.kept);
        self.retained.extend(other.retained);
    }
}

/// Deletes the `deletions` of `release` in `namespace` that are not kept,
/// in the reverse of the apply order (steps, then stages), workloads with
/// foreground propagation; with `wait`, each step is gone (its finalizers
/// done) before the next is deleted. Each is checked again first: an object
/// someone else took or recreated since the plan is kept, and the delete
/// carries the uid it was checked with.
pub async fn prune(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
    deletions: &[Deletion],
    wait: Option<Duration>,
) -> Result<Pruned, Diagnostics> {
    let mut pruned = Pruned::default();
    let mut problems = Vec::new();
    for step in reverse_steps(deletions) {
        let deleted = delete_step(
            cluster,
            release,
            namespace,
            &step,
            &mut pruned,
            &mut problems,
        )
        .await;
        if let (Some(timeout), false) = (wait, deleted.is_empty()) {
            let what = format!("release {release}: deleting");
            crate::cluster::wait::gone(cluster, &what, &deleted, timeout).await?;
        }
    }
    Diagnostics::check(problems, pruned)
}

/// Deletes the objects of one step that are not kept; gives those deleted
/// with the uid each was deleted with.
async fn delete_step<'a>(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
    step: &[&'a Deletion],
    pruned: &mut Pruned,
    problems: &mut Vec<Diagnostic>,
) -> Vec<(&'a Resource, Item)> {
    let mut deleted = Vec::new();
    for &deletion in step {
        let item = &deletion.item;
        if let Some(keep) = &deletion.keep {
            if keep.stays_owned() {
                pruned.retained.push(item.clone());
            }
            pruned.kept.push((item.id(), keep.clone()));
            continue;
        }
        let live = match read(cluster, &deletion.resource, item).await {
            Ok(Some(live)) => live,
            Ok(None) => continue,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        if let Some(keep) = held(&live, item, release, namespace) {
            pruned.kept.push((item.id(), keep));
            continue;
        }
        let mut params = if crate::cluster::order::stage(&item.kind, deletion.resource.namespaced)
            == crate::cluster::order::WORKLOADS
        {
            DeleteParams::foreground()
        } else {
            DeleteParams::background()
        };
        params.preconditions = Some(Preconditions {
            uid: live["metadata"]["uid"].as_str().map(str::to_string),
            resource_version: None,
        });
        let api = cluster.api(&deletion.resource, item.namespace.as_deref());
        match retry(|| api.delete(&item.name, &params)).await {
            Ok(_) => {
                pruned.deleted += 1;
                let uid = live["metadata"]["uid"].as_str().map(str::to_string);
                deleted.push((
                    &deletion.resource,
                    Item {
                        uid,
                        ..item.clone()
                    },
                ));
            }
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            // The uid precondition failed: another object took the name.
            Err(kube::Error::Api(e)) if e.code == 409 => {
                pruned.kept.push((item.id(), Keep::Replaced));
            }
            Err(e) => problems.push(cluster.error(&format!("deleting {}", item.id()), &e)),
        }
    }
    deleted
}
