//! NetworkPolicy verdicts checked by hand against the Kubernetes documentation
//! (concepts/services-networking/network-policies): each case is a set of objects and
//! the connections it must allow, deny, or leave undecided.

use std::sync::Arc;

use kubeharden_cluster::netpol::{reach, Verdict};
use kubeharden_cluster::{ClusterFacts, ClusterView};
use kubeharden_load::{load_text, Workload};
use kubeharden_yaml::Limits;

use Verdict::{Allowed as A, Denied as D, Unknown as U};

fn pod(ns: &str, name: &str, labels: &str, ports: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels: {{{labels}}}\nspec:\n  containers:\n  - name: c\n    image: x\n    ports: [{ports}]\n---\n")
}

/// A Pod that runs, with its address in `status.podIP`.
fn pod_at(ns: &str, name: &str, labels: &str, ports: &str, ip: &str) -> String {
    let text = pod(ns, name, labels, ports);
    let text = text.trim_end_matches("---\n");
    format!("{text}status:\n  podIP: {ip}\n  podIPs: [{{ip: {ip}}}]\n---\n")
}

fn namespace(name: &str, labels: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels: {{{labels}}}\n---\n"
    )
}

fn policy(ns: &str, name: &str, spec: &str) -> String {
    let spec: String = spec.lines().map(|l| format!("  {l}\n")).collect();
    format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n{spec}---\n")
}

/// The usual cast: web, db and client pods in `default`, a client in `other`.
fn cast() -> String {
    [
        pod(
            "default",
            "web",
            "app: web, role: frontend",
            "{name: http, containerPort: 8080}",
        ),
        pod(
            "default",
            "db",
            "app: db, role: db",
            "{name: redis, containerPort: 6379}, {name: dns, containerPort: 53, protocol: UDP}",
        ),
        pod("default", "client", "role: client", ""),
        pod("other", "client", "role: client", ""),
        pod("other", "tool", "role: tool", ""),
    ]
    .concat()
}

fn view(text: &str) -> ClusterView {
    let name: Arc<str> = "t.yaml".into();
    let loaded = load_text(&name, text, &Limits::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let mut facts = ClusterFacts::default();
    for object in &loaded.objects {
        let workload = Workload::from_object(object).map(|(w, errors)| {
            assert!(errors.is_empty(), "{errors:?}");
            w
        });
        let errors = facts.observe(object, workload.as_ref());
        assert!(errors.is_empty(), "{errors:?}");
    }
    ClusterView::build(facts)
}

/// (from, to, port as "6379/TCP" or "", expected)
type Check<'a> = (&'a str, &'a str, &'a str, Verdict);

