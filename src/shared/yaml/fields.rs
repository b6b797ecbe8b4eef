//! The fields of a YAML map as a file format reads them: unknown ones
//! named with the closest known one, strings with where they were written,
//! names that must be DNS labels.

use super::{Key, Node, Value};
use crate::shared::diagnostics::{did_you_mean, Diagnostic, Origin};

/// Every key of `entries` that is not in `known`, as an error at its line
/// (`file` names the file or section for the message).
pub fn check_fields(
    entries: &[(Key, Node)],
    known: &[&str],
    file: &str,
    problems: &mut Vec<Diagnostic>,
) {
    for (key, _) in entries {
        if !known.contains(&key.name.as_str()) {
            problems.push(
                Diagnostic::error(format!("unknown field `{}` in `{file}`", key.name))
                    .at(key.origin.clone())
                    .maybe_hint(did_you_mean(&key.name, known.iter().copied()))
                    .hint(format!("known fields: {}", known.join(", "))),
            );
        }
    }
}

/// The string `field` of `node` and where it was written; any other value
/// is a problem (a version written as a number keeps the text it was written as).
pub fn optional_string(
    node: &Node,
    field: &str,
    problems: &mut Vec<Diagnostic>,
) -> Option<(String, Origin)> {
    let value = node.get(field)?;
    match &value.value {
        Value::String(s) => Some((s.clone(), value.origin.clone())),
        // Versions such as `1.20` parse as numbers; accept their text.
        Value::Int(_) | Value::Float(_) if field.to_lowercase().contains("version") => {
            let text = value
                .origin
                .source
                .line_text(value.origin.line)
                .unwrap_or_default();
            let start = value.origin.col - 1;
            let written = text
                .get(start..start + value.origin.width)
                .unwrap_or_default();
            Some((written.to_string(), value.origin.clone()))
        }
        other => {
            problems.push(
                Diagnostic::error(format!(
                    "`{field}` must be a string, found {}",
                    other.type_name()
                ))
                .at(value.origin.clone()),
            );
            None
        }
    }
}

/// The string `field` of `node`, which must be there.
pub fn required_string(
    node: &Node,
    field: &str,
    problems: &mut Vec<Diagnostic>,
) -> Option<(String, Origin)> {
    if node.get(field).is_none() {
        problems.push(
            Diagnostic::error(format!("missing required field `{field}`")).at(node.origin.clone()),
        );
        return None;
    }
    optional_string(node, field, problems)
}

/// A DNS-1123 label: what Kubernetes accepts as a name segment.
pub fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
