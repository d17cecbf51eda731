//! The project's exceptions file read again when it changes, and its expired
//! exceptions told when read.

use std::sync::Arc;
use std::time::Duration;

use kubeharden_admission::{project, Answer, Config, Decision, Reviewer};

const REVIEW: &str = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},"namespace":"shop","name":"p","operation":"CREATE","userInfo":{"username":"alice"},"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"shop"},"spec":{"containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true}}]}}}}"#;

fn decision(r: &Reviewer) -> Decision {
    match r.answer(REVIEW.as_bytes()) {
        Answer::Review(v) => v.decision,
        Answer::BadRequest(why) => panic!("{why}"),
    }
}

fn exception(expires: &str) -> String {
    format!("exceptions:\n  - rules: [KH101]\n    names: [p]\n    reason: the GPU driver needs it\n    expires: {expires}\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_exceptions_file_applies_and_its_expired_exceptions_are_told() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".kubeharden.yaml");
    std::fs::write(&path, exception("2999-12-31")).unwrap();
    let config = Config::parse(
        "t.yaml",
        "defaults: {enforce: low}\nrules: {select: [KH101]}\n",
    )
    .unwrap();
    let project = kubeharden_exceptions::Config::load(&path).unwrap();
    let today = kubeharden_exceptions::today();
    assert!(project::expired_warnings(&project, today).is_empty());
    let reviewer = Arc::new(
        Reviewer::new(config, None)
            .unwrap()
            .with_project_config(project),
    );
    assert_eq!(decision(&reviewer), Decision::Allowed);

    let (tx, rx) = std::sync::mpsc::channel();
    let log = move |line: String| {
        let _ = tx.send(line);
    };
    tokio::spawn(project::watch(reviewer.clone(), path.clone(), log));
    // The exception has expired since: the file is read again, the warning logged,
    // and the pod refused.
    tokio::time::sleep(Duration::from_millis(100)).await;
    std::fs::write(&path, exception("2020-01-31")).unwrap();
    let mut said = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(10)) {
        said.push(line);
        if said.iter().any(|l| l.contains("expired")) {
            break;
        }
    }
    assert!(said[0].starts_with("exceptions reloaded from "), "{said:?}");
    assert!(
        said[1].ends_with(".kubeharden.yaml:2:5: exception expired on 2020-01-31; it no longer admits what it covered"),
        "{said:?}"
    );
    assert_eq!(decision(&reviewer), Decision::Denied);

    // A version with a mistake is not taken.
    std::fs::write(&path, "exceptions: [oops\n").unwrap();
    let line = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(
        line.starts_with("keeping the current exceptions: "),
        "{line}"
    );
    assert_eq!(decision(&reviewer), Decision::Denied);
    // Said once while the file stays so (it is looked at every 2 s).
    assert!(
        rx.recv_timeout(Duration::from_secs(5)).is_err(),
        "the same mistake told again"
    );
}
