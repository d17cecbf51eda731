//! What the webhook knows of the cluster around the object under review.
//!
//! A review carries one object. Rules that need others (a namespace's labels for its
//! modes, the ServiceAccount that may disable token automount, the LimitRange that
//! gives default limits, NetworkPolicies, RBAC) read them from an informer-backed
//! view: kube-rs reflectors that list and then watch Namespaces, ServiceAccounts,
//! NetworkPolicies, LimitRanges, Roles, RoleBindings, ClusterRoles and
//! ClusterRoleBindings, kept in memory. For each review the objects of the
//! namespace (and the cluster bindings naming its accounts, with their roles) are
//! judged together with the object under review, as `scan` would judge a file that
//! holds them. They are turned into the rules' trees once, and again only after a
//! watch event.
//!
//! Without a cluster (no kubeconfig, no service account), there is no view:
//! namespace modes come from the configuration file, and findings that depend on
//! another object are reported as not judged, never refused.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{LimitRange, Namespace, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::runtime::reflector::{self, reflector, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client, Resource, ResourceExt};
use kubeharden_load::Object;

/// The cluster as reviews see it.
pub trait ClusterSource: Send + Sync {
    /// The labels of a namespace; `None` when the view does not know it.
    fn namespace_labels(&self, namespace: &str) -> Option<BTreeMap<String, String>>;
    /// The objects judged with one of `namespace`'s objects.
    fn related(&self, namespace: &str) -> Arc<Vec<Object>>;
    /// Whether the view has listed everything once.
    fn ready(&self) -> bool;
    /// The ClusterRole of that name, which a binding under review grants (of any
    /// namespace, or none), and the ClusterRoles its `aggregationRule` selects (their
    /// rules are its rules): they decide what the binding's subjects can do.
    fn cluster_roles(&self, _name: &str) -> Vec<Object> {
        Vec::new()
    }
    /// The bindings that grant the role under review (`Role` of `namespace`, or
    /// `ClusterRole`): a change of the role changes what their subjects can do.
    fn bindings_of(&self, _kind: &str, _namespace: Option<&str>, _name: &str) -> Vec<Object> {
        Vec::new()
    }
    /// The ClusterRoles whose `aggregationRule` selects a ClusterRole of `labels`:
    /// a change of that role changes their grants.
    fn aggregators_of(&self, _labels: &BTreeMap<String, String>) -> Vec<String> {
        Vec::new()
    }
}

/// A namespace's objects, and the generation they were built at.
type Cached = (u64, Arc<Vec<Object>>);

/// The informer-backed view.
pub struct Informers {
    namespaces: Store<Namespace>,
    accounts: Store<ServiceAccount>,
    policies: Store<NetworkPolicy>,
    limit_ranges: Store<LimitRange>,
    roles: Store<Role>,
    role_bindings: Store<RoleBinding>,
    cluster_roles: Store<ClusterRole>,
    cluster_bindings: Store<ClusterRoleBinding>,
    /// Bumped by every watch event: a cached namespace of an older generation is
    /// rebuilt.
    generation: Arc<AtomicU64>,
    synced: AtomicBool,
    /// How many watches are failing now (a forbidden watch, a lost connection): the
    /// view goes stale, so it is not ready.
    failing: Arc<AtomicU64>,
    cache: Mutex<HashMap<String, Cached>>,
}

/// Starts a reflector of `K` on the current tokio runtime.
fn reflect<K>(client: &Client, generation: &Arc<AtomicU64>, failing: &Arc<AtomicU64>) -> Store<K>
where
    K: Resource<DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static,
{
    let api: Api<K> = Api::all(client.clone());
    let (reader, writer) = reflector::store();
    let generation = generation.clone();
    let health = WatchHealth {
        kind: K::plural(&()).to_string(),
        failing: failing.clone(),
        failed: None,
        last_said: None,
        last_error: String::new(),
    };
    let stream =
        reflector(writer, watcher(api.clone(), watcher::Config::default())).default_backoff();
    tokio::spawn(async move {
        futures::pin_mut!(stream);
        let mut health = health;
        // While a watch fails, the API server is asked now and then whether it answers
        // again: a watch that resumes where it stopped sends nothing until an object
        // changes, so its events alone would leave the view unready for as long.
        let mut probe = tokio::time::interval(PROBE_EVERY);
        loop {
            tokio::select! {
                event = stream.next() => {
                    let Some(event) = event else { break };
                    generation.fetch_add(1, Ordering::Relaxed);
                    match event {
                        Err(e) => health.failed(&e.to_string()),
                        // A list, whole or begun, is no sign of health: an identity
                        // may list a kind and not watch it, and the view would be
                        // stale from the list on. Only a watch's own events are.
                        Ok(
                            watcher::Event::Init
                            | watcher::Event::InitApply(_)
                            | watcher::Event::InitDone,
                        ) => {}
                        Ok(_) => health.recovered("a watch event"),
                    }
                }
                _ = probe.tick(), if health.failed.is_some() => {
                    if lists_and_watches(&api).await {
                        // The watch resumes from where it stopped: nothing is lost.
                        generation.fetch_add(1, Ordering::Relaxed);
                        health.recovered("the API server lists and watches it again");
                    }
                }
            }
        }
    });
    reader
}

