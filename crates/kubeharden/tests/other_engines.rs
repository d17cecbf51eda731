//! Policy objects of other engines (Cilium, Calico, AdminNetworkPolicy) and pods made
//! by operators: where they could change the answer, kubeharden says the answer
//! depends on them instead of reporting pods as open or policies as dead. Each case is
//! run with and without the object that changes the answer.

mod common;

const NAMESPACE_AND_WORKLOAD: &str = "apiVersion: v1
kind: Namespace
metadata: {name: payments}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ledger, namespace: payments}
spec:
  selector:
    matchLabels: {app: ledger}
  template:
    metadata:
      labels: {app: ledger}
    spec:
      containers:
      - name: ledger
        image: registry.example.com/ledger:7.3
";

const CILIUM_POLICY: &str = "---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: ledger, namespace: payments}
spec:
  endpointSelector:
    matchLabels: {app: ledger}
  ingress:
  - fromEndpoints:
    - matchLabels: {app: api}
";

const CALICO_GLOBAL: &str = "---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: default-deny}
spec:
  selector: projectcalico.org/namespace not in {'kube-system'}
  types: [Ingress, Egress]
";

fn scan(yaml: &str) -> serde_json::Value {
    let out = common::run_in(
        &common::root(),
        &["scan", "-", "--format", "json"],
        Some(yaml.as_bytes()),
    );
    common::json(&out)
}

/// The rules the findings state, and those they stand for (`covers`: a namespace's
/// missing default-deny stands for the workloads it leaves open, KH512).
fn ids(doc: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = common::rule_ids(doc)
        .into_iter()
        .map(String::from)
        .collect();
    for f in doc["findings"].as_array().unwrap() {
        for rule in f["covers"].as_array().into_iter().flatten() {
            ids.push(rule.as_str().unwrap().to_string());
        }
    }
    ids
}

