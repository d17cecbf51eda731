//! End-to-end tests of the built `kubeharden` binary.

mod common;

use std::process::Output;

use common::{json, root, rule_ids, run_in};

fn run(args: &[&str]) -> Output {
    run_in(&root(), args, None)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn hardened_example_is_clean_and_insecure_one_fails() {
    let clean = run(&["scan", "examples/hardened"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    assert!(stdout(&clean).contains("no findings"));
    let bad = run(&["scan", "examples/insecure"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stdout(&bad).contains("KH101"));
}

#[test]
fn fail_on_sets_the_exit_code_threshold() {
    assert_eq!(
        run(&["scan", "examples/insecure", "--fail-on", "none"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&["scan", "examples/insecure", "--fail-on", "critical"])
            .status
            .code(),
        Some(1)
    );
    let only_low = run(&[
        "scan",
        "examples/insecure",
        "--select",
        "KH304",
        "--fail-on",
        "medium",
    ]);
    assert_eq!(only_low.status.code(), Some(0));
}

#[test]
fn json_report_follows_the_documented_schema() {
    let out = run(&["scan", "examples/insecure", "--format", "json"]);
    let doc = json(&out);
    assert_eq!(doc["version"], 1);
    let f = &doc["findings"][0];
    for key in [
        "rule_id",
        "severity",
        "title",
        "message",
        "guidance",
        "resource",
        "container",
        "path",
        "location",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
    }
    for key in ["api_version", "kind", "namespace", "name"] {
        assert!(f["resource"].get(key).is_some(), "resource lacks {key}");
    }
    assert!(f["location"]["file"]
        .as_str()
        .unwrap()
        .starts_with("examples/insecure/"));
    assert!(f["location"]["line"].as_u64().unwrap() > 1);
    assert_eq!(
        doc["summary"]["findings"].as_u64().unwrap() as usize,
        doc["findings"].as_array().unwrap().len()
    );
}

#[test]
fn output_file_and_framework_selection() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let out = run(&[
        "scan",
        "examples/insecure",
        "--framework",
        "pss-baseline",
        "-f",
        "json",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let ids = rule_ids(&doc);
    assert!(ids.contains(&"KH101"));
    assert!(
        !ids.contains(&"KH121"),
        "restricted rule in a baseline scan"
    );
    assert!(!ids.contains(&"KH301"), "non-PSS rule in a baseline scan");
}

#[test]
fn reads_stdin() {
    let pod = b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: x\n    securityContext: {privileged: true}\n";
    let out = run_in(
        &root(),
        &["scan", "-", "--select", "KH101", "-f", "json"],
        Some(pod),
    );
    let doc = json(&out);
    assert_eq!(doc["findings"][0]["location"]["file"], "<stdin>");
    assert_eq!(doc["findings"][0]["location"]["line"], 8);
}

#[test]
fn helm_template_output_keeps_the_chart_source() {
    let rendered = b"---\n# Source: shop/templates/web.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: web, image: x, securityContext: {privileged: true}}\n";
    let out = run_in(
        &root(),
        &["scan", "-", "--select", "KH101", "-f", "json"],
        Some(rendered),
    );
    let doc = json(&out);
    assert_eq!(doc["findings"][0]["helm_source"], "shop/templates/web.yaml");
    let text = run_in(&root(), &["scan", "-", "--select", "KH101"], Some(rendered));
    assert!(stdout(&text).contains("Deployment default/web (from shop/templates/web.yaml)"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["scan", "--format", "xml"]).status.code(), Some(2));
    let unknown = run(&["scan", "examples", "--select", "KH999"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("KH999"));
    assert_eq!(run(&["explain", "NOPE"]).status.code(), Some(2));
}

#[test]
fn rules_and_explain() {
    let list = run(&["rules", "--format", "json"]);
    let rules = json(&list);
    let all = rules.as_array().unwrap();
    assert!(all.len() >= 30);
    let kh101 = all.iter().find(|r| r["id"] == "KH101").unwrap();
    assert_eq!(kh101["pss"]["check"], "privileged");
    assert_eq!(kh101["guidance"][0], "POD-12");
    let explain = run(&["explain", "privileged-container"]);
    let text = stdout(&explain);
    assert!(
        text.contains("KH101") && text.contains("## Why it matters") && text.contains("## Fix")
    );
    // Guidance rows are shown with their titles, and explained themselves.
    assert!(
        text.contains("Guidance:  POD-12 Forbid privileged containers"),
        "{text}"
    );
    let row = run(&["explain", "pod-19"]);
    assert_eq!(row.status.code(), Some(0));
    let text = stdout(&row);
    assert!(text.starts_with("POD-19: "), "{text}");
    assert!(text.contains("KH125 capabilities-not-dropped"), "{text}");
    assert!(!text.contains("KH101"), "{text}");
    // As JSON too, to a file: the rule with its rows' titles and its fix; a row with
    // the rules that check it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kh101.json");
    let out = run(&["explain", "KH101", "-o", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rule: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        rule["guidance_rows"][0]["title"],
        "Forbid privileged containers"
    );
    assert!(rule["remediation"]["snippet"]
        .as_str()
        .unwrap()
        .contains("privileged: false"));
    let row = json(&run(&["explain", "pod-19", "--format", "json"]));
    assert_eq!(row["row"], "POD-19");
    let ids: Vec<&str> = row["checked_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"KH125") && !ids.contains(&"KH101"), "{ids:?}");
    assert_eq!(
        run(&["explain", "KH101", "-f", "sarif"]).status.code(),
        Some(2)
    );
}

#[test]
fn excludes_and_gitignore() {
    let dir = tempfile::tempdir().unwrap();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: x, securityContext: {privileged: true}}\n";
    for f in [
        "a/pod.yaml",
        "b/pod.yml",
        "vendor/pod.json",
        "ignored/pod.yaml",
    ] {
        let p = dir.path().join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let text = if f.ends_with("json") {
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},"spec":{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}}"#.to_string()
        } else {
            pod.to_string()
        };
        std::fs::write(p, text).unwrap();
    }
    std::fs::write(dir.path().join(".gitignore"), "ignored/\n").unwrap();
    let out = run_in(
        dir.path(),
        &["scan", "--select", "KH101", "-f", "json"],
        None,
    );
    assert_eq!(json(&out)["summary"]["files"], 3);
    let out = run_in(
        dir.path(),
        &[
            "scan",
            ".",
            "--exclude",
            "vendor",
            "--select",
            "KH101",
            "-f",
            "json",
        ],
        None,
    );
    let doc = json(&out);
    assert_eq!(doc["summary"]["files"], 2);
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| !f["location"]["file"].as_str().unwrap().contains("vendor")));
}

#[test]
fn netpol_reach_names_the_deciding_policies() {
    let out = run(&[
        "netpol",
        "reach",
        "--from",
        "shop-hardened/web",
        "--to",
        "shop-hardened/api",
        "--port",
        "8000/TCP",
        "examples/hardened",
        "-f",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["verdict"], "allowed");
    assert_eq!(
        doc["ingress"]["allowing_policies"][0]["name"],
        "api-from-web"
    );
    assert_eq!(
        doc["egress"]["allowing_policies"][0]["name"],
        "web-from-ingress"
    );
    // The deciding rule is cited at its own line, not at the start of the policy.
    let rule = &doc["ingress"]["allowing_rules"][0];
    assert_eq!(
        (rule["name"].as_str(), rule["index"].as_u64()),
        (Some("api-from-web"), Some(0))
    );
    let text = std::fs::read_to_string(root().join("examples/hardened/shop.yaml")).unwrap();
    let line = text
        .lines()
        .nth(rule["line"].as_u64().unwrap() as usize - 1)
        .unwrap();
    assert!(
        line.trim_start().starts_with("- "),
        "the rule's own line: {line:?}"
    );

    let denied = json(&run(&[
        "netpol",
        "reach",
        "--from",
        "shop-hardened/web",
        "--to",
        "shop-hardened/StatefulSet/redis",
        "examples/hardened",
        "-f",
        "json",
    ]));
    assert_eq!(denied["verdict"], "denied");
    let wrong_port = json(&run(&[
        "netpol",
        "reach",
        "--from",
        "shop-hardened/web",
        "--to",
        "shop-hardened/api",
        "--port",
        "9000",
        "examples/hardened",
        "-f",
        "json",
    ]));
    assert_eq!(wrong_port["verdict"], "denied");
    let reach_text = |port: Option<&str>| {
        let mut args = vec![
            "netpol",
            "reach",
            "--from",
            "shop-hardened/web",
            "--to",
            "shop-hardened/api",
            "examples/hardened",
        ];
        args.extend(port.map(|p| ["--port", p]).iter().flatten());
        stdout(&run(&args))
    };
    // Without --port the question is whether some port is open; a port asked about
    // that no rule allows is told apart from the ports the rules do allow.
    let any = reach_text(None);
    assert!(
        any.contains("on some port: ALLOWED") && any.contains("allowed ports: 8000/TCP"),
        "{any}"
    );
    let closed = reach_text(Some("9000"));
    assert!(
        closed.contains("on 9000/TCP: DENIED") && closed.contains("on 8000/TCP only"),
        "{closed}"
    );
    assert!(!reach_text(Some("8000")).contains(" only"));
    // The insecure example's "deny-egress" policy misspells policyTypes, so it isolates
    // ingress instead: web cannot reach api, and nothing limits egress.
    let typo = run(&[
        "netpol",
        "reach",
        "--from",
        "shop/web",
        "--to",
        "shop/api",
        "examples/insecure",
    ]);
    let text = stdout(&typo);
    assert!(
        text.contains("DENIED")
            && text.contains("isolated by deny-egress")
            && text.contains("egress from shop/Deployment/web: not isolated"),
        "{text}"
    );
}

const NAMED_PORTS: &str = "apiVersion: v1
kind: Pod
metadata: {name: client, namespace: app, labels: {role: client}}
spec:
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: app, labels: {role: server}}
spec:
  containers:
  - name: s
    image: nginx
    ports:
    - {name: http, containerPort: 8080}
    - {name: metrics, containerPort: 9090}
    - {name: dns, containerPort: 5353, protocol: UDP}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: server-http, namespace: app}
spec:
  podSelector: {matchLabels: {role: server}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {role: client}}}]
    ports: [{port: http}]
";

/// `--port` takes a container port's name, resolved on the destination as the API
/// server resolves one: allowed, denied and unknown names each answer differently.
#[test]
fn netpol_reach_takes_a_named_port_of_the_destination() {
    let dir = common::tree(&[("app.yaml", NAMED_PORTS)]);
    let reach = |port: &str| {
        let args = [
            "netpol",
            "reach",
            "--from",
            "app/client",
            "--to",
            "app/server",
            "--port",
            port,
            "app.yaml",
        ];
        run_in(dir.path(), &args, None)
    };
    let http = reach("http");
    assert_eq!(http.status.code(), Some(0), "{}", stderr(&http));
    assert!(
        stdout(&http).contains("on http (8080/TCP): ALLOWED"),
        "{}",
        stdout(&http)
    );
    let numbered = reach("8080/TCP");
    assert_eq!(numbered.status.code(), Some(0), "{}", stderr(&numbered));
    let metrics = reach("metrics");
    assert_eq!(metrics.status.code(), Some(1), "{}", stdout(&metrics));
    assert!(
        stdout(&metrics).contains("on metrics (9090/TCP): DENIED"),
        "{}",
        stdout(&metrics)
    );
    // The name with the wrong protocol is no port of the server.
    let wrong_protocol = reach("http/UDP");
    assert_eq!(wrong_protocol.status.code(), Some(2));
    let unknown = reach("grpc");
    assert_eq!(unknown.status.code(), Some(2));
    let said = stderr(&unknown);
    assert!(
        said.contains("declares no container port of that name")
            && said.contains("http (8080/TCP), metrics (9090/TCP), dns (5353/UDP)"),
        "{said}"
    );
    let doc = json(&run_in(
        dir.path(),
        &[
            "netpol",
            "reach",
            "--from",
            "app/client",
            "--to",
            "app/server",
            "--port",
            "dns/udp",
            "app.yaml",
            "-f",
            "json",
        ],
        None,
    ));
    assert_eq!(
        doc["port"],
        serde_json::json!({"port": 5353, "protocol": "UDP", "name": "dns"})
    );
    assert_eq!(doc["verdict"], "denied");
    for bad in ["0", "65536", "Bad_Name"] {
        assert_eq!(reach(bad).status.code(), Some(2), "--port {bad}");
    }
}

/// A misspelt rule, format or framework gets the closest known one offered.
#[test]
fn unknown_names_get_a_did_you_mean() {
    let cases: [(&[&str], &str); 11] = [
        (&["scan", "-f", "jsno"], "did you mean \"json\"?"),
        (&["scan", "--min-severity", "hgh"], "did you mean \"high\"?"),
        (&["scan", "--fail-on", "nnoe"], "did you mean \"none\"?"),
        (
            &["scan", "--pss-target", "restricetd"],
            "did you mean \"restricted\"?",
        ),
        (
            &["scan", "--framework", "nsa-cisaa"],
            "did you mean \"nsa-cisa\"?",
        ),
        (
            &["scan", "--select", "KH1O1", "examples"],
            "did you mean \"KH101\"?",
        ),
        (
            &["scan", "--ignore", "privileged-containr", "examples"],
            "did you mean \"privileged-container\"?",
        ),
        (
            &["explain", "privilegd-container"],
            "did you mean \"privileged-container\"?",
        ),
        // Guidance rows too, a row's number written short included.
        (&["explain", "RBAC-4"], "did you mean \"RBAC-04\"?"),
        (&["explain", "pod-1"], "did you mean \"POD-01\"?"),
        (&["explain", "POD-12x"], "did you mean \"POD-12\"?"),
    ];
    for (args, suggestion) in cases {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains(suggestion),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let far = run(&["scan", "-f", "xml"]);
    assert!(!stderr(&far).contains("did you mean"), "{}", stderr(&far));
}

/// `rbac can` and `netpol reach` answer in their exit code, as `kubectl auth can-i`
/// does: 0 for yes or allowed, 1 for no or denied, 2 when the answer cannot be given.
#[test]
fn query_answers_are_exit_codes() {
    let can = |ns: &str| {
        let args = [
            "rbac",
            "can",
            "sa:ci/deployer",
            "create",
            "deployments",
            "-n",
            ns,
            "examples/rbac",
        ];
        run(&args).status.code()
    };
    assert_eq!(can("ci"), Some(0), "yes");
    assert_eq!(can("prod"), Some(1), "no");
    // Nothing to ask about (an empty folder, a wrong path) is no "no": exit 2.
    let empty = tempfile::tempdir().unwrap();
    let empty_path = empty.path().display().to_string();
    let out = run(&[
        "rbac",
        "can",
        "sa:ci/deployer",
        "delete",
        "secrets",
        &empty_path,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nothing to query"),
        "{}",
        stderr(&out)
    );
    // A misspelt verb is asked as given, with a warning that names the verb meant.
    let out = run(&[
        "rbac",
        "can",
        "sa:ci/deployer",
        "craete",
        "deployments",
        "-n",
        "ci",
        "examples/rbac",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("\"craete\" is not a known verb; asked as given; did you mean \"create\"?"),
        "{}",
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains("no built-in resource"),
        "{}",
        stderr(&out)
    );
    // So is a misspelt resource; a custom one (with its group) and a subresource are not.
    for (resource, warned) in [
        ("podz", true),
        ("deploymnets.apps", true),
        ("deployments.apps", false),
        ("widgets.example.com", false),
        ("pods/exec", false),
    ] {
        let out = run(&[
            "rbac",
            "who-can",
            "get",
            resource,
            "-n",
            "ci",
            "examples/rbac",
        ]);
        assert_eq!(out.status.code(), Some(0), "{resource}");
        let said = stderr(&out);
        assert_eq!(
            said.contains("is no built-in resource"),
            warned,
            "{resource}: {said}"
        );
    }
    let out = run(&[
        "rbac",
        "can",
        "sa:ci/deployer",
        "get",
        "podz",
        "-n",
        "ci",
        "examples/rbac",
    ]);
    assert!(
        stderr(&out)
            .contains("\"podz\" is no built-in resource; asked as given; did you mean \"pods\"?"),
        "{}",
        stderr(&out)
    );
    let reach = |to: &str, path: &str| {
        let args = [
            "netpol",
            "reach",
            "--from",
            "shop-hardened/web",
            "--to",
            to,
            path,
        ];
        run(&args).status.code()
    };
    assert_eq!(
        reach("shop-hardened/api", "examples/hardened"),
        Some(0),
        "allowed"
    );
    assert_eq!(
        reach("shop-hardened/StatefulSet/redis", "examples/hardened"),
        Some(1),
        "denied"
    );
    assert_eq!(
        reach("shop-hardened/nope", "examples/hardened"),
        Some(2),
        "no such workload"
    );

    // Namespace a's labels decide, and its Namespace object is not in the scan.
    let undecided = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: a}\nspec: {containers: [{name: c, image: x}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: b}\nspec: {containers: [{name: c, image: x}]}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: from-team, namespace: b}\nspec:\n  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {team: x}}}]}]\n";
    let out = run_in(
        &root(),
        &["netpol", "reach", "--from", "a/web", "--to", "b/api", "-"],
        Some(undecided.as_bytes()),
    );
    assert!(stdout(&out).contains("UNKNOWN"), "{}", stdout(&out));
    assert_eq!(out.status.code(), Some(2), "neither yes nor no");
}

