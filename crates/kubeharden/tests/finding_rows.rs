//! A finding names only the checklist rows its own evidence violates, with a severity
//! to match: judged here on kube-apiserver manifests shaped like the ones kubeadm
//! writes, each changed in one respect.

mod common;

use std::path::Path;

/// The kube-apiserver manifest kubeadm v1.37 writes, with `flags` in place of its
/// authorization mode and with any `extra` flags.
fn apiserver(authorization: Option<&str>, extra: &[&str]) -> String {
    let mut flags = vec![
        "--advertise-address=10.0.0.10",
        "--allow-privileged=true",
        "--client-ca-file=/etc/kubernetes/pki/ca.crt",
        "--enable-admission-plugins=NodeRestriction",
        "--enable-bootstrap-token-auth=true",
        "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
        "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
        "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
        "--etcd-servers=https://127.0.0.1:2379",
        "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
        "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
        "--secure-port=6443",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
        "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
        "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
        "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
    ];
    let authorization = authorization.map(|m| format!("--authorization-mode={m}"));
    flags.extend(authorization.as_deref());
    flags.extend(extra);
    let command: String = flags.iter().map(|f| format!("    - {f}\n")).collect();
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n  namespace: kube-system\n\
         spec:\n  containers:\n  - command:\n    - kube-apiserver\n{command}\
         \x20   image: registry.k8s.io/kube-apiserver:v1.37.0\n    name: kube-apiserver\n  hostNetwork: true\n"
    )
}

