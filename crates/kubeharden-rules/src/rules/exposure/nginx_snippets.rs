//! ## What it does
//! Flags ingress-nginx snippet annotations on Ingresses
//! (`nginx.ingress.kubernetes.io/configuration-snippet`, `server-snippet`,
//! `auth-snippet`, ...), and ingress-nginx controller ConfigMaps that set
//! `allow-snippet-annotations: "true"`.
//!
//! ## Why it matters
//! Snippets inject raw nginx configuration into the shared controller. Anyone who
//! can create an Ingress can then read the controller's service-account token and
//! every Secret it can read (CVE-2021-25742 and later snippet CVEs). The guidance
//! asks that add-ons be patched and run securely; ingress-nginx turns snippets off
//! by default for this reason.
//!
//! ## Example
//! ```yaml
//! metadata:
//!   annotations:
//!     nginx.ingress.kubernetes.io/configuration-snippet: |
//!       more_set_headers "X-Debug: 1";
//! ```
//!
//! ## Fix
//! Remove the snippet (most have a dedicated annotation), and keep
//! `allow-snippet-annotations: "false"` in the controller ConfigMap.
//! ```yaml
//! # the controller's ConfigMap
//! apiVersion: v1
//! kind: ConfigMap
//! metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
//! data:
//!   allow-snippet-annotations: "false"
//! ```

use crate::prelude::*;

pub const RULE: RuleDef = RuleDef {
    id: "KH545",
    name: "ingress-nginx-snippets",
    title: "ingress-nginx snippet annotations (CVE-2021-25742)",
    severity: Severity::High,
    guidance: &["UPG-03", "NP-08"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1552.007",
        name: "Unsecured Credentials: Container API",
    }),
    check: Check::Object(check),
};

fn check(object: &Object, out: &mut Out) {
    let res = &object.resource;
    match res.kind.as_str() {
        "Ingress" => {
            let annotations = object
                .root
                .get("metadata")
                .and_then(|m| m.get("annotations"))
                .map(|a| a.entries())
                .unwrap_or_default();
            for entry in annotations {
                let Some(key) = entry.key.scalar_text() else {
                    continue;
                };
                if key.starts_with("nginx.ingress.kubernetes.io/") && key.ends_with("-snippet") {
                    out.at(
                        FieldPath::parse("metadata.annotations").key(key),
                        format!("Ingress {} sets the snippet annotation {key}", res.name),
                    );
                }
            }
        }
        "ConfigMap" if res.api_version == "v1" => {
            let allowed = object
                .root
                .get("data")
                .and_then(|d| d.get("allow-snippet-annotations"))
                .and_then(|v| v.scalar_text());
            if allowed.is_some_and(|v| v.eq_ignore_ascii_case("true")) {
                out.at(
                    FieldPath::parse("data").key("allow-snippet-annotations"),
                    format!(
                        "ConfigMap {} lets Ingresses inject nginx snippets",
                        res.name
                    ),
                );
            }
        }
        _ => {}
    }
}
