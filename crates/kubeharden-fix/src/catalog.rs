//! The one place that says which rules `kubeharden fix` can fix, and how.
//!
//! Every other part of the crate (the planner, the patches, `kubeharden explain`)
//! reads this table, so the list of fixable rules cannot drift between them.

/// A hardening change `kubeharden fix` knows how to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FixKind {
    /// `runAsUser: 0` replaced by the `--run-as-user` UID (judged first: the other
    /// judgments see the user it sets).
    RunAsUser,
    /// `runAsNonRoot: true` where the user is known to be non-root (or `--run-as-user`).
    RunAsNonRoot,
    /// `allowPrivilegeEscalation: false`.
    NoPrivilegeEscalation,
    /// `capabilities.drop: [ALL]`, for containers that run as a non-root user.
    DropAllCapabilities,
    /// The pod's `seccompProfile.type: RuntimeDefault`.
    SeccompRuntimeDefault,
    /// `readOnlyRootFilesystem: true`, for containers with a writable volume mounted.
    ReadOnlyRootFilesystem,
    /// The pod's `automountServiceAccountToken: false`.
    NoTokenAutomount,
    /// Resource requests and limits, with the values the user gives.
    Resources,
    /// A default-deny NetworkPolicy for a namespace that has none.
    DefaultDenyPolicy,
}

/// A fixable rule: its ID, the change, and what the change does, in one line.
#[derive(Clone, Copy, Debug)]
pub struct Fixable {
    pub rule_id: &'static str,
    pub kind: FixKind,
    pub summary: &'static str,
}

const fn fixable(rule_id: &'static str, kind: FixKind, summary: &'static str) -> Fixable {
    Fixable {
        rule_id,
        kind,
        summary,
    }
}

/// Every rule `kubeharden fix` fixes, in ID order. docs/fix.md explains each change
/// and when it is refused.
pub const FIXABLE: &[Fixable] = &[
    fixable(
        "KH121",
        FixKind::NoPrivilegeEscalation,
        "sets allowPrivilegeEscalation: false (not where set to true, nor on privileged containers or those adding SYS_ADMIN)",
    ),
    fixable(
        "KH122",
        FixKind::RunAsNonRoot,
        "sets runAsNonRoot: true where runAsUser proves a non-root user, or with --run-as-user UID (not for containers adding capabilities)",
    ),
    fixable(
        "KH123",
        FixKind::RunAsUser,
        "replaces runAsUser: 0 with the --run-as-user UID (only when given, and not for containers adding capabilities)",
    ),
    fixable(
        "KH124",
        FixKind::SeccompRuntimeDefault,
        "sets the pod's seccompProfile.type: RuntimeDefault",
    ),
    fixable(
        "KH125",
        FixKind::DropAllCapabilities,
        "adds ALL to capabilities.drop for containers that run as a non-root user (not privileged ones)",
    ),
    fixable(
        "KH132",
        FixKind::ReadOnlyRootFilesystem,
        "sets readOnlyRootFilesystem: true for containers that mount a writable volume at /tmp themselves and whose spec shows neither a write outside their volumes nor a run of a script of the image (whose writes cannot be told)",
    ),
    fixable(
        "KH201",
        FixKind::Resources,
        "sets missing limits to --cpu-limit and --memory-limit (never invents values)",
    ),
    fixable(
        "KH202",
        FixKind::Resources,
        "sets missing requests to --cpu-request and --memory-request (never invents values)",
    ),
    fixable(
        "KH402",
        FixKind::NoTokenAutomount,
        "sets the pod's automountServiceAccountToken: false when no binding in the scan grants its service account anything",
    ),
    fixable(
        "KH510",
        FixKind::DefaultDenyPolicy,
        "adds a default-deny NetworkPolicy (namespaces that run workloads need --default-deny)",
    ),
    fixable(
        "KH511",
        FixKind::DefaultDenyPolicy,
        "adds a default-deny NetworkPolicy (namespaces that run workloads need --default-deny)",
    ),
];

/// How `kubeharden fix` fixes `rule_id`, if it does.
pub fn fixable_rule(rule_id: &str) -> Option<&'static Fixable> {
    FIXABLE.iter().find(|f| f.rule_id == rule_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixable_rule_exists_in_the_catalog_once() {
        let rules = kubeharden_rules::all_rules();
        for (i, f) in FIXABLE.iter().enumerate() {
            assert!(
                rules.iter().any(|r| r.def.id == f.rule_id),
                "{} is no rule",
                f.rule_id
            );
            assert!(
                FIXABLE[..i].iter().all(|g| g.rule_id != f.rule_id),
                "{} listed twice",
                f.rule_id
            );
        }
        assert_eq!(fixable_rule("KH122").unwrap().kind, FixKind::RunAsNonRoot);
        assert!(fixable_rule("KH101").is_none());
    }
}
