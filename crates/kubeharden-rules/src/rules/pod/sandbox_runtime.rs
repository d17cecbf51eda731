//! ## What it does
//! Flags less-trusted workloads that do not run in a sandbox. A workload is less trusted when its pod template, its controller or its Namespace carries the label `kubeharden.io/trust: low` (or `untrusted`). It runs in a sandbox when its `runtimeClassName` names a RuntimeClass whose `handler` is a sandboxed runtime: gVisor (`runsc`, `gvisor`), Kata Containers (`kata`, `kata-qemu`, `kata-fc`, ...) or Windows Hyper-V isolation (`runhcs-wcow-hypervisor`).
//!
//! A class the scan does not hold cannot be judged from its name alone: the workload is listed as not judged. Workloads without the label are not judged at all, as the guidance leaves the choice of which workloads to isolate to the operator. RuntimeClasses come from the scan, so include them (`kubectl get runtimeclasses -o yaml`).
//!
//! ## Why it matters
//! Every container on a node shares the node's kernel: one kernel bug is a way out of the container. A sandbox puts a second kernel (gVisor's, or a light virtual machine's) between the workload and the node. The guidance asks for hypervisor-backed isolation or application sandboxes for less-trusted workloads: third-party code, user-supplied jobs, build runners.
//!
//! ## Example
//! ```yaml
//! apiVersion: apps/v1
//! kind: Deployment
//! metadata: {name: user-jobs, labels: {kubeharden.io/trust: low}}
//! spec:
//!   template:
//!     spec:
//!       containers: [{name: job, image: registry.example.com/runner:1.4}]
//! ```
//!
//! ## Fix
//! Install a sandboxed runtime on the nodes, declare it, and run the workload under it:
//! ```yaml
//! apiVersion: node.k8s.io/v1
//! kind: RuntimeClass
//! metadata: {name: gvisor}
//! handler: runsc
//! ---
//! # in the pod template
//! spec: {runtimeClassName: gvisor}
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH141",
    name: "untrusted-workload-not-sandboxed",
    title: "Less-trusted workload runs without a sandboxed runtime",
    severity: Severity::Medium,
    guidance: &["POD-33"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Cluster(check),
};

/// The label that marks a workload, its controller or its namespace less trusted.
pub const TRUST_LABEL: &str = "kubeharden.io/trust";

/// Whether a RuntimeClass handler is a sandboxed runtime.
fn is_sandbox(handler: &str) -> bool {
    let h = handler.to_ascii_lowercase();
    h.contains("runsc")
        || h.contains("gvisor")
        || h.contains("kata")
        || h == "runhcs-wcow-hypervisor"
}

fn low_trust(labels: &kubeharden_cluster::Labels) -> bool {
    labels
        .get(TRUST_LABEL)
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "low" | "untrusted"))
}

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    let view = ctx.view;
    let sandboxes: Vec<&str> = view
        .runtime_classes
        .iter()
        .filter(|c| is_sandbox(&c.handler))
        .map(|c| c.origin.resource.name.as_str())
        .collect();
    for pod in &view.pods {
        let (ns_labels, _) = view.namespace_labels(&pod.namespace, &pod.origin.file);
        if !(low_trust(&pod.labels) || low_trust(&pod.controller_labels) || low_trust(&ns_labels)) {
            continue;
        }
        let workload = format!(
            "{} {}/{}",
            pod.origin.resource.kind, pod.namespace, pod.origin.resource.name
        );
        let problem = match &pod.runtime_class {
            None => "sets no runtimeClassName".to_string(),
            Some(class) if sandboxes.contains(&class.as_str()) => continue,
            Some(class) => match view
                .runtime_classes
                .iter()
                .find(|c| &c.origin.resource.name == class)
            {
                Some(c) => format!(
                    "runs under RuntimeClass {class}, whose handler {:?} is not a sandbox",
                    c.handler
                ),
                None => {
                    out.not_judged(
                        workload,
                        format!("RuntimeClass {class} is not in the scan: its handler is unknown"),
                    );
                    continue;
                }
            },
        };
        let offer = match sandboxes.first() {
            Some(name) => format!("the scan's RuntimeClass {name} is one"),
            None => "the scan holds no sandboxed RuntimeClass".to_string(),
        };
        out.at_pod(
            pod,
            pod.spec_path.clone(),
            pod.spec_pos,
            format!(
                "{workload} is marked less trusted ({TRUST_LABEL}) but {problem}: run it in a sandbox (gVisor, Kata); {offer}"
            ),
        );
    }
}
