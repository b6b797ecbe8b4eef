//! The plan: what applying a release would change.
//!
//! Each rendered object is prepared for the cluster (the release's namespace
//! where it set none, labels that tie it to its release, known API quirks
//! normalised), its resource found by discovery (an unknown kind stops the
//! plan before anything is applied; a custom kind whose CRD is the
//! cluster's is checked against that CRD's schema), and compared with the live object
//! through a server-side dry-run apply as field manager `cleat`, with
//! server-managed fields removed from both sides.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use futures::stream::{self, StreamExt};
use kube::api::{Patch, PatchParams};

use crate::authoring::lifecycle::When;
use crate::authoring::object::Object;
use crate::cluster::client::{retry, Cluster, Resource};
use crate::cluster::definitions;
use crate::cluster::ownership::{annotated, Owner, ADOPT_ANNOTATION};
use crate::cluster::ownership::{
    DIGEST_ANNOTATION, FIELD_MANAGER, RELEASE_LABEL, RELEASE_NAMESPACE_ANNOTATION,
};
use crate::cluster::planned::{mask, Change, Conflict, Planned};
use crate::cluster::prune::{self, Deletion};
use crate::cluster::record::{object_key, Item, ObjectKey, Record};
use crate::cluster::replace;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

/// How to plan.
#[derive(Debug, Clone)]
pub struct Options {
    /// Plan as `--force-conflicts` applies: take fields other managers own.
    pub force: bool,
    /// Take over objects that other owners hold (else each is an error).
    pub adopt: bool,
    /// Take over the objects of this Helm release of the release's
    /// namespace (the release file's `helmRelease`).
    pub adopt_helm: Option<String>,
    /// Delete CRDs the release no longer renders (else they are kept).
    pub prune_crds: bool,
    /// Most requests in flight at once.
    pub concurrency: usize,
    /// Objects that may be replaced when they cannot be patched, beyond
    /// what their kind and annotations allow.
    pub replace: replace::Allowed,
}

/// The plan of one release.
#[derive(Debug, Clone)]
pub struct Plan {
    pub release: String,
    pub namespace: String,
    pub objects: Vec<Planned>,
    /// Namespaces the objects need that neither exist nor are rendered;
    /// applying creates them first.
    pub namespaces: Vec<String>,
    /// Objects of the previous record no longer rendered: pruned after apply.
    pub deletions: Vec<Deletion>,
    /// The release's newest complete record, if it was applied before.
    pub previous: Option<Record>,
    /// An apply after it that did not finish: the plan takes it over, and
    /// what it may have made that is no longer rendered is pruned.
    pub interrupted: Option<Record>,
    /// Whether some objects were compared without a server-side dry run,
    /// because the user may not patch them: their changes are cleat's estimate.
    pub estimated: bool,
    /// The live objects marked as the release's among those the plan listed
    /// (the kinds and namespaces of its objects), records and leases left
    /// out; empty where the user may not list.
    pub labelled: Vec<Item>,
}

impl Plan {
    /// The steps the objects are applied in ([`crate::cluster::order::steps`]),
    /// each the indices of its objects.
    pub fn steps(&self) -> Vec<(crate::cluster::order::Step, Vec<usize>)> {
        let order: Vec<(i64, &[usize])> = self
            .objects
            .iter()
            .map(|o| (o.lifecycle.phase, o.dependencies.as_slice()))
            .collect();
        crate::cluster::order::steps(&order)
    }

    /// Whether applying the plan would change anything in the cluster.
    pub fn has_changes(&self) -> bool {
        !self.namespaces.is_empty()
            || self.deletions.iter().any(|d| d.keep.is_none())
            || self.interrupted.is_some()
            || self
                .objects
                .iter()
                .any(|o| !matches!(o.change, Change::Unchanged | Change::Skip(_)))
    }
}

impl Options {
    /// Plan that takes over nothing another owner holds and keeps CRDs:
    /// `force` alone decides field conflicts.
    pub fn new(force: bool, concurrency: usize) -> Options {
        Options {
            force,
            adopt: false,
            adopt_helm: None,
            prune_crds: false,
            concurrency,
            replace: replace::Allowed::default(),
        }
    }
}

