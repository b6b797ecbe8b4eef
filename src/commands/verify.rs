//! `cleat verify`: every digest of a bundle checked, and its releases listed.

use crate::cli::VerifyArgs;
use crate::shared::diagnostics::Diagnostics;

use super::Outcome;

pub fn run(args: VerifyArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let bundle = crate::bundle::format::open(&args.bundle)?;
    let mut text = format!(
        "{}: every digest matches\n  {} releases, {} package archives, {} rendered objects{}\n",
        args.bundle.display(),
        bundle.records.len(),
        bundle.packages.len(),
        bundle
            .records
            .iter()
            .map(|r| r.lock.objects.len())
            .sum::<usize>(),
        if bundle.live > 0 {
            ", live objects included"
        } else {
            ""
        }
    );
    for record in &bundle.records {
        text.push_str(&format!(
            "  {}/{} revision {} ({} {}, applied {})\n",
            record.namespace,
            record.release,
            record.revision,
            record.lock.package.name,
            record.lock.package.version,
            record.applied_at
        ));
    }
    super::write(out, &text)?;
    Ok(Outcome::default())
}
