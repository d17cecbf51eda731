//! Escalation paths through every kind of hop, checked by hand: which subjects reach
//! cluster-admin, in how many steps, and through what.

mod common;

use common::view;

use kubeharden_rbac::{escalation_paths, Node, RbacModel};

fn role(kind: &str, ns: Option<&str>, name: &str, rules: &str) -> String {
    let ns = ns.map(|n| format!(", namespace: {n}")).unwrap_or_default();
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {{name: {name}{ns}}}\nrules:\n{rules}\n---\n"
    )
}

fn binding(kind: &str, ns: Option<&str>, name: &str, subject: &str, role_ref: &str) -> String {
    let ns = ns.map(|n| format!(", namespace: {n}")).unwrap_or_default();
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {{name: {name}{ns}}}\nsubjects:\n- {subject}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, {role_ref}}}\n---\n"
    )
}

fn pod(ns: &str, name: &str, account: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  serviceAccountName: {account}\n  containers: [{{name: c, image: x}}]\n---\n"
    )
}

/// Each start's path as "subject: action -> target | ...", in subject order (users,
/// groups, then service accounts).
fn paths(text: &str) -> Vec<String> {
    let view = view(text);
    let model = RbacModel::build(&view);
    escalation_paths(&model, &view)
        .into_iter()
        .map(|p| {
            let hops: Vec<String> = p
                .hops
                .iter()
                .map(|h| {
                    let to = match &h.to {
                        Node::ClusterAdmin => "cluster-admin".to_string(),
                        Node::Subject(s) => s.to_string(),
                    };
                    format!("{} -> {to}", h.action)
                })
                .collect();
            format!("{}: {}", p.start, hops.join(" | "))
        })
        .collect()
}

/// A Role that may request tokens of the accounts of `ns`.
fn token_requester(ns: &str, name: &str) -> String {
    let rule = "- {apiGroups: [\"\"], resources: [serviceaccounts/token], verbs: [create]}";
    role("Role", Some(ns), name, rule)
}

/// An account in `ns` bound to cluster-admin, run by a pod so its token is mounted.
fn admin_account(ns: &str, name: &str) -> String {
    binding(
        "ClusterRoleBinding",
        None,
        &format!("{ns}-{name}-admin"),
        &format!("{{kind: ServiceAccount, name: {name}, namespace: {ns}}}"),
        "kind: ClusterRole, name: cluster-admin",
    ) + &pod(ns, &format!("{name}-pod"), name)
}

#[test]
fn nodes_proxy_reaches_a_mounted_admin_token_in_any_namespace() {
    let text = admin_account("ops", "robot")
        + &role(
            "ClusterRole",
            None,
            "kubelet-api",
            "- {apiGroups: [\"\"], resources: [nodes/proxy], verbs: [get]}",
        )
        + &binding(
            "ClusterRoleBinding",
            None,
            "monitoring",
            "{kind: User, name: carol, apiGroup: rbac.authorization.k8s.io}",
            "kind: ClusterRole, name: kubelet-api",
        );
    assert_eq!(
        paths(&text),
        [
            "user:carol: run commands in pods of ops through the kubelet (nodes/proxy) -> sa:ops/robot | hold cluster-admin -> cluster-admin",
            "sa:ops/robot: hold cluster-admin -> cluster-admin",
        ]
    );
}

#[test]
fn reading_secrets_where_a_legacy_token_lies() {
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: robot-token\n  namespace: ops\n  annotations: {kubernetes.io/service-account.name: robot}\ntype: kubernetes.io/service-account-token\n---\n";
    let text = binding(
        "ClusterRoleBinding",
        None,
        "robot-admin",
        "{kind: ServiceAccount, name: robot, namespace: ops}",
        "kind: ClusterRole, name: cluster-admin",
    ) + secret
        + &role(
            "Role",
            Some("ops"),
            "secret-reader",
            "- {apiGroups: [\"\"], resources: [secrets], verbs: [list]}",
        )
        + &binding(
            "RoleBinding",
            Some("ops"),
            "dave-reads",
            "{kind: User, name: dave, apiGroup: rbac.authorization.k8s.io}",
            "kind: Role, name: secret-reader",
        );
    assert_eq!(
        paths(&text),
        [
            "user:dave: read its legacy token Secret in ops -> sa:ops/robot | hold cluster-admin -> cluster-admin",
            "sa:ops/robot: hold cluster-admin -> cluster-admin",
        ]
    );
}

