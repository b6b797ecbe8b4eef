//! Executing a chart's templates as Helm's engine does: every template of
//! the chart and its subcharts in one Go template set (parsed deepest
//! first, so a parent's `define` wins), each executed with its own chart's
//! data (`.Values` scoped to the subchart, `.Chart`, `.Files`, `.Release`,
//! `.Capabilities`, `.Subcharts`, `.Template`), partials (`_*`) and
//! library charts only defining templates, and `<no value>` blanked.
//!
//! Errors point at `chart/templates/x.yaml:LINE:COL` with the source line.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use base64::Engine as _;
use gotmpl::{Func, Object, Templates, Value};

use super::files::{File, Files};
use super::lookup::{self, Answers, LookupKey};
use super::Chart;
use crate::shared::diagnostics::{Diagnostic, Diagnostics, Origin, Source};
use crate::shared::glob::Glob;
use crate::shared::yaml::{self, Dialect};

/// The Helm version whose behaviour cleat follows, as templates see it in
/// `.Capabilities.HelmVersion`.
pub const HELM_VERSION: &str = "v4.1.4";

/// The API versions `.Capabilities.APIVersions` holds without a cluster
/// (those Helm 4.1 knows), before `--api-versions` adds to them.
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "autoscaling/v2beta1",
    "autoscaling/v2beta2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha1",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// The release a chart is rendered for.
#[derive(Debug, Clone)]
pub struct Release {
    pub name: String,
    pub namespace: String,
    pub revision: i64,
    pub is_upgrade: bool,
    /// `1.30.2` or `v1.30.2`.
    pub kube_version: String,
    /// Added to [`DEFAULT_API_VERSIONS`] (`group/version` or
    /// `group/version/Kind`).
    pub api_versions: Vec<String>,
    /// What `now` gives, in Unix seconds: the release's time, never the
    /// clock, so that rendering again gives the same bytes.
    pub time: i64,
    /// Makes the release's random values its own: without it they follow
    /// from its name and namespace, which anyone can compute.
    pub random_key: Option<RandomKey>,
    /// What `lookup` finds; every other key finds nothing, as offline.
    pub lookups: Arc<Answers>,
}

/// A secret mixed into the seed of a release's random functions.
#[derive(Clone)]
pub struct RandomKey(pub String);

impl std::fmt::Debug for RandomKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RandomKey(hidden)")
    }
}

/// How to give a release a random key, for messages.
pub const RANDOM_KEY_HINT: &str = "pass `--random-key file:PATH` (or `env:NAME`) with a secret of at least 32 characters, such as `openssl rand -hex 32`, kept with your other secrets";

/// What Go's templates print for a missing value.
const NO_VALUE: &str = "<no value>";

/// The executed templates of a chart, and what rendering warns about.
#[derive(Debug)]
pub struct Executed {
    pub outputs: Vec<Output>,
    pub warnings: Vec<Diagnostic>,
    /// Every key the templates looked up, answered or not.
    pub lookups: BTreeSet<LookupKey>,
}

/// One executed template: its source and what it printed.
#[derive(Debug, Clone)]
pub struct Output {
    /// The template's full name (`chart/charts/sub/templates/x.yaml`).
    pub name: String,
    pub template: Arc<Source>,
    pub text: String,
}

/// A template to parse and, unless a partial, to execute.
struct Job {
    name: String,
    source: Arc<Source>,
    data: Value,
    base_path: String,
    execute: bool,
}

