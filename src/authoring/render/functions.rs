//! The filters and functions templates can call beyond minijinja's built-ins,
//! and `files`, the read-only view of the package's own files.
//!
//! Each is pure: same arguments, same result, no clock, environment or I/O,
//! which is what keeps rendering deterministic.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use minijinja::value::{Object, Value};
use minijinja::{Environment, Error, ErrorKind, State};

/// Registers every cleat filter and function on `env`.
pub fn register(env: &mut Environment<'_>) {
    env.add_filter("to_yaml", to_yaml);
    env.add_filter("to_json", to_json);
    // minijinja's own `tojson` gives markup, which breaks YAML once concatenated.
    env.add_filter("tojson", to_json);
    env.add_filter("from_json", from_json);
    env.add_filter("b64encode", b64encode);
    env.add_filter("b64decode", b64decode);
    env.add_filter("sha256", sha256);
    env.add_filter("quote", quote);
    env.add_filter("required", required);
    env.add_filter("dns_name", dns_name);
    env.add_function("fail", fail);
    env.add_function("semver_matches", semver_matches);
    env.add_function("rendered", rendered);
    env.set_unknown_method_callback(map_methods);
}

/// Deepest chain of templates rendering each other with `rendered`.
const MAX_RENDERED_DEPTH: usize = 8;

thread_local! {
    static RENDERED_DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// `{{ rendered("configmap.yaml") | sha256 }}`: the output of another
/// template with the same context (found as `import` finds helpers), so an
/// annotation can carry the digest of what that template renders (Helm's
/// `include (print $.Template.BasePath "/configmap.yaml") . | sha256sum`).
fn rendered(state: &State, name: &str) -> Result<String, Error> {
    let depth = RENDERED_DEPTH.with(|d| d.get());
    if depth >= MAX_RENDERED_DEPTH {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("`rendered` nests more than {MAX_RENDERED_DEPTH} templates deep: templates render each other in a loop"),
        ));
    }
    let template = state.get_template(name)?;
    let context: Vec<(&str, Value)> = ["values", "release", "package", "capabilities", "files"]
        .into_iter()
        .filter_map(|key| Some((key, state.lookup(key)?)))
        .collect();
    RENDERED_DEPTH.with(|d| d.set(depth + 1));
    let result = template.render(Value::from_pairs(context));
    RENDERED_DEPTH.with(|d| d.set(depth));
    result
}

/// Names templates may use besides the context: cleat's functions and
/// minijinja's global functions.
pub const FUNCTIONS: [&str; 10] = [
    "fail",
    "semver_matches",
    "rendered",
    "range",
    "dict",
    "namespace",
    "lipsum",
    "cycler",
    "joiner",
    "debug",
];

/// Methods Jinja users call on maps (`values.env.items()`), answered like
/// Python's dict methods.
pub const MAP_METHODS: [&str; 4] = ["items", "keys", "values", "get"];

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

fn to_json_value(value: &Value) -> Result<serde_json::Value, Error> {
    if value.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            "cannot serialize an undefined value",
        ));
    }
    serde_json::to_value(value).map_err(|e| invalid(format!("cannot serialize value: {e}")))
}

/// `{{ h.labels(x) | from_json }}`: the value JSON text holds. A macro whose
/// body prints one `{{ value }}` returns that value's JSON (templates print
/// values as JSON), so this turns such a macro into a function that returns
/// a typed value.
fn from_json(text: &str) -> Result<Value, Error> {
    let parsed: serde_json::Value = serde_json::from_str(text.trim()).map_err(|e| {
        invalid(format!(
            "from_json: the text is not JSON ({e}): {}; a macro used as a value must print exactly one `{{{{ value }}}}`",
            shorten(text.trim())
        ))
    })?;
    Ok(Value::from(minijinja::value::Serde(parsed)))
}

/// At most 60 characters of `text`, for messages.
fn shorten(text: &str) -> String {
    let short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        format!("`{short}...`")
    } else {
        format!("`{short}`")
    }
}

/// `{{ values.config | to_yaml }}`: the value as YAML text (a string).
fn to_yaml(value: Value) -> Result<String, Error> {
    Ok(crate::shared::yaml::emit(&to_json_value(&value)?))
}

