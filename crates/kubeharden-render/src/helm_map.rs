//! A finding of a chart's rendered object, mapped back to the template line that
//! wrote the field and to the chart value behind it (docs/source-mapping.md).
//!
//! - The file: Helm's `# Source: CHART/templates/x.yaml` comment, under the chart's
//!   folder (`CHART/charts/SUB/templates/x.yaml` for a subchart).
//! - The document: of the template's documents of the object's kind, the one that
//!   writes out its `metadata.name`, else the one in its place among those that can
//!   have rendered and whose name fits (`template_doc`).
//! - The line: the keys of the finding's field path are looked for in the template
//!   in order, each deeper than the one before: the deepest found is the line. Where
//!   the rest of the path is written by `toYaml .Values.X` (or `toYaml .` inside
//!   `with .Values.X`), that line is the place, and `X.rest.of.path` the value.
//! - The value: a line's own `.Values.X` (each, when it reads several), else the
//!   `toYaml` block's, looked up as helm merges values (helm_values.rs). A value is
//!   named only when what it holds is what was rendered; otherwise the template made
//!   the field (`default`, a value built of several), and the message says so.

use std::path::{Path, PathBuf};

use kubeharden_findings::{Finding, Location, ValueSource};
use kubeharden_load::Object;
use kubeharden_yaml::{FieldPath, Node, Seg};

use crate::chart::{source_file, ChartFile};
use crate::helm_blocks::{contexts, emitted, not_taken, Condition, Context};
use crate::helm_helpers::{calls, Define, Defines};
use crate::helm_place::{place_in_lines, values_keys, FieldSeen, HelperHit, Seen, TemplatePlace};
use crate::helm_values::{place, Found, Held, SetValue, Values, ValuesFile};
use crate::SourceMap;

pub(crate) struct HelmMap {
    /// The chart's folder, as reports name it.
    pub dir: PathBuf,
    /// The `--values` files, the values set's last.
    pub values: Vec<ValuesFile>,
    /// The `--set` pairs, in order.
    pub sets: Vec<SetValue>,
    /// The values set's name, if any.
    pub variant: Option<String>,
    /// The rendered text's documents, to tell which document of a template with
    /// several made an object.
    pub documents: Vec<RenderedDoc>,
    /// The chart's named templates, read when a finding first needs them.
    pub defines: std::sync::OnceLock<Defines>,
}

/// A document of the rendered text: where it starts, its `# Source:`, its kind and
/// its `metadata.name`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RenderedDoc {
    start: u32,
    source: Option<String>,
    kind: Option<String>,
    name: Option<String>,
}

/// The documents of a rendered text (`---` starts one; helm writes `# Source:` and
/// the kind at the start of a line).
pub(crate) fn rendered_docs(text: &str) -> Vec<RenderedDoc> {
    let mut docs = vec![RenderedDoc {
        start: 1,
        ..RenderedDoc::default()
    }];
    let mut metadata = Metadata::default();
    for (i, line) in text.lines().enumerate() {
        let last = docs.len() - 1;
        if line.starts_with("---") {
            docs.push(RenderedDoc {
                start: i as u32 + 1,
                ..RenderedDoc::default()
            });
            metadata = Metadata::default();
        } else if let Some(source) = line.strip_prefix("# Source: ") {
            docs[last].source = Some(source.trim().to_string());
        } else if let Some(kind) = line.strip_prefix("kind:") {
            docs[last].kind.get_or_insert_with(|| unquoted(kind));
        }
        if let Some(name) = metadata.name(line) {
            docs[last].name.get_or_insert(name);
        }
    }
    docs
}

/// Reads a document's `metadata.name` line by line: the `name:` key among the
/// first keys under `metadata:` (not a label's `name:`, deeper). Lines that are
/// only template actions are passed over, so a template's lines read alike.
#[derive(Default)]
struct Metadata {
    inside: bool,
    /// The indentation of `metadata`'s own keys.
    keys: Option<usize>,
}

impl Metadata {
    /// The name `line` writes, if it writes `metadata.name`.
    fn name(&mut self, line: &str) -> Option<String> {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("{{") {
            return None;
        }
        let indent = line.len() - trimmed.len();
        if indent == 0 {
            self.inside = trimmed.trim_end() == "metadata:";
            self.keys = None;
            return None;
        }
        if !self.inside || indent != *self.keys.get_or_insert(indent) {
            return None;
        }
        trimmed.strip_prefix("name:").map(unquoted)
    }
}

