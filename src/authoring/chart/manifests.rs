//! A chart's output as Helm sorts it: templates' documents parsed (YAML
//! 1.1) and checked into objects, hooks (`helm.sh/hook`) set apart with
//! their events and weight, objects of unknown hook events dropped (as Helm
//! does), CRDs from every chart's `crds/`, and objects in Helm's install
//! order of kinds.

use std::sync::Arc;

use super::engine::Output;
use super::Chart;
use crate::authoring::lifecycle::{self, When};
use crate::authoring::object::{self, Object};
use crate::authoring::render::Rendered;
use crate::shared::diagnostics::{Diagnostic, Diagnostics, Source};
use crate::shared::parallel;
use crate::shared::yaml::Dialect;

/// Helm's hook events.
const HOOK_EVENTS: [&str; 9] = [
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
];

/// Kinds in the order Helm installs them; other kinds come after, by name.
const INSTALL_ORDER: [&str; 38] = [
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// An object Helm runs at a point of the release's life.
#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    pub object: Object,
    /// `pre-install`, `test`, ... in the order written.
    pub events: Vec<String>,
    /// `helm.sh/hook-weight` (0 when absent or not a number).
    pub weight: i64,
}

impl Hook {
    pub fn is_test(&self) -> bool {
        self.events.iter().any(|e| e == "test")
    }
}

/// A chart's rendered objects, sorted.
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    pub crds: Vec<Object>,
    pub objects: Vec<Object>,
    pub hooks: Vec<Hook>,
    /// What rendering warns about (see [`super::engine::Executed`]).
    pub warnings: Vec<Diagnostic>,
    /// Every key the templates looked up.
    pub lookups: std::collections::BTreeSet<super::lookup::LookupKey>,
}

/// What a release of a chart applies, and what it runs when deleted.
#[derive(Debug, Clone, Default)]
pub struct ReleaseObjects {
    pub objects: Vec<Object>,
    /// `pre-delete` hooks (negative phases, by weight) and `post-delete`
    /// hooks (positive phases), which `cleat delete` runs.
    pub delete_hooks: Vec<Object>,
    /// `test` hooks, in phases by weight, which `cleat test` runs.
    pub test_hooks: Vec<Object>,
    /// `pre-rollback` hooks (negative phases, by weight) and
    /// `post-rollback` hooks (positive phases), which `cleat rollback` runs
    /// around the revision it rolls back to.
    pub rollback_hooks: Vec<Object>,
}

impl Manifests {
    /// What a release of the chart applies, as ordinary objects of the
    /// release: the CRDs (in a phase before any hook), the objects, and the
    /// hooks of installs and upgrades, each hook in a phase of its own
    /// weight before the other objects (`pre-`) or after them (`post-`),
    /// applied on install, upgrade or both as its events say; and, apart,
    /// the hooks of deletes. The phase and when it applies are written into
    /// each hook as cleat's lifecycle annotations, so the cluster reads the
    /// same from the live object; and, apart, the test hooks and the hooks
    /// of rollbacks (a hook of an upgrade and a rollback is in both).
    pub fn release_objects(self) -> ReleaseObjects {
        let normal = self
            .crds
            .iter()
            .chain(&self.objects)
            .map(|o| o.lifecycle.phase);
        let (first, last) = (normal.clone().min().unwrap_or(0), normal.max().unwrap_or(0));
        let mut applied: Vec<(bool, Hook)> = Vec::new();
        let mut deleting: Vec<(bool, Hook)> = Vec::new();
        let mut testing: Vec<(bool, Hook)> = Vec::new();
        let mut rolling: Vec<(bool, Hook)> = Vec::new();
        for hook in self.hooks {
            let has = |events: &[&str]| hook.events.iter().any(|e| events.contains(&e.as_str()));
            if has(&["pre-rollback", "post-rollback"]) {
                rolling.push((has(&["pre-rollback"]), hook.clone()));
            }
            if has(&["pre-install", "post-install", "pre-upgrade", "post-upgrade"]) {
                applied.push((has(&["pre-install", "pre-upgrade"]), hook));
            } else if has(&["pre-delete", "post-delete"]) {
                deleting.push((has(&["pre-delete"]), hook));
            } else if hook.is_test() {
                testing.push((false, hook));
            }
        }
        // Helm installs CRDs before anything else, pre-install hooks too.
        let mut objects = self.crds;
        let before = weights(&applied, true).len() as i64;
        if before > 0 {
            let phase = first - before - 1;
            for crd in &mut objects {
                crd.lifecycle.phase = phase;
                annotate(
                    &mut crd.body,
                    lifecycle::PHASE_ANNOTATION,
                    &phase.to_string(),
                );
            }
        }
        objects.extend(self.objects);
        objects.extend(phased(applied, first, last));
        ReleaseObjects {
            objects,
            delete_hooks: phased(deleting, 0, 0),
            test_hooks: phased(testing, 0, 0),
            rollback_hooks: phased(rolling, 0, 0),
        }
    }
}

/// The distinct weights of the `pre` (or not) hooks, lowest first.
fn weights(hooks: &[(bool, Hook)], pre: bool) -> Vec<i64> {
    let mut weights: Vec<i64> = hooks
        .iter()
        .filter(|(p, _)| *p == pre)
        .map(|(_, h)| h.weight)
        .collect();
    weights.sort_unstable();
    weights.dedup();
    weights
}

