//! Output formats. Snapshots record meaning: each format's rendering of one small
//! input (`tests/formats/`) holding every shape a report carries (a finding at its
//! field, at the nearest parent of a missing field, settled on another object, on a
//! Dockerfile, on a namespace; an error at line:column; a warning; a check not
//! judged), with a few rules selected. Schema validation covers the whole output of a
//! big run (`examples/insecure`, every rule): SARIF 2.1.0, JUnit (xmllint) and the
//! JSON report (`docs/json-report.schema.json`). And secrets are never printed.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::root;

fn shared(what: &str) -> Option<PathBuf> {
    kubeharden_testkit::shared("schemas", what)
}

/// The rules the small input's snapshots run: one finding shape each.
const SMALL_RULES: &str = "KH101,KH140,KH201,KH401,KH402,KH510";

fn kubeharden(args: &[&str], exit: i32) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(exit), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The small input, rendered in `format` (exit 2: it holds a broken file).
fn small(format: &str) -> String {
    let args = [
        "scan",
        "crates/kubeharden/tests/formats",
        "--select",
        SMALL_RULES,
        "--format",
        format,
    ];
    without_version(&kubeharden(&args, 2))
}

/// Every rule on the example app, rendered in `format`.
fn big(format: &str) -> String {
    kubeharden(&["scan", "examples/insecure", "--format", format], 1)
}

/// The repository's folder, as the tool sees its working directory (resolved).
fn root_dir() -> std::path::PathBuf {
    std::fs::canonicalize(root()).unwrap()
}

/// Without the version and the folder the test ran in (SARIF's base of relative
/// URIs), which differ between checkouts.
fn without_version(text: &str) -> String {
    let root = format!("file://{}/", root_dir().display());
    text.replace(env!("CARGO_PKG_VERSION"), "[version]")
        .replace(&root, "file://[root]/")
}

fn without_timestamps(junit: &str) -> String {
    let timestamps = regex::Regex::new(r#"timestamp="[^"]*" hostname="[^"]*""#).unwrap();
    timestamps
        .replace_all(junit, r#"timestamp="[ts]" hostname="[host]""#)
        .to_string()
}

/// The problems `schema` finds in `doc`.
fn schema_problems(schema: &serde_json::Value, doc: &serde_json::Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).expect("schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn text_snapshot() {
    insta::assert_snapshot!(small("text"));
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!(small("json"));
}

#[test]
fn sarif_snapshot() {
    insta::assert_snapshot!(small("sarif"));
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!(without_timestamps(&small("junit")));
}

#[test]
fn json_of_a_big_run_follows_its_schema() {
    let path = root().join("docs/json-report.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for (name, text) in [("big run", big("json")), ("small input", small("json"))] {
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let problems = schema_problems(&schema, &doc);
        assert!(
            problems.is_empty(),
            "JSON of the {name} does not follow docs/json-report.schema.json:\n{}",
            problems.join("\n")
        );
    }
}

#[test]
fn sarif_of_a_big_run_follows_the_schema() {
    let sarif = big("sarif");
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
    // Relative to the working directory, which the run names as their base.
    let base = |r: &serde_json::Value| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"].clone()
    };
    assert!(results.iter().all(|r| base(r) == "%SRCROOT%"));
    let root_uri = format!("file://{}/", root_dir().display());
    assert_eq!(
        doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        root_uri.as_str()
    );
    // The same when the scan path is absolute, or goes through `..`.
    let absolute = root().join("examples/insecure");
    let roundabout = root().join("examples/../examples/insecure");
    for path in [absolute, roundabout] {
        let args = ["scan", path.to_str().unwrap(), "--format", "sarif"];
        let doc: serde_json::Value = serde_json::from_str(&kubeharden(&args, 1)).unwrap();
        let results = doc["runs"][0]["results"].as_array().unwrap();
        let again: Vec<String> = results.iter().map(uri).collect();
        assert_eq!(again, uris, "{path:?}");
        assert!(results.iter().all(|r| base(r) == "%SRCROOT%"));
    }
    // Every rule links to its section of docs/rules.md, which has a `## ID` heading.
    let rules_md = std::fs::read_to_string(root().join("docs/rules.md")).unwrap();
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        let id = rule["id"].as_str().unwrap();
        let uri = rule["helpUri"].as_str().unwrap();
        let anchor = format!("/blob/main/docs/rules.md#{}", id.to_ascii_lowercase());
        assert!(
            uri.starts_with("https://github.com/") && uri.ends_with(&anchor),
            "{uri}"
        );
        assert!(
            rules_md.contains(&format!("\n## {id}\n")),
            "{id} in docs/rules.md"
        );
    }
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
    for (name, doc) in [
        ("big run", doc),
        (
            "small input",
            serde_json::from_str(&small("sarif")).unwrap(),
        ),
    ] {
        let problems = schema_problems(&schema, &doc);
        assert!(
            problems.is_empty(),
            "SARIF of the {name} does not validate:\n{}",
            problems.join("\n")
        );
    }
}

