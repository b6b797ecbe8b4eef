//! The built-in checks by name: what each one is (id, group, default
//! severity, why, fix). Knows nothing of objects, so that a manifest or
//! release file can name checks; the checks themselves run in
//! [`super::checks`], and what a policy sets is [`super::settings`].

use serde::{Deserialize, Serialize};

use crate::shared::diagnostics::did_you_mean;

/// How much a check's findings matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Not checked.
    Off,
    /// Reported by `cleat lint` for information; never counted as a warning.
    Info,
    /// Reported; nothing is refused.
    Warning,
    /// Reported; `cleat lint` exits 1.
    Error,
}

impl Severity {
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "off" => Some(Severity::Off),
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }

    /// What a wrong severity is told, after its subject: `must be ...,
    /// found FOUND`.
    pub fn expected(found: &str) -> String {
        format!("must be `error`, `warning`, `info` or `off`, found {found}")
    }

    pub fn name(self) -> &'static str {
        match self {
            Severity::Off => "off",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One built-in check: what it is, not how it runs (see [`super::checks`]).
pub struct Check {
    /// `image-tag`: what settings and exemptions name it by.
    pub id: &'static str,
    /// `validate`, `pin`, `limit`, `harden` or `availability`.
    pub group: &'static str,
    pub severity: Severity,
    /// Why it matters, in one line.
    pub why: &'static str,
    /// How to fix a finding.
    pub fix: &'static str,
}

/// The check named `id`, or an error with the closest name.
pub fn check(id: &str) -> Result<&'static Check, String> {
    ALL.iter().find(|c| c.id == id).ok_or_else(|| {
        let hint =
            did_you_mean(id, ALL.iter().map(|c| c.id)).map_or(String::new(), |m| format!(" ({m})"));
        format!("there is no check `{id}`{hint}")
    })
}

pub const SCHEMA: Check = Check {
    id: "schema",
    group: "validate",
    severity: Severity::Error,
    why: "A field the kind does not have, of the wrong type, or missing is refused by the API server, or silently dropped, only when the release is applied.",
    fix: "Write the field as the Kubernetes schema of the kind at the release's version has it (`kubectl explain KIND.FIELD`).",
};

pub const UNKNOWN_KIND: Check = Check {
    id: "unknown-kind",
    group: "validate",
    severity: Severity::Warning,
    why: "A kind that neither Kubernetes nor a CRD of the release defines is not validated, and fails at apply if the cluster does not serve it.",
    fix: "Check the `apiVersion` and `kind`, or ship the CRD in the package's `crds/`; against a cluster, its CRDs are known.",
};

pub const IMAGE_TAG: Check = Check {
    id: "image-tag",
    group: "pin",
    severity: Severity::Warning,
    why: "A missing or floating tag (`latest`) deploys whatever the registry holds at the next pull, so two pods of one release may run different code.",
    fix: "Pin a version tag (`nginx:1.27.3`) or a digest (`nginx@sha256:...`).",
};

pub const IMAGE_DIGEST: Check = Check {
    id: "image-digest",
    group: "pin",
    severity: Severity::Off,
    why: "A tag can be pushed again; only a digest names one image for good.",
    fix: "Name the image by digest (`nginx:1.27.3@sha256:...`).",
};

pub const PULL_POLICY_ALWAYS: Check = Check {
    id: "pull-policy-always",
    group: "pin",
    severity: Severity::Warning,
    why: "With `imagePullPolicy: Always` an outage of the registry stops every pod that restarts.",
    fix: "Pin the image and use `IfNotPresent` (the default for a pinned tag).",
};

pub const CPU_REQUESTS: Check = Check {
    id: "cpu-requests",
    group: "limit",
    severity: Severity::Warning,
    why: "Without a CPU request the scheduler places the pod as if it needed nothing, and it is the first to starve.",
    fix: "Set `resources.requests.cpu` on every container, init containers too.",
};

pub const MEMORY_REQUESTS: Check = Check {
    id: "memory-requests",
    group: "limit",
    severity: Severity::Warning,
    why: "Without a memory request the scheduler overcommits the node, and the kernel kills at random under pressure.",
    fix: "Set `resources.requests.memory` on every container, init containers too.",
};

