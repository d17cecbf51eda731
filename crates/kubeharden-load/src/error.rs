use std::fmt;
use std::sync::Arc;

use kubeharden_yaml::Pos;

/// Something that could not be read or understood, with where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub file: Arc<str>,
    /// Unknown when a whole file is unreadable.
    pub pos: Option<Pos>,
    pub kind: LoadErrorKind,
}

/// What a [`LoadError`] is. Its text is what every report prints after the place.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadErrorKind {
    /// Larger than the size limit (`--max-file-size`): not scanned.
    #[error("larger than the {limit}-byte limit (--max-file-size); not scanned")]
    TooLarge { limit: u64 },
    /// A file or folder that could not be opened or read: the system's reason.
    #[error("cannot read: {reason}")]
    Unreadable { reason: String },
    /// A folder whose walk failed part way: the walker's reason.
    #[error("cannot walk: {reason}")]
    Unwalkable { reason: String },
    /// Not valid YAML or JSON, or over a parsing limit (nesting, size, work budget).
    #[error("{message}")]
    Syntax { message: String },
    /// A document whose `apiVersion` or `kind` is not a string.
    #[error("apiVersion and kind must be strings")]
    KindNotString,
    /// A field of an object with a value of the wrong type or form.
    #[error("{0}")]
    Field(Box<FieldError>),
    /// A rule that could not judge part of the input, as a file it needs could not be
    /// read: the rule, and what it could not judge.
    #[error("{rule_id} {rule_name} cannot be judged: {why}")]
    NotJudged {
        rule_id: &'static str,
        rule_name: &'static str,
        why: String,
    },
    /// A Helm chart or Kustomize overlay that could not be rendered, so none of its
    /// objects was judged: the command, and the tool's message (or why it did not run).
    #[error("not rendered ({command}), so not scanned: {reason}")]
    NotRendered {
        command: &'static str,
        reason: String,
    },
    /// A check that failed on an object (a bug): the object was skipped.
    #[error("internal error while checking {resource}; it was skipped (please report this bug)")]
    Internal { resource: String },
    /// What the readers of other inputs (a node's files, audit logs, a live cluster)
    /// could not use, in their words.
    #[error("{0}")]
    Input(String),
}

/// A field of an object with a value of the wrong type or form. The value itself is
/// withheld (it may be a secret): the position shows it to whoever may see it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
// An object without a name is said to be, as reports head it: `Pod (no name)`.
#[error("{kind} {}: {path}: {problem}", if .name.is_empty() { "(no name)" } else { .name.as_str() })]
pub struct FieldError {
    pub kind: String,
    pub name: String,
    pub path: String,
    pub problem: String,
}

impl LoadError {
    /// An error of `kind` (or, given text, of another input's reader) in `file` at `pos`.
    pub fn new(file: &Arc<str>, pos: Option<Pos>, kind: impl Into<LoadErrorKind>) -> LoadError {
        LoadError {
            file: file.clone(),
            pos,
            kind: kind.into(),
        }
    }

    /// The text reports print after the place.
    pub fn message(&self) -> String {
        self.kind.to_string()
    }
}

impl LoadErrorKind {
    /// The field at `path` of `resource` holds a value that is not `problem` says.
    pub fn field(
        resource: &crate::Resource,
        path: impl fmt::Display,
        problem: impl Into<String>,
    ) -> LoadErrorKind {
        LoadErrorKind::Field(Box::new(FieldError {
            kind: resource.kind.clone(),
            name: resource.name.clone(),
            path: path.to_string(),
            problem: problem.into(),
        }))
    }
}

impl From<String> for LoadErrorKind {
    fn from(message: String) -> LoadErrorKind {
        LoadErrorKind::Input(message)
    }
}

impl From<&str> for LoadErrorKind {
    fn from(message: &str) -> LoadErrorKind {
        LoadErrorKind::Input(message.to_string())
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_located(f, &self.file, self.pos, &self.kind)
    }
}

impl std::error::Error for LoadError {}

/// A condition worth telling that left the input read in full, such as invalid UTF-8
/// replaced with U+FFFD. Every report shows it; it never fails a run (errors give exit
/// code 2, warnings never do), which is why it is a type of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub file: Arc<str>,
    pub pos: Option<Pos>,
    pub kind: WarningKind,
}

