//! ## What it does
//! Flags a cluster with no node logging agent: no DaemonSet among the scanned objects runs a known agent (Fluent Bit, Fluentd, Vector, Promtail, Grafana Alloy or Agent, Filebeat, Elastic Agent, the OpenTelemetry Collector, Datadog, Splunk, Sumo Logic, New Relic, Logstash, Google's or Azure's agents, Sysdig, Wazuh). The agent is recognised by its image's repository name, behind any registry or mirror.
//!
//! Judged only when the input looks like a whole cluster: it holds Node objects or kube-system workloads (a live scan, or `kubectl get all,nodes -A -o yaml`). A folder of one application's manifests is not judged. A cloud provider's logging that runs outside the cluster's objects cannot be seen.
//!
//! ## Why it matters
//! A container's logs live on its node and go with it: when a pod is evicted, a node is replaced or an attacker cleans up, the evidence is gone. The guidance asks for remote logging through a node agent, commonly a DaemonSet, so that logs outlive the node and reach a place attackers do not control.
//!
//! ## Example
//! A cluster dump with the nodes, CoreDNS and the applications, and no log-shipping DaemonSet.
//!
//! ## Fix
//! Run a log agent as a DaemonSet on every node (tolerating the control-plane taints), reading `/var/log/pods` through a read-only hostPath and sending to a log store outside the cluster.
//! ```yaml
//! apiVersion: apps/v1
//! kind: DaemonSet
//! metadata: {name: log-agent, namespace: logging}
//! spec:
//!   selector: {matchLabels: {app: log-agent}}
//!   template:
//!     metadata: {labels: {app: log-agent}}
//!     spec:
//!       tolerations:
//!       - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}
//!       containers:
//!       - name: agent
//!         image: fluent/fluent-bit:3.1.9
//!         volumeMounts:
//!         - {name: pods, mountPath: /var/log/pods, readOnly: true}
//!       volumes:
//!       - name: pods
//!         hostPath: {path: /var/log/pods}
//! ```

use super::{report_on_cluster, running, why_not_whole};
use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH901",
    name: "no-node-log-agent",
    title: "No node logging agent in the cluster",
    severity: Severity::Medium,
    guidance: &["LOG-11"],
    pss: None,
    mitre: None,
    check: Check::Cluster(check),
};

/// Image repositories of node log agents (path suffixes or last segments).
const AGENTS: &[&str] = &[
    "fluent-bit",
    "fluentd",
    "fluentd-kubernetes-daemonset",
    "fluent-operator",
    "vector",
    "promtail",
    "alloy",
    "grafana/agent",
    "filebeat",
    "elastic-agent",
    "opentelemetry-collector",
    "opentelemetry-collector-contrib",
    "opentelemetry-collector-k8s",
    "otel/opentelemetry-collector",
    "datadog/agent",
    "datadog-agent",
    "splunk-otel-collector",
    "sumologic-otel-collector",
    "newrelic-fluentbit-output",
    "nri-kubernetes",
    "logstash",
    "fluent-bit-gke-exporter",
    "ama-logs",
    "cloudwatch-agent",
    "aws-for-fluent-bit",
    "sysdig/agent",
    "wazuh-agent",
    "logging-agent",
];

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    if let Some(why) = why_not_whole(ctx.view) {
        out.not_judged("cluster", why);
        return;
    }
    if running(ctx.view, &["DaemonSet"], AGENTS).is_some() {
        return;
    }
    report_on_cluster(
        ctx,
        out,
        "no DaemonSet runs a node log agent (Fluent Bit, Fluentd, Vector, Promtail, Filebeat, ...): container logs die with their node",
    );
}
