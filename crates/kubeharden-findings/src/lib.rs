//! What a scan reports, apart from how it is found: [`Finding`]s with their
//! [`Severity`] and [`Location`], the [`RuleInfo`] of the rules that ran, the checks
//! that could not judge ([`SkippedChecks`]) and the whole [`ScanReport`].
//!
//! It sits below the rules and the engine, so the report formats depend on it alone:
//! the rules make findings, the engine gathers them, `kubeharden-report` renders them.

#![forbid(unsafe_code)]

mod finding;
mod fingerprint;
mod guidance;
mod report;
mod rule;
mod suppression;

pub use finding::{
    AlertDetails, CoveredObject, Finding, Location, Requirement, Severity, UnknownSeverity,
    ValueSource,
};
pub use fingerprint::identity;
pub use guidance::{guidance_row, guidance_rows, guidance_title};
pub use report::{
    Checks, ClusterStats, Counted, ObjectLabels, ScanReport, ScanStats, SkippedChecks,
};
pub use rule::{Fix, Mitre, Pss, PssLevel, RuleCatalog, RuleInfo};
pub use suppression::{Suppressed, Suppression, SuppressionKind};
