//! `--default-namespace` and `--one-cluster`, end to end: each PATH (and `-`) is a
//! cluster of its own unless merged.

mod common;

use std::path::Path;

use common::{json, run_in, tree};

/// A RoleBinding in `ci` for the service account `ci/deployer`, and the Namespace.
const BINDING: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: ci}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: deploy, namespace: ci}\nsubjects:\n- {kind: ServiceAccount, name: deployer, namespace: ci}\nroleRef: {kind: ClusterRole, name: view, apiGroup: rbac.authorization.k8s.io}\n";
const ACCOUNT: &str =
    "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: deployer, namespace: ci}\n";

fn scan(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> serde_json::Value {
    let mut all = vec!["scan", "-f", "json", "--select", "KH612"];
    all.extend(args);
    json(&run_in(dir, &all, stdin))
}

fn findings(doc: &serde_json::Value) -> usize {
    doc["findings"].as_array().unwrap().len()
}

#[test]
fn each_path_is_its_own_cluster_unless_merged() {
    let dir = tree(&[
        ("project-a/rbac.yaml", BINDING),
        ("project-b/sa.yaml", ACCOUNT),
    ]);
    let apart = scan(dir.path(), &["project-a", "project-b"], None);
    assert_eq!(findings(&apart), 1, "the account exists only in project-b");
    let clusters = &apart["summary"]["clusters"];
    assert_eq!(clusters.as_array().unwrap().len(), 2);
    assert_eq!(clusters[0]["roots"][0], "project-a");
    assert_eq!(clusters[1]["files"], 1);

    let merged = scan(
        dir.path(),
        &["project-a", "project-b", "--one-cluster"],
        None,
    );
    assert_eq!(findings(&merged), 0);
    assert_eq!(
        merged["summary"]["clusters"][0]["roots"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // One folder holding both is one PATH, so one cluster.
    assert_eq!(findings(&scan(dir.path(), &["."], None)), 0);
}

#[test]
fn standard_input_is_a_root_of_its_own() {
    let dir = tree(&[("project-a/rbac.yaml", BINDING)]);
    let stdin = Some(ACCOUNT.as_bytes());
    assert_eq!(findings(&scan(dir.path(), &["project-a", "-"], stdin)), 1);
    let merged = scan(dir.path(), &["project-a", "-", "--one-cluster"], stdin);
    assert_eq!(findings(&merged), 0);
}

#[test]
fn default_namespace_places_objects_and_findings_show_it() {
    let pod = b"apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: web, image: nginx}]\n";
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["scan", "-", "-f", "json", "--select", "KH101,KH402"];
        all.extend(args);
        run_in(dir.path(), &all, Some(pod))
    };
    let namespaces = |out: &std::process::Output| {
        let doc = json(out);
        let found = doc["findings"].as_array().unwrap().clone();
        found
            .iter()
            .map(|f| f["resource"]["namespace"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(namespaces(&run(&["--default-namespace", "team"])), ["team"]);
    assert_eq!(namespaces(&run(&[])), ["default"]);
    let bad = run(&["--default-namespace", "Not_A_Namespace"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a namespace name"));
}

#[test]
fn queries_ask_about_one_cluster() {
    let dir = tree(&[
        ("project-a/rbac.yaml", BINDING),
        ("project-b/sa.yaml", ACCOUNT),
    ]);
    // Who can list pods in ci, by the objects of `args` (PATHs and options).
    let who_can = |args: &[&str]| {
        let mut all = vec!["rbac", "who-can", "list", "pods", "-n", "ci"];
        all.extend(args);
        run_in(dir.path(), &all, None)
    };
    let refused = who_can(&["project-a", "project-b"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--one-cluster"));
    let merged = who_can(&["project-a", "project-b", "--one-cluster"]);
    assert_eq!(merged.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&merged.stdout).contains("ci/deployer"));
    // --default-namespace places a binding that names no namespace.
    let binding = BINDING.replace(", namespace: ci}\nsubjects", "}\nsubjects");
    std::fs::write(dir.path().join("project-a/rbac.yaml"), binding).unwrap();
    let unplaced = who_can(&["project-a"]);
    assert!(!String::from_utf8_lossy(&unplaced.stdout).contains("RoleBinding ci/deploy"));
    let placed = who_can(&["project-a", "--default-namespace", "ci"]);
    assert!(String::from_utf8_lossy(&placed.stdout).contains("RoleBinding ci/deploy"));
}
