//! The built view, with pods indexed by namespace and label.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::facts::{
    BindingEntry, ClusterFacts, LimitRangeEntry, NamespaceEntry, Origin, PodEntry, PolicyEntry,
    QuotaEntry, RoleEntry, ServiceAccountEntry, ServiceEntry,
};
use crate::proximity::{nearest, seen_from};
use crate::selector::{self, Labels};

/// The label every namespace carries, set by Kubernetes itself.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

#[derive(Debug, Default)]
struct NamespacePods {
    pods: Vec<usize>,
    by_label: HashMap<(String, String), Vec<usize>>,
}

/// The objects of one cluster. An object defined in several files (a base and its
/// overlays, samples side by side) keeps every definition, one per file (the last
/// in the file, as `kubectl apply` leaves it); a reference means the nearest one
/// (`crate::proximity`).
#[derive(Debug, Default)]
pub struct ClusterView {
    /// Every definition of each Namespace, in file order.
    pub namespaces: BTreeMap<String, Vec<NamespaceEntry>>,
    pub pods: Vec<PodEntry>,
    pub policies: Vec<PolicyEntry>,
    pub services: Vec<ServiceEntry>,
    pub limit_ranges: Vec<LimitRangeEntry>,
    pub quotas: Vec<QuotaEntry>,
    /// Every definition of each ServiceAccount, by (namespace, name), in file order.
    pub service_accounts: BTreeMap<(String, String), Vec<ServiceAccountEntry>>,
    pub roles: Vec<RoleEntry>,
    pub bindings: Vec<BindingEntry>,
    /// Legacy token Secrets: (namespace, service account, the Secret).
    pub token_secrets: Vec<(String, String, crate::Origin)>,
    /// Custom resources: other engines' network policies, operators' pod makers.
    pub custom: Vec<crate::custom::CustomEntry>,
    /// What a live scan knew beyond its objects (its `ClusterSnapshot`); `None` for a
    /// scan of manifests.
    pub live: Option<crate::live::LiveFacts>,
    /// The controllers of the scan that made other objects of it.
    pub owners: crate::owners::Owners,
    pub runtime_classes: Vec<crate::facts::RuntimeClassEntry>,
    /// Node objects (a cluster's dump or a live read): their reported versions.
    pub nodes: Vec<crate::facts::NodeEntry>,
    /// Admission webhooks and policies, control-plane pods.
    pub platform: crate::platform::Platform,
    index: HashMap<String, NamespacePods>,
    /// Indexes into `policies`, by namespace.
    policies_by_namespace: HashMap<String, Vec<usize>>,
}

/// Sorts by file and object, and keeps one definition of an object per file: the
/// last, which is what applying the file leaves (and one problem is reported once).
fn place<T>(items: &mut Vec<T>, origin: impl Fn(&T) -> &Origin) {
    items.sort_by(|a, b| {
        let (a, b) = (origin(a), origin(b));
        (&a.file, &a.resource, std::cmp::Reverse(a.pos)).cmp(&(
            &b.file,
            &b.resource,
            std::cmp::Reverse(b.pos),
        ))
    });
    items.dedup_by(|later, kept| {
        let (a, b) = (origin(later), origin(kept));
        (&a.file, &a.resource) == (&b.file, &b.resource)
    });
}

/// The objects of `namespace` as the file `from` sees them: of each name, the
/// nearest definition. `at` gives an object's namespace and origin.
fn seen_in<'a, T>(
    items: &'a [T],
    namespace: &str,
    from: &str,
    at: impl Fn(&'a T) -> (&'a String, &'a Origin),
) -> Vec<&'a T> {
    let of_namespace = items.iter().filter(|i| at(i).0 == namespace);
    seen_from(
        of_namespace,
        from,
        |i| at(i).1.resource.name.clone(),
        |i| &at(i).1.file,
    )
}

/// Definitions grouped by their key, each group in file order.
fn group<K: Ord, T>(items: Vec<(K, T)>) -> BTreeMap<K, Vec<T>> {
    let mut map: BTreeMap<K, Vec<T>> = BTreeMap::new();
    for (key, item) in items {
        map.entry(key).or_default().push(item);
    }
    map
}

