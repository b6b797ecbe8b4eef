//! `cleat diff`: what applying would change, object by object.

use crate::cli::{DiffArgs, ReportFormat};
use crate::cluster::plan::Plan;
use crate::deploy::planned::plan_releases;
use crate::release::select::select;
use crate::shared::diagnostics::Diagnostics;

use super::{plan_json, show, Outcome};

pub fn run(args: DiffArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let releases = select(&args.select.releases, &super::source(&args.select.source))?;
    let plans = super::runtime()?.block_on(plan_releases(
        releases,
        &super::connection(&args.cluster),
        &super::plan_options(&args.plan, &args.cluster, false),
        false,
    ))?;
    let warnings = plans
        .iter()
        .flat_map(|p| p.warnings.iter().cloned())
        .collect();
    let plans: Vec<&Plan> = plans.iter().map(|p| &p.plan).collect();
    let text = match args.output {
        ReportFormat::Text => show::describe(&plans, super::stdout_color(), true),
        ReportFormat::Json => {
            serde_json::to_string_pretty(&plan_json::json(&plans)).unwrap_or_default() + "\n"
        }
    };
    super::write(out, &text)?;
    let changes = plans.iter().any(|p| p.has_changes());
    Ok(Outcome {
        exit_code: if changes { 2 } else { 0 },
        warnings,
    })
}
