//! The refusal log: a line per refused (or unjudged) review, written to stderr off
//! the request's path.
//!
//! Under load most reviews are refusals, and stderr is unbuffered: a `write` per
//! line on the judging thread, which also waits whenever stderr's reader (a pipe, a
//! container runtime) is slow. Lines are instead appended to a buffer that a thread
//! of its own writes out every [`FLUSH_EVERY`], in one `write` for all of them. A
//! reader that stops reading never stalls a review: past [`MAX_PENDING`] bytes the
//! lines are counted, not kept, and the count is logged once there is room.

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How late a line may reach stderr.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// The most bytes held for a stderr that is not being read.
pub const MAX_PENDING: usize = 4 << 20;

#[derive(Default)]
pub struct Log {
    pending: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    text: Vec<u8>,
    dropped: u64,
}

impl Log {
    /// A log whose lines a background thread writes to stderr.
    pub fn to_stderr() -> Arc<Log> {
        let log = Arc::new(Log::default());
        let writer = log.clone();
        std::thread::Builder::new()
            .name("kubeharden-log".into())
            .spawn(move || loop {
                std::thread::sleep(FLUSH_EVERY);
                let _ = writer.write_to(&mut std::io::stderr().lock());
            })
            // Without the thread the lines are kept up to the cap, then counted.
            .map_err(|e| eprintln!("kubeharden serve: no log thread: {e}"))
            .ok();
        log
    }

    /// Adds `kubeharden serve: LINE`.
    pub fn line(&self, line: &str) {
        const PREFIX: &str = "kubeharden serve: ";
        let mut pending = self.lock();
        if pending.text.len() + PREFIX.len() + line.len() + 1 > MAX_PENDING {
            pending.dropped += 1;
            return;
        }
        pending.text.extend_from_slice(PREFIX.as_bytes());
        pending.text.extend_from_slice(line.as_bytes());
        pending.text.push(b'\n');
    }

    /// Writes out what is pending (and how many lines found no room), leaving the
    /// buffer empty; the lock is not held while writing.
    pub fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        let (mut text, dropped) = {
            let mut pending = self.lock();
            let text = std::mem::take(&mut pending.text);
            (text, std::mem::take(&mut pending.dropped))
        };
        if dropped > 0 {
            let note = format!(
                "kubeharden serve: {dropped} log lines dropped: stderr was not read fast enough\n"
            );
            text.extend_from_slice(note.as_bytes());
        }
        if text.is_empty() {
            return Ok(());
        }
        out.write_all(&text)?;
        out.flush()
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_written_together_and_a_full_buffer_counts_what_it_drops() {
        let log = Log::default();
        log.line("refused a");
        log.line("refused b");
        let mut out = Vec::new();
        log.write_to(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "kubeharden serve: refused a\nkubeharden serve: refused b\n"
        );
        let mut again = Vec::new();
        log.write_to(&mut again).unwrap();
        assert!(again.is_empty(), "written twice");

        let long = "x".repeat(MAX_PENDING / 2);
        for _ in 0..3 {
            log.line(&long);
        }
        let mut out = Vec::new();
        log.write_to(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches(&long).count(), 1, "kept past the cap");
        assert!(
            text.ends_with(
                "kubeharden serve: 2 log lines dropped: stderr was not read fast enough\n"
            ),
            "{}",
            &text[text.len() - 100..]
        );
    }
}
