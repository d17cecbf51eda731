//! Which kinds live in a namespace, and the namespace an object without one lands in.

use std::sync::Arc;

use crate::object::{Object, Resource};

/// The namespace `kubectl apply` puts a namespaced object that names none in, unless
/// told otherwise (`--default-namespace`).
pub const DEFAULT_NAMESPACE: &str = "default";

/// API groups whose kinds Kubernetes itself serves, or served (`extensions`, whose
/// Deployments and Ingresses old charts still write): their scope is known.
const BUILT_IN_GROUPS: [&str; 22] = [
    "",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "apps",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "extensions",
    "flowcontrol.apiserver.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "resource.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
];

/// Whether the API server serves `group` itself (its kinds' scope is known here).
pub fn is_builtin_group(group: &str) -> bool {
    BUILT_IN_GROUPS.contains(&group)
}

/// Kinds of the built-in groups that are not in any namespace.
const CLUSTER_SCOPED: [&str; 30] = [
    "Namespace",
    "Node",
    "PersistentVolume",
    "ComponentStatus",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "CustomResourceDefinition",
    "APIService",
    "TokenReview",
    "SelfSubjectReview",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "SubjectAccessReview",
    "CertificateSigningRequest",
    "ClusterTrustBundle",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "IngressClass",
    "IPAddress",
    "ServiceCIDR",
    "RuntimeClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "PriorityClass",
    "StorageClass",
    "VolumeAttachment",
];

/// More cluster-scoped built-in kinds (storage, dynamic resource allocation, and
/// the removed PodSecurityPolicy of `policy/v1beta1` and `extensions/v1beta1`).
const CLUSTER_SCOPED_MORE: [&str; 6] = [
    "PodSecurityPolicy",
    "CSIDriver",
    "CSINode",
    "VolumeAttributesClass",
    "DeviceClass",
    "ResourceSlice",
];

/// Whether objects of this kind live in a namespace: known for Kubernetes' own kinds,
/// None for custom kinds (their CustomResourceDefinition decides, and may not be in
/// the scan).
pub fn is_namespaced(api_version: &str, kind: &str) -> Option<bool> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    if !BUILT_IN_GROUPS.contains(&group) || api_version.is_empty() {
        return None;
    }
    Some(!CLUSTER_SCOPED.contains(&kind) && !CLUSTER_SCOPED_MORE.contains(&kind))
}

impl Object {
    /// Puts a namespaced object that names no namespace in `namespace`, as
    /// `kubectl apply --namespace` would; findings then show where it lands. Objects
    /// of a custom kind keep none, since their scope is not known here.
    pub fn default_namespace(&mut self, namespace: &str) {
        let res = &self.resource;
        if res.namespace.is_some() || is_namespaced(&res.api_version, &res.kind) != Some(true) {
            return;
        }
        self.resource = Arc::new(Resource {
            namespace: Some(namespace.to_string()),
            ..(**res).clone()
        });
        self.namespace_defaulted = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(api_version: &str, kind: &str, namespace: Option<&str>) -> Object {
        Object {
            file: "t.yaml".into(),
            helm_source: None,
            resource: Arc::new(Resource {
                api_version: api_version.into(),
                kind: kind.into(),
                namespace: namespace.map(str::to_string),
                name: "x".into(),
            }),
            root: kubeharden_yaml::Node {
                pos: kubeharden_yaml::Pos::default(),
                value: kubeharden_yaml::Value::Map(Vec::new()),
            },
            namespace_defaulted: false,
        }
    }

    #[test]
    fn namespaced_built_ins_get_the_default_and_say_so() {
        let mut pod = object("v1", "Pod", None);
        pod.default_namespace("team-a");
        assert_eq!(pod.resource.namespace.as_deref(), Some("team-a"));
        assert!(pod.namespace_defaulted);
        let mut explicit = object("apps/v1", "Deployment", Some("shop"));
        explicit.default_namespace("team-a");
        assert_eq!(explicit.resource.namespace.as_deref(), Some("shop"));
        assert!(!explicit.namespace_defaulted);
        // The removed `extensions` group's workloads too, as old charts write them.
        for kind in ["Deployment", "DaemonSet", "Ingress", "NetworkPolicy"] {
            let mut old = object("extensions/v1beta1", kind, None);
            old.default_namespace("team-a");
            assert_eq!(old.resource.namespace.as_deref(), Some("team-a"), "{kind}");
        }
    }

    #[test]
    fn cluster_scoped_and_custom_kinds_keep_none() {
        for (api, kind) in [
            ("rbac.authorization.k8s.io/v1", "ClusterRole"),
            ("v1", "Namespace"),
            ("storage.k8s.io/v1", "CSIDriver"),
            ("policy/v1beta1", "PodSecurityPolicy"),
            ("extensions/v1beta1", "PodSecurityPolicy"),
            ("cert-manager.io/v1", "Issuer"),
            ("", "Dockerfile"),
        ] {
            let mut o = object(api, kind, None);
            o.default_namespace("team-a");
            assert_eq!(o.resource.namespace, None, "{kind}");
        }
    }
}
