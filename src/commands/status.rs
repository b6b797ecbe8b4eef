//! `cleat status`: each release's newest record, and drift from it.

use std::path::Path;

use crate::cli::{DiffFormat, StatusArgs};
use crate::cluster;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::plan::{self, Change};
use crate::repository::Client;

use super::Outcome;

/// One release's status.
struct Status {
    release: String,
    namespace: String,
    record: Option<crate::record::Record>,
    /// The digest the selected release file or lockfile has for it now.
    locked: String,
    /// `- missing ID` and `~ changed ID` lines.
    drift: Vec<String>,
}

pub fn run(args: StatusArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let selected = super::lock::select(&args.select.releases, &args.select.source)?;
    // Relative package sources and secret files of a record are relative to
    // where the release file or lockfile is.
    let base = crate::package::parent_dir(
        args.select
            .source
            .lockfile
            .as_deref()
            .unwrap_or(&args.select.source.release_file.file),
    )
    .to_path_buf();
    let statuses = super::runtime()?.block_on(async {
        let mut statuses = Vec::new();
        for release in &selected {
            let locked = &release.locked;
            let cluster = super::connect(&args.cluster, locked.context.as_deref()).await?;
            let record = crate::record::latest(&cluster, &locked.name, &locked.namespace).await?;
            let drift = match &record {
                None => Vec::new(),
                Some(record) => drift(&cluster, record, &base, args.cluster.concurrency).await?,
            };
            statuses.push(Status {
                release: locked.name.clone(),
                namespace: locked.namespace.clone(),
                record,
                locked: locked.digest.clone(),
                drift,
            });
        }
        Ok::<_, Diagnostics>(statuses)
    })?;
    let text = match args.output {
        DiffFormat::Text => text(&statuses),
        DiffFormat::Json => {
            serde_json::to_string_pretty(&json(&statuses)).unwrap_or_default() + "\n"
        }
    };
    super::write(out, &text)?;
    let drifted = statuses.iter().any(|s| !s.drift.is_empty());
    Ok(Outcome {
        exit_code: if args.exit_code && drifted { 2 } else { 0 },
        ..Outcome::default()
    })
}

/// What re-applying the recorded revision would change: objects missing,
/// and objects whose values were changed outside cleat.
async fn drift(
    cluster: &cluster::Cluster,
    record: &crate::record::Record,
    base: &Path,
    concurrency: usize,
) -> Result<Vec<String>, Diagnostics> {
    let name = format!("the record of release `{}`", record.release);
    let prepared = crate::release::from_lock(&record.lock, base, &name, &mut Client::new(false))
        .map_err(|mut errors| {
            errors.0.push(Diagnostic::error(format!(
                "cannot check release `{}` for drift: its recorded revision does not render here",
                record.release
            )).hint("drift is found by rendering the recorded packages (from the cache) with the recorded values and secrets"));
            errors
        })?;
    // Forced, so that a value another manager took over shows as a change.
    let plan = plan::plan(
        cluster,
        &record.release,
        &record.namespace,
        &prepared.objects,
        true,
        concurrency,
    )
    .await?;
    let mut drift = Vec::new();
    for object in &plan.objects {
        match object.change {
            Change::Create => drift.push(format!("- missing {}", object.id())),
            Change::Update(_) => drift.push(format!("~ changed {}", object.id())),
            Change::Unchanged => {}
        }
    }
    Ok(drift)
}

fn text(statuses: &[Status]) -> String {
    let mut text = String::new();
    for status in statuses {
        text.push_str(&format!(
            "release {} (namespace {})\n",
            status.release, status.namespace
        ));
        let Some(record) = &status.record else {
            text.push_str("  not applied: no record in the cluster\n");
            continue;
        };
        text.push_str(&format!(
            "  revision {}, applied {} by {}\n",
            record.revision, record.applied_at, record.applied_by
        ));
        if record.lock.digest == status.locked {
            text.push_str(&format!("  lock: up to date ({})\n", record.lock.digest));
        } else {
            text.push_str(&format!(
                "  lock: differs: the record has {}, the lockfile/release file {}; `cleat diff` shows what applying would change\n",
                record.lock.digest, status.locked
            ));
        }
        if status.drift.is_empty() {
            text.push_str("  drift: none\n");
        } else {
            text.push_str(&format!("  drift: {} objects\n", status.drift.len()));
            for line in &status.drift {
                text.push_str(&format!("    {line}\n"));
            }
        }
    }
    text
}

fn json(statuses: &[Status]) -> serde_json::Value {
    let releases: Vec<serde_json::Value> = statuses
        .iter()
        .map(|status| {
            let record = status.record.as_ref().map(|r| {
                serde_json::json!({
                    "revision": r.revision,
                    "appliedAt": r.applied_at,
                    "appliedBy": r.applied_by,
                    "digest": r.lock.digest,
                })
            });
            serde_json::json!({
                "release": status.release,
                "namespace": status.namespace,
                "record": record,
                "lockDigest": status.locked,
                "upToDate": status.record.as_ref().is_some_and(|r| r.lock.digest == status.locked),
                "drift": status.drift,
            })
        })
        .collect();
    serde_json::json!({ "releases": releases })
}
