//! Each release's newest record, and its drift: what deploying the recorded
//! revision again would change.

use std::path::Path;

use crate::authoring::repository::Client;
use std::collections::{BTreeMap, BTreeSet};

use kube::api::ListParams;

use crate::cluster::client::{retry, Cluster, Connection};
use crate::cluster::ownership::{Owner, RELEASE_LABEL};
use crate::cluster::plan::{self, Change};
use crate::cluster::record::{self, Item, Newest, Record};
use crate::release::prepare::Prepared;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

/// One release's status.
pub struct Status {
    pub release: String,
    pub namespace: String,
    /// The newest complete record, if the release was ever applied.
    pub record: Option<Record>,
    /// An apply after it that did not finish.
    pub interrupted: Option<Record>,
    /// Objects labelled as the release's that no record lists.
    pub unrecorded: Vec<String>,
    /// The digest the release file or lockfile has for it now.
    pub locked: String,
    /// Objects whose live state differs from the record.
    pub drift: Vec<Drift>,
    /// Whether drift was found without a server-side dry run (the user may
    /// not patch): cleat's own estimate.
    pub estimated: bool,
}

impl Status {
    /// Whether the newest record holds the lock entry of today.
    pub fn up_to_date(&self) -> bool {
        self.record
            .as_ref()
            .is_some_and(|r| r.lock.digest == self.locked)
    }
}

/// An object that drifted from its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// Recorded, and not in the cluster.
    Missing(String),
    /// Values changed outside cleat.
    Changed(String),
    /// Another owner's marks are on it now.
    Taken(String, Owner),
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing(id) => write!(f, "- missing {id}"),
            Drift::Changed(id) => write!(f, "~ changed {id}"),
            Drift::Taken(id, owner) => write!(f, "! taken {id}: it belongs to {owner} now"),
        }
    }
}

/// The status of each of `releases`, on its cluster. A record's relative
/// package sources and secret files are relative to `base`.
pub async fn status(
    releases: &[Prepared],
    connection: &Connection,
    base: &Path,
    concurrency: usize,
) -> Result<Vec<Status>, Diagnostics> {
    let mut statuses = Vec::new();
    for release in releases {
        let locked = &release.locked;
        let cluster = connection.connect(locked.context.as_deref()).await?;
        let newest = record::newest(&cluster, &locked.name, &locked.namespace).await?;
        let (drift, estimated) = match &newest.complete {
            None => (Vec::new(), false),
            Some(record) => drift(&cluster, record, base, concurrency).await?,
        };
        let unrecorded = unrecorded(&cluster, release, &newest).await?;
        statuses.push(Status {
            release: locked.name.clone(),
            namespace: locked.namespace.clone(),
            record: newest.complete,
            interrupted: newest.pending,
            unrecorded,
            locked: locked.digest.clone(),
            drift,
            estimated,
        });
    }
    Ok(statuses)
}

/// What re-applying the recorded revision would change: objects missing,
/// and objects whose values were changed outside cleat; and whether that was
/// found without a dry run.
async fn drift(
    cluster: &Cluster,
    record: &Record,
    base: &Path,
    concurrency: usize,
) -> Result<(Vec<Drift>, bool), Diagnostics> {
    let name = format!("the record of release `{}`", record.release);
    let prepared = crate::release::prepare::from_lock(&record.lock, base, &name, &mut Client::new(false))
        .map_err(|mut errors| {
            errors.0.push(Diagnostic::error(format!(
                "cannot check release `{}` for drift: its recorded revision does not render here",
                record.release
            )).hint("drift is found by rendering the recorded packages (from the cache) with the recorded values and secrets"));
            errors
        })?;
    // Forced, so that a value another manager took over shows as a change,
    // and adopting, so that an object another owner took shows as taken.
    let options = plan::Options {
        force: true,
        adopt: true,
        prune_crds: false,
        concurrency,
    };
    let plan = plan::plan(
        cluster,
        &record.release,
        &record.namespace,
        &prepared.objects,
        options,
    )
    .await?;
    let drift = plan
        .objects
        .iter()
        .filter_map(|object| match (&object.adopt, &object.change) {
            (Some(owner), _) => Some(Drift::Taken(object.id(), owner.clone())),
            (None, Change::Create) => Some(Drift::Missing(object.id())),
            (None, Change::Update(_)) => Some(Drift::Changed(object.id())),
            (None, Change::Unchanged) => None,
        })
        .collect();
    Ok((drift, plan.estimated))
}

/// Objects that carry the release's marks but that no record lists (left by
/// an apply of a cleat without pending records, or made by hand with the
/// release's labels): one LIST with a label selector per kind the records
/// and the release's objects have, in each of their namespaces.
async fn unrecorded(
    cluster: &Cluster,
    release: &Prepared,
    newest: &Newest,
) -> Result<Vec<String>, Diagnostic> {
    let (name, namespace) = (&release.locked.name, &release.locked.namespace);
    let recorded = newest.inventory();
    let recorded_keys: std::collections::HashSet<record::ObjectKey> =
        recorded.iter().map(Item::key).collect();
    let mut kinds: BTreeMap<(String, String), BTreeSet<Option<String>>> = BTreeMap::new();
    let rendered = release.objects.iter().map(|o| {
        (
            &o.api_version,
            &o.kind,
            o.namespace.clone().or(Some(namespace.clone())),
        )
    });
    let listed = recorded
        .iter()
        .map(|i| (&i.api_version, &i.kind, i.namespace.clone()));
    for (api_version, kind, object_namespace) in rendered.chain(listed) {
        kinds
            .entry((api_version.clone(), kind.clone()))
            .or_default()
            .insert(object_namespace);
    }
    let selector = format!("{RELEASE_LABEL}={name}");
    let mut found = Vec::new();
    for ((api_version, kind), namespaces) in kinds {
        let Some(resource) = cluster.resource(&api_version, &kind).await? else {
            continue;
        };
        let namespaces: Vec<Option<String>> = if resource.namespaced {
            namespaces.into_iter().collect()
        } else {
            vec![None]
        };
        for object_namespace in namespaces {
            let api = cluster.api(&resource, object_namespace.as_deref());
            let params = ListParams::default().labels(&selector);
            let list = match retry(|| api.list(&params)).await {
                Ok(list) => list,
                // What the user may not list, status cannot check.
                Err(kube::Error::Api(e)) if e.code == 403 => continue,
                Err(e) => return Err(cluster.error(&format!("listing {api_version} {kind}"), &e)),
            };
            for object in list.items {
                let value = serde_json::to_value(&object).unwrap_or_default();
                let is_record = value["type"] == record::TYPE;
                let owned = Owner::of(&value).is_release(name, namespace);
                let object_name = object.metadata.name.clone().unwrap_or_default();
                let known = recorded_keys.contains(&record::object_key(
                    &api_version,
                    &kind,
                    object.metadata.namespace.as_deref(),
                    &object_name,
                ));
                if owned && !known && !is_record && kind != "Lease" {
                    found.push(crate::authoring::object::id(
                        &api_version,
                        &kind,
                        object.metadata.namespace.as_deref(),
                        &object_name,
                    ));
                }
            }
        }
    }
    Ok(found)
}
