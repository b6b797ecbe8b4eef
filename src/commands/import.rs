//! `cleat import`: a running Helm release added to the release file,
//! locked, and planned against the cluster. Nothing in the cluster
//! changes; the next `cleat apply` takes the release over.

use crate::cli::ImportArgs;
use crate::cluster::{helm, plan};
use crate::deploy::planned::plan_releases;
use crate::release::import::{self, ChartSource, Imported};
use crate::release::locking::lock;
use crate::release::select::{select, Source};
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

use super::{show, Outcome};

pub fn run(args: ImportArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    super::check_name("RELEASE", &args.release, "cleat release name")?;
    let runtime = super::runtime()?;
    let connection = super::connection(&args.cluster);
    let release = runtime.block_on(async {
        let cluster = connection.connect(None).await?;
        helm::newest(&cluster, &args.release, &args.namespace).await
    })?;
    let metadata = &release.chart["metadata"];
    let (chart_name, chart_version) = (
        metadata["name"].as_str().unwrap_or_default().to_string(),
        metadata["version"].as_str().unwrap_or_default().to_string(),
    );
    let chart = match (&args.chart, &args.repository) {
        (Some(path), _) => {
            if crate::release::prepare::chart::open(path)?.is_none() {
                return Err(Diagnostic::error(format!(
                    "`{}` is not a Helm chart: it has no `Chart.yaml`",
                    path.display()
                ))
                .hint(format!("name the directory or .tgz of chart {chart_name} {chart_version}, or leave `--chart` out to use the chart Helm stored"))
                .into());
            }
            ChartSource::Path(path.clone())
        }
        (None, Some(url)) => {
            // Found before anything is written.
            let exact = semver::VersionReq::parse(&format!("={chart_version}")).map_err(|e| {
                Diagnostic::error(format!(
                    "chart version `{chart_version}` of the Helm release is not a version: {e}"
                ))
            })?;
            let here = crate::authoring::repository::Location::Dir(".".into());
            let location = crate::authoring::repository::Location::parse(url, &here);
            crate::authoring::resolve::chart_from_repository(
                &chart_name,
                &exact,
                &location,
                &mut crate::authoring::repository::Client::new(false),
            )?;
            ChartSource::Repository {
                url: url.clone(),
                chart: chart_name.clone(),
                version: chart_version.clone(),
            }
        }
        (None, None) => ChartSource::Stored(release.chart.clone()),
    };
    let written = import::write(
        &args.file,
        &Imported {
            name: release.name.clone(),
            namespace: release.namespace.clone(),
            values: release.config.clone(),
            chart,
        },
    )?;
    let file = args.file.display().to_string();
    let mut text = format!(
        "Helm release `{}` (namespace {}, revision {}, chart {chart_name} {chart_version}, in {}s):\n",
        release.name, release.namespace, release.revision, release.storage
    );
    if let Some(chart) = &written.chart {
        text.push_str(&format!("  wrote {chart}/ (the chart as Helm stored it)\n"));
    }
    if let Some(values) = &written.values {
        text.push_str(&format!(
            "  wrote {values} (the values the release was given)\n"
        ));
    }
    text.push_str(&format!(
        "  added release `{}` to {file}, taking over Helm release `{}`\n",
        release.name, release.name
    ));
    let locked = lock(&args.file, None, false, false)?;
    locked.lockfile.write(&locked.path)?;
    text.push_str(&format!("  locked {}\n", locked.path.display()));
    let source = Source::ReleaseFile {
        file: args.file.clone(),
        env: None,
        locked: false,
    };
    let prepared = select(std::slice::from_ref(&release.name), &source)?;
    let plans = runtime.block_on(plan_releases(
        prepared,
        &connection,
        &plan::Options::new(false, args.cluster.concurrency),
        false,
    ))?;
    let plans: Vec<&plan::Plan> = plans.iter().map(|p| &p.plan).collect();
    text.push_str(&show::describe(&plans, super::stdout_color(), true));
    text.push_str(&format!(
        "nothing in the cluster changed: `cleat apply {}` takes the objects over and deletes Helm's records of the release (`--keep-helm-history` keeps them)\n",
        release.name
    ));
    super::write(out, &text)?;
    let mut warnings = locked.warnings;
    if let Some(values) = &written.values {
        warnings.push(
            Diagnostic::warning(format!(
                "{values} holds the values Helm was given, secrets among them if there were any"
            ))
            .hint("move secrets into `secretFrom` references in the release file before committing it"),
        );
    }
    Ok(Outcome {
        warnings,
        ..Outcome::default()
    })
}