/// Whether the API server answers a list of the kind and opens a watch of it now:
/// both, since a watch that is forbidden while its list is allowed leaves the view
/// as it was at the list, while the list alone would look well.
async fn lists_and_watches<K>(api: &Api<K>) -> bool
where
    K: Resource<DynamicType = ()> + Clone + std::fmt::Debug + serde::de::DeserializeOwned,
{
    let list = kube::api::ListParams::default().limit(1);
    let Ok(listed) = api.list_metadata(&list).await else {
        return false;
    };
    let version = listed.metadata.resource_version.unwrap_or_default();
    let watch = kube::api::WatchParams::default().timeout(1);
    api.watch_metadata(&watch, &version).await.is_ok()
}

const MINUTE: std::time::Duration = std::time::Duration::from_secs(60);

/// How often a failing watch's kind is listed to see whether it is well again.
const PROBE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Whether one watch is failing, and what is logged of it: its failure once, then
/// once a minute while it lasts (a watch is retried every few seconds), then its
/// recovery.
struct WatchHealth {
    kind: String,
    failing: Arc<AtomicU64>,
    /// Failing since, and when last said.
    failed: Option<(std::time::Instant, std::time::Instant)>,
    /// When a failure was last said: a watch that flaps (listed, then refused its
    /// watch) is said once a minute too.
    last_said: Option<std::time::Instant>,
    /// The failure last said: another (the server back, the rights now missing) is
    /// said within seconds, not a minute later.
    last_error: String,
}

impl WatchHealth {
    fn failed(&mut self, error: &str) {
        if let Some(line) = self.failed_at(error, std::time::Instant::now()) {
            eprintln!("{line}");
        }
    }

    /// Takes in a failure at `now`; the line to log, when one is due.
    fn failed_at(&mut self, error: &str, now: std::time::Instant) -> Option<String> {
        let kind = &self.kind;
        match self.failed.as_mut() {
            None => {
                self.failing.fetch_add(1, Ordering::AcqRel);
                self.failed = Some((now, now));
                let due = self
                    .last_said
                    .is_none_or(|said| now.duration_since(said) >= MINUTE);
                due.then(|| {
                    self.last_said = Some(now);
                    self.last_error = error.to_string();
                    format!("kubeharden serve: watching {kind}: {error}; the view is stale, so /readyz fails and reviews are answered by the failure policy until it recovers")
                })
            }
            Some((since, said)) => {
                let elapsed = now.duration_since(*said);
                let other = error != self.last_error;
                if elapsed < MINUTE && !(other && elapsed >= PROBE_EVERY) {
                    return None;
                }
                *said = now;
                self.last_said = Some(now);
                self.last_error = error.to_string();
                let secs = now.duration_since(*since).as_secs();
                let how = if other { "now" } else { "still" };
                Some(format!(
                    "kubeharden serve: watching {kind}: {how} failing after {secs} s: {error}"
                ))
            }
        }
    }

    fn recovered(&mut self, how: &str) {
        if self.failed.take().is_some() {
            self.failing.fetch_sub(1, Ordering::AcqRel);
            eprintln!(
                "kubeharden serve: watching {}: recovered ({how})",
                self.kind
            );
        }
    }
}

