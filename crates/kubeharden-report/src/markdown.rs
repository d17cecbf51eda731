//! `--format markdown`: a summary sized for a pull-request comment: the score per
//! guidance section, the top risks, and each section's findings folded in a
//! `<details>` block, within GitHub's 65,536-character limit for a comment.
//!
//! Text from the input is escaped: HTML and Markdown punctuation lose their meaning
//! and `@` cannot mention anyone.

use std::fmt::Write as _;
use std::io::{self, Write};

use kubeharden_findings::{Finding, Severity};

use crate::summary::Summary;
use crate::Report;

/// Findings listed per section; the rest are counted.
pub const ROWS_PER_SECTION: usize = 25;
/// The most the whole comment may take, with room left under GitHub's limit.
pub const MAX_BYTES: usize = 60_000;

/// `text` safe in a Markdown table cell: no markup, no link, no mention, one line.
pub fn escape(text: &str) -> String {
    let text = crate::text::printable(text);
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("&#64;"),
            '#' => out.push_str("&#35;"),
            '|' => out.push_str("\\|"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '~' | '!' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn severities(by: &[usize; 5]) -> String {
    let parts: Vec<String> = Severity::ALL
        .iter()
        .zip(by)
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    parts.join(", ")
}

fn location(f: &Finding) -> String {
    match f.location.line {
        0 => escape(&f.location.file),
        line => format!("{}:{line}", escape(&f.location.file)),
    }
}

pub fn write_markdown(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let summary = Summary::of(report);
    let mut md = String::new();
    header(&mut md, report, &summary);
    sections_table(&mut md, &summary);
    top_risks(&mut md, &summary);
    problems(&mut md, report);
    details(&mut md, report, &summary);
    out.write_all(md.as_bytes())
}

fn header(md: &mut String, report: &Report<'_>, summary: &Summary<'_>) {
    let scan = report.scan;
    let score = &summary.score;
    // An audit log's alerts are no checks: it has no score (docs/score.md).
    let events = scan.stats.counted == kubeharden_findings::Counted::Events;
    match events {
        true => md.push_str("## kubeharden: audit-log alerts\n\n"),
        false => {
            let _ = writeln!(md, "## kubeharden: compliance score {}\n", score.display());
        }
    }
    let total: [usize; 5] =
        std::array::from_fn(|i| summary.sections.iter().map(|s| s.by_severity[i]).sum());
    let findings = match scan.findings.len() {
        0 => "no findings".to_string(),
        n => format!("**{n}** finding{} ({})", plural(n), severities(&total)),
    };
    let from = crate::scanned_from(&scan.stats);
    let _ = write!(md, "{findings} {}", crate::where_found(scan, &from));
    if score.checks > 0 {
        let _ = write!(
            md,
            "; {} of {} checks pass{} (the score weighs them by severity)",
            score.passed,
            score.checks,
            crate::accepted_note(score)
        );
    }
    if !scan.errors.is_empty() {
        let _ = write!(
            md,
            "; **{} error{}**",
            scan.errors.len(),
            plural(scan.errors.len())
        );
    }
    // Accepted findings and warnings are told too: a clean-looking comment must not
    // hide that something was accepted, or that an exception expired.
    if !scan.suppressed.is_empty() {
        let _ = write!(md, "; {} accepted", scan.suppressed.len());
    }
    if !scan.warnings.is_empty() {
        let n = scan.warnings.len();
        let _ = write!(md, "; {n} warning{}", plural(n));
    }
    md.push_str(".\n\n");
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn sections_table(md: &mut String, summary: &Summary<'_>) {
    // No check made (an audit log): no score, so no table of n/a scores and zeros.
    if !summary.score.exists() {
        return;
    }
    md.push_str("| Section | Score | Checks | Failed | Findings |\n|---|---:|---:|---:|---:|\n");
    for s in &summary.sections {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            s.section.title(),
            s.score.display(),
            s.score.checks,
            s.score.failed,
            s.findings
        );
    }
    let o = &summary.score;
    let _ = writeln!(
        md,
        "| **Overall** | **{}** | {} | {} | {} |\n",
        o.display(),
        o.checks,
        o.failed,
        summary.sections.iter().map(|s| s.findings).sum::<usize>()
    );
}

fn top_risks(md: &mut String, summary: &Summary<'_>) {
    if summary.top_risks.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### Top risks ({} of {})\n\n| Severity | Rule | Risk | Resource | Location |\n|---|---|---|---|---|",
        summary.top_risks.len(),
        summary.risks
    );
    for risk in &summary.top_risks {
        let f = risk.finding;
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            f.severity,
            f.rule_id,
            risk.label(),
            escape(&f.resource.to_string()),
            location(f)
        );
    }
    md.push('\n');
}

