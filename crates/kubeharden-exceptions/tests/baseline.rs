//! Baselines: fingerprints survive moving, reformatting and reordering; a new problem
//! is exactly one new finding.

use kubeharden_engine::{scan_text, ScanOptions, ScanReport};
use kubeharden_exceptions::Baseline;
use kubeharden_findings::SuppressionKind;
use kubeharden_rules::RuleSet;

const BEFORE: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
      - {name: web, image: "nginx:1.25", securityContext: {privileged: true}}
      - {name: proxy, image: "envoy:1.30"}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  type: NodePort
  ports:
  - port: 80
"#;

/// The same objects: documents reordered, blank lines and comments added, flow style,
/// keys reordered, containers swapped, the apiVersion's version changed.
const AFTER: &str = r#"# the Service first now
apiVersion: v1
kind: Service
metadata: {namespace: shop, name: web}
spec: {ports: [{port: 80}], type: NodePort}
---


kind: Deployment
apiVersion: apps/v1beta2
metadata:
  namespace: shop
  name: web
spec:
  template:
    spec:
      containers:
        - image: envoy:1.30
          name: proxy

        - securityContext: {privileged: true}
          name: web
          image: nginx:1.25
"#;

fn scan(name: &str, text: &str) -> ScanReport {
    scan_text(name, text, &RuleSet::all(), &ScanOptions::default())
}

#[test]
fn moved_reformatted_and_reordered_objects_show_nothing_new() {
    let before = scan("k8s/app.yaml", BEFORE);
    assert!(before.findings.len() > 5, "{}", before.findings.len());
    let baseline = Baseline::of(&before);
    let mut after = scan("deploy/moved.yaml", AFTER);
    assert_eq!(after.findings.len(), before.findings.len());
    baseline.apply(&mut after, "baseline.json");
    let new: Vec<String> = after.findings.iter().map(|f| f.fingerprint()).collect();
    assert!(new.is_empty(), "new after reformatting: {new:#?}");
    assert!(after
        .suppressed
        .iter()
        .all(|s| s.suppression.kind == SuppressionKind::Baseline
            && s.suppression.source == "baseline.json"));
}

#[test]
fn a_new_problem_is_exactly_one_new_finding() {
    let baseline = Baseline::of(&scan("app.yaml", BEFORE));
    let worse = AFTER.replace("        - image: envoy:1.30\n", "        - image: envoy:1.30\n          securityContext: {allowPrivilegeEscalation: true, privileged: true}\n");
    let mut after = scan("app.yaml", &worse);
    baseline.apply(&mut after, "baseline.json");
    let new: Vec<(&str, Option<&str>)> = after
        .findings
        .iter()
        .map(|f| (f.rule_id, f.container.as_deref()))
        .collect();
    assert_eq!(new, [("KH101", Some("proxy"))]);
}

#[test]
fn a_baseline_file_round_trips_and_a_bad_one_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baseline.json");
    let baseline = Baseline::of(&scan("app.yaml", BEFORE));
    baseline.write(&path).unwrap();
    let read = Baseline::read(&path).unwrap();
    assert_eq!(read.len(), baseline.len());
    let first = scan("app.yaml", BEFORE).findings[0].fingerprint();
    assert!(read.contains(&first));

    std::fs::write(
        &path,
        "{\"version\": 1,\n \"findings\": [{\"rule\": \"KH101\"}]}\n",
    )
    .unwrap();
    let error = Baseline::read(&path).unwrap_err().to_string();
    assert!(error.contains("baseline.json:2:"), "{error}");
    assert!(error.contains("missing field `fingerprint`"), "{error}");
    std::fs::write(&path, "{\"version\": 7, \"findings\": []}").unwrap();
    let error = Baseline::read(&path).unwrap_err().to_string();
    assert!(error.contains("baseline version 7"), "{error}");
    // Another version's shape is judged by its version, and JSON of another shape
    // is said to be no baseline, in our words.
    std::fs::write(&path, "{\"version\": 3}").unwrap();
    let error = Baseline::read(&path).unwrap_err().to_string();
    assert!(error.contains("baseline version 3"), "{error}");
    std::fs::write(&path, "[]").unwrap();
    let error = Baseline::read(&path).unwrap_err().to_string();
    assert!(error.ends_with("not a kubeharden baseline (a JSON object with version and findings, as --write-baseline writes)"), "{error}");
}

