//! Authorization questions: can this identity do that, and who can.

use k8s_openapi::api::rbac::v1::{PolicyRule, Subject};
use serde::Serialize;

use crate::model::{BindingDef, RbacModel, RoleDef};

/// Who asks: `user:NAME`, `group:NAME` or `sa:NAMESPACE/NAME`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SubjectRef {
    User {
        name: String,
    },
    Group {
        name: String,
    },
    #[serde(rename = "serviceaccount")]
    ServiceAccount {
        namespace: String,
        name: String,
    },
}

/// A subject on the command line that is none of the forms [`SubjectRef::parse`] reads.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{given:?}: expected user:NAME, group:NAME or sa:NAMESPACE/NAME")]
pub struct BadSubject {
    pub given: String,
}

impl SubjectRef {
    pub fn parse(text: &str) -> Result<SubjectRef, BadSubject> {
        let bad = || BadSubject {
            given: text.to_string(),
        };
        let (kind, rest) = text.split_once(':').ok_or_else(bad)?;
        match kind {
            "user" | "u" => Ok(SubjectRef::User {
                name: rest.to_string(),
            }),
            "group" | "g" => Ok(SubjectRef::Group {
                name: rest.to_string(),
            }),
            "sa" | "serviceaccount" => {
                let (ns, name) = rest.split_once('/').ok_or_else(bad)?;
                Ok(SubjectRef::ServiceAccount {
                    namespace: ns.to_string(),
                    name: name.to_string(),
                })
            }
            _ => Err(bad()),
        }
    }

    /// A binding's subject, with a service account's namespace defaulted to the
    /// binding's. None when it can match no one, as the authorizer decides: a kind
    /// other than `User`, `Group` and `ServiceAccount` (kinds are case-sensitive), or a
    /// service account without a namespace in a ClusterRoleBinding.
    pub fn from_subject(subject: &Subject, binding_namespace: Option<&str>) -> Option<SubjectRef> {
        let name = subject.name.clone();
        match subject.kind.as_str() {
            "User" => Some(SubjectRef::User { name }),
            "Group" => Some(SubjectRef::Group { name }),
            "ServiceAccount" => {
                let namespace = subject
                    .namespace
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .or(binding_namespace)
                    .filter(|n| !n.is_empty())?;
                Some(SubjectRef::ServiceAccount {
                    namespace: namespace.to_string(),
                    name,
                })
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for SubjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SubjectRef::User { name } => write!(f, "user:{name}"),
            SubjectRef::Group { name } => write!(f, "group:{name}"),
            SubjectRef::ServiceAccount { namespace, name } => write!(f, "sa:{namespace}/{name}"),
        }
    }
}

/// A requester as the authorizer sees it: a user name and groups.
#[derive(Clone, Debug)]
pub struct Identity {
    pub user: Option<String>,
    pub groups: Vec<String>,
}

impl Identity {
    /// The identity of a subject: a user is also in `system:authenticated` (or
    /// `system:unauthenticated` for `system:anonymous`); a service account in its
    /// service-account groups; a group stands for any member of it.
    pub fn of(subject: &SubjectRef) -> Identity {
        match subject {
            SubjectRef::User { name } if name == "system:anonymous" => Identity {
                user: Some(name.clone()),
                groups: vec!["system:unauthenticated".into()],
            },
            SubjectRef::User { name } => Identity {
                user: Some(name.clone()),
                groups: vec!["system:authenticated".into()],
            },
            SubjectRef::Group { name } => Identity {
                user: None,
                groups: vec![name.clone()],
            },
            SubjectRef::ServiceAccount { namespace, name } => Identity {
                user: Some(format!("system:serviceaccount:{namespace}:{name}")),
                groups: vec![
                    "system:serviceaccounts".into(),
                    format!("system:serviceaccounts:{namespace}"),
                    "system:authenticated".into(),
                ],
            },
        }
    }

    /// Every subject a binding could name to match this identity (the ones
    /// [`Identity::matches`] accepts).
    fn subject_refs(&self) -> Vec<SubjectRef> {
        let mut refs: Vec<SubjectRef> = self
            .groups
            .iter()
            .map(|g| SubjectRef::Group { name: g.clone() })
            .collect();
        if let Some(user) = &self.user {
            refs.push(SubjectRef::User { name: user.clone() });
            let account = user.strip_prefix("system:serviceaccount:");
            if let Some((namespace, name)) = account.and_then(|a| a.split_once(':')) {
                refs.push(SubjectRef::ServiceAccount {
                    namespace: namespace.into(),
                    name: name.into(),
                });
            }
        }
        refs
    }