/// `{{ values.config | to_json }}`: the value as compact JSON text (a string).
fn to_json(value: Value) -> Result<String, Error> {
    Ok(to_json_value(&value)?.to_string())
}

fn b64encode(value: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(value)
}

fn b64decode(value: &str) -> Result<String, Error> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|e| invalid(format!("b64decode: not valid base64: {e}")))?;
    String::from_utf8(bytes).map_err(|_| invalid("b64decode: the decoded bytes are not UTF-8 text"))
}

/// `{{ values.config | to_json | sha256 }}`: hex SHA-256 of a string.
fn sha256(value: &str) -> String {
    crate::shared::digest::sha256_hex(value.as_bytes())
}

/// `{{ values.port | quote }}`: the value as a string (`8080` becomes `"8080"`),
/// for fields Kubernetes wants as strings such as env values and annotations.
fn quote(value: Value) -> Result<String, Error> {
    if value.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            "quote: the value is undefined",
        ));
    }
    Ok(match value.as_str() {
        Some(s) => s.to_string(),
        None if value.is_none() => String::new(),
        None if value.kind() == minijinja::value::ValueKind::Bool => value.is_true().to_string(),
        None => value.to_string(),
    })
}

/// `{{ values.host | required("set ingress.host") }}`: fails with the message
/// when the value is undefined, null or an empty string.
fn required(value: Value, message: Option<String>) -> Result<Value, Error> {
    if value.is_undefined() || value.is_none() || value.as_str() == Some("") {
        let message = message.unwrap_or_else(|| "a required value is missing".to_string());
        return Err(invalid(message));
    }
    Ok(value)
}

/// `{{ fail("ingress.tls needs ingress.host") }}`: stops rendering with the message.
fn fail(message: String) -> Result<Value, Error> {
    Err(invalid(message))
}

/// `{{ (release.name ~ "-" ~ suffix) | dns_name }}`: a valid DNS-1123 label of
/// at most `max` (default 63) characters. Invalid characters become `-`; a
/// name that must be shortened keeps a hash of the full name, so two long
/// names that share a prefix stay distinct.
fn dns_name(value: &str, max: Option<usize>) -> Result<String, Error> {
    let max = max.unwrap_or(63);
    if !(10..=253).contains(&max) {
        return Err(invalid(format!(
            "dns_name: max must be between 10 and 253, got {max}"
        )));
    }
    let mut name = String::new();
    for c in value.to_lowercase().chars() {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if !(c == '-' && (name.is_empty() || name.ends_with('-'))) {
            name.push(c);
        }
    }
    let name = name.trim_end_matches('-');
    if name.is_empty() {
        return Err(invalid(format!(
            "dns_name: {value:?} has no letters or digits to make a name from"
        )));
    }
    if name.len() <= max {
        return Ok(name.to_string());
    }
    let hash = &crate::shared::digest::sha256_hex(value.as_bytes())[..8];
    let prefix = name[..max - 9].trim_end_matches('-');
    Ok(format!("{prefix}-{hash}"))
}

/// `semver_matches(capabilities.kube_version, ">=1.21")`: whether a version
/// satisfies a constraint. `v1.21` and `1.21` are read as `1.21.0`.
fn semver_matches(version: &str, constraint: &str) -> Result<bool, Error> {
    let version = parse_version(version)?;
    let requirement = semver::VersionReq::parse(constraint).map_err(|e| {
        invalid(format!(
            "semver_matches: {constraint:?} is not a version constraint: {e}"
        ))
    })?;
    Ok(requirement.matches(&version))
}

/// Parses a version leniently, as Kubernetes versions are written (`v1.20`).
pub fn parse_version(text: &str) -> Result<semver::Version, Error> {
    let trimmed = text.trim().trim_start_matches('v');
    let parts = trimmed
        .split(['-', '+'])
        .next()
        .unwrap_or_default()
        .split('.')
        .count();
    let padded = match parts {
        1 => format!("{trimmed}.0.0"),
        2 => format!("{trimmed}.0"),
        _ => trimmed.to_string(),
    };
    semver::Version::parse(&padded).map_err(|e| invalid(format!("{text:?} is not a version: {e}")))
}

