//! ## What it does
//! Flags container `env` entries whose literal `value` is a credential: a known
//! format (private keys, cloud access keys, GitHub, Slack and Stripe tokens, JWTs,
//! URLs with passwords) or any real value under a name such as `PASSWORD`, `TOKEN`,
//! `API_KEY` or `SECRET`. The value is never printed: findings say where it is and
//! what it looks like.
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
use crate::support::secrets::classify;

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
}
