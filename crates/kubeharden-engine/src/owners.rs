//! One finding per problem: an object a controller made (a Pod of a ReplicaSet, a
//! ReplicaSet of a Deployment, a Job of a CronJob) has its controller's pod
//! template, so its findings repeat its controller's. A made object's finding is
//! dropped where its owner, in the scan, has the same one: the same rule, container
//! and field of the pod template. What only the made objects have (a sidecar an
//! admission webhook injected into every replica, an old ReplicaSet's template) is
//! still reported, once for all the objects one owner made: on the first, naming
//! how many others share it.

use std::collections::{HashMap, HashSet};

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
    let repeated = repeated
        .into_iter()
        .chain(shared_by_siblings(findings, owners))
        .collect();
    drop_all(findings, &repeated);
}

/// The findings that objects made by one owner share while the owner lacks them
/// (an injected sidecar in every replica): all but the first, whose message then
/// says how many others have it too.
fn shared_by_siblings(findings: &mut [Finding], owners: &Owners) -> Vec<usize> {
    // A rule may say two things of one field (no cpu limit, no memory limit): the
    // message, with the object's own name taken out, tells them apart.
    let mut first: HashMap<(Problem<'_>, String), (usize, usize)> = HashMap::new();
    let mut dropped = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        let key = ObjectKey::of(&f.resource);
        let Some(owner) = owners.owner_of(&key) else {
            continue;
        };
        let said = f.message.replace(&key.name, "{}");
        let (_, rule, container, field) = problem(f, key);
        match first.entry(((owner.clone(), rule, container, field), said)) {
            std::collections::hash_map::Entry::Occupied(mut seen) => {
                seen.get_mut().1 += 1;
                dropped.push(i);
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert((i, 0));
            }
        }
    }
    let notes: Vec<(usize, usize, ObjectKey)> = first
        .into_iter()
        .filter(|(_, (_, others))| *others > 0)
        .map(|(((owner, ..), _), (i, others))| (i, others, owner))
        .collect();
    for (i, others, owner) in notes {
        let f = &mut findings[i];
        f.message = format!(
            "{} (and in {others} other {} of {} {})",
            f.message,
            plural(&f.resource.kind, others),
            owner.kind,
            owner.name
        );
    }
    dropped
}

fn plural(kind: &str, n: usize) -> String {
    if n == 1 {
        kind.to_string()
    } else {
        format!("{kind}s")
    }
}

fn drop_all(findings: &mut Vec<Finding>, indices: &HashSet<usize>) {
    let mut index = 0;
    findings.retain(|_| {
        index += 1;
        !indices.contains(&(index - 1))
    });
}