impl Plan {
    /// Objects applied on upgrades, and a chart's hooks, come with one:
    /// when the release's lock entry is the one its newest record holds
    /// (`same_entry`) and nothing else of it changes, the apply upgrades
    /// nothing, and they wait too. On an upgrade, a hook Helm would delete
    /// before creating it (`before-hook-creation`) is replaced, so it runs
    /// again even when unchanged.
    pub fn hold_upgrades(&mut self, same_entry: bool) {
        let changes = |o: &Planned| {
            !matches!(
                o.change,
                Change::Unchanged | Change::Adopt | Change::Skip(_)
            )
        };
        let follows =
            |o: &Planned| o.lifecycle.apply == When::Upgrade || o.lifecycle.hook.is_some();
        let upgrades = !same_entry
            || self.interrupted.is_some()
            || !self.namespaces.is_empty()
            || self.deletions.iter().any(|d| d.keep.is_none())
            || self.objects.iter().any(|o| !follows(o) && changes(o));
        if self.previous.is_none() {
            return;
        }
        if upgrades {
            self.rerun_hooks();
            return;
        }
        for object in self.objects.iter_mut().filter(|o| follows(o) && changes(o)) {
            object.change = Change::Skip(if object.lifecycle.hook.is_some() {
                "a hook: runs when the release changes, and nothing else changes"
            } else {
                "applied when the release is upgraded, and nothing else changes"
            });
        }
    }

    /// A chart's hooks wait, with `why`: a rollback runs the chart's rollback
    /// hooks, not those of installs and upgrades, as Helm does.
    pub fn hold_hooks(&mut self, why: &'static str) {
        for object in &mut self.objects {
            if object.lifecycle.hook.is_some() && !matches!(object.change, Change::Skip(_)) {
                object.change = Change::Skip(why);
            }
        }
    }

    /// Hooks Helm deletes before creating them again (`before-hook-creation`)
    /// are replaced even when unchanged, so that they run again.
    pub fn rerun_hooks(&mut self) {
        for object in &mut self.objects {
            let recreate = object.lifecycle.hook.is_some_and(|h| h.recreate);
            let diff = match &object.change {
                Change::Unchanged => String::new(),
                Change::Update(diff) => diff.clone(),
                _ => continue,
            };
            if recreate {
                object.change = Change::Replace {
                    fields: Vec::new(),
                    diff,
                };
            }
        }
    }
}

