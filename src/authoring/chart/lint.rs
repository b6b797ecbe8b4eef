//! What `cleat lint` adds for a Helm chart: `.Values` references that no
//! `values.yaml` and no `values.schema.json` declares. Helm renders such a
//! reference (a typo, most often) as empty, silently; here each is a
//! warning at its template line, with the declared name it is closest to.
//! A key `values.yaml` names in a comment (`# key: ...`, how charts
//! document optional values) is taken as declared; each undeclared key is
//! reported once, at its first use.

use serde_json::Value;

use super::{engine, Chart};
use crate::shared::diagnostics::{did_you_mean, Diagnostic, Origin};

/// The warnings for `.Values` references of `chart` and its subcharts
/// (each against its own values, globals included) that nothing declares.
pub fn undeclared_values(chart: &Chart) -> Vec<Diagnostic> {
    let (chart, defaults) = super::with_defaults(chart);
    let defaults = Value::Object(defaults);
    let set = engine::parser();
    let mut warnings = Vec::new();
    walk(&chart, &defaults, &set, &mut warnings);
    warnings
}

fn walk(chart: &Chart, defaults: &Value, set: &gotmpl::Templates, warnings: &mut Vec<Diagnostic>) {
    // Each undeclared key once, at its first use.
    let mut reported = std::collections::BTreeSet::new();
    for template in &chart.templates {
        // A template that does not parse is render's to report.
        let Ok(references) = set.references(&template.name, &template.text) else {
            continue;
        };
        for reference in references {
            let from_root = match &reference.base {
                gotmpl::Base::Dot => true,
                gotmpl::Base::Variable(name) => name.is_empty(),
                gotmpl::Base::Pipe => false,
            };
            let Some(("Values", path)) = reference
                .fields
                .split_first()
                .map(|(first, rest)| (first.as_str(), rest))
            else {
                continue;
            };
            if !from_root || path.is_empty() {
                continue;
            }
            let Some((unknown, known)) = undeclared(defaults, chart.schema.as_ref(), path) else {
                continue;
            };
            if chart.commented.contains(&path[unknown])
                || !reported.insert(path[..=unknown].join("."))
            {
                continue;
            }
            let written = format!(".Values.{}", path.join("."));
            let offset = template.text[reference.at..]
                .find(&written)
                .map_or(reference.at, |i| reference.at + i);
            let hint = did_you_mean(&path[unknown], known.iter().map(String::as_str))
                .unwrap_or_else(|| {
                    "declare it in values.yaml (`~` if it has no default) or in values.schema.json; undeclared, it is always empty unless a user sets it".into()
                });
            warnings.push(
                Diagnostic::warning(format!(
                    "`{written}`: `{}` is not declared in the values of chart `{}`",
                    path[..=unknown].join("."),
                    chart.name()
                ))
                .at(Origin::spanning(template, offset..offset + written.len()))
                .hint(hint),
            );
        }
    }
    for sub in &chart.dependencies {
        let scoped = defaults.get(sub.name()).cloned().unwrap_or(Value::Null);
        walk(sub, &scoped, set, warnings);
    }
}

/// Where `path` leaves what the defaults and the schema declare: the index
/// of its first undeclared key and the keys declared beside it; `None`
/// when it is declared, or reaches a value of unknown shape (null, an
/// empty map, a map the schema leaves open).
fn undeclared(
    defaults: &Value,
    schema: Option<&Value>,
    path: &[String],
) -> Option<(usize, Vec<String>)> {
    let mut current = defaults;
    let mut schema = schema;
    for (index, key) in path.iter().enumerate() {
        let properties = schema
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object);
        let open = schema.is_some_and(|s| {
            s.get("additionalProperties")
                .is_some_and(|a| a != &Value::Bool(false))
                || s.get("patternProperties").is_some()
        });
        schema = properties.and_then(|p| p.get(key));
        match current {
            Value::Object(map) => match map.get(key) {
                Some(value) => current = value,
                None if map.is_empty() || open || schema.is_some() => return None,
                None => {
                    let mut known: Vec<String> = map.keys().cloned().collect();
                    known.extend(properties.into_iter().flat_map(|p| p.keys().cloned()));
                    return Some((index, known));
                }
            },
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_where_a_path_leaves_the_declared_values() {
        let defaults = serde_json::json!({"image": {"tag": "1"}, "labels": {}, "extra": null});
        let path = |p: &str| p.split('.').map(String::from).collect::<Vec<_>>();
        assert_eq!(undeclared(&defaults, None, &path("image.tag")), None);
        assert_eq!(
            undeclared(&defaults, None, &path("image.tagg")),
            Some((1, vec!["tag".to_string()]))
        );
        assert_eq!(undeclared(&defaults, None, &path("labels.app")), None);
        assert_eq!(undeclared(&defaults, None, &path("extra.a.b")), None);
        let schema = serde_json::json!({"properties": {"replicas": {"type": "integer"}}});
        assert_eq!(
            undeclared(&defaults, Some(&schema), &path("replicas")),
            None
        );
        assert_eq!(
            undeclared(&defaults, Some(&schema), &path("replica")).map(|(i, _)| i),
            Some(0)
        );
    }
}