/// Whether a name as a template writes it (`{{ .Release.Name }}-worker`, its actions
/// any text) can be the rendered `name`.
fn name_fits(written: &str, name: &str) -> bool {
    let mut pieces: Vec<&str> = Vec::new();
    let mut rest = written;
    while let Some(start) = rest.find("{{") {
        pieces.push(&rest[..start]);
        rest = rest[start..]
            .find("}}")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    pieces.push(rest);
    let (head, tail) = (pieces[0], pieces[pieces.len() - 1]);
    if pieces.len() == 1 {
        return written == name;
    }
    let Some(mut left) = name.strip_prefix(head) else {
        return false;
    };
    for piece in &pieces[1..pieces.len() - 1] {
        match left.find(piece) {
            Some(at) => left = &left[at + piece.len()..],
            None => return false,
        }
    }
    left.ends_with(tail)
}

fn unquoted(text: &str) -> String {
    text.trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .to_string()
}

/// How many documents of the same template and kind the rendered text has before
/// the one at `line`: which of a template's documents of that kind made it.
fn ordinal(docs: &[RenderedDoc], source: &str, kind: &str, line: u32) -> usize {
    docs.iter()
        .filter(|d| d.start < line)
        .filter(|d| d.source.as_deref() == Some(source) && d.kind.as_deref() == Some(kind))
        .count()
        .saturating_sub(1)
}

/// The `metadata.name` of each object of `kind` the template helm names `source`
/// rendered, in order (empty where it has none the text shows).
fn names_of(docs: &[RenderedDoc], source: &str, kind: &str) -> Vec<String> {
    docs.iter()
        .filter(|d| d.source.as_deref() == Some(source) && d.kind.as_deref() == Some(kind))
        .map(|d| d.name.clone().unwrap_or_default())
        .collect()
}

/// Which object of its template and kind one is: the `metadata.name` of each, in
/// the order rendered, and its index among them.
pub(crate) struct Made<'a> {
    pub names: &'a [String],
    pub n: usize,
}

/// A document of a template: the index of its first line, its lines, its `kind:`,
/// its `metadata.name` as written, and whether its `kind:` line is in a block helm
/// did not render.
struct TemplateDoc<'t> {
    start: usize,
    lines: Vec<&'t str>,
    kind: Option<String>,
    name: Option<String>,
    dropped: bool,
}

impl TemplateDoc<'_> {
    fn new(start: usize) -> Self {
        TemplateDoc {
            start,
            lines: Vec::new(),
            kind: None,
            name: None,
            dropped: false,
        }
    }

    /// Its name, when it is written out (no template action in it).
    fn literal(&self) -> Option<&str> {
        self.name.as_deref().filter(|n| !n.contains("{{"))
    }
}

/// The lines of the template document that made the object `made` says, and the
/// index of its first line: among its documents of that kind (written out), else
/// those whose kind is templated, else the whole file.
///
/// Helm renders a template's documents in order, so its objects of a kind are some
/// of its documents of that kind, in order. An object whose name a document writes
/// out (`name: second`) is that document's. An object between two so placed is one
/// of the documents between theirs, counted in order: those that can have rendered
/// (not in a block judged not rendered, `dropped`) and whose name can be its (a name
/// written out is another object's; `{{ .Release.Name }}-worker` fits
/// `web-worker`). Where that tells nothing, the `n`th object of the kind is the
/// `n`th document that can have rendered.
fn template_doc<'t>(
    lines: &[&'t str],
    kind: &str,
    made: &Made,
    dropped: &dyn Fn(usize) -> bool,
) -> (usize, Vec<&'t str>) {
    let mut docs: Vec<TemplateDoc> = vec![TemplateDoc::new(0)];
    let mut metadata = Metadata::default();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("---") {
            docs.push(TemplateDoc::new(i + 1));
            metadata = Metadata::default();
            continue;
        }
        let Some(doc) = docs.last_mut() else { continue };
        doc.lines.push(line);
        if let (None, Some(kind)) = (&doc.kind, line.strip_prefix("kind:")) {
            doc.kind = Some(unquoted(kind));
            doc.dropped = dropped(i);
        }
        if let Some(name) = metadata.name(line) {
            doc.name.get_or_insert(name);
        }
    }
    let written: Vec<&TemplateDoc> = docs
        .iter()
        .filter(|d| d.kind.as_deref() == Some(kind))
        .collect();
    let templated: Vec<&TemplateDoc> = docs
        .iter()
        .filter(|d| d.kind.as_ref().is_some_and(|k| k.contains("{{")))
        .collect();
    // Documents that can have made it: one not in a block judged not rendered, or
    // one that writes out a rendered object's name.
    let usable = |c: &Vec<&TemplateDoc>| {
        let named = |d: &TemplateDoc| made.names.iter().any(|n| d.literal() == Some(n));
        c.iter().any(|d| !d.dropped || named(d))
    };
    let Some(candidates) = [written, templated].into_iter().find(usable) else {
        return (0, lines.to_vec());
    };
    let chosen = by_name(&candidates, made).unwrap_or_else(|| {
        let rendered: Vec<&TemplateDoc> =
            candidates.iter().copied().filter(|d| !d.dropped).collect();
        match rendered.is_empty() {
            true => candidates[made.n.min(candidates.len() - 1)],
            false => rendered[made.n.min(rendered.len() - 1)],
        }
    });
    (chosen.start, chosen.lines.clone())
}

