//! The control plane a cluster shows: the static pods a kubelet mirrors into
//! `kube-system` hold the API server's flags, and the node rules judge them in a dump
//! (and in a live scan, `testbed_cluster.rs`). What only the node's disk holds is not
//! judged, and the report says so.

mod common;

const DUMP: &str = "crates/kubeharden/tests/dumps/control-plane-pod.yaml";

#[test]
fn a_mirrored_api_server_pod_is_judged_by_the_node_rules() {
    let out = common::run_in(&common::root(), &["scan", DUMP, "-f", "json"], None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = common::json(&out);
    let finding = |id: &str| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == id)
            .unwrap_or_else(|| panic!("no {id}"))
            .clone()
    };
    let anonymous = finding("KH701");
    assert_eq!(anonymous["path"], "spec.containers[0].command[2]");
    assert_eq!(anonymous["resource"]["kind"], "Pod");
    assert_eq!(anonymous["resource"]["name"], "kube-apiserver-cp-1");
    assert_eq!(anonymous["location"]["line"], 20);
    assert_eq!(finding("KH703")["path"], "spec.containers[0].command[3]");
    // LOG-08: the flags name no audit webhook.
    assert_eq!(finding("KH713")["path"], "spec.containers[0].command");
    let skipped: Vec<String> = doc["summary"]["skipped_checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{} {}", s["scope"].as_str().unwrap(), s["rules"]))
        .collect();
    assert!(
        skipped.contains(&r#"node cp-1 ["KH712"]"#.to_string()),
        "{skipped:?}"
    );
    assert!(
        skipped.contains(
            &r#"node cp-1 ["KH740","KH741","KH742","KH743","KH750","KH751"]"#.to_string()
        ),
        "{skipped:?}"
    );
    // SARIF describes the node rules that found something.
    let sarif = common::json(&common::run_in(
        &common::root(),
        &["scan", DUMP, "-f", "sarif"],
        None,
    ));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let index = rules
        .iter()
        .position(|r| r["id"] == "KH701")
        .expect("KH701 described");
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "KH701")
        .unwrap();
    assert_eq!(result["ruleIndex"], index);
}

#[test]
fn manifests_without_a_control_plane_are_not_told_about_it() {
    let out = common::run_in(
        &common::root(),
        &["scan", "examples/insecure", "-f", "json"],
        None,
    );
    let doc = common::json(&out);
    let text = doc["summary"]["skipped_checks"].to_string();
    assert!(
        !text.contains("control plane") && !text.contains("KH70"),
        "{text}"
    );
}