    fn matches(&self, subject: &SubjectRef) -> bool {
        match subject {
            SubjectRef::User { name } => self.user.as_deref() == Some(name),
            SubjectRef::Group { name } => self.groups.contains(name),
            SubjectRef::ServiceAccount { namespace, name } => {
                self.user.as_deref() == Some(&format!("system:serviceaccount:{namespace}:{name}"))
            }
        }
    }
}

/// An API request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Request {
    pub verb: String,
    pub api_group: String,
    pub resource: String,
    pub subresource: Option<String>,
    pub name: Option<String>,
    /// None: a cluster-scoped request, or one across all namespaces.
    pub namespace: Option<String>,
    /// A non-resource URL such as `/metrics` (then resource fields are unused).
    pub path: Option<String>,
}

/// The API group of well-known resources, for `pods`, `deployments` and the like.
pub fn default_group(resource: &str) -> &'static str {
    match resource {
        "deployments" | "daemonsets" | "statefulsets" | "replicasets" | "controllerrevisions" => {
            "apps"
        }
        "jobs" | "cronjobs" => "batch",
        "roles" | "clusterroles" | "rolebindings" | "clusterrolebindings" => {
            "rbac.authorization.k8s.io"
        }
        "networkpolicies" | "ingresses" | "ingressclasses" => "networking.k8s.io",
        "certificatesigningrequests" => "certificates.k8s.io",
        "validatingwebhookconfigurations"
        | "mutatingwebhookconfigurations"
        | "validatingadmissionpolicies"
        | "validatingadmissionpolicybindings" => "admissionregistration.k8s.io",
        "customresourcedefinitions" => "apiextensions.k8s.io",
        "podsecuritypolicies" | "poddisruptionbudgets" => "policy",
        "horizontalpodautoscalers" => "autoscaling",
        "storageclasses" | "csidrivers" | "volumeattachments" => "storage.k8s.io",
        "tokenreviews" => "authentication.k8s.io",
        "subjectaccessreviews" | "selfsubjectaccessreviews" | "localsubjectaccessreviews" => {
            "authorization.k8s.io"
        }
        "leases" | "leasecandidates" => "coordination.k8s.io",
        "signers" | "clustertrustbundles" | "podcertificaterequests" => "certificates.k8s.io",
        "uids" | "userextras" | "selfsubjectreviews" => "authentication.k8s.io",
        "selfsubjectrulesreviews" => "authorization.k8s.io",
        "mutatingadmissionpolicies" | "mutatingadmissionpolicybindings" => {
            "admissionregistration.k8s.io"
        }
        "csinodes" | "csistoragecapacities" | "volumeattributesclasses" => "storage.k8s.io",
        "priorityclasses" => "scheduling.k8s.io",
        "runtimeclasses" => "node.k8s.io",
        "apiservices" => "apiregistration.k8s.io",
        "flowschemas" | "prioritylevelconfigurations" => "flowcontrol.apiserver.k8s.io",
        "ipaddresses" | "servicecidrs" => "networking.k8s.io",
        "endpointslices" => "discovery.k8s.io",
        "deviceclasses"
        | "devicetaintrules"
        | "resourceslices"
        | "resourceclaims"
        | "resourceclaimtemplates" => "resource.k8s.io",
        "storageversionmigrations" => "storagemigration.k8s.io",
        "*" => "*",
        _ => "",
    }
}

