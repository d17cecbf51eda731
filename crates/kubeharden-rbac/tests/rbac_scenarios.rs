//! RBAC verdicts checked by hand against the Kubernetes RBAC documentation
//! (reference/access-authn-authz/rbac): aggregation, resourceNames, namespace
//! scoping, groups, service accounts, wildcards, subresources, non-resource URLs and
//! the default roles.

mod common;

use common::view;

use kubeharden_rbac::{Identity, RbacModel, Request, SubjectRef};

const OBJECTS: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: default}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, watch, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods, namespace: default}
subjects:
- {kind: User, name: jane, apiGroup: rbac.authorization.k8s.io}
roleRef: {kind: Role, name: pod-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, watch, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-secrets, namespace: development}
subjects:
- {kind: User, name: dave, apiGroup: rbac.authorization.k8s.io}
roleRef: {kind: ClusterRole, name: secret-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: read-secrets-global}
subjects:
- {kind: Group, name: manager, apiGroup: rbac.authorization.k8s.io}
roleRef: {kind: ClusterRole, name: secret-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: configmap-updater, namespace: default}
rules:
- {apiGroups: [""], resources: [configmaps], resourceNames: [my-configmap], verbs: [update, get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: update-one, namespace: default}
subjects:
- {kind: User, name: carol}
roleRef: {kind: Role, name: configmap-updater, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-and-pod-logs-reader, namespace: default}
rules:
- {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: logs, namespace: default}
subjects:
- {kind: ServiceAccount, name: log-shipper}
roleRef: {kind: Role, name: pod-and-pod-logs-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.example.com/aggregate-to-monitoring: "true"}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-endpoints
  labels: {rbac.example.com/aggregate-to-monitoring: "true"}
rules:
- {apiGroups: [""], resources: [services, endpointslices, pods], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: monitoring}
subjects:
- {kind: ServiceAccount, name: prometheus, namespace: monitoring}
roleRef: {kind: ClusterRole, name: monitoring, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: cronjob-aggregate
  labels: {rbac.authorization.k8s.io/aggregate-to-edit: "true"}
rules:
- {apiGroups: [stable.example.com], resources: [crontabs], verbs: [get, list, watch, create, update, patch, delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs-edit, namespace: shop}
subjects:
- {kind: Group, name: devs}
roleRef: {kind: ClusterRole, name: edit, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: auditors-view, namespace: shop}
subjects:
- {kind: Group, name: auditors}
roleRef: {kind: ClusterRole, name: view, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: lead-admin, namespace: shop}
subjects:
- {kind: User, name: lee}
roleRef: {kind: ClusterRole, name: admin, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: exec-anything}
rules:
- {apiGroups: ["*"], resources: ["*/exec"], verbs: [create]}
- {nonResourceURLs: [/healthz, "/metrics/*"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops-exec}
subjects:
- {kind: Group, name: "system:serviceaccounts:ops"}
roleRef: {kind: ClusterRole, name: exec-anything, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: root}
subjects:
- {kind: User, name: root-user}
roleRef: {kind: ClusterRole, name: cluster-admin, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dangling, namespace: shop}
subjects:
- {kind: User, name: ghost}
roleRef: {kind: Role, name: does-not-exist, apiGroup: rbac.authorization.k8s.io}
"#;

/// (subject, verb, resource, namespace, name, allowed)
type Case<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    bool,
);

#[test]
fn verdicts_agree_with_the_rbac_documentation() {
    let view = view(OBJECTS);
    let model = RbacModel::build(&view);
    let cases: &[Case<'_>] = &[
        // A Role grants only in its namespace.
        ("user:jane", "get", "pods", Some("default"), None, true),
        ("user:jane", "list", "pods", Some("default"), None, true),
        ("user:jane", "get", "pods", Some("kube-system"), None, false),
        ("user:jane", "list", "pods", None, None, false),
        ("user:jane", "delete", "pods", Some("default"), None, false),
        ("user:jane", "get", "pods/log", Some("default"), None, false),
        ("user:jane", "get", "secrets", Some("default"), None, false),
        // A RoleBinding to a ClusterRole grants only in the binding's namespace.
        (
            "user:dave",
            "get",
            "secrets",
            Some("development"),
            None,
            true,
        ),
        ("user:dave", "get", "secrets", Some("default"), None, false),
        ("user:dave", "list", "secrets", None, None, false),
        // A ClusterRoleBinding grants in every namespace and cluster-wide.
        ("group:manager", "list", "secrets", None, None, true),
        (
            "group:manager",
            "get",
            "secrets",
            Some("kube-system"),
            None,
            true,
        ),
        (
            "group:manager",
            "create",
            "secrets",
            Some("default"),
            None,
            false,
        ),
        ("user:someone-else", "list", "secrets", None, None, false),
        // resourceNames limit a rule to those names; list and create have none.
        (
            "user:carol",
            "update",
            "configmaps",
            Some("default"),
            Some("my-configmap"),
            true,
        ),
        (
            "user:carol",
            "update",
            "configmaps",
            Some("default"),
            Some("other"),
            false,
        ),
        (
            "user:carol",
            "get",
            "configmaps",
            Some("default"),
            None,
            false,
        ),
        (
            "user:carol",
            "list",
            "configmaps",
            Some("default"),
            None,
            false,
        ),
        // Subresources are their own resources.
        (
            "sa:default/log-shipper",
            "get",
            "pods/log",
            Some("default"),
            None,
            true,
        ),
        (
            "sa:default/log-shipper",
            "get",
            "pods",
            Some("default"),
            None,
            true,
        ),
        (
            "sa:default/log-shipper",
            "get",
            "pods/exec",
            Some("default"),
            None,
            false,
        ),
        // A ServiceAccount subject without a namespace is in the binding's namespace.
        (
            "sa:other/log-shipper",
            "get",
            "pods/log",
            Some("default"),
            None,
            false,
        ),
        // Aggregated ClusterRoles take the rules of the roles their selectors match.
        ("sa:monitoring/prometheus", "list", "pods", None, None, true),
        // The documentation's example lists endpointslices in the core group, but
        // they are served by discovery.k8s.io, so the rule grants nothing real.
        (
            "sa:monitoring/prometheus",
            "list",
            "endpointslices",
            None,
            None,
            false,
        ),
        (
            "sa:monitoring/prometheus",
            "watch",
            "services",
            Some("shop"),
            None,
            true,
        ),
        (
            "sa:monitoring/prometheus",
            "delete",
            "services",
            Some("shop"),
            None,
            false,
        ),
        // The default roles: edit, view, admin, via RoleBindings.
        (
            "group:devs",
            "create",
            "deployments",
            Some("shop"),
            None,
            true,
        ),
        (
            "group:devs",
            "create",
            "pods/exec",
            Some("shop"),
            None,
            true,
        ),
        ("group:devs", "get", "secrets", Some("shop"), None, true),
        (
            "group:devs",
            "create",
            "rolebindings",
            Some("shop"),
            None,
            false,
        ),
        (
            "group:devs",
            "create",
            "deployments",
            Some("prod"),
            None,
            false,
        ),
        (
            "group:devs",
            "create",
            "crontabs.stable.example.com",
            Some("shop"),
            None,
            true,
        ),
        (
            "group:devs",
            "impersonate",
            "serviceaccounts",
            Some("shop"),
            None,
            true,
        ),
        ("group:auditors", "list", "pods", Some("shop"), None, true),
        (
            "group:auditors",
            "get",
            "secrets",
            Some("shop"),
            None,
            false,
        ),
        (
            "group:auditors",
            "get",
            "pods/log",
            Some("shop"),
            None,
            true,
        ),
        (
            "group:auditors",
            "create",
            "pods/exec",
            Some("shop"),
            None,
            false,
        ),
        (
            "user:lee",
            "create",
            "rolebindings",
            Some("shop"),
            None,
            true,
        ),
        (
            "user:lee",
            "create",
            "deployments",
            Some("shop"),
            None,
            true,
        ),
        ("user:lee", "list", "pods", Some("shop"), None, true),
        (
            "user:lee",
            "create",
            "clusterrolebindings",
            None,
            None,
            false,
        ),
        // Wildcards in groups and resources, and `*/exec`.
        (
            "sa:ops/runner",
            "create",
            "pods/exec",
            Some("shop"),
            None,
            true,
        ),
        (
            "sa:ops/runner",
            "create",
            "pods/attach",
            Some("shop"),
            None,
            false,
        ),
        ("sa:ops/runner", "create", "pods", Some("shop"), None, false),
        (
            "sa:other/runner",
            "create",
            "pods/exec",
            Some("shop"),
            None,
            false,
        ),
        // Non-resource URLs: exact, or by trailing `*`; only ClusterRoleBindings grant them.
        ("sa:ops/runner", "get", "/healthz", None, None, true),
        ("sa:ops/runner", "get", "/metrics/slis", None, None, true),
        ("sa:ops/runner", "get", "/metrics", None, None, false),
        ("sa:ops/runner", "post", "/healthz", None, None, false),
        // cluster-admin can do anything, anywhere.
        ("user:root-user", "delete", "nodes", None, None, true),
        (
            "user:root-user",
            "escalate",
            "clusterroles",
            None,
            None,
            true,
        ),
        ("user:root-user", "get", "/logs", None, None, true),
        // The bootstrap bindings: every authenticated user may discover the API and
        // check its own access; anonymous users may only read health and version.
        ("user:jane", "get", "/version", None, None, true),
        (
            "user:jane",
            "create",
            "selfsubjectaccessreviews",
            None,
            None,
            true,
        ),
        ("user:system:anonymous", "get", "/healthz", None, None, true),
        ("user:system:anonymous", "get", "/apis", None, None, false),
        (
            "group:system:masters",
            "delete",
            "namespaces",
            None,
            None,
            true,
        ),
        // A binding to a role that does not exist grants nothing.
        ("user:ghost", "get", "pods", Some("shop"), None, false),
    ];
    let mut wrong = Vec::new();
    for (subject, verb, resource, ns, name, expected) in cases {
        let id = Identity::of(&SubjectRef::parse(subject).unwrap());
        let req = Request::parse(verb, resource, *ns, *name);
        let got = !model.can(&id, &req).is_empty();
        if got != *expected {
            wrong.push(format!(
                "{subject} {}: expected {expected}, got {got}",
                req.describe()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} disagree:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
    assert!(cases.len() >= 50, "only {} scenarios", cases.len());
    eprintln!(
        "{} RBAC verdicts agree with the documented semantics",
        cases.len()
    );
}

#[test]
fn who_can_lists_subjects_with_their_grants() {
    let view = view(OBJECTS);
    let model = RbacModel::build(&view);
    let req = Request::parse("get", "secrets", Some("development"), None);
    let who: Vec<String> = model
        .who_can(&req)
        .iter()
        .map(|g| format!("{} via {}", g.subject, g.binding.describe()))
        .collect();
    assert!(
        who.contains(&"user:dave via RoleBinding development/read-secrets".to_string()),
        "{who:?}"
    );
    assert!(who.contains(&"group:manager via ClusterRoleBinding read-secrets-global".to_string()));
    assert!(who.contains(&"group:system:masters via ClusterRoleBinding cluster-admin".to_string()));
    assert!(!who.iter().any(|w| w.starts_with("user:jane")));
}
