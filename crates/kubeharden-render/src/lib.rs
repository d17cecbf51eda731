//! Helm charts and Kustomize overlays, rendered for the scan.
//!
//! A folder with `Chart.yaml` is rendered with `helm template`, a folder with a
//! kustomization with `kustomize build` (or `kubectl kustomize`), both found on
//! `PATH`. What they print is scanned as any manifest stream; a render that fails, or
//! a tool that is missing, is an error naming the folder and the tool's message (or
//! how to install it), and the rest of the scan goes on.

#![forbid(unsafe_code)]

mod archive;
mod chart;
mod helm;
mod helm_blocks;
mod helm_helpers;
mod helm_map;
mod helm_place;
mod helm_values;
mod helm_vars;
mod kustomize;
mod kustomize_helm;
mod kustomize_map;
mod options;
mod tool;

use std::path::PathBuf;
use std::sync::Arc;

use kubeharden_findings::{Finding, SkippedChecks};
use kubeharden_load::{LoadError, Object, RenderKind, RenderTarget};

pub use options::{check, BadRenderOption};
pub use tool::{HELM_INSTALL, KUSTOMIZE_INSTALL};

/// How charts are rendered (`helm template`'s options); overlays take none.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// `--values FILE`, in order (later files win).
    pub values: Vec<PathBuf>,
    /// `--set key=value`, in order.
    pub set: Vec<String>,
    /// The release name (`helm template NAME`); `release-name` when unset, as
    /// `helm template CHART` names it.
    pub release_name: Option<String>,
    /// The release namespace (`--namespace`); also the namespace of the chart's
    /// objects that name none, as `helm install --namespace` puts them there.
    pub namespace: Option<String>,
    /// `--kube-version`: the Kubernetes version `.Capabilities` reports.
    pub kube_version: Option<String>,
    /// Variants: each chart is rendered once per set, with its file after `values`,
    /// and each is reported under its name. None: one render.
    pub values_sets: Vec<ValuesSet>,
    /// The most output a render may print, in bytes (as `--max-file-size`).
    pub max_output: u64,
}

/// One `--values-set NAME=FILE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValuesSet {
    pub name: String,
    pub file: PathBuf,
}

impl std::str::FromStr for ValuesSet {
    type Err = String;

    fn from_str(s: &str) -> Result<ValuesSet, String> {
        match s.split_once('=') {
            Some((name, file)) if !name.is_empty() && !file.is_empty() => Ok(ValuesSet {
                name: name.to_string(),
                file: file.into(),
            }),
            _ => Err(format!("{s:?} is not NAME=FILE")),
        }
    }
}

/// Maps a finding on a rendered object back to the source that made it: the
/// template and values of a chart, the base and patches of an overlay.
pub trait SourceMap: Send + Sync {
    fn map(&self, object: &Object, finding: &mut Finding);
}

/// One rendered stream: its name in reports, its text, and how its findings map back.
pub struct Rendered {
    /// `charts/web (helm template)`, `charts/web (helm template, values-set prod)`,
    /// `overlays/prod (kustomize build)`: locations in the rendered text name it.
    pub name: Arc<str>,
    pub text: String,
    /// The namespace of objects that name none, when the render decides it.
    pub default_namespace: Option<String>,
    /// The namespace `helm template` gave the release when the user named none
    /// (`default`): a chart that writes `{{ .Release.Namespace }}` chose no namespace,
    /// the install will, so its objects there count as naming none.
    pub release_namespace: Option<String>,
    /// A Helm chart's render (else a Kustomize overlay's).
    pub chart: bool,
    /// A chart's render for a `--values-set` after its first: another variant of a
    /// chart already counted.
    pub later_variant: bool,
    pub source_map: Option<Box<dyn SourceMap>>,
}

/// What rendering a chart or an overlay (or one variant of a chart) gave.
pub enum Outcome {
    Rendered(Rendered),
    /// Not rendered, by design: a library chart, a Kustomize component. The report
    /// lists it with why (its reason starts with [`BY_DESIGN`]); it fails nothing.
    NotRendered(SkippedChecks),
    /// The tool failed, or is missing: an error naming the folder and why.
    Failed(LoadError),
}

/// How the reason of a chart or an overlay not rendered by design begins.
pub const BY_DESIGN: &str = "not rendered (";

impl From<Result<Rendered, LoadError>> for Outcome {
    fn from(result: Result<Rendered, LoadError>) -> Outcome {
        match result {
            Ok(rendered) => Outcome::Rendered(rendered),
            Err(error) => Outcome::Failed(error),
        }
    }
}

/// The outcome of a chart or overlay not rendered because `what` renders nothing
/// alone (`library chart`), and where it is judged instead.
pub(crate) fn by_design(target: &RenderTarget, what: &str, instead: &str) -> Outcome {
    Outcome::NotRendered(SkippedChecks {
        scope: target.name(),
        rules: Vec::new(),
        reason: format!("{BY_DESIGN}{what}): {instead}"),
    })
}

/// Renders `target`: one stream, or one per values set of a chart. Each that fails
/// is an error naming the folder (and the variant), with the tool's message.
pub fn render(target: &RenderTarget, options: &RenderOptions) -> Vec<Outcome> {
    match target.kind {
        RenderKind::HelmChart => helm::render(target, options),
        RenderKind::Kustomization => vec![kustomize::render(target, options)],
    }
}

/// The first document of a YAML file, if it reads.
pub(crate) fn first_document(file: &std::path::Path) -> Option<kubeharden_yaml::Node> {
    first_document_of(&std::fs::read_to_string(file).ok()?)
}

/// The first document of a YAML text, if it reads.
pub(crate) fn first_document_of(text: &str) -> Option<kubeharden_yaml::Node> {
    use kubeharden_yaml::{parse_chunk, split_documents, Limits};
    let chunk = split_documents(text).into_iter().next()?;
    let doc = parse_chunk(chunk, &Limits::default()).into_iter().next()?;
    Some(doc.ok()?.root)
}

/// The node at the path `segments` name in `root`, if it is there.
pub(crate) fn node_at<'a>(
    root: &'a kubeharden_yaml::Node,
    segments: &[kubeharden_yaml::Seg],
) -> Option<&'a kubeharden_yaml::Node> {
    use kubeharden_yaml::Seg;
    segments.iter().try_fold(root, |node, seg| match seg {
        Seg::Key(k) => node.get(k),
        Seg::Index(i) => node.items().get(*i),
    })
}
