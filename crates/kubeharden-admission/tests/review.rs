//! Reviews in, verdicts out: modes, exemptions, selection, UPDATE, dryRun, bad input,
//! the time limit, and the same findings as `scan` of the same object.

use std::collections::BTreeMap;
use std::sync::Arc;

use kubeharden_admission::{Answer, ClusterSource, Config, Decision, Reviewer, Verdict};
use kubeharden_load::Object;
use serde_json::{json, Value};

const PRIVILEGED_POD: &str = "
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  containers:
  - name: c
    image: registry.example.com/c:1.0
    securityContext: {privileged: true}
";

/// A pod that passes every rule (the hardened example's shape).
const HARDENED_POD: &str = "
apiVersion: v1
kind: Pod
metadata: {name: ok, namespace: shop}
spec:
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    fsGroup: 10001
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: c
    image: registry.example.com/c@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    imagePullPolicy: Always
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
    resources:
      requests: {cpu: 100m, memory: 64Mi, ephemeral-storage: 64Mi}
      limits: {cpu: 200m, memory: 128Mi, ephemeral-storage: 128Mi}
    livenessProbe: {httpGet: {path: /healthz, port: 8080}}
    readinessProbe: {httpGet: {path: /readyz, port: 8080}}
";

fn to_json(yaml: &str) -> Value {
    let loaded = kubeharden_load::load_text(&"t.yaml".into(), yaml, &Default::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    kubeharden_yaml::from_node(&loaded.objects[0].root).unwrap()
}

fn review(object: &Value, operation: &str) -> Value {
    let api_version = object["apiVersion"].as_str().unwrap();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let kind = &object["kind"];
    let namespace = object["metadata"]["namespace"].as_str().unwrap_or("");
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "0001",
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": "x"},
            "name": object["metadata"]["name"],
            "namespace": namespace,
            "operation": operation,
            "userInfo": {"username": "alice", "groups": ["developers", "system:authenticated"]},
            "object": object,
            "oldObject": null,
            "dryRun": false,
        }
    })
}

fn config(text: &str) -> Config {
    Config::parse("test.yaml", text).unwrap()
}

fn enforcing() -> Config {
    config("defaults: {enforce: low, warn: none, audit: none}\n")
}

fn judge(reviewer: &Reviewer, body: &Value) -> Verdict {
    match reviewer.answer(&serde_json::to_vec(body).unwrap()) {
        Answer::Review(v) => v,
        Answer::BadRequest(why) => panic!("bad request: {why}"),
    }
}

fn reviewer(config: Config) -> Reviewer {
    Reviewer::new(config, None).unwrap()
}

fn message(v: &Verdict) -> &str {
    v.response
        .status
        .as_ref()
        .map_or("", |s| s.message.as_str())
}

#[test]
fn enforce_refuses_with_rule_path_and_fix() {
    let v = judge(
        &reviewer(enforcing()),
        &review(&to_json(PRIVILEGED_POD), "CREATE"),
    );
    assert_eq!(v.decision, Decision::Denied);
    assert!(!v.response.allowed);
    assert_eq!(v.response.uid, "0001");
    let text = message(&v);
    assert!(text.starts_with("kubeharden: Pod shop/p fails "), "{text}");
    assert!(
        text.contains("\n- KH101 privileged-container (critical) at spec.containers[0].securityContext.privileged: "),
        "{text}"
    );
    assert!(text.contains("Fix: Remove `privileged: true`."), "{text}");
    // serve logs one line for it: the object and the rules that refused it.
    let line = v.log_line().unwrap();
    assert!(line.starts_with("refused CREATE shop/Pod/p: "), "{line}");
    assert!(line.contains("KH101"), "{line}");
    assert_eq!(line.matches("KH101").count(), 1, "{line}");
}

#[test]
fn only_refusals_and_unjudged_reviews_are_logged() {
    let mut body = review(&to_json(HARDENED_POD), "CREATE");
    let v = judge(&reviewer(enforcing()), &body);
    assert_eq!(v.log_line(), None);
    body["request"]["dryRun"] = json!(true);
    body["request"]["object"] = to_json(PRIVILEGED_POD);
    let v = judge(&reviewer(enforcing()), &body);
    assert!(v
        .log_line()
        .unwrap()
        .starts_with("refused CREATE shop/Pod/p (dry run): KH"));
    body["request"]["operation"] = json!(7);
    let v = judge(&reviewer(enforcing()), &body);
    let line = v.log_line().unwrap();
    assert!(line.starts_with("refused unjudged review 0001: "), "{line}");
}

#[test]
fn a_refusal_tells_each_finding_s_own_fix() {
    let pod = PRIVILEGED_POD.replace("spec:\n", "spec:\n  hostPID: true\n  hostIPC: true\n");
    let select = "defaults: {enforce: low, warn: none, audit: none}\nrules: {select: [KH102]}\n";
    let v = judge(&reviewer(config(select)), &review(&to_json(&pod), "CREATE"));
    assert_eq!(v.decision, Decision::Denied);
    let text = message(&v);
    // One rule, two fields: each its own fix, not the rule's about all three.
    assert!(
        text.contains("Fix: Delete `hostPID: true` (it defaults to `false`)."),
        "{text}"
    );
    assert!(
        text.contains("Fix: Delete `hostIPC: true` (it defaults to `false`)."),
        "{text}"
    );
    assert!(!text.contains("hostNetwork"), "{text}");
}

#[test]
fn a_hardened_pod_is_admitted() {
    let v = judge(
        &reviewer(enforcing()),
        &review(&to_json(HARDENED_POD), "CREATE"),
    );
    assert_eq!(v.decision, Decision::Allowed, "{}", message(&v));
    assert!(v.response.allowed);
    assert!(v.response.warnings.is_empty(), "{:?}", v.response.warnings);
}

#[test]
fn warn_and_audit_modes_admit_and_tell() {
    let r = reviewer(config(
        "defaults: {enforce: none, warn: high, audit: low}\n",
    ));
    let v = judge(&r, &review(&to_json(PRIVILEGED_POD), "CREATE"));
    assert!(v.response.allowed);
    assert!(
        v.response.warnings.iter().any(|w| w.starts_with("kubeharden: KH101 privileged-container (critical) at spec.containers[0].securityContext.privileged")),
        "{:?}",
        v.response.warnings
    );
    // Warnings only at high and above; the audit annotation has every finding.
    let audited: Vec<String> =
        serde_json::from_str(&v.response.audit_annotations["findings"]).unwrap();
    assert!(audited.len() > v.response.warnings.len(), "{audited:?}");
    assert!(audited.contains(&"KH101 spec.containers[0].securityContext.privileged".to_string()));
}

#[test]
fn a_deployment_is_judged_on_its_pod_template() {
    let pod = to_json(PRIVILEGED_POD);
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod["spec"]}}
    });
    let v = judge(&reviewer(enforcing()), &review(&deployment, "CREATE"));
    assert_eq!(v.decision, Decision::Denied);
    assert!(
        message(&v).contains("KH101 privileged-container (critical) at spec.template.spec.containers[0].securityContext.privileged"),
        "{}",
        message(&v)
    );
}

