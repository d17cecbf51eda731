//! One finding per problem: findings that state one problem of one object are one
//! finding, which names every rule it stands for (`covers`), and no problem is lost.
//! Each case scans a small manifest with every rule, once merged and once with
//! `RuleSet::every_finding`; the last test does the same on the real-world corpus.

use std::collections::BTreeSet;

use kubeharden_engine::{clusters_of, scan_clusters, scan_text, ScanOptions, ScanReport};
use kubeharden_load::discover;
use kubeharden_rules::{Finding, RuleSet};

fn scan(text: &str, merged: bool) -> ScanReport {
    let rules = RuleSet::all().manifest_rules();
    let rules = if merged { rules } else { rules.every_finding() };
    scan_text("case.yaml", text, &rules, &ScanOptions::default())
}

/// `text` scanned with only `rules`.
fn scan_only(text: &str, rules: &[&str]) -> ScanReport {
    let selection = kubeharden_rules::Selection {
        select: rules.iter().map(|r| r.to_string()).collect(),
        ..Default::default()
    };
    let rules = RuleSet::new(&selection).unwrap();
    scan_text("case.yaml", text, &rules, &ScanOptions::default())
}

fn of<'r>(report: &'r ScanReport, rule: &str) -> Vec<&'r Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.rule_id == rule)
        .collect()
}

const POD: &str = "apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  automountServiceAccountToken: true
  containers:
  - name: app
    image: registry.example.com/app@sha256:0123
    resources:
      limits: {cpu: 500m}
  - name: side
    image: registry.example.com/side@sha256:0123
    resources:
      requests: {cpu: 100m}
  volumes:
  - name: docker
    hostPath: {path: /var/run/docker.sock}
  - name: data
    hostPath: {path: /srv/data}
";

#[test]
fn a_container_missing_requests_and_limits_is_one_finding() {
    // A request left unset takes the limit: app misses its memory limit and request
    // (its cpu request is its limit), side every limit and its memory request.
    let raw = scan(POD, false);
    assert_eq!(of(&raw, "KH201").len(), 3);
    assert_eq!(of(&raw, "KH202").len(), 2);
    let merged = scan(POD, true);
    let limits = of(&merged, "KH201");
    let messages: Vec<&str> = limits.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "container \"app\" sets no memory limit or memory request, and no LimitRange default covers them",
            "container \"side\" sets no cpu limit, memory limit or memory request, and no LimitRange default covers them",
        ]
    );
    assert_eq!(limits[0].path, "spec.containers[0].resources");
    assert!(limits.iter().all(|f| f.covers == ["KH202"]));
    assert!(of(&merged, "KH202").is_empty());
}

#[test]
fn a_sensitive_host_path_stands_for_its_host_path_volume() {
    let raw = scan(POD, false);
    assert_eq!(of(&raw, "KH103").len(), 2);
    let merged = scan(POD, true);
    let sensitive = of(&merged, "KH133");
    assert_eq!(sensitive.len(), 1);
    assert_eq!(sensitive[0].covers, ["KH103"]);
    assert_eq!(sensitive[0].path, "spec.volumes[0].hostPath.path");
    // The other host path is not sensitive: KH103 still reports it.
    let plain = of(&merged, "KH103");
    assert_eq!(plain.len(), 1);
    assert_eq!(plain[0].path, "spec.volumes[1].hostPath");
}

#[test]
fn the_default_account_s_token_is_one_finding_naming_both() {
    let raw = scan(POD, false);
    assert_eq!((of(&raw, "KH402").len(), of(&raw, "KH530").len()), (1, 1));
    let merged = scan(POD, true);
    assert!(of(&merged, "KH530").is_empty());
    let token = of(&merged, "KH402");
    assert_eq!(token[0].covers, ["KH530"]);
    assert_eq!(token[0].guidance, ["POD-31", "AUTHN-07"]);
    assert!(
        token[0].message.contains("\"default\" account"),
        "{}",
        token[0].message
    );
}

#[test]
fn a_rule_that_did_not_run_takes_nothing_in() {
    let report = scan_only(POD, &["KH103", "KH202"]);
    assert_eq!(of(&report, "KH103").len(), 2);
    // Without KH201, KH202's own findings are one per container.
    assert_eq!(of(&report, "KH202").len(), 2);
}

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80}]
";