/// The document of `candidates` (in order) that made the object `made` says, as its
/// name and those of the template's other objects of the kind tell.
fn by_name<'d, 't>(candidates: &[&'d TemplateDoc<'t>], made: &Made) -> Option<&'d TemplateDoc<'t>> {
    let names = made.names;
    names.get(made.n)?;
    // Each object a document names (written out), in order: the one that rendered
    // when the name is written twice (both branches of an `if`).
    let mut pinned: Vec<Option<usize>> = vec![None; names.len()];
    let mut next = 0;
    for (j, name) in names.iter().enumerate() {
        let named = |d: &TemplateDoc| d.literal() == Some(name.as_str());
        let later = || candidates.iter().enumerate().skip(next);
        let found = later()
            .find(|(_, d)| named(d) && !d.dropped)
            .or_else(|| later().find(|(_, d)| named(d)));
        if let Some((c, _)) = found {
            pinned[j] = Some(c);
            next = c + 1;
        }
    }
    if let Some(c) = pinned[made.n] {
        return Some(candidates[c]);
    }
    // Between the objects placed by name: the documents between theirs that can
    // have made it, in order; those whose name fits, else any.
    let before = (0..made.n).rev().find(|&j| pinned[j].is_some());
    let end = (made.n + 1..names.len())
        .find_map(|j| pinned[j])
        .unwrap_or(candidates.len());
    let start = before.and_then(|j| pinned[j]).map_or(0, |c| c + 1);
    let objects = before.map_or(0, |j| j + 1)..made.n + 1;
    let in_gap = |fit: bool| {
        let mut next = start;
        for j in objects.clone() {
            let can = |c: &usize| {
                let d = candidates[*c];
                let fits = !fit || d.name.as_deref().is_none_or(|w| name_fits(w, &names[j]));
                !d.dropped && d.literal().is_none() && fits
            };
            next = (next..end).find(can)? + 1;
        }
        Some(candidates[next - 1])
    };
    in_gap(true).or_else(|| in_gap(false))
}

/// Where a template's documents of a kind are all the body of one `range` (`{{- range
/// .Values.workers }}` before `---`), each iteration writes one of each in turn: the
/// `n`th object of the kind is document `n % m` (of the `m`), from iteration `n / m`.
/// The line of the range, the index of the document among them and the iteration.
fn outer_range(
    lines: &[&str],
    kind: &str,
    n: usize,
    range_of: &dyn Fn(usize) -> Option<usize>,
) -> Option<(usize, usize, usize)> {
    let starts: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.strip_prefix("kind:").is_some_and(|k| unquoted(k) == kind))
        .map(|(i, _)| i)
        .collect();
    let range = range_of(*starts.first()?)?;
    let doc_start = lines[..starts[0]]
        .iter()
        .rposition(|l| l.starts_with("---"))?;
    let all_in = starts.iter().all(|&i| range_of(i) == Some(range));
    (range < doc_start && all_in).then(|| (range, n % starts.len(), n / starts.len()))
}

/// What a rendered field comes from.
enum Behind {
    /// One chart value, whose value is the one rendered (or which is unset).
    Value(Found),
    /// The template, from these values and its own text (`default`, concatenation).
    Template(Vec<Found>),
}

impl SourceMap for HelmMap {
    fn map(&self, object: &Object, finding: &mut Finding) {
        let Some(source) = object.helm_source.as_deref() else {
            return;
        };
        let kind = &object.resource.kind;
        let n = ordinal(&self.documents, source, kind, object.root.pos.line);
        let mut names = names_of(&self.documents, source, kind);
        // The object's own name, where the text did not show it (`metadata: {name: x}`).
        if let Some(own) = names.get_mut(n).filter(|own| own.is_empty()) {
            own.clone_from(&object.resource.name);
        }
        self.map_at(object, source, &Made { names: &names, n }, finding);
    }
}

