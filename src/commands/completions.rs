//! `cleat completions`: shell completion scripts generated from the CLI definition.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::shared::diagnostics::Diagnostics;

use super::Outcome;

pub fn run(args: CompletionsArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "cleat", &mut script);
    super::write(out, &String::from_utf8_lossy(&script))?;
    Ok(Outcome::default())
}
