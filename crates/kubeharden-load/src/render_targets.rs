//! Which folders of a walk are Helm charts or Kustomize overlays, and which files they
//! are made of: those are rendered, never read as plain YAML (a template is no
//! manifest, a patch is no object), so a chart's `templates/` and an overlay's bases
//! and patches are not scanned again on their own.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use crate::discover::{NotScanned, RenderKind, RenderTarget};
use crate::kustomize::{kustomization_in, references, KUSTOMIZATION_FILES};

/// What `dir` is rendered with, if anything: a chart (`Chart.yaml`) before an overlay.
pub(crate) fn kind_of(dir: &Path) -> Option<RenderKind> {
    if dir.join("Chart.yaml").is_file() {
        Some(RenderKind::HelmChart)
    } else {
        kustomization_in(dir).map(|_| RenderKind::Kustomization)
    }
}

/// The files of a chart's folder that are its own, not manifests: helm reads them.
const CHART_FILES: [&str; 6] = [
    "Chart.yaml",
    "Chart.lock",
    "values.yaml",
    "values.schema.json",
    "requirements.yaml",
    "requirements.lock",
];

/// What a walk's files are: read as they are, rendered, or passed over with a reason.
pub(crate) struct Split {
    pub plain: Vec<PathBuf>,
    pub targets: Vec<RenderTarget>,
    pub not_scanned: Vec<NotScanned>,
}

/// Splits the files of a walk into the files to read as they are and the charts and
/// overlays to render. Subcharts (charts inside a chart) belong to their chart; an
/// overlay used by another (a base, a component) is rendered as part of it. A chart's
/// YAML outside `templates/` (`examples/`, `ci/`) is not rendered: it is passed over,
/// and said to be.
/// Whether a kustomization file is one `kubeharden fix` wrote (its first line says so).
fn written_by_fix(file: &Path) -> bool {
    use std::io::{BufRead, Read};
    let Ok(opened) = std::fs::File::open(file) else {
        return false;
    };
    let mut first = String::new();
    let _ = std::io::BufReader::new(opened)
        .take(256)
        .read_line(&mut first);
    first.starts_with("# Written by kubeharden fix.")
}

pub(crate) fn split(files: Vec<PathBuf>) -> Split {
    let roots = Roots::of(&files);
    // A chart an overlay inflates (`helmCharts:`) is rendered by the overlay; another
    // chart in its chart home is a chart of its own, rendered as such.
    let homes: Vec<PathBuf> = files
        .iter()
        .filter(|f| is_kustomization_file(f))
        .flat_map(|f| crate::kustomize::inflated_charts(f))
        .collect();
    let charts: Vec<PathBuf> = roots
        .charts
        .iter()
        .filter(|c| !homes.iter().any(|h| c.starts_with(h)))
        .cloned()
        .collect();
    let mut not_scanned = Vec::new();
    for chart in &charts {
        let own: Vec<PathBuf> = files
            .iter()
            .filter(|f| roots.innermost(f) == Some(chart))
            .cloned()
            .collect();
        not_scanned.extend(outside_templates(chart, &own));
    }
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| !roots.in_a_chart(f) && !homes.iter().any(|h| f.starts_with(h)))
        .collect();
    // `kubeharden fix`'s patches over the files scanned here: the sources are
    // scanned, not the patches (nor rendered, which needs kustomize's load
    // restrictor lifted), and the folder is listed, never silent.
    let fixes: Vec<PathBuf> = files
        .iter()
        .filter(|f| is_kustomization_file(f) && written_by_fix(f))
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    not_scanned.extend(fixes.iter().map(|dir| NotScanned {
        file: dir.clone(),
        reason: "kubeharden fix's patches over the files scanned here (its sources are scanned; build it with `kustomize build --load-restrictor LoadRestrictionsNone` to see the result)".to_string(),
    }));
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| !fixes.iter().any(|dir| f.starts_with(dir)))
        .collect();
    let kustomizations: Vec<PathBuf> = files
        .iter()
        .filter(|f| is_kustomization_file(f))
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let used: Vec<Used> = kustomizations.iter().map(|k| used_by(k)).collect();
    let mut consumed: HashSet<PathBuf> = HashSet::new();
    let mut overlays = Vec::new();
    for (i, dir) in kustomizations.iter().enumerate() {
        consumed.extend(used[i].files.iter().cloned());
        let canonical = std::fs::canonicalize(dir).ok();
        let in_a_cycle = canonical.as_ref().is_some_and(|c| used[i].dirs.contains(c));
        let used_elsewhere = canonical.as_ref().is_some_and(|c| {
            used.iter()
                .enumerate()
                .any(|(j, u)| j != i && u.dirs.contains(c))
        });
        if in_a_cycle || !used_elsewhere {
            overlays.push(dir.clone());
        }
    }
    let plain = files
        .into_iter()
        .filter(|f| !is_kustomization_file(f))
        .filter(|f| {
            std::fs::canonicalize(f)
                .map(|c| !consumed.contains(&c))
                .unwrap_or(true)
        })
        .collect();
    let targets = charts
        .into_iter()
        .map(|dir| (RenderKind::HelmChart, dir))
        .chain(
            overlays
                .into_iter()
                .map(|dir| (RenderKind::Kustomization, dir)),
        )
        .map(|(kind, dir)| RenderTarget { kind, dir })
        .collect();
    Split {
        plain,
        targets,
        not_scanned,
    }
}

