//! Which files a scan reads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::WalkBuilder;

use crate::error::{LoadError, LoadErrorKind};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

/// What a folder is rendered with before it is scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RenderKind {
    /// A folder with `Chart.yaml`: `helm template`.
    HelmChart,
    /// A folder with `kustomization.yaml` (`.yml`, `Kustomization`): `kustomize build`.
    Kustomization,
}

/// A chart or an overlay among a scan's inputs: never read as plain YAML, always
/// rendered (or reported as not rendered, with the reason).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RenderTarget {
    pub kind: RenderKind,
    /// The folder, as found under the PATH given.
    pub dir: PathBuf,
}

impl RenderTarget {
    /// The folder as reports name it.
    pub fn name(&self) -> String {
        let shown = self.dir.display().to_string();
        match shown.trim_start_matches("./") {
            "" => ".".to_string(),
            s => s.to_string(),
        }
    }
}

/// One PATH of the command line and the inputs found under it: by default, each is a
/// cluster of its own (objects of unrelated roots never refer to each other).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Root {
    /// The path as given, `-` for standard input.
    pub name: String,
    /// Its inputs, as a range of `Discovered::inputs`.
    pub inputs: std::ops::Range<usize>,
    /// Its charts and overlays, as a range of `Discovered::renders`.
    pub renders: std::ops::Range<usize>,
}

#[derive(Debug, Default)]
pub struct Discovered {
    pub inputs: Vec<Input>,
    /// Charts and overlays to render; the files they are made of are not in `inputs`.
    pub renders: Vec<RenderTarget>,
    /// The PATHs that could be read, in command-line order.
    pub roots: Vec<Root>,
    pub errors: Vec<LoadError>,
    /// Files in the walked folders that are no manifest and were not read, by
    /// extension (`.tpl`; empty for none): a scan that finds nothing says what it saw.
    pub passed_over: BTreeMap<String, usize>,
    /// YAML files that were found but are not scanned, each with the reason: a chart's
    /// files outside `templates/`, which helm does not render, and a template named
    /// alone, which renders only with its chart.
    pub not_scanned: Vec<NotScanned>,
}

/// A YAML file found and not scanned, and why: reports list it, never silent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotScanned {
    pub file: PathBuf,
    pub reason: String,
}

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

pub(crate) fn has_manifest_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// An `--exclude` pattern that is no glob.
#[derive(Clone, Debug, thiserror::Error)]
#[error("invalid --exclude pattern {pattern:?}: {source}")]
pub struct BadExclude {
    pub pattern: String,
    pub source: globset::Error,
}

fn build_excludes(patterns: &[String]) -> Result<GlobSet, BadExclude> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|source| BadExclude {
            pattern: pattern.clone(),
            source,
        })?;
        builder.add(glob);
        // `dir` also excludes everything below it.
        if let Ok(below) = Glob::new(&format!("{}/**", pattern.trim_end_matches('/'))) {
            builder.add(below);
        }
    }
    builder.build().map_err(|source| BadExclude {
        pattern: patterns.join(" "),
        source,
    })
}

fn excluded(set: &GlobSet, path: &Path) -> bool {
    let path = path.strip_prefix("./").unwrap_or(path);
    set.is_match(path) || path.file_name().is_some_and(|name| set.is_match(name))
}