#[test]
fn an_open_load_balancer_is_one_exposure() {
    assert_eq!(of(&scan(SERVICE, false), "KH542").len(), 1);
    let merged = scan(SERVICE, true);
    assert!(of(&merged, "KH542").is_empty());
    let exposed = of(&merged, "KH540");
    assert_eq!(exposed[0].covers, ["KH542"]);
    assert!(exposed[0].message.ends_with("any address can connect"));
}

const NAMESPACE: &str = "apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-only, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.example.com/web@sha256:0123}]
";

#[test]
fn a_namespace_without_default_deny_names_the_workloads_it_leaves_open() {
    let raw = scan(NAMESPACE, false);
    assert_eq!(of(&raw, "KH512").len(), 2, "one finding a direction");
    let merged = scan(NAMESPACE, true);
    assert!(of(&merged, "KH512").is_empty());
    for rule in ["KH510", "KH511"] {
        let namespace = of(&merged, rule);
        assert_eq!(namespace.len(), 1);
        assert_eq!(namespace[0].covers, ["KH512"]);
        assert!(namespace[0].message.ends_with("; open: Deployment web"));
    }
}

#[test]
fn a_workload_open_both_ways_is_one_finding_without_the_namespace_rules() {
    let report = scan_only(NAMESPACE, &["KH512"]);
    let open = of(&report, "KH512");
    assert_eq!(open.len(), 1);
    assert_eq!(
        open[0].message,
        "Deployment web is not isolated for ingress or egress: no NetworkPolicy selects its pods"
    );
}

const PROXY: &str = "apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-proxy, namespace: kube-system}
spec:
  selector: {matchLabels: {app: kube-proxy}}
  template:
    metadata: {labels: {app: kube-proxy}}
    spec:
      containers:
      - name: kube-proxy
        image: registry.k8s.io/kube-proxy@sha256:0123
        volumeMounts:
        - {name: xtables-lock, mountPath: /run/xtables.lock}
        - {name: logs, mountPath: /var/log, readOnly: true}
        - {name: docker, mountPath: /var/run/docker.sock, readOnly: true}
      volumes:
      - name: xtables-lock
        hostPath: {path: /run/xtables.lock, type: FileOrCreate}
      - name: logs
        hostPath: {path: /var/log}
      - name: docker
        hostPath: {path: /var/run/docker.sock}
";

fn volume<'r>(report: &'r ScanReport, name: &str) -> &'r Finding {
    let marker = format!("volume {name:?} ");
    of(report, "KH133")
        .into_iter()
        .find(|f| f.message.starts_with(&marker))
        .unwrap_or_else(|| panic!("no KH133 for {name}"))
}

#[test]
fn a_sensitive_host_path_is_graded_and_fixed_by_what_it_gives() {
    use kubeharden_rules::Severity;
    let merged = scan(PROXY, true);
    // iptables' lock, shared with the node: low, even writable and a host path volume.
    let lock = volume(&merged, "xtables-lock");
    assert_eq!(lock.severity, Severity::Low);
    assert_eq!(lock.covers, ["KH103", "KH134"]);
    let fix = lock.fix.as_deref().unwrap();
    assert!(
        fix.starts_with("Keep `/run/xtables.lock` only for kube-proxy"),
        "{fix}"
    );
    // Logs read-only: medium, not raised to KH103's high by the merge.
    let logs = volume(&merged, "logs");
    assert_eq!(
        (logs.severity, &logs.covers[..]),
        (Severity::Medium, &["KH103"][..])
    );
    assert!(logs
        .fix
        .as_deref()
        .unwrap()
        .starts_with("Keep `/var/log` read-only"));
    // The runtime socket: critical even read-only, and its fix says why.
    let docker = volume(&merged, "docker");
    assert_eq!(docker.severity, Severity::Critical);
    assert!(docker.fix.as_deref().unwrap().contains("container runtime"));
}

const HOST_NAMESPACES: &str = "apiVersion: v1
kind: Pod
metadata: {name: pid, namespace: shop}
spec:
  hostPID: true
  containers: [{name: c, image: registry.example.com/c@sha256:0123}]
---
apiVersion: v1
kind: Pod
metadata: {name: net, namespace: shop}
spec:
  hostNetwork: true
  hostIPC: true
  containers: [{name: c, image: registry.example.com/c@sha256:0123}]
";

