//! Credentials taken out of what a snapshot keeps. `kubeharden cluster --snapshot`
//! writes the objects it read so that `kubeharden scan` can judge them offline; a
//! ConfigMap entry or an environment variable that holds a credential (KH533, KH401)
//! would carry it into that file. Each such value is replaced by a marker that names
//! only what kind of credential it was (`kubeharden-redacted: a private key`), which
//! the same rules read as that credential: the snapshot gives the same findings and
//! holds no value. Secrets are emptied elsewhere (kubeharden-live), as they are read.

use kubeharden_load::Object;
use kubeharden_yaml::{Node, Scalar, ScalarStyle, Value};

use crate::rules::secrets::configmap_credentials::{entry_text, find_credential};
use crate::support::secrets::{classify, redaction_marker, LAST_APPLIED};

/// A copy of `object` without the credentials the rules find in it, or `None` when
/// it holds none (most objects: no copy is made).
pub fn redact_credentials(object: &Object) -> Option<Object> {
    let mut copy = object.clone();
    let configmap = object.resource.kind == "ConfigMap" && object.resource.api_version == "v1";
    let mut changed = false;
    if configmap {
        changed |= redact_configmap(&mut copy.root);
    }
    changed |= redact_env(&mut copy.root);
    changed |= redact_last_applied(&mut copy.root, configmap);
    changed.then_some(copy)
}

/// The credential values `object` holds, as written (a Secret's values, and what
/// [`redact_credentials`] takes out), so that text quoting the object (a `fix --dry-run`
/// diff) can hide them. Multi-line values are given line by line.
pub fn credential_values(object: &Object) -> Vec<String> {
    let mut values = Vec::new();
    if object.resource.kind == "Secret" {
        for field in ["data", "stringData"] {
            if let Some(node) = object.root.get(field) {
                scalar_texts(node, &mut values);
            }
        }
    }
    if let Some(redacted) = redact_credentials(object) {
        let (mut before, mut after) = (Vec::new(), Vec::new());
        scalar_texts(&object.root, &mut before);
        scalar_texts(&redacted.root, &mut after);
        values.extend(before.into_iter().filter(|v| !after.contains(v)));
    }
    let mut lines: Vec<String> = values
        .iter()
        .flat_map(|v| v.lines())
        .map(str::trim)
        // Short lines ("---", "-----END ...-----" aside) would mask unrelated text.
        .filter(|l| l.len() >= 6)
        .map(str::to_string)
        .collect();
    lines.sort();
    lines.dedup();
    lines
}

fn scalar_texts(node: &Node, out: &mut Vec<String>) {
    match &node.value {
        Value::Scalar(s) => out.push(s.text.to_string()),
        Value::Seq(items) => items.iter().for_each(|n| scalar_texts(n, out)),
        Value::Map(entries) => entries.iter().for_each(|e| scalar_texts(&e.value, out)),
    }
}

fn redact_configmap(root: &mut Node) -> bool {
    let mut changed = false;
    for section in ["data", "binaryData"] {
        let Some(Value::Map(entries)) = get_mut(root, section).map(|n| &mut n.value) else {
            continue;
        };
        for entry in entries {
            let Some(key) = entry.key.scalar_text().map(str::to_string) else {
                continue;
            };
            let Some(text) = entry_text(section, &entry.value) else {
                continue;
            };
            if let Some(what) = find_credential(&key, &text) {
                set_text(&mut entry.value, &encoded(section, &redaction_marker(what)));
                changed = true;
            }
        }
    }
    changed
}

fn encoded(section: &str, text: &str) -> String {
    use base64::Engine as _;
    if section == "data" {
        text.to_string()
    } else {
        base64::engine::general_purpose::STANDARD.encode(text)
    }
}

/// Every `env` list anywhere in the object (containers, init and ephemeral
/// containers, of any workload kind): a `value` the rules call a credential.
fn redact_env(node: &mut Node) -> bool {
    let mut changed = false;
    match &mut node.value {
        Value::Map(entries) => {
            for entry in entries {
                if entry.key.scalar_text() == Some("env") {
                    if let Value::Seq(vars) = &mut entry.value.value {
                        changed |= every(vars.iter_mut().map(redact_var));
                    }
                } else {
                    changed |= redact_env(&mut entry.value);
                }
            }
        }
        Value::Seq(items) => {
            changed |= every(items.iter_mut().map(redact_env));
        }
        Value::Scalar(_) => {}
    }
    changed
}

