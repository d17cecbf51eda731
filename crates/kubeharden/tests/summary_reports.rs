//! The summary views and the compliance score (docs/score.md) in every format: text
//! (`--summary`), JSON, Markdown and HTML show the same numbers, for `scan` and
//! `node`; the score follows its formula from the per-rule counts; hostile names stay
//! text; and the HTML page, rendered by headless Chromium, shows the score, the
//! sections and the findings, and its search filters them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::root;
use serde_json::Value;

fn kubeharden(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    serde_json::from_str(&kubeharden(&all).1).unwrap()
}

const INSECURE: &[&str] = &["scan", "examples/insecure"];
const NODE: &[&str] = &[
    "node",
    "--root",
    "crates/kubeharden/tests/nodes/kubeadm-control-plane",
];

/// The score the formula gives for some per-rule entries, from their severities.
fn formula(rules: &[&Value]) -> Option<f64> {
    let weight = |sev: &str| match sev {
        "critical" => 8,
        "high" => 4,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    };
    let (mut all, mut passed) = (0u64, 0u64);
    for r in rules {
        let w = weight(r["severity"].as_str().unwrap());
        all += w * r["checks"].as_u64().unwrap();
        passed += w * r["passed"].as_u64().unwrap();
    }
    (all > 0).then(|| (passed as f64 * 1000.0 / all as f64).round() / 10.0)
}

#[test]
fn the_score_follows_its_formula_per_section_and_overall() {
    for args in [INSECURE, NODE] {
        let doc = json(args);
        let summary = &doc["summary"];
        let per_rule: Vec<&Value> = summary["per_rule"].as_array().unwrap().iter().collect();
        assert!(!per_rule.is_empty(), "{args:?}");
        for r in &per_rule {
            let (checks, passed, failed) = (
                r["checks"].as_u64().unwrap(),
                r["passed"].as_u64().unwrap(),
                r["failed"].as_u64().unwrap(),
            );
            assert_eq!(checks, passed + failed, "{r}");
            if r["findings"].as_u64().unwrap() > 0 {
                assert!(failed > 0, "a rule with findings failed no check: {r}");
            }
        }
        let overall = summary["score"]["percent"].as_f64();
        assert_eq!(overall, formula(&per_rule), "{args:?}");
        assert!(summary["score"]["checks"].as_u64().unwrap() > 0, "{args:?}");
        let sections = summary["sections"].as_array().unwrap();
        assert_eq!(sections.len(), 5);
        let mut findings = 0;
        for s in sections {
            let id = s["id"].as_str().unwrap();
            let mine: Vec<&Value> = per_rule
                .iter()
                .copied()
                .filter(|r| r["section"] == id)
                .collect();
            assert_eq!(s["score"]["percent"].as_f64(), formula(&mine), "{id}");
            findings += s["findings"].as_u64().unwrap();
        }
        assert_eq!(findings, summary["findings"].as_u64().unwrap(), "{args:?}");
    }
}

/// Merging states a problem once; it passes no check. The score and every section's
/// are the same with and without `--no-merge`, and a rule whose finding another's
/// stands for (KH121 under a privileged container's KH101) still fails its check.
#[test]
fn merging_findings_changes_no_score() {
    let merged = json(INSECURE)["summary"].clone();
    let apart = json(&["scan", "examples/insecure", "--no-merge"])["summary"].clone();
    assert!(merged["findings"].as_u64() < apart["findings"].as_u64());
    assert_eq!(merged["score"], apart["score"]);
    assert_eq!(merged["sections"].as_array().unwrap().len(), 5);
    for (m, a) in merged["sections"]
        .as_array()
        .unwrap()
        .iter()
        .zip(apart["sections"].as_array().unwrap())
    {
        assert_eq!(m["score"], a["score"], "{}", m["id"]);
    }
    let kh121 = |summary: &Value| {
        summary["per_rule"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule_id"] == "KH121")
            .map(|r| (r["checks"].clone(), r["passed"].clone()))
    };
    assert_eq!(kh121(&merged), kh121(&apart));
    // A rule that failed only inside another's finding (KH530 in KH402) is listed in
    // the text summary's rule table, marked, not left out as if it passed.
    let (_, text) = kubeharden(&["scan", "examples/insecure", "--summary"]);
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("KH530 default-service-account"))
        .unwrap_or_else(|| panic!("no KH530 row:\n{text}"));
    assert!(row.contains(" 0* "), "{row}");
    assert!(
        text.contains("* its problems are stated by another rule's finding"),
        "{text}"
    );
}