/// A pod with `hostNetwork` on either end: Kubernetes leaves NetworkPolicy undefined
/// for it (most plugins do not apply it), so a connection a policy restricts is
/// unknown (exit 2), with the caveat in text and JSON; one no policy restricts stays
/// allowed, as it is whether the policies apply or not.
#[test]
fn netpol_reach_with_a_host_network_pod_is_unknown_where_a_policy_decides() {
    let pods = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: m}\nspec: {containers: [{name: c, image: x}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: exporter, namespace: m, labels: {app: exporter}}\nspec: {hostNetwork: true, containers: [{name: c, image: x}]}\n";
    let deny = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: m}\nspec: {podSelector: {matchLabels: {app: exporter}}, policyTypes: [Ingress]}\n";
    let reach = |input: &str, format: &str| {
        let args = [
            "netpol",
            "reach",
            "--from",
            "m/web",
            "--to",
            "m/exporter",
            "-f",
            format,
            "-",
        ];
        run_in(&root(), &args, Some(input.as_bytes()))
    };
    let denied = format!("{pods}{deny}");
    let out = reach(&denied, "text");
    let text = stdout(&out);
    assert!(text.contains(": UNKNOWN\n"), "{text}");
    assert!(
        text.contains("m/Pod/exporter runs with hostNetwork"),
        "{text}"
    );
    assert!(text.contains("NetworkPolicies alone say DENIED"), "{text}");
    assert_eq!(out.status.code(), Some(2), "neither allowed nor denied");
    let doc = json(&reach(&denied, "json"));
    assert_eq!(doc["verdict"], "unknown");
    assert_eq!(doc["network_policy_verdict"], "denied");
    assert!(doc["host_network"]
        .as_str()
        .unwrap()
        .contains("m/Pod/exporter"));
    // No policy restricts it: allowed either way, the caveat still said.
    let out = reach(pods, "text");
    assert!(stdout(&out).contains(": ALLOWED\n"), "{}", stdout(&out));
    assert!(stdout(&out).contains("the answer holds either way"));
    assert_eq!(out.status.code(), Some(0));
    let doc = json(&reach(pods, "json"));
    assert!(doc["host_network"].is_string());
    // The matrix too: its cell is `?`, and the workload named.
    let args = ["netpol", "matrix", "-n", "m", "-f", "json", "-"];
    let doc = json(&run_in(&root(), &args, Some(denied.as_bytes())));
    assert_eq!(doc["host_network"], serde_json::json!(["Pod/exporter"]));
    let names = doc["workloads"].as_array().unwrap();
    let at = |n: &str| names.iter().position(|w| w == n).unwrap();
    assert_eq!(doc["matrix"][at("Pod/web")][at("Pod/exporter")], "unknown");
    // Two ordinary pods: no caveat.
    let plain = denied.replace("hostNetwork: true, ", "");
    let out = reach(&plain, "json");
    assert_eq!(out.status.code(), Some(1));
    assert!(json(&out)["host_network"].is_null());
}

