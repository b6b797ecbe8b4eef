//! Deploying: releases planned against their clusters and deployed, one
//! ordered sequence of the cluster's steps per release.
//!
//! [`planned`] plans releases side by side, each under its lease when it is
//! to be applied; [`apply`] deploys a planned release (namespace and lease
//! first if need be, staged apply, wait, prune, record, `--atomic`
//! rollback); [`rollback`] deploys a recorded revision again; [`delete`]
//! removes a release; [`lookups`] renders a chart release again with its
//! cluster's answers to its lookups; [`status`] compares each release's record with the
//! cluster. `cleat apply`, `rollback`, `restore` and the commands to come all
//! deploy through [`apply::deploy`].
//!
//! Invariant: nothing here prints or renders templates itself; releases
//! arrive prepared (see [`crate::release`]), a recorded revision is rendered
//! again through [`crate::release::prepare::from_lock`], and results leave as
//! values.

pub mod apply;
pub mod delete;
pub mod hooks;
pub mod lookups;
pub mod planned;
pub mod rollback;
pub mod status;
pub mod test;
