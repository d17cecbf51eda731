//! Where a chart value is decided, as helm merges values, the highest precedence
//! first: `--set`, the `--values` files (the last first), then each chart's
//! `values.yaml` from the outermost parent in (a subchart's value sits under its name
//! in its parent's values; a `global.` value under the same key in every chart).

use std::path::{Path, PathBuf};

use kubeharden_findings::{Location, ValueSource};
use kubeharden_yaml::{Node, Pos};

use crate::chart::subchart_dir;
use crate::first_document;

/// One `KEY=VALUE` of a `--set` argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SetValue {
    pub key: String,
    pub value: String,
}

/// Splits a `--set` argument as helm does: `KEY=VALUE` pairs at the commas outside
/// `{...}` lists and not escaped. A pair without `=` or without a key is refused: the
/// error is that pair, its value left out (it may be a secret).
pub(crate) fn parse_set(arg: &str) -> Result<Vec<SetValue>, String> {
    let mut pairs = Vec::new();
    for piece in split_pairs(arg) {
        match piece.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => pairs.push(SetValue {
                key: key.trim().to_string(),
                value: value.to_string(),
            }),
            Some((key, _)) => return Err(format!("{key}=...")),
            None => return Err(piece),
        }
    }
    Ok(pairs)
}

fn split_pairs(arg: &str) -> Vec<String> {
    let (mut pieces, mut piece) = (Vec::new(), String::new());
    let (mut depth, mut escaped) = (0usize, false);
    for c in arg.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                pieces.push(std::mem::take(&mut piece));
                continue;
            }
            _ => {}
        }
        piece.push(c);
    }
    pieces.push(piece);
    pieces
}

/// What a value holds where it is set: a scalar's text, or a block (a map, a list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Held {
    Scalar(String),
    Block,
    /// A list of this many items.
    List(usize),
    /// An empty map or list (`resources: {}`), false to a template's `if`.
    Empty,
}

/// A chart value looked up: where it is set (or the block it would go in), and, when
/// set, what it holds.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    pub source: ValueSource,
    pub held: Option<Held>,
}

/// A file that gives values: a `--values` file, or the part of one under a key (a
/// kustomization's `helmCharts[0].valuesInline`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ValuesFile {
    pub path: PathBuf,
    pub under: Option<String>,
}

impl From<&PathBuf> for ValuesFile {
    fn from(path: &PathBuf) -> ValuesFile {
        ValuesFile {
            path: path.clone(),
            under: None,
        }
    }
}

/// The places that set a chart's values.
pub(crate) struct Values<'a> {
    /// The chart's folder.
    pub dir: &'a Path,
    /// The `--values` files, in order.
    pub files: &'a [ValuesFile],
    /// The `--set` pairs, in order.
    pub sets: &'a [SetValue],
}

