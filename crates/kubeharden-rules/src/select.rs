//! Which rules a scan runs.

use std::str::FromStr;

use kubeharden_findings::{Finding, PssLevel, RuleCatalog, RuleInfo, Severity};

use crate::context::ClusterConfig;
use crate::registry::all_rules;
use crate::rule::RuleEntry;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Framework {
    /// Every rule.
    #[default]
    All,
    /// Rules that implement a row of the NSA/CISA checklist.
    NsaCisa,
    /// The Pod Security Standards baseline checks, exactly as Kubernetes enforces them.
    PssBaseline,
    /// Baseline plus the restricted checks.
    PssRestricted,
}

/// A `--framework` that is none of the frameworks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown framework {given:?} (expected all, nsa-cisa, pss-baseline or pss-restricted)")]
pub struct UnknownFramework {
    pub given: String,
}

/// A `--select` or `--ignore` pattern that names no rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{flag} {pattern:?} names no rule (see `kubeharden rules`)")]
pub struct UnknownRule {
    pub flag: &'static str,
    pub pattern: String,
}

impl FromStr for Framework {
    type Err = UnknownFramework;

    fn from_str(s: &str) -> Result<Self, UnknownFramework> {
        match s.to_ascii_lowercase().as_str() {
            "all" => Ok(Framework::All),
            "nsa-cisa" | "nsa" => Ok(Framework::NsaCisa),
            "pss-baseline" | "baseline" => Ok(Framework::PssBaseline),
            "pss-restricted" | "restricted" => Ok(Framework::PssRestricted),
            _ => Err(UnknownFramework {
                given: s.to_string(),
            }),
        }
    }
}

impl Framework {
    fn includes(self, rule: &RuleEntry) -> bool {
        let level = rule.def.pss.map(|p| p.level);
        match self {
            Framework::All => true,
            Framework::NsaCisa => !rule.def.guidance.is_empty(),
            Framework::PssBaseline => level == Some(PssLevel::Baseline),
            Framework::PssRestricted => level.is_some(),
        }
    }
}

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub framework: Framework,
    /// IDs, ID prefixes (`KH1`) or names; empty means all of the framework.
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub min_severity: Option<Severity>,
}

fn matches(rule: &RuleEntry, pattern: &str) -> bool {
    let id = rule.def.id;
    rule.def.name.eq_ignore_ascii_case(pattern)
        || (id.len() >= pattern.len() && id[..pattern.len()].eq_ignore_ascii_case(pattern))
}

fn check_known(patterns: &[String], flag: &'static str) -> Result<(), UnknownRule> {
    match patterns
        .iter()
        .find(|p| !all_rules().iter().any(|r| matches(r, p)))
    {
        Some(pattern) => Err(UnknownRule {
            flag,
            pattern: pattern.clone(),
        }),
        None => Ok(()),
    }
}

/// The rules one scan runs.
#[derive(Clone, Debug)]
pub struct RuleSet {
    pub(crate) rules: Vec<&'static RuleEntry>,
    pub config: ClusterConfig,
    /// Findings below this are dropped. It applies to each finding's own severity,
    /// which can differ from its rule's (a SYS_ADMIN capability is critical).
    min_severity: Option<Severity>,
    /// Under `nsa-cisa`, a finding that names no checklist row (a Pod Security
    /// refinement) is not the framework's.
    rows_required: bool,
    /// Node rules kept aside by [`RuleSet::manifest_rules`]: they judge only the
    /// control-plane pods a cluster (or a dump of one) mirrors into `kube-system`,
    /// and are reported only where they do (`check_control_plane`).
    control_plane: Vec<&'static RuleEntry>,
    /// Whether findings that state one problem are merged into one (the default;
    /// [`RuleSet::every_finding`] keeps them apart).
    merge: bool,
    /// Rules whose severity the configuration overrides, as reports describe them
    /// (their summary line and score weight follow the override).
    overridden: Vec<RuleInfo>,
}

