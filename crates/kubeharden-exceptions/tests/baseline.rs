//! Baselines: fingerprints survive moving, reformatting and reordering; a new problem
//! is exactly one new finding.

use kubeharden_engine::{scan_text, ScanOptions, ScanReport};
use kubeharden_exceptions::Baseline;
use kubeharden_findings::SuppressionKind;
use kubeharden_rules::RuleSet;

const BEFORE: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
      - {name: web, image: "nginx:1.25", securityContext: {privileged: true}}
      - {name: proxy, image: "envoy:1.30"}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  type: NodePort
  ports:
  - port: 80
"#;

/// The same objects: documents reordered, blank lines and comments added, flow style,
/// keys reordered, containers swapped, the apiVersion's version changed.
const AFTER: &str = r#"# the Service first now
apiVersion: v1
kind: Service
metadata: {namespace: shop, name: web}
spec: {ports: [{port: 80}], type: NodePort}
---


kind: Deployment
apiVersion: apps/v1beta2
metadata:
  namespace: shop
  name: web
spec:
  template:
    spec:
      containers:
        - image: envoy:1.30
          name: proxy

        - securityContext: {privileged: true}
          name: web
          image: nginx:1.25
"#;

fn scan(name: &str, text: &str) -> ScanReport {
    scan_text(name, text, &RuleSet::all(), &ScanOptions::default())
}

#[test]
fn moved_reformatted_and_reordered_objects_show_nothing_new() {
    let before = scan("k8s/app.yaml", BEFORE);
    assert!(before.findings.len() > 5, "{}", before.findings.len());
    let baseline = Baseline::of(&before);
    let mut after = scan("deploy/moved.yaml", AFTER);
    assert_eq!(after.findings.len(), before.findings.len());
    baseline.apply(&mut after, "baseline.json");
    let new: Vec<String> = after.findings.iter().map(|f| f.fingerprint()).collect();
    assert!(new.is_empty(), "new after reformatting: {new:#?}");
    assert!(after
        .suppressed
        .iter()
        .all(|s| s.suppression.kind == SuppressionKind::Baseline
            && s.suppression.source == "baseline.json"));
}

#[test]
fn a_new_problem_is_exactly_one_new_finding() {
    let baseline = Baseline::of(&scan("app.yaml", BEFORE));
    let worse = AFTER.replace("        - image: envoy:1.30\n", "        - image: envoy:1.30\n          securityContext: {allowPrivilegeEscalation: true, privileged: true}\n");
    let mut after = scan("app.yaml", &worse);
    baseline.apply(&mut after, "baseline.json");
    let new: Vec<(&str, Option<&str>)> = after
        .findings
        .iter()
        .map(|f| (f.rule_id, f.container.as_deref()))
        .collect();
    assert_eq!(new, [("KH101", Some("proxy"))]);
}

#[test]
fn a_baseline_file_round_trips_and_a_bad_one_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baseline.json");
    let baseline = Baseline::of(&scan("app.yaml", BEFORE));
    baseline.write(&path).unwrap();
    let read = Baseline::read(&path).unwrap();
    assert_eq!(read.len(), baseline.len());
    let first = scan("app.yaml", BEFORE).findings[0].fingerprint();
    assert!(read.contains(&first));

    std::fs::write(
        &path,
        "{\"version\": 1,\n \"findings\": [{\"rule\": \"KH101\"}]}\n",
    )
    .unwrap();
    let error = Baseline::read(&path).unwrap_err().to_string();
    assert!(error.contains("baseline.json:2:"), "{error}");
    assert!(error.contains("missing field `fingerprint`"), "{error}");
    std::fs::write(&path, "{\"version\": 7, \"findings\": []}").unwrap();
    let error = Baseline::read(&path).unwrap_err().to_string();
    assert!(error.contains("baseline version 7"), "{error}");
}