#[test]
fn exemptions_let_requests_through() {
    let pod = to_json(PRIVILEGED_POD);
    let mut in_sandbox = pod.clone();
    in_sandbox["spec"]["runtimeClassName"] = json!("gvisor");
    for (exemption, body) in [
        ("namespaces: [shop]", review(&pod, "CREATE")),
        ("usernames: [alice]", review(&pod, "CREATE")),
        ("groups: [developers]", review(&pod, "CREATE")),
        ("runtimeClasses: [gvisor]", review(&in_sandbox, "CREATE")),
    ] {
        let c = config(&format!(
            "defaults: {{enforce: low}}\nexemptions: {{{exemption}}}\n"
        ));
        let v = judge(&reviewer(c), &body);
        assert_eq!(v.decision, Decision::Exempt, "{exemption}");
        assert!(v.response.allowed, "{exemption}");
        assert!(v.response.audit_annotations.contains_key("exempt"));
    }
    // Another runtime class is judged.
    let c = config("defaults: {enforce: low}\nexemptions: {runtimeClasses: [kata]}\n");
    assert_eq!(
        judge(&reviewer(c), &review(&in_sandbox, "CREATE")).decision,
        Decision::Denied
    );
}

#[test]
fn rule_selection_and_threshold() {
    let body = review(&to_json(PRIVILEGED_POD), "CREATE");
    let ignored = config("defaults: {enforce: low}\nrules: {ignore: [KH101]}\n");
    let v = judge(&reviewer(ignored), &body);
    assert!(!message(&v).contains("KH101"), "{}", message(&v));
    // Only critical findings refuse: the privileged container is one.
    let critical = config("defaults: {enforce: critical, warn: none, audit: none}\n");
    let v = judge(&reviewer(critical), &body);
    assert_eq!(v.decision, Decision::Denied);
    let lines = message(&v).lines().filter(|l| l.starts_with("- ")).count();
    assert!(
        lines >= 1
            && message(&v)
                .lines()
                .skip(1)
                .all(|l| l.contains("(critical)")),
        "{}",
        message(&v)
    );
    // Namespace modes from the file.
    let per_ns = config(
        "defaults: {enforce: low}\nnamespaces: {shop: {enforce: none, warn: none, audit: none}}\n",
    );
    assert_eq!(judge(&reviewer(per_ns), &body).decision, Decision::Skipped);
}

#[test]
fn dry_run_is_judged_the_same() {
    let mut body = review(&to_json(PRIVILEGED_POD), "CREATE");
    body["request"]["dryRun"] = json!(true);
    let v = judge(&reviewer(enforcing()), &body);
    assert_eq!(v.decision, Decision::Denied);
    assert!(v.dry_run);
}

fn warns_kh101_already_present(v: &Verdict) {
    assert!(
        v.response
            .warnings
            .iter()
            .any(|w| w.contains("KH101") && w.contains("already present")),
        "{:?}",
        v.response.warnings
    );
}

#[test]
fn update_refuses_only_what_is_new() {
    let old = to_json(PRIVILEGED_POD);
    let mut relabelled = old.clone();
    relabelled["metadata"]["labels"] = json!({"team": "a"});
    let mut body = review(&relabelled, "UPDATE");
    body["request"]["oldObject"] = old.clone();
    let v = judge(&reviewer(enforcing()), &body);
    assert_eq!(v.decision, Decision::Allowed, "{}", message(&v));
    warns_kh101_already_present(&v);
    // An update that adds host networking is refused for that alone.
    let mut worse = old.clone();
    worse["spec"]["hostNetwork"] = json!(true);
    let mut body = review(&worse, "UPDATE");
    body["request"]["oldObject"] = old;
    let v = judge(&reviewer(enforcing()), &body);
    assert_eq!(v.decision, Decision::Denied);
    assert!(message(&v).contains("spec.hostNetwork"), "{}", message(&v));
    assert!(!message(&v).contains("KH101"), "{}", message(&v));
    // Deletion, and an object being deleted whose metadata alone changes, are not
    // judged.
    let v = judge(
        &reviewer(enforcing()),
        &review(&to_json(PRIVILEGED_POD), "DELETE"),
    );
    assert_eq!(v.decision, Decision::Skipped);
    let mut deleting = to_json(PRIVILEGED_POD);
    deleting["metadata"]["deletionTimestamp"] = json!("2026-12-02T12:00:00Z");
    let mut body = review(&deleting, "UPDATE");
    body["request"]["oldObject"] = to_json(PRIVILEGED_POD);
    assert_eq!(
        judge(&reviewer(enforcing()), &body).decision,
        Decision::Skipped
    );
}

#[test]
fn bad_input_gets_a_clean_answer() {
    let r = reviewer(enforcing());
    for body in [&b"{not json"[..], b"", b"[]", b"null", &[0xff, 0xfe][..]] {
        assert!(matches!(r.answer(body), Answer::BadRequest(_)), "{body:?}");
    }
    // A v1beta1 review: HTTP 400 naming the version served, not a v1 answer the
    // API server that sent it could not read.
    let mut old = review(&to_json(PRIVILEGED_POD), "CREATE");
    old["apiVersion"] = json!("admission.k8s.io/v1beta1");
    match r.answer(&serde_json::to_vec(&old).unwrap()) {
        Answer::BadRequest(why) => assert!(
            why.contains("\"admission.k8s.io/v1beta1\"")
                && why.contains("answers admission.k8s.io/v1 AdmissionReview only"),
            "{why}"
        ),
        Answer::Review(v) => panic!("a v1beta1 review answered as v1: {v:?}"),
    }
    // Answerable (it has a uid), but a field of the wrong type: the failure policy
    // answers, saying what is wrong.
    let mut wrong_operation = review(&to_json(PRIVILEGED_POD), "CREATE");
    wrong_operation["request"]["operation"] = json!(7);
    let v = judge(&r, &wrong_operation);
    assert_eq!(v.decision, Decision::Error);
    assert!(!v.response.allowed);
    assert_eq!(v.response.status.as_ref().unwrap().code, 400);
    assert!(
        message(&v).contains("the body is JSON but no AdmissionReview: "),
        "{}",
        message(&v)
    );
    let open = Reviewer::new(
        config("defaults: {enforce: low}\nfailurePolicy: Ignore\n"),
        None,
    )
    .unwrap();
    let v = judge(&open, &wrong_operation);
    assert!(v.response.allowed);
    assert!(v.response.warnings[0].contains("could not be judged"));
    // A CREATE whose object is null: the failure policy answers, naming what is missing.
    let mut no_object = review(&to_json(PRIVILEGED_POD), "CREATE");
    no_object["request"]["object"] = json!(null);
    let v = judge(&r, &no_object);
    assert_eq!(v.decision, Decision::Error);
    assert!(
        message(&v).contains("the AdmissionReview's CREATE request has no object (request.object)"),
        "{}",
        message(&v)
    );
    // No uid: HTTP 400 that says so (it used to be called "not JSON").
    let mut no_uid = review(&to_json(PRIVILEGED_POD), "CREATE");
    no_uid["request"].as_object_mut().unwrap().remove("uid");
    match r.answer(&serde_json::to_vec(&no_uid).unwrap()) {
        Answer::BadRequest(why) => assert!(
            why.contains("no uid (request.uid)") && !why.contains("not JSON"),
            "{why}"
        ),
        Answer::Review(v) => panic!("answered without a uid: {v:?}"),
    }
    // Over the size limit.
    let small = Reviewer::new(
        config("defaults: {enforce: low}\nmaxBodyBytes: 100\n"),
        None,
    )
    .unwrap();
    match small.answer(&serde_json::to_vec(&review(&to_json(PRIVILEGED_POD), "CREATE")).unwrap()) {
        Answer::Review(v) => assert!(
            message(&v).contains("over the limit of 100"),
            "{}",
            message(&v)
        ),
        Answer::BadRequest(why) => assert!(why.contains("over the limit"), "{why}"),
    }
    // An object of the wrong shape cannot be judged whole: the failure policy answers
    // (Fail: refused with 400), naming the field; nothing panics, nothing passes.
    let shapes = [
        (
            "/spec/containers",
            json!("not a list"),
            "spec.containers: expected a list",
        ),
        ("/spec", json!("x"), "spec: expected a mapping"),
        (
            "/spec/containers/0",
            json!("x"),
            "spec.containers[0]: expected a mapping",
        ),
        ("", json!("str"), "expected an object, found a scalar"),
        ("", json!([1]), "expected an object, found a list"),
        ("", json!(5), "expected an object, found a scalar"),
        ("", json!(true), "expected an object, found a scalar"),
        ("", json!({}), "the object has no apiVersion or kind"),
        ("/metadata", json!("x"), "metadata: expected a mapping"),
    ];
    for (at, value, said) in shapes {
        let mut wrong = to_json(PRIVILEGED_POD);
        match at {
            "" => wrong = value,
            at => *wrong.pointer_mut(at).unwrap() = value,
        }
        let mut body = review(&to_json(PRIVILEGED_POD), "CREATE");
        body["request"]["object"] = wrong;
        let v = judge(&r, &body);
        assert_eq!(v.decision, Decision::Error, "{at}: {v:?}");
        assert_eq!(
            v.response.status.as_ref().map(|s| s.code),
            Some(400),
            "{at}"
        );
        assert!(message(&v).contains(said), "{at}: {}", message(&v));
    }
    // A workload whose pod template is no mapping, and an object that is not the kind
    // the request names.
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "shop"}, "spec": {"template": "x"}});
    let v = judge(&r, &review(&deployment, "CREATE"));
    assert!(
        message(&v).contains("spec.template: expected a mapping"),
        "{}",
        message(&v)
    );
    let mut body = review(&to_json(PRIVILEGED_POD), "CREATE");
    body["request"]["kind"]["kind"] = json!("ConfigMap");
    let v = judge(&r, &body);
    assert!(
        message(&v).contains("request.object is a Pod, the request names a ConfigMap"),
        "{}",
        message(&v)
    );
    // Nesting past serde_json's limit.
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let mut body = review(&to_json(PRIVILEGED_POD), "CREATE");
    body["request"]["object"] = json!("PLACEHOLDER");
    let text = serde_json::to_string(&body)
        .unwrap()
        .replace("\"PLACEHOLDER\"", &deep);
    assert!(matches!(
        r.answer(text.as_bytes()),
        Answer::Review(_) | Answer::BadRequest(_)
    ));
}

