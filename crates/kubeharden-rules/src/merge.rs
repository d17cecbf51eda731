//! One finding per problem. Where several findings state one problem of one object
//! (a sensitive host path is also a host path volume; a container without requests
//! and limits misses four settings), the rule that states it most precisely declares
//! in its file a [`Merge`]: the rules whose findings it takes in, and when they are
//! the same problem. [`merge_findings`] applies every declaration once the findings of
//! a cluster are settled, so a finding taken in is one that would have stood.
//!
//! Nothing is lost: the finding kept names the rules it stands for (`covers`), the
//! checklist rows of all of them, and the highest severity (or its own, where it
//! graded the problem knowing more: [`MergedSeverity::Kept`]). A rule that did not run
//! (`--select`, `--framework`) has no findings, so nothing is taken into it and the
//! others report as before.

use std::collections::HashMap;
use std::sync::Arc;

use kubeharden_findings::Finding;
use kubeharden_load::Resource;

use crate::finding::intern_rows;

/// How a rule's findings take in other findings of the same object that state the
/// same problem.
pub struct Merge {
    /// The rules whose findings one of this rule takes in: others, and its own ID
    /// where several findings of the rule are one problem.
    pub absorbs: &'static [&'static str],
    /// Whether `other` (a finding of an absorbed rule on the same object) states the
    /// problem of `kept`.
    pub same: fn(kept: &Finding, other: &Finding) -> bool,
    /// Rewrites the kept finding (its message, its field) once it has taken in
    /// `others`; its rows, severity and `covers` are merged already.
    pub combine: Option<fn(kept: &mut Finding, others: &[Finding])>,
    /// Where the findings it takes in are.
    pub scope: Scope,
    /// The severity of the finding kept.
    pub severity: MergedSeverity,
}

/// The severity of a finding that takes others in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergedSeverity {
    /// The highest of all: the findings taken in saw what the kept one did not.
    Highest,
    /// The kept finding's own: it graded the problem on everything the others saw
    /// and more (a sensitive host path knows the path and how it is mounted; a host
    /// path volume knows only that there is one).
    Kept,
}

/// Where the findings a rule's finding takes in are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// On the same object (the same definition: kind, namespace, name and file).
    Object,
    /// The kept finding is on a Namespace; the others on objects in that namespace
    /// (a namespace's missing default-deny and the workloads it leaves open).
    Namespace,
    /// About the same RBAC subject (`subjects[User//alice]`), whatever binding grants
    /// it: a subject that holds cluster-admin holds every narrower grant of any binding.
    Subject,
}

/// The RBAC subject a keyed path names: `User//alice` in `subjects[User//alice]`.
fn subject_of(keyed_path: &str) -> Option<&str> {
    let start = keyed_path.find("subjects[")? + "subjects[".len();
    let len = keyed_path[start..].find(']')?;
    Some(&keyed_path[start..start + len])
}

/// Same object: nothing more to ask.
pub(crate) fn same_object(_: &Finding, _: &Finding) -> bool {
    true
}

/// `other`'s field is `kept`'s or one that holds it: `spec.volumes[2].hostPath`
/// holds `spec.volumes[2].hostPath.path`.
pub(crate) fn within(kept: &Finding, other: &Finding) -> bool {
    is_within(&kept.path, &other.path)
}

/// Both findings are about one container (and not about the pod as a whole).
pub(crate) fn same_container(kept: &Finding, other: &Finding) -> bool {
    kept.container.is_some() && kept.container == other.container
}

/// Whether `path` is `parent` or a field below it.
pub(crate) fn is_within(path: &str, parent: &str) -> bool {
    path.strip_prefix(parent)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// The longest field path that holds both `a` and `b`.
pub(crate) fn common_parent(a: &str, b: &str) -> String {
    let mut end = 0;
    for ((i, x), y) in a.char_indices().zip(b.chars()) {
        if x != y {
            break;
        }
        let next = i + x.len_utf8();
        let boundary = |s: &str| s[next..].is_empty() || s[next..].starts_with(['.', '[']);
        if boundary(a) && boundary(b) {
            end = next;
        }
    }
    a[..end].to_string()
}

/// A merge declaration with the rule that makes it.
pub(crate) struct Declared {
    pub rule: &'static str,
    pub merge: &'static Merge,
}

/// Takes the findings that state the same problem on the same object into one, as
/// the rules' [`Merge`]s declare, in their order.
pub fn merge_findings(findings: &mut Vec<Finding>) {
    merge_with(findings, &crate::rules::merges());
}

fn merge_with(findings: &mut Vec<Finding>, merges: &[Declared]) {
    let mut gone = vec![false; findings.len()];
    // Grouped only when a rule that takes others in has a finding: hashing every
    // finding's object twice was most of the cost for an object that fails few rules.
    let (mut by_object, mut by_namespace, mut by_subject) = (None, None, None);
    for declared in merges {
        if !findings.iter().any(|f| f.rule_id == declared.rule) {
            continue;
        }
        let groups = match declared.merge.scope {
            Scope::Object => by_object.get_or_insert_with(|| groups(findings, Scope::Object)),
            Scope::Namespace => {
                by_namespace.get_or_insert_with(|| groups(findings, Scope::Namespace))
            }
            Scope::Subject => by_subject.get_or_insert_with(|| groups(findings, Scope::Subject)),
        };
        for members in groups.values().filter(|m| m.len() > 1) {
            merge_group(findings, members, declared, &mut gone);
        }
    }
    let mut index = 0;
    findings.retain(|_| {
        index += 1;
        !gone[index - 1]
    });
}

/// The findings that may state one problem, by index: those of one object, or
/// those of one namespace and its Namespace object.
fn groups(findings: &[Finding], scope: Scope) -> HashMap<(Arc<str>, Arc<Resource>), Vec<usize>> {
    let mut groups: HashMap<(Arc<str>, Arc<Resource>), Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        let key = match scope {
            Scope::Object => (f.location.file.clone(), f.resource.clone()),
            Scope::Namespace => {
                let namespace = match (&*f.resource.kind, &f.resource.namespace) {
                    ("Namespace", _) => f.resource.name.clone(),
                    (_, Some(ns)) => ns.clone(),
                    (_, None) => continue,
                };
                let key = Resource {
                    api_version: "v1".into(),
                    kind: "Namespace".into(),
                    namespace: None,
                    name: namespace,
                };
                (Arc::from(""), Arc::new(key))
            }
            Scope::Subject => {
                let Some(subject) = f.keyed_path.as_deref().and_then(subject_of) else {
                    continue;
                };
                let key = Resource {
                    api_version: String::new(),
                    kind: "Subject".into(),
                    namespace: None,
                    name: subject.to_string(),
                };
                (Arc::from(""), Arc::new(key))
            }
        };
        groups.entry(key).or_default().push(i);
    }
    groups
}

