//! What a report says about a rule: its metadata and documentation, without its check.

use crate::finding::Severity;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PssLevel {
    Baseline,
    Restricted,
}

impl PssLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            PssLevel::Baseline => "baseline",
            PssLevel::Restricted => "restricted",
        }
    }
}

/// The upstream Pod Security Standards check a rule implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pss {
    /// The check ID in kubernetes/pod-security-admission, e.g. `seccompProfile_restricted`.
    pub check: &'static str,
    pub level: PssLevel,
}

/// A MITRE ATT&CK technique (Containers matrix) the rule guards against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mitre {
    pub id: &'static str,
    pub name: &'static str,
}

/// A rule as reports describe it: the registry makes one for every rule from its
/// definition, its section and its file's `//!` comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable ID, e.g. `KH101`.
    pub id: &'static str,
    /// Stable kebab-case name, e.g. `privileged-container`.
    pub name: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// Rows of the NSA/CISA checklist this rule implements, e.g. `POD-12`.
    pub guidance: &'static [&'static str],
    pub pss: Option<Pss>,
    pub mitre: Option<Mitre>,
    /// The guidance section folder it lives in: pod, resources, images, secrets.
    pub section: &'static str,
    /// Markdown: what it does, why it matters, example, fix.
    pub doc: &'static str,
}

/// The rules a run used, as a report lists them (SARIF's rule descriptors, JUnit's
/// test cases, the count in the summary).
pub trait RuleCatalog {
    /// The rules, ordered by ID.
    fn rule_infos(&self) -> Vec<&RuleInfo>;

    /// Rules kept aside that judge only part of some inputs (the node rules on the
    /// control-plane pods a cluster shows): a report describes those that found
    /// something.
    fn rules_aside(&self) -> Vec<&RuleInfo> {
        Vec::new()
    }
}

impl RuleCatalog for [RuleInfo] {
    fn rule_infos(&self) -> Vec<&RuleInfo> {
        self.iter().collect()
    }
}