impl Values<'_> {
    /// Where `key` (as the template in `subcharts` reads it) is set, the highest
    /// precedence first; unset: the nearest block it would go in.
    pub(crate) fn find(&self, subcharts: &[String], key: &str) -> Found {
        let key_at = |depth: usize| -> String {
            let scope = if key.starts_with("global.") {
                &[][..]
            } else {
                &subcharts[depth.min(subcharts.len())..]
            };
            scope
                .iter()
                .map(String::as_str)
                .chain(std::iter::once(key))
                .collect::<Vec<_>>()
                .join(".")
        };
        let full_key = key_at(0);
        // Each file, the key looked up in it, the key as the chart reads it, and for a
        // subchart's own default the key that overrides it in the parent.
        let mut files: Vec<(ValuesDoc, String, String, Option<String>)> = self
            .files
            .iter()
            .rev()
            .map(|f| {
                let lookup = match &f.under {
                    Some(under) => format!("{under}.{full_key}"),
                    None => full_key.clone(),
                };
                (
                    ValuesDoc::File(f.path.clone()),
                    lookup,
                    full_key.clone(),
                    None,
                )
            })
            .collect();
        // A packaged chart (`helm package`'s `.tgz`) holds its values.yaml.
        let mut doc = match self.dir.is_file() {
            true => ValuesDoc::Archived {
                archive: self.dir.to_path_buf(),
                inside: "values.yaml".to_string(),
            },
            false => ValuesDoc::File(self.dir.join("values.yaml")),
        };
        for depth in 0..=subcharts.len() {
            let key = key_at(depth);
            // A subchart's own default (a `global.` one too) is overridden from the
            // parent's values, under the key the parent reads.
            let parent_key = (depth > 0).then(|| full_key.clone());
            files.push((doc.clone(), key.clone(), key, parent_key));
            if let Some(sub) = subcharts.get(depth) {
                doc = doc.subchart(sub);
            }
        }
        // A map's item the template reached by a `range` is named by its index
        // (`workers[1]`); a `--set` names it by its key (`workers.alpha`).
        let named_key = files
            .iter()
            .filter(|(_, lookup, _, _)| *lookup == full_key)
            .find_map(|(doc, lookup, _, _)| {
                let (_, _, named) = doc
                    .read()
                    .and_then(|root| locate_key_naming(&root, lookup))?;
                (named != *lookup).then_some(named)
            });
        let is_key = |k: &str| k == full_key || named_key.as_deref() == Some(k);
        if let Some(set) = self.sets.iter().rev().find(|s| is_key(&s.key)) {
            return from_set(set);
        }
        // A `--set` of a key under this one (`securityContext.runAsUser=0` under
        // `securityContext`) merges into it: it is a block, not empty, whatever a
        // file holds there (`securityContext: {}`), unless a file sets a block too.
        let under = |key: &str, set: &str| {
            set.strip_prefix(key)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        };
        let filled = self.sets.iter().rev().find(|s| {
            under(&full_key, &s.key) || named_key.as_deref().is_some_and(|k| under(k, &s.key))
        });
        // Of the files that do not hold the key, the one holding the deepest part of
        // it (the list `master.sidecars[0]` lives in, not a later file's `master:`),
        // the later file of two as deep: where the value would go.
        let mut nearest: Option<(usize, Found)> = None;
        for (doc, lookup, key_here, parent_key) in &files {
            let Some(root) = doc.read() else {
                continue;
            };
            let Some((pos, held, named)) = locate_key_naming(&root, lookup) else {
                continue;
            };
            // The key as the chart reads it, with a map's item named by its key.
            // (`key_here` ends `lookup`, whose prefix, a subchart's name or a file's
            // `under`, has no item to rename.)
            let key_here = match named != *lookup {
                true => named
                    .get(lookup.len() - key_here.len()..)
                    .unwrap_or(&named)
                    .to_string(),
                false => key_here.clone(),
            };
            let found = Found {
                source: ValueSource {
                    key: key_here.clone(),
                    location: at(&doc.shown(), pos),
                    set: held.is_some(),
                    parent_key: parent_key.clone(),
                },
                held,
            };
            match (&found.held, filled) {
                (Some(Held::Block | Held::List(_)), _) => return found,
                // A scalar or an empty block the --set under it replaced or filled.
                (Some(_), Some(set)) => return filled_by(set, &full_key),
                (Some(_), None) => return found,
                (None, _) => {}
            }
            let depth = depth_present(&root, lookup);
            if nearest.as_ref().is_none_or(|(deepest, _)| depth > *deepest) {
                nearest = Some((depth, found));
            }
        }
        if let Some(set) = filled {
            return filled_by(set, &full_key);
        }
        nearest.map(|(_, found)| found).unwrap_or_else(|| Found {
            source: ValueSource {
                key: full_key,
                location: at(&self.dir.join("values.yaml"), Pos::new(1, 1)),
                set: false,
                parent_key: None,
            },
            held: None,
        })
    }
}

/// A value given on the command line: its location is the flag and key (line 0), not
/// the value, which may be a secret (`--set db.password=...`).
fn from_set(set: &SetValue) -> Found {
    let held = if set.value.starts_with('{') {
        Held::Block
    } else {
        Held::Scalar(set.value.clone())
    };
    Found {
        source: ValueSource {
            key: set.key.clone(),
            location: Location {
                file: format!("--set {}", set.key).into(),
                line: 0,
                column: 0,
            },
            set: true,
            parent_key: None,
        },
        held: Some(held),
    }
}

