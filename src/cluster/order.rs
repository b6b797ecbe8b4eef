//! The order in which a release's objects are applied: stages by kind, so
//! that what others need exists first (namespaces and CRDs, then
//! cluster-scoped objects, config, storage, workloads, services, ingress);
//! deletion goes in reverse.

/// The stage an object of `kind` is applied in; lower stages go first.
pub fn stage(kind: &str, namespaced: bool) -> u8 {
    match kind {
        "Namespace" | "CustomResourceDefinition" => 0,
        _ if !namespaced => 1,
        "ConfigMap" | "Secret" | "ServiceAccount" | "Role" | "RoleBinding" | "ResourceQuota"
        | "LimitRange" | "NetworkPolicy" => 2,
        "PersistentVolumeClaim" => 3,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob" | "Pod" => {
            WORKLOADS
        }
        "Service" => 5,
        "Ingress" => 6,
        _ => 7,
    }
}

/// The stage of workloads, which are deleted with foreground propagation.
pub const WORKLOADS: u8 = 4;
