#!/usr/bin/env python3
"""The objects of the live-cluster scale benchmark (bench/live.sh), for kubectl create:
N namespaces, each with its default ServiceAccount and a few more, Deployments, bare
Pods, Services, NetworkPolicies, Roles and RoleBindings, ConfigMaps; plus ClusterRoles
and ClusterRoleBindings. Workloads are a mix as real clusters have them: most with
some hardening, some with none, a few privileged or on the host network.

Files are written OUT/NN-kind-KKK.yaml, multi-document streams of at most 2,000
objects (Namespaces and ServiceAccounts first: pods are admitted only with theirs).

usage: make_live.py OUT [--objects 50000] [--namespaces 200]
"""
import argparse
import os

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--objects", type=int, default=50000)
ap.add_argument("--namespaces", type=int, default=200)
a = ap.parse_args()

# Shares of the objects that are not Namespaces or default ServiceAccounts.
SHARES = [
    ("pods", 0.40),
    ("deployments", 0.16),
    ("services", 0.16),
    ("networkpolicies", 0.08),
    ("roles", 0.06),
    ("rolebindings", 0.06),
    ("configmaps", 0.02),
    ("clusterroles", 0.01),
    ("clusterrolebindings", 0.01),
]
# Each namespace: its Namespace, its default ServiceAccount and sa-0 ... sa-9.
rest = a.objects - 12 * a.namespaces
counts = {k: int(rest * s / sum(s for _, s in SHARES)) for k, s in SHARES}
counts["pods"] += rest - sum(counts.values())
os.makedirs(a.out, exist_ok=True)


def ns_of(i):
    return f"team-{i % a.namespaces:03d}"


def container(i):
    """A container: hardened (60%), partly hardened (30%) or not at all (10%)."""
    image = f"registry.example.com/team/app-{i % 50}:1.{i % 9}.0"
    if i % 10 < 6:
        return f"""      - name: app
        image: {image}@sha256:{i % 16:x}{'0' * 63}
        ports: [{{name: http, containerPort: 8080}}]
        resources:
          requests: {{cpu: 100m, memory: 128Mi}}
          limits: {{cpu: 500m, memory: 256Mi}}
        securityContext:
          runAsNonRoot: true
          runAsUser: 10001
          runAsGroup: 10001
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {{drop: [ALL]}}
          seccompProfile: {{type: RuntimeDefault}}
"""
    if i % 10 < 9:
        return f"""      - name: app
        image: {image}
        ports: [{{name: http, containerPort: 8080}}]
        resources:
          limits: {{cpu: 500m, memory: 256Mi}}
        securityContext: {{runAsNonRoot: true, allowPrivilegeEscalation: false}}
"""
    privileged = "        securityContext: {privileged: true}\n" if i % 30 == 9 else ""
    return f"""      - name: app
        image: app-{i % 50}:latest
        env: [{{name: LOG_LEVEL, value: debug}}]
{privileged}"""


def pod_spec(i, indent):
    """A pod spec's fields, `indent` spaces in."""
    host = "      hostNetwork: true\n" if i % 97 == 0 else ""
    sa = f"      serviceAccountName: sa-{i % 10}\n" if i % 3 == 0 else ""
    spec = f"{host}{sa}      automountServiceAccountToken: {'false' if i % 2 else 'true'}\n      containers:\n{container(i)}"
    return "".join(" " * indent + line[6:] + "\n" for line in spec.splitlines())


def write(name, docs, chunk=2000):
    """NAME-KKK.yaml files of at most `chunk` documents: created in parallel."""
    stem = name.removesuffix(".yaml")
    for k in range(0, len(docs), chunk):
        with open(os.path.join(a.out, f"{stem}-{k // chunk:03d}.yaml"), "w") as f:
            f.write("---\n".join(docs[k:k + chunk]))


write("00-namespaces.yaml", [
    f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns_of(n)}\n  labels: {{team: t{n % 10}}}\n"
    for n in range(a.namespaces)
])
accounts = [f"apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: default, namespace: {ns_of(n)}}}\n"
            for n in range(a.namespaces)]
