//! Same verdicts from a cluster as from files.
//!
//! The objects of `examples/` and of the real-world corpus (`../shared/corpus/real`)
//! are created in a test bed of this test's own (the custom resource definitions
//! first, so their custom resources are served; missing Namespaces and
//! ServiceAccounts added). Each object the API server accepts (strict field
//! validation: an object whose unknown fields it would drop is not the same object)
//! is also written to a file. `kubeharden cluster` of the API server and
//! `kubeharden scan` of that file must report the same (rule, object, field path)
//! set. The only differences allowed are those in [`ALLOWED`], each with its reason
//! (docs/oracle.md lists them): fields the API server defaults, and what a cluster
//! scan does not read by design. Any other difference fails the test, listed.
//!
//! Without `../shared`, the corpus part is skipped loudly and `examples/` alone is
//! compared.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use kubeharden_testbed::Testbed;
use serde_json::{json, Value};

/// An object to create: its JSON and where it goes.
struct Candidate {
    json: Value,
    group: String,
    version: String,
    kind: String,
    name: String,
    /// Set for namespaced kinds (the object's own, or `default`).
    namespace: Option<String>,
}

/// A kind as the API server serves it.
#[derive(Clone)]
struct Served {
    plural: String,
    namespaced: bool,
}

/// (rule, kind, namespace, name, path): what both scans must agree on.
type Verdict = (String, String, String, String, String);

/// A difference the API server's defaulting (or a cluster scan's design) explains:
/// (rule, path suffix, which side has the extra finding, why).
const ALLOWED: &[(&str, &str, Side, &str)] = &[
    (
        "KH501",
        "metadata.namespace",
        Side::Cluster,
        "metadata.namespace is set by the request (kubectl -n, else default): a manifest that names none is not taken to run in default",
    ),
    (
        "KH303",
        "imagePullPolicy",
        Side::Cluster,
        "imagePullPolicy defaults to IfNotPresent for an image tagged other than latest",
    ),
    (
        "KH202",
        "resources.requests.cpu",
        Side::Files,
        "resources.requests default to resources.limits when only limits are set",
    ),
    (
        "KH202",
        "resources.requests.memory",
        Side::Files,
        "resources.requests default to resources.limits when only limits are set",
    ),
    (
        "KH532",
        "data",
        Side::Files,
        "Secret values are dropped as a cluster is read: in a cluster, a Secret is where they belong",
    ),
    (
        "KH532",
        "stringData",
        Side::Files,
        "Secret values are dropped as a cluster is read (stringData is stored as data)",
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    /// Only `kubeharden cluster` reports it.
    Cluster,
    /// Only `kubeharden scan` of the files reports it.
    Files,
}

fn group_version(api_version: &str) -> (String, String) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api_version.to_string()),
    }
}

/// The objects of `files`, as JSON, with a name (generated names are skipped).
fn objects_of(files: &[PathBuf]) -> Vec<(Value, String, String, String)> {
    let mut out = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let name: std::sync::Arc<str> = file.display().to_string().into();
        let loaded = kubeharden_load::load_text(&name, &text, &Default::default());
        for object in loaded.objects {
            let Ok(json) = kubeharden_yaml::from_node::<Value>(&object.root) else {
                continue;
            };
            let res = &object.resource;
            let has_name = json["metadata"]["name"]
                .as_str()
                .is_some_and(|n| !n.is_empty());
            if has_name && json.is_object() {
                out.push((
                    json,
                    res.api_version.clone(),
                    res.kind.clone(),
                    res.name.clone(),
                ));
            }
        }
    }
    out
}

/// What the API server serves, learnt as objects need it.
struct Discovery<'t> {
    tb: &'t Testbed,
    client: kubeharden_testbed::Client,
    known: HashMap<String, Option<HashMap<String, Served>>>,
}

