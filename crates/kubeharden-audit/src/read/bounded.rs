//! Reading with bounds: lines no longer than a limit, and gzip input that may not
//! expand beyond a ratio. What a hostile input costs in memory is then a few
//! buffers, however long its lines or however well it compresses.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

/// Counts the bytes read from the file or stream under any decompression: the
/// position of the open handle, and the compressed size for the gzip guard.
pub(super) struct Counted<R> {
    pub(super) inner: R,
    pub(super) count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Gzip output that grew too large for its input: a gzip bomb, or not a log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GzipBomb {
    pub compressed: u64,
    pub expanded: u64,
    pub max_ratio: u64,
}

impl fmt::Display for GzipBomb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gzip input expands more than {} times ({} bytes from {} compressed bytes): a gzip bomb? Reading stopped there",
            self.max_ratio, self.expanded, self.compressed
        )
    }
}

impl std::error::Error for GzipBomb {}

/// Decompressed output, checked against the compressed bytes read so far. Below
/// `floor` bytes of output any ratio is allowed (small files compress oddly);
/// beyond, output larger than `max_ratio` times the input is an error.
pub(super) struct Guarded<R> {
    pub(super) inner: R,
    pub(super) compressed: Rc<Cell<u64>>,
    pub(super) expanded: u64,
    pub(super) floor: u64,
    pub(super) max_ratio: u64,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.expanded += n as u64;
        let compressed = self.compressed.get();
        if self.expanded > self.floor && self.expanded > compressed.saturating_mul(self.max_ratio) {
            let bomb = GzipBomb {
                compressed,
                expanded: self.expanded,
                max_ratio: self.max_ratio,
            };
            return Err(io::Error::new(io::ErrorKind::InvalidData, bomb));
        }
        Ok(n)
    }
}

/// How a bounded line read ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Capped {
    /// No more input.
    Eof,
    /// The whole line is in the buffer.
    Whole,
    /// The line is longer than the limit: the buffer holds its start, and the rest
    /// is still to be read (or skipped with [`skip_line`]).
    Cut,
}

/// Reads one line into `buf` (cleared first), keeping at most `max` bytes of it
/// besides the newline.
pub(super) fn read_capped(
    r: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<Capped> {
    buf.clear();
    // A rare huge line does not keep its buffer.
    if buf.capacity() > 1 << 16 {
        buf.shrink_to(1 << 12);
    }
    let n = r.take(max as u64 + 1).read_until(b'\n', buf)?;
    Ok(if n == 0 {
        Capped::Eof
    } else if buf.len() > max && buf.last() != Some(&b'\n') {
        Capped::Cut
    } else {
        Capped::Whole
    })
}

/// Reads past the rest of a line without keeping it, and says how many bytes it had
/// besides the newline.
pub(super) fn skip_line(r: &mut dyn BufRead) -> io::Result<u64> {
    let mut skipped = 0;
    loop {
        let buf = match r.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let (content, newline) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i, 1),
            None => (buf.len(), 0),
        };
        let done = newline == 1 || buf.is_empty();
        r.consume(content + newline);
        skipped += content as u64;
        if done {
            return Ok(skipped);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_and_skipped_not_held() {
        let text = format!("short\n{}\nnext", "x".repeat(100));
        let mut r = io::BufReader::with_capacity(16, text.as_bytes());
        let mut buf = Vec::new();
        assert_eq!(read_capped(&mut r, &mut buf, 10).unwrap(), Capped::Whole);
        assert_eq!(buf, b"short\n");
        assert_eq!(read_capped(&mut r, &mut buf, 10).unwrap(), Capped::Cut);
        assert_eq!(buf.len(), 11);
        assert_eq!(skip_line(&mut r).unwrap(), 89);
        assert_eq!(read_capped(&mut r, &mut buf, 10).unwrap(), Capped::Whole);
        assert_eq!(buf, b"next");
        assert_eq!(read_capped(&mut r, &mut buf, 10).unwrap(), Capped::Eof);
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_whole() {
        let mut r = io::BufReader::new(&b"0123456789\n0123456789"[..]);
        let mut buf = Vec::new();
        assert_eq!(read_capped(&mut r, &mut buf, 10).unwrap(), Capped::Whole);
        assert_eq!(read_capped(&mut r, &mut buf, 10).unwrap(), Capped::Whole);
        assert_eq!(buf, b"0123456789");
    }

    #[test]
    fn gzip_output_beyond_the_ratio_is_an_error() {
        let compressed = Rc::new(Cell::new(10));
        let mut guarded = Guarded {
            inner: io::repeat(b'0').take(10_000),
            compressed,
            expanded: 0,
            floor: 100,
            max_ratio: 50,
        };
        let err = io::copy(&mut guarded, &mut io::sink()).unwrap_err();
        let bomb = err.get_ref().unwrap().downcast_ref::<GzipBomb>().unwrap();
        assert!(
            bomb.expanded > 500 && bomb.expanded <= 500 + 8192,
            "{bomb:?}"
        );
    }
}
