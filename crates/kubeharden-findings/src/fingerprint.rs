//! A finding's fingerprint: what stays the same while a file is edited around it.
//!
//! It is made of the rule, the object's identity (API group, kind, namespace, name),
//! the container and the field path, never of a line, a column or a file name: moving
//! an object within its file or to another file, reformatting it or reordering the
//! documents of a stream leaves it unchanged. List items in the path are named by what
//! they are, not where they stand (`Finding::keyed_path`, made where the object's tree
//! is at hand: containers, volumes and env vars by name, mounts by path, RBAC subjects
//! by kind, namespace and name, rules by content...), so reordering a list changes no
//! fingerprint, and a new item put in an old one's place is new. An audit-log alert
//! has no object of its own: its subject takes the path's place. A Dockerfile has no
//! identity but its path in its repository, which is its name.
//!
//! Baselines of version 1 were written with positions for every list but containers
//! ([`Finding::legacy_fingerprint`]); they are still read, with a warning.

use kubeharden_load::Resource;

use crate::finding::Finding;

impl Finding {
    /// `KH401|apps/Deployment/shop/web|web|spec.template.spec.containers[web].env[TOKEN].value`.
    pub fn fingerprint(&self) -> String {
        let path = match (&self.alert, &self.keyed_path) {
            (Some(alert), _) => alert.subject.clone(),
            (None, Some(keyed)) => keyed.clone(),
            (None, None) => self.positional_path(),
        };
        self.fingerprint_of(&path)
    }

    /// The fingerprint of version 1 baselines: list items but containers by position
    /// (`env[1]`), which a reordered list changes, and a new item in an old one's
    /// place inherits.
    pub fn legacy_fingerprint(&self) -> String {
        let path = match &self.alert {
            Some(alert) => alert.subject.clone(),
            None => self.positional_path(),
        };
        self.fingerprint_of(&path)
    }

    /// The path with its container named, and other list items by position.
    fn positional_path(&self) -> String {
        match self.container.as_deref() {
            None | Some("") => self.path.clone(),
            Some(name) => named_container(&self.path, name),
        }
    }

    fn fingerprint_of(&self, path: &str) -> String {
        let container = self.container.as_deref().unwrap_or("");
        let fingerprint = format!(
            "{}|{}|{container}|{path}",
            self.rule_id,
            identity(&self.resource)
        );
        match &self.variant {
            Some(variant) => format!("{fingerprint}|values-set:{variant}"),
            None => fingerprint,
        }
    }
}

/// An object's identity in fingerprints: `apps/Deployment/shop/web`.
pub fn identity(res: &Resource) -> String {
    // The group alone: `apps/v1` and `apps/v1beta2` name the same object.
    let group = match res.api_version.rsplit_once('/') {
        Some((group, _)) => moved_group(group, &res.kind),
        None => "",
    };
    let namespace = res.namespace.as_deref().unwrap_or("");
    // A Dockerfile's name is its path in its repository (the engine's
    // `dockerfile_identity`), never the path as typed.
    format!("{group}/{}/{namespace}/{}", res.kind, res.name)
}

/// The group a kind of the retired `extensions` group lives in now: a manifest moved
/// from `extensions/v1beta1` to `apps/v1` (as Kubernetes 1.16 required) is the same
/// object, and its baselined findings stay known.
fn moved_group<'a>(group: &'a str, kind: &str) -> &'a str {
    match (group, kind) {
        ("extensions", "Deployment" | "DaemonSet" | "ReplicaSet") => "apps",
        ("extensions", "NetworkPolicy" | "Ingress") => "networking.k8s.io",
        ("extensions", "PodSecurityPolicy") => "policy",
        _ => group,
    }
}

/// `spec.containers[1].image` as `spec.containers[web].image` for container `web`.
fn named_container(path: &str, name: &str) -> String {
    const LISTS: [&str; 3] = ["containers[", "initContainers[", "ephemeralContainers["];
    for list in LISTS {
        let Some(start) = path.find(list).map(|i| i + list.len()) else {
            continue;
        };
        let Some(len) = path[start..].find(']') else {
            continue;
        };
        if path[start..start + len].bytes().all(|b| b.is_ascii_digit()) {
            return format!("{}{name}{}", &path[..start], &path[start + len..]);
        }
    }
    path.to_string()
}

#[cfg(test)]
mod tests {
    use super::{identity, named_container};
    use kubeharden_load::Resource;

    #[test]
    fn an_object_moved_out_of_extensions_keeps_its_identity() {
        let of = |api_version: &str, kind: &str| {
            identity(&Resource {
                api_version: api_version.into(),
                kind: kind.into(),
                namespace: Some("shop".into()),
                name: "web".into(),
            })
        };
        assert_eq!(
            of("extensions/v1beta1", "Deployment"),
            of("apps/v1", "Deployment")
        );
        assert_eq!(of("apps/v1beta2", "DaemonSet"), of("apps/v1", "DaemonSet"));
        assert_eq!(
            of("extensions/v1beta1", "Ingress"),
            of("networking.k8s.io/v1", "Ingress")
        );
        // A kind of another group is not merged into one of its own name elsewhere.
        assert_ne!(
            of("example.com/v1", "Deployment"),
            of("apps/v1", "Deployment")
        );
    }

    #[test]
    fn container_indices_become_names() {
        assert_eq!(
            named_container("spec.template.spec.containers[1].image", "web"),
            "spec.template.spec.containers[web].image"
        );
        assert_eq!(
            named_container("spec.initContainers[0]", "init"),
            "spec.initContainers[init]"
        );
        assert_eq!(named_container("spec.volumes[0]", "web"), "spec.volumes[0]");
    }
}
