//! The order in which a release's objects are applied: steps, then stages.
//!
//! Steps come from the objects' lifecycle: phases in order (lower first),
//! and inside a phase, an object that depends on others comes a step after
//! them. Each step is ready before the next starts. Inside a step, objects
//! go in stages by kind, so that what others need exists first (namespaces
//! and CRDs, then cluster-scoped objects, config, storage, workloads,
//! services, ingress); deletion goes in reverse.

use std::collections::BTreeMap;

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

/// An object's place in the order: its phase and its step inside it.
pub type Step = (i64, usize);

/// Groups objects, given as their phase and the indices of the objects they
/// depend on, into steps in order, each the indices of its objects. A
/// dependency in an earlier phase is met by the phase order; one in the
/// same phase puts the object a step after it. Cycles (refused when
/// rendering) cannot hang it: depth is bounded by the number of objects.
pub fn steps(objects: &[(i64, &[usize])]) -> Vec<(Step, Vec<usize>)> {
    let mut depth = vec![0usize; objects.len()];
    // Relax until stable: at most one round per object on a chain.
    for _ in 0..objects.len() {
        let mut changed = false;
        for (index, (phase, dependencies)) in objects.iter().enumerate() {
            let wanted = dependencies
                .iter()
                .filter(|&&d| d < objects.len() && objects[d].0 == *phase)
                .map(|&d| depth[d] + 1)
                .max()
                .unwrap_or(0)
                .min(objects.len());
            if wanted > depth[index] {
                depth[index] = wanted;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut steps: BTreeMap<Step, Vec<usize>> = BTreeMap::new();
    for (index, (phase, _)) in objects.iter().enumerate() {
        steps.entry((*phase, depth[index])).or_default().push(index);
    }
    steps.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_go_in_order_and_dependencies_a_step_later() {
        // 1 in phase -1; 2 needs 3; 4 needs 1 (an earlier phase) and 2.
        let objects: [(i64, &[usize]); 5] =
            [(0, &[]), (-1, &[]), (0, &[3]), (0, &[]), (0, &[1, 2])];
        assert_eq!(
            steps(&objects),
            [
                ((-1, 0), vec![1]),
                ((0, 0), vec![0, 3]),
                ((0, 1), vec![2]),
                ((0, 2), vec![4]),
            ]
        );
        let cycle: [(i64, &[usize]); 2] = [(0, &[1]), (0, &[0])];
        let steps = steps(&cycle);
        assert_eq!(steps.iter().map(|(_, o)| o.len()).sum::<usize>(), 2);
    }
}
