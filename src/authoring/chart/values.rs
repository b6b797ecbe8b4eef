//! A chart's values as Helm computes them: the user's values (`-f` files
//! merged in order, then `--set`, `--set-string`, `--set-json`,
//! `--set-file` with Helm's syntax and typing), dependencies switched on or
//! off by `condition` and `tags` and renamed by `alias`, `import-values`
//! pulled up from children, and everything coalesced over the charts'
//! defaults, with `global` flowing down into every subchart and `null`
//! deleting a key.

use serde_json::{Map, Value};

use super::metadata::Dependency;
use super::Chart;
use crate::shared::diagnostics::Diagnostic;

/// Largest list index `--set` may write (Helm's limit).
const MAX_INDEX: usize = 65_536;

/// How a `--set` flavour types its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typing {
    /// `--set`: `true`/`false`, `null`, whole numbers without a leading 0
    /// become booleans, null and integers; the rest strings.
    Inferred,
    /// `--set-string`: everything a string.
    String,
    /// `--set-json`: the value is JSON.
    Json,
    /// `--set-literal`: the value as written, commas and all.
    Literal,
}

/// Deep-merges `overlay` into `base` as Helm merges `-f` files: maps merge
/// key by key, anything else replaces.
pub fn merge_maps(base: &mut Map<String, Value>, overlay: Map<String, Value>) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(Value::Object(inner)), Value::Object(overlay)) => merge_maps(inner, overlay),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Applies one `--set`-style argument (`a.b=1,c[0]=x`) to `values`.
pub fn apply_set(
    values: &mut Map<String, Value>,
    text: &str,
    typing: Typing,
) -> Result<(), String> {
    let assignments = if typing == Typing::Literal {
        vec![text.to_string()]
    } else {
        split_unescaped(text, ',', true)
    };
    for assignment in assignments {
        let Some(at) = find_unescaped(&assignment, '=') else {
            return Err(format!(
                "key `{assignment}` has no value (write `{assignment}=VALUE`)"
            ));
        };
        let (key, raw) = (&assignment[..at], &assignment[at + 1..]);
        let value = match typing {
            Typing::Literal => Value::String(raw.to_string()),
            Typing::Json => serde_json::from_str(raw)
                .map_err(|e| format!("the value of `{key}` is not JSON: {e}"))?,
            Typing::String | Typing::Inferred => {
                let typed = |v: &str| {
                    let v = unescape(v);
                    if typing == Typing::String {
                        Value::String(v)
                    } else {
                        infer(&v)
                    }
                };
                if raw.starts_with('{') && raw.ends_with('}') && raw.len() >= 2 {
                    let inner = &raw[1..raw.len() - 1];
                    Value::Array(
                        split_unescaped(inner, ',', false)
                            .iter()
                            .map(|v| typed(v))
                            .collect(),
                    )
                } else {
                    typed(raw)
                }
            }
        };
        set_path(values, key, value)?;
    }
    Ok(())
}

/// Helm's typing of `--set` values.
fn infer(text: &str) -> Value {
    if text.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if text.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if text == "0" {
        return Value::from(0);
    }
    if !text.starts_with('0') {
        if let Ok(i) = text.parse::<i64>() {
            return Value::from(i);
        }
    }
    Value::String(text.to_string())
}

/// Splits on `separator` where it is not escaped by `\` (nor, when
/// `braces`, inside `{...}`).
fn split_unescaped(text: &str, separator: char, braces: bool) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0usize;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        let part = parts.last_mut().expect("parts is never empty");
        match c {
            '\\' => {
                part.push(c);
                part.extend(chars.next());
            }
            '{' if braces => {
                depth += 1;
                part.push(c);
            }
            '}' if braces => {
                depth = depth.saturating_sub(1);
                part.push(c);
            }
            c if c == separator && depth == 0 => parts.push(String::new()),
            c => part.push(c),
        }
    }
    parts
}

