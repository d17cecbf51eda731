//! ## What it does
//! Flags a kube-apiserver whose `--authorization-mode` includes `AlwaysAllow` (the
//! default when the flag is unset; critical), lacks `RBAC` (high), or lacks `Node`
//! (medium: the guidance recommends it, with `NodeRestriction`).
//!
//! ## Why it matters
//! With `AlwaysAllow` every authenticated request is allowed: RBAC is off. Without `Node`, kubelets are not limited to their own node's objects. The guidance requires RBAC.
//!
//! ## Example
//! ```yaml
//! - --authorization-mode=AlwaysAllow
//! ```
//!
//! ## Fix
//! `--authorization-mode=Node,RBAC`.

use kubeharden_node::ComponentKind;

use crate::prelude::*;
use crate::support::node::report;

pub const RULE: RuleDef = RuleDef {
    id: "KH703",
    name: "apiserver-authorization-mode",
    title: "API server authorization is not Node,RBAC",
    severity: Severity::Critical,
    guidance: &["RBAC-01", "RBAC-02"],
    pss: None,
    mitre: None,
    check: Check::Node(check),
};

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    let Some(api) = ctx.view.component(ComponentKind::ApiServer) else {
        return;
    };
    let flag = "authorization-mode";
    let value = api.value(flag);
    // Unset, the API server authorizes with AlwaysAllow.
    let modes: Vec<&str> = value
        .unwrap_or("AlwaysAllow")
        .split(',')
        .map(str::trim)
        .collect();
    let has = |m: &str| modes.contains(&m);
    let shown = value.map_or("unset (AlwaysAllow)".to_string(), |v| format!("{v:?}"));
    // One finding per problem: AlwaysAllow makes the other gaps moot.
    if has("AlwaysAllow") {
        let rows: &'static [&'static str] = if has("RBAC") {
            &["RBAC-02"]
        } else {
            &["RBAC-01", "RBAC-02"]
        };
        let message = format!("kube-apiserver --{flag} is {shown}: every authenticated request is allowed; set --{flag}=Node,RBAC");
        report(api, flag, message, out).rows(rows);
        return;
    }
    if !has("RBAC") {
        let message = format!("kube-apiserver --{flag} is {shown}, without RBAC");
        report(api, flag, message, out)
            .rows(&["RBAC-01"])
            .severity(Severity::High);
    }
    if !has("Node") {
        let message = format!("kube-apiserver --{flag} is {shown}, without Node: kubelets are not limited to their own node's objects");
        report(api, flag, message, out)
            .rows(&["RBAC-02"])
            .severity(Severity::Medium);
    }
}
