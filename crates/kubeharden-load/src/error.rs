use std::fmt;
use std::sync::Arc;

use kubeharden_yaml::Pos;

/// Something that could not be read or understood, with where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub file: Arc<str>,
    /// Unknown when a whole file is unreadable.
    pub pos: Option<Pos>,
    pub message: String,
}

impl LoadError {
    pub fn new(file: &Arc<str>, pos: Option<Pos>, message: impl Into<String>) -> LoadError {
        LoadError {
            file: file.clone(),
            pos,
            message: message.into(),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_located(f, &self.file, self.pos, &self.message)
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
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarningKind::InvalidUtf8 { read } => write!(
                f,
                "invalid UTF-8; the bytes were replaced with U+FFFD and the rest of the file was {read}"
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
