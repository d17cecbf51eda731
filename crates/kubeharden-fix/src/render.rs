//! Writing values as YAML text: into a block mapping, into a flow mapping (or JSON),
//! and whole patch documents.

use kubeharden_yaml::{Resolved, Scalar, ScalarStyle, Seg};
use serde_json::Value;

use crate::want::{Field, Val, Want};

/// How the text around an edit is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// YAML block style (`key: value` lines).
    Block,
    /// YAML flow style (`{key: value}`).
    Flow,
    /// JSON: keys and strings quoted.
    Json,
}

/// A string as a YAML scalar: plain when it reads back as the same string, quoted
/// otherwise (`"true"`, `"100"`, `"a: b"`).
pub fn yaml_string(s: &str) -> String {
    let safe_chars = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
        && !s.starts_with(['-', '.']);
    let plain = Scalar {
        text: s.into(),
        style: ScalarStyle::Plain,
        forced_str: false,
    };
    if safe_chars && plain.resolve() == Resolved::Str(s) {
        s.to_string()
    } else {
        json_string(s)
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

fn key_text(seg: &Seg, style: Style) -> String {
    let key = match seg {
        Seg::Key(k) => k.to_string(),
        Seg::Index(i) => i.to_string(),
    };
    match style {
        Style::Json => json_string(&key),
        _ => yaml_string(&key),
    }
}

/// A value as a one-line scalar or flow list.
pub fn value_text(val: &Val, style: Style) -> String {
    let string = |s: &str| match style {
        Style::Json => json_string(s),
        _ => yaml_string(s),
    };
    match val {
        Val::Bool(b) => b.to_string(),
        Val::Int(i) => i.to_string(),
        Val::Str(s) => string(s),
        Val::List(items) => {
            let items: Vec<String> = items.iter().map(|s| string(s)).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// The fields of `want` as the lines of a block mapping, indented by `indent` spaces
/// below the first (which the caller places).
pub fn block_lines(want: &Want, indent: usize, out: &mut Vec<String>) {
    let pad = " ".repeat(indent);
    for (seg, field) in &want.fields {
        let key = key_text(seg, Style::Block);
        match field {
            Field::Leaf(val) => out.push(format!("{pad}{key}: {}", value_text(val, Style::Block))),
            Field::Map(inner) => {
                out.push(format!("{pad}{key}:"));
                block_lines(inner, indent + 2, out);
            }
        }
    }
}

/// The fields of `want` as the inside of a flow mapping: `a: 1, b: {c: 2}`.
pub fn flow_entries(want: &Want, style: Style) -> String {
    let parts: Vec<String> = want
        .fields
        .iter()
        .map(|(seg, field)| {
            let value = match field {
                Field::Leaf(val) => value_text(val, style),
                Field::Map(inner) => format!("{{{}}}", flow_entries(inner, style)),
            };
            format!("{}: {value}", key_text(seg, style))
        })
        .collect();
    parts.join(", ")
}

/// A JSON value as a YAML block document (the patches and policies `fix` writes).
pub fn yaml_document(value: &Value) -> String {
    let mut out = String::new();
    emit(value, 0, &mut out);
    out
}

fn scalar(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_string(s),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(o) if o.is_empty() => "{}".into(),
        _ => return None,
    })
}

/// Writes the entries of an object (or the items of a list) at `indent`.
fn emit(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match scalar(v) {
                    Some(s) => out.push_str(&format!("{pad}{}: {s}\n", yaml_string(key))),
                    None => {
                        out.push_str(&format!("{pad}{}:\n", yaml_string(key)));
                        // A list sits at its key's indentation, as kubectl writes it.
                        let inner = if v.is_array() { indent } else { indent + 2 };
                        emit(v, inner, out);
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match scalar(item) {
                    Some(s) => out.push_str(&format!("{pad}- {s}\n")),
                    None => {
                        let mut inner = String::new();
                        emit(item, indent + 2, &mut inner);
                        // The first line's indentation becomes the dash.
                        out.push_str(&format!("{pad}- {}", &inner[indent + 2..]));
                    }
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other).unwrap_or_default())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeharden_yaml::FieldPath;

    #[test]
    fn strings_that_would_read_as_other_types_are_quoted() {
        assert_eq!(yaml_string("RuntimeDefault"), "RuntimeDefault");
        assert_eq!(yaml_string("100m"), "100m");
        assert_eq!(yaml_string("128Mi"), "128Mi");
        assert_eq!(yaml_string("true"), "\"true\"");
        assert_eq!(yaml_string("1"), "\"1\"");
        assert_eq!(yaml_string("0.5"), "\"0.5\"");
        assert_eq!(yaml_string("a b"), "\"a b\"");
        assert_eq!(yaml_string(""), "\"\"");
    }

    #[test]
    fn wants_render_as_block_and_flow() {
        let mut want = Want::default();
        want.set(
            &FieldPath::parse("securityContext.runAsNonRoot"),
            Val::Bool(true),
        );
        want.set(
            &FieldPath::parse("securityContext.capabilities.drop"),
            Val::List(vec!["ALL".into()]),
        );
        let mut lines = Vec::new();
        block_lines(&want, 0, &mut lines);
        assert_eq!(
            lines,
            [
                "securityContext:",
                "  runAsNonRoot: true",
                "  capabilities:",
                "    drop: [ALL]"
            ]
        );
        assert_eq!(
            flow_entries(&want, Style::Flow),
            "securityContext: {runAsNonRoot: true, capabilities: {drop: [ALL]}}"
        );
        assert_eq!(
            flow_entries(&want, Style::Json),
            r#""securityContext": {"runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}}"#
        );
    }

    #[test]
    fn documents_are_block_yaml() {
        let doc = serde_json::json!({
            "kind": "Deployment",
            "spec": {"containers": [{"name": "web", "securityContext": {"drop": ["ALL"]}}]},
        });
        assert_eq!(
            yaml_document(&doc),
            "kind: Deployment\nspec:\n  containers:\n  - name: web\n    securityContext:\n      drop:\n      - ALL\n"
        );
    }
}
