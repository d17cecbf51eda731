//! ## What it does
//! Flags an inline exception that does not apply: a `kubeharden.io/ignore` annotation
//! without a `kubeharden.io/ignore-reason` beside it (or with a blank one), one that
//! names no rule, or one that names something that is no rule of the catalog.
//!
//! ## Why it matters
//! An exception hides a finding from every later scan and review. Without a written
//! reason, nobody can tell an accepted risk from a silenced one when the guidance's
//! periodic reviews come round, so kubeharden does not apply it: the findings it
//! would hide are reported, and so is the exception. A misspelt rule ID hides nothing
//! while looking as if it did.
//!
//! ## Example
//! ```yaml
//! kind: Deployment
//! metadata:
//!   name: web
//!   annotations:
//!     kubeharden.io/ignore: KH101
//! ```
//!
//! ## Fix
//! Add a `kubeharden.io/ignore-reason` that says why, or remove the annotation and fix
//! the findings.
//!
//! Name who accepted it if you like, and name rules by ID (`KH101`) or name
//! (`privileged-container`), as `kubeharden rules` lists them:
//!
//! ```yaml
//! metadata:
//!   annotations:
//!     kubeharden.io/ignore: KH101
//!     kubeharden.io/ignore-reason: "GPU driver needs privileged mode; reviewed by platform team"
//! ```

use crate::inline::{inline_ignores, IGNORE_ANNOTATION, REASON_ANNOTATION};
use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH906",
    name: "inline-exception-without-reason",
    title: "Inline exception without a reason or with unknown rules",
    severity: Severity::Low,
    guidance: &["UPG-05"],
    pss: None,
    mitre: None,
    check: Check::Object(check),
};

fn check(object: &Object, out: &mut Out) {
    for ignore in inline_ignores(object) {
        let (rules, unknown) = ignore.resolve();
        if ignore.names.is_empty() {
            out.at(
                ignore.path.clone(),
                format!("{IGNORE_ANNOTATION} names no rule, so it excepts nothing"),
            )
            .fix(format!(
                "Name the rules it excepts in {IGNORE_ANNOTATION} (`KH101,KH133`), or remove it"
            ));
        }
        if !unknown.is_empty() {
            out.at(
                ignore.path.clone(),
                format!(
                    "{IGNORE_ANNOTATION} names {}, which {} no rule (see `kubeharden rules`)",
                    unknown
                        .iter()
                        .map(|name| with_suggestion(name))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if unknown.len() == 1 { "is" } else { "are" }
                ),
            )
            .fix("Name rules by ID or name, as `kubeharden rules` lists them");
        }
        if ignore.reason.is_none() && !rules.is_empty() {
            // A prefix (`KH1`) stands for many rules: named as written, and counted.
            let excepted = match rules.len() {
                n if n > MOST_NAMED => format!("{} ({n} rules)", ignore.names.join(",")),
                _ => rules.join(", "),
            };
            out.at(
                ignore.path.clone(),
                format!(
                    "{IGNORE_ANNOTATION} excepts {excepted} without a {REASON_ANNOTATION}: the exception does not apply until it says why"
                ),
            );
        }
    }
}

/// The most rules a finding lists one by one.
const MOST_NAMED: usize = 6;

/// `KH1O1 (did you mean "KH101"?)`: a misspelt rule is the likely reason an exception
/// does not apply, so the finding names the rule it was probably meant to be.
fn with_suggestion(name: &str) -> String {
    let suggestion = crate::suggest::did_you_mean(name, crate::suggest::rule_names());
    match suggestion.strip_prefix("; ") {
        Some(hint) => format!("{name} ({hint})"),
        None => name.to_string(),
    }
}
