//! `cleat test`: a Helm chart release's test hooks run and reported.

use crate::cli::TestArgs;
use crate::deploy::test::test;
use crate::shared::diagnostics::Diagnostics;

use super::Outcome;

pub fn run(args: TestArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let passed = super::runtime()?.block_on(async {
        let cluster = super::connection(&args.cluster).connect(None).await?;
        let base = std::path::Path::new(".");
        test(&cluster, &args.release, &args.namespace, base, args.timeout).await
    })?;
    let mut text = format!("release {}: {} tests passed\n", args.release, passed.len());
    for id in passed {
        text.push_str(&format!("  passed {id}\n"));
    }
    super::write(out, &text)?;
    Ok(Outcome::default())
}