fn find_unescaped(text: &str, wanted: char) -> Option<usize> {
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == wanted {
            return Some(at);
        }
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

/// One step of a `--set` key: a map key or a list index.
enum Step {
    Key(String),
    Index(usize),
}

fn steps(key: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for part in split_unescaped(key, '.', false) {
        let mut rest = part.as_str();
        let name_end = find_unescaped(rest, '[').unwrap_or(rest.len());
        let name = unescape(&rest[..name_end]);
        if name.is_empty() && name_end == rest.len() {
            return Err(format!("key `{key}` has an empty part"));
        }
        if !name.is_empty() {
            steps.push(Step::Key(name));
        }
        rest = &rest[name_end..];
        while let Some(inner) = rest.strip_prefix('[') {
            let Some(close) = inner.find(']') else {
                return Err(format!("key `{key}` has a `[` without `]`"));
            };
            let index: usize = inner[..close]
                .parse()
                .map_err(|_| format!("key `{key}`: `{}` is not a list index", &inner[..close]))?;
            if index > MAX_INDEX {
                return Err(format!(
                    "key `{key}`: index {index} is greater than the largest Helm accepts ({MAX_INDEX})"
                ));
            }
            steps.push(Step::Index(index));
            rest = &inner[close + 1..];
        }
        if !rest.is_empty() {
            return Err(format!("key `{key}` has `{rest}` after a list index"));
        }
    }
    Ok(steps)
}

fn set_path(values: &mut Map<String, Value>, key: &str, value: Value) -> Result<(), String> {
    let steps = steps(key)?;
    let mut root = Value::Object(std::mem::take(values));
    let mut current = &mut root;
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        let slot = match step {
            Step::Key(name) => {
                if !current.is_object() {
                    *current = Value::Object(Map::new());
                }
                let map = current.as_object_mut().expect("made a map above");
                map.entry(name.clone()).or_insert(Value::Null)
            }
            Step::Index(index) => {
                if !current.is_array() {
                    *current = Value::Array(Vec::new());
                }
                let list = current.as_array_mut().expect("made a list above");
                if list.len() <= *index {
                    list.resize(index + 1, Value::Null);
                }
                &mut list[*index]
            }
        };
        if last {
            *slot = value;
            break;
        }
        current = slot;
    }
    if let Value::Object(map) = root {
        *values = map;
    }
    Ok(())
}

/// The dependencies `condition`s and `tags` leave on, renamed by their
/// aliases, recursively; `values` are the user's.
pub fn enable_dependencies(chart: &mut Chart, user: &Map<String, Value>) {
    let top = coalesce(chart, user.clone(), false);
    enable(chart, &top, "");
}

fn enable(chart: &mut Chart, top: &Map<String, Value>, path: &str) {
    if chart.metadata.dependencies.is_empty() {
        return;
    }
    let loaded = std::mem::take(&mut chart.dependencies);
    // Whether an entry of `dependencies` names a loaded subchart; as in
    // Helm 4, an entry without a version matches none.
    let names = |dependency: &Dependency, sub: &Chart| {
        dependency.name == sub.name()
            && !dependency.version.is_empty()
            && sprig::semver::satisfies(&dependency.version, &sub.metadata.version).unwrap_or(false)
    };
    // Subcharts Chart.yaml does not list are kept as they are.
    let mut kept: Vec<Chart> = loaded
        .iter()
        .filter(|c| !chart.metadata.dependencies.iter().any(|d| names(d, c)))
        .cloned()
        .collect();
    for dependency in &mut chart.metadata.dependencies {
        let found = loaded.iter().find(|c| names(dependency, c));
        if let Some(found) = found {
            let mut found = found.clone();
            if !dependency.alias.is_empty() {
                found.metadata.name = dependency.alias.clone();
            }
            kept.push(found);
        }
        if !dependency.alias.is_empty() {
            dependency.name = dependency.alias.clone();
        }
        dependency.enabled = true;
    }
    let tags = top.get("tags").and_then(Value::as_object);
    for dependency in &mut chart.metadata.dependencies {
        if let Some(tags) = tags {
            let set: Vec<bool> = dependency
                .tags
                .iter()
                .filter_map(|t| tags.get(t).and_then(Value::as_bool))
                .collect();
            let (any_true, any_false) = (set.contains(&true), set.contains(&false));
            dependency.enabled = any_true || !any_false;
        }
        for condition in dependency.condition.trim().split(',') {
            let condition = condition.trim();
            if condition.is_empty() {
                continue;
            }
            if let Some(Value::Bool(on)) = path_value(top, &format!("{path}{condition}")) {
                dependency.enabled = *on;
                break;
            }
        }
    }
    let off: Vec<String> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|d| !d.enabled)
        .map(|d| d.name.clone())
        .collect();
    kept.retain(|c| !off.contains(&c.metadata.name));
    chart.metadata.dependencies.retain(|d| d.enabled);
    for sub in &mut kept {
        let path = format!("{path}{}.", sub.metadata.name);
        enable(sub, top, &path);
    }
    chart.dependencies = kept;
}

/// A value at a dotted path that is not itself a map (Helm's PathValue).
fn path_value<'a>(values: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let (table, key) = match path.rsplit_once('.') {
        Some((table, key)) => (table_at(values, table)?, key),
        None => (values, path),
    };
    table.get(key).filter(|v| !v.is_object())
}