impl Discovery<'_> {
    fn kind(&mut self, group: &str, version: &str, kind: &str) -> Option<Served> {
        let api_version = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        if !self.known.contains_key(&api_version) || self.known[&api_version].is_none() {
            let path = if group.is_empty() {
                format!("/api/{version}")
            } else {
                format!("/apis/{group}/{version}")
            };
            let reply = self
                .tb
                .block_on(self.tb.send(&self.client, "GET", &path, None));
            let kinds = (reply.status == 200).then(|| {
                reply.body["resources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| !r["name"].as_str().unwrap().contains('/'))
                    .map(|r| {
                        (
                            r["kind"].as_str().unwrap().to_string(),
                            Served {
                                plural: r["name"].as_str().unwrap().to_string(),
                                namespaced: r["namespaced"].as_bool().unwrap(),
                            },
                        )
                    })
                    .collect()
            });
            self.known.insert(api_version.clone(), kinds);
        }
        self.known[&api_version].as_ref()?.get(kind).cloned()
    }

    fn forget(&mut self) {
        self.known.retain(|_, kinds| kinds.is_some());
    }
}

fn path_of(c: &Candidate, served: &Served) -> String {
    let base = if c.group.is_empty() {
        format!("/api/{}", c.version)
    } else {
        format!("/apis/{}/{}", c.group, c.version)
    };
    match &c.namespace {
        Some(ns) => format!("{base}/namespaces/{ns}/{}", served.plural),
        None => format!("{base}/{}", served.plural),
    }
}

/// Why objects were not created, with counts.
#[derive(Default)]
struct Tally {
    created: usize,
    refused: BTreeMap<String, usize>,
}

impl Tally {
    fn refuse(&mut self, why: impl Into<String>) {
        *self.refused.entry(why.into()).or_default() += 1;
    }
}

/// Creates `c`; true when the API server accepted it.
fn create(tb: &Testbed, d: &mut Discovery<'_>, c: &Candidate, tally: &mut Tally) -> bool {
    let Some(served) = d.kind(&c.group, &c.version, &c.kind) else {
        tally.refuse(format!("not served: {}/{} {}", c.group, c.version, c.kind));
        return false;
    };
    let path = format!("{}?fieldValidation=Strict", path_of(c, &served));
    let reply = tb.block_on(tb.send(&d.client, "POST", &path, Some(&c.json)));
    match reply.status {
        201 | 200 => {
            tally.created += 1;
            true
        }
        status => {
            let reason = reply.body["reason"].as_str().unwrap_or("");
            tally.refuse(format!("{status} {reason} ({})", c.kind));
            false
        }
    }
}

