//! Which objects a controller made: a Pod of a ReplicaSet, a ReplicaSet of a
//! Deployment, a Job of a CronJob. A live cluster (or a dump of `deploy,rs,po`) holds
//! the controller and everything it made, all with the same pod template; each
//! problem of the template is reported once, on the controller (`kubeharden_engine`
//! drops the made object's finding where its owner has the same one).

use std::collections::HashMap;

use kubeharden_load::{Object, WORKLOAD_KINDS};
use kubeharden_yaml::Node;

/// An object by API group, kind, namespace and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectKey {
    pub fn of(resource: &kubeharden_load::Resource) -> ObjectKey {
        ObjectKey {
            group: group_of(&resource.api_version).to_string(),
            kind: resource.kind.clone(),
            namespace: resource.namespace.clone(),
            name: resource.name.clone(),
        }
    }
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Whether objects of this kind carry a pod template and can own others.
fn is_controller_kind(group: &str, kind: &str) -> bool {
    WORKLOAD_KINDS
        .iter()
        .any(|(k, groups, _)| *k == kind && groups.contains(&group))
}

/// An object made by a controller, as its `ownerReferences` say.
#[derive(Clone, Debug)]
pub(crate) struct Made {
    key: ObjectKey,
    owner: ObjectKey,
    owner_uid: Option<String>,
    /// A Pod's `pod-template-hash` label: its ReplicaSet is `DEPLOYMENT-HASH`.
    template_hash: Option<String>,
}

/// What ownership needs of the scan: the controllers in it (with their uid), and the
/// objects that name a controller as their owner.
#[derive(Debug, Default)]
pub(crate) struct OwnerFacts {
    pub controllers: Vec<(ObjectKey, Option<String>)>,
    pub made: Vec<Made>,
}

fn text<'n>(node: Option<&'n Node>, key: &str) -> Option<&'n str> {
    node?.get(key)?.scalar_text()
}

impl OwnerFacts {
    pub fn merge(&mut self, other: OwnerFacts) {
        self.controllers.extend(other.controllers);
        self.made.extend(other.made);
    }

    pub fn observe(&mut self, object: &Object) {
        let key = ObjectKey::of(&object.resource);
        let meta = object.root.get("metadata");
        if is_controller_kind(&key.group, &key.kind) {
            let uid = text(meta, "uid").map(str::to_string);
            self.controllers.push((key.clone(), uid));
        }
        let Some((owner, owner_uid)) = controller_ref(object) else {
            return;
        };
        self.made.push(Made {
            owner,
            owner_uid,
            template_hash: template_hash(object).map(str::to_string),
            key,
        });
    }
}

/// The controller an object names in its `ownerReferences` (the one with
/// `controller: true`), and that controller's uid when given.
fn controller_ref(object: &Object) -> Option<(ObjectKey, Option<String>)> {
    let owners = object.root.get("metadata")?.get("ownerReferences")?;
    let owner = owners.items().iter().find(|o| {
        matches!(
            o.get("controller").and_then(Node::resolved),
            Some(kubeharden_yaml::Resolved::Bool(true))
        )
    })?;
    let key = ObjectKey {
        group: group_of(text(Some(owner), "apiVersion")?).to_string(),
        kind: text(Some(owner), "kind")?.to_string(),
        namespace: object.resource.namespace.clone(),
        name: text(Some(owner), "name")?.to_string(),
    };
    Some((key, text(Some(owner), "uid").map(str::to_string)))
}

/// A Pod's or ReplicaSet's `pod-template-hash` label: its ReplicaSet is named
/// `DEPLOYMENT-HASH`.
fn template_hash(object: &Object) -> Option<&str> {
    text(
        object.root.get("metadata")?.get("labels"),
        "pod-template-hash",
    )
}