/// The YAML and JSON files of the chart in `chart`, among `files`, that helm does not
/// render: not its templates, its subcharts or its own files (values, Chart.yaml), but
/// `examples/`, `ci/` values, `crds/` (which `helm template` leaves out).
pub(crate) fn outside_templates(chart: &Path, files: &[PathBuf]) -> Vec<NotScanned> {
    let name = chart.display().to_string();
    let name = match name.trim_start_matches("./") {
        "" => ".",
        s => s,
    };
    files
        .iter()
        .filter(|f| crate::discover::has_manifest_extension(f))
        .filter_map(|f| Some((f, f.strip_prefix(chart).ok()?)))
        .filter(|(_, inside)| {
            let top = inside.components().next().map(|c| c.as_os_str());
            let own = inside.parent() == Some(Path::new(""))
                && inside.to_str().is_some_and(|n| CHART_FILES.contains(&n));
            !own && top.is_some_and(|t| t != "templates" && t != "charts")
        })
        .map(|(file, inside)| {
            // A values file (`ci/prod-values.yaml`) is no manifest: it renders the chart.
            let stem = inside.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            let advice = match stem.contains("values") {
                true => format!(
                    "render the chart with it: --values-set {stem}={}",
                    file.display()
                ),
                false => "name the file to scan it as a manifest".to_string(),
            };
            NotScanned {
                file: file.clone(),
                reason: format!(
                    "in the Helm chart {name}, outside templates/: helm does not render it, so it was not scanned ({advice})"
                ),
            }
        })
        .collect()
}

fn is_kustomization_file(file: &Path) -> bool {
    file.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| KUSTOMIZATION_FILES.contains(&n))
}

/// The folders of a walk that are rendered on their own: charts, and the overlays
/// not inside a chart's `charts/` or `templates/`. A folder with its own `Chart.yaml`
/// or kustomization file elsewhere in a chart (`deploy/`, a chart beside it) is no
/// file of that chart's, which helm never renders: it is rendered itself.
struct Roots {
    /// Charts that are no other chart's subchart (under its `charts/`).
    charts: Vec<PathBuf>,
    /// The folders of the kustomization files not within a chart's own folders.
    overlays: Vec<PathBuf>,
}

impl Roots {
    fn of(files: &[PathBuf]) -> Roots {
        let all = parents_of(files, |f| f.file_name().is_some_and(|n| n == "Chart.yaml"));
        let owned = |dir: &Path| all.iter().any(|c| c != dir && chart_owns(c, dir));
        let charts = all.iter().filter(|d| !owned(d)).cloned().collect();
        let overlays = parents_of(files, is_kustomization_file)
            .into_iter()
            .filter(|d| !owned(d) && !all.contains(d))
            .collect();
        Roots { charts, overlays }
    }

