//! ## What it does
//! Flags containers that receive Secrets as environment variables, through
//! `env[].valueFrom.secretKeyRef` or `envFrom[].secretRef`.
//!
//! ## Why it matters
//! Environment variables leak. They show up in crash dumps, debug endpoints,
//! `/proc/<pid>/environ`, child processes and error reports, and they cannot be
//! rotated without a restart. Mounted Secret files are readable only where mounted,
//! can be restricted by file mode, and are updated in place.
//!
//! ## Example
//! ```yaml
//! env:
//! - name: DB_PASSWORD
//!   valueFrom:
//!     secretKeyRef: {name: db, key: password}
//! ```
//!
//! ## Fix
//! Mount the Secret as a volume and point the application at the file
//! (`DB_PASSWORD_FILE=/var/run/secrets/db/password`).
//! ```yaml
//! containers:
//! - name: app
//!   env:
//!   - name: DB_PASSWORD_FILE
//!     value: /var/run/secrets/db/password
//!   volumeMounts:
//!   - {name: db, mountPath: /var/run/secrets/db, readOnly: true}
//! volumes:
//! - name: db
//!   secret: {secretName: db}
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH534",
    name: "secret-in-environment",
    title: "Secret passed in an environment variable",
    severity: Severity::Low,
    guidance: &["SEC-01"],
    pss: None,
    mitre: None,
    check: Check::Workload(check),
};

fn check(w: &Workload<'_>, out: &mut Out) {
    for c in w.containers() {
        for (i, var) in c.container.env.iter().flatten().enumerate() {
            if let Some(secret) = var
                .value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref())
            {
                out.container(
                    &c,
                    c.path.key("env").index(i).join("valueFrom.secretKeyRef"),
                    format!(
                        "container {:?} reads Secret {:?} into env {}",
                        c.name(),
                        secret.name,
                        var.name
                    ),
                );
            }
        }
        for (i, source) in c.container.env_from.iter().flatten().enumerate() {
            if let Some(secret) = &source.secret_ref {
                out.container(
                    &c,
                    c.path.key("envFrom").index(i).key("secretRef"),
                    format!(
                        "container {:?} loads all of Secret {:?} into its environment",
                        c.name(),
                        secret.name
                    ),
                );
            }
        }
    }
}
