//! Realistic audit logs with planted attacks, for tests and benchmarks.
//!
//! [`benign`] produces everyday traffic: controllers and kubelets watching and
//! updating, the scheduler binding pods, health checks, people listing workloads,
//! CI deploying, and pods' service accounts calling the API from their pod addresses,
//! with the odd 401 and 403. None of it should raise an alert. [`planted`] adds one
//! or more attacks per detector, and near-misses just under each threshold, each
//! listed with the alert it must (or must not) raise.

/// A small deterministic generator (no dependency, same log every run).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
}

fn timestamp(t: f64) -> String {
    let ts = jiff::Timestamp::from_second(t as i64).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let micros = ((t.fract()) * 1e6) as i64;
    format!("{}.{micros:06}Z", ts.strftime("%Y-%m-%dT%H:%M:%S"))
}

/// One event as a log line.
#[derive(Clone, Debug, Default)]
pub struct Ev {
    pub time: f64,
    pub verb: &'static str,
    pub user: String,
    pub groups: Vec<&'static str>,
    pub ip: String,
    pub resource: &'static str,
    pub subresource: &'static str,
    pub group: &'static str,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub code: u16,
    pub uri: String,
    pub body: Option<String>,
    pub impersonate: Option<String>,
    /// Annotations besides the authorizer's decision (JSON string values, escaped).
    pub annotations: Vec<(&'static str, String)>,
}

impl Ev {
    pub fn line(&self, id: u64) -> String {
        let groups = self
            .groups
            .iter()
            .map(|g| format!("\"{g}\""))
            .collect::<Vec<_>>()
            .join(",");
        let mut object = String::new();
        if !self.resource.is_empty() {
            object = format!(",\"objectRef\":{{\"resource\":\"{}\"", self.resource);
            if let Some(ns) = &self.namespace {
                object.push_str(&format!(",\"namespace\":\"{ns}\""));
            }
            if let Some(name) = &self.name {
                object.push_str(&format!(",\"name\":\"{name}\""));
            }
            if !self.group.is_empty() {
                object.push_str(&format!(",\"apiGroup\":\"{}\"", self.group));
            }
            object.push_str(",\"apiVersion\":\"v1\"");
            if !self.subresource.is_empty() {
                object.push_str(&format!(",\"subresource\":\"{}\"", self.subresource));
            }
            object.push('}');
        }
        let user = if self.user.is_empty() {
            "{}".to_string()
        } else {
            format!("{{\"username\":\"{}\",\"groups\":[{groups}]}}", self.user)
        };
        let impersonated = self
            .impersonate
            .as_ref()
            .map(|u| format!(",\"impersonatedUser\":{{\"username\":\"{u}\"}}"))
            .unwrap_or_default();
        let body = self
            .body
            .as_ref()
            .map(|b| format!(",\"requestObject\":{b}"))
            .unwrap_or_default();
        let mut annotations: Vec<String> = match self.code {
            403 => vec!["\"authorization.k8s.io/decision\":\"forbid\"".into()],
            401 => vec![],
            _ => vec!["\"authorization.k8s.io/decision\":\"allow\"".into()],
        };
        annotations.extend(
            self.annotations
                .iter()
                .map(|(k, v)| format!("\"{k}\":{}", serde_json::Value::String(v.clone()))),
        );
        let decision = match annotations.is_empty() {
            true => String::new(),
            false => format!(",\"annotations\":{{{}}}", annotations.join(",")),
        };
        let level = if self.body.is_some() {
            "Request"
        } else {
            "Metadata"
        };
        let t = timestamp(self.time);
        format!(
            "{{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"{level}\",\"auditID\":\"{id:08x}-0000-4000-8000-000000000000\",\"stage\":\"ResponseComplete\",\"requestURI\":\"{}\",\"verb\":\"{}\",\"user\":{user}{impersonated},\"sourceIPs\":[\"{}\"],\"userAgent\":\"kubectl/v1.37.0\"{object},\"responseStatus\":{{\"metadata\":{{}},\"code\":{}}}{body},\"requestReceivedTimestamp\":\"{t}\",\"stageTimestamp\":\"{t}\"{decision}}}",
            self.uri, self.verb, self.ip, self.code
        )
    }
}

/// Day one of the synthetic logs (2026-11-27T00:00:00Z).
pub const START: f64 = 1_795_737_600.0;

/// `n` events of everyday traffic, one every 10 ms from [`START`].
pub fn benign(n: u64, seed: u64) -> impl Iterator<Item = Ev> {
    let mut rng = Rng(seed);
    let namespaces = ["shop", "payments", "search", "monitoring", "ci"];
    let workloads = ["web", "api", "worker", "cache", "db"];
    let people = ["alice", "bob", "carol", "dave", "erin"];
    (0..n).map(move |i| {
        let time = START + i as f64 * 0.01;
        let ns = rng.pick(&namespaces).to_string();
        let kind = rng.next() % 100;
        let mut ev = Ev {
            time,
            code: 200,
            namespace: Some(ns.clone()),
            ..Ev::default()
        };
        match kind {
            0..=39 => {
                let user = rng.pick(&[
                    "system:kube-controller-manager",
                    "system:kube-scheduler",
                    "system:serviceaccount:kube-system:replicaset-controller",
                    "system:serviceaccount:kube-system:endpointslice-controller",
                ]);
                ev.user = user.into();
                ev.groups = vec!["system:authenticated"];
                ev.ip = "10.0.0.10".into();
                ev.verb = rng.pick(&["watch", "list", "get", "update", "patch"]);
                ev.resource = rng.pick(&[
                    "pods",
                    "replicasets",
                    "endpointslices",
                    "leases",
                    "secrets",
                    "configmaps",
                ]);
            }
            40..=59 => {
                let node = format!("worker-{}", rng.next() % 20);
                ev.user = format!("system:node:{node}");
                ev.groups = vec!["system:nodes", "system:authenticated"];
                ev.ip = format!("10.0.1.{}", rng.next() % 20 + 10);
                ev.verb = rng.pick(&["get", "watch", "patch"]);
                ev.resource = rng.pick(&["pods", "nodes", "leases", "configmaps"]);
                ev.subresource = if ev.resource == "pods" && ev.verb == "patch" {
                    "status"
                } else {
                    ""
                };
            }
            60..=74 => {
                let w = rng.pick(&workloads);
                ev.user = format!("system:serviceaccount:{ns}:{w}");
                ev.groups = vec!["system:serviceaccounts", "system:authenticated"];
                // Each pod keeps its address, so an account is seen from one place.
                let ns_index = namespaces.iter().position(|n| *n == ns).unwrap_or(0);
                let w_index = workloads.iter().position(|x| *x == w).unwrap_or(0);
                ev.ip = format!("10.244.{}.{}", ns_index + 10, w_index + 10);
                ev.verb = rng.pick(&["get", "list", "watch"]);
                ev.resource = rng.pick(&["configmaps", "endpoints", "pods"]);
            }
            75..=89 => {
                ev.user = rng.pick(&people).into();
                ev.groups = vec!["developers", "system:authenticated"];
                ev.ip = format!("192.168.10.{}", rng.next() % 50 + 2);
                ev.verb = rng.pick(&["get", "list"]);
                ev.resource = rng.pick(&["pods", "deployments", "services", "events"]);
                ev.group = if ev.resource == "deployments" {
                    "apps"
                } else {
                    ""
                };
                if rng.next().is_multiple_of(200) {
                    ev.code = 403;
                    ev.resource = "nodes";
                    ev.namespace = None;
                }
            }
            90..=94 => {
                ev.user = "system:anonymous".into();
                ev.groups = vec!["system:unauthenticated"];
                ev.ip = "10.0.2.5".into();
                ev.verb = "get";
                ev.namespace = None;
                ev.uri = rng
                    .pick(&["/healthz", "/readyz", "/livez", "/version"])
                    .into();
                if rng.next().is_multiple_of(300) {
                    // An occasional expired token, from many different clients.
                    ev.code = 401;
                    ev.user = String::new();
                    ev.uri = "/api".into();
                    ev.ip = format!("10.0.{}.{}", rng.next() % 200, rng.next() % 250 + 1);
                }
            }
            _ => {
                ev.user = "system:serviceaccount:ci:deployer".into();
                ev.groups = vec!["system:serviceaccounts", "system:authenticated"];
                ev.ip = "10.244.9.9".into();
                ev.verb = rng.pick(&["patch", "get"]);
                ev.resource = "deployments";
                ev.group = "apps";
                ev.name = Some(rng.pick(&workloads).into());
            }
        }
        if ev.uri.is_empty() {
            ev.uri = match (&ev.namespace, ev.resource) {
                (Some(ns), r) => format!("/api/v1/namespaces/{ns}/{r}"),
                (None, r) => format!("/api/v1/{r}"),
            };
        }
        ev
    })
}

fn person(name: &str, time: f64, ip: &str) -> Ev {
    Ev {
        time,
        user: name.into(),
        groups: vec!["system:authenticated"],
        ip: ip.into(),
        code: 200,
        uri: "/api".into(),
        ..Ev::default()
    }
}

/// A login that failed (401) from `ip`, trying `user` (empty for a bad token).
pub fn failed_login(time: f64, ip: &str, user: &str) -> Ev {
    Ev {
        time,
        user: user.into(),
        ip: ip.into(),
        code: 401,
        verb: "list",
        resource: "pods",
        uri: "/api/v1/pods".into(),
        ..Ev::default()
    }
}

/// Writes `events` to `path` as a log, one line each, audit IDs by position.
pub fn write_log(path: &std::path::Path, events: &[Ev]) -> std::io::Result<()> {
    let lines: Vec<String> = events
        .iter()
        .enumerate()
        .map(|(i, e)| e.line(i as u64))
        .collect();
    std::fs::write(path, lines.join("\n"))
}

fn pod_body(spec: &str) -> String {
    format!("{{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"spec\":{spec}}}")
}

/// Attacks and near-misses, with the alerts they must raise: (rule ID, alert key).
pub fn planted(at: f64) -> (Vec<Ev>, Vec<(&'static str, String)>) {
    let mut evs = Vec::new();
    let mut expected = Vec::new();
    let t = |s: f64| at + s;

    // Brute force: 12 failures from one address, then a success (KH801, KH802).
    for i in 0..12 {
        evs.push(failed_login(t(i as f64), "203.0.113.9", ""));
    }
    let mut success = person("ci-bot", t(13.0), "203.0.113.9");
    (success.verb, success.resource) = ("list", "pods");
    evs.push(success);
    expected.push(("KH801", "brute-force 203.0.113.9".to_string()));
    expected.push(("KH802", "203.0.113.9 ci-bot".to_string()));
    // Near miss: 9 failures.
    for i in 0..9 {
        evs.push(failed_login(t(20.0 + i as f64), "203.0.113.10", ""));
    }
    // Spraying: 6 users from one address (KH801); near miss: 4 users.
    for (i, user) in ["root", "admin", "ops", "deploy", "jenkins", "backup"]
        .iter()
        .enumerate()
    {
        evs.push(failed_login(t(40.0 + i as f64), "203.0.113.11", user));
    }
    expected.push(("KH801", "spray 203.0.113.11".to_string()));
    for (i, user) in ["root", "admin", "ops", "deploy"].iter().enumerate() {
        evs.push(failed_login(t(50.0 + i as f64), "203.0.113.12", user));
    }
    // Permission probing: 21 refusals (KH803); near miss: 19.
    for (user, n, start) in [("mallory", 21, 60.0), ("eve", 19, 90.0)] {
        for i in 0..n {
            let mut e = person(user, t(start + i as f64), "192.168.20.5");
            (e.verb, e.resource, e.code, e.namespace) =
                ("get", "secrets", 403, Some("kube-system".into()));
            evs.push(e);
        }
    }
    expected.push(("KH803", "mallory".to_string()));
    // Anonymous access beyond health checks, and a grant to everyone (KH804).
    let mut anon = Ev {
        time: t(120.0),
        user: "system:anonymous".into(),
        groups: vec!["system:unauthenticated"],
        ip: "203.0.113.50".into(),
        verb: "list",
        resource: "pods",
        namespace: Some("kube-system".into()),
        code: 200,
        uri: "/api/v1/namespaces/kube-system/pods".into(),
        ..Ev::default()
    };
    evs.push(anon.clone());
    expected.push((
        "KH804",
        "request /api/v1/namespaces/kube-system/pods".to_string(),
    ));
    anon.time = t(121.0);
    anon.code = 403;
    anon.uri = "/api/v1/secrets".into();
    evs.push(anon);
    let mut grant = person("trent", t(125.0), "192.168.20.6");
    (
        grant.verb,
        grant.resource,
        grant.group,
        grant.name,
        grant.namespace,
    ) = (
        "create",
        "clusterrolebindings",
        "rbac.authorization.k8s.io",
        Some("open-up".into()),
        None,
    );
    grant.body = Some(r#"{"kind":"ClusterRoleBinding","roleRef":{"kind":"ClusterRole","name":"view"},"subjects":[{"kind":"Group","name":"system:unauthenticated"}]}"#.into());
    evs.push(grant);
    expected.push(("KH804", "grant clusterrolebindings open-up".to_string()));
    // Exec (KH805).
    let mut exec = person("alice", t(130.0), "192.168.10.7");
    (
        exec.verb,
        exec.resource,
        exec.subresource,
        exec.namespace,
        exec.name,
        exec.code,
    ) = (
        "create",
        "pods",
        "exec",
        Some("shop".into()),
        Some("web-1".into()),
        101,
    );
    evs.push(exec);
    expected.push(("KH805", "alice pods shop/web-1".to_string()));
    // Secrets listed cluster-wide (KH806); near misses: a namespace list, 49 gets.
    let mut list = person("bob", t(140.0), "192.168.10.8");
    (list.verb, list.resource, list.namespace) = ("list", "secrets", None);
    evs.push(list.clone());
    expected.push(("KH806", "bob all".to_string()));
    list.time = t(141.0);
    list.namespace = Some("shop".into());
    evs.push(list);
    for i in 0..49 {
        let mut get = person("carol", t(150.0 + i as f64 * 0.5), "192.168.10.9");
        (get.verb, get.resource, get.namespace, get.name) =
            ("get", "secrets", Some("shop".into()), Some(format!("s{i}")));
        evs.push(get);
    }
    // A privileged pod (KH807) and a plain one (near miss).
    let mut pod = person("dave", t(200.0), "192.168.10.10");
    (pod.verb, pod.resource, pod.namespace, pod.name, pod.code) = (
        "create",
        "pods",
        Some("shop".into()),
        Some("debug".into()),
        201,
    );
    pod.body = Some(pod_body(
        r#"{"hostPID":true,"containers":[{"name":"d","image":"busybox","securityContext":{"privileged":true}}]}"#,
    ));
    evs.push(pod.clone());
    expected.push(("KH807", "dave pods shop/debug".to_string()));
    pod.time = t(201.0);
    pod.name = Some("plain".into());
    pod.body = Some(pod_body(
        r#"{"containers":[{"name":"p","image":"nginx:1.27"}]}"#,
    ));
    evs.push(pod);
    // A Deployment in kube-system by a user (KH808); a controller's pod there (near miss).
    let mut dep = person("dave", t(210.0), "192.168.10.10");
    (
        dep.verb,
        dep.resource,
        dep.group,
        dep.namespace,
        dep.name,
        dep.code,
    ) = (
        "create",
        "deployments",
        "apps",
        Some("kube-system".into()),
        Some("helper".into()),
        201,
    );
    dep.body = Some(r#"{"kind":"Deployment","spec":{"template":{"spec":{"containers":[{"name":"h","image":"registry.example.com/helper:1"}]}}}}"#.into());
    evs.push(dep);
    expected.push(("KH808", "deployments kube-system/helper".to_string()));
    let mut ctl = Ev {
        time: t(211.0),
        user: "system:serviceaccount:kube-system:replicaset-controller".into(),
        ip: "10.0.0.10".into(),
        verb: "create",
        resource: "pods",
        namespace: Some("kube-system".into()),
        name: Some("coredns-x".into()),
        code: 201,
        uri: "/api/v1/namespaces/kube-system/pods".into(),
        ..Ev::default()
    };
    ctl.body = Some(pod_body(
        r#"{"containers":[{"name":"c","image":"registry.k8s.io/coredns:1.11"}]}"#,
    ));
    evs.push(ctl);
    // A CronJob (KH809).
    let mut cron = person("frank", t(220.0), "192.168.10.11");
    (
        cron.verb,
        cron.resource,
        cron.group,
        cron.namespace,
        cron.name,
        cron.code,
    ) = (
        "create",
        "cronjobs",
        "batch",
        Some("shop".into()),
        Some("cleanup".into()),
        201,
    );
    evs.push(cron);
    expected.push(("KH809", "cronjobs shop/cleanup".to_string()));
    // cluster-admin granted (KH810); a view binding (near miss).
    let mut crb = person("mallory", t(230.0), "192.168.20.5");
    (crb.verb, crb.resource, crb.group, crb.name, crb.code) = (
        "create",
        "clusterrolebindings",
        "rbac.authorization.k8s.io",
        Some("backdoor".into()),
        201,
    );
    crb.body = Some(r#"{"kind":"ClusterRoleBinding","roleRef":{"kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"ServiceAccount","name":"x","namespace":"shop"}]}"#.into());
    evs.push(crb.clone());
    expected.push(("KH810", "clusterrolebindings backdoor".to_string()));
    crb.time = t(231.0);
    crb.name = Some("readers".into());
    crb.body = Some(r#"{"kind":"ClusterRoleBinding","roleRef":{"kind":"ClusterRole","name":"view"},"subjects":[{"kind":"Group","name":"auditors"}]}"#.into());
    evs.push(crb);
    // Impersonation (KH811), a token request and a CSR approval (KH812).
    let mut imp = person("oscar", t(240.0), "192.168.20.7");
    (imp.verb, imp.resource, imp.namespace) = ("list", "secrets", Some("ci".into()));
    imp.impersonate = Some("system:serviceaccount:ci:deployer".into());
    evs.push(imp);
    expected.push((
        "KH811",
        "oscar as system:serviceaccount:ci:deployer".to_string(),
    ));
    let mut token = person("oscar", t(241.0), "192.168.20.7");
    (
        token.verb,
        token.resource,
        token.subresource,
        token.namespace,
        token.name,
        token.code,
    ) = (
        "create",
        "serviceaccounts",
        "token",
        Some("kube-system".into()),
        Some("replicaset-controller".into()),
        201,
    );
    evs.push(token);
    expected.push((
        "KH812",
        "oscar serviceaccounts kube-system/replicaset-controller".to_string(),
    ));
    let mut csr = person("oscar", t(242.0), "192.168.20.7");
    (csr.verb, csr.resource, csr.subresource, csr.group, csr.name) = (
        "update",
        "certificatesigningrequests",
        "approval",
        "certificates.k8s.io",
        Some("csr-evil".into()),
    );
    evs.push(csr);
    expected.push((
        "KH812",
        "oscar certificatesigningrequests csr-evil".to_string(),
    ));
    // Pod Security label and webhook changes (KH813).
    let mut label = person("trent", t(250.0), "192.168.20.6");
    (label.verb, label.resource, label.name, label.namespace) =
        ("patch", "namespaces", Some("shop".into()), None);
    label.body = Some(
        r#"{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}"#.into(),
    );
    evs.push(label);
    expected.push(("KH813", "namespaces shop".to_string()));
    let mut hook = person("trent", t(251.0), "192.168.20.6");
    (
        hook.verb,
        hook.resource,
        hook.group,
        hook.name,
        hook.namespace,
    ) = (
        "delete",
        "validatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        Some("gatekeeper".into()),
        None,
    );
    evs.push(hook);
    expected.push((
        "KH813",
        "validatingwebhookconfigurations gatekeeper".to_string(),
    ));
    // A pod created from a pod address (KH814); a kubelet's mirror pod (near miss).
    let mut breakout = Ev {
        time: t(260.0),
        user: "system:serviceaccount:shop:web".into(),
        groups: vec!["system:serviceaccounts"],
        ip: "10.244.3.17".into(),
        verb: "create",
        resource: "pods",
        namespace: Some("shop".into()),
        name: Some("x".into()),
        code: 201,
        uri: "/api/v1/namespaces/shop/pods".into(),
        ..Ev::default()
    };
    breakout.body = Some(pod_body(
        r#"{"containers":[{"name":"x","image":"alpine"}]}"#,
    ));
    evs.push(breakout);
    expected.push((
        "KH814",
        "system:serviceaccount:shop:web 10.244.3.17".to_string(),
    ));
    let mirror = Ev {
        time: t(261.0),
        user: "system:node:worker-1".into(),
        groups: vec!["system:nodes"],
        ip: "10.244.0.5".into(),
        verb: "create",
        resource: "pods",
        namespace: Some("kube-system".into()),
        name: Some("etcd-worker-1".into()),
        code: 201,
        uri: "/api/v1/namespaces/kube-system/pods".into(),
        ..Ev::default()
    };
    evs.push(mirror);
    // A request from a Tor exit (KH815).
    let mut tor = person("erin", t(270.0), "185.220.101.7");
    (tor.verb, tor.resource, tor.namespace) = ("get", "pods", Some("shop".into()));
    evs.push(tor);
    expected.push(("KH815", "185.220.101.7 erin".to_string()));
    // A service-account token used from outside (KH816), and from four addresses;
    // near miss: three addresses.
    let sa = |time: f64, name: &str, ip: &str| Ev {
        time,
        user: format!("system:serviceaccount:{name}"),
        groups: vec!["system:serviceaccounts"],
        ip: ip.into(),
        verb: "get",
        resource: "configmaps",
        namespace: Some("ci".into()),
        code: 200,
        uri: "/api/v1/namespaces/ci/configmaps".into(),
        ..Ev::default()
    };
    evs.push(sa(t(280.0), "ci:builder", "198.51.100.23"));
    expected.push((
        "KH816",
        "system:serviceaccount:ci:builder external".to_string(),
    ));
    for (i, ip) in ["10.244.5.1", "10.244.5.2", "10.244.5.3", "10.244.5.4"]
        .iter()
        .enumerate()
    {
        evs.push(sa(t(290.0 + i as f64), "monitoring:scraper", ip));
    }
    expected.push((
        "KH816",
        "system:serviceaccount:monitoring:scraper addresses".to_string(),
    ));
    for (i, ip) in ["10.244.6.1", "10.244.6.2", "10.244.6.3"]
        .iter()
        .enumerate()
    {
        evs.push(sa(t(300.0 + i as f64), "monitoring:agent", ip));
    }
    // A miner (KH817).
    let mut miner = person("ci-bot", t(310.0), "192.168.10.12");
    (
        miner.verb,
        miner.resource,
        miner.group,
        miner.namespace,
        miner.name,
        miner.code,
    ) = (
        "create",
        "deployments",
        "apps",
        Some("ci".into()),
        Some("cache-warmer".into()),
        201,
    );
    miner.body = Some(r#"{"kind":"Deployment","spec":{"template":{"spec":{"containers":[{"name":"w","image":"docker.io/library/alpine:3","command":["sh","-c"],"args":["./xmrig -o stratum+tcp://pool.example:3333"]}]}}}}"#.into());
    evs.push(miner);
    expected.push(("KH817", "deployments ci/cache-warmer".to_string()));
    // The full chain by one subject (KH818), which also raises KH805 and KH807.
    let mut read = person("zed", t(320.0), "192.168.30.3");
    (read.verb, read.resource, read.namespace, read.name) =
        ("get", "secrets", Some("payments".into()), Some("db".into()));
    evs.push(read);
    let mut shell = person("zed", t(330.0), "192.168.30.3");
    (
        shell.verb,
        shell.resource,
        shell.subresource,
        shell.namespace,
        shell.name,
        shell.code,
    ) = (
        "create",
        "pods",
        "exec",
        Some("payments".into()),
        Some("api-1".into()),
        101,
    );
    evs.push(shell);
    expected.push(("KH805", "zed pods payments/api-1".to_string()));
    let mut escape = person("zed", t(340.0), "192.168.30.3");
    (
        escape.verb,
        escape.resource,
        escape.namespace,
        escape.name,
        escape.code,
    ) = (
        "create",
        "pods",
        Some("payments".into()),
        Some("node-shell".into()),
        201,
    );
    escape.body = Some(pod_body(
        r#"{"hostNetwork":true,"volumes":[{"name":"root","hostPath":{"path":"/"}}],"containers":[{"name":"s","image":"alpine"}]}"#,
    ));
    evs.push(escape);
    expected.push(("KH807", "zed pods payments/node-shell".to_string()));
    expected.push(("KH818", "zed".to_string()));
    // A pod Pod Security would refuse, admitted in audit mode (KH819); near misses:
    // the same annotation on a controller's pod, and on a refused request.
    let violations = r#"would violate PodSecurity "restricted:latest": runAsNonRoot != true (pod or container "d" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "d" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#;
    let mut psa = person("gina", t(350.0), "192.168.10.13");
    (psa.verb, psa.resource, psa.namespace, psa.name, psa.code) = (
        "create",
        "pods",
        Some("search".into()),
        Some("tools".into()),
        201,
    );
    psa.annotations = vec![(
        "pod-security.kubernetes.io/audit-violations",
        violations.into(),
    )];
    evs.push(psa.clone());
    expected.push(("KH819", "pods search/tools".to_string()));
    let mut controller_pod = psa.clone();
    controller_pod.time = t(351.0);
    controller_pod.user = "system:serviceaccount:kube-system:replicaset-controller".into();
    controller_pod.name = Some("tools-7d9f-abcde".into());
    evs.push(controller_pod);
    let mut refused = psa;
    (refused.time, refused.code, refused.name) = (t(352.0), 403, Some("tools-2".into()));
    evs.push(refused);
    // A workload scaled through `scale`, and another given a new image (KH820);
    // near misses: the autoscaler scaling, a label patch, a patch without its body.
    let workload_write =
        |time: f64, user: &str, ns: &str, name: &str, sub: &'static str, body: Option<&str>| {
            let mut e = person(user, time, "192.168.10.14");
            (
                e.verb,
                e.resource,
                e.subresource,
                e.group,
                e.namespace,
                e.name,
            ) = (
                "patch",
                "deployments",
                sub,
                "apps",
                Some(ns.into()),
                Some(name.into()),
            );
            e.body = body.map(str::to_string);
            e
        };
    evs.push(workload_write(
        t(360.0),
        "hank",
        "search",
        "indexer",
        "scale",
        Some(r#"{"spec":{"replicas":30}}"#),
    ));
    expected.push(("KH820", "deployments search/indexer scale".to_string()));
    evs.push(workload_write(t(361.0), "hank", "payments", "api", "", Some(r#"{"spec":{"template":{"spec":{"containers":[{"name":"api","image":"registry.example.com/api:evil"}]}}}}"#)));
    expected.push(("KH820", "deployments payments/api image".to_string()));
    let mut hpa = workload_write(
        t(362.0),
        "",
        "shop",
        "web",
        "scale",
        Some(r#"{"spec":{"replicas":4}}"#),
    );
    hpa.user = "system:serviceaccount:kube-system:horizontal-pod-autoscaler".into();
    evs.push(hpa);
    evs.push(workload_write(
        t(363.0),
        "hank",
        "shop",
        "web",
        "",
        Some(r#"{"metadata":{"labels":{"team":"a"}}}"#),
    ));
    evs.push(workload_write(t(364.0), "hank", "shop", "cache", "", None));
    for e in &mut evs {
        if e.uri.is_empty() || e.uri == "/api" && !e.resource.is_empty() {
            e.uri = match (&e.namespace, e.resource) {
                (Some(ns), r) => format!("/api/v1/namespaces/{ns}/{r}"),
                (None, r) => format!("/api/v1/{r}"),
            };
        }
    }
    (evs, expected)
}
