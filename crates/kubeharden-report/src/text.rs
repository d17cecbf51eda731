//! `--format text`: findings grouped by file and resource, then a summary.

use std::collections::HashMap;
use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};
use kubeharden_findings::{Finding, Severity};

use crate::{severity_counts, Report};

#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    /// Colour the output (only on a terminal, and never with NO_COLOR: the CLI decides).
    pub color: bool,
    /// Print only the summary (and the closing count), not each finding: `--summary`.
    pub summary_only: bool,
    /// List the suppressed findings too, not only count them.
    pub show_suppressed: bool,
}

pub(crate) struct Painter {
    pub(crate) color: bool,
}

/// `text` safe for a terminal: control characters (an escape sequence in a crafted
/// `metadata.name` could retitle or clear the terminal) and bidirectional overrides
/// (which reorder what is shown) are printed escaped, as `\x1b` or `\u{202e}`.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    escape_unsafe(text, false)
}

/// [`printable`], with newlines and tabs kept: for HTML and Markdown, where they
/// move no cursor.
pub(crate) fn printable_keeping_newlines(text: &str) -> std::borrow::Cow<'_, str> {
    escape_unsafe(text, true)
}

fn escape_unsafe(text: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && !(keep_newlines && matches!(c, '\n' | '\t')))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            // Spelt as the messages spell names (Rust's `{:?}`), so that one object's
            // name reads the same in a header and in a finding's message.
            c if !unsafe_char(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    std::borrow::Cow::Owned(out)
}

