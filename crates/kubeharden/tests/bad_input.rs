//! Hostile and broken input: each gives an error naming the file (and line where
//! there is one), on stderr and in the report, while the rest of the scan goes on.

use std::path::Path;
use std::process::{Command, Output};

const GOOD_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: good}\nspec:\n  containers:\n  - {name: c, image: x, securityContext: {privileged: true}}\n";

fn scan(dir: &Path, extra: &[&str]) -> (Output, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
        .args(["scan", ".", "--select", "KH101", "-f", "json"])
        .args(extra)
        .current_dir(dir)
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out, doc)
}

/// Writes `bad` beside a good file, scans both, and returns the errors reported.
fn errors_for(name: &str, bad: &[u8]) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.yaml"), GOOD_POD).unwrap();
    std::fs::write(dir.path().join(name), bad).unwrap();
    let (out, doc) = scan(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "input errors exit 2");
    let findings = doc["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["location"]["file"] == "good.yaml"),
        "the good file was still scanned"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(name), "stderr names the file: {stderr}");
    doc["errors"].as_array().unwrap().clone()
}

#[test]
fn broken_yaml_names_file_and_line() {
    let errors = errors_for(
        "broken.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n",
    );
    assert_eq!(errors[0]["file"], "broken.yaml");
    assert!(errors[0]["line"].as_u64().unwrap() >= 4);
}

#[test]
fn wrong_type_names_the_field_and_line() {
    let errors = errors_for(
        "wrong.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata: {name: w}\nspec:\n  containers:\n  - name: c\n    image: x\n    securityContext:\n      privileged: \"yes\"\n",
    );
    assert_eq!(errors[0]["line"], 9);
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("spec.containers[0].securityContext.privileged")
            && message.contains("boolean"),
        "{message}"
    );
}

/// A pod spec that is no mapping, and a container that is none, are errors at their
/// line, not a pass: the rules say nothing of a phantom container read from `x`. So is
/// a Deployment whose pod template is no mapping.
#[test]
fn a_spec_or_container_of_the_wrong_shape_is_an_error() {
    for (text, line, said) in [
        ("spec: x\n", 4, "spec: expected a mapping, found a string"),
        (
            "spec:\n  containers:\n  - image: x\n",
            6,
            "spec.containers[0].name: a container needs a name",
        ),
        (
            "spec:\n  containers:\n  - {name: \"\", image: x}\n",
            6,
            "spec.containers[0].name: a container needs a name",
        ),
        (
            "spec:\n  containers: [x]\n",
            5,
            "spec.containers[0]: expected a mapping, found a string",
        ),
        (
            "spec:\n  containers:\n  - 5\n  - {name: c, image: x}\n",
            6,
            "spec.containers[0]: expected a mapping",
        ),
    ] {
        let bad = format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: w}}\n{text}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("good.yaml"), GOOD_POD).unwrap();
        std::fs::write(dir.path().join("wrong.yaml"), &bad).unwrap();
        let (out, doc) = scan(dir.path(), &["--select", "KH101,KH121,KH122"]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        let errors = doc["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{text}: {errors:?}");
        assert_eq!(
            (&errors[0]["file"], &errors[0]["line"]),
            (&"wrong.yaml".into(), &line.into()),
            "{text}"
        );
        assert!(
            errors[0]["message"].as_str().unwrap().contains(said),
            "{text}: {errors:?}"
        );
        let phantom = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["container"] == "");
        // A nameless container is still judged (as container ""); a phantom is not.
        assert!(!phantom || said.contains("needs a name"), "{text}: {doc}");
    }
}

/// A folder holding one pod whose file starts with a Latin-1 comment (`café`).
fn latin1_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = GOOD_POD.replace("name: good", "name: latin1").into_bytes();
    bytes.splice(0..0, b"# caf\xe9\n".iter().copied());
    std::fs::write(dir.path().join("latin1.yaml"), bytes).unwrap();
    dir
}

/// Invalid UTF-8 is replaced and the file scanned whole: a warning, never an error,
/// so it does not make exit code 2.
#[test]
fn non_utf8_bytes_are_a_warning_and_the_file_still_scanned() {
    let dir = latin1_folder();
    let (out, doc) = scan(dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "findings, no error: {stderr}");
    assert_eq!(doc["errors"], serde_json::json!([]));
    assert_eq!(
        doc["warnings"],
        serde_json::json!([{
            "file": "latin1.yaml", "line": 1, "column": 6, "kind": "invalid_utf8",
            "message": "invalid UTF-8; the bytes were replaced with U+FFFD and the rest of the file was scanned"
        }])
    );
    assert_eq!(doc["summary"]["warnings"], 1);
    assert!(
        stderr.contains("kubeharden: warning: latin1.yaml:1:6: invalid UTF-8"),
        "{stderr}"
    );
    assert!(!stderr.contains("error"), "{stderr}");
    assert_eq!(
        doc["findings"].as_array().unwrap().len(),
        1,
        "the rest of the file was scanned"
    );
    let (out, _) = scan(dir.path(), &["--fail-on", "none"]);
    assert_eq!(out.status.code(), Some(0), "a warning alone is a clean run");
}