pub const MEMORY_LIMITS: Check = Check {
    id: "memory-limits",
    group: "limit",
    severity: Severity::Warning,
    why: "Without a memory limit one leaking container can take a node's memory from every other pod on it.",
    fix: "Set `resources.limits.memory` on every container, init containers too.",
};

pub const CRONJOB_CONCURRENCY: Check = Check {
    id: "cronjob-concurrency",
    group: "limit",
    severity: Severity::Warning,
    why: "A CronJob allows runs to overlap by default: a slow run piles up behind the next.",
    fix: "Set `spec.concurrencyPolicy: Forbid` (or `Replace`).",
};

pub const CRONJOB_HISTORY: Check = Check {
    id: "cronjob-history",
    group: "limit",
    severity: Severity::Warning,
    why: "Finished Jobs and their pods pile up unless the CronJob says how many to keep.",
    fix: "Set `spec.successfulJobsHistoryLimit` and `spec.failedJobsHistoryLimit`.",
};

pub const JOB_PLACEMENT: Check = Check {
    id: "job-placement",
    group: "limit",
    severity: Severity::Warning,
    why: "A batch job scheduled anywhere can take the memory of the nodes that run production services.",
    fix: "Give the Job's pod a `nodeSelector`, `affinity` or `tolerations` that keep it on nodes meant for batch work.",
};

pub const NAMESPACE_QUOTA: Check = Check {
    id: "namespace-quota",
    group: "limit",
    severity: Severity::Warning,
    why: "A namespace without a ResourceQuota and a LimitRange lets its pods use the cluster without bound.",
    fix: "Render a ResourceQuota and a LimitRange in each namespace the release creates.",
};

pub const RUN_AS_NON_ROOT: Check = Check {
    id: "run-as-non-root",
    group: "harden",
    severity: Severity::Warning,
    why: "A container running as root turns an escape from the process into root on the node.",
    fix: "Set `securityContext.runAsNonRoot: true` (and a non-zero `runAsUser`) on the pod or the container.",
};

pub const PRIVILEGED: Check = Check {
    id: "privileged",
    group: "harden",
    severity: Severity::Error,
    why: "A privileged container has every device and capability of the node: it is the node.",
    fix: "Remove `securityContext.privileged`, adding only the capabilities it needs.",
};

pub const PRIVILEGE_ESCALATION: Check = Check {
    id: "privilege-escalation",
    group: "harden",
    severity: Severity::Warning,
    why: "Unless forbidden, a process can gain more privileges than its parent (setuid binaries).",
    fix: "Set `securityContext.allowPrivilegeEscalation: false`.",
};

pub const CAPABILITIES_ADDED: Check = Check {
    id: "capabilities-added",
    group: "harden",
    severity: Severity::Warning,
    why:
        "Each added Linux capability is a power over the node the container does not usually need.",
    fix: "Drop `securityContext.capabilities.add`, or exempt the object and say why it needs them.",
};

pub const CAPABILITIES_DROPPED: Check = Check {
    id: "capabilities-dropped",
    group: "harden",
    severity: Severity::Warning,
    why: "A container keeps the runtime's default capabilities (NET_RAW among them, which lets it forge packets on the pod network) unless it drops them.",
    fix: "Set `securityContext.capabilities.drop: [ALL]` (or at least `NET_RAW`), adding back only what it needs.",
};

pub const ENV_SECRET: Check = Check {
    id: "env-secret",
    group: "harden",
    severity: Severity::Warning,
    why: "A secret written as an environment variable's value is in the object, the lockfile's history and anyone's `kubectl get -o yaml`.",
    fix: "Keep it in a Secret and read it with `valueFrom.secretKeyRef`.",
};

pub const HOST_NAMESPACES: Check = Check {
    id: "host-namespaces",
    group: "harden",
    severity: Severity::Error,
    why: "`hostNetwork`, `hostPID` and `hostIPC` let a pod see and reach what other pods and the node do.",
    fix: "Remove them; expose the pod through a Service instead of the host's network.",
};

pub const HOST_PATH: Check = Check {
    id: "host-path",
    group: "harden",
    severity: Severity::Warning,
    why: "A `hostPath` volume opens the node's file system to the pod.",
    fix: "Use a PersistentVolumeClaim, a ConfigMap or an `emptyDir`.",
};

