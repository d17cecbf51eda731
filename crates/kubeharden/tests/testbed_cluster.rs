//! `kubeharden cluster` against the test bed's real API server.
//!
//! - As the read-only identity of `deploy/rbac/scanner-clusterrole.yaml` (the
//!   `scanner` context), it reads every kind the rules need: nothing is forbidden.
//! - As an identity that may not read Secrets (a service account with the same role
//!   minus `secrets`, using a bearer token), the Secret checks are listed as not
//!   judged with the server's reason, never passed.
//! - Findings are located at `cluster://CONTEXT/NAMESPACE/KIND/NAME` with their field
//!   paths, in text, JSON and SARIF; pages of any size give the same report; a bad
//!   context or an unreachable server is an error (exit 2).
//! - The configuration file's exceptions and inline annotations apply to a live scan
//!   and to a scan of its snapshot alike.
//!
//! Each test works in namespaces of its own and scans only them (`--namespace`) when
//! it asserts on what is in them: other tests share the test bed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use kubeharden_testbed::Testbed;
use serde_json::Value;

/// A namespace with its default service account (the test bed runs no controller
/// that would make it) and a few objects with known problems.
fn shop(ns: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Namespace
metadata: {{name: {ns}}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: default, namespace: {ns}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        securityContext: {{privileged: true}}
---
apiVersion: v1
kind: Secret
metadata:
  name: web-token
  namespace: {ns}
  annotations: {{kubernetes.io/service-account.name: default}}
type: kubernetes.io/service-account-token
---
apiVersion: v1
kind: Secret
metadata: {{name: db, namespace: {ns}}}
stringData: {{password: hunter2-do-not-print}}
"#
    )
}

/// `kubeharden cluster ARGS` with the test bed's kubeconfig.
fn cluster(kubeconfig: &Path, args: &[&str]) -> Output {
    let mut all = vec!["cluster", "--kubeconfig", kubeconfig.to_str().unwrap()];
    all.extend_from_slice(args);
    common::run_in(&common::root(), &all, None)
}

fn findings(doc: &Value) -> Vec<&Value> {
    doc["findings"].as_array().unwrap().iter().collect()
}

fn skipped(doc: &Value) -> Vec<&Value> {
    doc["summary"]["skipped_checks"]
        .as_array()
        .unwrap()
        .iter()
        .collect()
}

