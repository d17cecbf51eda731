//! What guards and runs the platform under the workloads, as a live cluster (or a
//! dump or snapshot of one) shows it: its admission webhooks and
//! ValidatingAdmissionPolicies (what they check, their failure policy, what they
//! skip), and the control-plane pods the kubelets mirror into `kube-system` (their
//! command lines hold the API server's, controller manager's, scheduler's and etcd's
//! flags). Rules read these from `ClusterView::platform` (Nodes and RuntimeClasses
//! are `ClusterView::nodes` and `runtime_classes`); manifests seldom hold them, and
//! then they are judged the same way.

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhook, ValidatingAdmissionPolicyBindingSpec, ValidatingAdmissionPolicySpec,
    ValidatingWebhook,
};
use kubeharden_load::{read_field, LoadError, Object};
use kubeharden_yaml::Node;

use crate::facts::Origin;

/// A ValidatingWebhookConfiguration or MutatingWebhookConfiguration.
#[derive(Clone, Debug)]
pub struct WebhookConfigEntry {
    pub origin: Origin,
    pub root: Node,
    /// Each webhook's path is `webhooks[i]`.
    pub webhooks: Webhooks,
}

#[derive(Clone, Debug)]
pub enum Webhooks {
    Validating(Vec<ValidatingWebhook>),
    Mutating(Vec<MutatingWebhook>),
}

/// A ValidatingAdmissionPolicy.
#[derive(Clone, Debug)]
pub struct AdmissionPolicyEntry {
    pub origin: Origin,
    pub root: Node,
    pub spec: ValidatingAdmissionPolicySpec,
}

/// A ValidatingAdmissionPolicyBinding.
#[derive(Clone, Debug)]
pub struct AdmissionPolicyBindingEntry {
    pub origin: Origin,
    pub root: Node,
    pub spec: ValidatingAdmissionPolicyBindingSpec,
}

/// The platform objects of a scan.
#[derive(Debug, Default)]
pub struct Platform {
    pub webhooks: Vec<WebhookConfigEntry>,
    pub admission_policies: Vec<AdmissionPolicyEntry>,
    pub admission_policy_bindings: Vec<AdmissionPolicyBindingEntry>,
    /// Pods in `kube-system` that a kubelet mirrors from its static pod manifests
    /// (annotation `kubernetes.io/config.mirror`), whole: on a self-managed control
    /// plane, kube-apiserver, kube-controller-manager, kube-scheduler and etcd.
    pub control_plane_pods: Vec<Object>,
}

/// The annotation a kubelet puts on the API's copy of a static pod.
pub const MIRROR_ANNOTATION: &str = "kubernetes.io/config.mirror";

impl Platform {
    pub(crate) fn merge(&mut self, other: Platform) {
        self.webhooks.extend(other.webhooks);
        self.admission_policies.extend(other.admission_policies);
        self.admission_policy_bindings
            .extend(other.admission_policy_bindings);
        self.control_plane_pods.extend(other.control_plane_pods);
    }

