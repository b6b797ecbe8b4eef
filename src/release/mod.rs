//! Releases: the release file, the lockfile, and each release rendered into
//! its lock entry.
//!
//! [`file`](mod@file) reads `cleat.yaml` (releases, environments, secret references);
//! [`lock`] owns the `cleat.lock` format; [`prepare`] resolves and renders a
//! release file entry into its lock entry, or renders a lock entry again to
//! exactly the objects it records; [`select`] picks the releases a command
//! acts on, from the release file (held to its lockfile with `--locked`) or
//! from a lockfile alone; [`locking`] locks every release anew and compares
//! the result with the lockfile on disk; [`secret`] makes and checks the
//! markers that stand for secrets.
//!
//! Invariant: nothing here knows a cluster exists.

pub mod file;
pub mod import;
pub mod lock;
pub mod locking;
pub mod prepare;
pub mod secret;
pub mod select;