/// `kubeharden node` on a node whose only file is `manifest`: the findings of `rule`,
/// as (severity, rows, message).
fn findings(manifest: &str, rule: &str) -> Vec<(String, Vec<String>, String)> {
    let dir = tempfile::tempdir().unwrap();
    let manifests = dir.path().join("etc/kubernetes/manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    std::fs::write(manifests.join("kube-apiserver.yaml"), manifest).unwrap();
    let root = dir.path().to_str().unwrap();
    let out = common::run_in(
        Path::new("."),
        &["node", "--root", root, "--format", "json"],
        None,
    );
    let doc = common::json(&out);
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .map(|f| {
            let rows = f["guidance"].as_array().unwrap();
            (
                f["severity"].as_str().unwrap().to_string(),
                rows.iter()
                    .map(|r| r.as_str().unwrap().to_string())
                    .collect(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn rows_of(found: &[(String, Vec<String>, String)]) -> Vec<(&str, Vec<&str>)> {
    found
        .iter()
        .map(|(sev, rows, _)| (sev.as_str(), rows.iter().map(String::as_str).collect()))
        .collect()
}

#[test]
fn rbac_without_node_authorizer_does_not_violate_the_rbac_row() {
    let found = findings(&apiserver(Some("RBAC"), &[]), "KH703");
    assert_eq!(rows_of(&found), [("medium", vec!["RBAC-02"])], "{found:?}");
    assert!(found[0].2.contains("without Node"), "{found:?}");
}

#[test]
fn node_and_rbac_authorizers_pass() {
    assert!(findings(&apiserver(Some("Node,RBAC"), &[]), "KH703").is_empty());
}

#[test]
fn unset_authorization_mode_is_one_critical_finding() {
    // Unset means AlwaysAllow: one problem, one finding, both rows.
    let found = findings(&apiserver(None, &[]), "KH703");
    assert_eq!(
        rows_of(&found),
        [("critical", vec!["RBAC-01", "RBAC-02"])],
        "{found:?}"
    );
}

#[test]
fn always_allow_after_rbac_violates_only_the_allow_all_row() {
    let found = findings(&apiserver(Some("Node,RBAC,AlwaysAllow"), &[]), "KH703");
    assert_eq!(
        rows_of(&found),
        [("critical", vec!["RBAC-02"])],
        "{found:?}"
    );
}

#[test]
fn webhook_only_authorization_lacks_rbac_and_node() {
    let found = findings(&apiserver(Some("Webhook"), &[]), "KH703");
    let mut rows = rows_of(&found);
    rows.sort();
    assert_eq!(
        rows,
        [("high", vec!["RBAC-01"]), ("medium", vec!["RBAC-02"])],
        "{found:?}"
    );
}

#[test]
fn audit_retention_has_its_own_row() {
    let logging = [
        "--audit-policy-file=/etc/kubernetes/audit/policy.yaml",
        "--audit-log-path=/var/log/kubernetes/audit/audit.log",
        "--audit-log-maxage=7",
    ];
    let found = findings(&apiserver(Some("Node,RBAC"), &logging), "KH711");
    assert_eq!(found.len(), 3, "{found:?}");
    for (severity, rows, message) in &found {
        assert_eq!(
            (severity.as_str(), rows.as_slice()),
            ("medium", &["LOG-06".to_string()][..]),
            "{message}"
        );
    }
    // Kept long enough: nothing.
    let kept = [
        "--audit-policy-file=/etc/kubernetes/audit/policy.yaml",
        "--audit-log-path=/var/log/kubernetes/audit/audit.log",
        "--audit-log-maxage=30",
        "--audit-log-maxbackup=10",
        "--audit-log-maxsize=100",
    ];
    assert!(findings(&apiserver(Some("Node,RBAC"), &kept), "KH711").is_empty());
}

#[test]
fn no_audit_log_is_the_logging_row_not_retention() {
    let found = findings(&apiserver(Some("Node,RBAC"), &[]), "KH711");
    assert_eq!(
        rows_of(&found),
        [("high", vec!["LOG-01"]), ("high", vec!["LOG-01"])],
        "{found:?}"
    );
}

#[test]
fn tls_findings_name_the_row_of_their_flag() {
    let found = findings(
        &apiserver(Some("Node,RBAC"), &["--tls-min-version=VersionTLS10"]),
        "KH705",
    );
    let mut rows: Vec<(String, Vec<String>)> = found
        .iter()
        .map(|(_, rows, message)| (message.clone(), rows.clone()))
        .collect();
    rows.sort();
    let by_flag = |flag: &str| {
        rows.iter()
            .find(|(m, _)| m.contains(flag))
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("no finding on {flag}: {rows:?}"))
    };
    assert_eq!(by_flag("--tls-min-version"), ["TLS-01"]);
    assert_eq!(by_flag("--kubelet-certificate-authority"), ["TLS-03"]);
    assert_eq!(rows.len(), 2, "{rows:?}");
}

#[test]
fn no_client_ca_violates_authentication_only_without_another_method() {
    let without_ca = apiserver(Some("Node,RBAC"), &[])
        .replace("    - --client-ca-file=/etc/kubernetes/pki/ca.crt\n", "");
    let found = findings(&without_ca, "KH705");
    let ca = found
        .iter()
        .find(|f| f.2.contains("--client-ca-file"))
        .unwrap();
    assert_eq!(ca.1, ["TLS-04", "AUTHN-01"]);

    let with_oidc = without_ca.replace(
        "    - --secure-port=6443\n",
        "    - --secure-port=6443\n    - --oidc-issuer-url=https://login.example.com\n",
    );
    let found = findings(&with_oidc, "KH705");
    let ca = found
        .iter()
        .find(|f| f.2.contains("--client-ca-file"))
        .unwrap();
    assert_eq!(ca.1, ["TLS-04"]);
}

const CAPABILITIES: &str = "apiVersion: v1
kind: Pod
metadata: {name: fuse, namespace: app}
spec:
  securityContext: {runAsUser: 1000}
  containers:
  - name: mount
    image: registry.example.com/s3fs:1.94
    securityContext:
      capabilities:
        add: [SYS_ADMIN]
  - name: route
    image: registry.example.com/router:2.1
    securityContext:
      capabilities:
        add: [NET_ADMIN]
";

fn scan_ids(args: &[&str]) -> Vec<(String, String)> {
    let mut all = vec!["scan", "-", "--format", "json"];
    all.extend(args);
    let out = common::run_in(Path::new("."), &all, Some(CAPABILITIES.as_bytes()));
    let doc = common::json(&out);
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn min_severity_filters_each_finding_by_its_own_severity() {
    // KH105 is a high rule; its finding on the container adding SYS_ADMIN is critical and
    // stays, while the one on the container adding only NET_ADMIN is high.
    let critical = scan_ids(&["--min-severity", "critical"]);
    assert_eq!(critical, [("KH105".to_string(), "critical".to_string())]);
    // The low, row-less runAsNonRoot finding (KH122) goes at high.
    let high = scan_ids(&["--min-severity", "high"]);
    assert!(
        high.iter().all(|(_, s)| s == "high" || s == "critical"),
        "{high:?}"
    );
    assert!(high.contains(&("KH105".into(), "high".into())), "{high:?}");
}

#[test]
fn nsa_cisa_framework_keeps_only_findings_that_name_a_row() {
    let all = scan_ids(&[]);
    assert!(all.contains(&("KH122".into(), "low".into())), "{all:?}");
    let nsa = scan_ids(&["--framework", "nsa-cisa"]);
    assert!(!nsa.iter().any(|(id, _)| id == "KH122"), "{nsa:?}");
    assert!(nsa.iter().any(|(id, _)| id == "KH105"), "{nsa:?}");
}

#[test]
fn junit_shows_what_a_rule_could_not_judge_as_skipped_not_passed() {
    // No Namespace object: the namespace's own checks are not judged.
    let out = common::run_in(
        Path::new("."),
        &["scan", "-", "--format", "junit", "--select", "KH510"],
        Some(CAPABILITIES.as_bytes()),
    );
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(
        xml.contains(r#"<skipped message="no Namespace object in the scan">namespace app: no Namespace object in the scan</skipped>"#),
        "{xml}"
    );
}

#[test]
fn names_from_the_input_cannot_drive_the_terminal() {
    // A crafted name: set the terminal title, clear the screen.
    let pod = "apiVersion: v1
kind: Pod
metadata: {name: \"web\\e]0;owned\\a\\e[2J\", namespace: app}
spec:
  containers:
  - name: \"c\\e[2J\"
    image: registry.example.com/web:1.0
    securityContext: {privileged: true}
";
    let out = common::run_in(Path::new("."), &["scan", "-"], Some(pod.as_bytes()));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(
        text.contains("web\\u{1b}]0;owned\\u{7}\\u{1b}[2J"),
        "{text}"
    );
}
