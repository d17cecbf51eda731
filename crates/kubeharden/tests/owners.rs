//! One finding per problem: in a dump of a running cluster (`kubectl get
//! deploy,rs,po -o yaml`), a Pod, the ReplicaSet that made it and their Deployment
//! share one pod template, and each problem of it is reported once, on the
//! Deployment. What only the Pod has (a sidecar an admission webhook injected) is
//! reported on the Pod. `testbed_cluster.rs` checks the same on a live cluster.

mod common;

use serde_json::Value;

const DUMP: &str = "crates/kubeharden/tests/dumps/deploy-rs-po.yaml";

fn scan_text(text: &str) -> Value {
    let out = common::run_in(
        &common::root(),
        &["scan", "-", "-f", "json"],
        Some(text.as_bytes()),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::json(&out)
}

/// `RULE Kind/name container` of each finding.
fn found(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}/{} {}",
                f["rule_id"].as_str().unwrap(),
                f["resource"]["kind"].as_str().unwrap(),
                f["resource"]["name"].as_str().unwrap(),
                f["container"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

fn count(found: &[String], prefix: &str) -> usize {
    found.iter().filter(|f| f.starts_with(prefix)).count()
}

fn dump() -> String {
    std::fs::read_to_string(common::root().join(DUMP)).unwrap()
}

fn judged_once(doc: &Value) {
    let found = found(doc);
    // The privileged container, once, on the Deployment.
    assert_eq!(count(&found, "KH101 "), 1, "{found:#?}");
    assert_eq!(count(&found, "KH101 Deployment/web web"), 1, "{found:#?}");
    // Nothing of the template repeats on the ReplicaSet or the Pod.
    assert_eq!(count(&found, "KH101 ReplicaSet"), 0);
    assert!(
        !found.iter().any(|f| f.contains("ReplicaSet/")),
        "{found:#?}"
    );
    let pod: Vec<&String> = found.iter().filter(|f| f.contains(" Pod/web-")).collect();
    assert!(!pod.is_empty());
    assert!(pod.iter().all(|f| f.ends_with(" mesh-proxy")), "{pod:#?}");
    // The CronJob's `latest` image, once, on the CronJob.
    assert_eq!(count(&found, "KH301 "), 1, "{found:#?}");
    assert_eq!(count(&found, "KH301 CronJob/report report"), 1);
    assert!(!found
        .iter()
        .any(|f| f.contains(" Job/") || f.contains(" Pod/report-")));
    // The Service exposes one workload, named once.
    let exposed = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "KH541")
        .unwrap();
    assert_eq!(
        exposed["message"],
        "NodePort Service web selects Deployment web (privileged container web)"
    );
}

#[test]
fn a_dump_of_controllers_and_what_they_made_reports_each_problem_once() {
    judged_once(&scan_text(&dump()));
}

#[test]
fn without_the_replica_set_the_pod_is_its_deployments() {
    let text = dump();
    let start = text
        .find("- apiVersion: apps/v1\n  kind: ReplicaSet")
        .unwrap();
    let end = text.find("- apiVersion: v1\n  kind: Pod").unwrap();
    let without = format!("{}{}", &text[..start], &text[end..]);
    judged_once(&scan_text(&without));
}

#[test]
fn a_pod_whose_owner_is_not_in_the_scan_is_judged_itself() {
    let text = dump();
    let start = text.find("- apiVersion: v1\n  kind: Pod").unwrap();
    let end = text
        .find("- apiVersion: batch/v1\n  kind: CronJob")
        .unwrap();
    let pod_only = format!("apiVersion: v1\nkind: List\nitems:\n{}", &text[start..end]);
    let found = found(&scan_text(&pod_only));
    assert_eq!(
        count(&found, "KH101 Pod/web-7c9f8d-x2k4q web"),
        1,
        "{found:#?}"
    );
}

/// A namespace without default-deny policies counts and names its workloads, not
/// the ReplicaSets, Jobs and Pods they made (it said "runs 5 workload(s)", naming
/// each Pod), and no made Pod gets a "not isolated" finding of its own.
#[test]
fn a_namespace_counts_and_names_its_workloads_not_what_they_made() {
    let namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n";
    let doc = scan_text(&format!("{namespace}{}", dump()));
    let findings = doc["findings"].as_array().unwrap();
    for rule in ["KH510", "KH511"] {
        let f = findings
            .iter()
            .find(|f| f["rule_id"] == rule)
            .unwrap_or_else(|| panic!("{rule}: {:#?}", found(&doc)));
        assert_eq!(
            f["message"]
                .as_str()
                .unwrap()
                .split_once(" and has")
                .unwrap()
                .0,
            "namespace shop runs 2 workload(s)",
            "{rule}"
        );
        assert!(
            f["message"]
                .as_str()
                .unwrap()
                .ends_with("open: CronJob report, Deployment web"),
            "{rule}: {}",
            f["message"]
        );
    }
    let found = found(&doc);
    assert!(
        !found
            .iter()
            .any(|f| f.starts_with("KH512 Pod/") || f.starts_with("KH512 ReplicaSet/")),
        "{found:#?}"
    );
}