impl HelmMap {
    /// Maps `finding` of `object`, the object of its kind that the template helm
    /// names `source` rendered which `made` says.
    pub(crate) fn map_at(&self, object: &Object, source: &str, made: &Made, finding: &mut Finding) {
        let Some((template, text)) = self.template(source, finding) else {
            return;
        };
        let path = FieldPath::parse(&finding.path);
        let written: Vec<&str> = text.lines().collect();
        // Searched with its variables read as the values they hold; quoted as written.
        let resolved = crate::helm_vars::resolve_variables(&written);
        let lines: Vec<&str> = resolved.iter().map(String::as_str).collect();
        let lookups = Lookups::new(self.values(), &template.subcharts);
        let contexts = contexts(&lines);
        let dropped = |i: usize| emitted(&contexts[i], &|k| lookups.held(k)) == Some(false);
        let kind = &object.resource.kind;
        let outer = outer_range(&lines, kind, made.n, &|i| contexts[i].range);
        // The documents of a `range` are told apart by their place in the iteration.
        let in_range = outer.map(|(_, doc, _)| Made { names: &[], n: doc });
        let made = in_range.as_ref().unwrap_or(made);
        let (first, doc) = template_doc(&lines, kind, made, &dropped);
        // The `.` of a range around the whole document is the iteration's item.
        let outer = outer.and_then(|(range, _, iteration)| {
            let source = crate::helm_place::block_source(lines[range])?;
            let list = crate::helm_place::values_keys(&source).into_iter().next()?;
            Some((lines[range].to_string(), format!("{list}[{iteration}]")))
        });
        let field = node_at(&object.root, &path);
        let held = |key: &str| lookups.held(key);
        let seen = Seen {
            silent: (first..first + doc.len()).map(dropped).collect(),
            ranges: (first..first + doc.len())
                .map(|i| contexts[i].range.and_then(|r| r.checked_sub(first)))
                .collect(),
            withs: (first..first + doc.len())
                .map(|i| contexts[i].with.and_then(|w| w.checked_sub(first)))
                .collect(),
            outer,
            field: FieldSeen::of(field),
            root: Some(&object.root),
            held: Some(&held),
            dot_is_root: true,
            helpers: None,
            copies: None,
            helper_reads: None,
        };
        let helpers = Helpers {
            defines: self.defines.get_or_init(|| Defines::read(&self.dir)),
            lookups: &lookups,
            field,
            depth: 0,
        };
        let search =
            |line: &str,
             root: bool,
             base: Option<&str>,
             rest: &FieldPath,
             parent: Option<&Node>| { helpers.search(line, root, base, rest, parent) };
        let copies = |line: &str, root: bool| helpers.copies(line, root);
        let reads = |line: &str, root: bool| helpers.reads(line, root);
        let seen = Seen {
            helpers: Some(&search),
            copies: Some(&copies),
            helper_reads: Some(&reads),
            ..seen
        };
        let mut place = place_in_lines(&doc, &path, &seen);
        let helper = place
            .helper
            .as_deref()
            .and_then(|name| helpers.defines.get(name));
        let (file, helper_around) = match helper {
            Some(define) => (define.file.clone(), Some(helper_around(define))),
            None => {
                place.line += first as u32;
                (template.file.clone(), None)
            }
        };
        let rendered = std::mem::replace(
            &mut finding.location,
            Location {
                file: shown(&file).into(),
                line: place.line,
                column: place.column,
            },
        );
        finding.rendered = Some(rendered);
        // The template the object came from (helm's `# Source:`), as it is on disk: a
        // subchart's folder, not helm's alias path; not the helper a field is in.
        finding.helm_source = Some(shown(&template.file).into());
        match &helper_around {
            Some((lines, first, contexts)) => {
                let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
                let at = Around {
                    lines: &lines,
                    first: *first,
                    contexts,
                };
                self.explain(finding, &place, &at, &lookups, field);
            }
            None => {
                let at = Around {
                    lines: &written,
                    first,
                    contexts: &contexts,
                };
                self.explain(finding, &place, &at, &lookups, field);
            }
        }
    }

    /// The template file helm names `source`, and its text. A subchart vendored as an
    /// archive has its templates read from it, and named as a path in the archive
    /// (`charts/db-1.2.0.tgz/templates/s.yaml`); where it cannot be read, the finding
    /// says so.
    fn template(&self, source: &str, finding: &mut Finding) -> Option<(ChartFile, String)> {
        let mut template = source_file(&self.dir, source)?;
        // A packaged chart named on the command line: its templates are in it.
        if self.dir.is_file() {
            let text = crate::archive::read_template(&self.dir, &template.inside)?;
            template.file = self.dir.join(&template.inside);
            return Some((template, text));
        }
        if let Ok(text) = std::fs::read_to_string(&template.file) {
            return Some((template, text));
        }
        let (archive, inside) = crate::chart::archived(&self.dir, source)?;
        match crate::archive::read_template(&archive, &inside) {
            Some(text) => {
                template.file = archive.join(inside);
                Some((template, text))
            }
            None => {
                finding.message.push_str(&format!(
                    "; its template {source} could not be read from the archive {}: not mapped to a line",
                    shown(&archive)
                ));
                None
            }
        }
    }