#[test]
fn unknown_kinds_are_admitted_unless_a_rule_judges_them() {
    let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w", "namespace": "shop"}, "spec": {"size": 3}});
    let v = judge(&reviewer(enforcing()), &review(&widget, "CREATE"));
    assert_eq!(v.decision, Decision::Allowed, "{}", message(&v));
}

#[test]
fn secret_values_never_reach_an_answer() {
    let secret = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "s", "namespace": "shop",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}},
        "data": {"password": "aHVudGVyMg=="}, "stringData": {"token": "hunter2"}});
    let r = reviewer(config("defaults: {enforce: low, warn: low, audit: low}\n"));
    let v = judge(&r, &review(&secret, "CREATE"));
    let answer = String::from_utf8(v.response.to_review_json()).unwrap();
    assert!(
        !answer.contains("aHVudGVyMg") && !answer.contains("hunter2"),
        "{answer}"
    );
}

#[test]
fn without_the_cluster_view_cross_object_findings_are_not_judged() {
    // The pod's token automount depends on its ServiceAccount, which a review alone
    // does not show.
    let mut pod = to_json(HARDENED_POD);
    pod["spec"]
        .as_object_mut()
        .unwrap()
        .remove("automountServiceAccountToken");
    let r = reviewer(config("defaults: {enforce: low, warn: low}\n"));
    let v = judge(&r, &review(&pod, "CREATE"));
    assert_eq!(v.decision, Decision::Allowed, "{}", message(&v));
    assert!(
        v.response
            .warnings
            .iter()
            .any(|w| w.contains("not judged without the cluster view") && w.contains("KH402")),
        "{:?}",
        v.response.warnings
    );
}

#[test]
fn the_not_judged_notice_names_the_rules_merged_into_others() {
    // A pod of the default account with no resources: KH402 takes in KH530 (one
    // token problem), KH201 takes in KH202 (one finding for the missing limits and
    // requests). All four depend on objects a review does not show.
    let mut pod = to_json(HARDENED_POD);
    let spec = pod["spec"].as_object_mut().unwrap();
    spec.remove("automountServiceAccountToken");
    spec["containers"][0]
        .as_object_mut()
        .unwrap()
        .remove("resources");
    let r = reviewer(config("defaults: {enforce: low, warn: low}\n"));
    let v = judge(&r, &review(&pod, "CREATE"));
    let notice = v
        .response
        .warnings
        .iter()
        .find(|w| w.contains("not judged without the cluster view"))
        .unwrap_or_else(|| panic!("{:?}", v.response.warnings));
    for rule in ["KH201", "KH202", "KH402", "KH530"] {
        assert!(notice.contains(rule), "{rule}: {notice}");
    }
}

/// A cluster view of fixed objects.
struct Fixed {
    labels: BTreeMap<String, String>,
    objects: Arc<Vec<Object>>,
}

impl ClusterSource for Fixed {
    fn namespace_labels(&self, ns: &str) -> Option<BTreeMap<String, String>> {
        (ns == "shop").then(|| self.labels.clone())
    }
    fn related(&self, _: &str) -> Arc<Vec<Object>> {
        self.objects.clone()
    }
    fn ready(&self) -> bool {
        true
    }
}

#[test]
fn the_cluster_view_gives_labels_and_settles_conditions() {
    let account = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: shop}\nautomountServiceAccountToken: false\n";
    let objects =
        kubeharden_load::load_text(&"cluster".into(), account, &Default::default()).objects;
    let labels = BTreeMap::from([(
        "admission.kubeharden.io/enforce".to_string(),
        "low".to_string(),
    )]);
    let view = Arc::new(Fixed {
        labels,
        objects: Arc::new(objects),
    });
    // The file enforces nothing; the namespace's label enforces.
    let r = Reviewer::new(
        config("defaults: {enforce: none, warn: none, audit: none}\n"),
        Some(view.clone()),
    )
    .unwrap();
    let mut pod = to_json(HARDENED_POD);
    pod["spec"]
        .as_object_mut()
        .unwrap()
        .remove("automountServiceAccountToken");
    let v = judge(&r, &review(&pod, "CREATE"));
    assert_eq!(
        v.decision,
        Decision::Allowed,
        "the account disables automount: {}",
        message(&v)
    );
    // Without that account, the pod mounts a token: refused.
    let bare = Arc::new(Fixed {
        labels: view.labels.clone(),
        objects: Arc::default(),
    });
    let r = Reviewer::new(config("defaults: {enforce: none}\n"), Some(bare)).unwrap();
    let v = judge(&r, &review(&pod, "CREATE"));
    assert_eq!(v.decision, Decision::Denied);
    assert!(message(&v).contains("KH402"), "{}", message(&v));
}

