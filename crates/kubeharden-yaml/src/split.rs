//! Cutting a YAML stream into its documents before parsing.
//!
//! A `---` at the start of a line always starts a new document, and a `...` at the
//! start of a line always ends one (YAML forbids document markers inside scalars), so
//! a stream can be cut there without parsing it. That lets documents of one big file
//! be parsed in parallel, and a syntax error in one document cannot hide the
//! documents after it. Cutting at `...` too keeps a stream of `...`-ended documents
//! from being one chunk: every chunk is parsed on its own, in time linear in its size.

/// A piece of a stream holding zero or more documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub text: &'a str,
    /// The 1-based line of the stream at which `text` starts.
    pub first_line: u32,
    /// The length of the whole stream in bytes: a chunk's share of the stream's work
    /// budget is its share of these bytes (see [`crate::Limits`]).
    pub stream_len: usize,
}

/// Whether `line` (from its first byte on) is the document marker `marker`: three
/// characters alone, or followed by a space, a tab or the end of the line.
fn is_marker(line: &[u8], marker: &[u8; 3]) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || matches!(rest[0], b' ' | b'\t' | b'\r' | b'\n'))
}

/// Where a cut falls for the line starting at `start`: before a `---` line, after a
/// `...` line (whose end is `end`).
fn cut_for(bytes: &[u8], start: usize, end: usize) -> Option<usize> {
    let line = &bytes[start..];
    if start > 0 && is_marker(line, b"---") {
        Some(start)
    } else if is_marker(line, b"...") {
        Some(end)
    } else {
        None
    }
}

/// Splits `text` before every line that starts with `---` and after every line that
/// starts with `...`. One pass over the lines.
/// Whether `text` holds directives (`%YAML`, `%TAG`) and nothing else but comments
/// and blank lines: the head of the document that follows, not one of its own.
fn only_directives(text: &str) -> bool {
    let mut directive = false;
    for line in text.lines().map(str::trim) {
        match line.bytes().next() {
            Some(b'%') => directive = true,
            None | Some(b'#') => {}
            Some(_) => return false,
        }
    }
    directive
}

pub fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let bytes = text.as_bytes();
    let mut chunks = Vec::new();
    let (mut start, mut start_line) = (0usize, 1u32);
    let (mut line_start, mut line) = (0usize, 1u32);
    let chunk = |from: usize, to: usize, first_line: u32| Chunk {
        text: &text[from..to],
        first_line,
        stream_len: text.len(),
    };
    // `match_indices` on one byte is a fast memchr; only line starts are looked at.
    let ends = text
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .chain(Some(text.len()));
    for line_end in ends {
        if line_start == text.len() {
            break;
        }
        let cut = cut_for(bytes, line_start, line_end).filter(|&c| c > start);
        // Directives (`%YAML 1.2`) belong to the document their `---` starts.
        if let Some(cut) = cut.filter(|&c| !only_directives(&text[start..c])) {
            chunks.push(chunk(start, cut, start_line));
            // A cut after a `...` line starts the next chunk on the line below.
            start_line = if cut == line_start { line } else { line + 1 };
            start = cut;
        }
        line_start = line_end;
        line += 1;
    }
    if start < text.len() || chunks.is_empty() {
        chunks.push(chunk(start, text.len(), start_line));
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<(&str, u32)> {
        split_documents(text)
            .iter()
            .map(|c| (c.text, c.first_line))
            .collect()
    }

    /// `%YAML 1.2` before `---` heads the document it starts: one chunk, not a
    /// directive alone (which no parser takes) and a document without it.
    #[test]
    fn directives_stay_with_their_document() {
        let text = "%YAML 1.2\n---\na: 1\n---\nb: 2\n";
        assert_eq!(
            texts(text),
            [("%YAML 1.2\n---\na: 1\n", 1), ("---\nb: 2\n", 4)]
        );
        let comments = "# c\n---\na: 1\n";
        assert_eq!(texts(comments).len(), 2, "a comment alone is still cut");
    }

    #[test]
    fn splits_at_document_markers_only_at_line_start() {
        let text = "a: 1\n---\nb: '---'\n  ---x\n--- # c\nc: 3\n";
        let chunks = split_documents(text);
        assert_eq!(chunks.len(), 3);
        assert_eq!(
            chunks[0],
            Chunk {
                text: "a: 1\n",
                first_line: 1,
                stream_len: text.len(),
            }
        );
        assert_eq!(chunks[1].first_line, 2);
        assert_eq!(chunks[1].text, "---\nb: '---'\n  ---x\n");
        assert_eq!(chunks[2].first_line, 5);
    }

    #[test]
    fn leading_marker_does_not_make_an_empty_chunk() {
        let chunks = split_documents("---\na: 1\n");
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].first_line, 1);
    }

    #[test]
    fn longer_dash_runs_are_not_markers() {
        assert_eq!(split_documents("a: 1\n----\n").len(), 1);
        assert_eq!(split_documents("a: 1\n....\nb: 2\n").len(), 1);
    }

    #[test]
    fn document_end_markers_cut_after_their_line() {
        let text = "a: 1\n...\nb: 2\n... # end\n---\nc: 3\n...";
        assert_eq!(
            texts(text),
            [
                ("a: 1\n...\n", 1),
                ("b: 2\n... # end\n", 3),
                ("---\nc: 3\n...", 5)
            ]
        );
        // Inside a line, or indented, `...` is text.
        assert_eq!(texts("a: 1 ...\n  ...\nb: x...\n").len(), 1);
    }

    #[test]
    fn every_chunk_knows_the_stream_length() {
        let text = "a: 1\n...\nb: 2\n";
        assert!(split_documents(text)
            .iter()
            .all(|c| c.stream_len == text.len()));
    }

    #[test]
    fn many_end_marked_documents_are_cut_one_by_one() {
        let text = "k: v\n...\n".repeat(40_000);
        let chunks = split_documents(&text);
        assert_eq!(chunks.len(), 40_000);
        assert_eq!(chunks[39_999].first_line, 79_999);
    }
}
