//! A chart release rendered again with its cluster's answers to its
//! lookups. A release of the release file takes the answers the cluster
//! gives now, rendering until every key its templates ask is answered (an
//! answer may lead a template to look up more); a locked release renders
//! with the answers its lock entry records, the cluster only giving a
//! Secret's data again, which must verify its marker. Either way, a lookup
//! whose answer is not the one the lockfile records is named in a warning.

use crate::authoring::chart::lookup::{Answers, LookupKey};
use crate::cluster::client::Cluster;
use crate::cluster::lookup::answer;
use crate::release::prepare::chart::Answering;
use crate::release::prepare::Prepared;
use crate::release::secret;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

/// Renders after which a chart still asking new keys is refused: each
/// render follows answers to new lookups, which must come to an end.
const MAX_RENDERS: usize = 16;

/// Largest total size of a release's answers, in bytes of JSON.
const MAX_ANSWER_BYTES: usize = 8 << 20;

/// `prepared` rendered with its cluster's answers (as it is when it looks
/// nothing up).
pub async fn complete(cluster: &Cluster, prepared: Prepared) -> Result<Prepared, Diagnostics> {
    let Some(run) = prepared.chart.clone() else {
        return Ok(prepared);
    };
    let name = prepared.locked.name.clone();
    match run.answering {
        Answering::Live => {
            let mut prepared = prepared;
            let mut answers = Answers::new();
            let mut size = 0;
            for _ in 0..MAX_RENDERS {
                let missing: Vec<LookupKey> = asked(&prepared)
                    .into_iter()
                    .filter(|key| !answers.contains_key(key))
                    .collect();
                if missing.is_empty() {
                    let changed = changed(&prepared, &run.recorded);
                    return Ok(warn(
                        prepared,
                        &changed,
                        "the lockfile records",
                        "lock again (`cleat lock --cluster` records the cluster's answers)",
                    ));
                }
                for key in missing {
                    let found = answer(cluster, &key).await?;
                    size += found.to_string().len();
                    if size > MAX_ANSWER_BYTES {
                        return Err(Diagnostic::error(format!(
                            "release `{name}`: its lookups find more than {} MiB (the last was {key})",
                            MAX_ANSWER_BYTES >> 20
                        ))
                        .hint("a chart looks up what it needs by name, in its namespace")
                        .into());
                    }
                    answers.insert(key, found);
                }
                prepared = run.prepare(answers.clone())?;
            }
            Err(Diagnostic::error(format!(
                "release `{name}`: after {MAX_RENDERS} renders its templates still look up keys not asked before"
            ))
            .hint("a template whose lookups depend on what earlier lookups find must come to an end")
            .into())
        }
        Answering::Recorded => {
            let mut answers = Answers::new();
            let mut changed = Vec::new();
            for recorded in &run.recorded {
                let key = recorded.key();
                let live = answer(cluster, &key).await?;
                let used = if secret::has_masked_secret(&recorded.answer) {
                    secret::unmask_lookup(&recorded.answer, &live)
                        .map_err(|why| {
                            Diagnostic::error(format!(
                                "release `{name}`: its lock entry answers the lookup of {key} with a Secret, but {why} since"
                            ))
                            .hint("lock again and review the change (`cleat lock --cluster`), or apply from the release file")
                        })?
                } else {
                    recorded.answer.clone()
                };
                // A Secret's data is the cluster's once it verifies; what
                // else differs is a changed answer.
                if used != live {
                    changed.push(key.clone());
                }
                answers.insert(key, used);
            }
            let prepared = if run.recorded_answers().is_some() {
                prepared
            } else {
                run.prepare(answers)?
            };
            Ok(warn(
                prepared,
                &changed,
                "its lock entry records",
                "rendered with the recorded answer; lock again to take the new one",
            ))
        }
    }
}

/// The keys the release's templates asked, as its lock entry records.
fn asked(prepared: &Prepared) -> Vec<LookupKey> {
    prepared
        .locked
        .chart
        .iter()
        .flat_map(|c| &c.lookups)
        .map(|l| l.key())
        .collect()
}

/// The keys whose answer in `prepared` is not the one `recorded` holds.
fn changed(prepared: &Prepared, recorded: &[crate::release::lock::LockedLookup]) -> Vec<LookupKey> {
    prepared
        .locked
        .chart
        .iter()
        .flat_map(|c| &c.lookups)
        .filter(|l| {
            recorded
                .iter()
                .find(|r| r.key() == l.key())
                .is_some_and(|r| r.answer != l.answer)
        })
        .map(|l| l.key())
        .collect()
}

/// `prepared` with a warning for each key whose answer is not what `than`
/// holds.
fn warn(mut prepared: Prepared, keys: &[LookupKey], than: &str, hint: &str) -> Prepared {
    for key in keys {
        prepared.warnings.push(
            Diagnostic::warning(format!(
                "release `{}`: the cluster answers the lookup of {key} differently than {than}",
                prepared.locked.name
            ))
            .hint(hint.to_string()),
        );
    }
    prepared
}

/// A recorded lock entry (`what` names it) rendered again, its lookups
/// answered as recorded with `cluster` giving Secrets' data again.
pub async fn from_record(
    cluster: &Cluster,
    lock: &crate::release::lock::LockedRelease,
    base: &std::path::Path,
    what: &str,
    client: &mut crate::authoring::repository::Client,
) -> Result<Prepared, Diagnostics> {
    let prepared = crate::release::prepare::from_lock(lock, base, what, client)?;
    complete(cluster, prepared).await
}

/// `prepared` rendered with the answers of its cluster (the connection's
/// context, else the release's own), connecting once per context.
pub async fn on_cluster(
    connection: &crate::cluster::client::Connection,
    clusters: &mut std::collections::HashMap<Option<String>, Cluster>,
    prepared: Prepared,
) -> Result<Prepared, Diagnostics> {
    let context = connection.context_for(prepared.locked.context.as_deref());
    if !clusters.contains_key(&context) {
        let cluster = connection.connect(context.as_deref()).await?;
        clusters.insert(context.clone(), cluster);
    }
    match clusters.get(&context) {
        Some(cluster) => complete(cluster, prepared).await,
        None => Ok(prepared),
    }
}
