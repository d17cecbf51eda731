//! Hostile audit logs, built around the real API server excerpt: over-long lines,
//! gzip bombs, oversized EventLists, and follow mode's gzip input, rotation and
//! truncation. Memory stays bounded and every error names the file and line.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use kubeharden_audit::read::{
    read_events, Input, LineError, MalformedLines, ReadError, ReadErrorKind, ReadLimits,
    ReadOptions, MAX_LISTED,
};

fn real_log() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/apiserver-v1.37.2.log");
    std::fs::read_to_string(path).unwrap()
}

/// Requests in the excerpt (each counted once across its stages).
const REQUESTS: usize = 17;

/// (audit IDs seen, malformed lines, error) of reading `input`.
fn read(input: &Input, options: &ReadOptions) -> (Vec<String>, MalformedLines, Option<ReadError>) {
    let mut ids = Vec::new();
    let (malformed, result) = read_events(input, options, &mut |e, _| {
        ids.push(e.audit_id.to_string());
        ControlFlow::Continue(())
    });
    (ids, malformed, result.err())
}

fn small_lines(max_line: usize) -> ReadOptions {
    ReadOptions {
        limits: ReadLimits {
            max_line,
            ..ReadLimits::default()
        },
        ..ReadOptions::default()
    }
}

/// Writes `data` and then `zeros` zero bytes, gzipped, to `path`.
fn gzip(path: &Path, data: &[u8], zeros: usize) {
    let file = std::fs::File::create(path).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::best());
    encoder.write_all(data).unwrap();
    let block = vec![0u8; 1 << 20];
    for _ in 0..zeros >> 20 {
        encoder.write_all(&block).unwrap();
    }
    encoder.finish().unwrap();
}

/// A line longer than the limit is reported where it is, with its length, and the
/// lines after it are read; it is never held whole.
#[test]
fn an_over_long_line_is_skipped_and_located() {
    let real = real_log();
    let lines: Vec<&str> = real.lines().collect();
    let huge = format!(
        r#"{{"kind":"Event","requestObject":"{}"}}"#,
        "A".repeat(300_000)
    );
    let text = format!(
        "{}\n{huge}\n{}\n",
        lines[..10].join("\n"),
        lines[10..].join("\n")
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    std::fs::write(&path, text).unwrap();
    let (ids, malformed, error) = read(&Input::File(path), &small_lines(64 << 10));
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids.len(), REQUESTS, "every real request is still read");
    assert_eq!(malformed.total(), 1);
    let m = &malformed.listed[0];
    assert_eq!(m.line, 11);
    assert!(m.file.ends_with("audit.log"));
    assert_eq!(
        m.why,
        LineError::TooLong {
            len: huge.len() as u64,
            limit: 64 << 10
        }
    );
    let message = m.why.to_string();
    let expected = format!("line of {} bytes", huge.len());
    assert!(
        message.contains(&expected) && message.contains("limit of 65536"),
        "{message}"
    );
}

/// Thousands of over-long lines: the first few are listed, the rest counted.
#[test]
fn many_over_long_lines_give_a_capped_summary() {
    // The real lines are shorter than 8 KiB.
    let long = "x".repeat(10_000);
    let text = format!("{}{}", format!("{long}\n").repeat(5000), real_log());
    let (ids, malformed, error) = read_text(&text, &small_lines(8 << 10));
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids.len(), REQUESTS);
    assert_eq!(malformed.listed.len(), MAX_LISTED);
    assert_eq!(malformed.total(), 5000);
    assert_eq!(malformed.first_unlisted, Some(MAX_LISTED as u64 + 1));
}

