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
    let runtime = super::runtime()?;
    let connection = super::connection(&args.cluster);
    let cluster = runtime.block_on(connection.connect(None))?;
    let targets = match (&args.release, &args.namespace) {
        (Some(release), Some(namespace)) => vec![(namespace.clone(), release.clone())],
        _ => runtime.block_on(helm::all(&cluster))?,
    };
    let mut text = String::new();
    let mut warnings = Vec::new();
    let mut problems = Vec::new();
    let mut imported = Vec::new();
    for (namespace, name) in &targets {
        let release = super::check_name("RELEASE", name, "cleat release name")
            .map_err(Diagnostics::from)
            .and_then(|()| Ok(runtime.block_on(helm::newest(&cluster, name, namespace))?))
            .and_then(|release| write_one(&args, release, &mut text, &mut warnings));
        match release {
            Ok(name) => imported.push(name),
            // With --all-namespaces, one release that cannot be taken over
            // does not stop the others.
            Err(errors) => problems.extend(errors.0),
        }
    }
    if imported.is_empty() {
        if targets.is_empty() {
            problems.push(Diagnostic::error(
                "there are no Helm releases in the cluster",
            ));
        }
        return Err(Diagnostics(problems));
    }
    // Charts' lookups answered by their clusters, as the plan below answers them.
    let mut clusters = std::collections::HashMap::new();
    let locked = lock(&args.file, None, false, false, &mut |prepared| {
        runtime.block_on(crate::deploy::lookups::on_cluster(
            &connection,
            &mut clusters,
            prepared,
        ))
    })?;
    locked.lockfile.write(&locked.path)?;
    warnings.extend(locked.warnings);
    text.push_str(&format!("locked {}\n", locked.path.display()));
    let source = Source::ReleaseFile {
        file: args.file.clone(),
        env: None,
        locked: false,
    };
    let prepared = select(&imported, &source)?;
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
        imported.join(" ")
    ));
    super::write(out, &text)?;
    // A release of several that could not be imported fails the command,
    // after the others are written and shown.
    let exit_code = u8::from(!problems.is_empty());
    warnings.extend(problems);
    Ok(Outcome {
        warnings,
        exit_code,
    })
}

/// Writes one Helm release into the release file; says what it wrote in
/// `text`. Gives the release's name.
fn write_one(
    args: &ImportArgs,
    release: helm::HelmRelease,
    text: &mut String,
    warnings: &mut Vec<Diagnostic>,
) -> Result<String, Diagnostics> {
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
    text.push_str(&format!(
        "Helm release `{}` (namespace {}, revision {}, chart {chart_name} {chart_version}, in {}s):\n",
        release.name, release.namespace, release.revision, release.storage
    ));
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
    if let Some(values) = &written.values {
        warnings.push(
            Diagnostic::warning(format!(
                "{values} holds the values Helm was given, secrets among them if there were any"
            ))
            .hint("move secrets into `secretFrom` references in the release file before committing it"),
        );
    }
    Ok(release.name)
}
