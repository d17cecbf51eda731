//! `--format json`: the one document schema every reporting command shares
//! (documented in docs/json-schema.md).

use std::io::{self, Write};

use serde::Serialize;

use std::collections::HashMap;

use kubeharden_findings::{Finding, Fix};
use kubeharden_load::{Warning, WarningKind};

use crate::{severity_counts, Report};

#[derive(Serialize)]
struct JsonError<'a> {
    file: &'a str,
    line: Option<u32>,
    column: Option<u32>,
    message: String,
}

#[derive(Serialize)]
struct JsonWarning<'a> {
    file: &'a str,
    line: Option<u32>,
    column: Option<u32>,
    /// What kind of warning, for tools: `invalid_utf8`.
    kind: &'static str,
    message: String,
}

impl<'a> JsonWarning<'a> {
    fn of(w: &'a Warning) -> Self {
        JsonWarning {
            file: &w.file,
            line: w.pos.map(|p| p.line),
            column: w.pos.map(|p| p.col),
            kind: match w.kind {
                WarningKind::InvalidUtf8 { .. } => "invalid_utf8",
                WarningKind::ExpiredException { .. } => "expired_exception",
                WarningKind::UnusedException => "unused_exception",
                WarningKind::PositionalBaseline => "positional_baseline",
                WarningKind::DuplicateKey { .. } => "duplicate_key",
                WarningKind::UnknownField { .. } => "unknown_field",
            },
            message: w.kind.to_string(),
        }
    }
}

#[derive(Serialize)]
struct Summary<'a> {
    files: usize,
    objects: usize,
    skipped_documents: usize,
    rules: usize,
    findings: usize,
    /// Findings suppressed by exceptions or a baseline (not in `findings`).
    suppressed: usize,
    errors: usize,
    warnings: usize,
    by_severity: serde_json::Map<String, serde_json::Value>,
    /// Findings (alerts) per rule.
    by_rule: std::collections::BTreeMap<&'a str, usize>,
    /// Cluster-wide checks not run for a namespace, and why.
    skipped_checks: &'a [kubeharden_findings::SkippedChecks],
    /// The guidance rows the findings cite, with their titles.
    guidance_rows: std::collections::BTreeMap<&'static str, &'static str>,
    /// `scan`: the separate clusters the PATHs made.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    clusters: Vec<JsonCluster<'a>>,
    /// The summary views: score, sections, rules, top risks.
    #[serde(flatten)]
    views: crate::json_summary::JsonViews<'a>,
}

#[derive(Serialize)]
struct JsonCluster<'a> {
    roots: &'a [String],
    files: usize,
    objects: usize,
}

/// A finding with its fingerprint (what a baseline records).
#[derive(Serialize)]
struct JsonFinding<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    fingerprint: String,
    /// The rule's fix: one line, and a YAML snippet where the rule has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    remediation: Option<Fix>,
}

/// A suppressed finding: the finding, its fingerprint and what suppressed it.
#[derive(Serialize)]
struct JsonSuppressed<'a> {
    #[serde(flatten)]
    finding: JsonFinding<'a>,
    suppression: &'a kubeharden_findings::Suppression,
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    /// Findings accepted by an exception or a baseline: not counted, not failing.
    suppressed: Vec<JsonSuppressed<'a>>,
    errors: Vec<JsonError<'a>>,
    warnings: Vec<JsonWarning<'a>>,
    summary: Summary<'a>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

impl<'a> JsonFinding<'a> {
    fn of(finding: &'a Finding, fixes: &HashMap<&str, Fix>) -> Self {
        JsonFinding {
            finding,
            fingerprint: finding.fingerprint(),
            remediation: remediation(finding, fixes),
        }
    }
}

/// The rule's fix, its line replaced by the finding's own where it has one (the
/// snippet shows the fields, the line says which of them this object has wrong).
fn remediation(finding: &Finding, fixes: &HashMap<&str, Fix>) -> Option<Fix> {
    let mut fix = fixes.get(finding.rule_id).cloned();
    if let Some(fix) = fix.as_mut() {
        fix.summary = finding.fix_line(Some(&fix.summary)).unwrap_or_default();
    }
    if let (Some(fix), Some(own)) = (fix.as_mut(), &finding.fix_snippet) {
        fix.snippet = Some(own.clone());
    }
    fix
}

pub fn write_json(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let scan = report.scan;
    let summary = crate::summary::Summary::of(report);
    let fixes: HashMap<&str, Fix> = report
        .described_rules()
        .into_iter()
        .filter_map(|rule| Some((rule.id, rule.fix().filter(|f| !f.summary.is_empty())?)))
        .collect();
    let errors = scan
        .errors
        .iter()
        .map(|e| JsonError {
            file: &e.file,
            // Objects read from a cluster have no line (0): no position.
            line: e.pos.filter(|p| p.line > 0).map(|p| p.line),
            column: e.pos.filter(|p| p.line > 0).map(|p| p.col),
            message: e.message(),
        })
        .collect();
    let by_severity = severity_counts(scan)
        .into_iter()
        .map(|(sev, n)| (sev.to_string(), n.into()))
        .collect();
    let doc = Document {
        version: 1,
        tool: Tool {
            name: "kubeharden",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: scan
            .findings
            .iter()
            .map(|f| JsonFinding::of(f, &fixes))
            .collect(),
        suppressed: scan
            .suppressed
            .iter()
            .map(|s| JsonSuppressed {
                finding: JsonFinding::of(&s.finding, &fixes),
                suppression: &s.suppression,
            })
            .collect(),
        errors,
        warnings: scan.warnings.iter().map(JsonWarning::of).collect(),
        summary: Summary {
            files: scan.stats.files,
            objects: scan.stats.objects,
            skipped_documents: scan.stats.skipped_documents,
            rules: report.described_rules().len(),
            findings: scan.findings.len(),
            suppressed: scan.suppressed.len(),
            errors: scan.errors.len(),
            warnings: scan.warnings.len(),
            by_severity,
            guidance_rows: crate::cited_rows(&scan.findings).into_iter().collect(),
            by_rule: scan
                .findings
                .iter()
                .fold(std::collections::BTreeMap::new(), |mut m, f| {
                    *m.entry(f.rule_id).or_insert(0) += 1;
                    m
                }),
            skipped_checks: &scan.skipped,
            clusters: scan
                .clusters
                .iter()
                .map(|c| JsonCluster {
                    roots: &c.roots,
                    files: c.files,
                    objects: c.objects,
                })
                .collect(),
            views: crate::json_summary::views(&summary),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}