    /// What the message adds: a line that wrote the field but was not emitted, the
    /// loop that wrote the item, the value behind the field, the variant.
    fn explain(
        &self,
        finding: &mut Finding,
        place: &TemplatePlace,
        at: &Around,
        lookups: &Lookups,
        field: Option<&Node>,
    ) {
        let (lines, first) = (at.lines, at.first);
        let mut values = place.values.clone();
        if let Some(i) = place.silent {
            let context = &at.contexts[first + i];
            let find = |key: &str| lookups.find(key);
            let said = not_emitted(lines[first + i], first + i, context, &find);
            finding.message.push_str(&said);
            // A value in a block that did not render is named only where setting it
            // renders the block (`with .Values.securityContext` for
            // `securityContext.runAsNonRoot`), not where another value decides.
            let lookup = |key: &str| lookups.held(key);
            let guard = not_taken(context, &lookup).or(context.conditions.last());
            let guards = guard.map_or(Vec::new(), |c| values_keys(&c.text));
            // A block read through a variable (`with $c.resources`) is not judged here.
            values.retain(|v| {
                guards.is_empty()
                    || guards
                        .iter()
                        .any(|g| v == g || v.starts_with(&format!("{g}.")))
            });
        }
        if !place.also.is_empty() {
            finding
                .message
                .push_str(&approximate(&place.also, lines, first, lookups));
        }
        if let Some(r) = place.range {
            let which = match place.iteration {
                Some(k) => format!("for item {k} of what it loops over"),
                None => "once for each of its items".to_string(),
            };
            finding.message.push_str(&format!(
                "; written by the loop at line {} ({}), {which}",
                first + r + 1,
                lines[first + r].trim()
            ));
        }
        match behind(field, lookups, &values) {
            Some(Behind::Value(found)) => {
                finding.message.push_str(&value_message(&found.source));
                finding.value = Some(Box::new(found.source));
            }
            Some(Behind::Template(found)) => finding.message.push_str(&template_message(&found)),
            None if place.silent.is_none() && field.is_some() => {
                let line = (finding.location.line as usize).saturating_sub(1);
                if let Some(context) = at.contexts.get(line) {
                    switched_on(finding, context, body_start(lines, first), lookups);
                }
            }
            None => {}
        }
        if let Some(variant) = &self.variant {
            // A finding mapped twice (KH402, through its ServiceAccount) is tagged once.
            let tag = format!(" [values-set {variant}]");
            if !finding.message.contains(&tag) {
                finding.message.push_str(&tag);
            }
            finding.variant = Some(variant.as_str().into());
        }
    }

    fn values(&self) -> Values<'_> {
        Values {
            dir: &self.dir,
            files: &self.values,
            sets: &self.sets,
        }
    }
}

/// Named templates searched for the rest of a finding's path.
struct Helpers<'a> {
    defines: &'a Defines,
    lookups: &'a Lookups<'a>,
    field: Option<&'a Node>,
    depth: usize,
}

/// How deep calls of named templates are followed (one calling itself must end).
const DEEPEST_CALL: usize = 4;

impl Helpers<'_> {
    /// Where a named template that `line` calls wrote `rest` (from `parent`).
    fn search(
        &self,
        line: &str,
        root_dot: bool,
        dot_base: Option<&str>,
        rest: &FieldPath,
        parent: Option<&Node>,
    ) -> Option<HelperHit> {
        if self.depth >= DEEPEST_CALL {
            return None;
        }
        for mut call in calls(line, root_dot) {
            // `.` inside a `with` or a `range` item is the value it reads.
            if let (true, false, Some(base)) = (call.dot, root_dot, dot_base) {
                call.arg = crate::helm_helpers::Arg::Value(base.to_string());
            }
            let Some(define) = self.defines.get(&call.name) else {
                continue;
            };
            // A body that writes no key prints a value, or calls another helper that
            // writes the field (searched as any body is, below).
            if !define.writes_keys() {
                if let Some(value) = define.printed_value(&call.arg) {
                    return Some(HelperHit::Copies(value));
                }
            }
            let known = call.arg.rewrite(&define.lines);
            let body = known.clone().unwrap_or_else(|| define.lines.clone());
            let body: Vec<&str> = body.iter().map(String::as_str).collect();
            let contexts = contexts(&body);
            let lookups = self.lookups;
            let silent = |i: usize| {
                known.is_some() && emitted(&contexts[i], &|k| lookups.held(k)) == Some(false)
            };
            let held = |key: &str| lookups.held(key);
            let inner = Helpers {
                depth: self.depth + 1,
                ..*self
            };
            let search = |line: &str,
                          root: bool,
                          base: Option<&str>,
                          rest: &FieldPath,
                          parent: Option<&Node>| {
                inner.search(line, root, base, rest, parent)
            };
            let copies = |line: &str, root: bool| inner.copies(line, root);
            let reads = |line: &str, root: bool| inner.reads(line, root);
            let outer = match &call.arg {
                crate::helm_helpers::Arg::Value(key) => {
                    Some((format!("{{{{ with .Values.{key} }}}}"), key.clone()))
                }
                _ => None,
            };
            let seen = Seen {
                silent: (0..body.len()).map(silent).collect(),
                ranges: contexts.iter().map(|c| c.range).collect(),
                withs: contexts.iter().map(|c| c.with).collect(),
                outer,
                field: FieldSeen::of(self.field),
                root: parent,
                held: Some(&held),
                dot_is_root: matches!(call.arg, crate::helm_helpers::Arg::Root),
                helpers: Some(&search),
                copies: Some(&copies),
                helper_reads: Some(&reads),
            };
            let mut place = place_in_lines(&body, rest, &seen);
            if !place.found {
                continue;
            }
            if known.is_none() {
                place.values.clear(); // what the body reads is not known
            }
            if place.helper.is_none() {
                place.line += define.first as u32;
                place.helper = Some(call.name.clone());
            }
            return Some(HelperHit::Inside(place));
        }
        None
    }

    /// The chart values the named templates `line` calls read, as the calls give
    /// them (a body given something else reads nothing known), calls in them too.
    fn reads(&self, line: &str, root_dot: bool) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        if self.depth >= DEEPEST_CALL {
            return keys;
        }
        for call in calls(line, root_dot) {
            let Some(define) = self.defines.get(&call.name) else {
                continue;
            };
            let Some(body) = call.arg.rewrite(&define.lines) else {
                continue;
            };
            let inner = Helpers {
                depth: self.depth + 1,
                ..*self
            };
            let root = matches!(call.arg, crate::helm_helpers::Arg::Root);
            for text in &body {
                let found = values_keys(text).into_iter().chain(inner.reads(text, root));
                for key in found {
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
            }
        }
        // `image` given whole and `image.tag` read from it: the deeper key says more.
        let deeper = |k: &String| keys.iter().any(|o| o.starts_with(&format!("{k}.")));
        let mut kept: Vec<String> = keys.iter().filter(|k| !deeper(k)).cloned().collect();
        kept.truncate(8);
        kept
    }

    /// The chart value `line` gives whole to a named template that only prints it.
    fn copies(&self, line: &str, root_dot: bool) -> Option<String> {
        calls(line, root_dot).into_iter().find_map(|call| {
            let define = self.defines.get(&call.name)?;
            (!define.writes_keys())
                .then(|| define.printed_value(&call.arg))
                .flatten()
        })
    }
}