/// (rule, location, path) of each finding.
fn verdicts(doc: &Value) -> Vec<(String, String, String)> {
    findings(doc)
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["location"]["file"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// (rule, object, path) of each finding: what a scan of a snapshot must agree on.
fn by_object(doc: &Value) -> std::collections::BTreeSet<String> {
    findings(doc)
        .iter()
        .map(|f| {
            let r = &f["resource"];
            format!(
                "{} {} {}/{} {}",
                f["rule_id"].as_str().unwrap(),
                r["kind"].as_str().unwrap(),
                r["namespace"].as_str().unwrap_or(""),
                r["name"].as_str().unwrap(),
                f["path"].as_str().unwrap()
            )
        })
        .collect()
}

/// Scans the snapshot file a `cluster` run wrote, offline.
fn scan_snapshot(path: &Path) -> Value {
    let out = common::run_in(
        &common::root(),
        &["scan", path.to_str().unwrap(), "-f", "json"],
        None,
    );
    assert!(
        out.status.code() != Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::json(&out)
}

#[test]
fn the_read_only_identity_reads_everything_the_rules_need() {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    let ns = "live-scanner";
    tb.apply(&shop(ns));
    let out = cluster(&tb.kubeconfig, &["--context", "scanner", "-f", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Piped, the progress display stays silent.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = common::json(&out);
    let forbidden: Vec<_> = skipped(&doc)
        .into_iter()
        .filter(|s| s["reason"].as_str().unwrap().contains("forbidden"))
        .collect();
    assert!(
        forbidden.is_empty(),
        "the shipped ClusterRole misses: {forbidden:?}"
    );
    let privileged = findings(&doc)
        .into_iter()
        .find(|f| f["rule_id"] == "KH101" && f["resource"]["namespace"] == ns)
        .expect("the privileged Deployment is found");
    assert_eq!(
        privileged["location"]["file"],
        format!("cluster://scanner/{ns}/Deployment/web")
    );
    assert_eq!(
        privileged["path"],
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    assert_eq!(privileged["location"]["line"], 0);
    // The legacy token Secret is judged; no Secret value is ever printed.
    assert!(findings(&doc)
        .iter()
        .any(|f| f["rule_id"] == "KH531" && f["resource"]["namespace"] == ns));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("hunter2"));
}

/// A kubeconfig whose user is a token of a service account bound to the shipped
/// ClusterRole minus Secrets.
fn no_secrets_identity(tb: &Testbed, dir: &Path) -> PathBuf {
    let ns = "live-identities";
    tb.apply(&format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: no-secrets, namespace: {ns}}}\n"
        ),
    );
    let shipped = tb.kubectl(
        "admin",
        &["get", "clusterrole", "kubeharden-scanner", "-o", "json"],
    );
    assert!(shipped.status.success());
    let mut role: Value = serde_json::from_slice(&shipped.stdout).unwrap();
    role["metadata"] = serde_json::json!({ "name": "kubeharden-no-secrets" });
    for rule in role["rules"].as_array_mut().unwrap() {
        if let Some(resources) = rule["resources"].as_array_mut() {
            resources.retain(|r| r != "secrets");
        }
    }
    tb.apply(&role.to_string());
    tb.apply(&format!(
            r#"{{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {{"name": "kubeharden-no-secrets"}},
                "roleRef": {{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kubeharden-no-secrets"}},
                "subjects": [{{"kind": "ServiceAccount", "name": "no-secrets", "namespace": "{ns}"}}]}}"#
        ),
    );
    token_kubeconfig(tb, dir, ns, "no-secrets")
}

/// A kubeconfig (in DIR) whose user is a token of service account NS/NAME.
fn token_kubeconfig(tb: &Testbed, dir: &Path, ns: &str, name: &str) -> PathBuf {
    let token = tb.kubectl("admin", &["create", "token", name, "-n", ns]);
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8(token.stdout).unwrap();
    let env = std::fs::read_to_string(tb.dir.join("testbed.env")).unwrap();
    let ca = env
        .lines()
        .find_map(|l| l.strip_prefix("CA="))
        .expect("testbed.env names the CA");
    let path = dir.join(format!("kubeconfig-{name}"));
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {name}\nclusters:\n- name: testbed\n  cluster: {{server: \"{}\", certificate-authority: \"{ca}\"}}\nusers:\n- name: {name}\n  user: {{token: \"{}\"}}\ncontexts:\n- name: {name}\n  context: {{cluster: testbed, user: {name}}}\n",
            tb.server,
            token.trim()
        ),
    )
    .unwrap();
    path
}

/// An identity allowed to read nothing checks nothing: exit 2 and a message, never
/// a clean pass that a CI gate would take for green (a new user's report).
#[test]
fn an_identity_that_can_read_nothing_is_an_error_not_a_pass() {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    let ns = "live-nobody";
    tb.apply(&format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: nobody, namespace: {ns}}}\n"
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = token_kubeconfig(tb, dir.path(), ns, "nobody");
    for args in [&["-f", "json"][..], &["--fail-on-errors", "never"][..]] {
        let out = cluster(&kubeconfig, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("read no object from the cluster"),
            "{stderr}"
        );
    }
    // No score and no object: the checks on the run's own record are no compliance.
    let doc = common::json(&cluster(&kubeconfig, &["-f", "json"]));
    assert_eq!(
        doc["summary"]["score"]["percent"],
        Value::Null,
        "{}",
        doc["summary"]
    );
    assert_eq!(doc["summary"]["score"]["checks"], 0);
    assert_eq!(doc["summary"]["objects"], 0);
    let text = cluster(&kubeconfig, &[]);
    assert!(!String::from_utf8_lossy(&text.stdout).contains("Compliance score"));
    // Reports of nothing would replace the last good ones: none is written.
    let out = cluster(&kubeconfig, &["--write-policy-reports"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the policy reports are left as they are") && !stderr.contains("replaced"),
        "{stderr}"
    );
    // The read-only identity of the same cluster reads objects: no such error.
    let out = cluster(&tb.kubeconfig, &["--context", "scanner", "-f", "json"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("read no object"));
}

#[test]
fn an_identity_that_cannot_read_secrets_gets_them_not_judged() {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    let ns = "live-nosecrets";
    tb.apply(&shop(ns));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = no_secrets_identity(tb, dir.path());
    let snapshot = dir.path().join("snapshot.yaml");
    let out = cluster(
        &kubeconfig,
        &["-f", "json", "--snapshot", snapshot.to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = common::json(&out);
    // Offline, its snapshot says the same, the checks it could not make included.
    let offline = scan_snapshot(&snapshot);
    assert_eq!(by_object(&offline), by_object(&doc));
    assert_eq!(skipped(&offline), skipped(&doc));
    let secrets = skipped(&doc)
        .into_iter()
        .find(|s| s["scope"] == "secrets (all namespaces)")
        .expect("the Secret checks are listed as not judged");
    assert!(secrets["reason"]
        .as_str()
        .unwrap()
        .starts_with("forbidden: "));
    let rules: Vec<&str> = secrets["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(rules, ["KH531", "KH532", "KH620"]);
    // Nothing else is missing, and what it can read is judged.
    assert_eq!(
        skipped(&doc)
            .iter()
            .filter(|s| s["reason"].as_str().unwrap().contains("forbidden"))
            .count(),
        1
    );
    let ids: Vec<&str> = findings(&doc)
        .iter()
        .filter(|f| f["resource"]["namespace"] == ns)
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"KH101") && !ids.contains(&"KH531"), "{ids:?}");
    // The text report says so too.
    let text = cluster(&kubeconfig, &[]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("Not judged\n")
            && text.contains("secrets (all namespaces): KH531, KH532, KH620 (forbidden: "),
        "{text}"
    );
}

#[test]
fn findings_are_located_in_the_cluster_in_every_format() {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    let ns = "live-formats";
    tb.apply(&shop(ns));
    let text = cluster(&tb.kubeconfig, &["-n", ns]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!(
            "cluster://admin/{ns}/Deployment/web\n  Deployment {ns}/web\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(
            "             spec.template.spec.containers[0].securityContext.privileged  [POD-12, POD-18, POD-19]  (also KH121, KH125)"
        ),
        "{text}"
    );
    assert!(text.contains(" objects from cluster://admin, "), "{text}");
    let sarif = cluster(&tb.kubeconfig, &["-n", ns, "-f", "sarif"]);
    let sarif = common::json(&sarif);
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "KH101")
        .unwrap();
    let location = &result["locations"][0];
    assert_eq!(
        location["physicalLocation"]["artifactLocation"]["uri"],
        format!("cluster://admin/{ns}/Deployment/web")
    );
    assert!(location["physicalLocation"].get("region").is_none());
    assert_eq!(
        location["logicalLocations"][0]["fullyQualifiedName"],
        format!("Deployment/{ns}/web")
    );
    let junit = cluster(&tb.kubeconfig, &["-n", ns, "-f", "junit"]);
    assert!(String::from_utf8_lossy(&junit.stdout)
        .contains(&format!("cluster://admin/{ns}/Deployment/web: ")));
}

#[test]
fn small_pages_give_the_same_report() {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    let ns = "live-pages";
    let mut yaml = shop(ns);
    for i in 0..7 {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: {ns}}}\ndata: {{password: s3cr3t-{i}}}\n"
        ));
    }
    tb.apply(&yaml);
    let whole = common::json(&cluster(&tb.kubeconfig, &["-n", ns, "-f", "json"]));
    let paged = common::json(&cluster(
        &tb.kubeconfig,
        &["-n", ns, "-f", "json", "--chunk-size", "2"],
    ));
    assert_eq!(verdicts(&whole), verdicts(&paged));
    assert_eq!(
        findings(&paged)
            .iter()
            .filter(|f| f["rule_id"] == "KH533")
            .count(),
        7
    );
    // The compliance score counts the same checks however the lists are paged, and
    // every format of `cluster` shows it (docs/score.md).
    let score = &whole["summary"]["score"];
    assert_eq!(score, &paged["summary"]["score"]);
    assert!(score["checks"].as_u64().unwrap() > 0, "{score}");
    let configmaps = whole["summary"]["per_rule"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == "KH533")
        .unwrap();
    assert_eq!(configmaps["failed"], 7, "{configmaps}");
    assert!(configmaps["checks"].as_u64().unwrap() >= 7, "{configmaps}");
    let percent = format!("{:.1}%", score["percent"].as_f64().unwrap());
    let md = cluster(&tb.kubeconfig, &["-n", ns, "-f", "markdown"]);
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        md.starts_with(&format!("## kubeharden: compliance score {percent}")),
        "{md}"
    );
    let text = cluster(&tb.kubeconfig, &["-n", ns, "--summary"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("Compliance score {percent}")),
        "{text}"
    );
}

