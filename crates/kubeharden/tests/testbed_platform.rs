//! The rows of the guidance that only a live cluster makes checkable, against a test
//! bed of their own (a Node and a kube-system DaemonSet make it a whole cluster, which
//! would change what other tests see):
//!
//! - UPG-01 (KH904): the server version comes from `/version`; the test bed runs the
//!   newest patch of a maintained minor, so nothing is found but the rule is judged;
//!   its snapshot, edited to an older patch, is found behind; files are not judged.
//! - UPG-02 (KH903): a Node's kubelet is judged against the release data and the
//!   API server's own version (the skew policy).
//! - NP-01 (KH517): flannel alone enforces no NetworkPolicy; the NetworkPolicy
//!   findings of the cluster say so.

mod common;

use std::process::Output;

use serde_json::Value;

const OBJECTS: &str = r#"apiVersion: v1
kind: Node
metadata: {name: worker-old}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-flannel-ds, namespace: kube-system}
spec:
  selector: {matchLabels: {app: flannel}}
  template:
    metadata: {labels: {app: flannel}}
    spec:
      hostNetwork: true
      containers:
      - name: kube-flannel
        image: ghcr.io/flannel-io/flannel:v0.26.1
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
"#;

/// What the kubelet of `worker-old` reports (a kubelet would write it).
const NODE_STATUS: &str = r#"{"status": {"nodeInfo": {"kubeletVersion": "v1.33.5",
  "containerRuntimeVersion": "containerd://2.3.5", "kernelVersion": "6.8.0-49-generic",
  "osImage": "Ubuntu 24.04.1 LTS", "kubeProxyVersion": "", "operatingSystem": "linux",
  "architecture": "amd64", "machineID": "m", "systemUUID": "s", "bootID": "b"}}}"#;

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "kubectl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn scan(args: &[&str]) -> Value {
    let out = common::run_in(&common::root(), args, None);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::json(&out)
}

fn finding<'d>(doc: &'d Value, rule: &str) -> Option<&'d Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule)
}

fn skips(doc: &Value, rule: &str) -> Vec<String> {
    doc["summary"]["skipped_checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["rules"].as_array().unwrap().iter().any(|r| r == rule))
        .map(|s| s["reason"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn versions_and_the_network_plugin_come_from_the_live_cluster() {
    let Some(tb) = kubeharden_testbed::private("platform") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let objects = dir.path().join("objects.yaml");
    std::fs::write(&objects, OBJECTS).unwrap();
    ok(tb.kubectl("admin", &["apply", "-f", objects.to_str().unwrap()]));
    ok(tb.kubectl(
        "admin",
        &[
            "patch",
            "node",
            "worker-old",
            "--subresource=status",
            "--type=merge",
            "-p",
            NODE_STATUS,
        ],
    ));
    let snapshot = dir.path().join("snapshot.yaml");
    let kubeconfig = tb.kubeconfig.to_str().unwrap();
    let live = scan(&[
        "cluster",
        "--kubeconfig",
        kubeconfig,
        "--context",
        "admin",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "-f",
        "json",
    ]);

    // UPG-01: judged on the server's own version, found clean.
    assert!(finding(&live, "KH904").is_none(), "{live}");
    assert_eq!(skips(&live, "KH904"), Vec::<String>::new());
    // UPG-02: the kubelet against the data and the API server's minor.
    let node = finding(&live, "KH903").expect("the old kubelet is found");
    let message = node["message"].as_str().unwrap();
    assert!(
        message.contains("minor 1.33 is out of upstream support since 2026-06-28"),
        "{message}"
    );
    assert!(
        message.contains("4 minors behind the API server (1.37)"),
        "{message}"
    );
    // NP-01: flannel alone; the namespace's missing default deny says policies would
    // not be enforced anyway.
    let plugin = finding(&live, "KH517").expect("flannel is found");
    assert!(plugin["message"].as_str().unwrap().contains("flannel"));
    let policy_findings: Vec<&Value> = live["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| ["KH510", "KH511"].contains(&f["rule_id"].as_str().unwrap()))
        .collect();
    assert!(!policy_findings.is_empty(), "{live}");
    for f in policy_findings {
        let m = f["message"].as_str().unwrap();
        assert!(
            m.contains("NetworkPolicies are not enforced in this cluster"),
            "{m}"
        );
    }

    // The snapshot carries the server version: edited to an older patch, KH904 finds
    // it behind, offline.
    let text = std::fs::read_to_string(&snapshot).unwrap();
    let older = text.replace("v1.37.2", "v1.37.0");
    assert_ne!(older, text, "the snapshot holds the server's gitVersion");
    std::fs::write(&snapshot, older).unwrap();
    let offline = scan(&["scan", snapshot.to_str().unwrap(), "-f", "json"]);
    let behind = finding(&offline, "KH904").expect("an older patch is found");
    assert_eq!(behind["severity"], "medium");
    assert!(behind["message"]
        .as_str()
        .unwrap()
        .contains("not the newest patch of its minor (1.37.2)"));
}

#[test]
fn files_have_no_server_version_and_some_manifests_show_no_plugin() {
    let doc = scan(&["scan", "examples/insecure", "-f", "json"]);
    let reasons = skips(&doc, "KH904");
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("holds no server version")),
        "{reasons:?}"
    );
    // A flannel DaemonSet among an application's manifests is not a whole cluster: the
    // policy findings are not told that policies go unenforced.
    let dir = common::tree(&[(
        "app.yaml",
        &OBJECTS
            .split("\n---\n")
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n---\n")
            .replace("kube-system", "kube-flannel"),
    )]);
    let doc = scan(&["scan", dir.path().to_str().unwrap(), "-f", "json"]);
    let text = doc["findings"].to_string();
    assert!(!text.contains("not enforced in this cluster"), "{text}");
}
