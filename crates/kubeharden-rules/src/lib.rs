//! The rule catalog and the engine that runs it on one object.
//!
//! Each rule is one file under `src/rules/<section>/`, holding its metadata
//! ([`RuleDef`]), its check and, in its `//!` comment, its documentation.
//! `src/rules/mod.rs` lists them (the registry), and a test keeps that list and the
//! files in step. [`RuleSet`] is the rules a scan runs
//! (framework, `--select`, `--ignore`, `--min-severity`), and
//! [`RuleSet::check_object`] turns an object into [`Finding`]s with exact locations.

#![forbid(unsafe_code)]

mod context;
mod control_plane;
mod enforcement;
mod engine;
mod finding;
pub mod inline;
mod list_keys;
mod merge;
mod reads;
mod redact;
mod registry;
mod rule;
mod rules;
mod select;
mod subjects;
pub mod suggest;
mod support;

pub use context::{ClusterConfig, ClusterCtx, ClusterOut, NodeCtx, NodeOut, Out, Tag};
pub use enforcement::note_unenforced_policies;
pub use engine::{ClusterResult, ObjectResult};
pub use finding::finding_from_alert;
pub use merge::{merge_findings, Merge, MergedSeverity, Scope};
pub use redact::{credential_values, redact_credentials};
pub use registry::{all_rules, find_rule};
pub use rule::{Check, RuleDef, RuleEntry};
pub use select::{Framework, RuleSet, Selection, UnknownFramework, UnknownRule};
// The types of what rules report live in kubeharden-findings, below the rules; they
// are named here too, as before they moved.
pub use kubeharden_findings::{
    guidance_row, guidance_rows, guidance_title, AlertDetails, Finding, Location, Mitre, Pss,
    PssLevel, Requirement, RuleCatalog, RuleInfo, Severity, SkippedChecks, UnknownSeverity,
};

/// What rule files import.
#[allow(unused_imports)]
mod prelude {
    pub(crate) use crate::context::{ClusterCtx, ClusterOut, NodeCtx, NodeOut, Out, Tag};
    pub(crate) use crate::merge::{Merge, MergedSeverity, Scope};
    pub(crate) use crate::rule::{Check, RuleDef};
    pub(crate) use crate::support::security::*;
    pub(crate) use kubeharden_audit::{
        event::Event, AlertSink, At, AuditConfig, Detector, Observation,
    };
    pub(crate) use kubeharden_cluster::{netpol, selector, PodEntry};
    pub(crate) use kubeharden_findings::{Finding, Mitre, Pss, PssLevel, Requirement, Severity};
    pub(crate) use kubeharden_load::{ContainerRef, Object, Workload};
    pub(crate) use kubeharden_yaml::FieldPath;
}
