//! `cleat backup`: deployed state written as one verifiable bundle.

use crate::bundle::backup::{backup, Options};
use crate::cli::BackupArgs;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

use super::Outcome;

pub fn run(args: BackupArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let options = Options {
        namespace: args.namespace.as_deref(),
        releases: &args.releases,
        live: args.include_live,
        secrets: args.include_secrets,
    };
    let bytes = super::runtime()?.block_on(async {
        let cluster = super::connection(&args.cluster).connect(None).await?;
        backup(&cluster, &options).await
    })?;
    let shown = args.output.display().to_string();
    crate::shared::files::write_private(&args.output, &bytes).map_err(|e| {
        Diagnostic::error(format!("cannot write `{shown}`: {e}")).about(shown.clone())
    })?;
    super::write(
        out,
        &format!("{shown}\n{}\n", crate::shared::digest::sha256(&bytes)),
    )?;
    let mut warnings = Vec::new();
    if args.include_secrets {
        warnings.push(
            Diagnostic::warning(format!("`{shown}` holds Secret values in plain base64"))
                .hint("store it encrypted and delete it when it is no longer needed"),
        );
    }
    Ok(Outcome {
        warnings,
        ..Outcome::default()
    })
}