#[test]
fn findings_are_scans_findings() {
    let examples =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/insecure/shop.yaml");
    let text = std::fs::read_to_string(&examples).unwrap();
    let rules_config = config("defaults: {enforce: info, warn: none, audit: none}\n");
    let r = reviewer(rules_config);
    let loaded = kubeharden_load::load_text(&"shop.yaml".into(), &text, &Default::default());
    let mut compared = 0;
    for object in &loaded.objects {
        let mut json: Value = kubeharden_yaml::from_node(&object.root).unwrap();
        if json["metadata"]["namespace"].is_null() && object.resource.kind != "Namespace" {
            json["metadata"]["namespace"] = json!("default");
        }
        let alone = serde_yaml_like(&json);
        let scanned =
            kubeharden_engine::scan_text("one.yaml", &alone, r.rules(), &Default::default());
        let mut want: Vec<String> = scanned
            .findings
            .iter()
            .filter(|f| f.requires.is_none() && !["KH532", "KH612", "KH613"].contains(&f.rule_id))
            // A Namespace is not judged at the door by the objects it cannot hold yet.
            .filter(|f| {
                f.resource.kind != "Namespace"
                    || !["KH510", "KH511", "KH520", "KH521"].contains(&f.rule_id)
            })
            .map(|f| {
                format!(
                    "{} {}",
                    f.rule_id,
                    if f.path.is_empty() { "." } else { &f.path }
                )
            })
            .collect();
        want.sort();
        want.dedup();
        let v = judge(&r, &review(&json, "CREATE"));
        let mut got: Vec<String> = message(&v)
            .lines()
            .filter_map(|l| l.strip_prefix("- "))
            .map(|l| {
                let (head, _) = l.split_once(": ").unwrap();
                let (id, rest) = head.split_once(' ').unwrap();
                format!("{id} {}", rest.rsplit_once(" at ").unwrap().1)
            })
            .collect();
        got.sort();
        got.dedup();
        assert_eq!(got, want, "{}", object.resource);
        compared += 1;
    }
    assert!(compared > 5);
}

/// JSON is YAML: the object as a one-document file for `scan`.
fn serde_yaml_like(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

fn project(text: &str) -> kubeharden_exceptions::Config {
    kubeharden_exceptions::Config::parse(std::path::Path::new(".kubeharden.yaml"), text).unwrap()
}

#[test]
fn the_project_exceptions_admit_what_scan_accepts() {
    let only_privileged = || config("defaults: {enforce: low}\nrules: {select: [KH101]}\n");
    let accepted = project(
        "exceptions:\n  - rules: [KH101]\n    names: [p]\n    reason: the GPU driver needs it\n",
    );
    let v = judge(
        &reviewer(only_privileged()).with_project_config(accepted),
        &review(&to_json(PRIVILEGED_POD), "CREATE"),
    );
    assert_eq!(v.decision, Decision::Allowed, "{:?}", v.response);
    // Another name is not covered: refused as without the file.
    let elsewhere = project(
        "exceptions:\n  - rules: [KH101]\n    names: [other]\n    reason: the GPU driver needs it\n",
    );
    let v = judge(
        &reviewer(only_privileged()).with_project_config(elsewhere),
        &review(&to_json(PRIVILEGED_POD), "CREATE"),
    );
    assert_eq!(v.decision, Decision::Denied);
    assert!(message(&v).contains("KH101"), "{}", message(&v));
}

/// `object` made by the controller `kind`/`name`, as its `ownerReferences` say.
fn owned_by(mut object: Value, api_version: &str, kind: &str, name: &str) -> Value {
    object["metadata"]["ownerReferences"] = json!([{"apiVersion": api_version, "kind": kind,
        "name": name, "uid": "0a1b", "controller": true, "blockOwnerDeletion": true}]);
    object
}

/// `review(object, operation)` as `username` sends it.
fn review_by(object: &Value, operation: &str, username: &str) -> Value {
    let mut r = review(object, operation);
    r["request"]["userInfo"] = json!({"username": username, "groups": ["system:serviceaccounts"]});
    r
}

const REPLICASET_CONTROLLER: &str = "system:serviceaccount:kube-system:replicaset-controller";

/// What a built-in controller makes is covered by the exceptions of the workload it
/// makes it from, and never refused (the workload was judged when written): what the
/// exceptions do not cover comes back as a warning. The same ownerReferences written
/// by anyone else are not believed: refused, as `scan` of a lone Pod judges it.
#[test]
fn a_controllers_exceptions_cover_what_it_makes() {
    let only_privileged = || config("defaults: {enforce: low}\nrules: {select: [KH101]}\n");
    let for_web = || {
        project("exceptions:\n  - rules: [KH101]\n    kinds: [Deployment]\n    names: [web]\n    reason: the GPU driver needs it\n")
    };
    let judged = |object: &Value, user: &str| {
        judge(
            &reviewer(only_privileged()).with_project_config(for_web()),
            &review_by(object, "CREATE", user),
        )
    };
    let warned = |v: &Verdict| v.response.warnings.iter().any(|w| w.contains("KH101"));
    let mut pod = to_json(PRIVILEGED_POD);
    pod["metadata"]["name"] = json!("web-5d8f-x2k4");
    pod["metadata"]["labels"] = json!({"pod-template-hash": "5d8f"});
    // The Deployment's Pod, through its ReplicaSet web-5d8f.
    let made = owned_by(pod.clone(), "apps/v1", "ReplicaSet", "web-5d8f");
    let v = judged(&made, REPLICASET_CONTROLLER);
    assert_eq!(v.decision, Decision::Allowed, "{}", message(&v));
    assert!(!warned(&v), "{:?}", v.response.warnings);
    // The ReplicaSet itself.
    let replica_set = owned_by(
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "web-5d8f", "namespace": "shop", "labels": {"pod-template-hash": "5d8f"}},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod["spec"]}}}),
        "apps/v1",
        "Deployment",
        "web",
    );
    let v = judged(
        &replica_set,
        "system:serviceaccount:kube-system:deployment-controller",
    );
    assert_eq!(v.decision, Decision::Allowed, "{}", message(&v));
    assert!(!warned(&v), "{:?}", v.response.warnings);
    // Another Deployment's Pod, and one whose ReplicaSet is not web's by its hash: a
    // controller's are admitted with the finding as a warning.
    for other in [
        owned_by(pod.clone(), "apps/v1", "ReplicaSet", "api-5d8f"),
        owned_by(pod.clone(), "apps/v1", "ReplicaSet", "web-77aa"),
    ] {
        let v = judged(&other, REPLICASET_CONTROLLER);
        assert_eq!(v.decision, Decision::Allowed, "{other}");
        assert!(warned(&v), "{:?}", v.response.warnings);
    }
    // Sent by a user, the same ownerReferences are not believed, and a Pod that names
    // no owner is judged alone: refused.
    for forged in [made.clone(), pod.clone()] {
        let v = judged(&forged, "alice");
        assert_eq!(v.decision, Decision::Denied, "{forged}");
        assert!(message(&v).contains("KH101"), "{}", message(&v));
    }
    let v = judged(&pod, REPLICASET_CONTROLLER);
    assert_eq!(
        v.decision,
        Decision::Denied,
        "a Pod with no owner is nobody's"
    );
    // An account of kube-system merely named like a controller is a user.
    for lookalike in [
        "evil-controller",
        "cert-manager-controller",
        "replicaset-controller-x",
    ] {
        let user = format!("system:serviceaccount:kube-system:{lookalike}");
        let v = judged(&made, &user);
        assert_eq!(v.decision, Decision::Denied, "{lookalike}");
    }
}

#[test]
fn a_cronjobs_exceptions_cover_its_jobs_pods() {
    let only_privileged = || config("defaults: {enforce: low}\nrules: {select: [KH101]}\n");
    let for_nightly = project(
        "exceptions:\n  - rules: [KH101]\n    kinds: [CronJob]\n    names: [nightly]\n    reason: backups read the host\n",
    );
    let r = reviewer(only_privileged()).with_project_config(for_nightly);
    let job_controller = "system:serviceaccount:kube-system:job-controller";
    let pod = to_json(PRIVILEGED_POD);
    let scheduled = owned_by(pod.clone(), "batch/v1", "Job", "nightly-29412345");
    let v = judge(&r, &review_by(&scheduled, "CREATE", job_controller));
    assert_eq!(v.decision, Decision::Allowed);
    assert!(
        v.response.warnings.iter().all(|w| !w.contains("KH101")),
        "{:?}",
        v.response.warnings
    );
    // A Job made by hand is not the CronJob's: warned.
    let by_hand = owned_by(pod, "batch/v1", "Job", "nightly-manual");
    let v = judge(&r, &review_by(&by_hand, "CREATE", job_controller));
    assert!(
        v.response.warnings.iter().any(|w| w.contains("KH101")),
        "{:?}",
        v.response.warnings
    );
    // The scheduled Pod's ownerReferences written by a user: refused.
    let v = judge(&r, &review_by(&scheduled, "CREATE", "alice"));
    assert_eq!(v.decision, Decision::Denied);
}

