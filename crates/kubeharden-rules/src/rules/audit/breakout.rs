//! ## What it does
//! Flags pod creation whose source address lies in the cluster's pod or node ranges (`--cluster-cidr`, repeatable). Without ranges it is off. Kubernetes' own components (`system:` users such as kubelets and the controller manager, and kube-system service accounts) are expected to create pods from node addresses and are left out.
//!
//! ## Why it matters
//! Pods do not normally create pods, and nodes only create their mirror pods. A pod creation from inside the cluster network suggests an attacker who escaped a container and uses its credentials. The guidance suggests evicting the pod.
//!
//! ## Example
//! `system:serviceaccount:shop:web` creates a pod from 10.244.3.17.
//!
//! ## Fix
//! Evict the created pod, isolate the source pod or node, rotate the account's token.
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{is_system, object_name, observe, subject, threshold, WRITE_VERBS};

pub const RULE: RuleDef = RuleDef {
    id: "KH814",
    name: "pod-created-from-cluster-network",
    title: "Pod created from a pod or node address (container breakout)",
    severity: Severity::Critical,
    guidance: &["DET-04"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1611",
        name: "Escape to Host",
    }),
    check: Check::Audit(build),
};

use kubeharden_audit::net::{in_any, Cidr};

struct Breakout {
    ranges: Vec<Cidr>,
}

fn build(config: &AuditConfig) -> Box<dyn Detector> {
    Box::new(Breakout {
        ranges: config.cluster_cidrs.clone(),
    })
}

impl Detector for Breakout {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        if self.ranges.is_empty()
            || event.resource() != "pods"
            || !event.subresource().is_empty()
            || event.verb() != "create"
            || !event.succeeded()
        {
            return;
        }
        // Kubelets create their static pods' mirror pods, and the controller manager
        // (or its controllers' service accounts) creates pods from node addresses:
        // Kubernetes' own components do this by design.
        if is_system(event.username()) {
            return;
        }
        if event.source_ips.iter().any(|ip| in_any(&self.ranges, ip)) {
            let message = format!(
                "{} created {} from cluster address {}",
                subject(event),
                object_name(event),
                event.source_ip()
            );
            sink.raise(
                observe(
                    RULE.id,
                    format!("{} {}", event.username(), event.source_ip()),
                    event,
                    message,
                ),
                event,
                at,
            );
        }
    }
}
