//! The audit-log detectors on a generated log: 200,000 events of everyday traffic
//! with planted attacks (every detector at least once) and near-misses just under
//! each threshold. The alerts must be exactly the planted ones: nothing missed,
//! nothing raised by the benign traffic or the near-misses.

use std::collections::BTreeSet;
use std::io::Write;

use kubeharden_audit::net::Cidr;
use kubeharden_audit::read::Input;
use kubeharden_audit::synthetic::{benign, planted, write_log, START};
use kubeharden_audit::{analyse, AnalyseOptions, AuditConfig};
use kubeharden_rules::{all_rules, Check, RuleSet};

fn config() -> AuditConfig {
    AuditConfig {
        cluster_cidrs: vec![Cidr::parse("10.244.0.0/16").unwrap()],
        deny_list: vec![Cidr::parse("185.220.101.0/24").unwrap()],
        ..AuditConfig::default()
    }
}

#[test]
fn exactly_the_planted_attacks_raise_alerts() {
    let (mut attacks, expected) = planted(START + 60.0);
    attacks.sort_by(|a, b| a.time.total_cmp(&b.time));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut attacks = attacks.into_iter().peekable();
    for (id, ev) in benign(200_000, 7).enumerate() {
        while attacks.peek().is_some_and(|a| a.time <= ev.time) {
            writeln!(
                file,
                "{}",
                attacks.next().unwrap().line(1_000_000 + id as u64)
            )
            .unwrap();
        }
        writeln!(file, "{}", ev.line(id as u64)).unwrap();
    }
    // A malformed line is counted and reported, and the rest is read.
    writeln!(file, "{{not json").unwrap();
    drop(file);

    let rules = RuleSet::all().audit_rules();
    let mut detectors = rules.detectors(&config());
    let report = analyse(
        &[Input::File(path)],
        &mut detectors,
        &AnalyseOptions::default(),
    );
    assert_eq!(report.malformed.len(), 1);
    assert_eq!(report.malformed[0].total(), 1);
    assert_eq!(report.malformed[0].listed[0].line, report.events + 1);

    let got: BTreeSet<(String, String)> = report
        .alerts
        .iter()
        .map(|a| (a.rule_id.to_string(), a.key.clone()))
        .collect();
    let want: BTreeSet<(String, String)> = expected
        .into_iter()
        .map(|(r, k)| (r.to_string(), k))
        .collect();
    let missed: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "missed {missed:?}\nextra {extra:?}"
    );

    // Every detector of the catalog is exercised.
    let detectors: BTreeSet<&str> = all_rules()
        .iter()
        .filter(|r| matches!(r.def.check, Check::Audit(_)))
        .map(|r| r.def.id)
        .collect();
    let alerted: BTreeSet<&str> = report.alerts.iter().map(|a| a.rule_id).collect();
    assert_eq!(detectors, alerted, "a detector has no planted attack");
    eprintln!(
        "{} events, {} alerts, all as planted",
        report.events,
        report.alerts.len()
    );
}

#[test]
fn thresholds_are_configurable() {
    let (attacks, _) = planted(START);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    write_log(&path, &attacks).unwrap();
    let strict = AuditConfig {
        brute_force_failures: 5,
        ..config()
    };
    let rules = RuleSet::all().audit_rules();
    let report = analyse(
        &[Input::File(path)],
        &mut rules.detectors(&strict),
        &AnalyseOptions::default(),
    );
    // With a threshold of 5, the near miss of 9 failures is a brute force too.
    let brute = report
        .alerts
        .iter()
        .find(|a| a.rule_id == "KH801" && a.key == "brute-force 203.0.113.10")
        .expect("the near miss alerts");
    // About the client the failures came from, not the last request's object.
    assert_eq!(
        brute.object,
        Some(("client".to_string(), None, Some("203.0.113.10".to_string())))
    );
}
