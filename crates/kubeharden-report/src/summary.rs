//! The summary every format shows: findings per guidance section and per rule, the
//! top risks, and the compliance score (docs/score.md). It is computed once here, so
//! text, JSON, HTML and Markdown show the same numbers.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kubeharden_findings::{Finding, RuleInfo, Severity};
use kubeharden_load::Resource;
use serde::Serialize;

use crate::Report;

/// The sections of the NSA/CISA guidance the summary and the score are given by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    PodSecurity,
    Network,
    AuthnAuthz,
    Logging,
    Upgrades,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::PodSecurity,
        Section::Network,
        Section::AuthnAuthz,
        Section::Logging,
        Section::Upgrades,
    ];

    /// The stable ID JSON and HTML use.
    pub fn id(self) -> &'static str {
        match self {
            Section::PodSecurity => "pod-security",
            Section::Network => "network",
            Section::AuthnAuthz => "authn-authz",
            Section::Logging => "logging",
            Section::Upgrades => "upgrades",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Section::PodSecurity => "Pod security",
            Section::Network => "Network separation and hardening",
            Section::AuthnAuthz => "Authentication and authorization",
            Section::Logging => "Audit logging and threat detection",
            Section::Upgrades => "Upgrading and application security",
        }
    }

    /// The section of a checklist row (`POD-12`, `SEC-06`), by its prefix; the
    /// secrets rows are split by what they protect (docs/score.md).
    pub fn of_row(row: &str) -> Section {
        let prefix = row.split('-').next().unwrap_or(row);
        match prefix {
            "POD" | "NS" | "RES" => Section::PodSecurity,
            "AUTHN" | "RBAC" | "KCFG" => Section::AuthnAuthz,
            "LOG" | "DET" => Section::Logging,
            "UPG" => Section::Upgrades,
            // Credentials in manifests are a workload's configuration; who may read
            // Secrets is RBAC; encryption at rest is the control plane's.
            "SEC" if row == "SEC-01" => Section::PodSecurity,
            "SEC" if row == "SEC-06" => Section::AuthnAuthz,
            // CP, ETCD, WN, TLS, CLD, SEC-02..05: the guidance's "network separation and
            // hardening" chapter holds the control plane, etcd, nodes and encryption.
            _ => Section::Network,
        }
    }

    /// A rule's section: that of its first (primary) checklist row.
    pub fn of_rule(info: &RuleInfo) -> Section {
        info.guidance
            .first()
            .map_or(Section::PodSecurity, |row| Section::of_row(row))
    }
}

/// How much a check counts in the score, by its rule's severity: each level twice
/// the one below, info nothing.
pub fn weight(severity: Severity) -> u64 {
    match severity {
        Severity::Critical => 8,
        Severity::High => 4,
        Severity::Medium => 2,
        Severity::Low => 1,
        Severity::Info => 0,
    }
}

/// The compliance score of some checks: the weighted share that passed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Score {
    /// 0 to 100, one decimal; `None` when no weighted check applied.
    pub percent: Option<f64>,
    pub checks: u64,
    pub passed: u64,
    pub failed: u64,
    /// Of `passed`, the checks that pass only because an exception or the baseline
    /// accepts their findings.
    pub accepted: u64,
    /// Sum of the weights of the checks, and of those that passed.
    pub weight: u64,
    pub weight_passed: u64,
}

impl Score {
    /// Whether there is a score to show: some check was made. An audit log's alerts
    /// are events, not checks, so it has none (docs/score.md), and no panel, column
    /// or `n/a` stands for one.
    pub fn exists(&self) -> bool {
        self.checks > 0
    }

    fn add(&mut self, rule: &RuleSummary<'_>) {
        let w = weight(rule.info.severity);
        self.checks += rule.checks;
        self.failed += rule.failed;
        self.accepted += rule.accepted;
        self.passed += rule.checks - rule.failed;
        self.weight += w * rule.checks;
        self.weight_passed += w * (rule.checks - rule.failed);
        self.percent = (self.weight > 0).then(|| {
            let share = self.weight_passed as f64 * 1000.0 / self.weight as f64;
            share.round() / 10.0
        });
    }

    /// `87.5%`, or `n/a` when nothing was weighed.
    pub fn display(&self) -> String {
        match self.percent {
            Some(p) => format!("{p:.1}%"),
            None => "n/a".to_string(),
        }
    }
}

/// One rule's line of the summary.
#[derive(Clone, Debug)]
pub struct RuleSummary<'a> {
    pub info: &'a RuleInfo,
    pub section: Section,
    pub findings: usize,
    /// Distinct objects (file and resource) with a finding of the rule.
    pub objects: usize,
    /// Checks the rule made, and how many failed.
    pub checks: u64,
    pub failed: u64,
    /// Checks that pass only because their findings are accepted.
    pub accepted: u64,
}

/// One guidance section's line of the summary.
#[derive(Clone, Debug)]
pub struct SectionSummary {
    pub section: Section,
    pub rules: usize,
    pub findings: usize,
    /// Findings per severity, most severe first (as `Severity::ALL`).
    pub by_severity: [usize; 5],
    pub score: Score,
}

