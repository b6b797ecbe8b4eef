//! `cleat restore`: a bundle's releases deployed again, records and
//! revisions included, namespaces renamed with `--namespace-map`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::bundle::restore::restore;
use crate::cli::RestoreArgs;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};
use crate::shared::yaml::fields::is_dns_label;

use super::{show, Outcome};

pub fn run(args: RestoreArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let mut map = BTreeMap::new();
    for pair in &args.namespace_map {
        let Some((old, new)) = pair
            .split_once('=')
            .filter(|(o, n)| is_dns_label(o) && is_dns_label(n))
        else {
            return Err(
                Diagnostic::error(format!("`--namespace-map {pair}` is not OLD=NEW"))
                    .hint("write two namespace names, such as `shop=shop-restored`")
                    .into(),
            );
        };
        map.insert(old.to_string(), new.to_string());
    }
    let bundle = crate::bundle::format::open(&args.bundle)?;
    let results = super::runtime()?.block_on(async {
        let cluster = Arc::new(super::connection(&args.cluster).connect(None).await?);
        restore(
            cluster,
            &bundle,
            &map,
            args.dry_run,
            args.cluster.concurrency,
        )
        .await
    })?;
    let mut summary = String::new();
    let mut problems = Vec::new();
    for result in results {
        match result {
            Ok(restored) => {
                summary.push_str(&show::describe(&[&restored.plan], false, false));
                if let Some(deployed) = restored.deployed {
                    summary.push_str(&format!(
                        "restored {}/{} revision {}: {} created, {} changed, {} unchanged\n",
                        deployed.namespace,
                        deployed.release,
                        deployed.revision,
                        deployed.created(),
                        deployed.applied.changed,
                        deployed.applied.unchanged
                    ));
                }
            }
            Err(failed) => problems.extend(failed.0),
        }
    }
    super::write(out, &summary)?;
    Diagnostics::check(problems, Outcome::default())
}