/// The map at a dotted path.
fn table_at<'a>(values: &'a Map<String, Value>, path: &str) -> Option<&'a Map<String, Value>> {
    let mut current = values;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        current = current.get(part)?.as_object()?;
    }
    Some(current)
}

/// Pulls `import-values` up from children into each chart's defaults,
/// children first. An imported value is a default: the parent's own
/// values win over it.
pub fn import_values(chart: &mut Chart) {
    for sub in &mut chart.dependencies {
        import_values(sub);
    }
    if chart
        .metadata
        .dependencies
        .iter()
        .all(|d| d.import_values.is_empty())
    {
        return;
    }
    let merged = coalesce(chart, Map::new(), true);
    let mut imported = Map::new();
    for dependency in &mut chart.metadata.dependencies {
        let mut normalised = Vec::new();
        for import in &dependency.import_values {
            let (child, parent) = match import {
                Value::String(name) => (format!("exports.{name}"), ".".to_string()),
                Value::Object(map) => (
                    map.get("child")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    map.get("parent")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                ),
                _ => continue,
            };
            normalised.push(serde_json::json!({"child": child, "parent": parent}));
            let Some(table) = table_at(&merged, &format!("{}.{child}", dependency.name)) else {
                continue;
            };
            let mut placed = Value::Object(table.clone());
            if parent != "." {
                for part in parent.rsplit('.').filter(|p| !p.is_empty()) {
                    placed = Value::Object(Map::from_iter([(part.to_string(), placed)]));
                }
            }
            if let Value::Object(placed) = placed {
                merge_tables(&mut imported, &placed);
            }
        }
        dependency.import_values = normalised;
    }
    let mut values = merged;
    merge_tables(&mut values, &imported);
    chart.values = values;
}

/// Fills what `dst` lacks from `src`, recursively; `dst` wins (Helm's
/// MergeTables, which keeps nulls).
fn merge_tables(dst: &mut Map<String, Value>, src: &Map<String, Value>) {
    for (key, value) in src {
        match dst.get_mut(key) {
            None => {
                dst.insert(key.clone(), value.clone());
            }
            Some(Value::Object(inner)) => {
                if let Value::Object(value) = value {
                    merge_tables(inner, value);
                }
            }
            Some(_) => {}
        }
    }
}

/// The user's `values` coalesced over the defaults of `chart` and its
/// subcharts (Helm's CoalesceValues): `merge` keeps nulls instead of
/// deleting their keys.
pub fn coalesce(chart: &Chart, values: Map<String, Value>, merge: bool) -> Map<String, Value> {
    let mut values = values;
    coalesce_values(chart, &mut values, merge);
    coalesce_dependencies(chart, &mut values, merge);
    values
}

fn coalesce_values(chart: &Chart, values: &mut Map<String, Value>, merge: bool) {
    for (key, default) in &chart.values {
        match values.get_mut(key) {
            Some(Value::Null) if !merge => {
                values.remove(key);
            }
            Some(Value::Object(given)) => {
                if let Value::Object(default) = default {
                    let merge = merge || chart.dependencies.iter().any(|d| d.name() == key);
                    coalesce_tables(given, default, merge);
                }
            }
            Some(_) => {}
            None => {
                values.insert(key.clone(), default.clone());
            }
        }
    }
}

fn coalesce_dependencies(chart: &Chart, values: &mut Map<String, Value>, merge: bool) {
    for sub in &chart.dependencies {
        let name = sub.name().to_string();
        let mut own = match values.remove(&name) {
            Some(Value::Object(map)) => map,
            // Helm refuses a non-map here; the chart's own defaults are used.
            _ => Map::new(),
        };
        coalesce_globals(&mut own, values);
        let own = coalesce(sub, own, merge);
        values.insert(name, Value::Object(own));
    }
}

