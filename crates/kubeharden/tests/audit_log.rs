//! `kubeharden audit-log` end to end: formats, gzip, EventList, stdin, policy blind
//! spots, deny lists and malformed lines.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{json, root, run_in};

/// Runs `kubeharden audit-log ARGS` in the repository root.
fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let args: Vec<&str> = ["audit-log"].iter().chain(args).copied().collect();
    run_in(&root(), &args, stdin)
}

const LOG: &str = "examples/audit/audit.log";

#[test]
fn alerts_carry_subject_addresses_window_count_and_audit_ids() {
    let out = run(
        &[
            LOG,
            "--deny-list",
            "examples/audit/deny-list.txt",
            "--cluster-cidr",
            "10.244.0.0/16",
            "-f",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    let findings = doc["findings"].as_array().unwrap();
    let brute = findings.iter().find(|f| f["rule_id"] == "KH801").unwrap();
    assert_eq!(brute["alert"]["subject"], "203.0.113.9");
    assert_eq!(brute["alert"]["count"], 12);
    assert_eq!(brute["alert"]["source_ips"][0], "203.0.113.9");
    assert!(brute["alert"]["first_seen"]
        .as_str()
        .unwrap()
        .starts_with("2026-11-27T"));
    assert!(!brute["alert"]["audit_ids"].as_array().unwrap().is_empty());
    assert_eq!(brute["location"]["file"], LOG);
    let ids: std::collections::BTreeSet<&str> = findings
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 18, "{ids:?}");
    assert_eq!(doc["summary"]["objects"], 454);
}

#[test]
fn policy_blind_spots_are_reported() {
    let doc = json(&run(
        &[
            LOG,
            "--policy",
            "examples/audit/policy.yaml",
            "-f",
            "json",
            "--fail-on",
            "none",
        ],
        None,
    ));
    let blind = &doc["summary"]["skipped_checks"][0];
    assert_eq!(blind["scope"], "audit policy examples/audit/policy.yaml");
    let rules: Vec<&str> = blind["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"KH805") && rules.contains(&"KH804"),
        "{rules:?}"
    );
    assert!(blind["reason"]
        .as_str()
        .unwrap()
        .contains("exec into pods logged at None"));
}

#[test]
fn gzip_eventlist_and_stdin_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(LOG)).unwrap();
    let gz = dir.path().join("audit.log.1.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap();
    let from_gz = json(&run(
        &[gz.to_str().unwrap(), "-f", "json", "--select", "KH805"],
        None,
    ));
    assert_eq!(from_gz["findings"].as_array().unwrap().len(), 2);

    let items: Vec<&str> = text.lines().collect();
    let list = format!("{{\n  \"kind\": \"EventList\",\n  \"apiVersion\": \"audit.k8s.io/v1\",\n  \"items\": [\n{}\n  ]\n}}\n", items.join(",\n"));
    let list_path = dir.path().join("events.json");
    std::fs::write(&list_path, list).unwrap();
    let from_list = json(&run(
        &[
            list_path.to_str().unwrap(),
            "-f",
            "json",
            "--select",
            "KH805",
        ],
        None,
    ));
    assert_eq!(from_list["findings"].as_array().unwrap().len(), 2);

    let from_stdin = json(&run(
        &["-", "-f", "json", "--select", "KH805"],
        Some(text.as_bytes()),
    ));
    assert_eq!(from_stdin["findings"][0]["location"]["file"], "<stdin>");
}

#[test]
fn malformed_lines_are_reported_and_the_rest_analysed() {
    let text = std::fs::read_to_string(root().join(LOG)).unwrap();
    let broken = format!(
        "{}\nthis is not json\n{{\"kind\": \"Event\"\n",
        text.trim_end()
    );
    let out = run(
        &["-", "-f", "json", "--select", "KH805"],
        Some(broken.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(2));
    let doc = json(&out);
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["line"], 455);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:455"));
}

