//! ## What it does
//! Flags non-system subjects that can create or change pods or pod controllers
//! (Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs, CronJobs).
//!
//! ## Why it matters
//! Whoever can create a pod in a namespace can run it as any service account of that
//! namespace, mount its Secrets, and, without Pod Security enforcement, mount the
//! host. Pod creation is privilege over everything the namespace holds.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [apps], resources: [deployments], verbs: [create, update]}
//! ```
//!
//! ## Fix
//! Deploy through a pipeline identity (GitOps), enforce Pod Security `restricted` in
//! the namespace, and give people read access.
//! ```yaml
//! # people read; a pipeline identity deploys
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: Role
//! metadata: {name: developer-read, namespace: shop}
//! rules:
//! - {apiGroups: [apps], resources: [deployments, replicasets], verbs: [get, list, watch]}
//! - {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list, watch]}
//! ---
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: RoleBinding
//! metadata: {name: developer-read, namespace: shop}
//! roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: developer-read}
//! subjects:
//! - {kind: Group, name: shop-developers, apiGroup: rbac.authorization.k8s.io}
//! ---
//! apiVersion: v1
//! kind: Namespace
//! metadata:
//!   name: shop
//!   labels: {pod-security.kubernetes.io/enforce: restricted}
//! ```

use crate::prelude::*;
use crate::support::rbac::report_grants;

pub const RULE: RuleDef = RuleDef {
    id: "KH606",
    name: "rbac-create-workloads",
    title: "Subject can create pods or pod controllers",
    severity: Severity::Medium,
    guidance: &["POD-32", "RBAC-05"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1610",
        name: "Deploy Container",
    }),
    check: Check::Cluster(check),
};

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    let checks = [
        ("create", "pods"),
        ("create", "deployments"),
        ("update", "deployments"),
        ("create", "daemonsets"),
        ("create", "statefulsets"),
        ("create", "replicasets"),
        ("create", "jobs"),
        ("create", "cronjobs"),
    ];
    report_grants(ctx, out, &checks, |_| false);
}
