//! Events from `saphyr-parser` into [`Node`] trees, without recursion and within limits.

use std::collections::HashMap;
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle as SaphyrStyle, Span};

use crate::node::{Entry, Node, Pos, Scalar, ScalarStyle, Value};
use crate::offending::offending;
use crate::split::Chunk;

/// Bounds on what one document may cost. They stop alias bombs, absurd nesting
/// and runaway documents with an error instead of exhausting memory or stack.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of sequences and mappings.
    pub max_depth: usize,
    /// Most nodes in one document, counting every copy an alias makes.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 256,
            max_nodes: 500_000,
        }
    }
}

/// A syntax error or a broken limit, with the place where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.pos.line, self.pos.col, self.message
        )
    }
}

impl std::error::Error for YamlError {}

/// One YAML document: its root node and the Helm `# Source:` comment before it.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub root: Node,
    /// `chart/templates/x.yaml` from a `# Source: chart/templates/x.yaml` comment.
    pub helm_source: Option<String>,
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<Node>,
    },
}

struct Builder<'l> {
    limits: &'l Limits,
    line_offset: u32,
    stack: Vec<Frame>,
    /// Anchored nodes with their sizes, for aliases to copy.
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    root: Option<Node>,
}

impl Builder<'_> {
    fn pos(&self, span: &Span) -> Pos {
        Pos::new(
            span.start.line() as u32 + self.line_offset,
            span.start.col() as u32 + 1,
        )
    }

    fn error(&self, span: &Span, message: impl Into<String>) -> YamlError {
        YamlError {
            pos: self.pos(span),
            message: message.into(),
        }
    }

    fn count(&mut self, n: usize, span: &Span) -> Result<(), YamlError> {
        self.nodes += n;
        if self.nodes > self.limits.max_nodes {
            return Err(self.error(
                span,
                format!(
                    "document has more than {} nodes (an alias bomb or a runaway document); it was not loaded",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame, span: &Span) -> Result<(), YamlError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.error(
                span,
                format!(
                    "nesting deeper than {} levels; the document was not loaded",
                    self.limits.max_depth
                ),
            ));
        }
        self.count(1, span)?;
        self.stack.push(frame);
        Ok(())
    }

    /// Places a finished node into its parent, or makes it the document root.
    fn place(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), node.size()));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push(Entry {
                    key: k,
                    value: node,
                }),
            },
        }
    }

    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<(), YamlError> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, span)?;
                let forced_str = tag
                    .as_ref()
                    .is_some_and(|t| t.is_yaml_core_schema() && t.suffix == "str");
                let style = match style {
                    SaphyrStyle::Plain => ScalarStyle::Plain,
                    SaphyrStyle::SingleQuoted | SaphyrStyle::DoubleQuoted => ScalarStyle::Quoted,
                    _ => ScalarStyle::Block,
                };
                let node = Node {
                    pos: self.pos(span),
                    value: Value::Scalar(Scalar {
                        text: text.into_owned().into_boxed_str(),
                        style,
                        forced_str,
                    }),
                };
                self.place(node, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                let pos = self.pos(span);
                self.open(
                    Frame::Seq {
                        pos,
                        anchor,
                        items: Vec::new(),
                    },
                    span,
                )?;
            }
            Event::MappingStart(anchor, _) => {
                let pos = self.pos(span);
                self.open(
                    Frame::Map {
                        pos,
                        anchor,
                        entries: Vec::new(),
                        key: None,
                    },
                    span,
                )?;
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { pos, anchor, items }) = self.stack.pop() {
                    self.place(
                        Node {
                            pos,
                            value: Value::Seq(items),
                        },
                        anchor,
                    );
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    pos,
                    anchor,
                    entries,
                    ..
                }) = self.stack.pop()
                {
                    let entries = apply_merge_keys(entries);
                    self.place(
                        Node {
                            pos,
                            value: Value::Map(entries),
                        },
                        anchor,
                    );
                }
            }
            Event::Alias(id) => {
                let Some((target, size)) = self.anchors.get(&id) else {
                    return Err(self.error(span, "alias to an unknown anchor"));
                };
                // Charge the whole copy before making it: this is what stops alias bombs.
                let (mut copy, size) = (target.clone(), *size);
                self.count(size, span)?;
                copy.pos = self.pos(span);
                self.place(copy, 0);
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd => {}
        }
        Ok(())
    }
}

