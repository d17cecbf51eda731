//! ## What it does
//! Flags container ports with a non-zero `hostPort`.
//!
//! ## Why it matters
//! A host port binds the container directly to the node's network interface,
//! bypassing Services and most NetworkPolicy implementations, and ties the pod to
//! nodes where the port is free. PSS baseline forbids host ports.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: web
//!   image: registry.example.com/web:2.0.1
//!   ports:
//!   - containerPort: 8080
//!     hostPort: 80
//! ```
//!
//! ## Fix
//! Remove `hostPort` and expose the port through a Service (ClusterIP, or an Ingress
//! or LoadBalancer in front of it).
//! ```yaml
//! apiVersion: v1
//! kind: Service
//! spec:
//!   selector: {app: web}
//!   ports:
//!   - port: 80
//!     targetPort: 8080   # the containerPort, without hostPort
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH104",
    name: "host-port",
    title: "Container binds a host port",
    severity: Severity::Medium,
    guidance: &["POD-17"],
    pss: Some(Pss {
        check: "hostPorts",
        level: PssLevel::Baseline,
    }),
    mitre: None,
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    for c in w.containers() {
        for (i, port) in c.container.ports.iter().flatten().enumerate() {
            if let Some(host_port) = port.host_port.filter(|p| *p != 0) {
                out.container(
                    &c,
                    c.path.key("ports").index(i).key("hostPort"),
                    format!("container {:?} binds host port {host_port}", c.name()),
                );
            }
        }
    }
}