/// Plans the release `release` in `namespace`: `objects` as rendered, with
/// the objects of its newest record that are no longer rendered to delete.
/// An object another owner holds is an error unless adopted.
pub async fn plan(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
    objects: &[Object],
    options: &Options,
) -> Result<Plan, Diagnostics> {
    let concurrency = options.concurrency;
    let crds = crd_resources(objects);
    let mut unserved = std::collections::HashSet::new();
    let mut problems = Vec::new();
    let mut estimated = false;
    let mut planned = Vec::new();
    let identities = crate::authoring::object::identities(objects);
    let mut served = definitions::Served::new();
    for object in objects {
        let key = (object.api_version.clone(), object.kind.clone());
        let resource = match cluster.resource(&object.api_version, &object.kind).await {
            Err(problem) => {
                problems.push(problem);
                None
            }
            // A custom kind whose CRD is the cluster's: checked against it.
            Ok(Some(resource)) if !crds.contains_key(&key) => {
                let found =
                    definitions::served_problems(cluster, object, &resource, &mut served).await;
                problems.extend(found);
                Some(resource)
            }
            Ok(Some(resource)) => Some(resource),
            // A kind whose CRD is in this release and not yet served.
            Ok(None) if crds.contains_key(&key) => {
                let resource = crds[&key].clone();
                cluster.expect(&object.api_version, &object.kind, resource.clone());
                unserved.insert(key);
                Some(resource)
            }
            Ok(None) => {
                problems.push(
                    Diagnostic::error(format!(
                        "{} `{}` from `{}`: the cluster serves no kind `{}` in `{}`",
                        object.kind, object.name, object.source, object.kind, object.api_version
                    ))
                    .hint("check apiVersion and kind; a custom resource needs its CRD installed first, or in the package's `crds/`"),
                );
                None
            }
        };
        let Some(resource) = resource else { continue };
        let object_namespace = if resource.namespaced {
            Some(
                object
                    .namespace
                    .clone()
                    .unwrap_or_else(|| namespace.to_string()),
            )
        } else {
            None
        };
        planned.push(Planned {
            api_version: object.api_version.clone(),
            kind: object.kind.clone(),
            name: object.name.clone(),
            body: prepare(
                &object.body,
                release,
                namespace,
                object_namespace.as_deref(),
            ),
            namespace: object_namespace,
            resource,
            source: object.source.clone(),
            change: Change::Create,
            uid: None,
            adopt: None,
            drift: Vec::new(),
            lifecycle: object.lifecycle.clone(),
            after_definition: None,
            dependencies: crate::authoring::object::dependencies(object, &identities)
                .into_iter()
                .flatten()
                .collect(),
        });
    }
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }
    // Namespaces that do not exist yet: objects in them cannot be dry-run.
    let needed: BTreeSet<String> = planned.iter().filter_map(|p| p.namespace.clone()).collect();
    let rendered: BTreeSet<String> = planned
        .iter()
        .filter(|p| p.kind == "Namespace" && p.api_version == "v1")
        .map(|p| p.name.clone())
        .collect();
    let mut missing = BTreeSet::new();
    let namespaces = cluster.served("v1", "Namespace").await?;
    for name in needed.iter().chain(&rendered) {
        let api = cluster.api(&namespaces, None);
        match retry(|| api.get_opt(name)).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                missing.insert(name.clone());
            }
            // A user limited to some namespaces may not read namespaces at
            // all; the dry run then says whether the namespace is usable.
            Err(kube::Error::Api(e)) if e.code == 403 => {}
            Err(e) => problems.push(cluster.error(&format!("reading namespace `{name}`"), &e)),
        }
    }
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }
    let comparable = |object: &Planned| {
        !unserved.contains(&(object.api_version.clone(), object.kind.clone()))
            && !object
                .namespace
                .as_ref()
                .is_some_and(|n| missing.contains(n))
    };
    let live = live_objects(
        cluster,
        planned.iter().filter(|o| comparable(o)),
        concurrency,
    )
    .await?;
    let labelled = labelled(&live, release, namespace);
    let newest = crate::cluster::record::newest(cluster, release, namespace).await;
    let mut context = Context {
        release,
        namespace,
        // A Helm release taken over was installed by Helm.
        installed: newest.as_ref().is_ok_and(|n| n.complete.is_some())
            || options.adopt_helm.is_some(),
        options,
        changing: HashMap::new(),
    };
    // CRDs first: objects of a CRD this apply changes are planned against
    // its new schema, and a CRD change that would lose data is refused.
    for definitions_pass in [true, false] {
        let indices: Vec<usize> = (0..planned.len())
            .filter(|&i| is_definition(&planned[i]) == definitions_pass)
            .collect();
        let results: Vec<(usize, Result<Compared, Vec<Diagnostic>>)> = stream::iter(indices)
            .map(|index| {
                let object = &planned[index];
                let comparable = comparable(object);
                let (live, context) = (&live, &context);
                async move {
                    if !comparable {
                        // Nothing to compare with yet, and nothing the server can dry-run.
                        let change =
                            skipped(object, context.installed, false).unwrap_or(Change::Create);
                        let compared = Compared {
                            after_definition: context.definition_of(object),
                            ..Compared::new(change)
                        };
                        return (index, Ok(compared));
                    }
                    if is_definition(object) {
                        if let Err(problems) = check_definition(cluster, object, live).await {
                            return (index, Err(problems));
                        }
                    }
                    let result = compare(cluster, context, object, live).await;
                    (index, result.map_err(|problem| vec![problem]))
                }
            })
            .buffered(concurrency.max(1))
            .collect()
            .await;
        for (index, result) in results {
            let object = &mut planned[index];
            match result {
                Ok(compared) => {
                    object.change = compared.change;
                    object.uid = compared.uid;
                    object.adopt = compared.adopt;
                    object.drift = compared.drift;
                    object.after_definition = compared.after_definition;
                    estimated |= compared.estimated;
                }
                Err(found) => problems.extend(found),
            }
        }
        if definitions_pass {
            context.changing = planned
                .iter()
                .filter(|o| {
                    is_definition(o) && !matches!(o.change, Change::Unchanged | Change::Skip(_))
                })
                .filter_map(|crd| Some((definitions::kind(&crd.body)?, crd.name.clone())))
                .collect();
        }
    }
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }
    // Its error is reported after the objects', so that a user who may not
    // use the namespace hears it about an object rather than about cleat's records.
    let newest = newest?;
    let rendered_keys: std::collections::HashSet<ObjectKey> = planned
        .iter()
        .map(|p| object_key(&p.api_version, &p.kind, p.namespace.as_deref(), &p.name))
        .collect();
    let gone = newest
        .inventory()
        .into_iter()
        .filter(|item| !rendered_keys.contains(&item.key()))
        .collect();
    let allow = prune::Allow {
        definitions: options.prune_crds,
    };
    let deletions = prune::classify(cluster, release, namespace, gone, allow).await?;
    let namespaces = missing
        .into_iter()
        .filter(|n| !rendered.contains(n))
        .collect();
    Ok(Plan {
        release: release.to_string(),
        namespace: namespace.to_string(),
        objects: planned,
        namespaces,
        deletions,
        previous: newest.complete,
        interrupted: newest.pending,
        estimated,
        labelled,
    })
}

