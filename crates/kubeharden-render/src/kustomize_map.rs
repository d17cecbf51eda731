//! A finding of an overlay's rendered object, mapped back to the base resource that
//! defines the object and to the patches that set or removed the field
//! (docs/source-mapping.md).
//!
//! The overlay's kustomizations are read as kustomize reads them: resources and bases
//! (files, or folders with their own kustomization, followed), components, and the
//! patches of every form. An object is matched to its base resource by kind and name
//! (the rendered name contains the base's: prefixes and suffixes are added); list
//! items are matched by their `name`, as a strategic merge does.

use std::path::{Path, PathBuf};

use kubeharden_findings::{Finding, Location};
use kubeharden_load::kustomize::kustomization_in;
use kubeharden_load::Object;
use kubeharden_yaml::{
    parse_chunk, split_documents, FieldPath, Limits, Node, Pos, ScalarStyle, Seg, Value,
};

use crate::kustomize_helm::InflatedChart;
use crate::{first_document, SourceMap};

/// What a document of the overlay is to the objects it touches.
enum Role {
    Resource,
    /// A strategic-merge patch: a partial object, for the objects its `target:`
    /// selects, or (without one) of its own kind and name.
    Merge {
        target: Option<Target>,
    },
    /// JSON 6902 operations, for the objects its target selects.
    Json6902 {
        target: Target,
    },
    /// The `images:` transformer's entries (`name`, `newName`, `newTag`, `digest`).
    Images,
}

/// A patch's `target:` in the kustomization: what kustomize applies it to.
#[derive(Clone, Debug, Default)]
struct Target {
    kind: Option<String>,
    /// A regular expression, matched whole.
    name: Option<String>,
    /// A regular expression, matched whole.
    namespace: Option<String>,
    label_selector: Option<String>,
    annotation_selector: Option<String>,
}

impl Target {
    fn of(entry: &Node) -> Option<Target> {
        let target = entry.get("target")?;
        let text = |key: &str| {
            target
                .get(key)
                .and_then(Node::scalar_text)
                .map(str::to_string)
        };
        Some(Target {
            kind: text("kind"),
            name: text("name"),
            namespace: text("namespace"),
            label_selector: text("labelSelector"),
            annotation_selector: text("annotationSelector"),
        })
    }

    /// Whether kustomize applies the patch to `object`, whose base resource is `base`:
    /// a name or namespace is matched with the base's (kustomize's original one) or
    /// the rendered one; a selector with the base's labels or annotations, or the
    /// rendered ones (kustomize's own transformers add some between).
    fn selects(&self, object: &Object, base: Option<&Node>) -> bool {
        let kind = self
            .kind
            .as_deref()
            .is_none_or(|k| k == object.resource.kind);
        let base_text = |path: &[&str]| base.and_then(|b| text_at(b, path));
        let name = self.name.as_deref().is_none_or(|pattern| {
            let names = [
                Some(object.resource.name.as_str()),
                base_text(&["metadata", "name"]),
            ];
            names.into_iter().flatten().any(|n| whole_match(pattern, n))
        });
        let namespace = self.namespace.as_deref().is_none_or(|pattern| {
            let rendered = object.resource.namespace.as_deref().unwrap_or("default");
            let own = base_text(&["metadata", "namespace"]).unwrap_or("default");
            [rendered, own].into_iter().any(|n| whole_match(pattern, n))
        });
        let metadata = |key: &str, selector: &Option<String>| {
            selector.as_deref().is_none_or(|selector| {
                [Some(&object.root), base]
                    .into_iter()
                    .flatten()
                    .any(|node| selector_matches(selector, &pairs(node, key)))
            })
        };
        kind && name
            && namespace
            && metadata("labels", &self.label_selector)
            && metadata("annotations", &self.annotation_selector)
    }
}

/// Whether `text` matches `pattern` whole, as kustomize anchors a target's name; a
/// pattern that is no regular expression is compared as text.
fn whole_match(pattern: &str, text: &str) -> bool {
    match regex::Regex::new(&format!("^(?:{pattern})$")) {
        Ok(re) => re.is_match(text),
        Err(_) => pattern == text,
    }
}

