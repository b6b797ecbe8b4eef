//! The cluster: kubeconfig and contexts read as kubectl reads them, a client,
//! discovery of each apiVersion/kind's resource and scope (once per run),
//! retries of transient failures, and API errors as users read them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use kube::api::DynamicObject;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{ApiResource, Scope};
use kube::{Api, Client};

use crate::shared::diagnostics::Diagnostic;

/// A connected cluster.
pub struct Cluster {
    pub client: Client,
    /// The context's name, for messages.
    pub context: String,
    /// The kubeconfig user of the context.
    user: Option<String>,
    resources: Mutex<HashMap<(String, String), Option<Resource>>>,
}

/// Where objects of one kind live in the API.
#[derive(Debug, Clone)]
pub struct Resource {
    pub api: ApiResource,
    pub namespaced: bool,
}

/// Attempts for a request that fails transiently (429, 5xx, connection errors).
const ATTEMPTS: u32 = 5;

/// Connects with the kubeconfig at `path` (else `KUBECONFIG`, else
/// `~/.kube/config`) and `context` (else the current context).
pub async fn connect(path: Option<&Path>, context: Option<&str>) -> Result<Cluster, Diagnostic> {
    let kubeconfig = match path {
        Some(path) => Kubeconfig::read_from(path).map_err(|e| {
            Diagnostic::error(format!("cannot read kubeconfig `{}`: {e}", path.display()))
        })?,
        None => Kubeconfig::read().map_err(|e| {
            Diagnostic::error(format!("cannot read a kubeconfig: {e}"))
                .hint("set KUBECONFIG or pass --kubeconfig PATH")
        })?,
    };
    let name = context
        .map(str::to_string)
        .or_else(|| kubeconfig.current_context.clone())
        .unwrap_or_default();
    if let Some(context) = context {
        if !kubeconfig.contexts.iter().any(|c| c.name == context) {
            let names: Vec<&str> = kubeconfig
                .contexts
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            return Err(
                Diagnostic::error(format!("the kubeconfig has no context `{context}`"))
                    .maybe_hint(crate::shared::diagnostics::did_you_mean(
                        context,
                        names.iter().copied(),
                    ))
                    .hint(format!("contexts: {}", names.join(", "))),
            );
        }
    }
    let user = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.user.clone());
    let options = KubeConfigOptions {
        context: context.map(str::to_string),
        ..KubeConfigOptions::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| Diagnostic::error(format!("cannot use context `{name}`: {e}")))?;
    config.connect_timeout = Some(Duration::from_secs(10));
    config.read_timeout = Some(Duration::from_secs(60));
    let client = Client::try_from(config)
        .map_err(|e| Diagnostic::error(format!("cannot use context `{name}`: {e}")))?;
    Ok(Cluster {
        client,
        context: name,
        user,
        resources: Mutex::new(HashMap::new()),
    })
}

/// Where clusters are: a kubeconfig (`--kubeconfig`) and a context
/// (`--context`) that wins over each release's own.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub kubeconfig: Option<std::path::PathBuf>,
    pub context: Option<String>,
}

impl Connection {
    /// The context to use for a release whose own is `context`.
    pub fn context_for(&self, context: Option<&str>) -> Option<String> {
        self.context.as_deref().or(context).map(str::to_string)
    }

    /// Connects to the cluster of the `--context`, else of `context` (a
    /// release's own), else of the current context.
    pub async fn connect(&self, context: Option<&str>) -> Result<Cluster, Diagnostic> {
        connect(
            self.kubeconfig.as_deref(),
            self.context_for(context).as_deref(),
        )
        .await
    }
}

