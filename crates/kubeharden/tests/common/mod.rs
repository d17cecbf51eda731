//! What the end-to-end tests share: running the built binary and reading its JSON.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root, where `examples/` lives.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `kubeharden ARGS` in `dir`, without colour, feeding `stdin` when given.
pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kubeharden");
    if let Some(input) = stdin {
        // A run that fails on its arguments exits without reading: a closed pipe here
        // is that, and the test judges the exit code and output.
        match child.stdin.take().unwrap().write_all(input) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other.unwrap(),
        }
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// The JSON report on standard output.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "invalid JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The rule ID of each finding of a JSON report, in report order.
pub fn rule_ids(doc: &serde_json::Value) -> Vec<&str> {
    finding_texts(doc, "/rule_id")
}

/// The text at `pointer` (`/resource/name`) of each finding of a JSON report, in
/// report order.
pub fn finding_texts<'a>(doc: &'a serde_json::Value, pointer: &str) -> Vec<&'a str> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.pointer(pointer).and_then(|v| v.as_str()).unwrap())
        .collect()
}

/// Writes `files` (path, text) under a fresh folder: a repository tree to scan.
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Every YAML file under `dir`, sorted.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