fn check(name: &str, objects: &str, checks: &[Check<'_>]) -> usize {
    let v = view(objects);
    for (from, to, port, expected) in checks {
        let find = |spec: &str| {
            let (ns, pod) = spec.split_once('/').unwrap();
            let found = v.find_pod(ns, pod);
            assert_eq!(found.len(), 1, "{name}: pod {spec}");
            &v.pods[found[0]]
        };
        let port = port
            .split_once('/')
            .map(|(p, proto)| (p.parse::<i32>().unwrap(), proto));
        let got = reach(&v, find(from), find(to), port).verdict;
        assert_eq!(got, *expected, "{name}: {from} -> {to} {port:?}");
    }
    checks.len()
}

#[test]
fn scenarios_from_the_kubernetes_documentation() {
    let mut n = 0;
    n += check(
        "no policies: everything is allowed",
        &cast(),
        &[
            ("default/web", "default/db", "6379/TCP", A),
            ("other/client", "default/db", "", A),
        ],
    );

    n += check(
        "default deny all ingress",
        &(cast()
            + &policy(
                "default",
                "deny-ingress",
                "podSelector: {}\npolicyTypes: [Ingress]",
            )),
        &[
            ("default/web", "default/db", "", D),
            ("other/client", "default/web", "", D),
            ("default/db", "other/tool", "", A),
        ],
    );
    n += check(
        "allow all ingress",
        &(cast()
            + &policy("default", "deny", "podSelector: {}\npolicyTypes: [Ingress]")
            + &policy("default", "allow-all", "podSelector: {}\ningress: [{}]")),
        &[
            ("other/client", "default/db", "6379/TCP", A),
            ("other/client", "default/db", "1/UDP", A),
        ],
    );
    n += check(
        "default deny all egress",
        &(cast()
            + &policy(
                "default",
                "deny-egress",
                "podSelector: {}\npolicyTypes: [Egress]",
            )),
        &[
            ("default/web", "default/db", "", D),
            ("default/web", "other/tool", "", D),
            ("other/client", "default/web", "", A),
        ],
    );
    n += check(
        "allow all egress",
        &(cast()
            + &policy(
                "default",
                "deny-egress",
                "podSelector: {}\npolicyTypes: [Egress]",
            )
            + &policy(
                "default",
                "allow-egress",
                "podSelector: {}\negress: [{}]\npolicyTypes: [Egress]",
            )),
        &[("default/web", "other/tool", "", A)],
    );
    n += check(
        "default deny all ingress and egress",
        &(cast()
            + &policy(
                "default",
                "deny-all",
                "podSelector: {}\npolicyTypes: [Ingress, Egress]",
            )),
        &[
            ("default/web", "default/db", "", D),
            ("default/db", "default/web", "", D),
            ("other/client", "other/tool", "", A),
        ],
    );

    let example = policy(
        "default",
        "test-network-policy",
        "podSelector:\n  matchLabels: {role: db}\npolicyTypes: [Ingress, Egress]\ningress:\n- from:\n  - ipBlock: {cidr: 172.17.0.0/16, except: [172.17.1.0/24]}\n  - namespaceSelector:\n      matchLabels: {project: myproject}\n  - podSelector:\n      matchLabels: {role: frontend}\n  ports:\n  - {protocol: TCP, port: 6379}\negress:\n- to:\n  - ipBlock: {cidr: 10.0.0.0/24}\n  ports:\n  - {protocol: TCP, port: 5978}",
    );
    let with_ns = cast() + &namespace("other", "project: myproject") + &namespace("default", "");
    n += check(
        "the documentation's test-network-policy",
        &(with_ns.clone() + &example),
        &[
            ("default/web", "default/db", "6379/TCP", A),
            ("default/web", "default/db", "80/TCP", D),
            ("default/web", "default/db", "6379/UDP", D),
            ("other/tool", "default/db", "6379/TCP", A),
            // The client's address is unknown in manifests, and the ipBlock
            // 172.17.0.0/16 may hold it: undecided, never denied.
            ("default/client", "default/db", "6379/TCP", U),
            ("default/client", "default/db", "80/TCP", D),
            // db may send only to 10.0.0.0/24 on 5978; web's address is unknown.
            ("default/db", "default/web", "", U),
            ("default/db", "default/web", "80/TCP", D),
            ("default/web", "default/client", "", A),
            // A pod can always reach itself.
            ("default/db", "default/db", "", A),
        ],
    );
    n += check(
        "the example's namespace label missing: that namespace is denied",
        &(cast() + &namespace("other", "project: another") + &example),
        &[
            ("other/tool", "default/db", "6379/TCP", U),
            ("other/tool", "default/db", "80/TCP", D),
        ],
    );
    // With the pods' addresses (status.podIP, as a live cluster or a dump gives them),
    // ipBlock peers decide, `except` included, as in Kubernetes' e2e tests.
    let with_ips = [
        pod_at(
            "default",
            "web",
            "role: frontend",
            "{name: http, containerPort: 8080}",
            "10.0.0.7",
        ),
        pod_at(
            "default",
            "db",
            "role: db",
            "{name: redis, containerPort: 6379}",
            "10.0.0.9",
        ),
        pod_at("default", "client", "role: client", "", "172.17.0.5"),
        pod_at("other", "tool", "role: tool", "", "172.17.1.5"),
        pod_at("other", "client", "role: client", "", "192.168.1.1"),
    ]
    .concat();
    n += check(
        "the example with pod addresses",
        &(with_ips
            + &namespace("other", "project: another")
            + &namespace("default", "")
            + &example),
        &[
            ("default/client", "default/db", "6379/TCP", A),
            ("other/tool", "default/db", "6379/TCP", D),
            ("other/client", "default/db", "6379/TCP", D),
            ("default/db", "default/web", "5978/TCP", A),
            ("default/db", "default/web", "80/TCP", D),
            ("default/db", "default/client", "", D),
            ("default/db", "default/db", "", A),
        ],
    );
    n += check(
        "the example without the Namespace object: its labels are unknown",
        &(cast() + &example),
        &[
            ("other/tool", "default/db", "6379/TCP", U),
            ("other/tool", "default/db", "80/TCP", D),
        ],
    );

    let alice = pod("alice", "client", "role: client", "")
        + &pod("alice", "other", "role: other", "")
        + &pod("bob", "client", "role: client", "")
        + &namespace("alice", "user: alice")
        + &namespace("bob", "user: bob")
        + &namespace("default", "");
    n += check(
        "namespaceSelector AND podSelector in one peer",
        &(cast() + &alice + &policy("default", "and", "podSelector: {matchLabels: {app: db}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {user: alice}}\n    podSelector: {matchLabels: {role: client}}")),
        &[("alice/client", "default/db", "", A), ("bob/client", "default/db", "", D), ("alice/other", "default/db", "", D), ("default/client", "default/db", "", D)],
    );
    n += check(
        "namespaceSelector OR podSelector as two peers",
        &(cast() + &alice + &policy("default", "or", "podSelector: {matchLabels: {app: db}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {user: alice}}\n  - podSelector: {matchLabels: {role: client}}")),
        &[("alice/client", "default/db", "", A), ("alice/other", "default/db", "", A), ("default/client", "default/db", "", A), ("bob/client", "default/db", "", D)],
    );

    n += check(
        "named port resolved on the destination pod",
        &(cast()
            + &policy(
                "default",
                "named",
                "podSelector: {}\ningress:\n- ports: [{port: http}]",
            )),
        &[
            ("default/client", "default/web", "8080/TCP", A),
            ("default/client", "default/web", "9090/TCP", D),
            ("default/client", "default/db", "6379/TCP", D),
        ],
    );
    n += check(
        "endPort gives a range",
        &(cast() + &policy("default", "range", "podSelector: {matchLabels: {app: web}}\ningress:\n- ports: [{port: 32000, endPort: 32768}]")),
        &[("default/client", "default/web", "32500/TCP", A), ("default/client", "default/web", "32768/TCP", A), ("default/client", "default/web", "33000/TCP", D)],
    );
    n += check(
        "protocols are distinct and TCP is the default",
        &(cast() + &policy("default", "dns", "podSelector: {matchLabels: {app: db}}\ningress:\n- ports: [{port: 53, protocol: UDP}, {port: 6379}]")),
        &[("default/web", "default/db", "53/UDP", A), ("default/web", "default/db", "53/TCP", D), ("default/web", "default/db", "6379/TCP", A)],
    );
    n += check(
        "a port without a number is every port of its protocol",
        &(cast()
            + &policy(
                "default",
                "udp",
                "podSelector: {matchLabels: {app: db}}\ningress:\n- ports: [{protocol: UDP}]",
            )),
        &[
            ("default/web", "default/db", "9999/UDP", A),
            ("default/web", "default/db", "9999/TCP", D),
        ],
    );

    n += check(
        "policyTypes omitted with egress rules: the policy isolates egress too",
        &(cast() + &policy("default", "implicit", "podSelector: {matchLabels: {app: web}}\negress:\n- to: [{podSelector: {matchLabels: {app: db}}}]")),
        &[("default/web", "default/db", "", A), ("default/web", "default/client", "", D), ("default/client", "default/web", "", D)],
    );
    n += check(
        "policyTypes omitted with egress: [] only isolates ingress",
        &(cast()
            + &policy(
                "default",
                "empty-egress",
                "podSelector: {matchLabels: {app: web}}\negress: []",
            )),
        &[
            ("default/web", "default/client", "", A),
            ("default/client", "default/web", "", D),
        ],
    );
    n += check(
        "policyTypes [Ingress] ignores egress rules",
        &(cast() + &policy("default", "ingress-only", "podSelector: {matchLabels: {app: web}}\npolicyTypes: [Ingress]\ningress: [{}]\negress:\n- to: [{podSelector: {matchLabels: {app: db}}}]")),
        &[("default/web", "default/client", "", A)],
    );
    n += check(
        "ingress: [] denies like a missing ingress",
        &(cast()
            + &policy(
                "default",
                "empty",
                "podSelector: {matchLabels: {app: web}}\ningress: []",
            )),
        &[("default/client", "default/web", "", D)],
    );
    n += check(
        "an empty podSelector peer is every pod of the policy's namespace",
        &(cast()
            + &policy(
                "default",
                "same-ns",
                "podSelector: {matchLabels: {app: web}}\ningress:\n- from: [{podSelector: {}}]",
            )),
        &[
            ("default/client", "default/web", "", A),
            ("other/client", "default/web", "", D),
        ],
    );
    n += check(
        "an empty namespaceSelector peer is every pod of every namespace",
        &(cast() + &policy("default", "all-ns", "podSelector: {matchLabels: {app: web}}\ningress:\n- from: [{namespaceSelector: {}}]")),
        &[("other/client", "default/web", "", A), ("default/client", "default/web", "", A)],
    );
    n += check(
        "policies are additive",
        &(cast()
            + &policy("default", "from-web", "podSelector: {matchLabels: {app: db}}\ningress:\n- from: [{podSelector: {matchLabels: {app: web}}}]")
            + &policy("default", "from-client", "podSelector: {matchLabels: {app: db}}\ningress:\n- from: [{podSelector: {matchLabels: {role: client}}}]\n  ports: [{port: 6379}]")),
        &[("default/web", "default/db", "53/UDP", A), ("default/client", "default/db", "6379/TCP", A), ("default/client", "default/db", "53/UDP", D), ("other/tool", "default/db", "", D)],
    );
    n += check(
        "a policy only affects pods of its own namespace",
        &(cast() + &policy("other", "deny", "podSelector: {}\npolicyTypes: [Ingress]")),
        &[
            ("default/web", "default/db", "", A),
            ("default/web", "other/tool", "", D),
        ],
    );
    n += check(
        "both the sender's egress and the receiver's ingress must allow",
        &(cast()
            + &policy(
                "other",
                "deny-egress",
                "podSelector: {}\npolicyTypes: [Egress]",
            )
            + &policy("default", "allow-in", "podSelector: {}\ningress: [{}]")),
        &[
            ("other/client", "default/web", "", D),
            ("default/client", "default/web", "", A),
        ],
    );
    n += check(
        "egress allowed but ingress isolated",
        &(cast()
            + &policy("other", "allow-out", "podSelector: {}\negress: [{}]")
            + &policy(
                "default",
                "deny-in",
                "podSelector: {matchLabels: {app: web}}\npolicyTypes: [Ingress]",
            )),
        &[
            ("other/client", "default/web", "", D),
            ("other/client", "default/db", "", A),
        ],
    );
    n += check(
        "the metadata.name label is known without the Namespace object",
        &(cast() + &policy("default", "by-name", "podSelector: {matchLabels: {app: web}}\ningress:\n- from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}}]")),
        &[("other/client", "default/web", "", A), ("default/client", "default/web", "", D)],
    );
    n += check(
        "matchExpressions select the protected pods",
        &(cast() + &policy("default", "exprs", "podSelector:\n  matchExpressions:\n  - {key: app, operator: In, values: [web, db]}\n  - {key: role, operator: NotIn, values: [db]}\npolicyTypes: [Ingress]")),
        &[("default/client", "default/web", "", D), ("default/client", "default/db", "", A)],
    );
    n += check(
        "Exists and DoesNotExist in peers",
        &(cast() + &policy("default", "exists", "podSelector: {matchLabels: {app: db}}\ningress:\n- from:\n  - podSelector:\n      matchExpressions:\n      - {key: app, operator: Exists}\n      - {key: legacy, operator: DoesNotExist}")),
        &[("default/web", "default/db", "", A), ("default/client", "default/db", "", D)],
    );
    n += check(
        "an ipBlock of 0.0.0.0/0 may hold any pod whose address is unknown",
        &(cast() + &policy("default", "cidr", "podSelector: {matchLabels: {app: db}}\ningress:\n- from: [{ipBlock: {cidr: 0.0.0.0/0}}]")),
        &[("default/web", "default/db", "", U)],
    );
    n += check(
        "an ipBlock matches pods by address, IPv4 and IPv6 apart",
        &(pod_at("default", "web", "app: web", "", "10.244.1.5")
            + &pod_at("default", "v6", "app: v6", "", "fd00::5")
            + &pod("default", "db", "app: db", "")
            + &policy("default", "cidr", "podSelector: {matchLabels: {app: db}}\ningress:\n- from: [{ipBlock: {cidr: 0.0.0.0/0}}]")),
        &[("default/web", "default/db", "", A), ("default/v6", "default/db", "", D)],
    );
    n += check(
        "egress to a named port of the destination",
        &(cast() + &policy("default", "egress-named", "podSelector: {matchLabels: {app: web}}\npolicyTypes: [Egress]\negress:\n- to: [{podSelector: {matchLabels: {app: db}}}]\n  ports: [{port: redis}]")),
        &[("default/web", "default/db", "6379/TCP", A), ("default/web", "default/db", "53/UDP", D)],
    );
    assert!(n >= 40, "only {n} hand-checked verdicts");
    eprintln!("{n} NetworkPolicy verdicts agree with the documented semantics");
}
