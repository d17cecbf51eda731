#!/usr/bin/env python3
"""A synthetic cluster for the cluster-wide analysis benchmark: N namespaces, each with
pods/N Deployments, policies/N NetworkPolicies and services/N Services, plus the
Namespace objects, LimitRanges and ResourceQuotas, written as one multi-document file.

usage: make_cluster.py OUT.yaml [--pods 10000] [--policies 1000] [--services 2000] [--namespaces 100]
"""
import argparse

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--pods", type=int, default=10000)
ap.add_argument("--policies", type=int, default=1000)
ap.add_argument("--services", type=int, default=2000)
ap.add_argument("--namespaces", type=int, default=100)
a = ap.parse_args()

docs = []
per_ns = lambda total, i: total // a.namespaces + (1 if i < total % a.namespaces else 0)
for n in range(a.namespaces):
    ns = f"team-{n:03d}"
    docs.append(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels: {{team: t{n % 10}, pod-security.kubernetes.io/enforce: baseline}}\n")
    docs.append(f"apiVersion: v1\nkind: LimitRange\nmetadata: {{name: defaults, namespace: {ns}}}\nspec:\n  limits:\n  - type: Container\n    default: {{cpu: 500m, memory: 256Mi}}\n")
    docs.append(f"apiVersion: v1\nkind: ResourceQuota\nmetadata: {{name: compute, namespace: {ns}}}\nspec:\n  hard: {{requests.cpu: '40', requests.memory: 80Gi, pods: '500'}}\n")
    pods = per_ns(a.pods, n)
    for p in range(pods):
        app = f"app-{p:03d}"
        tier = ["web", "api", "db", "cache"][p % 4]
        host = "      hostNetwork: true\n" if p % 97 == 0 else ""
        docs.append(f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: {ns}
spec:
  selector:
    matchLabels: {{app: {app}}}
  template:
    metadata:
      labels: {{app: {app}, tier: {tier}, release: r{p % 5}}}
    spec:
{host}      serviceAccountName: {app}
      containers:
      - name: main
        image: registry.example.com/{ns}/{app}:1.{p}.0
        ports:
        - {{name: http, containerPort: 8080}}
""")
    for k in range(per_ns(a.policies, n)):
        if k == 0:
            spec = "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"
        else:
            tier = ["web", "api", "db", "cache"][k % 4]
            peer = ["web", "api", "db", "cache"][(k + 1) % 4]
            spec = f"""  podSelector:
    matchExpressions:
    - {{key: tier, operator: In, values: [{tier}]}}
    - {{key: release, operator: NotIn, values: [r{k % 5}]}}
  ingress:
  - from:
    - podSelector: {{matchLabels: {{tier: {peer}}}}}
    - namespaceSelector: {{matchLabels: {{team: t{k % 10}}}}}
      podSelector: {{matchLabels: {{tier: web}}}}
    ports:
    - {{port: http}}
  egress:
  - to:
    - podSelector: {{matchLabels: {{tier: {peer}}}}}
"""
        docs.append(f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: policy-{k:03d}\n  namespace: {ns}\nspec:\n{spec}")
    for s in range(per_ns(a.services, n)):
        kind = "NodePort" if s % 10 == 0 else "ClusterIP"
        docs.append(f"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{s:03d}\n  namespace: {ns}\nspec:\n  type: {kind}\n  selector: {{app: app-{s % max(pods, 1):03d}}}\n  ports:\n  - {{port: 80, targetPort: http}}\n")

with open(a.out, "w") as f:
    f.write("---\n".join(docs))
print(f"{a.out}: {len(docs)} objects")