/// The built-in resources that are not namespaced, by API group (kube-apiserver
/// v1.37 discovery), with the virtual ones that impersonation (`users`, `groups`,
/// `uids`, `userextras`) and certificate signing (`signers`) authorize. A request for
/// them carries no namespace, so a RoleBinding never grants them.
const CLUSTER_SCOPED: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "componentstatuses",
            "namespaces",
            "nodes",
            "persistentvolumes",
            "users",
            "groups",
        ],
    ),
    (
        "admissionregistration.k8s.io",
        &[
            "mutatingadmissionpolicies",
            "mutatingadmissionpolicybindings",
            "mutatingwebhookconfigurations",
            "validatingadmissionpolicies",
            "validatingadmissionpolicybindings",
            "validatingwebhookconfigurations",
        ],
    ),
    ("apiextensions.k8s.io", &["customresourcedefinitions"]),
    ("apiregistration.k8s.io", &["apiservices"]),
    (
        "authentication.k8s.io",
        &["selfsubjectreviews", "tokenreviews", "uids", "userextras"],
    ),
    (
        "authorization.k8s.io",
        &[
            "selfsubjectaccessreviews",
            "selfsubjectrulesreviews",
            "subjectaccessreviews",
        ],
    ),
    (
        "certificates.k8s.io",
        &[
            "certificatesigningrequests",
            "clustertrustbundles",
            "signers",
        ],
    ),
    (
        "flowcontrol.apiserver.k8s.io",
        &["flowschemas", "prioritylevelconfigurations"],
    ),
    (
        "networking.k8s.io",
        &["ingressclasses", "ipaddresses", "servicecidrs"],
    ),
    ("node.k8s.io", &["runtimeclasses"]),
    (
        "rbac.authorization.k8s.io",
        &["clusterrolebindings", "clusterroles"],
    ),
    (
        "resource.k8s.io",
        &["deviceclasses", "devicetaintrules", "resourceslices"],
    ),
    ("scheduling.k8s.io", &["priorityclasses"]),
    (
        "storage.k8s.io",
        &[
            "csidrivers",
            "csinodes",
            "storageclasses",
            "volumeattachments",
            "volumeattributesclasses",
        ],
    ),
    ("storagemigration.k8s.io", &["storageversionmigrations"]),
];

/// Whether a built-in resource is cluster-scoped. Unknown resources (custom ones)
/// are taken as namespaced: their scope is in their CRD, not here.
pub fn is_cluster_scoped(api_group: &str, resource: &str) -> bool {
    CLUSTER_SCOPED
        .iter()
        .any(|(g, resources)| *g == api_group && resources.contains(&resource))
}

impl Request {
    /// `RESOURCE[/SUBRESOURCE]`, with `resource.group` naming a group explicitly, or a
    /// path starting with `/` for a non-resource URL.
    pub fn parse(
        verb: &str,
        resource: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Request {
        let mut req = Request {
            verb: verb.to_string(),
            namespace: namespace.map(str::to_string),
            name: name.map(str::to_string),
            ..Request::default()
        };
        if resource.starts_with('/') {
            // A non-resource request has no namespace.
            req.path = Some(resource.to_string());
            req.namespace = None;
            return req;
        }
        let (res, sub) = resource
            .split_once('/')
            .map_or((resource, None), |(r, s)| (r, Some(s.to_string())));
        let (res, group) = match res.split_once('.') {
            Some((r, g)) => (r, g.to_string()),
            None => (res, default_group(res).to_string()),
        };
        req.resource = res.to_string();
        req.api_group = group;
        req.subresource = sub;
        req.namespace = req.request_namespace(namespace);
        req
    }

    /// The namespace the API server puts in the request's attributes, whatever
    /// namespace was asked: none for a cluster-scoped resource; for
    /// `/api/v1/namespaces/NAME` the namespace is NAME; `bind` on a ClusterRole is
    /// checked in the namespace of the RoleBinding being made, so it keeps it.
    fn request_namespace(&self, asked: Option<&str>) -> Option<String> {
        let (group, resource) = (self.api_group.as_str(), self.resource.as_str());
        if group.is_empty() && resource == "namespaces" {
            return self.name.clone();
        }
        let bind = self.verb == "bind" && resource == "clusterroles";
        if is_cluster_scoped(group, resource) && !bind {
            return None;
        }
        asked.map(str::to_string)
    }

    pub fn describe(&self) -> String {
        if let Some(path) = &self.path {
            return format!("{} {path}", self.verb);
        }
        let mut out = format!("{} {}", self.verb, self.resource);
        if let Some(sub) = &self.subresource {
            out.push_str(&format!("/{sub}"));
        }
        if !self.api_group.is_empty() {
            out.push_str(&format!(" ({})", self.api_group));
        }
        if let Some(name) = &self.name {
            out.push_str(&format!(" named {name}"));
        }
        match &self.namespace {
            Some(ns) => out.push_str(&format!(" in namespace {ns}")),
            None => out.push_str(" cluster-wide"),
        }
        out
    }
}

fn any_or(list: Option<&Vec<String>>, value: &str) -> bool {
    list.is_some_and(|l| l.iter().any(|x| x == "*" || x == value))
}

/// Whether one policy rule allows the request.
pub fn rule_allows(rule: &PolicyRule, req: &Request) -> bool {
    if !rule.verbs.iter().any(|v| v == "*" || *v == req.verb) {
        return false;
    }
    if let Some(path) = &req.path {
        return rule.non_resource_urls.iter().flatten().any(|u| {
            u == "*" || u == path || u.strip_suffix('*').is_some_and(|p| path.starts_with(p))
        });
    }
    if !any_or(rule.api_groups.as_ref(), &req.api_group) {
        return false;
    }
    let combined = match &req.subresource {
        Some(sub) => format!("{}/{sub}", req.resource),
        None => req.resource.clone(),
    };
    let resource_ok = rule.resources.iter().flatten().any(|r| {
        r == "*"
            || *r == combined
            || req
                .subresource
                .as_ref()
                .is_some_and(|sub| r.strip_prefix("*/") == Some(sub.as_str()))
    });
    if !resource_ok {
        return false;
    }
    match rule.resource_names.as_ref().filter(|n| !n.is_empty()) {
        None => true,
        Some(names) => req.name.as_ref().is_some_and(|n| names.contains(n)),
    }
}

/// One way a request is allowed: a binding, its role and the rule.
#[derive(Debug)]
pub struct Grant<'m, 'v> {
    pub binding: &'m BindingDef<'v>,
    pub role: &'m RoleDef<'v>,
    pub rule: usize,
    /// The binding's subject that grants it.
    pub subject: SubjectRef,
}

impl<'v> RbacModel<'v> {
    fn grants_of<'m>(
        &'m self,
        binding: &'m BindingDef<'v>,
        req: &Request,
    ) -> Option<(&'m RoleDef<'v>, usize)> {
        if !binding.covers(req) {
            return None;
        }
        let role = &self.roles[binding.role?];
        role.rules
            .iter()
            .position(|r| rule_allows(r, req))
            .map(|i| (role, i))
    }

