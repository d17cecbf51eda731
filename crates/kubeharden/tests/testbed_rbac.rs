//! Kubernetes itself as the oracle for RBAC.
//!
//! - The built-in roles and bindings kubeharden ships must be those the test bed's API
//!   server creates at start-up (`testbed/dump-bootstrap` writes them).
//! - Differential test: random Roles, ClusterRoles (aggregated ones too) and bindings
//!   are created in the API server, and kubeharden's answer to each request (through
//!   the library `rbac can` and `rbac who-can` use, and the CLI on a sample) must be
//!   the answer of `POST /apis/authorization.k8s.io/v1/subjectaccessreviews`.
//!
//! The test bed has no controller-manager, so nothing aggregates ClusterRoles: the test
//! does what the aggregation controller does (`aggregate`), on the server's own data.

mod common;
mod rbac_gen;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use kubeharden_rbac::{Identity, RbacModel, Request, SubjectRef};
use kubeharden_testbed::{Client, Testbed};
use rbac_gen::{Query, Round, Who};
use serde_json::{json, Value};

const ROUNDS: usize = 5;
const RANDOM_QUERIES: usize = 900;
/// Requests whose who-can answer is checked against a SAR for every known identity.
const WHO_CAN_QUERIES: usize = 25;
const CLI_QUERIES: usize = 30;
const RBAC: &str = "/apis/rbac.authorization.k8s.io/v1";

#[test]
fn the_shipped_bootstrap_policy_is_the_api_servers() {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dumped = dir.path().join("bootstrap.yaml");
    let out = std::process::Command::new(common::root().join("testbed/dump-bootstrap"))
        .arg(&dumped)
        .env("KUBEHARDEN_TESTBED_DIR", &tb.dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dump-bootstrap: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shipped = common::root().join("crates/kubeharden-rbac/data/bootstrap.yaml");
    let diff = std::process::Command::new("diff")
        .args(["-u"])
        .arg(&shipped)
        .arg(&dumped)
        .output()
        .unwrap();
    assert!(
        diff.status.success(),
        "the built-in RBAC policy changed; rerun testbed/dump-bootstrap. The difference:\n{}",
        String::from_utf8_lossy(&diff.stdout)
    );
}

/// Cluster-scoped resources, as `group/resource`, from the API server's discovery, and
/// the virtual ones authorized without a namespace: impersonated users and groups
/// (the impersonation filter) and signers (CSR approval).
fn cluster_scoped(tb: &Testbed) -> HashSet<String> {
    let out = tb.kubectl(
        "admin",
        &[
            "api-resources",
            "--namespaced=false",
            "--no-headers",
            "-o",
            "name",
        ],
    );
    assert!(
        out.status.success(),
        "api-resources: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut set: HashSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| match l.split_once('.') {
            Some((r, g)) => format!("{g}/{r}"),
            None => format!("/{l}"),
        })
        .collect();
    assert!(set.contains("/nodes") && set.contains("rbac.authorization.k8s.io/clusterroles"));
    set.extend(["/users", "/groups", "certificates.k8s.io/signers"].map(String::from));
    set
}

/// The namespace of the real request, as the API server's request info sets it.
fn request_namespace(q: &Query, cluster: &HashSet<String>) -> String {
    let asked = q.namespace.clone().unwrap_or_default();
    if q.group.is_empty() && q.resource == "namespaces" {
        // GET /api/v1/namespaces/NAME[/status] carries NAME as its namespace.
        return q.name.clone().unwrap_or_default();
    }
    if q.verb == "bind" && q.resource == "clusterroles" {
        // Checked when a RoleBinding is made, in its namespace.
        return asked;
    }
    if cluster.contains(&format!("{}/{}", q.group, q.resource)) {
        return String::new();
    }
    asked
}

