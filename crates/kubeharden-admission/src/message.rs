//! What people read: the refusal kubectl prints, the warnings, the audit annotations.

use kubeharden_findings::Finding;

/// A finding as one line: `KH101 privileged-container (critical) at PATH: message`.
pub fn line(f: &Finding) -> String {
    let path = if f.path.is_empty() { "." } else { &f.path };
    format!(
        "{} {} ({}) at {}: {}",
        f.rule_id, f.rule_name, f.severity, path, f.message
    )
}

/// The *Fix* section of a rule's documentation, as one paragraph.
pub fn fix_of(doc: &str) -> Option<String> {
    let mut lines = doc.lines().skip_while(|l| l.trim() != "## Fix").skip(1);
    let mut fix = Vec::new();
    for l in lines.by_ref() {
        let l = l.trim();
        if l.is_empty() && !fix.is_empty() || l.starts_with('#') || l.starts_with("```") {
            break;
        }
        if !l.is_empty() {
            fix.push(l);
        }
    }
    (!fix.is_empty()).then(|| fix.join(" "))
}

/// The refusal: the object, then each failing rule with its field path, what is wrong
/// and the fix.
pub fn refusal(object: &str, level: &str, failing: &[(&Finding, Option<&str>)]) -> String {
    let n = failing.len();
    let mut out = format!(
        "kubeharden: {object} fails {n} check{} at or above {level}:",
        if n == 1 { "" } else { "s" }
    );
    for (finding, fix) in failing {
        out.push_str("\n- ");
        out.push_str(&line(finding));
        if let Some(fix) = fix {
            if !out.ends_with('.') {
                out.push('.');
            }
            out.push_str(" Fix: ");
            out.push_str(fix);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fix_is_the_first_paragraph_of_its_section() {
        let doc = "## What it does\nx\n\n## Fix\nRemove `privileged: true`. If\nneeded, grant one capability.\n\nMore.\n";
        assert_eq!(
            fix_of(doc).unwrap(),
            "Remove `privileged: true`. If needed, grant one capability."
        );
        assert_eq!(fix_of("## Fix\n```yaml\na: 1\n```\n"), None);
        assert_eq!(fix_of("no sections"), None);
    }
}