#[test]
fn project_exceptions_select_by_label_and_expire() {
    let only_privileged = || config("defaults: {enforce: low}\nrules: {select: [KH101]}\n");
    let labelled = PRIVILEGED_POD.replace(
        "metadata: {name: p, namespace: shop}",
        "metadata: {name: p, namespace: shop, labels: {team: gpu}}",
    );
    let by_label = |expires: &str| {
        project(&format!("exceptions:\n  - rules: [KH101]\n    labels: {{team: gpu}}\n    reason: GPU nodes\n    expires: {expires}\n"))
    };
    let v = judge(
        &reviewer(only_privileged()).with_project_config(by_label("2999-01-01")),
        &review(&to_json(&labelled), "CREATE"),
    );
    assert_eq!(v.decision, Decision::Allowed, "{:?}", v.response);
    // Unlabelled, or past its date, the exception covers nothing.
    let v = judge(
        &reviewer(only_privileged()).with_project_config(by_label("2999-01-01")),
        &review(&to_json(PRIVILEGED_POD), "CREATE"),
    );
    assert_eq!(v.decision, Decision::Denied);
    let v = judge(
        &reviewer(only_privileged()).with_project_config(by_label("2020-01-01")),
        &review(&to_json(&labelled), "CREATE"),
    );
    assert_eq!(v.decision, Decision::Denied);
}

#[test]
fn project_severity_overrides_move_a_finding_below_the_enforce_level() {
    let high = || config("defaults: {enforce: high}\nrules: {select: [KH101]}\n");
    let v = judge(
        &reviewer(high()),
        &review(&to_json(PRIVILEGED_POD), "CREATE"),
    );
    assert_eq!(v.decision, Decision::Denied);
    let lowered = project("severity:\n  KH101: low\n");
    let v = judge(
        &reviewer(high()).with_project_config(lowered),
        &review(&to_json(PRIVILEGED_POD), "CREATE"),
    );
    assert_eq!(v.decision, Decision::Allowed, "{:?}", v.response);
}

#[test]
fn a_new_namespace_is_not_refused_for_the_policies_it_cannot_hold_yet() {
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "team-a", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}});
    let v = judge(&reviewer(enforcing()), &review(&namespace, "CREATE"));
    assert_eq!(v.decision, Decision::Allowed, "{:?}", v.response);
    let said = format!("{:?}", v.response);
    for rule in ["KH510", "KH511", "KH520", "KH521"] {
        assert!(!said.contains(rule), "{rule}: {said}");
    }
    // What a namespace says of itself is still judged: no Pod Security label.
    let bare = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-b"}});
    let v = judge(&reviewer(enforcing()), &review(&bare, "CREATE"));
    assert_eq!(v.decision, Decision::Denied, "{:?}", v.response);
}

/// A Role and its binding arrive in either order: at `enforce: info` neither the
/// binding sent first (its Role not there yet, KH612) nor the Role sent first (no
/// binding names it yet, KH613) is refused; scan judges them on the whole set.
#[test]
fn a_role_and_its_binding_are_admitted_in_either_order() {
    let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "reader", "namespace": "shop"},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]});
    let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "reader", "namespace": "shop"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "app", "namespace": "shop"}]});
    // With a view of the cluster that holds the namespace but neither of the two yet,
    // as when the first arrives.
    let namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
    let objects =
        kubeharden_load::load_text(&"cluster".into(), namespace, &Default::default()).objects;
    let empty = Arc::new(Fixed {
        labels: BTreeMap::new(),
        objects: Arc::new(objects),
    });
    let r = Reviewer::new(
        config("defaults: {enforce: info, warn: none, audit: none}\n"),
        Some(empty),
    )
    .unwrap();
    for object in [&role, &binding] {
        let v = judge(&r, &review(object, "CREATE"));
        assert_eq!(v.decision, Decision::Allowed, "{:?}", v.response);
    }
    // What the RBAC rules judge of the object itself is still refused.
    let mut admin = binding.clone();
    admin["roleRef"] = json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"});
    let v = judge(&r, &review(&admin, "CREATE"));
    assert_eq!(v.decision, Decision::Denied, "{:?}", v.response);
    assert!(message(&v).contains("KH601"), "{}", message(&v));
}

#[test]
fn update_knows_old_containers_by_name_not_place() {
    let old = to_json(PRIVILEGED_POD);
    let sidecar = to_json(HARDENED_POD)["spec"]["containers"][0].clone();
    let mut with_sidecar = old.clone();
    let mut sidecar = sidecar;
    sidecar["name"] = json!("side");
    with_sidecar["spec"]["containers"] = json!([sidecar, old["spec"]["containers"][0].clone()]);
    let mut body = review(&with_sidecar, "UPDATE");
    body["request"]["oldObject"] = old;
    let v = judge(&reviewer(enforcing()), &body);
    // Container c's problems moved from [0] to [1]: still old, never refused.
    assert!(!message(&v).contains("containers[1]"), "{}", message(&v));
    warns_kh101_already_present(&v);
}

/// A view that has not listed the cluster yet.
struct NotSynced;

impl ClusterSource for NotSynced {
    fn namespace_labels(&self, _: &str) -> Option<BTreeMap<String, String>> {
        None
    }
    fn related(&self, _: &str) -> Arc<Vec<Object>> {
        Arc::default()
    }
    fn ready(&self) -> bool {
        false
    }
}

/// Before the view has synced, a namespace's modes are unknown: a review is answered
/// by the failure policy, not judged as if the namespace enforced nothing.
#[test]
fn a_review_before_the_view_has_synced_is_answered_by_the_failure_policy() {
    for (policy, expected) in [("Fail", Decision::Error), ("Ignore", Decision::Error)] {
        let text = format!("defaults: {{enforce: none}}\nfailurePolicy: {policy}\n");
        let r = Reviewer::new(config(&text), Some(Arc::new(NotSynced))).unwrap();
        let v = judge(&r, &review(&to_json(PRIVILEGED_POD), "CREATE"));
        assert_eq!(v.decision, expected);
        assert_eq!(v.response.allowed, policy == "Ignore", "{policy}");
        let said = format!("{:?} {:?}", v.response.status, v.response.warnings);
        assert!(said.contains("has not synced"), "{said}");
    }
}

/// The author of an object writes its annotations: at admission its inline exceptions
/// are not honoured unless the configuration says so, and the answer says they were
/// not.
#[test]
fn inline_exceptions_are_honoured_at_admission_only_when_configured() {
    let mut pod = to_json(PRIVILEGED_POD);
    pod["metadata"]["annotations"] = json!({
        "kubeharden.io/ignore": "KH101",
        "kubeharden.io/ignore-reason": "needs the GPU",
    });
    let enforcing = "defaults: {enforce: low}\nrules: {select: [KH101]}\n";
    let v = judge(&reviewer(config(enforcing)), &review(&pod, "CREATE"));
    assert_eq!(v.decision, Decision::Denied, "{:?}", v.response);
    assert!(message(&v).contains("KH101"), "{}", message(&v));
    assert!(
        v.response
            .warnings
            .iter()
            .any(|w| w.contains("not honoured at admission")),
        "{:?}",
        v.response.warnings
    );
    let honouring = format!("{enforcing}inlineExceptions: true\n");
    let v = judge(&reviewer(config(&honouring)), &review(&pod, "CREATE"));
    assert_eq!(v.decision, Decision::Allowed, "{:?}", v.response);
}

