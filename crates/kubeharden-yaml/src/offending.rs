//! Where a syntax error really is.
//!
//! For some errors saphyr-parser reports where the scalar being scanned began, not the
//! character at fault: a tab in the indentation of a plain scalar's next line, or a bad
//! escape inside a double-quoted string. A user told "line 15, column 12" looks at a
//! token that is fine; the tab is on line 16. These errors are moved to that character.

/// The (1-based line, 0-based column in characters) of the character at fault, for an
/// error saphyr placed at (`line`, `col`) with message `info`; the same place for the
/// errors that already point at it.
pub(crate) fn offending(text: &str, line: usize, col: usize, info: &str) -> (usize, usize) {
    let found = if info.contains("found a tab") {
        indentation_tab(text, line)
    } else if info.contains("escape") || info.contains("hexadecimal") {
        bad_escape(text, line, col)
    } else {
        None
    };
    found.unwrap_or((line, col))
}

/// The first tab in the indentation of a line after `line`.
fn indentation_tab(text: &str, line: usize) -> Option<(usize, usize)> {
    text.lines().enumerate().skip(line).find_map(|(i, l)| {
        let indent = l.len() - l.trim_start_matches([' ', '\t']).len();
        l[..indent]
            .chars()
            .position(|c| c == '\t')
            .map(|c| (i + 1, c))
    })
}

/// Characters a YAML double-quoted escape may name after the backslash.
const SIMPLE_ESCAPES: &str = "0abt\tnvfre \"/\\N_LP";

/// The backslash of the first invalid escape of the double-quoted scalar opening at
/// (`line`, `col`).
fn bad_escape(text: &str, line: usize, col: usize) -> Option<(usize, usize)> {
    let mut chars = text
        .lines()
        .enumerate()
        .skip(line - 1)
        .flat_map(|(i, l)| {
            l.chars()
                .enumerate()
                .map(move |(c, ch)| (i + 1, c, ch))
                .chain([(i + 1, usize::MAX, '\n')])
        })
        .skip(col + 1);
    while let Some((l, c, ch)) = chars.next() {
        match ch {
            '"' => return None,
            '\\' => {
                let (_, _, next) = chars.next()?;
                let digits = match next {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    '\n' => 0,
                    _ if SIMPLE_ESCAPES.contains(next) => 0,
                    _ => return Some((l, c)),
                };
                for _ in 0..digits {
                    if !chars.next().is_some_and(|(_, _, d)| d.is_ascii_hexdigit()) {
                        return Some((l, c));
                    }
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tab_in_the_next_lines_indentation() {
        let text = "user:\n    token: abc\n\tkey: x\n";
        assert_eq!(
            offending(text, 2, 11, "while scanning a plain scalar, found a tab"),
            (3, 0)
        );
        assert_eq!(
            offending(
                text,
                2,
                11,
                "mapping values are not allowed in this context"
            ),
            (2, 11)
        );
    }

    #[test]
    fn the_backslash_of_a_bad_escape() {
        let text = "a: \"ok \\n then C:\\windows\"\n";
        assert_eq!(
            offending(
                text,
                1,
                3,
                "while parsing a quoted scalar, found unknown escape character"
            ),
            (1, 17)
        );
        let hex = "a: \"\\x4\"\n";
        assert_eq!(
            offending(
                hex,
                1,
                3,
                "while parsing a quoted scalar, did not find expected hexadecimal number"
            ),
            (1, 4)
        );
    }
}
