//! ## What it does
//! Flags admission control over pods that lets pods through unchecked: a validating
//! admission webhook or ValidatingAdmissionPolicy that checks pods or workloads but
//! sets `failurePolicy: Ignore` (when it cannot answer, everything is admitted), and
//! a webhook whose `namespaceSelector` skips namespaces where workloads run (other
//! than `kube-system`, `kube-public`, `kube-node-lease`, and the webhook's own
//! namespace, whose pods must start before it can serve). Mutating webhooks are
//! not judged: they change objects, they do not enforce a policy.
//!
//! ## Why it matters
//! The guidance asks for a technical control that keeps non-compliant pods and
//! images out (Pod Security or a policy engine). An attacker who can slow, crash or
//! overload a fail-open webhook, or create pods in a namespace it skips, gets past
//! it without a trace. A live scan reads the cluster's webhooks and policies, so
//! this is judged on what really guards the cluster.
//!
//! ## Example
//! ```yaml
//! kind: ValidatingWebhookConfiguration
//! webhooks:
//! - name: validate.policy.example.com
//!   failurePolicy: Ignore
//!   rules:
//!   - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
//! ```
//!
//! ## Fix
//! Make the webhook fail closed (`failurePolicy: Fail`), exempting only the system
//! namespaces:
//! ```yaml
//! webhooks:
//! - name: validate.policy.example.com
//!   failurePolicy: Fail
//!   timeoutSeconds: 5
//!   namespaceSelector:
//!     matchExpressions:
//!     - {key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}
//! ```
//! Run the webhook with two or more replicas and a PodDisruptionBudget so that
//! failing closed does not block the cluster, and exempt only the system namespaces.

use std::collections::BTreeSet;

use k8s_openapi::api::admissionregistration::v1::{RuleWithOperations, ValidatingWebhook};
use kubeharden_cluster::platform::Webhooks;
use kubeharden_cluster::selector::{matches_partly, Match};

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH905",
    name: "admission-fails-open",
    title: "Admission control over pods fails open or skips namespaces",
    severity: Severity::Medium,
    guidance: &["POD-11", "POD-09"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1562.001",
        name: "Impair Defenses: Disable or Modify Tools",
    }),
    check: Check::Cluster(check),
};

/// Namespaces an admission webhook may leave out: the system's own.
const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Resources whose creation makes pods: pods and the workload controllers.
const POD_MAKERS: &[&str] = &[
    "pods",
    "deployments",
    "replicasets",
    "statefulsets",
    "daemonsets",
    "jobs",
    "cronjobs",
    "replicationcontrollers",
];

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    for config in &ctx.view.platform.webhooks {
        let Webhooks::Validating(webhooks) = &config.webhooks else {
            continue;
        };
        for (i, webhook) in webhooks.iter().enumerate() {
            if covers_pods(webhook.rules.iter().flatten()) {
                check_webhook(ctx, config, i, webhook, out);
            }
        }
    }
    for policy in &ctx.view.platform.admission_policies {
        let rules = policy
            .spec
            .match_constraints
            .as_ref()
            .and_then(|m| m.resource_rules.as_ref());
        let pods = rules.is_some_and(|rules| {
            rules.iter().any(|r| {
                names_pod_maker(r.resources.iter().flatten())
                    && creates(r.operations.iter().flatten())
            })
        });
        if pods && policy.spec.failure_policy.as_deref() == Some("Ignore") {
            out.at(
                &policy.origin,
                &policy.root,
                FieldPath::parse("spec.failurePolicy"),
                format!(
                    "ValidatingAdmissionPolicy {} checks pods but fails open (failurePolicy: Ignore): when it cannot be evaluated, pods are admitted unchecked",
                    policy.origin.resource.name
                ),
            );
        }
    }
}

fn check_webhook(
    ctx: &ClusterCtx<'_>,
    config: &kubeharden_cluster::platform::WebhookConfigEntry,
    i: usize,
    webhook: &ValidatingWebhook,
    out: &mut ClusterOut,
) {
    let at = FieldPath::parse("webhooks").index(i);
    if webhook.failure_policy.as_deref() == Some("Ignore") {
        out.at(
            &config.origin,
            &config.root,
            at.clone().key("failurePolicy"),
            format!(
                "webhook {} checks pods but fails open (failurePolicy: Ignore): when it is down or slow, pods are admitted unchecked",
                webhook.name
            ),
        );
    }
    let skipped = skipped_namespaces(ctx, webhook, &config.origin.file);
    if !skipped.is_empty() {
        out.at(
            &config.origin,
            &config.root,
            at.key("namespaceSelector"),
            format!(
                "webhook {} does not check pods in namespace(s) {}, where workloads run",
                webhook.name,
                skipped.into_iter().collect::<Vec<_>>().join(", ")
            ),
        );
    }
}

/// The namespaces with workloads that the webhook's `namespaceSelector` surely
/// leaves out (a selector on labels the scan does not show is given the benefit).
fn skipped_namespaces<'v>(
    ctx: &'v ClusterCtx<'_>,
    webhook: &ValidatingWebhook,
    from: &str,
) -> BTreeSet<&'v str> {
    let Some(selector) = &webhook.namespace_selector else {
        return BTreeSet::new();
    };
    let view = ctx.view;
    // The webhook's own pods cannot wait for it: leaving their namespace out is how
    // it starts at all.
    let own = webhook
        .client_config
        .service
        .as_ref()
        .map(|s| s.namespace.as_str());
    view.pods
        .iter()
        .map(|p| p.namespace.as_str())
        .filter(|ns| !SYSTEM_NAMESPACES.contains(ns) && Some(*ns) != own)
        .filter(|ns| {
            let (labels, known) = view.namespace_labels(ns, from);
            matches_partly(selector, &labels, known) == Match::No
        })
        .collect()
}

fn covers_pods<'r>(rules: impl IntoIterator<Item = &'r RuleWithOperations>) -> bool {
    rules.into_iter().any(|r| {
        names_pod_maker(r.resources.iter().flatten()) && creates(r.operations.iter().flatten())
    })
}

fn names_pod_maker<'s>(resources: impl IntoIterator<Item = &'s String>) -> bool {
    resources.into_iter().any(|r| {
        let base = r.split('/').next().unwrap_or(r);
        base == "*" || POD_MAKERS.contains(&base)
    })
}

fn creates<'s>(operations: impl IntoIterator<Item = &'s String>) -> bool {
    operations
        .into_iter()
        .any(|op| op == "*" || op.eq_ignore_ascii_case("CREATE"))
}
