//! Command-line arguments turned into the library's inputs: where clusters
//! and releases are, and how to plan.

use crate::cli::{ClusterArgs, PlanArgs, SourceArgs};
use crate::cluster::client::Connection;
use crate::cluster::plan;
use crate::release::select::Source;

/// The clusters `--kubeconfig` and `--context` point at.
pub(super) fn connection(args: &ClusterArgs) -> Connection {
    Connection {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
    }
}

/// Where `--file`, `--env`, `--locked` and `--lockfile` say releases come from.
pub(super) fn source(args: &SourceArgs) -> Source {
    let env = args.release_file.env.clone();
    match &args.lockfile {
        Some(path) => Source::Lockfile {
            path: path.clone(),
            env,
        },
        None => Source::ReleaseFile {
            file: args.release_file.file.clone(),
            env,
            locked: args.locked,
        },
    }
}

/// How to plan, from `--adopt`, `--prune-crds`, `--replace`, `--concurrency` and `force`.
pub(super) fn plan_options(args: &PlanArgs, cluster: &ClusterArgs, force: bool) -> plan::Options {
    plan::Options {
        force,
        adopt: args.adopt,
        adopt_helm: None,
        prune_crds: args.prune_crds,
        concurrency: cluster.concurrency,
        replace: crate::cluster::replace::Allowed::from_args(&args.replace),
    }
}