/// Every list a finding's path can pick an item of, with findings on its items: env
/// vars (credentials, Secret references), volumes, mounts, ports, capabilities, RBAC
/// subjects and rules, NetworkPolicy rules and their peers.
const LISTS: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      serviceAccountName: api
      volumes:
      - name: docker
        hostPath: {path: /var/run/docker.sock}
      - name: logs
        hostPath: {path: /var/log}
      - name: tmp
        emptyDir: {}
      - name: data
        hostPath: {path: /srv/app-data}
      initContainers:
      - name: migrate
        image: example/migrate:1.0
        envFrom:
        - configMapRef: {name: api}
        - secretRef: {name: migrate}
      - name: seed
        image: example/seed:1.0
        env:
        - name: SEED_TOKEN
          valueFrom: {secretKeyRef: {name: seed, key: token}}
      containers:
      - name: api
        image: example/api:1.0
        env:
        - {name: LOG_LEVEL, value: debug}
        - {name: DB_PASSWORD, value: hunter2-prod}
        - name: API_TOKEN
          valueFrom: {secretKeyRef: {name: api, key: token}}
        - {name: SMTP_PASSWORD, value: mail-pass-9}
        - name: SIGNING_KEY
          valueFrom: {secretKeyRef: {name: api, key: signing}}
        ports:
        - {containerPort: 8080, hostPort: 8080}
        - {name: metrics, containerPort: 9090, hostPort: 9090}
        securityContext:
          capabilities: {add: [NET_ADMIN, SYS_TIME]}
        volumeMounts:
        - {name: docker, mountPath: /var/run/docker.sock}
        - {name: logs, mountPath: /host/logs}
        - {name: tmp, mountPath: /tmp}
        - {name: data, mountPath: /data}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: api, namespace: shop}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, list]}
- {apiGroups: [""], resources: [pods/exec], verbs: [create]}
- {apiGroups: [apps], resources: [deployments], verbs: [create, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: api, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: api}
subjects:
- {kind: ServiceAccount, name: api, namespace: shop}
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
- {kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/8}
    - ipBlock: {cidr: 0.0.0.0/0}
  - to:
    - ipBlock: {cidr: 169.254.0.0/16}
"#;

/// `LISTS` with every list reordered, reformatted and moved about: documents in
/// another order, blank lines and comments, block style for flow and back.
const LISTS_REORDERED: &str = r#"# the policy first now
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  egress:
  - to: [{ipBlock: {cidr: 169.254.0.0/16}}]
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0
    - ipBlock: {cidr: 10.0.0.0/8}
  policyTypes: [Egress]
  podSelector: {}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: api, namespace: shop}
subjects:
- {kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}
- kind: ServiceAccount
  namespace: shop
  name: api
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: api}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: api, namespace: shop}
rules:
- {apiGroups: [apps], resources: [deployments], verbs: [patch, create]}
- {verbs: [list, get], apiGroups: [""], resources: [secrets]}
- {apiGroups: [""], resources: [pods/exec], verbs: [create]}
---


apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: api
        image: example/api:1.0
        volumeMounts:
        - {name: tmp, mountPath: /tmp}
        - name: data
          mountPath: /data
        - {name: logs, mountPath: /host/logs}

        - {name: docker, mountPath: /var/run/docker.sock}
        securityContext:
          capabilities:
            add:
            - SYS_TIME
            - NET_ADMIN
        ports:
        - {name: metrics, containerPort: 9090, hostPort: 9090}
        - containerPort: 8080
          hostPort: 8080
        env:
        - name: SIGNING_KEY
          valueFrom: {secretKeyRef: {name: api, key: signing}}
        - {name: SMTP_PASSWORD, value: mail-pass-9}
        - name: API_TOKEN
          valueFrom: {secretKeyRef: {name: api, key: token}}
        - name: DB_PASSWORD
          value: hunter2-prod
        - {name: LOG_LEVEL, value: debug}
      initContainers:
      - name: seed
        image: example/seed:1.0
        env:
        - name: SEED_TOKEN
          valueFrom: {secretKeyRef: {name: seed, key: token}}
      - envFrom:
        - secretRef: {name: migrate}
        - configMapRef: {name: api}
        name: migrate
        image: example/migrate:1.0
      serviceAccountName: api
      volumes:
      - {name: data, hostPath: {path: /srv/app-data}}
      - name: tmp
        emptyDir: {}
      - name: logs
        hostPath: {path: /var/log}
      - {name: docker, hostPath: {path: /var/run/docker.sock}}
"#;