/// A named template's file lines, the index of its body's first line, and each
/// file line's blocks as the body's, as written.
fn helper_around(define: &Define) -> (Vec<String>, usize, Vec<Context>) {
    let body: Vec<&str> = define.lines.iter().map(String::as_str).collect();
    let mut all = vec![Context::default(); define.first];
    all.extend(
        contexts(&body)
            .into_iter()
            .map(|c| shifted(c, define.first)),
    );
    all.resize(define.file_lines.len().max(all.len()), Context::default());
    (define.file_lines.to_vec(), define.first, all)
}

/// A body line's blocks, with their lines counted from the file's start.
fn shifted(mut context: Context, by: usize) -> Context {
    for condition in &mut context.conditions {
        condition.line += by;
    }
    context.range = context.range.map(|r| r + by);
    context.with = context.with.map(|w| w + by);
    context
}

/// A template's lines, where the object's document starts, and each line's blocks.
struct Around<'a> {
    lines: &'a [&'a str],
    first: usize,
    contexts: &'a [Context],
}

/// The chart values one finding's mapping looks up, each read once (every line's
/// blocks are judged from them).
struct Lookups<'a> {
    values: Values<'a>,
    subcharts: &'a [String],
    known: std::cell::RefCell<std::collections::HashMap<String, Found>>,
}

impl<'a> Lookups<'a> {
    fn new(values: Values<'a>, subcharts: &'a [String]) -> Lookups<'a> {
        Lookups {
            values,
            subcharts,
            known: Default::default(),
        }
    }

    fn find(&self, key: &str) -> Found {
        let mut known = self.known.borrow_mut();
        let found = known
            .entry(key.to_string())
            .or_insert_with(|| self.values.find(self.subcharts, key));
        found.clone()
    }

    fn held(&self, key: &str) -> Option<Held> {
        self.find(key).held
    }
}

/// What the rendered `field` comes from, given the values its template place reads:
/// a value is named only when what it holds is what was rendered.
fn behind(field: Option<&Node>, lookups: &Lookups, keys: &[String]) -> Option<Behind> {
    if keys.is_empty() {
        return None;
    }
    let found: Vec<Found> = keys.iter().map(|k| lookups.find(k)).collect();
    if let Some(text) = field.and_then(|f| f.scalar().map(|_| f.scalar_text().unwrap_or_default()))
    {
        let held = Some(Held::Scalar(text.to_string()));
        return Some(match found.iter().find(|f| f.held == held) {
            Some(one) => Behind::Value(one.clone()),
            None => Behind::Template(found),
        });
    }
    // A block (a toYaml copy) or a field not rendered: one value stands for it,
    // unless it holds a scalar where a block was rendered.
    let scalar_for_block = field.is_some() && matches!(found[0].held, Some(Held::Scalar(_)));
    Some(if found.len() == 1 && !scalar_for_block {
        Behind::Value(found.into_iter().next()?)
    } else {
        Behind::Template(found)
    })
}

/// `; set by the chart value K (FILE:LINE): change it there`, or where to set it.
fn value_message(value: &ValueSource) -> String {
    match (value.set, &value.parent_key) {
        (true, None) => format!(
            "; set by the chart value {} ({}): change it there",
            value.key,
            place(&value.location)
        ),
        // A subchart's own default: the user's values are the parent's.
        (true, Some(parent)) => format!(
            "; set by the subchart's default {} ({}): override it as {parent} in the parent chart's values",
            value.key,
            place(&value.location)
        ),
        (false, _) => format!(
            "; comes from the chart value {}, not set: set it in {} (under line {})",
            value.key, value.location.file, value.location.line
        ),
    }
}

