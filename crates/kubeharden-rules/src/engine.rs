//! Running a rule set on one object.

use std::collections::{BTreeMap, BTreeSet};

use kubeharden_cluster::ClusterView;
use kubeharden_load::{LoadError, LoadErrorKind, Object, Workload};
use rayon::prelude::*;

use crate::context::{ClusterCtx, ClusterOut, ClusterViolation, Out};
use kubeharden_findings::{Checks, Finding, Location, SkippedChecks};

use crate::finding::{graded, new_finding};
use crate::rule::{Check, RuleEntry};
use crate::select::RuleSet;

/// What one object produced.
#[derive(Debug, Default)]
pub struct ObjectResult {
    pub findings: Vec<Finding>,
    pub errors: Vec<LoadError>,
    /// Checks made, per rule (only node audits count them here; the engine counts
    /// those of objects with [`RuleSet::count_checks`]).
    pub checks: Checks,
}

/// What the cluster-wide rules produced.
#[derive(Debug, Default)]
pub struct ClusterResult {
    pub findings: Vec<Finding>,
    pub skipped: Vec<SkippedChecks>,
    /// The checks of the namespace and cluster rules that judge no object of their
    /// own kind (crate::subjects), and of the node rules on the control plane.
    pub checks: Checks,
}

impl RuleSet {
    /// Runs every per-object rule of the set on `object`. A pod spec field of the
    /// wrong type is reported as an error and read as unset; every rule still runs.
    pub fn check_object(&self, object: &Object) -> ObjectResult {
        let mut result = ObjectResult::default();
        let workload = Workload::from_object(object).map(|(w, errors)| {
            result.errors.extend(errors);
            w
        });
        result.findings = self.check_loaded(object, workload.as_ref());
        result
    }

    /// Like [`RuleSet::check_object`], with the pod spec already read.
    pub fn check_loaded(&self, object: &Object, workload: Option<&Workload<'_>>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for rule in &self.rules {
            let mut out = Out::default();
            match (rule.def.check, workload) {
                (Check::Workload(check), Some(w)) => check(w, &mut out),
                (Check::Object(check), _) => check(object, &mut out),
                _ => continue,
            }
            findings.extend(out.violations.into_iter().map(|v| locate(rule, object, v)));
        }
        findings.retain(|f| self.admits(f));
        findings
    }

    /// Runs the cluster-wide rules on the view of a whole scan, in parallel.
    pub fn check_cluster(&self, view: &ClusterView) -> ClusterResult {
        self.check_cluster_with(view, true, true)
    }

    /// Runs the cluster-wide rules on this thread: for the view of a few objects (an
    /// admission review), where waking the pool's threads costs more than the rules.
    /// It counts no checks (`checks` stays empty): a review has no compliance score.
    pub fn check_cluster_here(&self, view: &ClusterView) -> ClusterResult {
        self.check_cluster_with(view, false, false)
    }

    fn check_cluster_with(&self, view: &ClusterView, parallel: bool, count: bool) -> ClusterResult {
        let ctx = ClusterCtx::new(view, self.config);
        let mut result = ClusterResult::default();
        let namespaces: BTreeSet<&str> = view
            .namespaces
            .keys()
            .map(String::as_str)
            .chain(view.namespaces_with_pods())
            .collect();
        // Rules run in parallel; collecting keeps their order, so the report does not
        // depend on the thread count.
        type RuleResult<'a> = (Vec<Finding>, Vec<&'a str>, Vec<(String, String)>, u64);
        let run = |rule: &&'static RuleEntry| {
            let mut out = ClusterOut::default();
            let mut skipped_in = Vec::new();
            let mut judged: u64 = 0;
            match rule.def.check {
                Check::Cluster(check) => {
                    check(&ctx, &mut out);
                    judged = u64::from(!out.no_subject);
                }
                Check::Namespace(check) => {
                    for ns in &namespaces {
                        if view.namespaces.contains_key(*ns) {
                            check(&ctx, ns, &mut out);
                            judged += 1;
                        } else if !kubeharden_cluster::is_system_namespace(ns) {
                            skipped_in.push(*ns);
                        }
                    }
                }
                _ => {}
            }
            // What the rule could not judge is no check (and a rule that judges
            // objects of its own kind had them counted as they were read).
            let counts = count && judged > 0;
            let judged = match counts && crate::subjects::subject_kinds(rule.def.id).is_none() {
                true => judged.saturating_sub(out.not_judged.len() as u64),
                false => 0,
            };
            let findings = out
                .violations
                .into_iter()
                .map(|v| locate_cluster(rule, v))
                .collect();
            (findings, skipped_in, out.not_judged, judged)
        };
        let per_rule: Vec<RuleResult<'_>> = if parallel {
            self.rules.par_iter().map(run).collect()
        } else {
            self.rules.iter().map(run).collect()
        };
        // One entry per scope and reason, naming every rule it stopped.
        let mut skipped: BTreeMap<(String, String), Vec<&'static str>> = BTreeMap::new();
        let no_namespace = "no Namespace object in the scan";
        for (rule, (findings, skipped_in, not_judged, judged)) in self.rules.iter().zip(per_rule) {
            if judged > 0 {
                *result.checks.entry(rule.def.id).or_default() += judged;
            }
            result
                .findings
                .extend(findings.into_iter().filter(|f| self.admits(f)));
            let scopes = skipped_in
                .into_iter()
                .map(|ns| (format!("namespace {ns}"), no_namespace.to_string()));
            for key in scopes.chain(not_judged) {
                let rules = skipped.entry(key).or_default();
                if !rules.contains(&rule.def.id) {
                    rules.push(rule.def.id);
                }
            }
        }
        result.skipped = skipped
            .into_iter()
            .map(|((scope, reason), rules)| SkippedChecks {
                scope,
                rules,
                reason,
            })
            .collect();
        // The control plane the cluster shows, through the node rules.
        let control_plane = self.check_control_plane(view);
        result.findings.extend(control_plane.findings);
        result.skipped.extend(control_plane.skipped);
        for (rule, n) in control_plane.checks {
            *result.checks.entry(rule).or_default() += n;
        }
        // What a live scan could not read is not judged either.
        if let Some(live) = &view.live {
            result
                .skipped
                .extend(self.unread_checks(&live.header.unread));
        }
        result
    }
}

