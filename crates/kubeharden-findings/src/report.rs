//! A scan's whole result: findings, errors, warnings, what was not judged, counts.

use std::collections::HashMap;
use std::sync::Arc;

use kubeharden_load::{LoadError, Resource, Warning};

use crate::finding::Finding;
use crate::suppression::{Suppressed, Suppression};

/// The labels of the objects a scan read, by file and object: what exceptions
/// scoped by label selector match. Kept only when asked (`ScanOptions::keep_labels`).
pub type ObjectLabels = HashMap<(Arc<str>, Arc<Resource>), Vec<(String, String)>>;

/// Rules that could not judge something, and why: namespace checks without the
/// Namespace object, audit-log detectors the audit policy blinds.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SkippedChecks {
    /// What was not judged: `namespace shop`, `audit policy policy.yaml`.
    pub scope: String,
    pub rules: Vec<&'static str>,
    pub reason: String,
}

/// What one cluster of a scan held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterStats {
    /// The command-line PATHs it was made of.
    pub roots: Vec<String>,
    pub files: usize,
    pub objects: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Inputs read (files and stdin), renders of charts and overlays included.
    pub files: usize,
    /// Of `files`, the renders of Helm charts (one per `--values-set` variant) and
    /// of Kustomize overlays.
    pub charts: usize,
    pub overlays: usize,
    /// Of `charts`, the renders of a chart's second and later `--values-set`.
    pub chart_variants: usize,
    pub bytes: u64,
    /// Kubernetes objects checked.
    pub objects: usize,
    /// Documents (or List items) skipped because they are not Kubernetes objects.
    pub skipped_documents: usize,
    /// Kustomize patches and other partial objects, judged only once merged: not
    /// objects scanned.
    pub patches: usize,
    /// What `objects` counts.
    pub counted: Counted,
}

/// What a report's `objects` count is: Kubernetes objects, a node's configurations
/// (components, kubelet, kubeconfigs, policies), or an audit log's events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Counted {
    #[default]
    Objects,
    Configurations,
    Events,
}

impl Counted {
    /// The noun, singular or plural for `n`.
    pub fn noun(self, n: usize) -> &'static str {
        match (self, n == 1) {
            (Counted::Objects, true) => "object",
            (Counted::Objects, false) => "objects",
            (Counted::Configurations, true) => "configuration",
            (Counted::Configurations, false) => "configurations",
            (Counted::Events, true) => "audit event",
            (Counted::Events, false) => "audit events",
        }
    }
}

#[derive(Debug, Default)]
pub struct ScanReport {
    /// The findings that count: listed, and judged by `--fail-on`.
    pub findings: Vec<Finding>,
    /// Findings accepted by an exception or a baseline: reported as such, never counted.
    pub suppressed: Vec<Suppressed>,
    /// What could not be read or understood: any makes the run fail (exit code 2).
    pub errors: Vec<LoadError>,
    /// What was read whole but is worth telling: never a failure.
    pub warnings: Vec<Warning>,
    /// Cluster-wide checks not run, and why.
    pub skipped: Vec<SkippedChecks>,
    pub stats: ScanStats,
    /// The clusters the scan was made of (empty for a scan of bare inputs).
    pub clusters: Vec<ClusterStats>,
    /// How many checks each rule made (by rule ID): the subjects it judged, each a
    /// check that passes unless the rule found something on it. The compliance score
    /// counts them (docs/score.md).
    pub checks: Checks,
    /// Labels of the objects read, when exceptions select by label.
    pub labels: ObjectLabels,
}

/// Checks made per rule ID.
pub type Checks = std::collections::BTreeMap<&'static str, u64>;

impl ScanReport {
    /// Adds `other`'s findings, errors, skipped checks and counts to this report.
    pub fn absorb(&mut self, other: ScanReport) {
        self.findings.extend(other.findings);
        self.suppressed.extend(other.suppressed);
        self.labels.extend(other.labels);
        self.errors.extend(other.errors);
        self.warnings.extend(other.warnings);
        self.skipped.extend(other.skipped);
        self.clusters.extend(other.clusters);
        for (rule, n) in other.checks {
            *self.checks.entry(rule).or_default() += n;
        }
        let (a, b) = (&mut self.stats, other.stats);
        a.files += b.files;
        a.charts += b.charts;
        a.overlays += b.overlays;
        a.chart_variants += b.chart_variants;
        a.bytes += b.bytes;
        a.objects += b.objects;
        a.skipped_documents += b.skipped_documents;
        a.patches += b.patches;
    }

    /// Moves the findings `why` gives a suppression to `suppressed`, keeping the
    /// order of both lists.
    pub fn suppress(&mut self, mut why: impl FnMut(&Finding) -> Option<Suppression>) {
        // Decided first, and the list moved only when something is suppressed: most
        // scans accept nothing, and a copy of every finding is costly when they are many.
        let mut decided: Vec<Option<Suppression>> = self.findings.iter().map(&mut why).collect();
        if decided.iter().all(Option::is_none) {
            return;
        }
        let mut kept = Vec::with_capacity(self.findings.len());
        for (finding, suppression) in std::mem::take(&mut self.findings)
            .into_iter()
            .zip(decided.drain(..))
        {
            match suppression {
                Some(suppression) => self.suppressed.push(Suppressed {
                    finding,
                    suppression,
                }),
                None => kept.push(finding),
            }
        }
        self.findings = kept;
        self.suppressed
            .sort_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
    }

    /// The labels of the object a finding is about, when they were kept.
    pub fn labels_of(&self, finding: &Finding) -> Option<&[(String, String)]> {
        let key = (finding.location.file.clone(), finding.resource.clone());
        self.labels.get(&key).map(Vec::as_slice)
    }
}