#[test]
fn a_bad_context_or_an_unreachable_server_is_an_error() {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    let out = cluster(&tb.kubeconfig, &["--context", "nosuch"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no context \"nosuch\"") && err.contains("admin"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!("apiVersion: v1\nkind: Config\ncurrent-context: gone\nclusters:\n- name: gone\n  cluster: {{server: \"https://127.0.0.1:{port}\", insecure-skip-tls-verify: true}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: gone\n  context: {{cluster: gone, user: u}}\n"),
    )
    .unwrap();
    let out = cluster(&kubeconfig, &["--retries", "1", "--request-timeout", "2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot discover") || err.contains("after 2 attempts"),
        "{err}"
    );
}

#[test]
fn a_snapshot_scans_offline_to_the_same_findings_without_secret_values() {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    let ns = "live-snapshot";
    tb.apply(&shop(ns));
    // Credentials outside Secrets: judged (KH533, KH401), never written.
    tb.apply(&format!(
        r#"apiVersion: v1
kind: ConfigMap
metadata: {{name: app-config, namespace: {ns}}}
data:
  db_password: tiger-in-configmap
  app.properties: |
    url=jdbc:postgresql://db/shop
    password=tiger-in-file
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: worker, namespace: {ns}}}
spec:
  selector: {{matchLabels: {{app: worker}}}}
  template:
    metadata: {{labels: {{app: worker}}}}
    spec:
      containers:
      - name: worker
        image: busybox:1.36
        env:
        - {{name: API_TOKEN, value: tiger-in-env}}
"#
    ));
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("cluster.yaml");
    let args = [
        "-n",
        ns,
        "-f",
        "json",
        "--snapshot",
        snapshot.to_str().unwrap(),
    ];
    let live = common::json(&cluster(&tb.kubeconfig, &args));
    let offline = scan_snapshot(&snapshot);
    assert!(!by_object(&live).is_empty());
    assert_eq!(by_object(&offline), by_object(&live));
    assert_eq!(skipped(&offline), skipped(&live));
    assert_eq!(offline["summary"]["objects"], live["summary"]["objects"]);
    // Offline findings point at lines of the snapshot.
    let first = &findings(&offline)[0]["location"];
    assert!(first["line"].as_u64().unwrap() > 0);
    let text = std::fs::read_to_string(&snapshot).unwrap();
    assert!(!text.contains("hunter2"), "a Secret value was written");
    assert!(
        !text.contains("tiger-in"),
        "a credential was written:\n{text}"
    );
    let rules: Vec<&str> = findings(&live)
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert!(
        rules.contains(&"KH533") && rules.contains(&"KH401"),
        "{rules:?}"
    );
    assert!(text.contains("  password: \"\"\n"), "a Secret key was lost");
    assert!(text.contains("kind: ClusterSnapshot\n"));
    assert!(text.contains(&format!("namespaces:\n- {ns}\n")));
}

