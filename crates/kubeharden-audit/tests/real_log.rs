//! An excerpt of a real kube-apiserver v1.37.2 audit log (the test bed's, under
//! deploy/audit-policy.yaml), kept as the server wrote it: every stage, `\u0026` in
//! request URIs, `\"` in messages and bodies, failed logins logged only at
//! `ResponseStarted`, watches still open. The parser is tested on real lines even
//! where the test bed cannot run.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;

use kubeharden_audit::read::{for_each_event, Input, MAX_LISTED};

fn excerpt() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/apiserver-v1.37.2.log")
}

/// (auditID, stage, code, requestURI) of an event the reader hands on.
type Seen = (String, String, u16, String);

fn events(path: PathBuf) -> (Vec<Seen>, u64) {
    let mut seen = Vec::new();
    let malformed = for_each_event(&Input::File(path), false, &mut |e, _| {
        seen.push((
            e.audit_id.to_string(),
            e.stage.to_string(),
            e.code(),
            e.request_uri().to_string(),
        ));
    })
    .unwrap();
    (seen, malformed.total())
}

#[test]
fn every_real_line_parses_and_each_request_counts_once() {
    let text = std::fs::read_to_string(excerpt()).unwrap();
    let mut stages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        stages
            .entry(v["auditID"].as_str().unwrap().into())
            .or_default()
            .insert(v["stage"].as_str().unwrap().into());
    }
    let all: BTreeSet<&str> = stages.values().flatten().map(String::as_str).collect();
    assert_eq!(
        all,
        BTreeSet::from(["RequestReceived", "ResponseComplete", "ResponseStarted"])
    );

    let (seen, malformed) = events(excerpt());
    assert_eq!(malformed, 0);
    let ids: BTreeSet<&str> = seen.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        (seen.len(), ids.len()),
        (stages.len(), stages.len()),
        "{seen:#?}"
    );
    assert!(seen.iter().all(|s| s.1 != "RequestReceived"));
}

#[test]
fn failed_logins_exec_and_watches_are_seen_where_the_server_logs_them() {
    let (seen, _) = events(excerpt());
    let at = |pred: &dyn Fn(&Seen) -> bool| {
        seen.iter()
            .filter(|s| pred(s))
            .map(|s| (s.1.as_str(), s.2))
            .collect::<Vec<_>>()
    };
    assert_eq!(at(&|s| s.2 == 401), [("ResponseStarted", 401); 3]);
    // An exec on a pod that never runs: 400, seen once, with `&` decoded.
    let exec = at(&|s| s.3.contains("/exec?"));
    assert_eq!(exec, [("ResponseStarted", 400)]);
    assert!(seen
        .iter()
        .any(|s| s.3.contains("/exec?command=sh&command=-c")));
    // A watch that ended and one still open both count once, when they started.
    assert_eq!(
        at(&|s| s.3.contains("watch=true")),
        [("ResponseStarted", 200); 2]
    );
}

#[test]
fn malformed_lines_are_counted_beyond_the_first_few() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.log");
    let mut file = std::fs::File::create(&path).unwrap();
    let real = std::fs::read_to_string(excerpt()).unwrap();
    for _ in 0..1000 {
        writeln!(file, "kube-apiserver: not json").unwrap();
    }
    file.write_all(real.as_bytes()).unwrap();
    drop(file);
    let mut count = 0;
    let malformed = for_each_event(&Input::File(path), false, &mut |_, _| count += 1).unwrap();
    assert_eq!(
        (malformed.listed.len(), malformed.more),
        (MAX_LISTED, 1000 - MAX_LISTED as u64)
    );
    assert_eq!(malformed.listed[0].line, 1);
    assert_eq!(malformed.first_unlisted, Some(MAX_LISTED as u64 + 1));
    assert_eq!(count, 17);
}