impl Informers {
    /// Starts the informers (on the current tokio runtime); [`Informers::wait`]
    /// waits for their first lists.
    pub fn start(client: &Client) -> Arc<Informers> {
        let generation = Arc::new(AtomicU64::new(0));
        let failing = Arc::new(AtomicU64::new(0));
        let (g, f) = (&generation, &failing);
        Arc::new(Informers {
            namespaces: reflect(client, g, f),
            accounts: reflect(client, g, f),
            policies: reflect(client, g, f),
            limit_ranges: reflect(client, g, f),
            roles: reflect(client, g, f),
            role_bindings: reflect(client, g, f),
            cluster_roles: reflect(client, g, f),
            cluster_bindings: reflect(client, g, f),
            generation,
            synced: AtomicBool::new(false),
            failing,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Waits until every informer has listed once.
    pub async fn wait(&self) {
        let _ = futures::join!(
            self.namespaces.wait_until_ready(),
            self.accounts.wait_until_ready(),
            self.policies.wait_until_ready(),
            self.limit_ranges.wait_until_ready(),
            self.roles.wait_until_ready(),
            self.role_bindings.wait_until_ready(),
            self.cluster_roles.wait_until_ready(),
            self.cluster_bindings.wait_until_ready(),
        );
        self.synced.store(true, Ordering::Release);
    }

    fn build(&self, namespace: &str) -> Vec<Object> {
        let mut out = Vec::new();
        if let Some(ns) = self.namespaces.get(&ObjectRef::new(namespace)) {
            out.extend(to_object(&*ns));
        }
        let in_ns = |o: &dyn NamespacedName| o.ns() == Some(namespace);
        out.extend(
            self.accounts
                .state()
                .iter()
                .filter(|o| in_ns(&***o))
                .filter_map(|o| to_object(&**o)),
        );
        out.extend(
            self.policies
                .state()
                .iter()
                .filter(|o| in_ns(&***o))
                .filter_map(|o| to_object(&**o)),
        );
        out.extend(
            self.limit_ranges
                .state()
                .iter()
                .filter(|o| in_ns(&***o))
                .filter_map(|o| to_object(&**o)),
        );
        out.extend(
            self.roles
                .state()
                .iter()
                .filter(|o| in_ns(&***o))
                .filter_map(|o| to_object(&**o)),
        );
        // The namespace's RoleBindings, and the ClusterRoles they grant in it.
        let mut granted: Vec<String> = Vec::new();
        for binding in self.role_bindings.state().iter().filter(|o| in_ns(&***o)) {
            let role = &binding.role_ref;
            if role.kind == "ClusterRole" && !granted.contains(&role.name) {
                granted.push(role.name.clone());
            }
            out.extend(to_object(&**binding));
        }
        // Cluster bindings that name an account of the namespace, and their roles.
        for binding in self.cluster_bindings.state() {
            let names_ns =
                binding.subjects.iter().flatten().any(|s| {
                    s.kind == "ServiceAccount" && s.namespace.as_deref() == Some(namespace)
                });
            if names_ns {
                out.extend(to_object(&*binding));
                if !granted.contains(&binding.role_ref.name) {
                    granted.push(binding.role_ref.name.clone());
                }
            }
        }
        for name in &granted {
            for role in self.cluster_roles(name) {
                let known = out.iter().any(|o| *o.resource == *role.resource);
                if !known {
                    out.push(role);
                }
            }
        }
        out
    }
}

/// A namespaced object's namespace, through one trait object for every kind.
trait NamespacedName {
    fn ns(&self) -> Option<&str>;
}

impl<K: Resource> NamespacedName for K {
    fn ns(&self) -> Option<&str> {
        self.meta().namespace.as_deref()
    }
}

/// A typed object as the rules read it: serialized (k8s-openapi writes its kind and
/// apiVersion) and read back as `cluster` reads a GET answer.
fn to_object<K>(object: &K) -> Option<Object>
where
    K: Resource<DynamicType = ()> + serde::Serialize,
{
    let json = serde_json::to_vec(object).ok()?;
    let root = kubeharden_live::read_object(&json).ok()?;
    let namespace = object.namespace();
    let kind = K::kind(&());
    let group = K::group(&());
    let name = object.name_any();
    let file = kubeharden_live::location(
        "cluster",
        namespace.as_deref(),
        &kubeharden_live::location_kind(&group, &kind),
        &name,
    );
    Some(Object {
        file: file.into(),
        helm_source: None,
        resource: Arc::new(kubeharden_load::Resource {
            api_version: K::api_version(&()).to_string(),
            kind: kind.to_string(),
            namespace,
            name,
        }),
        root,
        namespace_defaulted: false,
    })
}

impl ClusterSource for Informers {
    fn namespace_labels(&self, namespace: &str) -> Option<BTreeMap<String, String>> {
        let ns = self.namespaces.get(&ObjectRef::new(namespace))?;
        Some(ns.labels().clone())
    }

    fn related(&self, namespace: &str) -> Arc<Vec<Object>> {
        let generation = self.generation.load(Ordering::Relaxed);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, objects)) = cache.get(namespace) {
            if *at == generation {
                return objects.clone();
            }
        }
        let objects = Arc::new(self.build(namespace));
        cache.insert(namespace.to_string(), (generation, objects.clone()));
        objects
    }

    fn ready(&self) -> bool {
        self.synced.load(Ordering::Acquire) && self.failing.load(Ordering::Acquire) == 0
    }

    fn cluster_roles(&self, name: &str) -> Vec<Object> {
        // The role, then each role an aggregating one selects, and theirs in turn.
        let mut names = vec![name.to_string()];
        let mut out = Vec::new();
        let all = self.cluster_roles.state();
        let mut i = 0;
        while i < names.len() && names.len() <= MAX_AGGREGATED {
            let Some(role) = self.cluster_roles.get(&ObjectRef::new(&names[i])) else {
                i += 1;
                continue;
            };
            let selectors = role
                .aggregation_rule
                .as_ref()
                .and_then(|a| a.cluster_role_selectors.clone())
                .unwrap_or_default();
            for selector in &selectors {
                for other in all.iter().filter(|o| selects(selector, o.labels())) {
                    let other = other.name_any();
                    if !names.contains(&other) {
                        names.push(other);
                    }
                }
            }
            out.extend(to_object(&*role));
            i += 1;
        }
        out
    }

    fn aggregators_of(&self, labels: &BTreeMap<String, String>) -> Vec<String> {
        if labels.is_empty() {
            return Vec::new();
        }
        self.cluster_roles
            .state()
            .iter()
            .filter(|role| {
                let selectors = role
                    .aggregation_rule
                    .as_ref()
                    .and_then(|a| a.cluster_role_selectors.as_ref());
                selectors.is_some_and(|s| s.iter().any(|s| selects(s, labels)))
            })
            .map(|role| role.name_any())
            .collect()
    }

    fn bindings_of(&self, kind: &str, namespace: Option<&str>, name: &str) -> Vec<Object> {
        let grants = |r: &k8s_openapi::api::rbac::v1::RoleRef| r.kind == kind && r.name == name;
        let mut out: Vec<Object> = self
            .role_bindings
            .state()
            .iter()
            .filter(|b| grants(&b.role_ref))
            .filter(|b| kind == "ClusterRole" || b.ns() == namespace)
            .filter_map(|b| to_object(&**b))
            .collect();
        if kind == "ClusterRole" {
            let cluster = self.cluster_bindings.state();
            out.extend(
                cluster
                    .iter()
                    .filter(|b| grants(&b.role_ref))
                    .filter_map(|b| to_object(&**b)),
            );
        }
        out
    }
}

/// The most ClusterRoles one role aggregates, followed (a loop of selectors ends).
const MAX_AGGREGATED: usize = 256;

/// Whether a label selector of an `aggregationRule` selects an object of `labels`:
/// its `matchLabels` all held and its `matchExpressions` all true.
fn selects(
    selector: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    labels: &BTreeMap<String, String>,
) -> bool {
    let held = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let true_of = |e: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement| {
        let values = e.values.as_deref().unwrap_or_default();
        match e.operator.as_str() {
            "In" => labels.get(&e.key).is_some_and(|v| values.contains(v)),
            "NotIn" => labels.get(&e.key).is_none_or(|v| !values.contains(v)),
            "Exists" => labels.contains_key(&e.key),
            "DoesNotExist" => !labels.contains_key(&e.key),
            _ => false,
        }
    };
    let empty = selector.match_labels.as_ref().is_none_or(|m| m.is_empty())
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(|m| m.is_empty());
    !empty && held && selector.match_expressions.iter().flatten().all(true_of)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// A failure is said at once, the same one again once a minute, another one
    /// within seconds (not a minute later, with the old reason still in the log).
    #[test]
    fn a_failing_watch_says_a_new_reason_at_once_and_an_old_one_once_a_minute() {
        let mut health = WatchHealth {
            kind: "Namespace".into(),
            failing: Arc::new(AtomicU64::new(0)),
            failed: None,
            last_said: None,
            last_error: String::new(),
        };
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        let said = |line: Option<String>| line.map(|l| l.split(": ").last().unwrap().to_string());
        assert!(health.failed_at("connection refused", at(0)).is_some());
        assert_eq!(health.failed_at("connection refused", at(3)), None);
        assert_eq!(health.failed_at("connection refused", at(30)), None);
        let other = health.failed_at("forbidden", at(33)).unwrap();
        assert!(
            other.contains("now failing after 33 s: forbidden"),
            "{other}"
        );
        assert_eq!(health.failed_at("forbidden", at(40)), None);
        assert_eq!(
            said(health.failed_at("forbidden", at(93))),
            Some("forbidden".into())
        );
        assert_eq!(health.failing.load(Ordering::Acquire), 1);
    }
}
