//! What the PolicyReport tests share: the CRDs of `../shared/schemas` read as JSON,
//! the v1alpha2 schema to validate against, and reports read from a YAML stream.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// `../shared/schemas`, or `None` once the skip has been reported.
pub fn schemas(what: &str) -> Option<PathBuf> {
    kubeharden_testkit::shared("schemas", what)
}

/// Every document of a YAML (or JSON) stream, as JSON.
pub fn documents(text: &str) -> Vec<Value> {
    let limits = kubeharden_yaml::Limits::default();
    kubeharden_yaml::split_documents(text)
        .into_iter()
        .flat_map(|chunk| kubeharden_yaml::parse_chunk(chunk, &limits))
        .map(|doc| {
            let doc = doc.expect("valid YAML");
            kubeharden_yaml::from_node::<Value>(&doc.root).expect("YAML as JSON")
        })
        .filter(|v| !v.is_null())
        .collect()
}

/// The CRD in `file` of the schemas folder, as JSON.
pub fn crd(schemas: &Path, file: &str) -> Value {
    let text = std::fs::read_to_string(schemas.join(file)).unwrap();
    documents(&text).remove(0)
}

/// The OpenAPI v3 schema of the CRD's v1alpha2 version.
pub fn v1alpha2_schema(crd: &Value) -> Value {
    crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "v1alpha2")
        .expect("the CRD serves v1alpha2")["schema"]["openAPIV3Schema"]
        .clone()
}

/// What `schema` finds wrong in `doc`.
pub fn problems(schema: &Value, doc: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).expect("schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}
