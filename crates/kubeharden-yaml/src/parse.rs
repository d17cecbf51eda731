//! Events from `saphyr-parser` into [`Node`] trees, without recursion and within limits.

use std::collections::{HashMap, HashSet};
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle as SaphyrStyle, ScanError, Span};

use crate::node::{Entry, Node, Pos, Scalar, ScalarStyle, Value};
use crate::offending::offending;
use crate::split::Chunk;

/// Bounds on what a document and a stream may cost. They stop alias bombs, merge-key
/// floods, absurd nesting and runaway documents with an error instead of exhausting
/// memory, stack or time.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of sequences and mappings.
    pub max_depth: usize,
    /// Most nodes in one document, counting every copy an alias makes.
    pub max_nodes: usize,
    /// Work a stream may cost per byte of it. Work is nodes made, nodes copied (for
    /// an alias or an anchor) and entries a merge key (`<<`) looks at: what a
    /// document of plain YAML costs is a fraction of its size, and only aliases and
    /// merge keys can cost more. Each chunk gets its share of the stream's budget,
    /// so a hostile document cannot starve the others and the report does not
    /// depend on the order in which chunks are parsed.
    pub work_per_byte: usize,
    /// Work any stream may cost, however small (shared among its chunks by size).
    pub min_work: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 256,
            max_nodes: 500_000,
            work_per_byte: 32,
            min_work: 2_000_000,
        }
    }
}

impl Limits {
    /// The work `chunk` may cost: its bytes' worth, and its share of the floor.
    pub fn budget(&self, chunk: &Chunk<'_>) -> usize {
        let len = chunk.text.len();
        let stream = chunk.stream_len.max(len).max(1);
        let floor_share = (self.min_work as u128 * len as u128 / stream as u128) as usize;
        self.work_per_byte
            .saturating_mul(len)
            .saturating_add(floor_share)
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
    /// Keys a mapping of the document sets twice; the tree holds the last, as kubectl
    /// applies it (kustomize refuses such a file).
    pub duplicate_keys: Vec<DuplicateKey>,
}

/// A key a mapping sets twice: `pos` is the second, whose value counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateKey {
    pub key: String,
    pub first: Pos,
    pub pos: Pos,
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

/// What a chunk may still cost, shared by its documents and by its re-parses.
struct Work {
    spent: usize,
    budget: usize,
}

struct Builder<'l> {
    limits: &'l Limits,
    line_offset: u32,
    stack: Vec<Frame>,
    /// Anchored nodes with their sizes, for aliases to copy.
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    work: &'l mut Work,
    root: Option<Node>,
    duplicates: Vec<DuplicateKey>,
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

    /// Charges `n` units of work at `pos`, failing once the chunk's budget is spent.
    fn charge(&mut self, n: usize, pos: Pos) -> Result<(), YamlError> {
        self.work.spent = self.work.spent.saturating_add(n);
        if self.work.spent <= self.work.budget {
            return Ok(());
        }
        Err(YamlError {
            pos,
            message: format!(
                "the document costs more work than its size allows (budget {} units: nodes, alias and anchor copies, merged entries; {} per byte, at least {} per file); an alias bomb or a merge-key flood? It was not loaded",
                self.work.budget, self.limits.work_per_byte, self.limits.min_work
            ),
        })
    }

