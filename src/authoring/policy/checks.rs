//! The built-in checks, each a function of the release's objects.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::{Check, Found, Severity};
use crate::authoring::object::Object;

/// Every built-in check, in the order reports list them.
pub const ALL: &[Check] = &[
    Check {
        id: "image-tag",
        group: "pin",
        severity: Severity::Warning,
        why: "A missing or floating tag (`latest`) deploys whatever the registry holds at the next pull, so two pods of one release may run different code.",
        fix: "Pin a version tag (`nginx:1.27.3`) or a digest (`nginx@sha256:...`).",
        run: image_tag,
    },
    Check {
        id: "image-digest",
        group: "pin",
        severity: Severity::Off,
        why: "A tag can be pushed again; only a digest names one image for good.",
        fix: "Name the image by digest (`nginx:1.27.3@sha256:...`).",
        run: image_digest,
    },
    Check {
        id: "pull-policy-always",
        group: "pin",
        severity: Severity::Warning,
        why: "With `imagePullPolicy: Always` an outage of the registry stops every pod that restarts.",
        fix: "Pin the image and use `IfNotPresent` (the default for a pinned tag).",
        run: pull_policy_always,
    },
    Check {
        id: "cpu-requests",
        group: "limit",
        severity: Severity::Warning,
        why: "Without a CPU request the scheduler places the pod as if it needed nothing, and it is the first to starve.",
        fix: "Set `resources.requests.cpu` on every container, init containers too.",
        run: cpu_requests,
    },
    Check {
        id: "memory-requests",
        group: "limit",
        severity: Severity::Warning,
        why: "Without a memory request the scheduler overcommits the node, and the kernel kills at random under pressure.",
        fix: "Set `resources.requests.memory` on every container, init containers too.",
        run: memory_requests,
    },
    Check {
        id: "memory-limits",
        group: "limit",
        severity: Severity::Warning,
        why: "Without a memory limit one leaking container can take a node's memory from every other pod on it.",
        fix: "Set `resources.limits.memory` on every container, init containers too.",
        run: memory_limits,
    },
    Check {
        id: "cronjob-concurrency",
        group: "limit",
        severity: Severity::Warning,
        why: "A CronJob allows runs to overlap by default: a slow run piles up behind the next.",
        fix: "Set `spec.concurrencyPolicy: Forbid` (or `Replace`).",
        run: cronjob_concurrency,
    },
    Check {
        id: "cronjob-history",
        group: "limit",
        severity: Severity::Warning,
        why: "Finished Jobs and their pods pile up unless the CronJob says how many to keep.",
        fix: "Set `spec.successfulJobsHistoryLimit` and `spec.failedJobsHistoryLimit`.",
        run: cronjob_history,
    },
    Check {
        id: "job-placement",
        group: "limit",
        severity: Severity::Warning,
        why: "A batch job scheduled anywhere can take the memory of the nodes that run production services.",
        fix: "Give the Job's pod a `nodeSelector`, `affinity` or `tolerations` that keep it on nodes meant for batch work.",
        run: job_placement,
    },
    Check {
        id: "namespace-quota",
        group: "limit",
        severity: Severity::Warning,
        why: "A namespace without a ResourceQuota and a LimitRange lets its pods use the cluster without bound.",
        fix: "Render a ResourceQuota and a LimitRange in each namespace the release creates.",
        run: namespace_quota,
    },
    Check {
        id: "run-as-non-root",
        group: "harden",
        severity: Severity::Warning,
        why: "A container running as root turns an escape from the process into root on the node.",
        fix: "Set `securityContext.runAsNonRoot: true` (and a non-zero `runAsUser`) on the pod or the container.",
        run: run_as_non_root,
    },
    Check {
        id: "privileged",
        group: "harden",
        severity: Severity::Error,
        why: "A privileged container has every device and capability of the node: it is the node.",
        fix: "Remove `securityContext.privileged`, adding only the capabilities it needs.",
        run: privileged,
    },
    Check {
        id: "privilege-escalation",
        group: "harden",
        severity: Severity::Warning,
        why: "Unless forbidden, a process can gain more privileges than its parent (setuid binaries).",
        fix: "Set `securityContext.allowPrivilegeEscalation: false`.",
        run: privilege_escalation,
    },
    Check {
        id: "capabilities-added",
        group: "harden",
        severity: Severity::Warning,
        why: "Each added Linux capability is a power over the node the container does not usually need.",
        fix: "Drop `securityContext.capabilities.add`, or exempt the object and say why it needs them.",
        run: capabilities_added,
    },
    Check {
        id: "host-namespaces",
        group: "harden",
        severity: Severity::Error,
        why: "`hostNetwork`, `hostPID` and `hostIPC` let a pod see and reach what other pods and the node do.",
        fix: "Remove them; expose the pod through a Service instead of the host's network.",
        run: host_namespaces,
    },
    Check {
        id: "host-path",
        group: "harden",
        severity: Severity::Warning,
        why: "A `hostPath` volume opens the node's file system to the pod.",
        fix: "Use a PersistentVolumeClaim, a ConfigMap or an `emptyDir`.",
        run: host_path,
    },
    Check {
        id: "read-only-root-filesystem",
        group: "harden",
        severity: Severity::Warning,
        why: "A writable root file system lets an intruder change the container's binaries.",
        fix: "Set `securityContext.readOnlyRootFilesystem: true`, with an `emptyDir` where it must write.",
        run: read_only_root_filesystem,
    },
    Check {
        id: "service-account-token",
        group: "harden",
        severity: Severity::Warning,
        why: "A pod of the default service account that mounts its token hands an API credential to anything that breaks in.",
        fix: "Set `automountServiceAccountToken: false`, or give the pod a service account of its own.",
        run: service_account_token,
    },
    Check {
        id: "liveness-probe",
        group: "availability",
        severity: Severity::Warning,
        why: "Without a liveness probe a hung container is never restarted.",
        fix: "Add a `livenessProbe` to each container of long-running workloads.",
        run: liveness_probe,
    },
    Check {
        id: "readiness-probe",
        group: "availability",
        severity: Severity::Warning,
        why: "Without a readiness probe traffic reaches a container before it can serve, and during its shutdown.",
        fix: "Add a `readinessProbe` to each container of long-running workloads.",
        run: readiness_probe,
    },
    Check {
        id: "replicas",
        group: "availability",
        severity: Severity::Warning,
        why: "One replica goes down with its node, and on every rollout.",
        fix: "Set `spec.replicas: 2` or more, or scale it with a HorizontalPodAutoscaler.",
        run: replicas,
    },
    Check {
        id: "disruption-budget",
        group: "availability",
        severity: Severity::Warning,
        why: "Without a PodDisruptionBudget a node drain may evict every replica at once.",
        fix: "Render a PodDisruptionBudget whose selector matches the pods.",
        run: disruption_budget,
    },
    Check {
        id: "selector-matches",
        group: "availability",
        severity: Severity::Error,
        why: "A workload whose selector does not match its pod template's labels is refused by the API server, or never owns its pods.",
        fix: "Make `spec.selector.matchLabels` a subset of `spec.template.metadata.labels`.",
        run: selector_matches,
    },
    Check {
        id: "service-selector",
        group: "availability",
        severity: Severity::Warning,
        why: "A Service whose selector matches no pod of the release sends its traffic nowhere.",
        fix: "Make the Service's `spec.selector` match the labels of a pod template of the release.",
        run: service_selector,
    },
];