/// JSON that is not an audit event (`{}`, another tool's log, a Kubernetes object)
/// is a malformed line naming why, not an event: an unrelated JSON file must not pass
/// for a clean audit log. Real events around it are all read.
#[test]
fn json_that_is_not_an_event_is_malformed_with_why() {
    let not_events = [
        ("{}", "it has no auditID"),
        (r#"{"level":"info","msg":"started"}"#, "it has no auditID"),
        (
            r#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web"}}"#,
            "its kind is \"Pod\"",
        ),
        (
            r#"{"kind":"Event","auditID":"x1","stage":"ResponseComplete"}"#,
            "it has no verb",
        ),
    ];
    let bad: Vec<&str> = not_events.iter().map(|(line, _)| *line).collect();
    let text = format!("{}\n{}", bad.join("\n"), real_log());
    let (ids, malformed, error) = read_text(&text, &ReadOptions::default());
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids.len(), REQUESTS, "every real request is still read");
    assert_eq!(malformed.total(), not_events.len() as u64);
    for (m, (line, why)) in malformed.listed.iter().zip(not_events) {
        let message = m.why.to_string();
        assert!(
            message.starts_with("not an audit event") && message.contains(why),
            "line {line}: {message}"
        );
    }
}

/// The same holds for the items of an `EventList` document: each non-event item is
/// reported at its position, and the real events are read.
#[test]
fn event_list_items_that_are_not_events_are_malformed() {
    let real = real_log();
    let items: Vec<&str> = real.lines().filter(|l| !l.trim().is_empty()).collect();
    let text = format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{{}},{}]}}"#,
        items.join(",")
    );
    let (ids, malformed, error) = read_text(&text, &ReadOptions::default());
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids.len(), REQUESTS);
    assert_eq!(malformed.total(), 1);
    assert_eq!(malformed.listed[0].line, 1);
}

fn read_text(
    text: &str,
    options: &ReadOptions,
) -> (Vec<String>, MalformedLines, Option<ReadError>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("piped.log");
    std::fs::write(&path, text).unwrap();
    read(&Input::File(path), options)
}

/// A gzip bomb (a real line, then 200 MiB of zeros in a 200 KB file) stops with an
/// error naming the file and line once output passes the floor at a ratio no log
/// has: what it expanded to is the bound on the work done, not the 200 MiB.
#[test]
fn a_gzip_bomb_is_an_error_naming_the_file() {
    let real = real_log();
    let first = real
        .lines()
        .find(|l| l.contains("ResponseComplete"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log.1.gz");
    gzip(&path, format!("{first}\n").as_bytes(), 200 << 20);
    assert!(std::fs::metadata(&path).unwrap().len() < 250_000);
    let options = ReadOptions::default();
    let (ids, _, error) = read(&Input::File(path), &options);
    assert_eq!(ids.len(), 1, "the events before the bomb are read");
    let error = error.expect("a gzip bomb is an error");
    assert!(error.file.ends_with("audit.log.1.gz"), "{error}");
    assert_eq!(error.line, Some(2));
    let ReadErrorKind::GzipBomb(bomb) = error.kind else {
        panic!("{error}")
    };
    let limits = ReadLimits::default();
    assert!(bomb.expanded > limits.gzip_floor);
    assert!(bomb.expanded < limits.gzip_floor + (4 << 20), "{bomb:?}");
    assert!(error.to_string().contains("gzip bomb"), "{error}");
}

#[test]
fn an_event_list_over_its_limit_is_an_error() {
    let real = real_log();
    let list = format!(
        "{{\n  \"kind\": \"EventList\",\n  \"items\": [\n{}\n  ]\n}}\n",
        real.lines().collect::<Vec<_>>().join(",\n")
    );
    let options = |max_document| ReadOptions {
        limits: ReadLimits {
            max_document,
            ..ReadLimits::default()
        },
        ..ReadOptions::default()
    };
    let (ids, _, error) = read_text(&list, &options(1 << 20));
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids.len(), REQUESTS);
    let (ids, _, error) = read_text(&list, &options(10_000));
    assert!(ids.is_empty());
    let error = error.unwrap();
    assert!(
        matches!(
            error.kind,
            ReadErrorKind::DocumentTooLarge { limit: 10_000 }
        ),
        "{error}"
    );
}

/// Runs `read_events` in follow mode on another thread; the audit IDs come back as
/// they are read. The reader stops when `stop` says so.
fn follow(path: PathBuf, stop: fn() -> bool) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let options = ReadOptions {
            follow: true,
            stop: Some(stop),
            ..ReadOptions::default()
        };
        let (_, result) = read_events(&Input::File(path), &options, &mut |e, _| {
            let _ = tx.send(e.audit_id.to_string());
            ControlFlow::Continue(())
        });
        result.unwrap();
        let _ = tx.send("<end>".to_string());
    });
    rx
}

