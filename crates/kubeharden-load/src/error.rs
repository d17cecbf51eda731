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
        match self.pos {
            Some(pos) => write!(
                f,
                "{}:{}:{}: {}",
                self.file, pos.line, pos.col, self.message
            ),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for LoadError {}