/// Kinds whose pods run until stopped, for the probe and replica checks.
const LONG_RUNNING: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
];

/// A pod spec in an object: the object's index, the object, the pointer of
/// the spec, the spec.
struct Pod<'a> {
    index: usize,
    object: &'a Object,
    at: &'static str,
    spec: &'a Value,
}

impl Pod<'_> {
    fn long_running(&self) -> bool {
        LONG_RUNNING.contains(&self.object.kind.as_str())
    }

    fn batch(&self) -> bool {
        matches!(self.object.kind.as_str(), "Job" | "CronJob")
    }

    /// What a finding about container `c` (or the pod, when `None`) says
    /// first.
    fn subject(&self, c: Option<&Value>) -> String {
        match c.and_then(|c| c["name"].as_str()) {
            Some(name) => format!("container `{name}` of {}", self.object.id()),
            None => self.object.id(),
        }
    }

    fn found(&self, pointer: String, message: String) -> Found {
        Found {
            object: self.index,
            pointer,
            message,
        }
    }
}

/// The release's objects, and the pod specs of those that hold one,
/// found once for every check.
pub struct Objects<'a> {
    pub all: &'a [Object],
    pods: Vec<Pod<'a>>,
}

impl<'a> Objects<'a> {
    pub fn new(all: &'a [Object]) -> Objects<'a> {
        Objects {
            all,
            pods: pods(all),
        }
    }
}

/// The pod specs of the objects that hold one.
fn pods(objects: &[Object]) -> Vec<Pod<'_>> {
    objects
        .iter()
        .enumerate()
        .filter_map(|(index, object)| {
            let body = &object.body;
            let (at, spec) = match object.kind.as_str() {
                "Pod" => ("/spec", &body["spec"]),
                "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
                    ("/spec/template/spec", &body["spec"]["template"]["spec"])
                }
                "CronJob" => (
                    "/spec/jobTemplate/spec/template/spec",
                    &body["spec"]["jobTemplate"]["spec"]["template"]["spec"],
                ),
                _ => return None,
            };
            spec.is_object().then_some(Pod {
                index,
                object,
                at,
                spec,
            })
        })
        .collect()
}

