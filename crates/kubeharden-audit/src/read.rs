//! Reading audit logs: JSON lines (the log backend), `EventList` documents, gzip
//! files, standard input, and growing files in follow mode.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

use std::sync::Arc;
use std::time::Duration;

use flate2::read::MultiGzDecoder;
use rayon::prelude::*;
use serde::Deserialize;

use crate::engine::At;
use crate::event::Event;
use crate::stage::Requests;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    pub fn name(&self) -> Arc<str> {
        match self {
            Input::Stdin => "<stdin>".into(),
            Input::File(p) => p.display().to_string().into(),
        }
    }
}

/// A line that is not an audit event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    pub file: Arc<str>,
    pub line: u64,
    pub message: String,
}

/// Lines that are not audit events: the first few, each with its line, and a count of
/// the rest, so memory and the report stay small however many there are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MalformedLines {
    pub listed: Vec<Malformed>,
    /// Malformed lines beyond `listed`.
    pub more: u64,
    /// The first of those, where the count starts.
    pub first_unlisted: Option<u64>,
}

/// How many malformed lines of an input are listed one by one.
pub const MAX_LISTED: usize = 20;

impl MalformedLines {
    fn push(&mut self, file: &Arc<str>, line: u64, message: &str) {
        if self.listed.len() < MAX_LISTED {
            self.listed.push(Malformed {
                file: file.clone(),
                line,
                message: message.to_string(),
            });
        } else {
            self.more += 1;
            self.first_unlisted.get_or_insert(line);
        }
    }

    /// All malformed lines, listed or counted.
    pub fn total(&self) -> u64 {
        self.listed.len() as u64 + self.more
    }
}

/// Whether a line is a `RequestReceived` event as the API server writes it, known
/// without parsing it: about half the lines of a log that keeps every stage, and none
/// of them counts (see [`Requests`]). The server writes `kind`, `apiVersion`, `level`,
/// `auditID` and then `stage`, so the stage is read at a fixed place; a line written
/// any other way, or whose auditID holds an escape, is parsed in full. A label or
/// annotation saying `"stage":"RequestReceived"` comes later and cannot fool this.
fn is_request_received(line: &str) -> bool {
    let Some(rest) =
        line.strip_prefix(r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":""#)
    else {
        return false;
    };
    let Some((level, rest)) = rest.split_once('"') else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(r#","auditID":""#) else {
        return false;
    };
    let Some((id, rest)) = rest.split_once('"') else {
        return false;
    };
    !level.contains('\\')
        && !id.contains('\\')
        && rest.starts_with(r#","stage":"RequestReceived","#)
}

/// Lines parsed together, in parallel; then handed to the detectors in order.
const BATCH: usize = 4096;
/// The largest EventList document read whole.
const MAX_DOCUMENT: u64 = 1 << 30;

fn open(input: &Input) -> Result<Box<dyn BufRead>, String> {
    let raw: Box<dyn Read> = match input {
        Input::Stdin => Box::new(std::io::stdin()),
        Input::File(p) => Box::new(File::open(p).map_err(|e| format!("cannot read: {e}"))?),
    };
    let mut reader = BufReader::with_capacity(1 << 20, raw);
    let gz = reader
        .fill_buf()
        .map(|b| b.starts_with(&[0x1f, 0x8b]))
        .unwrap_or(false);
    Ok(if gz {
        Box::new(BufReader::with_capacity(
            1 << 20,
            MultiGzDecoder::new(reader),
        ))
    } else {
        Box::new(reader)
    })
}

#[derive(Deserialize)]
struct EventList<'a> {
    #[serde(borrow, default)]
    items: Vec<Event<'a>>,
}

/// Calls `f` with the event that stands for each request of `input` (see
/// [`Requests`]), in order. Malformed lines are returned, the first few with their
/// line numbers; an unreadable input is an error.
pub fn for_each_event(
    input: &Input,
    follow: bool,
    f: &mut dyn FnMut(&Event<'_>, &At),
) -> Result<MalformedLines, String> {
    let name = input.name();
    let mut reader = open(input)?;
    let mut malformed = MalformedLines::default();
    let mut requests = Requests::default();
    let mut line_no: u64 = 0;
    let mut first = true;
    let mut consumed: u64 = 0;
    let mut inode: u64 = match input {
        Input::File(p) => std::fs::metadata(p)
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
            .unwrap_or(0),
        Input::Stdin => 0,
    };
    // The lines' buffers are kept from batch to batch: no allocation per line.
    let mut lines: Vec<String> = Vec::with_capacity(BATCH);
    loop {
        let mut filled = 0;
        while filled < BATCH {
            if filled == lines.len() {
                lines.push(String::new());
            }
            let line = &mut lines[filled];
            line.clear();
            // A rare huge line (a big request body) does not keep its buffer.
            if line.capacity() > 1 << 16 {
                line.shrink_to(1 << 12);
            }
            match reader.read_line(line) {
                Ok(0) => break,
                Ok(n) => {
                    consumed += n as u64;
                    filled += 1;
                }
                Err(e) => {
                    return Err(format!(
                        "cannot read line {}: {e}",
                        line_no + filled as u64 + 1
                    ))
                }
            }
        }
        let batch = &lines[..filled];
        if first {
            first = false;
            // A pretty-printed EventList spans many lines: read it as one document.
            let starts_list = batch.first().is_some_and(|l| {
                let t = l.trim_start();
                t.starts_with('{') && !t.trim_end().ends_with('}') || t.contains("\"EventList\"")
            });
            if starts_list {
                let mut text: String = batch.concat();
                reader
                    .take(MAX_DOCUMENT)
                    .read_to_string(&mut text)
                    .map_err(|e| format!("cannot read: {e}"))?;
                let list: EventList<'_> = serde_json::from_str(&text).map_err(|e| {
                    format!(
                        "not an audit EventList (line {}, column {}): {e}",
                        e.line(),
                        e.column()
                    )
                })?;
                for (i, event) in list.items.iter().enumerate() {
                    if !requests.admit(event) {
                        continue;
                    }
                    let at = At {
                        file: name.clone(),
                        line: i as u64 + 1,
                        time: event.time().unwrap_or(0.0),
                    };
                    f(event, &at);
                }
                return Ok(malformed);
            }
        }
        if batch.is_empty() {
            if !follow {
                return Ok(malformed);
            }
            wait_for_more(input, &mut reader, &mut line_no, &mut consumed, &mut inode)?;
            continue;
        }
        let parsed: Vec<Result<Option<Event<'_>>, String>> = batch
            .par_iter()
            .map(|line| {
                if is_request_received(line) {
                    return Ok(None);
                }
                serde_json::from_str::<Event<'_>>(line.trim_end())
                    .map(Some)
                    .map_err(|e| e.to_string())
            })
            .collect();
        for (i, result) in parsed.iter().enumerate() {
            let n = line_no + i as u64 + 1;
            match result {
                Ok(Some(event)) if requests.admit(event) => {
                    let at = At {
                        file: name.clone(),
                        line: n,
                        time: event.time().unwrap_or(0.0),
                    };
                    f(event, &at);
                }
                Ok(_) => {}
                Err(_) if batch[i].trim().is_empty() => {}
                Err(e) => malformed.push(&name, n, e),
            }
        }
        line_no += batch.len() as u64;
    }
}