#[test]
fn a_host_namespace_s_fix_names_the_field_set() {
    let report = scan(HOST_NAMESPACES, true);
    let fixes: Vec<(&str, &str, &str)> = of(&report, "KH102")
        .iter()
        .map(|f| {
            (
                &*f.resource.name,
                f.path.as_str(),
                f.fix.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fixes,
        [
            ("pid", "spec.hostPID", "Delete `hostPID: true` (it defaults to `false`)."),
            (
                "net",
                "spec.hostNetwork",
                "Delete `hostNetwork: true` (it defaults to `false`). Expose the workload through a Service instead of the host network."
            ),
            ("net", "spec.hostIPC", "Delete `hostIPC: true` (it defaults to `false`)."),
        ]
    );
}

const ADMIN: &str = "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: ci}
- {kind: User, name: alice}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- {apiGroups: [\"\"], resources: [secrets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-secrets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: ci}
";

fn at<'r>(report: &'r ScanReport, rule: &str, name: &str, path: &str) -> Vec<&'r Finding> {
    of(report, rule)
        .into_iter()
        .filter(|f| f.resource.name == name && f.path == path)
        .collect()
}

/// A subject that is cluster-admin is not also every narrower grant, of its binding or
/// of any other: one finding, naming the other bindings (they stay when it goes).
#[test]
fn a_cluster_admin_is_not_also_every_narrower_grant() {
    let narrower = [
        "KH603", "KH604", "KH605", "KH606", "KH607", "KH608", "KH609",
    ];
    let raw = scan(ADMIN, false);
    for subject in ["subjects[0]", "subjects[1]"] {
        for rule in narrower {
            assert_eq!(
                at(&raw, rule, "ci-admin", subject).len(),
                1,
                "{rule} {subject}"
            );
        }
    }
    let merged = scan(ADMIN, true);
    for subject in ["subjects[0]", "subjects[1]"] {
        let admin = at(&merged, "KH601", "ci-admin", subject);
        assert_eq!(admin.len(), 1, "{subject}");
        assert_eq!(admin[0].covers, narrower, "{subject}");
        assert!(admin[0].message.contains("do anything (cluster-admin)"));
        for rule in narrower {
            assert!(
                at(&merged, rule, "ci-admin", subject).is_empty(),
                "{rule} {subject}"
            );
        }
    }
    // Another binding's grant to the same subject is taken in too, and named.
    assert!(at(&merged, "KH603", "ci-secrets", "subjects[0]").is_empty());
    let deployer = at(&merged, "KH601", "ci-admin", "subjects[0]");
    assert!(
        deployer[0].message.ends_with("it also holds narrower grants through ClusterRoleBinding ci-secrets, which stay when this binding goes"),
        "{}",
        deployer[0].message
    );
    let alice = at(&merged, "KH601", "ci-admin", "subjects[1]");
    assert!(
        !alice[0].message.contains("ci-secrets"),
        "{}",
        alice[0].message
    );
}

/// An admin of one namespace (cluster-admin through a RoleBinding) does not stand for
/// a cluster-wide grant, nor one of another namespace.
#[test]
fn a_namespace_admin_takes_in_only_its_namespace_s_grants() {
    let text = "apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: team-admin, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: User, name: bob}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules: [{apiGroups: [\"\"], resources: [secrets], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bob-secrets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects: [{kind: User, name: bob}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: exec}
rules: [{apiGroups: [\"\"], resources: [pods/exec], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-team-exec, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: exec}
subjects: [{kind: User, name: bob}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-other-exec, namespace: other}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: exec}
subjects: [{kind: User, name: bob}]
";
    let names = |report: &ScanReport, rule: &str| -> Vec<String> {
        let mut names: Vec<String> = of(report, rule)
            .iter()
            .map(|f| f.resource.name.clone())
            .collect();
        names.sort();
        names
    };
    let raw = scan(text, false);
    assert_eq!(
        names(&raw, "KH604"),
        ["bob-other-exec", "bob-team-exec", "team-admin"]
    );
    assert_eq!(names(&raw, "KH603"), ["bob-secrets"]);
    let merged = scan(text, true);
    assert_eq!(
        names(&merged, "KH604"),
        ["bob-other-exec"],
        "the team's own is taken in"
    );
    assert_eq!(
        names(&merged, "KH603"),
        ["bob-secrets"],
        "a cluster-wide grant stays"
    );
}

#[test]
fn without_kh601_the_admin_binding_s_grants_are_reported() {
    let report = scan_only(ADMIN, &["KH603"]);
    assert_eq!(of(&report, "KH603").len(), 3, "two admins and the reader");
}

const ROOT_POD: &str = "apiVersion: v1
kind: Pod
metadata: {name: root, namespace: shop}
spec:
  securityContext: {runAsUser: 0}
  containers:
  - name: inherits
    image: registry.example.com/app@sha256:0123
  - name: other-user
    image: registry.example.com/app@sha256:0123
    securityContext: {runAsUser: 1000}
---
apiVersion: v1
kind: Pod
metadata: {name: own, namespace: shop}
spec:
  containers:
  - name: root
    image: registry.example.com/app@sha256:0123
    securityContext: {runAsUser: 0}
  - name: unset
    image: registry.example.com/app@sha256:0123
";

fn in_container<'r>(report: &'r ScanReport, rule: &str, pod: &str, c: &str) -> Vec<&'r Finding> {
    of(report, rule)
        .into_iter()
        .filter(|f| f.resource.name == pod && f.container.as_deref() == Some(c))
        .collect()
}

#[test]
fn run_as_user_0_is_one_finding_not_also_run_as_non_root() {
    let raw = scan(ROOT_POD, false);
    assert_eq!(in_container(&raw, "KH122", "root", "inherits").len(), 1);
    assert_eq!(in_container(&raw, "KH122", "own", "root").len(), 1);
    let merged = scan(ROOT_POD, true);
    // Root by the pod's runAsUser: 0: the pod's KH123 stands for the container's KH122.
    assert!(in_container(&merged, "KH122", "root", "inherits").is_empty());
    let pod = of(&merged, "KH123")
        .into_iter()
        .find(|f| f.resource.name == "root")
        .unwrap();
    assert_eq!(
        (pod.container.as_deref(), &pod.covers[..]),
        (None, &["KH122"][..])
    );
    // Root by its own runAsUser: 0: the container's KH123 stands for its KH122.
    assert!(in_container(&merged, "KH122", "own", "root").is_empty());
    assert_eq!(
        in_container(&merged, "KH123", "own", "root")[0].covers,
        ["KH122"]
    );
    // Not root: a container of another user, and one of another pod that sets no user.
    let other = in_container(&merged, "KH122", "root", "other-user");
    assert_eq!(
        (other.len(), other[0].severity),
        (1, kubeharden_rules::Severity::Low)
    );
    assert_eq!(in_container(&merged, "KH122", "own", "unset").len(), 1);
}

const HOST_MOUNTS: &str = "apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      initContainers:
      - name: setup
        image: registry.example.com/agent@sha256:0123
        volumeMounts: [{name: kubelet, mountPath: /host/kubelet}]
      containers:
      - name: agent
        image: registry.example.com/agent@sha256:0123
        volumeMounts:
        - {name: kubelet, mountPath: /var/lib/kubelet, readOnly: true}
        - {name: data, mountPath: /data}
      - name: side
        image: registry.example.com/side@sha256:0123
        volumeMounts: [{name: kubelet, mountPath: /k}]
      volumes:
      - name: kubelet
        hostPath: {path: /var/lib/kubelet}
      - name: data
        hostPath: {path: /srv/data}
";

#[test]
fn a_sensitive_host_path_stands_for_its_writable_mounts_in_any_container() {
    let raw = scan(HOST_MOUNTS, false);
    assert_eq!(of(&raw, "KH134").len(), 3, "setup, side, and agent's data");
    let merged = scan(HOST_MOUNTS, true);
    let sensitive = of(&merged, "KH133");
    assert_eq!(sensitive.len(), 1);
    assert_eq!(sensitive[0].covers, ["KH103", "KH134"]);
    assert_eq!(
        sensitive[0].message,
        "volume \"kubelet\" mounts sensitive host path \"/var/lib/kubelet\" (writable by container \"side\" at /k, container \"setup\" at /host/kubelet)"
    );
    // The writable mount of a path that is not sensitive is named by that volume's
    // KH103 finding: one volume, one finding.
    assert!(of(&merged, "KH134").is_empty());
    let plain = of(&merged, "KH103");
    assert_eq!(plain.len(), 1);
    assert_eq!(plain[0].covers, ["KH134"]);
    assert_eq!(
        plain[0].message,
        "volume \"data\" mounts host path \"/srv/data\" (writable by container \"agent\" at /data)"
    );
}

#[test]
fn a_host_path_mounted_read_only_keeps_its_own_finding() {
    let read_only = HOST_MOUNTS.replace(
        "{name: data, mountPath: /data}",
        "{name: data, mountPath: /data, readOnly: true}",
    );
    let merged = scan(&read_only, true);
    let plain = of(&merged, "KH103");
    assert_eq!(plain.len(), 1);
    assert!(plain[0].covers.is_empty(), "{:?}", plain[0].covers);
    assert_eq!(
        plain[0].message,
        "volume \"data\" mounts host path \"/srv/data\""
    );
}

const PRIVILEGED: &str = "apiVersion: v1
kind: Pod
metadata: {name: node-agent, namespace: ops}
spec:
  containers:
  - name: agent
    image: registry.example.com/agent@sha256:0123
    securityContext:
      privileged: true
      capabilities: {add: [NET_ADMIN, SYS_TIME]}
  - name: helper
    image: registry.example.com/helper@sha256:0123
    securityContext:
      capabilities: {add: [NET_ADMIN, SYS_ADMIN, CHOWN]}
";

#[test]
fn a_privileged_container_is_one_finding_whatever_else_it_sets() {
    let raw = scan(PRIVILEGED, false);
    assert_eq!(of(&raw, "KH121").len(), 2);
    assert_eq!(of(&raw, "KH105").len(), 4, "two adds in each container");
    let merged = scan(PRIVILEGED, true);
    let privileged = of(&merged, "KH101");
    assert_eq!(privileged.len(), 1);
    assert_eq!(privileged[0].covers, ["KH105", "KH121", "KH125"]);
    assert_eq!(
        privileged[0].message,
        "container \"agent\" runs privileged, which grants every capability and privilege escalation whatever else its securityContext sets"
    );
    // The helper is not privileged: its own findings stand, and its added
    // capabilities are one finding at the list that holds them.
    let in_helper = |rule: &str| {
        of(&merged, rule)
            .into_iter()
            .filter(|f| f.container.as_deref() == Some("helper"))
            .count()
    };
    assert_eq!(in_helper("KH121"), 1);
    assert_eq!(
        in_helper("KH125"),
        1,
        "drop ALL, and CHOWN added: one finding"
    );
    let caps = of(&merged, "KH105");
    assert_eq!(caps.len(), 1, "{caps:#?}");
    assert_eq!(caps[0].container.as_deref(), Some("helper"));
    assert_eq!(
        caps[0].message,
        "container \"helper\" adds capabilities NET_ADMIN, SYS_ADMIN"
    );
    assert_eq!(
        caps[0].path,
        "spec.containers[1].securityContext.capabilities.add"
    );
    assert_eq!(
        caps[0].severity,
        kubeharden_rules::Severity::Critical,
        "SYS_ADMIN"
    );
    assert_eq!(caps[0].guidance, ["POD-19", "POD-12"]);
    assert_eq!(caps[0].covers, Vec::<&str>::new());
}

const CACHED_TAGS: &str = "apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: tagged
    image: registry.example.com/app:1.4.2
    imagePullPolicy: IfNotPresent
  - name: latest
    image: registry.example.com/app:latest
    imagePullPolicy: Never
  - name: always
    image: registry.example.com/app:1.4.2
    imagePullPolicy: Always
";

#[test]
fn an_unpinned_image_and_its_cache_trusting_pull_policy_are_one_finding() {
    let raw = scan(CACHED_TAGS, false);
    assert_eq!(of(&raw, "KH303").len(), 2);
    let merged = scan(CACHED_TAGS, true);
    assert!(of(&merged, "KH303").is_empty());
    let tagged = of(&merged, "KH302");
    assert_eq!(tagged.len(), 2, "{tagged:#?}");
    assert_eq!(tagged[0].covers, ["KH303"]);
    assert_eq!(
        tagged[0].message,
        "container \"tagged\" uses image \"registry.example.com/app:1.4.2\" without a digest, and its imagePullPolicy: IfNotPresent runs whatever the node cached under that tag"
    );
    assert!(tagged[1].covers.is_empty(), "Always pulls: KH302 alone");
    let latest = of(&merged, "KH301");
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].covers, ["KH303"]);
    assert!(latest[0]
        .message
        .ends_with("imagePullPolicy: Never runs whatever the node cached under that tag"));
}

