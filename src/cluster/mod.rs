//! The cluster: everything that talks to the API server.
//!
//! [`client`] connects (kubeconfig and contexts as kubectl reads them),
//! discovers resources and retries transient failures; [`plan`] compares a
//! release's objects with the live ones through a server-side dry run, each
//! a [`planned`] object;
//! [`apply`] applies a plan step by step and stage by stage ([`order`]),
//! [`replace`] deleting what cannot be patched first; [`prune`] decides what may be
//! deleted and deletes it; [`wait`] waits for readiness and for deletions; [`record`] keeps
//! release records; [`lease`] holds one lease per release; [`lookup`] answers a
//! chart's lookups; [`ownership`] is
//! how cleat marks what it applies and reads who owns what exists.
//!
//! Invariant: nothing here renders or reads a release file; objects arrive
//! rendered, and each module does one step, which [`crate::deploy`] puts in
//! order.

pub mod apply;
pub mod client;
pub mod definitions;
pub mod helm;
pub mod lease;
pub mod lookup;
pub mod order;
pub mod ownership;
pub mod plan;
pub mod planned;
pub mod prune;
pub mod record;
pub mod replace;
pub mod wait;
