//! ## What it does
//! Flags workloads scaled, rolled out or given new images by people and service accounts that are not Kubernetes components: writes to the `scale` subresource of Deployments, StatefulSets, ReplicaSets and ReplicationControllers, and patches or updates of those and of DaemonSets whose body sets `spec.replicas` or the pod template (container images, `kubectl rollout restart`). One alert per workload, counting the writes.
//!
//! What the event shows depends on the audit level. A `scale` write is seen at level `Metadata` (the new count only from `Request` on). Any other write is judged from its body, logged from level `Request`: at `Metadata` an image change is not visible and is not reported. An `update` sends the whole object, so its alert says what the workload now runs, not what changed. Kubernetes' own controllers (the horizontal pod autoscaler, the deployment controller) are not reported.
//!
//! ## Why it matters
//! Changing a workload's image is the quiet way to run other code under its service account, secrets and network access; scaling a miner up, or a guard down to zero, leaves no new object behind. The guidance lists pod scaling and image or container changes among the events to alert on.
//!
//! ## Example
//! ```text
//! mallory patched deployments shop/web: images nginx:1.28
//! ci-bot patched deployments/scale shop/web: scaled to 30 replicas
//! ```
//!
//! ## Fix
//! Check that the change came from the release process. Let only the deploying identity (a CI service account) write workloads, and keep the audit policy at level `Request` for `apps` writes so image changes are logged.
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{
    did, is_system, object_name, observe, subject, threshold, WRITE_VERBS,
};
use kubeharden_audit::request::{workload_change, WorkloadChange};

pub const RULE: RuleDef = RuleDef {
    id: "KH820",
    name: "workload-scaled-or-changed",
    title: "Workload scaled, rolled out or given a new image",
    severity: Severity::Low,
    guidance: &["DET-21"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1525",
        name: "Implant Internal Image",
    }),
    check: Check::Audit(build),
};

struct WorkloadChanges;

fn build(_: &AuditConfig) -> Box<dyn Detector> {
    Box::new(WorkloadChanges)
}

impl Detector for WorkloadChanges {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        if !event.succeeded() || is_system(event.username()) {
            return;
        }
        let Some(change) = workload_change(event) else {
            return;
        };
        let target = match event.subresource() {
            "" => object_name(event),
            sub => object_name(event).replacen(' ', &format!("/{sub} "), 1),
        };
        let message = format!(
            "{} {} {target}: {}",
            subject(event),
            did(event.verb()),
            describe(&change)
        );
        // Changes of different kinds to one workload (a scale, then a restart) are
        // separate alerts: merged under one key, the first one's words hid the rest.
        let key = format!("{} {}", object_name(event), kinds(&change));
        sink.raise(observe(RULE.id, key, event, message), event, at);
    }
}

/// The kinds of change, for grouping: `scale`, `image`, `restart`, `template`.
fn kinds(change: &WorkloadChange) -> String {
    let mut kinds = Vec::new();
    if change.scaled {
        kinds.push("scale");
    }
    if !change.images.is_empty() {
        kinds.push("image");
    }
    if change.restarted {
        kinds.push("restart");
    } else if change.template && change.images.is_empty() {
        kinds.push("template");
    }
    kinds.join("+")
}

/// What the change did, in words.
fn describe(change: &WorkloadChange) -> String {
    let mut parts = Vec::new();
    if change.scaled {
        parts.push(match change.replicas {
            Some(n) => format!("scaled to {n} replicas"),
            None => "scaled (count not logged)".to_string(),
        });
    }
    if !change.images.is_empty() {
        let verb = if change.whole_object {
            "runs"
        } else {
            "images"
        };
        parts.push(format!("{verb} {}", change.images.join(", ")));
    }
    if change.restarted {
        parts.push("rollout restarted".to_string());
    } else if change.template && change.images.is_empty() {
        parts.push("pod template changed".to_string());
    }
    parts.join("; ")
}