fn merge_group(
    findings: &mut [Finding],
    members: &[usize],
    declared: &Declared,
    gone: &mut [bool],
) {
    // Most objects fail few of the rules that take others in: without a finding of the
    // keeping rule there is nothing to index (this runs for every object scanned and
    // every admission review).
    if !members
        .iter()
        .any(|&j| findings[j].rule_id == declared.rule)
    {
        return;
    }
    // One problem is of one container at most: a finding may take in those of its own
    // container and those of none, so a pod of thousands of containers stays linear.
    let mut absorbable: HashMap<Option<String>, Vec<usize>> = HashMap::new();
    for &j in members {
        if declared.merge.absorbs.contains(&findings[j].rule_id) {
            absorbable
                .entry(findings[j].container.clone())
                .or_default()
                .push(j);
        }
    }
    if absorbable.is_empty() {
        return;
    }
    let mut everything: Vec<usize> = absorbable.values().flatten().copied().collect();
    everything.sort_unstable();
    for &kept in members {
        if gone[kept] || findings[kept].rule_id != declared.rule {
            continue;
        }
        let mut candidates: Vec<usize> = match &findings[kept].container {
            None => everything.clone(),
            container => [container.clone(), None]
                .iter()
                .filter_map(|c| absorbable.get(c))
                .flatten()
                .copied()
                .collect(),
        };
        // In the report's order, whatever the buckets': `combine` lists them.
        candidates.sort_unstable();
        let taken: Vec<usize> = candidates
            .into_iter()
            .filter(|&j| j != kept && !gone[j])
            .filter(|&j| (declared.merge.same)(&findings[kept], &findings[j]))
            .collect();
        if taken.is_empty() {
            continue;
        }
        let others: Vec<Finding> = taken.iter().map(|&j| findings[j].clone()).collect();
        for j in taken {
            gone[j] = true;
        }
        take_in(&mut findings[kept], &others, declared.merge);
    }
}

/// The kept finding stands for `others` too: their rules, rows and severity.
fn take_in(kept: &mut Finding, others: &[Finding], merge: &Merge) {
    let mut rows = kept.guidance.to_vec();
    for o in others {
        if merge.severity == MergedSeverity::Highest {
            kept.severity = kept.severity.max(o.severity);
        }
        let severities =
            std::iter::once((o.rule_id, o.severity)).chain(o.covered_severity.iter().copied());
        for (rule, severity) in severities {
            match kept.covered_severity.iter_mut().find(|(r, _)| *r == rule) {
                Some((_, known)) => *known = (*known).max(severity),
                None => kept.covered_severity.push((rule, severity)),
            }
        }
        let rules = std::iter::once(o.rule_id).chain(o.covers.iter().copied());
        for rule in rules {
            if rule != kept.rule_id && !kept.covers.contains(&rule) {
                kept.covers.push(rule);
            }
        }
        let container = o.container.clone();
        kept.covered_objects.push((
            o.rule_id,
            o.location.file.clone(),
            o.resource.clone(),
            container,
        ));
        kept.covered_objects
            .extend(o.covered_objects.iter().cloned());
        rows.extend(
            o.guidance
                .iter()
                .filter(|r| !rows.contains(r))
                .collect::<Vec<_>>(),
        );
    }
    kept.covers.sort_unstable();
    if rows.len() != kept.guidance.len() {
        kept.guidance = intern_rows(rows);
    }
    if let Some(combine) = merge.combine {
        combine(kept, others);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_hold_their_children_only() {
        assert!(is_within(
            "spec.volumes[2].hostPath.path",
            "spec.volumes[2].hostPath"
        ));
        assert!(is_within("spec.volumes[2]", "spec.volumes[2]"));
        assert!(!is_within("spec.volumes[20]", "spec.volumes[2]"));
        assert!(!is_within("spec.volumesX", "spec.volumes"));
    }

    #[test]
    fn common_parent_stops_at_a_whole_field() {
        let c = "spec.containers[0].resources";
        assert_eq!(
            common_parent(&format!("{c}.limits.cpu"), &format!("{c}.limits.memory")),
            format!("{c}.limits")
        );
        assert_eq!(
            common_parent(&format!("{c}.limits.cpu"), &format!("{c}.requests.cpu")),
            c
        );
        assert_eq!(
            common_parent("spec.containers[1].x", "spec.containers[12].x"),
            "spec.containers"
        );
        assert_eq!(common_parent("a.b", "a.b"), "a.b");
    }
}