/// `<<: *base` merges the entries of `base` (or of each mapping in a list) that the
/// mapping does not set itself, as Kubernetes' YAML 1.1 decoder does.
fn apply_merge_keys(entries: Vec<Entry>) -> Vec<Entry> {
    let is_merge = |e: &Entry| {
        e.key
            .scalar()
            .is_some_and(|s| s.style == ScalarStyle::Plain && &*s.text == "<<")
    };
    if !entries.iter().any(is_merge) {
        return entries;
    }
    let (merges, mut own): (Vec<Entry>, Vec<Entry>) = entries.into_iter().partition(is_merge);
    for merge in merges {
        let sources: Vec<Node> = match merge.value.value {
            Value::Map(_) => vec![merge.value],
            Value::Seq(items) => items,
            Value::Scalar(_) => Vec::new(),
        };
        for source in sources {
            if let Value::Map(inherited) = source.value {
                for entry in inherited {
                    let key = entry.key.scalar().map(|s| s.text.clone());
                    let present = own
                        .iter()
                        .any(|e| e.key.scalar().map(|s| &s.text) == key.as_ref());
                    if !present {
                        own.push(entry);
                    }
                }
            }
        }
    }
    own
}

/// The `# Source: path` comment Helm writes before each rendered document.
fn helm_source(text: &str, before_line: u32, first_line: u32) -> Option<String> {
    text.lines()
        .take(before_line.saturating_sub(first_line) as usize)
        .filter_map(|line| line.strip_prefix("# Source: "))
        .last()
        .map(|s| s.trim().to_string())
}

/// How many under-indented flow closers one chunk may have re-indented.
const MAX_CLOSER_FIXES: usize = 16;
/// How many bytes those re-parses may cover in all, so that a huge hostile document
/// full of such closers costs a bounded amount of work.
const CLOSER_FIX_BUDGET: usize = 64 << 20;

/// Parses every document of one chunk. A syntax error ends the chunk: documents
/// completed before it are returned, followed by the error.
///
/// One error is forgiven, as go-yaml (and so `kubectl`) forgives it: a flow
/// collection's closing `]` or `}` on its own line, indented no deeper than the key
/// that holds it. Real charts do this; the line is re-indented and the chunk parsed
/// again. Only spaces before the closer move, so every other position stays exact.
pub fn parse_chunk(chunk: Chunk<'_>, limits: &Limits) -> Vec<Result<Document, YamlError>> {
    let mut text = std::borrow::Cow::Borrowed(chunk.text);
    let max_fixes = MAX_CLOSER_FIXES.min(CLOSER_FIX_BUDGET / chunk.text.len().max(1));
    let mut fixes = 0;
    loop {
        let (out, failure) = parse_text(&text, chunk.first_line, limits);
        if fixes < max_fixes {
            if let Some(fixed) = failure.and_then(|f| indent_closer(&text, f)) {
                text = std::borrow::Cow::Owned(fixed);
                fixes += 1;
                continue;
            }
        }
        return out;
    }
}

/// Where a syntax error stopped the parser: 1-based line within the chunk,
/// 0-based column, and whether the complaint was about indentation.
#[derive(Clone, Copy)]
struct Failure {
    line: usize,
    col: usize,
    indentation: bool,
}

fn parse_text(
    text: &str,
    first_line: u32,
    limits: &Limits,
) -> (Vec<Result<Document, YamlError>>, Option<Failure>) {
    let mut out = Vec::new();
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder {
        limits,
        line_offset: first_line - 1,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        root: None,
    };
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(ev) => ev,
            Err(err) => {
                let marker = err.marker();
                let failure = Failure {
                    line: marker.line(),
                    col: marker.col(),
                    indentation: err.info().contains("indentation"),
                };
                let (line, col) = offending(text, marker.line(), marker.col(), err.info());
                out.push(Err(YamlError {
                    pos: Pos::new(line as u32 + builder.line_offset, col as u32 + 1),
                    message: err.info().to_string(),
                }));
                return (out, Some(failure));
            }
        };
        let done = matches!(event, Event::DocumentEnd);
        if let Err(err) = builder.event(event, &span) {
            out.push(Err(err));
            return (out, None);
        }
        if done {
            if let Some(root) = builder.root.take() {
                let helm_source = helm_source(text, root.pos.line, first_line);
                out.push(Ok(Document { root, helm_source }));
            }
            builder.anchors.clear();
            builder.nodes = 0;
        }
    }
    (out, None)
}