/// The `metadata.KEY` map of an object (its labels, its annotations) as pairs.
fn pairs(object: &Node, key: &str) -> Vec<(String, String)> {
    let Some(map) = object.get("metadata").and_then(|m| m.get(key)) else {
        return Vec::new();
    };
    map.entries()
        .iter()
        .filter_map(|e| {
            let k = e.key.scalar_text()?;
            Some((
                k.to_string(),
                e.value.scalar_text().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// Whether `labels` satisfy a Kubernetes label selector (`a=b,c!=d,e in (f,g),h,!i`).
/// A requirement that cannot be read is taken as met.
fn selector_matches(selector: &str, labels: &[(String, String)]) -> bool {
    let value = |key: &str| {
        labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let mut requirements = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                requirements.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    requirements.push(&selector[start..]);
    requirements
        .iter()
        .map(|r| r.trim())
        .filter(|r| !r.is_empty())
        .all(|r| {
            let words: Vec<&str> = r.splitn(2, char::is_whitespace).collect();
            if let [key, rest] = words.as_slice() {
                let rest = rest.trim();
                let set = |list: &str| -> Vec<String> {
                    list.trim()
                        .trim_start_matches('(')
                        .trim_end_matches(')')
                        .split(',')
                        .map(|v| v.trim().to_string())
                        .collect()
                };
                if let Some(list) = rest.strip_prefix("notin") {
                    return value(key).is_none_or(|v| !set(list).iter().any(|s| s == v));
                }
                if let Some(list) = rest.strip_prefix("in") {
                    return value(key).is_some_and(|v| set(list).iter().any(|s| s == v));
                }
            }
            if let Some((key, wanted)) = r.split_once("!=") {
                return value(key.trim()) != Some(wanted.trim());
            }
            if let Some((key, wanted)) = r.split_once('=') {
                let wanted = wanted.trim_start_matches('=').trim();
                return value(key.trim()) == Some(wanted);
            }
            match r.strip_prefix('!') {
                Some(key) => value(key.trim()).is_none(),
                None => value(r).is_some(),
            }
        })
}

struct SourceDoc {
    file: String,
    role: Role,
    root: Node,
}

pub(crate) struct KustomizeMap {
    docs: Vec<SourceDoc>,
    /// The charts it inflates (`helmCharts:`), whose objects have no base resource.
    charts: Vec<InflatedChart>,
}

impl KustomizeMap {
    /// Reads the overlay in `dir` and everything it uses; `charts` are the charts
    /// it inflates.
    pub(crate) fn read(dir: &Path, charts: Vec<InflatedChart>) -> KustomizeMap {
        let mut docs = Vec::new();
        let mut seen = Vec::new();
        read_kustomization(dir, &mut docs, &mut seen);
        KustomizeMap { docs, charts }
    }
}

fn read_kustomization(dir: &Path, docs: &mut Vec<SourceDoc>, seen: &mut Vec<PathBuf>) {
    let Some(file) = kustomization_in(dir) else {
        return;
    };
    let canonical = std::fs::canonicalize(&file).unwrap_or(file.clone());
    if seen.contains(&canonical) {
        return;
    }
    seen.push(canonical);
    let Some(root) = first_document(&file) else {
        return;
    };
    let list = |key: &str| root.get(key).map(Node::items).unwrap_or_default().to_vec();
    for key in ["resources", "bases", "components"] {
        for entry in list(key).iter().filter_map(Node::scalar_text) {
            let path = dir.join(entry);
            if path.is_dir() {
                read_kustomization(&path, docs, seen);
            } else {
                add_file(&path, &Use::Resource, docs);
            }
        }
    }
    let shown = normal(&file).display().to_string();
    for entry in list("patchesStrategicMerge") {
        let patch = Use::Merge;
        match entry.scalar_text() {
            // A patch written into the kustomization itself.
            Some(text) if text.contains('\n') => add_inline(&shown, &entry, &patch, docs),
            Some(path) => add_file(&dir.join(path), &patch, docs),
            None => {}
        }
    }
    for entry in list("patches").iter().chain(list("patchesJson6902").iter()) {
        let patch = Use::Patch(Target::of(entry));
        if let Some(path) = entry.get("path").and_then(Node::scalar_text) {
            add_file(&dir.join(path), &patch, docs);
        } else if let Some(inline) = entry.get("patch") {
            add_inline(&shown, inline, &patch, docs);
        }
    }
    if let Some(images) = root.get("images") {
        docs.push(SourceDoc {
            file: shown,
            role: Role::Images,
            root: images.clone(),
        });
    }
}

/// Adds the documents of a patch written into the kustomization `file` (`patch: |`),
/// each node placed at its line there.
fn add_inline(file: &str, patch: &Node, use_: &Use, docs: &mut Vec<SourceDoc>) {
    let Some(scalar) = patch.scalar() else {
        return;
    };
    // A block scalar's text starts on the line after its `|` (where the parser may
    // place the scalar), indented.
    let block = scalar.style == ScalarStyle::Block;
    let header = block
        && line_of(file, patch.pos.line)
            .trim_end()
            .ends_with(['|', '>', '-', '+']);
    let first = patch.pos.line + u32::from(header);
    let indent = match block {
        true => {
            let line = line_of(file, first);
            (line.len() - line.trim_start().len()) as u32
        }
        false => patch.pos.col.saturating_sub(1),
    };
    for chunk in split_documents(&scalar.text) {
        for doc in parse_chunk(chunk, &Limits::default()).into_iter().flatten() {
            let mut root = doc.root;
            shift(&mut root, first - 1, indent);
            let Some(role) = role_of(&root, use_) else {
                continue;
            };
            docs.push(SourceDoc {
                file: file.to_string(),
                role,
                root,
            });
        }
    }
}

/// Line `line` (1-based) of `file`; empty if there is none.
fn line_of(file: &str, line: u32) -> String {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let index = line.saturating_sub(1) as usize;
    text.lines().nth(index).unwrap_or_default().to_string()
}

/// Moves every position of `node` down `lines` and right `columns`.
fn shift(node: &mut Node, lines: u32, columns: u32) {
    node.pos = Pos::new(node.pos.line + lines, node.pos.col + columns);
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift(n, lines, columns)),
        Value::Map(entries) => entries.iter_mut().for_each(|e| {
            shift(&mut e.key, lines, columns);
            shift(&mut e.value, lines, columns);
        }),
        Value::Scalar(_) => {}
    }
}

/// What the kustomization names a file for.
enum Use {
    Resource,
    /// A `patchesStrategicMerge` entry.
    Merge,
    /// A `patches` or `patchesJson6902` entry, with its `target:` if it has one.
    Patch(Option<Target>),
}

/// The role of a document named for `use_`: a patch that is a list of operations is
/// JSON 6902 (for its target), any other a strategic merge.
fn role_of(doc: &Node, use_: &Use) -> Option<Role> {
    match (&doc.value, use_) {
        (Value::Seq(_), Use::Patch(target)) => Some(Role::Json6902 {
            target: target.clone().unwrap_or_default(),
        }),
        (Value::Seq(_), _) => None,
        (_, Use::Patch(target)) => Some(Role::Merge {
            target: target.clone(),
        }),
        (_, Use::Merge) => Some(Role::Merge { target: None }),
        (_, Use::Resource) => Some(Role::Resource),
    }
}

/// Adds the documents of `path`; a list of operations is JSON 6902 whatever its key.
fn add_file(path: &Path, use_: &Use, docs: &mut Vec<SourceDoc>) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let shown = normal(path).display().to_string();
    for chunk in split_documents(&text) {
        for doc in parse_chunk(chunk, &Limits::default()).into_iter().flatten() {
            let Some(role) = role_of(&doc.root, use_) else {
                continue;
            };
            docs.push(SourceDoc {
                file: shown.clone(),
                role,
                root: doc.root,
            });
        }
    }
}

/// `a/b/../c` as `a/c`, and no leading `./`: the path as a user would type it.
fn normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn text_at<'a>(node: &'a Node, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(node, |n, k| n.get(k))
        .and_then(Node::scalar_text)
}

/// Whether a document is about `object`: the same kind, and a name the rendered one
/// contains (kustomize adds prefixes and suffixes).
fn is_about(doc: &Node, object: &Object) -> bool {
    let kind = text_at(doc, &["kind"]);
    let name = text_at(doc, &["metadata", "name"]);
    kind == Some(object.resource.kind.as_str())
        && name.is_some_and(|n| object.resource.name.contains(n))
}

/// Whether a strategic-merge patch `doc` applies to `object` (whose base resource is
/// `base`): the objects its target selects, whatever its own name (kustomize's docs
/// name such patches `not-important`); without a target, its own kind and name.
fn applies(target: &Option<Target>, doc: &Node, object: &Object, base: Option<&Node>) -> bool {
    match target {
        Some(target) => target.selects(object, base),
        None => is_about(doc, object),
    }
}

/// Where `path` (as in the rendered object) is in `doc`: list items matched by their
/// `name`, else by index. The position of the deepest part found, and how many of
/// the path's parts were.
fn locate(rendered: &Node, doc: &Node, path: &FieldPath) -> (Pos, usize) {
    let chain = chain(rendered, doc, path);
    let pos = chain.last().map_or(doc.pos, |(pos, _)| *pos);
    (pos, chain.len())
}

/// Where a strategic-merge patch removed the field at `path`, or what holds it: a
/// part of the path it sets to `null`, a map it marks `$patch: delete`, or one it
/// marks `$patch: replace` without the rest of the path.
fn removal(rendered: &Node, doc: &Node, path: &FieldPath) -> Option<Pos> {
    let chain = chain(rendered, doc, path);
    let full = chain.len() == path.segments().len();
    for (n, (pos, node)) in chain.iter().enumerate() {
        if node.is_null() {
            return Some(*pos);
        }
        let directive = node.entry("$patch");
        let marked = |what: &str| directive.is_some_and(|e| e.value.scalar_text() == Some(what));
        if marked("delete") || (marked("replace") && !full && n + 1 == chain.len()) {
            return directive.map(|e| e.key.pos);
        }
    }
    None
}

/// The parts of `path` found in `doc`, in order: each one's position and node.
fn chain<'d>(rendered: &Node, doc: &'d Node, path: &FieldPath) -> Vec<(Pos, &'d Node)> {
    let (mut there, mut here) = (rendered, doc);
    let mut found = Vec::new();
    for seg in path.segments() {
        let next = match seg {
            Seg::Key(k) => here.entry(k).map(|e| (e.key.pos, &e.value)),
            Seg::Index(i) => {
                let item = there.items().get(*i);
                let name = item.and_then(|n| n.get("name")).and_then(Node::scalar_text);
                let same = match name {
                    Some(name) => here
                        .items()
                        .iter()
                        .find(|n| n.get("name").and_then(Node::scalar_text) == Some(name)),
                    None => here.items().get(*i),
                };
                same.map(|n| (n.pos, n))
            }
        };
        let Some((at, node)) = next else {
            break;
        };
        found.push((at, node));
        here = node;
        there = match seg {
            Seg::Key(k) => there.get(k).unwrap_or(there),
            Seg::Index(i) => there.items().get(*i).unwrap_or(there),
        };
    }
    found
}

/// The JSON pointer of an operation as a field path's dotted form.
fn pointer_to_path(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.trim_start_matches('/').split('/') {
        let part = part.replace("~1", "/").replace("~0", "~");
        if part.chars().all(|c| c.is_ascii_digit()) && !part.is_empty() {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&part);
        }
    }
    out
}

