//! Exceptions applied to a scan's report: what each scope covers, the suppression a
//! finding gets, expired and unused exceptions, and inline exceptions.

use std::path::Path;

use jiff::civil::date;
use kubeharden_engine::{scan_text, ScanOptions, ScanReport};
use kubeharden_exceptions::Config;
use kubeharden_findings::SuppressionKind;
use kubeharden_load::WarningKind;
use kubeharden_rules::{RuleSet, Selection};

/// Two privileged Deployments in `shop` and one in `tools`, with labels and a sidecar.
const APPS: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {tier: front}}
spec:
  template:
    spec:
      containers:
      - {name: web, image: r.example.com/web@sha256:1, securityContext: {privileged: true}}
      - {name: proxy, image: r.example.com/proxy@sha256:1, securityContext: {privileged: true}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, labels: {tier: back}}
spec:
  template:
    spec:
      containers:
      - {name: api, image: r.example.com/api@sha256:1, securityContext: {privileged: true}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: tools}
spec:
  template:
    spec:
      containers:
      - {name: agent, image: r.example.com/agent@sha256:1, securityContext: {privileged: true}}
"#;

fn scan(text: &str, keep_labels: bool) -> ScanReport {
    let rules = RuleSet::new(&Selection {
        select: vec!["KH101".into(), "KH906".into()],
        ..Selection::default()
    })
    .unwrap();
    let options = ScanOptions {
        keep_labels,
        ..ScanOptions::default()
    };
    scan_text("apps.yaml", text, &rules, &options)
}

fn config(text: &str) -> Config {
    Config::parse(Path::new(".kubeharden.yaml"), text).unwrap()
}

/// `NAME/CONTAINER` of the findings left, and of those suppressed.
fn split(report: &ScanReport) -> (Vec<String>, Vec<String>) {
    let name = |f: &kubeharden_findings::Finding| {
        format!(
            "{}/{}",
            f.resource.name,
            f.container.as_deref().unwrap_or("")
        )
    };
    let sorted = |mut names: Vec<String>| {
        names.sort();
        names
    };
    (
        sorted(report.findings.iter().map(name).collect()),
        sorted(report.suppressed.iter().map(|s| name(&s.finding)).collect()),
    )
}

fn apply(exceptions: &str, keep_labels: bool) -> (Vec<String>, Vec<String>) {
    let mut report = scan(APPS, keep_labels);
    assert_eq!(report.findings.len(), 4);
    config(exceptions)
        .exceptions
        .apply(&mut report, date(2026, 12, 2), false);
    split(&report)
}

#[test]
fn each_scope_covers_what_it_names() {
    let reason = "\n    reason: accepted";
    let cases: &[(&str, &[&str])] = &[
        (
            "rules: [KH101]",
            &["agent/agent", "api/api", "web/proxy", "web/web"],
        ),
        (
            "rules: [privileged-container]",
            &["agent/agent", "api/api", "web/proxy", "web/web"],
        ),
        ("rules: [KH102]", &[]),
        ("kinds: [daemonset]", &["agent/agent"]),
        ("namespaces: [shop]", &["api/api", "web/proxy", "web/web"]),
        ("namespaces: [\"t*\"]", &["agent/agent"]),
        ("names: [\"w*\"]", &["web/proxy", "web/web"]),
        ("containers: [proxy]", &["web/proxy"]),
        ("labels: {tier: front}", &["web/proxy", "web/web"]),
        ("{namespaces: [shop], names: [api]}", &["api/api"]),
        ("{namespaces: [tools], names: [api]}", &[]),
    ];
    for (scope, covered) in cases {
        let text = if scope.starts_with('{') {
            format!(
                "exceptions:\n  - {}, reason: accepted}}\n",
                &scope[..scope.len() - 1]
            )
        } else {
            format!("exceptions:\n  - {scope}{reason}\n")
        };
        let (_, suppressed) = apply(&text, true);
        assert_eq!(suppressed, *covered, "{scope}");
    }
}

#[test]
fn a_label_selector_needs_the_labels_kept() {
    let (left, suppressed) = apply(
        "exceptions:\n  - {labels: {tier: front}, reason: x}\n",
        false,
    );
    assert!(suppressed.is_empty());
    assert_eq!(left.len(), 4);
}

#[test]
fn a_suppressed_finding_says_what_why_who_and_where() {
    let mut report = scan(APPS, false);
    let text = "# accepted risks\nexceptions:\n  - names: [agent]\n    reason: reads the host\n    owner: platform\n    expires: 2027-01-31\n";
    config(text)
        .exceptions
        .apply(&mut report, date(2026, 12, 2), false);
    assert_eq!(report.suppressed.len(), 1);
    let why = &report.suppressed[0].suppression;
    assert_eq!(why.kind, SuppressionKind::Config);
    assert_eq!(why.reason, "reads the host");
    assert_eq!(why.owner.as_deref(), Some("platform"));
    assert_eq!(why.expires.as_deref(), Some("2027-01-31"));
    assert_eq!(why.source, ".kubeharden.yaml:3");
    assert!(report.warnings.is_empty());
}