impl RuleSet {
    /// Runs the node rules on a node's configuration. What a rule could not judge (a
    /// kubelet setting in an unreadable config file) is an error naming the file.
    pub fn check_node(&self, view: &kubeharden_node::NodeView) -> ObjectResult {
        let ctx = crate::context::NodeCtx {
            view,
            config: self.config,
        };
        let mut result = ObjectResult::default();
        for rule in &self.rules {
            let Check::Node(check) = rule.def.check else {
                continue;
            };
            let mut out = crate::context::NodeOut::default();
            check(&ctx, &mut out);
            // The node is the subject of every node rule: one check, unless all the
            // rule could say is what it could not judge.
            let judged = !out.violations.is_empty()
                || (out.unjudged.is_empty()
                    && out.unread.is_empty()
                    && crate::subjects::node_rule_applies(rule.def.id, view));
            if judged {
                result.checks.insert(rule.def.id, 1);
            }
            result.errors.extend(unjudged(rule, &out.unjudged));
            result.errors.extend(unread(rule, &out.unread));
            let findings = out.violations.into_iter().map(|v| node_finding(rule, v));
            result.findings.extend(findings);
        }
        result.findings.retain(|f| self.admits(f));
        result
            .findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        result
    }
}

/// A node rule's violation as a finding: about the component, kubelet or file it
/// names, at its place in the file.
pub(crate) fn node_finding(rule: &RuleEntry, v: crate::context::NodeViolation) -> Finding {
    let resource = kubeharden_load::Resource {
        api_version: String::new(),
        kind: v.kind,
        namespace: None,
        name: v.name,
    };
    let location = Location {
        file: v.file,
        line: v.pos.line,
        column: v.pos.col,
    };
    let mut finding = new_finding(
        rule.def,
        std::sync::Arc::new(resource),
        location,
        v.path.to_string(),
        v.message,
    );
    finding.keyed_path = v.keyed_path;
    graded(finding, v.grade)
}

/// One error per file for what a node rule could not judge, naming the settings.
fn unjudged(rule: &RuleEntry, unjudged: &[(std::sync::Arc<str>, String)]) -> Vec<LoadError> {
    let mut by_file: BTreeMap<&std::sync::Arc<str>, Vec<&str>> = BTreeMap::new();
    for (file, setting) in unjudged {
        let settings = by_file.entry(file).or_default();
        if !settings.contains(&setting.as_str()) {
            settings.push(setting);
        }
    }
    by_file
        .into_iter()
        .map(|(file, settings)| {
            let why = format!(
                "no flag sets {}, and this file, which would, could not be read",
                settings.join(", ")
            );
            LoadError::new(file, None, not_judged(rule, why))
        })
        .collect()
}

/// One error per file a node rule judges as a whole and could not read. A flag names
/// such a file, so the error says what it holds, not which flag is missing.
fn unread(rule: &RuleEntry, unread: &[(std::sync::Arc<str>, String)]) -> Vec<LoadError> {
    let mut seen = Vec::new();
    unread
        .iter()
        .filter(|entry| {
            let new = !seen.contains(entry);
            seen.push(*entry);
            new
        })
        .map(|(file, what)| {
            let why = format!("{what} this file holds could not be read");
            LoadError::new(file, None, not_judged(rule, why))
        })
        .collect()
}

fn not_judged(rule: &RuleEntry, why: String) -> LoadErrorKind {
    LoadErrorKind::NotJudged {
        rule_id: rule.def.id,
        rule_name: rule.def.name,
        why,
    }
}

fn locate_cluster(rule: &RuleEntry, v: ClusterViolation) -> Finding {
    let location = Location {
        file: v.origin.file,
        line: v.pos.line,
        column: v.pos.col,
    };
    let mut finding = new_finding(
        rule.def,
        v.origin.resource,
        location,
        v.path.to_string(),
        v.message,
    );
    finding.container = v.container;
    finding.keyed_path = v.keyed_path;
    finding.helm_source = v.origin.helm_source;
    graded(finding, v.grade)
}

fn locate(rule: &RuleEntry, object: &Object, v: crate::context::Violation) -> Finding {
    let pos = v.pos.unwrap_or_else(|| object.root.locate(&v.path).pos);
    let location = Location {
        file: object.file.clone(),
        line: pos.line,
        column: pos.col,
    };
    let mut finding = new_finding(
        rule.def,
        object.resource.clone(),
        location,
        v.path.to_string(),
        v.message,
    );
    let identity = v.grade.identity.as_ref().unwrap_or(&v.path);
    finding.keyed_path = Some(crate::list_keys::keyed_path(&object.root, identity));
    finding.container = v.container;
    finding.helm_source = object.helm_source.clone();
    finding.requires = v.requires.map(Box::new);
    graded(finding, v.grade)
}
