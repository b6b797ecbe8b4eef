use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cleat::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // Help and version are successes; every other error exits 1.
            return if error.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stderr().is_terminal();
    match cleat::commands::run(cli.command, &mut std::io::stdout().lock()) {
        Ok(outcome) => {
            for warning in outcome.warnings {
                eprint!("{}", warning.render(color));
            }
            ExitCode::from(outcome.exit_code)
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
