//! `kubeharden cluster --write-policy-reports` against the test bed's real API server,
//! with the PolicyReport CRDs of `../shared/schemas` installed, as the identity
//! `deploy/manifests/kubeharden.yaml` gives the in-cluster CronJob (its
//! ServiceAccount's token): that identity reads what the rules need (Secrets aside)
//! and writes the reports.
//!
//! - The API server accepts the reports (its schema prunes nothing: every field
//!   written is read back), one per namespace with findings and one cluster-wide,
//!   and each counts exactly the findings a JSON report of the same run has.
//! - A later run after objects were fixed shrinks a report, and deletes the report of
//!   a namespace left without findings; a report kubeharden wrote for a namespace it
//!   no longer finds anything in is deleted too.
//! - Reports of other tools are never touched, even one that has kubeharden's name.
//! - Without the CRDs, the run prints its report and fails (exit 2), saying why.
//! - After a scan with errors, stale reports are kept.
//! - `--report-max-results` caps a report and counts the rest; `--namespace` leaves
//!   the ClusterPolicyReport and the other namespaces alone.
//!
//! The test bed is private: the whole-cluster runs must see only these objects.

mod common;
mod policy_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use kubeharden_testbed::Testbed;
use serde_json::Value;

const CRDS: [&str; 2] = [
    "policyreport-v1alpha2.yaml",
    "clusterpolicyreport-v1alpha2.yaml",
];

/// `kubectl ARGS` as admin, with `stdin`.
fn kubectl(tb: &Testbed, args: &[&str], stdin: &str) -> Output {
    tb.kubectl_with_input("admin", args, stdin)
}

fn ok(out: Output, what: &str) -> Output {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The CRDs, served once established.
fn install_crds(tb: &Testbed, schemas: &Path) {
    for file in CRDS {
        let path = schemas.join(file);
        ok(
            kubectl(tb, &["apply", "-f", path.to_str().unwrap()], ""),
            file,
        );
    }
    let names = [
        "crd/policyreports.wgpolicyk8s.io",
        "crd/clusterpolicyreports.wgpolicyk8s.io",
    ];
    let mut args = vec!["wait", "--for", "condition=established", "--timeout", "60s"];
    args.extend(names);
    ok(kubectl(tb, &args, ""), "CRDs established");
}

/// Applies `deploy/manifests` (without a Pod Security warning, and the CronJob's pod
/// admitted in its namespace, which enforces "restricted"), and returns a kubeconfig
/// whose user is the token of the deployed ServiceAccount.
fn deployed_identity(tb: &Testbed, dir: &Path) -> PathBuf {
    let manifests = common::root().join("deploy/manifests/kubeharden.yaml");
    let text = std::fs::read_to_string(manifests).unwrap();
    let out = ok(
        kubectl(tb, &["apply", "-f", "-"], &text),
        "deploy/manifests",
    );
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(!warnings.contains("Warning"), "{warnings}");
    let cron = policy_common::documents(&text)
        .into_iter()
        .find(|o| o["kind"] == "CronJob")
        .unwrap();
    let pod = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "kubeharden-now", "namespace": "kubeharden"},
        "spec": cron["spec"]["jobTemplate"]["spec"]["template"]["spec"],
    });
    ok(
        kubectl(
            tb,
            &["create", "--dry-run=server", "-f", "-"],
            &pod.to_string(),
        ),
        "the CronJob's pod under Pod Security restricted",
    );
    let token = ok(
        kubectl(
            tb,
            &["create", "token", "kubeharden", "-n", "kubeharden"],
            "",
        ),
        "token of the deployed ServiceAccount",
    );
    let token = String::from_utf8(token.stdout).unwrap();
    let env = std::fs::read_to_string(tb.dir.join("testbed.env")).unwrap();
    let ca = env.lines().find_map(|l| l.strip_prefix("CA=")).unwrap();
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: in-cluster\nclusters:\n- name: testbed\n  cluster: {{server: \"{}\", certificate-authority: \"{ca}\"}}\nusers:\n- name: kubeharden\n  user: {{token: \"{}\"}}\ncontexts:\n- name: in-cluster\n  context: {{cluster: testbed, user: kubeharden}}\n",
            tb.server,
            token.trim()
        ),
    )
    .unwrap();
    path
}

