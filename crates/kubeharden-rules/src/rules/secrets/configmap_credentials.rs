//! ## What it does
//! Flags ConfigMap entries that hold credentials: a key named like a credential
//! (`password`, `token`, `api_key`, ...) with a literal value, a value in a known
//! credential format (private keys, cloud keys, tokens, JWTs, URLs with passwords),
//! or such a `name = value` or `name: value` line inside an embedded configuration
//! file (the finding points at that line). `binaryData` is decoded and read the same
//! way, and so is the copy of the ConfigMap that `kubectl apply` keeps in the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation, where an entry
//! removed from `data` may live on. Values are never printed.
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
//! ```yaml
//! # the value in a Secret (made from a secret manager), mounted as a file
//! volumes:
//! - name: db
//!   secret: {secretName: shop-db}
//! containers:
//! - name: app
//!   volumeMounts:
//!   - {name: db, mountPath: /etc/shop/secrets, readOnly: true}
//! ```

use kubeharden_load::Resource;
use kubeharden_yaml::{Entry, Node, Pos, ScalarStyle};

use crate::prelude::*;
use crate::support::secrets::{known_format, last_applied, last_applied_path, named_credential};

pub const RULE: RuleDef = RuleDef {
    id: "KH533",
    name: "credentials-in-configmap",
    title: "Credential written into a ConfigMap",
    severity: Severity::High,
    guidance: &["SEC-01"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1552.001",
        name: "Unsecured Credentials: Credentials In Files",
    }),
    check: Check::Object(check),
};

/// Where in an entry a credential sits: the whole value, or one line of it.
struct Found {
    place: String,
    what: &'static str,
    /// The line within a multi-line value (0-based).
    line: Option<usize>,
}

/// What kind of credential an entry's value holds, if any (for snapshots, which
/// redact it: crate::redact).
pub(crate) fn find_credential(key: &str, value: &str) -> Option<&'static str> {
    find(key, value).map(|found| found.what)
}

/// What kind of credential an entry holds: a known format anywhere in it (one scan
/// of the whole value), else a credential-named key, else a credential-named
/// `name = value` or `name: value` line of an embedded file.
fn find(key: &str, value: &str) -> Option<Found> {
    if !value.contains('\n') {
        let what = known_format(value).or_else(|| named_credential(key, value))?;
        return Some(Found {
            place: key.to_string(),
            what,
            line: None,
        });
    }
    value.lines().enumerate().find_map(|(i, line)| {
        if let Some(what) = known_format(line) {
            return Some(Found {
                place: key.to_string(),
                what,
                line: Some(i),
            });
        }
        let line = line.trim();
        // Comments in embedded files are documentation, not configuration.
        if line.starts_with(['#', ';']) || line.starts_with("//") {
            return None;
        }
        let (name, v) = line.split_once(['=', ':'])?;
        let name = name.trim().trim_matches(['"', '\'']);
        if name.is_empty() || name.contains(' ') || name == "passwd" {
            // `passwd: files` is nsswitch.conf's password database, not a password.
            return None;
        }
        let what = named_credential(
            name,
            v.trim().trim_end_matches(',').trim_matches(['"', '\'']),
        )?;
        Some(Found {
            place: format!("{key} ({name})"),
            what,
            line: Some(i),
        })
    })
}

/// The position of line `line` of a block scalar (`|` or `>`): its node starts at its
/// first line of text, and every line shares that indentation.
fn line_pos(value: &Node, line: usize) -> Option<Pos> {
    let scalar = value.scalar().filter(|s| s.style == ScalarStyle::Block)?;
    let text = scalar.text.lines().nth(line)?;
    let indent = (text.len() - text.trim_start().len()) as u32;
    Some(Pos::new(
        value.pos.line + line as u32,
        value.pos.col + indent,
    ))
}

fn report(out: &mut Out, path: FieldPath, at: Option<Pos>, message: String) -> Tag<'_> {
    match at {
        Some(pos) => out.at_pos(path, pos, message),
        None => out.at(path, message),
    }
}

fn check_entries(res: &Resource, section: &str, entries: &[Entry], out: &mut Out) {
    for entry in entries {
        let Some(key) = entry.key.scalar_text() else {
            continue;
        };
        let Some(text) = entry_text(section, &entry.value) else {
            continue;
        };
        if let Some(found) = find(key, &text) {
            let at = found.line.and_then(|l| line_pos(&entry.value, l));
            let message = format!(
                "ConfigMap {} {section} entry {} holds {} in plain text (value redacted)",
                res.name, found.place, found.what
            );
            report(out, FieldPath::parse(section).key(key), at, message);
        }
    }
}

/// An entry's text: `data` as it is, `binaryData` decoded when it is text.
pub(crate) fn entry_text(section: &str, value: &Node) -> Option<String> {
    let raw = value.scalar_text()?;
    if section == "data" {
        return Some(raw.to_string());
    }
    String::from_utf8(kubeharden_load::decode_payload(raw)?).ok()
}

/// Credentials in the last-applied copy that the live `data` no longer shows.
fn check_last_applied(object: &Object, out: &mut Out) {
    let Some(applied) = last_applied(object) else {
        return;
    };
    let live = object.root.get("data");
    for (key, value) in applied
        .get("data")
        .and_then(|d| d.as_object())
        .into_iter()
        .flatten()
    {
        let Some(value) = value.as_str() else {
            continue;
        };
        if live.and_then(|d| d.get(key)).and_then(Node::scalar_text) == Some(value) {
            continue;
        }
        if let Some(found) = find(key, value) {
            out.at(last_applied_path(), format!("ConfigMap {} keeps entry {} with {} in its last-applied-configuration annotation (value redacted)", object.resource.name, found.place, found.what));
        }
    }
}

fn check(object: &Object, out: &mut Out) {
    let res = &object.resource;
    if res.kind != "ConfigMap" || res.api_version != "v1" {
        return;
    }
    for section in ["data", "binaryData"] {
        let entries = object
            .root
            .get(section)
            .map(|d| d.entries())
            .unwrap_or_default();
        check_entries(res, section, entries, out);
    }
    check_last_applied(object, out);
}