fn redact_var(var: &mut Node) -> bool {
    let Some(name) = var
        .get("name")
        .and_then(Node::scalar_text)
        .map(str::to_string)
    else {
        return false;
    };
    let Some(value) = get_mut(var, "value") else {
        return false;
    };
    let Some(what) = value.scalar_text().and_then(|v| classify(&name, v)) else {
        return false;
    };
    set_text(value, &redaction_marker(what));
    true
}

/// The copy `kubectl apply` keeps in an annotation, redacted the same way.
fn redact_last_applied(root: &mut Node, configmap: bool) -> bool {
    let Some(annotation) = get_mut(root, "metadata")
        .and_then(|m| get_mut(m, "annotations"))
        .and_then(|a| get_mut(a, LAST_APPLIED))
    else {
        return false;
    };
    let Some(mut applied) = annotation
        .scalar_text()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
    else {
        return false;
    };
    let mut changed = false;
    if configmap {
        changed |= redact_json_configmap(&mut applied);
    }
    changed |= redact_json_env(&mut applied);
    if changed {
        set_text(annotation, &applied.to_string());
    }
    changed
}

/// `data` and `binaryData` of the applied copy: a `binaryData` value is base64, and is
/// judged decoded and replaced encoded, as in the live object.
fn redact_json_configmap(applied: &mut serde_json::Value) -> bool {
    let mut changed = false;
    for section in ["data", "binaryData"] {
        let Some(entries) = applied.get_mut(section).and_then(|d| d.as_object_mut()) else {
            continue;
        };
        for (key, value) in entries.iter_mut() {
            let text = value.as_str().and_then(|raw| match section {
                "data" => Some(raw.to_string()),
                _ => String::from_utf8(kubeharden_load::decode_payload(raw)?).ok(),
            });
            if let Some(what) = text.and_then(|t| find_credential(key, &t)) {
                *value = encoded(section, &redaction_marker(what)).into();
                changed = true;
            }
        }
    }
    changed
}

fn redact_json_env(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::Object(map) => {
            let mut changed = false;
            for (key, child) in map.iter_mut() {
                match (key.as_str(), child) {
                    ("env", serde_json::Value::Array(vars)) => {
                        for var in vars {
                            changed |= redact_json_var(var);
                        }
                    }
                    (_, child) => changed |= redact_json_env(child),
                }
            }
            changed
        }
        serde_json::Value::Array(items) => every(items.iter_mut().map(redact_json_env)),
        _ => false,
    }
}

fn redact_json_var(var: &mut serde_json::Value) -> bool {
    let name = var.get("name").and_then(|n| n.as_str()).map(str::to_string);
    let what = match (name, var.get("value").and_then(|v| v.as_str())) {
        (Some(name), Some(value)) => classify(&name, value),
        _ => None,
    };
    match what {
        Some(what) => {
            var["value"] = redaction_marker(what).into();
            true
        }
        None => false,
    }
}

/// Whether any of `changes` changed something, running every one of them (unlike
/// `any`, which would stop at the first and leave the rest unredacted).
fn every(changes: impl Iterator<Item = bool>) -> bool {
    changes.filter(|changed| *changed).count() > 0
}

fn get_mut<'n>(node: &'n mut Node, key: &str) -> Option<&'n mut Node> {
    match &mut node.value {
        Value::Map(entries) => entries
            .iter_mut()
            .rev()
            .find(|e| e.key.scalar_text() == Some(key))
            .map(|e| &mut e.value),
        _ => None,
    }
}

/// Replaces a node's value with a quoted string, keeping its place.
fn set_text(node: &mut Node, text: &str) {
    node.value = Value::Scalar(Scalar {
        text: text.into(),
        style: ScalarStyle::Quoted,
        forced_str: false,
    });
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::RuleSet;

    fn object(text: &str) -> Object {
        let file: Arc<str> = "test.yaml".into();
        let mut got = kubeharden_load::load_text(&file, text, &kubeharden_yaml::Limits::default());
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        got.objects.remove(0)
    }

    /// (rule, path) of each finding: what a redacted copy must still give.
    fn findings(object: &Object) -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = RuleSet::all()
            .check_object(object)
            .findings
            .iter()
            .filter(|f| ["KH401", "KH533"].contains(&f.rule_id))
            .map(|f| (f.rule_id.to_string(), f.path.to_string()))
            .collect();
        found.sort();
        found
    }

    /// Every key and value of a tree, one a line.
    fn scalars(node: &Node) -> String {
        match &node.value {
            Value::Scalar(s) => format!("{}\n", s.text),
            Value::Seq(items) => items.iter().map(scalars).collect(),
            Value::Map(entries) => entries
                .iter()
                .map(|e| format!("{}: {}", scalars(&e.key).trim_end(), scalars(&e.value)))
                .collect(),
        }
    }

    const CONFIGMAP: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: app
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"v1","kind":"ConfigMap","data":{"old_password":"tiger-old-9"}}'
data:
  db_password: hunter2-prod
  application.properties: |
    db.url=jdbc:postgresql://db:5432/shop
    db.password=s3cret-in-file
  key.pem: |
    -----BEGIN RSA PRIVATE KEY-----
    MIIEowIBAAKCAQEAzN0tpart
    -----END RSA PRIVATE KEY-----
  log_level: debug
