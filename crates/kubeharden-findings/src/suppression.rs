//! Findings a report keeps but does not count: accepted by an exception (in the
//! configuration file or an annotation on the object) or by a baseline. They are
//! never dropped: every format shows them as suppressed, with why.

use serde::Serialize;

use crate::finding::Finding;

/// What accepted a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionKind {
    /// An exception in the configuration file (`.kubeharden.yaml`).
    Config,
    /// A `kubeharden.io/ignore` annotation on the object itself.
    Inline,
    /// A baseline file (`--baseline`): a finding known before.
    Baseline,
}

impl SuppressionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::Config => "config",
            SuppressionKind::Inline => "inline",
            SuppressionKind::Baseline => "baseline",
        }
    }
}

/// Why a finding is suppressed, and who said so where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub kind: SuppressionKind,
    /// The justification the exception gives (for a baseline: that it is in it).
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The date the exception stops applying (YYYY-MM-DD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Where it is written: `FILE:LINE` of the exception or annotation, or the
    /// baseline file.
    pub source: String,
}

/// A finding with the suppression that accepted it.
#[derive(Clone, Debug, Serialize)]
pub struct Suppressed {
    #[serde(flatten)]
    pub finding: Finding,
    pub suppression: Suppression,
}