fn sar_body(who: &Who, q: &Query, cluster: &HashSet<String>) -> Value {
    let mut spec = json!({"user": who.user, "groups": who.groups});
    match &q.path {
        Some(path) => spec["nonResourceAttributes"] = json!({"path": path, "verb": q.verb}),
        None => {
            spec["resourceAttributes"] = json!({
                "namespace": request_namespace(q, cluster), "verb": q.verb, "group": q.group,
                "resource": q.resource, "subresource": q.subresource.clone().unwrap_or_default(),
                "name": q.name.clone().unwrap_or_default(),
            })
        }
    }
    json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec})
}

/// The API server's answer to each (identity, request), 16 at a time.
fn server_answers(
    tb: &'static Testbed,
    admin: &Client,
    asks: &[(Who, Query)],
    cluster: &HashSet<String>,
) -> Vec<bool> {
    let bodies: Vec<Value> = asks.iter().map(|(w, q)| sar_body(w, q, cluster)).collect();
    let mut out = vec![false; asks.len()];
    tb.block_on(async {
        for chunk in (0..bodies.len()).collect::<Vec<_>>().chunks(16) {
            let mut set = tokio::task::JoinSet::new();
            for &i in chunk {
                let (body, admin) = (bodies[i].clone(), admin.clone());
                set.spawn(async move {
                    let path = "/apis/authorization.k8s.io/v1/subjectaccessreviews";
                    let r = tb.send(&admin, "POST", path, Some(&body)).await;
                    assert_eq!(r.status, 201, "SAR {body}: {}", r.body);
                    (i, r.body["status"]["allowed"].as_bool().unwrap_or(false))
                });
            }
            while let Some(done) = set.join_next().await {
                let (i, allowed) = done.unwrap();
                out[i] = allowed;
            }
        }
    });
    out
}

fn collection(object: &Value) -> String {
    let ns = object["metadata"]["namespace"].as_str();
    let plural = match object["kind"].as_str().unwrap() {
        "ClusterRole" => "clusterroles",
        "ClusterRoleBinding" => "clusterrolebindings",
        "Role" => "roles",
        _ => "rolebindings",
    };
    match ns {
        Some(ns) => format!("{RBAC}/namespaces/{ns}/{plural}"),
        None => format!("{RBAC}/{plural}"),
    }
}

fn create_round(tb: &Testbed, admin: &Client, round: &Round) {
    tb.block_on(async {
        for ns in &round.namespaces {
            let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            let r = tb
                .send(admin, "POST", "/api/v1/namespaces", Some(&body))
                .await;
            assert_eq!(r.status, 201, "create namespace: {}", r.body);
        }
        for object in &round.server_objects {
            let r = tb
                .send(admin, "POST", &collection(object), Some(object))
                .await;
            assert_eq!(r.status, 201, "create {object}: {}", r.body);
        }
    });
}

/// What the controller-manager's ClusterRole aggregation controller does: each
/// aggregated ClusterRole's rules become the rules of the ClusterRoles its selectors
/// match (by name, itself left out, each rule once), until nothing changes.
fn aggregate(tb: &Testbed, admin: &Client) {
    tb.block_on(async {
        for _ in 0..10 {
            let list = tb
                .send(admin, "GET", &format!("{RBAC}/clusterroles"), None)
                .await;
            let roles = list.body["items"].as_array().unwrap().clone();
            let mut changed = false;
            for role in roles.iter().filter(|r| r["aggregationRule"].is_object()) {
                let rules = aggregated_rules(role, &roles);
                if role["rules"].as_array().cloned().unwrap_or_default() != rules {
                    let mut updated = role.clone();
                    updated["rules"] = json!(rules);
                    let path = format!(
                        "{RBAC}/clusterroles/{}",
                        role["metadata"]["name"].as_str().unwrap()
                    );
                    let r = tb.send(admin, "PUT", &path, Some(&updated)).await;
                    assert_eq!(r.status, 200, "aggregate {path}: {}", r.body);
                    changed = true;
                }
            }
            if !changed {
                return;
            }
        }
        panic!("ClusterRole aggregation did not settle");
    });
}