/// The verdict on a privileged Pod in a namespace labelled `enforce=VALUE`, where the
/// configuration enforces, warns and audits nothing.
fn privileged_pod_where_enforce_is(value: &str) -> Verdict {
    privileged_pod_labelled("admission.kubeharden.io/enforce", value)
}

/// The verdict on a privileged Pod in a namespace labelled `key=value` alone.
fn privileged_pod_labelled(key: &str, value: &str) -> Verdict {
    let labels = BTreeMap::from([(key.to_string(), value.to_string())]);
    let view = Arc::new(Fixed {
        labels,
        objects: Arc::default(),
    });
    let r = Reviewer::new(
        config("defaults: {enforce: none, warn: none, audit: none}\nrules: {select: [KH101]}\n"),
        Some(view),
    )
    .unwrap();
    judge(&r, &review(&to_json(PRIVILEGED_POD), "CREATE"))
}

/// A mode label that is no level fails closed: read as low, with a warning, rather
/// than turning enforcement off without a word.
#[test]
fn a_mistyped_mode_label_enforces_and_says_so() {
    let v = privileged_pod_where_enforce_is("hgih");
    assert_eq!(v.decision, Decision::Denied, "{:?}", v.response);
    assert!(
        v.response
            .warnings
            .iter()
            .any(|w| w.contains("enforce=\"hgih\"")),
        "{:?}",
        v.response.warnings
    );
}

/// A label of ours that names no mode sets nothing, and says so with the mode meant.
#[test]
fn a_mistyped_mode_label_key_is_told() {
    for (key, meant) in [
        ("enfroce", "enforce"),
        ("Enforce", "enforce"),
        ("wran", "warn"),
    ] {
        let label = format!("admission.kubeharden.io/{key}");
        let v = privileged_pod_labelled(&label, "high");
        let told = format!("label {label} names no mode (enforce, warn or audit): it sets nothing; did you mean \"{meant}\"?");
        assert!(
            v.response.warnings.iter().any(|w| w.contains(&told)),
            "{key}: {:?}",
            v.response.warnings
        );
    }
    let v = privileged_pod_labelled("admission.kubeharden.io/enforce", "high");
    assert!(v
        .response
        .warnings
        .iter()
        .all(|w| !w.contains("names no mode")));
}

/// A pod of thousands of containers would hold a core for seconds after its answer:
/// past the bound it is answered by the failure policy, unjudged.
#[test]
fn a_pod_of_too_many_containers_is_answered_by_the_failure_policy() {
    let mut pod = to_json(PRIVILEGED_POD);
    let one = pod["spec"]["containers"][0].clone();
    let many: Vec<Value> = (0..=kubeharden_admission::MAX_CONTAINERS)
        .map(|i| {
            let mut c = one.clone();
            c["name"] = json!(format!("c{i}"));
            c
        })
        .collect();
    pod["spec"]["containers"] = json!(many);
    let v = judge(
        &reviewer(config("defaults: {enforce: low}\n")),
        &review(&pod, "CREATE"),
    );
    assert_eq!(v.decision, Decision::Error);
    assert!(!v.response.allowed);
    assert!(
        format!("{:?}", v.response.status).contains("1001 containers"),
        "{:?}",
        v.response.status
    );
}

/// A pod of few containers but thousands of mounts would hold a core as long: past
/// the bound on volumes, mounts, ports and env vars it is answered unjudged too.
#[test]
fn a_pod_of_too_many_mounts_is_answered_by_the_failure_policy() {
    let mut pod = to_json(PRIVILEGED_POD);
    let per_container = kubeharden_admission::MAX_POD_ITEMS / 10 + 1;
    let mounts: Vec<Value> = (0..per_container)
        .map(|i| json!({"name": "host", "mountPath": format!("/m{i}")}))
        .collect();
    let one = pod["spec"]["containers"][0].clone();
    let containers: Vec<Value> = (0..10)
        .map(|i| {
            let mut c = one.clone();
            c["name"] = json!(format!("c{i}"));
            c["volumeMounts"] = json!(mounts);
            c
        })
        .collect();
    pod["spec"]["containers"] = json!(containers);
    let v = judge(
        &reviewer(config("defaults: {enforce: low}\n")),
        &review(&pod, "CREATE"),
    );
    assert_eq!(v.decision, Decision::Error);
    let said = format!("{:?}", v.response.status);
    assert!(
        said.contains("volumes, mounts, ports and env vars"),
        "{said}"
    );
}

/// An empty mode label (`enforce=`) is no level: it fails closed, as a typo does.
#[test]
fn an_empty_mode_label_enforces_and_says_so() {
    let v = privileged_pod_where_enforce_is("");
    assert_eq!(v.decision, Decision::Denied, "{:?}", v.response);
    assert!(
        v.response
            .warnings
            .iter()
            .any(|w| w.contains("an empty value is no level")),
        "{:?}",
        v.response.warnings
    );
}

/// Cluster-scoped objects are in no namespace: `clusterScoped` gives their modes
/// (else the defaults), and no namespace's entry or labels do; an entry for the
/// empty namespace is refused, as it would do nothing.
#[test]
fn cluster_scoped_objects_take_the_cluster_scoped_modes() {
    let admin = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "everyone-admin"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "developers"}]});
    let decided = |text: &str| judge(&reviewer(config(text)), &review(&admin, "CREATE")).decision;
    assert_eq!(
        decided(
            "defaults: {enforce: none, warn: low, audit: none}\nclusterScoped: {enforce: high}\n"
        ),
        Decision::Denied
    );
    assert_eq!(
        decided("defaults: {enforce: none, warn: low, audit: none}\n"),
        Decision::Allowed
    );
    assert_eq!(
        decided("defaults: {enforce: high}\nclusterScoped: {enforce: none}\n"),
        Decision::Allowed
    );
    // A namespaced object is not governed by it.
    let mut pod = to_json(PRIVILEGED_POD);
    pod["metadata"]["namespace"] = json!("shop");
    let v = judge(
        &reviewer(config(
            "defaults: {enforce: none, warn: none, audit: none}\nclusterScoped: {enforce: low}\n",
        )),
        &review(&pod, "CREATE"),
    );
    assert_eq!(
        v.decision,
        Decision::Skipped,
        "no mode of its namespace judges it"
    );
    let empty = Config::parse("c.yaml", "namespaces:\n  \"\": {enforce: high}\n").unwrap_err();
    assert!(empty.to_string().contains("clusterScoped"), "{empty}");
}

/// An object held by a finalizer while being deleted may lose its finalizers
/// unjudged; a change of its content (a privileged container added) is judged.
#[test]
fn an_object_being_deleted_is_judged_when_more_than_metadata_changes() {
    let mut old = to_json(HARDENED_POD);
    old["metadata"]["deletionTimestamp"] = json!("2026-12-03T10:00:00Z");
    old["metadata"]["finalizers"] = json!(["example.com/hold"]);
    let r = reviewer(enforcing());
    let update = |new: Value| {
        let mut body = review(&new, "UPDATE");
        body["request"]["oldObject"] = old.clone();
        judge(&r, &body)
    };
    let mut released = old.clone();
    released["metadata"]["finalizers"] = json!([]);
    assert_eq!(update(released).decision, Decision::Skipped);
    let mut changed = old.clone();
    changed["spec"]["containers"][0]["securityContext"]["privileged"] = json!(true);
    let v = update(changed);
    assert_eq!(v.decision, Decision::Denied, "{:?}", v.response);
}

