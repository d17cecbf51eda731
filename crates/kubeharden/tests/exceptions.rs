//! Exceptions and baselines end to end, through the built binary: the configuration
//! file (found upward from the scanned path, or `--config`), flags over it, bad files
//! refused with file and line, inline annotations, expired and unused exceptions,
//! suppressed findings in text, JSON and SARIF, the same exceptions in `scan`, `node`
//! and `audit-log` (and `cluster`: `testbed_cluster.rs`), and baselines that survive
//! moving, reformatting and reordering.

mod common;

use std::path::Path;
use std::process::Output;

use common::{json, root, rule_ids, run_in, tree};
use serde_json::Value;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const WEB: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: web
        image: registry.example.com/web@sha256:0123
        securityContext:
          privileged: true
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: api
        image: registry.example.com/api@sha256:0123
        securityContext:
          privileged: true
"#;

const ACCEPT_WEB: &str = r#"select: [KH101]
exceptions:
  - rules: [KH101]
    names: [web]
    reason: the GPU driver needs it
    owner: ml-team
"#;

/// `kubeharden scan ARGS` in `dir`.
fn scan(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    run_in(dir, &all, None)
}

/// Fails, naming each problem, when `doc` does not follow docs/json-report.schema.json.
fn follows_the_schema(doc: &Value) {
    let schema = std::fs::read_to_string(root().join("docs/json-report.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&schema).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let problems: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The schema is not vacuous about suppressions: one without a reason fails it.
    let mut broken = doc.clone();
    broken["suppressed"][0]["suppression"]
        .as_object_mut()
        .unwrap()
        .remove("reason");
    assert!(!validator.is_valid(&broken));
}

fn suppressed(doc: &Value) -> Vec<&Value> {
    doc["suppressed"].as_array().unwrap().iter().collect()
}

#[test]
fn the_config_file_is_found_upward_from_the_scanned_path() {
    let repo = tree(&[(".kubeharden.yaml", ACCEPT_WEB), ("k8s/apps/web.yaml", WEB)]);
    let out = scan(repo.path(), &["k8s/apps", "-f", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(rule_ids(&doc), ["KH101"]);
    assert_eq!(doc["findings"][0]["resource"]["name"], "api");
    let kept = suppressed(&doc);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["resource"]["name"], "web");
    assert_eq!(kept[0]["rule_id"], "KH101");
    let why = &kept[0]["suppression"];
    assert_eq!(why["kind"], "config");
    assert_eq!(why["reason"], "the GPU driver needs it");
    assert_eq!(why["owner"], "ml-team");
    assert!(
        why["source"]
            .as_str()
            .unwrap()
            .ends_with(".kubeharden.yaml:3"),
        "{why}"
    );
    assert_eq!(doc["summary"]["findings"], 1);
    assert_eq!(doc["summary"]["suppressed"], 1);
    follows_the_schema(&doc);

    // From another folder, naming the file: the same; outside the repository, none.
    let elsewhere = tempfile::tempdir().unwrap();
    let file = repo.path().join("k8s/apps/web.yaml");
    let out = scan(elsewhere.path(), &[file.to_str().unwrap(), "-f", "json"]);
    assert_eq!(suppressed(&json(&out)).len(), 1);
    std::fs::copy(&file, elsewhere.path().join("web.yaml")).unwrap();
    let out = scan(elsewhere.path(), &["web.yaml", "-f", "json"]);
    assert!(suppressed(&json(&out)).is_empty());
    // A bare file name in the folder of the configuration (as a pre-commit hook or a
    // shell glob passes it) is in the current folder: the file applies.
    let apps = repo.path().join("k8s/apps");
    std::fs::rename(
        repo.path().join(".kubeharden.yaml"),
        apps.join(".kubeharden.yaml"),
    )
    .unwrap();
    let out = scan(&apps, &["web.yaml", "-f", "json"]);
    assert_eq!(suppressed(&json(&out)).len(), 1, "{}", stderr(&out));
    std::fs::rename(
        apps.join(".kubeharden.yaml"),
        repo.path().join(".kubeharden.yaml"),
    )
    .unwrap();
    // --no-config reads none.
    let out = scan(repo.path(), &["k8s", "--no-config", "-f", "json"]);
    assert!(suppressed(&json(&out)).is_empty());
}

#[test]
fn text_output_counts_suppressed_findings_and_lists_them_when_asked() {
    let repo = tree(&[(".kubeharden.yaml", ACCEPT_WEB), ("web.yaml", WEB)]);
    let out = scan(repo.path(), &["."]);
    let text = stdout(&out);
    assert!(text.contains("Deployment shop/api"), "{text}");
    assert!(!text.contains("Deployment shop/web"), "{text}");
    assert!(
        text.contains("1 finding (1 critical) in 1 object, 1 file; scanned 2 objects from 1 file, 1 rule; 1 suppressed (1 by exception)"),
        "{text}"
    );
    let shown = stdout(&scan(repo.path(), &[".", "--show-suppressed"]));
    let listed = shown
        .split("Suppressed\n")
        .nth(1)
        .expect("a Suppressed section");
    assert!(
        listed.contains("KH101 Deployment shop/web critical: config: the GPU driver needs it (")
            && listed.contains(".kubeharden.yaml:3, owner ml-team)"),
        "{shown}"
    );
}

#[test]
fn everything_accepted_exits_clean_and_flags_override_the_file() {
    let config = "select: [KH101]\nfail-on: none\nexceptions:\n  - namespaces: [shop]\n    names: [web]\n    reason: accepted\n";
    let repo = tree(&[(".kubeharden.yaml", config), ("web.yaml", WEB)]);
    // fail-on: none in the file.
    assert_eq!(scan(repo.path(), &["."]).status.code(), Some(0));
    // The flag wins over the file.
    assert_eq!(
        scan(repo.path(), &[".", "--fail-on", "low"]).status.code(),
        Some(1)
    );
    // --select on the command line replaces the file's selection.
    let out = scan(repo.path(), &[".", "--select", "KH105", "-f", "json"]);
    let doc = json(&out);
    assert!(rule_ids(&doc).iter().all(|id| *id == "KH105"), "{doc}");
    // An exception for both objects: nothing counts, the run is clean at any level.
    let both = config.replace("names: [web]", "names: [web, api]");
    std::fs::write(repo.path().join(".kubeharden.yaml"), both).unwrap();
    let out = scan(repo.path(), &[".", "--fail-on", "info", "-f", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let doc = json(&out);
    assert_eq!(suppressed(&doc).len(), 2);
    // The score passes both checks, and says that it is only by the exception.
    let score = &doc["summary"]["score"];
    assert_eq!(
        (&score["passed"], &score["accepted"]),
        (&2.into(), &2.into()),
        "{score}"
    );
    let text = stdout(&scan(repo.path(), &["."]));
    assert!(
        text.contains("(2 of 2 checks pass, 2 of them only because their findings are accepted;"),
        "{text}"
    );
    for format in ["markdown", "html"] {
        let page = stdout(&scan(repo.path(), &[".", "-f", format]));
        assert!(
            page.contains("2 of 2 checks pass, 2 of them only because their findings are accepted"),
            "{format}: {page}"
        );
    }
    // With the web object's exception alone, only its check is accepted.
    std::fs::write(repo.path().join(".kubeharden.yaml"), config).unwrap();
    let doc = json(&scan(repo.path(), &[".", "-f", "json"]));
    assert_eq!(doc["summary"]["score"]["accepted"], 1, "{doc}");
}

#[test]
fn severity_overrides_and_framework_from_the_file() {
    let config = "select: [KH101]\nseverity:\n  KH101: low\nfail-on: medium\n";
    let repo = tree(&[(".kubeharden.yaml", config), ("web.yaml", WEB)]);
    let out = scan(repo.path(), &[".", "-f", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let doc = json(&out);
    assert_eq!(doc["summary"]["by_severity"]["low"], 2);
    // The summary describes the rule, and weighs its checks, as overridden: low
    // weighs 1 a check (critical 8).
    assert_eq!(doc["summary"]["per_rule"][0]["severity"], "low");
    let score = &doc["summary"]["score"];
    assert_eq!(score["weight"], score["checks"], "{score}");
    // --min-severity judges the overridden severity.
    let out = scan(
        repo.path(),
        &[".", "-f", "json", "--min-severity", "medium"],
    );
    assert!(rule_ids(&json(&out)).is_empty());
}

#[test]
fn a_bad_config_is_exit_2_with_its_file_and_line() {
    let cases = [
        ("select: [KH101]\nfail_on: high\n", ".kubeharden.yaml:2:1: unknown key \"fail_on\"; did you mean \"fail-on\"?"),
        ("exceptions:\n  - rules: [KH1O1]\n    reason: x\n", ".kubeharden.yaml:2:13: exceptions[0].rules[0]: \"KH1O1\" names no rule (see `kubeharden rules`); did you mean \"KH101\"?"),
        ("exceptions:\n  - rules: [KH101]\n", ".kubeharden.yaml:2:5: exceptions[0]: an exception needs a reason"),
        ("exceptions:\n  - rules: [KH101]\n    reason: x\n    expires: 31/12/2027\n", ".kubeharden.yaml:4:5: exceptions[0].expires: \"31/12/2027\": expected a calendar date, as YYYY-MM-DD"),
        ("pss-target: [restricted]\n", ".kubeharden.yaml:1:13: pss-target: expected a string, found a list"),
    ];
    for (config, expected) in cases {
        let repo = tree(&[(".kubeharden.yaml", config), ("web.yaml", WEB)]);
        let out = scan(repo.path(), &["."]);
        assert_eq!(out.status.code(), Some(2), "{config}");
        let err = stderr(&out);
        assert!(err.contains(expected), "{config}: {err}");
        assert!(out.stdout.is_empty());
    }
    // --config names a file that is not there.
    let repo = tree(&[("web.yaml", WEB)]);
    let out = scan(repo.path(), &[".", "--config", "nope.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nope.yaml: cannot read"),
        "{}",
        stderr(&out)
    );
}

/// `kubeharden serve` with `--exceptions` of a project file holding `text`, and a
/// certificate that is not there: it stops once it has read the file.
fn serve_with_exceptions(text: &str) -> Output {
    let repo = tree(&[(".kubeharden.yaml", text)]);
    run_in(
        repo.path(),
        &[
            "serve",
            "--no-cluster",
            "--cert",
            "tls.crt",
            "--key",
            "tls.key",
            "--addr",
            "127.0.0.1:0",
            "--exceptions",
            ".kubeharden.yaml",
        ],
        None,
    )
}

#[test]
fn serve_reads_the_same_config_file_and_names_its_mistakes() {
    // The webhook's reviews apply a project's exceptions (crates/kubeharden-admission
    // tests show them admitting what scan accepts); a mistake in the file stops it
    // before it listens, with the file and line, as scan does.
    let out = serve_with_exceptions("exceptions:\n  - rules: [KH1O1]\n    reason: x\n");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(".kubeharden.yaml:2:13: exceptions[0].rules[0]: \"KH1O1\" names no rule"),
        "{err}"
    );
}

#[test]
fn serve_warns_of_expired_exceptions_when_it_reads_them() {
    // No certificate: serve stops after reading the exceptions.
    let out = serve_with_exceptions("exceptions:\n  - names: [web]\n    reason: until the driver update\n    expires: 2020-01-31\n  - names: [api]\n    reason: accepted\n");
    let err = stderr(&out);
    assert!(
        err.contains(
            "kubeharden serve: warning: .kubeharden.yaml:2:5: exception expired on 2020-01-31"
        ),
        "{err}"
    );
    assert_eq!(err.matches("expired").count(), 1, "{err}");
}

#[test]
fn expired_and_unused_exceptions_are_warnings() {
    let config = "select: [KH101]\nexceptions:\n  - names: [web]\n    reason: until the driver update\n    expires: 2020-01-31\n  - names: [retired]\n    reason: gone\n  - names: [api]\n    reason: accepted\n";
    let repo = tree(&[(".kubeharden.yaml", config), ("web.yaml", WEB)]);
    let out = scan(repo.path(), &[".", "-f", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    // The expired one covers nothing: web's finding is back.
    assert_eq!(doc["findings"][0]["resource"]["name"], "web");
    assert_eq!(suppressed(&doc).len(), 1);
    let warnings = doc["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["kind"], "expired_exception");
    assert_eq!(warnings[0]["line"], 3);
    assert!(
        stderr(&out).contains(".kubeharden.yaml:3:5: exception expired on 2020-01-31"),
        "{}",
        stderr(&out)
    );

    let out = scan(
        repo.path(),
        &[".", "-f", "json", "--report-unused-exceptions"],
    );
    let doc = json(&out);
    let kinds: Vec<(&str, u64)> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["kind"].as_str().unwrap(), w["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(kinds, [("expired_exception", 3), ("unused_exception", 6)]);
    // Warnings never change the exit code.
    assert_eq!(out.status.code(), Some(1));
}

/// An exception of a rule whose finding another stands for (KH202, the missing
/// requests KH201's finding names) is in use, not reported unused: the finding stays,
/// as its own rule is not accepted, and an exception of a rule that found nothing is
/// still unused.
#[test]
fn an_exception_of_a_merged_rule_is_not_unused() {
    let config = "select: [KH201, KH202, KH101]\nexceptions:\n  - rules: [KH202]\n    names: [web]\n    reason: sized by the VPA\n  - rules: [missing-resource-requests]\n    names: [api]\n    reason: sized by the VPA\n  - rules: [KH133]\n    names: [web]\n    reason: none found\n";
    let repo = tree(&[(".kubeharden.yaml", config), ("web.yaml", WEB)]);
    let out = scan(
        repo.path(),
        &[".", "-f", "json", "--report-unused-exceptions"],
    );
    let doc = json(&out);
    let unused: Vec<u64> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "unused_exception")
        .map(|w| w["line"].as_u64().unwrap())
        .collect();
    assert_eq!(unused, [9], "{doc}");
    let resources: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "KH201")
        .map(|f| {
            (
                f["resource"]["name"].as_str().unwrap(),
                f["covers"][0].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(resources, [("web", "KH202"), ("api", "KH202")]);
}

/// An exception of a finding's own rule that leaves out a rule the finding stands
/// for (KH201 for a container that lacks requests too) does not hide that problem: the
/// finding stays, and says so; naming both rules, or no rule, accepts it. The same for
/// an inline exception.
#[test]
fn an_exception_of_the_merging_rule_alone_does_not_hide_the_merged_ones() {
    let accepted = |config: &str| -> (Option<i32>, Value) {
        let repo = tree(&[(".kubeharden.yaml", config), ("web.yaml", WEB)]);
        let out = scan(repo.path(), &[".", "-f", "json", "--select", "KH201,KH202"]);
        (out.status.code(), json(&out))
    };
    let (code, doc) = accepted(
        "exceptions:\n  - rules: [KH201]\n    names: [web]\n    reason: limits by the platform\n",
    );
    assert_eq!(code, Some(1), "{doc}");
    let web: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["resource"]["name"] == "web")
        .collect();
    assert_eq!(web.len(), 1, "{doc}");
    let message = web[0]["message"].as_str().unwrap();
    assert!(
        message.ends_with("the exception at .kubeharden.yaml:2 accepts KH201 but not KH202, which this finding also stands for: add KH202 to its rules to accept the whole finding"),
        "{message}"
    );
    for whole in ["[KH201, KH202]", "[KH2]"] {
        let (_, doc) = accepted(&format!("exceptions:\n  - rules: {whole}\n    names: [web]\n    reason: sized by the platform\n"));
        let names: Vec<&Value> = suppressed(&doc)
            .iter()
            .map(|s| &s["resource"]["name"])
            .collect();
        assert_eq!(names, ["web"], "{whole}: {doc}");
    }
    let (_, doc) = accepted("exceptions:\n  - names: [web]\n    reason: all of it\n");
    assert_eq!(
        suppressed(&doc).len(),
        1,
        "no rule named accepts every rule"
    );

    let inline = |rules: &str| {
        let pod = format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    kubeharden.io/ignore: {rules}\n    kubeharden.io/ignore-reason: sized later\nspec:\n  containers:\n  - {{name: c, image: x}}\n");
        let repo = tree(&[("pod.yaml", &pod)]);
        json(&scan(
            repo.path(),
            &[
                "pod.yaml",
                "-f",
                "json",
                "--select",
                "KH201,KH202",
                "--no-config",
            ],
        ))
    };
    let partly = inline("KH201");
    assert_eq!(partly["findings"].as_array().unwrap().len(), 1, "{partly}");
    assert!(
        partly["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("pod.yaml:6 accepts KH201 but not KH202"),
        "{partly}"
    );
    let whole = inline("KH201,KH202");
    assert_eq!(whole["findings"].as_array().unwrap().len(), 0, "{whole}");
}

/// A finding an exception accepts in part is as grave as what is left of it, as the
/// `--no-merge` report shows it: both give the same exit code under `--fail-on`.
#[test]
fn a_partly_accepted_finding_is_as_grave_as_what_is_left() {
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web@sha256:0123\n";
    let config = "exceptions:\n  - {rules: [KH201], names: [web], reason: sized by VPA}\n  - {rules: [KH402, KH1], reason: needs the API}\n";
    let repo = tree(&[(".kubeharden.yaml", config), ("d.yaml", deployment)]);
    let run = |extra: &[&str]| {
        let mut args = vec![".", "-f", "json"];
        args.extend_from_slice(extra);
        let out = scan(repo.path(), &args);
        (out.status.code(), json(&out))
    };
    let (merged_code, merged) = run(&["--fail-on", "medium"]);
    let (apart_code, apart) = run(&["--fail-on", "medium", "--no-merge"]);
    let severities = |doc: &Value| -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        all.sort();
        all
    };
    // KH201 stands for KH202 (low) and KH402 for KH530 (low): what is left is low.
    let left = severities(&merged);
    assert_eq!(
        left,
        [
            ("KH201".to_string(), "low".to_string()),
            ("KH402".to_string(), "low".to_string())
        ],
        "{merged}"
    );
    assert!(
        severities(&apart).iter().all(|(_, s)| s == "low"),
        "{apart}"
    );
    assert_eq!(
        (merged_code, apart_code),
        (Some(0), Some(0)),
        "{merged}\n{apart}"
    );
    let (code, _) = run(&["--fail-on", "low"]);
    assert_eq!(code, Some(1));
    // The score counts the accepted rules' checks as accepted in both: the same
    // numbers merged and apart.
    assert_eq!(score_of(&merged), score_of(&apart), "{merged}\n{apart}");
    assert!(
        merged["summary"]["score"]["accepted"].as_u64().unwrap() > 0,
        "{merged}"
    );
}

#[test]
fn inline_exceptions_and_sarif_suppressions() {
    let annotated = WEB.replacen(
        "  namespace: shop\n",
        "  namespace: shop\n  annotations:\n    kubeharden.io/ignore: KH101\n    kubeharden.io/ignore-reason: needs the GPU\n",
        1,
    );
    let config = "select: [KH101, KH906]\nexceptions:\n  - names: [api]\n    reason: legacy\n";
    let repo = tree(&[(".kubeharden.yaml", config), ("web.yaml", &annotated)]);
    let out = scan(repo.path(), &[".", "-f", "sarif"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let mut kinds: Vec<(&str, &str)> = results
        .iter()
        .map(|r| {
            let s = &r["suppressions"][0];
            (
                s["kind"].as_str().unwrap(),
                s["justification"].as_str().unwrap(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [("external", "legacy"), ("inSource", "needs the GPU")]
    );
    for r in results {
        let fp = r["partialFingerprints"]["kubeharden/v3"].as_str().unwrap();
        assert!(fp.starts_with("KH101|apps/Deployment/shop/"), "{fp}");
    }

    // An ID prefix names the rules it starts, as in the configuration file.
    let by_prefix = annotated.replace("kubeharden.io/ignore: KH101", "kubeharden.io/ignore: kh1");
    std::fs::write(repo.path().join("web.yaml"), &by_prefix).unwrap();
    let out = scan(repo.path(), &[".", "-f", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(suppressed(&json(&out)).len(), 2);

    // Without the reason the annotation covers nothing, and KH906 says so.
    let no_reason = annotated.replace("    kubeharden.io/ignore-reason: needs the GPU\n", "");
    std::fs::write(repo.path().join("web.yaml"), no_reason).unwrap();
    let out = scan(repo.path(), &[".", "-f", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(rule_ids(&doc), ["KH906", "KH101"]);
    assert_eq!(doc["findings"][0]["location"]["line"], 7);
}

#[test]
fn node_audits_apply_the_same_exceptions() {
    let root = root();
    let node = root.join("crates/kubeharden/tests/nodes/kubeadm-control-plane");
    let run = |dir: &Path| {
        run_in(
            dir,
            &[
                "node",
                "--root",
                node.to_str().unwrap(),
                "-f",
                "json",
                "--select",
                "KH7",
            ],
            None,
        )
    };
    let here = tempfile::tempdir().unwrap();
    let before = json(&run(here.path()));
    let first = &before["findings"][0];
    let rule = first["rule_id"].as_str().unwrap();
    let name = first["resource"]["name"].as_str().unwrap();
    let same = |f: &&Value| f["rule_id"] == rule && f["resource"]["name"] == name;
    let covered = before["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(same)
        .count();
    // A config file in the current folder: node and audit-log read it from there.
    let config = format!("exceptions:\n  - rules: [{rule}]\n    names: [\"{name}\"]\n    reason: the node is being rebuilt\n");
    std::fs::write(here.path().join(".kubeharden.yaml"), config).unwrap();
    let after = json(&run(here.path()));
    let kept = suppressed(&after);
    assert_eq!(kept.len(), covered);
    assert!(kept
        .iter()
        .all(|s| s["suppression"]["reason"] == "the node is being rebuilt"));
    assert_eq!(
        after["findings"].as_array().unwrap().len() + covered,
        before["findings"].as_array().unwrap().len()
    );
}

#[test]
fn audit_log_alerts_apply_the_same_exceptions() {
    let root = root();
    let log = root.join("examples/audit/audit.log");
    let config = tempfile::tempdir().unwrap();
    let path = config.path().join("exceptions.yaml");
    std::fs::write(
        &path,
        "exceptions:\n  - rules: [KH805]\n    reason: the on-call team execs during incidents\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "audit-log",
            log.to_str().unwrap(),
            "-f",
            "json",
            "--select",
            "KH805,KH818",
        ];
        args.extend_from_slice(extra);
        run_in(&root, &args, None)
    };
    let before = json(&run(&[]));
    let execs = rule_ids(&before)
        .iter()
        .filter(|id| **id == "KH805")
        .count();
    assert!(execs > 0);
    let out = run(&["--config", path.to_str().unwrap()]);
    let after = json(&out);
    assert!(!rule_ids(&after).contains(&"KH805"));
    assert_eq!(suppressed(&after).len(), execs);
    assert_eq!(
        suppressed(&after)[0]["suppression"]["source"],
        format!("{}:2", path.display())
    );
    assert!(rule_ids(&after).contains(&"KH818"));
}

/// An audit-log finding's kind is the API resource of its request (`secrets`,
/// `pods/exec`): an exception's `kinds: [Secret]` matches it, `Pod` matches exec on
/// pods too, and the checker takes both the kind and the resource as written.
#[test]
fn audit_log_exceptions_match_kinds_by_their_resources() {
    let root = root();
    let log = root.join("examples/audit/audit.log");
    let rules = "KH803,KH805,KH806,KH808";
    let config = tempfile::tempdir().unwrap();
    let run = |exceptions: Option<&str>| {
        let path = config.path().join("exceptions.yaml");
        let mut args = vec!["audit-log", log.to_str().unwrap(), "-f", "json"];
        args.extend(["--select", rules, "--config", path.to_str().unwrap()]);
        let text = exceptions.map_or(String::new(), |e| format!("exceptions:\n{e}"));
        std::fs::write(&path, text).unwrap();
        let out = run_in(&root, &args, None);
        assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
        json(&out)
    };
    let before = run(None);
    let kinds = |doc: &Value, key: &str| -> Vec<String> {
        let list = doc[key].as_array().unwrap().iter();
        let finding = |f: &Value| f.get("finding").unwrap_or(f)["resource"]["kind"].clone();
        list.map(|f| finding(f).as_str().unwrap().to_string())
            .collect()
    };
    let found = kinds(&before, "findings");
    for want in ["secrets", "pods/exec", "deployments"] {
        assert!(found.iter().any(|k| k == want), "{want} in {found:?}");
    }
    for scope in ["[Secret, Pod]", "[secrets, pods/exec]"] {
        let after = run(Some(&format!(
            "  - kinds: {scope}\n    reason: the incident drill of the week\n"
        )));
        let left = kinds(&after, "findings");
        assert!(left.iter().all(|k| k == "deployments"), "{scope}: {left:?}");
        let accepted = kinds(&after, "suppressed");
        assert_eq!(accepted.len() + left.len(), found.len(), "{scope}: {after}");
    }
}

/// The objects of `WEB` plus a Service, as a project first has them.
fn project() -> String {
    format!("{WEB}---\napiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: shop}}\nspec:\n  type: NodePort\n  ports: [{{port: 80}}]\n")
}

/// A problem partly fixed is no new problem: a container baselined without any
/// resources, then given requests, then a memory limit, still lacks a cpu limit: the
/// same finding, accepted by the baseline, though the field it points at moved.
#[test]
fn a_partly_fixed_finding_stays_in_the_baseline() {
    let pod = |resources: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: a}}\nspec:\n  containers:\n  - name: c\n    image: x{resources}\n")
    };
    let repo = tree(&[("pod.yaml", &pod(""))]);
    let dir = repo.path();
    let select = ["--select", "KH201,KH202", "--no-config"];
    let mut args = vec!["pod.yaml", "--write-baseline", "b.json"];
    args.extend(select);
    assert_eq!(scan(dir, &args).status.code(), Some(0));
    for resources in [
        "\n    resources: {requests: {cpu: 100m, memory: 64Mi}}",
        "\n    resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 64Mi}}",
    ] {
        std::fs::write(dir.join("pod.yaml"), pod(resources)).unwrap();
        let mut args = vec!["pod.yaml", "--baseline", "b.json", "-f", "json"];
        args.extend(select);
        let out = scan(dir, &args);
        let doc = json(&out);
        assert_eq!(out.status.code(), Some(0), "{resources}: {doc}");
        assert_eq!(suppressed(&doc).len(), 1, "{doc}");
    }
    // A container the baseline never saw is new.
    std::fs::write(dir.join("pod.yaml"), pod("\n  - {name: d, image: z}")).unwrap();
    let mut args = vec!["pod.yaml", "--baseline", "b.json", "-f", "json"];
    args.extend(select);
    let out = scan(dir, &args);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["findings"][0]["container"], "d");
}

#[test]
fn a_baseline_shows_only_new_findings() {
    let repo = tree(&[("k8s/app.yaml", &project())]);
    let dir = repo.path();
    let out = scan(dir, &["k8s", "--write-baseline", "baseline.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("fingerprints to baseline.json"),
        "{}",
        stderr(&out)
    );
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("baseline.json")).unwrap()).unwrap();
    let total = written["findings"].as_array().unwrap().len();
    assert!(total > 5, "{written}");

    // Moved to two files in another folder, reformatted, reordered: nothing new.
    std::fs::remove_dir_all(dir.join("k8s")).unwrap();
    let docs: Vec<String> = project().split("---\n").map(str::to_string).collect();
    let service = docs[2].replace(
        "metadata: {name: web, namespace: shop}",
        "metadata:\n  namespace: shop\n  name: web",
    );
    let moved = format!(
        "# reordered\n{service}---\n\n{}---\n{}",
        docs[1],
        docs[0].replace("        image:", "        # pinned\n        image:")
    );
    std::fs::create_dir_all(dir.join("deploy/base")).unwrap();
    std::fs::write(dir.join("deploy/base/all.yaml"), moved).unwrap();
    let out = scan(
        dir,
        &["deploy", "--baseline", "baseline.json", "-f", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let doc = json(&out);
    assert!(rule_ids(&doc).is_empty(), "{doc}");
    assert_eq!(suppressed(&doc).len(), total);
    assert!(suppressed(&doc)
        .iter()
        .all(|s| s["suppression"]["kind"] == "baseline"
            && s["suppression"]["source"] == "baseline.json"));
    follows_the_schema(&doc);

    // A real new problem: exactly one new finding. (Capabilities added to a privileged
    // container would not be one: privileged already grants them all, one finding.)
    let worse = std::fs::read_to_string(dir.join("deploy/base/all.yaml"))
        .unwrap()
        .replacen(
            "    spec:\n      containers:\n",
            "    spec:\n      hostPID: true\n      containers:\n",
            1,
        );
    std::fs::write(dir.join("deploy/base/all.yaml"), worse).unwrap();
    let out = scan(
        dir,
        &["deploy", "--baseline", "baseline.json", "-f", "json"],
    );
    let doc = json(&out);
    let new: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap(),
                f["resource"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(out.status.code(), Some(1));
    // The text report lists it alone and counts the rest.
    let text = stdout(&scan(dir, &["deploy", "--baseline", "baseline.json"]));
    assert!(
        text.contains(&format!("; {total} suppressed ({total} baselined)")),
        "{text}"
    );

    // A baseline that is not one: exit 2 naming it.
    std::fs::write(
        dir.join("bad.json"),
        "{\"version\": 1,\n \"findings\": [\"KH101\"]}",
    )
    .unwrap();
    let out = scan(dir, &["deploy", "--baseline", "bad.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.json:2:21: not a kubeharden baseline: invalid type: string \"KH101\", expected struct Entry\n"),
        "{err}"
    );
}

/// A Dockerfile is known by its path in its repository: the same whether the PATH is
/// typed relative or absolute, names the folder, the file or the repository, or the
/// scan starts in a subfolder; two Dockerfiles of one repository stay apart.
#[test]
fn a_dockerfiles_baseline_entry_holds_whatever_way_its_path_is_typed() {
    let dockerfile = "FROM registry.example.com/base:1.0\nRUN make\n";
    let repo = tree(&[
        ("a/Dockerfile", dockerfile),
        (
            "b/Dockerfile",
            "FROM registry.example.com/other:2.0\nUSER root\n",
        ),
        (".git/HEAD", "ref: refs/heads/main\n"),
    ]);
    let dir = repo.path();
    let select = ["--select", "KH140", "--no-config"];
    let mut args = vec!["a", "--write-baseline", "b.json"];
    args.extend(select);
    assert_eq!(scan(dir, &args).status.code(), Some(0));
    let absolute = dir.join("a").display().to_string();
    for path in [absolute.as_str(), "a/Dockerfile", "./a"] {
        let mut args = vec![path, "--baseline", "b.json"];
        args.extend(select);
        let out = scan(dir, &args);
        assert_eq!(out.status.code(), Some(0), "{path}: {}", stdout(&out));
    }
    // From a subfolder, named by the file alone.
    let baseline = dir.join("b.json").display().to_string();
    let mut args = vec!["Dockerfile", "--baseline", baseline.as_str()];
    args.extend(select);
    assert_eq!(scan(&dir.join("a"), &args).status.code(), Some(0));
    // Another Dockerfile is its own, named alone too.
    let mut args = vec!["b/Dockerfile", "--baseline", "b.json"];
    args.extend(select);
    assert_eq!(scan(dir, &args).status.code(), Some(1));
    let mut args = vec![".", "--write-baseline", "all.json"];
    args.extend(select);
    assert_eq!(scan(dir, &args).status.code(), Some(0));
    let written = std::fs::read_to_string(dir.join("all.json")).unwrap();
    assert!(written.contains("//a/Dockerfile|"), "{written}");
    assert!(written.contains("//b/Dockerfile|"), "{written}");
}

/// A severity override applies before findings merge: a merged finding is as grave as
/// the gravest problem it stands for, as overridden, so `--fail-on` gives the same exit
/// code merged or not.
#[test]
fn severity_overrides_apply_to_what_a_merged_finding_stands_for() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers:\n  - name: c\n    image: r.io/x:1\n    securityContext: {privileged: true, runAsUser: 0}\n";
    for (config, select, fail_on) in [
        // KH101 lowered: the privilege escalation it stands for is still high.
        ("severity:\n  KH101: info\n", "KH101,KH121,KH125", "medium"),
        // KH122 raised: the KH123 finding that stands for it is critical too.
        ("severity:\n  KH122: critical\n", "KH122,KH123", "critical"),
    ] {
        let repo = tree(&[(".kubeharden.yaml", config), ("p.yaml", pod)]);
        let codes: Vec<Option<i32>> = [&[][..], &["--no-merge"][..]]
            .iter()
            .map(|extra| {
                let mut args = vec!["p.yaml", "--select", select, "--fail-on", fail_on];
                args.extend_from_slice(extra);
                scan(repo.path(), &args).status.code()
            })
            .collect();
        assert_eq!(codes, [Some(1), Some(1)], "{config}");
    }
}

/// A merged finding in the baseline stands for the problems it merged: when part of it
/// is fixed (privileged and root removed) and those show on their own, they are not
/// new. A problem of another container is.
#[test]
fn fixing_part_of_a_merged_finding_shows_nothing_new() {
    let pod = |sc: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: a}}\nspec:\n  containers:\n  - name: c\n    image: r.io/x:1\n    securityContext: {{{sc}}}\n")
    };
    let repo = tree(&[("p.yaml", &pod("privileged: true, runAsUser: 0"))]);
    let dir = repo.path();
    let select = ["--select", "KH101,KH121,KH122,KH123,KH125", "--no-config"];
    let mut args = vec!["p.yaml", "--write-baseline", "b.json"];
    args.extend(select);
    assert_eq!(scan(dir, &args).status.code(), Some(0));
    std::fs::write(dir.join("p.yaml"), pod("runAsUser: 1000")).unwrap();
    let mut args = vec!["p.yaml", "--baseline", "b.json", "-f", "json"];
    args.extend(select);
    let out = scan(dir, &args);
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(0), "{doc}");
    assert!(!suppressed(&doc).is_empty(), "{doc}");
    // Another container's problems are its own.
    let two = pod("runAsUser: 1000").replace(
        "  - name: c\n",
        "  - {name: d, image: r.io/y:1}\n  - name: c\n",
    );
    std::fs::write(dir.join("p.yaml"), two).unwrap();
    let out = scan(dir, &args);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    let containers: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["container"].as_str().unwrap())
        .collect();
    assert!(containers.iter().all(|c| *c == "d"), "{containers:?}");
}

/// A merged finding the baseline knew is not known whole once it stands for a rule
/// the baseline never held: a NodePort Service made a LoadBalancer (KH540 now stands
/// for KH542), a Deployment that lost its serviceAccountName (KH402 for KH530) and
/// its requests (KH201 for KH202). Merged or not, the same rules are new and the
/// exit code is the same, whichever way the baseline was written.
#[test]
fn a_merged_finding_is_baselined_only_with_every_rule_it_stands_for() {
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  type: NodePort\n  selector: {app: web}\n  ports: [{port: 80}]\n";
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n      serviceAccountName: web\n      containers:\n      - name: web\n        image: registry.example.com/web@sha256:0123\n        resources: {requests: {cpu: 100m, memory: 64Mi}}\n";
    let cases = [
        (
            service,
            service.replace("NodePort", "LoadBalancer"),
            "KH540,KH542",
        ),
        (
            deployment,
            deployment
                .replace("      serviceAccountName: web\n", "")
                .replace(
                    "        resources: {requests: {cpu: 100m, memory: 64Mi}}\n",
                    "",
                ),
            "KH201,KH202,KH402,KH530",
        ),
    ];
    for (before, after, select) in cases {
        for written in [&[][..], &["--no-merge"][..]] {
            let repo = tree(&[("a.yaml", before)]);
            let dir = repo.path();
            let mut args = vec!["a.yaml", "--no-config", "--select", select];
            args.extend_from_slice(written);
            args.extend(["--write-baseline", "b.json"]);
            assert_eq!(scan(dir, &args).status.code(), Some(0));
            std::fs::write(dir.join("a.yaml"), &after).unwrap();
            let new = |extra: &[&str]| {
                let mut args = vec!["a.yaml", "--no-config", "--select", select];
                args.extend(["--baseline", "b.json", "-f", "json"]);
                args.extend_from_slice(extra);
                let out = scan(dir, &args);
                (out.status.code(), json(&out))
            };
            let (merged_code, merged) = new(&[]);
            let (apart_code, apart) = new(&["--no-merge"]);
            assert_eq!(merged_code, Some(1), "{select} {written:?}: {merged}");
            assert_eq!(apart_code, Some(1), "{select} {written:?}: {apart}");
            // The rules a merged finding names as new: those after "but not".
            let left: Vec<String> = merged["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|f| f["message"].as_str()?.split_once("but not "))
                .map(|(_, rules)| rules.to_string())
                .collect();
            for rule in rule_ids(&apart) {
                assert!(
                    left.iter().any(|l| l.contains(rule)),
                    "{select} {written:?}: {rule} new apart, not merged: {merged}"
                );
            }
        }
    }
}

/// A baseline written merged or with `--no-merge` knows the same findings, applied
/// either way. Written apart, it holds each rule on the object and container it found
/// it: a merged finding that took in other containers' or other objects' findings (a
/// pod's runAsUser for its container's runAsNonRoot, a namespace's missing
/// default-deny for each workload's) is known by those entries. Written merged, an
/// entry names the objects its finding took in (`took_in`), each known apart.
/// (KH105's merge rewrites its own path, which a baseline written apart cannot know.)
#[test]
fn a_baseline_knows_the_same_findings_merged_or_apart() {
    let root = root();
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("b.json");
    let args = [
        "scan",
        "examples/insecure",
        "--no-config",
        "--ignore",
        "KH105",
    ];
    for (written, applied) in [(&[][..], "--no-merge"), (&["--no-merge"][..], "--merge")] {
        let mut write = args.to_vec();
        write.extend_from_slice(written);
        write.extend(["--write-baseline", baseline.to_str().unwrap()]);
        assert_eq!(run_in(&root, &write, None).status.code(), Some(0));
        let mut apply = args.to_vec();
        apply.extend(["--baseline", baseline.to_str().unwrap(), "-f", "json"]);
        apply.extend([applied].iter().filter(|a| **a != "--merge"));
        let out = run_in(&root, &apply, None);
        assert_eq!(out.status.code(), Some(0), "{written:?}: {}", json(&out));
    }
}

/// An exception of a rule a merged finding stands for, not of its own (KH202 under
/// KH201): the finding stays for its own rule, and the score counts the accepted
/// rule's checks as accepted, the same as `--no-merge`.
#[test]
fn an_exception_of_a_covered_rule_counts_the_same_merged_and_apart() {
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web@sha256:0123\n";
    let config = "exceptions:\n  - {rules: [KH202], reason: requests set by the platform}\n";
    let repo = tree(&[(".kubeharden.yaml", config), ("d.yaml", deployment)]);
    let run = |extra: &[&str]| {
        let mut args = vec![
            ".",
            "-f",
            "json",
            "--select",
            "KH201,KH202",
            "--report-unused-exceptions",
        ];
        args.extend_from_slice(extra);
        json(&scan(repo.path(), &args))
    };
    let (merged, apart) = (run(&[]), run(&["--no-merge"]));
    assert_eq!(score_of(&merged), score_of(&apart), "{merged}\n{apart}");
    assert_eq!(merged["summary"]["score"]["accepted"], 1, "{merged}");
    assert_eq!(merged["findings"].as_array().unwrap().len(), 1, "{merged}");
    let unused = merged["warnings"].to_string();
    assert!(!unused.contains("exception matched no finding"), "{unused}");
}

/// A report's score as the summary gives it: percent, failed and accepted checks.
fn score_of(doc: &Value) -> (Value, Value, Value) {
    let s = &doc["summary"]["score"];
    (
        s["percent"].clone(),
        s["failed"].clone(),
        s["accepted"].clone(),
    )
}