/// Live objects by kind and namespace, then by name: one LIST per kind and
/// namespace instead of a GET per object. A kind and namespace the user may
/// not list maps to `None`, and its objects are read one by one.
type Live = HashMap<(String, String, Option<String>), Option<HashMap<String, serde_json::Value>>>;

async fn live_objects<'a>(
    cluster: &Cluster,
    objects: impl Iterator<Item = &'a Planned>,
    concurrency: usize,
) -> Result<Live, Diagnostic> {
    let mut groups: HashMap<(String, String, Option<String>), &Resource> = HashMap::new();
    for object in objects {
        let key = (
            object.api_version.clone(),
            object.kind.clone(),
            object.namespace.clone(),
        );
        groups.entry(key).or_insert(&object.resource);
    }
    let lists: Vec<Result<_, Diagnostic>> = stream::iter(groups)
        .map(|(key, resource)| async move {
            let api = cluster.api(resource, key.2.as_deref());
            let mut params = kube::api::ListParams::default().limit(LIST_PAGE);
            let mut by_name = HashMap::new();
            loop {
                let list = match retry(|| api.list(&params)).await {
                    Ok(list) => list,
                    Err(kube::Error::Api(e)) if e.code == 403 => return Ok((key, None)),
                    Err(e) => {
                        return Err(cluster.error(&format!("listing {} {}", key.0, key.1), &e))
                    }
                };
                let next = list.metadata.continue_.clone().filter(|c| !c.is_empty());
                // List items carry no apiVersion and kind; put them back first.
                by_name.extend(list.items.into_iter().filter_map(|o| {
                    let name = o.metadata.name.clone()?;
                    let serde_json::Value::Object(fields) = live_value(o)? else {
                        return None;
                    };
                    let mut object = serde_json::Map::new();
                    object.insert("apiVersion".into(), key.0.clone().into());
                    object.insert("kind".into(), key.1.clone().into());
                    object.extend(
                        fields
                            .into_iter()
                            .filter(|(k, _)| k != "apiVersion" && k != "kind"),
                    );
                    Some((name, serde_json::Value::Object(object)))
                }));
                match next {
                    Some(token) => params = params.continue_token(&token),
                    None => return Ok((key, Some(by_name))),
                }
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    lists.into_iter().collect()
}

/// The listed live objects that carry the marks of `release` in `namespace`,
/// but its records and lease.
fn labelled(live: &Live, release: &str, namespace: &str) -> Vec<Item> {
    let mut found = Vec::new();
    for ((api_version, kind, _), by_name) in live {
        for (name, object) in by_name.iter().flatten() {
            let is_own = object["type"] == crate::cluster::record::TYPE || kind == "Lease";
            if !is_own && Owner::of(object).is_release(release, namespace) {
                found.push(Item {
                    api_version: api_version.clone(),
                    kind: kind.clone(),
                    namespace: object["metadata"]["namespace"].as_str().map(str::to_string),
                    name: name.clone(),
                    uid: object["metadata"]["uid"].as_str().map(str::to_string),
                });
            }
        }
    }
    found.sort();
    found
}

/// Objects per LIST page (as kubectl): each answer is held whole while it is
/// read, so pages bound that memory on both sides for large namespaces.
const LIST_PAGE: u32 = 500;

/// A live object as JSON, its managedFields without their sets of fields:
/// no comparison looks at those, and they are often the larger part of the
/// object; who manages it is kept.
fn live_value(mut object: kube::api::DynamicObject) -> Option<serde_json::Value> {
    // Who manages it is kept, not the (large) sets of fields.
    if let Some(fields) = &mut object.metadata.managed_fields {
        for entry in fields {
            entry.fields_v1 = None;
        }
    }
    serde_json::to_value(&object).ok()
}

/// An object compared with its live counterpart.
struct Compared {
    change: Change,
    /// The live object's uid.
    uid: Option<String>,
    /// Its owner, when another holds it and it is to be adopted.
    adopt: Option<Owner>,
    drift: Vec<Conflict>,
    /// Compared without a dry run (the user may not patch).
    estimated: bool,
    /// The CRD of its kind that this apply changes first.
    after_definition: Option<String>,
}

impl Compared {
    fn new(change: Change) -> Compared {
        Compared {
            change,
            uid: None,
            adopt: None,
            drift: Vec::new(),
            estimated: false,
            after_definition: None,
        }
    }
}

/// What every comparison of a plan needs to know.
struct Context<'a> {
    release: &'a str,
    namespace: &'a str,
    /// Whether the release has a complete revision: this apply upgrades it.
    installed: bool,
    options: &'a Options,
    /// The kinds (group, kind) whose CRD this apply creates or changes, with
    /// the CRD's name: their objects cannot be dry-run against the new schema yet.
    changing: HashMap<(String, String), String>,
}

impl Context<'_> {
    /// The CRD this apply changes that defines the kind of `object`.
    fn definition_of(&self, object: &Planned) -> Option<String> {
        let group = crate::authoring::object::group(&object.api_version);
        self.changing
            .get(&(group.to_string(), object.kind.clone()))
            .cloned()
    }
}

fn is_definition(object: &Planned) -> bool {
    object.kind == "CustomResourceDefinition"
        && object.api_version.starts_with("apiextensions.k8s.io/")
}

/// Refuses a change to the live CRD that would lose data; a CRD that does
/// not exist yet, or that did not change since cleat applied it, passes.
async fn check_definition(
    cluster: &Cluster,
    crd: &Planned,
    live: &Live,
) -> Result<(), Vec<Diagnostic>> {
    let current = read_live(cluster, crd, live).await.map_err(|p| vec![p])?;
    let Some(current) = current else {
        return Ok(());
    };
    let digest = |o: &serde_json::Value| o["metadata"]["annotations"][DIGEST_ANNOTATION].clone();
    if digest(&current) == digest(&crd.body) {
        return Ok(());
    }
    let problems = definitions::check(cluster, crd, &current).await;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The live object of `object`: from the LIST of its kind, or read by name
/// where the user may not list.
async fn read_live<'a>(
    cluster: &Cluster,
    object: &Planned,
    live: &'a Live,
) -> Result<Option<Cow<'a, serde_json::Value>>, Diagnostic> {
    let key = (
        object.api_version.clone(),
        object.kind.clone(),
        object.namespace.clone(),
    );
    Ok(match live.get(&key) {
        Some(Some(by_name)) => by_name.get(&object.name).map(Cow::Borrowed),
        _ => {
            let api = cluster.api(&object.resource, object.namespace.as_deref());
            retry(|| api.get_opt(&object.name))
                .await
                .map_err(|e| cluster.error(&format!("reading {}", object.id()), &e))?
                .and_then(live_value)
                .map(Cow::Owned)
        }
    })
}

