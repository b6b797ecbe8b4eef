//! How cleat marks what it applies as its own: the field manager it applies
//! as, and the labels and annotations that tie an object, a record or a
//! lease to its release.

/// The field manager cleat applies as.
pub const FIELD_MANAGER: &str = "cleat";
/// The label naming the release an object belongs to.
pub const RELEASE_LABEL: &str = "cleat.dev/release";
/// The annotation naming the namespace of the release an object belongs to.
pub const RELEASE_NAMESPACE_ANNOTATION: &str = "cleat.dev/release-namespace";
/// The annotation holding the digest of the object as cleat last applied it.
pub const DIGEST_ANNOTATION: &str = "cleat.dev/digest";
/// The annotation that keeps an object when its release no longer renders it.
pub const KEEP_ANNOTATION: &str = "cleat.dev/keep";
