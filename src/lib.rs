//! cleat: a declarative package manager for Kubernetes.
//!
//! The modules follow the data flow, each stage one folder, imports pointing
//! one way (down this list):
//!
//! - [`commands`] (with [`cli`], the argument definitions): one file per
//!   command, which parses its arguments, calls the library and prints.
//! - [`bundle`]: backup bundles written from the cluster's records, verified,
//!   and restored through [`deploy`].
//! - [`deploy`]: a planned release deployed: under its lease, applied stage by
//!   stage, waited for, pruned and recorded, rolled back on failure.
//! - [`cluster`]: the API server: client and discovery, plan (dry-run diff),
//!   apply and prune, readiness, records, leases.
//! - [`release`]: the release file and the lockfile, and each release
//!   rendered into its lock entry.
//! - [`authoring`]: packages, their dependencies and repositories, values and
//!   schemas, templates rendered into checked Kubernetes objects.
//! - [`shared`]: diagnostics, YAML, digests, files, parallel work.
//!
//! `docs/architecture.md` says what each stage owns and must not know.

pub mod authoring;
pub mod bundle;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod deploy;
pub mod release;
pub mod shared;