/// The change for an object its `cleat.dev/apply` leaves alone this time.
fn skipped(object: &Planned, installed: bool, exists: bool) -> Option<Change> {
    match object.lifecycle.apply {
        When::Install if installed => Some(Change::Skip("applied when the release is installed")),
        When::Upgrade if !installed => Some(Change::Skip("applied when the release is upgraded")),
        When::Create if exists => Some(Change::Skip("created once, never updated")),
        _ => None,
    }
}

/// The live object and a dry-run apply of `object`, compared, with the
/// live object's uid; a live object that another owner holds is an error
/// unless adopted.
async fn compare(
    cluster: &Cluster,
    context: &Context<'_>,
    object: &Planned,
    live: &Live,
) -> Result<Compared, Diagnostic> {
    let (release, namespace, options) = (context.release, context.namespace, context.options);
    let force = options.force;
    let after_definition = context.definition_of(object);
    let live = read_live(cluster, object, live).await?;
    let Some(live) = live else {
        if let Some(skip) = skipped(object, context.installed, false) {
            return Ok(Compared::new(skip));
        }
        if after_definition.is_some() {
            return Ok(Compared {
                after_definition,
                ..Compared::new(Change::Create)
            });
        }
        // Validate the new object without comparing it to anything.
        return match dry_run(cluster, object, force).await {
            Ok(_) => Ok(Compared::new(Change::Create)),
            Err(kube::Error::Api(e)) if e.code == 403 => Ok(Compared {
                estimated: true,
                ..Compared::new(Change::Create)
            }),
            Err(e) => Err(planning_error(cluster, object, &e)),
        };
    };
    let uid = live["metadata"]["uid"].as_str().map(str::to_string);
    let owner = Owner::of(&live);
    let taken_over = options
        .adopt_helm
        .as_deref()
        .filter(|helm| helm_made(&owner, &live, helm, namespace));
    let adopt = if owner.is_release(release, namespace) {
        None
    } else if let Some(helm) = taken_over {
        // Unmarked objects Helm made are the Helm release's too.
        Some(Owner::Helm {
            name: helm.to_string(),
            namespace: namespace.to_string(),
        })
    } else if options.adopt || annotated(&object.body, ADOPT_ANNOTATION) {
        Some(owner)
    } else {
        return Err(not_ours(object, &owner));
    };
    let compared = |change| Compared {
        uid: uid.clone(),
        adopt: adopt.clone(),
        ..Compared::new(change)
    };
    if let Some(skip) = skipped(object, context.installed, true) {
        return Ok(compared(skip));
    }
    // Applied before exactly as now, and every value still in place: the
    // apply would change nothing, so no dry run is needed.
    let digest = |o: &serde_json::Value| o["metadata"]["annotations"][DIGEST_ANNOTATION].clone();
    if digest(&live) == digest(&object.body) && is_subset(&object.body, &live) {
        return Ok(compared(Change::Unchanged));
    }
    if after_definition.is_some() {
        // The server knows only the old schema: compared without it.
        let after = overlay(&live, &object.body);
        let (before, after) = (strip(&live), strip(&after));
        let change = if before == after {
            Change::Unchanged
        } else {
            Change::Update(unified_diff(&before, &after))
        };
        return Ok(Compared {
            after_definition,
            ..compared(change)
        });
    }
    let (after, drift, estimated) = match dry_run(cluster, object, force).await {
        Ok(after) => (after, Vec::new(), false),
        // cleat last applied exactly this object, so the fields another
        // manager holds now are fields cleat set: drift, taken back.
        Err(kube::Error::Api(e))
            if e.code == 409 && !force && digest(&live) == digest(&object.body) =>
        {
            let after = dry_run(cluster, object, true)
                .await
                .map_err(|e| planning_error(cluster, object, &e))?;
            (after, conflicts(&e.message), false)
        }
        // A user who may read but not patch: compare without the server.
        Err(kube::Error::Api(e)) if e.code == 403 => {
            (overlay(&live, &object.body), Vec::new(), true)
        }
        Err(kube::Error::Api(e)) if e.code == 422 => {
            let fields = replace::immutable(&e.message);
            if fields.is_empty() {
                return Err(planning_error(cluster, object, &kube::Error::Api(e)));
            }
            replace::allowed(object, &fields, &options.replace)?;
            let diff = unified_diff(
                &mask(&object.kind, &strip(&live)),
                &mask(&object.kind, &strip(&overlay(&live, &object.body))),
            );
            return Ok(compared(Change::Replace { fields, diff }));
        }
        Err(e) => return Err(planning_error(cluster, object, &e)),
    };
    let before = strip(&live);
    let after = strip(&after);
    let change = if before == after {
        Change::Unchanged
    } else if adopt.is_some() && without_marks(&before) == without_marks(&after) {
        Change::Adopt
    } else {
        Change::Update(unified_diff(
            &mask(&object.kind, &before),
            &mask(&object.kind, &after),
        ))
    };
    Ok(Compared {
        drift,
        estimated,
        ..compared(change)
    })
}

