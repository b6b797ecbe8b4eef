//! Replacing what cannot be patched: an object whose change the API server
//! refuses as immutable (a Job's template, a Deployment's selector, a
//! Service's clusterIP) is deleted and created again, when its policy
//! allows. Jobs may be replaced by default (they are meant to run again),
//! other objects with the annotation `cleat.dev/replace: "true"` or
//! `--replace`, and an object holding data (a PersistentVolumeClaim, a
//! StatefulSet with volumeClaimTemplates, a CRD) only when `--replace` names it.

use std::time::{Duration, Instant};

use kube::api::{DeleteParams, Preconditions};

use crate::authoring::lifecycle::REPLACE_ANNOTATION;
use crate::cluster::client::{retry, Cluster};
use crate::cluster::planned::Planned;
use crate::shared::diagnostics::Diagnostic;

/// What `--replace` allows beyond each object's own policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowed {
    /// `--replace all`: every object that does not hold data.
    pub all: bool,
    /// `--replace Kind/name`: these objects, data or not.
    pub named: Vec<String>,
}

impl Allowed {
    /// From `--replace` arguments: `all`, or `Kind/name`.
    pub fn from_args(args: &[String]) -> Allowed {
        Allowed {
            all: args.iter().any(|a| a == "all"),
            named: args.iter().filter(|a| *a != "all").cloned().collect(),
        }
    }

    fn names(&self, object: &Planned) -> bool {
        self.named.iter().any(|named| {
            named.split_once('/').is_some_and(|(kind, name)| {
                kind.eq_ignore_ascii_case(&object.kind) && name == object.name
            })
        })
    }
}

/// The fields an API server error says cannot change: each `FIELD: Invalid
/// value: ...: field is immutable` and `FIELD: Forbidden: ...` whose reason
/// says it is immutable or forbidden to update.
pub fn immutable(message: &str) -> Vec<String> {
    let mut fields = Vec::new();
    for marker in [": Invalid value: ", ": Forbidden: "] {
        let mut at = 0;
        while let Some(found) = message[at..].find(marker) {
            let start = at + found;
            let rest = &message[start + marker.len()..];
            // The reason runs to the next field error, or to the end.
            let end = [": Invalid value: ", ": Forbidden: "]
                .iter()
                .filter_map(|m| rest.find(m))
                .min()
                .unwrap_or(rest.len());
            let reason = &rest[..end];
            let refused = reason.contains("immutable")
                || (marker == ": Forbidden: " && reason.contains("forbidden"));
            let field = message[..start]
                .rsplit([' ', '['])
                .next()
                .unwrap_or_default()
                .to_string();
            if refused && !field.is_empty() && !fields.contains(&field) {
                fields.push(field);
            }
            at = start + marker.len();
        }
    }
    fields
}

/// Whether deleting `object` destroys data: a PersistentVolumeClaim, a
/// StatefulSet with volumeClaimTemplates, or a CRD (every object of its kind).
fn holds_data(object: &Planned) -> bool {
    object.kind == "PersistentVolumeClaim"
        || object.kind == "CustomResourceDefinition"
        || (object.kind == "StatefulSet"
            && object.body["spec"]["volumeClaimTemplates"]
                .as_array()
                .is_some_and(|t| !t.is_empty()))
}

/// Whether `object`, whose `fields` cannot change in place, may be
/// replaced; if not, why and what to do.
pub fn allowed(object: &Planned, fields: &[String], allowed: &Allowed) -> Result<(), Diagnostic> {
    let annotation = object.lifecycle.replace;
    let is_job = object.kind == "Job" && object.api_version.starts_with("batch/");
    let permitted = if holds_data(object) {
        allowed.names(object)
    } else {
        allowed.names(object)
            || allowed.all
            || annotation == Some(true)
            || (is_job && annotation != Some(false))
    };
    if permitted {
        return Ok(());
    }
    let fields = fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let diagnostic = Diagnostic::error(format!(
        "{} (from `{}`) cannot be changed in place: {fields} cannot change once created",
        object.id(),
        object.source
    ));
    let named = format!("--replace {}/{}", object.kind, object.name);
    Err(if holds_data(object) {
        diagnostic.hint(format!(
            "replacing it deletes it and its data; to do that anyway, name it: `{named}`"
        ))
    } else if annotation == Some(false) {
        diagnostic.hint(format!(
            "it is annotated `{REPLACE_ANNOTATION}: \"false\"`; keep those fields as they are, or remove the annotation"
        ))
    } else {
        diagnostic
            .hint(format!(
                "let cleat delete it and create it again: annotate it `{REPLACE_ANNOTATION}: \"true\"`, or `{named}`"
            ))
            .hint("or keep those fields as they are")
    })
}

/// Deletes the live object with `uid` (that one only) and waits until it is
/// gone, at most `timeout`, so that applying creates it anew (or, for a
/// hook, as its delete policy asks): `why` ends the messages ("to replace
/// it").
pub async fn delete(
    cluster: &Cluster,
    object: &Planned,
    uid: Option<&str>,
    timeout: Duration,
    why: &str,
) -> Result<(), Diagnostic> {
    let api = cluster.api(&object.resource, object.namespace.as_deref());
    // Dependents (a Job's pods) go with it, in the background.
    let mut params = DeleteParams::background();
    params.preconditions = Some(Preconditions {
        uid: uid.map(str::to_string),
        resource_version: None,
    });
    match retry(|| api.delete(&object.name, &params)).await {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 404 => return Ok(()),
        Err(e) => return Err(cluster.error(&format!("deleting {} {why}", object.id()), &e)),
    }
    let start = Instant::now();
    loop {
        let live = retry(|| api.get_opt(&object.name))
            .await
            .map_err(|e| cluster.error(&format!("reading {}", object.id()), &e))?;
        match live {
            Some(live) if live.metadata.uid.as_deref() == uid => {}
            _ => return Ok(()),
        }
        if start.elapsed() > timeout {
            return Err(Diagnostic::error(format!(
                "{} was deleted {why} but is still there after {} s",
                object.id(),
                timeout.as_secs()
            ))
            .hint("a finalizer holds it: see `metadata.finalizers` with `kubectl get -o yaml`"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immutable_fields_are_read_from_the_api_servers_message() {
        let job = r#"Job.batch "migrate" is invalid: spec.template: Invalid value: core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{Name:"", Labels:map[string]string{"a": "b"}}}: field is immutable"#;
        assert_eq!(immutable(job), ["spec.template"]);
        let two = r#"Deployment.apps "web" is invalid: [spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}}: field is immutable, spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`]"#;
        assert_eq!(immutable(two), ["spec.selector"]);
        let claim = r#"PersistentVolumeClaim "data" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests for bound claims"#;
        assert_eq!(immutable(claim), ["spec"]);
        let set = r#"StatefulSet.apps "db" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'template', and 'updateStrategy' are forbidden"#;
        assert_eq!(immutable(set), ["spec"]);
        let invalid = r#"Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"#;
        assert!(immutable(invalid).is_empty());
    }
}