#[test]
fn cluster_wide_pod_creation_reaches_every_namespace_and_the_shortest_path_wins() {
    // erin can request tokens in `build` (two steps through `builder`, which can create
    // pods in `ops`) and, cluster-wide, create jobs: one step to sa:ops/robot.
    let text = admin_account("ops", "robot")
        + &pod("build", "b", "builder")
        + &token_requester("build", "tokens")
        + &binding(
            "RoleBinding",
            Some("build"),
            "erin-tokens",
            "{kind: User, name: erin, apiGroup: rbac.authorization.k8s.io}",
            "kind: Role, name: tokens",
        )
        + &role(
            "ClusterRole",
            None,
            "job-maker",
            "- {apiGroups: [batch], resources: [jobs], verbs: [create]}",
        )
        + &binding(
            "ClusterRoleBinding",
            None,
            "erin-jobs",
            "{kind: User, name: erin, apiGroup: rbac.authorization.k8s.io}",
            "kind: ClusterRole, name: job-maker",
        )
        + &binding(
            "RoleBinding",
            Some("ops"),
            "builder-jobs",
            "{kind: ServiceAccount, name: builder, namespace: build}",
            "kind: ClusterRole, name: job-maker",
        );
    assert_eq!(
        paths(&text),
        [
            "user:erin: create jobs in namespace ops running as its service account -> sa:ops/robot | hold cluster-admin -> cluster-admin",
            "sa:build/builder: create jobs in namespace ops running as its service account -> sa:ops/robot | hold cluster-admin -> cluster-admin",
            "sa:ops/robot: hold cluster-admin -> cluster-admin",
        ]
    );
}

#[test]
fn token_requests_chain_and_dead_ends_give_no_path() {
    let text = admin_account("ops", "robot")
        + &token_requester("build", "tokens")
        + &binding(
            "RoleBinding",
            Some("build"),
            "frank-tokens",
            "{kind: User, name: frank, apiGroup: rbac.authorization.k8s.io}",
            "kind: Role, name: tokens",
        )
        + &pod("build", "b", "builder")
        + &role(
            "Role",
            Some("ops"),
            "ops-tokens",
            "- {apiGroups: [\"\"], resources: [serviceaccounts/token], verbs: [create]}",
        )
        + &binding(
            "RoleBinding",
            Some("ops"),
            "builder-tokens",
            "{kind: ServiceAccount, name: builder, namespace: build}",
            "kind: Role, name: ops-tokens",
        )
        // gina reads pods only: no path.
        + &role(
            "Role",
            Some("ops"),
            "reader",
            "- {apiGroups: [\"\"], resources: [pods], verbs: [get, list]}",
        )
        + &binding(
            "RoleBinding",
            Some("ops"),
            "gina-reads",
            "{kind: User, name: gina, apiGroup: rbac.authorization.k8s.io}",
            "kind: Role, name: reader",
        );
    assert_eq!(
        paths(&text),
        [
            "user:frank: request a token of it (serviceaccounts/token in build) -> sa:build/builder | request a token of it (serviceaccounts/token in ops) -> sa:ops/robot | hold cluster-admin -> cluster-admin",
            "sa:build/builder: request a token of it (serviceaccounts/token in ops) -> sa:ops/robot | hold cluster-admin -> cluster-admin",
            "sa:ops/robot: hold cluster-admin -> cluster-admin",
        ]
    );
}

#[test]
fn cluster_wide_secret_reads_and_exec_reach_accounts_in_every_namespace() {
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: keeper-token\n  namespace: vault\n  annotations: {kubernetes.io/service-account.name: keeper}\ntype: kubernetes.io/service-account-token\n---\n";
    let user =
        |name: &str| format!("{{kind: User, name: {name}, apiGroup: rbac.authorization.k8s.io}}");
    let text = admin_account("ops", "robot")
        + &binding(
            "ClusterRoleBinding",
            None,
            "keeper-admin",
            "{kind: ServiceAccount, name: keeper, namespace: vault}",
            "kind: ClusterRole, name: cluster-admin",
        )
        + secret
        + &role(
            "ClusterRole",
            None,
            "secret-lister",
            "- {apiGroups: [\"\"], resources: [secrets], verbs: [list]}",
        )
        + &binding(
            "ClusterRoleBinding",
            None,
            "hank-lists",
            &user("hank"),
            "kind: ClusterRole, name: secret-lister",
        )
        + &role(
            "ClusterRole",
            None,
            "execer",
            "- {apiGroups: [\"\"], resources: [pods/exec], verbs: [create]}",
        )
        + &binding(
            "ClusterRoleBinding",
            None,
            "ivy-execs",
            &user("ivy"),
            "kind: ClusterRole, name: execer",
        );
    assert_eq!(
        paths(&text),
        [
            "user:hank: read its legacy token Secret in vault -> sa:vault/keeper | hold cluster-admin -> cluster-admin",
            "user:ivy: exec into a pod of ops that mounts its token -> sa:ops/robot | hold cluster-admin -> cluster-admin",
            "sa:ops/robot: hold cluster-admin -> cluster-admin",
            "sa:vault/keeper: hold cluster-admin -> cluster-admin",
        ]
    );
}
