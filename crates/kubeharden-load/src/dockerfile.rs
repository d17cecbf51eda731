//! Dockerfiles as objects, so image-build rules (guidance POD-01) run through the same
//! engine and report exact lines.
//!
//! A Dockerfile becomes an object of kind `Dockerfile` whose tree is
//! `{stages: [{from, name, user}]}`: each build stage's base image, its `AS` name and
//! its last `USER`, every value positioned at the instruction that set it.

use std::path::Path;
use std::sync::Arc;

use kubeharden_yaml::{Entry, Node, Pos, Scalar, ScalarStyle, Value};

use crate::object::{DocumentObjects, Object, Resource};

/// `Dockerfile`, `Containerfile`, `*.Dockerfile`, `Dockerfile.*`.
pub fn is_dockerfile(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.ends_with(".dockerfile")
        || lower.starts_with("dockerfile.")
}

fn scalar(text: &str, pos: Pos) -> Node {
    Node {
        pos,
        value: Value::Scalar(Scalar {
            text: text.into(),
            style: ScalarStyle::Quoted,
            forced_str: true,
        }),
    }
}

fn entry(key: &str, value: Node) -> Entry {
    Entry {
        key: scalar(key, value.pos),
        value,
    }
}

/// Instructions with their 1-based line and column, continuation lines joined.
fn instructions(text: &str) -> Vec<(Pos, String, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(Pos, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if pending.is_none() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        let (pos, mut joined) = pending.take().unwrap_or_else(|| {
            let col = raw.len() - raw.trim_start().len() + 1;
            (Pos::new(i as u32 + 1, col as u32), String::new())
        });
        if line.starts_with('#') {
            pending = Some((pos, joined));
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => {
                joined.push_str(head);
                joined.push(' ');
                pending = Some((pos, joined));
            }
            None => {
                joined.push_str(line);
                let (keyword, args) = joined
                    .split_once(char::is_whitespace)
                    .unwrap_or((&joined, ""));
                out.push((pos, keyword.to_ascii_uppercase(), args.trim().to_string()));
            }
        }
    }
    out
}

/// Reads a Dockerfile into one object.
pub fn objects_from_dockerfile(file: &Arc<str>, text: &str) -> DocumentObjects {
    let mut stages: Vec<Vec<Entry>> = Vec::new();
    for (pos, keyword, args) in instructions(text) {
        match keyword.as_str() {
            "FROM" => {
                let words: Vec<&str> = args
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let mut stage = vec![entry(
                    "from",
                    scalar(words.first().copied().unwrap_or(""), pos),
                )];
                if let [_, kw, name, ..] = words.as_slice() {
                    if kw.eq_ignore_ascii_case("as") {
                        stage.push(entry("name", scalar(name, pos)));
                    }
                }
                stages.push(stage);
            }
            "USER" => {
                if let Some(stage) = stages.last_mut() {
                    stage.retain(|e| e.key.scalar().is_none_or(|s| &*s.text != "user"));
                    stage.push(entry("user", scalar(&args, pos)));
                }
            }
            _ => {}
        }
    }
    let start = Pos::new(1, 1);
    let stages = stages
        .into_iter()
        .map(|entries| Node {
            pos: entries[0].value.pos,
            value: Value::Map(entries),
        })
        .collect();
    let root = Node {
        pos: start,
        value: Value::Map(vec![entry(
            "stages",
            Node {
                pos: start,
                value: Value::Seq(stages),
            },
        )]),
    };
    let name = Path::new(&**file)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("Dockerfile")
        .to_string();
    let resource = Resource {
        api_version: String::new(),
        kind: "Dockerfile".into(),
        namespace: None,
        name,
    };
    DocumentObjects {
        objects: vec![Object {
            file: file.clone(),
            helm_source: None,
            resource: Arc::new(resource),
            root,
            namespace_defaulted: false,
        }],
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stages_and_their_last_user() {
        let text = "# build\nFROM golang:1.23 AS build\nUSER root\nRUN go build \\\n  ./...\n\nFROM gcr.io/distroless/static:nonroot\nUSER 65532:65532\n";
        let got = objects_from_dockerfile(&"app/Dockerfile".into(), text);
        let stages = got.objects[0].root.get("stages").unwrap().items();
        assert_eq!(stages.len(), 2);
        assert_eq!(stages[0].get("name").unwrap().as_str(), Some("build"));
        assert_eq!(stages[1].get("user").unwrap().as_str(), Some("65532:65532"));
        assert_eq!(stages[1].get("user").unwrap().pos, Pos::new(8, 1));
        assert_eq!(got.objects[0].resource.name, "Dockerfile");
    }

    #[test]
    fn recognises_dockerfile_names() {
        for name in [
            "Dockerfile",
            "app.Dockerfile",
            "Dockerfile.prod",
            "Containerfile",
        ] {
            assert!(is_dockerfile(Path::new(name)), "{name}");
        }
        assert!(!is_dockerfile(Path::new("docker-compose.yaml")));
    }
}
