//! Nothing looks clean unless it is: a scan or node audit that checked nothing exits
//! 2 and says what it found, and `--fail-on-errors never` tolerates broken inputs
//! while still reporting them.

mod common;

use std::path::Path;
use std::process::Output;

use common::{json, run_in, tree};

const PRIVILEGED_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: x, securityContext: {privileged: true}}\n";
const HELM_TEMPLATE: &str = "{{- if .Values.enabled }}\napiVersion: v1\nkind: Pod\n{{- end }}\n";

fn scan(dir: &Path, extra: &[&str]) -> (Output, serde_json::Value, String) {
    let mut args = vec!["scan", "-f", "json", "--select", "KH101"];
    args.extend_from_slice(extra);
    let out = run_in(dir, &args, None);
    let doc = json(&out);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, doc, stderr)
}

/// The "nothing to scan" error of a report, which must be there.
fn nothing_error(doc: &serde_json::Value) -> String {
    let errors = doc["errors"].as_array().unwrap();
    let found: Vec<&str> = errors
        .iter()
        .filter_map(|e| e["message"].as_str())
        .filter(|m| m.starts_with("nothing to scan"))
        .collect();
    assert_eq!(found.len(), 1, "one nothing-to-scan error: {errors:?}");
    found[0].to_string()
}

#[test]
fn an_empty_folder_is_an_error_not_a_clean_pass() {
    let dir = tempfile::tempdir().unwrap();
    let (out, doc, stderr) = scan(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(nothing_error(&doc).contains("no YAML, JSON or Dockerfile read"));
    assert!(stderr.contains("nothing to scan"), "{stderr}");
    // Nothing scanned is the one thing said: no "not a whole cluster" beside it.
    assert_eq!(
        doc["summary"]["skipped_checks"],
        serde_json::json!([]),
        "{doc}"
    );
}

/// A PATH that holds nothing is an error even when another PATH holds objects:
/// each is named, whether the PATHs are separate clusters or one.
#[test]
fn an_empty_path_beside_a_full_one_is_an_error() {
    let dir = tree(&[
        ("app/pod.yaml", PRIVILEGED_POD),
        ("notes/readme.txt", "not a manifest\n"),
        ("data/list.yaml", "- just\n- a list\n"),
    ]);
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    for extra in [&[][..], &["--one-cluster"][..]] {
        let mut args = vec!["app", "empty", "notes"];
        args.extend_from_slice(extra);
        let (out, doc, stderr) = scan(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert_eq!(
            doc["findings"].as_array().unwrap().len(),
            1,
            "app is still judged"
        );
        let errors: Vec<String> = doc["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{}: {}",
                    e["file"].as_str().unwrap(),
                    e["message"].as_str().unwrap()
                )
            })
            .collect();
        for path in ["empty", "notes"] {
            let told = format!(
                "{path}: nothing to scan in this PATH: no YAML, JSON or Dockerfile found there"
            );
            assert!(
                errors.iter().any(|e| e.starts_with(&told)),
                "{extra:?}: {errors:?}"
            );
        }
    }
    // Files that were read but hold no object: counted.
    let (out, doc, _) = scan(dir.path(), &["app", "data"]);
    assert_eq!(out.status.code(), Some(2));
    let errors = &doc["errors"];
    assert_eq!(errors[0]["file"], "data", "{errors}");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "nothing to scan in this PATH: 1 file read, none of them a Kubernetes object"
        ),
        "{errors}"
    );
    // Both full: no such error.
    let (out, doc, _) = scan(dir.path(), &["app", "app/pod.yaml"]);
    assert_eq!(out.status.code(), Some(1), "{doc}");
}

#[test]
fn a_wrong_path_or_unmatched_glob_is_an_error() {
    let dir = tree(&[("app/pod.yaml", PRIVILEGED_POD)]);
    // The shell leaves a glob that matches nothing as it is.
    for path in ["apps", "app/*.yml"] {
        let (out, doc, stderr) = scan(dir.path(), &[path]);
        assert_eq!(out.status.code(), Some(2), "{path}: {stderr}");
        assert!(stderr.contains(&format!("{path}: cannot read")), "{stderr}");
        assert!(nothing_error(&doc).contains("1 input with errors"));
    }
}

#[test]
fn a_folder_of_chart_templates_says_what_it_passed_over() {
    let dir = tree(&[
        (
            "chart/templates/_helpers.tpl",
            "{{ define \"x\" }}{{ end }}\n",
        ),
        ("chart/templates/NOTES.txt", "hello\n"),
        ("chart/templates/LICENSE", "MIT\n"),
    ]);
    let (out, doc, _) = scan(dir.path(), &["chart"]);
    assert_eq!(out.status.code(), Some(2));
    let message = nothing_error(&doc);
    assert!(
        message
            .contains("3 files passed over as no manifest (1 without extension, 1 .tpl, 1 .txt)"),
        "{message}"
    );
    assert!(
        message.contains("naming its folder, with Chart.yaml"),
        "{message}"
    );
}

