//! ## What it does
//! Flags Namespaces whose `pod-security.kubernetes.io/enforce-version` pins a policy
//! version more than three minor releases older than v1.37 (before v1.34), or a value
//! that is not a version.
//!
//! ## Why it matters
//! A pinned version freezes the checks at what that release knew. Checks added since
//! are not applied, such as probe and lifecycle host restrictions (v1.34). Pin
//! `latest`, or move the pin forward with each cluster upgrade.
//!
//! ## Example
//! ```yaml
//! labels:
//!   pod-security.kubernetes.io/enforce: restricted
//!   pod-security.kubernetes.io/enforce-version: v1.24
//! ```
//!
//! ## Fix
//! `pod-security.kubernetes.io/enforce-version: latest` (or the cluster's version).
//! ```yaml
//! metadata:
//!   labels:
//!     pod-security.kubernetes.io/enforce: restricted
//!     pod-security.kubernetes.io/enforce-version: latest
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH505",
    name: "namespace-pss-version-stale",
    title: "Namespace pins an old Pod Security policy version",
    severity: Severity::Low,
    guidance: &["POD-30"],
    pss: None,
    mitre: None,
    check: Check::Namespace(check),
};

const VERSION: &str = "pod-security.kubernetes.io/enforce-version";
/// The oldest minor version not considered stale (v1.37 and the three before it).
const OLDEST_CURRENT_MINOR: u32 = 34;

fn check(ctx: &ClusterCtx<'_>, namespace: &str, out: &mut ClusterOut) {
    for ns in ctx.view.namespaces.get(namespace).into_iter().flatten() {
        check_definition(namespace, ns, out);
    }
}

fn check_definition(
    namespace: &str,
    ns: &kubeharden_cluster::NamespaceEntry,
    out: &mut ClusterOut,
) {
    let Some(version) = ns.labels.get(VERSION) else {
        return;
    };
    if version == "latest" {
        return;
    }
    let minor = version
        .strip_prefix("v1.")
        .and_then(|m| m.parse::<u32>().ok());
    let path = FieldPath::parse("metadata.labels").key(VERSION);
    match minor {
        Some(m) if m >= OLDEST_CURRENT_MINOR => {}
        Some(_) => {
            out.at(&ns.origin, &ns.root, path, format!("namespace {namespace} pins Pod Security version {version}; checks added since are not enforced"));
        }
        None => {
            out.at(
                &ns.origin,
                &ns.root,
                path,
                format!("namespace {namespace} has an invalid Pod Security version {version:?}"),
            );
        }
    }
}