/// `n` service accounts of `ci` that can create Deployments there, where
/// `sa:ci/builder` is cluster-admin: `n` escalation paths through the builder.
fn deployers(n: usize) -> String {
    let mut yaml = String::from(
        "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deploy, namespace: ci}
rules:
- {apiGroups: [apps], resources: [deployments], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: builder-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: ServiceAccount, name: builder, namespace: ci}
",
    );
    for i in 0..n {
        yaml.push_str(&format!(
            "---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: deployer-{i}, namespace: ci}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: deploy}}
subjects:
- {{kind: ServiceAccount, name: deployer-{i}, namespace: ci}}
"
        ));
    }
    yaml
}

#[test]
fn escalation_paths_through_one_account_name_a_few_subjects_and_keep_all() {
    let report = scan(&deployers(40), true);
    let paths = of(&report, "KH620");
    assert_eq!(paths.len(), 1);
    let group = paths[0];
    assert!(
        group.message.starts_with(
            "40 subjects can gain cluster-admin power through sa:ci/builder, which can hold cluster-admin: sa:ci/deployer-0 (2 step(s)), sa:ci/deployer-1 (2 step(s)), sa:ci/deployer-10 (2 step(s)) and 37 more; for example sa:ci/deployer-0 in 2 step(s): (1) sa:ci/deployer-0 can create deployments"
        ),
        "{}",
        group.message
    );
    assert!(group.message.len() < 1_000, "{}", group.message.len());
    assert_eq!(group.details.len(), 40);
    for i in 0..40 {
        let start = format!("sa:ci/deployer-{i} in 2 step(s): (1) sa:ci/deployer-{i} can");
        assert!(
            group.details.iter().any(|d| d.starts_with(&start)),
            "{start}"
        );
    }
}

