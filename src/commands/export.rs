//! `cleat export`: the lockfile of a release rebuilt from its newest record
//! in the cluster.

use crate::cli::ExportArgs;
use crate::cluster::record;
use crate::release::lock::{LockedEnvironment, Lockfile};
use crate::shared::diagnostics::Diagnostics;

use super::Outcome;

pub fn run(args: ExportArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let record = super::runtime()?.block_on(async {
        let cluster = super::connection(&args.cluster).connect(None).await?;
        record::latest(&cluster, &args.release, &args.namespace)
            .await?
            .ok_or_else(|| {
                Diagnostics::from(record::not_found(
                    &args.release,
                    &args.namespace,
                    &cluster.context,
                ))
            })
    })?;
    let mut lockfile = Lockfile::new();
    lockfile.set_environment(LockedEnvironment {
        name: None,
        releases: vec![record.lock],
    });
    super::write(out, &lockfile.to_text())?;
    Ok(Outcome::default())
}
