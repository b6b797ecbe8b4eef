use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cleat::cli::Cli::parse();
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stderr().is_terminal();
    match cleat::commands::run(cli.command, &mut std::io::stdout().lock()) {
        Ok(outcome) => {
            for warning in outcome.warnings {
                eprint!("{}", warning.render(color));
            }
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            eprint!("{}", diagnostics.render(color));
            let count = diagnostics.0.iter().filter(|d| d.is_error()).count();
            if count > 1 {
                eprintln!("\n{count} errors");
            }
            ExitCode::FAILURE
        }
    }
}
