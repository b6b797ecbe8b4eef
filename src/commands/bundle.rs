//! `cleat backup`, `cleat verify`, `cleat restore` and `cleat export`:
//! deployed state as a file, and back.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use futures::stream::{self, StreamExt};

use crate::apply::Options;
use crate::bundle::{self, Entry};
use crate::cli::{BackupArgs, ExportArgs, RestoreArgs, VerifyArgs};
use crate::cluster::{retry, Cluster};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::lock::{LockedEnvironment, LockedRelease, Lockfile};
use crate::record::Record;
use crate::repository::Client;

use super::Outcome;

pub fn backup(args: BackupArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let runtime = super::runtime()?;
    let bytes = runtime.block_on(async {
        let cluster = super::connect(&args.cluster, None).await?;
        let mut records = crate::record::all(&cluster, args.namespace.as_deref()).await?;
        if !args.releases.is_empty() {
            for name in &args.releases {
                if !records.iter().any(|r| &r.release == name) {
                    return Err(Diagnostics::from(Diagnostic::error(format!("release `{name}` has no record to back up"))));
                }
            }
            records.retain(|r| args.releases.contains(&r.release));
        }
        if records.is_empty() {
            return Err(Diagnostic::error(format!("there are no release records in {}", args.namespace.as_deref().map_or("any namespace".to_string(), |n| format!("namespace `{n}`"))))
                .hint("only releases applied by cleat have records")
                .into());
        }
        let mut client = Client::new(false);
        let mut packages = BTreeMap::new();
        let mut entries = Vec::new();
        for record in records {
            let mut digests = Vec::new();
            bundle::digests(&record.lock.package, &mut digests);
            for digest in digests {
                let bytes = client.cached(&digest)?.ok_or_else(|| {
                    Diagnostic::error(format!(
                        "the package archive {digest} of release `{}` is not in the local cache",
                        record.release
                    ))
                    .hint("run `cleat lock` or `cleat template` for the release here first, or back up from the machine that applied it")
                })?;
                packages.insert(digest, bytes);
            }
            let name = format!("the record of release `{}`", record.release);
            let prepared = crate::release::from_lock(&record.lock, Path::new("."), &name, &mut client)?;
            let objects = crate::object::list(&prepared.objects);
            let live = if args.include_live { Some(live(&cluster, &record, args.include_secrets).await?) } else { None };
            entries.push(Entry { record, objects, live });
        }
        Ok(bundle::write(&entries, &packages)?)
    })?;
    let shown = args.output.display().to_string();
    crate::atomic::write(&args.output, &bytes).map_err(|e| {
        Diagnostic::error(format!("cannot write `{shown}`: {e}")).about(shown.clone())
    })?;
    super::write(
        out,
        &format!("{shown}\n{}\n", crate::digest::sha256(&bytes)),
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

/// The live objects of a record's inventory as a JSON `List`, without what
/// the server manages, and without Secret values unless asked.
async fn live(
    cluster: &Cluster,
    record: &Record,
    secrets: bool,
) -> Result<serde_json::Value, Diagnostic> {
    let mut items = Vec::new();
    for item in &record.inventory {
        let Some(resource) = cluster.resource(&item.api_version, &item.kind).await? else {
            continue;
        };
        let api = cluster.api(&resource, item.namespace.as_deref());
        let Some(object) = retry(|| api.get_opt(&item.name))
            .await
            .map_err(|e| cluster.error(&format!("reading {}", item.id()), &e))?
        else {
            continue;
        };
        let mut object = crate::plan::strip(&serde_json::to_value(&object).unwrap_or_default());
        object["apiVersion"] = item.api_version.clone().into();
        object["kind"] = item.kind.clone().into();
        if item.kind == "Secret" && !secrets {
            if let Some(map) = object.as_object_mut() {
                map.shift_remove("data");
                map.shift_remove("stringData");
            }
        }
        items.push(object);
    }
    Ok(serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}))
}

fn read(path: &Path) -> Result<bundle::Bundle, Diagnostics> {
    let shown = path.display().to_string();
    let bytes = crate::package::read_file_within(path, crate::package::MAX_PACKAGE_BYTES)?;
    bundle::read(&shown, &bytes)
}

