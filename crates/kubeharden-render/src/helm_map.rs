//! A finding of a chart's rendered object, mapped back to the template line that
//! wrote the field and to the chart value behind it (docs/source-mapping.md).
//!
//! - The file: Helm's `# Source: CHART/templates/x.yaml` comment, under the chart's
//!   folder (`CHART/charts/SUB/templates/x.yaml` for a subchart).
//! - The line: the keys of the finding's field path are looked for in the template
//!   in order, each deeper than the one before: the deepest found is the line. Where
//!   the rest of the path is written by `toYaml .Values.X` (or `toYaml .` inside
//!   `with .Values.X`), that line is the place, and `X.rest.of.path` the value.
//! - The value: a line's own `.Values.X`, else the `toYaml` block's; looked up in the
//!   `--values` files (the last that sets it wins), then the chart's `values.yaml` (a
//!   subchart's value under its name in the parent's, then in its own).

use std::path::{Path, PathBuf};

use kubeharden_findings::{Finding, Location, ValueSource};
use kubeharden_load::Object;
use kubeharden_yaml::{parse_chunk, split_documents, FieldPath, Limits, Node, Seg};

use crate::SourceMap;

pub(crate) struct HelmMap {
    /// The chart's folder, as reports name it.
    pub dir: PathBuf,
    /// The `--values` files, the values set's last.
    pub values: Vec<PathBuf>,
    /// The values set's name, if any.
    pub variant: Option<String>,
}

/// Where in a template a field was written.
#[derive(Debug, PartialEq, Eq)]
struct TemplatePlace {
    line: u32,
    column: u32,
    /// The chart value behind it, as a dotted key.
    value: Option<String>,
}

impl SourceMap for HelmMap {
    fn map(&self, object: &Object, finding: &mut Finding) {
        let Some(source) = object.helm_source.as_deref() else {
            return;
        };
        // `CHART/templates/x.yaml`: the chart's name, then the path in its folder.
        let Some((_, inside)) = source.split_once('/') else {
            return;
        };
        let template = self.dir.join(inside);
        let Ok(text) = std::fs::read_to_string(&template) else {
            return;
        };
        let path = FieldPath::parse(&finding.path);
        let place = place_in_template(&text, &path);
        let rendered = std::mem::replace(
            &mut finding.location,
            Location {
                file: shown(&template).into(),
                line: place.line,
                column: place.column,
            },
        );
        finding.rendered = Some(rendered);
        if let Some(key) = place.value {
            let value = self.find_value(inside, &key);
            finding.message.push_str(&match value.set {
                true => format!(
                    "; set by the chart value {} ({}:{}): change it there",
                    value.key, value.location.file, value.location.line
                ),
                false => format!(
                    "; comes from the chart value {}, not set: set it in {} (under line {})",
                    value.key, value.location.file, value.location.line
                ),
            });
            finding.value = Some(Box::new(value));
        }
        if let Some(variant) = &self.variant {
            finding
                .message
                .push_str(&format!(" [values-set {variant}]"));
        }
    }
}

impl HelmMap {
    /// Where `key` is set for the template at `inside` (`templates/x.yaml`, or
    /// `charts/SUB/templates/x.yaml`): the user's files first, the last one winning,
    /// then the parent chart's values.yaml, then the subchart's own.
    fn find_value(&self, inside: &str, key: &str) -> ValueSource {
        let subcharts: Vec<&str> = subchart_names(inside);
        let full_key = subcharts
            .iter()
            .copied()
            .chain(std::iter::once(key))
            .collect::<Vec<_>>()
            .join(".");
        let mut files: Vec<(PathBuf, String)> = self
            .values
            .iter()
            .rev()
            .map(|f| (f.clone(), full_key.clone()))
            .collect();
        // Each chart's values.yaml, the parent's first, the key as each chart sees it.
        let mut dir = self.dir.clone();
        for depth in 0..=subcharts.len() {
            let key_here = subcharts[depth..]
                .iter()
                .copied()
                .chain(std::iter::once(key))
                .collect::<Vec<_>>()
                .join(".");
            files.push((dir.join("values.yaml"), key_here));
            if let Some(sub) = subcharts.get(depth) {
                dir = dir.join("charts").join(sub);
            }
        }
        let mut nearest: Option<ValueSource> = None;
        for (file, key_here) in &files {
            let Some((pos, set)) = locate_key(file, key_here) else {
                continue;
            };
            let found = ValueSource {
                key: key_here.clone(),
                location: Location {
                    file: shown(file).into(),
                    line: pos.line,
                    column: pos.col,
                },
                set,
            };
            if set {
                return found;
            }
            nearest.get_or_insert(found);
        }
        nearest.unwrap_or_else(|| ValueSource {
            key: full_key,
            location: Location {
                file: shown(&self.dir.join("values.yaml")).into(),
                line: 1,
                column: 1,
            },
            set: false,
        })
    }
}

/// `["cache"]` for `charts/cache/templates/x.yaml`.
fn subchart_names(inside: &str) -> Vec<&str> {
    let parts: Vec<&str> = inside.split('/').collect();
    let mut names = Vec::new();
    let mut i = 0;
    while i + 1 < parts.len() && parts[i] == "charts" {
        names.push(parts[i + 1]);
        i += 2;
    }
    names
}

