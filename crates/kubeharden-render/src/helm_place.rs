//! Where in a template a rendered field was written: the keys of its path looked for
//! in order, each inside the block of the one before; the list item of an index
//! chosen as helm wrote it (a literal item by its name or place, a `range` body, a
//! `toYaml` of a list of values); the lines helm did not emit passed over
//! (helm_blocks.rs); a `toYaml .Values.X` block standing for the rest of the path.

use kubeharden_yaml::{FieldPath, Node, Seg};

use crate::helm_values::Held;

/// Where in a template a field was written.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TemplatePlace {
    pub line: u32,
    pub column: u32,
    /// The chart values the place reads, as dotted keys.
    pub values: Vec<String>,
    /// A line (of the document) that writes the field but was not emitted for this
    /// object, if the search passed one.
    pub silent: Option<usize>,
    /// The line of the `range` whose body wrote the list item the field is in.
    pub range: Option<usize>,
    /// Which iteration of that `range` wrote it, when that can be told.
    pub iteration: Option<usize>,
    /// The named template whose body wrote it (its lines count from the body's
    /// file's start; `silent` and `range` from the body's first line).
    pub helper: Option<String>,
    /// Whether any key or item of the path was found (else the place is the
    /// template's start).
    pub found: bool,
    /// Other lines (of the document) that write the field as likely as the place,
    /// in branches whose conditions cannot be judged: the place is approximate.
    pub also: Vec<usize>,
}

/// Where a named template a line calls wrote the rest of a path.
pub(crate) enum HelperHit {
    /// In its body.
    Inside(TemplatePlace),
    /// It prints the chart value it is given whole (`tpl (toYaml .value)`): the
    /// call's line writes it, as a `toYaml` of that value would.
    Copies(String),
}

/// The chart value a template line (with whether `.` is the root context there)
/// gives whole to a named template that prints it.
pub(crate) type CopySearch<'a> = &'a dyn Fn(&str, bool) -> Option<String>;

/// Looks for the rest of a path in what a template line's calls of named templates
/// write: the line, whether `.` is the root context there (else the value a `with`
/// or `range` item makes it, when known), the rest of the path and the rendered node
/// it starts from.
pub(crate) type HelperSearch<'a> =
    &'a dyn Fn(&str, bool, Option<&str>, &FieldPath, Option<&Node>) -> Option<HelperHit>;

/// A template line's indentation and the key it opens (`- key:` or `key:`), if any.
fn key_of(line: &str) -> Option<(usize, &str)> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let (indent, body) = match trimmed.strip_prefix("- ") {
        Some(rest) => (indent + 2, rest.trim_start()),
        None => (indent, trimmed),
    };
    let (key, _) = body.split_once(':')?;
    let key = key.trim_matches(|c| c == '"' || c == '\'');
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    plain.then_some((indent, key))
}

/// The indentation of a list item's `-`, if `line` starts one.
fn item_of(line: &str) -> Option<usize> {
    let trimmed = line.trim_start();
    (trimmed.starts_with("- ") || trimmed == "-").then(|| line.len() - trimmed.len())
}

/// Where the field at `path` was written in `template` (1-based line and column).
#[cfg(test)]
fn place_in_template(template: &str, path: &FieldPath) -> TemplatePlace {
    place_in_lines(
        &template.lines().collect::<Vec<_>>(),
        path,
        &Seen::default(),
    )
}

/// What the search knows of the render: the lines helm did not emit, the field, and
/// the rendered object (to tell list items apart).
#[derive(Default)]
pub(crate) struct Seen<'a> {
    /// For each line, whether it is in a block helm did not render.
    pub silent: Vec<bool>,
    /// For each line, the line of the innermost `range` whose body it is in.
    pub ranges: Vec<Option<usize>>,
    /// For each line, the line of the `with` that sets its `.`, when that is the
    /// innermost block that does.
    pub withs: Vec<Option<usize>>,
    /// A `range` around the whole document, which made this object in one of its
    /// iterations: the line that opens it and the value its `.` is there
    /// (`workers[1]` for the second object of `range .Values.workers`).
    pub outer: Option<(String, String)>,
    pub field: FieldSeen,
    pub root: Option<&'a Node>,
    /// What a chart value holds where it is set: how many items a list holds (a
    /// `toYaml` of it writes that many), the kind a `kindIs` asks.
    pub held: Option<HeldOf<'a>>,
    /// Whether `.` is the root context where no `with` or `range` sets it (in a
    /// template, not in a named template given something else).
    pub dot_is_root: bool,
    /// Where named templates the lines call write the rest of a path.
    pub helpers: Option<HelperSearch<'a>>,
    /// The chart value a line gives whole to a named template that prints it.
    pub copies: Option<CopySearch<'a>>,
    /// The chart values the named templates a line calls read.
    pub helper_reads: Option<HelperReads<'a>>,
}

/// The chart values the named templates a line calls (with whether `.` is the root
/// context there) read.
pub(crate) type HelperReads<'a> = &'a dyn Fn(&str, bool) -> Vec<String>;

/// What the chart value of a key holds, if it is set.
pub(crate) type HeldOf<'a> = &'a dyn Fn(&str) -> Option<Held>;

/// The field as rendered.
#[derive(Default)]
pub(crate) enum FieldSeen {
    /// Not known, or a block.
    #[default]
    Unknown,
    /// Not in the rendered object: no line that writes it was emitted.
    Absent,
    /// A scalar, as text: a line that writes another literal was not emitted.
    Scalar(String),
}

impl FieldSeen {
    pub(crate) fn of(field: Option<&Node>) -> FieldSeen {
        match field {
            None => FieldSeen::Absent,
            Some(node) => match node.scalar() {
                Some(_) => FieldSeen::Scalar(node.scalar_text().unwrap_or_default().to_string()),
                None => FieldSeen::Unknown,
            },
        }
    }
}

impl Seen<'_> {
    fn silent(&self, i: usize) -> bool {
        self.silent.get(i).copied().unwrap_or(false)
    }

    fn range(&self, i: usize) -> Option<usize> {
        self.ranges.get(i).copied().flatten()
    }

    fn with(&self, i: usize) -> Option<usize> {
        self.withs.get(i).copied().flatten()
    }

    /// How many items the list value of `key` holds, if it is one.
    fn list_len(&self, key: &str) -> Option<usize> {
        match self.held.and_then(|held| held(key)) {
            Some(Held::List(n)) => Some(n),
            _ => None,
        }
    }

    /// Whether `.` is the root context on line `i`.
    fn root_dot(&self, i: usize) -> bool {
        self.dot_is_root
            && self.with(i).is_none()
            && self.range(i).is_none()
            && self.outer.is_none()
    }

    /// The chart value line `i` gives whole to a named template that prints it.
    fn copied(&self, lines: &[&str], i: usize) -> Option<String> {
        self.copies
            .and_then(|copies| copies(lines[i], self.root_dot(i)))
    }

    /// How well the template line `text`, which writes the field, matches what was
    /// rendered: 2, its literal or the one value it prints is the rendered text; 1,
    /// it may have written it (a template expression, or a block); 0, it did not.
    fn matches(&self, text: &str) -> u8 {
        let FieldSeen::Scalar(rendered) = &self.field else {
            return u8::from(self.wrote(text));
        };
        let (_, value) = text.split_once(':').unwrap_or_default();
        let value = value.trim();
        if !value.contains("{{") {
            return if self.wrote(text) { 2 } else { 0 };
        }
        match self.printed(value) {
            Some(Held::Scalar(held)) if held == *rendered => 2,
            Some(Held::Scalar(_)) => 0,
            _ => 1,
        }
    }

    /// What a line's value that is only `{{ .Values.x }}` prints, where it is known.
    fn printed(&self, value: &str) -> Option<Held> {
        let inner = value.strip_prefix("{{")?.strip_suffix("}}")?;
        let inner = inner.trim_matches(|c: char| c == '-' || c.is_whitespace());
        let key = inner
            .strip_prefix("$.Values.")
            .or_else(|| inner.strip_prefix(".Values."))?;
        let plain = key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        plain
            .then(|| self.held.and_then(|held| held(key)))
            .flatten()
    }

    /// Whether the template line `text`, which writes the field, can have made it.
    fn wrote(&self, text: &str) -> bool {
        match &self.field {
            FieldSeen::Unknown => true,
            FieldSeen::Absent => false,
            FieldSeen::Scalar(rendered) => {
                let (_, value) = text.split_once(':').unwrap_or_default();
                let literal = value.trim().trim_matches(|c| c == '"' || c == '\'');
                value.contains("{{") || literal.is_empty() || literal == rendered
            }
        }
    }
}