fn map_methods(
    _state: &mut State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    let is_map = value.kind() == minijinja::value::ValueKind::Map;
    if !is_map || !MAP_METHODS.contains(&method) {
        return Err(Error::new(
            ErrorKind::UnknownMethod,
            format!("{} has no method named {method}", value.kind()),
        ));
    }
    let keys = value.try_iter()?;
    Ok(match (method, args) {
        ("items", []) => Value::from(
            keys.map(|k| Value::from(vec![k.clone(), value.get_item(&k).unwrap_or_default()]))
                .collect::<Vec<_>>(),
        ),
        ("keys", []) => Value::from(keys.collect::<Vec<_>>()),
        ("values", []) => Value::from(
            keys.map(|k| value.get_item(&k).unwrap_or_default())
                .collect::<Vec<_>>(),
        ),
        ("get", [key]) | ("get", [key, _]) => match value.get_item(key) {
            Ok(found) if !found.is_undefined() => found,
            _ => args.get(1).cloned().unwrap_or(Value::from(())),
        },
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("wrong arguments for {method}()"),
            ))
        }
    })
}

/// `files`: the package's files outside `templates/`, read-only.
/// `files.get("conf/app.conf")` returns the text, `files.sha256(...)` its digest.
#[derive(Debug)]
pub struct Files(pub Arc<BTreeMap<String, Vec<u8>>>);

impl Files {
    fn lookup(&self, args: &[Value], method: &str) -> Result<&[u8], Error> {
        let [name] = args else {
            return Err(invalid(format!(
                "files.{method} takes one argument, the file's path in the package"
            )));
        };
        let name = name
            .as_str()
            .ok_or_else(|| invalid(format!("files.{method}: the path must be a string")))?;
        if name.starts_with("templates/") {
            return Err(invalid(format!(
                "files.{method}: `{name}` is a template; templates are not files"
            )));
        }
        self.0.get(name).map(Vec::as_slice).ok_or_else(|| {
            let hint =
                crate::shared::diagnostics::did_you_mean(name, self.0.keys().map(String::as_str))
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default();
            invalid(format!(
                "files.{method}: the package has no file `{name}`{hint}"
            ))
        })
    }
}

impl Object for Files {
    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "get" => {
                let bytes = self.lookup(args, method)?;
                let text = std::str::from_utf8(bytes).map_err(|_| {
                    invalid("files.get: the file is not UTF-8 text; use files.b64 for binary files")
                })?;
                Ok(Value::from(text))
            }
            "b64" => Ok(Value::from(
                base64::engine::general_purpose::STANDARD.encode(self.lookup(args, method)?),
            )),
            "sha256" => Ok(Value::from(crate::shared::digest::sha256_hex(
                self.lookup(args, method)?,
            ))),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("files has no method `{method}`; use get, b64 or sha256"),
            )),
        }
    }
}

/// The methods `files` answers.
pub const FILES_METHODS: [&str; 3] = ["get", "b64", "sha256"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_are_valid_and_distinct_when_shortened() {
        assert_eq!(dns_name("My_App.Web", None).unwrap(), "my-app-web");
        let long_a = dns_name(&format!("{}-a", "x".repeat(80)), None).unwrap();
        let long_b = dns_name(&format!("{}-b", "x".repeat(80)), None).unwrap();
        assert_eq!(long_a.len(), 63);
        assert_ne!(long_a, long_b);
        assert!(crate::shared::yaml::fields::is_dns_label(&long_a));
        assert_eq!(
            dns_name("__", None).unwrap_err().detail(),
            Some("dns_name: \"__\" has no letters or digits to make a name from")
        );
    }

    #[test]
    fn semver_matching_reads_kubernetes_versions() {
        assert!(semver_matches("v1.21", ">=1.21").unwrap());
        assert!(!semver_matches("1.20.2", ">=1.21.0").unwrap());
        assert!(semver_matches("1.20", ">>1").is_err());
    }

    #[test]
    fn base64_round_trips_and_reports_bad_input() {
        assert_eq!(b64decode(&b64encode("héllo")).unwrap(), "héllo");
        assert!(b64decode("***")
            .unwrap_err()
            .detail()
            .unwrap()
            .starts_with("b64decode: not valid base64"));
    }

    #[test]
    fn quote_turns_scalars_into_strings() {
        assert_eq!(quote(Value::from(8080)).unwrap(), "8080");
        assert_eq!(quote(Value::from(true)).unwrap(), "true");
        assert_eq!(quote(Value::from("x")).unwrap(), "x");
    }
}