/// The fields and managers a 409 conflict names: `Apply failed with 1
/// conflict: conflict with "kubectl-edit" using v1: .spec.replicas`, or a
/// manager per line followed by `- .field` lines.
fn conflicts(message: &str) -> Vec<Conflict> {
    let mut found = Vec::new();
    let mut manager: Option<String> = None;
    for line in message.lines() {
        let line = line.trim();
        if let Some(field) = line.strip_prefix("- ") {
            if let Some(manager) = &manager {
                found.push(Conflict {
                    manager: manager.clone(),
                    field: field.trim().to_string(),
                });
            }
            continue;
        }
        let Some(at) = line.find(" with \"") else {
            continue;
        };
        let rest = &line[at + 7..];
        let Some(end) = rest.find('"') else { continue };
        let name = rest[..end].to_string();
        let after = rest[end + 1..]
            .split_once(':')
            .map_or("", |(_, f)| f.trim());
        if !after.is_empty() {
            found.push(Conflict {
                manager: name.clone(),
                field: after.to_string(),
            });
        }
        manager = Some(name);
    }
    found
}

/// `ours` laid over `live`: maps merged key by key, everything else
/// replaced; how server-side apply would change `live`, roughly, for a user
/// who may not ask the server.
fn overlay(live: &serde_json::Value, ours: &serde_json::Value) -> serde_json::Value {
    match (live, ours) {
        (serde_json::Value::Object(live), serde_json::Value::Object(ours)) => {
            let mut merged = live.clone();
            for (key, value) in ours {
                let next = match live.get(key) {
                    Some(old) => overlay(old, value),
                    None => value.clone(),
                };
                merged.insert(key.clone(), next);
            }
            serde_json::Value::Object(merged)
        }
        (_, ours) => ours.clone(),
    }
}

/// A failed dry run of `object` as a diagnostic.
fn planning_error(cluster: &Cluster, object: &Planned, error: &kube::Error) -> Diagnostic {
    apply_error(cluster, "planning", &object.id(), &object.source, error)
}

