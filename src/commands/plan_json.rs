//! Plans as JSON (`cleat diff -o json`): per release each object's action,
//! diff, adoption and drift, what is deleted and kept, and a summary.

use crate::cluster::plan::Plan;
use crate::cluster::planned::Change;

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
                            Change::Replace { .. } => "replace",
                            Change::Unchanged => "unchanged",
                            Change::Adopt => "adopt",
                            Change::Skip(_) => "skip",
                        },
                        "phase": object.lifecycle.phase,
                        "waitsFor": object.dependencies.iter().map(|&i| plan.objects[i].id()).collect::<Vec<_>>(),
                    });
                    match &object.change {
                        Change::Update(diff) => entry["diff"] = diff.clone().into(),
                        Change::Replace { fields, diff } => {
                            entry["diff"] = diff.clone().into();
                            entry["immutable"] = fields.clone().into();
                        }
                        Change::Skip(reason) => entry["reason"] = (*reason).into(),
                        _ => {}
                    }
                    if let Some(crd) = &object.after_definition {
                        entry["afterDefinition"] = crd.clone().into();
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
                "steps": plan.steps().into_iter().map(|((phase, _), objects)| serde_json::json!({
                    "phase": phase,
                    "objects": objects.iter().map(|&i| plan.objects[i].id()).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({
        "releases": releases,
        "summary": {
            "create": counts.create,
            "change": counts.change,
            "replace": counts.replace,
            "skip": counts.skip,
            "delete": counts.delete,
            "unchanged": counts.unchanged,
            "adopt": counts.adopt,
            "keep": counts.keep,
        },
    })
}