    /// Every way `identity` is allowed `req`; empty means denied.
    pub fn can<'m>(&'m self, identity: &Identity, req: &Request) -> Vec<Grant<'m, 'v>> {
        let mut out = Vec::new();
        for binding in &self.bindings {
            let Some((role, rule)) = self.grants_of(binding, req) else {
                continue;
            };
            let mut subjects = binding
                .entry
                .subjects
                .iter()
                .filter_map(|s| SubjectRef::from_subject(s, binding.namespace()));
            if let Some(subject) = subjects.find(|s| identity.matches(s)) {
                out.push(Grant {
                    binding,
                    role,
                    rule,
                    subject,
                });
            }
        }
        out
    }

    /// Every binding subject allowed `req`, with the grant.
    pub fn who_can<'m>(&'m self, req: &Request) -> Vec<Grant<'m, 'v>> {
        let mut out = Vec::new();
        for binding in &self.bindings {
            let Some((role, rule)) = self.grants_of(binding, req) else {
                continue;
            };
            let subjects = binding.entry.subjects.iter();
            for subject in subjects.filter_map(|s| SubjectRef::from_subject(s, binding.namespace()))
            {
                out.push(Grant {
                    binding,
                    role,
                    rule,
                    subject,
                });
            }
        }
        out.sort_by(|a, b| a.subject.cmp(&b.subject));
        out
    }

    /// The bindings that apply to `identity`, each with its role: its effective
    /// permissions, with their scope (`binding.namespace()`; None means cluster-wide).
    pub fn permissions<'m>(
        &'m self,
        identity: &Identity,
    ) -> Vec<(&'m BindingDef<'v>, Option<&'m RoleDef<'v>>)> {
        let mut indices: Vec<usize> = identity
            .subject_refs()
            .iter()
            .flat_map(|s| self.bindings_naming(s).iter().copied())
            .collect();
        indices.sort_unstable();
        indices.dedup();
        indices
            .into_iter()
            .map(|i| {
                let b = &self.bindings[i];
                (b, b.role.map(|r| &self.roles[r]))
            })
            .collect()
    }
}
