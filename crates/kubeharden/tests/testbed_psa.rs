//! Differential test: Pod Security as `kubeharden scan --framework pss-baseline` and
//! `pss-restricted` judge it, against the real API server's PodSecurity admission.
//!
//! Every generated object is sent with server-side dry-run into two namespaces that
//! enforce (and warn at) baseline and restricted, v1.37. Pods are refused with 403 by
//! enforcement; workloads are admitted with a warning, which counts as refused.
//! Ephemeral containers are admitted through the `pods/ephemeralcontainers`
//! subresource of a pod that already runs, as `kubectl debug` does. Objects the server
//! cannot decode (a field of the wrong type) must be errors in kubeharden too. Objects
//! that fail the API server's own validation never reach Pod Security, so they are
//! left out, counted and listed.

mod common;
mod psa_gen;

use std::collections::HashMap;
use std::path::Path;

use kubeharden_testbed::{Client, Testbed};
use serde_json::{json, Value};

const LEVELS: [&str; 2] = ["baseline", "restricted"];
const CASES: usize = 2400;
const EPHEMERAL: usize = 240;

#[derive(Clone, Debug, PartialEq)]
enum Server {
    Admitted,
    Refused(String),
    Undecodable(String),
    Invalid(String),
}

#[derive(Clone, Debug, PartialEq)]
enum Ours {
    Pass,
    Fail(Vec<String>),
    Error(String),
}

fn agree(server: &Server, ours: &Ours) -> bool {
    matches!(
        (server, ours),
        (Server::Admitted, Ours::Pass)
            | (Server::Refused(_), Ours::Fail(_))
            | (Server::Undecodable(_), Ours::Error(_))
    )
}

fn collection(kind: &str) -> &'static str {
    match kind {
        "Pod" => "/api/v1/namespaces/{ns}/pods",
        "ReplicationController" => "/api/v1/namespaces/{ns}/replicationcontrollers",
        "PodTemplate" => "/api/v1/namespaces/{ns}/podtemplates",
        "Deployment" => "/apis/apps/v1/namespaces/{ns}/deployments",
        "StatefulSet" => "/apis/apps/v1/namespaces/{ns}/statefulsets",
        "DaemonSet" => "/apis/apps/v1/namespaces/{ns}/daemonsets",
        "ReplicaSet" => "/apis/apps/v1/namespaces/{ns}/replicasets",
        "Job" => "/apis/batch/v1/namespaces/{ns}/jobs",
        "CronJob" => "/apis/batch/v1/namespaces/{ns}/cronjobs",
        other => panic!("no collection for {other}"),
    }
}

fn classify(reply: &kubeharden_testbed::Reply) -> Server {
    let psa_warning = reply
        .warnings
        .iter()
        .find(|w| w.contains("would violate PodSecurity"));
    match reply.status {
        200 | 201 => match psa_warning {
            Some(w) => Server::Refused(w.clone()),
            None => Server::Admitted,
        },
        403 if reply.message().contains("PodSecurity") => {
            Server::Refused(reply.message().to_string())
        }
        400 => Server::Undecodable(reply.message().to_string()),
        422 => Server::Invalid(reply.message().to_string()),
        other => panic!("unexpected answer {other}: {}", reply.body),
    }
}

/// Creates the two enforcing namespaces, each with the `default` ServiceAccount that
/// the controller manager would create (the test bed has none).
fn namespaces(tb: &'static Testbed, admin: &Client) -> [String; 2] {
    let suffix = std::process::id();
    LEVELS.map(|level| {
        let ns = format!("psa-{level}-{suffix}");
        tb.block_on(async {
            let labels = json!({
                "pod-security.kubernetes.io/enforce": level,
                "pod-security.kubernetes.io/enforce-version": "v1.37",
                "pod-security.kubernetes.io/warn": level,
                "pod-security.kubernetes.io/warn-version": "v1.37",
            });
            let body = json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": ns, "labels": labels}});
            let r = tb.send(admin, "POST", "/api/v1/namespaces", Some(&body)).await;
            assert_eq!(r.status, 201, "create namespace: {}", r.body);
            let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}});
            let path = format!("/api/v1/namespaces/{ns}/serviceaccounts");
            let r = tb.send(admin, "POST", &path, Some(&sa)).await;
            assert_eq!(r.status, 201, "create service account: {}", r.body);
        });
        ns
    })
}