/// What changed a field after its base: the place, the verb, what did it, and the
/// field it changed when that is not the finding's own: the pod-level field a
/// container's security field falls back to.
type Change = (Location, &'static str, &'static str, Option<FieldPath>);

const PATCH: &str = "the patch";
const IMAGES: &str = "the images transformer";

impl SourceMap for KustomizeMap {
    fn map(&self, object: &Object, finding: &mut Finding) {
        let path = FieldPath::parse(&finding.path);
        let full = path.segments().len();
        let mut base: Option<(Location, usize)> = None;
        let mut base_doc: Option<&SourceDoc> = None;
        let mut patched: Option<Change> = None;
        // A chart's template wrote the whole object: a patch adds nothing to it that
        // can be told from here.
        let inflated = self.charts.iter().any(|c| c.made(object).is_some());
        // The rendered container sets the field itself (`runAsNonRoot: false`).
        let own_setting = crate::node_at(&object.root, path.segments()).is_some();
        // The base resource, whose name and labels a patch's target may select by.
        let original = self
            .docs
            .iter()
            .rfind(|d| matches!(d.role, Role::Resource) && is_about(&d.root, object))
            .map(|d| &d.root);
        for doc in &self.docs {
            match &doc.role {
                Role::Resource if is_about(&doc.root, object) => {
                    let (pos, depth) = locate(&object.root, &doc.root, &path);
                    base = Some((at(&doc.file, pos), depth));
                    base_doc = Some(doc);
                }
                Role::Merge { target } if applies(target, &doc.root, object, original) => {
                    let written = if inflated { full } else { 0 };
                    let base_depth = base.as_ref().map_or(written, |(_, d)| *d);
                    let own = merge_change(&object.root, doc, &path, base_depth);
                    // A container's own setting decides: the pod's is no fallback then.
                    let inherited = match own_setting {
                        true => None,
                        false => inherited_change(&object.root, doc, &finding.path, original),
                    };
                    // Where the base set no such field on the container, a change of
                    // the pod-level field it falls back to is what the finding is about.
                    let change = match base_depth < full {
                        true => inherited.or(own),
                        false => own.or(inherited),
                    };
                    patched = change.or(patched);
                }
                Role::Json6902 { target } => {
                    let targets = target.selects(object, original);
                    let operation = targets.then(|| {
                        let fallback = if own_setting { None } else { original };
                        operation_on(
                            &doc.root,
                            &object.root,
                            &finding.path,
                            fallback,
                            !own_setting,
                        )
                    });
                    if let Some((pos, verb, field)) = operation.flatten() {
                        patched = Some((at(&doc.file, pos), verb, PATCH, field));
                    }
                }
                Role::Images => {
                    if let Some(pos) = image_entry(&doc.root, &object.root, &path) {
                        patched = Some((at(&doc.file, pos), "set", IMAGES, None));
                    }
                }
                _ => {}
            }
        }
        // What the finding said before a chart's map added its template and values:
        // a patch over the chart's object decides the field, not they.
        let (said, valued) = (finding.message.clone(), finding.value.clone());
        let base = match base {
            Some((base, _)) => {
                let rendered = std::mem::replace(&mut finding.location, base.clone());
                finding.rendered = Some(rendered);
                base
            }
            // An object of a chart the overlay inflates: at its template.
            None if self.charts.iter().any(|c| c.map(object, finding)) => finding.location.clone(),
            None => return,
        };
        if patched.is_some() {
            finding.message = said;
            finding.value = valued;
        }
        if let Some((patch, verb, by, field)) = patched {
            // The base of the pod-level field the patch changed, not the container's.
            let base = match (field, base_doc) {
                (Some(field), Some(doc)) => {
                    at(&doc.file, locate(&object.root, &doc.root, &field).0)
                }
                _ => base,
            };
            finding.message.push_str(&format!(
                "; {verb} by {by} {}:{} (base: {}:{})",
                patch.file, patch.line, base.file, base.line
            ));
            finding.location = patch;
            finding.base = Some(base);
        }
    }
}