#[test]
fn many_malformed_lines_give_a_capped_summary() {
    let text = std::fs::read_to_string(root().join(LOG)).unwrap();
    let garbage = "kube-apiserver: not json\n".repeat(5000);
    let input = format!("{garbage}{text}");
    let out = run(
        &["-", "-f", "json", "--select", "KH805"],
        Some(input.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(2));
    let doc = json(&out);
    let errors = doc["errors"].as_array().unwrap();
    // Twenty lines listed, then one error that counts the rest from line 21 on.
    assert_eq!(errors.len(), 21);
    assert_eq!(
        (errors[0]["line"].as_u64(), errors[20]["line"].as_u64()),
        (Some(1), Some(21))
    );
    let summary = errors[20]["message"].as_str().unwrap();
    assert!(summary.starts_with("4980 more lines"), "{summary}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 21, "{stderr}");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 2);
}

#[test]
fn junit_and_text() {
    let junit = run(&[LOG, "-f", "junit", "--select", "KH805"], None);
    let xml = String::from_utf8(junit.stdout).unwrap();
    assert!(xml.contains("<testsuite name=\"KH805") && xml.contains("<failure"));
    let text = String::from_utf8(run(&[LOG, "--select", "KH818"], None).stdout).unwrap();
    assert!(
        text.contains("KH818") && text.contains("zed from 192.168.30.3"),
        "{text}"
    );
}

#[test]
fn follow_mode_survives_rotation() {
    use std::io::BufRead;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    let text = std::fs::read_to_string(root().join(LOG)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let exec_line = lines
        .iter()
        .find(|l| l.contains("\"subresource\":\"exec\"") && l.contains("alice"))
        .unwrap()
        .to_string();
    let chain_exec = lines
        .iter()
        .find(|l| l.contains("\"subresource\":\"exec\"") && l.contains("zed"))
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    std::fs::write(&path, format!("{}\n", lines[0])).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
        .args(["audit-log", "--follow", "--select", "KH805"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let wait_for = |needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
                if line.contains(needle) {
                    return true;
                }
            }
        }
        false
    };
    // The file grows: the new exec is reported.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(format!("{exec_line}\n").as_bytes())
        .unwrap();
    assert!(wait_for("ALERT KH805 alice"), "appended event not seen");
    // The file is rotated: renamed away and replaced.
    std::fs::rename(&path, dir.path().join("audit.log.1")).unwrap();
    std::fs::write(&path, format!("{chain_exec}\n")).unwrap();
    assert!(wait_for("ALERT KH805 zed"), "event after rotation not seen");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `-j` sets the parsing threads; the report is the same whatever the count, since the
/// detectors see events in log order.
#[test]
fn threads_do_not_change_the_report() {
    let report = |threads: &str| {
        let out = common::run_in(
            &common::root(),
            &[
                "audit-log",
                "examples/audit/audit.log",
                "-j",
                threads,
                "--format",
                "json",
            ],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        common::json(&out)
    };
    let one = report("1");
    assert!(!one["findings"].as_array().unwrap().is_empty());
    assert_eq!(one["findings"], report("2")["findings"]);
}

/// `--exec-allowed` takes names and `*` globs: the users it names are not reported for
/// exec, and everyone else still is.
#[test]
fn exec_allow_list_takes_names_and_globs() {
    let exec_subjects = |extra: &[&str]| {
        let mut args = vec![
            "audit-log",
            "examples/audit/audit.log",
            "--select",
            "KH805",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = common::run_in(&common::root(), &args, None);
        let doc = common::json(&out);
        let mut subjects: Vec<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["alert"]["subject"].as_str().unwrap().to_string())
            .collect();
        subjects.sort();
        subjects
    };
    assert_eq!(exec_subjects(&[]), ["alice", "zed"]);
    assert_eq!(exec_subjects(&["--exec-allowed", "ali*"]), ["zed"]);
    assert_eq!(
        exec_subjects(&["--exec-allowed", "zed", "--exec-allowed", "alice"]),
        Vec::<String>::new()
    );
    assert_eq!(exec_subjects(&["--exec-allowed", "al"]), ["alice", "zed"]);
}
