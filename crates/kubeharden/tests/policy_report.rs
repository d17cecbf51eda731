//! `--format policyreport`: findings as `wgpolicyk8s.io/v1alpha2` PolicyReports (one
//! per namespace) and a ClusterPolicyReport, checked against the CRDs of
//! `../shared/schemas`; every finding is counted, and a namespace with thousands of
//! findings makes a report capped in results and bytes, the most severe kept.
//! (`testbed_policy_reports.rs` stores them in a real API server.)

mod common;
mod policy_common;

use std::collections::BTreeMap;

use serde_json::Value;

use common::{root, run_in};
use policy_common::{crd, documents, problems, schemas, v1alpha2_schema};

/// `kubeharden ARGS` in the repository root: (exit code, stdout).
fn kubeharden(args: &[&str]) -> (i32, String) {
    let out = run_in(&root(), args, None);
    let code = out.status.code().unwrap_or(-1);
    assert_ne!(
        code,
        2,
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, String::from_utf8(out.stdout).unwrap())
}

/// Findings per namespace ("" for cluster-scoped) of a JSON report.
fn findings_by_scope(doc: &Value) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for f in doc["findings"].as_array().unwrap() {
        let ns = f["resource"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        *counts.entry(ns).or_default() += 1;
    }
    counts
}

fn summary_total(report: &Value, verdicts: &[&str]) -> usize {
    verdicts
        .iter()
        .map(|v| report["summary"][v].as_u64().unwrap() as usize)
        .sum()
}

#[test]
fn every_finding_is_a_result_of_its_namespace_report() {
    let (code, json) = kubeharden(&["scan", "examples/insecure", "-f", "json"]);
    assert_eq!(code, 1);
    let expected = findings_by_scope(&serde_json::from_str(&json).unwrap());
    let (code, yaml) = kubeharden(&["scan", "examples/insecure", "-f", "policyreport"]);
    assert_eq!(
        code, 1,
        "the exit code follows the findings, as for every format"
    );
    let reports = documents(&yaml);
    let mut got = BTreeMap::new();
    for report in &reports {
        let ns = report["metadata"]["namespace"].as_str().unwrap_or("");
        assert_eq!(report["metadata"]["name"], "kubeharden");
        assert_eq!(
            report["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "kubeharden"
        );
        assert_eq!(
            report["kind"],
            if ns.is_empty() {
                "ClusterPolicyReport"
            } else {
                "PolicyReport"
            }
        );
        let results = report["results"].as_array().unwrap();
        let findings: Vec<_> = results.iter().filter(|r| r["result"] != "skip").collect();
        assert_eq!(findings.len(), summary_total(report, &["fail", "warn"]));
        for r in &findings {
            let object = &r["resources"][0];
            assert_eq!(object["namespace"].as_str().unwrap_or(""), ns);
            assert_eq!(object["fieldPath"], r["properties"]["path"]);
            assert!(r["properties"]["guidance"]
                .as_str()
                .is_some_and(|g| !g.is_empty()));
            assert!(r["category"].as_str().is_some_and(|c| !c.is_empty()));
            assert!(r["policy"].as_str().unwrap().starts_with("KH"));
        }
        got.insert(ns.to_string(), findings.len());
    }
    assert_eq!(got, expected);
    // Low and above fail the run (the default --fail-on); info only warns.
    let all: Vec<&Value> = reports
        .iter()
        .flat_map(|r| r["results"].as_array().unwrap())
        .collect();
    assert!(all.iter().any(|r| r["result"] == "fail"));
    for r in all.iter().filter(|r| r["result"] != "skip") {
        let info = r["severity"] == "info";
        assert_eq!(r["result"], if info { "warn" } else { "fail" }, "{r}");
    }
}

#[test]
fn reports_follow_the_policy_report_crds() {
    let Some(dir) = schemas("PolicyReport schema validation not run") else {
        return;
    };
    let namespaced = v1alpha2_schema(&crd(&dir, "policyreport-v1alpha2.yaml"));
    let cluster = v1alpha2_schema(&crd(&dir, "clusterpolicyreport-v1alpha2.yaml"));
    // Findings of files, cluster-wide findings and checks not judged (a namespace
    // without its Namespace object).
    for path in [
        "examples/insecure",
        "examples/rbac",
        "crates/kubeharden/tests/formats",
    ] {
        let out = run_in(&root(), &["scan", path, "-f", "policyreport"], None);
        let reports = documents(&String::from_utf8(out.stdout).unwrap());
        assert!(!reports.is_empty(), "{path}");
        for report in &reports {
            let schema = match report["kind"].as_str() {
                Some("PolicyReport") => &namespaced,
                _ => &cluster,
            };
            let found = problems(schema, report);
            assert!(found.is_empty(), "{path}: {}", found.join("\n"));
            // Only fields the schema declares: the API server would prune others.
            let declared = schema["properties"]["results"]["items"]["properties"]
                .as_object()
                .unwrap();
            for result in report["results"].as_array().unwrap() {
                for key in result.as_object().unwrap().keys() {
                    assert!(declared.contains_key(key), "{path}: undeclared {key}");
                }
            }
        }
    }
}

/// One namespace with `pods` pods, each with several findings of every severity.
fn crowded_namespace(pods: usize) -> String {
    let mut text = String::new();
    for i in 0..pods {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: crowd}}\n\
             spec:\n  hostNetwork: true\n  containers:\n  - name: c\n    image: nginx\n    \
             securityContext: {{privileged: true}}\n"
        ));
    }
    text
}

#[test]
fn a_crowded_namespace_makes_a_capped_report_that_counts_everything() {
    let dir = common::tree(&[("crowd.yaml", &crowded_namespace(2000))]);
    let scan = |format: &str| {
        let out = run_in(dir.path(), &["scan", "crowd.yaml", "-f", format], None);
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stdout).unwrap()
    };
    let findings = findings_by_scope(&serde_json::from_str(&scan("json")).unwrap())["crowd"];
    let report = documents(&scan("policyreport")).remove(0);
    let results = report["results"].as_array().unwrap();
    let bytes = serde_json::to_vec(&report).unwrap().len();
    eprintln!(
        "crowd: {findings} findings, {} results kept in {bytes} bytes of JSON",
        results.len()
    );
    assert!(results.len() < findings);
    assert!(results.len() <= kubeharden_report::DEFAULT_MAX_RESULTS);
    assert!(
        bytes <= kubeharden_report::MAX_REPORT_BYTES,
        "{bytes} bytes"
    );
    // The summary counts every finding; the annotation says how many are left out.
    assert_eq!(summary_total(&report, &["fail", "warn"]), findings);
    let omitted = &report["metadata"]["annotations"][kubeharden_report::OMITTED_ANNOTATION];
    assert_eq!(
        omitted.as_str().unwrap(),
        (findings - results.len()).to_string()
    );
    // Most severe first: critical findings (privileged) come before the others.
    let ranks: Vec<usize> = results
        .iter()
        .map(|r| {
            ["critical", "high", "medium", "low", "info"]
                .iter()
                .position(|s| r["severity"] == *s)
                .unwrap()
        })
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    assert_eq!(ranks[0], 0);
}