/// What a strategic-merge patch `doc` did to the field at `path` of the `rendered`
/// object: removed it (or what holds it), set it, or added what holds it (deeper than
/// the base wrote, `base_depth`: a container).
fn merge_change(
    rendered: &Node,
    doc: &SourceDoc,
    path: &FieldPath,
    base_depth: usize,
) -> Option<Change> {
    if let Some(pos) = removal(rendered, &doc.root, path) {
        return Some((at(&doc.file, pos), "removed", PATCH, None));
    }
    let (pos, depth) = locate(rendered, &doc.root, path);
    if depth == path.segments().len() {
        Some((at(&doc.file, pos), "set", PATCH, None))
    } else if depth > base_depth && depth > 1 {
        Some((at(&doc.file, pos), "added", PATCH, None))
    } else {
        None
    }
}

/// What a strategic-merge patch `doc` did to the pod-level field a container's
/// security field falls back to (`spec.securityContext.runAsNonRoot` for a container's
/// `securityContext.runAsNonRoot`): removed it, or what holds it, when the `base`
/// resource set it (removing a block that lacked it changed nothing), or set it.
fn inherited_change(
    rendered: &Node,
    doc: &SourceDoc,
    path: &str,
    base: Option<&Node>,
) -> Option<Change> {
    let pod = FieldPath::parse(&pod_level(path)?);
    if let Some(pos) = removal(rendered, &doc.root, &pod).filter(|_| sets(base, rendered, &pod)) {
        return Some((at(&doc.file, pos), "removed", PATCH, Some(pod)));
    }
    let (pos, depth) = locate(rendered, &doc.root, &pod);
    (depth == pod.segments().len()).then(|| (at(&doc.file, pos), "set", PATCH, Some(pod)))
}