/// Executes every template of `chart` (whose dependencies are already
/// enabled) with the coalesced `values`.
pub fn render(
    chart: &Chart,
    values: &serde_json::Value,
    release: &Release,
) -> Result<Executed, Diagnostics> {
    let jobs = prepare(chart, values, release)?;
    let mut set = templates();
    let random = sprig::random::register(&mut set, seed(release));
    sprig::time::register(&mut set, release.time);
    let asked = lookup::register(&mut set, Arc::clone(&release.lookups));
    let files: Vec<(String, Arc<str>)> = jobs
        .iter()
        .map(|job| (job.name.clone(), Arc::clone(&job.source.text)))
        .collect();
    let mut problems: Vec<Diagnostic> = set
        .parse_all(&files)
        .iter()
        .map(|error| diagnostic(error, &jobs))
        .collect();
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }
    let results = match side_by_side(&set, &jobs) {
        Some(results) => results,
        None => {
            // A template wrote into data the others share (`set .Values
            // ...`): what each sees depends on Helm's order, so all run
            // again in it, from fresh data.
            random.reset();
            one_by_one(&set, &prepare(chart, values, release)?)
        }
    };
    let mut outputs = Vec::new();
    for (job, result) in jobs.iter().filter(|j| j.execute).zip(results) {
        match result {
            Ok(text) => outputs.push(Output {
                name: job.name.clone(),
                template: Arc::clone(&job.source),
                // Helm removes what Go prints for a missing value; most
                // outputs have none, and are not copied.
                text: if text.contains(NO_VALUE) {
                    text.replace(NO_VALUE, "")
                } else {
                    text
                },
            }),
            Err(error) => problems.push(diagnostic(&error, &jobs)),
        }
    }
    outputs.sort_by(|a, b| a.name.cmp(&b.name));
    let warnings = random
        .first_secret()
        .map(|(function, site)| predictable(function, &site, &jobs))
        .into_iter()
        .collect();
    Diagnostics::check(
        problems,
        Executed {
            outputs,
            warnings,
            lookups: asked.keys(),
        },
    )
}

/// The templates of `chart` and its subcharts to parse and execute, in
/// Helm's order, with their data.
fn prepare(
    chart: &Chart,
    values: &serde_json::Value,
    release: &Release,
) -> Result<Vec<Job>, Diagnostics> {
    let capabilities = capabilities(release)?;
    let release_data = Value::map([
        ("Name", Value::from(release.name.as_str())),
        ("Namespace", Value::from(release.namespace.as_str())),
        ("Revision", Value::Int(release.revision)),
        ("IsUpgrade", Value::Bool(release.is_upgrade)),
        ("IsInstall", Value::Bool(!release.is_upgrade)),
        ("Service", Value::from("Helm")),
    ]);
    let mut jobs = Vec::new();
    let values = sprig::helm::from_json(values);
    collect(
        chart,
        chart.name(),
        true,
        &values,
        &release_data,
        &capabilities,
        &mut jobs,
    );
    // Helm parses deeper templates first, then by name in reverse, so that
    // the outermost chart's definitions are parsed last and win.
    jobs.sort_by(|a, b| {
        let depth = |n: &str| n.matches('/').count();
        depth(&b.name)
            .cmp(&depth(&a.name))
            .then_with(|| b.name.cmp(&a.name))
    });
    Ok(jobs)
}

/// `.Template` of a job.
fn template_data(job: &Job) -> Value {
    Value::map([
        ("Name", Value::from(job.name.as_str())),
        ("BasePath", Value::from(job.base_path.as_str())),
    ])
}

/// Executes the templates of `jobs` on every core, each with its own copy
/// of its chart's top-level map, the data they share frozen; `None` when
/// one of them wrote into that data, since then the others' output may
/// depend on the order.
fn side_by_side(set: &Templates, jobs: &[Job]) -> Option<Vec<Result<String, gotmpl::Error>>> {
    let runs: Vec<(&Job, Value)> = jobs
        .iter()
        .filter(|job| job.execute)
        .map(|job| {
            let data = match &job.data {
                Value::Map(shared) => {
                    let own = shared.copy();
                    own.insert("Template".into(), template_data(job));
                    Value::Map(own)
                }
                other => other.clone(),
            };
            (job, data)
        })
        .collect();
    let mut frozen = Vec::new();
    for (_, data) in &runs {
        data.freeze(&mut frozen);
    }
    // A template's text stands for what it costs to run.
    let results = crate::shared::parallel::map_sized(
        &runs,
        |(job, _)| job.source.text.len(),
        |(job, data)| set.execute(&job.name, data),
    );
    match frozen.iter().any(gotmpl::Dict::written) {
        true => None,
        false => Some(results),
    }
}

/// Executes the templates of `jobs` in Helm's order, each seeing what the
/// ones before wrote, as in Helm: one top-level map per chart, its
/// `.Template` set for each.
fn one_by_one(set: &Templates, jobs: &[Job]) -> Vec<Result<String, gotmpl::Error>> {
    jobs.iter()
        .filter(|job| job.execute)
        .map(|job| {
            if let Value::Map(data) = &job.data {
                data.insert("Template".into(), template_data(job));
            }
            set.execute(&job.name, &job.data)
        })
        .collect()
}