/// The error for an object that exists and belongs to `owner`, not to the
/// release being planned.
fn not_ours(object: &Planned, owner: &Owner) -> Diagnostic {
    let whose = match owner {
        Owner::Nobody => {
            "exists and belongs to no release (made by hand or by another tool)".to_string()
        }
        owner => format!("exists and belongs to {owner}"),
    };
    let diagnostic = Diagnostic::error(format!(
        "{} (from `{}`) {whose}; cleat does not take over what others own",
        object.id(),
        object.source
    ));
    let diagnostic = match owner {
        Owner::Helm { .. } => diagnostic.hint("`helm uninstall` of that release would delete it; migrate the Helm release instead of sharing its objects"),
        _ => diagnostic,
    };
    diagnostic.hint(format!(
        "leave it out of this release, or take it over: `--adopt` for every such object, or the annotation `{ADOPT_ANNOTATION}: \"true\"` on this one"
    ))
}

async fn dry_run(
    cluster: &Cluster,
    object: &Planned,
    force: bool,
) -> Result<serde_json::Value, kube::Error> {
    let api = cluster.api(&object.resource, object.namespace.as_deref());
    let mut params = PatchParams::apply(FIELD_MANAGER).dry_run();
    params.force = force;
    let patch = Patch::Apply(&object.body);
    retry(|| api.patch(&object.name, &params, &patch))
        .await
        .map(|applied| serde_json::to_value(&applied).unwrap_or_default())
}

/// A failed apply of the object `id` (from template `source`) as a
/// diagnostic, `doing` saying when (`planning` for the dry run, `applying`);
/// a field conflict names the other manager and the fields.
pub fn apply_error(
    cluster: &Cluster,
    doing: &str,
    id: &str,
    source: &str,
    error: &kube::Error,
) -> Diagnostic {
    let diagnostic = cluster.error(&format!("{doing} {id} (from `{source}`)"), error);
    match error {
        kube::Error::Api(e) if e.code == 409 && e.reason == "Conflict" => diagnostic.hint(
            "another field manager owns these fields; `--force-conflicts` makes cleat take them over",
        ),
        _ => diagnostic,
    }
}

/// The object as cleat applies it: in its namespace, labelled and annotated
/// with its release, with API quirks normalised.
fn prepare(
    body: &serde_json::Value,
    release: &str,
    release_namespace: &str,
    namespace: Option<&str>,
) -> serde_json::Value {
    let mut body = body.clone();
    let metadata = body
        .as_object_mut()
        .map(|o| o.entry("metadata").or_insert_with(|| serde_json::json!({})));
    if let Some(serde_json::Value::Object(metadata)) = metadata {
        match namespace {
            Some(namespace) => {
                metadata.insert("namespace".into(), namespace.into());
            }
            None => {
                metadata.shift_remove("namespace");
            }
        }
        let labels = metadata
            .entry("labels")
            .or_insert_with(|| serde_json::json!({}));
        if let Some(labels) = labels.as_object_mut() {
            labels.insert(RELEASE_LABEL.into(), release.into());
        }
        let annotations = metadata
            .entry("annotations")
            .or_insert_with(|| serde_json::json!({}));
        if let Some(annotations) = annotations.as_object_mut() {
            annotations.insert(
                RELEASE_NAMESPACE_ANNOTATION.into(),
                release_namespace.into(),
            );
        }
    }
    default_protocols(&mut body, None);
    let digest =
        crate::shared::digest::sha256(crate::shared::digest::canonical_json(&body).as_bytes());
    if let Some(annotations) = body["metadata"]["annotations"].as_object_mut() {
        annotations.insert(DIGEST_ANNOTATION.into(), digest.into());
    }
    body
}

/// Whether every value `ours` sets is in `live` as well: maps may hold
/// more keys, lists must match item by item.
fn is_subset(ours: &serde_json::Value, live: &serde_json::Value) -> bool {
    match (ours, live) {
        (serde_json::Value::Object(ours), serde_json::Value::Object(live)) => ours
            .iter()
            .all(|(key, value)| live.get(key).is_some_and(|l| is_subset(value, l))),
        (serde_json::Value::Array(ours), serde_json::Value::Array(live)) => {
            ours.len() == live.len() && ours.iter().zip(live).all(|(o, l)| is_subset(o, l))
        }
        (ours, live) => ours == live,
    }
}

/// Ports without `protocol` get `TCP`: the server defaults it, but its
/// server-side apply of Kubernetes 1.20 rejects list items missing a key field.
fn default_protocols(value: &mut serde_json::Value, key: Option<&str>) {
    match value {
        serde_json::Value::Object(map) => {
            let is_port = matches!(key, Some("ports"))
                && (map.contains_key("containerPort") || map.contains_key("port"));
            if is_port && !map.contains_key("protocol") {
                map.insert("protocol".into(), "TCP".into());
            }
            for (child_key, child) in map.iter_mut() {
                default_protocols(child, Some(child_key));
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                default_protocols(item, key);
            }
        }
        _ => {}
    }
}

