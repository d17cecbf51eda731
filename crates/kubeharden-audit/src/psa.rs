//! Pod Security admission's audit annotations.
//!
//! In `audit` mode the admission plugin admits a pod (or a workload whose template
//! breaks the level) and writes on the event, as a real API server does:
//!
//! ```text
//! pod-security.kubernetes.io/audit-violations: would violate PodSecurity "restricted:latest":
//!   allowPrivilegeEscalation != false (container "app" must set ...), runAsNonRoot != true (...)
//! ```

use crate::event::Event;

/// The annotation the plugin writes in `audit` mode.
pub const AUDIT_VIOLATIONS: &str = "pod-security.kubernetes.io/audit-violations";

/// A Pod Security audit annotation, read.
#[derive(Debug, PartialEq, Eq)]
pub struct Violations {
    /// The policy, `level:version`, e.g. `restricted:latest` (empty if the text names none).
    pub policy: String,
    /// The checks that failed, without their details: `runAsNonRoot != true`.
    pub checks: Vec<String>,
}

/// The violations the event's annotation lists, if it has one.
pub fn audit_violations(event: &Event<'_>) -> Option<Violations> {
    // An empty annotation names no violation (another writer's, or a damaged log).
    let text = event.annotations.as_ref()?.get(AUDIT_VIOLATIONS)?.trim();
    let violations = parse(text);
    (!violations.checks.is_empty()).then_some(violations)
}

/// Reads `would violate PodSecurity "<policy>": <check> (<detail>), <check> ...`.
/// Text of another shape is kept whole as one check, so nothing is lost.
pub fn parse(text: &str) -> Violations {
    let Some(rest) = text.strip_prefix("would violate PodSecurity \"") else {
        return Violations {
            policy: String::new(),
            checks: Some(text.trim().to_string())
                .filter(|t| !t.is_empty())
                .into_iter()
                .collect(),
        };
    };
    let (policy, list) = rest.split_once("\": ").unwrap_or((rest, ""));
    Violations {
        policy: policy.trim_end_matches('"').to_string(),
        checks: top_level_items(list)
            .into_iter()
            .map(|item| {
                // The detail in parentheses names containers and fields: the check is before it.
                let check = item.split_once(" (").map_or(item, |(c, _)| c);
                check.trim().to_string()
            })
            .filter(|c| !c.is_empty())
            .collect(),
    }
}

/// The comma-separated items of `list`, ignoring commas inside parentheses and quotes
/// (`forbidden sysctls (a, b)`, `"x, y"`).
fn top_level_items(list: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut quoted, mut start) = (0usize, false, 0);
    for (i, c) in list.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            ',' if !quoted && depth == 0 => {
                items.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&list[start..]);
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The annotation as the test bed's kube-apiserver (v1.37) wrote it.
    const REAL: &str = r#"would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#;

    #[test]
    fn reads_the_policy_and_the_checks() {
        let v = parse(REAL);
        assert_eq!(v.policy, "restricted:latest");
        assert_eq!(
            v.checks,
            [
                "allowPrivilegeEscalation != false",
                "unrestricted capabilities",
                "runAsNonRoot != true",
                "seccompProfile"
            ]
        );
    }

    #[test]
    fn commas_inside_details_do_not_split_checks() {
        let v = parse(
            r#"would violate PodSecurity "baseline:v1.30": forbidden sysctls (kernel.a, kernel.b), hostPath volumes (volume "root")"#,
        );
        assert_eq!(v.policy, "baseline:v1.30");
        assert_eq!(v.checks, ["forbidden sysctls", "hostPath volumes"]);
    }

    #[test]
    fn other_text_is_kept_whole() {
        let v = parse("something else entirely");
        assert_eq!(v.policy, "");
        assert_eq!(v.checks, ["something else entirely"]);
    }

    #[test]
    fn reads_the_annotation_of_an_event() {
        let line = format!(
            r#"{{"verb":"create","annotations":{{"{AUDIT_VIOLATIONS}":{}}}}}"#,
            serde_json::to_string(REAL).unwrap()
        );
        let e: Event<'_> = serde_json::from_str(&line).unwrap();
        assert_eq!(audit_violations(&e).unwrap().checks.len(), 4);
        let plain: Event<'_> = serde_json::from_str(r#"{"verb":"create"}"#).unwrap();
        assert_eq!(audit_violations(&plain), None);
        for empty in ["", "  "] {
            let line =
                format!(r#"{{"verb":"create","annotations":{{"{AUDIT_VIOLATIONS}":"{empty}"}}}}"#);
            let e: Event<'_> = serde_json::from_str(&line).unwrap();
            assert_eq!(audit_violations(&e), None, "{empty:?} names no violation");
        }
    }
}
