//! `helm template`, once per values set.

use kubeharden_load::{LoadError, RenderTarget};

use crate::tool::{on_path, run, HELM_INSTALL};
use crate::{by_design, Outcome, RenderOptions, Rendered, ValuesSet};

const COMMAND: &str = "helm template";

/// The release name `helm template CHART` uses when given none.
const DEFAULT_RELEASE: &str = "release-name";

pub(crate) fn render(target: &RenderTarget, options: &RenderOptions) -> Vec<Outcome> {
    // A library chart holds only named templates for other charts: helm refuses to
    // render it, and it has no objects of its own to judge.
    if crate::chart::chart_field(&target.dir, "type").as_deref() == Some("library") {
        let instead = "a library chart (type: library) renders no objects by design; its templates are judged in the charts that depend on it";
        return vec![by_design(target, "library chart", instead)];
    }
    let variants: Vec<Option<&ValuesSet>> = if options.values_sets.is_empty() {
        vec![None]
    } else {
        options.values_sets.iter().map(Some).collect()
    };
    let Some(helm) = on_path("helm") else {
        let reason = format!("helm is not installed (not on PATH): {HELM_INSTALL}");
        return vec![Outcome::Failed(not_rendered(&target.name(), reason))];
    };
    variants
        .into_iter()
        .map(|variant| render_variant(&helm, target, options, variant).into())
        .collect()
}

fn render_variant(
    helm: &std::path::Path,
    target: &RenderTarget,
    options: &RenderOptions,
    variant: Option<&ValuesSet>,
) -> Result<Rendered, LoadError> {
    let dir = target.name();
    let name = match variant {
        Some(set) => format!("{dir} ({COMMAND}, values-set {})", set.name),
        None => format!("{dir} ({COMMAND})"),
    };
    let failed = match variant {
        Some(set) => format!("{dir} (values-set {})", set.name),
        None => dir.clone(),
    };
    let text = run(
        helm,
        &arguments(target, options, variant),
        options.max_output.max(1),
    )
    .map_err(|reason| not_rendered(&failed, explain(&dir, reason)))?;
    Ok(Rendered {
        name: name.into(),
        text,
        default_namespace: options.namespace.clone(),
        source_map: Some(Box::new(crate::helm_map::HelmMap {
            dir: target.dir.clone(),
            values: options
                .values
                .iter()
                .chain(variant.map(|v| &v.file))
                .cloned()
                .collect(),
            sets: options
                .set
                .iter()
                .flat_map(|arg| crate::helm_values::parse_set(arg).unwrap_or_default())
                .collect(),
            variant: variant.map(|v| v.name.clone()),
        })),
    })
}

/// `helm template NAME DIR [--namespace NS] [--kube-version V] [--values F]... [--set K=V]...`.
fn arguments(
    target: &RenderTarget,
    options: &RenderOptions,
    variant: Option<&ValuesSet>,
) -> Vec<String> {
    let mut args = vec![
        "template".to_string(),
        options
            .release_name
            .clone()
            .unwrap_or_else(|| DEFAULT_RELEASE.to_string()),
        target.dir.display().to_string(),
    ];
    if let Some(ns) = &options.namespace {
        args.extend(["--namespace".to_string(), ns.clone()]);
    }
    if let Some(version) = &options.kube_version {
        args.extend(["--kube-version".to_string(), version.clone()]);
    }
    let values = options.values.iter().chain(variant.map(|v| &v.file));
    for file in values {
        args.extend(["--values".to_string(), file.display().to_string()]);
    }
    for set in &options.set {
        args.extend(["--set".to_string(), set.clone()]);
    }
    args
}

/// The tool's message, and what to do about a dependency that is not vendored.
fn explain(dir: &str, reason: String) -> String {
    if reason.contains("missing in charts/") {
        format!("{reason}\n(the chart's dependencies must be vendored for an offline render: run `helm dependency build {dir}` where the chart repositories can be reached, or copy the charts into {dir}/charts/)")
    } else {
        reason
    }
}

fn not_rendered(name: &str, reason: String) -> LoadError {
    crate::tool::not_rendered(name, COMMAND, reason)
}
