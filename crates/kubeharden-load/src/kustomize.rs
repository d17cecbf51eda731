//! Kustomize patches: partial objects that only make sense once merged into their
//! base. Judged on their own, a patch that sets one image looks like a workload with
//! no security context at all, so they are recognised and left to the rendered
//! overlay (`kustomize build`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use kubeharden_yaml::{parse_chunk, split_documents, FieldPath, Limits, Node};

use crate::object::Object;
use crate::workload::WORKLOAD_KINDS;

/// The names Kustomize looks for in a folder.
pub(crate) const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// How many folders up a kustomization may sit and still list a patch, when it is not
/// among the scan's inputs (`../patch.yaml` from an overlay is common).
const SEARCH_DEPTH: usize = 6;

/// Why `object` is not a complete object to judge, if it is not:
/// - its file is listed as a patch by a kustomization in its folder or above;
/// - or it is a workload whose pod template has containers without an image, which
///   the API server never accepts, so it can only be a fragment to merge (unless a
///   chart or an overlay rendered it: that is final).
pub fn partial_reason(object: &Object) -> Option<String> {
    let path = Path::new(&*object.file);
    if let Some(kustomization) = listing_kustomization(path) {
        // Named as the user would: relative to where they run the scan.
        let cwd = std::env::current_dir()
            .ok()
            .and_then(|d| std::fs::canonicalize(d).ok());
        let shown = cwd
            .and_then(|d| kustomization.strip_prefix(d).ok().map(Path::to_path_buf))
            .unwrap_or(kustomization);
        return Some(format!(
            "a Kustomize patch listed in {}: judged once merged (kustomize build)",
            shown.display()
        ));
    }
    // What helm or kustomize rendered is final, never merged later: judged as it is
    // (a `--set list[0].x=y` that replaced a whole list of containers leaves one
    // without an image, and the others must not go unjudged).
    let rendered = [" (helm template", " (kustomize build"]
        .iter()
        .any(|command| object.file.contains(command));
    if !rendered && has_imageless_container(object) {
        return Some(
            "a partial object (containers without an image, as in a Kustomize patch): judged once merged"
                .to_string(),
        );
    }
    None
}

/// A workload whose pod template lists a container without an image.
fn has_imageless_container(object: &Object) -> bool {
    let res = &object.resource;
    let group = res.api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let Some((_, _, template)) = WORKLOAD_KINDS
        .iter()
        .find(|(kind, groups, _)| *kind == res.kind && groups.contains(&group))
    else {
        return false;
    };
    let spec_path = match *template {
        "" => FieldPath::parse("spec"),
        t => FieldPath::parse(t).key("spec"),
    };
    let spec = spec_path
        .segments()
        .iter()
        .try_fold(&object.root, |node, seg| match seg {
            kubeharden_yaml::Seg::Key(k) => node.get(k),
            kubeharden_yaml::Seg::Index(i) => node.items().get(*i),
        });
    let Some(spec) = spec else {
        return false;
    };
    ["containers", "initContainers"].iter().any(|list| {
        spec.get(list)
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            // A container of a patch is a mapping without `image`; anything else in
            // the list is a mistake, read (and reported) as one.
            .any(|c| matches!(c.value, kubeharden_yaml::Value::Map(_)) && c.get("image").is_none())
    })
}

/// Patches listed by the kustomizations among a scan's inputs, whatever folder they
/// sit in (`../../shared/patches/x.yaml`): patch file -> the kustomization.
fn listed() -> &'static Mutex<HashMap<PathBuf, PathBuf>> {
    static LISTED: OnceLock<Mutex<HashMap<PathBuf, PathBuf>>> = OnceLock::new();
    LISTED.get_or_init(Default::default)
}

/// Reads the kustomizations among `files` (a scan's inputs), so that the patches they
/// list are known wherever they are. Kept for the process: a scan reads each once.
pub fn index<'p>(files: impl IntoIterator<Item = &'p Path>) {
    for file in files {
        let is_kustomization = file
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| KUSTOMIZATION_FILES.contains(&n));
        let Some(kustomization) = is_kustomization
            .then(|| std::fs::canonicalize(file).ok())
            .flatten()
        else {
            continue;
        };
        let patches = patches_of(&kustomization);
        let mut known = listed().lock().unwrap_or_else(|e| e.into_inner());
        for patch in patches.iter() {
            known.insert(patch.clone(), kustomization.clone());
        }
    }
}

/// The kustomization that lists `file` as a patch: one of the scan's, or one in its
/// folder or the folders above it.
pub fn listing_kustomization(file: &Path) -> Option<PathBuf> {
    let file = std::fs::canonicalize(file).ok()?;
    if let Some(k) = listed()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&file)
    {
        return Some(k.clone());
    }
    file.ancestors()
        .skip(1)
        .take(SEARCH_DEPTH)
        .flat_map(|dir| KUSTOMIZATION_FILES.iter().map(move |n| dir.join(n)))
        .find(|k| patches_of(k).contains(&file))
}