/// Every ClusterRole's rules as the API server holds them, by name.
fn cluster_role_rules(tb: &Testbed, admin: &Client) -> HashMap<String, Vec<Value>> {
    let list = tb.block_on(tb.send(admin, "GET", &format!("{RBAC}/clusterroles"), None));
    let items = list.body["items"].as_array().unwrap();
    items
        .iter()
        .map(|r| {
            let name = r["metadata"]["name"].as_str().unwrap().to_string();
            (name, r["rules"].as_array().cloned().unwrap_or_default())
        })
        .collect()
}

fn aggregated_rules(role: &Value, roles: &[Value]) -> Vec<Value> {
    let mut rules: Vec<Value> = Vec::new();
    for selector in role["aggregationRule"]["clusterRoleSelectors"]
        .as_array()
        .unwrap()
    {
        assert!(
            selector.get("matchExpressions").is_none(),
            "the test only makes matchLabels"
        );
        let wanted = selector["matchLabels"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut matching: Vec<&Value> = roles
            .iter()
            .filter(|r| r["metadata"]["name"] != role["metadata"]["name"])
            .filter(|r| wanted.iter().all(|(k, v)| &r["metadata"]["labels"][k] == v))
            .collect();
        matching.sort_by_key(|r| r["metadata"]["name"].as_str().unwrap().to_string());
        for rule in matching
            .iter()
            .flat_map(|r| r["rules"].as_array().cloned().unwrap_or_default())
        {
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        }
    }
    rules
}

/// Deletes the round's cluster-scoped objects by label and lets the built-in
/// aggregated roles go back to their own.
fn clean_up(tb: &Testbed, admin: &Client, round: &Round) {
    delete_labelled(tb, admin, &round.label);
    aggregate(tb, admin);
}

/// Deletes what earlier runs left behind when they stopped half-way (their
/// ClusterRoles would still aggregate into the built-in roles): objects of owners whose
/// process is gone.
fn clean_up_dead_runs(tb: &Testbed, admin: &Client) {
    let mut owners = BTreeSet::new();
    for plural in ["clusterroles", "clusterrolebindings"] {
        let path = format!("{RBAC}/{plural}?labelSelector=kubeharden.test/owner");
        let list = tb.block_on(tb.send(admin, "GET", &path, None));
        for item in list.body["items"].as_array().unwrap() {
            let owner = item["metadata"]["labels"]["kubeharden.test/owner"]
                .as_str()
                .unwrap_or("");
            owners.insert(owner.to_string());
        }
    }
    for owner in owners {
        let pid = owner.split('-').nth(1).unwrap_or("");
        if pid.is_empty() || !Path::new(&format!("/proc/{pid}")).exists() {
            let label = ("kubeharden.test/owner".to_string(), owner.clone());
            delete_labelled(tb, admin, &label);
        }
    }
    aggregate(tb, admin);
}

fn delete_labelled(tb: &Testbed, admin: &Client, (k, v): &(String, String)) {
    tb.block_on(async {
        for plural in ["clusterrolebindings", "clusterroles"] {
            let path = format!("{RBAC}/{plural}?labelSelector={k}%3D{v}");
            let r = tb.send(admin, "DELETE", &path, None).await;
            assert_eq!(r.status, 200, "delete {plural}: {}", r.body);
        }
    });
}

/// The round's objects as a file, loaded the way `rbac can` loads its input.
fn write_scan(dir: &Path, round: &Round) {
    let docs: Vec<String> = round
        .scan_objects
        .iter()
        .map(|o| serde_json::to_string(o).unwrap())
        .collect();
    std::fs::write(dir.join("rbac.yaml"), docs.join("\n---\n")).unwrap();
}

fn load_view(dir: &Path) -> kubeharden_cluster::ClusterView {
    let found = kubeharden_load::discover(&[dir.to_path_buf()], &[]).unwrap();
    let (report, view) = kubeharden_engine::scan_with_view(
        &found.inputs,
        &kubeharden_rules::RuleSet::none(),
        &kubeharden_engine::ScanOptions::default(),
    );
    assert!(
        report.errors.is_empty() && found.errors.is_empty(),
        "{:?}",
        report.errors
    );
    view
}

fn request(q: &Query) -> Request {
    Request::parse(
        &q.verb,
        &q.cli_resource(),
        q.namespace.as_deref(),
        q.name.as_deref(),
    )
}

fn ours_can(model: &RbacModel<'_>, who: &Who, q: &Query) -> bool {
    let subject = SubjectRef::parse(&who.cli).unwrap();
    !model.can(&Identity::of(&subject), &request(q)).is_empty()
}

/// Whether a binding subject names this identity, as the authorizer matches them.
fn names(subject: &SubjectRef, who: &Who) -> bool {
    match subject {
        SubjectRef::User { name } => !who.user.is_empty() && *name == who.user,
        SubjectRef::Group { name } => who.groups.contains(name),
        SubjectRef::ServiceAccount { namespace, name } => {
            who.user == format!("system:serviceaccount:{namespace}:{name}")
        }
    }
}

/// The known identities kubeharden's who-can says may do `q`.
fn ours_who_can(model: &RbacModel<'_>, identities: &[Who], q: &Query) -> BTreeSet<String> {
    let grants = model.who_can(&request(q));
    identities
        .iter()
        .filter(|w| grants.iter().any(|g| names(&g.subject, w)))
        .map(|w| w.cli.clone())
        .collect()
}

fn describe(who: &Who, q: &Query, cluster: &HashSet<String>) -> String {
    format!(
        "{} {} {} -n {:?} --name {:?} (SAR {})",
        who.cli,
        q.verb,
        q.cli_resource(),
        q.namespace,
        q.name,
        sar_body(who, q, cluster)["spec"]
    )
}

/// Runs `kubeharden rbac can` and returns its verdict.
fn cli_can(dir: &Path, who: &Who, q: &Query) -> bool {
    let resource = q.cli_resource();
    let mut args = vec![
        "rbac", "can", &who.cli, &q.verb, &resource, "--format", "json",
    ];
    if let Some(ns) = &q.namespace {
        args.extend(["-n", ns]);
    }
    if let Some(name) = &q.name {
        args.extend(["--name", name]);
    }
    args.push(".");
    let out = common::run_in(dir, &args, None);
    let allowed = common::json(&out)["allowed"].as_bool().unwrap();
    // As `kubectl auth can-i`: 0 for yes, 1 for no.
    assert_eq!(
        out.status.code(),
        Some(if allowed { 0 } else { 1 }),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    allowed
}

/// The API server refuses subjects of other kinds, so they can only be in files.
fn unknown_kinds_are_refused(tb: &Testbed, admin: &Client, ns: &str) {
    let body = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "unknown-kind", "namespace": ns},
        "subjects": [{"kind": "Team", "name": "dev"}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}});
    let r = tb.block_on(tb.send(
        admin,
        "POST",
        &format!("{RBAC}/namespaces/{ns}/rolebindings"),
        Some(&body),
    ));
    assert_eq!(r.status, 422, "a subject of kind Team: {}", r.body);
}