/// Expands `paths` into the inputs to scan: files as given, folders walked
/// recursively for `.yaml`, `.yml` and `.json` files and Dockerfiles (honouring `.gitignore`, `.ignore`
/// and skipping hidden entries), `-` for standard input. Helm charts and Kustomize
/// overlays found (or named, by folder, `Chart.yaml` or kustomization file) become
/// [`RenderTarget`]s, and the files they are made of are not inputs of their own. The
/// order is sorted, so scans are reproducible. Fails only on an invalid exclude pattern.
pub fn discover(paths: &[PathBuf], exclude: &[String]) -> Result<Discovered, BadExclude> {
    let excludes = build_excludes(exclude)?;
    let mut out = Discovered::default();
    for path in paths {
        let start = out.inputs.len();
        let renders_start = out.renders.len();
        if path.as_os_str() == "-" {
            out.inputs.push(Input::Stdin);
        } else if excluded(&excludes, path) {
            continue;
        } else if let Some(target) = named_target(path) {
            if target.kind == RenderKind::HelmChart && target.dir.is_dir() {
                // Walked as a folder is: the charts and overlays of its own below it
                // (outside charts/ and templates/) are rendered too, not passed over.
                walk(&target.dir, &excludes, &mut out);
            } else {
                out.renders.push(target);
            }
        } else {
            match std::fs::metadata(path) {
                Err(e) => {
                    let name: Arc<str> = path.display().to_string().into();
                    out.errors.push(LoadError::new(
                        &name,
                        None,
                        LoadErrorKind::Unreadable {
                            reason: e.to_string(),
                        },
                    ));
                    continue;
                }
                Ok(meta) if meta.is_dir() => match chart_of_templates_dir(path) {
                    Some(chart) => out.not_scanned.push(NotScanned {
                        file: path.clone(),
                        reason: format!(
                            "not rendered (the Helm chart's templates): they are rendered with their chart, not alone: scan {}",
                            chart.display()
                        ),
                    }),
                    None => walk(path, &excludes, &mut out),
                },
                Ok(_) => match (chart_of_template(path), chart_of_values(path)) {
                    (Some(chart), _) => out.not_scanned.push(NotScanned {
                        file: path.clone(),
                        reason: format!(
                            "not rendered (a Helm template): it is rendered with its chart, not alone: scan {}",
                            chart.display()
                        ),
                    }),
                    (None, Some(chart)) => out.not_scanned.push(NotScanned {
                        file: path.clone(),
                        reason: values_not_scanned(path, &chart),
                    }),
                    (None, None) => out.inputs.push(Input::File(path.clone())),
                },
            }
        }
        out.roots.push(Root {
            name: path.display().to_string(),
            inputs: start..out.inputs.len(),
            renders: renders_start..out.renders.len(),
        });
    }
    Ok(out)
}

/// The chart whose `templates/` holds `file`, if any: a template is no manifest.
fn chart_of_template(file: &Path) -> Option<PathBuf> {
    file.ancestors()
        .skip(1)
        .filter(|dir| dir.file_name().is_some_and(|n| n == "templates"))
        .filter_map(Path::parent)
        .find(|chart| {
            let chart = if chart.as_os_str().is_empty() {
                Path::new(".")
            } else {
                chart
            };
            chart.join("Chart.yaml").is_file()
        })
        .map(|chart| match chart.as_os_str().is_empty() {
            true => PathBuf::from("."),
            false => chart.to_path_buf(),
        })
}

/// The chart a values file is of (`web/values.yaml`, `web/values-prod.yaml`,
/// `web/ci/lint-values.yaml`): a file whose name says values, in a chart's folder or
/// a folder of it. Such a file is no manifest, it renders its chart, so naming it
/// (CI passing the changed files) is no scan of an object.
fn chart_of_values(file: &Path) -> Option<PathBuf> {
    let name = file.file_name()?.to_str()?;
    let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    if !yaml || !name.contains("values") {
        return None;
    }
    let parent = file.parent()?;
    let in_folder = [Some(parent), parent.parent()];
    in_folder.into_iter().flatten().find_map(|dir| {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        dir.join("Chart.yaml").is_file().then(|| dir.to_path_buf())
    })
}

/// Why a chart's values file named alone is not scanned, and what to run instead.
fn values_not_scanned(file: &Path, chart: &Path) -> String {
    let own = file.parent() == Some(chart) && file.file_name().is_some_and(|n| n == "values.yaml");
    match own {
        true => format!(
            "not scanned (the Helm chart's values): they are rendered with their chart: scan {}",
            chart.display()
        ),
        false => format!(
            "not scanned (values for the Helm chart {}): they render the chart: scan {} --values {}",
            chart.display(),
            chart.display(),
            file.display()
        ),
    }
}

/// The chart whose `templates/` is, or holds, the folder `dir`, if any: its files are
/// templates, which read as broken YAML (`{{- if ...}}`), so the folder is the chart's
/// to render. A path given as `.` has no folder name to see: its absolute form is
/// asked too.
fn chart_of_templates_dir(dir: &Path) -> Option<PathBuf> {
    chart_of_template(&dir.join("_")).or_else(|| {
        let absolute = std::fs::canonicalize(dir).ok()?;
        chart_of_template(&absolute.join("_"))
    })
}

/// `.tpl` for `a.tpl`, empty for a file without an extension.
fn extension_of(path: &Path) -> String {
    path.extension()
        .map(|e| format!(".{}", e.to_string_lossy().to_ascii_lowercase()))
        .unwrap_or_default()
}

fn walk(root: &Path, excludes: &GlobSet, out: &mut Discovered) {
    let files = walk_files(root, excludes, out);
    let crate::render_targets::Split {
        plain: files,
        mut targets,
        not_scanned,
    } = crate::render_targets::split(files);
    targets.sort_by(|a, b| a.dir.cmp(&b.dir));
    out.renders.extend(targets);
    out.not_scanned.extend(not_scanned);
    let mut manifests = Vec::new();
    for file in files {
        if has_manifest_extension(&file) || crate::dockerfile::is_dockerfile(&file) {
            manifests.push(file);
        } else {
            *out.passed_over.entry(extension_of(&file)).or_default() += 1;
        }
    }
    manifests.sort();
    out.inputs.extend(manifests.into_iter().map(Input::File));
}

