//! Making findings: a rule's violation located in its file, graded by its evidence,
//! and audit-log alerts as findings. The types are `kubeharden-findings`'.

use std::sync::Arc;

use kubeharden_findings::{AlertDetails, Finding, Location};
use kubeharden_load::Resource;

use crate::rule::RuleDef;

/// A finding of `def` about `resource` at `location`.
pub(crate) fn new_finding(
    def: &RuleDef,
    resource: Arc<Resource>,
    location: Location,
    path: String,
    message: String,
) -> Finding {
    // The one list of a finding's fields is `Finding::probe`'s: a rule's finding is
    // that blank one with the rule's identity and words.
    Finding {
        rule_id: def.id,
        rule_name: def.name,
        severity: def.severity,
        title: def.title,
        message,
        guidance: def.guidance,
        ..Finding::probe(resource, location, path)
    }
}

/// An audit-log alert as a finding: located at the log line of its first event.
pub fn finding_from_alert(alert: kubeharden_audit::Alert) -> Option<Finding> {
    let rule = crate::registry::find_rule(alert.rule_id)?;
    let (kind, namespace, name) = alert
        .object
        .clone()
        .unwrap_or_else(|| ("request".to_string(), None, None));
    let resource = Resource {
        api_version: "audit.k8s.io/v1".into(),
        kind,
        namespace,
        name: name.unwrap_or_default(),
    };
    let location = Location {
        file: alert.file.clone(),
        line: alert.line as u32,
        column: 1,
    };
    let times = |t: f64| {
        jiff::Timestamp::from_second(t as i64)
            .map(|ts| ts.to_string())
            .unwrap_or_default()
    };
    let message = if alert.count > 1 {
        format!("{} ({} events)", alert.message, alert.count)
    } else {
        alert.message.clone()
    };
    let mut finding = new_finding(
        rule.def,
        Arc::new(resource),
        location,
        String::new(),
        message,
    );
    finding.alert = Some(Box::new(AlertDetails {
        subject: alert.subject,
        source_ips: alert.source_ips,
        first_seen: times(alert.first_seen),
        last_seen: times(alert.last_seen),
        count: alert.count,
        audit_ids: alert.audit_ids,
    }));
    Some(finding)
}

/// Narrows the finding to what its own evidence shows: its rows, its severity.
pub(crate) fn graded(mut finding: Finding, grade: crate::context::Grade) -> Finding {
    if let Some(rows) = grade.rows {
        debug_assert!(
            rows.iter().all(|r| finding.guidance.contains(r)),
            "{}: rows {rows:?} are not among the rule's {:?}",
            finding.rule_id,
            finding.guidance
        );
        finding.guidance = rows;
    }
    if !grade.without_rows.is_empty() {
        let kept = finding.guidance.iter().copied();
        finding.guidance = intern_rows(kept.filter(|r| !grade.without_rows.contains(r)).collect());
    }
    if let Some(severity) = grade.severity {
        finding.severity = severity;
    }
    if grade.milder {
        finding.severity = finding.severity.milder();
    }
    finding.fix = grade.fix;
    finding.fix_snippet = grade.snippet;
    finding.details = grade.details;
    finding
}

/// A lasting copy of a subset of a rule's rows. Findings carry `&'static` rows; the
/// subsets of each rule's few rows are few, so each is kept once for the process.
pub(crate) fn intern_rows(rows: Vec<&'static str>) -> &'static [&'static str] {
    static SEEN: std::sync::Mutex<Vec<&'static [&'static str]>> = std::sync::Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = seen.iter().find(|s| **s == rows.as_slice()) {
        return known;
    }
    let kept: &'static [&'static str] = Box::leak(rows.into_boxed_slice());
    seen.push(kept);
    kept
}
