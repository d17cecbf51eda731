//! Reading audit logs: JSON lines (the log backend), `EventList` documents, gzip
//! files, standard input, and growing files in follow mode.
//!
//! Hostile input is bounded here ([`ReadLimits`]): a line longer than the limit is
//! skipped and reported, never held whole; the lines parsed together hold a bounded
//! number of bytes; gzip input may not expand beyond a ratio (a gzip bomb is an error
//! naming the file); an `EventList`, read whole, has a largest size.

mod bounded;
mod follow;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;

use flate2::read::MultiGzDecoder;
use rayon::prelude::*;
use serde::Deserialize;

use crate::engine::At;
use crate::event::Event;
use crate::stage::Requests;

pub use bounded::GzipBomb;
use bounded::{read_capped, skip_line, Capped, Counted, Guarded};

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
    pub why: LineError,
}

/// Why a line is not an audit event. The API server writes valid UTF-8 JSON (Go's
/// encoder replaces bad bytes), so a line that is not is damaged: its event is lost.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("line of {len} bytes, longer than the limit of {limit} bytes; skipped")]
    TooLong { len: u64, limit: usize },
    #[error("not UTF-8 (byte {column})")]
    NotUtf8 { column: usize },
    #[error("{message}")]
    NotJson { column: usize, message: String },
    /// JSON, but not an audit event: every event the API server writes has a `kind` of
    /// `Event` (when written), an `auditID` and a `verb`. Counting `{}` or another
    /// tool's JSON as events would make an unrelated file look like a clean log.
    #[error("not an audit event: {why}")]
    NotAnEvent { why: String },
}

impl LineError {
    /// The column (byte, 1-based) in the line where it went wrong.
    pub fn column(&self) -> usize {
        match self {
            LineError::TooLong { .. } | LineError::NotAnEvent { .. } => 1,
            LineError::NotUtf8 { column } | LineError::NotJson { column, .. } => *column,
        }
    }

    fn not_json(e: &serde_json::Error) -> LineError {
        // serde_json says "at line 1 column N" of the one line: the column is kept as
        // the position, the words without it.
        let text = e.to_string();
        let message = match text.rsplit_once(" at line ") {
            Some((words, _)) => words.to_string(),
            None => text,
        };
        LineError::NotJson {
            column: e.column().max(1),
            message,
        }
    }
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
    fn push(&mut self, file: &Arc<str>, line: u64, why: &LineError) {
        if self.listed.len() < MAX_LISTED {
            self.listed.push(Malformed {
                file: file.clone(),
                line,
                why: why.clone(),
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

/// Bounds on what reading one input may hold in memory.
#[derive(Clone, Copy, Debug)]
pub struct ReadLimits {
    /// The longest line kept (bytes). A longer one is skipped and reported as
    /// malformed. The API server takes request bodies of up to 3 MiB, and an event
    /// at `RequestResponse` level holds a request and a response.
    pub max_line: usize,
    /// Most bytes of lines held for one parallel batch.
    pub max_batch_bytes: usize,
    /// The largest `EventList` document, which is read whole.
    pub max_document: u64,
    /// How many times gzip input may expand, once past `gzip_floor` bytes of output.
    /// Audit logs compress about 10 to 30 times; deflate can reach 1,000.
    pub max_gzip_ratio: u64,
    pub gzip_floor: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_line: 16 << 20,
            max_batch_bytes: 64 << 20,
            max_document: 256 << 20,
            max_gzip_ratio: 200,
            gzip_floor: 64 << 20,
        }
    }
}

/// Why an input could not be read to its end.
#[derive(Debug)]
pub enum ReadErrorKind {
    Open(io::Error),
    Read(io::Error),
    /// The file was rotated and its successor could not be opened.
    Reopen(io::Error),
    GzipBomb(GzipBomb),
    DocumentTooLarge {
        limit: u64,
    },
    NotEventList(serde_json::Error),
}

impl fmt::Display for ReadErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadErrorKind::Open(e) => write!(f, "cannot read: {e}"),
            ReadErrorKind::Read(e) => write!(f, "cannot read: {e}"),
            ReadErrorKind::Reopen(e) => write!(f, "cannot reopen after rotation: {e}"),
            ReadErrorKind::GzipBomb(bomb) => bomb.fmt(f),
            ReadErrorKind::DocumentTooLarge { limit } => write!(
                f,
                "EventList document larger than {limit} bytes; not read (write it as JSON lines: jq -c '.items[]')"
            ),
            ReadErrorKind::NotEventList(e) => write!(
                f,
                "not an audit EventList (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        }
    }
}

/// An input that could not be read to its end: which, where, and why. Events before
/// `line` were read and analysed.
#[derive(Debug)]
pub struct ReadError {
    pub file: Arc<str>,
    /// The line reading stopped at, when it had started.
    pub line: Option<u64>,
    pub kind: ReadErrorKind,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.kind),
            None => write!(f, "{}: {}", self.file, self.kind),
        }
    }
}