/// The seeds the API server accepts as they are (in a namespace without Pod Security
/// enforcement): a seed that is invalid on its own (a template placeholder, a patch
/// without an image) would only make invalid cases.
fn valid_seeds(
    tb: &'static Testbed,
    admin: &Client,
    seeds: Vec<psa_gen::Seed>,
) -> Vec<psa_gen::Seed> {
    let ns = format!("psa-seeds-{}", std::process::id());
    let total = seeds.len();
    let kept: Vec<psa_gen::Seed> = tb.block_on(async {
        let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
        assert_eq!(
            tb.send(admin, "POST", "/api/v1/namespaces", Some(&body))
                .await
                .status,
            201
        );
        let sa =
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}});
        let path = format!("/api/v1/namespaces/{ns}/serviceaccounts");
        assert_eq!(tb.send(admin, "POST", &path, Some(&sa)).await.status, 201);
        let path = format!("/api/v1/namespaces/{ns}/pods?dryRun=All");
        let mut kept = Vec::new();
        for seed in seeds {
            let mut pod = seed.pod.clone();
            psa_gen::normalize(&mut pod, "seed");
            if tb.send(admin, "POST", &path, Some(&pod)).await.status == 201 {
                kept.push(seed);
            }
        }
        kept
    });
    eprintln!("seeds: {} of {total} are valid pods", kept.len());
    assert!(kept.len() >= 3, "the built-in seeds must be valid");
    kept
}

/// The API server's verdict on every case in every namespace, 16 requests at a time.
fn server_verdicts(
    tb: &'static Testbed,
    admin: &Client,
    ns: &[String; 2],
    objects: &[Value],
) -> Vec<[Server; 2]> {
    let mut out = vec![[Server::Admitted, Server::Admitted]; objects.len()];
    tb.block_on(async {
        for chunk in (0..objects.len()).collect::<Vec<_>>().chunks(16) {
            let mut set = tokio::task::JoinSet::new();
            for &i in chunk {
                for (l, ns) in ns.iter().enumerate() {
                    let kind = objects[i]["kind"].as_str().unwrap().to_string();
                    let path = format!("{}?dryRun=All", collection(&kind).replace("{ns}", ns));
                    let (object, admin) = (objects[i].clone(), admin.clone());
                    set.spawn(async move {
                        let reply = tb.send(&admin, "POST", &path, Some(&object)).await;
                        (i, l, classify(&reply))
                    });
                }
            }
            while let Some(done) = set.join_next().await {
                let (i, l, verdict) = done.unwrap();
                out[i][l] = verdict;
            }
        }
    });
    out
}

/// The API server's verdicts on ephemeral containers added to a restricted pod that
/// already exists in each namespace; returns the pods as they would be.
fn ephemeral_verdicts(
    tb: &'static Testbed,
    admin: &Client,
    ns: &[String; 2],
    containers: &[(Value, String)],
) -> (Vec<[Server; 2]>, Vec<Value>) {
    let base = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug-target"},
        "spec": {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "app", "image": "registry.example/app:1.0",
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}});
    let mut verdicts = vec![[Server::Admitted, Server::Admitted]; containers.len()];
    let mut pods = Vec::new();
    tb.block_on(async {
        let mut stored = Vec::new();
        for ns in ns {
            let path = format!("/api/v1/namespaces/{ns}/pods");
            let r = tb.send(admin, "POST", &path, Some(&base)).await;
            assert_eq!(r.status, 201, "create the debug target: {}", r.body);
            stored.push(r.body);
        }
        for (i, (container, _)) in containers.iter().enumerate() {
            for (l, ns) in ns.iter().enumerate() {
                let mut pod = stored[l].clone();
                pod["spec"]["ephemeralContainers"] = json!([container]);
                let path = format!(
                    "/api/v1/namespaces/{ns}/pods/debug-target/ephemeralcontainers?dryRun=All"
                );
                let reply = tb.send(admin, "PUT", &path, Some(&pod)).await;
                verdicts[i][l] = classify(&reply);
                if l == 0 {
                    let object = pod.as_object_mut().unwrap();
                    object.remove("status");
                    pods.push(pod);
                }
            }
        }
    });
    (verdicts, pods)
}

