use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use kubeharden_load::Resource;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl Severity {
    /// One level lower, and info stays info.
    pub fn milder(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            Severity::Low | Severity::Info => Severity::Info,
        }
    }
}

/// A lasting copy of a subset of a rule's rows. Findings carry `&'static` rows; the
/// subsets of each rule's few rows are few, so each is kept once for the process.
fn intern_rows(rows: Vec<&'static str>) -> &'static [&'static str] {
    static SEEN: std::sync::Mutex<Vec<&'static [&'static str]>> = std::sync::Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = seen.iter().find(|s| **s == rows.as_slice()) {
        return known;
    }
    let kept: &'static [&'static str] = Box::leak(rows.into_boxed_slice());
    seen.push(kept);
    kept
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity that is none of the five.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {given:?} (expected critical, high, medium, low or info)")]
pub struct UnknownSeverity {
    pub given: String,
}

impl FromStr for Severity {
    type Err = UnknownSeverity;

    fn from_str(s: &str) -> Result<Self, UnknownSeverity> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownSeverity {
                given: s.to_string(),
            })
    }
}

/// Where a finding is: the field, or its nearest present parent.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
}

/// A condition on other objects of the scan that must hold for a finding to stand.
/// The engine checks it once every object has been seen.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Requirement {
    /// The pod leaves token automount to its service account: the finding stands
    /// unless that ServiceAccount is in the scan with `automountServiceAccountToken: false`.
    ServiceAccountAutomounts { namespace: String, name: String },
    /// A container sets no `resource` limit (`limit`) or request: the finding stands
    /// unless a LimitRange of the namespace supplies a default.
    NoLimitRangeDefault {
        namespace: String,
        resource: &'static str,
        limit: bool,
    },
}

impl Requirement {
    /// Whether the condition holds in the scan's cluster view, for a finding in file
    /// `from`: of several definitions of the object it names, the nearest counts.
    pub fn holds(&self, view: &kubeharden_cluster::ClusterView, from: &str) -> bool {
        match self {
            Requirement::ServiceAccountAutomounts { namespace, name } => {
                !view.automount_disabled(namespace, name, from)
            }
            Requirement::NoLimitRangeDefault {
                namespace,
                resource,
                limit,
            } => !view.limit_range_default(namespace, resource, *limit, from),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub rule_id: &'static str,
    pub rule_name: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub message: String,
    pub guidance: &'static [&'static str],
    pub resource: Arc<Resource>,
    pub container: Option<String>,
    pub path: String,
    pub location: Location,
    /// The Helm template the object was rendered from (`# Source:`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helm_source: Option<Arc<str>>,
    #[serde(skip)]
    pub requires: Option<Requirement>,
    /// For audit-log alerts: who, from where, when, how often, and example events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<AlertDetails>,
}

/// What an audit-log alert adds to a finding.
#[derive(Clone, Debug, Serialize)]
pub struct AlertDetails {
    pub subject: String,
    pub source_ips: Vec<String>,
    /// RFC 3339 times of the first and last event.
    pub first_seen: String,
    pub last_seen: String,
    pub count: u64,
    pub audit_ids: Vec<String>,
}

impl Finding {
    /// A finding of `def` about `resource` at `location`.
    pub(crate) fn new(
        def: &crate::rule::RuleDef,
        resource: Arc<Resource>,
        location: Location,
        path: String,
        message: String,
    ) -> Finding {
        Finding {
            rule_id: def.id,
            rule_name: def.name,
            severity: def.severity,
            title: def.title,
            message,
            guidance: def.guidance,
            resource,
            container: None,
            path,
            location,
            helm_source: None,
            requires: None,
            alert: None,
        }
    }

    /// An audit-log alert as a finding: located at the log line of its first event.
    pub fn from_alert(alert: kubeharden_audit::Alert) -> Option<Finding> {
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
        let mut finding = Finding::new(
            rule.def,
            Arc::new(resource),
            location,
            String::new(),
            message,
        );
        finding.alert = Some(AlertDetails {
            subject: alert.subject,
            source_ips: alert.source_ips,
            first_seen: times(alert.first_seen),
            last_seen: times(alert.last_seen),
            count: alert.count,
            audit_ids: alert.audit_ids,
        });
        Some(finding)
    }

    /// Narrows the finding to what its own evidence shows: its rows, its severity.
    pub(crate) fn graded(mut self, grade: crate::context::Grade) -> Finding {
        if let Some(rows) = grade.rows {
            debug_assert!(
                rows.iter().all(|r| self.guidance.contains(r)),
                "{}: rows {rows:?} are not among the rule's {:?}",
                self.rule_id,
                self.guidance
            );
            self.guidance = rows;
        }
        if !grade.without_rows.is_empty() {
            let kept = self.guidance.iter().copied();
            self.guidance = intern_rows(kept.filter(|r| !grade.without_rows.contains(r)).collect());
        }
        if let Some(severity) = grade.severity {
            self.severity = severity;
        }
        if grade.milder {
            self.severity = self.severity.milder();
        }
        self
    }

    /// The order of every report: by file, place, rule, then the rest, so output
    /// is the same whatever the thread count.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            &self.location,
            self.rule_id,
            &self.path,
            &self.container,
            &self.message,
            &self.resource,
        )
    }
}