impl Cluster {
    /// The resource serving `api_version`/`kind`, or `None` when the cluster
    /// has no such kind.
    pub async fn resource(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<Option<Resource>, Diagnostic> {
        let key = (api_version.to_string(), kind.to_string());
        if let Some(known) = self.lock().get(&key) {
            return Ok(known.clone());
        }
        let (group, version) = match api_version.split_once('/') {
            Some((group, version)) => (group, version),
            None => ("", api_version),
        };
        let gvk = kube::api::GroupVersionKind::gvk(group, version, kind);
        let found = match retry(|| kube::discovery::pinned_kind(&self.client, &gvk)).await {
            Ok((api, capabilities)) => Some(Resource {
                api,
                namespaced: capabilities.scope == Scope::Namespaced,
            }),
            Err(kube::Error::Api(e)) if e.code == 404 => None,
            Err(kube::Error::Discovery(_)) => None,
            Err(e) => return Err(self.error(&format!("discovering {api_version} {kind}"), &e)),
        };
        self.lock().insert(key, found.clone());
        Ok(found)
    }

    /// The resource of a kind cleat itself needs (Namespace, Secret, Lease):
    /// a cluster without it is an error.
    pub async fn served(&self, api_version: &str, kind: &str) -> Result<Resource, Diagnostic> {
        self.resource(api_version, kind)
            .await?
            .ok_or_else(|| Diagnostic::error(format!("the cluster serves no {api_version} {kind}")))
    }

    /// Records a resource the cluster will serve once a CRD in the same
    /// apply is established.
    pub fn expect(&self, api_version: &str, kind: &str, resource: Resource) {
        self.lock()
            .insert((api_version.to_string(), kind.to_string()), Some(resource));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Option<Resource>>> {
        self.resources
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The API for `resource` in `namespace` (ignored for cluster-scoped kinds).
    pub fn api(&self, resource: &Resource, namespace: Option<&str>) -> Api<DynamicObject> {
        match (resource.namespaced, namespace) {
            (true, Some(namespace)) => {
                Api::namespaced_with(self.client.clone(), namespace, &resource.api)
            }
            _ => Api::all_with(self.client.clone(), &resource.api),
        }
    }

    /// Who the API server takes this client for: the username a
    /// SelfSubjectReview returns (Kubernetes 1.27 and later), else the
    /// context's kubeconfig user.
    pub async fn identity(&self) -> String {
        for api_version in ["authentication.k8s.io/v1", "authentication.k8s.io/v1beta1"] {
            let Ok(Some(resource)) = self.resource(api_version, "SelfSubjectReview").await else {
                continue;
            };
            let review = serde_json::json!({"apiVersion": api_version, "kind": "SelfSubjectReview", "metadata": {}});
            let Ok(review) = serde_json::from_value::<DynamicObject>(review) else {
                continue;
            };
            let api = self.api(&resource, None);
            if let Ok(answer) = api.create(&Default::default(), &review).await {
                if let Some(name) = answer.data["status"]["userInfo"]["username"].as_str() {
                    return name.to_string();
                }
            }
        }
        match &self.user {
            Some(user) => format!("kubeconfig user `{user}`"),
            None => "an unnamed kubeconfig user".to_string(),
        }
    }

    /// A request failure as a diagnostic: what was being done, and why it failed.
    pub fn error(&self, doing: &str, error: &kube::Error) -> Diagnostic {
        let diagnostic = Diagnostic::error(format!("{doing}: {}", describe(error)));
        match error {
            kube::Error::Api(e) if e.code == 403 => diagnostic.hint(format!(
                "the user of context `{}` may not do this; ask for RBAC permission, or use another context",
                self.context
            )),
            kube::Error::Api(_) => diagnostic,
            _ => diagnostic.hint(format!(
                "is the API server of context `{}` reachable? cleat retried {ATTEMPTS} times",
                self.context
            )),
        }
    }
}

/// The condition `kind` of an object's `status`, when it is `True`.
pub fn condition<'a>(status: &'a serde_json::Value, kind: &str) -> Option<&'a serde_json::Value> {
    status["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind && c["status"] == "True")
}

/// An API error as users read it: the server's own message and code, or the
/// transport failure.
pub fn describe(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(e) => format!("{} ({} {})", summary(&e.message), e.code, e.reason),
        other => {
            let mut text = other.to_string();
            let mut cause = std::error::Error::source(other);
            while let Some(inner) = cause {
                let part = inner.to_string();
                if !text.contains(&part) {
                    text.push_str(&format!(": {part}"));
                }
                cause = inner.source();
            }
            text
        }
    }
}

/// The server's message with Go value dumps left out: `Deployment.apps "web"
/// is invalid: spec.selector: Invalid value: v1.LabelSelector{...}: field is
/// immutable` becomes `Deployment.apps "web" is invalid: spec.selector: field
/// is immutable`.
fn summary(message: &str) -> String {
    static DUMP: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let dump = DUMP.get_or_init(|| {
        regex::Regex::new(
            r"(?P<field>[A-Za-z0-9_.\[\]-]+): Invalid value: [A-Za-z0-9_.]+\{.*?\}: field is immutable",
        )
        .expect("a valid pattern")
    });
    dump.replace_all(message, "$field: field is immutable")
        .into_owned()
}

/// Whether a failure may pass if the request is repeated.
pub fn is_transient(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(e) => e.code == 429 || e.code >= 500,
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

/// Runs `request`, repeating it with exponential backoff (0.2 s, 0.4 s, ...)
/// while it fails transiently, at most `ATTEMPTS` times.
pub async fn retry<T, F, Fut>(mut request: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kube::Error>>,
{
    let mut delay = Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        match request().await {
            Err(e) if attempt < ATTEMPTS && is_transient(&e) => {
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            result => return result,
        }
    }
}