#[test]
fn escalation_paths_of_three_subjects_are_named_in_full() {
    let report = scan(&deployers(3), true);
    let group = of(&report, "KH620")[0];
    assert!(group.message.contains(
        ": sa:ci/deployer-0 (2 step(s)), sa:ci/deployer-1 (2 step(s)), sa:ci/deployer-2 (2 step(s)); for example"
    ), "{}", group.message);
    assert!(!group.message.contains("more"), "{}", group.message);
    assert_eq!(group.details.len(), 3);
    // One subject alone: its own path, nothing to list apart.
    let one = scan(&deployers(1), true);
    let alone = of(&one, "KH620")[0];
    assert!(alone
        .message
        .starts_with("sa:ci/deployer-0 can gain cluster-admin power in 2 step(s)"));
    assert!(alone.details.is_empty());
}

/// What a report says, as (object, rule) pairs: every rule a finding states or
/// stands for, on its object; for a namespace's finding, also on the namespace.
fn problems(report: &ScanReport) -> BTreeSet<(String, String, &'static str)> {
    let mut problems = BTreeSet::new();
    for f in &report.findings {
        for rule in std::iter::once(f.rule_id).chain(f.covers.iter().copied()) {
            problems.insert((f.location.file.to_string(), f.resource.to_string(), rule));
            if f.resource.kind == "Namespace" {
                problems.insert((
                    String::new(),
                    format!("namespace {}", f.resource.name),
                    rule,
                ));
            }
        }
    }
    problems
}

