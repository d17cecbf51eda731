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

/// The most warnings an answer carries.
pub const MAX_WARNINGS: usize = 20;

/// The API server may cut a warning past 256 characters, and ignores warnings past
/// 4,096 characters in all, from every source of the request (Pod Security's
/// warnings come first): ours are kept to 3,072, so that they are all shown.
const WARNING_MAX_CHARS: usize = 256;
const WARNINGS_MAX_CHARS: usize = 3072;

/// The warnings an answer carries, of `total` (only the first [`MAX_WARNINGS`] are
/// formatted and given): each cut to what the API server shows whole, and as many
/// as fit, with a note first (so that it is never the one left out) when some do not.
pub fn fit_warnings(total: usize, first: Vec<String>) -> Vec<String> {
    let mut warnings: Vec<String> = first.into_iter().map(cut_warning).collect();
    let size = |w: &[String]| w.iter().map(|s| s.chars().count()).sum::<usize>();
    if total <= MAX_WARNINGS && size(&warnings) <= WARNINGS_MAX_CHARS {
        return warnings;
    }
    let note = |shown: usize| {
        format!("kubeharden: {total} warnings, the first {shown} below (kubeharden scan lists them all)")
    };
    let mut room = WARNINGS_MAX_CHARS - note(total).chars().count();
    let mut shown = 0;
    for w in warnings.iter().take(MAX_WARNINGS - 1) {
        let n = w.chars().count();
        if n > room {
            break;
        }
        room -= n;
        shown += 1;
    }
    warnings.truncate(shown);
    warnings.insert(0, note(shown));
    warnings
}

/// One warning cut to [`WARNING_MAX_CHARS`], marked so.
fn cut_warning(warning: String) -> String {
    if warning.chars().count() <= WARNING_MAX_CHARS {
        return warning;
    }
    let mut cut: String = warning.chars().take(WARNING_MAX_CHARS - 1).collect();
    cut.push('…');
    cut
}

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
    fn warnings_fit_what_the_api_server_shows_with_the_note_first() {
        let few: Vec<String> = (0..3).map(|i| format!("w{i}")).collect();
        assert_eq!(fit_warnings(3, few.clone()), few);
        // 30 long warnings: cut to 256 characters each, as many as fit in 3,072 with
        // the note, which comes first.
        let long: Vec<String> = (0..30)
            .map(|i| format!("{i} {}", "x".repeat(400)))
            .collect();
        let fitted = fit_warnings(30, long);
        assert_eq!(fitted.len(), 12, "{fitted:?}");
        assert_eq!(
            fitted[0],
            "kubeharden: 30 warnings, the first 11 below (kubeharden scan lists them all)"
        );
        assert!(fitted[1..]
            .iter()
            .all(|w| w.chars().count() == 256 && w.ends_with('…')));
        assert!(fitted.iter().map(|w| w.chars().count()).sum::<usize>() <= 3072);
        // Many short ones: at most 20 in all, the note among them.
        let many: Vec<String> = (0..20).map(|i| format!("w{i}")).collect();
        let fitted = fit_warnings(40, many);
        assert_eq!(fitted.len(), 20);
        assert_eq!(fitted[1], "w0");
        assert!(fitted[0].contains("40 warnings, the first 19 below"));
    }

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