    /// Counts `n` new nodes of the document, as work too.
    fn count(&mut self, n: usize, span: &Span) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(self.error(
                span,
                format!(
                    "document has more than {} nodes (an alias bomb or a runaway document); it was not loaded",
                    self.limits.max_nodes
                ),
            ));
        }
        self.charge(n, self.pos(span))
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
    fn place(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            // The copy kept for aliases costs its size: nested anchors copy again.
            let size = node.size();
            self.charge(size, node.pos)?;
            self.anchors.insert(anchor, (node.clone(), size));
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
        Ok(())
    }

    fn scalar(&mut self, text: String, style: SaphyrStyle, forced_str: bool, span: &Span) -> Node {
        let style = match style {
            SaphyrStyle::Plain => ScalarStyle::Plain,
            SaphyrStyle::SingleQuoted | SaphyrStyle::DoubleQuoted => ScalarStyle::Quoted,
            _ => ScalarStyle::Block,
        };
        Node {
            pos: self.pos(span),
            value: Value::Scalar(Scalar {
                text: text.into_boxed_str(),
                style,
                forced_str,
            }),
        }
    }

    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<(), YamlError> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, span)?;
                let forced_str = tag
                    .as_ref()
                    .is_some_and(|t| t.is_yaml_core_schema() && t.suffix == "str");
                let node = self.scalar(text.into_owned(), style, forced_str, span);
                self.place(node, anchor)?;
            }
            Event::SequenceStart(anchor, _) => {
                let pos = self.pos(span);
                let items = Vec::new();
                self.open(Frame::Seq { pos, anchor, items }, span)?;
            }
            Event::MappingStart(anchor, _) => {
                let pos = self.pos(span);
                let (entries, key) = (Vec::new(), None);
                self.open(
                    Frame::Map {
                        pos,
                        anchor,
                        entries,
                        key,
                    },
                    span,
                )?;
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { pos, anchor, items }) = self.stack.pop() {
                    let value = Value::Seq(items);
                    self.place(Node { pos, value }, anchor)?;
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
                    if let Some(twice) = duplicate_key(&entries) {
                        self.duplicates.push(twice);
                    }
                    let value = Value::Map(self.apply_merge_keys(entries, pos)?);
                    self.place(Node { pos, value }, anchor)?;
                }
            }
            Event::Alias(id) => self.alias(id, span)?,
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd => {}
        }
        Ok(())
    }

    fn alias(&mut self, id: usize, span: &Span) -> Result<(), YamlError> {
        let Some(&(_, size)) = self.anchors.get(&id) else {
            return Err(self.error(span, "alias to an unknown anchor"));
        };
        // Charge the whole copy before making it: this is what stops alias bombs.
        self.count(size, span)?;
        let mut copy = self.anchors[&id].0.clone();
        copy.pos = self.pos(span);
        self.place(copy, 0)
    }

    /// `<<: *base` merges the entries of `base` (or of each mapping in a list) that the
    /// mapping does not set itself, as Kubernetes' YAML 1.1 decoder does; the first
    /// merge to set a key wins. The keys set so far are kept in a set, so each merged
    /// entry costs one look-up and the mapping is built in time linear in its entries.
    fn apply_merge_keys(&mut self, entries: Vec<Entry>, pos: Pos) -> Result<Vec<Entry>, YamlError> {
        if !entries.iter().any(|e| is_merge_key(&e.key)) {
            return Ok(entries);
        }
        let (merges, mut own): (Vec<Entry>, Vec<Entry>) =
            entries.into_iter().partition(|e| is_merge_key(&e.key));
        let mut present = KeySet::default();
        own.iter().for_each(|e| {
            present.insert(&e.key);
        });
        for source in merges.into_iter().flat_map(|m| merge_sources(m.value)) {
            self.charge(source.len(), pos)?;
            own.extend(source.into_iter().filter(|e| present.insert(&e.key)));
        }
        Ok(own)
    }
}

/// The first key a mapping sets twice, if any. kubectl applies the last value (its
/// YAML decoder is lenient), kustomize refuses the file: a warning, and the tree holds
/// the last. Merge keys (`<<`) may repeat, and what they merge may be overridden.
fn duplicate_key(entries: &[Entry]) -> Option<DuplicateKey> {
    let keys = entries
        .iter()
        .filter(|e| !is_merge_key(&e.key))
        .filter_map(|e| Some((&*e.key.scalar()?.text, e.key.pos)));
    // Most mappings are small: comparing pairs costs less than a hash set's allocation.
    let (key, first, pos) = if entries.len() <= 8 {
        let keys: Vec<(&str, Pos)> = keys.collect();
        keys.iter().enumerate().find_map(|(i, &(key, pos))| {
            let first = keys[..i].iter().find(|(k, _)| *k == key)?;
            Some((key, first.1, pos))
        })?
    } else {
        let mut seen: HashMap<&str, Pos> = HashMap::with_capacity(entries.len());
        keys.into_iter()
            .find_map(|(key, pos)| seen.insert(key, pos).map(|first| (key, first, pos)))?
    };
    Some(DuplicateKey {
        key: key.to_string(),
        first,
        pos,
    })
}

