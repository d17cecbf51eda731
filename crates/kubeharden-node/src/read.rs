//! Reading a node's files: each is absent, broken (and reported), or read.
//!
//! A component file that exists but cannot be used (unreadable, empty, not valid YAML)
//! must never pass for an absent one: absence has meaning (defaults apply), brokenness
//! does not. So every reader says which of the three it was, and reports the why.

use std::path::Path;

use kubeharden_load::{decode_text, objects_from_document, LoadError, LoadErrorKind, Object};
use kubeharden_yaml::{parse_chunk, split_documents, Document, Limits};

use crate::discover::{name_of, NodeView};
use crate::rooted::ReadFailure;

/// What reading one file gave.
#[derive(Debug)]
pub(crate) enum Loaded<T> {
    /// Not on the node.
    Absent,
    /// There, but unreadable, empty or not valid YAML; the error is in the view.
    Broken,
    Read(T),
}

impl<T> Loaded<T> {
    /// What the content gives, when there is content.
    fn and_then<U>(self, f: impl FnOnce(T) -> Loaded<U>) -> Loaded<U> {
        match self {
            Loaded::Read(t) => f(t),
            Loaded::Absent => Loaded::Absent,
            Loaded::Broken => Loaded::Broken,
        }
    }
}

/// Why a file could not be read, in words: the OS's own for the rare cases.
fn why(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "it is a folder, not a file".into(),
        _ => e.to_string(),
    }
}

pub(crate) fn report(view: &mut NodeView, path: &Path, kind: impl Into<LoadErrorKind>) {
    view.errors
        .push(LoadError::new(&name_of(path), None, kind.into()));
}

/// The file's text. Invalid UTF-8 is replaced and warned of, not an error: flags and
/// YAML keys are ASCII, so the file is still read whole.
pub(crate) fn read_text(path: &Path, view: &mut NodeView) -> Loaded<String> {
    match view.reading.read(path) {
        Ok(bytes) => {
            view.read += 1;
            let (text, warning) = decode_text(&name_of(path), bytes, "read");
            view.warnings.extend(warning);
            Loaded::Read(text)
        }
        Err(ReadFailure::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Loaded::Absent,
        Err(ReadFailure::Io(e)) => {
            report(view, path, LoadErrorKind::Unreadable { reason: why(&e) });
            Loaded::Broken
        }
        Err(failure) => {
            report(view, path, failure.to_string());
            Loaded::Broken
        }
    }
}

/// The YAML documents of a component file. A syntax error anywhere breaks the whole
/// file, as it does for the component that reads it; its position is the error's.
pub(crate) fn read_yaml(path: &Path, view: &mut NodeView) -> Loaded<Vec<Document>> {
    read_text(path, view).and_then(|text| parse_yaml(path, &text, view))
}

fn parse_yaml(path: &Path, text: &str, view: &mut NodeView) -> Loaded<Vec<Document>> {
    let file = name_of(path);
    let mut docs = Vec::new();
    let mut broken = false;
    for chunk in split_documents(text) {
        for doc in parse_chunk(chunk, &Limits::default()) {
            match doc {
                Ok(doc) if doc.root.is_null() => {}
                Ok(doc) => docs.push(doc),
                Err(e) => {
                    view.errors.push(LoadError::new(
                        &file,
                        Some(e.pos),
                        format!("not valid YAML: {}", e.message),
                    ));
                    broken = true;
                }
            }
        }
    }
    if broken {
        return Loaded::Broken;
    }
    if docs.is_empty() {
        report(view, path, "empty: the file holds no YAML document");
        return Loaded::Broken;
    }
    Loaded::Read(docs)
}

/// The Kubernetes objects of a component file (documents without a kind are skipped).
pub(crate) fn read_objects(path: &Path, view: &mut NodeView) -> Loaded<Vec<Object>> {
    read_yaml(path, view).and_then(|docs| {
        let file = name_of(path);
        let mut objects = Vec::new();
        for doc in docs {
            let got = objects_from_document(&file, doc);
            view.errors.extend(got.errors);
            objects.extend(got.objects);
        }
        Loaded::Read(objects)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: Option<&str>) -> (Loaded<Vec<Object>>, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.yaml");
        if let Some(text) = text {
            std::fs::write(&path, text).unwrap();
        }
        let mut view = NodeView::default();
        let got = read_objects(&path, &mut view);
        let prefix = format!("{}/", dir.path().display());
        let errors = view
            .errors
            .iter()
            .map(|e| e.to_string().replace(&prefix, ""))
            .collect();
        (got, errors)
    }

    #[test]
    fn absent_empty_and_comment_only_files_differ() {
        let (got, errors) = read(None);
        assert!(matches!(got, Loaded::Absent) && errors.is_empty());
        for text in ["", "\n\n", "# kubeadm writes this later\n", "---\n"] {
            let (got, errors) = read(Some(text));
            assert!(matches!(got, Loaded::Broken), "{text:?}");
            assert_eq!(
                errors,
                ["f.yaml: empty: the file holds no YAML document"],
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_syntax_error_breaks_the_file_at_its_position() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: indentation\n";
        let (got, errors) = read(Some(text));
        assert!(matches!(got, Loaded::Broken));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("f.yaml:5:"), "{errors:?}");
        assert!(errors[0].contains("not valid YAML"), "{errors:?}");
    }

    #[test]
    fn a_folder_is_unreadable_not_absent() {
        let dir = tempfile::tempdir().unwrap();
        let mut view = NodeView::default();
        let got = read_text(dir.path(), &mut view);
        assert!(matches!(got, Loaded::Broken));
        assert!(
            view.errors[0]
                .message()
                .contains("cannot read: it is a folder"),
            "{:?}",
            view.errors
        );
    }

    #[test]
    fn invalid_utf8_is_a_warning_and_the_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(
            &path,
            b"# caf\xe9\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n",
        )
        .unwrap();
        let mut view = NodeView::default();
        let got = read_objects(&path, &mut view);
        assert!(matches!(got, Loaded::Read(objects) if objects.len() == 1));
        assert!(view.errors.is_empty(), "{:?}", view.errors);
        assert_eq!(view.warnings.len(), 1);
        assert_eq!(view.warnings[0].pos, Some(kubeharden_yaml::Pos::new(1, 6)));
    }

    #[test]
    fn io_errors_in_words() {
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(why(&denied), "permission denied");
    }
}