/// What a [`Warning`] is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WarningKind {
    /// Bytes that are not UTF-8, from `pos` on, were replaced with U+FFFD and the rest
    /// of the file was read. `read` says what was done with the file: "scanned", "read".
    InvalidUtf8 { read: &'static str },
    /// An exception of the configuration file whose `expires` date has passed: it no
    /// longer applies, and the findings it covered are reported again.
    ExpiredException { expired: String },
    /// An exception that matched no finding (`--report-unused-exceptions`).
    UnusedException,
    /// A baseline of version 1, whose fingerprints name list items by position.
    PositionalBaseline,
    /// A mapping sets `key` twice (at `pos`, first at line `first`): the last value is
    /// judged, as kubectl applies it; kustomize refuses the file.
    DuplicateKey { key: String, first: u32 },
    /// A key of a pod spec that is no field of it (`securityContex`, at `path`): it was
    /// not judged.
    UnknownField { path: String },
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarningKind::InvalidUtf8 { read } => write!(
                f,
                "invalid UTF-8; the bytes were replaced with U+FFFD and the rest of the file was {read}"
            ),
            WarningKind::ExpiredException { expired } => write!(
                f,
                "exception expired on {expired}: it no longer applies, and the findings it covered are reported again"
            ),
            WarningKind::UnusedException => {
                f.write_str("exception matched no finding: remove it, or narrow what it names")
            }
            WarningKind::DuplicateKey { key, first } => write!(
                f,
                "duplicate key {key:?} (first at line {first}): this later value is the one judged, as kubectl applies it; kustomize refuses the file, and a reader that keeps the first sees another object"
            ),
            WarningKind::UnknownField { path } => write!(
                f,
                "unknown field {path}: no such field in Kubernetes 1.37, so it was not judged; kubectl refuses the object (strict field validation, its default), other clients have it dropped"
            ),
            WarningKind::PositionalBaseline => f.write_str(
                "baseline version 1 names env vars, volumes, ports, subjects and other list items by position, so a new item in an old one's place passes for it: write it again with --write-baseline",
            ),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_located(f, &self.file, self.pos, &self.kind)
    }
}

fn write_located(
    f: &mut fmt::Formatter<'_>,
    file: &str,
    pos: Option<Pos>,
    what: &dyn fmt::Display,
) -> fmt::Result {
    // An object read from a cluster has no line (0): its location says where.
    match pos.filter(|p| p.line > 0) {
        Some(pos) => write!(f, "{file}:{}:{}: {what}", pos.line, pos.col),
        None => write!(f, "{file}: {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(kind: LoadErrorKind) -> String {
        let file: Arc<str> = "deploy.yaml".into();
        LoadError::new(&file, Some(Pos::new(3, 5)), kind).to_string()
    }

    /// Every kind reads as the text reports have always printed.
    #[test]
    fn each_kind_prints_its_report_text_after_the_place() {
        let resource = crate::Resource {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: None,
            name: "web".into(),
        };
        let cases = [
            (
                LoadErrorKind::TooLarge { limit: 10 },
                "larger than the 10-byte limit (--max-file-size); not scanned",
            ),
            (
                LoadErrorKind::Unreadable {
                    reason: "permission denied".into(),
                },
                "cannot read: permission denied",
            ),
            (
                LoadErrorKind::Unwalkable {
                    reason: "loop".into(),
                },
                "cannot walk: loop",
            ),
            (
                LoadErrorKind::KindNotString,
                "apiVersion and kind must be strings",
            ),
            (
                LoadErrorKind::field(&resource, "spec.hostPID", "expected a boolean"),
                "Pod web: spec.hostPID: expected a boolean",
            ),
            (
                LoadErrorKind::NotJudged {
                    rule_id: "KH701",
                    rule_name: "kubelet-anonymous-auth",
                    why: "the config this file holds could not be read".into(),
                },
                "KH701 kubelet-anonymous-auth cannot be judged: the config this file holds could not be read",
            ),
            (
                LoadErrorKind::Internal {
                    resource: "Pod/web".into(),
                },
                "internal error while checking Pod/web; it was skipped (please report this bug)",
            ),
            (LoadErrorKind::from("no such file"), "no such file"),
        ];
        for (kind, text) in cases {
            assert_eq!(located(kind.clone()), format!("deploy.yaml:3:5: {text}"));
            assert_eq!(kind.to_string(), text);
        }
    }

    #[test]
    fn a_whole_file_error_has_no_position() {
        let file: Arc<str> = "big.yaml".into();
        let e = LoadError::new(&file, None, LoadErrorKind::TooLarge { limit: 1 });
        assert_eq!(
            e.to_string(),
            "big.yaml: larger than the 1-byte limit (--max-file-size); not scanned"
        );
    }
}