/// Follow mode: waits for the file to grow. When it was rotated (renamed away and
/// replaced, or truncated), reopens it from the start.
fn wait_for_more(
    input: &Input,
    reader: &mut Box<dyn BufRead>,
    line_no: &mut u64,
    consumed: &mut u64,
    inode: &mut u64,
) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let Input::File(path) = input else {
        std::thread::sleep(Duration::from_millis(200));
        return Ok(());
    };
    loop {
        std::thread::sleep(Duration::from_millis(250));
        if reader.fill_buf().is_ok_and(|b| !b.is_empty()) {
            return Ok(());
        }
        let Ok(meta) = std::fs::metadata(path) else {
            continue;
        };
        if meta.ino() != *inode || meta.len() < *consumed {
            let file =
                File::open(path).map_err(|e| format!("cannot reopen after rotation: {e}"))?;
            *inode = meta.ino();
            *consumed = 0;
            *line_no = 0;
            *reader = Box::new(BufReader::new(file));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECEIVED: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"9a10","stage":"RequestReceived","requestURI":"/api/v1/namespaces/a/pods","verb":"create"}"#;

    #[test]
    fn request_received_is_known_without_parsing() {
        assert!(is_request_received(RECEIVED));
        let complete = RECEIVED.replace("RequestReceived", "ResponseComplete");
        assert!(!is_request_received(&complete));
        // Elsewhere than the server's own place, the words are not the stage.
        let label = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"x","stage":"ResponseComplete","requestObject":{"metadata":{"labels":{"stage":"RequestReceived"}}}}"#;
        assert!(!is_request_received(label));
        let reordered = r#"{"stage":"RequestReceived","kind":"Event"}"#;
        assert!(!is_request_received(reordered));
        let escaped_id = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"a\",\"stage\":\"RequestReceived","stage":"ResponseComplete"}"#;
        assert!(!is_request_received(escaped_id));
    }
}
