//! RBAC objects at admission: what a binding grants depends on roles, and a role's
//! grants land at the bindings that grant it, so each is judged with the other from
//! the cluster view (judge.rs); without the view, what a binding's role grants is
//! unknown and said so.

use kubeharden_load::Object;
use kubeharden_yaml::Node;

/// The ClusterRole a RoleBinding or ClusterRoleBinding refers to, by name.
pub(crate) fn bound_cluster_role(root: &Node) -> Option<&str> {
    let role = root.get("roleRef")?;
    let kind = role.get("kind").and_then(Node::scalar_text);
    (kind == Some("ClusterRole"))
        .then(|| role.get("name").and_then(Node::scalar_text))
        .flatten()
}

/// The rules that judge what a binding grants, by its role's rules (KH610 and KH611
/// judge who it grants to, and stand without them).
pub(crate) const GRANT_RULES: [&str; 9] = [
    "KH601", "KH602", "KH603", "KH604", "KH605", "KH606", "KH607", "KH608", "KH609",
];

/// For a binding to a role whose rules are unknown (no cluster view): that role with
/// no rules, so that the rules about its subjects judge the binding.
pub(crate) fn stub_role(binding: &Object) -> Option<Object> {
    if !grants_unknown_role(binding) {
        return None;
    }
    let role_ref = binding.root.get("roleRef")?;
    let field = |k: &str| role_ref.get(k).and_then(Node::scalar_text);
    let (kind, name) = (field("kind")?, field("name")?);
    let namespace = match kind {
        "Role" => format!(
            "\n  namespace: {:?}",
            binding.resource.namespace.as_deref()?
        ),
        _ => String::new(),
    };
    let text = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: {name:?}{namespace}\nrules: []\n"
    );
    kubeharden_load::load_text(&"cluster".into(), &text, &Default::default())
        .objects
        .pop()
}

/// Whether `object` is a Role or ClusterRole of RBAC.
pub(crate) fn role_kind(object: &Object) -> bool {
    matches!(&*object.resource.kind, "Role" | "ClusterRole")
        && object
            .resource
            .api_version
            .starts_with("rbac.authorization.k8s.io/")
}

/// Whether `binding` grants the role of `kind` and `name` (a RoleBinding grants a
/// Role of its own namespace, `namespace`).
pub(crate) fn grants(binding: &Object, kind: &str, name: &str, namespace: Option<&str>) -> bool {
    if !matches!(
        &*binding.resource.kind,
        "RoleBinding" | "ClusterRoleBinding"
    ) {
        return false;
    }
    let role_ref = binding.root.get("roleRef");
    let field = |k: &str| role_ref.and_then(|r| r.get(k)).and_then(Node::scalar_text);
    let same_ns = kind == "ClusterRole" || binding.resource.namespace.as_deref() == namespace;
    field("kind") == Some(kind) && field("name") == Some(name) && same_ns
}

/// Whether a binding grants a Role, or a ClusterRole that is none of Kubernetes' own
/// (`cluster-admin`, `admin`, `edit`, `view`, `system:...`), whose rules only the
/// cluster holds.
pub(crate) fn grants_unknown_role(object: &Object) -> bool {
    if !matches!(&*object.resource.kind, "RoleBinding" | "ClusterRoleBinding") {
        return false;
    }
    let role_ref = object.root.get("roleRef");
    let field = |k: &str| role_ref.and_then(|r| r.get(k)).and_then(Node::scalar_text);
    match (field("kind"), field("name")) {
        (Some("Role"), _) => true,
        (Some("ClusterRole"), Some(name)) => {
            !["cluster-admin", "admin", "edit", "view"].contains(&name)
                && !name.starts_with("system:")
        }
        _ => false,
    }
}
