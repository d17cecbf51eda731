//! Findings as `wgpolicyk8s.io/v1alpha2` PolicyReports: one per namespace with
//! findings, and one ClusterPolicyReport for cluster-scoped objects and for the checks
//! a scan could not judge. `--format policyreport` writes them as a YAML stream;
//! `kubeharden cluster --write-policy-reports` stores them in the cluster
//! (`kubeharden_live::write_policy_reports`).
//!
//! Reports live in etcd, whose requests are capped at 1.5 MiB, and a cluster with
//! thousands of findings in one namespace must not make a report that fails to
//! store or weighs on every watch. So each report keeps at most
//! [`PolicyReportOptions::max_results`] results and [`MAX_REPORT_BYTES`] bytes of
//! JSON, the most severe first; long messages and properties are cut. What does not
//! fit is still counted in the `summary` and stated in the report's annotations
//! ([`OMITTED_ANNOTATION`]), so the counts never lie.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::SystemTime;

use serde::Serialize;
use serde_json::{json, Value};

use kubeharden_findings::{Finding, RuleInfo, Severity, SkippedChecks};

use crate::Report;

/// The API version of the documents.
pub const API_VERSION: &str = "wgpolicyk8s.io/v1alpha2";
/// The name of every report kubeharden writes (one per namespace, one cluster-wide).
pub const REPORT_NAME: &str = "kubeharden";
/// The label that marks a report as kubeharden's: only reports with it are ever
/// replaced or deleted.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "kubeharden");
/// How many results a report holds when it could not hold them all.
pub const OMITTED_ANNOTATION: &str = "kubeharden.io/results-omitted";
/// The cap on results that was in force.
pub const LIMIT_ANNOTATION: &str = "kubeharden.io/results-limit";
/// The default cap on results per report.
pub const DEFAULT_MAX_RESULTS: usize = 500;
/// The most JSON bytes one report may take: a sixth of etcd's 1.5 MiB request limit,
/// so that a report, its managedFields and the API server's own additions stay far
/// below it.
pub const MAX_REPORT_BYTES: usize = 256 * 1024;
/// Longest message kept, in bytes; longer ones are cut at a character boundary.
const MAX_MESSAGE_BYTES: usize = 1024;
/// Longest property value kept.
const MAX_PROPERTY_BYTES: usize = 512;

/// How reports are made.
#[derive(Clone, Debug)]
pub struct PolicyReportOptions {
    /// Results per report, the most severe kept.
    pub max_results: usize,
    /// Findings at or above this severity are `fail`, the others `warn`.
    pub fail_at: Severity,
    /// When the scan ran: every result's `timestamp`.
    pub time: SystemTime,
}

impl Default for PolicyReportOptions {
    fn default() -> Self {
        PolicyReportOptions {
            max_results: DEFAULT_MAX_RESULTS,
            fail_at: Severity::Low,
            time: SystemTime::now(),
        }
    }
}

/// One report, ready to write.
#[derive(Clone, Debug)]
pub struct PolicyReportDoc {
    /// The namespace of a PolicyReport; `None` for the ClusterPolicyReport.
    pub namespace: Option<String>,
    /// The whole object, `apiVersion` to `results`.
    pub document: Value,
    /// Results kept in `results`.
    pub kept: usize,
    /// Results left out for the caps (counted in `summary`).
    pub omitted: usize,
}

impl PolicyReportDoc {
    /// `PolicyReport` or `ClusterPolicyReport`.
    pub fn kind(&self) -> &'static str {
        match self.namespace {
            Some(_) => "PolicyReport",
            None => "ClusterPolicyReport",
        }
    }

    /// Results in the report, kept and omitted.
    pub fn total(&self) -> usize {
        self.kept + self.omitted
    }
}

/// A result's verdict, as the CRD spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
enum Verdict {
    Fail,
    Warn,
    Skip,
}

#[derive(Serialize)]
struct Timestamp {
    seconds: i64,
    nanos: i32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ObjectRef<'a> {
    api_version: &'a str,
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    name: &'a str,
    field_path: &'a str,
}

#[derive(Serialize)]
struct ReportResult<'a> {
    policy: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a str>,
    result: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<Severity>,
    category: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resources: Vec<ObjectRef<'a>>,
    properties: BTreeMap<&'static str, String>,
    source: &'static str,
    scored: bool,
    timestamp: &'a Timestamp,
}