/// `key`, a block a `--set` of a key under it (`set`) filled: named by that flag.
fn filled_by(set: &SetValue, key: &str) -> Found {
    let mut found = from_set(set);
    found.held = Some(Held::Block);
    found.source.key = key.to_string();
    found
}

fn at(file: &Path, pos: Pos) -> Location {
    Location {
        file: crate::helm_map::shown(file).into(),
        line: pos.line,
        column: pos.col,
    }
}

/// A chart's `values.yaml`: a file, or the one of a subchart vendored as an archive
/// (`charts/cache-1.0.0.tgz`), at `inside` it (`values.yaml`, or a subchart's unpacked
/// in the archive: `charts/sub/values.yaml`).
#[derive(Clone, Debug)]
enum ValuesDoc {
    File(PathBuf),
    Archived { archive: PathBuf, inside: String },
}

impl ValuesDoc {
    /// The `values.yaml` of the subchart helm calls `name` in this chart.
    fn subchart(&self, name: &str) -> ValuesDoc {
        match self {
            ValuesDoc::File(values) => {
                let chart = values.parent().unwrap_or(Path::new("."));
                let dir = subchart_dir(chart, name);
                if dir.is_dir() {
                    return ValuesDoc::File(dir.join("values.yaml"));
                }
                let source = format!("chart/charts/{name}/values.yaml");
                match crate::chart::archived(chart, &source) {
                    Some((archive, inside)) => ValuesDoc::Archived { archive, inside },
                    None => ValuesDoc::File(dir.join("values.yaml")),
                }
            }
            ValuesDoc::Archived { archive, inside } => {
                let folder = inside.trim_end_matches("values.yaml");
                ValuesDoc::Archived {
                    archive: archive.clone(),
                    inside: format!("{folder}charts/{name}/values.yaml"),
                }
            }
        }
    }

    fn read(&self) -> Option<Node> {
        match self {
            ValuesDoc::File(path) => first_document(path),
            ValuesDoc::Archived { archive, inside } => {
                let text = crate::archive::read_template(archive, inside)?;
                crate::first_document_of(&text)
            }
        }
    }

    /// The file as findings name it: an archive's as a path in it.
    fn shown(&self) -> PathBuf {
        match self {
            ValuesDoc::File(path) => path.clone(),
            ValuesDoc::Archived { archive, inside } => archive.join(inside),
        }
    }
}

/// How many steps of `key` (dotted, with list items `[i]`) a values document holds:
/// `master.sidecars[0].securityContext` is 3 deep where the document has the list's
/// first item but no `securityContext` in it.
fn depth_present(doc: &Node, key: &str) -> usize {
    let mut node = doc;
    let mut depth = 0;
    for part in key.split('.') {
        let mut pieces = part.split('[');
        let Some(entry) = node.entry(pieces.next().unwrap_or_default()) else {
            return depth;
        };
        node = &entry.value;
        depth += 1;
        for index in pieces {
            let k = index.trim_end_matches(']').parse::<usize>().ok();
            let next = match &node.value {
                kubeharden_yaml::Value::Map(_) => {
                    let mut keys: Vec<&kubeharden_yaml::Entry> = node.entries().iter().collect();
                    keys.sort_by(|a, b| a.key.scalar_text().cmp(&b.key.scalar_text()));
                    k.and_then(|k| keys.get(k)).map(|e| &e.value)
                }
                _ => k.and_then(|k| node.items().get(k)),
            };
            let Some(next) = next else {
                return depth;
            };
            node = next;
            depth += 1;
        }
    }
    depth
}

