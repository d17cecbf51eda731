//! ## What it does
//! Flags a kube-apiserver whose `--authorization-mode` includes `AlwaysAllow` (the
//! default when the flag is unset; critical), lacks `RBAC` (high), or lacks `Node`
//! (medium: the guidance recommends it, with `NodeRestriction`). With
//! `--authorization-config` (Kubernetes 1.30+), the `authorizers[].type` of the
//! AuthorizationConfiguration it names are judged the same way; when that file cannot
//! be read, the rule is not judged.
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
//! ```yaml
//! # /etc/kubernetes/manifests/kube-apiserver.yaml (the static pod)
//! spec:
//!   containers:
//!   - name: kube-apiserver
//!     command:
//!     - kube-apiserver
//!     - --authorization-mode=Node,RBAC
//! ```

use std::sync::Arc;

use kubeharden_node::{Component, ComponentKind};
use kubeharden_yaml::Node;

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

/// Where the authorizers are set: the `--authorization-mode` flag, or the
/// AuthorizationConfiguration file `--authorization-config` names.
enum Source<'a> {
    Flag(&'a Component),
    File(&'a Arc<str>, &'a Node),
}

impl Source<'_> {
    /// Reports a problem where the authorizers are set.
    fn report<'o>(&self, message: String, out: &'o mut NodeOut) -> Tag<'o> {
        match self {
            Source::Flag(api) => report(api, MODE, message, out),
            Source::File(file, root) => {
                let path = FieldPath::parse("authorizers");
                let pos = root.locate(&path).pos;
                let what = ("AuthorizationConfiguration", "authorization-config");
                out.at(what, file, pos, path, message)
            }
        }
    }
}

const MODE: &str = "authorization-mode";

fn check(ctx: &NodeCtx<'_>, out: &mut NodeOut) {
    let Some(api) = ctx.view.component(ComponentKind::ApiServer) else {
        return;
    };
    // `--authorization-config` replaces the mode flag (the API server refuses both).
    // It is read only when the flag is set.
    match &ctx.view.authorization_config {
        Some(Ok((file, root))) => {
            let types = authorizer_types(root);
            let shown = format!("the authorizers of {file} are {:?}", types.join(","));
            judge(&types, &shown, &Source::File(file, root), out);
        }
        // Unread, its authorizers are unknown: never taken for the mode flag's default.
        Some(Err(file)) => out.cannot_judge_file(file, "the authorization configuration"),
        None => {
            let value = api.value(MODE);
            // Unset, the API server authorizes with AlwaysAllow.
            let modes: Vec<&str> = value
                .unwrap_or("AlwaysAllow")
                .split(',')
                .map(str::trim)
                .collect();
            let shown = value.map_or("unset (AlwaysAllow)".to_string(), |v| format!("{v:?}"));
            let shown = format!("kube-apiserver --{MODE} is {shown}");
            judge(&modes, &shown, &Source::Flag(api), out);
        }
    }
}

/// `authorizers[].type` of an AuthorizationConfiguration.
fn authorizer_types(root: &Node) -> Vec<&str> {
    let authorizers = root.get("authorizers").map(Node::items).unwrap_or_default();
    authorizers
        .iter()
        .filter_map(|a| a.get("type").and_then(Node::scalar_text))
        .collect()
}

/// Judges the authorizers in use (`modes`), described as `shown`.
fn judge(modes: &[&str], shown: &str, source: &Source<'_>, out: &mut NodeOut) {
    let has = |m: &str| modes.contains(&m);
    // One finding per problem: AlwaysAllow makes the other gaps moot.
    if has("AlwaysAllow") {
        let rows: &'static [&'static str] = if has("RBAC") {
            &["RBAC-02"]
        } else {
            &["RBAC-01", "RBAC-02"]
        };
        let fix = match source {
            Source::Flag(_) => "set --authorization-mode=Node,RBAC",
            Source::File(..) => "use Node and RBAC authorizers",
        };
        let message = format!("{shown}: every authenticated request is allowed; {fix}");
        source.report(message, out).rows(rows);
        return;
    }
    if !has("RBAC") {
        let message = format!("{shown}, without RBAC");
        source
            .report(message, out)
            .rows(&["RBAC-01"])
            .severity(Severity::High);
    }
    if !has("Node") {
        let why = "kubelets are not limited to their own node's objects";
        let message = format!("{shown}, without Node: {why}");
        source
            .report(message, out)
            .rows(&["RBAC-02"])
            .severity(Severity::Medium);
    }
}
