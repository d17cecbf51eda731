//! ## What it does
//! Flags pods and workloads created in `kube-system` by users and service accounts that are not Kubernetes components.
//!
//! ## Why it matters
//! kube-system is usually exempt from Pod Security enforcement and full of powerful service accounts. Attackers deploy there to blend in with cluster components.
//!
//! ## Example
//! User `bob` creates a DaemonSet `kube-proxy-helper` in kube-system.
//!
//! ## Fix
//! Verify the workload. System add-ons should be installed by their operators or the platform pipeline.
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{is_system, object_name, observe, subject, threshold, WRITE_VERBS};

pub const RULE: RuleDef = RuleDef {
    id: "KH808",
    name: "user-workload-in-kube-system",
    title: "Workload created in kube-system by a non-system user",
    severity: Severity::High,
    guidance: &["DET-02", "NS-01"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1610",
        name: "Deploy Container",
    }),
    check: Check::Audit(build),
};

struct KubeSystem;

fn build(_: &AuditConfig) -> Box<dyn Detector> {
    Box::new(KubeSystem)
}

impl Detector for KubeSystem {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        if event.verb() == "create"
            && event.subresource().is_empty()
            && kubeharden_audit::request::is_workload(event.resource())
            && event.namespace() == Some("kube-system")
            && event.succeeded()
            && !is_system(event.username())
        {
            let message = format!(
                "{} created {} in kube-system",
                subject(event),
                object_name(event)
            );
            sink.raise(
                observe(RULE.id, object_name(event), event, message),
                event,
                at,
            );
        }
    }
}
