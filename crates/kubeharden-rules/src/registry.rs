//! The generated registry (see `build.rs`).

use std::sync::OnceLock;

use crate::rule::RuleEntry;

#[allow(clippy::all)]
mod generated {
    use crate::rule::RuleEntry;
    include!(concat!(env!("OUT_DIR"), "/registry.rs"));
}

/// Every rule, ordered by ID.
pub fn all_rules() -> &'static [&'static RuleEntry] {
    static SORTED: OnceLock<Vec<&'static RuleEntry>> = OnceLock::new();
    SORTED.get_or_init(|| {
        let mut rules: Vec<&'static RuleEntry> = generated::REGISTRY.iter().collect();
        rules.sort_by_key(|r| r.def.id);
        rules
    })
}

/// A rule by ID or name, case-insensitively.
pub fn find_rule(id_or_name: &str) -> Option<&'static RuleEntry> {
    all_rules().iter().copied().find(|r| {
        r.def.id.eq_ignore_ascii_case(id_or_name) || r.def.name.eq_ignore_ascii_case(id_or_name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_and_names_are_unique_and_well_formed() {
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for rule in all_rules() {
            let d = rule.def;
            assert!(ids.insert(d.id), "duplicate id {}", d.id);
            assert!(names.insert(d.name), "duplicate name {}", d.name);
            assert!(d.id.starts_with("KH") && d.id.len() == 5, "{}", d.id);
            assert!(
                d.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                d.name
            );
            assert!(!d.guidance.is_empty(), "{} names no checklist row", d.id);
        }
    }

    #[test]
    fn every_rule_documents_what_why_example_and_fix() {
        for rule in all_rules() {
            for heading in [
                "## What it does",
                "## Why it matters",
                "## Example",
                "## Fix",
            ] {
                assert!(
                    rule.doc.contains(heading),
                    "{} lacks {heading:?}",
                    rule.def.id
                );
            }
        }
    }
}
