//! Edits of a YAML (or JSON) source that keep everything else as it was: comments,
//! key order, quoting, indentation and blank lines.
//!
//! The positioned tree of `kubeharden-yaml` says where each key and value starts; the
//! text around it says where it ends. An edit replaces a scalar, extends a list, or
//! inserts the missing keys of a mapping after its last line (block style) or after
//! its `{` (flow style and JSON). Every place is checked against the text before it
//! is used: a position that does not hold what the tree says is an error, never a
//! guess.

use kubeharden_yaml::{Node, Pos, ScalarStyle, Seg, Value};

use crate::render::{block_lines, flow_entries, value_text, Style};
use crate::want::{Field, Val, Want};

/// One replacement of the original text: bytes `start..end` become `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Why an object's source could not be edited.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct EditError {
    pub line: u32,
    pub reason: String,
}

fn fail<T>(pos: Pos, reason: impl Into<String>) -> Result<T, EditError> {
    Err(EditError {
        line: pos.line,
        reason: reason.into(),
    })
}

/// A source text with its line starts, to turn positions into byte offsets.
pub struct Source<'t> {
    text: &'t str,
    starts: Vec<usize>,
    json: bool,
}

impl<'t> Source<'t> {
    /// `json`: the file is JSON, so inserted keys and strings are quoted.
    pub fn new(text: &'t str, json: bool) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source { text, starts, json }
    }

    /// The byte offset of a 1-based line and character column.
    fn offset(&self, pos: Pos) -> Option<usize> {
        let start = *self.starts.get((pos.line as usize).checked_sub(1)?)?;
        let line = &self.text[start..self.line_end(start)];
        let col = (pos.col as usize).checked_sub(1)?;
        let within = line
            .char_indices()
            .map(|(i, _)| i)
            .chain(Some(line.len()))
            .nth(col)?;
        Some(start + within)
    }

    /// The offset of the end of the line holding `at` (its `\n`, or the text's end).
    fn line_end(&self, at: usize) -> usize {
        self.text[at..]
            .find('\n')
            .map_or(self.text.len(), |i| at + i)
    }

