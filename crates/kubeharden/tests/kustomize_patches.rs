//! Kustomize patches are fragments: named on the command line next to their base,
//! they must not be judged as complete workloads (a patch that only sets replicas has
//! "no security context"), nor pass silently. The layout is the one Kustomize's own
//! examples use: a base, and overlays that patch it. (A folder with a kustomization
//! is rendered instead: tests/render.rs.)

mod common;

use std::path::Path;

fn write(root: &Path, file: &str, text: &str) {
    let path = root.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const BASE_DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: the-deployment
  labels: {app: hello}
spec:
  replicas: 3
  selector:
    matchLabels: {app: hello}
  template:
    metadata:
      labels: {app: hello}
    spec:
      containers:
      - name: the-container
        image: monopole/hello:1
        command: ["/hello", "--port=8080", "--enableRiskyFeature=$(ENABLE_RISKY)"]
        ports:
        - containerPort: 8080
"#;

/// A repository with a base and a production overlay that patches it three ways.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "base/deployment.yaml", BASE_DEPLOYMENT);
    write(
        root,
        "base/kustomization.yaml",
        "resources:\n- deployment.yaml\ncommonLabels:\n  app: hello\n",
    );
    write(
        root,
        "overlays/production/kustomization.yaml",
        "resources:\n- ../../base\nnamePrefix: production-\n\
         patches:\n- path: replica_count.yaml\n- path: ../shared/resources.yaml\n- path: ../../shared/patches/web/sidecar.yaml\n- path: service_lb.yaml\n\
         patchesStrategicMerge:\n- set_image.yaml\n\
         patchesJson6902:\n- target: {group: apps, version: v1, kind: Deployment, name: the-deployment}\n  path: ops.yaml\n",
    );
    // Sets only the replica count: no containers at all.
    write(
        root,
        "overlays/production/replica_count.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: the-deployment\nspec:\n  replicas: 10\n",
    );
    // Sets only the image: has containers, with an image, and still a fragment.
    write(
        root,
        "overlays/production/set_image.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: the-deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: the-container\n        image: monopole/hello:2\n",
    );
    // Shared by overlays, one folder up.
    write(
        root,
        "overlays/shared/resources.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: the-deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: the-container\n        resources:\n          limits: {cpu: 500m, memory: 256Mi}\n",
    );
    // Shared by overlays, far from them, and complete enough to pass for a workload.
    write(
        root,
        "shared/patches/web/sidecar.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: the-deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: proxy\n        image: envoyproxy/envoy:v1.31.0\n",
    );
    // A Service patch: the base sets its source ranges.
    write(
        root,
        "overlays/production/service_lb.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: the-service\nspec:\n  type: LoadBalancer\n",
    );
    write(
        root,
        "overlays/production/ops.yaml",
        "- op: replace\n  path: /spec/replicas\n  value: 5\n",
    );
    dir
}

fn scan(root: &Path) -> serde_json::Value {
    let out = common::run_in(root, &["scan", ".", "--format", "json"], None);
    common::json(&out)
}

/// Scans the files of `root` named one by one, as one cluster, kustomizations left
/// out (named, they would be rendered), and so is the patch far from its overlay (the
/// overlay's own kustomization, not among the inputs, is what names it).
fn scan_files(root: &Path) -> serde_json::Value {
    let files: Vec<String> = common::yaml_files(root)
        .iter()
        .filter(|f| !f.ends_with("kustomization.yaml") && !f.ends_with("sidecar.yaml"))
        .map(|f| f.strip_prefix(root).unwrap().display().to_string())
        .collect();
    let mut args = vec!["scan", "--one-cluster", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    common::json(&common::run_in(root, &args, None))
}

#[test]
fn listed_patches_are_not_judged_and_are_reported_as_not_judged() {
    let dir = repository();
    let doc = scan_files(dir.path());
    let files: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["file"].as_str().unwrap())
        .collect();
    // The base is judged...
    assert!(
        files.iter().any(|f| f.ends_with("base/deployment.yaml")),
        "{files:?}"
    );
    // ... the patches are not.
    assert!(
        files.iter().all(|f| !f.contains("overlays")),
        "patches judged as workloads: {files:?}"
    );
    let skipped = doc["summary"]["skipped_checks"].as_array().unwrap();
    let patched: Vec<&str> = skipped
        .iter()
        .filter(|s| s["reason"].as_str().unwrap().contains("Kustomize patch"))
        .map(|s| s["scope"].as_str().unwrap())
        .collect();
    assert_eq!(patched.len(), 4, "{skipped:?}");
    for file in [
        "replica_count.yaml",
        "set_image.yaml",
        "shared/resources.yaml",
        "service_lb.yaml",
    ] {
        assert!(
            patched.iter().any(|s| s.ends_with(file)),
            "{file} not reported: {patched:?}"
        );
    }
    // The JSON 6902 patch is a list of operations: no Kubernetes object.
    assert_eq!(doc["summary"]["skipped_documents"], 1, "{}", doc["summary"]);
}

/// The checks skipped for objects of the scan, without the whole-cluster checks
/// (KH901, KH902), which a folder of manifests never feeds.
fn object_skips(doc: &serde_json::Value) -> Vec<&serde_json::Value> {
    doc["summary"]["skipped_checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["scope"] != "cluster")
        .collect()
}

#[test]
fn an_unlisted_fragment_without_images_is_not_judged() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "patch-probes.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        readinessProbe:\n          httpGet: {path: /healthz, port: 8080}\n",
    );
    let doc = scan(dir.path());
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0, "{doc}");
    let skipped = object_skips(&doc);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(skipped[0]["reason"]
        .as_str()
        .unwrap()
        .contains("without an image"));
}

#[test]
fn a_complete_workload_next_to_a_kustomization_is_judged() {
    // The kustomization lists it as a resource, not a patch: the folder renders to it.
    if kubeharden_testkit::tool("kustomize", "the overlay is not rendered").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "deployment.yaml", BASE_DEPLOYMENT);
    write(
        dir.path(),
        "kustomization.yaml",
        "resources:\n- deployment.yaml\n",
    );
    let doc = scan(dir.path());
    assert!(!doc["findings"].as_array().unwrap().is_empty(), "{doc}");
    let skipped = object_skips(&doc);
    assert!(
        skipped.iter().all(|s| s["scope"] == "namespace default"),
        "{skipped:?}"
    );
}