impl RuleSet {
    pub fn new(selection: &Selection) -> Result<RuleSet, UnknownRule> {
        check_known(&selection.select, "--select")?;
        check_known(&selection.ignore, "--ignore")?;
        let rules = all_rules()
            .iter()
            .copied()
            .filter(|r| selection.framework.includes(r))
            .filter(|r| {
                selection.select.is_empty() || selection.select.iter().any(|p| matches(r, p))
            })
            .filter(|r| !selection.ignore.iter().any(|p| matches(r, p)))
            .collect();
        Ok(RuleSet {
            rules,
            config: ClusterConfig::default(),
            min_severity: selection.min_severity,
            rows_required: selection.framework == Framework::NsaCisa,
            control_plane: Vec::new(),
            merge: true,
            overridden: Vec::new(),
        })
    }

    /// Whether a finding belongs in the report: at or above `--min-severity`, and
    /// naming a checklist row under `--framework nsa-cisa`.
    pub fn admits(&self, finding: &Finding) -> bool {
        self.min_severity.is_none_or(|min| finding.severity >= min)
            && (!self.rows_required || !finding.guidance.is_empty())
    }

    /// No rule: for commands that only load objects.
    pub fn none() -> RuleSet {
        RuleSet {
            rules: Vec::new(),
            config: ClusterConfig::default(),
            min_severity: None,
            rows_required: false,
            control_plane: Vec::new(),
            merge: true,
            overridden: Vec::new(),
        }
    }

    /// Every rule.
    pub fn all() -> RuleSet {
        RuleSet {
            rules: all_rules().to_vec(),
            config: ClusterConfig::default(),
            min_severity: None,
            rows_required: false,
            control_plane: Vec::new(),
            merge: true,
            overridden: Vec::new(),
        }
    }

    /// Keeps every rule's finding apart, even where several state one problem
    /// (`--no-merge`): each rule's verdict as it is, for comparing rule by rule.
    #[must_use]
    pub fn every_finding(mut self) -> RuleSet {
        self.merge = false;
        self
    }

    /// Takes the findings that state one problem of one object into one, as the
    /// rules declare (see [`crate::Merge`]), unless [`RuleSet::every_finding`].
    ///
    /// Severity overrides are applied first, so that a merged finding is as grave as
    /// the gravest of the problems it stands for, as overridden: the same as each
    /// rule's finding apart (`--no-merge`) would be.
    pub fn merge_findings(&self, findings: &mut Vec<Finding>) {
        if !self.overridden.is_empty() {
            for finding in findings.iter_mut() {
                let info = self.overridden.iter().find(|i| i.id == finding.rule_id);
                if let Some(info) = info {
                    finding.severity = info.severity;
                }
            }
        }
        if self.merge {
            crate::merge::merge_findings(findings);
        }
    }

    /// Keeps the rules that run on a node's configuration (`kubeharden node`).
    #[must_use]
    pub fn node_rules(mut self) -> RuleSet {
        self.rules
            .retain(|r| matches!(r.def.check, crate::rule::Check::Node(_)));
        self
    }

    /// Keeps the rules that run on manifests (`kubeharden scan`, `cluster`). The node
    /// rules are kept aside for the control-plane pods a scan may hold.
    #[must_use]
    pub fn manifest_rules(mut self) -> RuleSet {
        let (node, rest): (Vec<_>, Vec<_>) = self
            .rules
            .into_iter()
            .filter(|r| !matches!(r.def.check, crate::rule::Check::Audit(_)))
            .partition(|r| matches!(r.def.check, crate::rule::Check::Node(_)));
        self.rules = rest;
        self.control_plane = node;
        self
    }

