//! The static check: every variable a template reads, in every branch, must
//! exist in the schema or the built-in context.
//!
//! minijinja lists the dotted paths a template reads without running it
//! (`values.image.tag`, including branches not taken today); each path is
//! walked through the values schema. A typo such as `values.imge.tag` is
//! therefore an error before any values exist, not when the branch first runs
//! in production.

use crate::authoring::package::Package;
use crate::authoring::values::{Kind, Schema};
use crate::shared::diagnostics::{did_you_mean, Diagnostic, Origin, Source};

use super::functions::{FUNCTIONS, MAP_METHODS};
use super::CONTEXT;

/// Checks every template of `package` against `schema`.
pub fn check(package: &Package, schema: &Schema) -> Vec<Diagnostic> {
    let env = match super::environment(package) {
        Ok(env) => env,
        Err(diagnostics) => return diagnostics.0,
    };
    let mut problems = Vec::new();
    for source in &package.templates {
        let Ok(template) = env.get_template(&source.name) else {
            continue;
        };
        let mut found: Vec<Diagnostic> = Vec::new();
        for path in template.undeclared_variables(true) {
            if let Err((depth, message, hint)) = check_path(&path, schema) {
                let segments: Vec<&str> = path.split('.').collect();
                let origin = find(source, &segments[..=depth.min(segments.len() - 1)]);
                let mut diagnostic = Diagnostic::error(message).maybe_hint(hint);
                diagnostic = match origin {
                    Some(origin) => diagnostic.at(origin),
                    None => diagnostic.about(source.name.clone()),
                };
                found.push(diagnostic);
            }
        }
        // In the order they are written, whatever order minijinja lists them in.
        found.sort_by_key(|d| d.origin.as_ref().map(|o| (o.line, o.col)));
        found.dedup();
        problems.extend(found);
    }
    problems.extend(super::flow::check(package, schema));
    problems
}

type PathError = (usize, String, Option<String>);

/// Checks one dotted path; on error, the index of the first bad segment.
fn check_path(path: &str, schema: &Schema) -> Result<(), PathError> {
    let segments: Vec<&str> = path.split('.').collect();
    let root = segments[0];
    if root == "values" {
        return walk(schema, &segments, 1);
    }
    if let Some((_, fields)) = CONTEXT.iter().find(|(name, _)| *name == root) {
        return match segments.get(1) {
            Some(field) if !fields.contains(field) => Err((
                1,
                format!("`{root}` has no field `{field}`"),
                did_you_mean(field, fields.iter().copied())
                    .or(Some(format!("`{root}` has: {}", fields.join(", ")))),
            )),
            _ => Ok(()),
        };
    }
    if FUNCTIONS.contains(&root) {
        return Ok(());
    }
    let known = ["values", "release", "package", "capabilities", "files"];
    Err((
        0,
        format!("unknown variable `{root}`"),
        did_you_mean(root, known.iter().chain(FUNCTIONS.iter()).copied()).or(Some(
            "templates see `values`, `release`, `package`, `capabilities` and `files`".into(),
        )),
    ))
}

fn walk(schema: &Schema, segments: &[&str], at: usize) -> Result<(), PathError> {
    let Some(segment) = segments.get(at) else {
        return Ok(());
    };
    let here = segments[..at].join(".");
    match &schema.kind {
        Kind::Any => Ok(()),
        Kind::Object {
            properties,
            additional,
            ..
        } => {
            if let Some((_, child)) = properties.iter().find(|(name, _)| name == segment) {
                return walk(child, segments, at + 1);
            }
            if let Some(child) = additional {
                return walk(child, segments, at + 1);
            }
            if MAP_METHODS.contains(segment) {
                return Ok(());
            }
            let names = schema.property_names();
            Err((
                at,
                format!("`{}.{segment}` is not declared in the values schema", here),
                did_you_mean(segment, names.iter().copied()).or_else(|| {
                    (!names.is_empty()).then(|| format!("`{here}` declares: {}", names.join(", ")))
                }),
            ))
        }
        Kind::List { items, .. } if segment.parse::<usize>().is_ok() => {
            walk(items, segments, at + 1)
        }
        // A path is declared if one of the union's schemas declares it.
        Kind::Union { options, .. } => {
            let mut first = None;
            for option in options {
                match walk(option, segments, at) {
                    Ok(()) => return Ok(()),
                    Err(problem) => {
                        first.get_or_insert(problem);
                    }
                }
            }
            first.map_or(Ok(()), Err)
        }
        kind => Err((
            at,
            format!(
                "`{here}` has type {}; it has no field `{segment}`",
                kind.name()
            ),
            None,
        )),
    }
}

/// Where a path is first written in the template: `values.imge.tag` is found
/// as written, or as the prefix up to the bad segment.
fn find(source: &std::sync::Arc<Source>, segments: &[&str]) -> Option<Origin> {
    let needle = segments.join(".");
    let bytes = source.text.as_bytes();
    let mut start = 0;
    while let Some(found) = source.text[start..].find(&needle) {
        let at = start + found;
        let end = at + needle.len();
        let boundary =
            |i: Option<&u8>| i.is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_'));
        let before_ok = at == 0 || boundary(bytes.get(at - 1)) && bytes[at - 1] != b'.';
        if before_ok && boundary(bytes.get(end)) {
            return Some(Origin::spanning(source, at..end));
        }
        start = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        let text = "type: object\nproperties:\n  image:\n    type: object\n    properties:\n      tag: {type: string}\n  env: {type: object, additionalProperties: {type: string}}\n  replicas: {type: integer}\n  hosts: {type: array, items: {type: object, properties: {name: {type: string}}}}\n";
        Schema::parse(&Source::new("values.schema.yaml", text)).unwrap()
    }

    #[test]
    fn accepts_declared_paths_and_context() {
        for path in [
            "values.image.tag",
            "values.env.FOO",
            "values.env.items",
            "values.hosts",
            "release.name",
            "capabilities.kube_version",
            "files.get",
            "range",
        ] {
            assert_eq!(check_path(path, &schema()), Ok(()), "{path}");
        }
    }

    #[test]
    fn names_the_bad_segment_with_a_suggestion() {
        assert_eq!(
            check_path("values.imge.tag", &schema()),
            Err((
                1,
                "`values.imge` is not declared in the values schema".into(),
                Some("did you mean `image`?".into())
            ))
        );
        assert_eq!(
            check_path("values.replicas.count", &schema()),
            Err((
                2,
                "`values.replicas` has type integer; it has no field `count`".into(),
                None
            ))
        );
        assert_eq!(
            check_path("release.nam", &schema()),
            Err((
                1,
                "`release` has no field `nam`".into(),
                Some("did you mean `name`?".into())
            ))
        );
        assert_eq!(
            check_path("relase", &schema()).unwrap_err().2,
            Some("did you mean `release`?".into())
        );
    }
}