/// Whether the `base` resource sets the field at `path`.
fn sets(base: Option<&Node>, rendered: &Node, path: &FieldPath) -> bool {
    base.is_some_and(|base| locate(rendered, base, path).1 == path.segments().len())
}

/// The last JSON 6902 operation of `ops` whose path is the field at `path`, one of
/// its parents or children, or (a container's securityContext field) the pod-level
/// field the container inherits (a removal only when the `base` set it); whether it
/// removed, set or added it (an `add` of a
/// list item, `/containers/-` or `/containers/1`, that inserted the item the field
/// is in); and the pod-level field, when that is what it touched.
///
/// The operations are read from the last back, as the `rendered` object was before
/// each: an item an `add` inserted, or one a `remove` took, below the finding's item
/// in its list moves it, so an earlier operation is matched with the index it had then.
fn operation_on(
    ops: &Node,
    rendered: &Node,
    path: &str,
    base: Option<&Node>,
    inherits: bool,
) -> Option<(Pos, &'static str, Option<FieldPath>)> {
    let inherited = pod_level(path).filter(|_| inherits);
    let base_sets_inherited = inherited
        .as_deref()
        .is_some_and(|p| sets(base, rendered, &FieldPath::parse(p)));
    // A field is under what an operation touched when it follows it as a key
    // (`.runAsUser`) or as a list item (`[0]`: an `add` whose value is a list).
    let under = |inner: &str, outer: &str| {
        inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    };
    let covers = |field: &str, touched: &str| {
        field == touched || under(field, touched) || under(touched, field)
    };
    let touches = |op: &Node, field: &str| {
        text_at(op, &["path"])
            .map(pointer_to_path)
            .is_some_and(|touched| covers(field, &touched))
    };
    let original = path;
    let mut path = path.to_string();
    // The lengths of the lists operations changed, before the operations read so far.
    let mut lengths: Vec<(String, usize)> = Vec::new();
    for op in ops.items().iter().rev() {
        let verb = text_at(op, &["op"]);
        let item = text_at(op, &["path"]).and_then(item_pointer);
        let moved = item.and_then(|(list, index)| {
            let (i, rest) = index_in(&path, &list)?;
            matches!(verb, Some("add" | "remove")).then_some((list, index, i, rest))
        });
        if let Some((list, index, i, rest)) = moved {
            let len = match lengths.iter_mut().find(|(l, _)| *l == list) {
                Some((_, len)) => len,
                None => {
                    let len = crate::node_at(rendered, FieldPath::parse(&list).segments())
                        .map_or(0, |n| n.items().len());
                    lengths.push((list.clone(), len));
                    &mut lengths.last_mut().expect("just pushed").1
                }
            };
            let mut i = i;
            if verb == Some("add") {
                let k = index.unwrap_or(len.saturating_sub(1));
                if k == i && same_item(op, rendered, original, &list) {
                    return Some((op.pos, "added", None));
                }
                if k < i {
                    i -= 1;
                }
                *len = len.saturating_sub(1);
            } else {
                if index.is_some_and(|k| k <= i) {
                    i += 1;
                }
                *len += 1;
            }
            path = format!("{list}[{i}]{rest}");
            continue;
        }
        // A `move` takes the field away from where `from` points (it is set at its
        // `path`, as an `add` is).
        let moved_away = verb == Some("move")
            && text_at(op, &["from"])
                .map(pointer_to_path)
                .is_some_and(|from| covers(&path, &from));
        if moved_away {
            return Some((op.pos, "removed", None));
        }
        let removes = verb == Some("remove");
        let on_inherited = inherited
            .as_deref()
            .is_some_and(|p| touches(op, p) && (base_sets_inherited || !removes));
        if touches(op, &path) || on_inherited {
            let verb = match verb {
                Some("remove") => "removed",
                _ => "set",
            };
            let field = inherited
                .filter(|_| !touches(op, &path))
                .map(|p| FieldPath::parse(&p));
            // What an `add` or `replace` set is at its `value`, which the user edits.
            let pos = match verb {
                "set" => op.entry("value").map_or(op.pos, |value| value.key.pos),
                _ => op.pos,
            };
            return Some((pos, verb, field));
        }
    }
    None
}