/// The warning that a random value, maybe a secret, follows from the
/// release's name: at the first call that drew one.
fn predictable(function: &str, site: &gotmpl::Site, jobs: &[Job]) -> Diagnostic {
    let warning = Diagnostic::warning(format!(
        "`{function}` (and any other random function) draws from the release's name and namespace alone: its values are stable, but anyone who knows the release can compute them, so they are not secret"
    ))
    .hint(format!("if one is a password or a token, {RANDOM_KEY_HINT}"));
    match jobs.iter().find(|job| job.name == site.file) {
        Some(job) => warning.at(Origin::spanning(&job.source, site.offset..site.offset)),
        None => warning.about(site.file.clone()),
    }
}

/// The jobs of `chart` at `path` and of its subcharts; returns the chart's
/// data, which its parent sees in `.Subcharts`.
fn collect(
    chart: &Chart,
    path: &str,
    is_root: bool,
    values: &Value,
    release: &Value,
    capabilities: &Value,
    jobs: &mut Vec<Job>,
) -> Value {
    let subcharts = Value::map([]);
    let data = Value::map([
        (
            "Chart",
            sprig::helm::from_json(&chart.metadata.template_data(is_root)),
        ),
        ("Files", files(Arc::clone(&chart.files))),
        ("Release", release.clone()),
        ("Capabilities", capabilities.clone()),
        ("Values", values.clone()),
        ("Subcharts", subcharts.clone()),
    ]);
    if let (Value::Map(subs), Value::Map(own)) = (&subcharts, values) {
        for sub in &chart.dependencies {
            let scoped = match own.get(sub.name()) {
                Some(Value::Map(map)) => Value::Map(map),
                _ => Value::map([]),
            };
            let inner = format!("{path}/charts/{}", sub.name());
            let sub_data = collect(sub, &inner, false, &scoped, release, capabilities, jobs);
            subs.insert(sub.name().to_string(), sub_data);
        }
    }
    for template in &chart.templates {
        let base = template.name.rsplit('/').next().unwrap_or_default();
        let partial = base.starts_with('_');
        if chart.is_library() && !partial {
            continue;
        }
        let name = format!("{path}/{}", relative(&template.name));
        // NOTES.txt is for people, not objects: Helm renders only the root's.
        let notes = name.ends_with("NOTES.txt");
        jobs.push(Job {
            name,
            source: Arc::clone(template),
            data: data.clone(),
            base_path: format!("{path}/templates"),
            execute: !partial && !notes,
        });
    }
    data
}

/// `templates/x.yaml` of a source named `chart/templates/x.yaml`.
fn relative(name: &str) -> &str {
    name.find("templates/").map_or(name, |at| &name[at..])
}

/// The seed of a release's random functions: its namespace, name and
/// random key, so every render of one release draws the same values, two
/// releases draw different ones, and only the key's holders can compute
/// them. Without a key the seed is public.
fn seed(release: &Release) -> sprig::random::Seed {
    let mut bytes = format!(
        "cleat chart release\0{}\0{}",
        release.namespace, release.name
    )
    .into_bytes();
    if let Some(key) = &release.random_key {
        bytes.push(0);
        bytes.extend_from_slice(key.0.as_bytes());
    }
    sprig::random::Seed {
        bytes,
        public: match release.random_key {
            Some(_) => None,
            None => Some(RANDOM_KEY_HINT.to_string()),
        },
        time: release.time,
    }
}

/// A gotmpl error as a diagnostic at its template line.
fn diagnostic(error: &gotmpl::Error, jobs: &[Job]) -> Diagnostic {
    let message = error
        .message
        .strip_prefix(&format!("executing \"{}\" at ", error.template))
        .unwrap_or(&error.message);
    // `fail` and `required` carry the chart author's message: Helm shows
    // it alone, as an execution error at the call.
    let message = ["error calling fail: ", "error calling required: "]
        .iter()
        .find_map(|prefix| message.split_once(prefix).map(|(_, m)| m))
        .unwrap_or(message)
        .to_string();
    let diagnostic = Diagnostic::error(message);
    match jobs.iter().find(|job| job.name == error.template) {
        Some(job) if error.line > 0 => {
            diagnostic.at(Origin::new(&job.source, error.line, error.col.max(1)))
        }
        _ => diagnostic.about(error.template.clone()),
    }
}