/// The not-judged entries whose reason mentions `what`: (scope, rules).
fn not_judged(doc: &serde_json::Value, what: &str) -> Vec<(String, Vec<String>)> {
    doc["summary"]["skipped_checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reason"].as_str().unwrap().contains(what))
        .map(|s| {
            let rules = s["rules"].as_array().unwrap();
            (
                s["scope"].as_str().unwrap().to_string(),
                rules
                    .iter()
                    .map(|r| r.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn without_other_engines_the_namespace_is_open() {
    let doc = scan(NAMESPACE_AND_WORKLOAD);
    let found = ids(&doc);
    for rule in ["KH510", "KH511", "KH512"] {
        assert!(found.iter().any(|f| f == rule), "{rule} missing: {found:?}");
    }
    assert!(not_judged(&doc, "depends on").is_empty());
}

#[test]
fn a_cilium_policy_makes_isolation_depend_on_cilium() {
    let doc = scan(&format!("{NAMESPACE_AND_WORKLOAD}{CILIUM_POLICY}"));
    let found = ids(&doc);
    for rule in ["KH510", "KH511", "KH512"] {
        assert!(
            !found.iter().any(|f| f == rule),
            "{rule} reported: {found:?}"
        );
    }
    let deferred = not_judged(
        &doc,
        "depends on Cilium policies (CiliumNetworkPolicy payments/ledger)",
    );
    assert_eq!(deferred.len(), 1, "{}", doc["summary"]);
    assert_eq!(deferred[0].0, "namespace payments");
    assert_eq!(deferred[0].1, ["KH510", "KH511", "KH512"]);
}

#[test]
fn a_cluster_wide_calico_policy_applies_to_every_namespace() {
    let doc = scan(&format!("{NAMESPACE_AND_WORKLOAD}{CALICO_GLOBAL}"));
    assert!(!ids(&doc).iter().any(|f| f == "KH512"), "{doc}");
    let deferred = not_judged(&doc, "GlobalNetworkPolicy default-deny");
    assert!(
        deferred
            .iter()
            .any(|(scope, _)| scope == "namespace payments"),
        "{deferred:?}"
    );
}

#[test]
fn a_policy_for_operator_made_pods_is_unknown_not_dead() {
    let policy = "---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: prometheus-k8s, namespace: payments}
spec:
  podSelector:
    matchLabels: {app.kubernetes.io/name: prometheus}
  policyTypes: [Ingress]
";
    let prometheus = "---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: payments}
spec:
  replicas: 2
";
    // Alone, the policy selects nothing: dead.
    let doc = scan(&format!("{NAMESPACE_AND_WORKLOAD}{policy}"));
    assert!(ids(&doc).iter().any(|f| f == "KH513"), "{doc}");
    // With the Prometheus the operator turns into pods: unknown, and said so.
    let doc = scan(&format!("{NAMESPACE_AND_WORKLOAD}{policy}{prometheus}"));
    assert!(!ids(&doc).iter().any(|f| f == "KH513"), "{doc}");
    let unknown = not_judged(
        &doc,
        "an operator may run its pods for Prometheus payments/k8s",
    );
    assert_eq!(
        unknown,
        [(
            "NetworkPolicy payments/prometheus-k8s".to_string(),
            vec!["KH513".to_string()]
        )]
    );
}

#[test]
fn a_custom_resource_that_runs_nothing_does_not_hide_a_dead_policy() {
    let policy = "---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: stale, namespace: payments}
spec:
  podSelector:
    matchLabels: {app: ledger-v1}
";
    let certificate = "---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: ledger-tls, namespace: payments}
spec:
  secretName: ledger-tls
  dnsNames: [ledger.example.com]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
";
    let doc = scan(&format!("{NAMESPACE_AND_WORKLOAD}{policy}{certificate}"));
    assert!(ids(&doc).iter().any(|f| f == "KH513"), "{doc}");
    // A KafkaTopic's replicas are its replication factor: it runs nothing either.
    let topic = "---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaTopic
metadata: {name: orders, namespace: payments}
spec:
  partitions: 12
  replicas: 3
";
    let doc = scan(&format!("{NAMESPACE_AND_WORKLOAD}{policy}{topic}"));
    assert!(ids(&doc).iter().any(|f| f == "KH513"), "{doc}");
}

const FLANNEL: &str = "---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-flannel-ds, namespace: kube-flannel}
spec:
  selector:
    matchLabels: {app: flannel}
  template:
    metadata:
      labels: {app: flannel}
    spec:
      containers:
      - name: kube-flannel
        image: docker.io/flannel/flannel:v0.24.4
";

/// The severities of the findings of `rule`.
fn severities(doc: &serde_json::Value, rule: &str) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .map(|f| f["severity"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn flannel_alone_enforces_no_network_policy() {
    let policy = "---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: payments}
spec:
  podSelector: {}
  policyTypes: [Ingress]
";
    // Policies that flannel ignores: high.
    let doc = scan(&format!("{NAMESPACE_AND_WORKLOAD}{FLANNEL}{policy}"));
    assert_eq!(severities(&doc, "KH517"), ["high"], "{doc}");
    // No policies yet: none can be added (medium).
    let doc = scan(&format!("{NAMESPACE_AND_WORKLOAD}{FLANNEL}"));
    assert_eq!(severities(&doc, "KH517"), ["medium"], "{doc}");
    // No plugin in the scan: nothing to say.
    let doc = scan(&format!("{NAMESPACE_AND_WORKLOAD}{policy}"));
    assert!(severities(&doc, "KH517").is_empty(), "{doc}");
    // Calico beside flannel (Canal) enforces.
    let calico = FLANNEL.replace("kube-flannel-ds", "calico-node").replace(
        "docker.io/flannel/flannel:v0.24.4",
        "quay.io/calico/node:v3.28.1",
    );
    let doc = scan(&format!(
        "{NAMESPACE_AND_WORKLOAD}{FLANNEL}{calico}{policy}"
    ));
    assert!(severities(&doc, "KH517").is_empty(), "{doc}");
}

const API: &str = "---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        image: registry.example.com/api:2.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: payments}
spec:
  podSelector: {}
  policyTypes: [Ingress]
";

/// `netpol reach` from api to ledger on `yaml`: (verdict, NetworkPolicy verdict,
/// reason, plugins).
fn reach(yaml: &str) -> serde_json::Value {
    let out = common::run_in(
        &common::root(),
        &[
            "netpol",
            "reach",
            "-",
            "--from",
            "payments/api",
            "--to",
            "payments/ledger",
            "--format",
            "json",
        ],
        Some(yaml.as_bytes()),
    );
    common::json(&out)
}

#[test]
fn reach_says_when_another_engine_or_the_plugin_decides() {
    // NetworkPolicies alone: denied, and the plugin is not in the scan.
    let doc = reach(&format!("{NAMESPACE_AND_WORKLOAD}{API}"));
    assert_eq!(doc["verdict"], "denied", "{doc}");
    assert_eq!(doc["network_plugins"], serde_json::json!([]));
    // A Cilium policy could allow it: unknown, with the reason.
    let doc = reach(&format!("{NAMESPACE_AND_WORKLOAD}{API}{CILIUM_POLICY}"));
    assert_eq!(doc["verdict"], "unknown", "{doc}");
    assert_eq!(doc["network_policy_verdict"], "denied");
    assert!(doc["verdict_reason"]
        .as_str()
        .unwrap()
        .contains("CiliumNetworkPolicy payments/ledger"));
    // flannel enforces nothing: allowed whatever the policies say.
    let doc = reach(&format!("{NAMESPACE_AND_WORKLOAD}{API}{FLANNEL}"));
    assert_eq!(doc["verdict"], "allowed", "{doc}");
    assert_eq!(doc["network_plugins"][0]["name"], "flannel");
    assert_eq!(doc["network_plugins"][0]["enforces_network_policy"], false);
}

#[test]
fn a_mirrored_flannel_is_still_flannel() {
    let mirrored = FLANNEL.replace(
        "docker.io/flannel/flannel:v0.24.4",
        "registry.corp.example/mirror/rancher/mirrored-flannel-flannel:v0.25.1",
    );
    let doc = scan(&format!("{NAMESPACE_AND_WORKLOAD}{mirrored}"));
    assert_eq!(severities(&doc, "KH517"), ["medium"], "{doc}");
}

#[test]
fn the_aws_cni_policy_agent_may_or_may_not_enforce() {
    // The default aws-node DaemonSet ships the agent with --enable-network-policy=false.
    let aws_node = "---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: aws-node, namespace: kube-system}
spec:
  selector:
    matchLabels: {k8s-app: aws-node}
  template:
    metadata:
      labels: {k8s-app: aws-node}
    spec:
      containers:
      - name: aws-node
        image: 602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.1-eksbuild.1
      - name: aws-eks-nodeagent
        image: 602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent:v1.1.0-eksbuild.1
        args: [--enable-network-policy=false]
";
    let doc = scan(&format!("{NAMESPACE_AND_WORKLOAD}{aws_node}"));
    assert!(severities(&doc, "KH517").is_empty(), "{doc}");
    let doc = reach(&format!("{NAMESPACE_AND_WORKLOAD}{API}{aws_node}"));
    assert_eq!(doc["verdict"], "unknown", "{doc}");
    assert_eq!(doc["network_policy_verdict"], "denied");
    assert_eq!(
        doc["network_plugins"][0]["enforces_network_policy"],
        serde_json::Value::Null
    );
    // Without the agent, the CNI enforces nothing.
    let cni_only: String = aws_node.lines().take(14).collect::<Vec<_>>().join("\n") + "\n";
    let doc = reach(&format!("{NAMESPACE_AND_WORKLOAD}{API}{cni_only}"));
    assert_eq!(doc["verdict"], "allowed", "{doc}");
}
