//! ## What it does
//! Flags created or changed pods and workloads whose images or command lines name known miners (xmrig, xmr-stak, cpuminer, minerd, ethminer, nbminer, t-rex, lolminer, phoenixminer, nanominer, gminer) or mining-pool protocols and hosts (`stratum+tcp://`, `stratum+ssl://`, well-known pools).
//!
//! ## Why it matters
//! Attackers take clusters for their compute as much as for data, as the guidance notes. A miner is usually deployed through the API like any workload.
//!
//! ## Example
//! A Deployment with image `xmrig/xmrig` and args `-o stratum+tcp://pool.example:3333`.
//!
//! ## Fix
//! Delete the workload, find the credential that created it, and set resource quotas so a miner cannot take a node.
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
    id: "KH817",
    name: "cryptomining-workload",
    title: "Workload names a cryptominer or mining pool",
    severity: Severity::Critical,
    guidance: &["DET-02", "DET-11"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1496",
        name: "Resource Hijacking",
    }),
    check: Check::Audit(build),
};

const MINERS: [&str; 11] = [
    "xmrig",
    "xmr-stak",
    "cpuminer",
    "minerd",
    "ethminer",
    "nbminer",
    "t-rex",
    "lolminer",
    "phoenixminer",
    "nanominer",
    "gminer",
];
const POOLS: [&str; 7] = [
    "stratum+tcp://",
    "stratum+ssl://",
    "stratum2+tcp://",
    "minexmr",
    "nanopool.org",
    "2miners.com",
    "supportxmr",
];

struct Mining;

fn build(_: &AuditConfig) -> Box<dyn Detector> {
    Box::new(Mining)
}

impl Detector for Mining {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink) {
        if !event.succeeded() {
            return;
        }
        let Some(facts) = kubeharden_audit::request::pod_facts(event) else {
            return;
        };
        let texts = facts
            .images
            .iter()
            .chain(&facts.command_lines)
            .map(|t| t.to_ascii_lowercase());
        let hit = texts
            .flat_map(|t| {
                MINERS
                    .iter()
                    .chain(&POOLS)
                    .filter(move |m| t.contains(*m))
                    .map(|m| m.to_string())
                    .collect::<Vec<_>>()
            })
            .next();
        if let Some(word) = hit {
            let message = format!(
                "{} {} {} naming {word}",
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
