//! The built-in checks, each a function of the release's objects.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::catalog::{self, Check};
use super::kubernetes::{Custom, Kubernetes};
use super::Found;
use crate::authoring::object::Object;

/// Every built-in check with the function that runs it, in the order of
/// [`catalog::ALL`].
pub const ALL: &[(&Check, Run)] = &[
    (&catalog::SCHEMA, schema),
    (&catalog::UNKNOWN_KIND, unknown_kind),
    (&catalog::IMAGE_TAG, image_tag),
    (&catalog::IMAGE_DIGEST, image_digest),
    (&catalog::PULL_POLICY_ALWAYS, pull_policy_always),
    (&catalog::CPU_REQUESTS, cpu_requests),
    (&catalog::MEMORY_REQUESTS, memory_requests),
    (&catalog::MEMORY_LIMITS, memory_limits),
    (&catalog::CRONJOB_CONCURRENCY, cronjob_concurrency),
    (&catalog::CRONJOB_HISTORY, cronjob_history),
    (&catalog::JOB_PLACEMENT, job_placement),
    (&catalog::NAMESPACE_QUOTA, namespace_quota),
    (&catalog::RUN_AS_NON_ROOT, run_as_non_root),
    (&catalog::PRIVILEGED, privileged),
    (&catalog::PRIVILEGE_ESCALATION, privilege_escalation),
    (&catalog::CAPABILITIES_ADDED, capabilities_added),
    (&catalog::CAPABILITIES_DROPPED, capabilities_dropped),
    (&catalog::ENV_SECRET, env_secret),
    (&catalog::HOST_NAMESPACES, host_namespaces),
    (&catalog::HOST_PATH, host_path),
    (
        &catalog::READ_ONLY_ROOT_FILESYSTEM,
        read_only_root_filesystem,
    ),
    (&catalog::SERVICE_ACCOUNT_TOKEN, service_account_token),
    (&catalog::LIVENESS_PROBE, liveness_probe),
    (&catalog::READINESS_PROBE, readiness_probe),
    (&catalog::REPLICAS, replicas),
    (&catalog::DISRUPTION_BUDGET, disruption_budget),
    (&catalog::SELECTOR_MATCHES, selector_matches),
    (&catalog::SERVICE_SELECTOR, service_selector),
    (&catalog::NDOTS, ndots),
];

/// A check's function: its findings among the release's objects.
pub type Run = fn(&Objects) -> Vec<Found>;

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

impl<'a> Pod<'a> {
    /// The pod's containers, its init containers first when `init`, each
    /// with its JSON pointer.
    fn containers(&self, init: bool) -> impl Iterator<Item = (String, &'a Value)> + '_ {
        let lists: &[&str] = if init {
            &["initContainers", "containers"]
        } else {
            &["containers"]
        };
        lists.iter().flat_map(move |list| {
            let containers = self.spec[*list].as_array().into_iter().flatten();
            containers
                .enumerate()
                .map(move |(i, c)| (format!("{}/{list}/{i}", self.at), c))
        })
    }

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
/// found once for every check; the schemas of the Kubernetes version they
/// are for, and of the kinds their CRDs define, compiled when first asked.
pub struct Objects<'a> {
    pub all: &'a [Object],
    pods: Vec<Pod<'a>>,
    kube_version: &'a semver::Version,
    custom: std::sync::OnceLock<Custom>,
}

impl<'a> Objects<'a> {
    pub fn new(all: &'a [Object], kube_version: &'a semver::Version) -> Objects<'a> {
        Objects {
            all,
            pods: pods(all),
            kube_version,
            custom: std::sync::OnceLock::new(),
        }
    }

