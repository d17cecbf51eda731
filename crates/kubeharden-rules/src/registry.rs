//! The registry: the rules `src/rules/mod.rs` lists, each with the documentation
//! taken from its file's `//!` comment.

use std::sync::OnceLock;

use crate::rule::RuleEntry;
use crate::rules::REGISTERED;

/// Every rule, ordered by ID.
pub fn all_rules() -> &'static [&'static RuleEntry] {
    static SORTED: OnceLock<Vec<&'static RuleEntry>> = OnceLock::new();
    SORTED.get_or_init(|| {
        let mut rules: Vec<&'static RuleEntry> = entries().iter().collect();
        rules.sort_by_key(|r| r.def.id);
        rules
    })
}

/// The registered rules with their documentation, in registry order.
fn entries() -> &'static [RuleEntry] {
    static DOCS: OnceLock<Vec<String>> = OnceLock::new();
    static ENTRIES: OnceLock<Vec<RuleEntry>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        let docs = DOCS.get_or_init(|| REGISTERED.iter().map(|r| doc_comment(r.source)).collect());
        REGISTERED
            .iter()
            .zip(docs)
            .map(|(r, doc)| RuleEntry {
                def: r.def,
                info: r.def.info(r.section, doc.as_str()),
            })
            .collect()
    })
}

/// The file's leading `//!` lines, without the marker (and the one space after it).
fn doc_comment(source: &str) -> String {
    let lines: Vec<&str> = source
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| {
            l.strip_prefix("//! ")
                .unwrap_or(l.trim_start_matches("//!"))
        })
        .collect();
    lines.join("\n")
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
    use std::collections::{BTreeSet, HashSet};

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

    /// The rule files under `src/rules/<section>/`, as `section/file.rs`.
    fn rule_files_on_disk() -> BTreeSet<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
        let mut files = BTreeSet::new();
        for section in std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()) {
            if !section.is_dir() {
                continue;
            }
            let section_name = section.file_name().unwrap().to_str().unwrap().to_owned();
            for file in std::fs::read_dir(&section)
                .unwrap()
                .map(|e| e.unwrap().path())
            {
                let name = file.file_name().unwrap().to_str().unwrap().to_owned();
                if name != "mod.rs" {
                    files.insert(format!("{section_name}/{name}"));
                }
            }
        }
        files
    }

    #[test]
    fn every_rule_file_is_registered_and_every_registered_rule_has_a_file() {
        let on_disk = rule_files_on_disk();
        let registered: BTreeSet<String> = REGISTERED.iter().map(|r| r.file.to_owned()).collect();
        assert_eq!(
            registered.len(),
            REGISTERED.len(),
            "a rule is registered twice"
        );
        let unregistered: Vec<_> = on_disk.difference(&registered).collect();
        assert!(
            unregistered.is_empty(),
            "rule files not registered (declare `pub mod` in the section's mod.rs and add \
             `section::rule` to REGISTERED in src/rules/mod.rs): {unregistered:?}"
        );
        let missing: Vec<_> = registered.difference(&on_disk).collect();
        assert!(
            missing.is_empty(),
            "registered rules without a file in src/rules: {missing:?}"
        );
    }

    #[test]
    fn documentation_is_the_files_comment_without_its_markers() {
        let doc =
            doc_comment("//! ## What it does\n//! Flags x.\n//!\n//! ## Fix\nuse y;\n//! not doc");
        assert_eq!(doc, "## What it does\nFlags x.\n\n## Fix");
    }

    /// Whether every document of `text` parses as YAML.
    fn parses(text: &str) -> bool {
        let limits = kubeharden_yaml::Limits::default();
        kubeharden_yaml::split_documents(text)
            .into_iter()
            .flat_map(|chunk| kubeharden_yaml::parse_chunk(chunk, &limits))
            .all(|doc| doc.is_ok())
    }

    /// How a rule's Fix section says it has no YAML to show, and why.
    const NO_SNIPPET: &str = "\nNo YAML snippet: ";

    /// Every finding's text shows this line as its `fix:` (node findings too; an
    /// audit-log alert's Fix is a paragraph on what to investigate).
    /// Every guidance row a rule names is a row of the checklist with a title, which
    /// reports and `explain` show.
    #[test]
    fn every_guidance_row_a_rule_names_has_a_title() {
        for rule in all_rules() {
            for row in rule.def.guidance {
                assert!(
                    crate::guidance_title(row).is_some(),
                    "{} names {row}, which has no title in kubeharden-findings/data/guidance_rows.tsv",
                    rule.def.id
                );
            }
        }
    }

    #[test]
    fn every_rule_gives_its_fix_in_one_line() {
        for rule in all_rules() {
            if matches!(rule.def.check, crate::rule::Check::Audit(_)) {
                continue;
            }
            let fix = rule
                .info
                .fix()
                .unwrap_or_else(|| panic!("{} has no fix", rule.def.id));
            assert!(
                !fix.summary.is_empty() && fix.summary.len() <= 200,
                "{}: the Fix section opens with one line of prose (a sentence, before any YAML): {:?}",
                rule.def.id,
                fix.summary
            );
        }
    }

    /// `kubeharden explain` and every finding show the fix as YAML: each rule's Fix
    /// section has a ```yaml block, or says why it cannot (`No YAML snippet: ...`: a
    /// file mode, an upgrade, an alert on past events), never both.
    #[test]
    fn every_rule_shows_its_fix_as_yaml_or_says_why_not() {
        let mut missing = Vec::new();
        for rule in all_rules() {
            let doc = rule.info.doc;
            let section = doc.split_once("## Fix\n").map_or("", |(_, s)| s);
            let snippet = rule.info.fix().and_then(|f| f.snippet);
            let reason = section.contains(NO_SNIPPET);
            match (snippet, reason) {
                (Some(_), true) => panic!("{}: a snippet and a reason for none", rule.def.id),
                (Some(yaml), false) => assert!(
                    parses(&yaml),
                    "{}: the snippet is no YAML: {yaml}",
                    rule.def.id
                ),
                (None, true) => {}
                (None, false) => missing.push(rule.def.id),
            }
        }
        assert!(missing.is_empty(), "no YAML fix and no reason: {missing:?}");
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
                    rule.info.doc.contains(heading),
                    "{} lacks {heading:?}",
                    rule.def.id
                );
            }
        }
    }
}