#[test]
fn junit_of_a_big_run_follows_the_schema() {
    let Some(schemas) = shared("JUnit schema validation not run") else {
        return;
    };
    let Some(xmllint) = kubeharden_testkit::tool("xmllint", "JUnit schema validation not run")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, junit) in [("big run", big("junit")), ("small input", small("junit"))] {
        let file = dir.path().join("report.xml");
        std::fs::write(&file, &junit).unwrap();
        let out = Command::new(&xmllint)
            .args(["--noout", "--schema"])
            .arg(schemas.join("junit.xsd"))
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "JUnit of the {name} does not validate: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn no_format_prints_a_secret_value() {
    for format in ["text", "json", "sarif", "junit"] {
        let out = big(format) + &small(format);
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

/// `-o FILE` without `--format` writes the format the file's extension names, so
/// `-o results.sarif` is SARIF GitHub can read, not text; `--format` still wins,
/// and an extension that names no format gets text.
#[test]
fn output_extension_names_the_format_unless_format_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let written = |file: &str, extra: &[&str]| {
        let path = dir.path().join(file);
        let mut args = vec![
            "scan",
            "crates/kubeharden/tests/formats",
            "--select",
            SMALL_RULES,
            "-o",
            path.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        kubeharden(&args, 2);
        std::fs::read_to_string(path).unwrap()
    };
    let sarif: serde_json::Value = serde_json::from_str(&written("r.sarif", &[])).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let json: serde_json::Value = serde_json::from_str(&written("r.JSON", &[])).unwrap();
    assert!(json["findings"].is_array(), "{json}");
    assert!(written("r.xml", &[]).starts_with("<?xml"));
    assert!(written("r.html", &[]).starts_with("<!DOCTYPE html>"));
    assert!(written("r.md", &[]).starts_with('#'));
    assert!(written("r.txt", &[]).starts_with("Summary"));
    assert!(written("r.sarif", &["--format", "text"]).starts_with("Summary"));
}

/// An audit log's alerts in SARIF: each result says who, from where, when and which
/// events (its message, and `properties.alert` as in JSON), and the log follows the
/// SARIF 2.1.0 schema.
#[test]
fn sarif_of_an_audit_log_carries_each_alert_and_follows_the_schema() {
    let args = ["audit-log", "examples/audit/audit.log", "--format", "sarif"];
    let doc: serde_json::Value = serde_json::from_str(&kubeharden(&args, 1)).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() > 10);
    for r in results {
        let alert = &r["properties"]["alert"];
        let subject = alert["subject"].as_str().unwrap();
        let text = r["message"]["text"].as_str().unwrap();
        assert!(text.contains(subject) && !text.ends_with("()"), "{text}");
        for id in alert["audit_ids"].as_array().unwrap() {
            assert!(text.contains(id.as_str().unwrap()), "{text}");
        }
        assert!(alert["count"].as_u64().unwrap() >= 1);
    }
    let Some(schemas) = shared("SARIF schema validation of an audit log not run") else {
        return;
    };
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(schemas.join("sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let problems = schema_problems(&schema, &doc);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