    fn line_start(&self, at: usize) -> usize {
        self.text[..at].rfind('\n').map_or(0, |i| i + 1)
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    fn style(&self, flow: bool) -> Style {
        match (self.json, flow) {
            (true, _) => Style::Json,
            (false, true) => Style::Flow,
            (false, false) => Style::Block,
        }
    }

    /// The edits that make `node` (the root of an object) hold every field of `want`.
    pub fn edits(&self, node: &Node, want: &Want) -> Result<Vec<Edit>, EditError> {
        let mut edits = Vec::new();
        self.fill(node, want, &mut edits)?;
        Ok(edits)
    }

    fn fill(&self, node: &Node, want: &Want, edits: &mut Vec<Edit>) -> Result<(), EditError> {
        match &node.value {
            Value::Map(_) => self.fill_map(node, want, edits),
            Value::Seq(items) => {
                for (seg, field) in &want.fields {
                    let (Seg::Index(i), Field::Map(inner)) = (seg, field) else {
                        return fail(node.pos, "a list where a mapping was expected");
                    };
                    let Some(item) = items.get(*i) else {
                        return fail(node.pos, format!("the list has no item {i}"));
                    };
                    self.fill(item, inner, edits)?;
                }
                Ok(())
            }
            Value::Scalar(_) => fail(node.pos, "a scalar where a mapping was expected"),
        }
    }

    fn fill_map(&self, node: &Node, want: &Want, edits: &mut Vec<Edit>) -> Result<(), EditError> {
        let flow = self.is_flow(node, b'{')?;
        let mut missing = Want::default();
        for (seg, field) in &want.fields {
            let Seg::Key(key) = seg else {
                return fail(node.pos, "an index into a mapping");
            };
            match (node.entry(key), field) {
                (None, _) => missing.fields.push((seg.clone(), field.clone())),
                (Some(entry), Field::Map(inner)) if entry.value.is_null() => {
                    edits.push(self.replace_null(entry, inner, flow)?);
                }
                (Some(entry), Field::Map(inner)) => self.fill(&entry.value, inner, edits)?,
                (Some(entry), Field::Leaf(val)) => {
                    edits.push(self.set_value(&entry.value, val, flow)?)
                }
            }
        }
        if !missing.is_empty() {
            edits.push(self.insert(node, &missing, flow)?);
        }
        Ok(())
    }

    /// Whether the collection at `node` is in flow style (starts with `open`).
    fn is_flow(&self, node: &Node, open: u8) -> Result<bool, EditError> {
        let Some(at) = self.offset(node.pos) else {
            return fail(node.pos, "the position is outside the text");
        };
        Ok(self.byte(at) == Some(open))
    }

    /// Inserts `missing` into the mapping `node`.
    fn insert(&self, node: &Node, missing: &Want, flow: bool) -> Result<Edit, EditError> {
        let at = self.offset(node.pos).unwrap_or_default();
        if flow {
            let mut text = flow_entries(missing, self.style(true));
            if !node.entries().is_empty() {
                text.push_str(", ");
            }
            return Ok(Edit {
                start: at + 1,
                end: at + 1,
                text,
            });
        }
        let Some(first) = node.entries().first() else {
            return fail(node.pos, "an empty block mapping");
        };
        let indent = self.indent_of(&first.key)?;
        let last = node.entries().last().map_or(first, |e| e);
        let end = self.block_end(self.offset(last.key.pos).unwrap_or(at), indent, false);
        let mut lines = Vec::new();
        block_lines(missing, indent, &mut lines);
        Ok(Edit {
            start: end,
            end,
            text: format!("\n{}", lines.join("\n")),
        })
    }

    /// The column (in bytes from the line start) of a key, which must be preceded by
    /// spaces or a sequence dash only.
    fn indent_of(&self, key: &Node) -> Result<usize, EditError> {
        let Some(at) = self.offset(key.pos) else {
            return fail(key.pos, "the position is outside the text");
        };
        let start = self.line_start(at);
        let lead = &self.text[start..at];
        if lead.bytes().all(|b| matches!(b, b' ' | b'-')) {
            Ok(at - start)
        } else {
            fail(key.pos, "a key that does not start its line")
        }
    }

    /// The end of the last content line of a block collection whose entries (keys, or
    /// `-` for a list) sit at column `indent`, starting from the line at `from`. The
    /// collection ends at a line indented less, at a document marker, or (for a list)
    /// at a line at the same indentation that is no `-` item. Blank lines and
    /// comments are passed over.
    fn block_end(&self, from: usize, indent: usize, list: bool) -> usize {
        let mut end = self.line_end(from);
        let mut at = end;
        while at < self.text.len() {
            let start = at + 1;
            if start > self.text.len() {
                break;
            }
            let line_end = self.line_end(start);
            let line = &self.text[start..line_end];
            let content = line.trim_start_matches(' ');
            let depth = line.len() - content.len();
            let blank = content.trim().is_empty() || content.starts_with('#');
            if !blank {
                let marker =
                    depth == 0 && (content.starts_with("---") || content.starts_with("..."));
                let ends = depth < indent
                    || marker
                    || (list && depth == indent && !content.starts_with('-'));
                if ends {
                    break;
                }
                end = line_end;
            }
            at = line_end;
        }
        end
    }

    /// Sets an existing value: a scalar is replaced, a list gets the items it lacks.
    fn set_value(&self, node: &Node, val: &Val, flow: bool) -> Result<Edit, EditError> {
        match (&node.value, val) {
            (Value::Seq(items), Val::List(want)) => self.extend_list(node, items, want),
            (Value::Scalar(_), _) if node.is_null() && matches!(val, Val::List(_)) => {
                fail(node.pos, "an empty list value")
            }
            (Value::Scalar(s), _) if s.style != ScalarStyle::Block => {
                let (start, end) = self.scalar_span(node, flow)?;
                Ok(Edit {
                    start,
                    end,
                    text: value_text(val, self.style(flow)),
                })
            }
            _ => fail(node.pos, "a value of another shape than expected"),
        }
    }

    /// The byte span of a one-line plain or quoted scalar, checked against the text.
    fn scalar_span(&self, node: &Node, flow: bool) -> Result<(usize, usize), EditError> {
        let Some(start) = self.offset(node.pos) else {
            return fail(node.pos, "the position is outside the text");
        };
        let line = &self.text[start..self.line_end(start)];
        let len = match line.as_bytes().first() {
            Some(q @ (b'"' | b'\'')) => closing_quote(line, *q).map(|i| i + 1),
            _ => Some(plain_len(line, flow)),
        };
        let Some(len) = len else {
            return fail(node.pos, "a quoted scalar that does not end on its line");
        };
        let text = node.scalar().map(|s| &*s.text).unwrap_or_default();
        let quoted = matches!(line.as_bytes().first(), Some(b'"' | b'\''));
        if !quoted && line[..len] != *text {
            return fail(node.pos, "a scalar that spans lines");
        }
        Ok((start, start + len))
    }

    /// Adds the items of `want` that `items` lacks to a list.
    fn extend_list(&self, node: &Node, items: &[Node], want: &[String]) -> Result<Edit, EditError> {
        let have: Vec<&str> = items.iter().filter_map(Node::as_str).collect();
        let add: Vec<String> = want
            .iter()
            .filter(|w| !have.contains(&w.as_str()))
            .cloned()
            .collect();
        let at = self.offset(node.pos).unwrap_or_default();
        if self.is_flow(node, b'[')? {
            let mut text = value_text(&Val::List(add), self.style(true));
            text = text[1..text.len() - 1].to_string();
            if !items.is_empty() {
                text.push_str(", ");
            }
            return Ok(Edit {
                start: at + 1,
                end: at + 1,
                text,
            });
        }
        // The list's position is its first item's: its line starts with the dash.
        let line_start = self.line_start(at);
        let line = &self.text[line_start..self.line_end(at)];
        let indent = line.len() - line.trim_start_matches(' ').len();
        if !line[indent..].starts_with('-') || line_start + indent > at {
            return fail(node.pos, "a block list whose line does not start with '-'");
        }
        let last = items
            .last()
            .map_or(at, |i| self.offset(i.pos).unwrap_or(at));
        let end = self.block_end(last, indent, true);
        let pad = " ".repeat(indent);
        let lines: Vec<String> = add
            .iter()
            .map(|a| {
                format!(
                    "\n{pad}- {}",
                    value_text(&Val::Str(a.clone()), Style::Block)
                )
            })
            .collect();
        Ok(Edit {
            start: end,
            end,
            text: lines.concat(),
        })
    }

    /// Replaces an empty (null) value of `entry` with the mapping `inner`.
    fn replace_null(
        &self,
        entry: &kubeharden_yaml::Entry,
        inner: &Want,
        flow: bool,
    ) -> Result<Edit, EditError> {
        let Some(key_at) = self.offset(entry.key.pos) else {
            return fail(entry.key.pos, "the position is outside the text");
        };
        let line_end = self.line_end(key_at);
        let line = &self.text[key_at..line_end];
        let Some(colon) = line.find(':') else {
            return fail(entry.key.pos, "no ':' after the key");
        };
        let after = &line[colon + 1..];
        let value = after.split(" #").next().unwrap_or_default().trim_end();
        let value_len = value.len();
        if !matches!(value.trim(), "" | "null" | "~" | "Null" | "NULL") {
            return fail(
                entry.key.pos,
                "an empty value that is not on the key's line",
            );
        }
        let start = key_at + colon + 1;
        let style = self.style(flow);
        let text = if flow {
            format!(" {{{}}}", flow_entries(inner, style))
        } else {
            let indent = self.indent_of(&entry.key)? + 2;
            let mut lines = Vec::new();
            block_lines(inner, indent, &mut lines);
            format!("\n{}", lines.join("\n"))
        };
        Ok(Edit {
            start,
            end: start + value_len,
            text,
        })
    }
}

/// The index of the quote that closes the scalar opened by `line[0]`.
fn closing_quote(line: &str, quote: u8) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The length of a plain scalar at the start of `line`: up to a comment, the line's
/// end, or (in flow style) a `,`, `]` or `}`; trailing spaces left out.
fn plain_len(line: &str, flow: bool) -> usize {
    let bytes = line.as_bytes();
    let mut end = bytes.len();
    for (i, &b) in bytes.iter().enumerate() {
        let comment = b == b'#' && i > 0 && matches!(bytes[i - 1], b' ' | b'\t');
        if comment || (flow && matches!(b, b',' | b']' | b'}')) {
            end = i;
            break;
        }
    }
    line[..end].trim_end().len()
}

/// `text` with `edits` applied. Edits must not overlap; they are applied from the
/// last to the first, so each one's offsets stay valid.
pub fn apply(text: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|e| (e.start, e.end));
    let mut out = text.to_string();
    for edit in edits.iter().rev() {
        out.replace_range(edit.start..edit.end, &edit.text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeharden_yaml::{parse_chunk, split_documents, FieldPath, Limits};

    fn root(text: &str) -> Node {
        let chunk = split_documents(text)[0];
        parse_chunk(chunk, &Limits::default())
            .remove(0)
            .unwrap()
            .root
    }

    fn edit(text: &str, sets: &[(&str, Val)]) -> String {
        let mut want = Want::default();
        for (path, val) in sets {
            want.set(&FieldPath::parse(path), val.clone());
        }
        let json = text.trim_start().starts_with('{');
        let edits = Source::new(text, json).edits(&root(text), &want).unwrap();
        let out = apply(text, edits);
        // What was written reads back as the wanted values.
        let back = root(&out);
        for (path, val) in sets {
            let node = back.locate_node(path);
            match val {
                Val::Bool(b) => assert_eq!(
                    node.resolved(),
                    Some(kubeharden_yaml::Resolved::Bool(*b)),
                    "{out}"
                ),
                Val::Str(s) => assert_eq!(node.as_str(), Some(s.as_str()), "{out}"),
                Val::Int(i) => assert_eq!(
                    node.resolved(),
                    Some(kubeharden_yaml::Resolved::Int(*i)),
                    "{out}"
                ),
                Val::List(l) => {
                    let got: Vec<&str> = node.items().iter().filter_map(Node::as_str).collect();
                    for want in l {
                        assert!(got.contains(&want.as_str()), "{out}");
                    }
                }
            }
        }
        out
    }

    trait LocateNode {
        fn locate_node(&self, path: &str) -> &Node;
    }

    impl LocateNode for Node {
        fn locate_node(&self, path: &str) -> &Node {
            FieldPath::parse(path)
                .segments()
                .iter()
                .fold(self, |n, seg| match seg {
                    Seg::Key(k) => n.get(k).unwrap_or_else(|| panic!("no {k}")),
                    Seg::Index(i) => &n.items()[*i],
                })
        }
    }

    const POD: &str = "\
# the pod
apiVersion: v1
kind: Pod
metadata:
  name: p   # its name
spec:
  containers:
  - name: app   # the app
    image: app:1
    # resources come later
    securityContext:
      allowPrivilegeEscalation: true   # needed? no
      capabilities:
        drop:
        - NET_RAW

  - name: side
    image: 'side:2'
    securityContext: {runAsUser: 1000}
  volumes: []
";

    #[test]
    fn block_edits_keep_comments_order_and_blank_lines() {
        let out = edit(
            POD,
            &[
                (
                    "spec.containers[0].securityContext.allowPrivilegeEscalation",
                    Val::Bool(false),
                ),
                (
                    "spec.containers[0].securityContext.runAsNonRoot",
                    Val::Bool(true),
                ),
                (
                    "spec.containers[0].securityContext.capabilities.drop",
                    Val::List(vec!["ALL".into()]),
                ),
                (
                    "spec.containers[1].securityContext.runAsNonRoot",
                    Val::Bool(true),
                ),
                (
                    "spec.containers[1].resources.limits.memory",
                    Val::Str("128Mi".into()),
                ),
                (
                    "spec.securityContext.seccompProfile.type",
                    Val::Str("RuntimeDefault".into()),
                ),
                ("spec.automountServiceAccountToken", Val::Bool(false)),
            ],
        );
        assert_eq!(
            out,
            "\
# the pod
apiVersion: v1
kind: Pod
metadata:
  name: p   # its name
spec:
  containers:
  - name: app   # the app
    image: app:1
    # resources come later
    securityContext:
      allowPrivilegeEscalation: false   # needed? no
      capabilities:
        drop:
        - NET_RAW
        - ALL
      runAsNonRoot: true

  - name: side
    image: 'side:2'
    securityContext: {runAsNonRoot: true, runAsUser: 1000}
    resources:
      limits:
        memory: 128Mi
  volumes: []
  securityContext:
    seccompProfile:
      type: RuntimeDefault
  automountServiceAccountToken: false
"
        );
    }

    #[test]
    fn json_gets_quoted_keys() {
        let text = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": {\"containers\": [{\"name\": \"a\", \"securityContext\": {\"privileged\": false}}]}}\n";
        let out = edit(
            text,
            &[
                (
                    "spec.containers[0].securityContext.runAsNonRoot",
                    Val::Bool(true),
                ),
                ("spec.automountServiceAccountToken", Val::Bool(false)),
            ],
        );
        serde_json::from_str::<serde_json::Value>(&out).expect("still JSON");
        assert!(
            out.contains("{\"automountServiceAccountToken\": false, \"containers\""),
            "{out}"
        );
    }

    #[test]
    fn null_values_and_quoted_scalars_are_replaced() {
        let text = "kind: Pod\nspec:\n  securityContext:   # to do\n  automountServiceAccountToken: \"true\"\n  containers: [{name: a, securityContext: {seccompProfile: {type: 'Unconfined'}}}]\n";
        let out = edit(
            text,
            &[
                ("spec.securityContext.runAsNonRoot", Val::Bool(true)),
                ("spec.automountServiceAccountToken", Val::Bool(false)),
                (
                    "spec.containers[0].securityContext.seccompProfile.type",
                    Val::Str("RuntimeDefault".into()),
                ),
            ],
        );
        assert_eq!(
            out,
            "kind: Pod\nspec:\n  securityContext:\n    runAsNonRoot: true   # to do\n  automountServiceAccountToken: false\n  containers: [{name: a, securityContext: {seccompProfile: {type: RuntimeDefault}}}]\n"
        );
    }

    #[test]
    fn a_place_that_does_not_hold_what_the_tree_says_is_an_error() {
        let text = "kind: Pod\nspec:\n  note: |\n    a block\n";
        let mut want = Want::default();
        want.set(&FieldPath::parse("spec.note"), Val::Str("x".into()));
        let err = Source::new(text, false)
            .edits(&root(text), &want)
            .unwrap_err();
        assert_eq!(err.reason, "a value of another shape than expected");
    }
}