fn is_merge_key(key: &Node) -> bool {
    key.scalar()
        .is_some_and(|s| s.style == ScalarStyle::Plain && &*s.text == "<<")
}

/// The mappings a merge key's value names: itself, or each mapping of a list.
fn merge_sources(value: Node) -> Vec<Vec<Entry>> {
    let nodes = match value.value {
        Value::Map(entries) => return vec![entries],
        Value::Seq(items) => items,
        Value::Scalar(_) => return Vec::new(),
    };
    nodes
        .into_iter()
        .filter_map(|n| match n.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        })
        .collect()
}

/// The keys of a mapping, compared by their text as the merge has always done; keys
/// that are not scalars all count as one.
#[derive(Default)]
struct KeySet {
    scalars: HashSet<Box<str>>,
    complex: bool,
}

impl KeySet {
    /// Adds `key`; whether it was new.
    fn insert(&mut self, key: &Node) -> bool {
        match key.scalar() {
            Some(s) if self.scalars.contains(&s.text) => false,
            Some(s) => self.scalars.insert(s.text.clone()),
            None => !std::mem::replace(&mut self.complex, true),
        }
    }
}

/// The `# Source: path` comments Helm writes before each rendered document, read in
/// one pass over a chunk however many documents it holds.
struct HelmSources<'t> {
    lines: std::str::Lines<'t>,
    /// The absolute line `lines` is at.
    line: u32,
    last: Option<&'t str>,
}

impl<'t> HelmSources<'t> {
    fn new(text: &'t str, first_line: u32) -> Self {
        HelmSources {
            lines: text.lines(),
            line: first_line,
            last: None,
        }
    }

    /// The last `# Source:` comment before `line` (absolute).
    fn before(&mut self, line: u32) -> Option<String> {
        while self.line < line {
            let Some(text) = self.lines.next() else { break };
            if let Some(source) = text.strip_prefix("# Source: ") {
                self.last = Some(source);
            }
            self.line += 1;
        }
        self.last.map(|s| s.trim().to_string())
    }
}

/// How many under-indented flow closers one chunk may have re-indented.
const MAX_CLOSER_FIXES: usize = 16;
/// How many bytes those re-parses may cover in all, so that a huge hostile document
/// full of such closers costs a bounded amount of work.
const CLOSER_FIX_BUDGET: usize = 64 << 20;