/// Why a finding is among the top risks, most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiskKind {
    /// A privileged or host-network workload behind a NodePort or LoadBalancer.
    ExposedPrivileged,
    /// A privileged container that also shares the node's network.
    PrivilegedHostNetwork,
    /// A chain of grants that reaches cluster-admin.
    EscalationPath,
    /// Any other critical finding.
    Critical,
}

impl RiskKind {
    pub fn describe(self) -> &'static str {
        match self {
            RiskKind::ExposedPrivileged => {
                "privileged or host-network workload exposed by a Service"
            }
            RiskKind::PrivilegedHostNetwork => "privileged container on the host network",
            RiskKind::EscalationPath => "escalation path to cluster-admin",
            RiskKind::Critical => "critical finding",
        }
    }
}

impl Risk<'_> {
    /// What the risk is, in words: its kind's, or for a critical finding of no
    /// particular kind its rule's title ("critical finding" beside the severity
    /// would say nothing).
    pub fn label(&self) -> &'static str {
        match self.kind {
            RiskKind::Critical => self.finding.title,
            kind => kind.describe(),
        }
    }
}

/// One risk of one object: its first finding, and how many more of the same rule
/// on the same object (its other containers, its definitions in other files) it
/// stands for.
#[derive(Clone, Debug)]
pub struct Risk<'a> {
    pub kind: RiskKind,
    pub finding: &'a Finding,
    pub more: usize,
}

/// The whole summary of a report.
#[derive(Clone, Debug)]
pub struct Summary<'a> {
    pub score: Score,
    pub sections: Vec<SectionSummary>,
    pub rules: Vec<RuleSummary<'a>>,
    /// The most urgent findings, at most [`TOP_RISKS`].
    pub top_risks: Vec<Risk<'a>>,
    /// How many risks (one per object and rule) there are in all.
    pub risks: usize,
    rule_sections: BTreeMap<&'static str, Section>,
}

/// A finding's section is its rule's; one whose rule the report does not describe
/// goes by its own first row.
fn section_of(rule_sections: &BTreeMap<&'static str, Section>, f: &Finding) -> Section {
    rule_sections.get(f.rule_id).copied().unwrap_or_else(|| {
        f.guidance
            .first()
            .map_or(Section::PodSecurity, |r| Section::of_row(r))
    })
}

/// Records the subjects `f` fails: its own, and those of the findings it stands for
/// (docs/noise.md): merging states a problem once, it does not pass the covered
/// rule's check.
fn fails<'a>(failing: &mut BTreeMap<&'a str, BTreeSet<Subject<'a>>>, f: &'a Finding) {
    record(failing, f, |_| true);
}

/// Records the subjects of `f`'s rules that `keep` keeps: the failing ones of a
/// finding an exception accepts in part, or the accepted ones.
fn record<'a>(
    into: &mut BTreeMap<&'a str, BTreeSet<Subject<'a>>>,
    f: &'a Finding,
    keep: impl Fn(&str) -> bool,
) {
    if keep(f.rule_id) {
        into.entry(f.rule_id).or_default().insert(subject(f));
    }
    for (rule, file, object, _) in f.covered_objects.iter().filter(|c| keep(c.0)) {
        into.entry(rule).or_default().insert((&**file, &**object));
    }
}

/// How many top risks a summary lists.
pub const TOP_RISKS: usize = 10;

type Subject<'a> = (&'a str, &'a Resource);

fn subject(f: &Finding) -> Subject<'_> {
    (&f.location.file, &f.resource)
}

