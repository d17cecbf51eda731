//! Semantics where kubeharden once differed from the RBAC authorizer of the API
//! server, each found by the differential test against SubjectAccessReview
//! (crates/kubeharden/tests/testbed_rbac.rs) or reported by users.

mod common;

use common::view;

use kubeharden_rbac::{Identity, RbacModel, Request, SubjectRef};

fn can(
    model: &RbacModel<'_>,
    subject: &str,
    verb: &str,
    resource: &str,
    ns: Option<&str>,
    name: Option<&str>,
) -> bool {
    let subject = SubjectRef::parse(subject).unwrap();
    !model
        .can(
            &Identity::of(&subject),
            &Request::parse(verb, resource, ns, name),
        )
        .is_empty()
}

/// A namespace admin's ClusterRole, bound in one namespace, as operators write it.
const NAMESPACE_OPS: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: namespace-ops}
rules:
- {apiGroups: [""], resources: [pods, nodes, nodes/proxy, persistentvolumes, namespaces], verbs: ["*"]}
- {apiGroups: [""], resources: [users, groups], verbs: [impersonate]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind, escalate]}
- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ops, namespace: team-a}
subjects:
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: namespace-ops}
"#;

#[test]
fn a_role_binding_never_grants_cluster_scoped_resources() {
    let v = view(NAMESPACE_OPS);
    let m = RbacModel::build(&v);
    let ns = Some("team-a");
    assert!(can(&m, "user:alice", "delete", "pods", ns, None));
    // The request for a cluster-scoped resource carries no namespace, whatever -n says.
    for (verb, resource, name) in [
        ("get", "nodes", None),
        ("get", "nodes/proxy", Some("node-1")),
        ("create", "persistentvolumes", None),
        ("list", "namespaces", None),
        ("create", "namespaces", None),
        ("impersonate", "users", Some("bob")),
        ("impersonate", "groups", Some("system:masters")),
        ("escalate", "clusterroles", None),
        (
            "update",
            "certificatesigningrequests/approval",
            Some("csr-1"),
        ),
    ] {
        assert!(
            !can(&m, "user:alice", verb, resource, ns, name),
            "{verb} {resource}"
        );
    }
    // GET /api/v1/namespaces/team-a carries the namespace team-a; other namespaces not.
    assert!(can(
        &m,
        "user:alice",
        "get",
        "namespaces",
        None,
        Some("team-a")
    ));
    assert!(can(
        &m,
        "user:alice",
        "delete",
        "namespaces",
        Some("other"),
        Some("team-a")
    ));
    assert!(!can(
        &m,
        "user:alice",
        "get",
        "namespaces",
        ns,
        Some("team-b")
    ));
    // Binding a ClusterRole is checked in the namespace of the RoleBinding being made.
    assert!(can(
        &m,
        "user:alice",
        "bind",
        "clusterroles",
        ns,
        Some("edit")
    ));
    assert!(!can(
        &m,
        "user:alice",
        "bind",
        "clusterroles",
        None,
        Some("edit")
    ));
}

#[test]
fn a_subject_of_unknown_kind_matches_no_one() {
    let v = view(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployers, namespace: ci}
subjects:
- {kind: Serviceaccount, name: deployer}
- {kind: user, name: carol}
- {kind: Team, name: platform}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: no-namespace}
subjects:
- {kind: ServiceAccount, name: builder}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
"#,
    );
    let m = RbacModel::build(&v);
    let ns = Some("ci");
    assert!(!can(
        &m,
        "sa:ci/deployer",
        "create",
        "deployments",
        ns,
        None
    ));
    assert!(!can(&m, "user:carol", "create", "deployments", ns, None));
    // A service account without a namespace in a ClusterRoleBinding is no one.
    assert!(!can(&m, "sa:/builder", "get", "pods", ns, None));
    assert!(!can(&m, "sa:default/builder", "get", "pods", ns, None));
    let req = Request::parse("create", "deployments", ns, None);
    assert!(m
        .who_can(&req)
        .iter()
        .all(|g| g.binding.entry.origin.resource.name != "deployers"));
}

