//! Each release's newest record, and its drift: what deploying the recorded
//! revision again would change.

use std::path::Path;

use crate::authoring::repository::Client;
use std::collections::HashSet;

use crate::cluster::client::{Cluster, Connection};
use crate::cluster::ownership::Owner;
use crate::cluster::plan;
use crate::cluster::planned::Change;
use crate::cluster::record::{self, Item, Newest, ObjectKey, Record};
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
    /// The NOTES of the recorded revision, rendered.
    pub notes: Option<String>,
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
        let cluster = connection
            .connect(release.locked.context.as_deref())
            .await?;
        // A chart's lookups answered by this cluster, as an apply answers them.
        let release = &super::lookups::complete(&cluster, release.clone()).await?;
        let newest =
            record::newest(&cluster, &release.locked.name, &release.locked.namespace).await?;
        // Secrets that the record's markers verify keep those markers, as
        // an apply keeps them: an unchanged release has the record's digest.
        let mut locked = release.locked.clone();
        if let Some(record) = &newest.complete {
            locked.keep_markers(&record.lock, &release.secrets);
        }
        let locked = &locked;
        let checked = match &newest.complete {
            None => Checked::default(),
            Some(record) => {
                let same = record.lock.digest == locked.digest;
                check(&cluster, record, release, same, &newest, base, concurrency).await?
            }
        };
        statuses.push(Status {
            release: locked.name.clone(),
            namespace: locked.namespace.clone(),
            record: newest.complete,
            interrupted: newest.pending,
            unrecorded: checked.unrecorded,
            locked: locked.digest.clone(),
            drift: checked.drift,
            estimated: checked.estimated,
            notes: checked.notes,
        });
    }
    Ok(statuses)
}

/// What planning the recorded revision again found.
#[derive(Default)]
struct Checked {
    drift: Vec<Drift>,
    /// Found without a dry run.
    estimated: bool,
    unrecorded: Vec<String>,
    notes: Option<String>,
}

/// Plans the recorded revision again: objects missing, objects whose values
/// were changed outside cleat or that another owner took, and objects
/// labelled as the release's that no record lists (from the plan's own
/// LISTs of the kinds and namespaces of the revision's objects). The revision
/// is rendered again from its record, unless `release` (as selected now) has
/// the same lock digest (`same`, its secrets' markers kept), whose objects
/// are then the same.
async fn check(
    cluster: &Cluster,
    record: &Record,
    release: &Prepared,
    same: bool,
    newest: &Newest,
    base: &Path,
    concurrency: usize,
) -> Result<Checked, Diagnostics> {
    let rendered;
    let revision = if same {
        release
    } else {
        let name = format!("the record of release `{}`", record.release);
        rendered = super::lookups::from_record(cluster, &record.lock, base, &name, &mut Client::new(false))
            .await
            .map_err(|mut errors| {
                errors.0.push(Diagnostic::error(format!(
                    "cannot check release `{}` for drift: its recorded revision does not render here",
                    record.release
                )).hint("drift is found by rendering the recorded packages (from the cache) with the recorded values and secrets"));
                errors
            })?;
        &rendered
    };
    let objects = &revision.objects;
    // Forced, so that a value another manager took over shows as a change,
    // and adopting, so that an object another owner took shows as taken.
    let options = plan::Options {
        adopt: true,
        ..plan::Options::new(true, concurrency)
    };
    let plan = plan::plan(
        cluster,
        &record.release,
        &record.namespace,
        objects,
        &options,
    )
    .await?;
    let recorded: HashSet<ObjectKey> = newest.inventory().iter().map(Item::key).collect();
    let drift = plan
        .objects
        .iter()
        .filter_map(|object| match (&object.adopt, &object.change) {
            (Some(owner), _) => Some(Drift::Taken(object.id(), owner.clone())),
            // Missing only if it was applied: an object of upgrades before
            // the first upgrade, or a hook deleted once it succeeded, is not.
            (None, Change::Create) if !recorded.contains(&object.item(None).key()) => None,
            (None, Change::Create) => Some(Drift::Missing(object.id())),
            (None, Change::Update(_) | Change::Replace { .. }) => Some(Drift::Changed(object.id())),
            (None, Change::Unchanged | Change::Adopt | Change::Skip(_)) => None,
        })
        .collect();
    let unrecorded = plan
        .labelled
        .iter()
        .filter(|item| !recorded.contains(&item.key()))
        .map(Item::id)
        .collect();
    Ok(Checked {
        drift,
        estimated: plan.estimated,
        unrecorded,
        notes: revision.notes.clone(),
    })
}