impl std::error::Error for ReadError {}

/// How to read an input.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions {
    /// At the end of a plain file, wait for it to grow, across rotation. Gzip input
    /// is a finished (rotated) log and is read to its end only.
    pub follow: bool,
    pub limits: ReadLimits,
    /// Asked while following a quiet input: whether to stop (the reader of the
    /// alerts has gone).
    pub stop: Option<fn() -> bool>,
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
) -> Result<MalformedLines, ReadError> {
    let options = ReadOptions {
        follow,
        ..ReadOptions::default()
    };
    let (malformed, result) = read_events(input, &options, &mut |e, at| {
        f(e, at);
        ControlFlow::Continue(())
    });
    result.map(|()| malformed)
}

/// Like [`for_each_event`], within `options`, until `f` breaks. The malformed lines
/// are returned also when reading stopped on an error.
pub fn read_events(
    input: &Input,
    options: &ReadOptions,
    f: &mut dyn FnMut(&Event<'_>, &At) -> ControlFlow<()>,
) -> (MalformedLines, Result<(), ReadError>) {
    let mut reader = match Reader::open(input, options) {
        Ok(reader) => reader,
        Err(kind) => {
            let file = input.name();
            let error = ReadError {
                file,
                line: None,
                kind,
            };
            return (MalformedLines::default(), Err(error));
        }
    };
    let result = reader.run(f);
    (reader.malformed, result)
}

/// An open input: its lines, and what follow mode and the gzip guard need.
struct Opened {
    reader: Box<dyn BufRead>,
    /// Bytes read from the file or stream (compressed, for gzip): where the open
    /// handle is.
    raw: std::rc::Rc<std::cell::Cell<u64>>,
    /// The open file itself, to look at and rewind the handle rather than the path.
    handle: Option<File>,
    gzip: bool,
}

fn open(input: &Input, limits: &ReadLimits) -> io::Result<Opened> {
    let (source, handle): (Box<dyn Read>, Option<File>) = match input {
        Input::Stdin => (Box::new(io::stdin()), None),
        Input::File(p) => {
            let file = File::open(p)?;
            let handle = file.try_clone()?;
            (Box::new(file), Some(handle))
        }
    };
    let raw = std::rc::Rc::default();
    let count = std::rc::Rc::clone(&raw);
    let mut reader = BufReader::with_capacity(
        1 << 20,
        Counted {
            inner: source,
            count,
        },
    );
    let gzip = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn BufRead> = if gzip {
        let guarded = Guarded {
            inner: MultiGzDecoder::new(reader),
            compressed: std::rc::Rc::clone(&raw),
            expanded: 0,
            floor: limits.gzip_floor,
            max_ratio: limits.max_gzip_ratio,
        };
        Box::new(BufReader::with_capacity(1 << 20, guarded))
    } else {
        Box::new(reader)
    };
    Ok(Opened {
        reader,
        raw,
        handle,
        gzip,
    })
}

/// One line of a batch, or the length of a line too long to keep.
#[derive(Default)]
struct Slot {
    bytes: Vec<u8>,
    too_long: Option<u64>,
}

/// Whether the first line starts a pretty-printed `EventList` (one JSON document over
/// many lines), or names one. Of a line too long to keep, only the start is known,
/// and only naming the list counts.
fn starts_event_list(first: &[u8], whole: bool) -> bool {
    let t = first.trim_ascii();
    let names_list = t.windows(11).any(|w| w == b"\"EventList\"");
    whole && t.starts_with(b"{") && !t.ends_with(b"}") || names_list
}

/// A line as an event: `None` for a blank line or one that does not count.
fn parse_line<'a>(slot: &'a Slot, limits: &ReadLimits) -> Result<Option<Event<'a>>, LineError> {
    if let Some(len) = slot.too_long {
        return Err(LineError::TooLong {
            len,
            limit: limits.max_line,
        });
    }
    let line = std::str::from_utf8(&slot.bytes).map_err(|e| LineError::NotUtf8 {
        column: e.valid_up_to() + 1,
    })?;
    if line.trim().is_empty() || is_request_received(line) {
        return Ok(None);
    }
    let event =
        serde_json::from_str::<Event<'_>>(line.trim_end()).map_err(|e| LineError::not_json(&e))?;
    check_event(&event)?;
    Ok(Some(event))
}

