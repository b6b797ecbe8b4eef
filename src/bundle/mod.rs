//! Backup bundles: deployed state as one verifiable file, and back.
//!
//! [`format`](mod@format) writes and reads bundles and checks every digest; [`backup`]
//! gathers the records, package archives and objects of a cluster's
//! releases into one; [`restore`] deploys a bundle's releases again through
//! [`crate::deploy`], records and revisions included.
//!
//! Invariant: a bundle is checked whole before anything of it is used.

pub mod backup;
pub mod format;
pub mod restore;