impl<'a> Summary<'a> {
    pub fn of(report: &'a Report<'_>) -> Summary<'a> {
        let findings = &report.scan.findings;
        let mut per_rule: BTreeMap<&str, (usize, BTreeSet<Subject<'a>>)> = BTreeMap::new();
        // The subjects each rule fails: its own findings', and those of the findings
        // that stand for it (docs/noise.md): merging states a problem once, it does
        // not pass the covered rule's check.
        let mut failing: BTreeMap<&str, BTreeSet<Subject<'a>>> = BTreeMap::new();
        // The subjects accepted findings would fail: the checks that pass only
        // because of an exception or the baseline, which the summary says. A finding
        // accepted in part fails only the rules the exception left out.
        let mut accepted_failing: BTreeMap<&str, BTreeSet<Subject<'a>>> = BTreeMap::new();
        for f in findings {
            let entry = per_rule.entry(f.rule_id).or_default();
            entry.0 += 1;
            entry.1.insert(subject(f));
            let accepted = |rule: &str| f.accepted_rules.contains(&rule);
            record(&mut failing, f, |rule| !accepted(rule));
            record(&mut accepted_failing, f, accepted);
        }
        for s in &report.scan.suppressed {
            fails(&mut accepted_failing, &s.finding);
        }
        let rules: Vec<RuleSummary<'a>> = report
            .described_rules()
            .into_iter()
            .map(|info| {
                let (count, subjects) = per_rule.remove(info.id).unwrap_or_default();
                let made = report.scan.checks.get(info.id).copied().unwrap_or(0);
                let failed_subjects = failing.get(info.id).map_or(0, |s| s.len() as u64);
                let accepted_subjects = match (failing.get(info.id), accepted_failing.get(info.id))
                {
                    (_, None) => 0,
                    (None, Some(accepted)) => accepted.len() as u64,
                    (Some(failed), Some(accepted)) => accepted.difference(failed).count() as u64,
                };
                // A node rule's subject is the node: it fails once however many of
                // the node's files it faults. Other rules' findings on objects they
                // were not counted to judge still count as failed checks.
                let (checks, failed) = if info.section == "node" {
                    (made, failed_subjects.min(made))
                } else if info.section == "audit" {
                    // An audit-log alert is an event seen, not a check that failed:
                    // audit-log reports have no score (docs/score.md).
                    (0, 0)
                } else {
                    (made.max(failed_subjects), failed_subjects)
                };
                let accepted = accepted_subjects.min(checks - failed);
                RuleSummary {
                    info,
                    section: Section::of_rule(info),
                    findings: count,
                    objects: subjects.len(),
                    checks,
                    failed,
                    accepted,
                }
            })
            .collect();
        let rule_sections: BTreeMap<&'static str, Section> =
            rules.iter().map(|r| (r.info.id, r.section)).collect();
        let finding_sections: Vec<(Section, Severity)> = findings
            .iter()
            .map(|f| (section_of(&rule_sections, f), f.severity))
            .collect();
        let sections = Section::ALL
            .iter()
            .map(|&section| section_summary(section, &rules, &finding_sections))
            .collect();
        let mut score = Score::default();
        for rule in &rules {
            score.add(rule);
        }
        let mut risks = top_risks(findings);
        let count = risks.len();
        risks.truncate(TOP_RISKS);
        Summary {
            score,
            sections,
            rules,
            top_risks: risks,
            risks: count,
            rule_sections,
        }
    }

    /// The section a finding is shown in: its rule's.
    pub fn section_of(&self, f: &Finding) -> Section {
        section_of(&self.rule_sections, f)
    }

    /// The rules that found something, for the per-rule view.
    pub fn rules_with_findings(&self) -> impl Iterator<Item = &RuleSummary<'a>> {
        self.rules.iter().filter(|r| r.findings > 0)
    }

    /// The rules that failed a check: those that found something, and those whose
    /// problems another rule's finding states (merged, one finding per problem).
    pub fn failing_rules(&self) -> impl Iterator<Item = &RuleSummary<'a>> {
        self.rules.iter().filter(|r| r.findings > 0 || r.failed > 0)
    }
}

fn section_summary(
    section: Section,
    rules: &[RuleSummary<'_>],
    finding_sections: &[(Section, Severity)],
) -> SectionSummary {
    let mut score = Score::default();
    let mut count = 0;
    for rule in rules.iter().filter(|r| r.section == section) {
        score.add(rule);
        count += 1;
    }
    let mine: Vec<Severity> = finding_sections
        .iter()
        .filter(|(s, _)| *s == section)
        .map(|(_, sev)| *sev)
        .collect();
    SectionSummary {
        section,
        rules: count,
        findings: mine.len(),
        by_severity: Severity::ALL.map(|s| mine.iter().filter(|&&f| f == s).count()),
        score,
    }
}

/// The findings to act on first: exposed privileged workloads, privileged containers
/// on the host network, escalation paths to cluster-admin, then every other critical
/// finding; each group in report order, one entry per object and rule (a DaemonSet
/// with three privileged containers, defined in two variant files, is one risk).
fn top_risks(findings: &[Finding]) -> Vec<Risk<'_>> {
    let mut seen: HashMap<(RiskKind, &str, &Resource), usize> = HashMap::new();
    let mut risks: Vec<Risk<'_>> = Vec::new();
    for risk in risk_findings(findings) {
        let key = (risk.kind, risk.finding.rule_id, &*risk.finding.resource);
        match seen.get(&key) {
            Some(&first) => risks[first].more += 1,
            None => {
                seen.insert(key, risks.len());
                risks.push(risk);
            }
        }
    }
    risks
}

/// Every finding that is a top risk, most urgent first.
fn risk_findings(findings: &[Finding]) -> Vec<Risk<'_>> {
    let host_network: BTreeSet<Subject<'_>> = findings
        .iter()
        .filter(|f| f.rule_id == "KH102" && f.path.contains("hostNetwork"))
        .map(subject)
        .collect();
    let mut risks: Vec<Risk<'_>> = findings
        .iter()
        .filter_map(|f| {
            let kind = match f.rule_id {
                "KH541" => RiskKind::ExposedPrivileged,
                "KH101" if host_network.contains(&subject(f)) => RiskKind::PrivilegedHostNetwork,
                "KH620" => RiskKind::EscalationPath,
                _ if f.severity == Severity::Critical => RiskKind::Critical,
                _ => return None,
            };
            Some(Risk {
                kind,
                finding: f,
                more: 0,
            })
        })
        .collect();
    // Most severe first; of one severity, the combined risks (exposed and privileged,
    // escalation paths) before a lone critical finding.
    risks.sort_by_key(|r| (std::cmp::Reverse(r.finding.severity), r.kind));
    risks
}
