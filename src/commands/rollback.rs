//! `cleat rollback`: a recorded revision applied again, as a new revision.

use std::sync::Arc;

use crate::cli::RollbackArgs;
use crate::deploy::apply::{Options, Revision};
use crate::deploy::rollback::rollback;
use crate::shared::diagnostics::Diagnostics;

use super::{output, Outcome};

pub fn run(args: RollbackArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let options = Options {
        force: args.force_conflicts,
        concurrency: args.cluster.concurrency,
        wait: false,
        timeout: crate::deploy::apply::TIMEOUT,
        wait_steps: true,
        atomic: false,
        history_max: args.history_max,
        keep_helm_history: false,
        revision: Revision::Next,
    };
    let rolled = super::runtime()?.block_on(async {
        let cluster = Arc::new(super::connection(&args.cluster).connect(None).await?);
        rollback(
            cluster,
            &args.release,
            &args.namespace,
            args.revision,
            options,
        )
        .await
    })?;
    super::write(
        out,
        &format!(
            "rolled back to revision {}\n{}{}",
            rolled.to,
            output::deployed(&rolled.deployed),
            match rolled.hooks {
                0 => String::new(),
                n => format!("  ran {n} rollback hooks\n"),
            }
        ),
    )?;
    Ok(Outcome::default())
}