/// Hooks as objects in phases: a `pre` hook in one of the phases just
/// before `first`, the others just after `last`, one phase per weight;
/// applied on install, upgrade or both as its events say.
fn phased(hooks: Vec<(bool, Hook)>, first: i64, last: i64) -> Vec<Object> {
    let (before, after) = (weights(&hooks, true), weights(&hooks, false));
    hooks
        .into_iter()
        .map(|(pre, hook)| {
            let phase = if pre {
                let rank = before.binary_search(&hook.weight).unwrap_or_default();
                first - (before.len() - rank) as i64
            } else {
                let rank = after.binary_search(&hook.weight).unwrap_or_default();
                last + 1 + rank as i64
            };
            let has = |e: &str| hook.events.iter().any(|x| x.ends_with(e));
            let apply = match (has("-install"), has("-upgrade")) {
                (true, false) => When::Install,
                (false, true) => When::Upgrade,
                _ => When::Always,
            };
            let mut object = hook.object;
            object.lifecycle.phase = phase;
            object.lifecycle.apply = apply;
            annotate(
                &mut object.body,
                lifecycle::PHASE_ANNOTATION,
                &phase.to_string(),
            );
            annotate(&mut object.body, lifecycle::APPLY_ANNOTATION, apply.name());
            object
        })
        .collect()
}

/// Sets the annotation `key` of an object's body to `value`.
fn annotate(body: &mut serde_json::Value, key: &str, value: &str) {
    let metadata = &mut body["metadata"];
    if !metadata["annotations"].is_object() {
        metadata["annotations"] = serde_json::Value::Object(serde_json::Map::new());
    }
    metadata["annotations"][key] = serde_json::Value::String(value.to_string());
}

/// Parses the templates' `outputs` (and with `include_crds` the CRDs of
/// `chart` and its enabled subcharts) into sorted manifests.
pub fn manifests(
    chart: &Chart,
    outputs: &[Output],
    include_crds: bool,
) -> Result<Manifests, Diagnostics> {
    let mut crd_sources = Vec::new();
    if include_crds {
        crd_files(chart, chart.name(), &mut crd_sources)?;
    }
    let crds = object::objects_as(&crd_sources, &[], Dialect::Yaml11)?;
    let rendered: Vec<Rendered> = parallel::map_sized(
        outputs,
        |o| o.text.len(),
        |o| Rendered {
            template: Arc::clone(&o.template),
            output: Source::new(o.name.clone(), documents(&o.text)),
        },
    );
    let found = object::objects_as(&[], &rendered, Dialect::Yaml11)?;
    let mut objects = Vec::new();
    let mut hooks = Vec::new();
    for object in found {
        let annotations = &object.body["metadata"]["annotations"];
        let Some(events) = annotations[lifecycle::HOOK_ANNOTATION].as_str() else {
            objects.push(object);
            continue;
        };
        // `test-success` is Helm 2's name for `test`.
        let events: Vec<String> = events
            .split(',')
            .map(|e| e.trim().to_ascii_lowercase())
            .map(|e| {
                if e == "test-success" {
                    "test".to_string()
                } else {
                    e
                }
            })
            .collect();
        // Helm skips a hook with an event it does not know.
        if events.iter().any(|e| !HOOK_EVENTS.contains(&e.as_str())) {
            continue;
        }
        let weight = annotations["helm.sh/hook-weight"]
            .as_str()
            .and_then(|w| w.trim().parse().ok())
            .unwrap_or(0);
        hooks.push(Hook {
            object,
            events,
            weight,
        });
    }
    objects.sort_by(|a, b| rank(&a.kind).cmp(&rank(&b.kind)));
    hooks.sort_by(|a, b| {
        (a.weight, rank(&a.object.kind), &a.object.name).cmp(&(
            b.weight,
            rank(&b.object.kind),
            &b.object.name,
        ))
    });
    Ok(Manifests {
        crds,
        objects,
        hooks,
        warnings: Vec::new(),
        lookups: Default::default(),
    })
}

/// A template's output cut into documents as Helm cuts it: at `---`
/// after a line break (whatever follows on the line), each document
/// trimmed of surrounding white space (which drops the trailing empty lines
/// of a final block scalar), empty ones dropped.
fn documents(text: &str) -> String {
    static SEPARATOR: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let separator = SEPARATOR.get_or_init(|| {
        regex::Regex::new(r"(?:^|[\t\n\x0C\r ]*\n)---[\t\n\x0C\r ]*").expect("a valid pattern")
    });
    let mut out = String::with_capacity(text.len());
    for document in separator.split(text.trim()) {
        let document = document.trim();
        if !document.is_empty() {
            out.push_str("---\n");
            out.push_str(document);
            out.push('\n');
        }
    }
    out
}

/// Where a kind goes in Helm's install order.
fn rank(kind: &str) -> (usize, &str) {
    match INSTALL_ORDER.iter().position(|k| *k == kind) {
        Some(at) => (at, ""),
        None => (INSTALL_ORDER.len(), kind),
    }
}

/// `crds/*.yaml|yml|json` of `chart` and its subcharts, named by their
/// place in the chart (`chart/charts/sub/crds/x.yaml`).
fn crd_files(chart: &Chart, path: &str, out: &mut Vec<Arc<Source>>) -> Result<(), Diagnostics> {
    for (name, file) in chart.files.iter() {
        let manifest = name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json");
        if name.starts_with("crds/") && manifest {
            let shown = format!("{path}/{name}");
            out.push(crate::authoring::package::source(
                &shown,
                file.read(&shown)?,
            )?);
        }
    }
    for sub in &chart.dependencies {
        crd_files(sub, &format!("{path}/charts/{}", sub.name()), out)?;
    }
    Ok(())
}