/// An UPDATE that makes an old finding graver (an unused host path volume, then the
/// host's root mounted writable at the same volume) is refused: the field is the
/// same, the problem is not.
#[test]
fn an_update_that_makes_a_finding_graver_is_judged_anew() {
    let pod = |path: &str, mounted: bool| {
        let mut pod = to_json(HARDENED_POD);
        pod["spec"]["volumes"] = json!([{"name": "host", "hostPath": {"path": path}}]);
        if mounted {
            pod["spec"]["containers"][0]["volumeMounts"] =
                json!([{"name": "host", "mountPath": "/host"}]);
        }
        pod
    };
    let r = reviewer(config(
        "defaults: {enforce: high, warn: none, audit: none}\n",
    ));
    let created = judge(&r, &review(&pod("/var/log/app", false), "CREATE"));
    assert_eq!(
        created.decision,
        Decision::Allowed,
        "{:?}",
        created.response
    );
    let mut body = review(&pod("/", true), "UPDATE");
    body["request"]["oldObject"] = pod("/var/log/app", false);
    let v = judge(&r, &body);
    assert_eq!(v.decision, Decision::Denied, "{:?}", v.response);
}

/// A view that knows ClusterRoles and bindings of the cluster's own, and nothing
/// else (no namespace's objects).
struct WithRole {
    roles: Vec<Object>,
    bindings: Vec<Object>,
}

impl ClusterSource for WithRole {
    fn namespace_labels(&self, _: &str) -> Option<BTreeMap<String, String>> {
        None
    }
    fn related(&self, _: &str) -> Arc<Vec<Object>> {
        Arc::default()
    }
    fn ready(&self) -> bool {
        true
    }
    fn cluster_roles(&self, name: &str) -> Vec<Object> {
        // As the informers give it: the role, then those its aggregationRule selects
        // (here: every other role labelled `aggregate-to-NAME`).
        let label = format!("aggregate-to-{name}");
        let Some(role) = self.roles.iter().find(|r| r.resource.name == name) else {
            return Vec::new();
        };
        let mut out = vec![role.clone()];
        let aggregates = role.root.get("aggregationRule").is_some();
        out.extend(
            self.roles
                .iter()
                .filter(|r| {
                    aggregates
                        && r.root
                            .get("metadata")
                            .and_then(|m| m.get("labels"))
                            .and_then(|l| l.get(&label))
                            .is_some()
                })
                .cloned(),
        );
        out
    }
    fn aggregators_of(&self, labels: &BTreeMap<String, String>) -> Vec<String> {
        // A role named NAME aggregates those labelled `aggregate-to-NAME`.
        self.roles
            .iter()
            .filter(|r| r.root.get("aggregationRule").is_some())
            .filter(|r| labels.contains_key(&format!("aggregate-to-{}", r.resource.name)))
            .map(|r| r.resource.name.clone())
            .collect()
    }
    fn bindings_of(&self, kind: &str, _namespace: Option<&str>, name: &str) -> Vec<Object> {
        self.bindings
            .iter()
            .filter(|b| {
                let r = b.root.get("roleRef").unwrap();
                r.get("kind").and_then(kubeharden_yaml::Node::scalar_text) == Some(kind)
                    && r.get("name").and_then(kubeharden_yaml::Node::scalar_text) == Some(name)
            })
            .cloned()
            .collect()
    }
}

fn objects_of(yaml: &str) -> Vec<Object> {
    kubeharden_load::load_text(&"cluster".into(), yaml, &Default::default()).objects
}

/// A binding is judged with the ClusterRole it grants, from the view: one of the
/// cluster's own roles as well as a built-in one (`cluster-admin`), whether the
/// binding is a ClusterRoleBinding (of no namespace) or a RoleBinding; without the
/// role in the view, no grant is invented.
#[test]
fn a_binding_is_judged_with_the_cluster_role_it_grants() {
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: pod-exec}\nrules:\n  - apiGroups: [\"\"]\n    resources: [pods/exec]\n    verbs: [create, get]\n";
    let view = Arc::new(WithRole {
        roles: objects_of(role),
        bindings: Vec::new(),
    });
    let binding = |kind: &str, namespace: Option<&str>, role: &str| {
        let mut b = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
            "metadata": {"name": "runner-exec"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": "runner", "namespace": "ci"}]});
        if let Some(ns) = namespace {
            b["metadata"]["namespace"] = json!(ns);
        }
        b
    };
    let text = "defaults: {enforce: low, warn: none, audit: none}\nclusterScoped: {enforce: low}\n";
    let with_view = Reviewer::new(config(text), Some(view)).unwrap();
    for (kind, ns) in [("ClusterRoleBinding", None), ("RoleBinding", Some("ci"))] {
        let v = judge(
            &with_view,
            &review(&binding(kind, ns, "pod-exec"), "CREATE"),
        );
        assert_eq!(v.decision, Decision::Denied, "{kind}: {}", message(&v));
        assert!(message(&v).contains("KH604"), "{kind}: {}", message(&v));
        // A role the view does not hold grants nothing that can be judged.
        let v = judge(&with_view, &review(&binding(kind, ns, "unknown"), "CREATE"));
        assert_eq!(v.decision, Decision::Allowed, "{kind}: {}", message(&v));
    }
    let v = judge(
        &with_view,
        &review(
            &binding("ClusterRoleBinding", None, "cluster-admin"),
            "CREATE",
        ),
    );
    assert!(message(&v).contains("KH601"), "{}", message(&v));
}

/// The not-judged notice survives an answer with more warnings than it carries
/// (it comes before the findings), and a refusal says it too, for a namespace that
/// only enforces.
#[test]
fn the_not_judged_notice_is_never_cut_and_a_refusal_says_it() {
    let mut pod = to_json(PRIVILEGED_POD);
    let spec = pod["spec"].as_object_mut().unwrap();
    spec.remove("automountServiceAccountToken");
    // Many containers, each with findings of its own: far more than 20 warnings.
    let first = spec["containers"][0].clone();
    let containers: Vec<Value> = (0..12)
        .map(|i| {
            let mut c = first.clone();
            c["name"] = json!(format!("c{i}"));
            c.as_object_mut().unwrap().remove("resources");
            c
        })
        .collect();
    spec["containers"] = json!(containers);
    let r = reviewer(config(
        "defaults: {enforce: info, warn: info, audit: none}\n",
    ));
    let v = judge(&r, &review(&pod, "CREATE"));
    let warnings = &v.response.warnings;
    assert!(warnings[0].contains("warnings, the first"), "{warnings:?}");
    assert!(
        warnings[1].starts_with("kubeharden: not judged without the cluster view")
            && warnings[1].contains("KH402"),
        "{warnings:?}"
    );
    let only_enforce = reviewer(config(
        "defaults: {enforce: info, warn: none, audit: none}\n",
    ));
    let v = judge(&only_enforce, &review(&pod, "CREATE"));
    assert_eq!(v.decision, Decision::Denied);
    assert!(
        message(&v).contains("not judged without the cluster view: ")
            && message(&v).contains("KH402"),
        "{}",
        message(&v)
    );
}

/// A ClusterRole that aggregates others grants their rules: a binding to it is
/// judged with them.
#[test]
fn a_binding_to_an_aggregating_role_is_judged_with_what_it_aggregates() {
    let roles = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: parent}\naggregationRule:\n  clusterRoleSelectors: [{matchLabels: {aggregate-to-parent: \"true\"}}]\nrules: []\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: child, labels: {aggregate-to-parent: \"true\"}}\nrules:\n  - apiGroups: [\"\"]\n    resources: [pods/exec]\n    verbs: [create]\n";
    let view = Arc::new(WithRole {
        roles: objects_of(roles),
        bindings: Vec::new(),
    });
    let r = Reviewer::new(
        config("defaults: {enforce: low, warn: none, audit: none}\n"),
        Some(view),
    )
    .unwrap();
    let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "b", "namespace": "ci"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "parent"},
        "subjects": [{"kind": "ServiceAccount", "name": "runner", "namespace": "ci"}]});
    let v = judge(&r, &review(&binding, "CREATE"));
    assert_eq!(v.decision, Decision::Denied, "{}", message(&v));
    assert!(message(&v).contains("KH604"), "{}", message(&v));
}