    fn kubernetes(&self) -> &'static Kubernetes {
        Kubernetes::at(self.kube_version)
    }

    fn custom(&self) -> &Custom {
        self.custom.get_or_init(|| Custom::new(self.all))
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
        for (at, container) in pod.containers(init) {
            if let Some((field, message)) = wrong(pod, container) {
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

fn schema(objects: &Objects) -> Vec<Found> {
    let kubernetes = objects.kubernetes();
    let mut found = Vec::new();
    for (index, object) in objects.all.iter().enumerate() {
        let at = |pointer: String, message: String| Found {
            object: index,
            pointer,
            message,
        };
        let problems = objects
            .custom()
            .validate(object, kubernetes)
            .or_else(|| kubernetes.validate(object));
        match problems {
            Some(problems) => found.extend(problems.into_iter().map(|p| {
                let message = format!("{}: `{}` {}", object.id(), p.path, p.message);
                at(p.pointer, message)
            })),
            None => {
                // A kind Kubernetes has, at an apiVersion it does not serve.
                let served = kubernetes.api_versions(&object.kind);
                if !served.is_empty() {
                    found.push(at(
                        "/apiVersion".into(),
                        format!(
                            "{}: Kubernetes 1.{} has no `{}` in `{}`; it has {}",
                            object.id(),
                            kubernetes.minor,
                            object.kind,
                            object.api_version,
                            served
                                .iter()
                                .map(|v| format!("`{v}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
        }
    }
    found
}

fn unknown_kind(objects: &Objects) -> Vec<Found> {
    let kubernetes = objects.kubernetes();
    let mut found = Vec::new();
    for (index, object) in objects.all.iter().enumerate() {
        let known = kubernetes.knows(&object.api_version, &object.kind)
            || !kubernetes.api_versions(&object.kind).is_empty()
            || objects.custom().defines(object);
        if !known {
            found.push(Found {
                object: index,
                pointer: "/kind".into(),
                message: format!(
                    "{}: no schema for `{}` `{}`: neither Kubernetes 1.{} nor a CRD of the release defines it, so it is not validated",
                    object.id(),
                    object.api_version,
                    object.kind,
                    kubernetes.minor
                ),
            });
        }
    }
    found
}

/// Containers' environment values, arguments and commands naming an
/// external host (a URL's, or `host:port`), in pods whose DNS keeps the
/// default `ndots: 5`: the first such name of each pod.
fn ndots(objects: &Objects) -> Vec<Found> {
    let mut found = Vec::new();
    for pod in &objects.pods {
        let spec = pod.spec;
        let options = spec["dnsConfig"]["options"].as_array();
        let set = options.into_iter().flatten().any(|o| o["name"] == "ndots");
        let own_dns = matches!(spec["dnsPolicy"].as_str(), Some("Default" | "None"));
        if set || own_dns {
            continue;
        }
        let external = pod.containers(true).find_map(|(container_at, c)| {
            let env = c["env"].as_array().into_iter().flatten().enumerate();
            let env = env.map(|(j, e)| (format!("env/{j}/value"), &e["value"]));
            let args = ["args", "command"].into_iter().flat_map(|field| {
                let items = c[field].as_array().into_iter().flatten().enumerate();
                items.map(move |(j, a)| (format!("{field}/{j}"), a))
            });
            env.chain(args).find_map(|(at, value)| {
                let host = external_host(value.as_str()?)?;
                Some((format!("{container_at}/{at}"), host.to_string(), c))
            })
        });
        if let Some((pointer, host, container)) = external {
            let message = format!(
                "{} resolves `{host}` with the default `ndots: 5`",
                pod.subject(Some(container))
            );
            found.push(pod.found(pointer, message));
        }
    }
    found
}

/// The host `text` names outside the cluster, if it is a URL or
/// `host:port` whose host has a dot, fewer than five, no trailing dot, and
/// is not an IP address or a cluster name (`.svc`, `.local`).
fn external_host(text: &str) -> Option<&str> {
    let text = text.trim();
    let rest = match text.split_once("://") {
        Some((scheme, rest))
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)) =>
        {
            rest
        }
        Some(_) => return None,
        None if text.contains(':') && !text.contains(char::is_whitespace) => text,
        None => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = authority.split(':').next()?;
    let labels: Vec<&str> = host.split('.').collect();
    let valid = labels.len() >= 2
        && labels.len() <= 5
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_alphabetic()));
    let internal = host.ends_with(".svc")
        || host.contains(".svc.")
        || host.ends_with(".local")
        || host.ends_with(".internal");
    (valid && !internal).then_some(host)
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

fn capabilities_dropped(objects: &Objects) -> Vec<Found> {
    each_container(objects, true, any, |_, c| {
        let dropped = c["securityContext"]["capabilities"]["drop"].as_array();
        let drops = |name: &str| {
            dropped
                .into_iter()
                .flatten()
                .any(|d| d.as_str().is_some_and(|d| d.eq_ignore_ascii_case(name)))
        };
        (!drops("ALL") && !drops("NET_RAW")).then(|| {
            (
                "securityContext",
                "keeps the default capabilities (it drops neither `ALL` nor `NET_RAW`)".to_string(),
            )
        })
    })
}

/// Parts of an environment variable's name that say it holds a secret.
const SECRET_NAMES: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
];

fn env_secret(objects: &Objects) -> Vec<Found> {
    let mut found = Vec::new();
    for pod in &objects.pods {
        for (at, c) in pod.containers(true) {
            for (j, env) in c["env"].as_array().into_iter().flatten().enumerate() {
                let (Some(name), Some(value)) = (env["name"].as_str(), env["value"].as_str())
                else {
                    continue;
                };
                let upper = name.to_ascii_uppercase();
                if value.is_empty() || !SECRET_NAMES.iter().any(|s| upper.contains(s)) {
                    continue;
                }
                found.push(pod.found(
                    format!("{at}/env/{j}/value"),
                    format!(
                        "{} writes the secret `{name}` as a value",
                        pod.subject(Some(c))
                    ),
                ));
            }
        }
    }
    found
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

#[cfg(test)]
mod tests {
    use super::external_host;

    #[test]
    fn external_hosts_are_urls_and_host_ports_outside_the_cluster() {
        let cases = [
            ("https://api.stripe.com/v1", Some("api.stripe.com")),
            (
                "postgres://app:secret@db.example.com:5432/app",
                Some("db.example.com"),
            ),
            ("db.example.com:5432", Some("db.example.com")),
            ("http://redis.cache.svc.cluster.local:6379", None),
            ("http://api.shop.svc:80", None),
            ("http://localhost:8080", None),
            ("http://10.0.0.1:8080", None),
            ("https://api.example.com./x", None),
            ("redis:6379", None),
            ("--config=/etc/app/config.yaml", None),
            ("a.b.c.d.e.example.com:443", None),
        ];
        for (text, host) in cases {
            assert_eq!(external_host(text), host, "{text}");
        }
    }
}
