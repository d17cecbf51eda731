//! Output formats: snapshots, schema validation, and secrets never printed.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::root;

fn shared(what: &str) -> Option<PathBuf> {
    kubeharden_testkit::shared("schemas", what)
}

fn scan(format: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
        .args(["scan", "examples/insecure", "--format", format])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8(out.stdout).unwrap()
}

fn without_version(text: &str) -> String {
    text.replace(env!("CARGO_PKG_VERSION"), "[version]")
}

#[test]
fn text_snapshot() {
    insta::assert_snapshot!(without_version(&scan("text")));
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!(without_version(&scan("json")));
}

#[test]
fn sarif_snapshot_and_schema() {
    let sarif = scan("sarif");
    insta::assert_snapshot!(without_version(&sarif));
    let doc: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let uri = |r: &serde_json::Value| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let uris: Vec<String> = results.iter().map(uri).collect();
    assert!(uris.contains(&"examples/insecure/shop.yaml".to_string()));
    assert!(uris.contains(&"examples/insecure/Dockerfile".to_string()));
    assert!(results.iter().all(
        |r| r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap()
            >= 1
    ));
    let Some(schemas) = shared("SARIF schema validation not run") else {
        return;
    };
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(schemas.join("sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let problems: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "SARIF does not validate:\n{}",
        problems.join("\n")
    );
}

#[test]
fn junit_snapshot_and_schema() {
    let junit = scan("junit");
    let timestamps = regex::Regex::new(r#"timestamp="[^"]*" hostname="[^"]*""#).unwrap();
    insta::assert_snapshot!(timestamps
        .replace_all(&junit, r#"timestamp="[ts]" hostname="[host]""#)
        .to_string());
    let Some(schemas) = shared("JUnit schema validation not run") else {
        return;
    };
    let Some(xmllint) = kubeharden_testkit::tool("xmllint", "JUnit schema validation not run")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xml");
    std::fs::write(&file, &junit).unwrap();
    let out = Command::new(xmllint)
        .args(["--noout", "--schema"])
        .arg(schemas.join("junit.xsd"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "JUnit does not validate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn no_format_prints_a_secret_value() {
    for format in ["text", "json", "sarif", "junit"] {
        let out = scan(format);
        for secret in ["Sup3rS3cret-prod", "AKIAIOSFODNN7EXAMPLE"] {
            assert!(
                !out.contains(secret),
                "{format} output prints the secret {secret}"
            );
        }
        assert!(
            out.contains("DB_PASSWORD"),
            "{format} output names where the secret is"
        );
    }
}

/// A secret of the wrong type (`value: 987654321` where a string is expected) is an
/// error, and the error never shows the value either, on stderr or in any format.
#[test]
fn type_errors_never_print_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: leak}\nspec:\n  containers:\n  - name: app\n    image: x\n    env:\n    - {name: DB_PASSWORD, value: 987654321}\n    - {name: PIN, value: 4242.5}\n    securityContext: {runAsUser: \"Hunter2Secret\"}\n";
    std::fs::write(dir.path().join("leak.yaml"), manifest).unwrap();
    for format in ["text", "json", "sarif", "junit"] {
        let out = common::run_in(dir.path(), &["scan", "--format", format, "leak.yaml"], None);
        assert_eq!(out.status.code(), Some(2), "{format}: a type error exits 2");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for secret in ["987654321", "4242.5", "Hunter2Secret"] {
            assert!(!all.contains(secret), "{format} prints {secret}: {all}");
        }
        assert!(
            all.contains("env[0].value"),
            "{format} names the field: {all}"
        );
    }
}