binaryData:
  token: dG9rZW49Z2hwX2FhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=
"#;

    #[test]
    fn a_configmap_keeps_its_findings_and_loses_its_credentials() {
        let original = object(CONFIGMAP);
        let redacted = redact_credentials(&original).expect("credentials found");
        assert_eq!(findings(&redacted), findings(&original));
        assert!(findings(&original).len() >= 5, "{:?}", findings(&original));
        let text = scalars(&redacted.root);
        for value in [
            "hunter2-prod",
            "s3cret-in-file",
            "MIIEowIBAAKCAQEAzN0tpart",
            "tiger-old-9",
            "dG9rZW49",
        ] {
            assert!(!text.contains(value), "{value} kept:\n{text}");
        }
        assert!(
            text.contains("kubeharden-redacted: a private key"),
            "{text}"
        );
        assert!(
            text.contains("log_level: debug"),
            "a harmless entry changed:\n{text}"
        );
    }

    /// `kubectl apply` of a ConfigMap whose `binaryData` holds a private key keeps the
    /// key, base64, in its last-applied copy too: both go; a harmless entry stays.
    #[test]
    fn binary_data_of_the_applied_copy_is_redacted() {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let key =
            b64("-----BEGIN PRIVATE KEY-----\nMIIBINARYUNIQUEKEYxyz\n-----END PRIVATE KEY-----\n");
        let logo = b64("GIF89a-not-a-credential");
        let applied = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "binaryData": {"key.pem": key, "logo.gif": logo}});
        let original = object(&format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bin-cm\n  namespace: payments\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{applied}'\nbinaryData:\n  key.pem: {key}\n  logo.gif: {logo}\n"
        ));
        let redacted = redact_credentials(&original).expect("credentials found");
        let text = scalars(&redacted.root);
        assert!(!text.contains(&key), "the key is kept:\n{text}");
        assert_eq!(text.matches(&logo).count(), 2, "{text}");
        let annotation = redacted
            .root
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(LAST_APPLIED))
            .and_then(Node::scalar_text)
            .unwrap();
        let applied: serde_json::Value = serde_json::from_str(annotation).unwrap();
        let marker = applied["binaryData"]["key.pem"].as_str().unwrap();
        let decoded = kubeharden_load::decode_payload(marker).unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            redaction_marker("a private key")
        );
    }

    #[test]
    fn env_values_are_redacted_in_every_container_list_and_the_applied_copy() {
        let original = object(
            r#"apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"b","env":[{"name":"AWS_SECRET_ACCESS_KEY","value":"old-secret-77"}]}]}}}}}}'
spec:
  schedule: "0 1 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
          - name: init
            image: busybox:1.36
            env:
            - {name: ADMIN_PASSWORD, value: changeme}
          containers:
          - name: b
            image: busybox:1.36
            env:
            - {name: AWS_ACCESS_KEY_ID, value: AKIAABCDEFGHIJKLMNOP}
            - {name: LOG_LEVEL, value: info}
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: db, key: password}}
"#,
        );
        let redacted = redact_credentials(&original).expect("credentials found");
        assert_eq!(findings(&redacted), findings(&original));
        let text = scalars(&redacted.root);
        for value in ["changeme", "AKIAABCDEFGHIJKLMNOP", "old-secret-77"] {
            assert!(!text.contains(value), "{value} kept:\n{text}");
        }
        assert!(text.contains("value: info"), "{text}");
    }

    #[test]
    fn objects_without_credentials_are_not_copied() {
        let clean = object(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  password_file: /etc/app/password\n  LOG: debug\n",
        );
        assert!(redact_credentials(&clean).is_none());
    }
}