impl Painter {
    pub(crate) fn paint(&self, style: Style, text: &str) -> String {
        let text = printable(text);
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    pub(crate) fn severity(&self, sev: Severity) -> String {
        let color = match sev {
            Severity::Critical => AnsiColor::BrightRed,
            Severity::High => AnsiColor::Red,
            Severity::Medium => AnsiColor::Yellow,
            Severity::Low => AnsiColor::Cyan,
            Severity::Info => AnsiColor::BrightBlack,
        };
        let style = Style::new().fg_color(Some(color.into()));
        let style = if sev >= Severity::High {
            style.effects(Effects::BOLD)
        } else {
            style
        };
        self.paint(style, &format!("{:<8}", sev.as_str()))
    }
}

pub fn write_text(
    report: &Report<'_>,
    out: &mut dyn Write,
    options: TextOptions,
) -> io::Result<()> {
    let p = Painter {
        color: options.color,
    };
    let bold = Style::new().effects(Effects::BOLD);
    let dim = Style::new().effects(Effects::DIMMED);
    let scan = report.scan;
    crate::text_summary::write_summary(&crate::summary::Summary::of(report), out, &p)?;
    if options.summary_only {
        return write_summary(report, out, &p);
    }
    let fixes = fixes(report);
    let variants = variant_groups(&scan.findings);
    let mut current_file: Option<&str> = None;
    let mut current_resource = None;
    for index in shown_order(&scan.findings) {
        let f = &scan.findings[index];
        let also = match variants.get(&index) {
            Some(Variant::Shown) => continue,
            Some(Variant::Repeats(others)) => others.as_slice(),
            None => &[],
        };
        if current_file != Some(&*f.location.file) {
            if current_file.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{}", p.paint(bold.underline(), &f.location.file))?;
            current_file = Some(&f.location.file);
            current_resource = None;
        }
        if current_resource != Some(&f.resource) {
            let origin = f
                .helm_source
                .as_deref()
                .map(|s| format!(" (from {s})"))
                .unwrap_or_default();
            writeln!(
                out,
                "  {}{}",
                p.paint(bold, &header(&f.resource)),
                p.paint(dim, &origin)
            )?;
            current_resource = Some(&f.resource);
        }
        // An object read from a cluster has no line: its location heads the group.
        let place = match f.location.line {
            0 => String::new(),
            line => format!("{:<8} ", format!("{line}:{}", f.location.column)),
        };
        writeln!(
            out,
            "    {place}{} {}  {}: {}",
            p.severity(f.severity),
            f.rule_id,
            f.title,
            printable(&f.message)
        )?;
        let detail = match &f.alert {
            // An audit-log alert: who, from where, when, and example events.
            Some(a) => format!("{}{}", printable(&crate::alert_line(a)), rows(f)),
            None => format!("{}{}{}", f.path, rows(f), covers(f)),
        };
        let indent = place.len().max(9);
        writeln!(out, "    {:<indent$}{}", "", p.paint(dim, &detail))?;
        if !also.is_empty() {
            let places: Vec<String> = also.iter().map(|&i| place_of(&scan.findings[i])).collect();
            let text = format!("the same in {}", places.join(", "));
            writeln!(out, "    {:<indent$}{}", "", p.paint(dim, &text))?;
        }
        if let Some(fix) = f.fix_line(fixes.get(f.rule_id).map(String::as_str)) {
            let line = format!("fix: {fix} (kubeharden explain {})", f.rule_id);
            writeln!(out, "    {:<indent$}{}", "", p.paint(dim, &line))?;
        }
    }
    write_row_titles(scan, out, &p)?;
    if !scan.errors.is_empty() {
        if current_file.is_some() {
            writeln!(out)?;
        }
        writeln!(out, "{}", p.paint(bold, "Errors"))?;
        for e in &scan.errors {
            writeln!(
                out,
                "  {}",
                p.paint(
                    Style::new().fg_color(Some(AnsiColor::Red.into())),
                    &e.to_string()
                )
            )?;
        }
    }
    if !scan.warnings.is_empty() {
        if current_file.is_some() || !scan.errors.is_empty() {
            writeln!(out)?;
        }
        writeln!(out, "{}", p.paint(bold, "Warnings"))?;
        let yellow = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
        for w in &scan.warnings {
            writeln!(out, "  {}", p.paint(yellow, &printable(&w.to_string())))?;
        }
    }
    if !scan.skipped.is_empty() {
        if current_file.is_some() || !scan.errors.is_empty() || !scan.warnings.is_empty() {
            writeln!(out)?;
        }
        writeln!(out, "{}", p.paint(bold, "Not judged"))?;
        for s in &scan.skipped {
            match s.rules.is_empty() {
                // No rule named: nothing of the object was judged.
                true => writeln!(out, "  {}: {}", printable(&s.scope), printable(&s.reason))?,
                false => writeln!(
                    out,
                    "  {}: {} ({})",
                    printable(&s.scope),
                    s.rules.join(", "),
                    printable(&s.reason)
                )?,
            }
        }
    }
    let listed = options.show_suppressed && !scan.suppressed.is_empty();
    if listed {
        let before = [
            scan.findings.is_empty(),
            scan.errors.is_empty(),
            scan.warnings.is_empty(),
            scan.skipped.is_empty(),
        ];
        if before.contains(&false) {
            writeln!(out)?;
        }
        crate::suppressed::list(scan, out)?;
    }
    let sections = [
        scan.findings.is_empty(),
        scan.errors.is_empty(),
        scan.warnings.is_empty(),
        scan.skipped.is_empty(),
        !listed,
    ];
    if sections.contains(&false) {
        writeln!(out)?;
    }
    write_summary(report, out, &p)
}

fn write_summary(report: &Report<'_>, out: &mut dyn Write, p: &Painter) -> io::Result<()> {
    let scan = report.scan;
    if scan.findings.iter().any(|f| f.alert.is_some()) {
        let mut per_rule: std::collections::BTreeMap<&str, usize> =
            std::collections::BTreeMap::new();
        for f in &scan.findings {
            *per_rule.entry(f.rule_id).or_insert(0) += 1;
        }
        let line: Vec<String> = per_rule.iter().map(|(id, n)| format!("{id} {n}")).collect();
        writeln!(out, "Alerts per detector: {}", line.join(", "))?;
    }
    let counts: Vec<String> = severity_counts(scan)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(sev, n)| format!("{n} {sev}"))
        .collect();
    let findings = match scan.findings.len() {
        0 => p.paint(
            Style::new().fg_color(Some(AnsiColor::Green.into())),
            "no findings",
        ),
        n => format!(
            "{n} finding{} ({})",
            if n == 1 { "" } else { "s" },
            counts.join(", ")
        ),
    };
    let s = &scan.stats;
    let live: Vec<&str> = scan
        .clusters
        .iter()
        .flat_map(|c| &c.roots)
        .filter(|r| r.starts_with("cluster://"))
        .map(String::as_str)
        .collect();
    let from = match live.is_empty() || s.files > 0 {
        true => crate::scanned_from(s),
        false => printable(&live.join(", ")).to_string(),
    };
    write!(out, "{findings} {}", crate::where_found(scan, &from))?;
    write!(
        out,
        ", {} rule{}",
        report.described_rules().len(),
        plural(report.described_rules().len())
    )?;
    let repeats = variant_groups(&scan.findings)
        .values()
        .filter(|v| matches!(v, Variant::Shown))
        .count();
    if repeats > 0 {
        write!(
            out,
            "; {repeats} identical in other files or variants shown with the first"
        )?;
    }
    if s.skipped_documents > 0 {
        write!(
            out,
            "; {} non-Kubernetes document{} skipped",
            s.skipped_documents,
            plural(s.skipped_documents)
        )?;
    }
    if !scan.errors.is_empty() {
        write!(
            out,
            "; {} error{}",
            scan.errors.len(),
            plural(scan.errors.len())
        )?;
    }
    if !scan.warnings.is_empty() {
        let n = scan.warnings.len();
        write!(out, "; {n} warning{}", plural(n))?;
    }
    write!(out, "{}", crate::suppressed::summary(scan))?;
    writeln!(out)
}