/// Whether a parsed JSON object is an audit event (see [`LineError::NotAnEvent`]).
fn check_event(event: &Event<'_>) -> Result<(), LineError> {
    let why = match event.kind.as_deref() {
        Some(kind) if kind != "Event" => format!("its kind is {kind:?}, not \"Event\""),
        _ if event.audit_id.is_empty() => "it has no auditID".to_string(),
        _ if event.verb.is_empty() => "it has no verb".to_string(),
        _ => return Ok(()),
    };
    Err(LineError::NotAnEvent { why })
}

/// Reading one input: batches of lines, parsed in parallel, handed on in order.
struct Reader<'o> {
    name: Arc<str>,
    input: &'o Input,
    options: &'o ReadOptions,
    opened: Opened,
    malformed: MalformedLines,
    requests: Requests,
    /// Lines before the current batch.
    line_no: u64,
    /// The path names another file now: this one is read to its end, then left.
    rotated: bool,
    /// The lines' buffers are kept from batch to batch: no allocation per line.
    slots: Vec<Slot>,
    /// An error that ended the batch being read: its lines are handed on first.
    failed: Option<ReadError>,
}

impl<'o> Reader<'o> {
    fn open(input: &'o Input, options: &'o ReadOptions) -> Result<Self, ReadErrorKind> {
        let opened = open(input, &options.limits).map_err(ReadErrorKind::Open)?;
        Ok(Reader {
            name: input.name(),
            input,
            options,
            opened,
            malformed: MalformedLines::default(),
            requests: Requests::default(),
            line_no: 0,
            rotated: false,
            slots: Vec::new(),
            failed: None,
        })
    }

