//! A finding and what it is made of: severity, location, the condition it waits on.

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

/// A chart value behind a rendered field: `securityContext.runAsNonRoot`, and the
/// values file and line that set it, or (`set: false`) the nearest block it would go in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ValueSource {
    pub key: String,
    pub location: Location,
    pub set: bool,
    /// For a subchart's own default (`image` in `charts/cache/values.yaml`): the key
    /// that overrides it in the parent chart's values (`cache.image`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_key: Option<String>,
}

/// A condition on other objects of the scan that must hold for a finding to stand.
/// The engine settles it on the cluster view once every object has been seen.
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
    /// `path` with its list items named by what they are (`env[TOKEN]`, not `env[1]`),
    /// where the object's tree was at hand when it was located: the fingerprint's path.
    #[serde(skip)]
    pub keyed_path: Option<String>,
    pub location: Location,
    /// The other rules whose findings this one stands for: the same problem on the
    /// same object, stated once (a sensitive host path is also a host path volume).
    /// Its rows and severity are those of all of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<&'static str>,
    /// How grave each rule in `covers` found its problem (severity overrides
    /// applied): what is left when an exception accepts only part of this finding.
    #[serde(skip)]
    pub covered_severity: Vec<(&'static str, Severity)>,
    /// The objects whose findings this one stands for, with their rules (and
    /// containers: a baseline tells them apart): its own mostly, others' where it
    /// speaks for them (a namespace's missing default-deny stands for each
    /// workload's KH512). The score fails those rules' checks of them.
    #[serde(skip)]
    pub covered_objects: Vec<CoveredObject>,
    /// For a finding an exception accepts in part (its own rule, not all it stands
    /// for): the rules accepted, whose checks the score counts as accepted, not
    /// failed, as `--no-merge` counts them.
    #[serde(skip)]
    pub accepted_rules: Vec<&'static str>,
    /// This finding's own fix in one line, where the rule's would name more (or
    /// other) than the object has wrong; reports show it in place of the rule's.
    #[serde(skip)]
    pub fix: Option<String>,
    /// This finding's own YAML snippet, where the rule's shows another value than
    /// this run asks for (KH504 under `--pss-target restricted`).
    #[serde(skip)]
    pub fix_snippet: Option<String>,
    /// Every item of a list the message names only the first few of (KH620: each
    /// subject's escalation path in full).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// The Helm template the object was rendered from (`# Source:`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helm_source: Option<Arc<str>>,
    /// For an object a chart or an overlay rendered: the place in the rendered text,
    /// when `location` has been mapped back to the source that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered: Option<Location>,
    /// For an object an overlay rendered whose field a patch set or removed (then
    /// `location` is the patch's): where the base resource writes the object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<Location>,
    /// The chart value that decides the field, and where it is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Box<ValueSource>>,
    /// The `--values-set` variant of the chart the object was rendered from: the same
    /// object of two variants is two findings, with two fingerprints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<Arc<str>>,
    #[serde(skip)]
    pub requires: Option<Box<Requirement>>,
    /// For audit-log alerts: who, from where, when, how often, and example events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<Box<AlertDetails>>,
}

/// A finding a merged one stands for: its rule, file, object and container.
pub type CoveredObject = (&'static str, Arc<str>, Arc<Resource>, Option<String>);

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
    /// The fix in one line: the finding's own (`fix`) or else its rule's, and for an
    /// object a chart rendered, the chart value that decides the field, since that is
    /// what the user edits, not the rendered YAML.
    pub fn fix_line(&self, rule_fix: Option<&str>) -> Option<String> {
        let fix = self.fix.as_deref().or(rule_fix)?;
        let Some(value) = self.value.as_deref() else {
            return Some(fix.to_string());
        };
        let at = &value.location;
        let through = match (value.set, &value.parent_key) {
            // A `--set` value is no file's (line 0): named by its flag.
            (true, None) if at.line == 0 => format!("the chart value {} ({})", value.key, at.file),
            (true, None) => format!("the chart value {} ({}:{})", value.key, at.file, at.line),
            (true, Some(parent)) => format!("the parent chart's value {parent}"),
            (false, _) => format!(
                "the chart value {} (not set yet: add it to {})",
                value.key, at.file
            ),
        };
        Some(format!(
            "{}: in the chart, through {through}",
            fix.trim_end_matches('.')
        ))
    }

    /// A finding of no rule about the field at `path`: a probe that asks a source map
    /// where that field was written (an error in a rendered object, mapped as its
    /// findings are).
    pub fn probe(resource: Arc<Resource>, location: Location, path: String) -> Finding {
        Finding {
            rule_id: "",
            rule_name: "",
            severity: Severity::Info,
            title: "",
            message: String::new(),
            guidance: &[],
            resource,
            container: None,
            path,
            keyed_path: None,
            location,
            covers: Vec::new(),
            covered_severity: Vec::new(),
            covered_objects: Vec::new(),
            accepted_rules: Vec::new(),
            fix: None,
            fix_snippet: None,
            details: Vec::new(),
            helm_source: None,
            rendered: None,
            base: None,
            value: None,
            variant: None,
            requires: None,
            alert: None,
        }
    }

    /// The rules this finding stands for besides its own that `accepts` does not
    /// accept. An exception of its own rule alone must not hide them: the finding
    /// then stays, noted with [`Finding::note_partly_accepted`].
    pub fn unaccepted_merged(&self, accepts: impl Fn(&str) -> bool) -> Vec<&'static str> {
        self.covers
            .iter()
            .copied()
            .filter(|id| !accepts(id))
            .collect()
    }

    /// Notes that the exception at `source` accepts this finding's rule but not the
    /// rules in `left`, which it stands for too.
    /// The finding is then as grave as the gravest rule left, as `--no-merge` shows
    /// it, so that both give the same exit code.
    pub fn note_partly_accepted(&mut self, source: &str, left: &[&str]) {
        self.accepted_rules = std::iter::once(self.rule_id)
            .chain(self.covers.iter().copied())
            .filter(|rule| !left.contains(rule))
            .collect();
        self.grade_by(left);
        self.message.push_str(&format!(
            "; the exception at {source} accepts {} but not {}, which this finding also stands for: add {} to its rules to accept the whole finding",
            self.rule_id,
            left.join(", "),
            left.join(", ")
        ));
    }

    /// Notes that the baseline at `source` knew this finding but not the rules in
    /// `left`, which it stands for too: those are new problems, graded as
    /// `--no-merge` grades them, so that both count the same new findings and give
    /// the same exit code.
    pub fn note_partly_baselined(&mut self, source: &str, left: &[&str]) {
        self.grade_by(left);
        self.message.push_str(&format!(
            "; new since the baseline {source}, which knew {} but not {}",
            self.rule_id,
            left.join(", ")
        ));
    }

    /// Takes the severity of the gravest rule in `left`, the part of this finding
    /// still reported when the rest is accepted.
    fn grade_by(&mut self, left: &[&str]) {
        let gravest = self
            .covered_severity
            .iter()
            .filter(|(rule, _)| left.contains(rule))
            .map(|(_, severity)| *severity)
            .max();
        if let Some(severity) = gravest {
            self.severity = severity;
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