accounts += [f"apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: sa-{k}, namespace: {ns_of(n)}}}\n"
             for n in range(a.namespaces) for k in range(10)]
write("01-serviceaccounts.yaml", accounts)
write("10-deployments.yaml", [
    f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app-{i}, namespace: {ns_of(i)}}}\nspec:\n  replicas: 2\n  selector: {{matchLabels: {{app: app-{i}}}}}\n  template:\n    metadata: {{labels: {{app: app-{i}, tier: {['web', 'api', 'db'][i % 3]}}}}}\n    spec:\n{pod_spec(i, 6)}"
    for i in range(counts["deployments"])
])
write("11-pods.yaml", [
    f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\n  namespace: {ns_of(i)}\n  labels: {{app: app-{i % counts['deployments']}, tier: {['web', 'api', 'db'][i % 3]}}}\nspec:\n{pod_spec(i, 2)}"
    for i in range(counts["pods"])
])
write("12-services.yaml", [
    f"apiVersion: v1\nkind: Service\nmetadata: {{name: svc-{i}, namespace: {ns_of(i)}}}\nspec:\n  type: {'NodePort' if i % 25 == 0 else 'ClusterIP'}\n  selector: {{app: app-{i % max(1, counts['deployments'])}}}\n  ports: [{{port: 80, targetPort: http}}]\n"
    for i in range(counts["services"])
])
policies = []
for i in range(counts["networkpolicies"]):
    if i < a.namespaces:
        policies.append(f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: default-deny, namespace: {ns_of(i)}}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n")
    else:
        policies.append(f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: allow-{i}, namespace: {ns_of(i)}}}\nspec:\n  podSelector:\n    matchExpressions: [{{key: tier, operator: In, values: [web, api]}}]\n  ingress:\n  - from:\n    - namespaceSelector: {{matchLabels: {{team: t{i % 10}}}}}\n      podSelector: {{matchLabels: {{tier: web}}}}\n    ports: [{{port: http}}]\n")
write("13-networkpolicies.yaml", policies)
write("14-configmaps.yaml", [
    f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg-{i}, namespace: {ns_of(i)}}}\ndata:\n  app.properties: |\n    db.url=jdbc:postgresql://db:5432/app\n    db.user=app\n{'    db.password=hunter2-' + str(i) + chr(10) if i % 20 == 0 else ''}"
    for i in range(counts["configmaps"])
])
verbs = ["[get, list, watch]", "[get, list, watch, create, update, patch, delete]", '["*"]']
resources = ["[configmaps, services]", "[pods, pods/log]", "[secrets]", "[deployments, replicasets]", "[pods/exec]"]
write("20-roles.yaml", [
    f"apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: role-{i}, namespace: {ns_of(i)}}}\nrules:\n- apiGroups: ['', apps]\n  resources: {resources[i % 5]}\n  verbs: {verbs[i % 3 if i % 17 == 0 else 0]}\n"
    for i in range(counts["roles"])
])
write("21-rolebindings.yaml", [
    f"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: rb-{i}, namespace: {ns_of(i)}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: role-{i % counts['roles']}}}\nsubjects:\n- {{kind: {'User' if i % 2 else 'ServiceAccount'}, name: {'user-' + str(i % 300) if i % 2 else 'sa-' + str(i % 10)}{'' if i % 2 else ', namespace: ' + ns_of(i)}{', apiGroup: rbac.authorization.k8s.io' if i % 2 else ''}}}\n"
    for i in range(counts["rolebindings"])
])
write("22-clusterroles.yaml", [
    f"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: cluster-role-{i}}}\nrules:\n- apiGroups: ['']\n  resources: {resources[i % 5]}\n  verbs: {verbs[0] if i % 50 else verbs[2]}\n"
    for i in range(counts["clusterroles"])
])
write("23-clusterrolebindings.yaml", [
    f"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: crb-{i}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-role-{i % counts['clusterroles']}}}\nsubjects:\n- {{kind: Group, name: group-{i % 40}, apiGroup: rbac.authorization.k8s.io}}\n"
    for i in range(counts["clusterrolebindings"])
])
total = 12 * a.namespaces + sum(counts.values())
print(f"{total} objects in {a.out}")
