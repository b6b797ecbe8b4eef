//! Locking: one `coordination.k8s.io/v1` Lease per release, so two applies
//! of the same release never run at once.
//!
//! The Lease `cleat-release-NAME` in the release's namespace names its
//! holder (user, host and process) and is renewed every few seconds while
//! the apply runs. A second apply fails at once, saying who holds the lease
//! and since when; a lease whose holder stopped renewing it expires after
//! [`DURATION_SECONDS`] and is taken over.

use std::time::{Duration, SystemTime};

use kube::api::{DeleteParams, Patch, PatchParams, PostParams};

use crate::cluster::client::{retry, Cluster, Resource};
use crate::shared::diagnostics::Diagnostic;

/// How long a lease holds without renewal.
pub const DURATION_SECONDS: u64 = 30;
/// How often a held lease is renewed.
const RENEW_EVERY: Duration = Duration::from_secs(10);

/// A lease this process holds; renewed in the background until released.
pub struct Held {
    name: String,
    namespace: String,
    resource: Resource,
    renewer: tokio::task::JoinHandle<()>,
    /// The holder whose expired lease was taken over, if any.
    pub took_over: Option<String>,
}

/// The lease's name for `release`.
pub fn name(release: &str) -> String {
    format!("cleat-release-{release}")
}

/// Who runs cleat: `user@host`.
pub fn operator() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    format!("{user}@{host}")
}

/// This process as a lease holder: user, host and process id.
pub fn identity() -> String {
    format!("{} pid {}", operator(), std::process::id())
}

fn now() -> String {
    humantime::format_rfc3339_micros(SystemTime::now()).to_string()
}

/// Takes the lease of `release` in `namespace` (which must exist).
pub async fn acquire(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
) -> Result<Held, Diagnostic> {
    let resource = cluster.served("coordination.k8s.io/v1", "Lease").await?;
    let api = cluster.api(&resource, Some(namespace));
    let lease_name = name(release);
    let me = identity();
    let body = |resource_version: Option<&str>| {
        let mut body = serde_json::json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": lease_name, "namespace": namespace,
                "labels": {crate::cluster::ownership::RELEASE_LABEL: release}},
            "spec": {
                "holderIdentity": me,
                "leaseDurationSeconds": DURATION_SECONDS,
                "acquireTime": now(),
                "renewTime": now(),
            },
        });
        if let Some(version) = resource_version {
            body["metadata"]["resourceVersion"] = version.into();
        }
        body
    };
    let busy = |holder: &str, since: &str, renewed: &str| {
        Diagnostic::error(format!(
            "release `{release}` is being applied by {holder} since {since} (lease {namespace}/{lease_name}, last renewed {renewed})"
        ))
        .hint(format!(
            "wait until that apply ends; if its holder died, the lease expires {DURATION_SECONDS} s after its last renewal and cleat takes it over"
        ))
    };
    let mut took_over = None;
    let existing = retry(|| api.get_opt(&lease_name))
        .await
        .map_err(|e| cluster.error(&format!("reading lease {namespace}/{lease_name}"), &e))?;
    let result = match existing {
        None => {
            let object: kube::api::DynamicObject =
                serde_json::from_value(body(None)).map_err(|e| Diagnostic::error(e.to_string()))?;
            api.create(&PostParams::default(), &object).await
        }
        Some(lease) => {
            let spec = &lease.data["spec"];
            let holder = spec["holderIdentity"].as_str().unwrap_or("someone");
            let renewed = spec["renewTime"].as_str().unwrap_or_default();
            let since = spec["acquireTime"].as_str().unwrap_or(renewed);
            let duration = spec["leaseDurationSeconds"]
                .as_u64()
                .unwrap_or(DURATION_SECONDS);
            let expired = humantime::parse_rfc3339_weak(renewed)
                .map(|at| at + Duration::from_secs(duration) < SystemTime::now())
                .unwrap_or(true);
            if holder != me && !expired {
                return Err(busy(holder, since, renewed));
            }
            if holder != me {
                took_over = Some(holder.to_string());
            }
            let object: kube::api::DynamicObject =
                serde_json::from_value(body(lease.metadata.resource_version.as_deref()))
                    .map_err(|e| Diagnostic::error(e.to_string()))?;
            api.replace(&lease_name, &PostParams::default(), &object)
                .await
        }
    };
    match result {
        Ok(_) => {}
        // Someone else created or renewed it between our read and write.
        Err(kube::Error::Api(e)) if e.code == 409 => {
            let lease = api
                .get(&lease_name)
                .await
                .map_err(|e| cluster.error("reading the lease", &e))?;
            let spec = &lease.data["spec"];
            let renewed = spec["renewTime"].as_str().unwrap_or_default();
            return Err(busy(
                spec["holderIdentity"].as_str().unwrap_or("someone"),
                spec["acquireTime"].as_str().unwrap_or(renewed),
                renewed,
            ));
        }
        Err(e) => return Err(cluster.error(&format!("taking lease {namespace}/{lease_name}"), &e)),
    }
    let renew_api = api.clone();
    let renew_name = lease_name.clone();
    let renewer = tokio::spawn(async move {
        loop {
            tokio::time::sleep(RENEW_EVERY).await;
            let patch = serde_json::json!({"spec": {"renewTime": now()}});
            let _ = renew_api
                .patch(&renew_name, &PatchParams::default(), &Patch::Merge(&patch))
                .await;
        }
    });
    Ok(Held {
        name: lease_name,
        namespace: namespace.to_string(),
        resource,
        renewer,
        took_over,
    })
}

/// Stops renewing the lease and deletes it.
pub async fn release(cluster: &Cluster, held: Held) -> Result<(), Diagnostic> {
    held.renewer.abort();
    let api = cluster.api(&held.resource, Some(&held.namespace));
    let params = DeleteParams::default();
    match retry(|| api.delete(&held.name, &params)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => {
            let diagnostic = cluster.error(
                &format!("releasing lease {}/{}", held.namespace, held.name),
                &e,
            );
            Err(match e {
                kube::Error::Api(_) => diagnostic,
                _ => diagnostic.hint(format!(
                    "the lease expires {DURATION_SECONDS} s after its last renewal, and the next apply takes it over"
                )),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releasing_without_an_api_server_says_when_the_lease_expires() {
        let dir = std::env::temp_dir().join(format!("cleat-lease-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kubeconfig");
        // Nothing listens on port 9 of the loopback: every request is refused.
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster: {server: 'https://127.0.0.1:9', insecure-skip-tls-verify: true}\nusers:\n- name: nobody\n  user: {token: x}\ncontexts:\n- name: gone\n  context: {cluster: gone, user: nobody}\ncurrent-context: gone\n",
        )
        .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let message = runtime.block_on(async {
            let cluster = crate::cluster::client::connect(Some(&path), None)
                .await
                .unwrap();
            let gvk = kube::api::GroupVersionKind::gvk("coordination.k8s.io", "v1", "Lease");
            let held = Held {
                name: name("shop"),
                namespace: "shop".into(),
                resource: Resource {
                    api: kube::discovery::ApiResource::from_gvk_with_plural(&gvk, "leases"),
                    namespaced: true,
                },
                renewer: tokio::spawn(async {}),
                took_over: None,
            };
            release(&cluster, held).await.unwrap_err().render(false)
        });
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            message.starts_with("error: releasing lease shop/cleat-release-shop: "),
            "{message}"
        );
        assert!(
            message.contains(
                "the lease expires 30 s after its last renewal, and the next apply takes it over"
            ),
            "{message}"
        );
    }
}
