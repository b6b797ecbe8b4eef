//! `cleat repo index` and `cleat search`: building and reading repository indexes.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::authoring::repository::{Client, Index, Location, INDEX_FILE};
use crate::cli::{ListFormat, RepoCommand, SearchArgs};
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

use super::Outcome;

pub fn run(command: RepoCommand, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let RepoCommand::Index(args) = command;
    let path = args.dir.join(INDEX_FILE);
    let shown = path.display().to_string();
    let mut warnings = Vec::new();
    let previous = match std::fs::read(&path) {
        Err(_) => Index::default(),
        Ok(bytes) => match crate::authoring::package::source(&shown, &bytes)
            .map_err(Diagnostics::from)
            .and_then(|source| Index::parse(&source))
        {
            Ok(index) => index,
            Err(_) => {
                warnings.push(
                    Diagnostic::warning(format!(
                        "`{shown}` is not a valid index; writing a new one"
                    ))
                    .about(shown.clone())
                    .hint("every archive gets the current time as its `created` time"),
                );
                Index::default()
            }
        },
    };
    let index = Index::build(&args.dir, &previous, &now()?)?;
    crate::shared::files::write(&path, index.to_yaml().as_bytes()).map_err(|e| {
        Diagnostic::error(format!("cannot write `{shown}`: {e}")).about(shown.clone())
    })?;
    let mut names: Vec<&str> = index.entries.iter().map(|e| e.name.as_str()).collect();
    names.dedup();
    let summary = format!(
        "{shown}: {} archives of {} packages\n",
        index.entries.len(),
        names.len()
    );
    super::write(out, &summary)?;
    Ok(Outcome {
        warnings,
        ..Outcome::default()
    })
}

/// The time new index entries are created at: `SOURCE_DATE_EPOCH` when set,
/// so indexes can be rebuilt reproducibly, else now.
fn now() -> Result<String, Diagnostic> {
    let time = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) => {
            let seconds: u64 = text.trim().parse().map_err(|_| {
                Diagnostic::error(format!(
                    "SOURCE_DATE_EPOCH `{text}` is not a number of seconds"
                ))
                .hint("set it to a Unix time such as `1764000000`, or unset it")
            })?;
            SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
        }
        Err(_) => SystemTime::now(),
    };
    Ok(humantime::format_rfc3339_seconds(time).to_string())
}

pub fn search(args: SearchArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let location = Location::parse(&args.repo, &Location::Dir(PathBuf::from(".")));
    let index = Client::new(true).index(&location)?;
    let found = index.search(&args.query);
    let text = match args.output {
        ListFormat::Json => {
            let entries: Vec<serde_json::Value> = found
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "name": e.name,
                        "version": e.version.to_string(),
                        "digest": e.digest,
                        "created": e.created,
                        "description": e.description,
                        "appVersion": e.app_version,
                        "keywords": e.keywords,
                        "deprecated": e.deprecated,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&entries).unwrap_or_default() + "\n"
        }
        ListFormat::Table if found.is_empty() => {
            return Err(Diagnostic::error(format!(
                "no package in {location} matches `{}`",
                args.query
            ))
            .hint("search for part of a name, or for `''` to list everything")
            .into())
        }
        ListFormat::Table => {
            let rows: Vec<[String; 5]> = found
                .iter()
                .map(|e| {
                    let description = if e.deprecated {
                        format!("DEPRECATED {}", e.description)
                    } else {
                        e.description.clone()
                    };
                    [
                        e.name.clone(),
                        e.version.to_string(),
                        e.app_version.clone().unwrap_or_default(),
                        e.digest.clone(),
                        description,
                    ]
                })
                .collect();
            super::table(
                ["NAME", "VERSION", "APP VERSION", "DIGEST", "DESCRIPTION"],
                &rows,
            )
        }
    };
    super::write(out, &text)?;
    Ok(Outcome::default())
}