/// Parses every document of one chunk. A syntax error ends the chunk: documents
/// completed before it are returned, followed by the error. So does a broken limit,
/// such as the chunk's share of the stream's work budget ([`Limits::budget`]).
///
/// One error is forgiven, as go-yaml (and so `kubectl`) forgives it: a flow
/// collection's closing `]` or `}` on its own line, indented no deeper than the key
/// that holds it. Real charts do this; the line is re-indented and the chunk parsed
/// again. Only spaces before the closer move, so every other position stays exact.
pub fn parse_chunk(chunk: Chunk<'_>, limits: &Limits) -> Vec<Result<Document, YamlError>> {
    let mut text = std::borrow::Cow::Borrowed(chunk.text);
    let max_fixes = MAX_CLOSER_FIXES.min(CLOSER_FIX_BUDGET / chunk.text.len().max(1));
    let mut fixes = 0;
    // Re-parses draw on the same budget: a chunk costs at most its share, however
    // many closers it has.
    let mut work = Work {
        spent: 0,
        budget: limits.budget(&chunk),
    };
    loop {
        let (out, failure) = parse_text(&text, chunk.first_line, limits, &mut work);
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

/// The error at the offending character (`offending`: the tab, the backslash), not
/// where the scanner gave up, and what the re-indenting retry needs to know.
fn syntax_error(text: &str, err: &ScanError, line_offset: u32) -> (YamlError, Failure) {
    let marker = err.marker();
    let failure = Failure {
        line: marker.line(),
        col: marker.col(),
        indentation: err.info().contains("indentation"),
    };
    let (line, col) = offending(text, marker.line(), marker.col(), err.info());
    let pos = Pos::new(line as u32 + line_offset, col as u32 + 1);
    let message = err.info().to_string();
    (YamlError { pos, message }, failure)
}

fn parse_text(
    text: &str,
    first_line: u32,
    limits: &Limits,
    work: &mut Work,
) -> (Vec<Result<Document, YamlError>>, Option<Failure>) {
    let mut out = Vec::new();
    let mut parser = Parser::new_from_str(text);
    let mut sources = HelmSources::new(text, first_line);
    let mut builder = Builder {
        limits,
        line_offset: first_line - 1,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        work,
        root: None,
        duplicates: Vec::new(),
    };
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(ev) => ev,
            Err(err) => {
                let (error, failure) = syntax_error(text, &err, builder.line_offset);
                out.push(Err(error));
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
                let helm_source = sources.before(root.pos.line);
                let duplicate_keys = std::mem::take(&mut builder.duplicates);
                out.push(Ok(Document {
                    root,
                    helm_source,
                    duplicate_keys,
                }));
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
    fn a_key_set_twice_is_noted_and_the_last_counts() {
        let twice = |text: &str| -> Vec<(String, u32, u32)> {
            parse(text)
                .into_iter()
                .flat_map(|d| d.unwrap().duplicate_keys)
                .map(|d| (d.key, d.first.line, d.pos.line))
                .collect()
        };
        let text = "spec:\n  securityContext:\n    privileged: true\n    privileged: false\n";
        assert_eq!(twice(text), [("privileged".to_string(), 3, 4)]);
        let doc = parse(text).remove(0).unwrap();
        let sc = doc
            .root
            .get("spec")
            .unwrap()
            .get("securityContext")
            .unwrap();
        assert_eq!(sc.get("privileged").unwrap().scalar_text(), Some("false"));
        let many: String = (0..20).map(|i| format!("k{i}: 1\n")).collect();
        assert_eq!(
            twice(&format!("{many}k7: 2\n")),
            [("k7".to_string(), 8, 21)]
        );
        assert!(twice(&many).is_empty());
        // Flow mappings too; merge keys may repeat, and what they merge be overridden.
        assert_eq!(twice("a: {x: 1, x: 2}\n").len(), 1);
        assert!(twice("b: &b {x: 1}\nc: &c {y: 1}\nd: {<<: *b, <<: *c, x: 2}\n").is_empty());
        // Each document has its own.
        assert_eq!(twice("a: 1\na: 2\n---\nb: 1\n").len(), 1);
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

    fn keys(node: &Node) -> Vec<&str> {
        node.entries()
            .iter()
            .map(|e| e.key.scalar_text().unwrap())
            .collect()
    }

    #[test]
    fn merge_keys_keep_their_meaning() {
        // Own keys win over merged ones, the first merge to set a key wins, and in a
        // list the earlier mapping wins; a scalar to merge is ignored.
        let text = "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nm:\n  <<: [*b, *a]\n  <<: {w: 3, x: 3}\n  <<: oops\n  z: 0\n";
        let docs = parse(text);
        let m = docs[0].as_ref().unwrap().root.get("m").unwrap().clone();
        assert_eq!(keys(&m), ["z", "y", "x", "w"]);
        let value = |k: &str| m.get(k).unwrap().scalar_text().unwrap().to_string();
        assert_eq!(
            [value("z"), value("y"), value("x"), value("w")],
            ["0", "2", "1", "3"]
        );
    }

    /// 80,000 merge keys in one mapping: 1.3 MB. The merge used to look each merged
    /// key up in every entry so far (minutes); a set makes it linear.
    #[test]
    fn many_merge_keys_load_in_linear_time() {
        let mut text = String::from("apiVersion: v1\nkind: ConfigMap\ndata:\n");
        for i in 0..80_000 {
            text.push_str(&format!("  <<: {{k{i}: v}}\n"));
        }
        text.push_str("  k7: own\n");
        let started = std::time::Instant::now();
        let docs = parse(&text);
        let data = docs[0].as_ref().unwrap().root.get("data").unwrap().clone();
        assert_eq!(data.entries().len(), 80_000);
        assert_eq!(data.get("k7").unwrap().scalar_text(), Some("own"));
        assert_eq!(data.get("k79999").unwrap().scalar_text(), Some("v"));
        let took = started.elapsed();
        assert!(took.as_secs() < 20, "took {took:?}");
    }

    /// A chunk's budget is its share of the stream's: a small hostile document in a
    /// big file gets a small budget and fails alone, at the alias that spends it.
    #[test]
    fn a_document_over_its_work_budget_fails_alone_and_located() {
        let good = "---\napiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n".repeat(2000);
        let mut bomb = String::from("---\nlol: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..5 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            bomb.push_str(&format!("l{i}: &a{i} [{refs}]\n"));
        }
        let text = format!("{good}{bomb}{good}");
        let docs = parse(&text);
        let errors: Vec<&YamlError> = docs.iter().filter_map(|d| d.as_ref().err()).collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(docs.len() - 1, 4000, "every other document loads");
        let err = errors[0];
        assert!(err.message.contains("budget"), "{err}");
        // The bomb starts on line 8002; the alias that spends the budget is on its
        // last lines, well under the 500,000-node limit of a document.
        assert!((8003..=8006).contains(&err.pos.line), "{err}");
        assert!(err.pos.col > 1, "{err}");
    }

    #[test]
    fn the_budget_is_shared_by_size_and_has_a_floor() {
        let limits = Limits::default();
        let whole = Chunk {
            text: "a: 1\n",
            first_line: 1,
            stream_len: 5,
        };
        assert_eq!(
            limits.budget(&whole),
            5 * limits.work_per_byte + limits.min_work
        );
        let tenth = Chunk {
            stream_len: 50,
            ..whole
        };
        assert_eq!(
            limits.budget(&tenth),
            5 * limits.work_per_byte + limits.min_work / 10
        );
    }

    /// Re-parses for forgiven flow closers draw on the chunk's budget too.
    #[test]
    fn closer_fix_re_parses_share_the_budget() {
        let text = "k:\n  a: [\n      \"x\",\n  ]\n";
        let chunk = split_documents(text)[0];
        let tight = Limits {
            work_per_byte: 0,
            min_work: 8,
            ..Limits::default()
        };
        // One parse of the fixed text costs 6 units; with the failed first attempt it
        // is more than 8.
        let err = parse_chunk(chunk, &tight).remove(0).unwrap_err();
        assert!(err.message.contains("budget"), "{err}");
        let enough = Limits {
            min_work: 16,
            ..tight
        };
        assert!(parse_chunk(chunk, &enough)[0].is_ok());
    }

    /// 40,000 documents ended by `...`: each is its own chunk, and a chunk's Helm
    /// sources are read in one pass, so this is linear (it took a minute).
    #[test]
    fn documents_ended_by_dots_load_in_linear_time() {
        let mut text = String::new();
        for i in 0..40_000 {
            text.push_str(&format!(
                "# Source: chart/templates/c{i}.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n...\n"
            ));
        }
        let started = std::time::Instant::now();
        let docs = parse(&text);
        assert_eq!(docs.len(), 40_000);
        let last = docs[39_999].as_ref().unwrap();
        assert_eq!(last.root.entry("kind").unwrap().key.pos.line, 199_998);
        assert_eq!(
            last.helm_source.as_deref(),
            Some("chart/templates/c39999.yaml")
        );
        let took = started.elapsed();
        assert!(took.as_secs() < 20, "took {took:?}");
    }

    #[test]
    fn helm_sources_in_one_chunk_belong_to_the_document_after_them() {
        let text = "# Source: a.yaml\nx: 1\n...\n# Source: b.yaml\ny: 2\n";
        let chunk = Chunk {
            text,
            first_line: 1,
            stream_len: text.len(),
        };
        let docs = parse_chunk(chunk, &Limits::default());
        let sources: Vec<Option<&str>> = docs
            .iter()
            .map(|d| d.as_ref().unwrap().helm_source.as_deref())
            .collect();
        assert_eq!(sources, [Some("a.yaml"), Some("b.yaml")]);
    }

    #[test]
    fn merge_keys_fill_in_missing_entries() {
        let docs = parse("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
        let m = docs[0].as_ref().unwrap().root.get("m").unwrap().clone();
        assert_eq!(m.get("x").unwrap().scalar_text(), Some("1"));
        assert_eq!(m.get("y").unwrap().scalar_text(), Some("3"));
    }
}