struct Tally {
    asked: usize,
    allowed: usize,
    /// Asked in a namespace that the real request does not carry (cluster-scoped).
    namespace_dropped: usize,
    who_can_checked: usize,
    cli_checked: usize,
    disagreements: Vec<String>,
}

fn run_round(
    tb: &'static Testbed,
    admin: &Client,
    cluster: &HashSet<String>,
    rng: &mut rbac_gen::Rng,
    index: usize,
    tally: &mut Tally,
) {
    let round = rbac_gen::round(rng, std::process::id(), index);
    create_round(tb, admin, &round);
    if index == 0 {
        unknown_kinds_are_refused(tb, admin, &round.namespaces[0]);
    }
    aggregate(tb, admin);
    let cluster_rules = cluster_role_rules(tb, admin);
    let dir = tempfile::tempdir().unwrap();
    write_scan(dir.path(), &round);
    let view = load_view(dir.path());
    let model = RbacModel::build(&view);

    // Half at random, half aimed at what a binding grants (and near misses).
    let mut asks: Vec<(Who, Query)> = (0..RANDOM_QUERIES)
        .map(|i| match i % 2 {
            0 => (
                rng.pick(&round.identities).clone(),
                rbac_gen::query(rng, &round.namespaces),
            ),
            _ => rbac_gen::targeted(rng, &round, &cluster_rules),
        })
        .collect();
    let who_can: Vec<Query> = (0..WHO_CAN_QUERIES)
        .map(|_| rbac_gen::query(rng, &round.namespaces))
        .collect();
    for q in &who_can {
        asks.extend(round.identities.iter().map(|w| (w.clone(), q.clone())));
    }
    let server = server_answers(tb, admin, &asks, cluster);
    tally.asked += asks.len();
    tally.allowed += server.iter().filter(|&&a| a).count();
    tally.namespace_dropped += asks
        .iter()
        .filter(|(_, q)| {
            q.path.is_none() && q.namespace.is_some() && request_namespace(q, cluster).is_empty()
        })
        .count();
    let mut wrong = Vec::new();
    for ((who, q), &allowed) in asks.iter().zip(&server) {
        if ours_can(&model, who, q) != allowed {
            wrong.push(format!(
                "can: API server {allowed}: {}",
                describe(who, q, cluster)
            ));
        }
    }
    for (i, q) in who_can.iter().enumerate() {
        let offset = RANDOM_QUERIES + i * round.identities.len();
        let theirs: BTreeSet<String> = round
            .identities
            .iter()
            .enumerate()
            .filter(|(j, _)| server[offset + j])
            .map(|(_, w)| w.cli.clone())
            .collect();
        let ours = ours_who_can(&model, &round.identities, q);
        tally.who_can_checked += 1;
        if ours != theirs {
            wrong.push(format!(
                "who-can {} {}: API server {theirs:?}, kubeharden {ours:?}",
                q.verb,
                q.cli_resource()
            ));
        }
    }
    for (i, (who, q)) in asks.iter().enumerate().step_by(asks.len() / CLI_QUERIES) {
        tally.cli_checked += 1;
        let allowed = server[i];
        if cli_can(dir.path(), who, q) != allowed {
            wrong.push(format!(
                "CLI: API server {allowed}: {}",
                describe(who, q, cluster)
            ));
        }
    }
    if !wrong.is_empty() {
        let objects: Vec<String> = round.scan_objects.iter().map(Value::to_string).collect();
        eprintln!(
            "round {index}: {} disagreements; its objects:\n{}",
            wrong.len(),
            objects.join("\n")
        );
    }
    tally
        .disagreements
        .extend(wrong.into_iter().map(|w| format!("round {index}: {w}")));
    clean_up(tb, admin, &round);
}