/// The patch files a kustomization lists, resolved; read once per kustomization.
fn patches_of(kustomization: &Path) -> Arc<Vec<PathBuf>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Vec<PathBuf>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(known) = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(kustomization)
    {
        return known.clone();
    }
    let patches = Arc::new(read_patches(kustomization));
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(kustomization.to_path_buf(), patches.clone());
    patches
}

/// The kustomization file of `dir`, if it has one.
pub fn kustomization_in(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// The top-level tree of a kustomization file (`None` when it cannot be read).
fn read_kustomization(kustomization: &Path) -> Option<kubeharden_yaml::Document> {
    let text = std::fs::read_to_string(kustomization).ok()?;
    let chunk = split_documents(&text).into_iter().next()?;
    parse_chunk(chunk, &Limits::default())
        .into_iter()
        .next()?
        .ok()
}

/// Everything a kustomization names on disk, resolved: resources and bases (files,
/// or folders of other kustomizations), components, patches of every form, generator
/// files, replacements, CRDs, configurations and plugin configs. What does not exist
/// (a remote resource, a typo) is left out: `kustomize build` reports it.
/// The folder a kustomization with `helmCharts:` inflates its charts from
/// (`helmGlobals.chartHome`, by default `charts/` beside it); none without charts.
pub fn chart_home(kustomization: &Path) -> Option<PathBuf> {
    let doc = read_kustomization(kustomization)?;
    doc.root.get("helmCharts")?;
    let home = doc
        .root
        .get("helmGlobals")
        .and_then(|g| g.get("chartHome"))
        .and_then(Node::scalar_text)
        .unwrap_or("charts");
    Some(kustomization.parent()?.join(home))
}

/// The chart folders a kustomization's `helmCharts:` inflates: `CHART_HOME/NAME` for
/// each entry (kustomize reads a chart from there, or pulls it there from `repo`).
pub fn inflated_charts(kustomization: &Path) -> Vec<PathBuf> {
    let (Some(home), Some(doc)) = (chart_home(kustomization), read_kustomization(kustomization))
    else {
        return Vec::new();
    };
    doc.root
        .get("helmCharts")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|chart| chart.get("name").and_then(Node::scalar_text))
        .map(|name| home.join(name))
        .collect()
}

pub fn references(kustomization: &Path) -> Vec<PathBuf> {
    let (Some(doc), Some(dir)) = (read_kustomization(kustomization), kustomization.parent()) else {
        return Vec::new();
    };
    let root = &doc.root;
    let list = |key: &str| root.get(key).map(Node::items).unwrap_or_default();
    let mut named: Vec<String> = Vec::new();
    for key in [
        "resources",
        "bases",
        "components",
        "crds",
        "configurations",
        "generators",
        "transformers",
        "validators",
        "patchesStrategicMerge",
    ] {
        named.extend(
            list(key)
                .iter()
                .filter_map(Node::scalar_text)
                .map(str::to_string),
        );
    }
    for key in ["patches", "patchesJson6902", "replacements"] {
        named.extend(
            list(key)
                .iter()
                .filter_map(|p| p.get("path").and_then(Node::scalar_text))
                .map(str::to_string),
        );
    }
    for key in ["configMapGenerator", "secretGenerator"] {
        for generator in list(key) {
            let files = ["files", "envs"]
                .iter()
                .flat_map(|k| generator.get(k).map(Node::items).unwrap_or_default());
            let env = generator.get("env");
            for file in files.chain(env).filter_map(Node::scalar_text) {
                // `key=path` names the key the file's content gets.
                named.push(file.rsplit_once('=').map_or(file, |(_, p)| p).to_string());
            }
        }
    }
    if let Some(openapi) = root.get("openapi").and_then(|o| o.get("path")) {
        named.extend(openapi.scalar_text().map(str::to_string));
    }
    named
        .iter()
        .filter(|p| !p.contains('\n'))
        .filter_map(|p| std::fs::canonicalize(dir.join(p)).ok())
        .collect()
}

/// The files named by `patches[].path`, `patchesStrategicMerge[]` (entries that are
/// paths, not inline patches) and `patchesJson6902[].path`.
fn read_patches(kustomization: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(kustomization) else {
        return Vec::new();
    };
    let Some(dir) = kustomization.parent() else {
        return Vec::new();
    };
    let Some(chunk) = split_documents(&text).into_iter().next() else {
        return Vec::new();
    };
    let Some(Ok(doc)) = parse_chunk(chunk, &Limits::default()).into_iter().next() else {
        return Vec::new();
    };
    let list = |key: &str| doc.root.get(key).map(Node::items).unwrap_or_default();
    let named = list("patches")
        .iter()
        .chain(list("patchesJson6902").iter())
        .filter_map(|p| p.get("path").and_then(Node::scalar_text))
        .chain(
            list("patchesStrategicMerge")
                .iter()
                .filter_map(Node::scalar_text)
                .filter(|p| !p.contains('\n')),
        );
    named
        .filter_map(|p| std::fs::canonicalize(dir.join(p)).ok())
        .collect()
}