/// The search's state: the deepest key or item found, and the lines left to search.
struct Walk<'a> {
    /// The line index and indentation of what was found last.
    at: Option<(usize, usize)>,
    next: usize,
    end: usize,
    silent: Option<usize>,
    range: Option<usize>,
    iteration: Option<usize>,
    /// Whether what was found last is a list item (its line's key is not it).
    item: bool,
    /// The rendered node at what was found last.
    rendered: Option<&'a Node>,
    /// Whether the search went into a key's block that helm did not emit (no emitted
    /// line writes the key): the lines inside it are searched as written.
    dark: bool,
    /// Lines that write the field as likely as the one found.
    also: Vec<usize>,
}

/// What a list index leads to in the template.
enum Item {
    /// The item's first line, its `-` indentation and the end of its block.
    At(usize, usize, usize),
    /// A `toYaml` line writing the list: its line, column and the value's item.
    Written(usize, usize, String),
}

/// Where the field at `path` was written in a template's `lines`.
pub(crate) fn place_in_lines(lines: &[&str], path: &FieldPath, seen: &Seen) -> TemplatePlace {
    let segments = path.segments();
    let keys = segments.iter().filter(|s| matches!(s, Seg::Key(_))).count();
    let mut walk = Walk {
        at: None,
        next: 0,
        end: lines.len(),
        silent: None,
        range: None,
        iteration: None,
        item: false,
        rendered: seen.root,
        dark: false,
        also: Vec::new(),
    };
    let (mut done, mut matched) = (0, 0);
    for seg in segments {
        match seg {
            Seg::Key(key) => {
                if !walk.key(lines, seen, key, matched + 1 == keys) {
                    break;
                }
                matched += 1;
            }
            Seg::Index(i) => match walk.item(lines, seen, *i) {
                Some(Item::At(line, dash, end)) => {
                    walk.at = Some((line, dash));
                    walk.item = true;
                    (walk.next, walk.end) = (line, end);
                }
                Some(Item::Written(line, column, value)) => {
                    let value = join(&value, &segments[done + 1..]);
                    return walk.place(line, column, vec![value]);
                }
                None => break,
            },
        }
        done += 1;
    }
    if matched == keys && !walk.dark {
        walk.silent = None; // a line that wrote it was found
    }
    if done < segments.len() {
        if let Some(place) = walk.in_helper(lines, seen, &segments[..done], &segments[done..]) {
            return place;
        }
    }
    walk.finish(lines, seen, &segments[done..])
}

