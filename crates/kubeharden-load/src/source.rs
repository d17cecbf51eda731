//! Reading one input into text, within a size limit.

use std::io::Read;
use std::sync::Arc;

use kubeharden_yaml::Pos;

use crate::discover::Input;
use crate::error::{LoadError, LoadErrorKind, Warning, WarningKind};

/// The largest input read by default (256 MiB): larger ones are reported, not read.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

/// One input's name (as the user gave it) and text.
#[derive(Debug)]
pub struct Source {
    pub name: Arc<str>,
    pub text: String,
}

impl Input {
    pub fn name(&self) -> Arc<str> {
        match self {
            Input::Stdin => "<stdin>".into(),
            Input::File(p) => p.display().to_string().trim_start_matches("./").into(),
        }
    }
}

/// Reads `input`. Invalid UTF-8 is replaced (so the rest of the file is still
/// scanned) and reported as a warning naming the line: the scan is whole, not failed.
pub fn read_source(input: &Input, max_size: u64) -> Result<(Source, Option<Warning>), LoadError> {
    let name = input.name();
    let too_big = || LoadError::new(&name, None, LoadErrorKind::TooLarge { limit: max_size });
    let cannot_read = |e: std::io::Error| {
        let reason = e.to_string();
        LoadError::new(&name, None, LoadErrorKind::Unreadable { reason })
    };
    let read = match input {
        Input::Stdin => read_at_most(std::io::stdin().lock(), max_size),
        Input::File(path) => {
            let file = std::fs::File::open(path).map_err(cannot_read)?;
            if file.metadata().is_ok_and(|m| m.len() > max_size) {
                return Err(too_big());
            }
            read_at_most(file, max_size)
        }
    };
    let bytes = read.map_err(cannot_read)?.ok_or_else(too_big)?;
    let (text, warning) = decode_text(&name, bytes, "scanned");
    Ok((Source { name, text }, warning))
}

/// All of `reader` when it holds at most `max_size` bytes, `None` when it holds more:
/// never more than one byte past the limit is held, whatever a file's size claims
/// (`/proc` files claim 0, a growing file grows).
pub fn read_at_most(reader: impl Read, max_size: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    reader.take(max_size + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= max_size).then_some(bytes))
}

/// The text of `bytes` (a byte order mark dropped). Invalid UTF-8 is replaced with
/// U+FFFD, and the warning names the line and column where it starts; `read` says
/// what became of the rest of the file ("scanned", "read").
pub fn decode_text(
    name: &Arc<str>,
    mut bytes: Vec<u8>,
    read: &'static str,
) -> (String, Option<Warning>) {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(err) => {
            let valid = err.utf8_error().valid_up_to();
            let bytes = err.into_bytes();
            let line = bytes[..valid].iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            let col = bytes[..valid]
                .iter()
                .rev()
                .take_while(|&&b| b != b'\n')
                .count() as u32
                + 1;
            let warning = Warning {
                file: name.clone(),
                pos: Some(Pos::new(line, col)),
                kind: WarningKind::InvalidUtf8 { read },
            };
            (String::from_utf8_lossy(&bytes).into_owned(), Some(warning))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_a_warning_that_names_the_line_and_keeps_the_text() {
        let bytes = b"a: 1\nb: \xff\xfe\nc: 3\n".to_vec();
        let (text, warning) = decode_text(&"f.yaml".into(), bytes, "scanned");
        assert!(text.contains("c: 3"));
        let warning = warning.unwrap();
        assert_eq!(warning.pos, Some(Pos::new(2, 4)));
        assert_eq!(
            warning.to_string(),
            "f.yaml:2:4: invalid UTF-8; the bytes were replaced with U+FFFD and the rest of the file was scanned"
        );
    }

    #[test]
    fn byte_order_mark_is_dropped() {
        let (text, warning) = decode_text(&"f.yaml".into(), b"\xEF\xBB\xBFa: 1\n".to_vec(), "read");
        assert_eq!(text, "a: 1\n");
        assert!(warning.is_none());
    }

    #[test]
    fn at_most_the_limit_is_read() {
        assert_eq!(read_at_most(&b"12345"[..], 5).unwrap().unwrap(), b"12345");
        assert!(read_at_most(&b"123456"[..], 5).unwrap().is_none());
    }

    #[test]
    fn oversized_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.yaml");
        std::fs::write(&path, "a: 1\n".repeat(100)).unwrap();
        let err = read_source(&Input::File(path), 10).unwrap_err();
        assert_eq!(err.kind, LoadErrorKind::TooLarge { limit: 10 });
        assert!(err.message().contains("limit"));
    }
}