/// Copies the parent's `global` into a subchart's values; the parent's
/// globals win, maps merging.
fn coalesce_globals(dest: &mut Map<String, Value>, parent: &Map<String, Value>) {
    let Some(Value::Object(source)) = parent.get("global") else {
        if !dest.contains_key("global") {
            dest.insert("global".into(), Value::Object(Map::new()));
        }
        return;
    };
    let mut globals = match dest.remove("global") {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for (key, value) in source {
        match (value, globals.get_mut(key)) {
            (Value::Object(value), Some(Value::Object(existing))) => {
                let mut merged = value.clone();
                coalesce_tables(&mut merged, existing, true);
                *existing = merged;
            }
            (Value::Object(_), Some(_)) => {}
            (_, Some(Value::Object(_))) => {}
            (value, _) => {
                globals.insert(key.clone(), value.clone());
            }
        }
    }
    dest.insert("global".into(), Value::Object(globals));
}

/// Coalesces `src` (lower precedence) into `dst` (Helm's
/// coalesceTablesFullKey): a null in `dst` deletes the key unless merging.
fn coalesce_tables(dst: &mut Map<String, Value>, src: &Map<String, Value>, merge: bool) {
    for (key, value) in src {
        match dst.get_mut(key) {
            Some(Value::Null) if !merge => {
                dst.remove(key);
            }
            None => {
                dst.insert(key.clone(), value.clone());
            }
            Some(Value::Object(inner)) => {
                if let Value::Object(value) = value {
                    coalesce_tables(inner, value, merge);
                }
            }
            Some(_) => {}
        }
    }
}

/// Checks `values` against each chart's `values.schema.json`, as Helm
/// does before rendering: the root chart's values, and each subchart's
/// section against its own schema.
pub fn validate(chart: &Chart, values: &Value, path: &str) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    if let Some(schema) = &chart.schema {
        let mut compiler = boon::Compiler::new();
        let url = format!("file:///{path}{}/values.schema.json", chart.name());
        let result = compiler
            .add_resource(&url, schema.clone())
            .map_err(|e| e.to_string())
            .and_then(|()| {
                let mut schemas = boon::Schemas::new();
                compiler
                    .compile(&url, &mut schemas)
                    .map_err(|e| e.to_string())
                    .map(|index| (schemas, index))
            });
        match result {
            Err(error) => problems.push(
                Diagnostic::error(format!(
                    "the values schema of chart `{path}{}` does not compile: {error}",
                    chart.name()
                ))
                .about(format!("{path}{}/values.schema.json", chart.name())),
            ),
            Ok((schemas, index)) => {
                if let Err(error) = schemas.validate(values, index) {
                    for leaf in leaves(&error.detailed_output()) {
                        problems.push(
                            Diagnostic::error(format!(
                                "values don't meet the schema of chart `{path}{}`: {leaf}",
                                chart.name()
                            ))
                            .about(format!("{path}{}/values.schema.json", chart.name())),
                        );
                    }
                }
            }
        }
    }
    for sub in &chart.dependencies {
        if let Some(own @ Value::Object(_)) = values.get(sub.name()) {
            let inner = format!("{path}{}/charts/", chart.name());
            problems.extend(validate(sub, own, &inner));
        }
    }
    problems
}

/// The innermost errors of a boon error tree, as `at /path: message`.
fn leaves(output: &boon::OutputUnit) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![output];
    while let Some(unit) = pending.pop() {
        if let boon::OutputError::Leaf(kind) = &unit.error {
            let at = unit.instance_location.to_string();
            let at = if at.is_empty() { "/".to_string() } else { at };
            found.push(format!("at `{at}`: {kind}"));
        }
        if let boon::OutputError::Branch(units) = &unit.error {
            pending.extend(units.iter().rev());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(text: &str, typing: Typing) -> Value {
        let mut values = Map::new();
        apply_set(&mut values, text, typing).unwrap();
        Value::Object(values)
    }

    #[test]
    fn set_parses_helm_syntax_and_types() {
        assert_eq!(
            set(
                "a.b=1,c=true,d=null,e=007,f={x,2},g[1]=y,h=a\\,b",
                Typing::Inferred
            ),
            json!({"a": {"b": 1}, "c": true, "d": null, "e": "007", "f": ["x", 2], "g": [null, "y"], "h": "a,b"})
        );
        assert_eq!(
            set("a=1,b=true", Typing::String),
            json!({"a": "1", "b": "true"})
        );
        assert_eq!(set("a={\"x\":[1]}", Typing::Json), json!({"a": {"x": [1]}}));
        assert_eq!(set("a=x,y", Typing::Literal), json!({"a": "x,y"}));
        assert_eq!(
            set("dots\\.in\\.key=1", Typing::Inferred),
            json!({"dots.in.key": 1})
        );
    }

    #[test]
    fn set_refuses_bad_keys_with_the_reason() {
        let mut values = Map::new();
        assert_eq!(
            apply_set(&mut values, "novalue", Typing::Inferred).unwrap_err(),
            "key `novalue` has no value (write `novalue=VALUE`)"
        );
        assert_eq!(
            apply_set(&mut values, "a[99999999]=1", Typing::Inferred).unwrap_err(),
            "key `a[99999999]`: index 99999999 is greater than the largest Helm accepts (65536)"
        );
        assert_eq!(
            apply_set(&mut values, "a[x]=1", Typing::Inferred).unwrap_err(),
            "key `a[x]`: `x` is not a list index"
        );
    }
}
