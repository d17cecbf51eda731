//! The charts an overlay inflates (`helmCharts:`), mapped as charts are.
//!
//! kustomize prints no `# Source:` comments, so each chart is rendered once more
//! with `helm template`, with the entry's release name, namespace and values, to learn
//! which template made each object (by kind and name). A finding of such an object
//! then goes through the chart's own mapping (helm_map.rs), with the values the entry
//! gives: `valuesFile`, `additionalValuesFiles`, then `valuesInline`, located at its
//! line in the kustomization.

use std::path::{Path, PathBuf};

use kubeharden_findings::Finding;
use kubeharden_load::kustomize::chart_home;
use kubeharden_load::Object;
use kubeharden_yaml::{parse_chunk, split_documents, Limits, Node, Resolved, Value};

use crate::helm_map::HelmMap;
use crate::helm_values::ValuesFile;
use crate::tool::run;

/// A chart an overlay inflates, and the objects it renders.
pub(crate) struct InflatedChart {
    map: HelmMap,
    objects: Vec<Rendered>,
}

/// An object helm rendered: its kind, name and template, and its place among that
/// template's objects of its kind.
pub(crate) struct Rendered {
    kind: String,
    name: String,
    source: String,
    n: usize,
}

/// The release name kustomize gives a chart entry without one.
const DEFAULT_RELEASE: &str = "release-name";

/// The charts the overlay in `dir` (or a kustomization it uses) inflates, each
/// rendered with `helm`. A chart that is not on disk, or that helm does not render
/// alone, is left out: its objects stay at the rendered text.
pub(crate) fn inflated_charts(dir: &Path, helm: &Path, max_output: u64) -> Vec<InflatedChart> {
    crate::kustomize::kustomizations(dir)
        .iter()
        .flat_map(|file| charts_of(file, helm, max_output))
        .collect()
}

/// The folders of the charts the overlay in `dir` (or one it uses) inflates.
pub(crate) fn chart_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for file in crate::kustomize::kustomizations(dir) {
        let (Some(home), Some(root)) = (chart_home(&file), crate::first_document(&file)) else {
            continue;
        };
        for entry in root.get("helmCharts").map(Node::items).unwrap_or_default() {
            let text = |key: &str| entry.get(key).and_then(Node::scalar_text);
            dirs.extend(text("name").and_then(|name| chart_dir(&home, name, text("version"))));
        }
    }
    dirs
}

/// The charts one kustomization inflates.
fn charts_of(file: &Path, helm: &Path, max_output: u64) -> Vec<InflatedChart> {
    let (Some(home), Some(root)) = (chart_home(file), crate::first_document(file)) else {
        return Vec::new();
    };
    let entries = root.get("helmCharts").map(Node::items).unwrap_or_default();
    entries
        .iter()
        .enumerate()
        .filter_map(|(i, entry)| inflate(file, &home, i, entry, helm, max_output))
        .collect()
}

/// The chart of entry `i` of `helmCharts:` in the kustomization `file`, rendered.
fn inflate(
    file: &Path,
    home: &Path,
    i: usize,
    entry: &Node,
    helm: &Path,
    max_output: u64,
) -> Option<InflatedChart> {
    let text = |key: &str| entry.get(key).and_then(Node::scalar_text);
    let chart = chart_dir(home, text("name")?, text("version"))?;
    let kustomization_dir = file.parent()?;
    let mut values: Vec<ValuesFile> = text("valuesFile")
        .into_iter()
        .chain(
            entry
                .get("additionalValuesFiles")
                .map_or(&[][..], Node::items)
                .iter()
                .filter_map(Node::scalar_text),
        )
        .map(|f| (&kustomization_dir.join(f)).into())
        .collect();
    let inline = entry.get("valuesInline");
    if inline.is_some() {
        values.push(ValuesFile {
            path: file.to_path_buf(),
            under: Some(format!("helmCharts[{i}].valuesInline")),
        });
    }
    let release = text("releaseName").unwrap_or(DEFAULT_RELEASE);
    let rendered = render(
        helm,
        &chart,
        release,
        text("namespace"),
        &values,
        inline,
        max_output,
    )?;
    Some(InflatedChart {
        map: HelmMap {
            dir: chart,
            values,
            sets: Vec::new(),
            variant: None,
            documents: Vec::new(),
            defines: Default::default(),
        },
        objects: rendered,
    })
}

/// The chart's folder: `HOME/NAME`, or where kustomize puts a pulled chart
/// (`HOME/NAME-VERSION/NAME`).
fn chart_dir(home: &Path, name: &str, version: Option<&str>) -> Option<PathBuf> {
    let plain = home.join(name);
    let pulled = version.map(|v| home.join(format!("{name}-{v}")).join(name));
    [Some(plain), pulled]
        .into_iter()
        .flatten()
        .find(|dir| dir.join("Chart.yaml").is_file())
}