#[test]
fn a_scanned_built_in_role_is_reconciled_not_replaced() {
    // A "hardened" copy of built-ins, as the API server reconciles them at start-up
    // (checked by restarting kube-apiserver v1.37.2, docs/oracle.md): missing rules
    // and subjects come back; a binding with another roleRef is recreated as the
    // built-in, without its own subjects.
    let v = view(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:public-info-viewer}
rules:
- {nonResourceURLs: [/healthz], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:basic-user}
subjects:
- {kind: Group, name: auditors, apiGroup: rbac.authorization.k8s.io}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:basic-user}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:discovery}
subjects:
- {kind: Group, name: auditors, apiGroup: rbac.authorization.k8s.io}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
"#,
    );
    let m = RbacModel::build(&v);
    assert!(can(
        &m,
        "user:system:anonymous",
        "get",
        "/livez",
        None,
        None
    ));
    // The same roleRef: both the scanned and the built-in subjects.
    let review = ("create", "selfsubjectaccessreviews");
    assert!(can(&m, "group:auditors", review.0, review.1, None, None));
    assert!(can(&m, "user:mallory", review.0, review.1, None, None));
    // Another roleRef: the built-in binding only.
    assert!(!can(
        &m,
        "group:auditors",
        "get",
        "pods",
        Some("default"),
        None
    ));
    assert!(!can(&m, "group:auditors", "get", "/apis", None, None));
    assert!(can(&m, "user:mallory", "get", "/apis", None, None));
}

#[test]
fn a_built_in_annotated_autoupdate_false_is_replaced() {
    let v = view(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:public-info-viewer
  annotations: {rbac.authorization.kubernetes.io/autoupdate: "false"}
rules:
- {nonResourceURLs: [/healthz], verbs: [get]}
"#,
    );
    let m = RbacModel::build(&v);
    // system:public-info-viewer is the only role anonymous requests get.
    assert!(can(
        &m,
        "user:system:anonymous",
        "get",
        "/healthz",
        None,
        None
    ));
    assert!(!can(
        &m,
        "user:system:anonymous",
        "get",
        "/version",
        None,
        None
    ));
}

#[test]
fn an_aggregated_role_has_only_the_rules_it_selects() {
    // The aggregation controller overwrites the aggregated role's own rules, and a
    // reconciled `view` keeps its label, so it still aggregates into edit and admin.
    let v = view(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {example.com/aggregate-to-monitoring: "true"}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: metrics-reader, labels: {example.com/aggregate-to-monitoring: "true"}}
rules:
- {apiGroups: [""], resources: [pods, services], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: monitoring}
subjects:
- {kind: Group, name: monitoring, apiGroup: rbac.authorization.k8s.io}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-admin, namespace: dev}
subjects:
- {kind: User, name: dana, apiGroup: rbac.authorization.k8s.io}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
"#,
    );
    let m = RbacModel::build(&v);
    assert!(can(&m, "group:monitoring", "list", "pods", Some("x"), None));
    assert!(!can(
        &m,
        "group:monitoring",
        "get",
        "secrets",
        Some("x"),
        None
    ));
    assert!(can(
        &m,
        "user:dana",
        "list",
        "configmaps",
        Some("dev"),
        None
    ));
    assert!(can(
        &m,
        "user:dana",
        "create",
        "rolebindings",
        Some("dev"),
        None
    ));
}

#[test]
fn the_bootstrap_policy_includes_namespaced_roles() {
    let v = view("");
    let m = RbacModel::build(&v);
    // extension-apiserver-authentication-reader in kube-system, bound to the
    // scheduler and controller manager users.
    let read = |user: &str, ns: &str| {
        can(
            &m,
            user,
            "get",
            "configmaps",
            Some(ns),
            Some("extension-apiserver-authentication"),
        )
    };
    assert!(read("user:system:kube-scheduler", "kube-system"));
    assert!(!read("user:system:kube-scheduler", "default"));
    // bootstrap-signer in kube-public.
    assert!(can(
        &m,
        "sa:kube-system/bootstrap-signer",
        "update",
        "configmaps",
        Some("kube-public"),
        Some("cluster-info")
    ));
}
