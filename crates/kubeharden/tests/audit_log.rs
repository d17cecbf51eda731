//! `kubeharden audit-log` end to end: formats, gzip, EventList, stdin, policy blind
//! spots, deny lists and malformed lines.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{finding_texts, json, root, run_in};

/// Runs `kubeharden audit-log ARGS` in the repository root.
fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let args: Vec<&str> = ["audit-log"].iter().chain(args).copied().collect();
    run_in(&root(), &args, stdin)
}

const LOG: &str = "examples/audit/audit.log";

/// Writes `text` and then `zero_mib` MiB of zeros, gzipped, to `path`.
fn write_gzip(path: &std::path::Path, text: &str, zero_mib: usize) {
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::best(),
    );
    encoder.write_all(text.as_bytes()).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..zero_mib {
        encoder.write_all(&zeros).unwrap();
    }
    encoder.finish().unwrap();
}

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
    write_gzip(&gz, &text, 0);
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

/// Analyses `prefix` and then the log, from standard input, for exec alerts; the
/// input has errors (exit 2); returns the report and standard error.
fn analyse_after(prefix: &str) -> (serde_json::Value, String) {
    let text = std::fs::read_to_string(root().join(LOG)).unwrap();
    let input = format!("{prefix}{text}");
    let out = run(
        &["-", "-f", "json", "--select", "KH805"],
        Some(input.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(2));
    (
        json(&out),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn many_malformed_lines_give_a_capped_summary() {
    let (doc, stderr) = analyse_after(&"kube-apiserver: not json\n".repeat(5000));
    let errors = doc["errors"].as_array().unwrap();
    // Twenty lines listed, then one error that counts the rest from line 21 on.
    assert_eq!(errors.len(), 21);
    assert_eq!(
        (errors[0]["line"].as_u64(), errors[20]["line"].as_u64()),
        (Some(1), Some(21))
    );
    let summary = errors[20]["message"].as_str().unwrap();
    assert!(summary.starts_with("4980 more lines"), "{summary}");
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

/// A `kubeharden audit-log --follow --select KH805 FILE...` run, its output lines
/// arriving on a channel; killed when dropped.
struct Following {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Following {
    fn start(files: &[&std::path::Path]) -> Following {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
            .args(["audit-log", "--follow", "--select", "KH805"])
            .args(files)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        Following { child, lines }
    }

    /// Whether a line containing `needle` comes within ten seconds.
    fn wait_for(&self, needle: &str) -> bool {
        use std::time::{Duration, Instant};
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
                if line.contains(needle) {
                    return true;
                }
            }
        }
        false
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The log's exec events: alice's, then zed's.
fn exec_lines() -> (String, String) {
    let text = std::fs::read_to_string(root().join(LOG)).unwrap();
    let exec_by = |user: &str| {
        text.lines()
            .find(|l| l.contains("\"subresource\":\"exec\"") && l.contains(user))
            .unwrap()
            .to_string()
    };
    (exec_by("alice"), exec_by("zed"))
}

fn first_line() -> String {
    let text = std::fs::read_to_string(root().join(LOG)).unwrap();
    format!("{}\n", text.lines().next().unwrap())
}

fn append_line(path: &std::path::Path, line: &str) {
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(format!("{line}\n").as_bytes())
        .unwrap();
}

/// A change to the followed files, and the alert it must bring.
type Step<'a> = (Box<dyn FnOnce() + 'a>, &'static str);

/// Follows `files`, making each change in turn and waiting for its alert.
fn follow_through(files: &[&std::path::Path], steps: Vec<Step<'_>>) {
    let following = Following::start(files);
    for (change, alert) in steps {
        change();
        assert!(following.wait_for(alert), "{alert} not seen");
    }
}

/// A rotated, gzipped log before the live one: the archive is read to its end (it
/// is neither followed nor taken for a truncated file and read again), then the
/// live log is followed as it grows and across its rotation.
#[test]
fn follow_reads_archives_then_the_live_log_across_rotation() {
    let (exec_line, chain_exec) = exec_lines();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("audit.log.1.gz");
    write_gzip(&archive, &format!("{exec_line}\n"), 0);
    let live = dir.path().join("audit.log");
    std::fs::write(&live, first_line()).unwrap();
    let grow = || append_line(&live, &chain_exec);
    // Rotated: renamed away and replaced.
    let rotate = || {
        std::fs::rename(&live, dir.path().join("audit.log.0")).unwrap();
        let mallory = exec_line.replace("alice", "mallory");
        std::fs::write(&live, format!("{mallory}\n")).unwrap();
    };
    follow_through(
        &[&archive, &live],
        vec![
            (Box::new(|| {}), "ALERT KH805 alice"),
            (Box::new(grow), "ALERT KH805 zed"),
            (Box::new(rotate), "ALERT KH805 mallory"),
        ],
    );
}

/// `audit-log --follow log | head -1`: once the reader of the alerts has gone, the
/// run ends by itself, quietly, with no further alert to write (it used to wait for
/// ever, or panic on the next alert).
#[test]
fn follow_ends_quietly_when_standard_output_closes() {
    use std::io::BufRead;
    use std::time::{Duration, Instant};
    let (exec_line, _) = exec_lines();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    std::fs::write(&path, format!("{exec_line}\n")).unwrap();
    let stderr_path = dir.path().join("stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
        .args(["audit-log", "--follow", "--select", "KH805"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("ALERT KH805 alice"), "{first}");
    drop(stdout);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("still following after its output closed");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert_ne!(status.code(), Some(101), "{stderr}");
}

/// A line longer than the limit (16 MiB) is an error at its line; the rest of the
/// log is analysed.
#[test]
fn an_over_long_line_is_an_error_at_its_line() {
    let huge = format!(
        r#"{{"kind":"Event","requestObject":"{}"}}"#,
        "A".repeat(17 << 20)
    );
    let (doc, _) = analyse_after(&format!("{huge}\n"));
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0]["file"].as_str(), errors[0]["line"].as_u64()),
        (Some("<stdin>"), Some(1))
    );
    let message = errors[0]["message"].as_str().unwrap();
    assert!(message.contains("longer than the limit"), "{message}");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 2);
}

/// A gzip bomb (the log, then 200 MiB of zeros in a 200 KB file) is an error naming
/// the file; the events before it are analysed.
#[test]
fn a_gzip_bomb_is_an_error_naming_the_file() {
    let text = std::fs::read_to_string(root().join(LOG)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("audit.log.2.gz");
    write_gzip(&bomb, &text, 200);
    let out = run(
        &[bomb.to_str().unwrap(), "-f", "json", "--select", "KH805"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let doc = json(&out);
    let error = &doc["errors"][0];
    assert_eq!(error["file"], bomb.to_str().unwrap());
    assert!(
        error["message"].as_str().unwrap().contains("gzip bomb"),
        "{error}"
    );
    assert_eq!(doc["findings"].as_array().unwrap().len(), 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("audit.log.2.gz"), "{stderr}");
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

#[test]
fn a_log_without_events_is_an_error_not_a_clean_pass() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("empty.log", ""), ("blank.log", "\n\n")] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = run(&[path.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(name) && err.contains("no audit event was read"),
            "{name}: {err}"
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("in 0 audit events from 1 file"),
            "{name}"
        );
        // Tolerating errors tolerates no run that judged nothing.
        let out = run(&[path.to_str().unwrap(), "--soft-fail"], None);
        assert_eq!(out.status.code(), Some(2), "{name} --soft-fail");
    }
    let junk = dir.path().join("junk.log");
    std::fs::write(
        &junk,
        "not json
",
    )
    .unwrap();
    let out = run(&[junk.to_str().unwrap(), "--fail-on-errors", "never"], None);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a log of no event, errors tolerated"
    );
    // One event is enough: judged, and clean.
    let one = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces","verb":"list","user":{"username":"alice"},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"namespaces","apiVersion":"v1"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-12-01T10:00:00.000000Z","stageTimestamp":"2026-12-01T10:00:00.001000Z"}"#;
    let path = dir.path().join("one.log");
    std::fs::write(&path, format!("{one}\n")).unwrap();
    let out = run(&[path.to_str().unwrap()], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("in 1 audit event from 1 file"));
}

/// An alert about a collection (`list pods` in kube-system) has no object name:
/// every place that names the object says so, rather than `pods kube-system/`.
#[test]
fn an_alert_without_an_object_name_is_never_shown_with_an_empty_one() {
    let log = root().join("examples/audit/audit.log");
    let log = log.to_str().unwrap();
    let args = [log, "--no-config", "--color", "never", "--show-suppressed"];
    let out = run(&args, None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("pods kube-system/(no name)"), "{text}");
    for empty in ["kube-system/\n", "kube-system/ ", "kube-system/,"] {
        assert!(!text.contains(empty), "{text}");
    }
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("b.json");
    let mut args = vec![log, "--no-config", "--write-baseline"];
    args.push(baseline.to_str().unwrap());
    run(&args, None);
    let written = std::fs::read_to_string(&baseline).unwrap();
    assert!(
        written.contains("\"object\": \"pods (no name)\""),
        "{written}"
    );
    assert!(!written.contains("\"object\": \"pods \""), "{written}");
}

/// A line of a Pod created with `generateName` in `shop` by bob, as the API server
/// logs it: no name in objectRef; at level `RequestResponse` the generated name is
/// in `responseObject`, at level `Request` there is none.
fn generated_pod(id: &str, generated: Option<&str>, spec: &str) -> String {
    let request = format!(
        r#"{{"kind":"Pod","apiVersion":"v1","metadata":{{"generateName":"debug-","namespace":"shop"}},"spec":{spec}}}"#
    );
    let (level, response) = match generated {
        Some(name) => (
            "RequestResponse",
            format!(
                r#","responseObject":{{"kind":"Pod","apiVersion":"v1","metadata":{{"name":"{name}","generateName":"debug-","namespace":"shop","uid":"{id}"}},"spec":{spec}}}"#
            ),
        ),
        None => ("Request", String::new()),
    };
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"{level}","auditID":"{id}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods?fieldManager=kubectl-create","verb":"create","user":{{"username":"bob","groups":["system:authenticated"]}},"sourceIPs":["10.0.0.7"],"userAgent":"kubectl/v1.37.2 (linux/amd64) kubernetes/abc","objectRef":{{"resource":"pods","namespace":"shop","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":201}},"requestObject":{request}{response},"requestReceivedTimestamp":"2026-11-27T10:00:00.000000Z","stageTimestamp":"2026-11-27T10:00:00.020000Z","annotations":{{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}}}"#
    )
}

/// Pods made with `generateName` are named by the name the server gave them (or,
/// with no response logged, their prefix and audit ID): a baseline of bob's first
/// privileged pod does not hide his next one, which shows every dangerous setting.
#[test]
fn a_generated_pod_is_named_and_fingerprinted_apart() {
    let privileged =
        r#"{"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true}}]}"#;
    let host_pid = r#"{"hostPID":true,"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true}}]}"#;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let baseline = dir.path().join("b.json");
    let (log_arg, baseline_arg) = (log.to_str().unwrap(), baseline.to_str().unwrap());
    let first = generated_pod("a1", Some("debug-x7k2p"), privileged);
    std::fs::write(&log, format!("{first}\n")).unwrap();
    let args = [log_arg, "--no-config", "--select", "KH807"];
    let mut write = args.to_vec();
    write.extend(["--write-baseline", baseline_arg]);
    assert_eq!(run(&write, None).status.code(), Some(0));
    let later = [
        first,
        generated_pod("b2", Some("debug-q9m4z"), host_pid),
        generated_pod("c3", None, privileged),
    ];
    std::fs::write(&log, later.join("\n") + "\n").unwrap();
    let mut check = args.to_vec();
    check.extend(["--baseline", baseline_arg, "-f", "json"]);
    let out = run(&check, None);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    let (names, messages) = (
        finding_texts(&doc, "/resource/name"),
        finding_texts(&doc, "/message"),
    );
    assert_eq!(names, ["debug-q9m4z", "debug-(audit c3)"], "{doc}");
    assert!(
        messages[0].contains("pods shop/debug-q9m4z"),
        "{}",
        messages[0]
    );
    assert!(
        messages[0].contains("hostPID") && messages[0].contains("privileged"),
        "{}",
        messages[0]
    );
    assert_eq!(doc["suppressed"].as_array().unwrap().len(), 1, "{doc}");
}