/// A finding for each container (init containers too, with `init`) that
/// `wrong` gives a problem for: the field's pointer below the container and
/// the message after its subject.
fn each_container(
    objects: &Objects,
    init: bool,
    pick: fn(&Pod) -> bool,
    wrong: impl Fn(&Pod, &Value) -> Option<(&'static str, String)>,
) -> Vec<Found> {
    let mut found = Vec::new();
    for pod in objects.pods.iter().filter(|p| pick(p)) {
        for (list, is_init) in [("initContainers", true), ("containers", false)] {
            if is_init && !init {
                continue;
            }
            for (i, container) in pod.spec[list].as_array().into_iter().flatten().enumerate() {
                if let Some((field, message)) = wrong(pod, container) {
                    let at = format!("{}/{list}/{i}", pod.at);
                    let pointer = if field.is_empty() {
                        at
                    } else {
                        format!("{at}/{field}")
                    };
                    let message = format!("{} {message}", pod.subject(Some(container)));
                    found.push(pod.found(pointer, message));
                }
            }
        }
    }
    found
}

fn any(_: &Pod) -> bool {
    true
}

fn long_running(pod: &Pod) -> bool {
    pod.long_running()
}

/// The tag of `image` (`None` without one), and whether a digest pins it.
fn tag(image: &str) -> (Option<&str>, bool) {
    let (name, digest) = match image.split_once('@') {
        Some((name, _)) => (name, true),
        None => (image, false),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    (last.split_once(':').map(|(_, tag)| tag), digest)
}

const FLOATING: &[&str] = &["latest", "stable", "edge", "nightly", "main", "master"];

fn image_tag(objects: &Objects) -> Vec<Found> {
    each_container(objects, true, any, |_, c| {
        let image = c["image"].as_str()?;
        match tag(image) {
            (_, true) => None,
            (None, false) => Some(("image", format!("runs image `{image}`, which has no tag"))),
            (Some(t), false) if FLOATING.contains(&t) => Some((
                "image",
                format!("runs image `{image}`, whose tag `{t}` moves"),
            )),
            _ => None,
        }
    })
}

fn image_digest(objects: &Objects) -> Vec<Found> {
    each_container(objects, true, any, |_, c| {
        let image = c["image"].as_str()?;
        (!tag(image).1).then(|| ("image", format!("runs image `{image}` without a digest")))
    })
}

fn pull_policy_always(objects: &Objects) -> Vec<Found> {
    each_container(objects, true, any, |_, c| {
        (c["imagePullPolicy"] == "Always").then(|| {
            (
                "imagePullPolicy",
                "pulls its image on every start (`imagePullPolicy: Always`)".to_string(),
            )
        })
    })
}

/// A finding for each container without `resources.KIND.RESOURCE`.
fn resource(objects: &Objects, kind: &'static str, resource: &'static str) -> Vec<Found> {
    each_container(objects, true, any, move |_, c| {
        c["resources"][kind][resource].is_null().then(|| {
            let what = if kind == "limits" { "limit" } else { "request" };
            (
                "",
                format!("has no {resource} {what} (`resources.{kind}.{resource}`)"),
            )
        })
    })
}

fn cpu_requests(objects: &Objects) -> Vec<Found> {
    resource(objects, "requests", "cpu")
}

fn memory_requests(objects: &Objects) -> Vec<Found> {
    resource(objects, "requests", "memory")
}

fn memory_limits(objects: &Objects) -> Vec<Found> {
    resource(objects, "limits", "memory")
}

/// A finding for each object of `kind` that `wrong` gives a problem for.
fn each_of(
    objects: &Objects,
    kind: &str,
    wrong: impl Fn(&Object) -> Option<(&'static str, String)>,
) -> Vec<Found> {
    objects
        .all
        .iter()
        .enumerate()
        .filter(|(_, o)| o.kind == kind)
        .filter_map(|(index, object)| {
            let (pointer, message) = wrong(object)?;
            Some(Found {
                object: index,
                pointer: pointer.to_string(),
                message: format!("{} {message}", object.id()),
            })
        })
        .collect()
}

fn cronjob_concurrency(objects: &Objects) -> Vec<Found> {
    each_of(objects, "CronJob", |o| {
        match o.body["spec"]["concurrencyPolicy"].as_str() {
            Some("Forbid" | "Replace") => None,
            _ => Some((
                "/spec",
                "lets its runs overlap (`concurrencyPolicy` is `Allow`)".to_string(),
            )),
        }
    })
}

fn cronjob_history(objects: &Objects) -> Vec<Found> {
    each_of(objects, "CronJob", |o| {
        let spec = &o.body["spec"];
        let missing: Vec<&str> = ["successfulJobsHistoryLimit", "failedJobsHistoryLimit"]
            .into_iter()
            .filter(|f| spec[*f].is_null())
            .collect();
        (!missing.is_empty()).then(|| {
            (
                "/spec",
                format!(
                    "does not say how many finished Jobs to keep (`{}`)",
                    missing.join("`, `")
                ),
            )
        })
    })
}

fn job_placement(objects: &Objects) -> Vec<Found> {
    objects
        .pods
        .iter()
        .filter(|p| p.batch())
        .filter(|p| ["nodeSelector", "affinity", "tolerations"].iter().all(|f| p.spec[*f].is_null()))
        .map(|p| {
            p.found(
                p.at.to_string(),
                format!("{} may run on any node: its pod has no `nodeSelector`, `affinity` or `tolerations`", p.object.id()),
            )
        })
        .collect()
}

fn namespace_quota(objects: &Objects) -> Vec<Found> {
    let has = |kind: &str, namespace: &str| {
        objects
            .all
            .iter()
            .any(|o| o.kind == kind && o.namespace.as_deref() == Some(namespace))
    };
    each_of(objects, "Namespace", |o| {
        let missing: Vec<&str> = ["ResourceQuota", "LimitRange"]
            .into_iter()
            .filter(|kind| !has(kind, &o.name))
            .collect();
        (!missing.is_empty()).then(|| {
            (
                "/metadata/name",
                format!("has no {} of the release", missing.join(" or ")),
            )
        })
    })
}

/// The container's security context field, else the pod's.
fn security<'a>(pod: &'a Pod, container: &'a Value, field: &str) -> &'a Value {
    match &container["securityContext"][field] {
        Value::Null => &pod.spec["securityContext"][field],
        set => set,
    }
}

fn run_as_non_root(objects: &Objects) -> Vec<Found> {
    each_container(objects, true, any, |pod, c| {
        if security(pod, c, "runAsUser") == 0 {
            return Some(("", "runs as root (`runAsUser: 0`)".to_string()));
        }
        let non_root = security(pod, c, "runAsNonRoot") == true;
        let user = security(pod, c, "runAsUser")
            .as_i64()
            .is_some_and(|u| u > 0);
        (!non_root && !user).then(|| ("", "may run as root: neither it nor its pod sets `runAsNonRoot: true` or a non-zero `runAsUser`".to_string()))
    })
}

fn privileged(objects: &Objects) -> Vec<Found> {
    each_container(objects, true, any, |_, c| {
        (c["securityContext"]["privileged"] == true)
            .then(|| ("securityContext/privileged", "is privileged".to_string()))
    })
}

fn privilege_escalation(objects: &Objects) -> Vec<Found> {
    each_container(objects, true, any, |_, c| {
        (c["securityContext"]["allowPrivilegeEscalation"] != false).then(|| {
            (
                "",
                "may gain privileges (`allowPrivilegeEscalation` is not `false`)".to_string(),
            )
        })
    })
}

fn capabilities_added(objects: &Objects) -> Vec<Found> {
    each_container(objects, true, any, |_, c| {
        let added: Vec<&str> = c["securityContext"]["capabilities"]["add"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        (!added.is_empty()).then(|| {
            (
                "securityContext/capabilities/add",
                format!("adds the capabilities {}", added.join(", ")),
            )
        })
    })
}

fn host_namespaces(objects: &Objects) -> Vec<Found> {
    let mut found = Vec::new();
    for pod in &objects.pods {
        for field in ["hostNetwork", "hostPID", "hostIPC"] {
            if pod.spec[field] == true {
                found.push(pod.found(
                    format!("{}/{field}", pod.at),
                    format!(
                        "{} shares the node's {} (`{field}: true`)",
                        pod.object.id(),
                        match field {
                            "hostNetwork" => "network",
                            "hostPID" => "processes",
                            _ => "IPC",
                        }
                    ),
                ));
            }
        }
    }
    found
}

fn host_path(objects: &Objects) -> Vec<Found> {
    let mut found = Vec::new();
    for pod in &objects.pods {
        for (i, volume) in pod.spec["volumes"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(path) = volume["hostPath"]["path"].as_str() {
                found.push(pod.found(
                    format!("{}/volumes/{i}/hostPath", pod.at),
                    format!(
                        "{} mounts the node's `{path}` (volume `{}`)",
                        pod.object.id(),
                        volume["name"].as_str().unwrap_or("?")
                    ),
                ));
            }
        }
    }
    found
}

fn read_only_root_filesystem(objects: &Objects) -> Vec<Found> {
    each_container(objects, true, any, |_, c| {
        (c["securityContext"]["readOnlyRootFilesystem"] != true).then(|| {
            (
                "",
                "can write its root file system (`readOnlyRootFilesystem` is not `true`)"
                    .to_string(),
            )
        })
    })
}

fn service_account_token(objects: &Objects) -> Vec<Found> {
    objects
        .pods
        .iter()
        .filter(|p| {
            let account = p.spec["serviceAccountName"].as_str().unwrap_or("default");
            account == "default" && p.spec["automountServiceAccountToken"] != false
        })
        .map(|p| {
            p.found(
                p.at.to_string(),
                format!(
                    "{} mounts the token of the `default` service account",
                    p.object.id()
                ),
            )
        })
        .collect()
}

fn probe(objects: &Objects, field: &'static str) -> Vec<Found> {
    each_container(objects, false, long_running, move |_, c| {
        c[field]
            .is_null()
            .then(|| ("", format!("has no `{field}`")))
    })
}

fn liveness_probe(objects: &Objects) -> Vec<Found> {
    probe(objects, "livenessProbe")
}

fn readiness_probe(objects: &Objects) -> Vec<Found> {
    probe(objects, "readinessProbe")
}

/// What the release's HorizontalPodAutoscalers scale: namespace, kind and
/// name of each target.
fn autoscaled<'a>(objects: &Objects<'a>) -> HashSet<(Option<&'a str>, &'a str, &'a str)> {
    objects
        .all
        .iter()
        .filter(|o| o.kind == "HorizontalPodAutoscaler")
        .filter_map(|o| {
            let target = &o.body["spec"]["scaleTargetRef"];
            Some((
                o.namespace.as_deref(),
                target["kind"].as_str()?,
                target["name"].as_str()?,
            ))
        })
        .collect()
}

/// Whether `object` is among the `scaled` targets.
fn scaled(scaled: &HashSet<(Option<&str>, &str, &str)>, object: &Object) -> bool {
    scaled.contains(&(
        object.namespace.as_deref(),
        object.kind.as_str(),
        object.name.as_str(),
    ))
}

fn replicas(objects: &Objects) -> Vec<Found> {
    let targets = autoscaled(objects);
    let mut found = Vec::new();
    for kind in ["Deployment", "StatefulSet"] {
        found.extend(each_of(objects, kind, |o| {
            let count = o.body["spec"]["replicas"].as_i64().unwrap_or(1);
            (count < 2 && !scaled(&targets, o)).then(|| {
                let noun = if count == 1 { "replica" } else { "replicas" };
                (
                    "/spec",
                    format!("has {count} {noun} and no HorizontalPodAutoscaler"),
                )
            })
        }));
    }
    found
}

/// Whether every pair of `selector` is among `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    selector
        .as_object()
        .is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| labels[k] == *v))
}

