//! The test bed, for tests: a real `kube-apiserver` (v1.37.2) with etcd on loopback,
//! started by `testbed/up` once per test process and stopped when the process ends.
//!
//! - `KUBEHARDEN_TESTBED_DIR` names a test bed that is already up (as `.ci/run` starts
//!   one); otherwise each test process starts its own in a folder of its own.
//! - Without Go (and without built binaries) the tests that need it skip, and say so on
//!   stderr. With `KUBEHARDEN_REQUIRE_TESTBED=1` (CI) a skip is a failure instead.
//! - A test bed that fails to start is always a failure, never a skip.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use http_body_util::BodyExt;

pub use kube::Client;

/// A running test bed.
pub struct Testbed {
    /// The state folder: kubeconfig, certificates, audit log, process output.
    pub dir: PathBuf,
    /// `https://127.0.0.1:PORT`.
    pub server: String,
    pub kubeconfig: PathBuf,
    pub audit_log: PathBuf,
    /// The folder with `kube-apiserver`, `etcd` and `kubectl`.
    pub bin: PathBuf,
    runtime: tokio::runtime::Runtime,
}

/// The repository root (where `testbed/` lives).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The test bed, started on first use. `None` means the test must skip: the reason
/// has been printed. Call it at the top of a test:
/// `let Some(tb) = kubeharden_testbed::testbed() else { return };`
pub fn testbed() -> Option<&'static Testbed> {
    static TESTBED: OnceLock<Result<Testbed, Unavailable>> = OnceLock::new();
    match TESTBED.get_or_init(start) {
        Ok(tb) => Some(tb),
        Err(why) => {
            skip(&why.to_string());
            None
        }
    }
}

/// Why there is no test bed, short of a failure (which panics).
#[derive(Debug)]
enum Unavailable {
    /// `testbed/up` could not be run at all.
    NoScript {
        script: PathBuf,
        source: std::io::Error,
    },
    /// Go is missing (testbed/build exits 3), as its message says.
    NoGo(String),
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::NoScript { script, source } => {
                write!(f, "cannot run {}: {source}", script.display())
            }
            Unavailable::NoGo(message) => f.write_str(message),
        }
    }
}

/// Reports a skipped test loudly, or fails it where skips are not allowed.
pub fn skip(reason: &str) {
    kubeharden_testkit::skip(
        "KUBEHARDEN_REQUIRE_TESTBED",
        &format!("no test bed: {reason}"),
    );
}

fn start() -> Result<Testbed, Unavailable> {
    match std::env::var_os("KUBEHARDEN_TESTBED_DIR") {
        // A bed the caller set up (CI's, shared by every test binary) stays.
        Some(dir) => start_in(&PathBuf::from(dir), Lifetime::Kept),
        // One of this process's own goes, folder and all, when the process ends.
        None => start_in(
            &std::env::temp_dir().join(format!("kubeharden-testbed-{}", std::process::id())),
            Lifetime::Removed,
        ),
    }
}

/// What happens to a test bed's state folder when the test process ends: the
/// servers always stop (`--watch`); a folder of the process's own is removed too.
#[derive(Clone, Copy, PartialEq)]
enum Lifetime {
    Kept,
    Removed,
}

/// A test bed of one test's own, for tests that fill the API server with thousands
/// of objects or need it to hold nothing but theirs (the same-verdict test, the
/// scale benchmark): started in a folder of its own whatever
/// `KUBEHARDEN_TESTBED_DIR` says, and stopped (its folder removed) when dropped.
/// `None` means the test must skip, as for [`testbed`].
pub fn private(name: &str) -> Option<PrivateTestbed> {
    let dir =
        std::env::temp_dir().join(format!("kubeharden-testbed-{name}-{}", std::process::id()));
    match start_in(&dir, Lifetime::Removed) {
        Ok(tb) => Some(PrivateTestbed(tb)),
        Err(why) => {
            skip(&why.to_string());
            None
        }
    }
}

/// A private test bed, stopped when dropped.
pub struct PrivateTestbed(Testbed);

impl std::ops::Deref for PrivateTestbed {
    type Target = Testbed;

    fn deref(&self) -> &Testbed {
        &self.0
    }
}