/// The uid the API server gave an object.
fn uid(tb: &Testbed, ns: &str, what: &str) -> String {
    let out = tb.kubectl(
        "admin",
        &["get", what, "-n", ns, "-o", "jsonpath={.metadata.uid}"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_pod_its_replica_set_and_their_deployment_give_one_finding_per_problem() {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    // The test bed runs no controllers: the test makes what the Deployment and
    // ReplicaSet controllers would, with their owner references.
    let ns = "live-owners";
    tb.apply(&shop(ns));
    let template = "metadata: {labels: {app: web, pod-template-hash: 5f7b}}\n    spec:\n      containers:\n      - {name: web, image: nginx:1.25, securityContext: {privileged: true}}";
    let deployment = uid(tb, ns, "deployment/web");
    tb.apply(&format!(
            "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-5f7b\n  namespace: {ns}\n  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: web, uid: {deployment}, controller: true}}]\nspec:\n  selector: {{matchLabels: {{app: web, pod-template-hash: 5f7b}}}}\n  template:\n    {template}\n"
        ),
    );
    let replica_set = uid(tb, ns, "replicaset/web-5f7b");
    tb.apply(&format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-5f7b-q8x2z\n  namespace: {ns}\n  labels: {{app: web, pod-template-hash: 5f7b}}\n  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: web-5f7b, uid: {replica_set}, controller: true}}]\nspec:\n  containers:\n  - {{name: web, image: nginx:1.25, securityContext: {{privileged: true}}}}\n"
        ),
    );
    let doc = common::json(&cluster(&tb.kubeconfig, &["-n", ns, "-f", "json"]));
    let privileged: Vec<&str> = findings(&doc)
        .iter()
        .filter(|f| f["rule_id"] == "KH101")
        .map(|f| f["location"]["file"].as_str().unwrap())
        .collect();
    assert_eq!(privileged, [format!("cluster://admin/{ns}/Deployment/web")]);
    assert!(
        !findings(&doc)
            .iter()
            .any(|f| f["resource"]["kind"] == "ReplicaSet"),
        "{:#?}",
        verdicts(&doc)
    );
}