    /// The node rules that judge control-plane pods: those of the set, and those kept
    /// aside by [`RuleSet::manifest_rules`].
    pub fn control_plane_rules(&self) -> Vec<&'static RuleEntry> {
        let node = self
            .rules
            .iter()
            .filter(|r| matches!(r.def.check, crate::rule::Check::Node(_)));
        node.chain(&self.control_plane).copied().collect()
    }

    /// Keeps the audit-log detectors (`kubeharden audit-log`).
    #[must_use]
    pub fn audit_rules(mut self) -> RuleSet {
        self.rules
            .retain(|r| matches!(r.def.check, crate::rule::Check::Audit(_)));
        self
    }

    /// The detectors of the audit rules, built with `config`.
    pub fn detectors(
        &self,
        config: &kubeharden_audit::AuditConfig,
    ) -> Vec<Box<dyn kubeharden_audit::Detector>> {
        self.rules
            .iter()
            .filter_map(|r| match r.def.check {
                crate::rule::Check::Audit(build) => Some(build(config)),
                _ => None,
            })
            .collect()
    }

    pub fn rules(&self) -> &[&'static RuleEntry] {
        &self.rules
    }
}

impl RuleSet {
    /// The set with these rules' severities overridden (a configuration file's
    /// `severity`): the findings get theirs when the report is finished; reports
    /// describe the rules, and weigh their checks, with these.
    #[must_use]
    pub fn with_severities(mut self, overrides: &[(&str, Severity)]) -> RuleSet {
        let known = self.rules.iter().chain(&self.control_plane);
        self.overridden = known
            .filter_map(|r| {
                let (_, severity) = overrides.iter().find(|(id, _)| *id == r.info.id)?;
                Some(RuleInfo {
                    severity: *severity,
                    ..r.info
                })
            })
            .collect();
        self
    }

    fn described<'a>(&'a self, rule: &'a RuleEntry) -> &'a RuleInfo {
        self.overridden
            .iter()
            .find(|info| info.id == rule.info.id)
            .unwrap_or(&rule.info)
    }
}

impl RuleCatalog for RuleSet {
    fn rule_infos(&self) -> Vec<&RuleInfo> {
        self.rules.iter().map(|r| self.described(r)).collect()
    }

    fn rules_aside(&self) -> Vec<&RuleInfo> {
        self.control_plane
            .iter()
            .map(|r| self.described(r))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(sel: Selection) -> Vec<&'static str> {
        RuleSet::new(&sel)
            .unwrap()
            .rules
            .iter()
            .map(|r| r.def.id)
            .collect()
    }

    #[test]
    fn frameworks_pick_their_rules() {
        let baseline = ids(Selection {
            framework: Framework::PssBaseline,
            ..Default::default()
        });
        let restricted = ids(Selection {
            framework: Framework::PssRestricted,
            ..Default::default()
        });
        assert!(baseline.contains(&"KH101"));
        assert!(!baseline.contains(&"KH121"));
        assert!(restricted.contains(&"KH121") && restricted.contains(&"KH101"));
        assert!(!restricted.contains(&"KH301"));
    }

    #[test]
    fn select_ignore_and_min_severity() {
        let sel = Selection {
            select: vec!["KH10".into()],
            ignore: vec!["privileged-container".into()],
            ..Default::default()
        };
        let got = ids(sel);
        assert!(got.iter().all(|id| id.starts_with("KH10")));
        assert!(!got.contains(&"KH101"));
        // Every rule runs: a rule's finding can be more severe than the rule (KH105
        // with SYS_ADMIN is critical); findings are filtered instead.
        let critical = RuleSet::new(&Selection {
            min_severity: Some(Severity::Critical),
            ..Default::default()
        })
        .unwrap();
        assert!(critical.rules.iter().any(|r| r.def.id == "KH105"));
    }

    #[test]
    fn unknown_rule_is_an_error() {
        assert!(RuleSet::new(&Selection {
            select: vec!["KH999".into()],
            ..Default::default()
        })
        .is_err());
    }
}
