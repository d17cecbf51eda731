//! ## What it does
//! Flags successful writes to CronJobs by subjects that are not Kubernetes components.
//!
//! ## Why it matters
//! A CronJob runs its code again and again: attackers use them for persistence and to restart miners that get killed.
//!
//! ## Example
//! A CronJob `cleanup` created in namespace `default` by a service account of another namespace.
//!
//! ## Fix
//! Review the schedule, image and service account of the job.
//!
//! No YAML snippet: this rule reports what happened, from the audit log; the response
//! is to investigate the identity and objects it names, and the fix, if any, is on them
//! (their rules show it).

use crate::prelude::*;
#[allow(unused_imports)]
use crate::support::audit::{
    did, is_system, object_name, observe, subject, threshold, WRITE_VERBS,
};

pub const RULE: RuleDef = RuleDef {
    id: "KH809",
    name: "cronjob-created",
    title: "CronJob created or changed",
    severity: Severity::Low,
    guidance: &["DET-10"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1053.007",
        name: "Scheduled Task/Job: Container Orchestration Job",
    }),
    check: Check::Audit(build),
};

struct CronJobs;

fn build(_: &AuditConfig) -> Box<dyn Detector> {
    Box::new(CronJobs)
}

impl Detector for CronJobs {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        if event.resource() == "cronjobs"
            && event.subresource().is_empty()
            && matches!(event.verb(), "create" | "update" | "patch")
            && event.succeeded()
            && !is_system(event.username())
        {
            let message = format!(
                "{} {} {}",
                subject(event),
                did(event.verb()),
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
