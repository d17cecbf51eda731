//! `kubeharden fix`: the round trip. Fix copies of `examples/insecure` (and of the
//! real-world corpus when `../shared` is there) in place, scan the edited files again
//! and require every fixed finding gone, comments kept and the unsafe cases refused;
//! build the Kustomize patches with the real `kubectl kustomize` and scan the result;
//! and let the test bed's API server take the edited and patched objects
//! (server-side dry run).

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

/// Copies `from` (a folder) into a fresh temporary folder, as `name`.
fn copy_tree(from: &Path, name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(from, &dir.path().join(name));
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

const VALUES: &[&str] = &[
    "--run-as-user",
    "10001",
    "--cpu-request",
    "100m",
    "--memory-request",
    "128Mi",
    "--cpu-limit",
    "500m",
    "--memory-limit",
    "256Mi",
];

/// A finding's identity in JSON: rule, object, container, field.
fn key(f: &Value) -> (String, String, String, String) {
    let r = &f["resource"];
    (
        f["rule_id"].as_str().unwrap().to_string(),
        format!("{}/{}/{}", r["kind"], r["namespace"], r["name"]),
        f["container"].to_string(),
        f["path"].as_str().unwrap().to_string(),
    )
}

fn fixes<'a>(report: &'a Value, verdict: &str) -> Vec<&'a Value> {
    report["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["verdict"] == verdict)
        .collect()
}

/// Runs `fix ARGS` in `dir` with a JSON report; checks the re-scan found no fix that
/// failed and nothing new.
fn fix(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["fix", "--format", "json"];
    all.extend_from_slice(args);
    let out = common::run_in(dir, &all, None);
    let report = common::json(&out);
    assert_eq!(report["not_cleared"], Value::Array(vec![]), "{report:#}");
    assert_eq!(report["introduced"], Value::Array(vec![]), "{report:#}");
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(1),
        "exit {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    report
}

/// The scan's findings of `path` (run in `dir`), as keys.
fn scan_keys(dir: &Path, path: &str) -> BTreeSet<(String, String, String, String)> {
    let out = common::run_in(
        dir,
        &["scan", path, "--format", "json", "--no-config"],
        None,
    );
    common::json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect()
}

fn comment_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .collect()
}

#[test]
fn in_place_fixes_of_the_example_scan_clean_and_keep_the_text() {
    let dir = copy_tree(&common::root().join("examples/insecure"), "app");
    let file = dir.path().join("app/shop.yaml");
    let before = std::fs::read_to_string(&file).unwrap();
    let mut args = vec!["--in-place", "app", "--default-deny"];
    args.extend_from_slice(VALUES);
    let report = fix(dir.path(), &args);
    let after = std::fs::read_to_string(&file).unwrap();
    assert_ne!(before, after);
    assert_eq!(report["written"], serde_json::json!(["app/shop.yaml"]));

    // Every fixed finding is gone from a scan of the written file.
    let fixed = fixes(&report, "fixed");
    assert!(fixed.len() >= 40, "{} fixed", fixed.len());
    let now = scan_keys(dir.path(), "app");
    for f in &fixed {
        assert!(!now.contains(&key(f)), "still there: {f}");
    }
    let rules: BTreeSet<&str> = fixed
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    for rule in [
        "KH121", "KH122", "KH123", "KH124", "KH125", "KH201", "KH202", "KH402", "KH511",
    ] {
        assert!(rules.contains(rule), "{rule} fixed nowhere: {rules:?}");
    }

    // Comments, and every line not edited, are where they were: the edit only adds
    // lines, apart from the values it replaces.
    assert_eq!(
        comment_lines(&before),
        comment_lines(&after)[..comment_lines(&before).len()]
    );
    let kept: Vec<&str> = before
        .lines()
        .filter(|l| !l.contains("runAsUser: 0") && !l.contains("allowPrivilegeEscalation: true"))
        .collect();
    let mut rest = after.lines();
    for line in kept {
        assert!(rest.any(|l| l == line), "line {line:?} lost or moved");
    }

    // What cannot be proved safe is refused, with the reason.
    let refused = fixes(&report, "refused");
    let why = |rule: &str, name: &str| {
        refused
            .iter()
            .find(|f| f["rule_id"] == rule && f["container"] == name)
            .map(|f| f["detail"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{rule} on {name} not refused"))
    };
    assert!(why("KH121", "fetch").contains("privileged"));
    assert!(why("KH132", "web").contains("no writable volume"));
    assert!(why("KH132", "toolbox").contains("no writable volume"));
    // The rest of what remains is what fix does not cover (or refused), and exit 1 says so.
    assert!(report["summary"]["remaining"].as_u64().unwrap() > 0);
}

#[test]
fn without_values_fix_refuses_instead_of_guessing() {
    let dir = copy_tree(&common::root().join("examples/insecure"), "app");
    let report = fix(dir.path(), &["--in-place", "--dry-run", "app"]);
    assert_eq!(report["written"], serde_json::json!([]));
    let refused = fixes(&report, "refused");
    let about = |rule: &str| {
        refused
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .map(|f| f["detail"].as_str().unwrap())
            .collect::<Vec<_>>()
    };
    assert!(
        about("KH201").iter().all(|d| d.contains("does not invent")),
        "{:?}",
        about("KH201")
    );
    assert!(about("KH122").iter().any(|d| d.contains("may run as root")));
    assert!(about("KH122").iter().any(|d| d.contains("runAsUser: 0")));
    // Dropping ALL needs a non-root user; a default deny needs --default-deny where
    // workloads run; a named account with no RBAC in the scan keeps its token.
    assert!(about("KH125").iter().any(|d| d.contains("may run as root")));
    assert!(about("KH511")[0].contains("--default-deny"));
    assert!(about("KH402")[0].contains("no RBAC bindings"));
    // A dry run prints the diff and writes nothing.
    let before =
        std::fs::read_to_string(common::root().join("examples/insecure/shop.yaml")).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app/shop.yaml")).unwrap(),
        before
    );
    let diff = report["diffs"][0]["diff"].as_str().unwrap();
    assert!(
        diff.contains("+        securityContext:\n+          allowPrivilegeEscalation: false"),
        "{diff}"
    );
}

#[test]
fn patches_build_with_kustomize_and_scan_clean() {
    let Some(kubectl) =
        kubeharden_testkit::tool("kubectl", "the patches are not built by kustomize")
    else {
        return;
    };
    let dir = copy_tree(&common::root().join("examples/insecure"), "app");
    let mut args = vec!["app", "--default-deny"];
    args.extend_from_slice(VALUES);
    let report = fix(dir.path(), &args);
    // The sources are untouched; the patches are in the output folder.
    let source = std::fs::read_to_string(dir.path().join("app/shop.yaml")).unwrap();
    assert_eq!(
        source,
        std::fs::read_to_string(common::root().join("examples/insecure/shop.yaml")).unwrap()
    );
    assert!(dir
        .path()
        .join("kubeharden-fixes/kustomization.yaml")
        .is_file());
    let built = std::process::Command::new(kubectl)
        .args([
            "kustomize",
            "--load-restrictor",
            "LoadRestrictionsNone",
            "kubeharden-fixes",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    std::fs::write(dir.path().join("built.yaml"), &built.stdout).unwrap();
    let now = scan_keys(dir.path(), "built.yaml");
    let fixed = fixes(&report, "fixed");
    assert!(fixed.len() >= 40);
    for f in fixed {
        assert!(!now.contains(&key(f)), "still there after kustomize: {f}");
    }
}
