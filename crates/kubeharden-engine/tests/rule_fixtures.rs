//! Every rule has a failing and a passing fixture in
//! `crates/kubeharden-rules/tests/fixtures/<rule-name>.{fail,pass}.yaml` (`.Dockerfile`
//! for image-build rules). The failing
//! one must produce findings of that rule only, at the places its snapshot records;
//! the passing one none.

use std::path::PathBuf;

use kubeharden_engine::{scan_text, ScanOptions};
use kubeharden_rules::{all_rules, RuleSet, Selection};

/// `<stem>.yaml`, or `<stem>.Dockerfile` for rules about image builds.
fn fixture(stem: &str) -> (String, String) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../kubeharden-rules/tests/fixtures");
    let docker = format!("{stem}.Dockerfile");
    let name = if dir.join(&docker).is_file() {
        docker
    } else {
        format!("{stem}.yaml")
    };
    let path = dir.join(&name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("missing fixture {}: {e}", path.display()));
    (format!("fixtures/{name}"), text)
}

#[test]
fn every_rule_fails_its_failing_fixture_and_passes_its_passing_one() {
    // Node rules are tested on node trees (crates/kubeharden/tests/node.rs), audit
    // detectors on a generated log (crates/kubeharden-rules/tests/audit_detectors.rs).
    let manifest_rule = |r: &&&kubeharden_rules::RuleEntry| {
        !matches!(
            r.def.check,
            kubeharden_rules::Check::Node(_) | kubeharden_rules::Check::Audit(_)
        )
    };
    for rule in all_rules().iter().filter(manifest_rule) {
        let d = rule.def;
        let only = RuleSet::new(&Selection {
            select: vec![d.id.to_string()],
            ..Default::default()
        })
        .unwrap();

        let (name, text) = fixture(&format!("{}.fail", d.name));
        let report = scan_text(&name, &text, &only, &ScanOptions::default());
        assert!(report.errors.is_empty(), "{name}: {:?}", report.errors);
        assert!(
            !report.findings.is_empty(),
            "{name}: {} found nothing",
            d.id
        );
        let rendered: Vec<String> = report
            .findings
            .iter()
            .map(|f| {
                assert_eq!(f.rule_id, d.id);
                // Severity and rows are per finding: the snapshot pins both.
                format!(
                    "{}:{} {} [{}] {} {}: {}",
                    f.location.line,
                    f.location.column,
                    f.severity,
                    f.guidance.join(","),
                    f.resource,
                    f.path,
                    f.message
                )
            })
            .collect();
        insta::assert_snapshot!(format!("{}-{}", d.id, d.name), rendered.join("\n"));

        let (name, text) = fixture(&format!("{}.pass", d.name));
        let report = scan_text(&name, &text, &only, &ScanOptions::default());
        assert!(report.errors.is_empty(), "{name}: {:?}", report.errors);
        let found: Vec<_> = report.findings.iter().map(|f| &f.message).collect();
        assert!(
            found.is_empty(),
            "{name}: {} should pass, found {found:?}",
            d.id
        );
    }
}