/// The position of `key` (dotted) in a values document and what it holds there, or
/// (`None` held) the position of its deepest parent that is there.
/// And the key as the document names it: the `k`th item of a mapping a `range` walks
/// (helm walks a map's keys in sorted order) is its key, `sidecars.beta` for
/// `sidecars[1]`.
fn locate_key_naming(doc: &Node, key: &str) -> Option<(Pos, Option<Held>, String)> {
    let mut node: &Node = doc;
    let mut at = None;
    let mut named: Vec<String> = Vec::new();
    let parts: Vec<&str> = key.split('.').collect();
    for (depth, part) in parts.iter().enumerate() {
        // `containers[1]`: an item of a list value, as a `toYaml` of it renders it.
        let mut pieces = part.split('[');
        let name = pieces.next().unwrap_or_default();
        let Some(entry) = node.entry(name) else {
            if let (Some(pos), Some(text)) = (at, node.scalar_text().filter(|_| depth > 0)) {
                return Some(inside_string(text, &parts[depth..].join("."), pos, named));
            }
            // Unset: named as far as it is there (`workers.alpha`, not `workers[0]`).
            return at.map(|pos| (pos, None, named_so_far(&named, &parts[depth..])));
        };
        at = Some(entry.key.pos);
        node = &entry.value;
        let mut segment = name.to_string();
        for index in pieces {
            let k = index.trim_end_matches(']').parse::<usize>().ok();
            if let (Some(k), kubeharden_yaml::Value::Map(_)) = (k, &node.value) {
                let mut keys: Vec<&kubeharden_yaml::Entry> = node.entries().iter().collect();
                keys.sort_by(|a, b| a.key.scalar_text().cmp(&b.key.scalar_text()));
                let Some(entry) = keys.get(k) else {
                    return at.map(|pos| (pos, None, key.to_string()));
                };
                segment.push('.');
                segment.push_str(entry.key.scalar_text().unwrap_or_default());
                at = Some(entry.key.pos);
                node = &entry.value;
                continue;
            }
            let Some(item) = k.and_then(|i| node.items().get(i)) else {
                return at.map(|pos| (pos, None, key.to_string()));
            };
            segment.push_str(&format!("[{}]", k.unwrap_or_default()));
            at = Some(item.pos);
            node = item;
        }
        named.push(segment);
    }
    let held = match node.scalar() {
        // Null prints as nothing, as helm renders a missing value.
        Some(_) => Held::Scalar(node.scalar_text().unwrap_or_default().to_string()),
        None if node.items().is_empty() && node.entries().is_empty() => Held::Empty,
        None if !node.items().is_empty() => Held::List(node.items().len()),
        None => Held::Block,
    };
    at.map(|pos| (pos, Some(held), named.join(".")))
}

/// A key named by the items found so far, and the rest of it as the template reads it.
fn named_so_far(named: &[String], rest: &[&str]) -> String {
    let named = named.iter().map(String::as_str);
    named
        .chain(rest.iter().copied())
        .collect::<Vec<_>>()
        .join(".")
}

/// A key under a value that is a string of YAML (`sidecarSecurity: "privileged:
/// true"`, printed by `tpl .Values.sidecarSecurity .`): the string's key names it,
/// holding what the YAML holds at `rest`, or, when the YAML lacks it, a block that
/// is to be changed there (no key can be set under a string).
fn inside_string(
    text: &str,
    rest: &str,
    pos: Pos,
    named: Vec<String>,
) -> (Pos, Option<Held>, String) {
    let inner = crate::first_document_of(text).and_then(|doc| locate_key_naming(&doc, rest));
    let held = match inner {
        Some((_, Some(held), _)) => held,
        _ => Held::Block,
    };
    (pos, Some(held), named.join("."))
}

