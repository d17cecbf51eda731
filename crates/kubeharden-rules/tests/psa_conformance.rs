//! Kubernetes' own Pod Security Admission fixtures (v1.37, 148 pods) from
//! `../shared/conformance/psa/`: every verdict must agree. Skipped, with a
//! `SKIPPED` line, where that folder is absent (a user's clone); required in CI.

use std::path::PathBuf;
use std::sync::Arc;

use kubeharden_load::load_text;
use kubeharden_rules::{Framework, RuleSet, Selection};
use kubeharden_yaml::Limits;

fn fixtures_dir() -> Option<PathBuf> {
    kubeharden_testkit::shared("conformance/psa", "PSA conformance not checked")
}

/// Restricted checks whose cases kubeharden reports under the baseline check that
/// already covers them, so each problem is reported once.
fn reported_as(check: &str) -> &[&str] {
    match check {
        "restrictedVolumes" => &["restrictedVolumes", "hostPathVolumes"],
        "seccompProfile_restricted" => &["seccompProfile_restricted", "seccompProfile_baseline"],
        "capabilities_restricted" => &["capabilities_restricted", "capabilities_baseline"],
        "procMount_restricted" => &["procMount_restricted", "procMount"],
        _ => &[],
    }
}

#[test]
fn agrees_with_kubernetes_on_every_fixture() {
    let Some(dir) = fixtures_dir() else {
        return;
    };
    let cases = std::fs::read_to_string(dir.join("cases.jsonl")).unwrap();
    let baseline = RuleSet::new(&Selection {
        framework: Framework::PssBaseline,
        ..Default::default()
    })
    .unwrap();
    let restricted = RuleSet::new(&Selection {
        framework: Framework::PssRestricted,
        ..Default::default()
    })
    .unwrap();
    let mut disagreements = Vec::new();
    let mut total = 0;
    for line in cases.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let file = case["file"].as_str().unwrap();
        let expect_fail = case["expect"] == "fail";
        let rules = if case["level"] == "baseline" {
            &baseline
        } else {
            &restricted
        };
        let text = std::fs::read_to_string(dir.join("fixtures").join(file)).unwrap();
        let name: Arc<str> = file.into();
        let loaded = load_text(&name, &text, &Limits::default());
        assert!(loaded.errors.is_empty(), "{file}: {:?}", loaded.errors);
        assert_eq!(loaded.objects.len(), 1, "{file}");
        let result = rules.check_object(&loaded.objects[0]);
        assert!(result.errors.is_empty(), "{file}: {:?}", result.errors);
        let fired: Vec<&str> = result
            .findings
            .iter()
            .map(|f| {
                kubeharden_rules::find_rule(f.rule_id)
                    .unwrap()
                    .def
                    .pss
                    .unwrap()
                    .check
            })
            .collect();
        total += 1;
        let ok = if expect_fail {
            let check = case["check"].as_str().unwrap();
            let accepted = reported_as(check);
            fired.iter().any(|f| *f == check || accepted.contains(f))
        } else {
            fired.is_empty()
        };
        if !ok {
            disagreements.push(format!(
                "{file}: expected {} ({}), kubeharden fired {fired:?}",
                case["expect"], case["check"]
            ));
        }
    }
    assert_eq!(total, 148, "expected all 148 fixtures");
    assert!(
        disagreements.is_empty(),
        "{} of {total} disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    eprintln!("PSA conformance: {total}/{total} fixtures agree");
}