/// `helm template` of the chart, as kustomize runs it: the objects it rendered.
fn render(
    helm: &Path,
    chart: &Path,
    release: &str,
    namespace: Option<&str>,
    values: &[ValuesFile],
    inline: Option<&Node>,
    max_output: u64,
) -> Option<Vec<Rendered>> {
    let mut args = vec![
        "template".to_string(),
        release.to_string(),
        chart.display().to_string(),
    ];
    if let Some(ns) = namespace {
        args.extend(["--namespace".to_string(), ns.to_string()]);
    }
    for file in values.iter().filter(|f| f.under.is_none()) {
        args.extend(["--values".to_string(), file.path.display().to_string()]);
    }
    // Inline values go to helm as a file of JSON (which is YAML), removed after.
    static RENDERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let inline_file = inline.map(|node| {
        let nth = RENDERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("kubeharden-values-{}-{nth}.json", std::process::id());
        let path = std::env::temp_dir().join(name);
        (std::fs::write(&path, json(node)).is_ok(), path)
    });
    if let Some((true, path)) = &inline_file {
        args.extend(["--values".to_string(), path.display().to_string()]);
    }
    let output = run(helm, &args, max_output);
    if let Some((_, path)) = inline_file {
        let _ = std::fs::remove_file(path);
    }
    Some(objects(&output.ok()?))
}

/// The objects of helm's output: kind, name, template, and place among the
/// template's objects of that kind.
fn objects(text: &str) -> Vec<Rendered> {
    let mut out: Vec<Rendered> = Vec::new();
    for chunk in split_documents(text) {
        for doc in parse_chunk(chunk, &Limits::default()).into_iter().flatten() {
            let (Some(source), Some(kind)) = (doc.helm_source, doc.root.get("kind")) else {
                continue;
            };
            let kind = kind.scalar_text().unwrap_or_default().to_string();
            let name = doc.root.get("metadata").and_then(|m| m.get("name"));
            let name = name
                .and_then(Node::scalar_text)
                .unwrap_or_default()
                .to_string();
            let n = out
                .iter()
                .filter(|o| o.source == source && o.kind == kind)
                .count();
            out.push(Rendered {
                kind,
                name,
                source,
                n,
            });
        }
    }
    out
}

/// A node as JSON text.
fn json(node: &Node) -> String {
    match &node.value {
        Value::Map(entries) => {
            let fields: Vec<String> = entries
                .iter()
                .map(|e| {
                    format!(
                        "{}:{}",
                        quoted(e.key.scalar_text().unwrap_or_default()),
                        json(&e.value)
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Seq(items) => {
            let items: Vec<String> = items.iter().map(json).collect();
            format!("[{}]", items.join(","))
        }
        Value::Scalar(scalar) => match scalar.resolve() {
            Resolved::Null => "null".to_string(),
            Resolved::Bool(b) => b.to_string(),
            Resolved::Int(i) => i.to_string(),
            Resolved::Float(f) if f.is_finite() => f.to_string(),
            Resolved::Float(_) | Resolved::Str(_) => quoted(&scalar.text),
        },
    }
}

/// A JSON string.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl InflatedChart {
    /// What this chart rendered that became `object`, if anything.
    pub(crate) fn made(&self, object: &Object) -> Option<&Rendered> {
        self.objects
            .iter()
            .filter(|o| o.kind == object.resource.kind && object.resource.name.contains(&o.name))
            .max_by_key(|o| o.name.len())
    }

    /// Maps `finding` of `object` if this chart rendered it (its kind, and a name
    /// the rendered one contains, the longest: kustomize adds prefixes and suffixes).
    pub(crate) fn map(&self, object: &Object, finding: &mut Finding) -> bool {
        let Some(made) = self.made(object) else {
            return false;
        };
        let names: Vec<String> = self
            .objects
            .iter()
            .filter(|o| o.source == made.source && o.kind == made.kind)
            .map(|o| o.name.clone())
            .collect();
        let which = crate::helm_map::Made {
            names: &names,
            n: made.n,
        };
        self.map.map_at(object, &made.source, &which, finding);
        finding.rendered.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_values_are_written_as_json() {
        let chunk = split_documents("a: {b: [1, x, \"q\\\"\", null, true]}\n")
            .into_iter()
            .next()
            .unwrap();
        let doc = parse_chunk(chunk, &Limits::default())
            .into_iter()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(
            json(&doc.root),
            "{\"a\":{\"b\":[1,\"x\",\"q\\\"\",null,true]}}"
        );
    }
}
