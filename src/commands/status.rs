//! `cleat status`: each release's newest record, and drift from it.

use crate::cli::{ReportFormat, StatusArgs};
use crate::deploy::status::{status, Status};
use crate::release::select::select;
use crate::shared::diagnostics::Diagnostics;

use super::Outcome;

pub fn run(args: StatusArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let source = super::source(&args.select.source);
    let selected = select(&args.select.releases, &source)?;
    let statuses = super::runtime()?.block_on(status(
        &selected,
        &super::connection(&args.cluster),
        source.base(),
        args.cluster.concurrency,
    ))?;
    let text = match args.output {
        ReportFormat::Text if args.notes => statuses
            .iter()
            .filter_map(|s| Some(super::output::notes(&s.release, s.notes.as_deref()?)))
            .collect(),
        ReportFormat::Text => text(&statuses),
        ReportFormat::Json => {
            serde_json::to_string_pretty(&json(&statuses)).unwrap_or_default() + "\n"
        }
    };
    super::write(out, &text)?;
    let drifted = statuses
        .iter()
        .any(|s| !s.drift.is_empty() || s.interrupted.is_some() || !s.unrecorded.is_empty());
    Ok(Outcome {
        exit_code: if args.exit_code && drifted { 2 } else { 0 },
        ..Outcome::default()
    })
}

fn text(statuses: &[Status]) -> String {
    let mut text = String::new();
    for status in statuses {
        text.push_str(&format!(
            "release {} (namespace {})\n",
            status.release, status.namespace
        ));
        if let Some(pending) = &status.interrupted {
            text.push_str(&format!(
                "  interrupted: the apply of revision {} by {} at {} did not finish; the next `cleat apply` takes it over\n",
                pending.revision, pending.applied_by, pending.applied_at
            ));
        }
        if !status.unrecorded.is_empty() {
            text.push_str(&format!(
                "  unrecorded: {} objects carry the release's labels but are in no record\n",
                status.unrecorded.len()
            ));
            for id in &status.unrecorded {
                text.push_str(&format!("    ? {id}\n"));
            }
        }
        let Some(record) = &status.record else {
            text.push_str("  not applied: no record in the cluster\n");
            continue;
        };
        text.push_str(&format!(
            "  revision {}, applied {} by {}\n",
            record.revision, record.applied_at, record.applied_by
        ));
        if status.up_to_date() {
            text.push_str(&format!("  lock: up to date ({})\n", record.lock.digest));
        } else {
            text.push_str(&format!(
                "  lock: differs: the record has {}, the lockfile/release file {}; `cleat diff` shows what applying would change\n",
                record.lock.digest, status.locked
            ));
        }
        if status.estimated {
            text.push_str("  (drift found without a server-side dry run, which the user may not run: cleat's estimate)\n");
        }
        if status.drift.is_empty() {
            text.push_str("  drift: none\n");
        } else {
            text.push_str(&format!("  drift: {} objects\n", status.drift.len()));
            for drift in &status.drift {
                text.push_str(&format!("    {drift}\n"));
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
                "upToDate": status.up_to_date(),
                "drift": status.drift.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "interrupted": status.interrupted.as_ref().map(|r| serde_json::json!({
                    "revision": r.revision,
                    "appliedAt": r.applied_at,
                    "appliedBy": r.applied_by,
                })),
                "unrecorded": status.unrecorded,
                "estimated": status.estimated,
                "notes": status.notes,
            })
        })
        .collect();
    serde_json::json!({ "releases": releases })
}