/// The list and the index (`None` for `-`, the end) of a JSON pointer to a list item:
/// `spec.containers` and `Some(1)` for `/spec/containers/1`.
fn item_pointer(pointer: &str) -> Option<(String, Option<usize>)> {
    let (list, last) = pointer.rsplit_once('/')?;
    let index = match last {
        "-" => None,
        n if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => Some(n.parse().ok()?),
        _ => return None,
    };
    Some((pointer_to_path(list), index))
}

/// The index of the item of `list` that `path` is in, and the rest of the path:
/// `1` and `.image` for `spec.containers[1].image` in `spec.containers`.
fn index_in<'p>(path: &'p str, list: &str) -> Option<(usize, &'p str)> {
    let after = path.strip_prefix(list)?.strip_prefix('[')?;
    let (index, rest) = after.split_once(']')?;
    Some((index.parse().ok()?, rest))
}

/// Whether an `add` operation's value can be the item of `list` the rendered `path`
/// is in: the same `name`, when both have one.
fn same_item(op: &Node, rendered: &Node, path: &str, list: &str) -> bool {
    let added = text_at(op, &["value", "name"]);
    let item = index_in(path, list).and_then(|(i, _)| {
        let item = FieldPath::parse(&format!("{list}[{i}]"));
        crate::node_at(rendered, item.segments())
    });
    let name = item.and_then(|n| text_at(n, &["name"]));
    match (added, name) {
        (Some(added), Some(name)) => added == name,
        _ => true,
    }
}