/// `examples/insecure` as far as the API server takes it (it refuses the
/// NetworkPolicy with a typo), with the default ServiceAccount no controller makes here.
fn load_insecure_example(tb: &Testbed) {
    tb.apply("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: shop}\n",
    );
    let example = common::root().join("examples/insecure/shop.yaml");
    let _ = kubectl(tb, &["apply", "-f", example.to_str().unwrap()], "");
    ok(
        kubectl(
            tb,
            &["-n", "shop", "get", "deployment/web", "pod/toolbox"],
            "",
        ),
        "the example's objects are in the API server",
    );
}

/// A namespace with a single problem, and reports that are not this run's: another
/// tool's, one without any label, and one kubeharden wrote for a namespace that now
/// has no findings.
const OTHERS: &str = r#"apiVersion: v1
kind: Namespace
metadata: {name: fixme}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: fixme}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Pod
metadata: {name: privileged, namespace: fixme}
spec:
  automountServiceAccountToken: false
  containers:
  - name: c
    image: registry.example.com/app:1.0@sha256:4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f
    securityContext: {privileged: true}
---
apiVersion: v1
kind: Namespace
metadata: {name: quiet}
---
apiVersion: wgpolicyk8s.io/v1alpha2
kind: PolicyReport
metadata:
  name: kubeharden
  namespace: quiet
  labels: {app.kubernetes.io/managed-by: kubeharden}
summary: {fail: 1}
results:
- {policy: KH101, result: fail, severity: critical, message: fixed since}
---
apiVersion: wgpolicyk8s.io/v1alpha2
kind: PolicyReport
metadata:
  name: other-tool
  namespace: shop
  labels: {app.kubernetes.io/managed-by: other-tool}
summary: {pass: 1}
results:
- {policy: other-policy, result: pass}
---
apiVersion: wgpolicyk8s.io/v1alpha2
kind: ClusterPolicyReport
metadata: {name: unlabelled}
results:
- {policy: other-policy, result: warn}
"#;

/// `kubeharden cluster --write-policy-reports -f json ARGS` as the deployed identity:
/// (exit code, JSON report, stderr).
fn write_reports(kubeconfig: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec![
        "cluster",
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--write-policy-reports",
        "-f",
        "json",
    ];
    all.extend_from_slice(args);
    let out = common::run_in(&common::root(), &all, None);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), common::json(&out), stderr)
}

/// Findings per namespace ("" for cluster-scoped objects).
fn findings_by_scope(doc: &Value) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for f in doc["findings"].as_array().unwrap() {
        let ns = f["resource"]["namespace"].as_str().unwrap_or("");
        *counts.entry(ns.to_string()).or_default() += 1;
    }
    counts
}

/// Every report of `resource` in the API server, by "namespace/name".
fn stored(tb: &Testbed, resource: &str) -> BTreeMap<String, Value> {
    let out = ok(
        kubectl(tb, &["get", resource, "-A", "-o", "json"], ""),
        resource,
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let ns = r["metadata"]["namespace"].as_str().unwrap_or("");
            let name = r["metadata"]["name"].as_str().unwrap();
            (format!("{ns}/{name}"), r.clone())
        })
        .collect()
}