fn disruption_budget(objects: &Objects) -> Vec<Found> {
    let targets = autoscaled(objects);
    let budgets: Vec<&Object> = objects
        .all
        .iter()
        .filter(|o| o.kind == "PodDisruptionBudget")
        .collect();
    let mut found = Vec::new();
    for kind in ["Deployment", "StatefulSet"] {
        found.extend(each_of(objects, kind, |o| {
            let count = o.body["spec"]["replicas"].as_i64().unwrap_or(1);
            if count < 2 && !scaled(&targets, o) {
                return None;
            }
            let labels = &o.body["spec"]["template"]["metadata"]["labels"];
            let covered = budgets.iter().any(|b| {
                b.namespace == o.namespace
                    && selects(&b.body["spec"]["selector"]["matchLabels"], labels)
            });
            (!covered).then(|| {
                (
                    "/spec",
                    "has no PodDisruptionBudget of the release".to_string(),
                )
            })
        }));
    }
    found
}

fn selector_matches(objects: &Objects) -> Vec<Found> {
    let mut found = Vec::new();
    for kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] {
        found.extend(each_of(objects, kind, |o| {
            let selector = &o.body["spec"]["selector"]["matchLabels"];
            let labels = &o.body["spec"]["template"]["metadata"]["labels"];
            let missing: Vec<String> = selector
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, v)| labels[k.as_str()] != **v)
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("?")))
                .collect();
            (!missing.is_empty()).then(|| {
                (
                    "/spec/selector/matchLabels",
                    format!(
                        "selects pods labelled {}, which its template does not label",
                        missing.join(", ")
                    ),
                )
            })
        }));
    }
    found
}