/// A result with what orders it: verdict, then severity (most severe first).
struct Ranked<'a> {
    verdict: Verdict,
    severity: Severity,
    result: ReportResult<'a>,
}

/// The reports of a scan: one per namespace with findings, then the cluster report
/// when there are cluster-scoped findings or checks not judged.
pub fn policy_reports(report: &Report<'_>, options: &PolicyReportOptions) -> Vec<PolicyReportDoc> {
    let time = timestamp(options.time);
    let mut by_scope: BTreeMap<Option<&str>, Vec<Ranked<'_>>> = BTreeMap::new();
    for finding in &report.scan.findings {
        by_scope
            .entry(finding.resource.namespace.as_deref())
            .or_default()
            .push(finding_result(finding, options.fail_at, &time));
    }
    // A skip may name a rule kept aside (a node rule, for a control plane not shown).
    let mut rules = report.rules.rule_infos();
    rules.extend(report.rules.rules_aside());
    let skips = report
        .scan
        .skipped
        .iter()
        .flat_map(|s| skipped_results(s, &rules, &time));
    by_scope.entry(None).or_default().extend(skips);
    let mut docs: Vec<PolicyReportDoc> = by_scope
        .into_iter()
        .filter(|(_, results)| !results.is_empty())
        .map(|(namespace, results)| build(namespace, results, options.max_results))
        .collect();
    // Namespaces first, in name order; the cluster report last.
    docs.sort_by(|a, b| {
        (a.namespace.is_none(), &a.namespace).cmp(&(b.namespace.is_none(), &b.namespace))
    });
    docs
}

/// `--format policyreport`: the reports as a YAML stream (each document is JSON,
/// which is YAML), for `kubectl apply -f`.
pub fn write_policy_reports(
    report: &Report<'_>,
    out: &mut dyn Write,
    options: &PolicyReportOptions,
) -> io::Result<()> {
    for doc in policy_reports(report, options) {
        writeln!(out, "---")?;
        serde_json::to_writer_pretty(&mut *out, &doc.document)?;
        writeln!(out)?;
    }
    Ok(())
}

fn timestamp(time: SystemTime) -> Timestamp {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp {
        seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        nanos: since.subsec_nanos() as i32,
    }
}

fn finding_result<'a>(f: &'a Finding, fail_at: Severity, time: &'a Timestamp) -> Ranked<'a> {
    let verdict = if f.severity >= fail_at {
        Verdict::Fail
    } else {
        Verdict::Warn
    };
    let r = &f.resource;
    let mut properties = BTreeMap::from([
        ("title", cut(f.title, MAX_PROPERTY_BYTES)),
        ("path", cut(&f.path, MAX_PROPERTY_BYTES)),
        ("guidance", f.guidance.join(", ")),
        ("location", cut(&location_text(f), MAX_PROPERTY_BYTES)),
    ]);
    if let Some(container) = &f.container {
        properties.insert("container", cut(container, MAX_PROPERTY_BYTES));
    }
    if let Some(source) = &f.helm_source {
        properties.insert("helmSource", cut(source, MAX_PROPERTY_BYTES));
    }
    Ranked {
        verdict,
        severity: f.severity,
        result: ReportResult {
            policy: f.rule_id,
            rule: Some(f.rule_name),
            result: verdict,
            severity: Some(f.severity),
            category: category(f.guidance),
            message: cut(&f.message, MAX_MESSAGE_BYTES),
            resources: vec![ObjectRef {
                api_version: &r.api_version,
                kind: &r.kind,
                namespace: r.namespace.as_deref(),
                name: &r.name,
                field_path: &f.path,
            }],
            properties,
            source: "kubeharden",
            scored: true,
            timestamp: time,
        },
    }
}

/// `cluster://ctx/ns/Kind/name`, or `file:line:column` for a scan of files.
fn location_text(f: &Finding) -> String {
    let at = &f.location;
    if at.line == 0 {
        at.file.to_string()
    } else {
        format!("{}:{}:{}", at.file, at.line, at.column)
    }
}

