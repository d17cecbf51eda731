//! The configuration file: a full example read, and every kind of mistake refused with
//! its file, line and column.

use std::path::Path;

use kubeharden_exceptions::{Config, FailLevel};
use kubeharden_findings::{PssLevel, Severity};
use kubeharden_rules::Framework;

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(Path::new("conf/.kubeharden.yaml"), text).map_err(|e| e.to_string())
}

const FULL: &str = r#"# every setting
framework: nsa-cisa
select: [KH1, rbac-wildcard]
ignore: [KH503]
min-severity: low
fail-on: high
pss-target: restricted
severity:
  KH133: info
  privileged-container: medium
exceptions:
  - rules: [KH101]
    kinds: [DaemonSet]
    namespaces: [monitoring]
    names: ["node-exporter*"]
    containers: [exporter]
    labels: {app.kubernetes.io/name: node-exporter}
    reason: reads the host's /proc and /sys
    owner: platform-team
    expires: 2027-06-30
  - namespaces: [kube-system]
    reason: managed by the cloud provider
"#;

#[test]
fn a_full_file_is_read() {
    let config = parse(FULL).unwrap();
    assert_eq!(config.framework, Some(Framework::NsaCisa));
    assert_eq!(config.select, ["KH1", "rbac-wildcard"]);
    assert_eq!(config.ignore, ["KH503"]);
    assert_eq!(config.min_severity, Some(Severity::Low));
    assert_eq!(config.fail_on, Some(FailLevel::At(Severity::High)));
    assert_eq!(config.pss_target, Some(PssLevel::Restricted));
    assert_eq!(
        config.severity,
        [("KH101", Severity::Medium), ("KH133", Severity::Info)]
    );
    let exceptions: Vec<_> = config.exceptions.iter().collect();
    assert_eq!(exceptions.len(), 2);
    assert_eq!(exceptions[0].reason, "reads the host's /proc and /sys");
    assert_eq!(exceptions[0].owner.as_deref(), Some("platform-team"));
    assert_eq!(exceptions[0].expires.unwrap().to_string(), "2027-06-30");
    assert_eq!(exceptions[0].pos.line, 12);
    assert_eq!(exceptions[1].pos.line, 21);
    assert!(config.exceptions.needs_labels());
}

#[test]
fn an_empty_file_sets_nothing() {
    let config = parse("# nothing yet\n").unwrap();
    assert!(config.exceptions.is_empty());
    assert_eq!(config.fail_on, None);
    assert_eq!(
        parse("fail-on: none\n").unwrap().fail_on,
        Some(FailLevel::Never)
    );
}

