//! What every stage uses and no stage owns: diagnostics (errors with file,
//! line and hints), YAML parsing with positions and a YAML-1.1-safe emitter,
//! digests and canonical JSON, bounded reads and atomic writes of files, work
//! spread over the cores, a watch on the memory a stage takes, and values
//! checked against OpenAPI v3 structural schemas.
//!
//! Invariant: nothing here knows packages, releases or clusters exist; it
//! imports nothing from the rest of cleat.

pub mod diagnostics;
pub mod digest;
pub mod files;
pub mod glob;
pub mod memory;
pub mod openapi;
pub mod parallel;
pub mod yaml;