/// kubeharden's verdict on every file of `dir` under a framework.
fn our_verdicts(dir: &Path, framework: &str) -> HashMap<String, Ours> {
    let out = common::run_in(
        dir,
        &[
            "scan",
            "--framework",
            framework,
            "--format",
            "json",
            "--fail-on",
            "none",
            ".",
        ],
        None,
    );
    let report = common::json(&out);
    let mut verdicts: HashMap<String, Ours> = HashMap::new();
    let file_of = |f: &str| f.trim_start_matches("./").to_string();
    for e in report["errors"].as_array().unwrap() {
        let file = file_of(e["file"].as_str().unwrap());
        verdicts.insert(
            file,
            Ours::Error(e["message"].as_str().unwrap().to_string()),
        );
    }
    for f in report["findings"].as_array().unwrap() {
        let file = file_of(f["location"]["file"].as_str().unwrap());
        let rule = f["rule_id"].as_str().unwrap().to_string();
        match verdicts
            .entry(file)
            .or_insert_with(|| Ours::Fail(Vec::new()))
        {
            Ours::Fail(rules) => rules.push(rule),
            Ours::Error(_) => {}
            Ours::Pass => unreachable!(),
        }
    }
    verdicts
}

#[test]
fn pod_security_agrees_with_the_api_server() {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    let mut seeds = psa_gen::builtin_seeds();
    if let Some(shared) = kubeharden_testkit::shared("", "the seeds are the built-in pods only") {
        seeds.extend(psa_gen::shared_seeds(&shared));
    }
    let admin = tb.client("admin");
    let seeds = valid_seeds(tb, &admin, seeds);
    let cases = psa_gen::generate(&seeds, CASES, 0x5EED_0137);
    let ephemeral = psa_gen::ephemeral_containers(EPHEMERAL, 0xE7E7);
    let ns = namespaces(tb, &admin);

    let objects: Vec<Value> = cases.iter().map(|c| c.object.clone()).collect();
    let mut server = server_verdicts(tb, &admin, &ns, &objects);
    let (eph_server, eph_pods) = ephemeral_verdicts(tb, &admin, &ns, &ephemeral);
    server.extend(eph_server);
    let mut all: Vec<(Value, String)> = cases.into_iter().map(|c| (c.object, c.how)).collect();
    all.extend(
        eph_pods.into_iter().zip(
            ephemeral
                .into_iter()
                .map(|(_, how)| format!("ephemeral: {how}")),
        ),
    );

    let dir = tempfile::tempdir().unwrap();
    for (i, (object, _)) in all.iter().enumerate() {
        std::fs::write(
            dir.path().join(format!("{i:05}.json")),
            serde_json::to_vec_pretty(object).unwrap(),
        )
        .unwrap();
    }
    let ours = [
        our_verdicts(dir.path(), "pss-baseline"),
        our_verdicts(dir.path(), "pss-restricted"),
    ];

    let mut disagreements = Vec::new();
    let mut invalid = Vec::new();
    let mut decided = 0;
    let mut tally: HashMap<&str, usize> = HashMap::new();
    for (i, (object, how)) in all.iter().enumerate() {
        let file = format!("{i:05}.json");
        for l in 0..2 {
            let s = &server[i][l];
            if let Server::Invalid(why) = s {
                invalid.push(format!("{file} [{}] {how}: {why}", LEVELS[l]));
                continue;
            }
            decided += 1;
            let o = ours[l].get(&file).cloned().unwrap_or(Ours::Pass);
            *tally
                .entry(match s {
                    Server::Admitted => "admitted",
                    Server::Refused(_) => "refused",
                    Server::Undecodable(_) => "undecodable",
                    Server::Invalid(_) => unreachable!(),
                })
                .or_default() += 1;
            if !agree(s, &o) {
                disagreements.push(format!(
                    "{file} at {}: API server {s:?}, kubeharden {o:?}\n  made by: {how}\n  object: {object}",
                    LEVELS[l]
                ));
            }
        }
    }
    eprintln!(
        "pod security differential: {} objects x 2 levels, {decided} verdicts compared ({tally:?}), {} left out as invalid, {} disagreements",
        all.len(),
        invalid.len(),
        disagreements.len()
    );
    let mut reasons: HashMap<String, usize> = HashMap::new();
    for line in &invalid {
        let why = line
            .rsplit_once(" is invalid: ")
            .map_or(line.as_str(), |(_, w)| w);
        let why: String = why
            .split(['"', ':'])
            .next()
            .unwrap_or("")
            .chars()
            .take(70)
            .collect();
        *reasons.entry(why).or_default() += 1;
    }
    let mut reasons: Vec<_> = reasons.into_iter().collect();
    reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
    for (why, n) in reasons.iter().take(12) {
        eprintln!("  left out as invalid, {n}x: {why}");
    }
    for d in &disagreements {
        eprintln!("  disagreement: {}", d.lines().next().unwrap_or(""));
    }
    assert!(decided >= 4000, "too few verdicts compared: {decided}");
    assert!(
        disagreements.is_empty(),
        "{} disagreements with the API server; the first ones:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