/// The guidance rows the findings cite, each with its title: `[POD-12]` says which
/// row, this says what it asks.
fn write_row_titles(
    scan: &kubeharden_findings::ScanReport,
    out: &mut dyn Write,
    p: &Painter,
) -> io::Result<()> {
    let cited = crate::cited_rows(&scan.findings);
    if cited.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        p.paint(
            Style::new().effects(Effects::BOLD),
            "Guidance rows cited (kubeharden explain ROW)"
        )
    )?;
    let width = cited.iter().map(|(id, _)| id.len()).max().unwrap_or(6);
    for (id, title) in cited {
        writeln!(out, "  {id:<width$}  {title}")?;
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A resource as a group's header (`Resource`'s display names an unnamed one so).
fn header(resource: &kubeharden_load::Resource) -> String {
    resource.to_string()
}

/// A finding's message without its `[values-set NAME]` tag: the same problem in two
/// variants of a chart reads the same.
fn without_variant(f: &Finding) -> &str {
    match &f.variant {
        Some(v) => f
            .message
            .strip_suffix(&format!(" [values-set {v}]"))
            .unwrap_or(&f.message),
        None => &f.message,
    }
}

/// `file:line:column`, or the file alone for an object read from a cluster; with
/// its `--values-set` variant when it has one.
fn place_of(f: &Finding) -> String {
    let place = place_in_file(f);
    match &f.variant {
        Some(v) => format!("{place} [values-set {}]", printable(v)),
        None => place,
    }
}

fn place_in_file(f: &Finding) -> String {
    match f.location.line {
        0 => printable(&f.location.file).into_owned(),
        line => format!(
            "{}:{line}:{}",
            printable(&f.location.file),
            f.location.column
        ),
    }
}