/// `FILE:LINE`, or the argument of a value given on the command line.
pub(crate) fn place(location: &Location) -> String {
    match location.line {
        0 => location.file.to_string(),
        line => format!("{}:{line}", location.file),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_arguments_split_as_helm_splits_them() {
        let pairs = parse_set("a.b=1,c={x,y},d=e\\,f").unwrap();
        let keys: Vec<(&str, &str)> = pairs
            .iter()
            .map(|p| (p.key.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(keys, [("a.b", "1"), ("c", "{x,y}"), ("d", "e\\,f")]);
        assert_eq!(parse_set("image.tag"), Err("image.tag".to_string()));
        assert_eq!(parse_set("a=1, =secret"), Err(" =...".to_string()));
        assert!(parse_set("a=1,b").is_err());
    }

    #[test]
    fn set_wins_then_the_last_values_file_then_the_parent_then_the_subchart() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let write = |f: &str, t: &str| {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, t).unwrap();
        };
        write("values.yaml", "cache:\n  a: parent\nglobal:\n  g: 1\n");
        write("charts/cache/Chart.yaml", "name: cache\n");
        write("charts/cache/values.yaml", "a: own\nb: own\n");
        write("mine.yaml", "cache:\n  b: mine\n");
        let files = [ValuesFile::from(&d.join("mine.yaml"))];
        let sets = parse_set("cache.a=cli").unwrap();
        let sub = ["cache".to_string()];
        let values = Values {
            dir: d,
            files: &files,
            sets: &sets,
        };
        let held = |key: &str| values.find(&sub, key).held;
        assert_eq!(held("a"), Some(Held::Scalar("cli".into())));
        assert_eq!(
            values.find(&sub, "a").source.location.file.as_ref(),
            "--set cache.a"
        );
        assert_eq!(held("b"), Some(Held::Scalar("mine".into())));
        assert_eq!(held("global.g"), Some(Held::Scalar("1".into())));
        // A default of the subchart's own values.yaml names the parent's key for it.
        write(
            "charts/cache/values.yaml",
            "a: own\nb: own\nglobal:\n  h: 2\n",
        );
        let own = values.find(&sub, "global.h").source;
        assert_eq!(own.parent_key.as_deref(), Some("global.h"));
        assert_eq!(
            values.find(&sub, "b").source.parent_key,
            None,
            "set in mine.yaml"
        );
        assert_eq!(
            values.find(&sub, "global.g").source.parent_key,
            None,
            "the parent's own"
        );
        // A --set under an empty block fills it; a key that only starts alike does not.
        write("empty.yaml", "sc: {}\nother: {}\n");
        let empty = [ValuesFile::from(&d.join("empty.yaml"))];
        let sets = parse_set("sc.runAsUser=0").unwrap();
        let values = Values {
            dir: d,
            files: &empty,
            sets: &sets,
        };
        let sc = values.find(&[], "sc");
        assert_eq!(sc.held, Some(Held::Block));
        assert_eq!(sc.source.location.file.as_ref(), "--set sc.runAsUser");
        assert_eq!(values.find(&[], "other").held, Some(Held::Empty));
        assert_eq!(values.find(&[], "s").held, None);
        let unset = values.find(&[], "sc.runAsUser");
        assert_eq!(unset.held, Some(Held::Scalar("0".into())));
        let none = Values {
            dir: d,
            files: &[],
            sets: &[],
        };
        assert_eq!(
            none.find(&sub, "a").held,
            Some(Held::Scalar("parent".into()))
        );
        assert_eq!(none.find(&sub, "b").held, Some(Held::Scalar("own".into())));
        assert_eq!(none.find(&sub, "c").held, None);
        write(
            "lists.yaml",
            "extra:\n  - name: a\n  - name: b\n    privileged: true\n",
        );
        let lists = [ValuesFile::from(&d.join("lists.yaml"))];
        let values = Values {
            dir: d,
            files: &lists,
            sets: &[],
        };
        let item = values.find(&[], "extra[1].privileged");
        assert_eq!(item.held, Some(Held::Scalar("true".into())));
        assert_eq!(item.source.location.line, 4);
        let missing = values.find(&[], "extra[0].privileged");
        assert_eq!((missing.held, missing.source.location.line), (None, 2));
    }

    /// A map a `range` walks is walked in sorted order of its keys: a field unset
    /// under its `k`th item is named under that item's key, not by an index.
    #[test]
    fn a_field_unset_under_a_maps_item_is_named_by_the_items_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("values.yaml");
        std::fs::write(
            &file,
            "workers:\n  zeta:\n    securityContext:\n      runAsNonRoot: true\n  alpha:\n    image: a\n",
        )
        .unwrap();
        let files = [ValuesFile::from(&file)];
        let values = Values {
            dir: dir.path(),
            files: &files,
            sets: &[],
        };
        let alpha = values.find(&[], "workers[0].securityContext.runAsNonRoot");
        assert_eq!(alpha.held, None);
        assert_eq!(
            alpha.source.key,
            "workers.alpha.securityContext.runAsNonRoot"
        );
        assert_eq!(alpha.source.location.line, 5);
        let zeta = values.find(&[], "workers[1].securityContext.runAsUser");
        assert_eq!(zeta.source.key, "workers.zeta.securityContext.runAsUser");
        assert_eq!(zeta.source.location.line, 3);
    }
}