/// Whether `report` still states `problem` (an object's rule), on the object or,
/// for a namespaced object, on its namespace.
fn still_stated(
    after: &BTreeSet<(String, String, &'static str)>,
    report: &ScanReport,
    problem: &(String, String, &'static str),
) -> bool {
    if after.contains(problem) {
        return true;
    }
    let namespace = report
        .findings
        .iter()
        .find(|f| f.location.file.as_ref() == problem.0 && f.resource.to_string() == problem.1)
        .and_then(|f| f.resource.namespace.clone());
    namespace
        .is_some_and(|ns| after.contains(&(String::new(), format!("namespace {ns}"), problem.2)))
}

#[test]
fn no_problem_of_the_real_corpus_is_lost() {
    let Some(corpus) = kubeharden_testkit::shared("corpus/real", "the real-world corpus") else {
        return;
    };
    let found = discover(&[corpus], &[]).unwrap();
    let clusters = clusters_of(&found, false);
    let rules = RuleSet::all().manifest_rules();
    let options = ScanOptions::default();
    let before = scan_clusters(&clusters, &rules.clone().every_finding(), &options);
    let after = scan_clusters(&clusters, &rules, &options);
    let stated = problems(&after);
    let lost: Vec<_> = problems(&before)
        .into_iter()
        .filter(|p| !still_stated(&stated, &before, p))
        .collect();
    assert!(lost.is_empty(), "problems lost: {lost:#?}");
    assert!(
        after.findings.len() * 10 < before.findings.len() * 8,
        "findings drop by a fifth at least: {} before, {} after",
        before.findings.len(),
        after.findings.len()
    );
}