    /// Keeps `object` if it is a platform object; false otherwise.
    pub(crate) fn observe(
        &mut self,
        group: &str,
        kind: &str,
        object: &Object,
        errors: &mut Vec<LoadError>,
    ) -> bool {
        let origin = || Origin::of(object);
        let root = || object.root.clone();
        match (group, kind) {
            ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration") => {
                let webhooks = read_field(object, "webhooks", errors).unwrap_or_default();
                self.webhooks.push(WebhookConfigEntry {
                    origin: origin(),
                    root: root(),
                    webhooks: Webhooks::Validating(webhooks),
                });
            }
            ("admissionregistration.k8s.io", "MutatingWebhookConfiguration") => {
                let webhooks = read_field(object, "webhooks", errors).unwrap_or_default();
                self.webhooks.push(WebhookConfigEntry {
                    origin: origin(),
                    root: root(),
                    webhooks: Webhooks::Mutating(webhooks),
                });
            }
            ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy") => {
                if let Some(spec) = read_field(object, "spec", errors) {
                    self.admission_policies.push(AdmissionPolicyEntry {
                        origin: origin(),
                        root: root(),
                        spec,
                    });
                }
            }
            ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding") => {
                if let Some(spec) = read_field(object, "spec", errors) {
                    self.admission_policy_bindings
                        .push(AdmissionPolicyBindingEntry {
                            origin: origin(),
                            root: root(),
                            spec,
                        });
                }
            }
            _ => return false,
        }
        true
    }

    /// Keeps a control-plane mirror pod whole.
    pub(crate) fn observe_pod(&mut self, object: &Object) {
        let res = &object.resource;
        let mirrored = object
            .root
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(MIRROR_ANNOTATION))
            .is_some();
        if res.kind == "Pod"
            && res.api_version == "v1"
            && res.namespace.as_deref() == Some("kube-system")
            && mirrored
        {
            self.control_plane_pods.push(object.clone());
        }
    }

    /// Sorted by file and object, so rules see them in a stable order.
    pub(crate) fn sort(&mut self) {
        let key = |o: &Origin| (o.file.clone(), o.resource.clone());
        self.webhooks.sort_by_key(|w| key(&w.origin));
        self.admission_policies.sort_by_key(|p| key(&p.origin));
        self.admission_policy_bindings
            .sort_by_key(|b| key(&b.origin));
        self.control_plane_pods
            .sort_by(|a, b| (&a.file, &a.resource).cmp(&(&b.file, &b.resource)));
    }
}

#[cfg(test)]
mod tests {
    use crate::{ClusterFacts, ClusterView};

    fn view(text: &str) -> ClusterView {
        let loaded = kubeharden_load::load_text(&"dump.yaml".into(), text, &Default::default());
        let mut facts = ClusterFacts::default();
        for o in &loaded.objects {
            let w = kubeharden_load::Workload::from_object(o).map(|(w, _)| w);
            assert!(facts.observe(o, w.as_ref()).is_empty());
        }
        ClusterView::build(facts)
    }

    #[test]
    fn webhooks_policies_and_control_plane_pods_beside_nodes_and_runtime_classes() {
        let v = view(
            r#"apiVersion: v1
kind: Node
metadata: {name: cp-1, labels: {node-role.kubernetes.io/control-plane: ""}}
spec: {taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]}
status:
  addresses: [{type: InternalIP, address: 10.0.0.10}]
  nodeInfo: {kubeletVersion: v1.30.4, containerRuntimeVersion: containerd://1.7.20, kernelVersion: 6.8.0-45-generic,
    osImage: Ubuntu 24.04 LTS, architecture: amd64, operatingSystem: linux, bootID: b, machineID: m, systemUUID: s, kubeProxyVersion: ""}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: policy}
webhooks:
- name: validate.policy.example.com
  clientConfig: {service: {name: policy, namespace: policy}}
  failurePolicy: Ignore
  sideEffects: None
  admissionReviewVersions: [v1]
  namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-privileged}
spec:
  failurePolicy: Fail
  validations: [{expression: "true"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: no-privileged}
spec: {policyName: no-privileged, validationActions: [Deny]}
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: gvisor}
handler: runsc
---
apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver-cp-1
  namespace: kube-system
  annotations: {kubernetes.io/config.mirror: 3a1f, kubernetes.io/config.source: file}
spec:
  nodeName: cp-1
  runtimeClassName: gvisor
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.30.4
    command: [kube-apiserver, --anonymous-auth=true]
"#,
        );
        let p = &v.platform;
        assert_eq!(v.nodes[0].kubelet_version.as_deref(), Some("v1.30.4"));
        assert_eq!(
            v.nodes[0].kernel_version.as_deref(),
            Some("6.8.0-45-generic")
        );
        match &p.webhooks[0].webhooks {
            super::Webhooks::Validating(w) => {
                assert_eq!(w[0].failure_policy.as_deref(), Some("Ignore"))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            p.admission_policies[0].spec.failure_policy.as_deref(),
            Some("Fail")
        );
        assert_eq!(
            p.admission_policy_bindings[0].spec.validation_actions,
            vec!["Deny".to_string()]
        );
        assert_eq!(v.runtime_classes[0].handler, "runsc");
        assert_eq!(p.control_plane_pods.len(), 1);
        assert_eq!(v.pods[0].runtime_class.as_deref(), Some("gvisor"));
    }
}