    /// The deepest chart or overlay folder holding `file`.
    fn innermost(&self, file: &Path) -> Option<&PathBuf> {
        self.charts
            .iter()
            .chain(&self.overlays)
            .filter(|r| file.starts_with(r))
            .max_by_key(|r| r.components().count())
    }

    /// Whether `file` is a chart's to render, not a plain file nor an overlay's.
    fn in_a_chart(&self, file: &Path) -> bool {
        self.innermost(file)
            .is_some_and(|r| self.charts.contains(r))
    }
}

/// The sorted folders of the files of `files` that `pick` picks.
fn parents_of(files: &[PathBuf], pick: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let dirs: BTreeSet<PathBuf> = files
        .iter()
        .filter(|f| pick(f))
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    dirs.into_iter().collect()
}

/// Whether helm renders `dir` as part of `chart`: a subchart or a template folder.
fn chart_owns(chart: &Path, dir: &Path) -> bool {
    dir.starts_with(chart.join("charts")) || dir.starts_with(chart.join("templates"))
}

/// What rendering an overlay reads, followed through the kustomizations it uses.
#[derive(Default)]
struct Used {
    /// Files, canonical (kustomization files included).
    files: HashSet<PathBuf>,
    /// Kustomization folders it uses, canonical.
    dirs: HashSet<PathBuf>,
}

