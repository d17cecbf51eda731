//! Kubernetes' own roles and bindings, as a live cluster (or a dump of one) holds
//! them: one that adds nothing to the built-in of its name is the built-in, judged as
//! the bootstrap policy is; one with rules or subjects of its own is the scan's.

mod common;

use common::view_of_files;

use kubeharden_rbac::RbacModel;

const VIEW_ROLE: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:public-info-viewer
  labels: {kubernetes.io/bootstrapping: rbac-defaults}
  annotations: {rbac.authorization.kubernetes.io/autoupdate: "true"}
rules:
- nonResourceURLs: [/healthz, /livez, /readyz, /version, /version/]
  verbs: [get]
"#;

const BINDING: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:public-info-viewer
  labels: {kubernetes.io/bootstrapping: rbac-defaults}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:public-info-viewer}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:authenticated}
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:unauthenticated}
"#;

fn scanned_builtin(text: &str, name: &str) -> (bool, bool) {
    let view = view_of_files(&[("dump.yaml", text)]);
    let model = RbacModel::build(&view);
    let role = model
        .roles
        .iter()
        .find(|r| r.key.name == name && r.entry.origin.file.as_ref() == "dump.yaml")
        .map(|r| r.builtin);
    let binding = model
        .bindings
        .iter()
        .find(|b| {
            b.entry.origin.resource.name == name && b.entry.origin.file.as_ref() == "dump.yaml"
        })
        .map(|b| b.builtin);
    (role.unwrap_or(true), binding.unwrap_or(true))
}

#[test]
fn kubernetes_own_objects_as_read_are_the_built_ins() {
    let text = format!("{VIEW_ROLE}---\n{BINDING}");
    assert_eq!(
        scanned_builtin(&text, "system:public-info-viewer"),
        (true, true)
    );
}

#[test]
fn a_rule_or_subject_of_ones_own_makes_them_the_scans() {
    let role = VIEW_ROLE.replace(
        "  verbs: [get]\n",
        "  verbs: [get]\n- {apiGroups: [\"\"], resources: [secrets], verbs: [list]}\n",
    );
    let binding = BINDING.replace(
        "kind: Group, name: system:unauthenticated}",
        "kind: Group, name: system:unauthenticated}\n- {apiGroup: rbac.authorization.k8s.io, kind: User, name: mallory}",
    );
    let text = format!("{role}---\n{binding}");
    assert_eq!(
        scanned_builtin(&text, "system:public-info-viewer"),
        (false, false)
    );
}
