//! Cutting a YAML stream into its documents before parsing.
//!
//! A `---` at the start of a line always starts a new document (YAML forbids document
//! markers inside scalars), so a stream can be cut there without parsing it. That lets
//! documents of one big file be parsed in parallel, and a syntax error in one document
//! cannot hide the documents after it.

/// A piece of a stream holding zero or more documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub text: &'a str,
    /// The 1-based line of the stream at which `text` starts.
    pub first_line: u32,
}

fn is_document_start(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// Splits `text` at every line that starts with `---`.
pub fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let (mut start, mut start_line) = (0usize, 1u32);
    // `match_indices` is a fast substring search; only its hits are looked at closely.
    for (i, _) in text.match_indices("\n---") {
        let line_start = i + 1;
        if !is_document_start(&text[line_start..]) {
            continue;
        }
        let lines = text.as_bytes()[start..line_start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32;
        chunks.push(Chunk {
            text: &text[start..line_start],
            first_line: start_line,
        });
        start = line_start;
        start_line += lines;
    }
    if start < text.len() || chunks.is_empty() {
        chunks.push(Chunk {
            text: &text[start..],
            first_line: start_line,
        });
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_document_markers_only_at_line_start() {
        let text = "a: 1\n---\nb: '---'\n  ---x\n--- # c\nc: 3\n";
        let chunks = split_documents(text);
        assert_eq!(chunks.len(), 3);
        assert_eq!(
            chunks[0],
            Chunk {
                text: "a: 1\n",
                first_line: 1
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
    }
}