impl Drop for PrivateTestbed {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("testbed/down"))
            .env("KUBEHARDEN_TESTBED_DIR", &self.0.dir)
            .output();
        let _ = std::fs::remove_dir_all(&self.0.dir);
    }
}

fn start_in(dir: &Path, lifetime: Lifetime) -> Result<Testbed, Unavailable> {
    let script = repo_root().join("testbed/up");
    let pid = std::process::id().to_string();
    let mut args = vec!["--watch", pid.as_str()];
    if lifetime == Lifetime::Removed {
        args.push("--remove");
    }
    let out = Command::new(&script)
        .args(&args)
        .env("KUBEHARDEN_TESTBED_DIR", dir)
        .output()
        .map_err(|source| Unavailable::NoScript {
            script: script.clone(),
            source,
        })?;
    // testbed/build exits 3 when Go is missing: the only reason to skip.
    if out.status.code() == Some(3) {
        let message = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(Unavailable::NoGo(message));
    }
    if !out.status.success() {
        panic!(
            "testbed/up failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(Testbed::open(dir))
}

impl Testbed {
    fn open(dir: &Path) -> Testbed {
        let text = std::fs::read_to_string(dir.join("testbed.env"))
            .unwrap_or_else(|e| panic!("{}/testbed.env: {e}", dir.display()));
        let env: HashMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
        let get = |k: &str| {
            env.get(k)
                .unwrap_or_else(|| panic!("testbed.env has no {k}"))
                .to_string()
        };
        Testbed {
            dir: dir.to_path_buf(),
            server: get("SERVER"),
            kubeconfig: get("KUBECONFIG").into(),
            audit_log: get("AUDIT_LOG").into(),
            bin: get("BIN").into(),
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime"),
        }
    }

    /// Runs a future on the test bed's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// A client for a context of the kubeconfig: `admin` or `scanner`.
    pub fn client(&self, context: &str) -> Client {
        self.block_on(async {
            let kubeconfig = kube::config::Kubeconfig::read_from(&self.kubeconfig)
                .expect("read the test bed's kubeconfig");
            let options = kube::config::KubeConfigOptions {
                context: Some(context.to_string()),
                ..Default::default()
            };
            let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .expect("kubeconfig context");
            Client::try_from(config).expect("client")
        })
    }

    /// `kubectl --context CONTEXT ARGS`, with the test bed's kubeconfig.
    pub fn kubectl(&self, context: &str, args: &[&str]) -> Output {
        Command::new(self.bin.join("kubectl"))
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(["--context", context])
            .args(args)
            .output()
            .expect("run kubectl")
    }

    /// `kubectl --context CONTEXT ARGS` with `stdin` as its standard input.
    pub fn kubectl_with_input(&self, context: &str, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(self.bin.join("kubectl"))
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(["--context", context])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubectl");
        let mut input = child.stdin.take().expect("kubectl's stdin");
        input
            .write_all(stdin.as_bytes())
            .expect("write kubectl's stdin");
        drop(input);
        child.wait_with_output().expect("wait for kubectl")
    }

    /// `kubectl apply -f -` of `yaml` as admin; the test fails with kubectl's
    /// message when the API server refuses it.
    pub fn apply(&self, yaml: &str) {
        let out = self.kubectl_with_input("admin", &["apply", "-f", "-"], yaml);
        assert!(
            out.status.success(),
            "kubectl apply: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Sends a request with a JSON body (or none) and returns the status, the
    /// `Warning` headers and the body as JSON (`Null` when it is empty or not JSON).
    pub async fn send(
        &self,
        client: &Client,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Reply {
        let bytes = body
            .map(|b| serde_json::to_vec(b).unwrap())
            .unwrap_or_default();
        let request = http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .body(kube::client::Body::from(bytes))
            .expect("request");
        let response = client.send(request).await.expect("send to the API server");
        let status = response.status().as_u16();
        let warnings = response
            .headers()
            .get_all("warning")
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("read the response")
            .to_bytes();
        Reply {
            status,
            warnings,
            body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// An API server's answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub warnings: Vec<String>,
    pub body: serde_json::Value,
}

impl Reply {
    /// The `message` of a `Status` body, or "".
    pub fn message(&self) -> &str {
        self.body
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("")
    }
}

/// SplitMix64: a small seeded generator for the differential tests' inputs, so that a
/// failure reproduces from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