/// A check not judged: one `skip` result per rule it stopped.
fn skipped_results<'a>(
    s: &'a SkippedChecks,
    rules: &[&'a RuleInfo],
    time: &'a Timestamp,
) -> Vec<Ranked<'a>> {
    s.rules
        .iter()
        .map(|id| {
            let rule = rules.iter().find(|r| r.id == *id).copied();
            Ranked {
                verdict: Verdict::Skip,
                severity: rule.map_or(Severity::Info, |r| r.severity),
                result: ReportResult {
                    policy: id,
                    rule: rule.map(|r| r.name),
                    result: Verdict::Skip,
                    severity: rule.map(|r| r.severity),
                    category: category(rule.map_or(&[][..], |r| r.guidance)),
                    message: cut(&format!("not judged: {}", s.reason), MAX_MESSAGE_BYTES),
                    resources: Vec::new(),
                    properties: BTreeMap::from([("scope", cut(&s.scope, MAX_PROPERTY_BYTES))]),
                    source: "kubeharden",
                    scored: true,
                    timestamp: time,
                },
            }
        })
        .collect()
}

/// The guidance section of a rule's first checklist row, as the summary names it
/// (`Pod security`, `Authentication and authorization`...).
fn category(rows: &[&str]) -> &'static str {
    rows.first()
        .map_or(crate::summary::Section::PodSecurity, |row| {
            crate::summary::Section::of_row(row)
        })
        .title()
}

/// `text` cut to at most `max` bytes at a character boundary, marked when cut.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// One report: the most severe results that fit the caps, all of them counted.
fn build(
    namespace: Option<&str>,
    mut results: Vec<Ranked<'_>>,
    max_results: usize,
) -> PolicyReportDoc {
    results.sort_by(|a, b| {
        (a.verdict, std::cmp::Reverse(a.severity), a.result.policy).cmp(&(
            b.verdict,
            std::cmp::Reverse(b.severity),
            b.result.policy,
        ))
    });
    let summary = summary(&results);
    let mut document = skeleton(namespace, summary);
    let mut bytes = serde_json::to_vec(&document).map_or(0, |v| v.len()) + 128;
    let mut kept = Vec::new();
    for ranked in &results {
        if kept.len() >= max_results {
            break;
        }
        let value = serde_json::to_value(&ranked.result).unwrap_or(Value::Null);
        let size = serde_json::to_vec(&value).map_or(usize::MAX, |v| v.len()) + 1;
        if bytes.saturating_add(size) > MAX_REPORT_BYTES {
            break;
        }
        bytes += size;
        kept.push(value);
    }
    let omitted = results.len() - kept.len();
    if omitted > 0 {
        document["metadata"]["annotations"] = json!({
            OMITTED_ANNOTATION: omitted.to_string(),
            LIMIT_ANNOTATION: format!("{max_results} results or {MAX_REPORT_BYTES} bytes"),
        });
    }
    let count = kept.len();
    document["results"] = Value::Array(kept);
    PolicyReportDoc {
        namespace: namespace.map(str::to_string),
        document,
        kept: count,
        omitted,
    }
}

fn summary(results: &[Ranked<'_>]) -> Value {
    let count = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    json!({
        "pass": 0,
        "fail": count(Verdict::Fail),
        "warn": count(Verdict::Warn),
        "error": 0,
        "skip": count(Verdict::Skip),
    })
}

/// The report without results: kind, name, labels, scope and summary.
fn skeleton(namespace: Option<&str>, summary: Value) -> Value {
    let mut metadata = json!({
        "name": REPORT_NAME,
        "labels": {
            MANAGED_BY.0: MANAGED_BY.1,
            "app.kubernetes.io/name": "kubeharden",
        },
    });
    let kind = match namespace {
        Some(ns) => {
            metadata["namespace"] = json!(ns);
            "PolicyReport"
        }
        None => "ClusterPolicyReport",
    };
    json!({
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": metadata,
        "summary": summary,
        "results": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_short_text_and_marks_long_text() {
        assert_eq!(cut("short", 10), "short");
        let long = "é".repeat(100);
        let c = cut(&long, 11);
        assert!(c.len() <= 11 && c.ends_with("..."), "{c}");
    }

    #[test]
    fn categories_follow_the_guidance_sections() {
        assert_eq!(category(&["POD-12"]), "Pod security");
        assert_eq!(
            category(&["RBAC-09", "POD-01"]),
            "Authentication and authorization"
        );
        assert_eq!(category(&["ETCD-02"]), "Network separation and hardening");
        assert_eq!(category(&["DET-05"]), "Audit logging and threat detection");
    }
}
