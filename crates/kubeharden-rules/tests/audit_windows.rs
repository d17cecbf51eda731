//! Windows are windows: the detectors that keep state per address or user forget it
//! once their window has passed. The same attack raises an alert when it fits in the
//! window and none when it is spread over days, and however many addresses and users a
//! long log holds, the state held stays what one window holds.

use kubeharden_audit::read::Input;
use kubeharden_audit::synthetic::{failed_login, write_log, Ev, START};
use kubeharden_audit::{analyse, AnalyseOptions, AuditConfig, Detector};
use kubeharden_rules::RuleSet;

const DAY: f64 = 86_400.0;

fn request(time: f64, user: &str, ip: &str, code: u16) -> Ev {
    Ev {
        time,
        user: user.into(),
        groups: vec!["system:authenticated"],
        ip: ip.into(),
        code,
        verb: "get",
        resource: "secrets",
        namespace: Some("shop".into()),
        name: Some("db".into()),
        uri: "/api/v1/namespaces/shop/secrets/db".into(),
        ..Ev::default()
    }
}

/// The alerts' (rule, key) of a run, and its detectors, to look at what they hold.
type Run = (Vec<(String, String)>, Vec<Box<dyn Detector>>);

/// Runs every audit detector over `events` (written as a log).
fn run(events: &[Ev]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    write_log(&path, events).unwrap();
    let mut detectors = RuleSet::all()
        .audit_rules()
        .detectors(&AuditConfig::default());
    let report = analyse(
        &[Input::File(path)],
        &mut detectors,
        &AnalyseOptions::default(),
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let alerts = report
        .alerts
        .iter()
        .map(|a| (a.rule_id.to_string(), a.key.clone()))
        .collect();
    (alerts, detectors)
}

fn spaced(events: Vec<Ev>, step: f64) -> Vec<Ev> {
    events
        .into_iter()
        .enumerate()
        .map(|(i, e)| Ev {
            time: START + i as f64 * step,
            ..e
        })
        .collect()
}

/// Five users failing from one address is password spraying within ten minutes,
/// and nothing when a day lies between each (it was an alert before).
#[test]
fn password_spraying_counts_users_within_the_window_only() {
    let users = ["root", "admin", "ops", "deploy", "backup"];
    let tries: Vec<Ev> = users
        .iter()
        .map(|u| failed_login(0.0, "203.0.113.11", u))
        .collect();
    let spray = ("KH801".to_string(), "spray 203.0.113.11".to_string());
    assert!(run(&spaced(tries.clone(), 60.0)).0.contains(&spray));
    assert!(run(&spaced(tries, DAY)).0.is_empty());
}

/// Each counting detector, its attack compressed into a minute and spread over days.
#[test]
fn spread_out_attacks_raise_nothing() {
    let attacks: [(&str, Vec<Ev>); 4] = [
        (
            "KH801",
            (0..12)
                .map(|_| failed_login(0.0, "203.0.113.9", ""))
                .collect(),
        ),
        (
            "KH803",
            (0..21)
                .map(|_| request(0.0, "mallory", "192.168.20.5", 403))
                .collect(),
        ),
        (
            "KH806",
            (0..50)
                .map(|_| request(0.0, "carol", "192.168.10.9", 200))
                .collect(),
        ),
        (
            "KH816",
            (0..5)
                .map(|i| {
                    let sa = "system:serviceaccount:shop:web";
                    request(0.0, sa, &format!("10.244.0.{i}"), 200)
                })
                .collect(),
        ),
    ];
    for (rule, events) in attacks {
        let quick = run(&spaced(events.clone(), 1.0)).0;
        assert!(quick.iter().any(|(r, _)| r == rule), "{rule}: {quick:?}");
        let slow = run(&spaced(events, DAY)).0;
        assert!(!slow.iter().any(|(r, _)| r == rule), "{rule}: {slow:?}");
    }
}

/// A day of traffic in which every failed login, refusal, Secret read and
/// service-account request comes from a new address or user: what the detectors
/// hold stays near what ten minutes hold, not the 40,000 keys the day had.
#[test]
fn state_older_than_the_window_is_dropped() {
    let n = 40_000;
    let events: Vec<Ev> = (0..n)
        .map(|i| {
            let time = START + i as f64 * DAY / n as f64;
            let ip = format!("203.0.{}.{}", i / 256 % 256, i % 256);
            let user = format!("user-{i}");
            match i % 4 {
                0 => failed_login(time, &ip, &user),
                1 => request(time, &user, "192.168.0.1", 403),
                2 => request(time, &user, "192.168.0.1", 200),
                _ => request(time, &format!("system:serviceaccount:ns:{user}"), &ip, 200),
            }
        })
        .collect();
    let (_, detectors) = run(&events);
    let held: Vec<usize> = detectors.iter().map(|d| d.held()).collect();
    // Ten minutes hold 278 events; a map is swept once it has doubled, from 1,024.
    assert!(held.iter().all(|&h| h <= 2048), "{held:?}");
    assert!(held.iter().filter(|&&h| h > 0).count() >= 5, "{held:?}");
}
