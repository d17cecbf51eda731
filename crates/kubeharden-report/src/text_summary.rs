//! The summary that opens a text report (and is all of it with `--summary`): the
//! compliance score, the guidance sections, the top risks and the rules that found
//! something, as aligned tables.

use std::io::{self, Write};

use anstyle::{Effects, Style};
use kubeharden_findings::Severity;

use crate::summary::Summary;
use crate::text::{printable, Painter};

/// A table whose columns are as wide as their widest cell; the first `text` columns
/// are left-aligned, the numbers after them right-aligned.
struct Table {
    rows: Vec<Vec<String>>,
    text: usize,
}

impl Table {
    fn write(&self, out: &mut dyn Write, indent: &str) -> io::Result<()> {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| cell.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(c, cell)| match c < self.text {
                    true => format!("{cell:<w$}", w = widths[c]),
                    false => format!("{cell:>w$}", w = widths[c]),
                })
                .collect();
            writeln!(out, "{indent}{}", cells.join("  ").trim_end())?;
        }
        Ok(())
    }
}

/// The summary, and a blank line after it; nothing at all when it would be empty
/// (nothing scanned, only errors): a heading over nothing reads as a broken report.
pub(crate) fn write_summary(
    summary: &Summary<'_>,
    out: &mut dyn Write,
    p: &Painter,
) -> io::Result<()> {
    let empty = !summary.score.exists()
        && summary.top_risks.is_empty()
        && summary.failing_rules().next().is_none();
    if empty {
        return Ok(());
    }
    let bold = Style::new().effects(Effects::BOLD);
    writeln!(out, "{}", p.paint(bold, "Summary"))?;
    let score = &summary.score;
    // No check made (an audit log's alerts are events, not checks): no score to show,
    // overall or by section, only the top risks and the rules' counts below.
    if score.exists() {
        let accepted = crate::accepted_note(score);
        writeln!(
            out,
            "  Compliance score {}, weighted by severity ({} of {} checks pass{accepted}; docs/score.md)",
            p.paint(bold, &score.display()),
            score.passed,
            score.checks
        )?;
        writeln!(out)?;
        write_sections(summary, out)?;
    }
    if !summary.top_risks.is_empty() {
        writeln!(out)?;
        let shown = summary.top_risks.len();
        let title = match summary.risks {
            n if n > shown => format!("Top risks ({shown} of {n})"),
            n => format!("Top risks ({n})"),
        };
        writeln!(out, "  {}", p.paint(bold, &title))?;
        for risk in &summary.top_risks {
            let f = risk.finding;
            writeln!(
                out,
                "    {} {}  {}: {}",
                p.severity(f.severity),
                f.rule_id,
                risk.label(),
                printable(&f.resource.to_string())
            )?;
            let place = match f.location.line {
                0 => printable(&f.location.file).into_owned(),
                line => format!("{}:{line}", printable(&f.location.file)),
            };
            writeln!(out, "{:15}{place}: {}", "", printable(&f.message))?;
            if risk.more > 0 {
                writeln!(
                    out,
                    "{:15}and {} more of this object (other containers or files)",
                    "", risk.more
                )?;
            }
        }
    }
    write_rules(summary, out)?;
    writeln!(out)
}

/// The rules that found something, with their checks when there is a score.
fn write_rules(summary: &Summary<'_>, out: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<_> = summary.failing_rules().collect();
    if rules.is_empty() {
        return Ok(());
    }
    let checked = summary.score.exists();
    writeln!(out)?;
    let mut header: Vec<String> = ["Rule", "Severity", "Section", "Objects", "Findings"]
        .map(String::from)
        .to_vec();
    if checked {
        header.extend(["Checks".to_string(), "Passed".into()]);
    }
    let mut rows = vec![header];
    let mut within_others = false;
    for r in rules {
        // Failed only inside another rule's finding: said, not shown as a pass.
        let findings = match r.findings {
            0 => {
                within_others = true;
                "0*".to_string()
            }
            n => n.to_string(),
        };
        let mut row = vec![
            format!("{} {}", r.info.id, r.info.name),
            r.info.severity.to_string(),
            r.section.id().to_string(),
            r.objects.to_string(),
            findings,
        ];
        if checked {
            row.extend([r.checks.to_string(), (r.checks - r.failed).to_string()]);
        }
        rows.push(row);
    }
    Table { rows, text: 3 }.write(out, "  ")?;
    if within_others {
        writeln!(
            out,
            "  * its problems are stated by another rule's finding (\"also KH...\"; --no-merge shows them apart)"
        )?;
    }
    Ok(())
}

fn write_sections(summary: &Summary<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut header = vec![
        "Section".to_string(),
        "Score".into(),
        "Checks".into(),
        "Failed".into(),
        "Findings".into(),
    ];
    header.extend(Severity::ALL.iter().map(|s| s.to_string()));
    let mut rows = vec![header];
    for s in &summary.sections {
        let mut row = vec![
            s.section.title().to_string(),
            s.score.display(),
            s.score.checks.to_string(),
            s.score.failed.to_string(),
            s.findings.to_string(),
        ];
        row.extend(s.by_severity.iter().map(usize::to_string));
        rows.push(row);
    }
    let mut total = vec![
        "Overall".to_string(),
        summary.score.display(),
        summary.score.checks.to_string(),
        summary.score.failed.to_string(),
        summary
            .sections
            .iter()
            .map(|s| s.findings)
            .sum::<usize>()
            .to_string(),
    ];
    total.extend((0..5).map(|i| {
        summary
            .sections
            .iter()
            .map(|s| s.by_severity[i])
            .sum::<usize>()
            .to_string()
    }));
    rows.push(total);
    Table { rows, text: 1 }.write(out, "  ")
}
