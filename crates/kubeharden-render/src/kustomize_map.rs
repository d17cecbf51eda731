//! A finding of an overlay's rendered object, mapped back to the base resource that
//! defines the object and to the patches that set or removed the field
//! (docs/source-mapping.md).
//!
//! The overlay's kustomizations are read as kustomize reads them: resources and bases
//! (files, or folders with their own kustomization, followed), components, and the
//! patches of every form. An object is matched to its base resource by kind and name
//! (the rendered name contains the base's: prefixes and suffixes are added); list
//! items are matched by their `name`, as a strategic merge does.

use std::path::{Path, PathBuf};

use kubeharden_findings::{Finding, Location};
use kubeharden_load::kustomize::kustomization_in;
use kubeharden_load::Object;
use kubeharden_yaml::{parse_chunk, split_documents, FieldPath, Limits, Node, Pos, Seg, Value};

use crate::{first_document, SourceMap};

/// What a document of the overlay is to the objects it touches.
enum Role {
    Resource,
    /// A strategic-merge patch: a partial object.
    Merge,
    /// JSON 6902 operations, for the objects of this kind and name.
    Json6902 {
        kind: Option<String>,
        name: Option<String>,
    },
}

struct SourceDoc {
    file: String,
    role: Role,
    root: Node,
}

pub(crate) struct KustomizeMap {
    docs: Vec<SourceDoc>,
}

impl KustomizeMap {
    /// Reads the overlay in `dir` and everything it uses.
    pub(crate) fn read(dir: &Path) -> KustomizeMap {
        let mut docs = Vec::new();
        let mut seen = Vec::new();
        read_kustomization(dir, &mut docs, &mut seen);
        KustomizeMap { docs }
    }
}

fn read_kustomization(dir: &Path, docs: &mut Vec<SourceDoc>, seen: &mut Vec<PathBuf>) {
    let Some(file) = kustomization_in(dir) else {
        return;
    };
    let canonical = std::fs::canonicalize(&file).unwrap_or(file.clone());
    if seen.contains(&canonical) {
        return;
    }
    seen.push(canonical);
    let Some(root) = first_document(&file) else {
        return;
    };
    let list = |key: &str| root.get(key).map(Node::items).unwrap_or_default().to_vec();
    for key in ["resources", "bases", "components"] {
        for entry in list(key).iter().filter_map(Node::scalar_text) {
            let path = dir.join(entry);
            if path.is_dir() {
                read_kustomization(&path, docs, seen);
            } else {
                add_file(&path, || Role::Resource, docs);
            }
        }
    }
    for entry in list("patchesStrategicMerge")
        .iter()
        .filter_map(Node::scalar_text)
    {
        add_file(&dir.join(entry), || Role::Merge, docs);
    }
    for entry in list("patches").iter().chain(list("patchesJson6902").iter()) {
        let Some(path) = entry.get("path").and_then(Node::scalar_text) else {
            continue;
        };
        let target = |key: &str| {
            entry
                .get("target")
                .and_then(|t| t.get(key))
                .and_then(Node::scalar_text)
                .map(str::to_string)
        };
        add_file(
            &dir.join(path),
            || Role::Json6902 {
                kind: target("kind"),
                name: target("name"),
            },
            docs,
        );
    }
}

/// Adds the documents of `path`; a list of operations is JSON 6902 whatever its key.
fn add_file(path: &Path, role: impl Fn() -> Role, docs: &mut Vec<SourceDoc>) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let shown = normal(path).display().to_string();
    for chunk in split_documents(&text) {
        for doc in parse_chunk(chunk, &Limits::default()).into_iter().flatten() {
            let role = match (&doc.root.value, role()) {
                (Value::Seq(_), role @ Role::Json6902 { .. }) => role,
                (Value::Seq(_), _) => continue,
                (_, Role::Json6902 { .. }) => Role::Merge,
                (_, role) => role,
            };
            docs.push(SourceDoc {
                file: shown.clone(),
                role,
                root: doc.root,
            });
        }
    }
}

/// `a/b/../c` as `a/c`, and no leading `./`: the path as a user would type it.
fn normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn text_at<'a>(node: &'a Node, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(node, |n, k| n.get(k))
        .and_then(Node::scalar_text)
}

/// Whether a document is about `object`: the same kind, and a name the rendered one
/// contains (kustomize adds prefixes and suffixes).
fn is_about(doc: &Node, object: &Object) -> bool {
    let kind = text_at(doc, &["kind"]);
    let name = text_at(doc, &["metadata", "name"]);
    kind == Some(object.resource.kind.as_str())
        && name.is_some_and(|n| object.resource.name.contains(n))
}

