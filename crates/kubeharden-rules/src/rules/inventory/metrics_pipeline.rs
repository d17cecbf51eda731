//! ## What it does
//! Flags a cluster with no metrics pipeline: no workload among the scanned objects runs metrics-server, Prometheus (or its operator, agent or Thanos), VictoriaMetrics, the OpenTelemetry Collector, Grafana Alloy or Agent, or a vendor's metrics agent (Datadog, New Relic, Dynatrace, Sysdig, Azure's, Google's), and no Prometheus operator resource (`monitoring.coreos.com`) is in the scan.
//!
//! Judged only when the input looks like a whole cluster: it holds Node objects or kube-system workloads. A managed offering that runs outside the cluster's objects cannot be seen.
//!
//! ## Why it matters
//! The guidance asks for a metrics logger: without one there is no baseline of CPU, memory and network use, so a miner, a flood of pods or an exfiltration burst does not stand out, and alerts on resource use (DET-22) have nothing to read.
//!
//! ## Example
//! A cluster dump with the nodes, CoreDNS and the applications, and no metrics-server or Prometheus.
//!
//! ## Fix
//! Install metrics-server (it also feeds `kubectl top` and autoscaling) and a Prometheus-compatible pipeline that keeps the history and alerts on deviations.
//!
//! No YAML snippet: the fix is to install metrics-server and a monitoring stack from
//! their projects' manifests or charts, not a change to the scanned objects.

use super::{report_on_cluster, running, why_not_whole};
use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH902",
    name: "no-metrics-pipeline",
    title: "No metrics pipeline in the cluster",
    severity: Severity::Low,
    guidance: &["LOG-14"],
    pss: None,
    mitre: None,
    check: Check::Cluster(check),
};

/// Image repositories of metrics collectors (path suffixes or last segments).
const COLLECTORS: &[&str] = &[
    "metrics-server",
    "prometheus",
    "prometheus-operator",
    "prometheus-config-reloader",
    "prom/prometheus",
    "thanos",
    "victoria-metrics",
    "vmagent",
    "vmsingle",
    "opentelemetry-collector",
    "opentelemetry-collector-contrib",
    "otel/opentelemetry-collector",
    "alloy",
    "grafana/agent",
    "datadog/agent",
    "datadog-agent",
    "nri-kubernetes",
    "dynatrace-operator",
    "sysdig/agent",
    "ama-metrics",
    "gke-metrics-agent",
    "cloudwatch-agent",
    "kube-state-metrics",
];

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    if let Some(why) = why_not_whole(ctx.view) {
        out.not_judged("cluster", why);
        return;
    }
    let operator_objects = ctx
        .view
        .custom
        .iter()
        .any(|c| c.group == "monitoring.coreos.com");
    if operator_objects || running(ctx.view, &[], COLLECTORS).is_some() {
        return;
    }
    report_on_cluster(
        ctx,
        out,
        "no workload runs a metrics pipeline (metrics-server, Prometheus, an OpenTelemetry Collector, ...): resource use has no baseline to alert on",
    );
}
