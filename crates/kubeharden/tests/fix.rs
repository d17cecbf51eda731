//! `kubeharden fix`: the round trip. Fix copies of `examples/insecure` (and of the
//! real-world corpus when `../shared` is there) in place, scan the edited files again
//! and require every fixed finding gone, comments kept and the unsafe cases refused;
//! build the Kustomize patches with the real `kubectl kustomize` and scan the result;
//! and let the test bed's API server take the edited and patched objects
//! (server-side dry run).

mod common;

use std::collections::{BTreeMap, BTreeSet};
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

type Key = (String, String, String, String, String);

/// A finding's identity in JSON: rule, file, object, container, field.
fn key(f: &Value) -> Key {
    let r = &f["resource"];
    (
        f["rule_id"].as_str().unwrap().to_string(),
        f["location"]["file"].as_str().unwrap().to_string(),
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

/// The scan's findings of `paths` (run in `dir`, each rule's finding apart), as keys.
fn scan_keys(dir: &Path, paths: &[&str]) -> BTreeSet<Key> {
    let mut args = vec!["scan", "--format", "json", "--no-config", "--no-merge"];
    args.extend_from_slice(paths);
    let out = common::run_in(dir, &args, None);
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
    // With the RBAC beside it, whether a pod uses its token can be judged (KH402).
    copy_dir(
        &common::root().join("examples/rbac"),
        &dir.path().join("app/rbac"),
    );
    let file = dir.path().join("app/shop.yaml");
    let before = std::fs::read_to_string(&file).unwrap();
    let mut args = vec!["--in-place", "app", "--default-deny"];
    args.extend_from_slice(VALUES);
    let report = fix(dir.path(), &args);
    let after = std::fs::read_to_string(&file).unwrap();
    assert_ne!(before, after);
    // The ci namespace's default-deny policies go into the RBAC file, its namespace's.
    assert_eq!(
        report["written"],
        serde_json::json!(["app/rbac/rbac.yaml", "app/shop.yaml"])
    );

    // Every fixed finding is gone from a scan of the written file.
    let fixed = fixes(&report, "fixed");
    assert!(fixed.len() >= 40, "{} fixed", fixed.len());
    let now = scan_keys(dir.path(), &["app"]);
    for f in &fixed {
        assert!(!now.contains(&key(f)), "still there: {f}");
    }
    let rules: BTreeSet<&str> = fixed
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    for rule in [
        "KH121", "KH122", "KH124", "KH125", "KH201", "KH202", "KH402", "KH511",
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
    // api runs as root (the pod's runAsUser: 0) and adds NET_ADMIN: as another user
    // it would not hold it.
    let pod_root = refused.iter().find(|f| f["rule_id"] == "KH123").unwrap();
    let detail = pod_root["detail"].as_str().unwrap();
    assert!(
        detail.contains("container api adds capabilities (NET_ADMIN, SYS_PTRACE)"),
        "{detail}"
    );
    assert!(why("KH121", "api").contains("allowPrivilegeEscalation: true"));
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
    build_fixes(&kubectl, dir.path());
    let now: BTreeSet<_> = scan_keys(dir.path(), &["built.yaml"])
        .into_iter()
        .map(|(rule, _, object, container, path)| (rule, object, container, path))
        .collect();
    let fixed = fixes(&report, "fixed");
    // The example's fixable findings less what is refused (privileged, host sockets,
    // tokens of a namespace whose RBAC the scan lacks): dozens.
    assert!(fixed.len() >= 30, "{}", fixed.len());
    for f in fixed {
        let (rule, _, object, container, path) = key(f);
        assert!(
            !now.contains(&(rule, object, container, path)),
            "still there after kustomize: {f}"
        );
    }
}

/// Containers whose fixes would change what they were declared to do: an explicit
/// `allowPrivilegeEscalation: true`, capabilities a new user would not hold, a
/// privileged container's pointless `drop: [ALL]`, and a read-only root filesystem
/// for a container whose only writable volume is another container's (or read-only),
/// or that writes outside its volumes (its command's pid file, nginx's cache).
const UNSAFE: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: risky, namespace: shop}
spec:
  template:
    spec:
      volumes:
      - {name: cache, emptyDir: {}}
      containers:
      - name: web
        image: nginx:1.25
        securityContext: {allowPrivilegeEscalation: true, runAsUser: 1000}
      - name: sidecar
        image: envoy:1.30
        securityContext: {runAsUser: 1000}
        volumeMounts:
        - {name: cache, mountPath: /tmp}
      - name: pidfile
        image: app:1
        command: [sh, -c, "echo $$ > /var/run/app.pid; exec app"]
        securityContext: {runAsUser: 1000}
        volumeMounts:
        - {name: cache, mountPath: /tmp}
      - name: webcache
        image: docker.io/library/nginx:1.27
        securityContext: {runAsUser: 1000}
        volumeMounts:
        - {name: cache, mountPath: /tmp}
        - {name: cache, mountPath: /usr/share/nginx/html}
      - name: reader
        image: reader:1
        securityContext: {runAsUser: 1000}
        volumeMounts:
        - {name: cache, mountPath: /cache, readOnly: true}
      - name: netadmin
        image: tools:1
        securityContext:
          capabilities: {add: [NET_ADMIN]}
      - name: binder
        image: proxy:1
        securityContext:
          runAsUser: 0
          capabilities: {add: [NET_BIND_SERVICE]}
      - name: priv
        image: priv:1
        securityContext: {privileged: true, runAsUser: 1000}
      - name: rooted
        image: app:1
        securityContext: {runAsUser: 0}
"#;

/// The verdict and detail of `rule`'s fix on `container`.
fn verdict_of(report: &Value, rule: &str, container: &str) -> (String, String) {
    let found = report["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule && f["container"] == container)
        .unwrap_or_else(|| panic!("no {rule} on {container}: {report:#}"));
    let text = |k: &str| found[k].as_str().unwrap().to_string();
    (text("verdict"), text("detail"))
}

/// The lines of container `name` in a patch: from its `- name:` to the next one.
fn container_block<'a>(patch: &'a str, name: &str) -> &'a str {
    let start = patch.find(&format!("- name: {name}\n")).unwrap_or_else(|| {
        panic!("no container {name} in the patch:\n{patch}");
    });
    let rest = &patch[start + 2..];
    &rest[..rest.find("- name: ").unwrap_or(rest.len())]
}

#[test]
fn fix_refuses_what_it_cannot_prove_safe_in_both_modes() {
    for mode in ["--in-place", "--output-dir=fixes"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.yaml"), UNSAFE).unwrap();
        let mut args = vec![mode, "app.yaml"];
        args.extend_from_slice(VALUES);
        let report = fix(dir.path(), &args);
        let refused = |rule: &str, container: &str, why: &str| {
            let (verdict, detail) = verdict_of(&report, rule, container);
            assert_eq!(verdict, "refused", "{mode} {rule} {container}: {detail}");
            assert!(detail.contains(why), "{mode} {rule} {container}: {detail}");
        };
        refused("KH121", "web", "allowPrivilegeEscalation: true");
        refused("KH122", "netadmin", "adds capabilities (NET_ADMIN)");
        refused("KH123", "binder", "adds capabilities (NET_BIND_SERVICE)");
        refused("KH125", "priv", "privileged");
        refused("KH125", "netadmin", "may run as root");
        refused("KH132", "web", "no writable volume");
        refused("KH132", "reader", "no writable volume");
        // A write the spec shows outside the container's volumes: its command's, its
        // image's (nginx's cache).
        refused(
            "KH132",
            "pidfile",
            "it writes /var/run/app.pid (redirect, in command)",
        );
        refused(
            "KH132",
            "webcache",
            "it writes /var/cache/nginx (nginx, in image)",
        );
        assert_eq!(verdict_of(&report, "KH132", "sidecar").0, "fixed");
        assert_eq!(verdict_of(&report, "KH121", "sidecar").0, "fixed");
        assert_eq!(verdict_of(&report, "KH123", "rooted").0, "fixed");

        if mode == "--in-place" {
            // The written file keeps what was refused, and a scan still finds it.
            let text = std::fs::read_to_string(dir.path().join("app.yaml")).unwrap();
            assert!(text.contains("allowPrivilegeEscalation: true"), "{text}");
            assert!(text.contains("runAsUser: 0\n"), "{text}");
            let now = scan_keys(dir.path(), &["app.yaml"]);
            let left =
                |rule: &str, c: &str| now.iter().any(|k| k.0 == rule && k.3 == format!("{c:?}"));
            for (rule, c) in [
                ("KH121", "web"),
                ("KH122", "netadmin"),
                ("KH123", "binder"),
                ("KH125", "priv"),
                ("KH132", "web"),
                ("KH132", "reader"),
            ] {
                assert!(left(rule, c), "{rule} on {c} gone: {text}");
            }
            assert!(!left("KH132", "sidecar"), "{text}");
        } else {
            let patch = report["patches"][0]["text"].as_str().unwrap();
            assert!(
                !container_block(patch, "web").contains("allowPrivilegeEscalation"),
                "{patch}"
            );
            assert!(
                !container_block(patch, "web").contains("readOnlyRootFilesystem"),
                "{patch}"
            );
            assert!(
                !container_block(patch, "reader").contains("readOnlyRootFilesystem"),
                "{patch}"
            );
            assert!(
                container_block(patch, "sidecar").contains("readOnlyRootFilesystem: true"),
                "{patch}"
            );
            assert!(
                !patch.contains("- name: netadmin")
                    || !container_block(patch, "netadmin").contains("runAsUser"),
                "{patch}"
            );
            assert!(
                !container_block(patch, "binder").contains("runAsUser"),
                "{patch}"
            );
            assert!(
                !patch.contains("- name: priv\n")
                    || !container_block(patch, "priv").contains("drop"),
                "{patch}"
            );
        }
    }
}

/// The keys a fix edit may replace or extend on a line of its own; any other line
/// of the source stays as it was.
const EDITED_KEYS: &[&str] = &[
    "allowPrivilegeEscalation",
    "runAsNonRoot",
    "runAsUser",
    "readOnlyRootFilesystem",
    "automountServiceAccountToken",
    "securityContext",
    "resources",
    "limits",
    "requests",
    "drop",
    "type:",
];

/// Checks one written file's diff: every removed line is one the fixes replace or
/// extend (a value, or a flow mapping that gained a key), so comments and all other
/// lines are kept.
fn only_fixed_lines_changed(file: &str, diff: &str) {
    // A last line without a newline shows as removed and added again.
    let added: BTreeSet<&str> = diff
        .lines()
        .filter(|l| l.starts_with('+'))
        .map(|l| &l[1..])
        .collect();
    let removed = diff
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .filter(|l| !added.contains(&l[1..]));
    for line in removed {
        assert!(
            EDITED_KEYS.iter().any(|k| line.contains(k))
                || line.contains('{')
                || line.contains('['),
            "{file}: the edit removed {line:?}"
        );
        assert!(
            !line[1..].trim_start().starts_with('#'),
            "{file}: comment lost: {line}"
        );
    }
}

#[test]
fn in_place_fixes_of_the_real_corpus_scan_clean_and_keep_the_text() {
    let Some(corpus) =
        kubeharden_testkit::shared("corpus/real", "fix is not tried on real manifests")
    else {
        return;
    };
    let dir = copy_tree(&corpus, "real");
    // Each project a PATH, so a cluster of its own, as a user would fix it.
    let mut projects: Vec<String> = std::fs::read_dir(dir.path().join("real"))
        .unwrap()
        .map(|e| format!("real/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    projects.sort();
    let mut args: Vec<&str> = vec!["--in-place", "--fail-on-errors", "never"];
    args.extend(projects.iter().map(String::as_str));
    args.extend_from_slice(VALUES);
    let report = fix(dir.path(), &args);
    let fixed = fixes(&report, "fixed");
    let refused = fixes(&report, "refused");
    eprintln!(
        "corpus: {} fixed, {} refused, {} not fixable, {} remaining, {} files written",
        fixed.len(),
        refused.len(),
        report["summary"]["not_fixable"],
        report["summary"]["remaining"],
        report["written"].as_array().unwrap().len()
    );
    assert!(fixed.len() > 3000, "{} fixed", fixed.len());
    assert!(!refused.is_empty());
    // Each verdict the summary counts is an entry of `fixes`.
    for verdict in ["fixed", "refused", "not_fixable"] {
        assert_eq!(
            fixes(&report, verdict).len() as u64,
            report["summary"][verdict].as_u64().unwrap(),
            "{verdict}"
        );
    }
    // Only the scan's own input errors: no file failed to edit.
    let errors = report["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .all(|e| !e.as_str().unwrap().contains("not edited")),
        "{errors:#?}"
    );

    // A fresh scan of the written files: every fixed finding is gone.
    let paths: Vec<&str> = projects.iter().map(String::as_str).collect();
    let now = scan_keys(dir.path(), &paths);
    for f in &fixed {
        assert!(!now.contains(&key(f)), "still there: {f}");
    }
    // Every written file kept its comments and every line the fixes do not change.
    for d in report["diffs"].as_array().unwrap() {
        only_fixed_lines_changed(d["file"].as_str().unwrap(), d["diff"].as_str().unwrap());
    }
    // Each refusal says why.
    assert!(refused
        .iter()
        .all(|f| !f["detail"].as_str().unwrap().is_empty()));
    api_server_takes_what_it_took(&corpus, dir.path(), &report);
}

/// The test bed's API server takes every object of the written files that it took
/// before the fixes (server-side dry run, in the namespaces they name).
fn api_server_takes_what_it_took(corpus: &Path, fixed: &Path, report: &Value) {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    // A slice of the written files (each apply of hundreds of objects takes minutes).
    let written: Vec<String> = report["written"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .step_by(6)
        .collect();
    let namespaces: BTreeSet<&str> = report["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["resource"]["namespace"].as_str())
        .collect();
    for ns in &namespaces {
        let _ = tb.kubectl("admin", &["create", "namespace", ns]);
    }
    let originals = copy_tree(corpus, "real");
    let before = server_takes(tb, originals.path(), &written);
    let after = server_takes(tb, fixed, &written);
    eprintln!(
        "corpus on the API server: {} objects of the {} edited files taken before the fixes, {} after",
        before.len(),
        written.len(),
        after.len()
    );
    assert!(before.len() > 50, "{}", before.len());
    assert!(
        after.is_superset(&before),
        "refused after the fix: {:?}",
        before.difference(&after)
    );
}

/// `kubectl apply --dry-run=server` of `files` (in `dir`) on the test bed: the
/// objects the server took, as kubectl names them.
fn server_takes(
    tb: &kubeharden_testbed::Testbed,
    dir: &Path,
    files: &[String],
) -> BTreeSet<String> {
    let mut args = vec!["apply", "--dry-run=server"];
    for f in files {
        args.push("-f");
        args.push(f);
    }
    let kubeconfig = tb.kubeconfig.display().to_string();
    let out = std::process::Command::new(tb.bin.join("kubectl"))
        .args(["--kubeconfig", &kubeconfig, "--context", "admin"])
        .args(&args)
        .current_dir(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            l.split(" (server dry run)")
                .next()
                .unwrap()
                .replace(" configured", " created")
        })
        .collect()
}

#[test]
fn the_api_server_takes_the_edited_and_the_patched_objects() {
    let Some(tb) = kubeharden_testbed::testbed() else {
        return;
    };
    let _ = tb.kubectl("admin", &["create", "namespace", "shop"]);
    // In place.
    let dir = copy_tree(&common::root().join("examples/insecure"), "app");
    let file = vec!["app/shop.yaml".to_string()];
    let before = server_takes(tb, dir.path(), &file);
    assert!(before.len() >= 10, "{before:?}");
    let mut args = vec!["--in-place", "app", "--default-deny"];
    args.extend_from_slice(VALUES);
    fix(dir.path(), &args);
    let after = server_takes(tb, dir.path(), &file);
    assert!(
        after.is_superset(&before),
        "refused after the fix: {:?}",
        before.difference(&after)
    );
    assert!(
        after
            .iter()
            .any(|o| o.contains("networkpolicy") && o.contains("kubeharden-default-deny")),
        "{after:?}"
    );

    // Patches, built by the test bed's kubectl.
    let dir = copy_tree(&common::root().join("examples/insecure"), "app");
    let mut args = vec!["app", "--default-deny"];
    args.extend_from_slice(VALUES);
    fix(dir.path(), &args);
    build_fixes(&tb.bin.join("kubectl"), dir.path());
    let patched = server_takes(tb, dir.path(), &["built.yaml".to_string()]);
    assert!(
        patched.is_superset(&before),
        "refused after patching: {:?}",
        before.difference(&patched)
    );
}

/// `kubectl kustomize kubeharden-fixes` in `dir` (the patches reach the sources outside
/// their folder), written to `dir/built.yaml`.
fn build_fixes(kubectl: &Path, dir: &Path) {
    let built = std::process::Command::new(kubectl)
        .args([
            "kustomize",
            "--load-restrictor",
            "LoadRestrictionsNone",
            "kubeharden-fixes",
        ])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    std::fs::write(dir.join("built.yaml"), &built.stdout).unwrap();
}

/// A securityContext shared through a YAML anchor is one mapping for two containers:
/// `--in-place` leaves the file as it was and says why (it once wrote every key twice,
/// which kustomize refuses), and nothing is reported as failing its fix.
#[test]
fn in_place_leaves_a_mapping_an_anchor_shares_and_says_why() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n      containers:\n      - name: one\n        image: registry.example.com/a@sha256:0123\n        securityContext: &sc\n          runAsUser: 1000\n      - name: two\n        image: registry.example.com/b@sha256:0123\n        securityContext: *sc\n";
    let dir = common::tree(&[("app.yaml", text)]);
    let out = common::run_in(
        dir.path(),
        &["fix", "--in-place", "--format", "json", "app.yaml"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let report = common::json(&out);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.yaml")).unwrap(),
        text
    );
    assert_eq!(report["not_cleared"], Value::Array(vec![]), "{report:#}");
    let errors = report["errors"].to_string();
    assert!(
        errors.contains("twice in one mapping, which a YAML anchor (&) shares"),
        "{errors}"
    );
    assert!(fixes(&report, "fixed").is_empty(), "{report:#}");
}

/// The volumes a read-only root filesystem relies on are named, a mount at `/`
/// as `/` (it was an empty name).
#[test]
fn the_volumes_a_read_only_root_relies_on_are_named() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec:\n  securityContext: {runAsUser: 1000}\n  containers:\n  - name: tmp\n    image: ghcr.io/a/b:1\n    volumeMounts: [{name: t, mountPath: /tmp/}]\n  - name: root\n    image: ghcr.io/a/e:1\n    volumeMounts: [{name: t, mountPath: /}]\n  volumes: [{name: t, emptyDir: {}}]\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.yaml"), pod).unwrap();
    let report = fix(
        dir.path(),
        &["--output-dir=fixes", "p.yaml", "--select", "KH132"],
    );
    let (verdict, detail) = verdict_of(&report, "KH132", "tmp");
    assert_eq!(verdict, "fixed");
    assert!(
        detail.contains("(it has writable volumes at /tmp, and"),
        "{detail}"
    );
    let (_, detail) = verdict_of(&report, "KH132", "root");
    assert!(
        detail.contains("(it has writable volumes at /, and"),
        "{detail}"
    );
}

/// Containers that mount an emptyDir at /tmp: each one's name, working directory,
/// command, and why `fix` refuses to make its root filesystem read-only (None: it
/// does).
#[rustfmt::skip]
const COMMAND_WRITES: &[(&str, &str, &str, Option<&str>)] = &[
    ("cp-tmp", "", r#"["cp", "/etc/config/x", "/tmp/x"]"#, None),
    ("curl-tmp", "", r#"["curl", "-o", "/tmp/f", "http://x"]"#, None),
    ("tar-wd", "/tmp/app", r#"["tar", "-xzf", "/tmp/a.tgz"]"#, None),
    ("cd-wget", "", r#"["sh", "-c", "cd /tmp && wget http://x/a && exec app"]"#, None),
    ("cp-app", "", r#"["cp", "/etc/config/x", "/app/x"]"#, Some("it writes /app/x (cp, in command) outside its writable volumes")),
    ("curl-opt", "", r#"["sh", "-c", "curl -fsSLo /opt/file http://x && exec app"]"#, Some("it writes /opt/file (curl, in command) outside")),
    ("sed", "", r#"["sed", "-i", "s/a/b/", "/etc/app.conf"]"#, Some("it writes /etc/app.conf (sed -i, in command) outside")),
    ("untar", "/srv", r#"["tar", "-xzf", "/tmp/a.tgz"]"#, Some("it writes /srv (tar -x, in command) outside")),
    ("wget-here", "", r#"["wget", "http://x/a"]"#, Some("it writes into its working directory (wget, in command)")),
    ("pip", "", r#"["sh", "-c", "pip install requests && exec python app.py"]"#, Some("it runs pip install (in command), which writes its root filesystem")),
    ("home", "", r#"["sh", "-c", "touch $HOME/ready; exec app"]"#, Some("it writes $HOME/ready (touch, in command), a path its spec does not settle")),
    // Commands that xargs and find run, command substitutions, wrappers.
    ("xargs-cp", "", r#"["sh", "-c", "ls /etc/x | xargs cp -t /opt/x"]"#, Some("it writes /opt/x (cp, in command) outside")),
    ("xargs-mv", "", r#"["sh", "-c", "ls | xargs -I{} mv {} /tmp/data"]"#, Some("it writes $(xargs input) (mv, in command), a path its spec does not settle")),
    ("xargs-tmp", "", r#"["sh", "-c", "ls /etc/x | xargs cp -t /tmp/x"]"#, None),
    ("find-exec", "", r#"["sh", "-c", "find / -name x -exec cp {} /opt/y \\;"]"#, Some("it writes /opt/y (cp, in command) outside")),
    ("find-delete", "", r#"["find", "/var/cache/app", "-delete"]"#, Some("it writes /var/cache/app (find -delete, in command) outside")),
    ("find-tmp", "", r#"["find", "/tmp", "-mtime", "+1", "-delete"]"#, None),
    ("subst", "", r#"["sh", "-c", "cp a $(echo /opt/x)"]"#, Some("it writes $(…) (cp, in command), a path its spec does not settle")),
    ("backquote", "", r#"["sh", "-c", "echo `touch /var/x`"]"#, Some("it writes /var/x (touch, in command) outside")),
    ("wrapped", "", r#"["env", "VAR=1", "timeout", "5", "nice", "busybox", "cp", "a", "/opt/x"]"#, Some("it writes /opt/x (cp, in command) outside")),
    // Scripts of the image, which fix cannot read.
    ("script", "", r#"["sh", "/start.sh"]"#, Some("cannot tell what it writes: it runs the script /start.sh (sh, in command)")),
    ("entrypoint", "", r#"["./entrypoint.sh"]"#, Some("cannot tell what it writes: it runs the script ./entrypoint.sh (in command)")),
    ("sourced", "", r#"["bash", "-c", "source /app/env && exec app"]"#, Some("cannot tell what it writes: it runs the script /app/env (source, in command)")),
    // Commands the spec does not fix: cannot tell.
    ("var-cmd", "", r#"["sh", "-c", "CMD=touch; $CMD /etc/x"]"#, Some("cannot tell what it writes: it runs $CMD (in command), a command its spec does not fix")),
    ("subst-cmd", "", r#"["sh", "-c", "$(cat /cfg/cmd)"]"#, Some("cannot tell what it writes: it runs $(…) (in command)")),
    ("stdin-sh", "", r#"["sh", "-c", "curl -fsSL http://x/i | sh -s -- -y"]"#, Some("cannot tell what it writes: it runs a shell reading its standard input (sh, in command)")),
    ("eval", "", r#"["sh", "-c", "eval 'touch /etc/x'"]"#, Some("it writes /etc/x (touch, in command) outside")),
    ("eval-tmp", "", r#"["sh", "-c", "eval 'touch /tmp/x'; exec app"]"#, None),
    // Commands run by others.
    ("su", "", r#"["su", "app", "-c", "touch /etc/x"]"#, Some("it writes /etc/x (touch, in command) outside")),
    ("trap", "", r#"["sh", "-c", "trap 'rm -f /var/run/a.pid' EXIT; exec app"]"#, Some("it writes /var/run/a.pid (rm, in command) outside")),
    ("flock", "", r#"["flock", "/var/lock/a", "app"]"#, Some("it writes /var/lock/a (flock, in command) outside")),
    ("flock-tmp", "", r#"["flock", "/tmp/lock", "-c", "cp a /tmp/b"]"#, None),
    ("script-c", "", r#"["script", "-q", "-c", "touch /opt/x", "/dev/null"]"#, Some("it writes /opt/x (touch, in command) outside")),
    ("watch", "", r#"["watch", "-n", "5", "date > /var/x"]"#, Some("it writes /var/x (redirect, in command) outside")),
    // More writers.
    ("gunzip", "", r#"["gunzip", "/opt/a.gz"]"#, Some("it writes /opt/a.gz (gunzip, in command) outside")),
    ("gunzip-tmp", "", r#"["gunzip", "/tmp/a.gz"]"#, None),
    ("openssl", "", r#"["openssl", "req", "-x509", "-nodes", "-keyout", "/tmp/k", "-out", "/etc/tls/c.pem"]"#, Some("it writes /etc/tls/c.pem (openssl, in command) outside")),
    ("useradd", "", r#"["sh", "-c", "useradd app && exec app"]"#, Some("it writes /etc (useradd, in command) outside")),
    ("mktemp", "", r#"["mktemp", "-d", "-p", "/var/work"]"#, Some("it writes /var/work (mktemp, in command) outside")),
    ("mktemp-tmp", "", r#"["mktemp", "-d"]"#, None),
    ("venv", "", r#"["python3", "-m", "venv", "/opt/venv"]"#, Some("it writes /opt/venv (venv, in command) outside")),
    ("sort-tmp", "", r#"["sort", "-o", "/tmp/s", "/etc/x"]"#, None),
    // HOME as the shell sets it.
    ("home-export", "", r#"["sh", "-c", "export HOME=/etc; touch ~/x"]"#, Some("it writes /etc/x (touch, in command) outside")),
    ("home-tmp", "", r#"["sh", "-c", "export HOME=/tmp/h; mkdir -p ~/x"]"#, None),
    // A local install writes its working directory; a global one the root filesystem.
    ("npm-tmp", "/tmp/app", r#"["sh", "-c", "npm ci --cache /tmp/npm && exec /tmp/app/server"]"#, None),
    // An interpreter's program may write anywhere, as a script of the image may.
    ("node-script", "/tmp/app", r#"["sh", "-c", "exec node app.js"]"#, Some("it runs the script app.js")),
    ("log-flag", "", r#"["/app/server", "--log-file=/var/log/app.log"]"#, Some("it writes /var/log/app.log")),
    ("npm-app", "/app", r#"["sh", "-c", "npm ci --cache /tmp/npm && exec node app.js"]"#, Some("it writes /app (npm ci, in command) outside")),
    ("npm-cache", "/tmp/app", r#"["npm", "ci"]"#, Some("it writes ~/.npm (npm ci, in command), a path its spec does not settle")),
    ("npm-global", "/tmp/app", r#"["npm", "install", "-g", "--cache", "/tmp/c", "pm2"]"#, Some("it runs npm install (in command), which writes its root filesystem")),
];

/// A container whose command writes outside its volumes keeps a writable root
/// filesystem, whichever command writes (`cp`, `curl -o`, `sed -i`, a package
/// manager, a download into the working directory), and the reason names the write;
/// one whose commands write only into its volumes (/tmp, its working directory there)
/// is made read-only.
#[test]
fn a_read_only_root_is_refused_where_a_command_writes_outside_its_volumes() {
    let mut pod = String::from("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec:\n  securityContext: {runAsUser: 1000}\n  containers:\n");
    for (name, dir, command, _) in COMMAND_WRITES {
        pod += &format!("  - name: {name}\n    image: ghcr.io/a/b:1\n    command: {command}\n    volumeMounts: [{{name: t, mountPath: /tmp}}]\n");
        if !dir.is_empty() {
            pod += &format!("    workingDir: {dir}\n");
        }
    }
    pod += "  volumes: [{name: t, emptyDir: {}}]\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.yaml"), &pod).unwrap();
    let report = fix(
        dir.path(),
        &["--output-dir=fixes", "p.yaml", "--select", "KH132"],
    );
    for (name, _, _, why) in COMMAND_WRITES {
        let (verdict, detail) = verdict_of(&report, "KH132", name);
        match why {
            None => assert_eq!(verdict, "fixed", "{name}: {detail}"),
            Some(why) => {
                assert_eq!(verdict, "refused", "{name}: {detail}");
                assert!(detail.contains(why), "{name}: {detail}");
            }
        }
    }
}

/// `fix`'s own output does not break the next run: a scan of the folder lists the
/// patches as not scanned and judges the sources, and `fix` runs again.
#[test]
fn the_patches_fix_wrote_are_listed_not_rendered_by_the_next_scan() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers:\n  - {name: c, image: r.io/x:1, securityContext: {runAsUser: 1000}}\n",
    )
    .unwrap();
    fix(dir.path(), &["."]);
    assert!(dir
        .path()
        .join("kubeharden-fixes/kustomization.yaml")
        .is_file());
    let out = common::run_in(
        dir.path(),
        &["scan", ".", "--no-config", "-f", "json"],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = common::json(&out);
    let files: BTreeSet<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, BTreeSet::from(["app.yaml"]), "{doc}");
    let text = common::run_in(dir.path(), &["scan", ".", "--no-config"], None);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("kubeharden-fixes: kubeharden fix's patches"),
        "{text}"
    );
    let again = fix(dir.path(), &["."]);
    assert!(
        !again["written"].as_array().unwrap().is_empty(),
        "{again:#}"
    );
}

/// `kustomize build` on a folder of fix's output.
fn kustomize_build(kustomize: &Path, dir: &Path) -> std::process::Output {
    std::process::Command::new(kustomize)
        .args(["build", "--load-restrictor", "LoadRestrictionsNone"])
        .arg(dir)
        .output()
        .unwrap()
}

/// Two files defining one object (argo-cd's install.yaml and namespace-install.yaml)
/// make a kustomization kustomize refuses ("already registered id"): fix names the
/// files and the object and writes no kustomization.yaml, and fixing the files apart
/// builds.
#[test]
fn files_that_define_one_object_get_no_kustomization_that_cannot_build() {
    let web = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/a@sha256:0123\n";
    let other =
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: only-here, namespace: shop}\n";
    let dir = common::tree(&[
        ("install.yaml", web),
        ("namespace-install.yaml", &format!("{web}{other}")),
    ]);
    let out = common::run_in(
        dir.path(),
        &[
            "fix",
            "--format",
            "json",
            "--output-dir=fixes",
            "install.yaml",
            "namespace-install.yaml",
        ],
        None,
    );
    let report = common::json(&out);
    let errors = report["errors"].to_string();
    assert!(
        errors.contains("kustomization.yaml not written")
            && errors
                .contains("Deployment shop/web is in both install.yaml and namespace-install.yaml"),
        "{errors}"
    );
    assert!(!errors.contains("only-here"), "{errors}");
    assert!(!dir.path().join("fixes/kustomization.yaml").exists());
    assert!(dir.path().join("fixes/deployment-shop-web.yaml").exists());
    let Some(kustomize) = kubeharden_testkit::tool("kustomize", "the kustomizations are not built")
    else {
        return;
    };
    // Each file apart builds.
    for (file, out_dir) in [("install.yaml", "one"), ("namespace-install.yaml", "two")] {
        let report = fix(dir.path(), &[&format!("--output-dir={out_dir}"), file]);
        assert!(
            !report["errors"]
                .to_string()
                .contains("kustomization.yaml not written"),
            "{report:#}"
        );
        let built = kustomize_build(&kustomize, &dir.path().join(out_dir));
        assert!(
            built.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&built.stderr)
        );
    }
}

/// A namespace with no workload in the scan gets a default deny, unless a GitOps
/// object of the scan deploys into it what the scan does not hold (an Argo CD
/// Application's destination, a Flux HelmRelease's own namespace): then fix refuses
/// without --default-deny and names what deploys there.
#[test]
fn a_namespace_that_gitops_deploys_into_gets_no_default_deny_unasked() {
    let namespace = |name: &str| {
        format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n")
    };
    let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: bookinfo\n  namespace: argocd\nspec:\n  project: default\n  source: {repoURL: https://example.com/repo.git, path: bookinfo}\n  destination: {server: https://kubernetes.default.svc, namespace: ambient}\n";
    let release = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: flux-apps\nspec:\n  chart:\n    spec: {chart: podinfo, sourceRef: {kind: HelmRepository, name: podinfo}}\n";
    let text = [
        namespace("ambient"),
        namespace("flux-apps"),
        namespace("empty"),
    ]
    .join("---\n");
    let dir = common::tree(&[
        ("ns.yaml", &text),
        ("apps.yaml", &format!("{app}---\n{release}")),
    ]);
    let report = fix(dir.path(), &["--in-place", "--dry-run", "."]);
    let verdicts: BTreeMap<String, (String, String)> = report["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "KH510")
        .map(|f| {
            (
                f["resource"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                (
                    f["verdict"].as_str().unwrap().to_string(),
                    f["detail"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect();
    let of = |ns: &str| {
        verdicts
            .iter()
            .find(|(name, _)| *name == ns)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{ns}: {verdicts:#?}"))
    };
    assert_eq!(of("empty").0, "fixed");
    let (verdict, detail) = of("ambient");
    assert_eq!(verdict, "refused");
    assert!(
        detail.contains("Application argocd/bookinfo") && detail.contains("--default-deny"),
        "{detail}"
    );
    let (verdict, detail) = of("flux-apps");
    assert_eq!(verdict, "refused");
    assert!(detail.contains("HelmRelease flux-apps/podinfo"), "{detail}");
    // A Flux Kustomization that names no target applies manifests that name their
    // own namespaces, any of them: no namespace's default deny is safe unasked.
    let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\nspec:\n  path: ./apps\n  sourceRef: {kind: GitRepository, name: repo}\n";
    let with_flux = common::tree(&[("ns.yaml", &text), ("flux.yaml", flux)]);
    let report = fix(with_flux.path(), &["--in-place", "--dry-run", "."]);
    let empty: Vec<&Value> = report["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "KH510" && f["resource"]["name"] == "empty")
        .collect();
    assert_eq!(empty[0]["verdict"], "refused", "{empty:#?}");
    assert!(
        empty[0]["detail"]
            .as_str()
            .unwrap()
            .contains("Kustomization flux-system/apps"),
        "{empty:#?}"
    );
    // Asked for, it is written.
    let report = fix(
        dir.path(),
        &["--in-place", "--dry-run", "--default-deny", "."],
    );
    assert!(fixes(&report, "refused")
        .iter()
        .all(|f| f["rule_id"] != "KH510"));
}

/// What fix verdicts the scan of `files` (in a fresh folder) gets for `rule`, by
/// container (or `-`), with `extra` arguments.
fn verdicts(
    files: &[(&str, &str)],
    rule: &str,
    extra: &[&str],
) -> BTreeMap<String, (String, String)> {
    let dir = common::tree(files);
    let mut args = vec![
        "fix",
        "--format",
        "json",
        "--in-place",
        "--dry-run",
        "--no-config",
        ".",
    ];
    args.extend_from_slice(extra);
    let report = common::json(&common::run_in(dir.path(), &args, None));
    report["fixes"]
        .as_array()
        .unwrap_or_else(|| panic!("{report}"))
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .map(|f| {
            let who = f["container"].as_str().unwrap_or("-").to_string();
            let what = (
                f["verdict"].as_str().unwrap().to_string(),
                f["detail"].as_str().unwrap().to_string(),
            );
            (who, what)
        })
        .collect()
}

const AGENT: &str = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: mon}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      containers:\n        - name: agent\n          image: registry.example.com/agent:1\n          securityContext: {privileged: true}\n        - name: plain\n          image: registry.example.com/plain:1\n";

/// A privileged container holds every capability as root; as another user it would
/// hold none: --run-as-user is refused for it, not for its plain neighbour.
#[test]
fn run_as_user_is_refused_for_a_privileged_container() {
    let v = verdicts(&[("ds.yaml", AGENT)], "KH122", &["--run-as-user", "10001"]);
    assert_eq!(v["agent"].0, "refused", "{v:#?}");
    assert!(v["agent"].1.contains("is privileged"), "{v:#?}");
    assert_eq!(v["plain"].0, "fixed", "{v:#?}");
}

const CLEANUP: &str = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: cleanup, namespace: ops}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: cleanup\n          image: IMAGE\n          command: [COMMAND]\n";

/// A token is removed only where the scan holds the RBAC of the pod's namespace, and
/// never from a pod that runs kubectl or helm.
#[test]
fn a_token_stays_without_the_namespaces_rbac_or_for_an_api_client() {
    let job =
        |image: &str, command: &str| CLEANUP.replace("IMAGE", image).replace("COMMAND", command);
    let other = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: reporter, namespace: other-team}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{kind: ServiceAccount, name: reporter, namespace: other-team}]\n";
    let own = other.replace("other-team", "ops");
    let plain = job("registry.example.com/cleanup:1", "/cleanup");
    let v = verdicts(&[("job.yaml", &plain), ("rbac.yaml", other)], "KH402", &[]);
    assert_eq!(v["-"].0, "refused", "{v:#?}");
    assert!(
        v["-"].1.contains("no RBAC bindings of namespace ops"),
        "{v:#?}"
    );
    let v = verdicts(&[("job.yaml", &plain), ("rbac.yaml", &own)], "KH402", &[]);
    assert_eq!(v["-"].0, "fixed", "{v:#?}");
    for (image, command) in [
        ("bitnami/kubectl:1.30", "kubectl"),
        ("registry.example.com/tools:1", "/usr/local/bin/kubectl"),
        ("registry.example.com/tools:1", "helm"),
    ] {
        let client = job(image, command);
        let v = verdicts(&[("job.yaml", &client), ("rbac.yaml", &own)], "KH402", &[]);
        assert_eq!(v["-"].0, "refused", "{image} {command}: {v:#?}");
        assert!(v["-"].1.contains("talks to the Kubernetes API"), "{v:#?}");
    }
}

/// Images known to write outside what the spec mounts keep a writable root.
#[test]
fn a_read_only_root_is_refused_for_images_known_to_write() {
    let db = |image: &str| {
        format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: db, namespace: data}}\nspec:\n  selector: {{matchLabels: {{app: db}}}}\n  template:\n    metadata: {{labels: {{app: db}}}}\n    spec:\n      containers:\n        - name: db\n          image: {image}\n          securityContext: {{runAsUser: 999}}\n          volumeMounts: [{{name: tmp, mountPath: /tmp}}, {{name: data, mountPath: /var/lib/data}}]\n      volumes:\n        - {{name: tmp, emptyDir: {{}}}}\n        - {{name: data, persistentVolumeClaim: {{claimName: data}}}}\n")
    };
    for image in [
        "postgres:16",
        "mysql:8",
        "redis:7",
        "grafana/grafana:10.0.0",
        "bitnami/postgresql:16",
        "nginxinc/nginx-unprivileged:1.25",
    ] {
        let v = verdicts(&[("db.yaml", &db(image))], "KH132", &[]);
        let expected = if image.starts_with("nginxinc") {
            "fixed"
        } else {
            "refused"
        };
        assert_eq!(v["db"].0, expected, "{image}: {v:#?}");
    }
    let v = verdicts(
        &[("db.yaml", &db("registry.example.com/app:1"))],
        "KH132",
        &[],
    );
    assert!(v["db"].1.contains("run it once to be sure"), "{v:#?}");
}

/// A namespace whose workloads are in another PATH of the same command gets no
/// default deny unasked.
#[test]
fn a_default_deny_sees_the_workloads_of_every_path() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n";
    let app = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: registry.example.com/web:1}]\n";
    let dir = common::tree(&[("namespaces/shop.yaml", ns), ("apps/app.yaml", app)]);
    let args = [
        "fix",
        "--format",
        "json",
        "--in-place",
        "--dry-run",
        "--no-config",
        "--select",
        "KH510,KH511",
        "namespaces",
        "apps",
    ];
    let report = common::json(&common::run_in(dir.path(), &args, None));
    let deny: Vec<&Value> = report["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "KH510")
        .collect();
    assert!(!deny.is_empty(), "{report}");
    assert!(deny.iter().all(|f| f["verdict"] == "refused"), "{deny:#?}");
}

/// Values the API server would refuse together (a request above its limit) are a
/// usage error before anything is written; nothing read is no clean pass, even
/// under --soft-fail.
#[test]
fn fix_refuses_conflicting_values_and_nothing_to_fix() {
    let dir = common::tree(&[("d.yaml", CLEANUP)]);
    let before = std::fs::read_to_string(dir.path().join("d.yaml")).unwrap();
    let args = [
        "fix",
        "--in-place",
        "--no-config",
        "--cpu-request",
        "500m",
        "--cpu-limit",
        "100m",
        "d.yaml",
    ];
    let out = common::run_in(dir.path(), &args, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--cpu-request"),
        "{out:?}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("d.yaml")).unwrap(),
        before
    );
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    for extra in [&[][..], &["--soft-fail"][..]] {
        let mut args = vec!["fix", "--no-config", "empty"];
        args.extend_from_slice(extra);
        let out = common::run_in(dir.path(), &args, None);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {out:?}");
    }
}

/// Root is kept where the spec shows it is needed (a host path, a chown), escalation
/// where a setuid program runs, and a token where the pod logs in with it or its
/// account is defined elsewhere; zero is no resource value.
#[test]
fn fix_keeps_what_the_spec_shows_a_container_needs() {
    let pod = |containers: &str, extra: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: ops\n{extra}spec:\n  containers:\n{containers}  volumes:\n    - {{name: sock, hostPath: {{path: /var/run/containerd/containerd.sock}}}}\n")
    };
    let agent = "    - name: agent\n      image: registry.example.com/agent:1\n      volumeMounts: [{name: sock, mountPath: /run/containerd.sock}]\n";
    let chown = "    - name: init\n      image: registry.example.com/busybox:1\n      securityContext: {runAsUser: 0}\n      command: [sh, -c, \"chown -R 1000:1000 /data && cp /a /data\"]\n";
    let plain = "    - name: plain\n      image: registry.example.com/plain:1\n";
    let text = pod(&format!("{agent}{chown}{plain}"), "");
    let v = verdicts(&[("p.yaml", &text)], "KH122", &["--run-as-user", "10001"]);
    assert_eq!(v["agent"].0, "refused", "{v:#?}");
    assert!(v["agent"].1.contains("host path volume sock"), "{v:#?}");
    assert_eq!(v["plain"].0, "fixed", "{v:#?}");
    let v = verdicts(&[("p.yaml", &text)], "KH123", &["--run-as-user", "10001"]);
    assert!(v["init"].1.contains("runs chown"), "{v:#?}");
    let sudo = pod(
        "    - name: tool\n      image: registry.example.com/tool:1\n      securityContext: {runAsUser: 1000}\n      command: [sudo, /usr/sbin/tool]\n",
        "",
    );
    let v = verdicts(&[("p.yaml", &sudo)], "KH121", &[]);
    assert_eq!(v["tool"].0, "refused", "{v:#?}");
    assert!(v["tool"].1.contains("sudo"), "{v:#?}");
    // Tokens: a Vault agent, an account the scan does not define.
    let own = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: other, namespace: ops}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{kind: ServiceAccount, name: other, namespace: ops}]\n";
    let vault = pod(
        plain,
        "  annotations: {vault.hashicorp.com/agent-inject: \"true\"}\n",
    );
    let v = verdicts(&[("p.yaml", &vault), ("rbac.yaml", own)], "KH402", &[]);
    assert!(v["-"].1.contains("Vault agent"), "{v:#?}");
    let named = pod(plain, "").replace(
        "spec:\n  containers:",
        "spec:\n  serviceAccountName: operator\n  containers:",
    );
    let v = verdicts(&[("p.yaml", &named), ("rbac.yaml", own)], "KH402", &[]);
    assert!(v["-"].1.contains("operator is not in the scan"), "{v:#?}");
    // A zero resource value is refused before anything is read.
    let dir = common::tree(&[("p.yaml", &text)]);
    let out = common::run_in(dir.path(), &["fix", "--cpu-limit", "0", "p.yaml"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("above zero"),
        "{out:?}"
    );
}

/// A namespace that holds a custom resource (an operator's) gets no default deny
/// unasked.
#[test]
fn a_namespace_with_custom_resources_gets_no_default_deny_unasked() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n";
    let prom = "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {name: k8s, namespace: monitoring}\nspec: {replicas: 2}\n";
    let v = verdicts(&[("ns.yaml", ns), ("prom.yaml", prom)], "KH510", &[]);
    assert_eq!(v["-"].0, "refused", "{v:#?}");
    assert!(v["-"].1.contains("Prometheus monitoring/k8s"), "{v:#?}");
}

/// A StatefulSet's claim template is a writable volume of each pod: a container that
/// writes only to it may get a read-only root.
#[test]
fn a_claim_template_is_a_writable_volume() {
    let sts = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: data}\nspec:\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n      containers:\n        - name: db\n          image: registry.example.com/db:1\n          securityContext: {runAsUser: 999}\n          command: [sh, -c, \"cp /seed/x /var/lib/data/x && exec /db\"]\n          volumeMounts: [{name: data, mountPath: /var/lib/data}, {name: tmp, mountPath: /tmp}]\n      volumes: [{name: tmp, emptyDir: {}}]\n  volumeClaimTemplates:\n    - metadata: {name: data}\n      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n";
    let v = verdicts(&[("sts.yaml", sts)], "KH132", &[]);
    assert_eq!(v["db"].0, "fixed", "{v:#?}");
    assert!(v["db"].1.contains("/var/lib/data"), "{v:#?}");
}