/// The field is no chart value as it is: the template made it from these.
fn template_message(found: &[Found]) -> String {
    format!(
        "; written by the template, not taken whole from a chart value (it reads {}): change the template line, or those values",
        reads(found)
    )
}

/// `image.repository at web/values.yaml:4, image.tag not set`; a subchart's
/// default also names the parent's key that overrides it.
fn reads(found: &[Found]) -> String {
    let reads: Vec<String> = found
        .iter()
        .map(|f| match (f.source.set, &f.source.parent_key) {
            (true, None) => format!("{} at {}", f.source.key, place(&f.source.location)),
            (true, Some(parent)) => format!(
                "{} at {} (the subchart's default; {parent} in the parent's values)",
                f.source.key,
                place(&f.source.location)
            ),
            (false, _) => format!("{} not set", f.source.key),
        })
        .collect();
    reads.join(", ")
}

/// The template writes the field on line `i` (`text`), but helm did not emit that
/// line for this object: the block around it that was not taken, and what it reads.
fn not_emitted(text: &str, i: usize, context: &Context, find: &dyn Fn(&str) -> Found) -> String {
    let lookup = |key: &str| find(key).held;
    let written = format!(
        "; the template writes it at line {} ({})",
        i + 1,
        text.trim()
    );
    let judged = not_taken(context, &lookup);
    let Some(condition) = judged.or(context.conditions.last()) else {
        return format!("{written}, which was not rendered for this object");
    };
    let block = format!(
        "{{{{ {} {} }}}} at line {}",
        condition.keyword,
        condition.text,
        condition.line + 1
    );
    let why = match (judged.is_some(), condition.wanted) {
        (true, true) => format!("in a block that did not render: {block} is false"),
        (true, false) => format!("in a branch that did not render: {block} is true"),
        (false, _) => format!("which did not render here (under {block})"),
    };
    let found: Vec<Found> = values_keys(&condition.text)
        .iter()
        .map(|k| find(k))
        .collect();
    match found.is_empty() {
        true => format!("{written}, {why}"),
        false => format!("{written}, {why}; it reads {}", reads(&found)),
    }
}

/// A place chosen among lines that each may have written the field (an `if` and its
/// `else` on `.Capabilities`, which the values cannot judge): said, not hidden.
/// The values those lines read are named too: the value named after may be theirs.
fn approximate(also: &[usize], lines: &[&str], first: usize, lookups: &Lookups) -> String {
    let numbers: Vec<String> = also.iter().map(|i| (first + i + 1).to_string()).collect();
    let (line, writes) = match numbers.len() {
        1 => ("line", "writes"),
        _ => ("lines", "write"),
    };
    let found: Vec<Found> = also
        .iter()
        .filter_map(|i| lines.get(first + i))
        .flat_map(|text| values_keys(text))
        .map(|key| lookups.find(&key))
        .collect();
    let their = match found.is_empty() {
        true => String::new(),
        false => format!(" (it reads {})", reads(&found)),
    };
    format!(
        "; the line is approximate: {line} {}{their} {writes} it too, in a branch that cannot be judged from the values",
        numbers.join(", ")
    )
}

/// The first line of a document, from `first`, that writes YAML: not blank, a
/// comment, `---` or only template actions (a `{{- if }}` that opens the document).
fn body_start(lines: &[&str], first: usize) -> usize {
    let writes = |text: &&str| {
        let t = text.trim();
        let rest = t
            .strip_prefix("{{")
            .and_then(|r| r.rsplit_once("}}"))
            .map(|(_, after)| after.trim());
        !(t.is_empty() || t.starts_with('#') || t == "---" || rest == Some(""))
    };
    lines
        .iter()
        .skip(first)
        .position(writes)
        .map_or(first, |n| first + n)
}

/// A field the template writes as it is (`- SYS_ADMIN`), rendered because conditions
/// on chart values hold: the `if`s (and `with`s) around it, innermost first, as far
/// as each is taken and reads values, are named with the values they read, which
/// are what leave the field out. An `else` branch is not followed: what turns it off
/// is another branch's value, which may write more than this field. Nor is a block
/// around the whole document (`{{ if .Values.rbac.create }}` before its `kind:`),
/// which decides whether the object is made, not how.
fn switched_on(finding: &mut Finding, context: &Context, first: usize, lookups: &Lookups) {
    let switches: Vec<&Condition> = context
        .conditions
        .iter()
        .rev()
        .take_while(|c| {
            matches!(c.keyword, "if" | "with")
                && c.wanted
                && c.line >= first
                && !values_keys(&c.text).is_empty()
        })
        .collect();
    if switches.is_empty() {
        return;
    }
    let blocks: Vec<String> = switches
        .iter()
        .map(|c| format!("{{{{ {} {} }}}} at line {}", c.keyword, c.text, c.line + 1))
        .collect();
    let mut keys: Vec<String> = Vec::new();
    for key in switches.iter().flat_map(|c| values_keys(&c.text)) {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let found: Vec<Found> = keys.iter().map(|k| lookups.find(k)).collect();
    let (holds, those) = match blocks.len() {
        1 => ("holds", "that value"),
        _ => ("hold", "those values"),
    };
    finding.message.push_str(&format!(
        "; written because {} {holds} (it reads {}): change {those} to leave it out",
        blocks.join(" and "),
        reads(&found)
    ));
    if let [one] = found.as_slice() {
        finding.value = Some(Box::new(one.source.clone()));
    }
}

/// The node at `path` in a rendered object, if it is there. A trailing list index is
/// left out, as value keys leave indices out: `capabilities.add[0]` is the list
/// `capabilities.add` a value holds.
fn node_at<'a>(root: &'a Node, path: &FieldPath) -> Option<&'a Node> {
    let segments = path.segments();
    let keep = segments
        .iter()
        .rposition(|s| matches!(s, Seg::Key(_)))
        .map_or(0, |i| i + 1);
    crate::node_at(root, &segments[..keep])
}