fn ours(reports: &BTreeMap<String, Value>) -> BTreeMap<String, &Value> {
    reports
        .iter()
        .filter(|(_, r)| r["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kubeharden")
        .map(|(k, r)| (k.clone(), r))
        .collect()
}

fn counted(report: &Value, verdicts: &[&str]) -> usize {
    verdicts
        .iter()
        .map(|v| report["summary"][v].as_u64().unwrap_or(0) as usize)
        .sum()
}

fn version(report: &Value) -> &str {
    report["metadata"]["resourceVersion"].as_str().unwrap()
}

/// Each namespace with findings has its report, counting exactly them; so does the
/// cluster report; and the server kept every field of every result.
fn assert_reports_match(tb: &Testbed, doc: &Value) -> BTreeMap<String, Value> {
    let expected = findings_by_scope(doc);
    let mut reports = stored(tb, "policyreports");
    reports.extend(stored(tb, "clusterpolicyreports"));
    let mine = ours(&reports);
    let got: BTreeMap<String, usize> = mine
        .iter()
        .map(|(key, r)| {
            let ns = key.split('/').next().unwrap().to_string();
            (ns, counted(r, &["fail", "warn"]))
        })
        .collect();
    assert_eq!(got, expected, "findings counted per report");
    for (key, report) in &mine {
        let results = report["results"].as_array().unwrap();
        assert_eq!(
            results.len(),
            counted(report, &["fail", "warn", "skip"]),
            "{key}"
        );
        for r in results {
            for field in [
                "policy", "rule", "result", "severity", "category", "message",
            ] {
                assert!(r[field].is_string(), "{key}: {field} lost: {r}");
            }
            assert!(r["timestamp"]["seconds"].is_i64(), "{key}: {r}");
            if r["result"] != "skip" {
                assert!(r["resources"][0]["kind"].is_string(), "{key}: {r}");
                assert!(r["properties"]["path"].is_string(), "{key}: {r}");
            }
        }
    }
    reports
}

#[test]
fn reports_are_stored_shrunk_deleted_and_never_touch_other_tools_reports() {
    let Some(schemas) = policy_common::schemas("PolicyReports are not written to an API server")
    else {
        return;
    };
    let Some(tb) = kubeharden_testbed::private("policy-reports") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = deployed_identity(&tb, dir.path());
    // Without the CRDs the report is still printed, and the run fails saying why.
    let (code, doc, stderr) = write_reports(&kubeconfig, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(doc["findings"].is_array());
    assert!(stderr.contains("install the PolicyReport CRDs"), "{stderr}");
    install_crds(&tb, &schemas);
    load_insecure_example(&tb);
    tb.apply(OTHERS);

    // First run: every namespace with findings gets its report.
    let (code, doc, stderr) = write_reports(&kubeconfig, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("policy reports: "), "{stderr}");
    let before = assert_reports_match(&tb, &doc);
    for ns in ["shop", "fixme"] {
        assert!(before.contains_key(&format!("{ns}/kubeharden")), "{ns}");
    }
    // kubeharden's own namespace has no findings: its one problem, the image not
    // pinned by digest, is excepted on the objects with the reason.
    assert!(!before.contains_key("kubeharden/kubeharden"));
    let cluster = &before["/kubeharden"];
    assert_eq!(cluster["kind"], "ClusterPolicyReport");
    // The deployed identity may not read Secrets: their checks are skip results.
    let skips: Vec<&Value> = cluster["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["result"] == "skip")
        .collect();
    assert!(
        skips.iter().any(|r| r["policy"] == "KH531"
            && r["message"].as_str().unwrap().contains("forbidden")),
        "{skips:?}"
    );
    // The stale report of a namespace without findings is gone; the others' stay.
    assert!(!before.contains_key("quiet/kubeharden"));
    assert!(before.contains_key("shop/other-tool"));
    assert!(before.contains_key("/unlabelled"));
    let shop = &before["shop/kubeharden"];
    let toolbox = shop["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resources"][0]["name"] == "toolbox")
        .count();
    assert!(toolbox > 0);

    // Second run, after fixes: shop shrinks by (at least) the toolbox pod's findings,
    // fixme has none left and its report goes.
    ok(
        kubectl(&tb, &["-n", "shop", "delete", "pod", "toolbox"], ""),
        "delete toolbox",
    );
    ok(
        kubectl(&tb, &["-n", "fixme", "delete", "pod", "privileged"], ""),
        "delete privileged",
    );
    let (code, doc, stderr) = write_reports(&kubeconfig, &[]);
    assert_eq!(code, 1, "{stderr}");
    let after = assert_reports_match(&tb, &doc);
    assert!(!after.contains_key("fixme/kubeharden"), "{stderr}");
    let shop_after = &after["shop/kubeharden"];
    assert!(counted(shop_after, &["fail", "warn"]) <= counted(shop, &["fail", "warn"]) - toolbox);
    assert!(!shop_after["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["resources"][0]["name"] == "toolbox"));
    for foreign in ["shop/other-tool", "/unlabelled"] {
        assert_eq!(
            version(&after[foreign]),
            version(&before[foreign]),
            "{foreign}"
        );
    }

    // A capped run limited to shop: its report keeps 5 results and counts them all;
    // the cluster report and the other namespaces' stay as they were.
    let (code, _, stderr) = write_reports(
        &kubeconfig,
        &["--namespace", "shop", "--report-max-results", "5"],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("5 of"), "{stderr}");
    let capped = stored(&tb, "policyreports");
    let report = &capped["shop/kubeharden"];
    let total = counted(report, &["fail", "warn", "skip"]);
    assert_eq!(report["results"].as_array().unwrap().len(), 5);
    assert_eq!(
        total,
        counted(&after["shop/kubeharden"], &["fail", "warn", "skip"])
    );
    let omitted = &report["metadata"]["annotations"]["kubeharden.io/results-omitted"];
    assert_eq!(omitted.as_str().unwrap(), (total - 5).to_string());
    // Every other namespace's report (cluster reports are compared below).
    let others = after
        .iter()
        .filter(|(name, _)| *name != "shop/kubeharden" && !name.starts_with('/'));
    for (name, report) in others {
        assert_eq!(version(&capped[name]), version(report), "{name}");
    }
    let cluster_now = stored(&tb, "clusterpolicyreports");
    assert_eq!(
        version(&cluster_now["/kubeharden"]),
        version(&after["/kubeharden"])
    );

    // A report named like kubeharden's but not labelled as its own is left alone,
    // and the run says so and fails.
    tb.apply(
        r#"apiVersion: v1
kind: Namespace
metadata: {name: clash}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: clash}
---
apiVersion: v1
kind: Pod
metadata: {name: privileged, namespace: clash}
spec:
  containers:
  - {name: c, image: nginx, securityContext: {privileged: true}}
---
apiVersion: wgpolicyk8s.io/v1alpha2
kind: PolicyReport
metadata: {name: kubeharden, namespace: clash}
results:
- {policy: someone-elses, result: pass}
"#,
    );
    let clash_before = stored(&tb, "policyreports")["clash/kubeharden"].clone();
    let (code, _, stderr) = write_reports(&kubeconfig, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("PolicyReport clash/kubeharden exists"),
        "{stderr}"
    );
    let clash_after = stored(&tb, "policyreports")["clash/kubeharden"].clone();
    assert_eq!(clash_after, clash_before);
    ok(
        kubectl(&tb, &["-n", "clash", "delete", "pod", "privileged"], ""),
        "delete the clash pod",
    );

    // A scan with errors (a custom workload whose pod template has the wrong shape)
    // still writes what it found, but keeps stale reports: what it could not judge
    // may be what made them.
    tb.apply(BROKEN_ROLLOUT_CRD);
    ok(
        kubectl(
            &tb,
            &[
                "wait",
                "--for",
                "condition=established",
                "--timeout",
                "60s",
                "crd/rollouts.argoproj.io",
            ],
            "",
        ),
        "Rollout CRD",
    );
    tb.apply(BROKEN_ROLLOUT);
    let stale = "apiVersion: wgpolicyk8s.io/v1alpha2\nkind: PolicyReport\nmetadata:\n  name: kubeharden\n  namespace: quiet\n  labels: {app.kubernetes.io/managed-by: kubeharden}\n";
    tb.apply(stale);
    let (code, doc, stderr) = write_reports(&kubeconfig, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(!doc["errors"].as_array().unwrap().is_empty());
    assert!(stderr.contains("stale policy reports are kept"), "{stderr}");
    assert!(!stderr.contains("not written by kubeharden"), "{stderr}");
    assert!(stored(&tb, "policyreports").contains_key("quiet/kubeharden"));
}

/// Argo Rollouts' kind, with no schema: the API server takes any shape.
const BROKEN_ROLLOUT_CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: rollouts.argoproj.io}
spec:
  group: argoproj.io
  scope: Namespaced
  names: {kind: Rollout, plural: rollouts, singular: rollout, listKind: RolloutList}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"#;

const BROKEN_ROLLOUT: &str = r#"apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: broken, namespace: fixme}
spec:
  template:
    spec:
      containers: not-a-list
"#;
