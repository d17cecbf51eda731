//! `--format html`: one self-contained page (no network: inline CSS, script and SVG
//! chart) with the compliance score per guidance section, the top risks, the
//! findings by section, rule and resource with filters and a search, and each
//! finding's message, location, guidance rows and fix.
//!
//! Everything from the input is hostile: every text is escaped for HTML (attributes
//! are always double-quoted), and the page's Content-Security-Policy allows no
//! request at all and only the one script it carries, by its hash, so markup that
//! slipped through could still run nothing.

use std::fmt::Write as _;
use std::io::{self, Write};

use base64::Engine as _;
use kubeharden_findings::{Finding, Fix, Severity};

use crate::summary::{Score, Section, Summary};
use crate::Report;

const STYLE: &str = include_str!("html/style.css");
const SCRIPT: &str = include_str!("html/script.js");

/// `text` safe in HTML content and in double- or single-quoted attributes. Control
/// characters (but tab and newline) and bidirectional overrides are shown escaped,
/// as the text report shows them.
pub fn escape(text: &str) -> String {
    let text = crate::text::printable_keeping_newlines(text);
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with Markdown's `code` spans as `<code>`.
fn with_code(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", escape(part));
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

fn script_hash() -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, SCRIPT.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

pub fn write_html(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let summary = Summary::of(report);
    let mut page = String::with_capacity(64 * 1024 + report.scan.findings.len() * 1024);
    head(&mut page);
    overview(&mut page, report, &summary);
    risks(&mut page, &summary);
    findings(&mut page, report, &summary);
    rules(&mut page, &summary);
    problems(&mut page, report);
    let _ = write!(page, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out.write_all(page.as_bytes())
}

fn head(page: &mut String) {
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'sha256-{}'; img-src data:\">\n\
         <title>kubeharden report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        script_hash()
    );
}

fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn overview(page: &mut String, report: &Report<'_>, summary: &Summary<'_>) {
    let s = &report.scan.stats;
    let _ = writeln!(
        page,
        "<header><h1>kubeharden report</h1><p class=\"meta\">{}{} {}, {}; {}, {}. kubeharden {}</p></header>",
        plural(report.scan.findings.len(), "finding"),
        match report.scan.suppressed.len() {
            0 => String::new(),
            n => format!(" ({n} more accepted)"),
        },
        escape(&crate::where_found(report.scan, &crate::scanned_from(s))),
        plural(report.described_rules().len(), "rule"),
        plural(report.scan.errors.len(), "error"),
        plural(report.scan.warnings.len(), "warning"),
        env!("CARGO_PKG_VERSION"),
    );
    // No check made (an audit log's alerts are events): no score to show.
    if summary.score.exists() {
        score_panel(page, summary);
    }
}

fn score_panel(page: &mut String, summary: &Summary<'_>) {
    page.push_str("<section id=\"score\"><h2>Compliance score</h2>\n<div class=\"score-grid\">\n");
    donut(page, &summary.score);
    bars(page, summary);
    page.push_str("</div>\n");
    section_table(page, summary);
    page.push_str(
        "<p class=\"note\">The weighted share of checks that pass: each rule judging one \
         object is a check, weighted by the rule's severity (critical 8, high 4, medium 2, \
         low 1, info 0). See docs/score.md.</p>\n</section>\n",
    );
}

fn score_class(score: &Score) -> &'static str {
    match score.percent {
        None => "na",
        Some(p) if p >= 90.0 => "good",
        Some(p) if p >= 70.0 => "fair",
        Some(_) => "poor",
    }
}

/// The overall score as a ring.
fn donut(page: &mut String, score: &Score) {
    let share = score.percent.unwrap_or(0.0) / 100.0;
    let circumference = 2.0 * std::f64::consts::PI * 52.0;
    let _ = writeln!(
        page,
        "<figure class=\"overall\"><svg viewBox=\"0 0 120 120\" width=\"160\" height=\"160\" role=\"img\" aria-label=\"overall score {label}\">\
         <circle cx=\"60\" cy=\"60\" r=\"52\" class=\"ring-bg\"/>\
         <circle cx=\"60\" cy=\"60\" r=\"52\" class=\"ring {class}\" stroke-dasharray=\"{done:.2} {circumference:.2}\" transform=\"rotate(-90 60 60)\"/>\
         <text x=\"60\" y=\"66\" text-anchor=\"middle\" id=\"overall-score\" data-score=\"{data}\">{label}</text></svg>\
         <figcaption>Overall, weighted by severity: {passed} of {checks} checks pass{accepted}</figcaption></figure>",
        label = score.display(),
        class = score_class(score),
        done = share * circumference,
        data = score.percent.map(|p| p.to_string()).unwrap_or_default(),
        passed = score.passed,
        checks = score.checks,
        accepted = crate::accepted_note(score),
    );
}

/// One bar per guidance section.
fn bars(page: &mut String, summary: &Summary<'_>) {
    let row = 34;
    let height = row * summary.sections.len() + 10;
    let _ = write!(
        page,
        "<svg class=\"bars\" viewBox=\"0 0 680 {height}\" width=\"680\" height=\"{height}\" role=\"img\" aria-label=\"score per section\">"
    );
    for (i, s) in summary.sections.iter().enumerate() {
        let y = i * row + 5;
        let width = s.score.percent.unwrap_or(0.0) * 3.6;
        let _ = write!(
            page,
            "<text x=\"0\" y=\"{ty}\" class=\"bar-label\">{title}</text>\
             <rect x=\"250\" y=\"{y}\" width=\"360\" height=\"22\" class=\"bar-bg {class}\"/>\
             <rect x=\"250\" y=\"{y}\" width=\"{width:.1}\" height=\"22\" class=\"bar {class}\" data-section=\"{id}\"/>\
             <text x=\"{tx}\" y=\"{ty}\" class=\"bar-value\">{label}</text>",
            ty = y + 16,
            title = escape(s.section.title()),
            class = score_class(&s.score),
            id = s.section.id(),
            tx = 618,
            // An empty bar reads as 0%: a section no check applied to says so.
            label = match s.score.percent {
                Some(_) => s.score.display(),
                None => "n/a: no check".to_string(),
            },
        );
    }
    page.push_str("</svg>\n");
}

fn section_table(page: &mut String, summary: &Summary<'_>) {
    page.push_str(
        "<table id=\"sections\"><thead><tr><th>Section</th><th>Score</th><th>Checks</th>\
         <th>Passed</th><th>Failed</th><th>Findings</th>",
    );
    for sev in Severity::ALL {
        let _ = write!(page, "<th>{sev}</th>");
    }
    page.push_str("</tr></thead><tbody>\n");
    for s in &summary.sections {
        let _ = write!(
            page,
            "<tr class=\"section-row\" data-section=\"{}\"><td>{}</td><td class=\"score {}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"findings\">{}</td>",
            s.section.id(),
            escape(s.section.title()),
            score_class(&s.score),
            s.score.display(),
            s.score.checks,
            s.score.passed,
            s.score.failed,
            s.findings,
        );
        for n in s.by_severity {
            let _ = write!(page, "<td>{n}</td>");
        }
        page.push_str("</tr>\n");
    }
    let o = &summary.score;
    let _ = write!(
        page,
        "<tr class=\"overall-row\"><td>Overall</td><td class=\"score {}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
        score_class(o),
        o.display(),
        o.checks,
        o.passed,
        o.failed,
        summary.sections.iter().map(|s| s.findings).sum::<usize>()
    );
    for i in 0..5 {
        let n: usize = summary.sections.iter().map(|s| s.by_severity[i]).sum();
        let _ = write!(page, "<td>{n}</td>");
    }
    page.push_str("</tr>\n</tbody></table>\n");
}

fn risks(page: &mut String, summary: &Summary<'_>) {
    if summary.top_risks.is_empty() {
        return;
    }
    let _ = writeln!(
        page,
        "<section id=\"risks\"><h2>Top risks <span class=\"count\">{} of {}</span></h2><ol>",
        summary.top_risks.len(),
        summary.risks
    );
    for risk in &summary.top_risks {
        let f = risk.finding;
        let _ = writeln!(
            page,
            "<li><span class=\"sev {sev}\">{sev}</span> <strong>{what}</strong>: {resource} \
             <span class=\"loc\">{loc}</span><br><span class=\"msg\">{rule} {msg}</span></li>",
            sev = f.severity,
            what = escape(risk.label()),
            resource = escape(&f.resource.to_string()),
            loc = escape(&location(f)),
            rule = f.rule_id,
            msg = escape(&f.message),
        );
    }
    page.push_str("</ol></section>\n");
}

fn location(f: &Finding) -> String {
    match f.location.line {
        0 => f.location.file.to_string(),
        line => format!("{}:{line}:{}", f.location.file, f.location.column),
    }
}

fn findings(page: &mut String, report: &Report<'_>, summary: &Summary<'_>) {
    let total = report.scan.findings.len();
    let _ = write!(
        page,
        "<section id=\"findings\"><h2>Findings</h2>\n<div class=\"filters\">\
         <input id=\"search\" type=\"search\" placeholder=\"Search message, resource, file, rule\" aria-label=\"search findings\">\
         <select id=\"filter-section\" aria-label=\"section\"><option value=\"\">All sections</option>"
    );
    for s in Section::ALL {
        let _ = write!(
            page,
            "<option value=\"{}\">{}</option>",
            s.id(),
            escape(s.title())
        );
    }
    page.push_str("</select><select id=\"filter-severity\" aria-label=\"severity\"><option value=\"\">All severities</option>");
    for sev in Severity::ALL {
        let _ = write!(page, "<option value=\"{sev}\">{sev} and above</option>");
    }
    page.push_str("</select><select id=\"filter-rule\" aria-label=\"rule\"><option value=\"\">All rules</option>");
    for r in summary.rules_with_findings() {
        let _ = write!(
            page,
            "<option value=\"{id}\">{id} {title} ({n})</option>",
            id = r.info.id,
            title = escape(r.info.title),
            n = r.findings
        );
    }
    let _ = writeln!(
        page,
        "</select><span class=\"shown\"><span id=\"shown-count\">{total}</span> of {total} findings shown</span></div>"
    );
    if total == 0 {
        page.push_str("<p class=\"clean\">No findings.</p></section>\n");
        return;
    }
    page.push_str(
        "<table id=\"findings-table\"><thead><tr><th>Severity</th><th>Rule</th><th>Resource</th>\
         <th>Location</th><th>Message, guidance and fix</th></tr></thead>\n",
    );
    // Each rule's fix, read once: its line and its YAML.
    let fixes: std::collections::BTreeMap<&str, Fix> = summary
        .rules
        .iter()
        .filter_map(|r| Some((r.info.id, r.info.fix()?)))
        .collect();
    // By section, then rule, then resource: the order the page groups them in.
    let mut ordered: Vec<(Section, &Finding)> = report
        .scan
        .findings
        .iter()
        .map(|f| (summary.section_of(f), f))
        .collect();
    ordered.sort_by(|(sa, a), (sb, b)| {
        (sa, a.rule_id, &a.resource, &a.location).cmp(&(sb, b.rule_id, &b.resource, &b.location))
    });
    let mut current = None;
    for (section, f) in ordered {
        if current != Some(section) {
            if current.is_some() {
                page.push_str("</tbody>\n");
            }
            let _ = writeln!(
                page,
                "<tbody class=\"group\" data-section=\"{id}\"><tr class=\"group-head\"><th colspan=\"5\">{title}</th></tr>",
                id = section.id(),
                title = escape(section.title()),
            );
            current = Some(section);
        }
        // The finding's own line where it has one (which of the fields it has wrong);
        // the rule's snippet shows them all.
        let rule_fix = fixes.get(f.rule_id);
        let line = f
            .fix_line(rule_fix.map(|x| x.summary.as_str()))
            .unwrap_or_default();
        let snippet = f
            .fix_snippet
            .as_deref()
            .or(rule_fix.and_then(|x| x.snippet.as_deref()));
        finding_row(page, f, section, (&line, snippet));
    }
    page.push_str("</tbody></table></section>\n");
}

fn finding_row(page: &mut String, f: &Finding, section: Section, fix: (&str, Option<&str>)) {
    let resource = f.resource.to_string();
    let loc = location(f);
    // An alert's subject, addresses and audit IDs are searchable too.
    let alert = f.alert.as_deref().map(crate::alert_line);
    let search = format!(
        "{} {} {} {} {} {} {} {}",
        f.rule_id,
        f.rule_name,
        f.title,
        resource,
        loc,
        f.path,
        f.message,
        alert.as_deref().unwrap_or("")
    )
    .to_lowercase();
    let rows = if f.guidance.is_empty() {
        String::new()
    } else {
        // Each row with its title, as a tooltip: the ID says which, the title what.
        let each: Vec<String> = f
            .guidance
            .iter()
            .map(|id| match kubeharden_findings::guidance_title(id) {
                Some(title) => format!("<abbr title=\"{}\">{}</abbr>", escape(title), escape(id)),
                None => escape(id),
            })
            .collect();
        format!("<div class=\"rows\">Guidance: {}</div>", each.join(", "))
    };
    let fix = match fix {
        ("", None) => String::new(),
        (line, snippet) => format!(
            "<details class=\"fix\"><summary>Fix</summary><p>{}</p>{}<p class=\"explain\">kubeharden explain {}</p></details>",
            with_code(line),
            snippet.map_or(String::new(), |yaml| format!(
                "<pre class=\"snippet\"><code>{}</code></pre>",
                escape(yaml)
            )),
            f.rule_id
        ),
    };
    let _ = writeln!(
        page,
        "<tr class=\"finding\" data-section=\"{section}\" data-severity=\"{sev}\" data-rank=\"{rank}\" data-rule=\"{rule}\" data-search=\"{search}\">\
         <td><span class=\"sev {sev}\">{sev}</span></td><td><span class=\"rule\">{rule}</span> {title}</td>\
         <td class=\"resource\">{resource}</td><td class=\"loc\">{loc}<div class=\"path\">{path}</div></td>\
         <td><div class=\"msg\">{msg}</div>{alert}{rows}{fix}</td></tr>",
        section = section.id(),
        sev = f.severity,
        rank = f.severity as u8,
        rule = f.rule_id,
        search = escape(&search),
        title = escape(f.title),
        resource = escape(&resource),
        loc = escape(&loc),
        path = escape(&f.path),
        msg = escape(&f.message),
        alert = alert.map_or(String::new(), |a| format!(
            "<div class=\"alert\">{}</div>",
            escape(&a)
        )),
    );
}

fn rules(page: &mut String, summary: &Summary<'_>) {
    // Checks and passes only where checks were made (not for an audit log's alerts).
    let checked = summary.score.exists();
    page.push_str(
        "<section id=\"rules\"><h2>Rules</h2><table id=\"rules-table\"><thead><tr><th>Rule</th>\
         <th>Severity</th><th>Section</th><th>Objects</th><th>Findings</th>",
    );
    if checked {
        page.push_str("<th>Checks</th><th>Passed</th>");
    }
    page.push_str("</tr></thead><tbody>\n");
    for r in &summary.rules {
        let counts = match checked {
            true => format!("<td>{}</td><td>{}</td>", r.checks, r.checks - r.failed),
            false => String::new(),
        };
        let _ = writeln!(
            page,
            "<tr data-rule=\"{id}\" class=\"{state}\"><td><span class=\"rule\">{id}</span> {title}</td><td><span class=\"sev {sev}\">{sev}</span></td>\
             <td>{section}</td><td>{objects}</td><td>{findings}</td>{counts}</tr>",
            id = r.info.id,
            state = if r.findings > 0 { "failing" } else { "passing" },
            title = escape(r.info.title),
            sev = r.info.severity,
            section = escape(r.section.title()),
            objects = r.objects,
            findings = r.findings,
        );
    }
    page.push_str("</tbody></table></section>\n");
}

/// Errors, warnings and what was not judged: never hidden.
fn problems(page: &mut String, report: &Report<'_>) {
    let scan = report.scan;
    if !scan.errors.is_empty() {
        page.push_str("<section id=\"errors\"><h2>Errors</h2><ul>\n");
        for e in &scan.errors {
            let _ = writeln!(page, "<li>{}</li>", escape(&e.to_string()));
        }
        page.push_str("</ul></section>\n");
    }
    if !scan.warnings.is_empty() {
        page.push_str("<section id=\"warnings\"><h2>Warnings</h2><ul>\n");
        for w in &scan.warnings {
            let _ = writeln!(page, "<li>{}</li>", escape(&w.to_string()));
        }
        page.push_str("</ul></section>\n");
    }
    // Accepted findings are listed with why: an exception never hides a problem.
    if !scan.suppressed.is_empty() {
        let _ = writeln!(
            page,
            "<section id=\"accepted\"><h2>Accepted ({}, not counted)</h2><ul>",
            plural(scan.suppressed.len(), "finding")
        );
        for s in &scan.suppressed {
            let f = &s.finding;
            let _ = writeln!(
                page,
                "<li>{} {} {} at {}:{}: accepted at {}: {}</li>",
                f.severity,
                f.rule_id,
                escape(&f.resource.to_string()),
                escape(&f.location.file),
                f.location.line,
                escape(&s.suppression.source),
                escape(&s.suppression.reason)
            );
        }
        page.push_str("</ul></section>\n");
    }
    if !scan.skipped.is_empty() {
        page.push_str("<section id=\"not-judged\"><h2>Not judged</h2><ul>\n");
        for s in &scan.skipped {
            let _ = writeln!(
                page,
                "<li>{}: {} ({})</li>",
                escape(&s.scope),
                escape(&s.rules.join(", ")),
                escape(&s.reason)
            );
        }
        page.push_str("</ul></section>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
    }

    #[test]
    fn code_spans_become_code() {
        assert_eq!(
            with_code("Remove `privileged: true`."),
            "Remove <code>privileged: true</code>."
        );
    }
}