#[test]
fn an_expired_exception_stops_applying_and_is_a_warning() {
    let text = "exceptions:\n  - names: [agent]\n    reason: until the new agent ships\n    expires: 2026-12-01\n";
    for (today, applies) in [(date(2026, 12, 1), true), (date(2026, 12, 2), false)] {
        let mut report = scan(APPS, false);
        config(text).exceptions.apply(&mut report, today, false);
        assert_eq!(report.suppressed.len(), usize::from(applies), "{today}");
        assert_eq!(report.findings.len(), 4 - usize::from(applies));
        let warned: Vec<_> = report
            .warnings
            .iter()
            .map(|w| (&w.kind, w.pos.map(|p| p.line)))
            .collect();
        if applies {
            assert!(warned.is_empty());
        } else {
            let expired = WarningKind::ExpiredException {
                expired: "2026-12-01".into(),
            };
            assert_eq!(warned, [(&expired, Some(2))]);
        }
    }
}

#[test]
fn unused_exceptions_are_warned_of_only_when_asked() {
    let text = "exceptions:\n  - names: [agent]\n    reason: used\n  - names: [gone]\n    reason: the app was removed\n";
    for asked in [false, true] {
        let mut report = scan(APPS, false);
        config(text)
            .exceptions
            .apply(&mut report, date(2026, 12, 2), asked);
        let unused: Vec<_> = report
            .warnings
            .iter()
            .filter(|w| w.kind == WarningKind::UnusedException)
            .map(|w| w.pos.unwrap().line)
            .collect();
        assert_eq!(unused, if asked { vec![4] } else { vec![] });
    }
}

#[test]
fn severity_overrides_apply_to_every_finding_of_the_rule() {
    let mut report = scan(APPS, false);
    config("severity: {KH101: low}\n").override_severities(&mut report);
    assert!(report
        .findings
        .iter()
        .all(|f| f.severity == kubeharden_findings::Severity::Low));
}

#[test]
fn inline_exceptions_cover_their_object_and_need_a_reason() {
    let annotated = APPS.replace(
        "metadata: {name: web, namespace: shop, labels: {tier: front}}",
        "metadata:\n  name: web\n  namespace: shop\n  annotations:\n    kubeharden.io/ignore: KH101\n    kubeharden.io/ignore-reason: needs the GPU driver",
    );
    let report = scan(&annotated, false);
    let (left, suppressed) = split(&report);
    assert_eq!(suppressed, ["web/proxy", "web/web"]);
    assert_eq!(left, ["agent/agent", "api/api"]);
    let why = &report.suppressed[0].suppression;
    assert_eq!(why.kind, SuppressionKind::Inline);
    assert_eq!(why.reason, "needs the GPU driver");
    assert_eq!(why.source, "apps.yaml:7");

    // On the pod template, the same.
    let on_template = APPS.replace(
        "  template:\n    spec:\n      containers:\n      - {name: api",
        "  template:\n    metadata:\n      annotations: {kubeharden.io/ignore: privileged-container, kubeharden.io/ignore-reason: legacy}\n    spec:\n      containers:\n      - {name: api",
    );
    assert_eq!(split(&scan(&on_template, false)).1, ["api/api"]);

    // Without a reason it covers nothing, and is itself a finding.
    let no_reason = APPS.replace(
        "metadata: {name: agent, namespace: tools}",
        "metadata: {name: agent, namespace: tools, annotations: {kubeharden.io/ignore: KH101}}",
    );
    let report = scan(&no_reason, false);
    assert!(report.suppressed.is_empty());
    let kh905: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule_id == "KH906")
        .collect();
    assert_eq!(kh905.len(), 1);
    assert_eq!(kh905[0].resource.name, "agent");
    assert!(kh905[0]
        .message
        .contains("without a kubeharden.io/ignore-reason"));
    assert!(
        kh905[0].message.contains("excepts KH101 without"),
        "{}",
        kh905[0].message
    );
    // A prefix that stands for many rules is named as written, and counted.
    let prefix = no_reason.replace("kubeharden.io/ignore: KH101", "kubeharden.io/ignore: KH1");
    let report = scan(&prefix, false);
    let kh906 = report
        .findings
        .iter()
        .find(|f| f.rule_id == "KH906")
        .unwrap();
    let message = &kh906.message;
    assert!(message.contains("excepts KH1 ("), "{message}");
    assert!(message.contains(" rules) without"), "{message}");
    assert!(!message.contains("KH101"), "{message}");
}