#[test]
fn the_insecure_example_scores_low_and_its_hardened_twin_full() {
    let insecure = json(INSECURE)["summary"]["score"]["percent"]
        .as_f64()
        .unwrap();
    let hardened = json(&["scan", "examples/hardened"])["summary"]["score"].clone();
    assert!(insecure < 80.0, "insecure example scores {insecure}");
    assert_eq!(hardened["percent"].as_f64(), Some(100.0), "{hardened}");
    assert_eq!(hardened["failed"], 0);
}

/// The most severe first; of one severity, the combined risks (an exposed privileged
/// or host-network workload, an escalation path) before a lone critical finding.
#[test]
fn top_risks_are_the_most_severe_first_and_combined_risks_first_within() {
    let doc = json(INSECURE);
    let risks = doc["summary"]["top_risks"].as_array().unwrap();
    assert!(
        risks.iter().any(|r| r["kind"] == "exposed-privileged"),
        "{risks:?}"
    );
    let severity = |s: &str| {
        ["critical", "high", "medium", "low", "info"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };
    let kind = |k: &str| {
        [
            "exposed-privileged",
            "privileged-host-network",
            "escalation-path",
            "critical",
        ]
        .iter()
        .position(|x| *x == k)
        .unwrap()
    };
    let order: Vec<(usize, usize)> = risks
        .iter()
        .map(|r| {
            (
                severity(r["severity"].as_str().unwrap()),
                kind(r["kind"].as_str().unwrap()),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "most urgent first: {risks:#?}");
    assert_eq!(risks[0]["severity"], "critical", "{}", risks[0]);
}

/// A privileged DaemonSet on the host network with `containers` containers.
fn privileged_daemon_set(name: &str, containers: usize) -> String {
    let mut yaml = format!(
        "apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: {name}, namespace: kube-system}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      hostNetwork: true
      containers:
"
    );
    for i in 0..containers {
        yaml.push_str(&format!(
            "      - {{name: c{i}, image: registry.example.com/a@sha256:0123, securityContext: {{privileged: true}}}}\n"
        ));
    }
    yaml
}

#[test]
fn top_risks_are_one_per_object_and_problem() {
    // One DaemonSet of three privileged containers, defined in a base and an overlay;
    // another of one container.
    let dir = tempfile::tempdir().unwrap();
    for variant in ["base", "overlay"] {
        std::fs::create_dir(dir.path().join(variant)).unwrap();
        let yaml = privileged_daemon_set("agent", 3);
        std::fs::write(dir.path().join(variant).join("agent.yaml"), yaml).unwrap();
    }
    let other = privileged_daemon_set("other", 1);
    std::fs::write(dir.path().join("other.yaml"), other).unwrap();
    let path = dir.path().to_str().unwrap();
    let doc = json(&["scan", path, "--select", "KH101,KH102"]);
    let risks = doc["summary"]["top_risks"].as_array().unwrap();
    let of = |name: &str| -> Vec<&Value> {
        risks
            .iter()
            .filter(|r| r["rule_id"] == "KH101")
            .filter(|r| {
                r["resource"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/{name}"))
            })
            .collect()
    };
    let agent = of("agent");
    assert_eq!(agent.len(), 1, "{risks:#?}");
    assert_eq!(agent[0]["kind"], "privileged-host-network");
    assert_eq!(
        agent[0]["more"], 5,
        "two more containers, and three in the overlay"
    );
    let other = of("other");
    assert_eq!((other.len(), &other[0]["more"]), (1, &Value::from(0)));
    assert_eq!(doc["summary"]["risks"].as_u64(), Some(risks.len() as u64));
    let (_, text) = kubeharden(&["scan", path, "--select", "KH101,KH102", "--summary"]);
    let top = &text[text.find("Top risks").unwrap()..];
    let top = &top[..top.find("\n\n").unwrap_or(top.len())];
    assert_eq!(
        top.matches("DaemonSet kube-system/agent").count(),
        1,
        "{top}"
    );
    assert_eq!(
        top.matches("and 5 more of this object (other containers or files)")
            .count(),
        1,
        "{top}"
    );
}

#[test]
fn summary_only_prints_the_summary_with_the_same_score() {
    let finding_line = regex::Regex::new(r"(?m)^    \d+:\d+ ").unwrap();
    for args in [INSECURE, NODE] {
        let score = json(args)["summary"]["score"]["percent"].as_f64().unwrap();
        let mut with = args.to_vec();
        with.push("--summary");
        let (code, text) = kubeharden(&with);
        assert_eq!(code, 1, "{args:?}");
        assert!(
            text.contains(&format!("Compliance score {score:.1}%")),
            "{text}"
        );
        for section in ["Pod security", "Network separation", "Overall"] {
            assert!(text.contains(section), "{section} missing:\n{text}");
        }
        let (_, full) = kubeharden(args);
        assert!(full.starts_with(&text[..text.find("\n\n").unwrap()]));
        assert!(
            full.len() > text.len() + 500,
            "--summary printed the findings"
        );
        // No finding line (`    LINE:COL  severity ...`) in the summary alone.
        assert!(finding_line.is_match(&full) && !finding_line.is_match(&text));
    }
}

#[test]
fn markdown_fits_a_pull_request_comment_with_the_same_score() {
    let score = json(INSECURE)["summary"]["score"]["percent"]
        .as_f64()
        .unwrap();
    let (code, md) = kubeharden(&["scan", "examples/insecure", "--format", "markdown"]);
    assert_eq!(code, 1);
    assert!(
        md.starts_with(&format!("## kubeharden: compliance score {score:.1}%")),
        "{md}"
    );
    assert!(md.len() < 65_536, "{} bytes", md.len());
    let opened = md.matches("<details>").count();
    assert_eq!(opened, md.matches("</details>").count());
    let with_findings = json(INSECURE)["summary"]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["findings"].as_u64().unwrap() > 0)
        .count();
    // Each section with findings is collapsed, and so is what was not judged.
    assert!(md.contains("<summary><b>Not judged</b>"), "{md}");
    assert_eq!(opened, with_findings + 1);
    assert!(md.contains("### Top risks"));
    assert!(md.contains("| **Overall** |"));
    // Input errors are listed, not only counted.
    let dir = tempfile::tempdir().unwrap();
    let bad = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: oops\n";
    std::fs::write(dir.path().join("bad.yaml"), bad).unwrap();
    std::fs::write(
        dir.path().join("ok.yaml"),
        bad.replace("containers: oops", "containers: []")
            .replace("name: p", "name: q"),
    )
    .unwrap();
    let path = dir.path().to_str().unwrap();
    let (_, md) = kubeharden(&["scan", path, "--format", "markdown"]);
    assert!(md.contains("<summary><b>Errors</b>: 1 input"), "{md}");
    assert!(
        md.contains("spec.containers: expected a list, found a string"),
        "{md}"
    );
}

/// A manifest whose names and values carry markup, a mention and a script.
const HOSTILE: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: "web<img src=x onerror=alert(1)>"
  namespace: "ns<b id=pwned>@admins"
spec:
  template:
    spec:
      containers:
      - name: "c</td><script>document.title='pwned'</script>"
        image: "evil.example/x:latest|[a](http://e)"
        securityContext: {privileged: true}
"#;

fn hostile_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("evil<i>.yaml"), HOSTILE).unwrap();
    dir
}

/// An accepted finding and an expired exception are shown in Markdown and HTML, as in
/// text and JSON: a report that looks clean says what it accepted and what expired.
#[test]
fn markdown_and_html_show_accepted_findings_and_warnings() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers:\n  - {name: c, image: x, securityContext: {privileged: true}}\n";
    let config = "exceptions:\n  - rules: [KH101]\n    reason: the CNI agent needs it\n  - rules: [KH102]\n    reason: old\n    expires: 2020-01-01\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pod.yaml"), pod).unwrap();
    std::fs::write(dir.path().join("kh.yaml"), config).unwrap();
    let pod_path = dir.path().join("pod.yaml");
    let config_path = dir.path().join("kh.yaml");
    let args = |format| {
        vec![
            "scan",
            pod_path.to_str().unwrap(),
            "--select",
            "KH101",
            "--config",
            config_path.to_str().unwrap(),
            "--format",
            format,
        ]
    };
    let (code, md) = kubeharden(&args("markdown"));
    assert_eq!(code, 0, "{md}");
    assert!(
        md.contains("no findings") && md.contains("1 accepted") && md.contains("1 warning"),
        "{md}"
    );
    assert!(
        md.contains("<b>Accepted</b>: 1 finding") && md.contains("critical KH101 Pod a/p"),
        "{md}"
    );
    assert!(md.contains("the CNI agent needs it"), "{md}");
    assert!(
        md.contains("<b>Warnings</b>: 1") && md.contains("2020-01-01"),
        "{md}"
    );
    let (_, html) = kubeharden(&args("html"));
    assert!(
        html.contains("(1 more accepted)")
            && html.contains("<h2>Accepted (1 finding, not counted)</h2>"),
        "accepted"
    );
    assert!(html.contains("the CNI agent needs it") && html.contains("2020-01-01"));
    // One rule selected: the other sections weigh no check. Their bars say n/a, drawn
    // apart from a 0% bar; the pod-security section's bar shows its score.
    assert_eq!(html.matches(">n/a: no check</text>").count(), 4, "n/a bars");
    assert_eq!(html.matches("class=\"bar-bg na\"").count(), 4);
    assert!(html.contains("class=\"bar-bg good\"/>"), "the scored bar");
}