/// A set with every function a chart may call, for parsing templates
/// without rendering them (`cleat lint`).
pub fn parser() -> Templates {
    let mut set = templates();
    let seed = sprig::random::Seed {
        bytes: Vec::new(),
        public: Some(RANDOM_KEY_HINT.to_string()),
        time: 0,
    };
    sprig::random::register(&mut set, seed);
    sprig::time::register(&mut set, 0);
    lookup::register(&mut set, Arc::default());
    set
}

/// A template set with Go's built-ins, sprig's functions and Helm's.
fn templates() -> Templates {
    let mut set = Templates::new();
    sprig::register(&mut set);
    set.include_and_tpl();
    let func = |f: fn(&[Value]) -> Result<Value, String>| -> Func { Arc::new(f) };
    set.func("fromYaml", func(|a| match a {
        [v] => Ok(match from_yaml(&sprig::text(v)) {
            Ok(json @ serde_json::Value::Object(_)) => sprig::helm::from_json(&json),
            Ok(serde_json::Value::Null) => Value::map([]),
            Ok(_) => Value::map([("Error", Value::from("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal into Go value of type map[string]interface {}"))]),
            Err(message) => Value::map([("Error", Value::String(message))]),
        }),
        _ => Err(format!("wrong number of args for fromYaml: want 1 got {}", a.len())),
    }));
    set.func("fromYamlArray", func(|a| match a {
        [v] => Ok(match from_yaml(&sprig::text(v)) {
            Ok(json @ serde_json::Value::Array(_)) => sprig::helm::from_json(&json),
            Ok(serde_json::Value::Null) => Value::List(Vec::new()),
            Ok(_) => Value::List(vec![Value::from("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal into Go value of type []interface {}")]),
            Err(message) => Value::List(vec![Value::String(message)]),
        }),
        _ => Err(format!("wrong number of args for fromYamlArray: want 1 got {}", a.len())),
    }));
    set
}

/// YAML text as Helm's fromYaml reads it (YAML 1.1, through JSON).
fn from_yaml(text: &str) -> Result<serde_json::Value, String> {
    let source = Source::new("fromYaml", text);
    yaml::parse_document_as(&source, Dialect::Yaml11)
        .map(yaml::Node::into_json)
        .map_err(|d| format!("error converting YAML to JSON: {}", d.message))
}

/// `.Capabilities` for `release`.
fn capabilities(release: &Release) -> Result<Value, Diagnostics> {
    let version = release.kube_version.trim_start_matches('v');
    let parts: Vec<&str> = version.split(['.', '-', '+']).collect();
    let (major, minor) = match parts.as_slice() {
        [major, minor, ..] if major.parse::<u64>().is_ok() && minor.parse::<u64>().is_ok() => {
            (*major, *minor)
        }
        _ => {
            return Err(Diagnostic::error(format!(
                "`{}` is not a Kubernetes version",
                release.kube_version
            ))
            .hint("write MAJOR.MINOR.PATCH, as `--kube-version 1.30.2`")
            .into())
        }
    };
    let full = format!("v{version}");
    let kube = Object::new(
        Value::map([
            ("Version", Value::from(full.as_str())),
            ("Major", Value::from(major)),
            ("Minor", Value::from(minor)),
            ("GitVersion", Value::from(full.as_str())),
        ]),
        BTreeMap::new(),
    )
    .shown(full.clone());
    let mut versions: Vec<String> = DEFAULT_API_VERSIONS.iter().map(|v| v.to_string()).collect();
    versions.extend(release.api_versions.iter().cloned());
    let known = Arc::new(versions.clone());
    let mut methods: BTreeMap<&'static str, Func> = BTreeMap::new();
    methods.insert(
        "Has",
        Arc::new(move |a: &[Value]| match a {
            [Value::String(wanted)] => Ok(Value::Bool(known.iter().any(|v| v == wanted))),
            [other] => Err(format!(
                "wrong type for value; expected string; got {}",
                other.type_name()
            )),
            _ => Err(format!(
                "wrong number of args for Has: want 1 got {}",
                a.len()
            )),
        }),
    );
    let api_versions = Object::new(
        Value::List(versions.into_iter().map(Value::String).collect()),
        methods,
    );
    Ok(Value::map([
        ("KubeVersion", Value::Object(Arc::new(kube))),
        ("APIVersions", Value::Object(Arc::new(api_versions))),
        (
            "HelmVersion",
            Value::map([
                ("Version", Value::from(HELM_VERSION)),
                ("GitCommit", Value::from("")),
                ("GitTreeState", Value::from("")),
                ("GoVersion", Value::from("")),
            ]),
        ),
    ]))
}