/// The candidates, each (group, kind, namespace, name) once (the first definition),
/// of the kinds a cluster scan reads, plus the definitions of the custom resources.
fn candidates(
    objects: Vec<(Value, String, String, String)>,
    d: &mut Discovery<'_>,
) -> Vec<Candidate> {
    let read: BTreeSet<(&str, &str)> = kubeharden_live::kinds_read().into_iter().collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (json, api_version, kind, name) in objects {
        let (group, version) = group_version(&api_version);
        let crd = group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition";
        if !crd && !read.contains(&(group.as_str(), kind.as_str())) {
            continue;
        }
        // Custom kinds are not served yet: their scope is their definition's.
        let namespaced = match d.kind(&group, &version, &kind) {
            Some(s) => s.namespaced,
            None => {
                json["metadata"]["namespace"].is_string()
                    || !kubeharden_load::is_builtin_group(&group)
            }
        };
        let namespace = namespaced.then(|| {
            json["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string()
        });
        if !seen.insert((group.clone(), kind.clone(), namespace.clone(), name.clone())) {
            continue;
        }
        out.push(Candidate {
            json,
            group,
            version,
            kind,
            name,
            namespace,
        });
    }
    out
}

/// Waits until the custom kinds the accepted definitions declare are served.
fn wait_for_definitions(d: &mut Discovery<'_>, crds: &[&Candidate]) {
    for _ in 0..60 {
        d.forget();
        let pending = crds.iter().filter(|c| {
            let spec = &c.json["spec"];
            let group = spec["group"].as_str().unwrap_or("");
            let kind = spec["names"]["kind"].as_str().unwrap_or("");
            spec["versions"].as_array().into_iter().flatten().any(|v| {
                v["served"].as_bool() == Some(true)
                    && d.kind(group, v["name"].as_str().unwrap_or(""), kind)
                        .is_none()
            })
        });
        if pending.count() == 0 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

fn verdicts(doc: &Value, keep: &BTreeSet<(String, String, String)>) -> BTreeSet<Verdict> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| {
            let r = &f["resource"];
            let kind = r["kind"].as_str().unwrap().to_string();
            let ns = r["namespace"].as_str().unwrap_or("").to_string();
            let name = r["name"].as_str().unwrap().to_string();
            keep.contains(&(kind.clone(), ns.clone(), name.clone()))
                .then(|| {
                    (
                        f["rule_id"].as_str().unwrap().to_string(),
                        kind,
                        ns,
                        name,
                        f["path"].as_str().unwrap().to_string(),
                    )
                })
        })
        .collect()
}

fn allowed(v: &Verdict, side: Side) -> Option<&'static str> {
    ALLOWED
        .iter()
        .find(|(rule, path, s, _)| *rule == v.0 && *s == side && v.4.ends_with(path))
        .map(|(_, _, _, why)| *why)
}

