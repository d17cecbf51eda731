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

/// The most findings a refusal lists (kubectl prints it whole; the real corpus's
/// worst object fails 63 checks), the rest counted: `kubeharden scan` lists them all.
pub const MAX_REFUSED: usize = 100;

/// The most warnings an answer carries: the API server keeps only the first few
/// kilobytes of them.
pub const MAX_WARNINGS: usize = 20;

/// The most entries of the `findings` audit annotation (every audit event holds it).
pub const MAX_AUDITED: usize = 100;

/// The refusal: the object, then each failing rule with its field path, what is wrong
/// and the fix.
pub fn refusal(object: &str, level: &str, failing: &[(&Finding, Option<&str>)]) -> String {
    let n = failing.len();
    let mut out = format!(
        "kubeharden: {object} fails {n} check{} at or above {level}:",
        if n == 1 { "" } else { "s" }
    );
    let mut fixes_told = std::collections::HashSet::new();
    for (finding, fix) in failing.iter().take(MAX_REFUSED) {
        out.push_str("\n- ");
        out.push_str(&line(finding));
        // A rule failing in several containers: its fix once (each finding's own
        // fix, where it differs, is told too).
        if let Some(fix) = fix.filter(|fix| fixes_told.insert((finding.rule_id, *fix))) {
            if !out.ends_with('.') {
                out.push('.');
            }
            out.push_str(" Fix: ");
            out.push_str(fix);
        }
    }
    if n > MAX_REFUSED {
        out.push_str(&format!(
            "\n- and {} more (kubeharden scan lists them all)",
            n - MAX_REFUSED
        ));
    }
    out
}

/// `items` cut to `max`, the last entry saying how many were left out.
pub fn capped<T: From<String>>(
    mut items: Vec<T>,
    max: usize,
    more: impl Fn(usize) -> String,
) -> Vec<T> {
    if items.len() > max {
        let left = items.len() - (max - 1);
        items.truncate(max - 1);
        items.push(more(left).into());
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_capped_and_counted() {
        let items: Vec<String> = (0..30).map(|i| i.to_string()).collect();
        let cut = capped(items, 20, |n| format!("{n} more"));
        assert_eq!(cut.len(), 20);
        assert_eq!(cut[18], "18");
        assert_eq!(cut[19], "11 more");
        let few: Vec<String> = vec!["a".into()];
        assert_eq!(capped(few.clone(), 20, |n| format!("{n} more")), few);
    }
}
