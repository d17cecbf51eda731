//! ## What it does
//! Flags probes (`liveness`, `readiness`, `startup`) and lifecycle hooks
//! (`postStart`, `preStop`) whose `httpGet` or `tcpSocket` sets a `host`.
//!
//! ## Why it matters
//! The kubelet runs probes and hooks from the node. A custom host turns them into a
//! way to make the node send requests anywhere, such as to cloud metadata
//! endpoints or services bound to the node's localhost. PSS baseline forbids it
//! since v1.34.
//!
//! ## Example
//! ```yaml
//! livenessProbe:
//!   httpGet:
//!     host: 169.254.169.254
//!     path: /latest/meta-data/
//!     port: 80
//! ```
//!
//! ## Fix
//! Remove `host`: probes then target the pod's own IP.
//! ```yaml
//! livenessProbe:
//!   httpGet:
//!     path: /healthz
//!     port: 8080   # no host: the pod's own IP
//! ```

use k8s_openapi::api::core::v1::{LifecycleHandler, Probe};

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH112",
    name: "probe-custom-host",
    title: "Probe or lifecycle hook targets a custom host",
    severity: Severity::Medium,
    guidance: &["POD-27"],
    pss: Some(Pss {
        check: "hostProbesAndHostLifecycle",
        level: PssLevel::Baseline,
    }),
    mitre: Some(Mitre {
        id: "T1552.005",
        name: "Unsecured Credentials: Cloud Instance Metadata API",
    }),
    check: Check::Workload(check),
};

/// The host set by a handler's `httpGet` or `tcpSocket`, with which of the two.
fn hosts(http: Option<&str>, tcp: Option<&str>) -> Vec<(&'static str, String)> {
    [("httpGet", http), ("tcpSocket", tcp)]
        .into_iter()
        .filter_map(|(field, host)| {
            host.filter(|h| !h.is_empty())
                .map(|h| (field, h.to_string()))
        })
        .collect()
}

fn probe_hosts(p: &Probe) -> Vec<(&'static str, String)> {
    hosts(
        p.http_get.as_ref().and_then(|h| h.host.as_deref()),
        p.tcp_socket.as_ref().and_then(|t| t.host.as_deref()),
    )
}

fn handler_hosts(h: &LifecycleHandler) -> Vec<(&'static str, String)> {
    hosts(
        h.http_get.as_ref().and_then(|g| g.host.as_deref()),
        h.tcp_socket.as_ref().and_then(|t| t.host.as_deref()),
    )
}

fn check(w: &Workload<'_>, out: &mut Out) {
    for c in w.containers() {
        let ctr = c.container;
        let lifecycle = ctr.lifecycle.as_ref();
        let handlers = [
            (
                "livenessProbe",
                ctr.liveness_probe.as_ref().map(probe_hosts),
            ),
            (
                "readinessProbe",
                ctr.readiness_probe.as_ref().map(probe_hosts),
            ),
            ("startupProbe", ctr.startup_probe.as_ref().map(probe_hosts)),
            (
                "lifecycle.postStart",
                lifecycle
                    .and_then(|l| l.post_start.as_ref())
                    .map(handler_hosts),
            ),
            (
                "lifecycle.preStop",
                lifecycle
                    .and_then(|l| l.pre_stop.as_ref())
                    .map(handler_hosts),
            ),
        ];
        for (field, found) in handlers {
            for (kind, host) in found.into_iter().flatten() {
                out.container(
                    &c,
                    c.path.join(field).key(kind).key("host"),
                    format!("container {:?} {field} targets host {host:?}", c.name()),
                );
            }
        }
    }
}