/// The input errors and what was not judged, collapsed: what the count in the header
/// stands for, before the findings, as the other formats list them.
fn problems(md: &mut String, report: &Report<'_>) {
    let scan = report.scan;
    if !scan.errors.is_empty() {
        let n = scan.errors.len();
        let lines: Vec<String> = scan.errors.iter().map(|e| escape(&e.to_string())).collect();
        let title = format!(
            "<b>Errors</b>: {n} input{} not read or not judged whole",
            plural(n)
        );
        collapsed(md, &title, &lines);
    }
    if !scan.warnings.is_empty() {
        let n = scan.warnings.len();
        let lines: Vec<String> = scan
            .warnings
            .iter()
            .map(|w| escape(&w.to_string()))
            .collect();
        collapsed(md, &format!("<b>Warnings</b>: {n}"), &lines);
    }
    if !scan.suppressed.is_empty() {
        let n = scan.suppressed.len();
        let lines: Vec<String> = scan
            .suppressed
            .iter()
            .map(|s| {
                let f = &s.finding;
                format!(
                    "{} {} {} at {}: accepted at {} ({})",
                    f.severity,
                    f.rule_id,
                    escape(&f.resource.to_string()),
                    location(f),
                    escape(&s.suppression.source),
                    escape(&s.suppression.reason)
                )
            })
            .collect();
        let title = format!(
            "<b>Accepted</b>: {n} finding{} (exceptions or baseline), not counted",
            plural(n)
        );
        collapsed(md, &title, &lines);
    }
    if !scan.skipped.is_empty() {
        let n = scan.skipped.len();
        let _ = writeln!(md, "<details><summary><b>Not judged</b>: {n}</summary>\n");
        for s in scan.skipped.iter().take(ROWS_PER_SECTION) {
            let rules = match s.rules.is_empty() {
                true => String::new(),
                false => format!(" {}", s.rules.join(", ")),
            };
            let _ = writeln!(md, "- {}:{rules} ({})", escape(&s.scope), escape(&s.reason));
        }
        if n > ROWS_PER_SECTION {
            let _ = writeln!(md, "- {} more: see the full report", n - ROWS_PER_SECTION);
        }
        md.push_str("\n</details>\n\n");
    }
}

/// A collapsed list of at most [`ROWS_PER_SECTION`] `lines` under `title`.
fn collapsed(md: &mut String, title: &str, lines: &[String]) {
    let _ = writeln!(md, "<details><summary>{title}</summary>\n");
    for line in lines.iter().take(ROWS_PER_SECTION) {
        let _ = writeln!(md, "- {line}");
    }
    if lines.len() > ROWS_PER_SECTION {
        let _ = writeln!(
            md,
            "- {} more: see the full report",
            lines.len() - ROWS_PER_SECTION
        );
    }
    md.push_str("\n</details>\n\n");
}

fn details(md: &mut String, report: &Report<'_>, summary: &Summary<'_>) {
    let mut omitted = 0;
    for s in summary.sections.iter().filter(|s| s.findings > 0) {
        let mut mine: Vec<&Finding> = report
            .scan
            .findings
            .iter()
            .filter(|f| summary.section_of(f) == s.section)
            .collect();
        // The most severe first, then in report order.
        mine.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let _ = writeln!(
            md,
            "<details><summary><b>{}</b>: {} finding{} ({})</summary>\n\n| Severity | Rule | Resource | Location | Message |\n|---|---|---|---|---|",
            s.section.title(),
            s.findings,
            plural(s.findings),
            severities(&s.by_severity)
        );
        let mut listed = 0;
        for f in &mine {
            let row = format!(
                "| {} | {} | {} | {} | {} |\n",
                f.severity,
                f.rule_id,
                escape(&f.resource.to_string()),
                location(f),
                message(f)
            );
            // Room for the closing lines of this and later sections.
            if listed == ROWS_PER_SECTION || md.len() + row.len() > MAX_BYTES - 2_000 {
                break;
            }
            md.push_str(&row);
            listed += 1;
        }
        if listed < mine.len() {
            let _ = writeln!(
                md,
                "\n{} more in this section: see the full report (`--format html` or `text`).",
                mine.len() - listed
            );
            omitted += mine.len() - listed;
        }
        md.push_str("\n</details>\n\n");
    }
    if omitted > 0 {
        let _ = writeln!(md, "_{omitted} findings not listed here._");
    }
}

/// A finding's message; an alert's adds who, from where, when and which events on a
/// line of its own in the cell, as text and JSON give them.
fn message(f: &Finding) -> String {
    match &f.alert {
        Some(a) => format!(
            "{}<br>{}",
            escape(&f.message),
            escape(&crate::alert_line(a))
        ),
        None => escape(&f.message),
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn cells_lose_markup_links_and_mentions() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("<img src=x>"), "&lt;img src=x&gt;");
        assert_eq!(escape("@admins"), "&#64;admins");
        assert_eq!(escape("[x](http://e)"), "\\[x\\]\\(http://e\\)");
        assert_eq!(escape("line\nnext"), "line\\\\nnext");
    }
}