pub fn verify(args: VerifyArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let bundle = read(&args.bundle)?;
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

pub fn restore(args: RestoreArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let mut map = BTreeMap::new();
    for pair in &args.namespace_map {
        let Some((old, new)) = pair.split_once('=').filter(|(o, n)| {
            crate::package::manifest::is_dns_label(o) && crate::package::manifest::is_dns_label(n)
        }) else {
            return Err(
                Diagnostic::error(format!("`--namespace-map {pair}` is not OLD=NEW"))
                    .hint("write two namespace names, such as `shop=shop-restored`")
                    .into(),
            );
        };
        map.insert(old.to_string(), new.to_string());
    }
    let bundle = read(&args.bundle)?;
    let runtime = super::runtime()?;
    let reports = runtime.block_on(async {
        let cluster = Arc::new(super::connect(&args.cluster, None).await?);
        let mut client = Client::new(false);
        for bytes in bundle.packages.values() {
            client.keep(bytes)?;
        }
        let mut releases = Vec::new();
        for record in &bundle.records {
            let mut lock = record.lock.clone();
            if let Some(new) = map.get(&record.namespace) {
                lock.namespace = new.clone();
                lock.digest = lock.compute_digest();
            }
            let name = format!("release `{}` of the bundle", record.release);
            let prepared = crate::release::from_lock(&lock, Path::new("."), &name, &mut client)?;
            releases.push((record, lock, prepared.objects));
        }
        // Releases are restored side by side; every one runs to its end, and
        // reports keep the bundle's order.
        let reports: Vec<Result<String, Diagnostics>> = stream::iter(&releases)
            .map(|(record, lock, objects)| restore_release(&cluster, record, lock, objects, &args))
            .buffered(super::RELEASES_AT_ONCE)
            .collect()
            .await;
        Ok::<_, Diagnostics>(reports)
    })?;
    let mut summary = String::new();
    let mut problems = Vec::new();
    for report in reports {
        match report {
            Ok(text) => summary.push_str(&text),
            Err(failed) => problems.extend(failed.0),
        }
    }
    super::write(out, &summary)?;
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }
    Ok(Outcome::default())
}

/// Restores one release of a bundle: its plan (forced), then, unless this is
/// a dry run, its namespace, objects, prunes and record under its lease.
async fn restore_release(
    cluster: &Cluster,
    record: &Record,
    lock: &LockedRelease,
    objects: &[crate::object::Object],
    args: &RestoreArgs,
) -> Result<String, Diagnostics> {
    let plan = crate::plan::plan(
        cluster,
        &lock.name,
        &lock.namespace,
        objects,
        true,
        args.cluster.concurrency,
    )
    .await?;
    let mut report = super::diff::describe(&[&plan], false, false);
    if args.dry_run {
        return Ok(report);
    }
    if plan.namespaces.contains(&lock.namespace) {
        crate::apply::create_namespace(cluster, &lock.namespace).await?;
    }
    let lease = crate::lease::acquire(cluster, &lock.name, &lock.namespace).await?;
    let result = async {
        let options = Options {
            force: true,
            concurrency: args.cluster.concurrency,
        };
        let mut applied = crate::apply::apply(cluster, &plan, options).await?;
        crate::apply::prune(cluster, &plan.deletions, &mut applied).await?;
        let restored = Record {
            namespace: lock.namespace.clone(),
            lock: lock.clone(),
            inventory: applied.inventory.clone(),
            applied_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            applied_by: format!(
                "{} (context {}, restored)",
                crate::lease::operator(),
                cluster.context
            ),
            ..record.clone()
        };
        crate::record::write(cluster, &restored, usize::MAX).await?;
        Ok::<_, Diagnostics>(format!(
            "restored {}/{} revision {}: {} created, {} changed, {} unchanged\n",
            lock.namespace,
            lock.name,
            record.revision,
            applied.created + plan.namespaces.len(),
            applied.changed,
            applied.unchanged
        ))
    }
    .await;
    let released = crate::lease::release(cluster, lease).await;
    report.push_str(&result?);
    released?;
    Ok(report)
}

pub fn export(args: ExportArgs, out: &mut dyn std::io::Write) -> Result<Outcome, Diagnostics> {
    let record = super::runtime()?.block_on(async {
        let cluster = super::connect(&args.cluster, None).await?;
        crate::record::latest(&cluster, &args.release, &args.namespace)
            .await?
            .ok_or_else(|| {
                Diagnostics::from(crate::record::not_found(
                    &args.release,
                    &args.namespace,
                    &cluster.context,
                ))
            })
    })?;
    let mut lockfile = Lockfile::new();
    lockfile.set_environment(LockedEnvironment {
        name: None,
        releases: vec![record.lock],
    });
    super::write(out, &lockfile.to_text())?;
    Ok(Outcome::default())
}
