//! `--format junit`: JUnit XML (the Ant schema CI systems read). One test suite per
//! rule that ran, one failing test case per finding, a suite of load errors, and one
//! of warnings (no test case: in its `system-err`).

use std::borrow::Cow;
use std::io::{self, Write};

use kubeharden_load::LoadErrorKind;

use crate::Report;

/// Whether XML 1.0 forbids `c`, written or as a reference: most C0 controls, which
/// a quoted YAML string or an error quoting the input can hold.
fn forbidden_in_xml(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}')
}

/// `text` as XML character data: markup escaped, and what XML forbids spelled out
/// (`\x00`, `\u{fffe}`), since a CI system rejects a report that is not
/// well-formed whole.
fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(forbidden_in_xml) {
        return quick_xml::escape::escape(text);
    }
    let mut spelled = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !forbidden_in_xml(c) => spelled.push(c),
            c if c < ' ' => spelled.push_str(&format!("\\x{:02x}", c as u32)),
            c => spelled.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(quick_xml::escape::escape(&spelled).into_owned())
}

/// The run-specific attributes the schema requires; fixed in tests.
#[derive(Clone, Debug)]
pub struct JunitMeta {
    /// `YYYY-MM-DDThh:mm:ss`, without a time zone, as the schema demands.
    pub timestamp: String,
    pub hostname: String,
}

struct Case {
    name: String,
    classname: String,
    /// (element, type, message, body)
    outcome: Option<(&'static str, String, String, String)>,
}

fn write_suite(
    out: &mut dyn Write,
    id: usize,
    name: &str,
    meta: &JunitMeta,
    cases: &[Case],
    system_err: &[String],
) -> io::Result<()> {
    let failures = cases
        .iter()
        .filter(|c| matches!(&c.outcome, Some(("failure", ..))))
        .count();
    let errors = cases
        .iter()
        .filter(|c| matches!(&c.outcome, Some(("error", ..))))
        .count();
    writeln!(
        out,
        r#"  <testsuite name="{}" package="kubeharden" id="{id}" timestamp="{}" hostname="{}" tests="{}" failures="{failures}" errors="{errors}" time="0">"#,
        escape(name),
        escape(&meta.timestamp),
        escape(&meta.hostname),
        cases.len()
    )?;
    writeln!(out, "    <properties/>")?;
    for case in cases {
        write!(
            out,
            r#"    <testcase name="{}" classname="{}" time="0""#,
            escape(&case.name),
            escape(&case.classname)
        )?;
        match &case.outcome {
            None => writeln!(out, "/>")?,
            Some((element, kind, message, body)) => {
                writeln!(out, ">")?;
                // The schema gives `skipped` a message but no type.
                let kind = match *element {
                    "skipped" => String::new(),
                    _ => format!(r#" type="{}""#, escape(kind)),
                };
                writeln!(
                    out,
                    r#"      <{element}{kind} message="{}">{}</{element}>"#,
                    escape(message),
                    escape(body)
                )?;
                writeln!(out, "    </testcase>")?;
            }
        }
    }
    writeln!(out, "    <system-out/>")?;
    match system_err {
        [] => writeln!(out, "    <system-err/>")?,
        lines => writeln!(
            out,
            "    <system-err>{}</system-err>",
            escape(&lines.join("\n"))
        )?,
    }
    writeln!(out, "  </testsuite>")
}

pub fn write_junit(report: &Report<'_>, out: &mut dyn Write, meta: &JunitMeta) -> io::Result<()> {
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, "<testsuites>")?;
    let mut id = 0;
    for d in report.described_rules() {
        let mut cases: Vec<Case> = report
            .scan
            .findings
            .iter()
            .filter(|f| f.rule_id == d.id)
            .map(|f| Case {
                name: format!("{} {}", f.resource, f.path),
                classname: f.location.file.to_string(),
                outcome: Some((
                    "failure",
                    f.severity.to_string(),
                    f.message.clone(),
                    format!(
                        "{}: {} [{}]",
                        place(&f.location),
                        f.message,
                        f.guidance.join(", ")
                    ),
                )),
            })
            .collect();
        // A rule that could not judge part of the input does not pass there: the
        // input it could not read is an error, what it could not see is skipped.
        cases.extend(not_judged(report, d.id));
        if cases.is_empty() {
            cases.push(Case {
                name: format!("{} {}", d.id, d.title),
                classname: "kubeharden".into(),
                outcome: None,
            });
        }
        write_suite(out, id, &format!("{} {}", d.id, d.title), meta, &cases, &[])?;
        id += 1;
    }
    if !report.scan.errors.is_empty() {
        let cases: Vec<Case> = report
            .scan
            .errors
            .iter()
            .map(|e| Case {
                name: e.to_string(),
                classname: e.file.to_string(),
                outcome: Some(("error", "LoadError".into(), e.message(), e.to_string())),
            })
            .collect();
        write_suite(out, id, "input errors", meta, &cases, &[])?;
        id += 1;
    }
    // Warnings fail nothing, so they are no test case: the suite's standard error
    // carries them.
    if !report.scan.warnings.is_empty() {
        let lines: Vec<String> = report.scan.warnings.iter().map(|w| w.to_string()).collect();
        write_suite(out, id, "input warnings", meta, &[], &lines)?;
    }
    writeln!(out, "</testsuites>")
}

/// What rule `id` could not judge: input errors that name it ("KH740 ... cannot be
/// judged"), and skipped checks that list it.
fn not_judged(report: &Report<'_>, id: &str) -> Vec<Case> {
    let errors = report
        .scan
        .errors
        .iter()
        .filter(|e| matches!(e.kind, LoadErrorKind::NotJudged { rule_id, .. } if rule_id == id))
        .map(|e| Case {
            name: e.to_string(),
            classname: e.file.to_string(),
            outcome: Some(("error", "NotJudged".into(), e.message(), e.to_string())),
        });
    let skipped = report
        .scan
        .skipped
        .iter()
        .filter(|s| s.rules.contains(&id))
        .map(|s| Case {
            name: format!("{id} {}", s.scope),
            classname: "kubeharden".into(),
            outcome: Some((
                "skipped",
                String::new(),
                s.reason.clone(),
                format!("{}: {}", s.scope, s.reason),
            )),
        });
    errors.chain(skipped).collect()
}

/// `file:line:column`, or the location alone for an object read from a cluster.
fn place(location: &kubeharden_findings::Location) -> String {
    match location.line {
        0 => location.file.to_string(),
        line => format!("{}:{line}:{}", location.file, location.column),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_xml_forbids_are_spelled_out() {
        assert_eq!(escape("a<b"), "a&lt;b");
        assert_eq!(escape("tab\tline\n"), "tab\tline\n");
        assert_eq!(escape("nul\0 bell\x07 <"), "nul\\x00 bell\\x07 &lt;");
        assert_eq!(escape("\u{fffe}"), "\\u{fffe}");
    }
}