/// The path as the user would type it (no leading `./`).
pub(crate) fn shown(path: &Path) -> String {
    path.display()
        .to_string()
        .trim_start_matches("./")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_is_placed_in_the_template_document_that_made_it() {
        let template = "kind: ConfigMap\nspec:\n  a: 1\n---\nkind: Service\nspec:\n  type: x\n---\nkind: Service\nspec:\n  type: y\n";
        let lines: Vec<&str> = template.lines().collect();
        let rendered = "---\n# Source: c/templates/t.yaml\nkind: Service\n---\n# Source: c/templates/t.yaml\nkind: Service\nspec: {}\n";
        let docs = rendered_docs(rendered);
        let n = ordinal(&docs, "c/templates/t.yaml", "Service", 6);
        assert_eq!(n, 1, "{docs:?}");
        let names = names_of(&docs, "c/templates/t.yaml", "Service");
        let made = Made { names: &names, n };
        let (first, doc) = template_doc(&lines, "Service", &made, &|_| false);
        assert_eq!((first, doc[0]), (8, "kind: Service"));
        let place = place_in_lines(&doc, &FieldPath::parse("spec.type"), &Seen::default());
        assert_eq!(place.line as usize + first, 11);
        // A kind the template does not write out: the whole file.
        let made = Made { names: &[], n: 0 };
        assert_eq!(template_doc(&lines, "Pod", &made, &|_| false).0, 0);
    }

    /// Three Deployments, the first in a block whose condition cannot be judged
    /// (`.Capabilities`), the last named by a template action.
    const THREE: &str = "{{- if .Capabilities.APIVersions.Has \"example.com/v1\" }}\nkind: Deployment\nmetadata:\n  name: first\n---\n{{- end }}\nkind: Deployment\nmetadata:\n  labels:\n    name: x\n  name: \"second\"\n---\nkind: Deployment\nmetadata:\n  {{- with .Values.annotations }}\n  annotations: {}\n  {{- end }}\n  name: {{ .Release.Name }}-third\n";

    /// The first line of the document of THREE that made the `n`th of `names`.
    fn three(names: &[&str], n: usize, dropped: &dyn Fn(usize) -> bool) -> usize {
        let lines: Vec<&str> = THREE.lines().collect();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        template_doc(&lines, "Deployment", &Made { names: &names, n }, dropped).0
    }

    #[test]
    fn an_object_is_placed_in_the_template_document_of_its_name() {
        let none = |_: usize| false;
        // `first` did not render: its order among the Deployments does not count.
        assert_eq!(three(&["second", "rel-third"], 0, &none), 5);
        assert_eq!(three(&["second", "rel-third"], 1, &none), 12);
        assert_eq!(three(&["first", "second", "rel-third"], 0, &none), 0);
        // A name written out that no object has: that document did not render.
        assert_eq!(three(&["rel-third"], 0, &none), 12);
        // A name a template action writes fits only names that end alike.
        assert_eq!(
            three(&["second", "other"], 1, &none),
            12,
            "no fit: by order"
        );
        // Without names, the order of the documents not judged dropped.
        assert_eq!(three(&[], 1, &none), 5);
        assert_eq!(three(&[], 1, &|i| i == 1), 12);
    }

    #[test]
    fn names_are_read_from_metadata_and_fit_templated_ones() {
        let docs = rendered_docs(
            "---\n# Source: c/templates/t.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  labels:\n    name: label\n  name: \"web\"\nspec:\n  name: spec\n",
        );
        assert_eq!(names_of(&docs, "c/templates/t.yaml", "Service"), ["web"]);
        assert!(name_fits("{{ .Release.Name }}-worker", "rel-worker"));
        assert!(name_fits("{{ include \"x\" . }}", "anything"));
        assert!(name_fits("a-{{ .x }}-b-{{ .y }}", "a-1-b-2"));
        assert!(!name_fits("{{ .Release.Name }}-worker", "rel-web"));
        assert!(!name_fits("a-{{ .x }}-b", "a-b"));
        assert!(!name_fits("web", "web2"));
    }
}
