//! A rule's YAML fix, where it is made of whole objects (a Role and its RoleBinding,
//! an ExternalSecret, a Namespace), is itself clean of that rule: a fix that still
//! had the problem would teach it.

use kubeharden_engine::{scan_text, ScanOptions};
use kubeharden_rules::{all_rules, RuleSet};

/// Whether every document of a snippet is a whole object (it names its kind).
fn whole_objects(yaml: &str) -> bool {
    yaml.split("\n---\n").all(|doc| {
        doc.lines().any(|l| l.starts_with("apiVersion:"))
            && doc.lines().any(|l| l.starts_with("kind:"))
    })
}

#[test]
fn snippets_of_whole_objects_do_not_raise_their_own_rule() {
    let mut tried = Vec::new();
    for rule in all_rules() {
        let Some(yaml) = rule.info.fix().and_then(|f| f.snippet) else {
            continue;
        };
        if !whole_objects(&yaml) {
            continue;
        }
        let report = scan_text("fix.yaml", &yaml, &RuleSet::all(), &ScanOptions::default());
        let own: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.rule_id == rule.def.id || f.covers.contains(&rule.def.id))
            .map(|f| f.message.as_str())
            .collect();
        assert!(
            own.is_empty(),
            "{}'s fix raises it: {own:?}\n{yaml}",
            rule.def.id
        );
        tried.push(rule.def.id);
    }
    // The RBAC fixes are whole objects; the test would prove nothing without them.
    for id in ["KH601", "KH603", "KH606", "KH611", "KH614"] {
        assert!(tried.contains(&id), "{id} not tried: {tried:?}");
    }
}
