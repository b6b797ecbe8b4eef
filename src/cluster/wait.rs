//! Waiting: for readiness after an apply, until every object of the release
//! (or of one ordered step) is ready or the timeout passes; and for deleted
//! objects to be gone, finalizers done.
//!
//! Ready means: a Deployment, StatefulSet or DaemonSet has observed its
//! newest generation and has all its replicas updated and available; a Job
//! has completed (a failed Job fails the wait at once); a
//! PersistentVolumeClaim is bound; a CustomResourceDefinition is
//! established; a Service of type LoadBalancer has an address. Everything
//! else is ready once applied. On timeout, the error lists every object that
//! is not ready, why, and the last events the API server has for it.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use kube::api::ListParams;

use crate::cluster::client::{condition, retry, Cluster, Resource};
use crate::cluster::planned::Planned;
use crate::cluster::record::Item;
use crate::shared::diagnostics::{Diagnostic, Diagnostics};

/// Whether `object` (as the API server returns it) is ready; if not, why.
pub fn readiness(kind: &str, object: &serde_json::Value) -> Result<(), String> {
    let status = &object["status"];
    let spec = &object["spec"];
    let generation = object["metadata"]["generation"].as_i64().unwrap_or(0);
    let observed = status["observedGeneration"].as_i64().unwrap_or(0);
    let count = |value: &serde_json::Value| value.as_i64().unwrap_or(0);
    let stale =
        || format!("the controller has not seen generation {generation} yet (observed {observed})");
    match kind {
        "Deployment" | "StatefulSet" => {
            if observed < generation {
                return Err(stale());
            }
            let wanted = spec["replicas"].as_i64().unwrap_or(1);
            let updated = count(&status["updatedReplicas"]);
            let ready = if kind == "Deployment" {
                count(&status["availableReplicas"])
            } else {
                count(&status["readyReplicas"])
            };
            if updated < wanted || ready < wanted {
                return Err(format!(
                    "{updated} of {wanted} replicas updated, {ready} {}",
                    if kind == "Deployment" {
                        "available"
                    } else {
                        "ready"
                    }
                ));
            }
            Ok(())
        }
        "DaemonSet" => {
            if observed < generation {
                return Err(stale());
            }
            let wanted = count(&status["desiredNumberScheduled"]);
            let updated = count(&status["updatedNumberScheduled"]);
            let available = count(&status["numberAvailable"]);
            if updated < wanted || available < wanted {
                return Err(format!(
                    "{updated} of {wanted} pods updated, {available} available"
                ));
            }
            Ok(())
        }
        "Job" => {
            if let Some(failed) = condition(status, "Failed") {
                return Err(format!(
                    "failed: {}",
                    failed["message"].as_str().unwrap_or("(no message)")
                ));
            }
            match condition(status, "Complete") {
                Some(_) => Ok(()),
                None => Err(format!(
                    "{} of {} completions",
                    count(&status["succeeded"]),
                    spec["completions"].as_i64().unwrap_or(1)
                )),
            }
        }
        // A pod that runs to the end (a test, a one-off task) is ready when
        // it succeeded; one that keeps running, when it is Ready.
        "Pod" => match status["phase"].as_str() {
            Some("Succeeded") => Ok(()),
            Some("Failed") => Err(format!(
                "failed: {}",
                status["message"]
                    .as_str()
                    .or(status["reason"].as_str())
                    .unwrap_or("a container exited with an error")
            )),
            Some("Running")
                if spec["restartPolicy"].as_str().unwrap_or("Always") == "Always"
                    && condition(status, "Ready").is_some() =>
            {
                Ok(())
            }
            phase => Err(format!("phase {}", phase.unwrap_or("Pending"))),
        },
        "PersistentVolumeClaim" => match status["phase"].as_str() {
            Some("Bound") => Ok(()),
            phase => Err(format!("phase {}, not Bound", phase.unwrap_or("unknown"))),
        },
        "CustomResourceDefinition" => {
            if condition(status, "Established").is_some() {
                Ok(())
            } else {
                Err("not established".into())
            }
        }
        "Service" if spec["type"] == "LoadBalancer" => {
            let has_address = status["loadBalancer"]["ingress"]
                .as_array()
                .is_some_and(|a| !a.is_empty());
            if has_address {
                Ok(())
            } else {
                Err("no load balancer address yet".into())
            }
        }
        _ => Ok(()),
    }
}

/// A Job or pod that failed never becomes ready: the wait stops at once.
fn is_final(reason: &str) -> bool {
    reason.starts_with("failed:")
}