/// A role's grants are its bindings' findings: changing a bound role to grant more
/// is refused (through the binding), and a change that grants nothing new is not.
#[test]
fn an_update_of_a_bound_role_is_judged_through_its_bindings() {
    let binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: benign}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: benign}\nsubjects: [{kind: ServiceAccount, name: app, namespace: rb}]\n";
    let view = Arc::new(WithRole {
        roles: Vec::new(),
        bindings: objects_of(binding),
    });
    let r = Reviewer::new(
        config(
            "defaults: {enforce: none, warn: none, audit: none}\nclusterScoped: {enforce: low}\n",
        ),
        Some(view),
    )
    .unwrap();
    let role = |rules: Value| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "benign"}, "rules": rules})
    };
    let benign = role(json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]));
    let star = role(json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]));
    let update = |new: &Value, old: &Value| {
        let mut req = review(new, "UPDATE");
        req["request"]["oldObject"] = old.clone();
        judge(&r, &req)
    };
    let v = update(&star, &benign);
    assert_eq!(v.decision, Decision::Denied, "{}", message(&v));
    assert!(
        message(&v).contains("through ClusterRoleBinding benign: "),
        "{}",
        message(&v)
    );
    // Relabelling a role that already granted everything refuses nothing new.
    let mut relabelled = star.clone();
    relabelled["metadata"]["labels"] = json!({"team": "a"});
    assert_eq!(update(&relabelled, &star).decision, Decision::Allowed);
    assert_eq!(update(&benign, &benign).decision, Decision::Allowed);
}

/// Without the cluster view, a binding to a Role or to the cluster's own ClusterRole
/// has grants no one can see: said as not judged, never passed in silence.
#[test]
fn without_the_view_a_binding_to_an_unknown_role_is_not_judged() {
    let r = reviewer(config("defaults: {enforce: low, warn: low, audit: none}\n"));
    for (kind, name) in [("Role", "r-plain"), ("ClusterRole", "custom")] {
        let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "b", "namespace": "rb"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": "app", "namespace": "rb"}]});
        let v = judge(&r, &review(&binding, "CREATE"));
        assert_eq!(v.decision, Decision::Allowed, "{}", message(&v));
        let notice = v
            .response
            .warnings
            .iter()
            .find(|w| w.contains("not judged without the cluster view"))
            .unwrap_or_else(|| panic!("{kind}: {:?}", v.response.warnings));
        assert!(
            notice.contains("KH601") && notice.contains("KH604"),
            "{notice}"
        );
    }
    // A built-in role's grants are known: judged, no such note.
    let admin = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "b", "namespace": "rb"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"kind": "ServiceAccount", "name": "app", "namespace": "rb"}]});
    let v = judge(&r, &review(&admin, "CREATE"));
    assert_eq!(v.decision, Decision::Denied, "{}", message(&v));
}

/// A ClusterRole that another aggregates by its labels grants through that role's
/// bindings: labelled so, a role that grants exec is refused through them; unlabelled,
/// it grants nothing bound.
#[test]
fn a_role_that_feeds_an_aggregated_role_is_judged_through_its_bindings() {
    let parent = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: parent}\naggregationRule:\n  clusterRoleSelectors: [{matchLabels: {aggregate-to-parent: \"true\"}}]\nrules: []\n";
    let binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: uses-parent, namespace: enf}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: parent}\nsubjects: [{kind: User, name: mallory, apiGroup: rbac.authorization.k8s.io}]\n";
    let view = Arc::new(WithRole {
        roles: objects_of(parent),
        bindings: objects_of(binding),
    });
    let r = Reviewer::new(
        config(
            "defaults: {enforce: none, warn: none, audit: none}\nclusterScoped: {enforce: low}\n",
        ),
        Some(view),
    )
    .unwrap();
    let feeder = |labels: Value| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "feeder", "labels": labels},
            "rules": [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]})
    };
    let v = judge(
        &r,
        &review(&feeder(json!({"aggregate-to-parent": "true"})), "CREATE"),
    );
    assert_eq!(v.decision, Decision::Denied, "{}", message(&v));
    assert!(
        message(&v).contains("through RoleBinding enf/uses-parent: "),
        "{}",
        message(&v)
    );
    let v = judge(&r, &review(&feeder(json!({"team": "a"})), "CREATE"));
    assert_eq!(v.decision, Decision::Allowed, "{}", message(&v));
}

/// A role's grants through a binding are judged by the modes of the binding's
/// namespace too: a ClusterRole, cluster-scoped and judged by no mode of its own, is
/// refused when it widens a RoleBinding of an enforcing namespace.
#[test]
fn a_roles_grants_take_the_modes_of_the_bindings_namespace() {
    let binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: uses-benign, namespace: enf}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: benign}\nsubjects: [{kind: User, name: leo, apiGroup: rbac.authorization.k8s.io}]\n";
    let view = Arc::new(WithRole {
        roles: Vec::new(),
        bindings: objects_of(binding),
    });
    let text =
        "defaults: {enforce: none, warn: none, audit: none}\nnamespaces:\n  enf: {enforce: low}\n";
    let r = Reviewer::new(config(text), Some(view)).unwrap();
    let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "benign"},
        "rules": [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]});
    let v = judge(&r, &review(&role, "CREATE"));
    assert_eq!(v.decision, Decision::Denied, "{}", message(&v));
    assert!(
        message(&v).contains("through RoleBinding enf/uses-benign"),
        "{}",
        message(&v)
    );
    // A role no binding grants is judged by its own modes alone: none.
    let lone = Reviewer::new(
        config(text),
        Some(Arc::new(WithRole {
            roles: Vec::new(),
            bindings: Vec::new(),
        })),
    )
    .unwrap();
    let v = judge(&lone, &review(&role, "CREATE"));
    assert_ne!(v.decision, Decision::Denied, "{}", message(&v));
}

/// Without the view, who a binding grants to is still judged: everyone
/// (`system:authenticated`) or a namespace's default account, whatever the role's
/// unknown rules; only what it grants is said not judged.
#[test]
fn without_the_view_the_subjects_of_a_binding_are_still_judged() {
    let r = reviewer(config("defaults: {enforce: low, warn: low, audit: none}\n"));
    let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "b", "namespace": "rb"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r-plain"},
        "subjects": [{"kind": "Group", "name": "system:authenticated", "apiGroup": "rbac.authorization.k8s.io"}]});
    let v = judge(&r, &review(&binding, "CREATE"));
    assert_eq!(v.decision, Decision::Denied, "{}", message(&v));
    assert!(message(&v).contains("KH610"), "{}", message(&v));
    let notice = v
        .response
        .warnings
        .iter()
        .find(|w| w.contains("not judged without the cluster view"))
        .unwrap_or_else(|| panic!("{:?}", v.response.warnings));
    assert!(
        notice.contains("KH604") && !notice.contains("KH610"),
        "{notice}"
    );
}