#[test]
fn a_cluster_scan_and_a_scan_of_the_same_objects_agree() {
    let mut dirs = vec![common::root().join("examples")];
    if let Some(real) = kubeharden_testkit::shared(
        "corpus/real",
        "the same-verdict test compares examples/ only",
    ) {
        dirs.push(real);
    }
    let Some(tb) = kubeharden_testbed::private("same-verdict") else {
        return;
    };
    let files: Vec<PathBuf> = dirs.iter().flat_map(|d| common::yaml_files(d)).collect();
    let mut d = Discovery {
        tb: &tb,
        client: tb.client("admin"),
        known: HashMap::new(),
    };
    let all = candidates(objects_of(&files), &mut d);
    let mut tally = Tally::default();
    let mut accepted: Vec<&Candidate> = Vec::new();

    // Namespaces (those the objects name but none defines too), then the custom
    // resource definitions, then ServiceAccounts (pods need theirs), then the rest.
    let defined: BTreeSet<&str> = all
        .iter()
        .filter(|c| c.kind == "Namespace" && c.group.is_empty())
        .map(|c| c.name.as_str())
        .collect();
    let builtin = ["default", "kube-system", "kube-public", "kube-node-lease"];
    let wanted: BTreeSet<String> = all.iter().filter_map(|c| c.namespace.clone()).collect();
    let mut extra: Vec<Candidate> = wanted
        .iter()
        .filter(|ns| !defined.contains(ns.as_str()) && !builtin.contains(&ns.as_str()))
        .map(|ns| Candidate {
            json: json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
            group: String::new(),
            version: "v1".into(),
            kind: "Namespace".into(),
            name: ns.clone(),
            namespace: None,
        })
        .collect();
    let accounts_defined: BTreeSet<(String, String)> = all
        .iter()
        .filter(|c| c.kind == "ServiceAccount" && c.group.is_empty())
        .map(|c| (c.namespace.clone().unwrap_or_default(), c.name.clone()))
        .collect();
    let mut accounts: BTreeSet<(String, String)> = wanted
        .iter()
        .map(|ns| (ns.clone(), "default".to_string()))
        .collect();
    for c in all.iter().filter(|c| c.kind == "Pod") {
        if let Some(sa) = c.json["spec"]["serviceAccountName"].as_str() {
            accounts.insert((c.namespace.clone().unwrap_or_default(), sa.to_string()));
        }
    }
    extra.extend(accounts.difference(&accounts_defined).map(|(ns, name)| Candidate {
        json: json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns}}),
        group: String::new(),
        version: "v1".into(),
        kind: "ServiceAccount".into(),
        name: name.clone(),
        namespace: Some(ns.clone()),
    }));
    // Admission webhooks last: they name Services that never answer here, and would
    // refuse what comes after them.
    let rank = |c: &Candidate| match (c.group.as_str(), c.kind.as_str()) {
        ("", "Namespace") => 0,
        ("apiextensions.k8s.io", _) => 1,
        ("", "ServiceAccount") => 2,
        ("admissionregistration.k8s.io", _) => 4,
        _ => 3,
    };
    let mut order: Vec<&Candidate> = all.iter().chain(&extra).collect();
    order.sort_by_key(|c| rank(c));
    let mut crds = Vec::new();
    for (i, c) in order.iter().enumerate() {
        if rank(c) == 2 && i > 0 && rank(order[i - 1]) == 1 {
            wait_for_definitions(&mut d, &crds);
        }
        if create(&tb, &mut d, c, &mut tally) {
            if rank(c) == 1 {
                crds.push(*c);
            } else {
                accepted.push(c);
            }
        }
    }

    // The scan's file: what was accepted, and the Namespaces the server made itself.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("objects.yaml");
    let mut text = String::new();
    let listed = tb.block_on(tb.send(&d.client, "GET", "/api/v1/namespaces", None));
    for ns in listed.body["items"].as_array().unwrap() {
        if builtin.contains(&ns["metadata"]["name"].as_str().unwrap()) {
            let mut ns = ns.clone();
            ns["apiVersion"] = json!("v1");
            ns["kind"] = json!("Namespace");
            text.push_str(&format!("---\n{ns}\n"));
        }
    }
    for c in &accepted {
        text.push_str(&format!("---\n{}\n", c.json));
    }
    std::fs::write(&file, text).unwrap();
    let keep: BTreeSet<(String, String, String)> = accepted
        .iter()
        .map(|c| {
            (
                c.kind.clone(),
                c.namespace.clone().unwrap_or_default(),
                c.name.clone(),
            )
        })
        .collect();

    let scan = common::run_in(dir.path(), &["scan", "objects.yaml", "-f", "json"], None);
    assert_ne!(
        scan.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&scan.stderr)
    );
    let files_said = verdicts(&common::json(&scan), &keep);
    let kubeconfig = tb.kubeconfig.to_str().unwrap();
    let live = common::run_in(
        dir.path(),
        &["cluster", "--kubeconfig", kubeconfig, "-f", "json"],
        None,
    );
    assert_ne!(
        live.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );
    let cluster_said = verdicts(&common::json(&live), &keep);

    let mut explained: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unexplained = Vec::new();
    for (side, v) in cluster_said
        .difference(&files_said)
        .map(|v| (Side::Cluster, v))
        .chain(
            files_said
                .difference(&cluster_said)
                .map(|v| (Side::Files, v)),
        )
    {
        match allowed(v, side) {
            Some(why) => *explained.entry(why).or_default() += 1,
            None => unexplained.push((side, v)),
        }
    }
    let agreed = cluster_said.intersection(&files_said).count();
    eprintln!(
        "same verdicts: {} objects created ({} refused: {:?}); {} findings agreed; {} only from the cluster, {} only from files; explained: {explained:?}",
        tally.created,
        tally.refused.values().sum::<usize>(),
        tally.refused,
        agreed,
        cluster_said.difference(&files_said).count(),
        files_said.difference(&cluster_said).count(),
    );
    assert!(agreed > 0);
    assert!(
        unexplained.is_empty(),
        "{} differences no API server default explains:\n{}",
        unexplained.len(),
        unexplained
            .iter()
            .map(|(side, v)| format!("  {side:?} only: {} {} {}/{} {}", v.0, v.1, v.2, v.3, v.4))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
