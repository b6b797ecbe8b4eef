//! `cleat delete`: a release's objects and records removed from the cluster.

use crate::apply::{prune, Applied};
use crate::cli::DeleteArgs;
use crate::diagnostics::Diagnostics;
use crate::plan::Deletion;

use super::Outcome;

pub fn run(args: DeleteArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    super::runtime()?.block_on(async {
        let cluster = super::connect(&args.cluster, None).await?;
        let Some(record) = crate::record::latest(&cluster, &args.release, &args.namespace).await?
        else {
            return Err(
                crate::record::not_found(&args.release, &args.namespace, &cluster.context).into(),
            );
        };
        let mut deletions = Vec::new();
        let mut kept_crds = Vec::new();
        for item in &record.inventory {
            if item.kind == "CustomResourceDefinition" && !args.include_crds {
                kept_crds.push(item.id());
                continue;
            }
            if let Some(resource) = cluster.resource(&item.api_version, &item.kind).await? {
                deletions.push(Deletion {
                    item: item.clone(),
                    resource,
                });
            }
        }
        let mut applied = Applied::default();
        prune(&cluster, &deletions, &mut applied).await?;
        let records = crate::record::delete_all(&cluster, &args.release, &args.namespace).await?;
        let mut summary = format!(
            "release {}: {} objects deleted, {records} records deleted\n",
            args.release, applied.deleted
        );
        for kept in &applied.kept {
            summary.push_str(&format!(
                "  kept {kept}: annotated {}\n",
                crate::apply::KEEP_ANNOTATION
            ));
        }
        for crd in &kept_crds {
            summary.push_str(&format!("  kept {crd}: CRDs stay unless --include-crds\n"));
        }
        super::write(out, &summary)?;
        Ok(Outcome::default())
    })
}