/// `base` and the rest of a path (`a.b[1].c`), a trailing index left out: a value
/// key names the list, as a value holds it.
fn join(base: &str, rest: &[Seg]) -> String {
    let keep = rest
        .iter()
        .rposition(|s| matches!(s, Seg::Key(_)))
        .map_or(0, |i| i + 1);
    let mut out = base.to_string();
    for seg in &rest[..keep] {
        match seg {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => out.push_str(&format!(".{k}")),
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

impl<'a> Walk<'a> {
    fn place(&self, i: usize, column: usize, values: Vec<String>) -> TemplatePlace {
        TemplatePlace {
            line: i as u32 + 1,
            column: column as u32 + 1,
            values,
            silent: self.silent,
            range: self.range,
            iteration: self.iteration,
            helper: None,
            found: self.at.is_some(),
            also: self.also.clone(),
        }
    }

    /// Where a named template called in the block of what was found last wrote the
    /// rest of the path (`rest`, below `done`), if one did and nothing here does.
    fn in_helper(
        &self,
        lines: &[&str],
        seen: &Seen,
        done: &[Seg],
        rest: &[Seg],
    ) -> Option<TemplatePlace> {
        let search = seen.helpers?;
        let (line, indent) = self.at.unwrap_or((0, 0));
        // A key whose content a `toYaml` writes here: no named template wrote it.
        let key = self.at.is_some() && !self.item;
        if key && self.to_yaml_content_of(lines, seen, line).is_some() {
            return None;
        }
        let parent = seen.root.and_then(|root| crate::node_at(root, done));
        let path = rest.iter().fold(FieldPath::root(), |path, seg| match seg {
            Seg::Key(k) => path.key(k),
            Seg::Index(i) => path.index(*i),
        });
        let in_block = |i: usize, text: &str| {
            let below = i > line || self.at.is_none();
            let left = key_of(text).is_some_and(|(k, _)| k <= indent && self.at.is_some())
                || item_of(text).is_some_and(|d| d <= indent && self.at.is_some());
            !(below && left)
        };
        // The parent's own keys' indentation: a call that writes deeper writes inside
        // one of them (the container's `securityContext:`), not the rest of the path.
        let level = lines
            .iter()
            .enumerate()
            .take(self.end)
            .skip(line + usize::from(self.at.is_some()))
            .take_while(|(i, text)| in_block(*i, text))
            .find_map(|(_, text)| key_of(text).map(|(k, _)| k));
        for (i, text) in lines.iter().enumerate().take(self.end).skip(line) {
            if !in_block(i, text) {
                break;
            }
            if (seen.silent(i) && !self.dark) || !text.contains("{{") {
                continue;
            }
            let own_line = i == line && self.at.is_some() && !self.item;
            let writes_at = nindent(text).unwrap_or(text.len() - text.trim_start().len());
            if !own_line && level.is_some_and(|level| writes_at > level) {
                continue;
            }
            let root = seen.root_dot(i);
            let base = match root {
                true => None,
                false => self.dot(lines, seen, i).map(|(_, base)| base),
            };
            match search(text, root, base.as_deref(), &path, parent) {
                Some(HelperHit::Inside(place)) => return Some(place),
                Some(HelperHit::Copies(value)) => {
                    let column = text.find("{{").unwrap_or(0);
                    return Some(self.place(i, column, vec![join(&value, rest)]));
                }
                None => {}
            }
        }
        None
    }

    /// The `toYaml` line that is the content of the key on line `line` (its index,
    /// column and the value it prints), lines helm did not emit passed over.
    fn to_yaml_content_of(
        &self,
        lines: &[&str],
        seen: &Seen,
        line: usize,
    ) -> Option<(usize, usize, String)> {
        let printed = |i: usize| self.to_yaml_of(lines, seen, i);
        let skip = |i: usize| !self.dark && seen.silent(i);
        to_yaml_content(lines, line, &skip, &printed)
    }

    /// Finds `key` inside what was found last; `last`: it is the field itself.
    fn key(&mut self, lines: &[&str], seen: &Seen, key: &str, last: bool) -> bool {
        self.rendered = self.rendered.and_then(|n| n.get(key));
        // A parent of the field written only in a block helm did not emit (`{{- with
        // .Values.securityContext }}` with the value empty): its block is searched.
        let mut unrendered = None;
        // The parent's own keys are at one indentation: a key deeper is another's
        // (the pod's `securityContext` is not the container's).
        let mut level = None;
        // The lines that can have written the field itself, in branches that cannot
        // be judged (`if .Capabilities...` / `else`): the likeliest is chosen after.
        let mut writers: Vec<(usize, usize)> = Vec::new();
        for (i, text) in lines.iter().enumerate().take(self.end).skip(self.next) {
            let Some((indent, found)) = key_of(text) else {
                continue;
            };
            let inside = self.at.is_none_or(|(_, parent)| indent > parent);
            if inside && indent > *level.get_or_insert(indent) {
                continue;
            }
            // A line helm did not emit, or not for this object (another branch).
            let passed = seen.silent(i) || (last && found == key && !seen.wrote(text));
            if passed && !self.dark {
                if last && found == key && inside {
                    self.silent.get_or_insert(i);
                }
                if !last && found == key && inside {
                    unrendered.get_or_insert((i, indent));
                }
                continue;
            }
            if !inside {
                break; // left the parent's block
            }
            if found == key && last && !self.dark {
                writers.push((i, indent));
                continue;
            }
            if found == key {
                self.found(i, indent);
                return true;
            }
        }
        if let Some((i, indent)) = self.likeliest(lines, seen, &writers) {
            self.found(i, indent);
            return true;
        }
        // Only where the rendered object lacks the key too (the blocks were judged
        // as helm did).
        let Some((i, indent)) = unrendered.filter(|_| self.rendered.is_none()) else {
            return false;
        };
        self.silent.get_or_insert(i);
        self.dark = true;
        self.found(i, indent);
        true
    }

    /// Of the lines that can have written the field, the one whose text matches
    /// what was rendered (the literal, or the one value it prints); where several
    /// match as well, the first, and the others are kept to say so.
    fn likeliest(
        &mut self,
        lines: &[&str],
        seen: &Seen,
        writers: &[(usize, usize)],
    ) -> Option<(usize, usize)> {
        let scored: Vec<(u8, usize, usize)> = writers
            .iter()
            .map(|&(i, indent)| (seen.matches(lines[i]), i, indent))
            .collect();
        let best = scored.iter().map(|(score, ..)| *score).max()?;
        let mut tied = scored.iter().filter(|(score, ..)| *score == best);
        let &(_, i, indent) = tied.next()?;
        // None matching at all: the first, as written (a number helm prints in
        // another form), and nothing to weigh it against.
        if best > 0 {
            self.also = tied.map(|&(_, other, _)| other).collect();
        }
        Some((i, indent))
    }

    fn found(&mut self, i: usize, indent: usize) {
        self.at = Some((i, indent));
        self.item = false;
        self.next = i + 1;
    }

    /// The template item that wrote the rendered list's item `index`.
    fn item(&mut self, lines: &[&str], seen: &Seen, index: usize) -> Option<Item> {
        let (list, indent) = self.at?;
        let total = self.rendered.map_or(0, |n| n.items().len());
        let rendered = self.rendered.and_then(|n| n.items().get(index));
        self.rendered = rendered;
        let name = rendered
            .and_then(|n| n.get("name"))
            .and_then(Node::scalar_text);
        let block = ListBlock::read(lines, seen, list, indent, self.end);
        let written_len = block
            .written
            .as_ref()
            .and_then(|(.., value)| seen.list_len(value));
        let chosen = block.choose(index, name, written_span(&block, total, written_len))?;
        if let Item::At(line, ..) = chosen {
            self.range = seen.range(line).filter(|&r| r > list);
            self.iteration = self
                .range
                .and_then(|_| block.iteration(index, line, written_len));
        }
        Some(chosen)
    }

    /// The place, once the search went as deep as it could: the line found, or the
    /// `toYaml` block that writes the rest of the path.
    fn finish(&self, lines: &[&str], seen: &Seen, rest: &[Seg]) -> TemplatePlace {
        let Some((line, indent)) = self.at else {
            return self.place(0, 0, Vec::new());
        };
        let rest = join("", rest);
        let dot = if rest.starts_with('[') { "" } else { "." };
        // An item's first line reads its first key's value (`- name: {{ $c.name }}`),
        // not the item's.
        let mut own = match self.item {
            true => Vec::new(),
            false => self.reads(lines, seen, line),
        };
        // A field a named template makes (`image: {{ include "x.image" . }}`): the
        // values its body reads.
        if rest.is_empty() && own.is_empty() && !self.item {
            own = seen
                .helper_reads
                .map_or(Vec::new(), |reads| reads(lines[line], seen.root_dot(line)));
        }
        if rest.is_empty() && !own.is_empty() {
            return self.place(line, indent, own);
        }
        // The field, or the rest of its path, is written by a `toYaml` block that is
        // this key's content.
        if let Some((i, column, block)) = self.to_yaml_content_of(lines, seen, line) {
            let value = match rest.is_empty() {
                true => block,
                false => format!("{block}{dot}{rest}"),
            };
            return self.place(i, column, vec![value]);
        }
        // An item whose keys a `toYaml` of what the block's variable holds writes
        // (`- name: {{ $name }}` and `{{- toYaml $spec | nindent 10 }}`).
        let printed = match self.item && !rest.is_empty() {
            true => self.item_printed(lines, seen),
            false => None,
        };
        if let Some((i, column, value)) = printed {
            let value = value.map(|v| format!("{v}{dot}{rest}"));
            return self.place(i, column, value.into_iter().collect());
        }
        if self.item {
            let guarded = self.guarded(lines, seen, &rest).into_iter().collect();
            return self.place(line, indent, guarded);
        }
        // Values a line passes to a helper (`include "x" (dict "sc" .Values.sc)`) are
        // not the field's: what the helper makes of them is not known, so they are
        // listed as the line reads them.
        if passes_to_helper(lines[line]) {
            return self.place(line, indent, own);
        }
        let deeper = own.into_iter().map(|k| format!("{k}{dot}{rest}")).collect();
        self.place(line, indent, deeper)
    }
}

impl Walk<'_> {
    /// The values line `i` reads: its own `.Values.X`, else what it reads through
    /// `.` or a block's variable, where a `with` or the `range` item sets them.
    fn reads(&self, lines: &[&str], seen: &Seen, i: usize) -> Vec<String> {
        let own = values_keys(lines[i]);
        if !own.is_empty() {
            return own;
        }
        match self.dot(lines, seen, i) {
            Some((block, base)) => dot_values(&block, lines[i], &base),
            None => Vec::new(),
        }
    }

    /// The value a `toYaml` on line `i` prints: `toYaml .Values.X`; else what `.` or a
    /// block's variable is there (`toYaml .securityContext` in `with .pod` in `range
    /// .Values.workers`: `workers[0].pod.securityContext`).
    fn to_yaml_of(&self, lines: &[&str], seen: &Seen, i: usize) -> Option<String> {
        if let Some(value) = to_yaml_absolute(lines[i]) {
            return Some(value);
        }
        // `{{- tpl .Values.sc . | nindent 8 }}`: a string of YAML printed whole.
        if !lines[i].contains("toYaml") {
            let printed = crate::helm_blocks::actions(lines[i])
                .iter()
                .any(|a| tpl_prints_value(a));
            return printed
                .then(|| values_keys(lines[i]).into_iter().next())
                .flatten();
        }
        let arg = to_yaml_arg(lines[i])?;
        self.relative(lines, seen, i, arg)
            .or_else(|| to_yaml_value(lines, i))
    }

    /// The value `arg` (`.`, `.field`, `$c`, `$c.field`) is on line `i`, where a
    /// `with` or the `range` item sets them.
    fn relative(&self, lines: &[&str], seen: &Seen, i: usize, arg: &str) -> Option<String> {
        let (block, base) = self.dot(lines, seen, i)?;
        match arg {
            "." => Some(base),
            _ => dot_values(&block, &format!("{{{{ {arg} }}}}"), &base)
                .into_iter()
                .next(),
        }
    }

    /// The line in the list item found last that writes its keys whole (a `toYaml`
    /// or `tpl` writing at the item's keys' indentation: `{{- toYaml $spec | nindent
    /// 10 }}` under `- name: {{ $name }}`), its column and the value it prints, when
    /// known. Of lines that exclude each other (`{{- if kindIs "string" $spec }}`,
    /// `{{- else }}`), the one whose `kindIs` the value meets.
    fn item_printed(&self, lines: &[&str], seen: &Seen) -> Option<(usize, usize, Option<String>)> {
        let (line, dash) = self.at?;
        let body = lines.get(line + 1..self.end.max(line + 1))?;
        let blocks = crate::helm_blocks::contexts(body);
        let mut first = None;
        for (k, text) in body.iter().enumerate() {
            let i = line + 1 + k;
            if item_of(text).is_some_and(|d| d <= dash)
                || key_of(text).is_some_and(|(indent, _)| indent <= dash)
            {
                break; // the item ended
            }
            if seen.silent(i) && !self.dark {
                continue;
            }
            let indent = text.len() - text.trim_start().len();
            let Some(arg) = to_yaml_arg(text).or_else(|| tpl_arg(text)) else {
                continue;
            };
            if nindent(text).unwrap_or(indent) != dash + 2 {
                continue; // it writes inside one of the item's keys, or elsewhere
            }
            let value = match values_keys(arg).into_iter().next() {
                Some(key) => Some(key),
                None => self.relative(lines, seen, i, arg),
            };
            let printed = (i, text.find("{{").unwrap_or(0), value);
            match self.kinds_met(lines, seen, i, &blocks[k]) {
                Some(true) => return Some(printed),
                Some(false) => {}
                None => {
                    first.get_or_insert(printed);
                }
            }
        }
        first
    }

    /// Whether the `kindIs "KIND" X` conditions around line `i` (in `context`) are
    /// met, as far as what `X` holds tells: `X` a chart value, or what `.` or a
    /// block's variable is there.
    fn kinds_met(
        &self,
        lines: &[&str],
        seen: &Seen,
        i: usize,
        context: &crate::helm_blocks::Context,
    ) -> Option<bool> {
        let held = seen.held?;
        let mut met = None;
        for condition in &context.conditions {
            let words: Vec<&str> = condition.text.split_whitespace().collect();
            let ["kindIs", kind, operand] = words.as_slice() else {
                continue;
            };
            let key = match values_keys(operand).into_iter().next() {
                Some(key) => Some(key),
                None => self.relative(lines, seen, i, operand),
            };
            let Some(truth) = key.and_then(|k| crate::helm_blocks::kind_is(kind, &held(&k))) else {
                continue;
            };
            if truth != condition.wanted {
                return Some(false);
            }
            met = Some(true);
        }
        met
    }

    /// The line of the block that sets `.` on line `i` and the value it is: `X` for
    /// `with .Values.X` (or for a `with` of what an outer block's `.` reads), `X[k]`
    /// for iteration `k` of `range .Values.X`, whether the range writes a list's items
    /// or whole documents.
    fn dot(&self, lines: &[&str], seen: &Seen, i: usize) -> Option<(String, String)> {
        if let Some(w) = seen.with(i) {
            return Some((lines[w].to_string(), self.with_base(lines, seen, w)?));
        }
        let Some(range) = seen.range(i) else {
            return seen.outer.clone();
        };
        let range = Some(range).filter(|r| Some(*r) == self.range)?;
        let list = values_keys(&block_source(lines[range])?)
            .into_iter()
            .next()?;
        Some((
            lines[range].to_string(),
            format!("{list}[{}]", self.iteration?),
        ))
    }

    /// The value the `with` on line `w` reads: its `.Values.X`, else what it reads
    /// through the `.` of the block around it (`with $c.resources` in a `range`).
    fn with_base(&self, lines: &[&str], seen: &Seen, w: usize) -> Option<String> {
        let source = block_source(lines[w])?;
        match values_keys(&source).into_iter().next() {
            Some(key) => Some(key),
            None => self.reads(lines, seen, w).into_iter().next(),
        }
    }

    /// The value a line that writes the field (`rest`) but did not render would
    /// have written: the `with` around it, when it reads that field
    /// (`{{- with $c.resources }}` or `{{- with .Values.resources }}` for `resources`).
    fn guarded(&self, lines: &[&str], seen: &Seen, rest: &str) -> Option<String> {
        let base = self.with_base(lines, seen, seen.with(self.silent?)?)?;
        let reads_it = base == rest || base.ends_with(&format!(".{rest}"));
        (!rest.is_empty() && reads_it).then_some(base)
    }
}

/// What a `range` or `with` on a line reads (after `:=`, if any).
pub(crate) fn block_source(line: &str) -> Option<String> {
    let text = crate::helm_blocks::actions(line)
        .into_iter()
        .find_map(|a| {
            a.strip_prefix("range ")
                .or_else(|| a.strip_prefix("with "))
                .map(str::to_string)
        })?;
    let (_, source) = text.split_once(":=").unwrap_or(("", &text));
    Some(source.trim().to_string())
}

/// An item of a list in a template.
struct ListItem {
    /// Its first line, its `-` indentation, and the end of its block.
    line: usize,
    dash: usize,
    end: usize,
    /// Its `name:` as written, if any.
    name: Option<String>,
    /// The `range` whose body it is, if any.
    range: Option<usize>,
}

impl ListItem {
    fn at(&self) -> Item {
        Item::At(self.line, self.dash, self.end)
    }
}

/// The items of a list in a template, as helm emitted them.
struct ListBlock {
    items: Vec<ListItem>,
    /// A `toYaml` of values that writes items: its line, column, value.
    written: Option<(usize, usize, String)>,
}

impl ListBlock {
    /// The list under the key on line `list` (indented `indent`), up to `end`.
    fn read(lines: &[&str], seen: &Seen, list: usize, indent: usize, end: usize) -> ListBlock {
        let mut block = ListBlock {
            items: Vec::new(),
            written: None,
        };
        let mut stop = end;
        for (i, text) in lines.iter().enumerate().take(end).skip(list + 1) {
            if seen.silent(i) {
                continue;
            }
            // The next key of the list's parent, or an item of an outer list.
            let outer_key =
                key_of(text).is_some_and(|(k, _)| k <= indent) && item_of(text).is_none();
            if outer_key || item_of(text).is_some_and(|d| d < indent) {
                stop = i;
                break;
            }
            block.add(lines, seen, list, i, end);
        }
        if let Some(last) = block.items.last_mut() {
            last.end = last.end.min(stop);
        }
        block
    }

    /// Takes in line `i` of the list: an item, or a `toYaml` writing items.
    fn add(&mut self, lines: &[&str], seen: &Seen, list: usize, i: usize, end: usize) {
        let text = lines[i];
        let dash = self.items.first().map(|it| it.dash);
        if let Some(d) = item_of(text).filter(|d| dash.is_none_or(|first| *d == first)) {
            if let Some(last) = self.items.last_mut() {
                last.end = i;
            }
            self.items.push(ListItem {
                line: i,
                dash: d,
                end,
                name: item_name(lines, i, d, end),
                range: seen.range(i).filter(|&r| r > list),
            });
        } else if self.written.is_none() && at_level(text, dash) {
            if let Some(value) = to_yaml_value(lines, i).or_else(|| seen.copied(lines, i)) {
                let column = text.find("{{").unwrap_or(0);
                self.written = Some((i, column, value));
                if let Some(last) = self.items.last_mut() {
                    last.end = last.end.min(i);
                }
            }
        }
    }

    /// The item of the rendered item `index` (named `name`): a literal item of that
    /// name; else the literal item in its place, before any `range` or `toYaml`;
    /// else the `toYaml` (at the item of its value) when `span` (the indices it
    /// wrote) holds the index; else the `range` body; else the `toYaml`.
    fn choose(
        &self,
        index: usize,
        name: Option<&str>,
        span: Option<std::ops::Range<usize>>,
    ) -> Option<Item> {
        let named = self
            .items
            .iter()
            .find(|it| name.is_some() && it.name.as_deref() == name);
        if let Some(item) = named {
            return Some(item.at());
        }
        let written_at = self.written.as_ref().map_or(usize::MAX, |w| w.0);
        let mut fixed = self
            .items
            .iter()
            .take_while(|it| it.range.is_none() && it.line < written_at);
        if let Some(item) = fixed.nth(index) {
            let literal = item.name.as_deref().is_some_and(|n| !n.contains("{{"));
            if name.is_none() || !literal {
                return Some(item.at());
            }
        }
        let (line, column, value) = self
            .written
            .as_ref()
            .map_or((0, 0, ""), |(l, c, v)| (*l, *c, v.as_str()));
        let written = |nth: usize| Item::Written(line, column, format!("{value}[{nth}]"));
        if let Some(span) = span.filter(|s| s.contains(&index)) {
            return Some(written(index - span.start));
        }
        if let Some(item) = self.items.iter().find(|it| it.range.is_some()) {
            return Some(item.at());
        }
        let before = self.items.iter().filter(|it| it.line < line).count();
        let nth = index.checked_sub(before)?;
        self.written.is_some().then(|| written(nth))
    }
}

impl ListBlock {
    /// Which iteration of its `range` wrote the rendered item `index`, when only
    /// literal items (and a `toYaml` of a list whose length is known) come before
    /// the range's: the index less their number.
    fn iteration(&self, index: usize, line: usize, written_len: Option<usize>) -> Option<usize> {
        // A `toYaml` before the range wrote as many items as its value holds.
        let written = match &self.written {
            Some(w) if w.0 < line => written_len?,
            _ => 0,
        };
        let before = self.items.iter().filter(|it| it.line < line);
        let fixed = before.clone().filter(|it| it.range.is_none()).count();
        let ranged = before.count() - fixed;
        (ranged == 0)
            .then(|| index.checked_sub(fixed + written))
            .flatten()
    }
}

/// The values a line in the body of a `range` or `with` (on `block_line`) reads
/// through its `.` (`.field`, or `$c.field` for `range $c := ...`), that `.` being
/// the value `base`: `base.field`.
fn dot_values(block_line: &str, line: &str, base: &str) -> Vec<String> {
    let Some(text) = crate::helm_blocks::actions(block_line)
        .into_iter()
        .find_map(|a| {
            a.strip_prefix("range ")
                .or_else(|| a.strip_prefix("with "))
                .map(str::to_string)
        })
    else {
        return Vec::new();
    };
    let (vars, _) = text.split_once(":=").unwrap_or(("", &text));
    let var = vars
        .split(',')
        .next_back()
        .map(str::trim)
        .unwrap_or_default();
    let prefix = if var.is_empty() { "." } else { var };
    let mut keys = Vec::new();
    for action in crate::helm_blocks::actions(line) {
        for word in action.split(|c: char| c.is_whitespace() || "()|".contains(c)) {
            // The variable itself (`toYaml $spec`) is the item.
            if !var.is_empty() && word == var {
                keys.push(base.to_string());
                continue;
            }
            let Some(rest) = word.strip_prefix(prefix) else {
                continue;
            };
            // `$spec` is not `$s`'s.
            let rest = match rest.strip_prefix('.') {
                Some(field) => field,
                None if var.is_empty() => rest,
                None => continue,
            };
            let field: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
                .collect();
            let own = var.is_empty() && word.starts_with(".Values");
            if !field.is_empty() && !own && !word.starts_with("$.") {
                keys.push(format!("{base}.{}", field.trim_end_matches('.')));
            }
        }
    }
    keys
}

/// Whether a line that is no item writes at the level of a list's items (`-` at
/// `dash`, if any yet): a `toYaml` there writes items, one deeper writes inside one.
fn at_level(text: &str, dash: Option<usize>) -> bool {
    let indent = text.len() - text.trim_start().len();
    let writes_at = nindent(text).unwrap_or(indent);
    item_of(text).is_none() && dash.is_none_or(|d| writes_at <= d)
}

/// The rendered indices a list's `toYaml` wrote, when its value's length is known:
/// those before the items written after it (of `total` rendered).
fn written_span(
    block: &ListBlock,
    total: usize,
    len: Option<usize>,
) -> Option<std::ops::Range<usize>> {
    let (line, ..) = block.written.as_ref()?;
    let len = len?;
    let (before, after): (Vec<&ListItem>, Vec<&ListItem>) =
        block.items.iter().partition(|it| it.line < *line);
    // Counted from the front when only literal items come before it (a `range`
    // after it writes as many items as its list holds, not one)...
    if before.iter().all(|it| it.range.is_none()) {
        return Some(before.len()..before.len() + len);
    }
    // ...else from the back, when only literal items come after it.
    if after.iter().any(|it| it.range.is_some()) {
        return None;
    }
    let end = total.checked_sub(after.len())?;
    Some(end.checked_sub(len)?..end)
}

/// The `name:` an item starting on line `start` (its `-` at `dash`) writes, if any.
fn item_name(lines: &[&str], start: usize, dash: usize, end: usize) -> Option<String> {
    for (n, text) in lines[start..end].iter().enumerate() {
        if n > 0
            && (item_of(text).is_some_and(|d| d <= dash)
                || key_of(text).is_some_and(|(k, _)| k <= dash))
        {
            return None;
        }
        let Some((indent, "name")) = key_of(text) else {
            continue;
        };
        if indent == dash + 2 {
            let (_, value) = text.split_once(':')?;
            return Some(
                value
                    .trim()
                    .trim_matches(|c| c == '"' || c == '\'')
                    .to_string(),
            );
        }
    }
    None
}

/// The `toYaml` line that is the content of the key on line `key` (a key with
/// nothing after its colon; before any key of its own, and indented under it, or
/// `nindent`ed deeper): its index, column and the value it prints.
fn to_yaml_content(
    lines: &[&str],
    key: usize,
    skip: &dyn Fn(usize) -> bool,
    printed: &dyn Fn(usize) -> Option<String>,
) -> Option<(usize, usize, String)> {
    let (indent, _) = key_of(lines[key])?;
    let (_, after) = lines[key].split_once(':')?;
    // `securityContext: {{- toYaml . | nindent 8 }}`: the content on the key's line.
    if !after.trim().is_empty() {
        let column = lines[key].find("{{")?;
        return (!skip(key))
            .then(|| printed(key))
            .flatten()
            .map(|block| (key, column, block));
    }
    for (i, text) in lines.iter().enumerate().skip(key + 1) {
        if skip(i) || text.trim().is_empty() {
            continue;
        }
        if key_of(text).is_some() {
            return None;
        }
        let deeper = text.len() - text.trim_start().len() > indent
            || nindent(text).is_some_and(|n| n > indent);
        if let Some(block) = Some(i).filter(|_| deeper).and_then(printed) {
            return Some((i, text.find("{{").unwrap_or(0), block));
        }
        if !deeper && !text.trim_start().starts_with("{{") {
            return None;
        }
    }
    None
}

/// Whether a line's actions pass what they read to a named template or `tpl`. A
/// `tpl` of a chart value, or of its `toYaml`, prints that value (with any template
/// text in it expanded), as `toYaml` does: it passes nothing on.
fn passes_to_helper(text: &str) -> bool {
    crate::helm_blocks::actions(text).iter().any(|a| {
        let words = a.split(|c: char| c.is_whitespace() || c == '(' || c == '|');
        let helper = words.clone().any(|w| matches!(w, "include" | "template"));
        helper || (words.clone().any(|w| w == "tpl") && !tpl_prints_value(a))
    })
}

/// Whether an action's `tpl` is given a chart value or its `toYaml`: `tpl
/// .Values.x .`, `tpl (toYaml .Values.x) .`, `tpl (.Values.x | toYaml) $`.
fn tpl_prints_value(action: &str) -> bool {
    let Some((_, after)) = action.split_once("tpl ") else {
        return false;
    };
    let arg = after.trim_start().trim_start_matches('(').trim_start();
    let arg = arg.strip_prefix("toYaml ").unwrap_or(arg).trim_start();
    arg.starts_with(".Values.") || arg.starts_with("$.Values.")
}

/// The `nindent N` (or `indent N`) a line's action ends with.
fn nindent(text: &str) -> Option<usize> {
    let at = text.find("indent ")?;
    let digits: String = text[at + "indent ".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Every `.Values.X` a line reads, as `X`, in order.
pub(crate) fn values_keys(line: &str) -> Vec<String> {
    line.split(".Values.")
        .skip(1)
        .filter_map(|after| {
            let key: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
                .collect();
            let key = key.trim_end_matches('.');
            (!key.is_empty()).then(|| key.to_string())
        })
        .collect()
}

/// What a `toYaml` on a line prints, as written: `.Values.x`, `.`, `$c.resources`.
fn to_yaml_arg(line: &str) -> Option<&str> {
    let at = line.find("toYaml")?;
    let arg = line[at + "toYaml".len()..].trim_start();
    let end = arg
        .find(|c: char| c.is_whitespace() || c == '}' || c == '|' || c == ')')
        .unwrap_or(arg.len());
    Some(&arg[..end]).filter(|a| !a.is_empty())
}

/// What a `tpl` on a line prints, as written, when it is a value and not an
/// expression: `$spec` of `tpl $spec $`, `.Values.x` of `tpl (toYaml .Values.x) .`.
fn tpl_arg(line: &str) -> Option<&str> {
    let at = line.find("tpl ")?;
    let arg = line[at + "tpl ".len()..].trim_start();
    let arg = arg.strip_prefix("(toYaml ").map_or(arg, str::trim_start);
    let end = arg
        .find(|c: char| c.is_whitespace() || c == '}' || c == '|' || c == ')')
        .unwrap_or(arg.len());
    Some(&arg[..end]).filter(|a| a.starts_with('.') || a.starts_with('$'))
}

/// The value `toYaml .Values.X` on `line` prints: `X`.
pub(crate) fn to_yaml_absolute(line: &str) -> Option<String> {
    let arg = to_yaml_arg(line)?;
    if arg.starts_with(".Values.") || arg.starts_with("$.Values.") {
        return values_keys(arg).into_iter().next();
    }
    None
}

/// The value a `toYaml` on line `i` prints: `toYaml .Values.X`, or `toYaml .` inside
/// `with .Values.X`.
fn to_yaml_value(lines: &[&str], i: usize) -> Option<String> {
    let line = lines[i];
    if let Some(value) = to_yaml_absolute(line) {
        return Some(value);
    }
    let at = line.find("toYaml")?;
    let arg = line[at + "toYaml".len()..].trim_start();
    if arg.starts_with(". ") || arg.starts_with(".}") || arg == "." {
        // `{{- with .Values.x }}{{- toYaml . | nindent 8 }}{{- end }}` on one line.
        let head = &line[..at];
        if head.contains("with ") {
            if let Some(key) = values_keys(head).pop() {
                return Some(key);
            }
        }
        return lines[..i]
            .iter()
            .rev()
            .find(|l| l.contains("with ") && l.contains(".Values."))
            .and_then(|l| values_keys(l).into_iter().next());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      hostNetwork: {{ .Values.hostNetwork }}\n      containers:\n        - name: web\n          securityContext:\n            {{- toYaml .Values.securityContext | nindent 12 }}\n          image: x\n      {{- with .Values.nodeSelector }}\n      nodeSelector:\n        {{- toYaml . | nindent 8 }}\n      {{- end }}\n";

    fn at(path: &str) -> TemplatePlace {
        place_in_template(DEPLOYMENT, &FieldPath::parse(path))
    }

    #[test]
    fn a_scalar_value_is_its_own_line() {
        assert_eq!(
            at("spec.template.spec.hostNetwork"),
            TemplatePlace {
                line: 6,
                column: 7,
                values: vec!["hostNetwork".into()],
                silent: None,
                range: None,
                iteration: None,
                helper: None,
                found: true,
                also: vec![],
            }
        );
    }

    #[test]
    fn a_to_yaml_block_names_the_value_under_it() {
        let place = at("spec.template.spec.containers[0].securityContext.runAsNonRoot");
        assert_eq!((place.line, place.column), (10, 13));
        assert_eq!(place.values, ["securityContext.runAsNonRoot"]);
        let place = at("spec.template.spec.nodeSelector.zone");
        assert_eq!(
            (place.line, place.values),
            (14, vec!["nodeSelector.zone".into()])
        );
    }

    #[test]
    fn a_field_the_template_does_not_write_is_its_nearest_parent() {
        // The container's item is the nearest parent written.
        let place = at("spec.template.spec.containers[0].resources.limits");
        assert_eq!((place.line, place.column), (8, 9));
        assert!(place.values.is_empty());
    }

    /// Branches on `.Capabilities`, which cannot be judged: the one whose text
    /// matches the render is the place; where two match alike, the other is kept.
    #[test]
    fn of_branches_not_judged_the_one_matching_the_render_is_the_place() {
        let template = "spec:\n  {{- if .Capabilities.APIVersions.Has \"x/v1\" }}\n  hostNetwork: {{ .Values.net }}\n  hostPID: {{ .Values.pid }}\n  {{- else }}\n  hostNetwork: true\n  hostPID: {{ .Values.other }}\n  {{- end }}\n";
        let root = node("spec:\n  hostNetwork: true\n  hostPID: true\n");
        let lines: Vec<&str> = template.lines().collect();
        let held = |key: &str| match key {
            "net" => Some(Held::Scalar("false".into())),
            _ => Some(Held::Scalar("true".into())),
        };
        let place = |key: &str| {
            let seen = Seen {
                field: FieldSeen::of(root.get("spec").and_then(|spec| spec.get(key))),
                root: Some(&root),
                held: Some(&held),
                ..Seen::default()
            };
            place_in_lines(&lines, &FieldPath::parse(&format!("spec.{key}")), &seen)
        };
        let net = place("hostNetwork");
        assert_eq!((net.line, net.also.clone()), (6, vec![]));
        let pid = place("hostPID");
        assert_eq!((pid.line, pid.also.clone()), (4, vec![6]));
    }

    const PODS: &str = "spec:\n  containers:\n  - name: main\n    securityContext:\n      privileged: false\n  {{- range .Values.sidecars }}\n  - name: {{ .name }}\n    securityContext:\n      privileged: {{ .privileged }}\n  {{- end }}\n  {{- toYaml .Values.extra | nindent 2 }}\n  volumes:\n  - name: data\n";

    fn node(text: &str) -> Node {
        use kubeharden_yaml::{parse_chunk, split_documents, Limits};
        let chunk = split_documents(text).into_iter().next().unwrap();
        let doc = parse_chunk(chunk, &Limits::default()).into_iter().next();
        doc.unwrap().unwrap().root
    }

    /// The place of `path` in PODS, rendered as `rendered`.
    fn in_pods(path: &str, rendered: &str) -> TemplatePlace {
        let root = node(rendered);
        let lines: Vec<&str> = PODS.lines().collect();
        let seen = Seen {
            ranges: vec![
                None,
                None,
                None,
                None,
                None,
                None,
                Some(5),
                Some(5),
                Some(5),
            ],
            root: Some(&root),
            ..Seen::default()
        };
        place_in_lines(&lines, &FieldPath::parse(path), &seen)
    }

    #[test]
    fn each_list_item_is_placed_on_the_template_item_that_wrote_it() {
        let rendered = "spec:\n  containers:\n  - name: main\n  - name: side\n    securityContext: {privileged: true}\n  - name: extra\n";
        let main = in_pods("spec.containers[0].securityContext.privileged", rendered);
        assert_eq!((main.line, main.range), (5, None));
        // Not main's lines: the range's body, which says it is a loop's.
        let side = in_pods("spec.containers[1].securityContext.privileged", rendered);
        assert_eq!(
            (side.line, side.range, side.iteration),
            (9, Some(5), Some(0))
        );
        // Its value is the iteration's item of the list the range reads.
        assert_eq!(side.values, ["sidecars[0].privileged"]);
        let volume = in_pods("spec.volumes[0].name", rendered);
        assert_eq!(volume.line, 13);
    }

    #[test]
    fn a_range_bodys_reads_are_the_iterations_item() {
        let read = |range: &str, line: &str| match values_keys(range).first() {
            Some(list) => dot_values(range, line, &format!("{list}[2]")),
            None => Vec::new(),
        };
        let range = "{{- range .Values.sidecars }}";
        assert_eq!(read(range, "  image: {{ .image }}"), ["sidecars[2].image"]);
        assert!(read(range, "  x: {{ .Values.y }} {{ $.Chart.Name }}").is_empty());
        let named = "{{- range $i, $c := .Values.jobs }}";
        assert_eq!(
            read(named, "  a: {{ $c.spec.a | quote }}"),
            ["jobs[2].spec.a"]
        );
        assert!(read("{{- range .Capabilities.APIVersions }}", "{{ .x }}").is_empty());
        // The variable itself is the item; another that starts alike is not it.
        let map = "{{- range $name, $spec := .Values.sidecars }}";
        assert_eq!(
            read(map, "  {{- toYaml $spec | nindent 10 }}"),
            ["sidecars[2]"]
        );
        assert!(read(map, "  - name: {{ $name }} {{ $specs.x }}").is_empty());
        assert_eq!(read(named, "  a: {{ (toYaml $c.sc) }}"), ["jobs[2].sc"]);
    }

    /// The prometheus chart's sidecars: a map, each item's keys written whole by a
    /// `tpl` of a string or a `toYaml` of a map.
    const SIDECARS: &str = "spec:\n  containers:\n  - name: main\n    image: x\n  {{- range $name, $spec := .Values.sidecars }}\n  - name: {{ $name }}\n    {{- if kindIs \"string\" $spec }}\n    {{- tpl $spec $ | nindent 4 }}\n    {{- else }}\n    {{- toYaml $spec | nindent 4 }}\n    {{- end }}\n  {{- end }}\n";

    fn sidecar(template: &str, held: Option<Held>) -> TemplatePlace {
        let lines: Vec<&str> = template.lines().collect();
        let root = node("spec:\n  containers:\n  - name: main\n  - name: beta\n    securityContext: {privileged: true}\n");
        let blocks = crate::helm_blocks::contexts(&lines);
        let of = |key: &str| (key == "sidecars[0]").then(|| held.clone()).flatten();
        let seen = Seen {
            ranges: blocks.iter().map(|c| c.range).collect(),
            root: Some(&root),
            held: Some(&of),
            ..Seen::default()
        };
        let path = FieldPath::parse("spec.containers[1].securityContext.privileged");
        place_in_lines(&lines, &path, &seen)
    }

    #[test]
    fn an_items_keys_a_to_yaml_of_its_variable_writes_name_the_items_value() {
        let place = sidecar(SIDECARS, Some(Held::Block));
        assert_eq!((place.line, place.column), (10, 5));
        assert_eq!(place.values, ["sidecars[0].securityContext.privileged"]);
        assert_eq!((place.range, place.iteration), (Some(4), Some(0)));
        // A string of YAML takes the other branch: the `tpl` of it.
        let place = sidecar(SIDECARS, Some(Held::Scalar("securityContext: {}".into())));
        assert_eq!(place.line, 8);
        assert_eq!(place.values, ["sidecars[0].securityContext.privileged"]);
        // Without the `if`, a list's `range $i, $c`, and a `toYaml` inside a key of
        // the item, which writes that key only.
        let plain = "spec:\n  containers:\n  - name: main\n  {{- range $i, $c := .Values.sidecars }}\n  - name: {{ $c.name }}\n    {{- toYaml $c.spec | nindent 4 }}\n  {{- end }}\n";
        let place = sidecar(plain, None);
        assert_eq!(place.line, 6);
        assert_eq!(
            place.values,
            ["sidecars[0].spec.securityContext.privileged"]
        );
        let inside = "spec:\n  containers:\n  - name: main\n  {{- range $i, $c := .Values.sidecars }}\n  - name: {{ $c.name }}\n    resources:\n      {{- toYaml $c.resources | nindent 6 }}\n  {{- end }}\n";
        let place = sidecar(inside, None);
        assert_eq!((place.line, place.column), (5, 3), "the item");
        assert!(place.values.is_empty());
    }

    #[test]
    fn an_item_a_to_yaml_of_values_wrote_names_its_item() {
        let rendered = "spec:\n  containers:\n  - name: main\n  - name: extra\n";
        let lines: Vec<&str> = PODS.lines().collect();
        // No range item was rendered (an empty list): its lines were not emitted.
        let root = node(rendered);
        let mut silent = vec![false; lines.len()];
        silent[6..9].fill(true);
        let seen = Seen {
            silent,
            root: Some(&root),
            ..Seen::default()
        };
        let path = FieldPath::parse("spec.containers[1].securityContext.privileged");
        let place = place_in_lines(&lines, &path, &seen);
        assert_eq!(place.line, 11);
        assert_eq!(place.values, ["extra[0].securityContext.privileged"]);
    }

    #[test]
    fn a_line_helm_did_not_emit_is_never_the_place() {
        let template = "spec:\n  {{- if .Values.hardened }}\n  privileged: false\n  {{- else }}\n  privileged: {{ .Values.privileged }}\n  {{- end }}\n";
        let lines: Vec<&str> = template.lines().collect();
        let path = FieldPath::parse("spec.privileged");
        // The rendered value tells the branches apart where no value is known.
        let seen = |field: FieldSeen| Seen {
            field,
            ..Seen::default()
        };
        let rendered_true = seen(FieldSeen::Scalar("true".into()));
        let place = place_in_lines(&lines, &path, &rendered_true);
        assert_eq!((place.line, place.silent), (5, None));
        assert_eq!(place.values, ["privileged"]);
        // A branch judged not taken is passed over.
        let silent = Seen {
            silent: vec![false, false, false, false, true, false],
            ..Seen::default()
        };
        assert_eq!(place_in_lines(&lines, &path, &silent).line, 3);
        // A field not rendered at all: no line wrote it; the parent is the place.
        let place = place_in_lines(&lines, &path, &seen(FieldSeen::Absent));
        assert_eq!((place.line, place.silent), (1, Some(2)));
        assert!(place.values.is_empty());
    }

    #[test]
    fn a_line_that_builds_a_value_reads_every_value_on_it() {
        let template = "spec:\n  image: \"{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}\"\n";
        let place = place_in_template(template, &FieldPath::parse("spec.image"));
        assert_eq!(place.values, ["image.repository", "image.tag"]);
    }
}

#[cfg(test)]
mod unrendered_tests {
    use super::*;

    /// `helm create`'s container: its securityContext only inside `with` of the value.
    const WITH: &str = "spec:\n  containers:\n    - name: {{ .Chart.Name }}\n      {{- with .Values.securityContext }}\n      securityContext:\n        {{- toYaml . | nindent 8 }}\n      {{- end }}\n      image: x\n";

    #[test]
    fn a_parent_in_a_block_that_did_not_render_is_searched_to_its_to_yaml() {
        let lines: Vec<&str> = WITH.lines().collect();
        let mut silent = vec![false; lines.len()];
        silent[4..6].fill(true);
        let seen = Seen {
            silent,
            withs: vec![None, None, None, None, Some(3), Some(3), None, None],
            field: FieldSeen::Absent,
            ..Seen::default()
        };
        let path = FieldPath::parse("spec.containers[0].securityContext.allowPrivilegeEscalation");
        let place = place_in_lines(&lines, &path, &seen);
        assert_eq!((place.line, place.column), (6, 9));
        assert_eq!(place.values, ["securityContext.allowPrivilegeEscalation"]);
        // The message says the block of line 5 did not render.
        assert_eq!(place.silent, Some(4));
    }

    #[test]
    fn a_parent_written_where_it_rendered_is_not_searched_in_the_dark() {
        let template = "spec:\n  {{- if .Values.a }}\n  sc:\n    x: 1\n  {{- else }}\n  sc:\n    {{- toYaml .Values.sc | nindent 4 }}\n  {{- end }}\n";
        let lines: Vec<&str> = template.lines().collect();
        let mut silent = vec![false; lines.len()];
        silent[2..4].fill(true);
        let seen = Seen {
            silent,
            field: FieldSeen::Absent,
            ..Seen::default()
        };
        let place = place_in_lines(&lines, &FieldPath::parse("spec.sc.y"), &seen);
        assert_eq!((place.line, place.silent), (7, None));
        assert_eq!(place.values, ["sc.y"]);
    }

    #[test]
    fn a_bitnami_block_that_did_not_render_is_its_line() {
        let template = "spec:\n  containers:\n    - name: app\n      {{- if .Values.containerSecurityContext.enabled }}\n      securityContext: {{- omit .Values.containerSecurityContext \"enabled\" | toYaml | nindent 8 }}\n      {{- end }}\n";
        let lines: Vec<&str> = template.lines().collect();
        let mut silent = vec![false; lines.len()];
        silent[4] = true;
        let seen = Seen {
            silent,
            field: FieldSeen::Absent,
            ..Seen::default()
        };
        let path = FieldPath::parse("spec.containers[0].securityContext.runAsNonRoot");
        let place = place_in_lines(&lines, &path, &seen);
        assert_eq!((place.line, place.silent), (5, Some(4)));
    }

    #[test]
    fn values_passed_to_a_helper_are_not_extended_by_the_path() {
        let template = "spec:\n  securityContext: {{- include \"hp.sc\" (dict \"sc\" .Values.containerSecurityContext \"g\" .Values.global) | nindent 4 }}\n";
        let path = FieldPath::parse("spec.securityContext.privileged");
        let place = place_in_template(template, &path);
        assert_eq!(place.line, 2);
        assert_eq!(place.values, ["containerSecurityContext", "global"]);
        // A value printed as it is still names the field under it.
        let plain = "spec:\n  securityContext: {{- toYaml .Values.sc | nindent 4 }}\n";
        let place = place_in_template(plain, &path);
        assert_eq!(place.values, ["sc.privileged"]);
        // And `toYaml .` on the key's line, in the `with` that sets `.` (Bitnami's).
        let with = "spec:\n  {{- with .Values.sc }}\n  securityContext: {{- toYaml . | nindent 4 }}\n  {{- end }}\n";
        let place = place_in_template(with, &path);
        assert_eq!(
            (place.line, place.values),
            (3, vec!["sc.privileged".to_string()])
        );
        // So is one `tpl` prints, whole or as its `toYaml`; a `tpl` of anything else
        // passes it on.
        for printed in [
            "{{- tpl (toYaml .Values.sc) . | nindent 4 }}",
            "{{- tpl .Values.sc . | nindent 4 }}",
            "{{- tpl (.Values.sc | toYaml) $ | nindent 4 }}",
        ] {
            let template = format!("spec:\n  securityContext: {printed}\n");
            let place = place_in_template(&template, &path);
            assert_eq!(place.values, ["sc.privileged"], "{printed}");
        }
        // On a line of its own under the key, too.
        let own_line = "spec:\n  securityContext:\n    {{- tpl .Values.sc . | nindent 4 }}\n";
        assert_eq!(place_in_template(own_line, &path).values, ["sc.privileged"]);
        let passed = "spec:\n  securityContext: {{- tpl $x.sc .Values.ctx | nindent 4 }}\n";
        assert_eq!(place_in_template(passed, &path).values, ["ctx"]);
    }
}