/// Each mistake, the message it must give (file:line:col: ...).
#[test]
fn mistakes_name_the_file_line_and_column() {
    let cases: &[(&str, &str)] = &[
        (
            "select: [KH101]\nfail_on: high\n",
            "conf/.kubeharden.yaml:2:1: unknown key \"fail_on\"; did you mean \"fail-on\"?",
        ),
        (
            "exceptions:\n  - rules: [KH101]\n    reasn: x\n",
            "conf/.kubeharden.yaml:3:5: exceptions[0]: unknown key \"reasn\"; did you mean \"reason\"?",
        ),
        (
            "select: KH101\n",
            "conf/.kubeharden.yaml:1:9: select: expected a list, found a string",
        ),
        (
            "ignore: [KH101, KH9999]\n",
            "conf/.kubeharden.yaml:1:17: ignore[1]: \"KH9999\" names no rule",
        ),
        (
            "select: [privileged-containr]\n",
            "did you mean \"privileged-container\"?",
        ),
        (
            "severity:\n  KH1O1: low\n",
            "conf/.kubeharden.yaml:2:3: severity.KH1O1: \"KH1O1\" is no rule ID or name",
        ),
        (
            "severity:\n  KH101: severe\n",
            "conf/.kubeharden.yaml:2:10: severity.KH101: unknown severity \"severe\"",
        ),
        (
            "framework: nsa-cisaa\n",
            "conf/.kubeharden.yaml:1:12: framework: unknown value \"nsa-cisaa\" (expected all, nsa-cisa, pss-baseline, pss-restricted); did you mean \"nsa-cisa\"?",
        ),
        (
            "fail-on: hihg\n",
            "conf/.kubeharden.yaml:1:10: fail-on: unknown value \"hihg\" (expected critical, high, medium, low, info, none); did you mean \"high\"?",
        ),
        (
            "min-severity:   hig\n",
            "conf/.kubeharden.yaml:1:17: min-severity: unknown severity \"hig\"",
        ),
        (
            "pss-target: restrictd\n",
            "did you mean \"restricted\"?",
        ),
        (
            "exceptions:\n  - rules: [KH101]\n",
            "conf/.kubeharden.yaml:2:5: exceptions[0]: an exception needs a reason",
        ),
        (
            "exceptions:\n  - rules: [KH101]\n    reason: \"  \"\n",
            "exceptions[0]: an exception needs a reason",
        ),
        (
            "exceptions:\n  - reason: everything\n",
            "conf/.kubeharden.yaml:2:5: exceptions[0]: an exception must say what it covers",
        ),
        (
            "exceptions:\n  - rules: [KH101]\n    reason: x\n    expires: 2027-02-30\n",
            "conf/.kubeharden.yaml:4:5: exceptions[0].expires: \"2027-02-30\": expected a calendar date, as YYYY-MM-DD",
        ),
        (
            "exceptions:\n  - rules: [KH101]\n    reason: x\n    expires: next year\n",
            "exceptions[0].expires: \"next year\": expected a calendar date",
        ),
        (
            "exceptions:\n  - rules: [KH101]\n    reason: x\n    expires: 2027-06-30T00:00:00Z\n",
            "conf/.kubeharden.yaml:4:5: exceptions[0].expires: \"2027-06-30T00:00:00Z\": a time of day is not taken: give the last day it applies, as YYYY-MM-DD",
        ),
        (
            "fail-on: high\nfail-on: low\n",
            "conf/.kubeharden.yaml:2:1: key \"fail-on\" is set twice (first at line 1)",
        ),
        (
            "exceptions:\n  - rules: [KH101]\n    reason: x\n    reason: y\n",
            "conf/.kubeharden.yaml:4:5: key \"reason\" is set twice (first at line 3)",
        ),
        (
            "exceptions:\n  - kinds: [Deploymnet]\n    reason: x\n",
            "conf/.kubeharden.yaml:2:13: exceptions[0].kinds[0]: unknown kind \"Deploymnet\", which no object has; did you mean \"Deployment\"?",
        ),
        (
            "exceptions:\n  - rules: [KH101]\n    reason: x\n    names: [\"web-[\"]\n",
            "conf/.kubeharden.yaml:4:13: exceptions[0].names[0]: not a glob",
        ),
        (
            "exceptions:\n  - labels: {tier: 1}\n    reason: x\n",
            "conf/.kubeharden.yaml:2:20: exceptions[0].labels.tier: expected a string, found an integer",
        ),
        (
            "- select\n",
            "conf/.kubeharden.yaml:1:1: expected a mapping of settings",
        ),
        (
            "select: [KH101\n",
            "conf/.kubeharden.yaml:2:1: not valid YAML",
        ),
        (
            "select: [KH101]\n---\nignore: [KH102]\n",
            "conf/.kubeharden.yaml:3:1: one YAML document expected",
        ),
    ];
    // A custom resource's kind, like no built-in one, is taken as written.
    assert!(parse("exceptions:\n  - kinds: [Certificate, deployment]\n    reason: x\n").is_ok());
    let mut wrong = Vec::new();
    for (text, expected) in cases {
        match parse(text) {
            Ok(_) => wrong.push(format!("{text:?}: accepted")),
            Err(message) if !message.contains(expected) => {
                wrong.push(format!("{text:?}: {message}\n  expected: {expected}"))
            }
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_file_is_found_in_the_scanned_folder_or_above() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("repo/k8s/apps");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("web.yaml"), "kind: Pod\n").unwrap();
    assert_eq!(Config::find(&deep), None);
    // Paths outside the current folder stay absolute.
    assert!(dir.path().is_absolute());
    let config = dir.path().join("repo/.kubeharden.yaml");
    std::fs::write(&config, "select: [KH1]\n").unwrap();
    assert_eq!(Config::find(&deep), Some(config.clone()));
    assert_eq!(Config::find(&deep.join("web.yaml")), Some(config));
    let nearer = dir.path().join("repo/k8s/.kubeharden.yaml");
    std::fs::write(&nearer, "").unwrap();
    assert_eq!(Config::find(&deep), Some(nearer));
}

#[test]
fn an_unreadable_file_is_an_error_naming_it() {
    let error = Config::load(Path::new("/no/such/.kubeharden.yaml")).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("/no/such/.kubeharden.yaml: cannot read"),
        "{error}"
    );
}