/// The one-line fix of each rule that has one.
fn fixes(report: &Report<'_>) -> HashMap<&'static str, String> {
    report
        .described_rules()
        .into_iter()
        .filter_map(|rule| {
            let fix = rule.fix().filter(|fix| !fix.summary.is_empty())?;
            Some((rule.id, fix.summary))
        })
        .collect()
}

/// Where a finding sits among identical ones: the same rule, object, field and
/// message in several files (a base and its overlays, variants of one manifest).
enum Variant {
    /// The first: it is shown, with the places of the others.
    Repeats(Vec<usize>),
    /// Another: shown with the first, at the first's place.
    Shown,
}

/// The order findings are shown in: by file, as the report is sorted, and in a file
/// each object's together, in the order they first appear (a base file that two
/// overlays patch holds both overlays' objects, one block each, not alternating).
fn shown_order(findings: &[Finding]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..findings.len()).collect();
    let mut start = 0;
    while start < findings.len() {
        let file = &findings[start].location.file;
        let end = findings[start..]
            .iter()
            .position(|f| f.location.file != *file)
            .map_or(findings.len(), |n| start + n);
        let mut first_seen: HashMap<(&kubeharden_load::Resource, Option<&str>), usize> =
            HashMap::new();
        for (i, f) in findings.iter().enumerate().take(end).skip(start) {
            first_seen
                .entry((&*f.resource, f.variant.as_deref()))
                .or_insert(i);
        }
        order[start..end].sort_by_key(|&i| {
            let f = &findings[i];
            (first_seen[&(&*f.resource, f.variant.as_deref())], i)
        });
        start = end;
    }
    order
}

/// The findings that repeat one in another file or another `--values-set` variant,
/// by index (the report is sorted by file, so the first of each set is in the first
/// file).
fn variant_groups(findings: &[Finding]) -> HashMap<usize, Variant> {
    type Key<'f> = (
        &'static str,
        &'f kubeharden_load::Resource,
        &'f str,
        &'f str,
        Option<&'f str>,
    );
    let mut sets: HashMap<Key<'_>, Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        // Audit-log alerts each tell of their own events.
        if f.alert.is_some() {
            continue;
        }
        let key = (
            f.rule_id,
            &*f.resource,
            f.path.as_str(),
            without_variant(f),
            f.container.as_deref(),
        );
        sets.entry(key).or_default().push(i);
    }
    let mut variants = HashMap::new();
    for members in sets.into_values() {
        let Some((&first, rest)) = members.split_first() else {
            continue;
        };
        let elsewhere: Vec<usize> = rest
            .iter()
            .copied()
            .filter(|&i| {
                let (a, b) = (&findings[i], &findings[first]);
                a.location.file != b.location.file || a.variant != b.variant
            })
            .collect();
        if elsewhere.is_empty() {
            continue;
        }
        for &i in &elsewhere {
            variants.insert(i, Variant::Shown);
        }
        variants.insert(first, Variant::Repeats(elsewhere));
    }
    variants
}

/// The other rules a merged finding stands for.
fn covers(f: &Finding) -> String {
    if f.covers.is_empty() {
        String::new()
    } else {
        format!("  (also {})", f.covers.join(", "))
    }
}

/// The checklist rows a finding violates, if any: a Pod Security finding whose
/// evidence breaks no guidance row names none.
fn rows(f: &Finding) -> String {
    if f.guidance.is_empty() {
        String::new()
    } else {
        format!("  [{}]", f.guidance.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_and_bidi_overrides_are_escaped() {
        assert_eq!(printable("web-1"), "web-1");
        assert_eq!(
            printable("a\u{1b}]0;owned\u{7}b"),
            "a\\u{1b}]0;owned\\u{7}b"
        );
        assert_eq!(printable("x\u{1b}[2Jy"), "x\\u{1b}[2Jy");
        assert_eq!(printable("evil\u{202e}txt.yaml"), "evil\\u{202e}txt.yaml");
        assert_eq!(printable("line\nnext"), "line\\nnext");
        // As a message spells a name with `{:?}`.
        assert_eq!(
            printable("a\u{1b}b"),
            format!("{:?}", "a\u{1b}b").trim_matches('"')
        );
        assert_eq!(printable("naïve"), "naïve");
    }
}