#[test]
fn markdown_and_html_keep_hostile_input_as_text() {
    let dir = hostile_dir();
    let path = dir.path().to_str().unwrap();
    let (_, md) = kubeharden(&["scan", path, "--format", "markdown"]);
    assert!(md.contains("KH101"), "{md}");
    for raw in ["<img", "<b id", "<script", "@admins", "](http"] {
        assert!(!md.contains(raw), "{raw} unescaped in Markdown:\n{md}");
    }
    let (_, html) = kubeharden(&["scan", path, "--format", "html"]);
    assert!(html.contains("KH101"));
    for raw in ["<img", "<b id", "<i>", "<script>document", "title='pwned'"] {
        assert!(!html.contains(raw), "{raw} unescaped in HTML");
    }
    // Nothing the page would fetch.
    for fetch in ["<link", "<img", "<iframe", "href=\"http", "src=\"http"] {
        assert!(!html.contains(fetch), "{fetch}");
    }
}

#[test]
fn html_findings_show_the_fix_line_and_its_yaml() {
    let example = common::root().join("examples/insecure");
    let (_, html) = kubeharden(&["scan", example.to_str().unwrap(), "--format", "html"]);
    // KH101's row: its line, then its snippet as preformatted YAML.
    let row = html
        .split("<tr class=\"finding\"")
        .find(|row| row.contains("data-rule=\"KH101\""))
        .expect("a KH101 row");
    assert!(
        row.contains("<p>Remove <code>privileged: true</code>."),
        "{row}"
    );
    assert!(
        row.contains("<pre class=\"snippet\"><code>securityContext:\n  privileged: false\n"),
        "{row}"
    );
}