pub const READ_ONLY_ROOT_FILESYSTEM: Check = Check {
    id: "read-only-root-filesystem",
    group: "harden",
    severity: Severity::Warning,
    why: "A writable root file system lets an intruder change the container's binaries.",
    fix: "Set `securityContext.readOnlyRootFilesystem: true`, with an `emptyDir` where it must write.",
};

pub const SERVICE_ACCOUNT_TOKEN: Check = Check {
    id: "service-account-token",
    group: "harden",
    severity: Severity::Warning,
    why: "A pod of the default service account that mounts its token hands an API credential to anything that breaks in.",
    fix: "Set `automountServiceAccountToken: false`, or give the pod a service account of its own.",
};

pub const LIVENESS_PROBE: Check = Check {
    id: "liveness-probe",
    group: "availability",
    severity: Severity::Warning,
    why: "Without a liveness probe a hung container is never restarted.",
    fix: "Add a `livenessProbe` to each container of long-running workloads.",
};

pub const READINESS_PROBE: Check = Check {
    id: "readiness-probe",
    group: "availability",
    severity: Severity::Warning,
    why: "Without a readiness probe traffic reaches a container before it can serve, and during its shutdown.",
    fix: "Add a `readinessProbe` to each container of long-running workloads.",
};

pub const REPLICAS: Check = Check {
    id: "replicas",
    group: "availability",
    severity: Severity::Warning,
    why: "One replica goes down with its node, and on every rollout.",
    fix: "Set `spec.replicas: 2` or more, or scale it with a HorizontalPodAutoscaler.",
};

pub const DISRUPTION_BUDGET: Check = Check {
    id: "disruption-budget",
    group: "availability",
    severity: Severity::Warning,
    why: "Without a PodDisruptionBudget a node drain may evict every replica at once.",
    fix: "Render a PodDisruptionBudget whose selector matches the pods.",
};

pub const SELECTOR_MATCHES: Check = Check {
    id: "selector-matches",
    group: "availability",
    severity: Severity::Error,
    why: "A workload whose selector does not match its pod template's labels is refused by the API server, or never owns its pods.",
    fix: "Make `spec.selector.matchLabels` a subset of `spec.template.metadata.labels`.",
};

pub const SERVICE_SELECTOR: Check = Check {
    id: "service-selector",
    group: "availability",
    severity: Severity::Warning,
    why: "A Service whose selector matches no pod of the release sends its traffic nowhere.",
    fix: "Make the Service's `spec.selector` match the labels of a pod template of the release.",
};

/// Every built-in check, in the order reports list them.
pub const NDOTS: Check = Check {
    id: "ndots",
    group: "availability",
    severity: Severity::Info,
    why: "With Kubernetes' default `ndots: 5`, a name with fewer than five dots is first tried in each of the pod's search domains: an external name costs up to four failed lookups before the real one.",
    fix: "Set `dnsConfig.options: [{name: ndots, value: \"2\"}]` on the pod, or write the name fully qualified, with a trailing dot (`api.example.com.`).",
};

pub const ALL: &[Check] = &[
    SCHEMA,
    UNKNOWN_KIND,
    IMAGE_TAG,
    IMAGE_DIGEST,
    PULL_POLICY_ALWAYS,
    CPU_REQUESTS,
    MEMORY_REQUESTS,
    MEMORY_LIMITS,
    CRONJOB_CONCURRENCY,
    CRONJOB_HISTORY,
    JOB_PLACEMENT,
    NAMESPACE_QUOTA,
    RUN_AS_NON_ROOT,
    PRIVILEGED,
    PRIVILEGE_ESCALATION,
    CAPABILITIES_ADDED,
    CAPABILITIES_DROPPED,
    ENV_SECRET,
    HOST_NAMESPACES,
    HOST_PATH,
    READ_ONLY_ROOT_FILESYSTEM,
    SERVICE_ACCOUNT_TOKEN,
    LIVENESS_PROBE,
    READINESS_PROBE,
    REPLICAS,
    DISRUPTION_BUDGET,
    SELECTOR_MATCHES,
    SERVICE_SELECTOR,
    NDOTS,
];