/// The line and column of `key` (dotted) in a values file, and whether it is set
/// there (`false`: the deepest parent that is).
fn locate_key(file: &Path, key: &str) -> Option<(kubeharden_yaml::Pos, bool)> {
    let text = std::fs::read_to_string(file).ok()?;
    let chunk = split_documents(&text).into_iter().next()?;
    let doc = parse_chunk(chunk, &Limits::default())
        .into_iter()
        .next()?
        .ok()?;
    let mut node: &Node = &doc.root;
    let mut at = None;
    for part in key.split('.') {
        match node.entry(part) {
            Some(entry) => {
                at = Some(entry.key.pos);
                node = &entry.value;
            }
            None => return at.map(|pos| (pos, false)),
        }
    }
    at.map(|pos| (pos, true))
}

/// The path as the user would type it (no leading `./`).
fn shown(path: &Path) -> String {
    path.display()
        .to_string()
        .trim_start_matches("./")
        .to_string()
}

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

/// Where the field at `path` was written in `template` (1-based line and column).
fn place_in_template(template: &str, path: &FieldPath) -> TemplatePlace {
    let lines: Vec<&str> = template.lines().collect();
    let keys: Vec<&str> = path
        .segments()
        .iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(&**k),
            Seg::Index(_) => None,
        })
        .collect();
    // The deepest key of the path found in order, each deeper than the last.
    let mut matched = 0;
    let mut at: Option<(usize, usize)> = None; // (line index, indent)
    let mut next = 0;
    'keys: for key in &keys {
        for (i, line) in lines.iter().enumerate().skip(next) {
            let Some((indent, found)) = key_of(line) else {
                continue;
            };
            if at.is_some_and(|(_, parent)| indent <= parent) {
                break 'keys; // left the parent's block
            }
            if found == *key {
                at = Some((i, indent));
                matched += 1;
                next = i + 1;
                continue 'keys;
            }
        }
        break;
    }
    let Some((line, indent)) = at else {
        return TemplatePlace {
            line: 1,
            column: 1,
            value: None,
        };
    };
    let place = |i: usize, column: usize, value: Option<String>| TemplatePlace {
        line: i as u32 + 1,
        column: column as u32 + 1,
        value,
    };
    let rest = keys[matched..].join(".");
    if rest.is_empty() {
        return place(line, indent, values_key(lines[line]));
    }
    // The rest of the path is written by a `toYaml` block that is this key's
    // content: before any key of its own.
    for (i, text) in lines.iter().enumerate().skip(line + 1) {
        if key_of(text).is_some() {
            break;
        }
        if let Some(block) = to_yaml_value(&lines, i) {
            let column = text.find("{{").unwrap_or(0);
            return place(i, column, Some(format!("{block}.{rest}")));
        }
    }
    place(
        line,
        indent,
        values_key(lines[line]).map(|k| format!("{k}.{rest}")),
    )
}

/// The `.Values.X` a line reads, as `X`.
fn values_key(line: &str) -> Option<String> {
    let at = line.find(".Values.")?;
    let key: String = line[at + ".Values.".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .collect();
    let key = key.trim_end_matches('.');
    (!key.is_empty()).then(|| key.to_string())
}

/// The value a `toYaml` on line `i` prints: `toYaml .Values.X`, or `toYaml .` inside
/// `with .Values.X`.
fn to_yaml_value(lines: &[&str], i: usize) -> Option<String> {
    let line = lines[i];
    let at = line.find("toYaml")?;
    let arg = line[at + "toYaml".len()..].trim_start();
    if arg.starts_with(".Values.") || arg.starts_with("$.Values.") {
        return values_key(arg);
    }
    if arg.starts_with(". ") || arg.starts_with(".}") || arg == "." {
        return lines[..i]
            .iter()
            .rev()
            .find(|l| l.contains("with ") && l.contains(".Values."))
            .and_then(|l| values_key(l));
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
                value: Some("hostNetwork".into())
            }
        );
    }

    #[test]
    fn a_to_yaml_block_names_the_value_under_it() {
        let place = at("spec.template.spec.containers[0].securityContext.runAsNonRoot");
        assert_eq!((place.line, place.column), (10, 13));
        assert_eq!(place.value.as_deref(), Some("securityContext.runAsNonRoot"));
        let place = at("spec.template.spec.nodeSelector.zone");
        assert_eq!(
            (place.line, place.value.as_deref()),
            (14, Some("nodeSelector.zone"))
        );
    }

    #[test]
    fn a_field_the_template_does_not_write_is_its_nearest_parent() {
        let place = at("spec.template.spec.containers[0].resources.limits");
        assert_eq!((place.line, place.column, place.value), (7, 7, None));
    }

    #[test]
    fn subcharts_are_named_from_the_source_path() {
        assert_eq!(
            subchart_names("charts/cache/charts/x/templates/a.yaml"),
            ["cache", "x"]
        );
        assert!(subchart_names("templates/a.yaml").is_empty());
    }
}
