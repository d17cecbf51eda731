//! Objects read from a cluster, as the rules see them: with their kind and API
//! version (which LIST answers leave out of their items), located at
//! `cluster://CONTEXT/NAMESPACE/KIND/NAME`, and with Secret values removed.

use std::sync::Arc;

use kubeharden_load::{Object, Resource};
use kubeharden_yaml::{Entry, Node, Value};

use crate::json::string;
use crate::kinds::Kind;

/// The scheme of cluster locations.
pub const SCHEME: &str = "cluster://";

/// `cluster://CONTEXT/NAMESPACE/KIND/NAME`, or `cluster://CONTEXT/KIND/NAME` for a
/// cluster-scoped object. The kind of a custom resource is `Kind.group`, so two
/// engines' `NetworkPolicy` kinds do not meet. A `/`, `%` or space in a part is
/// percent-encoded (a context named after an EKS ARN holds `/`).
pub fn location(context: &str, namespace: Option<&str>, kind: &str, name: &str) -> String {
    let mut out = String::from(SCHEME);
    out.push_str(&escape(context));
    for part in namespace.into_iter().chain([kind, name]) {
        out.push('/');
        out.push_str(&escape(part));
    }
    out
}

/// `cluster://CONTEXT`: where what concerns the whole cluster is located.
pub fn cluster_root(context: &str) -> String {
    format!("{SCHEME}{}", escape(context))
}

fn escape(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for c in part.chars() {
        match c {
            '/' | '%' | ' ' | '?' | '#' => out.push_str(&format!("%{:02X}", c as u32)),
            c if c.is_control() => out.push_str(&format!("%{:02X}", c as u32 & 0xff)),
            c => out.push(c),
        }
    }
    out
}

/// The kind as locations show it: `Pod`, `CiliumNetworkPolicy.cilium.io`.
pub fn location_kind(group: &str, kind: &str) -> String {
    if kubeharden_load::is_builtin_group(group) || group == "extensions" {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    }
}

/// Sets `key` to a string at the front of a mapping, replacing any earlier value.
fn put_first(root: &mut Node, key: &str, value: &str) {
    if let Value::Map(entries) = &mut root.value {
        entries.retain(|e| e.key.scalar().is_none_or(|s| &*s.text != key));
        entries.insert(
            0,
            Entry {
                key: string(key),
                value: string(value),
            },
        );
    }
}

fn metadata_text<'n>(root: &'n Node, key: &str) -> Option<&'n str> {
    root.get("metadata")?.get(key)?.scalar_text()
}

/// A LIST item as an object of `kind`, from cluster `context`.
pub(crate) fn from_item(mut root: Node, kind: &Kind, context: &str) -> Object {
    // Items of a LIST carry no kind and apiVersion of their own.
    put_first(&mut root, "kind", &kind.kind);
    put_first(&mut root, "apiVersion", &kind.api_version());
    if kind.group.is_empty() && kind.kind == "Secret" {
        redact_secret(&mut root);
    }
    let name = metadata_text(&root, "name").unwrap_or_default().to_string();
    let namespace = metadata_text(&root, "namespace").map(str::to_string);
    let resource = Resource {
        api_version: kind.api_version(),
        kind: kind.kind.clone(),
        namespace,
        name,
    };
    cluster_object(root, context, &kind.group, resource)
}

/// An object as a cluster holds it (a LIST item, the object of an admission request),
/// located at its `cluster://CONTEXT/...` address.
pub fn cluster_object(root: Node, context: &str, group: &str, resource: Resource) -> Object {
    let file = location(
        context,
        resource.namespace.as_deref(),
        &location_kind(group, &resource.kind),
        &resource.name,
    );
    Object {
        file: file.into(),
        helm_source: None,
        resource: Arc::new(resource),
        root,
        namespace_defaulted: false,
    }
}

/// The annotation in which `kubectl apply` keeps a copy of the object it applied.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Removes a Secret's values, which no rule judges in a cluster (a Secret is where
/// they belong): `data` and `stringData` keep their keys with empty values, and the
/// copy `kubectl apply` keeps in an annotation goes. Values never reach the rules,
/// the report or a snapshot.
pub fn redact_secret(root: &mut Node) {
    for field in ["data", "stringData"] {
        if let Some(Value::Map(entries)) = get_mut(root, field).map(|n| &mut n.value) {
            for entry in entries {
                entry.value = string("");
            }
        }
    }
    let annotations = get_mut(root, "metadata").and_then(|m| get_mut(m, "annotations"));
    if let Some(Value::Map(entries)) = annotations.map(|a| &mut a.value) {
        entries.retain(|e| e.key.scalar().is_none_or(|s| &*s.text != LAST_APPLIED));
    }
}

fn get_mut<'n>(node: &'n mut Node, key: &str) -> Option<&'n mut Node> {
    match &mut node.value {
        Value::Map(entries) => entries
            .iter_mut()
            .rev()
            .find(|e| e.key.scalar().is_some_and(|s| &*s.text == key))
            .map(|e| &mut e.value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::read_object;

    fn kind(group: &str, kind: &str, plural: &str) -> Kind {
        Kind {
            group: group.into(),
            version: "v1".into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced: true,
        }
    }

    #[test]
    fn locations_name_context_namespace_kind_and_name() {
        assert_eq!(
            location("prod", Some("shop"), "Deployment", "web"),
            "cluster://prod/shop/Deployment/web"
        );
        assert_eq!(
            location(
                "arn:aws:eks:eu-west-1:1:cluster/prod",
                None,
                "ClusterRole",
                "system:admin"
            ),
            "cluster://arn:aws:eks:eu-west-1:1:cluster%2Fprod/ClusterRole/system:admin"
        );
        assert_eq!(
            location_kind("cilium.io", "CiliumNetworkPolicy"),
            "CiliumNetworkPolicy.cilium.io"
        );
        assert_eq!(location_kind("apps", "Deployment"), "Deployment");
    }

    #[test]
    fn items_get_their_kind_and_a_location() {
        let item =
            read_object(br#"{"metadata":{"name":"web","namespace":"shop"},"spec":{}}"#).unwrap();
        let object = from_item(item, &kind("apps", "Deployment", "deployments"), "ctx");
        assert_eq!(&*object.file, "cluster://ctx/shop/Deployment/web");
        assert_eq!(object.resource.to_string(), "Deployment shop/web");
        assert_eq!(
            object.root.get("apiVersion").unwrap().as_str(),
            Some("apps/v1")
        );
        assert_eq!(object.root.entries()[1].key.as_str(), Some("kind"));
    }

    #[test]
    fn secret_values_are_removed_and_keys_kept() {
        let item = read_object(
            br#"{"metadata":{"name":"db","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"password\":\"aHVudGVyMg==\"}}","team":"a"}},
                "data":{"password":"aHVudGVyMg=="},"stringData":{"token":"t0k3n"},"type":"Opaque"}"#,
        )
        .unwrap();
        let object = from_item(item, &kind("", "Secret", "secrets"), "ctx");
        let data = object.root.get("data").unwrap();
        assert_eq!(data.get("password").unwrap().as_str(), Some(""));
        assert_eq!(
            object
                .root
                .get("stringData")
                .unwrap()
                .get("token")
                .unwrap()
                .as_str(),
            Some("")
        );
        let annotations = object
            .root
            .get("metadata")
            .unwrap()
            .get("annotations")
            .unwrap();
        assert!(annotations.get(LAST_APPLIED).is_none());
        assert!(annotations.get("team").is_some());
        let text = format!("{:?}", object.root);
        assert!(!text.contains("aHVudGVyMg") && !text.contains("t0k3n"));
    }
}
