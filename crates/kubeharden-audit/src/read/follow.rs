//! Follow mode: waiting at the end of a plain file for it to grow, and noticing
//! rotation on the open handle. The handle is compared with the path by device and
//! inode; a file renamed away is read to its end before its successor is opened, so
//! lines written just before the rotation are not lost; a file truncated in place is
//! rewound through its own handle.

use std::io::{self, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use super::{open, Input, ReadError, ReadErrorKind, Reader};

/// How long a quiet input is left before it is looked at again.
const POLL: Duration = Duration::from_millis(250);

impl Reader<'_> {
    /// Waits until there is more to read, or `stop` says to stop (`Break`).
    pub(super) fn wait(&mut self) -> Result<ControlFlow<()>, ReadError> {
        loop {
            if self.has_more()? {
                return Ok(ControlFlow::Continue(()));
            }
            // The old file is read to its end: now its successor.
            if self.rotated && self.reopen()? {
                return Ok(ControlFlow::Continue(()));
            }
            if self.options.stop.is_some_and(|stop| stop()) {
                return Ok(ControlFlow::Break(()));
            }
            self.check_rotation()?;
            if !self.rotated {
                std::thread::sleep(POLL);
            }
        }
    }

    fn has_more(&mut self) -> Result<bool, ReadError> {
        match self.opened.reader.fill_buf() {
            Ok(buf) => Ok(!buf.is_empty()),
            Err(e) => Err(self.error(self.line_no + 1, e)),
        }
    }

    /// Looks at the open handle: truncated below what was read, it is rewound; no
    /// longer the file at the path, it is marked rotated.
    fn check_rotation(&mut self) -> Result<(), ReadError> {
        let (Input::File(path), Some(handle)) = (self.input, &self.opened.handle) else {
            return Ok(());
        };
        let open_file = handle
            .metadata()
            .map_err(|e| self.error(self.line_no + 1, e))?;
        if open_file.len() < self.opened.raw.get() {
            // Truncated in place (copytruncate). The handle shares its offset with
            // the reader, whose buffer is empty at the end of the file.
            let mut handle = handle;
            handle
                .seek(SeekFrom::Start(0))
                .map_err(|e| self.error(self.line_no + 1, e))?;
            self.opened.raw.set(0);
            self.line_no = 0;
            return Ok(());
        }
        // No file at the path yet (renamed away, not yet replaced) is no rotation yet.
        if let Ok(at_path) = std::fs::metadata(path) {
            self.rotated = (at_path.dev(), at_path.ino()) != (open_file.dev(), open_file.ino());
        }
        Ok(())
    }

    /// Opens the file now at the path; `false` when there is none after all.
    fn reopen(&mut self) -> Result<bool, ReadError> {
        match open(self.input, &self.options.limits) {
            Ok(opened) => {
                self.opened = opened;
                self.rotated = false;
                self.line_no = 0;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.rotated = false;
                Ok(false)
            }
            Err(e) => Err(ReadError {
                file: self.name.clone(),
                line: None,
                kind: ReadErrorKind::Reopen(e),
            }),
        }
    }
}