impl ClusterView {
    pub fn build(mut facts: ClusterFacts) -> ClusterView {
        place(&mut facts.pods, |p| &p.origin);
        place(&mut facts.policies, |p| &p.origin);
        place(&mut facts.services, |s| &s.origin);
        place(&mut facts.limit_ranges, |l| &l.origin);
        place(&mut facts.quotas, |q| &q.origin);
        place(&mut facts.roles, |r| &r.origin);
        place(&mut facts.bindings, |b| &b.origin);
        place(&mut facts.custom, |c| &c.origin);
        place(&mut facts.live, |l| &l.origin);
        place(&mut facts.runtime_classes, |c| &c.origin);
        place(&mut facts.nodes, |n| &n.origin);
        place(&mut facts.namespaces, |n| &n.1.origin);
        place(&mut facts.service_accounts, |a| &a.1.origin);
        let mut index: HashMap<String, NamespacePods> = HashMap::new();
        for (i, pod) in facts.pods.iter().enumerate() {
            let ns = index.entry(pod.namespace.clone()).or_default();
            ns.pods.push(i);
            for (k, v) in &pod.labels {
                ns.by_label
                    .entry((k.clone(), v.clone()))
                    .or_default()
                    .push(i);
            }
        }
        let mut policies_by_namespace: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, policy) in facts.policies.iter().enumerate() {
            policies_by_namespace
                .entry(policy.namespace.clone())
                .or_default()
                .push(i);
        }
        ClusterView {
            policies_by_namespace,
            namespaces: group(facts.namespaces),
            pods: facts.pods,
            policies: facts.policies,
            services: facts.services,
            limit_ranges: facts.limit_ranges,
            quotas: facts.quotas,
            service_accounts: group(facts.service_accounts),
            roles: facts.roles,
            bindings: facts.bindings,
            token_secrets: facts.token_secrets,
            custom: facts.custom,
            live: facts.live.pop(),
            owners: crate::owners::Owners::build(facts.owners),
            runtime_classes: facts.runtime_classes,
            nodes: facts.nodes,
            platform: {
                let mut platform = facts.platform;
                platform.sort();
                platform
            },
            index,
        }
    }

    /// Policies of other network-policy engines that apply to `namespace` (its own,
    /// and cluster-wide ones): NetworkPolicy analysis alone cannot give the answer.
    pub fn foreign_policies(&self, namespace: &str) -> Vec<&crate::custom::CustomEntry> {
        self.custom
            .iter()
            .filter(|c| c.policy_for(namespace))
            .collect()
    }

    /// Custom resources in `namespace` an operator likely turns into pods the scan
    /// does not see.
    pub fn pod_makers(&self, namespace: &str) -> Vec<&crate::custom::CustomEntry> {
        self.custom
            .iter()
            .filter(|c| c.makes_pods && c.namespace.as_deref() == Some(namespace))
            .collect()
    }

    /// Namespaces that run at least one pod template, sorted.
    pub fn namespaces_with_pods(&self) -> BTreeSet<&str> {
        self.index.keys().map(String::as_str).collect()
    }

    /// Indexes (into `pods`) of the pods of `namespace` that `selector` selects.
    pub fn select_pods(&self, namespace: &str, selector: &LabelSelector) -> Vec<usize> {
        let Some(ns) = self.index.get(namespace) else {
            return Vec::new();
        };
        // Start from the shortest posting list of the exact labels, then check the rest.
        let candidates: &[usize] = selector
            .match_labels
            .iter()
            .flatten()
            .map(|(k, v)| {
                ns.by_label
                    .get(&(k.clone(), v.clone()))
                    .map_or(&[][..], Vec::as_slice)
            })
            .min_by_key(|list| list.len())
            .unwrap_or(&ns.pods);
        candidates
            .iter()
            .copied()
            .filter(|&i| selector::matches(selector, &self.pods[i].labels))
            .collect()
    }

    pub fn pods_in(&self, namespace: &str) -> &[usize] {
        self.index.get(namespace).map_or(&[], |ns| &ns.pods)
    }

    /// Whether a controller in the scan made this pod (or ReplicaSet, Job...): it is
    /// judged through that controller, whose template it has.
    pub fn is_made(&self, pod: &PodEntry) -> bool {
        let key = crate::owners::ObjectKey::of(&pod.origin.resource);
        self.owners.owner_of(&key).is_some()
    }

    /// A namespace's labels as the file `from` sees them (its nearest Namespace
    /// definition), and which of them are known: all when its Namespace object is in
    /// the scan, only `kubernetes.io/metadata.name` otherwise.
    pub fn namespace_labels(
        &self,
        namespace: &str,
        from: &str,
    ) -> (Labels, Option<&'static [&'static str]>) {
        let mut labels = Labels::new();
        let known: Option<&'static [&'static str]> = match self.namespace(namespace, from) {
            Some(entry) => {
                labels.extend(entry.labels.clone());
                None
            }
            None => Some(&[NAMESPACE_NAME_LABEL]),
        };
        labels.insert(NAMESPACE_NAME_LABEL.to_string(), namespace.to_string());
        (labels, known)
    }

    /// The definition of Namespace `name` that the file `from` means.
    pub fn namespace(&self, name: &str, from: &str) -> Option<&NamespaceEntry> {
        let defs = self.namespaces.get(name)?;
        nearest(defs, from, |n| &n.origin.file)
    }

    /// The definition of ServiceAccount `namespace/name` that the file `from` means.
    pub fn service_account(
        &self,
        namespace: &str,
        name: &str,
        from: &str,
    ) -> Option<&ServiceAccountEntry> {
        let defs = self
            .service_accounts
            .get(&(namespace.to_string(), name.to_string()))?;
        nearest(defs, from, |a| &a.origin.file)
    }

    /// Whether the ServiceAccount that `from` means disables token automount.
    pub fn automount_disabled(&self, namespace: &str, name: &str, from: &str) -> bool {
        self.service_account(namespace, name, from)
            .is_some_and(|a| a.automount == Some(false))
    }

    /// The LimitRanges of `namespace` as the file `from` sees them: each by its
    /// nearest definition.
    pub fn limit_ranges_seen_from(&self, namespace: &str, from: &str) -> Vec<&LimitRangeEntry> {
        seen_in(&self.limit_ranges, namespace, from, |l| {
            (&l.namespace, &l.origin)
        })
    }

    /// The ResourceQuotas of `namespace` as the file `from` sees them.
    pub fn quotas_seen_from(&self, namespace: &str, from: &str) -> Vec<&QuotaEntry> {
        seen_in(&self.quotas, namespace, from, |q| (&q.namespace, &q.origin))
    }

    /// Whether a LimitRange of `namespace`, as the file `from` sees them, gives
    /// containers a default for `resource` (`limit` true: a default limit; false: a
    /// default request).
    pub fn limit_range_default(
        &self,
        namespace: &str,
        resource: &str,
        limit: bool,
        from: &str,
    ) -> bool {
        self.limit_ranges_seen_from(namespace, from)
            .into_iter()
            .any(|l| {
                let set = if limit {
                    &l.default_limits
                } else {
                    &l.default_requests
                };
                set.contains(resource)
            })
    }

    pub fn policies_in<'a>(
        &'a self,
        namespace: &'a str,
    ) -> impl Iterator<Item = &'a PolicyEntry> + 'a {
        self.policy_indexes_in(namespace)
            .iter()
            .map(|&i| &self.policies[i])
    }

    /// Indexes into `policies` of the policies of `namespace`.
    pub fn policy_indexes_in(&self, namespace: &str) -> &[usize] {
        self.policies_by_namespace
            .get(namespace)
            .map_or(&[], Vec::as_slice)
    }

    /// A pod template by namespace and name (or `Kind/name`).
    pub fn find_pod(&self, namespace: &str, name: &str) -> Vec<usize> {
        let (kind, name) = name
            .split_once('/')
            .map_or((None, name), |(k, n)| (Some(k), n));
        self.pods_in(namespace)
            .iter()
            .copied()
            .filter(|&i| {
                let res = &self.pods[i].origin.resource;
                res.name == name && kind.is_none_or(|k| k.eq_ignore_ascii_case(&res.kind))
            })
            .collect()
    }
}