/// Where `path` (as in the rendered object) is in `doc`: list items matched by their
/// `name`, else by index. The position of the deepest part found, and how many of
/// the path's parts were.
fn locate(rendered: &Node, doc: &Node, path: &FieldPath) -> (Pos, usize) {
    let (mut there, mut here) = (rendered, doc);
    let mut pos = doc.pos;
    for (depth, seg) in path.segments().iter().enumerate() {
        let next = match seg {
            Seg::Key(k) => here.entry(k).map(|e| (e.key.pos, &e.value)),
            Seg::Index(i) => {
                let item = there.items().get(*i);
                let name = item.and_then(|n| n.get("name")).and_then(Node::scalar_text);
                let found = match name {
                    Some(name) => here
                        .items()
                        .iter()
                        .find(|n| n.get("name").and_then(Node::scalar_text) == Some(name)),
                    None => here.items().get(*i),
                };
                found.map(|n| (n.pos, n))
            }
        };
        let Some((at, node)) = next else {
            return (pos, depth);
        };
        pos = at;
        here = node;
        there = match seg {
            Seg::Key(k) => there.get(k).unwrap_or(there),
            Seg::Index(i) => there.items().get(*i).unwrap_or(there),
        };
    }
    (pos, path.segments().len())
}

/// The JSON pointer of an operation as a field path's dotted form.
fn pointer_to_path(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.trim_start_matches('/').split('/') {
        let part = part.replace("~1", "/").replace("~0", "~");
        if part.chars().all(|c| c.is_ascii_digit()) && !part.is_empty() {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&part);
        }
    }
    out
}

impl SourceMap for KustomizeMap {
    fn map(&self, object: &Object, finding: &mut Finding) {
        let path = FieldPath::parse(&finding.path);
        let full = path.segments().len();
        let mut base: Option<(Location, usize)> = None;
        let mut patched: Option<(Location, &'static str)> = None;
        for doc in &self.docs {
            match &doc.role {
                Role::Resource if is_about(&doc.root, object) => {
                    let (pos, depth) = locate(&object.root, &doc.root, &path);
                    base = Some((at(&doc.file, pos), depth));
                }
                Role::Merge if is_about(&doc.root, object) => {
                    let (pos, depth) = locate(&object.root, &doc.root, &path);
                    let base_depth = base.as_ref().map_or(0, |(_, d)| *d);
                    if depth == full {
                        patched = Some((at(&doc.file, pos), "set"));
                    } else if depth > base_depth && depth > 1 {
                        // The patch adds what holds the field (a container).
                        patched = Some((at(&doc.file, pos), "added"));
                    }
                }
                Role::Json6902 { kind, name } => {
                    let kind_ok = kind.as_deref().is_none_or(|k| k == object.resource.kind);
                    let name_ok = name
                        .as_deref()
                        .is_none_or(|n| object.resource.name.contains(n));
                    if !(kind_ok && name_ok) {
                        continue;
                    }
                    for op in doc.root.items() {
                        let Some(pointer) = text_at(op, &["path"]) else {
                            continue;
                        };
                        let touched = pointer_to_path(pointer);
                        let covers = finding.path == touched
                            || finding.path.starts_with(&format!("{touched}."))
                            || touched.starts_with(&format!("{}.", finding.path));
                        if covers {
                            let verb = match text_at(op, &["op"]) {
                                Some("remove") => "removed",
                                _ => "set",
                            };
                            patched = Some((at(&doc.file, op.pos), verb));
                        }
                    }
                }
                _ => {}
            }
        }
        let Some((base, _)) = base else {
            return;
        };
        let rendered = std::mem::replace(&mut finding.location, base.clone());
        finding.rendered = Some(rendered);
        if let Some((patch, verb)) = patched {
            finding.message.push_str(&format!(
                "; {verb} by the patch {}:{} (base: {}:{})",
                patch.file, patch.line, base.file, base.line
            ));
            finding.location = patch;
        }
    }
}

fn at(file: &str, pos: Pos) -> Location {
    Location {
        file: file.into(),
        line: pos.line,
        column: pos.col,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_without_detours() {
        assert_eq!(
            normal(Path::new("./a/b/../../c/d.yaml")),
            Path::new("c/d.yaml")
        );
        assert_eq!(normal(Path::new("../x/../y.yaml")), Path::new("../y.yaml"));
    }

    #[test]
    fn json_pointers_read_as_field_paths() {
        assert_eq!(
            pointer_to_path("/spec/template/spec/containers/0/securityContext"),
            "spec.template.spec.containers[0].securityContext"
        );
        assert_eq!(
            pointer_to_path("/metadata/annotations/a~1b"),
            "metadata.annotations.a/b"
        );
    }
}