    fn error(&self, line: u64, e: io::Error) -> ReadError {
        let kind = match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<GzipBomb>())
        {
            Some(bomb) => ReadErrorKind::GzipBomb(*bomb),
            None => ReadErrorKind::Read(e),
        };
        ReadError {
            file: self.name.clone(),
            line: Some(line),
            kind,
        }
    }

    fn run(
        &mut self,
        f: &mut dyn FnMut(&Event<'_>, &At) -> ControlFlow<()>,
    ) -> Result<(), ReadError> {
        let first = self.read_first()?;
        if first == Capped::Eof && !self.follows() {
            return Ok(());
        }
        let whole = first == Capped::Whole;
        if first != Capped::Eof && starts_event_list(&self.slots[0].bytes, whole) {
            return self.event_list(f);
        }
        if first == Capped::Cut {
            self.skip_rest(0)?;
        }
        let mut from = usize::from(first != Capped::Eof);
        loop {
            let filled = self.fill_batch(from);
            from = 0;
            if self.feed(filled, f).is_break() {
                return Ok(());
            }
            if let Some(error) = self.failed.take() {
                return Err(error);
            }
            if filled == 0 && (!self.follows() || self.wait()?.is_break()) {
                return Ok(());
            }
        }
    }

    /// Whether this input is followed at its end.
    fn follows(&self) -> bool {
        self.options.follow && !self.opened.gzip
    }

    /// Reads the first line into the first slot, keeping the start of a long one:
    /// it may be the start of an `EventList`.
    fn read_first(&mut self) -> Result<Capped, ReadError> {
        self.slots.push(Slot::default());
        let max = self.options.limits.max_line;
        read_capped(&mut *self.opened.reader, &mut self.slots[0].bytes, max)
            .map_err(|e| self.error(1, e))
    }

    /// Skips the rest of the line in slot `i`, which was cut, and notes its length.
    fn skip_rest(&mut self, i: usize) -> Result<(), ReadError> {
        let rest = skip_line(&mut *self.opened.reader)
            .map_err(|e| self.error(self.line_no + i as u64 + 1, e))?;
        let slot = &mut self.slots[i];
        slot.too_long = Some(slot.bytes.len() as u64 + rest);
        slot.bytes.clear();
        Ok(())
    }

    /// Fills the slots from `from` on with up to a batch of lines, or as many as
    /// hold `max_batch_bytes`; returns how many slots are filled. An error ends the
    /// batch and is kept in `failed`.
    fn fill_batch(&mut self, from: usize) -> usize {
        let (mut filled, mut bytes) = (from, 0);
        while filled < BATCH && bytes < self.options.limits.max_batch_bytes {
            match self.read_slot(filled) {
                Ok(true) => {}
                Ok(false) => break,
                Err(error) => {
                    self.failed = Some(error);
                    break;
                }
            }
            bytes += self.slots[filled].bytes.len();
            filled += 1;
        }
        filled
    }

    /// Reads the next line into slot `i`; `false` at the end of the input.
    fn read_slot(&mut self, i: usize) -> Result<bool, ReadError> {
        if i == self.slots.len() {
            self.slots.push(Slot::default());
        }
        let slot = &mut self.slots[i];
        slot.too_long = None;
        let max = self.options.limits.max_line;
        let read = read_capped(&mut *self.opened.reader, &mut slot.bytes, max);
        match read.map_err(|e| self.error(self.line_no + i as u64 + 1, e))? {
            Capped::Eof => Ok(false),
            Capped::Whole => Ok(true),
            Capped::Cut => self.skip_rest(i).map(|()| true),
        }
    }

    /// Parses the first `filled` slots in parallel and hands their events on, in order.
    fn feed(
        &mut self,
        filled: usize,
        f: &mut dyn FnMut(&Event<'_>, &At) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let limits = &self.options.limits;
        let parsed: Vec<Result<Option<Event<'_>>, LineError>> = self.slots[..filled]
            .par_iter()
            .map(|slot| parse_line(slot, limits))
            .collect();
        for (i, result) in parsed.iter().enumerate() {
            let line = self.line_no + i as u64 + 1;
            match result {
                Ok(Some(event)) if self.requests.admit(event) => {
                    let at = At {
                        file: self.name.clone(),
                        line,
                        time: event.time().unwrap_or(0.0),
                    };
                    f(event, &at)?;
                }
                Ok(_) => {}
                Err(e) => self.malformed.push(&self.name, line, e),
            }
        }
        self.line_no += filled as u64;
        ControlFlow::Continue(())
    }

    /// Reads the rest of an `EventList` document that starts in the first slot, and
    /// hands its events on. Its "lines" are the items' positions in the list.
    fn event_list(
        &mut self,
        f: &mut dyn FnMut(&Event<'_>, &At) -> ControlFlow<()>,
    ) -> Result<(), ReadError> {
        let limit = self.options.limits.max_document;
        let mut text = std::mem::take(&mut self.slots[0].bytes);
        let room = (limit + 1).saturating_sub(text.len() as u64);
        let read = (&mut *self.opened.reader).take(room).read_to_end(&mut text);
        read.map_err(|e| self.error(1, e))?;
        let error = |kind| ReadError {
            file: self.name.clone(),
            line: None,
            kind,
        };
        if text.len() as u64 > limit {
            return Err(error(ReadErrorKind::DocumentTooLarge { limit }));
        }
        let list: EventList<'_> =
            serde_json::from_slice(&text).map_err(|e| error(ReadErrorKind::NotEventList(e)))?;
        for (i, event) in list.items.iter().enumerate() {
            if let Err(why) = check_event(event) {
                self.malformed.push(&self.name, i as u64 + 1, &why);
                continue;
            }
            if !self.requests.admit(event) {
                continue;
            }
            let at = At {
                file: self.name.clone(),
                line: i as u64 + 1,
                time: event.time().unwrap_or(0.0),
            };
            if f(event, &at).is_break() {
                break;
            }
        }
        Ok(())
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