/// Waits until every object in `objects` is ready, or `timeout` passes;
/// progress and errors name them as `what` (`release web`).
pub async fn wait(
    cluster: &Cluster,
    what: &str,
    objects: &[&Planned],
    timeout: Duration,
) -> Result<(), Diagnostics> {
    let start = Instant::now();
    let mut progress = Progress::default();
    loop {
        let checks: Vec<(usize, Result<(), String>)> = stream::iter(objects.iter().enumerate())
            .map(|(i, object)| async move {
                let api = cluster.api(&object.resource, object.namespace.as_deref());
                let result = match retry(|| api.get_opt(&object.name)).await {
                    Ok(Some(live)) => readiness(
                        &object.kind,
                        &serde_json::to_value(&live).unwrap_or_default(),
                    ),
                    Ok(None) => Err("does not exist".to_string()),
                    Err(e) => Err(crate::cluster::client::describe(&e)),
                };
                (i, result)
            })
            .buffer_unordered(16)
            .collect()
            .await;
        let mut pending: Vec<(usize, String)> = checks
            .into_iter()
            .filter_map(|(i, r)| r.err().map(|reason| (i, reason)))
            .collect();
        pending.sort();
        let ready = objects.len() - pending.len();
        progress.show(
            format!("{what}: {ready} of {} objects ready", objects.len()),
            pending.is_empty(),
        );
        let failed = pending
            .iter()
            .find(|(_, reason)| is_final(reason))
            .map(|(i, _)| {
                if objects[*i].kind == "Pod" {
                    "pod"
                } else {
                    "Job"
                }
            });
        if pending.is_empty() {
            return Ok(());
        }
        if failed.is_some() || start.elapsed() >= timeout {
            progress.end();
            let mut problems = Vec::new();
            for (i, reason) in pending {
                let object = &objects[i];
                let events = events(cluster, object).await;
                let mut diagnostic =
                    Diagnostic::error(format!("{} is not ready: {reason}", object.id()));
                for event in events {
                    diagnostic = diagnostic.hint(format!("event: {event}"));
                }
                if is_final(&reason) {
                    for line in failed_log(cluster, object).await {
                        diagnostic = diagnostic.hint(format!("log: {line}"));
                    }
                }
                problems.push(diagnostic);
            }
            let why = match failed {
                Some(kind) => format!("a {kind} failed"),
                None => format!("not ready within {} s", timeout.as_secs()),
            };
            let hint = match failed {
                Some(kind) => format!("fix what the {kind}'s conditions and events above show; waiting longer does not help"),
                None => "raise --timeout, or fix what the events above show".to_string(),
            };
            problems.push(Diagnostic::error(format!("{what}: {why}")).hint(hint));
            return Err(Diagnostics(problems));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Progress on stderr: one line rewritten in place on a terminal, else a
/// line each time it changes.
#[derive(Default)]
struct Progress {
    last: String,
    open: bool,
}

impl Progress {
    fn show(&mut self, line: String, done: bool) {
        if std::io::stderr().is_terminal() {
            eprint!("\r\x1b[2K{line}");
            self.open = !done;
            if done {
                eprintln!();
            }
        } else if line != self.last {
            eprintln!("{line}");
        }
        let _ = std::io::stderr().flush();
        self.last = line;
    }

    /// Ends a line left open on a terminal.
    fn end(&mut self) {
        if std::mem::take(&mut self.open) {
            eprintln!();
        }
    }
}

/// Waits until every deleted object of `deleted` is gone (no object of its
/// name with its uid), or `timeout` passes: finalizers run first. On
/// timeout, the error names each object still there and its finalizers.
pub async fn gone(
    cluster: &Cluster,
    what: &str,
    deleted: &[(&Resource, Item)],
    timeout: Duration,
) -> Result<(), Diagnostics> {
    let start = Instant::now();
    let mut progress = Progress::default();
    loop {
        let checks: Vec<Option<(usize, Vec<String>)>> = stream::iter(deleted.iter().enumerate())
            .map(|(i, (resource, item))| async move {
                let api = cluster.api(resource, item.namespace.as_deref());
                match retry(|| api.get_opt(&item.name)).await {
                    Ok(Some(live)) if live.metadata.uid == item.uid => {
                        Some((i, live.metadata.finalizers.unwrap_or_default()))
                    }
                    // Gone, or another object of that name: nothing to wait for.
                    Ok(_) => None,
                    // Unreadable now: counted as there, and read again.
                    Err(_) => Some((i, Vec::new())),
                }
            })
            .buffer_unordered(16)
            .collect()
            .await;
        let mut remaining: Vec<(usize, Vec<String>)> = checks.into_iter().flatten().collect();
        remaining.sort();
        progress.show(
            format!(
                "{what}: {} of {} objects gone",
                deleted.len() - remaining.len(),
                deleted.len()
            ),
            remaining.is_empty(),
        );
        if remaining.is_empty() {
            return Ok(());
        }
        if start.elapsed() >= timeout {
            progress.end();
            let mut problems: Vec<Diagnostic> = remaining
                .into_iter()
                .map(|(i, finalizers)| {
                    let held = if finalizers.is_empty() {
                        String::new()
                    } else {
                        format!(", held by the finalizers {}", finalizers.join(", "))
                    };
                    Diagnostic::error(format!(
                        "{} was deleted but is still there after {} s{held}",
                        deleted[i].1.id(),
                        timeout.as_secs()
                    ))
                })
                .collect();
            problems.push(
                Diagnostic::error(format!(
                    "{what}: objects not gone within {} s",
                    timeout.as_secs()
                ))
                .hint(
                    "a finalizer waits for its controller: check that it runs, or raise --timeout",
                ),
            );
            return Err(Diagnostics(problems));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Lines of a failed Job's or pod's log shown.
const LOG_LINES: i64 = 10;

/// The last lines of the log of a failed pod, or of the newest pod of a
/// failed Job, headed by the pod's name; nothing when there is no pod or
/// the log cannot be read.
async fn failed_log(cluster: &Cluster, object: &Planned) -> Vec<String> {
    use k8s_openapi::api::core::v1::Pod;
    let Some(namespace) = object.namespace.as_deref() else {
        return Vec::new();
    };
    let pods: kube::Api<Pod> = kube::Api::namespaced(cluster.client.clone(), namespace);
    let newest = match object.kind.as_str() {
        "Pod" => object.name.clone(),
        "Job" => {
            let params = ListParams::default().labels(&format!("job-name={}", object.name));
            let Ok(list) = retry(|| pods.list(&params)).await else {
                return Vec::new();
            };
            let Some(newest) = list
                .items
                .iter()
                .max_by_key(|p| p.metadata.creation_timestamp.clone())
                .and_then(|p| p.metadata.name.clone())
            else {
                return Vec::new();
            };
            newest
        }
        _ => return Vec::new(),
    };
    let params = kube::api::LogParams {
        tail_lines: Some(LOG_LINES),
        ..Default::default()
    };
    match pods.logs(&newest, &params).await {
        Ok(log) => std::iter::once(format!("pod {newest}, last {LOG_LINES} lines:"))
            .chain(log.lines().map(str::to_string))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The last three events the API server has about `object`.
async fn events(cluster: &Cluster, object: &Planned) -> Vec<String> {
    let Ok(Some(resource)) = cluster.resource("v1", "Event").await else {
        return Vec::new();
    };
    let api = cluster.api(&resource, object.namespace.as_deref());
    let selector = format!(
        "involvedObject.name={},involvedObject.kind={}",
        object.name, object.kind
    );
    let params = ListParams::default().fields(&selector);
    let Ok(list) = retry(|| api.list(&params)).await else {
        return Vec::new();
    };
    let mut events: Vec<(String, String)> = list
        .items
        .iter()
        .map(|e| {
            let time = e.data["lastTimestamp"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let text = format!(
                "{} {}: {}",
                e.data["type"].as_str().unwrap_or_default(),
                e.data["reason"].as_str().unwrap_or_default(),
                e.data["message"].as_str().unwrap_or_default()
            );
            (time, text)
        })
        .collect();
    events.sort();
    events
        .into_iter()
        .rev()
        .take(3)
        .map(|(_, text)| text)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployments_are_ready_when_every_replica_is_updated_and_available() {
        let mut deployment = serde_json::json!({
            "metadata": {"generation": 2}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 1, "updatedReplicas": 2, "availableReplicas": 2}
        });
        assert_eq!(
            readiness("Deployment", &deployment).unwrap_err(),
            "the controller has not seen generation 2 yet (observed 1)"
        );
        deployment["status"]["observedGeneration"] = 2.into();
        deployment["status"]["availableReplicas"] = 1.into();
        assert_eq!(
            readiness("Deployment", &deployment).unwrap_err(),
            "2 of 2 replicas updated, 1 available"
        );
        deployment["status"]["availableReplicas"] = 2.into();
        assert!(readiness("Deployment", &deployment).is_ok());
        assert!(readiness("ConfigMap", &serde_json::json!({})).is_ok());
        let job = serde_json::json!({"status": {"conditions": [{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]}});
        assert_eq!(
            readiness("Job", &job).unwrap_err(),
            "failed: BackoffLimitExceeded"
        );
    }
}
