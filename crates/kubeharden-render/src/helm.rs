//! `helm template`, once per values set.

use std::path::Path;

use kubeharden_load::{LoadError, LoadErrorKind, RenderTarget};
use kubeharden_yaml::Pos;

use crate::chart::{chart_field, source_file};
use crate::helm_map::shown;

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
    // Each values set is its own `helm template`: they run side by side, as charts
    // do (the engine's pool), and come back in the order given.
    use rayon::prelude::*;
    variants
        .into_par_iter()
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
    let args = arguments(target, options, variant);
    let text = run(helm, &args, options.max_output.max(1)).map_err(|reason| {
        let shown = rendered_line(helm, &args, options.max_output.max(1), &reason);
        render_error(target, variant, reason, shown)
    })?;
    let documents = crate::helm_map::rendered_docs(&text);
    Ok(Rendered {
        name: name.into(),
        text,
        default_namespace: options.namespace.clone(),
        release_namespace: options.namespace.is_none().then(|| "default".to_string()),
        chart: true,
        later_variant: variant.is_some_and(|v| {
            options
                .values_sets
                .first()
                .is_some_and(|first| first.name != v.name)
        }),
        source_map: Some(Box::new(crate::helm_map::HelmMap {
            dir: target.dir.clone(),
            values: options
                .values
                .iter()
                .chain(variant.map(|v| &v.file))
                .map(Into::into)
                .collect(),
            sets: options
                .set
                .iter()
                .flat_map(|arg| crate::helm_values::parse_set(arg).unwrap_or_default())
                .collect(),
            variant: variant.map(|v| v.name.clone()),
            documents,
            defines: Default::default(),
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
        format!("{reason} (the chart's dependencies must be vendored for an offline render: run `helm dependency build {dir}` where the chart repositories can be reached, or copy the charts into {dir}/charts/)")
    } else {
        reason
    }
}

/// The error of a chart helm did not render: at the template file and line helm
/// names (the innermost, for an error inside an `include`), else at the chart.
fn render_error(
    target: &RenderTarget,
    variant: Option<&ValuesSet>,
    reason: String,
    shown: Option<String>,
) -> LoadError {
    let dir = target.name();
    let chart = match variant {
        Some(set) => format!("{dir} (values-set {})", set.name),
        None => dir.clone(),
    };
    let reason = explain(&dir, reason);
    let Some((mut file, mut pos)) = template_place(&target.dir, &reason) else {
        return not_rendered(&chart, reason);
    };
    let mut reason = format!("the chart {chart}: {reason}");
    // helm's `yaml: line N` counts lines of what the template rendered, not of the
    // file: the rendered line is quoted, and placed where the file writes it alone.
    if let Some(line) = shown {
        reason.push_str(&format!(
            " (that line of what the template rendered is {:?})",
            line.trim()
        ));
        pos = pos.or_else(|| written_at(Path::new(&file), &line));
        // Not in the template itself: a named template it calls may write it.
        if pos.is_none() {
            if let Some((helper, at)) = written_in_helpers(&target.dir, &line) {
                reason.push_str(&format!("; {helper} writes it, a named template it calls"));
                (file, pos) = (helper, Some(at));
            }
        }
    }
    let kind = LoadErrorKind::NotRendered {
        command: COMMAND,
        reason,
    };
    LoadError::new(&file.into(), pos, kind)
}

/// The line a YAML parse error (`YAML parse error on web/templates/x.yaml: ... yaml:
/// line 6: ...`) names, as helm rendered it: helm prints the rendered text with
/// `--debug`, each template's documents after its `# Source:` line. None when the
/// message names no such line, or the template rendered several documents (which one
/// is meant is not said).
fn rendered_line(helm: &Path, args: &[String], max: u64, reason: &str) -> Option<String> {
    let (_, after) = reason.split_once("YAML parse error on ")?;
    let source = after.split(':').next()?.trim();
    let (_, at) = after.split_once("yaml: line ")?;
    let n: usize = at
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()?;
    let mut debug = args.to_vec();
    debug.push("--debug".to_string());
    let printed = crate::tool::output_of(helm, &debug, max)?;
    let header = format!("# Source: {source}");
    let mut documents = printed
        .split("\n---")
        .filter(|d| d.lines().any(|l| l.trim_end() == header));
    let document = documents.next()?;
    if documents.next().is_some() {
        return None;
    }
    let body = document.split_once(&format!("{header}\n"))?.1;
    body.lines().nth(n.checked_sub(1)?).map(str::to_string)
}

/// The one line of the chart's named templates that is `line` as written (trimmed),
/// if only one is: its file (as the user names it) and place.
fn written_in_helpers(dir: &Path, line: &str) -> Option<(String, Pos)> {
    let defines = crate::helm_helpers::Defines::read(dir);
    let wanted = line.trim();
    let mut found = defines.all().flat_map(|define| {
        define
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| !wanted.is_empty() && l.trim() == wanted)
            .map(move |(i, l)| {
                let column = l.len() - l.trim_start().len() + 1;
                (
                    shown(&define.file),
                    Pos::new((define.first + i + 1) as u32, column as u32),
                )
            })
    });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// The one line of `file` that is `line` as written (trimmed), if only one is.
fn written_at(file: &Path, line: &str) -> Option<Pos> {
    let text = std::fs::read_to_string(file).ok()?;
    let wanted = line.trim();
    let mut found = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !wanted.is_empty() && l.trim() == wanted);
    let (i, written) = found.next()?;
    if found.next().is_some() {
        return None;
    }
    let column = written.len() - written.trim_start().len() + 1;
    Some(Pos::new(i as u32 + 1, column as u32))
}

/// The template file (as the user names it) and position of the last place helm's
/// message names with a line (`web/templates/x.yaml:12:3`), else of the last it names.
pub(crate) fn template_place(dir: &Path, message: &str) -> Option<(String, Option<Pos>)> {
    let name = chart_field(dir, "name")?;
    let prefix = format!("{name}/");
    let mut best: Option<(String, Option<Pos>)> = None;
    for (at, _) in message.match_indices(&prefix) {
        let boundary = message[..at]
            .chars()
            .next_back()
            .is_none_or(|c| matches!(c, ' ' | '(' | '"'));
        let path: String = message[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "._-/".contains(*c))
            .collect();
        let path = path.trim_end_matches('.');
        let Some(found) = source_file(dir, path).filter(|f| boundary && f.file.is_file()) else {
            continue;
        };
        let pos = line_and_column(&message[at + path.len()..]);
        if pos.is_some() || best.as_ref().is_none_or(|(_, p)| p.is_none()) {
            best = Some((shown(&found.file), pos));
        }
    }
    best
}

/// `:12:3` or `:12` at the start of `rest`, as a position (column 1 when none).
fn line_and_column(rest: &str) -> Option<Pos> {
    let digits = |s: &str| -> String { s.chars().take_while(char::is_ascii_digit).collect() };
    let rest = rest.strip_prefix(':')?;
    let line_text = digits(rest);
    let line = line_text.parse::<u32>().ok().filter(|&l| l > 0)?;
    let column = rest[line_text.len()..]
        .strip_prefix(':')
        .and_then(|c| digits(c).parse::<u32>().ok())
        .unwrap_or(1);
    Some(Pos::new(line, column.max(1)))
}

fn not_rendered(name: &str, reason: String) -> LoadError {
    crate::tool::not_rendered(name, COMMAND, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_placed_at_the_innermost_template_line_helm_names() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("templates")).unwrap();
        std::fs::write(d.join("Chart.yaml"), "name: web\n").unwrap();
        std::fs::write(d.join("templates/x.yaml"), "a: 1\n").unwrap();
        let file = shown(&d.join("templates/x.yaml"));
        let include = "template: web/templates/x.yaml:8:3: executing \"web/templates/x.yaml\" at <include \"x\" .>: error calling include: template: web/templates/x.yaml:2:15: executing \"x\"";
        assert_eq!(
            template_place(d, include),
            Some((file.clone(), Some(Pos::new(2, 15))))
        );
        let parse = "parse error at (web/templates/x.yaml:6): missing value for if";
        assert_eq!(
            template_place(d, parse),
            Some((file.clone(), Some(Pos::new(6, 1))))
        );
        let yaml =
            "YAML parse error on web/templates/x.yaml: error converting YAML to JSON: yaml: line 5";
        assert_eq!(template_place(d, yaml), Some((file, None)));
        assert_eq!(template_place(d, "web/templates/gone.yaml:3:1: no"), None);
        assert_eq!(template_place(d, "chart requires kubeVersion"), None);
    }
}