/// The controller that made `owner` (a ReplicaSet or Job an object names as its
/// own), as the controllers name what they make: the Deployment of a ReplicaSet
/// `DEPLOYMENT-HASH` (`hash`: the made object's `pod-template-hash`), the CronJob of a
/// Job `CRONJOB-MINUTES` (the scheduled time in minutes since 1970, 8 digits and more).
fn namer_of(owner: &ObjectKey, hash: Option<&str>) -> Option<ObjectKey> {
    let (kind, name) = match owner.kind.as_str() {
        "ReplicaSet" => (
            "Deployment",
            owner.name.strip_suffix(hash?)?.strip_suffix('-')?,
        ),
        "Job" => {
            let (cronjob, minutes) = owner.name.rsplit_once('-')?;
            let scheduled = minutes.len() >= 8 && minutes.bytes().all(|b| b.is_ascii_digit());
            ("CronJob", Some(cronjob).filter(|_| scheduled)?)
        }
        _ => return None,
    };
    (!name.is_empty()).then(|| ObjectKey {
        group: owner.group.clone(),
        kind: kind.to_string(),
        namespace: owner.namespace.clone(),
        name: name.to_string(),
    })
}

/// The controllers that made `object`, nearest first, as the object itself tells
/// without the rest of the cluster: the controller in its `ownerReferences`, and the
/// one that controller's name says made it (a Pod of ReplicaSet `web-5d8f` with
/// `pod-template-hash: 5d8f` is Deployment `web`'s; a Pod of Job `nightly-29412345`
/// is CronJob `nightly`'s). An admission review sees one object: this is how its
/// owners' exceptions reach it.
pub fn claimed_owners(object: &Object) -> Vec<ObjectKey> {
    let Some((owner, _)) = controller_ref(object) else {
        return Vec::new();
    };
    let namer = namer_of(&owner, template_hash(object));
    std::iter::once(owner).chain(namer).collect()
}

/// Each made object's owner that is in the scan.
#[derive(Debug, Default)]
pub struct Owners {
    owner_of: HashMap<ObjectKey, ObjectKey>,
}

impl Owners {
    pub(crate) fn build(facts: OwnerFacts) -> Owners {
        let controllers: HashMap<ObjectKey, Option<String>> =
            facts.controllers.into_iter().collect();
        let mut owner_of = HashMap::new();
        for made in facts.made {
            if let Some(owner) = present_owner(&made, &controllers) {
                owner_of.insert(made.key, owner);
            }
        }
        Owners { owner_of }
    }

    /// The controller in the scan that made `key`, if any.
    pub fn owner_of(&self, key: &ObjectKey) -> Option<&ObjectKey> {
        self.owner_of.get(key)
    }

    pub fn is_empty(&self) -> bool {
        self.owner_of.is_empty()
    }

    /// How many objects of the scan a controller in the scan made.
    pub fn made_count(&self) -> usize {
        self.owner_of.len()
    }

    /// Whether a controller of `key` (its owner, its owner's owner, ...) is in `set`:
    /// listing both would name one workload twice.
    pub fn made_by_any(&self, key: &ObjectKey, set: &std::collections::HashSet<ObjectKey>) -> bool {
        let mut at = key;
        // Ownership chains are short (Pod, ReplicaSet, Deployment); a cycle in
        // hostile input ends here.
        for _ in 0..8 {
            match self.owner_of(at) {
                Some(owner) if set.contains(owner) => return true,
                Some(owner) => at = owner,
                None => return false,
            }
        }
        false
    }
}

/// The owner of `made` in the scan (with the same uid, when both say one). A Pod
/// whose ReplicaSet is not in the scan is its Deployment's, when the ReplicaSet's
/// name is that Deployment's and the pod's template hash (as the Deployment
/// controller names them).
fn present_owner(
    made: &Made,
    controllers: &HashMap<ObjectKey, Option<String>>,
) -> Option<ObjectKey> {
    match controllers.get(&made.owner) {
        Some(uid) => {
            let same = match (uid, &made.owner_uid) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            same.then(|| made.owner.clone())
        }
        None => {
            let key = namer_of(&made.owner, Some(made.template_hash.as_deref()?))
                .filter(|k| k.kind == "Deployment")?;
            controllers.contains_key(&key).then_some(key)
        }
    }
}

