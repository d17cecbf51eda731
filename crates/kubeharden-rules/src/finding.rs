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

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity {s:?} (expected critical, high, medium, low or info)")
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
    /// Whether the condition holds in the scan's cluster view.
    pub fn holds(&self, view: &kubeharden_cluster::ClusterView) -> bool {
        match self {
            Requirement::ServiceAccountAutomounts { namespace, name } => {
                view.service_accounts
                    .get(&(namespace.clone(), name.clone()))
                    != Some(&Some(false))
            }
            Requirement::NoLimitRangeDefault {
                namespace,
                resource,
                limit,
            } => !view.limit_range_default(namespace, resource, *limit),
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
        }
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
