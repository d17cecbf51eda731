//! One finding per problem: an object a controller made (a Pod of a ReplicaSet, a
//! ReplicaSet of a Deployment, a Job of a CronJob) has its controller's pod
//! template, so its findings repeat its controller's. A made object's finding is
//! dropped where its owner, in the scan, has the same one: the same rule, container
//! and field of the pod template. What only the made object has (a sidecar an
//! admission webhook injected, an old ReplicaSet's template) is still reported.

use std::collections::HashSet;

use kubeharden_cluster::owners::{template_path, ObjectKey, Owners};
use kubeharden_rules::Finding;

/// A finding's field relative to its object's pod template: a Deployment's
/// `spec.template.spec.containers[0].image` and its Pod's `spec.containers[0].image`
/// are one field.
fn template_field<'f>(f: &'f Finding, key: &ObjectKey) -> &'f str {
    let Some(prefix) = template_path(&key.group, &key.kind).filter(|p| !p.is_empty()) else {
        return &f.path;
    };
    match f.path.strip_prefix(prefix) {
        Some("") => "",
        Some(rest) => rest.strip_prefix('.').unwrap_or(&f.path),
        None => &f.path,
    }
}

type Problem<'f> = (ObjectKey, &'static str, Option<&'f str>, &'f str);

fn problem<'f>(f: &'f Finding, key: ObjectKey) -> Problem<'f> {
    let field = template_field(f, &key);
    (key, f.rule_id, f.container.as_deref(), field)
}

/// Drops the findings of made objects that their owner also has.
pub(crate) fn judge_through_owners(findings: &mut Vec<Finding>, owners: &Owners) {
    if owners.is_empty() {
        return;
    }
    let repeated: HashSet<usize> = {
        let all: HashSet<Problem<'_>> = findings
            .iter()
            .map(|f| problem(f, ObjectKey::of(&f.resource)))
            .collect();
        findings
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                let key = ObjectKey::of(&f.resource);
                let Some(owner) = owners.owner_of(&key) else {
                    return false;
                };
                let (_, rule, container, field) = problem(f, key);
                all.contains(&(owner.clone(), rule, container, field))
            })
            .map(|(i, _)| i)
            .collect()
    };
    let mut index = 0;
    findings.retain(|_| {
        index += 1;
        !repeated.contains(&(index - 1))
    });
}