/// Resources of the custom kinds that CRDs among `objects` define.
fn crd_resources(objects: &[Object]) -> HashMap<(String, String), Resource> {
    objects
        .iter()
        .filter(|o| o.kind == "CustomResourceDefinition")
        .flat_map(|crd| definitions::resources(&crd.body))
        .map(|resource| {
            let key = (resource.api.api_version.clone(), resource.api.kind.clone());
            (key, resource)
        })
        .collect()
}

/// The object without what the server manages (managedFields,
/// resourceVersion, uid, generation, creationTimestamp, selfLink, status)
/// and without cleat's digest annotation, which only speeds up planning.
/// Removals keep the order of the other fields, so that two objects that
/// differ only in what is removed show no difference.
pub fn strip(object: &serde_json::Value) -> serde_json::Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.shift_remove("status");
        if let Some(serde_json::Value::Object(metadata)) = map.get_mut("metadata") {
            if let Some(serde_json::Value::Object(annotations)) = metadata.get_mut("annotations") {
                annotations.shift_remove(DIGEST_ANNOTATION);
            }
            for field in [
                "managedFields",
                "resourceVersion",
                "uid",
                "generation",
                "creationTimestamp",
                "selfLink",
            ] {
                metadata.shift_remove(field);
            }
        }
    }
    object
}

/// Whether a live object is Helm release `helm`'s (of `namespace`): marked
/// as its, or, unmarked, made by Helm (a field manager `helm`), as Helm
/// leaves its hooks and the CRDs of `crds/`.
fn helm_made(owner: &Owner, live: &serde_json::Value, helm: &str, namespace: &str) -> bool {
    match owner {
        Owner::Helm {
            name,
            namespace: of,
        } => name == helm && of == namespace,
        Owner::Nobody => live["metadata"]["managedFields"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["manager"].as_str().is_some_and(|m| m.starts_with("helm"))),
        Owner::Release { .. } => false,
    }
}

/// A stripped object without the label and annotation that mark it a
/// release's (and without maps they leave empty): what an adoption that
/// changes no value changes.
fn without_marks(object: &serde_json::Value) -> serde_json::Value {
    let mut object = object.clone();
    if let Some(serde_json::Value::Object(metadata)) = object.get_mut("metadata") {
        for (field, mark) in [
            ("labels", RELEASE_LABEL),
            ("annotations", RELEASE_NAMESPACE_ANNOTATION),
            // What a chart's hooks get written in as cleat's phases.
            ("annotations", crate::authoring::lifecycle::PHASE_ANNOTATION),
            ("annotations", crate::authoring::lifecycle::APPLY_ANNOTATION),
        ] {
            if let Some(serde_json::Value::Object(map)) = metadata.get_mut(field) {
                map.shift_remove(mark);
                if map.is_empty() {
                    metadata.shift_remove(field);
                }
            }
        }
    }
    object
}

/// A unified diff of two objects as YAML, three lines of context.
fn unified_diff(before: &serde_json::Value, after: &serde_json::Value) -> String {
    let before = crate::shared::yaml::emit_document(before);
    let after = crate::shared::yaml::emit_document(after);
    similar::TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .header("live", "after apply")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripping_server_fields_keeps_the_order_of_the_rest() {
        // A live object listed without managedFields and the same object as a
        // dry run returns it: equal once stripped, in the same order.
        let listed = serde_json::json!({"metadata": {"name": "web", "uid": "u", "namespace": "ns", "labels": {}}});
        let dry_run = serde_json::json!({"metadata": {"managedFields": [], "name": "web", "uid": "u", "namespace": "ns", "labels": {}}});
        let (a, b) = (strip(&listed), strip(&dry_run));
        assert_eq!(a, b);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"metadata":{"name":"web","namespace":"ns","labels":{}}}"#
        );
    }

    #[test]
    fn ports_get_a_protocol_and_objects_their_release() {
        let body = serde_json::json!({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}
        });
        let prepared = prepare(&body, "shop", "prod", Some("prod"));
        assert_eq!(prepared["spec"]["ports"][0]["protocol"], "TCP");
        assert_eq!(prepared["spec"]["ports"][1]["protocol"], "UDP");
        assert_eq!(prepared["metadata"]["namespace"], "prod");
        assert_eq!(prepared["metadata"]["labels"][RELEASE_LABEL], "shop");
        assert_eq!(
            prepared["metadata"]["annotations"][RELEASE_NAMESPACE_ANNOTATION],
            "prod"
        );
    }
}
