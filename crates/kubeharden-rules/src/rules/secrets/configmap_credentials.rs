//! ## What it does
//! Flags ConfigMap entries that hold credentials: a key named like a credential
//! (`password`, `token`, `api_key`, ...) with a literal value, a value in a known
//! credential format (private keys, cloud keys, tokens, JWTs, URLs with passwords),
//! or such a `name = value` or `name: value` line inside an embedded configuration
//! file. Values are never printed.
//!
//! ## Why it matters
//! ConfigMaps are not secret. They are readable by anyone with `get` on them, are
//! not encrypted at rest, and end up in logs and dashboards. The guidance says
//! credentials belong in Secrets, never in configuration.
//!
//! ## Example
//! ```yaml
//! kind: ConfigMap
//! data:
//!   application.properties: |
//!     db.url=jdbc:postgresql://db:5432/shop
//!     db.password=hunter2-prod
//! ```
//!
//! ## Fix
//! Move the value to a Secret (mounted as a file), and rotate it.

use crate::prelude::*;
use crate::support::secrets::{known_format, named_credential};

pub const RULE: RuleDef = RuleDef {
    id: "KH533",
    name: "credentials-in-configmap",
    title: "Credential written into a ConfigMap",
    severity: Severity::High,
    guidance: &["SEC-01"],
    pss: None,
    mitre: Some(Mitre { id: "T1552.001", name: "Unsecured Credentials: Credentials In Files" }),
    check: Check::Object(check),
};

/// What kind of credential an entry holds: a known format anywhere in it (one scan
/// of the whole value), else a credential-named key, else a credential-named
/// `name = value` or `name: value` line of an embedded file.
fn find(key: &str, value: &str) -> Option<(String, &'static str)> {
    if let Some(what) = known_format(value) {
        return Some((key.to_string(), what));
    }
    if !value.contains('\n') {
        return named_credential(key, value).map(|what| (key.to_string(), what));
    }
    value.lines().find_map(|line| {
        let (name, v) = line.trim().split_once(['=', ':'])?;
        let name = name.trim();
        if name.is_empty() || name.contains(' ') {
            return None;
        }
        named_credential(name, v.trim().trim_matches(['"', '\''])).map(|what| (format!("{key} ({name})"), what))
    })
}

fn check(object: &Object, out: &mut Out) {
    let res = &object.resource;
    if res.kind != "ConfigMap" || res.api_version != "v1" {
        return;
    }
    for entry in object.root.get("data").map(|d| d.entries()).unwrap_or_default() {
        let (Some(key), Some(value)) = (entry.key.scalar_text(), entry.value.scalar_text()) else { continue };
        if let Some((place, what)) = find(key, value) {
            out.at(FieldPath::parse("data").key(key), format!("ConfigMap {} entry {place} holds {what} in plain text (value redacted)", res.name));
        }
    }
}
