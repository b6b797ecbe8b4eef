//! How cleat marks what it applies as its own, and who owns a live object.
//!
//! cleat applies as field manager `cleat` and labels every object with its
//! release (`cleat.dev/release`) and the release's namespace
//! (`cleat.dev/release-namespace`). An object that exists already belongs to
//! whoever marked it: a cleat release, a Helm release (`app.kubernetes.io/
//! managed-by: Helm` with `meta.helm.sh/release-name` and `-namespace`), or
//! nobody (made by hand or by another tool). cleat takes over only what
//! belongs to the release it applies, unless told to adopt it.

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
/// The annotation, in a package, that lets cleat take over an object
/// another owner holds.
pub const ADOPT_ANNOTATION: &str = "cleat.dev/adopt";
/// The annotation that lets cleat delete a PersistentVolumeClaim, and so its
/// data, when the release no longer renders it or is deleted.
pub const DELETABLE_ANNOTATION: &str = "cleat.dev/deletable";

/// Who owns a live object, by the marks its owner left on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A cleat release.
    Release { name: String, namespace: String },
    /// A Helm release.
    Helm { name: String, namespace: String },
    /// No release: made by hand or by another tool.
    Nobody,
}

impl Owner {
    /// The owner of `object` (as the API server returns it).
    pub fn of(object: &serde_json::Value) -> Owner {
        let metadata = &object["metadata"];
        let label = |key: &str| metadata["labels"][key].as_str();
        let annotation = |key: &str| metadata["annotations"][key].as_str();
        let own_namespace = metadata["namespace"].as_str().unwrap_or_default();
        if let Some(name) = label(RELEASE_LABEL) {
            return Owner::Release {
                name: name.to_string(),
                namespace: annotation(RELEASE_NAMESPACE_ANNOTATION)
                    .unwrap_or(own_namespace)
                    .to_string(),
            };
        }
        let helm = label("app.kubernetes.io/managed-by") == Some("Helm");
        if let (true, Some(name)) = (helm, annotation("meta.helm.sh/release-name")) {
            return Owner::Helm {
                name: name.to_string(),
                namespace: annotation("meta.helm.sh/release-namespace")
                    .unwrap_or(own_namespace)
                    .to_string(),
            };
        }
        Owner::Nobody
    }

    /// Whether this is the cleat release `name` in `namespace`.
    pub fn is_release(&self, release: &str, release_namespace: &str) -> bool {
        matches!(self, Owner::Release { name, namespace } if name == release && namespace == release_namespace)
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Owner::Release { name, namespace } => {
                write!(f, "cleat release `{name}` of namespace `{namespace}`")
            }
            Owner::Helm { name, namespace } => {
                write!(f, "Helm release `{name}` of namespace `{namespace}`")
            }
            Owner::Nobody => f.write_str("no release (made by hand or by another tool)"),
        }
    }
}

/// Whether `object` carries `annotation: "true"`.
pub fn annotated(object: &serde_json::Value, annotation: &str) -> bool {
    object["metadata"]["annotations"][annotation] == "true"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_read_from_their_marks() {
        let cleat = serde_json::json!({"metadata": {"namespace": "web",
            "labels": {"cleat.dev/release": "shop"},
            "annotations": {"cleat.dev/release-namespace": "apps"}}});
        assert_eq!(
            Owner::of(&cleat),
            Owner::Release {
                name: "shop".into(),
                namespace: "apps".into()
            }
        );
        assert!(Owner::of(&cleat).is_release("shop", "apps"));
        assert!(!Owner::of(&cleat).is_release("shop", "web"));
        let helm = serde_json::json!({"metadata": {"namespace": "web",
            "labels": {"app.kubernetes.io/managed-by": "Helm"},
            "annotations": {"meta.helm.sh/release-name": "db"}}});
        assert_eq!(
            Owner::of(&helm).to_string(),
            "Helm release `db` of namespace `web`"
        );
        let unmarked = serde_json::json!({"metadata": {"name": "x",
            "labels": {"app.kubernetes.io/managed-by": "Helm"}}});
        assert_eq!(Owner::of(&unmarked), Owner::Nobody);
    }
}
