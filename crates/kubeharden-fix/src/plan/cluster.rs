//! What the planner knows of the objects the command was given: the RBAC that grants
//! service accounts, the workloads of each namespace, and what may run pods there
//! that the scan does not hold (GitOps deployers, operators' custom resources).

use std::collections::{BTreeMap, BTreeSet};

use kubeharden_load::{Object, Workload};
use kubeharden_yaml::Node;

/// What the planner knows of a cluster: its objects, and the service accounts its
/// RBAC bindings name.
pub(super) struct Cluster<'a> {
    objects: &'a [Object],
    /// (namespace, account) bound by name; a namespace alone for
    /// `system:serviceaccounts:NS`; `None` for `system:serviceaccounts`.
    bound: BTreeMap<(String, Option<String>), String>,
    all_accounts_bound: Option<String>,
    /// Whether the scan holds a ClusterRoleBinding (its RBAC is the cluster's).
    cluster_bindings: bool,
    /// The namespaces the scan holds a Role or RoleBinding of.
    rbac_namespaces: BTreeSet<String>,
}

impl<'a> Cluster<'a> {
    pub(super) fn new(objects: &'a [Object]) -> Self {
        let mut cluster = Cluster {
            objects,
            bound: BTreeMap::new(),
            all_accounts_bound: None,
            cluster_bindings: false,
            rbac_namespaces: BTreeSet::new(),
        };
        for o in objects {
            let r = &o.resource;
            if !r.api_version.starts_with("rbac.authorization.k8s.io/") {
                continue;
            }
            match r.kind.as_str() {
                "ClusterRoleBinding" => cluster.cluster_bindings = true,
                "RoleBinding" | "Role" => {
                    let ns = r.namespace.clone().unwrap_or_else(|| "default".into());
                    cluster.rbac_namespaces.insert(ns);
                }
                _ => continue,
            }
            if r.kind.ends_with("Binding") {
                cluster.note_binding(o);
            }
        }
        cluster
    }

    /// Whether the scan defines the ServiceAccount `account` of `namespace`.
    pub(super) fn defines_account(&self, namespace: &str, account: &str) -> bool {
        self.objects.iter().any(|o| {
            let r = &o.resource;
            r.kind == "ServiceAccount"
                && r.name == account
                && r.namespace.as_deref().unwrap_or("default") == namespace
        })
    }

    /// Whether the scan holds RBAC that reaches `namespace`: a Role or RoleBinding of
    /// it, or any ClusterRoleBinding. RBAC of other namespaces alone says nothing of
    /// what this one's accounts are granted.
    pub(super) fn holds_rbac_of(&self, namespace: &str) -> bool {
        self.cluster_bindings || self.rbac_namespaces.contains(namespace)
    }

    fn note_binding(&mut self, binding: &Object) {
        let by = format!("{} {}", binding.resource.kind, binding.resource.name);
        let own_ns = binding.resource.namespace.clone().unwrap_or_default();
        for subject in binding
            .root
            .get("subjects")
            .map(Node::items)
            .unwrap_or_default()
        {
            let text = |k: &str| subject.get(k).and_then(Node::as_str).map(str::to_string);
            match (text("kind").as_deref(), text("name")) {
                (Some("ServiceAccount"), Some(name)) => {
                    let ns = text("namespace").unwrap_or_else(|| own_ns.clone());
                    self.bound.insert((ns, Some(name)), by.clone());
                }
                // Every account, or every authenticated identity (accounts among them).
                (Some("Group"), Some(group))
                    if group == "system:serviceaccounts" || group == "system:authenticated" =>
                {
                    self.all_accounts_bound = Some(by.clone());
                }
                (Some("Group"), Some(group)) => {
                    if let Some(ns) = group.strip_prefix("system:serviceaccounts:") {
                        self.bound.insert((ns.to_string(), None), by.clone());
                    }
                }
                _ => {}
            }
        }
    }

    /// The binding that grants `account` of `namespace` something, if one does.
    pub(super) fn binding_of(&self, namespace: &str, account: &str) -> Option<&str> {
        self.bound
            .get(&(namespace.to_string(), Some(account.to_string())))
            .or_else(|| self.bound.get(&(namespace.to_string(), None)))
            .or(self.all_accounts_bound.as_ref())
            .map(String::as_str)
    }

    /// The GitOps objects of the scan that deploy into `namespace` what the scan
    /// does not hold: an Argo CD Application (or an ApplicationSet's template) whose
    /// destination it is, a Flux Kustomization or HelmRelease that targets it (a
    /// HelmRelease installs into its own namespace unless it names another).
    pub(super) fn deployers_into(&self, namespace: &str) -> Vec<String> {
        fn at<'o>(o: &'o Object, path: &[&str]) -> Option<&'o str> {
            let mut node = Some(&o.root);
            for key in path {
                node = node.and_then(|n| n.get(key));
            }
            node.and_then(Node::scalar_text)
        }
        self.objects
            .iter()
            .filter(|o| {
                let group = o.resource.api_version.split('/').next().unwrap_or("");
                // `Some(None)`: a deployer that names no namespace applies manifests
                // that name their own, any of them.
                let target = match (group, &*o.resource.kind) {
                    ("argoproj.io", "Application") => {
                        Some(at(o, &["spec", "destination", "namespace"]))
                    }
                    ("argoproj.io", "ApplicationSet") => Some(at(
                        o,
                        &["spec", "template", "spec", "destination", "namespace"],
                    )),
                    ("kustomize.toolkit.fluxcd.io", "Kustomization") => {
                        Some(at(o, &["spec", "targetNamespace"]))
                    }
                    ("helm.toolkit.fluxcd.io", "HelmRelease") => Some(
                        at(o, &["spec", "targetNamespace"]).or(o.resource.namespace.as_deref()),
                    ),
                    _ => None,
                };
                matches!(target, Some(None)) || target == Some(Some(namespace))
            })
            .map(|o| o.resource.to_string())
            .collect()
    }

    /// The custom resources of `namespace` in the scan (a `Prometheus`, a CNPG
    /// `Cluster`, a Knative `Service`): an operator may run pods for them there.
    pub(super) fn custom_resources_in(&self, namespace: &str) -> Vec<String> {
        self.objects
            .iter()
            .filter(|o| o.resource.namespace.as_deref() == Some(namespace))
            .filter(|o| {
                kubeharden_load::is_namespaced(&o.resource.api_version, &o.resource.kind).is_none()
            })
            .map(|o| o.resource.to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    pub(super) fn workloads_in(&self, namespace: &str) -> usize {
        self.objects
            .iter()
            .filter(|o| o.resource.namespace.as_deref() == Some(namespace))
            .filter(|o| Workload::from_object(o).is_some())
            .map(|o| &o.resource)
            .collect::<BTreeSet<_>>()
            .len()
    }
}
