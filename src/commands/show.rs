//! How plans are shown: as text, each change with its diff, or as JSON.

use crate::cluster::plan::{Change, Plan};

/// Counts of creates, changes and unchanged objects.
fn counts(plans: &[&Plan]) -> (usize, usize, usize) {
    let mut counts = (0, 0, 0);
    for object in plans.iter().flat_map(|p| &p.objects) {
        match object.change {
            Change::Create => counts.0 += 1,
            Change::Update(_) => counts.1 += 1,
            Change::Unchanged => counts.2 += 1,
        }
    }
    counts
}

/// The plans as text: per release, each object that would change with its
/// diff (a new object's whole body only when `bodies`), then a summary.
pub fn describe(plans: &[&Plan], color: bool, bodies: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut text = String::new();
    for plan in plans {
        text.push_str(&paint(
            "1",
            &format!("release {} (namespace {})", plan.release, plan.namespace),
        ));
        text.push('\n');
        for namespace in &plan.namespaces {
            text.push_str(&paint("32", &format!("+ create v1 Namespace {namespace}")));
            text.push('\n');
        }
        for object in &plan.objects {
            match &object.change {
                Change::Create => {
                    text.push_str(&paint("32", &format!("+ create {}", object.id())));
                    text.push('\n');
                    if bodies {
                        for line in crate::shared::yaml::emit_document(&object.body).lines() {
                            text.push_str(&paint("32", &format!("    + {line}")));
                            text.push('\n');
                        }
                    }
                }
                Change::Update(diff) => {
                    text.push_str(&paint("33", &format!("~ change {}", object.id())));
                    text.push('\n');
                    {
                        for line in diff.lines() {
                            let code = match line.chars().next() {
                                Some('+') if !line.starts_with("+++") => "32",
                                Some('-') if !line.starts_with("---") => "31",
                                Some('@') => "36",
                                _ => "0",
                            };
                            text.push_str(&format!("    {}\n", paint(code, line)));
                        }
                    }
                }
                Change::Unchanged => {}
            }
        }
        for deletion in &plan.deletions {
            text.push_str(&paint(
                "31",
                &format!("- delete {} (no longer rendered)", deletion.item.id()),
            ));
            text.push('\n');
        }
    }
    let (create, change, unchanged) = counts(plans);
    let namespaces: usize = plans.iter().map(|p| p.namespaces.len()).sum();
    let delete: usize = plans.iter().map(|p| p.deletions.len()).sum();
    text.push_str(&format!(
        "{} to create, {change} to change, {delete} to delete, {unchanged} unchanged\n",
        create + namespaces
    ));
    text
}

pub fn json(plans: &[&Plan]) -> serde_json::Value {
    let (create, change, unchanged) = counts(plans);
    let namespaces: usize = plans.iter().map(|p| p.namespaces.len()).sum();
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
                    entry
                })
                .collect();
            let deletions: Vec<String> = plan.deletions.iter().map(|d| d.item.id()).collect();
            serde_json::json!({
                "release": plan.release,
                "namespace": plan.namespace,
                "createNamespaces": plan.namespaces,
                "objects": objects,
                "delete": deletions,
            })
        })
        .collect();
    serde_json::json!({
        "releases": releases,
        "summary": {
            "create": create + namespaces,
            "change": change,
            "delete": plans.iter().map(|p| p.deletions.len()).sum::<usize>(),
            "unchanged": unchanged,
        },
    })
}