/// A key set twice in one mapping: kubectl applies the last value, kustomize refuses
/// the file. The last is judged, and a warning at the second names the first.
#[test]
fn a_key_set_twice_is_a_warning_and_the_last_value_is_judged() {
    let dir = tempfile::tempdir().unwrap();
    let twice = |first: &str, last: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: c\n    image: x\n    securityContext:\n      privileged: {first}\n      privileged: {last}\n")
    };
    std::fs::write(dir.path().join("a.yaml"), twice("true", "false")).unwrap();
    let (out, doc) = scan(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(doc["findings"], serde_json::json!([]));
    let warning = &doc["warnings"][0];
    assert_eq!(
        (&warning["kind"], &warning["line"]),
        (&"duplicate_key".into(), &10.into())
    );
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .starts_with("duplicate key \"privileged\" (first at line 9)"),
        "{warning}"
    );
    std::fs::write(dir.path().join("a.yaml"), twice("false", "true")).unwrap();
    let (out, doc) = scan(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(doc["findings"][0]["location"]["line"], 10);
}

/// Every format shows the warning, and none takes it for a failure.
#[test]
fn every_format_shows_a_warning_as_a_warning() {
    let dir = latin1_folder();
    let run = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
            .args(["scan", ".", "--select", "KH101", "-f", format])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        String::from_utf8(out.stdout).unwrap()
    };
    let text = run("text");
    assert!(
        text.contains("Warnings\n  latin1.yaml:1:6: invalid UTF-8"),
        "{text}"
    );
    assert!(text.contains("; 1 warning\n"), "{text}");
    assert!(!text.contains("Errors"), "{text}");
    let sarif: serde_json::Value = serde_json::from_str(&run("sarif")).unwrap();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    let note = &invocation["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "warning");
    assert_eq!(
        note["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({"startLine": 1, "startColumn": 6})
    );
    let junit = run("junit");
    assert!(
        junit.contains(r#"<testsuite name="input warnings""#)
            && junit.contains("<system-err>latin1.yaml:1:6: invalid UTF-8"),
        "{junit}"
    );
    assert!(!junit.contains("input errors"), "{junit}");
}

#[test]
fn alias_bomb_is_refused_quickly() {
    let mut bomb = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..16 {
        bomb.push_str(&format!(
            "  a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    let errors = errors_for("bomb.yaml", bomb.as_bytes());
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .contains("alias bomb"));
    assert!(errors[0]["line"].as_u64().is_some());
}

/// A file of many small alias bombs among real pods: each bomb stops at its share of
/// the file's work budget with an error at its line and column, and every pod of the
/// file is still scanned. The file costs work in proportion to its size (each bomb
/// used to expand to the 500,000-node limit of a document).
#[test]
fn each_document_has_its_share_of_the_files_work_budget() {
    let pod = |i: usize| GOOD_POD.replace("name: good", &format!("name: pod-{i}"));
    let bomb = |i: usize| {
        let mut text = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: lol-{i}}}\ndata:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        );
        for level in 1..6 {
            let refs = vec![format!("*a{}", level - 1); 10].join(", ");
            text.push_str(&format!("  a{level}: &a{level} [{refs}]\n"));
        }
        text
    };
    let docs: Vec<String> = (0..200)
        .map(|i| if i % 2 == 0 { pod(i) } else { bomb(i) })
        .collect();
    let text = docs.join("---\n");
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mixed.yaml"), &text).unwrap();
    let (out, doc) = scan(dir.path(), &[]);
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(doc["findings"].as_array().unwrap().len(), 100, "every pod");
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 100, "one per bomb");
    // The second document is the first bomb: lines 8 to 17, its aliases from line 13.
    let first = &errors[0];
    assert_eq!(first["file"], "mixed.yaml");
    assert!(
        (13..=17).contains(&first["line"].as_u64().unwrap()),
        "{first}"
    );
    assert!(first["column"].as_u64().unwrap() > 1, "{first}");
    assert!(
        first["message"].as_str().unwrap().contains("budget"),
        "{first}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("mixed.yaml:"), "{stderr}");
}

#[test]
fn extreme_nesting_is_an_error() {
    let deep = format!("a: {}{}\n", "[".repeat(50_000), "]".repeat(50_000));
    let errors = errors_for("deep.yaml", deep.as_bytes());
    assert_eq!(errors[0]["file"], "deep.yaml");
}

#[test]
fn oversized_and_unreadable_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.yaml"), GOOD_POD).unwrap();
    std::fs::write(dir.path().join("big.yaml"), "# padding\n".repeat(2000)).unwrap();
    let (out, doc) = scan(dir.path(), &["--max-file-size", "1000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(doc["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("limit"));
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);

    let missing = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
        .args(["scan", "no-such-file.yaml", "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-file.yaml"));
}

