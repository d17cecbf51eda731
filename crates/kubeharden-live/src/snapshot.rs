//! `--snapshot FILE`: the objects a cluster scan read, written as a YAML stream that
//! `kubeharden scan FILE` judges offline with the same findings.
//!
//! Each object is one document, written as it is read (nothing is held back), in
//! block style with every string quoted where plain YAML would read it otherwise
//! (`"true"`, `"0755"`, `"1.10"`), so it loads back exactly. Secret values were
//! removed when the objects were read (`crate::object::redact_secret`); the scan's
//! header, a `kubeharden.io/v1alpha1` `ClusterSnapshot`, comes last.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use kubeharden_load::Object;
use kubeharden_yaml::{Node, Scalar, ScalarStyle, Value};

pub struct SnapshotWriter {
    out: BufWriter<File>,
    pub objects: usize,
}

impl SnapshotWriter {
    pub fn create(path: &Path, context: &str) -> io::Result<SnapshotWriter> {
        let mut out = BufWriter::new(File::create(path)?);
        writeln!(
            out,
            "# kubeharden snapshot of cluster context {}: the objects a scan read, Secret values removed.",
            quote(context)
        )?;
        writeln!(out, "# `kubeharden scan` of this file judges them offline.")?;
        Ok(SnapshotWriter { out, objects: 0 })
    }

    pub fn write(&mut self, object: &Object) -> io::Result<()> {
        self.out.write_all(b"---\n")?;
        let mut text = String::new();
        emit_block(&object.root, 0, &mut text);
        self.out.write_all(text.as_bytes())?;
        self.objects += 1;
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A mapping or sequence at `indent`, each entry on its own line.
fn emit_block(node: &Node, indent: usize, out: &mut String) {
    match &node.value {
        Value::Map(entries) if !entries.is_empty() => {
            for entry in entries {
                push_indent(indent, out);
                out.push_str(&key_text(&entry.key));
                out.push(':');
                emit_value(&entry.value, indent, false, out);
            }
        }
        Value::Seq(items) if !items.is_empty() => {
            for item in items {
                push_indent(indent, out);
                out.push('-');
                emit_value(item, indent, true, out);
            }
        }
        _ => {
            push_indent(indent, out);
            emit_inline(node, out);
            out.push('\n');
        }
    }
}

/// The value after `key:` or `-`. A mapping in a sequence starts on the dash's line.
fn emit_value(node: &Node, indent: usize, in_seq: bool, out: &mut String) {
    match &node.value {
        Value::Map(entries) if !entries.is_empty() && in_seq => {
            out.push(' ');
            let mut rest = String::new();
            emit_block(node, indent + 2, &mut rest);
            out.push_str(rest.trim_start_matches(' '));
        }
        Value::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            emit_block(node, indent + 2, out);
        }
        // A sequence under a key sits at the key's indentation, as kubectl writes it.
        Value::Seq(items) if !items.is_empty() => {
            out.push('\n');
            emit_block(node, if in_seq { indent + 2 } else { indent }, out);
        }
        _ => {
            out.push(' ');
            emit_inline(node, out);
            out.push('\n');
        }
    }
}

fn emit_inline(node: &Node, out: &mut String) {
    match &node.value {
        Value::Map(_) => out.push_str("{}"),
        Value::Seq(_) => out.push_str("[]"),
        Value::Scalar(s) => out.push_str(&scalar_text(s)),
    }
}

fn push_indent(indent: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn key_text(key: &Node) -> String {
    match key.scalar() {
        Some(s) => scalar_text(s),
        None => "\"\"".to_string(),
    }
}

/// A scalar as YAML that reads back the same: numbers, booleans and null as they
/// are; strings plain where that reads as the same string, quoted otherwise.
fn scalar_text(s: &Scalar) -> String {
    if s.style == ScalarStyle::Plain && !s.forced_str {
        return s.text.to_string();
    }
    if plain_is_safe(&s.text) {
        s.text.to_string()
    } else {
        quote(&s.text)
    }
}

/// Whether `text` written plain reads back as this very string.
fn plain_is_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/');
    let reads_as_string = matches!(
        (Scalar {
            text: text.into(),
            style: ScalarStyle::Plain,
            forced_str: false,
        })
        .resolve(),
        kubeharden_yaml::Resolved::Str(_)
    );
    (first.is_ascii_alphanumeric() || first == '_' || first == '/')
        && text.chars().all(allowed)
        && reads_as_string
}

/// A double-quoted YAML string. Everything outside printable ASCII and ordinary
/// Unicode is escaped, line separators included, so nothing is folded on reading.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{85}') => {
                if (c as u32) <= 0xffff {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::read_object;

    fn round_trip(json: &str) -> (String, Node) {
        let node = read_object(json.as_bytes()).unwrap();
        let mut text = String::new();
        emit_block(&node, 0, &mut text);
        let docs = kubeharden_yaml::parse_chunk(
            kubeharden_yaml::split_documents(&text)[0],
            &kubeharden_yaml::Limits::default(),
        );
        let back = docs.into_iter().next().unwrap().unwrap().root;
        (text, back)
    }

    /// The tree without positions, for comparing.
    fn shape(node: &Node) -> serde_json::Value {
        match &node.value {
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.scalar().unwrap().text.to_string(), shape(&e.value)))
                    .collect(),
            ),
            Value::Seq(items) => serde_json::Value::Array(items.iter().map(shape).collect()),
            Value::Scalar(_) => serde_json::json!(format!("{:?}", node.resolved().unwrap())),
        }
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let json = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"app.kubernetes.io/name":"web","on":"yes","n":"0755"},"annotations":{"note":"a: b #c\nline two","empty":"","uni":"caf\u00e9 \u2028 x","ctl":"\u001b[2J"}},
            "spec":{"containers":[{"name":"c","image":"nginx:1.25","ports":[{"containerPort":80}],"args":["-v","true","1.10",""],"securityContext":{"privileged":true,"runAsUser":0}}],"volumes":[],"nodeSelector":{},"x":null,"f":1.5}}"#;
        let (text, back) = round_trip(json);
        let node = read_object(json.as_bytes()).unwrap();
        assert_eq!(shape(&back), shape(&node), "{text}");
        assert!(text.contains("  containers:\n  - name: c\n"), "{text}");
        assert!(text.contains("\"0755\""), "{text}");
    }

    #[test]
    fn nested_sequences_and_maps_in_sequences() {
        let json = r#"{"a":[[1,2],[{"b":[{"c":"d"}]}],[]],"e":[{"f":{"g":"h"}}]}"#;
        let (text, back) = round_trip(json);
        let node = read_object(json.as_bytes()).unwrap();
        assert_eq!(shape(&back), shape(&node), "{text}");
    }
}