/// The findings whose path picks an item of a list other than the containers.
fn on_list_items(report: &ScanReport) -> Vec<(&'static str, String)> {
    let mut found: Vec<(&'static str, String)> = report
        .findings
        .iter()
        .filter(|f| has_index(&f.path.replace("containers[0]", "containers")))
        .map(|f| (f.rule_id, f.path.clone()))
        .collect();
    found.sort();
    found
}

/// Whether a path holds a list index (`[0]`).
fn has_index(path: &str) -> bool {
    path.split('[').skip(1).any(|rest| {
        rest.split(']')
            .next()
            .is_some_and(|n| n.parse::<u32>().is_ok())
    })
}

#[test]
fn reordering_every_kind_of_list_shows_nothing_new() {
    let before = scan("k8s/api.yaml", LISTS);
    let listed = on_list_items(&before);
    let rules: std::collections::BTreeSet<&str> = listed.iter().map(|(r, _)| *r).collect();
    // Findings on items of each kind of list, or the test would prove nothing. (KH105
    // names the container's `capabilities.add` as a whole, and a writable host path mount
    // is KH103's finding on its volume, so neither points at a list item any more.)
    for rule in [
        "KH401", "KH534", "KH104", "KH103", "KH133", "KH515", "KH604", "KH606",
    ] {
        assert!(
            rules.contains(rule),
            "no {rule} on a list item: {listed:#?}"
        );
    }
    for list in [
        "envFrom[1]",
        "initContainers[1]",
        "subjects[2]",
        "volumes[3]",
    ] {
        assert!(
            listed.iter().any(|(_, path)| path.contains(list)),
            "no finding at {list}: {listed:#?}"
        );
    }
    let baseline = Baseline::of(&before);
    let mut after = scan("deploy/api.yaml", LISTS_REORDERED);
    assert_eq!(after.findings.len(), before.findings.len());
    // The positions did move: the same finding is at another index.
    let moved = after
        .findings
        .iter()
        .filter(|f| {
            let was = before
                .findings
                .iter()
                .find(|b| b.fingerprint() == f.fingerprint());
            was.is_some_and(|b| b.path != f.path)
        })
        .count();
    assert!(moved >= 15, "only {moved} findings moved");
    baseline.apply(&mut after, "baseline.json");
    let new: Vec<String> = after.findings.iter().map(|f| f.fingerprint()).collect();
    assert!(new.is_empty(), "new after reordering: {new:#?}");
}

#[test]
fn a_new_credential_in_an_old_ones_place_is_new() {
    let baseline = Baseline::of(&scan("api.yaml", LISTS));
    // A new literal credential takes DB_PASSWORD's place, which moves down one; a new
    // subject takes the first place of the binding's.
    let worse = LISTS
        .replace(
            "        - {name: DB_PASSWORD, value: hunter2-prod}\n",
            "        - {name: STRIPE_SECRET, value: sk-new-value-1}\n        - {name: DB_PASSWORD, value: hunter2-prod}\n",
        )
        .replace(
            "subjects:\n",
            "subjects:\n- {kind: ServiceAccount, name: intruder, namespace: shop}\n",
        );
    let mut after = scan("api.yaml", &worse);
    baseline.apply(&mut after, "baseline.json");
    let env: Vec<&str> = after
        .findings
        .iter()
        .filter(|f| f.rule_id == "KH401")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(env.len(), 1, "{env:#?}");
    assert!(env[0].contains("STRIPE_SECRET"), "{}", env[0]);
    let subjects: Vec<&str> = after
        .findings
        .iter()
        .filter(|f| f.path.starts_with("subjects"))
        .map(|f| f.message.as_str())
        .collect();
    assert!(!subjects.is_empty());
    assert!(
        subjects.iter().all(|m| m.contains("intruder")),
        "{subjects:#?}"
    );
}

#[test]
fn a_version_1_baseline_applies_by_position_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.json");
    let before = scan("api.yaml", LISTS);
    let entries: Vec<String> = before
        .findings
        .iter()
        .map(|f| format!("{{\"fingerprint\": {:?}}}", f.legacy_fingerprint()))
        .collect();
    let text = format!("{{\"version\": 1, \"findings\": [{}]}}", entries.join(","));
    std::fs::write(&path, text).unwrap();
    let mut again = scan("api.yaml", LISTS);
    Baseline::read(&path).unwrap().apply(&mut again, "old.json");
    assert!(again.findings.is_empty(), "{:#?}", again.findings);
    assert_eq!(again.warnings.len(), 1);
    let warning = again.warnings[0].to_string();
    assert!(
        warning.starts_with("old.json: baseline version 1"),
        "{warning}"
    );
    assert!(warning.contains("--write-baseline"), "{warning}");
    // Written again (`--baseline old --write-baseline new`), it holds the new
    // fingerprints of what it accepted.
    let rewritten = Baseline::of(&again);
    assert_eq!(rewritten.len(), Baseline::of(&before).len());
    assert!(before
        .findings
        .iter()
        .all(|f| rewritten.contains(&f.fingerprint())));
}
