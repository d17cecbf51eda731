//! Report formats. Every format renders the same [`Report`]: the scan's findings,
//! errors and counts, and the rules that ran.

#![forbid(unsafe_code)]

mod html;
mod json;
mod json_summary;
mod junit;
mod markdown;
mod policy_report;
mod sarif;
pub mod summary;
mod suppressed;
mod text;
mod text_summary;

use std::str::FromStr;

use kubeharden_findings::{RuleCatalog, RuleInfo, ScanReport, Severity};

pub use html::write_html;
pub use json::write_json;
pub use junit::{write_junit, JunitMeta};
pub use markdown::write_markdown;
pub use policy_report::{
    policy_reports, write_policy_reports, PolicyReportDoc, PolicyReportOptions, API_VERSION,
    DEFAULT_MAX_RESULTS, LIMIT_ANNOTATION, MANAGED_BY, MAX_REPORT_BYTES, OMITTED_ANNOTATION,
    REPORT_NAME,
};
pub use sarif::write_sarif;
pub use text::{printable, write_text, TextOptions};

/// What a report shows.
pub struct Report<'a> {
    pub scan: &'a ScanReport,
    /// The rules that ran (a `RuleSet` of kubeharden-rules).
    pub rules: &'a dyn RuleCatalog,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    /// wgpolicyk8s.io/v1alpha2 PolicyReports and a ClusterPolicyReport, as YAML.
    PolicyReport,
    /// One self-contained HTML page: score chart, filters, search.
    Html,
    /// A summary for a pull-request comment.
    Markdown,
}

/// A `--format` that is none of the formats.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown format {given:?} (expected text, json, sarif, junit, policyreport, html or markdown)"
)]
pub struct UnknownFormat {
    pub given: String,
}

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, UnknownFormat> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "junit" => Ok(Format::Junit),
            "policyreport" => Ok(Format::PolicyReport),
            "html" => Ok(Format::Html),
            "markdown" | "md" => Ok(Format::Markdown),
            _ => Err(UnknownFormat {
                given: s.to_string(),
            }),
        }
    }
}

impl Report<'_> {
    /// The rules the report describes, ordered by ID: those the scan ran on every
    /// object, and those kept aside for part of an input (the node rules on a
    /// cluster's control-plane pods) where they found something.
    pub fn described_rules(&self) -> Vec<&RuleInfo> {
        let mut rules = self.rules.rule_infos();
        for info in self.rules.rules_aside() {
            let suppressed = self.scan.suppressed.iter().map(|s| &s.finding);
            let found = (self.scan.findings.iter().chain(suppressed)).any(|f| f.rule_id == info.id);
            if found && !rules.iter().any(|r| r.id == info.id) {
                rules.push(info);
            }
        }
        rules.sort_by_key(|r| r.id);
        rules
    }
}

/// Findings per severity, most severe first.
pub fn severity_counts(scan: &ScanReport) -> [(Severity, usize); 5] {
    Severity::ALL.map(|sev| {
        (
            sev,
            scan.findings.iter().filter(|f| f.severity == sev).count(),
        )
    })
}

/// How many objects (and, for files, how many files) the findings are in: a report's
/// closing line says so apart from how many were scanned, which it could be read as.
pub(crate) fn found_in(scan: &ScanReport) -> (usize, Option<usize>) {
    // An object is its definition: in its file, or in the render that made it (whose
    // findings may point at several source files), of its variant.
    let objects: std::collections::HashSet<(&str, &kubeharden_load::Resource, Option<&str>)> = scan
        .findings
        .iter()
        .map(|f| {
            let made_in = f.rendered.as_ref().map_or(&f.location.file, |r| &r.file);
            (&**made_in, &*f.resource, f.variant.as_deref())
        })
        .collect();
    let files: std::collections::HashSet<&str> =
        scan.findings.iter().map(|f| &*f.location.file).collect();
    // A node's findings are of its configurations and of files it only looked at
    // (modes and owners of certificates, folders): how many configurations is told,
    // at most those audited, and no count of files.
    if scan.stats.counted == kubeharden_findings::Counted::Configurations {
        return (objects.len().min(scan.stats.objects), None);
    }
    (objects.len(), (scan.stats.files > 0).then_some(files.len()))
}

/// `, 12 of them only because their findings are accepted` after a count of passing
/// checks, or nothing: every format says the same.
pub(crate) fn accepted_note(score: &crate::summary::Score) -> String {
    match score.accepted {
        0 => String::new(),
        n => format!(", {n} of them only because their findings are accepted"),
    }
}

/// What a scan read: `3 files`, `1 file, 2 rendered charts, 1 rendered overlay`.
pub(crate) fn scanned_from(stats: &kubeharden_findings::ScanStats) -> String {
    let plain = stats.files.saturating_sub(stats.charts + stats.overlays);
    let count = |n: usize, noun: &str| format!("{n} {noun}{}", if n == 1 { "" } else { "s" });
    let mut parts = Vec::new();
    if plain > 0 || stats.files == 0 {
        parts.push(count(plain, "file"));
    }
    if stats.charts > 0 {
        let charts = count(stats.charts - stats.chart_variants, "rendered chart");
        parts.push(match stats.chart_variants {
            0 => charts,
            _ => format!(
                "{charts} ({} renders of --values-set variants)",
                stats.charts
            ),
        });
    }
    if stats.overlays > 0 {
        parts.push(count(stats.overlays, "rendered overlay"));
    }
    parts.join(", ")
}

/// `in 17 objects, 3 files; scanned 43 objects from 6 files` (the files, or what
/// else was read, after `from`), or `in 43 objects from 6 files` with no findings
/// and for an audit log's events (each alert is its own event).
pub(crate) fn where_found(scan: &ScanReport, from: &str) -> String {
    let s = &scan.stats;
    let scanned = format!("{} {} from {from}", s.objects, s.counted.noun(s.objects));
    if scan.findings.is_empty() || s.counted == kubeharden_findings::Counted::Events {
        return format!("in {scanned}");
    }
    let (objects, files) = found_in(scan);
    let files = match files {
        Some(n) => format!(", {n} file{}", if n == 1 { "" } else { "s" }),
        None => String::new(),
    };
    format!(
        "in {objects} {}{files}; scanned {scanned}",
        s.counted.noun(objects)
    )
}

/// The guidance rows `findings` cite, in order, each with its title.
pub(crate) fn cited_rows(
    findings: &[kubeharden_findings::Finding],
) -> Vec<(&'static str, &'static str)> {
    let rows: std::collections::BTreeSet<&'static str> = findings
        .iter()
        .flat_map(|f| f.guidance.iter().copied())
        .collect();
    rows.into_iter()
        .filter_map(|id| Some((id, kubeharden_findings::guidance_title(id)?)))
        .collect()
}

/// An audit-log alert's facts in one line, unescaped (each format escapes it): who,
/// from where, when, how many events and which, so an analyst can find them in the
/// log whatever the format.
pub(crate) fn alert_line(a: &kubeharden_findings::AlertDetails) -> String {
    let from = match a.source_ips.is_empty() {
        true => String::new(),
        false => format!(" from {}", a.source_ips.join(", ")),
    };
    let events = if a.count == 1 { "event" } else { "events" };
    format!(
        "{}{from}, {} to {}, {} {events}, audit IDs {}",
        a.subject,
        a.first_seen,
        a.last_seen,
        a.count,
        a.audit_ids.join(", ")
    )
}
