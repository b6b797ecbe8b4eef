//! A real control plane for tests: etcd and kube-apiserver started by
//! `scripts/control-plane`, one shared per test binary (each test uses its
//! own namespaces), or a private one for tests that stop the API server.
//! A watcher process stops the control plane when the test binary exits.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::{cleat_with, temp_dir, Run};

pub struct ControlPlane {
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/control-plane")
}

fn control_plane(args: &[&str]) -> String {
    let output = Command::new(script())
        .args(args)
        .output()
        .expect("scripts/control-plane runs");
    assert!(
        output.status.success(),
        "scripts/control-plane {args:?} failed (run `scripts/control-plane build` first?):\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

impl ControlPlane {
    /// Starts a control plane of its own, stopped when the test process ends.
    #[allow(
        clippy::zombie_processes,
        reason = "the watcher outlives the test process on purpose"
    )]
    pub fn start(name: &str) -> ControlPlane {
        let dir = temp_dir(&format!("control-plane-{name}"));
        let kubeconfig = PathBuf::from(control_plane(&["up", &dir.display().to_string()]));
        let watcher = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; '{script}' down '{dir}'; rm -rf '{dir}'",
            pid = std::process::id(),
            script = script().display(),
            dir = dir.display()
        );
        Command::new("bash")
            .args(["-c", &watcher])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the watcher starts");
        ControlPlane { dir, kubeconfig }
    }

    /// The control plane shared by the tests of this binary.
    pub fn shared() -> &'static ControlPlane {
        static SHARED: OnceLock<ControlPlane> = OnceLock::new();
        SHARED.get_or_init(|| ControlPlane::start("shared"))
    }

    pub fn stop_apiserver(&self) {
        control_plane(&["stop-apiserver", &self.dir.display().to_string()]);
    }

    pub fn start_apiserver(&self) {
        control_plane(&["start-apiserver", &self.dir.display().to_string()]);
    }

    /// A kubeconfig for user `name`, who belongs to no group.
    pub fn user(&self, name: &str) -> PathBuf {
        PathBuf::from(control_plane(&[
            "user",
            &self.dir.display().to_string(),
            name,
        ]))
    }

    /// Runs `f` with an admin client.
    pub fn with_client<T>(&self, f: impl AsyncFnOnce(kube::Client) -> T) -> T {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let kubeconfig = kube::config::Kubeconfig::read_from(&self.kubeconfig).unwrap();
            let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
                .await
                .unwrap();
            f(kube::Client::try_from(config).unwrap()).await
        })
    }

    /// The object at `path` of the API (`/api/v1/namespaces/x/configmaps/y`), if it exists.
    pub fn get(&self, path: &str) -> Option<serde_json::Value> {
        self.with_client(async |client| {
            let request = http::Request::get(path).body(Vec::new()).unwrap();
            match client.request::<serde_json::Value>(request).await {
                Ok(value) => Some(value),
                Err(kube::Error::Api(e)) if e.code == 404 => None,
                Err(e) => panic!("GET {path}: {e}"),
            }
        })
    }

    /// Deletes the object at `path`.
    pub fn delete(&self, path: &str) {
        self.with_client(async |client| {
            let request = http::Request::delete(path).body(Vec::new()).unwrap();
            client
                .request::<serde_json::Value>(request)
                .await
                .unwrap_or_else(|e| panic!("DELETE {path}: {e}"));
        })
    }

    /// Merge-patches the status subresource at `path` (ending in `/status`).
    pub fn patch_status(&self, path: &str, body: serde_json::Value) {
        self.with_client(async |client| {
            let request = http::Request::patch(path)
                .header("Content-Type", "application/merge-patch+json")
                .body(serde_json::to_vec(&body).unwrap())
                .unwrap();
            client
                .request::<serde_json::Value>(request)
                .await
                .unwrap_or_else(|e| panic!("PATCH {path}: {e}"));
        })
    }

    /// Marks the Job at `path` finished, as its controller would:
    /// `Complete` or `Failed`.
    pub fn finish_job(&self, path: &str, condition: &str) {
        let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        let failed = condition == "Failed";
        self.patch_status(
            &format!("{path}/status"),
            serde_json::json!({"status": {"conditions": [{"type": condition, "status": "True",
                "reason": if failed { "BackoffLimitExceeded" } else { "Completed" },
                "message": if failed { "Job has reached the specified backoff limit" } else { "" },
                "lastProbeTime": now, "lastTransitionTime": now}]}}),
        );
    }

    /// Server-side applies `body` at `path` as field manager `manager`.
    pub fn apply_as(&self, manager: &str, path: &str, body: serde_json::Value) {
        self.with_client(async |client| {
            let request = http::Request::patch(format!("{path}?fieldManager={manager}&force=true"))
                .header("Content-Type", "application/apply-patch+yaml")
                .body(serde_json::to_vec(&body).unwrap())
                .unwrap();
            client
                .request::<serde_json::Value>(request)
                .await
                .unwrap_or_else(|e| panic!("apply {path} as {manager}: {e}"));
        })
    }
}

/// A project directory with `cleat.yaml` holding `releases` (YAML list items).
pub fn project(test: &str, releases: &str) -> PathBuf {
    let dir = temp_dir(test);
    std::fs::write(dir.join("cleat.yaml"), format!("releases:\n{releases}")).unwrap();
    dir
}

/// Runs cleat in `dir` against `plane`.
pub fn run(plane: &ControlPlane, dir: &Path, args: &[&str]) -> Run {
    run_with(plane, dir, args, &[])
}

/// Runs cleat in `dir` against `plane` with extra environment variables.
pub fn run_with(plane: &ControlPlane, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let kubeconfig = plane.kubeconfig.display().to_string();
    let cache = dir.join(".cache").display().to_string();
    let mut all = vec![
        ("KUBECONFIG", kubeconfig.as_str()),
        ("XDG_CACHE_HOME", cache.as_str()),
    ];
    all.extend_from_slice(env);
    cleat_with(dir, args, &all)
}

/// Starts cleat in `dir` against `plane` without waiting for it, stderr
/// piped and stdout as `stdout` says.
pub fn spawn(
    plane: &ControlPlane,
    dir: &Path,
    args: &[&str],
    stdout: Stdio,
) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_cleat"))
        .args(args)
        .current_dir(dir)
        .env("KUBECONFIG", &plane.kubeconfig)
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .env("NO_COLOR", "1")
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("the cleat binary runs")
}

/// A template of ConfigMap `name` that shows the `replicas` value.
pub fn configmap(name: &str) -> Vec<u8> {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  value: {{{{ values.replicas | quote }}}}\n").into_bytes()
}
