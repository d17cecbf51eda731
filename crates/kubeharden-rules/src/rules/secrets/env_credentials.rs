//! ## What it does
//! Flags container `env` entries whose literal `value` is a credential: a known
//! format (private keys, cloud access keys, GitHub, Slack and Stripe tokens, JWTs,
//! URLs with passwords) or any real value under a name such as `PASSWORD`, `TOKEN`,
//! `API_KEY` or `SECRET`. The value is never printed: findings say where it is and
//! what it looks like.
//!
//! It also reads the `kubectl.kubernetes.io/last-applied-configuration` annotation:
//! a literal credential that was later moved into a Secret is still kept there, in
//! plain text, for anyone who can read the workload.
//!
//! ## Why it matters
//! A manifest is copied into Git, CI logs, Helm releases and
//! `last-applied-configuration` annotations, and anyone who can read the workload
//! can read its environment. The guidance says to keep credentials in Secrets, not
//! in configuration or environment values.
//!
//! ## Example
//! ```yaml
//! env:
//! - name: DB_PASSWORD
//!   value: hunter2-prod
//! ```
//!
//! ## Fix
//! Put the value in a Secret, rotate it (it has leaked), and reference it, preferably
//! as a mounted file:
//! ```yaml
//! env:
//! - name: DB_PASSWORD
//!   valueFrom:
//!     secretKeyRef: {name: db, key: password}
//! ```

use crate::prelude::*;
use crate::support::secrets::{classify, last_applied, last_applied_path};

pub const RULE: RuleDef = RuleDef {
    id: "KH401",
    name: "credentials-in-env",
    title: "Credential written into an environment variable",
    severity: Severity::High,
    guidance: &["SEC-01"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1552.001",
        name: "Unsecured Credentials: Credentials In Files",
    }),
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    for c in w.containers() {
        for (i, var) in c.container.env.iter().flatten().enumerate() {
            let Some(value) = var.value.as_deref() else {
                continue;
            };
            if let Some(what) = classify(&var.name, value) {
                out.container(
                    &c,
                    c.path.key("env").index(i).key("value"),
                    format!(
                        "container {:?} env {} holds {what} in plain text (value redacted)",
                        c.name(),
                        var.name
                    ),
                );
            }
        }
    }
    check_last_applied(w, out);
}

/// Literal credentials in the pod spec of the last-applied copy that the live spec
/// no longer holds.
fn check_last_applied(w: &Workload<'_>, out: &mut Out) {
    let Some(applied) = last_applied(w.object) else {
        return;
    };
    let spec = w
        .spec_path
        .segments()
        .iter()
        .try_fold(&applied, |v, seg| match seg {
            kubeharden_yaml::Seg::Key(k) => v.get(&**k),
            kubeharden_yaml::Seg::Index(i) => v.get(*i),
        });
    let Some(spec) = spec else { return };
    for list in ["containers", "initContainers"] {
        for container in spec
            .get(list)
            .and_then(|c| c.as_array())
            .into_iter()
            .flatten()
        {
            let name = container
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or("?");
            for var in container
                .get("env")
                .and_then(|e| e.as_array())
                .into_iter()
                .flatten()
            {
                let (Some(key), Some(value)) = (
                    var.get("name").and_then(|n| n.as_str()),
                    var.get("value").and_then(|v| v.as_str()),
                ) else {
                    continue;
                };
                if live_value(w, name, key) == Some(value) {
                    continue;
                }
                if let Some(what) = classify(key, value) {
                    out.at(
                        last_applied_path(),
                        format!("container {name:?} env {key} holds {what} in plain text in the last-applied-configuration annotation (value redacted)"),
                    );
                }
            }
        }
    }
}

/// The live literal value of env `key` of container `name`: a credential still there
/// is reported at its own line.
fn live_value<'w>(w: &'w Workload<'_>, name: &str, key: &str) -> Option<&'w str> {
    w.containers()
        .filter(|c| c.name() == name)
        .flat_map(|c| c.container.env.iter().flatten())
        .find(|v| v.name == key)
        .and_then(|v| v.value.as_deref())
}
