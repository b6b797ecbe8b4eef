//! `cleat delete`: a release's objects and records removed from the cluster.

use crate::cli::DeleteArgs;
use crate::cluster::prune::Keep;
use crate::deploy::delete::delete;
use crate::shared::diagnostics::Diagnostics;

use super::{output, Outcome};

pub fn run(args: DeleteArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let deleted = super::runtime()?.block_on(async {
        let cluster = super::connection(&args.cluster).connect(None).await?;
        delete(
            &cluster,
            &args.release,
            &args.namespace,
            args.include_crds,
            args.timeout,
            (!args.no_hooks).then_some(std::path::Path::new(".")),
        )
        .await
    })?;
    let mut summary = format!(
        "release {}: {} objects deleted, {} records deleted\n",
        args.release, deleted.pruned.deleted, deleted.records
    );
    if deleted.hooks > 0 {
        summary.push_str(&format!("  ran {} delete hooks\n", deleted.hooks));
    }
    summary.push_str(&output::kept(&deleted.pruned.kept));
    if deleted
        .pruned
        .kept
        .iter()
        .any(|(_, keep)| matches!(keep, Keep::Definition { .. }))
    {
        summary.push_str("  CRDs stay unless --include-crds\n");
    }
    super::write(out, &summary)?;
    Ok(Outcome::default())
}
