//! Objects defined in several files (samples side by side, a base and its overlays):
//! a binding grants the definition of its role nearest to it, not whichever file
//! happened to be read last.

mod common;

use common::view_of_files;

use kubeharden_rbac::{escalation_paths, Identity, RbacModel, Request, SubjectRef};

/// A sample's Role `app-role` and its RoleBinding `admin-binding`, both in `demo`.
fn sample(subject: &str, resource: &str) -> String {
    format!(
        r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: app-role, namespace: demo}}
rules:
- {{apiGroups: [""], resources: [{resource}], verbs: [get, list]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: admin-binding, namespace: demo}}
subjects:
- {{kind: User, name: {subject}, apiGroup: rbac.authorization.k8s.io}}
roleRef: {{kind: Role, name: app-role, apiGroup: rbac.authorization.k8s.io}}
"#
    )
}

fn allowed(model: &RbacModel<'_>, user: &str, resource: &str) -> bool {
    let who = Identity::of(&SubjectRef::User { name: user.into() });
    !model
        .can(&who, &Request::parse("get", resource, Some("demo"), None))
        .is_empty()
}

/// The files of the scanned bindings that grant `get` on `resource` in `demo`.
fn granting_files(model: &RbacModel<'_>, resource: &str) -> Vec<String> {
    let req = Request::parse("get", resource, Some("demo"), None);
    let grants = model.who_can(&req);
    let scanned = grants.iter().filter(|g| !g.binding.builtin);
    scanned
        .map(|g| g.binding.entry.origin.file.to_string())
        .collect()
}

#[test]
fn each_sample_binding_grants_its_own_role() {
    let (a, b) = (sample("alice", "secrets"), sample("bob", "configmaps"));
    let view = view_of_files(&[
        ("repo/samples/a/rbac.yaml", &a),
        ("repo/samples/b/rbac.yaml", &b),
    ]);
    let model = RbacModel::build(&view);
    assert_eq!(
        model
            .roles
            .iter()
            .filter(|r| r.key.name == "app-role")
            .count(),
        2
    );
    assert!(allowed(&model, "alice", "secrets"));
    assert!(!allowed(&model, "alice", "configmaps"));
    assert!(allowed(&model, "bob", "configmaps"));
    assert!(!allowed(&model, "bob", "secrets"));
    assert_eq!(
        granting_files(&model, "secrets"),
        ["repo/samples/a/rbac.yaml"]
    );
}

#[test]
fn a_binding_without_a_role_beside_it_takes_the_nearest_ancestor_s() {
    let overlay_binding = sample("carol", "pods")
        .split("---")
        .nth(1)
        .unwrap()
        .to_string();
    let view = view_of_files(&[
        // Read last, so "the last definition wins" would pick it.
        ("repo/vendor/rbac.yaml", &sample("alice", "secrets")),
        ("repo/overlays/rbac.yaml", &sample("bob", "configmaps")),
        ("repo/overlays/prod/binding.yaml", &overlay_binding),
    ]);
    let model = RbacModel::build(&view);
    // overlays/ is prod's parent: its Role is the one applied with prod's binding.
    assert!(allowed(&model, "carol", "configmaps"));
    assert!(!allowed(&model, "carol", "secrets"));
}

#[test]
fn the_same_binding_twice_in_one_file_is_one_binding() {
    let one = sample("alice", "secrets");
    let view = view_of_files(&[("rbac.yaml", &format!("{one}---\n{one}"))]);
    let model = RbacModel::build(&view);
    assert_eq!(granting_files(&model, "secrets"), ["rbac.yaml"]);
}

/// Escalation through a pod's service account: the SA that disables automount in
/// the pod's own folder stops the exec hop, whatever another folder says.
#[test]
fn escalation_reads_the_service_account_beside_the_pod() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: demo}\nspec:\n  serviceAccountName: app\n  containers: [{name: c, image: x}]\n";
    let sa = |automount: bool| {
        format!("apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: app, namespace: demo}}\nautomountServiceAccountToken: {automount}\n")
    };
    let rbac = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec, namespace: demo}
rules:
- {apiGroups: [""], resources: [pods/exec], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: exec, namespace: demo}
subjects:
- {kind: User, name: eve, apiGroup: rbac.authorization.k8s.io}
roleRef: {kind: Role, name: exec, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: app-admin}
subjects:
- {kind: ServiceAccount, name: app, namespace: demo}
roleRef: {kind: ClusterRole, name: cluster-admin, apiGroup: rbac.authorization.k8s.io}
"#;
    let eve_escalates = |pod_sa: bool, other_sa: bool| {
        let (near, far) = (sa(pod_sa), sa(other_sa));
        let view = view_of_files(&[
            ("repo/rbac.yaml", rbac),
            ("repo/app/pod.yaml", pod),
            ("repo/app/sa.yaml", &near),
            ("repo/other/sa.yaml", &far),
        ]);
        let model = RbacModel::build(&view);
        let paths = escalation_paths(&model, &view);
        paths
            .iter()
            .any(|p| p.start == SubjectRef::User { name: "eve".into() })
    };
    assert!(!eve_escalates(false, true));
    assert!(eve_escalates(true, false));
}