#[test]
fn netpol_matrix_and_errors() {
    let doc = json(&run(&[
        "netpol",
        "matrix",
        "-n",
        "shop-hardened",
        "examples/hardened",
        "-f",
        "json",
    ]));
    let names: Vec<&str> = doc["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    let web = names.iter().position(|n| *n == "Deployment/web").unwrap();
    let api = names.iter().position(|n| *n == "Deployment/api").unwrap();
    assert_eq!(doc["matrix"][web][api], "allowed");
    assert_eq!(doc["matrix"][api][web], "denied");
    let missing = run(&[
        "netpol",
        "reach",
        "--from",
        "shop-hardened/nope",
        "--to",
        "shop-hardened/api",
        "examples/hardened",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("shop-hardened/nope"));
    assert_eq!(
        run(&[
            "netpol",
            "matrix",
            "-n",
            "shop-hardened",
            "examples/hardened",
            "-f",
            "sarif"
        ])
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn namespace_checks_are_skipped_without_the_namespace_object() {
    let deployment = b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team}\nspec:\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: x}]\n";
    let out = run_in(
        &root(),
        &["scan", "-", "-f", "json", "--select", "KH5"],
        Some(deployment),
    );
    let doc = json(&out);
    let ids = rule_ids(&doc);
    assert!(
        !ids.iter()
            .any(|id| ["KH504", "KH510", "KH511", "KH512", "KH520", "KH521"].contains(id)),
        "{ids:?}"
    );
    let skipped = &doc["summary"]["skipped_checks"][0];
    assert_eq!(skipped["scope"], "namespace team");
    assert!(skipped["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "KH510"));
    let text = run_in(&root(), &["scan", "-", "--select", "KH5"], Some(deployment));
    assert!(
        stdout(&text).contains("namespace team: ")
            && stdout(&text).contains("(no Namespace object in the scan)")
    );
}

#[test]
fn pss_target_raises_the_bar() {
    let ns = b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n  labels: {pod-security.kubernetes.io/enforce: baseline}\n";
    let baseline = json(&run_in(
        &root(),
        &["scan", "-", "-f", "json", "--select", "KH504"],
        Some(ns),
    ));
    assert_eq!(baseline["findings"].as_array().unwrap().len(), 0);
    let restricted = json(&run_in(
        &root(),
        &[
            "scan",
            "-",
            "-f",
            "json",
            "--select",
            "KH504",
            "--pss-target",
            "restricted",
        ],
        Some(ns),
    ));
    assert_eq!(restricted["findings"][0]["rule_id"], "KH504");
    // The fix and its snippet name the level this run targets: applying the snippet
    // clears the finding.
    let fix = &restricted["findings"][0]["remediation"];
    let snippet = fix["snippet"].as_str().unwrap();
    assert!(
        snippet.contains("pod-security.kubernetes.io/enforce: restricted\n"),
        "{fix}"
    );
    assert!(!snippet.contains("enforce: baseline"), "{fix}");
    let fixed = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n{}",
        snippet.trim_start_matches("metadata:\n")
    );
    let after = json(&run_in(
        &root(),
        &[
            "scan",
            "-",
            "-f",
            "json",
            "--select",
            "KH504",
            "--pss-target",
            "restricted",
        ],
        Some(fixed.as_bytes()),
    ));
    assert_eq!(after["findings"].as_array().unwrap().len(), 0, "{fixed}");
}

#[test]
fn rbac_queries() {
    let who = json(&run(&[
        "rbac",
        "who-can",
        "create",
        "deployments",
        "-n",
        "ci",
        "examples/rbac",
        "-f",
        "json",
    ]));
    let subjects: Vec<String> = who["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}:{}",
                s["subject"]["kind"].as_str().unwrap(),
                s["subject"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        subjects.contains(&"serviceaccount:deployer".to_string()),
        "{subjects:?}"
    );
    assert!(subjects.contains(&"group:developers".to_string()));
    let deployer = who["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subject"]["name"] == "deployer")
        .unwrap();
    assert_eq!(deployer["binding"]["name"], "deployer");
    assert_eq!(deployer["role"]["name"], "deploy");
    assert_eq!(deployer["binding"]["file"], "examples/rbac/rbac.yaml");

    let yes = json(&run(&[
        "rbac",
        "can",
        "sa:ci/deployer",
        "create",
        "deployments",
        "-n",
        "ci",
        "examples/rbac",
        "-f",
        "json",
    ]));
    assert_eq!(yes["allowed"], true);
    let no = json(&run(&[
        "rbac",
        "can",
        "sa:ci/deployer",
        "create",
        "deployments",
        "-n",
        "prod",
        "examples/rbac",
        "-f",
        "json",
    ]));
    assert_eq!(no["allowed"], false);
    let text = stdout(&run(&[
        "rbac",
        "can",
        "group:developers",
        "create",
        "pods/exec",
        "-n",
        "ci",
        "examples/rbac",
    ]));
    assert!(
        text.contains("? yes") && text.contains("ClusterRole edit (built-in)"),
        "{text}"
    );

    let perms = stdout(&run(&[
        "rbac",
        "permissions",
        "sa:ci/builder",
        "examples/rbac",
    ]));
    assert!(
        perms.contains(
            "cluster-wide: ClusterRoleBinding builder-admin -> ClusterRole cluster-admin"
        ),
        "{perms}"
    );
    assert_eq!(
        run(&["rbac", "can", "nobody", "get", "pods", "examples/rbac"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn rbac_escalation_path_is_a_finding() {
    let doc = json(&run(&[
        "scan",
        "examples/rbac",
        "--select",
        "KH620",
        "-f",
        "json",
    ]));
    // Two subjects reach cluster-admin through sa:ci/builder: one finding, at the
    // binding that makes the builder cluster-admin, with both paths.
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    let f = &doc["findings"][0];
    assert_eq!(f["rule_id"], "KH620");
    let message = f["message"].as_str().unwrap();
    assert!(
        message.starts_with("2 subjects can gain cluster-admin power through sa:ci/builder"),
        "{message}"
    );
    // The message names both (three at most), and the JSON keeps both paths in full.
    assert!(message.contains("sa:ci/deployer (2 step(s))"), "{message}");
    assert!(
        message.contains("group:developers (2 step(s))"),
        "{message}"
    );
    let details: Vec<&str> = f["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(details.len(), 2, "{details:?}");
    for subject in ["sa:ci/deployer", "group:developers"] {
        let start = format!("{subject} in 2 step(s): (1) {subject} can ");
        assert!(details.iter().any(|d| d.starts_with(&start)), "{details:?}");
    }
    assert_eq!(f["location"]["file"], "examples/rbac/rbac.yaml");
    assert_eq!(f["resource"]["name"], "builder-admin");
}

/// `cluster --snapshot F --output F` would overwrite one with the other: refused
/// before any cluster is contacted (the kubeconfig named does not even exist).
#[test]
fn cluster_refuses_one_file_for_snapshot_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.yaml");
    let file = file.to_str().unwrap();
    let missing = dir.path().join("no-kubeconfig");
    let missing = missing.to_str().unwrap();
    let out = run(&[
        "cluster",
        "--kubeconfig",
        missing,
        "--snapshot",
        file,
        "-o",
        file,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--snapshot"), "{}", stderr(&out));
    assert!(stderr(&out).contains("overwrite"), "{}", stderr(&out));
    // Two different files get past that check (and fail on the kubeconfig instead).
    let other = dir.path().join("report.json");
    let out = run(&[
        "cluster",
        "--kubeconfig",
        missing,
        "--snapshot",
        file,
        "-o",
        other.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("overwrite"), "{}", stderr(&out));
}

const VARIANT: &str = "apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: registry.example.com/web@sha256:0123
    securityContext: {privileged: true}
";

#[test]
fn identical_findings_of_variant_files_are_one_text_entry_and_stay_apart_in_json() {
    let dir = common::tree(&[
        ("base/pod.yaml", VARIANT),
        ("overlays/dev/pod.yaml", VARIANT),
        ("overlays/prod/pod.yaml", VARIANT),
    ]);
    let text = run_in(dir.path(), &["scan", ".", "--select", "KH101"], None);
    let text = stdout(&text);
    assert_eq!(text.matches("the same in").count(), 1, "{text}");
    assert!(
        text.contains("the same in overlays/dev/pod.yaml:8:23, overlays/prod/pod.yaml:8:23"),
        "{text}"
    );
    assert!(
        !text.contains("\n./overlays/"),
        "no header for a file shown with the first: {text}"
    );
    assert!(
        text.contains("3 findings"),
        "the summary counts each: {text}"
    );
    assert!(text.contains("fix: Remove `privileged: true`"), "{text}");
    assert!(text.contains("(kubeharden explain KH101)"), "{text}");
    let doc = json(&run_in(
        dir.path(),
        &["scan", ".", "--select", "KH101", "--format", "json"],
        None,
    ));
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3);
    let remediation = &findings[0]["remediation"];
    assert!(remediation["snippet"]
        .as_str()
        .unwrap()
        .contains("privileged: false"));
}

#[test]
fn no_merge_keeps_every_rule_s_finding_apart() {
    let dir = common::tree(&[("pod.yaml", VARIANT)]);
    let count = |extra: &[&str]| {
        let mut args = vec!["scan", ".", "--select", "KH201,KH202", "--format", "json"];
        args.extend(extra);
        json(&run_in(dir.path(), &args, None))["findings"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count(&[]), 1);
    assert_eq!(count(&["--no-merge"]), 4);
}

#[test]
fn a_resource_without_a_name_has_a_header_that_says_so() {
    let dir = common::tree(&[(
        "pod.yaml",
        &VARIANT.replace("name: web, namespace", "namespace"),
    )]);
    let text = stdout(&run_in(
        dir.path(),
        &["scan", ".", "--select", "KH101"],
        None,
    ));
    assert!(text.contains("  Pod shop/(no name)\n"), "{text}");
}

/// A Node whose kubelet version is no Kubernetes version (escape sequences and all)
/// is not judged, with the reason, escaped; a sound one beside it is judged.
#[test]
fn a_node_with_an_unreadable_kubelet_version_is_not_judged() {
    let nodes = b"apiVersion: v1\nkind: Node\nmetadata: {name: odd}\nstatus:\n  nodeInfo: {kubeletVersion: \"garbage\\e[31m\", containerRuntimeVersion: containerd://2.4.1}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: old}\nstatus:\n  nodeInfo: {kubeletVersion: v1.30.1, containerRuntimeVersion: containerd://2.4.1}\n";
    let out = run_in(
        &root(),
        &["scan", "-", "--select", "KH903", "-f", "json"],
        Some(nodes),
    );
    let doc = json(&out);
    assert_eq!(rule_ids(&doc), ["KH903"], "the old kubelet is judged");
    let skipped = doc["summary"]["skipped_checks"].as_array().unwrap();
    let odd = skipped
        .iter()
        .find(|s| s["scope"] == "Node odd")
        .unwrap_or_else(|| panic!("{skipped:?}"));
    let reason = odd["reason"].as_str().unwrap();
    assert!(
        reason.contains("is not a Kubernetes 1.x version") && !reason.contains('\u{1b}'),
        "{reason}"
    );
}

/// Two cluster snapshots scanned together would be judged as one cluster: an
/// error (exit 2) at the second record naming both contexts; one alone is fine.
#[test]
fn two_cluster_snapshots_in_one_scan_are_an_error() {
    let snapshot = |context: &str, minor: &str| {
        format!("apiVersion: kubeharden.io/v1alpha1\nkind: ClusterSnapshot\nmetadata: {{name: {context}}}\ncontext: {context}\nserverVersion: {{major: \"1\", minor: \"{minor}\", gitVersion: v1.{minor}.2}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {context}}}\n")
    };
    let one = snapshot("prod", "37");
    let out = run_in(&root(), &["scan", "-", "-f", "json"], Some(one.as_bytes()));
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let both = format!("{one}---\n{}", snapshot("staging", "33"));
    let out = run_in(&root(), &["scan", "-", "-f", "json"], Some(both.as_bytes()));
    assert_eq!(out.status.code(), Some(2));
    let doc = json(&out);
    let message = doc["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("a second cluster snapshot")
            && message.contains("\"staging\"")
            && message.contains("\"prod\""),
        "{}",
        doc["errors"]
    );
}

/// The guidance rows findings cite are shown with their titles: listed after the text
/// findings, in JSON's summary, and as the HTML rows' tooltips.
#[test]
fn cited_guidance_rows_come_with_their_titles() {
    let text = stdout(&run(&["scan", "examples/insecure"]));
    let legend = text.split("Guidance rows cited").nth(1).expect("a legend");
    assert!(
        legend.contains("POD-12    Forbid privileged containers"),
        "{legend}"
    );
    let doc = json(&run(&["scan", "examples/insecure", "-f", "json"]));
    let rows = doc["summary"]["guidance_rows"].as_object().unwrap();
    assert_eq!(rows["POD-12"], "Forbid privileged containers");
    // Only the rows cited: every one is some finding's.
    for id in rows.keys() {
        let cited = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["guidance"].as_array().unwrap().iter().any(|g| g == id));
        assert!(cited, "{id}");
    }
    let html = stdout(&run(&["scan", "examples/insecure", "-f", "html"]));
    assert!(html.contains("<abbr title=\"Forbid privileged containers\">POD-12</abbr>"));
    let clean = stdout(&run(&["scan", "examples/hardened"]));
    assert!(!clean.contains("Guidance rows cited"), "{clean}");
}

/// A query's help offers the formats it writes, text and JSON, and refuses the others
/// as a usage error.
#[test]
fn queries_offer_only_the_formats_they_write() {
    for query in [
        &["rbac", "can"][..],
        &["rbac", "who-can"],
        &["netpol", "reach"],
        &["netpol", "matrix"],
        &["rules"],
    ] {
        let mut args = query.to_vec();
        args.push("--help");
        let help = stdout(&run(&args));
        assert!(
            help.contains("[possible values: text, json]"),
            "{query:?}: {help}"
        );
        assert!(!help.contains("sarif"), "{query:?}");
    }
    let out = run(&[
        "rbac",
        "permissions",
        "user:alice",
        "examples/rbac",
        "-f",
        "html",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("this command writes text or json, not html"),
        "{}",
        stderr(&out)
    );
    // A misspelt format is matched against these two only: `markdwon` is not told to
    // try markdown, which the command would refuse next.
    let out = run(&["rules", "--format", "jsn"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("unknown format \"jsn\" (expected text or json); did you mean \"json\"?"),
        "{}",
        stderr(&out)
    );
    let out = run(&["rules", "--format", "markdwon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("did you mean"), "{}", stderr(&out));
}

/// audit-log's help offers what it writes, SARIF included, and not PolicyReports (of a
/// cluster's objects, not a log's events), which are a usage error with a suggestion
/// among its own formats only.
#[test]
fn audit_log_offers_only_the_formats_it_writes() {
    let help = stdout(&run(&["audit-log", "--help"]));
    assert!(
        help.contains("[possible values: text, json, sarif, junit, html, markdown]"),
        "{help}"
    );
    assert!(!help.contains("policyreport"), "{help}");
    let log = "examples/audit/audit.log";
    let out = run(&["audit-log", log, "-f", "policyreport"]);
    assert_eq!(out.status.code(), Some(2));
    let expected =
        "this command writes text, json, sarif, junit, html or markdown, not policyreport";
    assert!(stderr(&out).contains(expected), "{}", stderr(&out));
    let out = run(&["audit-log", log, "-f", "policyreprot"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("did you mean"), "{}", stderr(&out));
    let out = run(&["audit-log", log, "-f", "sarf"]);
    assert!(
        stderr(&out).contains("did you mean \"sarif\"?"),
        "{}",
        stderr(&out)
    );
    // The rest of the commands keep every format.
    let help = stdout(&run(&["scan", "--help"]));
    assert!(help.contains("policyreport"));
}

/// `--summary` shortens text only: with another format the whole report is written,
/// and a warning says so rather than ignoring the flag in silence.
#[test]
fn summary_with_another_format_warns_that_the_report_is_whole() {
    let out = run(&["scan", "examples", "--no-config", "--summary", "-f", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--summary shortens text output only"),
        "{}",
        stderr(&out)
    );
    assert!(!json(&out)["findings"].as_array().unwrap().is_empty());
    let text = run(&["scan", "examples", "--no-config", "--summary"]);
    assert!(!stderr(&text).contains("--summary"), "{}", stderr(&text));
}

/// A default-deny NetworkPolicy written as `extensions/v1beta1` (before Kubernetes
/// 1.16) is a policy as `networking.k8s.io/v1`'s is: the namespace has its default deny.
#[test]
fn an_extensions_network_policy_counts() {
    for api in ["networking.k8s.io/v1", "extensions/v1beta1"] {
        let text = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n---\napiVersion: {api}\nkind: NetworkPolicy\nmetadata:\n  name: deny\n  namespace: team\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress]\n");
        let doc = json(&run_in(
            &root(),
            &["scan", "-", "-f", "json", "--select", "KH510"],
            Some(text.as_bytes()),
        ));
        assert_eq!(doc["findings"].as_array().unwrap().len(), 0, "{api}: {doc}");
    }
}

/// A workload or namespace a query names that the scan does not hold is an error
/// (exit 2) offering the closest one it holds.
#[test]
fn netpol_queries_suggest_the_workload_or_namespace_meant() {
    let out = run(&[
        "netpol",
        "reach",
        "--from",
        "shop-hardened/wbe",
        "--to",
        "shop-hardened/api",
        "--port",
        "8000/TCP",
        "examples/hardened",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no workload \"shop-hardened/wbe\" in the scanned objects; did you mean \"shop-hardened/web\"?"),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "netpol",
        "matrix",
        "-n",
        "shop-hardend",
        "examples/hardened",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean \"shop-hardened\"?"),
        "{}",
        stderr(&out)
    );
}