/// The fields of a container's securityContext that fall back to the pod's when the
/// container does not set them; the others (`privileged`, `capabilities`,
/// `allowPrivilegeEscalation`, `readOnlyRootFilesystem`, `procMount`) are the
/// container's alone.
const INHERITED: [&str; 7] = [
    "runAsUser",
    "runAsGroup",
    "runAsNonRoot",
    "seLinuxOptions",
    "seccompProfile",
    "appArmorProfile",
    "windowsOptions",
];

/// `spec.template.spec.securityContext.runAsNonRoot` for
/// `spec.template.spec.containers[0].securityContext.runAsNonRoot`: the pod-level
/// field a container's security context falls back to.
fn pod_level(path: &str) -> Option<String> {
    for list in ["containers[", "initContainers[", "ephemeralContainers["] {
        let Some(at) = path.find(&format!(".{list}")) else {
            continue;
        };
        let (pod, rest) = path.split_at(at);
        let (_, field) = rest.split_once("].")?;
        let inherited = field.strip_prefix("securityContext.").is_some_and(|f| {
            INHERITED
                .iter()
                .any(|i| f == *i || f.starts_with(&format!("{i}.")))
        });
        return inherited.then(|| format!("{pod}.{field}"));
    }
    None
}

/// The `images:` entry that gave the image at `path` (a container's `image`): its
/// new name (or its name) is the rendered image's, and it sets a new name, tag or
/// digest.
fn image_entry(images: &Node, rendered: &Node, path: &FieldPath) -> Option<Pos> {
    if !matches!(path.segments().last(), Some(Seg::Key(k)) if &**k == "image") {
        return None;
    }
    let image = crate::node_at(rendered, path.segments())?.scalar_text()?;
    let repository = image_repository(image);
    images
        .items()
        .iter()
        .rfind(|entry| {
            let changes = ["newName", "newTag", "digest"]
                .iter()
                .any(|k| entry.get(k).is_some());
            let named = text_at(entry, &["newName"]).or_else(|| text_at(entry, &["name"]));
            changes && named == Some(repository)
        })
        .map(|entry| entry.pos)
}

/// `registry.example.com/api` for `registry.example.com/api:2.0@sha256:...`.
fn image_repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => repository,
        _ => image,
    }
}

