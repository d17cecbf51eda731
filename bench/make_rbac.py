#!/usr/bin/env python3
"""A synthetic RBAC estate for the RBAC benchmark: ROLES Roles and ClusterRoles and
BINDINGS RoleBindings and ClusterRoleBindings over NAMESPACES namespaces, with users,
groups and service accounts, a few aggregated ClusterRoles and some escalation chains.

usage: make_rbac.py OUT.yaml [--roles 5000] [--bindings 10000] [--namespaces 100]
"""
import argparse

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--roles", type=int, default=5000)
ap.add_argument("--bindings", type=int, default=10000)
ap.add_argument("--namespaces", type=int, default=100)
a = ap.parse_args()

RULES = [
    '{apiGroups: [""], resources: [pods, services, configmaps], verbs: [get, list, watch]}',
    '{apiGroups: [apps], resources: [deployments, statefulsets], verbs: [get, list, watch, create, update, patch]}',
    '{apiGroups: [""], resources: [secrets], verbs: [get], resourceNames: [app-tls]}',
    '{apiGroups: [""], resources: [pods/log], verbs: [get]}',
    '{apiGroups: [batch], resources: [jobs, cronjobs], verbs: ["*"]}',
    '{apiGroups: [""], resources: [pods/exec], verbs: [create]}',
]
docs = []
cluster_roles = a.roles // 10
for i in range(a.roles):
    rules = "".join(f"- {RULES[(i + k) % len(RULES)]}\n" for k in range(3))
    if i < cluster_roles:
        labels = "  labels: {rbac.example.com/aggregate-to-ops: 'true'}\n" if i % 50 == 0 else ""
        docs.append(f"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cr-{i:05d}\n{labels}rules:\n{rules}")
    else:
        ns = f"team-{i % a.namespaces:03d}"
        docs.append(f"apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: role-{i:05d}\n  namespace: {ns}\nrules:\n{rules}")
docs.append("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: ops}\naggregationRule:\n  clusterRoleSelectors:\n  - matchLabels: {rbac.example.com/aggregate-to-ops: 'true'}\nrules: []\n")
for j in range(a.bindings):
    ns = f"team-{j % a.namespaces:03d}"
    subject = [f"{{kind: User, name: user-{j % 3000:04d}}}", f"{{kind: Group, name: group-{j % 300:03d}}}", f"{{kind: ServiceAccount, name: sa-{j % 50:02d}, namespace: {ns}}}"][j % 3]
    if j % 10 == 0:
        role = f"cr-{j % cluster_roles:05d}"
        docs.append(f"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: crb-{j:05d}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}\nsubjects:\n- {subject}\n")
    else:
        i = cluster_roles + (j % (a.roles - cluster_roles))
        role_ns = f"team-{i % a.namespaces:03d}"
        if role_ns == ns:
            ref = f"{{apiGroup: rbac.authorization.k8s.io, kind: Role, name: role-{i:05d}}}"
        else:
            ref = f"{{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr-{j % cluster_roles:05d}}}"
        docs.append(f"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: rb-{j:05d}, namespace: {ns}}}\nroleRef: {ref}\nsubjects:\n- {subject}\n")
# A few chains to cluster-admin.
for k in range(5):
    docs.append(f"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: admin-{k}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}\nsubjects:\n- {{kind: ServiceAccount, name: sa-{k:02d}, namespace: team-{k:03d}}}\n")
with open(a.out, "w") as f:
    f.write("---\n".join(docs))
print(f"{a.out}: {len(docs)} objects")