#[test]
fn non_kubernetes_documents_are_skipped_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("values.yaml"),
        "replicaCount: 2\nimage: {tag: x}\n---\n- a\n- b\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("good.yaml"), GOOD_POD).unwrap();
    let (out, doc) = scan(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(doc["summary"]["skipped_documents"], 2);
    assert!(doc["errors"].as_array().unwrap().is_empty());
}

/// A field of the wrong type in any object the cluster-wide rules read is an error
/// with its field and line, as the API server refuses it, never a silently dropped
/// object (a ClusterRole granting `"*"` as a string used to pass clean).
#[test]
fn wrong_types_in_rbac_network_policy_and_service_objects_are_errors() {
    let cases: [(&str, &str, u64, &str); 5] = [
        (
            "role.yaml",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: all}\nrules:\n- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: \"*\"\n",
            7,
            "rules[0].verbs",
        ),
        (
            "binding.yaml",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: ci}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\nsubjects:\n  kind: User\n  name: alice\n",
            6,
            "subjects",
        ),
        (
            "policy.yaml",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: Ingress\n",
            6,
            "spec.policyTypes",
        ),
        (
            "service.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop}\nspec:\n  type: NodePort\n  ports:\n  - port: \"http\"\n",
            7,
            "spec.ports[0].port",
        ),
        (
            "labels.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    version: 1.0\n",
            6,
            "metadata.labels.version",
        ),
    ];
    assert_located_errors(&cases, &[]);
}

/// ConfigMap and Secret payloads the API server cannot decode are errors too: a
/// number where a string is expected, a Secret value that is not base64. Values are
/// never shown.
#[test]
fn undecodable_configmaps_and_secrets_are_errors() {
    let cases: [(&str, &str, u64, &str); 3] = [
        (
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  PORT: 8080\n",
            5,
            "data.PORT",
        ),
        (
            "secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  token: not-base64!!\n",
            5,
            "data.token",
        ),
        (
            "string-data.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  pin: 424242\n",
            5,
            "stringData.pin",
        ),
    ];
    assert_located_errors(&cases, &["8080", "not-base64", "424242"]);
}

/// Each case (file, text, line, field) gives an error at that line naming the field,
/// and showing none of `hidden`.
fn assert_located_errors(cases: &[(&str, &str, u64, &str)], hidden: &[&str]) {
    for &(name, text, line, field) in cases {
        let errors = errors_for(name, text.as_bytes());
        let error = errors
            .iter()
            .find(|e| e["file"] == name)
            .unwrap_or_else(|| panic!("{name}: no error in {errors:?}"));
        assert_eq!(error["line"], line, "{name}: {error}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(field), "{name}: {message}");
        for value in hidden {
            assert!(
                !message.contains(value),
                "{name} shows the value: {message}"
            );
        }
    }
}

/// `rbac can` on input it could not fully read says its answer is incomplete, in text
/// and JSON, and exits 2, so a script never takes a partial "no" for a firm one.
#[test]
fn rbac_can_marks_an_answer_from_broken_input_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: all}\nrules:\n- {apiGroups: [\"*\"], resources: [\"*\"], verbs: \"*\"}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: all}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: all}\nsubjects:\n- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}\n";
    std::fs::write(dir.path().join("rbac.yaml"), role).unwrap();
    let run = |format: &str| {
        Command::new(env!("CARGO_BIN_EXE_kubeharden"))
            .args([
                "rbac",
                "can",
                "user:alice",
                "get",
                "secrets",
                "-n",
                "kube-system",
                "rbac.yaml",
                "--format",
                format,
            ])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let text = run("text");
    assert_eq!(text.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("incomplete"),
        "{text:?}"
    );
    let json = run("json");
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["complete"], false);
}

#[test]
fn a_workload_whose_template_is_no_mapping_is_an_error() {
    let errors = errors_for(
        "deploy.yaml",
        b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template: x\n",
    );
    assert_eq!(
        (&errors[0]["file"], &errors[0]["line"]),
        (&"deploy.yaml".into(), &5.into())
    );
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("spec.template: expected a mapping"),
        "{message}"
    );
}

#[test]
fn an_rbac_subject_without_a_name_is_an_error() {
    let errors = errors_for(
        "binding.yaml",
        b"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects:\n- {kind: Group, apiGroup: rbac.authorization.k8s.io, name: devs}\n- {kind: User, name: \"\"}\n",
    );
    assert_eq!(
        (&errors[0]["file"], &errors[0]["line"]),
        (&"binding.yaml".into(), &7.into())
    );
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("subjects[1].name: a subject needs a name"),
        "{message}"
    );
}
