//! Plans as JSON (`cleat diff -o json`): per release each object's action,
//! diff, adoption and drift, what is deleted and kept, and a summary.

use crate::cluster::plan::{Change, Plan};

use super::show::counts;

/// The plans as one JSON document.
pub fn json(plans: &[&Plan]) -> serde_json::Value {
    let counts = counts(plans);
    let releases: Vec<serde_json::Value> = plans
        .iter()
        .map(|plan| {
            let objects: Vec<serde_json::Value> = plan
                .objects
                .iter()
                .map(|object| {
                    let mut entry = serde_json::json!({
                        "apiVersion": object.api_version,
                        "kind": object.kind,
                        "namespace": object.namespace,
                        "name": object.name,
                        "action": match object.change {
                            Change::Create => "create",
                            Change::Update(_) => "change",
                            Change::Unchanged => "unchanged",
                        },
                    });
                    if let Change::Update(diff) = &object.change {
                        entry["diff"] = diff.clone().into();
                    }
                    if let Some(owner) = &object.adopt {
                        entry["adoptFrom"] = owner.to_string().into();
                    }
                    if !object.drift.is_empty() {
                        entry["drift"] = object
                            .drift
                            .iter()
                            .map(|c| serde_json::json!({"manager": c.manager, "field": c.field}))
                            .collect();
                    }
                    entry
                })
                .collect();
            let deletions: Vec<String> = plan
                .deletions
                .iter()
                .filter(|d| d.keep.is_none())
                .map(|d| d.item.id())
                .collect();
            let kept: Vec<serde_json::Value> = plan
                .deletions
                .iter()
                .filter_map(|d| {
                    let keep = d.keep.as_ref()?;
                    Some(serde_json::json!({"object": d.item.id(), "reason": keep.to_string()}))
                })
                .collect();
            serde_json::json!({
                "release": plan.release,
                "namespace": plan.namespace,
                "createNamespaces": plan.namespaces,
                "objects": objects,
                "delete": deletions,
                "keep": kept,
                "takeOver": plan.interrupted.as_ref().map(|r| r.revision),
                "estimated": plan.estimated,
            })
        })
        .collect();
    serde_json::json!({
        "releases": releases,
        "summary": {
            "create": counts.create,
            "change": counts.change,
            "delete": counts.delete,
            "unchanged": counts.unchanged,
            "adopt": counts.adopt,
            "keep": counts.keep,
        },
    })
}
