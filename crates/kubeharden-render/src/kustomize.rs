//! `kustomize build`, or `kubectl kustomize`.

use kubeharden_load::{LoadError, RenderTarget};

use crate::tool::{on_path, run, KUSTOMIZE_INSTALL};
use crate::{RenderOptions, Rendered};

const COMMAND: &str = "kustomize build";

pub(crate) fn render(
    target: &RenderTarget,
    options: &RenderOptions,
) -> Result<Rendered, LoadError> {
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
    args.push(target.dir.display().to_string());
    let max = options.max_output.max(1);
    let text = run(&program, &args, max).map_err(not_rendered)?;
    Ok(Rendered {
        name: format!("{dir} ({COMMAND})").into(),
        text,
        default_namespace: None,
        source_map: Some(Box::new(crate::kustomize_map::KustomizeMap::read(
            &target.dir,
        ))),
    })
}