/// The text with the flow closer at `failure` indented like the content line above
/// it, or `None` when the failure is not an under-indented closer alone on its line.
fn indent_closer(text: &str, failure: Failure) -> Option<String> {
    if !failure.indentation || failure.line == 0 {
        return None;
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let index = failure.line - 1;
    let line = *lines.get(index)?;
    let (lead, rest) = line.split_at(line.len() - line.trim_start_matches(' ').len());
    if lead.len() != failure.col || !rest.starts_with([']', '}']) {
        return None;
    }
    let above = lines[..index].iter().rev().find(|l| {
        let content = l.trim_start_matches(' ');
        !content.trim().is_empty() && !content.starts_with('#')
    })?;
    let target = above.len() - above.trim_start_matches(' ').len();
    if target <= failure.col {
        return None;
    }
    let mut fixed = String::with_capacity(text.len() + target);
    for (i, l) in lines.iter().enumerate() {
        if i == index {
            fixed.push_str(&" ".repeat(target - failure.col));
        }
        fixed.push_str(l);
    }
    Some(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::split_documents;

    fn parse(text: &str) -> Vec<Result<Document, YamlError>> {
        split_documents(text)
            .into_iter()
            .flat_map(|c| parse_chunk(c, &Limits::default()))
            .collect()
    }

    #[test]
    fn positions_are_one_based_and_point_at_keys_and_values() {
        let docs = parse("a: 1\nspec:\n  x: true\n");
        let root = &docs[0].as_ref().unwrap().root;
        let spec = root.entry("spec").unwrap();
        assert_eq!(spec.key.pos, Pos::new(2, 1));
        let x = spec.value.entry("x").unwrap();
        assert_eq!(x.key.pos, Pos::new(3, 3));
        assert_eq!(x.value.pos, Pos::new(3, 6));
    }

    #[test]
    fn later_documents_keep_their_own_line_numbers() {
        let docs = parse("a: 1\n---\n# Source: chart/templates/d.yaml\nb: 2\n");
        let second = docs[1].as_ref().unwrap();
        assert_eq!(second.root.entry("b").unwrap().key.pos, Pos::new(4, 1));
        assert_eq!(
            second.helm_source.as_deref(),
            Some("chart/templates/d.yaml")
        );
    }

    #[test]
    fn errors_point_at_the_character_at_fault() {
        let error = |text: &str| {
            parse(text)
                .iter()
                .find_map(|d| d.as_ref().err().map(|e| e.pos))
        };
        // A tab indents the line after a plain scalar: saphyr names the scalar.
        assert_eq!(
            error("a: 1\n---\nuser:\n    token: abc\n\tkey: x\n"),
            Some(Pos::new(5, 1))
        );
        // A Windows path in double quotes: saphyr names the opening quote.
        assert_eq!(error("path: \"C:\\kube\\config\"\n"), Some(Pos::new(1, 10)));
        // Errors saphyr already places at the character stay there.
        assert_eq!(error("a:\n  b: 1\n   c: 2\n"), Some(Pos::new(3, 5)));
    }

    #[test]
    fn a_syntax_error_does_not_hide_the_next_document() {
        let docs = parse("a: [1, 2\n---\nb: 2\n");
        assert!(docs[0].is_err());
        assert!(docs[1].is_ok());
    }

    #[test]
    fn alias_bomb_is_stopped() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let docs = parse(&text);
        let err = docs[0].as_ref().unwrap_err();
        assert!(err.message.contains("alias bomb"), "{err}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let docs = parse(&text);
        let err = docs[0].as_ref().unwrap_err();
        assert!(
            err.message.contains("nesting") || err.message.contains("recursion"),
            "{err}"
        );
    }

    #[test]
    fn deep_block_nesting_is_an_error_not_a_crash() {
        let mut text = String::new();
        for depth in 0..2000 {
            text.push_str(&" ".repeat(depth));
            text.push_str("k:\n");
        }
        let docs = parse(&text);
        let err = docs[0].as_ref().unwrap_err();
        assert!(err.message.contains("nesting"), "{err}");
    }

    #[test]
    fn an_under_indented_flow_closer_is_forgiven_like_kubectl_does() {
        let text = "spec:\n  args: [\n      \"-a\", \"1\",\n\n      # note\n      \"-b\",\n  ]\n  image: x\n";
        let docs = parse(text);
        let root = &docs[0].as_ref().unwrap().root;
        let spec = root.get("spec").unwrap();
        let args = spec.get("args").unwrap();
        assert_eq!(args.items().len(), 3);
        assert_eq!(spec.entry("image").unwrap().key.pos, Pos::new(8, 3));
    }

    #[test]
    fn closer_fixes_are_bounded_per_document() {
        let closers = |n: usize| -> String {
            let keys = (0..n).map(|i| format!("  a{i}: [\n      \"x\",\n  ]\n"));
            format!("k:\n{}", keys.collect::<String>())
        };
        assert!(parse(&closers(MAX_CLOSER_FIXES))[0].is_ok());
        let err = parse(&closers(MAX_CLOSER_FIXES + 1)).remove(0).unwrap_err();
        assert!(err.message.contains("indentation"), "{err}");
    }

    #[test]
    fn other_indentation_errors_still_fail() {
        let docs = parse("a:\n  b: 1\n c: 2\n");
        assert!(docs[0].is_err());
        let docs = parse("a: [\n1]\n");
        assert!(docs[0].is_err(), "content, not a closer, under-indented");
    }

    #[test]
    fn merge_keys_fill_in_missing_entries() {
        let docs = parse("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
        let m = docs[0].as_ref().unwrap().root.get("m").unwrap().clone();
        assert_eq!(m.get("x").unwrap().scalar_text(), Some("1"));
        assert_eq!(m.get("y").unwrap().scalar_text(), Some("3"));
    }
}