/// Where a kind's pod template sits (`spec.template`), as a path prefix to strip:
/// a made object's field and its owner's are the same field of the template.
pub fn template_path(group: &str, kind: &str) -> Option<&'static str> {
    WORKLOAD_KINDS
        .iter()
        .find(|(k, groups, _)| *k == kind && groups.contains(&group))
        .map(|(_, _, path)| *path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(text: &str) -> Vec<Object> {
        let got = kubeharden_load::load_text(&"t.yaml".into(), text, &Default::default());
        got.objects
    }

    fn owners(text: &str) -> Owners {
        let mut facts = OwnerFacts::default();
        for o in objects(text) {
            facts.observe(&o);
        }
        Owners::build(facts)
    }

    fn key(kind: &str, group: &str, name: &str) -> ObjectKey {
        ObjectKey {
            group: group.into(),
            kind: kind.into(),
            namespace: Some("shop".into()),
            name: name.into(),
        }
    }

    const DEPLOY: &str =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop, uid: d1}\n";
    const RS: &str = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-5d8f\n  namespace: shop\n  uid: r1\n  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d1, controller: true}]\n";
    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-5d8f-x\n  namespace: shop\n  labels: {pod-template-hash: 5d8f}\n  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f, uid: r1, controller: true}]\n";

    #[test]
    fn a_chain_of_controllers_in_the_scan() {
        let o = owners(&format!("{DEPLOY}---\n{RS}---\n{POD}"));
        let rs = key("ReplicaSet", "apps", "web-5d8f");
        assert_eq!(o.owner_of(&key("Pod", "", "web-5d8f-x")), Some(&rs));
        assert_eq!(o.owner_of(&rs), Some(&key("Deployment", "apps", "web")));
    }

    #[test]
    fn a_pod_is_its_deployments_when_the_replica_set_is_not_in_the_scan() {
        let o = owners(&format!("{DEPLOY}---\n{POD}"));
        assert_eq!(
            o.owner_of(&key("Pod", "", "web-5d8f-x")),
            Some(&key("Deployment", "apps", "web"))
        );
    }

    #[test]
    fn an_object_tells_its_owners_by_reference_and_by_name() {
        let one = |text: &str| objects(text).remove(0);
        let rs = key("ReplicaSet", "apps", "web-5d8f");
        let web = key("Deployment", "apps", "web");
        assert_eq!(claimed_owners(&one(POD)), [rs.clone(), web.clone()]);
        assert_eq!(claimed_owners(&one(RS)), [web]);
        assert!(claimed_owners(&one(DEPLOY)).is_empty());
        // Another hash: the ReplicaSet alone.
        let other_hash = POD.replace("pod-template-hash: 5d8f", "pod-template-hash: 9999");
        assert_eq!(claimed_owners(&one(&other_hash)), [rs]);
        let job_pod = |job: &str| {
            POD.replace(
                "apps/v1, kind: ReplicaSet, name: web-5d8f",
                &format!("batch/v1, kind: Job, name: {job}"),
            )
        };
        let job = |name: &str| key("Job", "batch", name);
        assert_eq!(
            claimed_owners(&one(&job_pod("nightly-29412345"))),
            [job("nightly-29412345"), key("CronJob", "batch", "nightly")]
        );
        // A Job named by hand is its own.
        assert_eq!(
            claimed_owners(&one(&job_pod("migrate-2"))),
            [job("migrate-2")]
        );
    }

    #[test]
    fn no_owner_in_the_scan_or_another_with_the_same_name() {
        assert!(owners(POD).is_empty());
        let recreated = RS.replace("uid: d1", "uid: other");
        let o = owners(&format!("{DEPLOY}---\n{recreated}"));
        assert!(o.is_empty());
        let not_controller = RS.replace("controller: true", "controller: false");
        assert!(owners(&format!("{DEPLOY}---\n{not_controller}")).is_empty());
    }
}
