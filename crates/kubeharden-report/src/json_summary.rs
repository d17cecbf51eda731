//! The summary views in the JSON report: score, sections, rules and top risks, the
//! same numbers as the text summary (both come from [`Summary`]).

use serde::Serialize;

use kubeharden_findings::Severity;

use crate::summary::{RiskKind, Score, Summary};

#[derive(Serialize)]
pub(crate) struct JsonViews<'a> {
    /// The compliance score over every check (docs/score.md).
    score: Score,
    /// One entry per guidance section, in the guidance's order.
    sections: Vec<JsonSection>,
    /// One entry per rule that ran.
    per_rule: Vec<JsonRule>,
    /// The most urgent findings, most urgent first.
    top_risks: Vec<JsonRisk<'a>>,
    /// How many risks (one per object and rule) there are in all (top_risks holds the
    /// first ten).
    risks: usize,
}

#[derive(Serialize)]
struct JsonSection {
    id: &'static str,
    title: &'static str,
    rules: usize,
    findings: usize,
    by_severity: serde_json::Map<String, serde_json::Value>,
    score: Score,
}

#[derive(Serialize)]
struct JsonRule {
    rule_id: &'static str,
    rule_name: &'static str,
    title: &'static str,
    severity: Severity,
    section: &'static str,
    objects: usize,
    findings: usize,
    checks: u64,
    passed: u64,
    failed: u64,
}

#[derive(Serialize)]
struct JsonRisk<'a> {
    kind: RiskKind,
    description: &'static str,
    rule_id: &'static str,
    severity: Severity,
    resource: String,
    file: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
    /// How many more findings of this rule on this object the risk stands for.
    more: usize,
}

pub(crate) fn views<'a>(summary: &Summary<'a>) -> JsonViews<'a> {
    JsonViews {
        score: summary.score,
        sections: summary
            .sections
            .iter()
            .map(|s| JsonSection {
                id: s.section.id(),
                title: s.section.title(),
                rules: s.rules,
                findings: s.findings,
                by_severity: Severity::ALL
                    .iter()
                    .zip(s.by_severity)
                    .map(|(sev, n)| (sev.to_string(), n.into()))
                    .collect(),
                score: s.score,
            })
            .collect(),
        per_rule: summary
            .rules
            .iter()
            .map(|r| JsonRule {
                rule_id: r.info.id,
                rule_name: r.info.name,
                title: r.info.title,
                severity: r.info.severity,
                section: r.section.id(),
                objects: r.objects,
                findings: r.findings,
                checks: r.checks,
                passed: r.checks - r.failed,
                failed: r.failed,
            })
            .collect(),
        top_risks: summary
            .top_risks
            .iter()
            .map(|risk| {
                let f = risk.finding;
                JsonRisk {
                    kind: risk.kind,
                    description: risk.label(),
                    rule_id: f.rule_id,
                    severity: f.severity,
                    resource: f.resource.to_string(),
                    file: &f.location.file,
                    line: f.location.line,
                    column: f.location.column,
                    message: &f.message,
                    more: risk.more,
                }
            })
            .collect(),
        risks: summary.risks,
    }
}
