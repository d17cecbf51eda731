//! Reading one input into text, within a size limit.

use std::io::Read;
use std::sync::Arc;

use kubeharden_yaml::Pos;

use crate::discover::Input;
use crate::error::LoadError;

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
/// scanned) and reported as a second, non-fatal error naming the line.
pub fn read_source(input: &Input, max_size: u64) -> Result<(Source, Option<LoadError>), LoadError> {
    let name = input.name();
    let too_big = || {
        LoadError::new(
            &name,
            None,
            format!("larger than the {max_size}-byte limit (--max-file-size); not scanned"),
        )
    };
    let mut bytes = Vec::new();
    let read = match input {
        Input::Stdin => std::io::stdin()
            .lock()
            .take(max_size + 1)
            .read_to_end(&mut bytes),
        Input::File(path) => {
            let file = std::fs::File::open(path)
                .map_err(|e| LoadError::new(&name, None, format!("cannot read: {e}")))?;
            if file.metadata().is_ok_and(|m| m.len() > max_size) {
                return Err(too_big());
            }
            file.take(max_size + 1).read_to_end(&mut bytes)
        }
    };
    read.map_err(|e| LoadError::new(&name, None, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > max_size {
        return Err(too_big());
    }
    Ok(decode(name, bytes))
}

fn decode(name: Arc<str>, mut bytes: Vec<u8>) -> (Source, Option<LoadError>) {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => (Source { name, text }, None),
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
            let warning = LoadError::new(
                &name,
                Some(Pos::new(line, col)),
                "invalid UTF-8; the bytes were replaced with U+FFFD and the rest of the file was scanned",
            );
            let text = String::from_utf8_lossy(&bytes).into_owned();
            (Source { name, text }, Some(warning))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_names_the_line_and_keeps_the_text() {
        let (source, warning) = decode("f.yaml".into(), b"a: 1\nb: \xff\xfe\nc: 3\n".to_vec());
        assert!(source.text.contains("c: 3"));
        assert_eq!(warning.unwrap().pos, Some(Pos::new(2, 4)));
    }

    #[test]
    fn byte_order_mark_is_dropped() {
        let (source, warning) = decode("f.yaml".into(), b"\xEF\xBB\xBFa: 1\n".to_vec());
        assert_eq!(source.text, "a: 1\n");
        assert!(warning.is_none());
    }

    #[test]
    fn oversized_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.yaml");
        std::fs::write(&path, "a: 1\n".repeat(100)).unwrap();
        let err = read_source(&Input::File(path), 10).unwrap_err();
        assert!(err.message.contains("limit"));
    }
}
