//! How plans are shown: as text, each change with its diff, or as JSON.

use crate::cluster::plan::Plan;
use crate::cluster::planned::Change;

/// What the plans would do, counted.
#[derive(Default)]
pub(super) struct Counts {
    /// Objects and namespaces to create.
    pub(super) create: usize,
    pub(super) change: usize,
    /// Objects deleted and created again.
    pub(super) replace: usize,
    pub(super) delete: usize,
    pub(super) unchanged: usize,
    /// Objects their `cleat.dev/apply` leaves alone this time.
    pub(super) skip: usize,
    /// Objects taken over from another owner.
    pub(super) adopt: usize,
    /// Objects no longer rendered that stay.
    pub(super) keep: usize,
}

pub(super) fn counts(plans: &[&Plan]) -> Counts {
    let mut counts = Counts::default();
    for plan in plans {
        counts.create += plan.namespaces.len();
        for object in &plan.objects {
            match object.change {
                Change::Create => counts.create += 1,
                Change::Update(_) => counts.change += 1,
                Change::Replace { .. } => counts.replace += 1,
                Change::Unchanged | Change::Adopt => counts.unchanged += 1,
                Change::Skip(_) => counts.skip += 1,
            }
            counts.adopt += usize::from(object.adopt.is_some());
        }
        for deletion in &plan.deletions {
            match deletion.keep {
                Some(_) => counts.keep += 1,
                None => counts.delete += 1,
            }
        }
    }
    counts
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} to create, {} to change", self.create, self.change)?;
        if self.replace > 0 {
            write!(f, ", {} to replace", self.replace)?;
        }
        write!(
            f,
            ", {} to delete, {} unchanged",
            self.delete, self.unchanged
        )?;
        if self.skip > 0 {
            write!(f, ", {} skipped", self.skip)?;
        }
        if self.adopt > 0 {
            write!(f, ", {} to adopt", self.adopt)?;
        }
        if self.keep > 0 {
            write!(f, ", {} kept", self.keep)?;
        }
        Ok(())
    }
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
        if plan.estimated {
            text.push_str("  (compared without a server-side dry run, which the user may not run: changes are cleat's estimate)\n");
        }
        if let Some(pending) = &plan.interrupted {
            text.push_str(&paint(
                "35",
                &format!(
                    "! take over the unfinished apply of revision {} by {} at {}",
                    pending.revision, pending.applied_by, pending.applied_at
                ),
            ));
            text.push('\n');
        }
        for namespace in &plan.namespaces {
            text.push_str(&paint("32", &format!("+ create v1 Namespace {namespace}")));
            text.push('\n');
        }
        for object in &plan.objects {
            if let Some(owner) = &object.adopt {
                text.push_str(&paint(
                    "35",
                    &format!(
                        "! adopt {} from {owner}{}",
                        object.id(),
                        if object.change == Change::Adopt {
                            " (every value as it is)"
                        } else {
                            ""
                        }
                    ),
                ));
                text.push('\n');
            }
            let after = object.after_definition.as_ref().map(|crd| {
                format!("    (planned against the new schema of CRD {crd}, which is applied first; the API server checks this object then)\n")
            });
            match &object.change {
                Change::Create => {
                    text.push_str(&paint("32", &format!("+ create {}", object.id())));
                    text.push('\n');
                    text.push_str(after.as_deref().unwrap_or_default());
                    if bodies {
                        for line in crate::shared::yaml::emit_document(&object.shown_body()).lines()
                        {
                            text.push_str(&paint("32", &format!("    + {line}")));
                            text.push('\n');
                        }
                    }
                }
                Change::Update(diff) => {
                    text.push_str(&paint("33", &format!("~ change {}", object.id())));
                    text.push('\n');
                    text.push_str(after.as_deref().unwrap_or_default());
                    for conflict in &object.drift {
                        text.push_str(&paint(
                            "35",
                            &format!(
                                "    drift: `{}` changed {}, which cleat set; applying takes it back",
                                conflict.manager, conflict.field
                            ),
                        ));
                        text.push('\n');
                    }
                    push_diff(&mut text, diff, &paint);
                }
                Change::Replace { fields, diff } => {
                    let why = if fields.is_empty() {
                        "a hook: deleted and created again, so it runs again".to_string()
                    } else {
                        format!(
                            "{} cannot change in place: deleted and created again",
                            fields.join(", ")
                        )
                    };
                    text.push_str(&paint("35", &format!("± replace {} ({why})", object.id())));
                    text.push('\n');
                    push_diff(&mut text, diff, &paint);
                }
                Change::Skip(reason) => {
                    text.push_str(&paint("36", &format!("= skip {}: {reason}", object.id())));
                    text.push('\n');
                }
                Change::Unchanged | Change::Adopt => {}
            }
        }
        for deletion in &plan.deletions {
            let line = match &deletion.keep {
                None => {
                    let takes = deletion.takes.map_or(String::new(), |n| {
                        format!("; deletes every object of its kind, {n} now")
                    });
                    paint(
                        "31",
                        &format!(
                            "- delete {} (no longer rendered{takes})",
                            deletion.item.id()
                        ),
                    )
                }
                Some(keep) => paint("36", &format!("= keep {}: {keep}", deletion.item.id())),
            };
            text.push_str(&line);
            text.push('\n');
        }
        push_steps(&mut text, plan);
    }
    text.push_str(&format!("{}\n", counts(plans)));
    text
}

/// A diff under its object, each line coloured by what it does.
fn push_diff(text: &mut String, diff: &str, paint: &impl Fn(&str, &str) -> String) {
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

/// The order the plan is applied in, when it has more than one step: each
/// step's objects, and what each waits for.
fn push_steps(text: &mut String, plan: &Plan) {
    let steps = plan.steps();
    if steps.len() < 2 {
        return;
    }
    text.push_str("  order (each step applied once the one before is ready):\n");
    for (number, ((phase, _), indices)) in steps.iter().enumerate() {
        text.push_str(&format!("    {}. phase {phase}:\n", number + 1));
        for &index in indices {
            let object = &plan.objects[index];
            let waits: Vec<String> = object
                .dependencies
                .iter()
                .map(|&d| plan.objects[d].id())
                .collect();
            text.push_str(&format!("       {}", object.id()));
            if !waits.is_empty() {
                text.push_str(&format!(" (waits for {})", waits.join(", ")));
            }
            text.push('\n');
        }
    }
}