fn collect_until_end(rx: &mpsc::Receiver<String>) -> Vec<String> {
    let mut got = Vec::new();
    while let Ok(id) = rx.recv_timeout(Duration::from_secs(20)) {
        if id == "<end>" {
            return got;
        }
        got.push(id);
    }
    panic!("the reader did not end; read so far: {got:?}");
}

fn never() -> bool {
    false
}

/// A gzip file in follow mode is a finished log: read once, to its end. (Its
/// decompressed length, larger than the file, once read as a truncation and the
/// file re-read from the start, forever.)
#[test]
fn a_followed_gzip_file_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log.1.gz");
    gzip(&path, real_log().as_bytes(), 0);
    let got = collect_until_end(&follow(path, never));
    assert_eq!(got.len(), REQUESTS);
}

/// What the file operations below act on, and how far they have gone: `stop` is
/// called while the reader waits at the end of the file, so it can act at a known
/// moment of the reader's loop.
static DIR: Mutex<Option<PathBuf>> = Mutex::new(None);
static STEP: AtomicUsize = AtomicUsize::new(0);
/// Only one follow test acts through `stop` at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn event_line(id: &str) -> String {
    let real = real_log();
    let line = real
        .lines()
        .find(|l| l.contains("ResponseComplete"))
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    line.replace(v["auditID"].as_str().unwrap(), id)
}

fn append(path: &Path, id: &str) {
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    writeln!(file, "{}", event_line(id)).unwrap();
}

/// At its first wait, the log is rotated the way the API server does it (renamed
/// away, a new file made), and then a last line lands in the old file. The old
/// handle is read to its end before the new file: no line is lost.
fn rotate_then_write_old() -> bool {
    let dir = DIR.lock().unwrap().clone().unwrap();
    let (log, old) = (dir.join("audit.log"), dir.join("audit.log.1"));
    match STEP.fetch_add(1, Ordering::SeqCst) {
        0 => {
            let mut handle = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
            std::fs::rename(&log, &old).unwrap();
            std::fs::write(&log, format!("{}\n", event_line("after-rotation"))).unwrap();
            writeln!(handle, "{}", event_line("last-in-old-file")).unwrap();
            false
        }
        _ => true,
    }
}

/// Follows `audit.log` of a new folder, holding `lines` at first, with `stop` acting
/// on it; returns the audit IDs read.
fn follow_acted_on(lines: &[&str], stop: fn() -> bool) -> Vec<String> {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    *DIR.lock().unwrap() = Some(dir.path().to_path_buf());
    STEP.store(0, Ordering::SeqCst);
    let log = dir.path().join("audit.log");
    let text: String = lines.iter().map(|id| event_line(id) + "\n").collect();
    std::fs::write(&log, text).unwrap();
    collect_until_end(&follow(log, stop))
}

#[test]
fn rotation_is_seen_on_the_open_handle_and_the_old_file_read_to_its_end() {
    let got = follow_acted_on(&["first"], rotate_then_write_old);
    assert_eq!(got, ["first", "last-in-old-file", "after-rotation"]);
}

/// Truncated in place (copytruncate), the file is read again from its start through
/// the same handle.
fn truncate_then_write() -> bool {
    let dir = DIR.lock().unwrap().clone().unwrap();
    let log = dir.join("audit.log");
    match STEP.fetch_add(1, Ordering::SeqCst) {
        0 => {
            std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&log)
                .unwrap();
            append(&log, "after-truncation");
            false
        }
        _ => true,
    }
}

#[test]
fn a_truncated_file_is_read_again_from_its_start() {
    let long = "first-long-line-of-the-file-before-it-was-truncated";
    let got = follow_acted_on(&[long, long], truncate_then_write);
    assert_eq!(got.last().map(String::as_str), Some("after-truncation"));
}
