//! What the audit-log detectors share.

use kubeharden_audit::event::Event;
use kubeharden_audit::Observation;

/// An observation of `event` for `rule_id`, merged with others of the same `key`.
pub(crate) fn observe(
    rule_id: &'static str,
    key: String,
    event: &Event<'_>,
    message: String,
) -> Observation {
    let object = event
        .object_ref
        .as_ref()
        .and_then(|o| o.resource.as_deref())
        .map(|r| {
            let resource = match event.subresource() {
                "" => r.to_string(),
                sub => format!("{r}/{sub}"),
            };
            (
                resource,
                event.namespace().map(str::to_string),
                event.object_name().map(|n| n.into_owned()),
            )
        });
    Observation {
        rule_id,
        key,
        subject: subject(event),
        message,
        object,
        count: 1,
        running_total: false,
    }
}

/// An observation of a threshold detector: `count` events in its window, about
/// `subject` (an address, a user).
pub(crate) fn threshold(
    rule_id: &'static str,
    key: String,
    subject: String,
    count: usize,
    event: &Event<'_>,
    message: String,
) -> Observation {
    Observation {
        subject,
        count: count as u64,
        running_total: true,
        ..observe(rule_id, key, event, message)
    }
}

/// Who made the request, and whom they impersonated: the authorizer judged the
/// latter, the credentials were the former's.
pub(crate) fn subject(event: &Event<'_>) -> String {
    let who = match event.username() {
        "" => format!("unauthenticated client {}", event.source_ip()),
        user => user.to_string(),
    };
    match event.impersonated_user.as_ref().map(|u| u.name()) {
        Some(target) if !target.is_empty() => format!("{who} as {target}"),
        _ => who,
    }
}

/// Kubernetes' own components: `system:` users other than service accounts and
/// anonymous, and kube-system service accounts.
/// A request verb in the past tense, for messages: `patch` -> `patched`,
/// `create` -> `created` (appending "d" made "patchd").
pub(crate) fn did(verb: &str) -> String {
    match verb {
        "deletecollection" => "deleted a collection of".to_string(),
        v if v.ends_with('e') => format!("{v}d"),
        v => format!("{v}ed"),
    }
}

pub(crate) fn is_system(user: &str) -> bool {
    if let Some(rest) = user.strip_prefix("system:serviceaccount:") {
        return rest.starts_with("kube-system:");
    }
    user.starts_with("system:") && user != "system:anonymous"
}

/// Users an allow-list names, exactly or by `*` globs (`system:serviceaccount:ci:*`).
pub(crate) struct AllowList(globset::GlobSet);

impl AllowList {
    pub(crate) fn new(patterns: &[String]) -> AllowList {
        let mut set = globset::GlobSetBuilder::new();
        for p in patterns {
            // A pattern globset cannot read is taken literally, so it still matches itself.
            let glob = globset::Glob::new(p).or_else(|_| globset::Glob::new(&globset::escape(p)));
            if let Ok(glob) = glob {
                set.add(glob);
            }
        }
        AllowList(set.build().unwrap_or_else(|_| globset::GlobSet::empty()))
    }

    pub(crate) fn allows(&self, user: &str) -> bool {
        self.0.is_match(user)
    }
}

/// `ns/name` of the object, or its resource.
pub(crate) fn object_name(event: &Event<'_>) -> String {
    match (event.namespace(), event.object_name().as_deref()) {
        // A Namespace is logged with itself as its namespace: name it once.
        (Some(ns), Some(name)) if event.resource() == "namespaces" && ns == name => {
            format!("namespaces {name}")
        }
        (Some(ns), Some(name)) => format!("{} {ns}/{name}", event.resource()),
        (None, Some(name)) => format!("{} {name}", event.resource()),
        _ => event.resource().to_string(),
    }
}

pub(crate) const WRITE_VERBS: [&str; 5] =
    ["create", "update", "patch", "delete", "deletecollection"];

/// An exec, attach or port-forward the authorizer allowed. It counts even when it
/// then failed: the pod was gone or not running (a real API server answers 400 for
/// a pod that has no node), which says nothing of the intent.
pub(crate) fn exec_attempt(event: &Event<'_>) -> bool {
    event.resource() == "pods"
        && matches!(event.subresource(), "exec" | "attach" | "portforward")
        && matches!(event.verb(), "create" | "get")
        && (event.succeeded() || event.code() == 101 || event.decision() == Some("allow"))
}

#[cfg(test)]
mod tests {
    use super::object_name;
    use kubeharden_audit::event::Event;

    fn name_of(object_ref: &str) -> String {
        let line = format!(r#"{{"kind":"Event","verb":"patch","objectRef":{object_ref}}}"#);
        let event: Event<'_> = serde_json::from_str(&line).unwrap();
        object_name(&event)
    }

    #[test]
    fn verbs_read_in_the_past_tense() {
        assert_eq!(super::did("patch"), "patched");
        assert_eq!(super::did("create"), "created");
        assert_eq!(super::did("update"), "updated");
        assert_eq!(super::did("deletecollection"), "deleted a collection of");
    }

    #[test]
    fn allow_lists_match_names_and_globs() {
        let list = super::AllowList::new(&[
            "alice".into(),
            "system:serviceaccount:ci:*".into(),
            "oncall-*".into(),
        ]);
        for user in ["alice", "system:serviceaccount:ci:deployer", "oncall-bob"] {
            assert!(list.allows(user), "{user}");
        }
        for user in ["alice2", "system:serviceaccount:prod:deployer", "bob"] {
            assert!(!list.allows(user), "{user}");
        }
    }

    #[test]
    fn objects_are_named_once() {
        // The API server logs a Namespace with itself as its namespace.
        assert_eq!(
            name_of(r#"{"resource":"namespaces","namespace":"shop","name":"shop"}"#),
            "namespaces shop"
        );
        assert_eq!(
            name_of(r#"{"resource":"pods","namespace":"shop","name":"web"}"#),
            "pods shop/web"
        );
        assert_eq!(name_of(r#"{"resource":"nodes","name":"n1"}"#), "nodes n1");
        assert_eq!(
            name_of(r#"{"resource":"secrets","namespace":"shop"}"#),
            "secrets"
        );
    }
}