/// Headless Chromium, or `None` once the skip has been reported.
fn chromium() -> Option<PathBuf> {
    kubeharden_testkit::tool("chromium", "the HTML report is not rendered in a browser")
}

/// The DOM of `page` after its script ran, as headless Chromium leaves it.
fn dump_dom(chromium: &Path, url: &str) -> String {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--dump-dom",
            url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn count(dom: &str, needle: &str) -> usize {
    dom.matches(needle).count()
}

/// The number in `<span id="shown-count">N</span>`.
fn shown(dom: &str) -> usize {
    let start = dom.find("id=\"shown-count\">").expect("shown-count") + 17;
    dom[start..start + dom[start..].find('<').unwrap()]
        .parse()
        .unwrap()
}

#[test]
fn html_renders_in_chromium_with_score_sections_findings_and_search() {
    let Some(chromium) = chromium() else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let page = out.path().join("report.html");
    let (code, _) = kubeharden(&[
        "scan",
        "examples/insecure",
        "--format",
        "html",
        "--output",
        page.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let doc = json(INSECURE);
    let summary = &doc["summary"];
    let url = format!("file://{}", page.display());

    let dom = dump_dom(&chromium, &url);
    let score = summary["score"]["percent"].as_f64().unwrap();
    assert!(
        dom.contains(&format!(
            "id=\"overall-score\" data-score=\"{score}\">{score:.1}%"
        )),
        "overall score {score} not shown"
    );
    assert_eq!(count(&dom, "class=\"section-row\""), 5);
    for s in summary["sections"].as_array().unwrap() {
        let row = format!("data-section=\"{}\"><td>", s["id"].as_str().unwrap());
        let at = dom.find(&row).unwrap_or_else(|| panic!("{row}"));
        let cells = &dom[at..at + dom[at..].find("</tr>").unwrap()];
        let percent = s["score"]["percent"]
            .as_f64()
            .map_or("n/a".to_string(), |p| format!("{p:.1}%"));
        assert!(cells.contains(&format!(">{percent}</td>")), "{cells}");
    }
    let findings = summary["findings"].as_u64().unwrap() as usize;
    assert_eq!(count(&dom, "<tr class=\"finding\""), findings);
    assert_eq!(shown(&dom), findings, "all findings shown at first");
    assert!(count(&dom, "<svg") >= 2, "the charts");

    // The search box, filled from the page's address, filters the rows.
    let privileged = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let text = format!(
                "{} {} {} {} {}",
                f["rule_id"], f["rule_name"], f["title"], f["path"], f["message"]
            )
            .to_lowercase();
            text.contains("kh101")
        })
        .count();
    assert!(privileged > 0 && privileged < findings);
    let filtered = dump_dom(&chromium, &format!("{url}#q=KH101"));
    assert_eq!(shown(&filtered), privileged, "search KH101");
    let hidden = regex::Regex::new(r#"<tr class="finding"[^>]*hidden="""#).unwrap();
    assert_eq!(
        count(&filtered, "<tr class=\"finding\""),
        hidden.find_iter(&filtered).count() + privileged
    );
    let by_section = dump_dom(&chromium, &format!("{url}#section=authn-authz"));
    let authn = summary["sections"][2]["findings"].as_u64().unwrap() as usize;
    assert_eq!(shown(&by_section), authn, "section filter");

    // A screenshot, for a look by eye (kept when KUBEHARDEN_SCREENSHOT names a file).
    let shot = std::env::var_os("KUBEHARDEN_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| out.path().join("report.png"));
    let status = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1280,1600",
        ])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(status.status.success());
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "no screenshot");
    assert!(
        png.len() > 20_000,
        "a blank screenshot ({} bytes)",
        png.len()
    );
}