/// The files under `root`, honouring ignore files and `excludes`; a walk error is
/// `out`'s.
fn walk_files(root: &Path, excludes: &GlobSet, out: &mut Discovered) -> Vec<PathBuf> {
    let excludes_for_filter = excludes.clone();
    let walker = WalkBuilder::new(root)
        .require_git(false)
        .filter_entry(move |entry| !excluded(&excludes_for_filter, entry.path()))
        .build();
    let mut files = Vec::new();
    for entry in walker {
        match entry {
            Ok(entry) => {
                let is_file = entry
                    .file_type()
                    .is_some_and(|t| t.is_file() || t.is_symlink());
                if is_file {
                    files.push(entry.into_path());
                }
            }
            Err(err) => {
                let name: Arc<str> = root.display().to_string().into();
                out.errors.push(LoadError::new(
                    &name,
                    None,
                    LoadErrorKind::Unwalkable {
                        reason: err.to_string(),
                    },
                ));
            }
        }
    }
    files
}

/// A PATH that names a chart or an overlay: its folder, or its `Chart.yaml` or
/// kustomization file.
fn named_target(path: &Path) -> Option<RenderTarget> {
    // A packaged chart (`helm package` makes `NAME-VERSION.tgz`): helm renders it as
    // it is.
    if path.is_file() && is_packaged_chart(path) {
        return Some(RenderTarget {
            kind: RenderKind::HelmChart,
            dir: path.to_path_buf(),
        });
    }
    let dir = if path.is_dir() {
        path
    } else {
        let name = path.file_name()?.to_str()?;
        if name != "Chart.yaml" && !crate::kustomize::KUSTOMIZATION_FILES.contains(&name) {
            return None;
        }
        path.parent()?
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    crate::render_targets::kind_of(dir).map(|kind| RenderTarget {
        kind,
        dir: dir.to_path_buf(),
    })
}

/// Whether `path` is named as a packaged chart is: `.tgz` or `.tar.gz`.
pub(crate) fn is_packaged_chart(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".tgz") || lower.ends_with(".tar.gz")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(found: &Discovered, root: &Path) -> Vec<String> {
        found
            .inputs
            .iter()
            .map(|i| match i {
                Input::File(p) => p.strip_prefix(root).unwrap().display().to_string(),
                Input::Stdin => "-".into(),
            })
            .collect()
    }

    #[test]
    fn walks_manifests_honouring_gitignore_and_excludes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "a.yaml",
            "b.yml",
            "c.json",
            "notes.txt",
            "ignored/x.yaml",
            "sub/d.YAML",
            "skip/e.yaml",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "a: 1\n").unwrap();
        }
        std::fs::write(root.join(".gitignore"), "ignored/\n").unwrap();
        let found = discover(&[root.to_path_buf()], &["skip".to_string()]).unwrap();
        assert_eq!(
            names(&found, root),
            ["a.yaml", "b.yml", "c.json", "sub/d.YAML"]
        );
        assert_eq!(
            found.passed_over,
            BTreeMap::from([(".txt".to_string(), 1)]),
            "the .gitignore is hidden, the ignored and excluded files are not seen"
        );
    }

    #[test]
    fn missing_path_is_an_error_not_a_stop() {
        let found = discover(&[PathBuf::from("/no/such/dir"), PathBuf::from("-")], &[]).unwrap();
        assert_eq!(found.inputs, [Input::Stdin]);
        assert_eq!(found.errors.len(), 1);
        assert_eq!(found.roots.len(), 1, "only the paths that could be read");
    }

    #[test]
    fn each_path_is_a_root_with_its_own_inputs() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["a/x.yaml", "a/sub/y.yaml", "b/z.yaml"] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "a: 1\n").unwrap();
        }
        let paths = [
            dir.path().join("a"),
            PathBuf::from("-"),
            dir.path().join("b"),
        ];
        let found = discover(&paths, &[]).unwrap();
        let ranges: Vec<_> = found.roots.iter().map(|r| r.inputs.clone()).collect();
        assert_eq!(ranges, [0..2, 2..3, 3..4]);
        assert_eq!(found.roots[1].name, "-");
        assert_eq!(found.inputs[2], Input::Stdin);
    }

    #[test]
    fn bad_exclude_pattern_is_reported() {
        assert!(discover(&[], &["a[".to_string()]).is_err());
    }
}