#[test]
fn rbac_agrees_with_subject_access_reviews() {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    let admin = tb.client("admin");
    let cluster = cluster_scoped(tb);
    clean_up_dead_runs(tb, &admin);
    let mut rng = rbac_gen::Rng::new(0x0000_ABAC_0137);
    let mut tally = Tally {
        asked: 0,
        allowed: 0,
        namespace_dropped: 0,
        who_can_checked: 0,
        cli_checked: 0,
        disagreements: Vec::new(),
    };
    for index in 0..ROUNDS {
        run_round(tb, &admin, &cluster, &mut rng, index, &mut tally);
    }
    eprintln!(
        "rbac differential: {ROUNDS} rounds, {} SubjectAccessReviews compared ({} allowed, {} asked with -n for a cluster-scoped resource), {} who-can sets, {} CLI runs, {} disagreements",
        tally.asked, tally.allowed, tally.namespace_dropped, tally.who_can_checked, tally.cli_checked, tally.disagreements.len()
    );
    assert!(tally.asked >= 5000, "too few queries: {}", tally.asked);
    assert!(
        tally.allowed * 10 >= tally.asked,
        "too few allowed requests to tell: {}",
        tally.allowed
    );
    assert!(
        tally.disagreements.is_empty(),
        "{} disagreements with the API server; the first ones:\n{}",
        tally.disagreements.len(),
        tally
            .disagreements
            .iter()
            .take(25)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