fn used_by(dir: &Path) -> Used {
    let mut used = Used::default();
    let mut todo: Vec<PathBuf> = std::fs::canonicalize(dir).into_iter().collect();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    while let Some(dir) = todo.pop() {
        if !seen.insert(dir.clone()) {
            continue;
        }
        let Some(kustomization) = kustomization_in(&dir) else {
            continue;
        };
        used.files.insert(kustomization.clone());
        for path in references(&kustomization) {
            if path.is_dir() {
                used.dirs.insert(path.clone());
                todo.push(path);
            } else {
                used.files.insert(path);
            }
        }
    }
    used
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn split_names(dir: &Path, files: &[(&str, &str)]) -> (Vec<String>, Vec<String>) {
        let all = files.iter().map(|(f, _)| dir.join(f)).collect();
        let Split { plain, targets, .. } = split(all);
        let rel = |p: &Path| p.strip_prefix(dir).unwrap().display().to_string();
        (
            plain.iter().map(|p| rel(p)).collect(),
            targets
                .iter()
                .map(|t| format!("{:?} {}", t.kind, rel(&t.dir)))
                .collect(),
        )
    }

    #[test]
    fn a_chart_is_one_target_with_its_subcharts_and_templates() {
        let files = [
            ("web/Chart.yaml", "name: web\n"),
            ("web/values.yaml", "a: 1\n"),
            ("web/templates/deployment.yaml", "{{ .Values.a }}\n"),
            ("web/charts/redis/Chart.yaml", "name: redis\n"),
            ("plain.yaml", "a: 1\n"),
        ];
        let dir = tree(&files);
        let (plain, targets) = split_names(dir.path(), &files);
        assert_eq!(plain, ["plain.yaml"]);
        assert_eq!(targets, ["HelmChart web"]);
    }

    #[test]
    fn a_charts_yaml_outside_templates_is_passed_over_and_said_to_be() {
        let files = [
            ("web/Chart.yaml", "name: web\n"),
            ("web/values.yaml", "a: 1\n"),
            ("web/values.schema.json", "{}\n"),
            ("web/templates/deployment.yaml", "{{ .Values.a }}\n"),
            ("web/charts/redis/examples/x.yaml", "a: 1\n"),
            ("web/examples/pod.yaml", "kind: Pod\n"),
            ("web/ci/prod-values.yaml", "a: 2\n"),
            ("web/README.md", "# web\n"),
        ];
        let dir = tree(&files);
        let all: Vec<PathBuf> = files.iter().map(|(f, _)| dir.path().join(f)).collect();
        let not: Vec<String> = split(all)
            .not_scanned
            .iter()
            .map(|n| {
                n.file
                    .strip_prefix(dir.path())
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(not, ["web/examples/pod.yaml", "web/ci/prod-values.yaml"]);
    }

    #[test]
    fn an_overlay_takes_its_base_components_and_patches_along() {
        let files = [
            ("base/kustomization.yaml", "resources: [deployment.yaml]\n"),
            ("base/deployment.yaml", "kind: Deployment\n"),
            (
                "overlays/prod/kustomization.yaml",
                "resources: [../../base]\ncomponents: [../../components/probes]\npatches:\n- path: replicas.yaml\npatchesJson6902:\n- path: ops.yaml\n  target: {kind: Deployment}\nconfigMapGenerator:\n- name: c\n  files: [conf=app.properties]\n",
            ),
            ("overlays/prod/replicas.yaml", "kind: Deployment\n"),
            ("overlays/prod/ops.yaml", "- op: remove\n"),
            ("overlays/prod/app.properties", "a=1\n"),
            ("overlays/prod/notes.yaml", "a: 1\n"),
            ("components/probes/kustomization.yaml", "kind: Component\npatches: [{path: probe.yaml}]\n"),
            ("components/probes/probe.yaml", "kind: Deployment\n"),
        ];
        let dir = tree(&files);
        let (plain, targets) = split_names(dir.path(), &files);
        assert_eq!(
            plain,
            ["overlays/prod/notes.yaml"],
            "not used by the overlay"
        );
        assert_eq!(targets, ["Kustomization overlays/prod"]);
    }

    #[test]
    fn a_chart_an_overlay_inflates_is_the_overlays() {
        let files = [
            ("overlay/kustomization.yaml", "helmCharts:\n- name: app\n"),
            ("overlay/charts/app/Chart.yaml", "name: app\n"),
            ("overlay/charts/app/templates/pod.yaml", "kind: Pod\n"),
            // Beside it, a chart the overlay does not inflate: a chart of its own.
            ("overlay/charts/other/Chart.yaml", "name: other\n"),
            ("overlay/charts/other/templates/pod.yaml", "kind: Pod\n"),
            ("web/Chart.yaml", "name: web\n"),
        ];
        let dir = tree(&files);
        let (plain, targets) = split_names(dir.path(), &files);
        assert!(plain.is_empty(), "{plain:?}");
        assert_eq!(
            targets,
            [
                "HelmChart overlay/charts/other",
                "HelmChart web",
                "Kustomization overlay"
            ]
        );
    }

    #[test]
    fn a_chart_or_overlay_in_a_chart_outside_charts_and_templates_is_its_own() {
        let files = [
            ("both/Chart.yaml", "name: both\n"),
            ("both/templates/pod.yaml", "kind: Pod\n"),
            (
                "both/deploy/kustomization.yaml",
                "resources: [deployment.yaml]\n",
            ),
            ("both/deploy/deployment.yaml", "kind: Deployment\n"),
            ("both/alpine/Chart.yaml", "name: alpine\n"),
            ("both/alpine/templates/pod.yaml", "kind: Pod\n"),
            ("both/examples/pod.yaml", "kind: Pod\n"),
        ];
        let dir = tree(&files);
        let (plain, targets) = split_names(dir.path(), &files);
        assert!(plain.is_empty(), "{plain:?}");
        assert_eq!(
            targets,
            [
                "HelmChart both",
                "HelmChart both/alpine",
                "Kustomization both/deploy"
            ]
        );
    }

    #[test]
    fn a_base_alone_is_rendered_itself() {
        let files = [
            ("base/kustomization.yaml", "resources: [deployment.yaml]\n"),
            ("base/deployment.yaml", "kind: Deployment\n"),
        ];
        let dir = tree(&files);
        let (plain, targets) = split_names(dir.path(), &files);
        assert!(plain.is_empty(), "{plain:?}");
        assert_eq!(targets, ["Kustomization base"]);
    }

    #[test]
    fn overlays_that_use_each_other_are_still_rendered() {
        let files = [
            ("a/kustomization.yaml", "resources: [../b]\n"),
            ("b/kustomization.yaml", "resources: [../a]\n"),
        ];
        let dir = tree(&files);
        let (_, targets) = split_names(dir.path(), &files);
        assert_eq!(
            targets,
            ["Kustomization a", "Kustomization b"],
            "kustomize reports the cycle"
        );
    }
}