#[test]
fn hostile_html_runs_no_injected_markup_in_chromium() {
    let Some(chromium) = chromium() else {
        return;
    };
    let dir = hostile_dir();
    let page = dir.path().join("report.html");
    kubeharden(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--format",
        "html",
        "-o",
        page.to_str().unwrap(),
    ]);
    let dom = dump_dom(&chromium, &format!("file://{}", page.display()));
    assert!(!dom.contains("id=\"pwned\""), "injected element");
    assert!(!dom.contains("<title>pwned"), "injected script ran");
    assert!(dom.contains("web&lt;img src=x onerror=alert(1)&gt;"));
    assert_eq!(shown(&dom), count(&dom, "<tr class=\"finding\""));
}

#[test]
fn every_reporting_command_takes_html_and_markdown_with_output() {
    let dir = tempfile::tempdir().unwrap();
    let runs: [&[&str]; 3] = [
        INSECURE,
        NODE,
        &[
            "audit-log",
            "examples/audit/audit.log",
            "--deny-list",
            "examples/audit/deny-list.txt",
            "--cluster-cidr",
            "10.244.0.0/16",
        ],
    ];
    for (i, args) in runs.iter().enumerate() {
        for format in ["html", "markdown"] {
            let file = dir.path().join(format!("{i}.{format}"));
            let mut all = args.to_vec();
            all.extend(["--format", format, "--output", file.to_str().unwrap()]);
            let (code, stdout) = kubeharden(&all);
            assert_eq!(code, 1, "{all:?}");
            assert!(stdout.is_empty(), "{all:?} wrote to stdout");
            let written = std::fs::read_to_string(&file).unwrap();
            assert!(written.contains("KH"), "{all:?}");
        }
    }
}

fn per_rule(doc: &Value, id: &str) -> Option<Value> {
    doc["summary"]["per_rule"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == id)
        .cloned()
}