#[test]
fn the_control_plane_pods_of_kube_system_are_judged_by_the_node_rules() {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    // A static pod as a kubelet mirrors it (the test bed has no kubelet).
    let pod = std::fs::read_to_string(
        common::root().join("crates/kubeharden/tests/dumps/control-plane-pod.yaml"),
    )
    .unwrap()
    .replace("kube-apiserver-cp-1", "kube-apiserver-live-test")
    .replace("nodeName: cp-1", "nodeName: live-test-cp");
    tb.apply(&pod);
    let doc = common::json(&cluster(
        &tb.kubeconfig,
        &["--context", "scanner", "-n", "kube-system", "-f", "json"],
    ));
    let anonymous = findings(&doc)
        .into_iter()
        .find(|f| f["rule_id"] == "KH701" && f["resource"]["name"] == "kube-apiserver-live-test")
        .expect("the API server's --anonymous-auth=true is found");
    assert_eq!(
        anonymous["location"]["file"],
        "cluster://scanner/kube-system/Pod/kube-apiserver-live-test"
    );
    assert_eq!(anonymous["path"], "spec.containers[0].command[2]");
    // LOG-08: no audit webhook among the flags.
    assert!(findings(&doc)
        .iter()
        .any(|f| f["rule_id"] == "KH713" && f["resource"]["name"] == "kube-apiserver-live-test"));
    assert!(skipped(&doc)
        .iter()
        .any(|s| s["scope"] == "node live-test-cp" && s["rules"][0] == "KH740"));
    // Not reading kube-system is said as such.
    let elsewhere = common::json(&cluster(&tb.kubeconfig, &["-n", "default", "-f", "json"]));
    let control_plane = skipped(&elsewhere)
        .into_iter()
        .find(|s| s["scope"] == "control plane")
        .expect("the control plane is not judged");
    assert!(control_plane["reason"]
        .as_str()
        .unwrap()
        .contains("was not read"));
    let deleted = tb.kubectl(
        "admin",
        &[
            "delete",
            "pod",
            "-n",
            "kube-system",
            "kube-apiserver-live-test",
            // No kubelet confirms a graceful deletion in the test bed.
            "--grace-period=0",
            "--force",
        ],
    );
    assert!(deleted.status.success());
}

#[test]
fn exceptions_apply_to_a_live_scan_and_to_its_snapshot() {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    let ns = "live-exceptions";
    tb.apply(&shop(ns));
    tb.apply(&format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: gpu
  namespace: {ns}
  annotations:
    kubeharden.io/ignore: KH101
    kubeharden.io/ignore-reason: the GPU driver needs it
spec:
  selector: {{matchLabels: {{app: gpu}}}}
  template:
    metadata: {{labels: {{app: gpu}}}}
    spec:
      containers:
      - name: gpu
        image: nginx:1.25
        securityContext: {{privileged: true}}
"#
    ));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kubeharden.yaml");
    std::fs::write(
        &config,
        format!("select: [KH101]\nexceptions:\n  - namespaces: [{ns}]\n    names: [web]\n    reason: web is being replaced\n"),
    )
    .unwrap();
    let snapshot = dir.path().join("cluster.yaml");
    let args = [
        "--context",
        "scanner",
        "-n",
        ns,
        "-f",
        "json",
        "--config",
        config.to_str().unwrap(),
        "--snapshot",
        snapshot.to_str().unwrap(),
    ];
    let out = cluster(&tb.kubeconfig, &args);
    // Both privileged Deployments are accepted: nothing fails the run.
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let suppressed = |doc: &Value| -> Vec<(String, String)> {
        let mut kept: Vec<(String, String)> = doc["suppressed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["resource"]["name"].as_str().unwrap().to_string(),
                    s["suppression"]["kind"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        kept.sort();
        kept
    };
    let live = common::json(&out);
    assert!(findings(&live).is_empty(), "{live}");
    let expected = [
        ("gpu".to_string(), "inline".to_string()),
        ("web".to_string(), "config".to_string()),
    ];
    assert_eq!(suppressed(&live), expected);
    // Offline, the snapshot with the same file: the same.
    let offline = common::run_in(
        &common::root(),
        &[
            "scan",
            snapshot.to_str().unwrap(),
            "-f",
            "json",
            "--config",
            config.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(offline.status.code(), Some(0));
    assert_eq!(suppressed(&common::json(&offline)), expected);
}