fn service_selector(objects: &Objects) -> Vec<Found> {
    // A pod's labels are beside its spec.
    let templates: Vec<(&Object, &Value)> = objects
        .pods
        .iter()
        .filter_map(|p| {
            let at = p.at.strip_suffix("/spec")?;
            Some((
                p.object,
                p.object.body.pointer(&format!("{at}/metadata/labels"))?,
            ))
        })
        .collect();
    if templates.is_empty() {
        return Vec::new();
    }
    // The pod templates by namespace and one of their labels, so that a
    // Service is compared only with those that carry its first pair.
    let mut by_label: HashMap<(Option<&str>, &str, &Value), Vec<&Value>> = HashMap::new();
    for (workload, labels) in &templates {
        for (key, value) in labels.as_object().into_iter().flatten() {
            by_label
                .entry((workload.namespace.as_deref(), key.as_str(), value))
                .or_default()
                .push(labels);
        }
    }
    each_of(objects, "Service", |o| {
        let selector = &o.body["spec"]["selector"];
        let (key, value) = selector.as_object()?.iter().next()?;
        let matched = by_label
            .get(&(o.namespace.as_deref(), key.as_str(), value))
            .is_some_and(|candidates| candidates.iter().any(|labels| selects(selector, labels)));
        (!matched).then(|| {
            (
                "/spec/selector",
                "selects no pod of the release".to_string(),
            )
        })
    })
}
