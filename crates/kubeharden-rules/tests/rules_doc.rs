//! `docs/rules.md` is generated from the rule files; this test keeps it current.
//! Regenerate with `UPDATE_DOCS=1 cargo test -p kubeharden-rules --test rules_doc`.

use std::path::PathBuf;

use kubeharden_rules::all_rules;

fn render() -> String {
    let mut out = String::from("# Rules\n\nGenerated from the rule files (`crates/kubeharden-rules/src/rules/`); do not edit by hand.\n\n");
    out.push_str("| ID | name | severity | checklist rows | Pod Security Standards | MITRE ATT&CK |\n|---|---|---|---|---|---|\n");
    for rule in all_rules() {
        let d = rule.def;
        let pss = d
            .pss
            .map(|p| format!("{} `{}`", p.level.as_str(), p.check))
            .unwrap_or_default();
        let mitre = d
            .mitre
            .map(|m| format!("{} {}", m.id, m.name))
            .unwrap_or_default();
        out.push_str(&format!(
            "| [{}](#{}) | {} | {} | {} | {} | {} |\n",
            d.id,
            d.id.to_lowercase(),
            d.name,
            d.severity,
            d.guidance.join(", "),
            pss,
            mitre
        ));
    }
    for rule in all_rules() {
        let d = rule.def;
        out.push_str(&format!(
            "\n## {}\n\n**{}**: {}. Severity {}; checklist {}.\n\n",
            d.id,
            d.name,
            d.title,
            d.severity,
            d.guidance.join(", ")
        ));
        // Rule headings become level-3 under the rule's own heading.
        for line in rule.info.doc.lines() {
            if let Some(rest) = line.strip_prefix("## ") {
                out.push_str(&format!("### {rest}\n"));
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn docs_rules_md_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
    let expected = render();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/rules.md is stale: run UPDATE_DOCS=1 cargo test -p kubeharden-rules --test rules_doc"
    );
}