#[test]
fn unparsable_templates_alone_exit_2_even_when_errors_are_tolerated() {
    let dir = tree(&[("templates/pod.yaml", HELM_TEMPLATE)]);
    for extra in [&[][..], &["--fail-on-errors", "never"][..]] {
        let mut args = vec!["."];
        args.extend_from_slice(extra);
        let (out, doc, stderr) = scan(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(nothing_error(&doc).contains("read 1 file (1 YAML); 1 input with errors"));
        assert_eq!(doc["summary"]["objects"], 0);
    }
}

#[test]
fn documents_that_are_no_kubernetes_objects_are_counted() {
    let dir = tree(&[
        ("values.yaml", "replicas: 1\n"),
        ("config.json", "{\"a\": 1}\n"),
    ]);
    let (out, doc, _) = scan(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(2));
    let message = nothing_error(&doc);
    assert!(
        message
            .contains("read 2 files (1 JSON, 1 YAML); 2 documents that are no Kubernetes object"),
        "{message}"
    );
}

#[test]
fn empty_standard_input_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["scan", "-", "-f", "json"], Some(b""));
    assert_eq!(out.status.code(), Some(2));
    assert!(nothing_error(&json(&out)).contains("read 1 file (1 standard input)"));
}

#[test]
fn fail_on_errors_never_reports_placeholders_and_exits_on_findings() {
    let dir = tree(&[
        ("pod.yaml", PRIVILEGED_POD),
        ("templates/pod.yaml", HELM_TEMPLATE),
    ]);
    let (out, _, _) = scan(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(2), "errors fail by default");

    for soft in ["--fail-on-errors=never", "--soft-fail"] {
        let (out, doc, stderr) = scan(dir.path(), &[".", soft]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{soft}: the privileged pod fails the run"
        );
        let errors = doc["errors"].as_array().unwrap();
        assert_eq!(
            errors.len(),
            1,
            "the placeholder is still reported: {errors:?}"
        );
        assert_eq!(errors[0]["file"], "templates/pod.yaml");
        assert!(stderr.contains("templates/pod.yaml:1:"), "{stderr}");
    }

    let (out, _, _) = scan(
        dir.path(),
        &[".", "--fail-on-errors", "never", "--fail-on", "none"],
    );
    assert_eq!(out.status.code(), Some(0), "nothing else fails the run");
}

#[test]
fn node_with_nothing_to_audit_is_an_error() {
    let dir = tree(&[("etc/hostname", "n1\n")]);
    let root = dir.path().display().to_string();
    let out = run_in(dir.path(), &["node", "--root", &root, "-f", "json"], None);
    assert_eq!(out.status.code(), Some(2));
    let doc = json(&out);
    let messages: Vec<&str> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.starts_with("nothing to audit")
            && m.contains("Is --root the node's filesystem root?")),
        "{messages:?}"
    );
}

/// A chart's templates/ folder scanned on its own (no Chart.yaml above the path):
/// a template whose `{{ ... }}` happens to read as YAML is an error at its line,
/// never an object judged clean with an odd name or field.
#[test]
fn a_template_that_reads_as_yaml_is_an_error_not_a_clean_object() {
    let dir = tree(&[
        (
            "templates/svc.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\nspec:\n  type: {{ .Values.service.type }}\n",
        ),
        (
            "templates/pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\nspec:\n  containers: []\n",
        ),
    ]);
    let (out, doc, stderr) = scan(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(doc["summary"]["objects"], 0, "{}", doc["summary"]);
    assert!(
        stderr.contains("templates/svc.yaml:4:") && stderr.contains("unrendered template"),
        "{stderr}"
    );
}

/// A Kustomize patch scanned on its own is judged only in its overlay: the run
/// checked nothing, and says so with exit 2, as a component or a template alone does.
#[test]
fn a_kustomize_patch_alone_is_nothing_scanned() {
    let patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      hostIPC: true\n";
    let dir = tree(&[
        (
            "overlay/kustomization.yaml",
            "resources: [../base]\npatches:\n- path: patch.yaml\n",
        ),
        ("overlay/patch.yaml", patch),
    ]);
    let (out, doc, stderr) = scan(dir.path(), &["overlay/patch.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(doc["summary"]["objects"], 0, "{doc}");
    let error = nothing_error(&doc);
    assert!(
        error.contains("1 Kustomize patch (judged only in the overlay that merges it"),
        "{error}"
    );
}