/// `.Files` (or what `.Files.Glob` returns): the files, with Helm's
/// methods `Get`, `GetBytes`, `Glob`, `AsConfig`, `AsSecrets`, `Lines`.
/// As a map (`index .Files "x"`, `range`) it is made on first use: charts
/// reach files through the methods, and a chart's files can be megabytes.
fn files(files: Arc<Files>) -> Value {
    let text = |file: &File| -> Result<String, String> {
        Ok(String::from_utf8_lossy(file.bytes()?).into_owned())
    };
    let value = {
        let files = Arc::clone(&files);
        move || {
            Value::Map(
                files
                    .iter()
                    .map(|(name, file)| {
                        let content = text(file).unwrap_or_else(|message| message);
                        (name.clone(), Value::String(content))
                    })
                    .collect(),
            )
        }
    };
    let mut methods: BTreeMap<&'static str, Func> = BTreeMap::new();
    let get: Func = {
        let files = Arc::clone(&files);
        Arc::new(move |a: &[Value]| {
            let [Value::String(name)] = a else {
                return Err(format!(
                    "wrong number of args for Get: want 1 got {}",
                    a.len()
                ));
            };
            Ok(match files.get(name) {
                Some(file) => Value::bytes(file.bytes()?),
                None => Value::from(""),
            })
        })
    };
    methods.insert("Get", Arc::clone(&get));
    methods.insert("GetBytes", Arc::clone(&get));
    methods.insert(
        "Lines",
        Arc::new(move |a: &[Value]| {
            let text = sprig::text(&get(a)?);
            if text.is_empty() {
                return Ok(Value::List(Vec::new()));
            }
            let text = text.strip_suffix('\n').unwrap_or(&text);
            Ok(Value::List(text.split('\n').map(Value::from).collect()))
        }),
    );
    {
        let files = Arc::clone(&files);
        methods.insert(
            "Glob",
            Arc::new(move |a: &[Value]| {
                let [Value::String(pattern)] = a else {
                    return Err(format!(
                        "wrong number of args for Glob: want 1 got {}",
                        a.len()
                    ));
                };
                let glob = Glob::new(pattern)?;
                let matched = files
                    .iter()
                    .filter(|(name, _)| glob.matches(name))
                    .map(|(name, file)| (name.clone(), Arc::clone(file)))
                    .collect();
                Ok(self::files(Arc::new(matched)))
            }),
        );
    }
    // `AsConfig` and `AsSecrets`: the files by base name, as YAML.
    let by_base = Arc::new(move |encode: bool| -> Result<Value, String> {
        if files.is_empty() {
            return Ok(Value::from(""));
        }
        let mut entries = Vec::new();
        for (name, file) in files.iter() {
            let base = name.rsplit('/').next().unwrap_or(name).to_string();
            let content = if encode {
                base64::engine::general_purpose::STANDARD.encode(file.bytes()?)
            } else {
                text(file)?
            };
            entries.push((base, Value::String(content)));
        }
        let yaml = sprig::helm::to_yaml(&Value::Map(entries.into_iter().collect()));
        Ok(Value::String(yaml.trim_end_matches('\n').to_string()))
    });
    {
        let by_base = Arc::clone(&by_base);
        methods.insert("AsConfig", Arc::new(move |_: &[Value]| by_base(false)));
    }
    methods.insert("AsSecrets", Arc::new(move |_: &[Value]| by_base(true)));
    Value::Object(Arc::new(Object::lazy(value, methods)))
}
