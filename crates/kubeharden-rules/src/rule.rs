//! What a rule is: its metadata, the upstream checks it maps to, and what it looks at.

use kubeharden_load::{Object, Workload};

use crate::context::{ClusterCtx, ClusterOut, NodeCtx, NodeOut, Out};
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

/// What a rule looks at.
#[derive(Clone, Copy)]
pub enum Check {
    /// Every object with a pod spec (Pod, Deployment, CronJob, ...).
    Workload(fn(&Workload<'_>, &mut Out)),
    /// Every object of any kind.
    Object(fn(&Object, &mut Out)),
    /// Once, on the cluster view built from every object of the scan.
    Cluster(fn(&ClusterCtx<'_>, &mut ClusterOut)),
    /// Once per namespace whose Namespace object is in the scan: the checks of a
    /// namespace's own configuration (isolation, quotas, Pod Security labels). Where
    /// the Namespace object is missing they are skipped, and the report says so,
    /// rather than judging a namespace from a partial view.
    Namespace(fn(&ClusterCtx<'_>, &str, &mut ClusterOut)),
    /// Once, on a node's configuration (`kubeharden node`).
    Node(fn(&NodeCtx<'_>, &mut NodeOut)),
    /// A detector over audit-log events (`kubeharden audit-log`): built once per run,
    /// it sees every event in order and keeps only windowed state.
    Audit(fn(&kubeharden_audit::AuditConfig) -> Box<dyn kubeharden_audit::Detector>),
}

/// A rule's metadata and check. Its documentation is its file's `//!` comment.
pub struct RuleDef {
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
    pub check: Check,
}

/// A registered rule.
pub struct RuleEntry {
    pub def: &'static RuleDef,
    /// The guidance section folder it lives in: pod, resources, images, secrets.
    pub section: &'static str,
    /// Markdown: what it does, why it matters, example, fix.
    pub doc: &'static str,
}

impl std::fmt::Debug for RuleEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.def.id)
    }
}