#[test]
fn a_control_plane_a_dump_shows_is_one_node_check_per_rule() {
    let doc = json(&[
        "scan",
        "crates/kubeharden/tests/dumps/control-plane-pod.yaml",
    ]);
    let node_rules: Vec<Value> = doc["summary"]["per_rule"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule_id"].as_str().unwrap().starts_with("KH70"))
        .cloned()
        .collect();
    assert!(node_rules.len() >= 5, "{node_rules:?}");
    for r in &node_rules {
        assert_eq!(r["checks"], 1, "one control-plane node: {r}");
    }
}

#[test]
fn objects_a_controller_in_the_scan_made_make_no_checks_of_their_own() {
    // A Deployment, its ReplicaSet and Pod; a CronJob, its Job and Pod: the four
    // made objects are judged through the two controllers.
    let doc = json(&["scan", "crates/kubeharden/tests/dumps/deploy-rs-po.yaml"]);
    let privileged = per_rule(&doc, "KH101").unwrap();
    assert_eq!(privileged["checks"], 2, "{privileged}");
}

/// An audit log's alerts are no checks: its Markdown has no score, and counts events.
#[test]
fn audit_log_markdown_has_no_score_and_counts_events() {
    let (_, md) = kubeharden(&[
        "audit-log",
        "examples/audit/audit.log",
        "--format",
        "markdown",
    ]);
    assert!(md.starts_with("## kubeharden: audit-log alerts\n"), "{md}");
    assert!(
        !md.contains("compliance score") && md.contains(" audit events from 1 file"),
        "{md}"
    );
}

const AUDIT: &[&str] = &["audit-log", "examples/audit/audit.log"];

fn audit_log(format: &str) -> String {
    let mut all = AUDIT.to_vec();
    all.extend(["--format", format]);
    kubeharden(&all).1
}

/// What an analyst needs of each alert (who, from where, when, how many events and
/// which) is in HTML and Markdown as it is in JSON.
#[test]
fn audit_log_html_and_markdown_show_each_alerts_facts() {
    let doc = json(AUDIT);
    let (md, html) = (audit_log("markdown"), audit_log("html"));
    let alerts: Vec<&Value> = doc["findings"].as_array().unwrap().iter().collect();
    assert!(alerts.len() > 10);
    for f in alerts {
        let a = &f["alert"];
        let count = a["count"].as_u64().unwrap();
        let events = format!(", {count} event{}", if count == 1 { "" } else { "s" });
        let mut facts = vec![a["first_seen"].as_str().unwrap().to_string(), events];
        for list in ["source_ips", "audit_ids"] {
            for v in a[list].as_array().unwrap() {
                facts.push(v.as_str().unwrap().to_string());
            }
        }
        // The subject as each format escapes it (`system:serviceaccount:...` as is).
        let subject = a["subject"].as_str().unwrap();
        if !subject.contains(['_', '@', '<']) {
            facts.push(subject.to_string());
        }
        for fact in &facts {
            assert!(md.contains(fact.as_str()), "{fact} not in Markdown");
            assert!(html.contains(fact.as_str()), "{fact} not in HTML");
        }
    }
}

/// An audit log's alerts are no checks (docs/score.md): no score panel, score table
/// or checks columns stand for a score it does not have, in text, HTML or Markdown.
#[test]
fn audit_log_shows_no_empty_score_in_any_format() {
    let text = audit_log("text");
    assert!(
        !text.contains("Checks") && !text.contains("Passed"),
        "{text}"
    );
    assert!(!text.starts_with("Summary\n\n\n"), "{text}");
    let html = audit_log("html");
    assert!(html.contains("id=\"rules-table\""));
    for gone in ["id=\"score\"", "Compliance score", "<th>Checks</th>", "n/a"] {
        assert!(!html.contains(gone), "{gone} in the audit-log HTML");
    }
    let md = audit_log("markdown");
    assert!(!md.contains("| Score |") && !md.contains("n/a"), "{md}");
    // A scan still has them all.
    let (_, scan) = kubeharden(&["scan", "examples/insecure", "--format", "html"]);
    assert!(scan.contains("id=\"score\"") && scan.contains("<th>Checks</th>"));
}

/// A subject taken from the log is text in HTML and Markdown, not markup.
#[test]
fn audit_log_alert_subjects_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::read_to_string(root().join("examples/audit/audit.log")).unwrap();
    let hostile = log.replace("\"alice\"", "\"<img src=x>|@admins\"");
    let path = dir.path().join("audit.log");
    std::fs::write(&path, hostile).unwrap();
    let path = path.to_str().unwrap();
    let (_, md) = kubeharden(&["audit-log", path, "--format", "markdown"]);
    assert!(
        md.contains("&lt;img src=x&gt;\\|&#64;admins from 192.168.10.7"),
        "{md}"
    );
    assert!(!md.contains("<img") && !md.contains("@admins"), "{md}");
    let (_, html) = kubeharden(&["audit-log", path, "--format", "html"]);
    assert!(html.contains("&lt;img src=x&gt;|@admins from 192.168.10.7"));
    assert!(!html.contains("<img"));
}