fn at(file: &str, pos: Pos) -> Location {
    Location {
        file: file.into(),
        line: pos.line,
        column: pos.col,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_without_detours() {
        assert_eq!(
            normal(Path::new("./a/b/../../c/d.yaml")),
            Path::new("c/d.yaml")
        );
        assert_eq!(normal(Path::new("../x/../y.yaml")), Path::new("../y.yaml"));
    }

    #[test]
    fn a_containers_security_field_falls_back_to_the_pods() {
        assert_eq!(
            pod_level("spec.template.spec.containers[1].securityContext.seccompProfile.type")
                .as_deref(),
            Some("spec.template.spec.securityContext.seccompProfile.type")
        );
        assert_eq!(pod_level("spec.initContainers[0].image"), None);
        // The container's own: no pod-level field to fall back to.
        assert_eq!(
            pod_level("spec.containers[0].securityContext.privileged"),
            None
        );
        assert_eq!(
            pod_level("spec.containers[0].securityContext.capabilities.drop"),
            None
        );
        assert_eq!(
            pod_level("spec.containers[0].securityContext.runAsGroup").as_deref(),
            Some("spec.securityContext.runAsGroup")
        );
        assert_eq!(pod_level("spec.hostNetwork"), None);
        assert_eq!(
            image_repository("r.example.com:5000/api:2.0@sha256:ab"),
            "r.example.com:5000/api"
        );
        assert_eq!(
            image_repository("r.example.com:5000/api"),
            "r.example.com:5000/api"
        );
    }

    #[test]
    fn an_inline_patch_is_placed_at_its_lines_in_the_kustomization() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kustomization.yaml");
        let text = "resources: [d.yaml]\npatches:\n  - patch: |-\n      - op: remove\n        path: /spec/x\n    target: {kind: Deployment}\n";
        std::fs::write(&file, text).unwrap();
        let map = KustomizeMap::read(dir.path(), Vec::new());
        let ops = map
            .docs
            .iter()
            .find(|d| matches!(d.role, Role::Json6902 { .. }))
            .expect("the inline patch is read");
        assert_eq!(ops.root.items()[0].pos, Pos::new(4, 9));
        assert_eq!(
            operation_on(&ops.root, &ops.root, "spec.x.y", None, true),
            Some((Pos::new(4, 9), "removed", None))
        );
    }

    #[test]
    fn a_patch_removes_what_it_nulls_deletes_or_replaces_without() {
        let node = |text: &str| {
            let chunk = split_documents(text).into_iter().next().unwrap();
            let doc = parse_chunk(chunk, &Limits::default()).into_iter().next();
            doc.unwrap().unwrap().root
        };
        let rendered = node("spec:\n  c:\n  - name: a\n");
        let path = FieldPath::parse("spec.c[0].sc.x");
        let nulled = node("spec:\n  c:\n  - name: a\n    sc: null\n");
        assert_eq!(removal(&rendered, &nulled, &path), Some(Pos::new(4, 5)));
        let deleted = node("spec:\n  c:\n  - name: a\n    sc:\n      $patch: delete\n");
        assert_eq!(removal(&rendered, &deleted, &path), Some(Pos::new(5, 7)));
        let replaced =
            node("spec:\n  c:\n  - name: a\n    sc:\n      $patch: replace\n      y: 1\n");
        assert_eq!(removal(&rendered, &replaced, &path), Some(Pos::new(5, 7)));
        let set = node("spec:\n  c:\n  - name: a\n    sc:\n      x: true\n");
        assert_eq!(removal(&rendered, &set, &path), None);
    }

    #[test]
    fn a_targets_selector_and_name_are_matched_as_kustomize_matches_them() {
        let labels = [("app", "api"), ("tier", "back")].map(|(k, v)| (k.into(), v.into()));
        for (selector, wanted) in [
            ("app=api", true),
            ("app==api,tier=back", true),
            ("app=web", false),
            ("app!=web", true),
            ("app in (web, api),!legacy", true),
            ("tier notin (back)", false),
            ("tier", true),
            ("legacy", false),
            ("!app", false),
        ] {
            assert_eq!(selector_matches(selector, &labels), wanted, "{selector}");
        }
        assert!(whole_match("api-.*", "api-worker"));
        assert!(!whole_match("api", "api-worker"));
        assert!(whole_match("api-worker", "api-worker"));
    }

    #[test]
    fn an_added_list_item_is_matched_with_the_index_it_had() {
        let node = |text: &str| {
            let chunk = split_documents(text).into_iter().next().unwrap();
            let doc = parse_chunk(chunk, &Limits::default()).into_iter().next();
            doc.unwrap().unwrap().root
        };
        let rendered = node("spec:\n  c:\n  - name: first\n  - name: api\n  - name: added\n");
        let ops = node("- op: add\n  path: /spec/c/-\n  value: {name: added}\n- op: replace\n  path: /spec/c/0/image\n  value: x\n- op: add\n  path: /spec/c/0\n  value: {name: first}\n");
        let at = |path: &str| operation_on(&ops, &rendered, path, None, true);
        assert_eq!(at("spec.c[0].sc.p"), Some((Pos::new(7, 3), "added", None)));
        // `api` was at 0 when it was given its image, before `first` went in.
        // At its `value:`, the line that sets it.
        assert_eq!(at("spec.c[1].image"), Some((Pos::new(6, 3), "set", None)));
        assert_eq!(at("spec.c[1].sc.p"), None);
        // `added` went at the end of the list as it then was: 1, before `first`.
        assert_eq!(at("spec.c[2].sc.p"), Some((Pos::new(1, 3), "added", None)));
        assert_eq!(item_pointer("/spec/c/-"), Some(("spec.c".into(), None)));
        assert_eq!(item_pointer("/spec/c/2"), Some(("spec.c".into(), Some(2))));
        assert_eq!(item_pointer("/spec/c"), None);
        assert_eq!(index_in("spec.c[12].x", "spec.c"), Some((12, ".x")));
        assert_eq!(index_in("spec.cx[1]", "spec.c"), None);
    }

    #[test]
    fn json_pointers_read_as_field_paths() {
        assert_eq!(
            pointer_to_path("/spec/template/spec/containers/0/securityContext"),
            "spec.template.spec.containers[0].securityContext"
        );
        assert_eq!(
            pointer_to_path("/metadata/annotations/a~1b"),
            "metadata.annotations.a/b"
        );
    }
}
