//! `cleat rollback`: a recorded revision applied again, as a new revision.

use std::path::Path;
use std::sync::Arc;

use crate::apply::Options;
use crate::cli::RollbackArgs;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::repository::Client;

use super::Outcome;

pub fn run(args: RollbackArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let runtime = super::runtime()?;
    let (release, namespace) = (&args.release, &args.namespace);
    let summary = runtime.block_on(async {
        let cluster = Arc::new(super::connect(&args.cluster, None).await?);
        let history = crate::record::history(&cluster, release, namespace).await?;
        let Some(newest) = history.last() else {
            return Err(Diagnostics::from(crate::record::not_found(
                release,
                namespace,
                &cluster.context,
            )));
        };
        let revisions: Vec<String> = history.iter().map(|r| r.revision.to_string()).collect();
        let target = match args.revision {
            Some(revision) => history.iter().find(|r| r.revision == revision),
            None => history.iter().rev().nth(1),
        }
        .ok_or_else(|| {
            Diagnostic::error(match args.revision {
                Some(revision) => format!("release `{release}` has no revision {revision}"),
                None => format!(
                    "release `{release}` has no revision before {}",
                    newest.revision
                ),
            })
            .hint(format!("recorded revisions: {}", revisions.join(", ")))
        })?;
        let name = format!("revision {} of release `{release}`", target.revision);
        let prepared = crate::release::from_lock(
            &target.lock,
            Path::new("."),
            &name,
            &mut Client::new(false),
        )?;
        let lease = crate::lease::acquire(&cluster, release, namespace).await?;
        let result = async {
            let plan = crate::plan::plan(
                &cluster,
                release,
                namespace,
                &prepared.objects,
                args.force_conflicts,
                args.cluster.concurrency,
            )
            .await?;
            let planned = super::PlannedRelease {
                cluster: Arc::clone(&cluster),
                plan,
                locked: target.lock.clone(),
                lease: None,
            };
            let options = Options {
                force: args.force_conflicts,
                concurrency: args.cluster.concurrency,
            };
            let summary = super::apply::apply_and_record(
                &planned,
                options,
                super::apply::After {
                    wait: None,
                    atomic: false,
                    history_max: args.history_max,
                },
            )
            .await?;
            Ok::<_, Diagnostics>(format!(
                "rolled back to revision {}\n{summary}",
                target.revision
            ))
        }
        .await;
        let released = crate::lease::release(&cluster, lease).await;
        let summary = result?;
        released?;
        Ok(summary)
    })?;
    super::write(out, &summary)?;
    Ok(Outcome::default())
}
