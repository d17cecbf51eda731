//! `kustomize build`, or `kubectl kustomize`.

use std::path::{Path, PathBuf};

use kubeharden_load::kustomize::{kustomization_in, references};
use kubeharden_load::{LoadError, RenderTarget};

use crate::tool::{on_path, run, HELM_INSTALL, KUSTOMIZE_INSTALL};
use crate::{by_design, Outcome, RenderOptions, Rendered};

const COMMAND: &str = "kustomize build";

pub(crate) fn render(target: &RenderTarget, options: &RenderOptions) -> Outcome {
    // A component is a mix-in: kustomize refuses to build it alone.
    if is_component(&target.dir) {
        let instead = "a component (kind: Component) is rendered through the overlays that use it (components:), not alone";
        return by_design(target, "Kustomize component", instead);
    }
    build(target, options).into()
}

/// Whether the kustomization in `dir` is a component.
fn is_component(dir: &Path) -> bool {
    kustomization_in(dir)
        .and_then(|file| crate::first_document(&file))
        .is_some_and(|k| {
            k.get("kind").and_then(kubeharden_yaml::Node::scalar_text) == Some("Component")
        })
}

fn build(target: &RenderTarget, options: &RenderOptions) -> Result<Rendered, LoadError> {
    let dir = target.name();
    let not_rendered = |reason: String| crate::tool::not_rendered(&dir, COMMAND, reason);
    let (program, mut args) = if let Some(kustomize) = on_path("kustomize") {
        (kustomize, vec!["build".to_string()])
    } else if let Some(kubectl) = on_path("kubectl") {
        (kubectl, vec!["kustomize".to_string()])
    } else {
        return Err(not_rendered(format!(
            "kustomize is not installed (neither kustomize nor kubectl is on PATH): {KUSTOMIZE_INSTALL}"
        )));
    };
    let helm = inflates_charts(&target.dir).then(|| on_path("helm"));
    if let Some(found) = &helm {
        // kustomize inflates `helmCharts:` with helm, only when asked to.
        if found.is_none() {
            return Err(not_rendered(format!(
                "the overlay inflates Helm charts (helmCharts:), and helm is not installed (not on PATH): {HELM_INSTALL}"
            )));
        }
        args.push("--enable-helm".to_string());
    }
    args.push(target.dir.display().to_string());
    let max = options.max_output.max(1);
    let text = run(&program, &args, max).map_err(|reason| build_error(target, reason))?;
    let charts = match helm.flatten() {
        Some(helm) => crate::kustomize_helm::inflated_charts(&target.dir, &helm, max),
        None => Vec::new(),
    };
    Ok(Rendered {
        name: format!("{dir} ({COMMAND})").into(),
        text,
        default_namespace: None,
        release_namespace: None,
        chart: false,
        later_variant: false,
        source_map: Some(Box::new(crate::kustomize_map::KustomizeMap::read(
            &target.dir,
            charts,
        ))),
    })
}

/// The error of an overlay kustomize did not build, at the place it is about when
/// that can be told: the line of the kustomization that names a file that does not
/// exist, or the template line helm names for an inflated chart (a failed
/// `required` or `fail`); else at the overlay.
fn build_error(target: &RenderTarget, reason: String) -> LoadError {
    let dir = target.name();
    let charts = crate::kustomize_helm::chart_dirs(&target.dir);
    let place = missing_entry(&target.dir, &reason).or_else(|| {
        let place = charts
            .iter()
            .find_map(|c| crate::helm::template_place(c, &reason));
        place.map(|(file, pos)| (file, pos, String::new()))
    });
    let Some((file, pos, missing)) = place else {
        return crate::tool::not_rendered(&dir, COMMAND, reason);
    };
    // What kustomize adds after helm's own words says nothing more.
    let reason = reason
        .split("; : unable to run: 'helm")
        .next()
        .unwrap_or(&reason);
    let kind = kubeharden_load::LoadErrorKind::NotRendered {
        command: COMMAND,
        reason: format!("the overlay {dir}: {missing}{reason}"),
    };
    LoadError::new(&file.into(), pos, kind)
}

/// The entry of one of the overlay's kustomizations that names a file or folder
/// that does not exist, and that kustomize's message names: the kustomization, the
/// entry's position, and what to say of it.
fn missing_entry(
    dir: &Path,
    reason: &str,
) -> Option<(String, Option<kubeharden_yaml::Pos>, String)> {
    for file in kustomizations(dir) {
        let (Some(root), Some(here)) = (crate::first_document(&file), file.parent()) else {
            continue;
        };
        for entry in named_files(&root) {
            let Some(name) = entry.scalar_text() else {
                continue;
            };
            let remote = name.contains("://") || name.starts_with("github.com/");
            if remote || here.join(name).exists() || !reason.contains(name) {
                continue;
            }
            let shown = crate::helm_map::shown(&file);
            let said = format!(
                "{name} (named at {shown}:{}) does not exist; ",
                entry.pos.line
            );
            return Some((shown, Some(entry.pos), said));
        }
    }
    None
}

/// The nodes of a kustomization that name files: resources, bases, components,
/// strategic-merge patches, and the `path` of every patch.
fn named_files(root: &kubeharden_yaml::Node) -> Vec<&kubeharden_yaml::Node> {
    let list = |key: &str| {
        root.get(key)
            .map(kubeharden_yaml::Node::items)
            .unwrap_or_default()
    };
    let mut named: Vec<&kubeharden_yaml::Node> = Vec::new();
    for key in ["resources", "bases", "components", "patchesStrategicMerge"] {
        named.extend(list(key).iter().filter(|n| n.scalar().is_some()));
    }
    for key in ["patches", "patchesJson6902"] {
        named.extend(list(key).iter().filter_map(|p| p.get("path")));
    }
    named
}

/// Whether the overlay in `dir`, or a kustomization it uses, has `helmCharts:`.
fn inflates_charts(dir: &Path) -> bool {
    kustomizations(dir)
        .iter()
        .any(|file| crate::first_document(file).is_some_and(|k| k.get("helmCharts").is_some()))
}

/// The kustomization files of the overlay in `dir` and of the overlays it uses
/// (bases, components), each once.
pub(crate) fn kustomizations(dir: &Path) -> Vec<PathBuf> {
    let mut todo: Vec<PathBuf> = vec![dir.to_path_buf()];
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut files = Vec::new();
    while let Some(dir) = todo.pop() {
        let canonical = std::fs::canonicalize(&dir).unwrap_or(dir.clone());
        if seen.contains(&canonical) {
            continue;
        }
        seen.push(canonical);
        let Some(file) = kustomization_in(&dir) else {
            continue;
        };
        todo.extend(references(&file).into_iter().filter(|p| p.is_dir()));
        files.push(file);
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlay_inflates_charts_when_it_or_its_base_has_helm_charts() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (file, text) in [
            ("base/kustomization.yaml", "helmCharts:\n- name: app\n"),
            ("prod/kustomization.yaml", "resources: [../base]\n"),
            ("plain/kustomization.yaml", "resources: [pod.yaml]\n"),
        ] {
            std::fs::create_dir_all(d.join(file).parent().unwrap()).unwrap();
            std::fs::write(d.join(file), text).unwrap();
        }
        assert!(inflates_charts(&d.join("prod")));
        assert!(!inflates_charts(&d.join("plain")));
    }
}
