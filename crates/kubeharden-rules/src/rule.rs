//! What a rule is: its metadata, the upstream checks it maps to, and what it looks at.
//! What reports need of it ([`RuleInfo`]) lives in `kubeharden-findings`.

use kubeharden_findings::{Mitre, Pss, RuleInfo, Severity};
use kubeharden_load::{Object, Workload};

use crate::context::{ClusterCtx, ClusterOut, NodeCtx, NodeOut, Out};

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

/// A registered rule: its check, and what reports say of it (section and
/// documentation included).
pub struct RuleEntry {
    pub def: &'static RuleDef,
    pub info: RuleInfo,
}

impl RuleDef {
    /// What reports say of this rule, found in `section` and documented by `doc`.
    pub fn info(&self, section: &'static str, doc: &'static str) -> RuleInfo {
        RuleInfo {
            id: self.id,
            name: self.name,
            title: self.title,
            severity: self.severity,
            guidance: self.guidance,
            pss: self.pss,
            mitre: self.mitre,
            section,
            doc,
        }
    }
}

impl std::fmt::Debug for RuleEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.def.id)
    }
}
