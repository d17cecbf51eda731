//! `kubeharden scan`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use kubeharden_engine::{clusters_of, scan_clusters, ScanOptions, ScanReport};
use kubeharden_load::{discover, Discovered, Input, LoadError};
use kubeharden_report::{
    write_html, write_json, write_junit, write_markdown, write_policy_reports, write_sarif,
    write_text, Format, JunitMeta, PolicyReportOptions, Report, TextOptions,
};
use kubeharden_rules::RuleSet;

use crate::cli::ScanArgs;
use crate::error::CliError;
use crate::settings::{config_start, Settings};
use crate::{exit, output};

/// Sets the number of worker threads (`-j`), for every command that parallelises.
pub fn set_threads(threads: Option<usize>) -> Result<(), CliError> {
    if let Some(n) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()?;
    }
    Ok(())
}

/// The manifest rules a `scan` or `cluster` run selects.
pub fn manifest_rules(settings: &Settings) -> Result<RuleSet, CliError> {
    let mut rules = settings.rule_set()?.manifest_rules();
    rules.config.pss_target = settings.pss_target;
    Ok(rules)
}

/// A scan of PATHs as `scan` runs it, before its report is finished: what `fix`
/// starts from too.
pub struct Scanned {
    pub paths: Vec<PathBuf>,
    pub settings: Settings,
    pub rules: RuleSet,
    pub found: Discovered,
    pub options: ScanOptions,
    pub clusters: Vec<kubeharden_engine::ClusterInputs>,
    pub report: ScanReport,
}

/// Resolves the settings and rules, finds the inputs and scans them, each PATH a
/// cluster (or one, with --one-cluster).
pub fn scan_paths(args: &ScanArgs) -> Result<Scanned, CliError> {
    set_threads(args.threads)?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let settings = Settings::resolve(
        &args.selection,
        args.framework,
        args.pss_target,
        &config_start(&paths),
    )?;
    let mut rules = manifest_rules(&settings)?;
    if args.no_merge {
        rules = rules.every_finding();
    }
    let render = args.render.options(args.max_file_size);
    kubeharden_engine::check_render_options(&render)?;
    let found = discover(&paths, &args.exclude)?;
    let options = ScanOptions {
        max_file_size: args.max_file_size,
        default_namespace: args.cluster.default_namespace.clone(),
        keep_labels: settings.keep_labels(),
        render,
        ..ScanOptions::default()
    };
    let clusters = clusters_of(&found, args.cluster.one_cluster);
    let mut report = scan_clusters(&clusters, &rules, &options);
    report.errors.splice(0..0, found.errors.iter().cloned());
    // With no object at all, "not a whole cluster" says nothing the error that
    // nothing was scanned does not.
    if report.stats.objects == 0 {
        report.skipped.retain(|s| s.scope != "cluster");
    }
    report.skipped.extend(not_scanned(&found));
    Ok(Scanned {
        paths,
        settings,
        rules,
        found,
        options,
        clusters,
        report,
    })
}

/// The files found and not scanned (a chart's YAML outside `templates/`, a template
/// named alone), as the report lists what it did not judge.
fn not_scanned(found: &Discovered) -> impl Iterator<Item = kubeharden_rules::SkippedChecks> + '_ {
    found
        .not_scanned
        .iter()
        .map(|n| kubeharden_rules::SkippedChecks {
            scope: n
                .file
                .display()
                .to_string()
                .trim_start_matches("./")
                .to_string(),
            rules: Vec::new(),
            reason: n.reason.clone(),
        })
}

pub fn run(args: ScanArgs) -> Result<u8, CliError> {
    let Scanned {
        paths,
        settings,
        rules,
        found,
        mut report,
        ..
    } = scan_paths(&args)?;
    let nothing = nothing_scanned(&paths, &found, &report);
    report.errors.extend(nothing.clone());
    let empty_roots = roots_without_objects(&found, &report);
    let some_empty = !empty_roots.is_empty();
    report.errors.extend(empty_roots);

    let mut code = finish(&mut report, &rules, &args.output, &settings);
    let checked_nothing = report.stats.objects == 0;
    if nothing.is_some() || some_empty || checked_nothing {
        // Even with --fail-on-errors never: a run that checked nothing passed nothing,
        // and a PATH that held nothing is as likely a typo as the whole command line.
        code = Ok(exit::ERROR);
    }
    // The process ends now: freeing hundreds of thousands of findings one by one would
    // only delay the exit.
    std::mem::forget(report);
    code
}

/// Applies the configuration's severity overrides, exceptions and baseline, prints
/// the errors and warnings, writes the report and gives the exit code: the same for
/// every reporting command. Errors give 2; warnings and suppressed findings never
/// change the code.
pub fn finish(
    report: &mut kubeharden_engine::ScanReport,
    rules: &RuleSet,
    output: &crate::cli::OutputArgs,
    settings: &Settings,
) -> Result<u8, CliError> {
    settings.finish_report(report)?;
    let fail_on = settings.fail_on;
    for error in &report.errors {
        eprintln!("kubeharden: error: {error}");
    }
    for warning in &report.warnings {
        eprintln!("kubeharden: warning: {warning}");
    }
    let format = output.format();
    if settings.summary && format != Format::Text {
        eprintln!(
            "kubeharden: warning: --summary shortens text output only; the {} report is written whole (its summary is in it)",
            crate::error::format_name(format)
        );
    }
    write_report(
        report,
        rules,
        output,
        fail_on,
        settings.summary,
        settings.show_suppressed,
    )?;
    let errors_fail = settings.fail_on_errors == crate::cli::FailOnErrors::Always;
    Ok(if errors_fail && !report.errors.is_empty() {
        exit::ERROR
    } else if fail_on
        .0
        .is_some_and(|level| report.findings.iter().any(|f| f.severity >= level))
    {
        exit::FINDINGS
    } else {
        exit::CLEAN
    })
}

/// A scan that checked no object is no clean pass: the error says what was there
/// instead (the files read, by kind; documents that are no Kubernetes object; files
/// that could not be parsed; files passed over), so a wrong path or a folder of
/// unrendered templates is noticed.
pub(crate) fn nothing_scanned(
    paths: &[PathBuf],
    found: &Discovered,
    report: &ScanReport,
) -> Option<LoadError> {
    if report.stats.objects > 0 {
        return None;
    }
    // Charts and overlays that failed to render: their errors already say why nothing
    // was scanned (the run still exits 2: `run` sees that nothing was checked).
    let rendered_only = found.inputs.is_empty() && !found.renders.is_empty();
    if rendered_only && !report.errors.is_empty() {
        return None;
    }
    let mut seen = vec![files_read(&found.inputs)];
    // A library chart, a Kustomize component or a chart's template alone renders no
    // object by design: listed, and still nothing was checked.
    let alone = not_rendered_alone(report);
    let by_design = alone.is_some();
    seen.extend(alone);
    if report.stats.patches > 0 {
        let n = report.stats.patches;
        seen.push(format!(
            "{n} Kustomize patch{} (judged only in the overlay that merges {}: scan the overlay)",
            if n == 1 { "" } else { "es" },
            if n == 1 { "it" } else { "them" }
        ));
    }
    if report.stats.skipped_documents > 0 {
        let n = report.stats.skipped_documents;
        seen.push(format!(
            "{n} document{} that {} no Kubernetes object",
            plural(n),
            if n == 1 { "is" } else { "are" }
        ));
    }
    let broken: BTreeSet<&str> = report.errors.iter().map(|e| &*e.file).collect();
    if !broken.is_empty() {
        seen.push(format!("{} with errors", counted(broken.len(), "input")));
    }
    if !found.passed_over.is_empty() {
        let kinds: Vec<String> = found
            .passed_over
            .iter()
            .map(|(ext, n)| {
                if ext.is_empty() {
                    format!("{n} without extension")
                } else {
                    format!("{n} {ext}")
                }
            })
            .collect();
        let n: usize = found.passed_over.values().sum();
        seen.push(format!(
            "{} passed over as no manifest ({})",
            counted(n, "file"),
            kinds.join(", ")
        ));
    }
    let name: Arc<str> = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
        .into();
    // Charts and overlays were rendered: their errors say why they made nothing.
    let advice = match (found.renders.is_empty(), broken.is_empty()) {
        (true, _) => "Check the PATH (a Helm chart or a Kustomize overlay is scanned by naming its folder, with Chart.yaml or kustomization.yaml)",
        (false, false) => "Check the PATH, and the render errors above",
        (false, true) if by_design => "Check the PATH",
        (false, true) => {
            "Its charts and overlays rendered no object (templates behind values that are off?)"
        }
    };
    // A packaged chart in a folder is passed over (a vendored dependency is no chart
    // of the user's); named, it is rendered.
    let packaged = match found.passed_over.contains_key(".tgz") {
        true => ". A packaged chart (.tgz) is rendered when named: kubeharden scan CHART.tgz",
        false => "",
    };
    Some(LoadError::new(
        &name,
        None,
        format!(
            "nothing to scan: no Kubernetes object found; {}. {advice}{packaged}",
            seen.join("; ")
        ),
    ))
}

/// When other PATHs held objects, each PATH that held none and had no error of its
/// own to tell why: `scan app/ emtpy/` must not pass on app/ alone.
fn roots_without_objects(found: &Discovered, report: &ScanReport) -> Vec<LoadError> {
    if report.stats.objects == 0 {
        return Vec::new(); // told once, for all of them, by nothing_scanned
    }
    // Each PATH is a cluster of its own unless --one-cluster: its objects are known.
    let empty_clusters = report.clusters.iter().filter(|c| c.objects == 0);
    let mut empty: Vec<(String, usize)> = empty_clusters
        .flat_map(|c| c.roots.iter().map(|r| (r.clone(), c.files)))
        .collect();
    // Under --one-cluster, at least a PATH under which nothing was found.
    for root in &found.roots {
        let nothing_there = root.inputs.is_empty() && root.renders.is_empty();
        if nothing_there && !empty.iter().any(|(r, _)| *r == root.name) {
            empty.push((root.name.clone(), 0));
        }
    }
    let has_error = |root: &str| {
        let root = root.trim_start_matches("./").trim_end_matches('/');
        report
            .errors
            .iter()
            // Under the root: the root itself, a file in it, or its render
            // (`web (helm template)`); not `app2/` for `app`.
            .any(|e| {
                let rest = e.file.trim_start_matches("./").strip_prefix(root);
                rest.is_some_and(|r| r.is_empty() || r.starts_with(['/', ' ']))
            })
    };
    empty
        .into_iter()
        .filter(|(root, files)| !has_error(root) && !used_by_design(found, report, root, *files))
        .map(|(root, files)| {
            let rendered = found
                .roots
                .iter()
                .any(|r| r.name == root && !r.renders.is_empty());
            let read = match files {
                _ if rendered => "its charts and overlays rendered no object (templates behind values that are off?)".to_string(),
                0 => "no YAML, JSON or Dockerfile found there".to_string(),
                n => format!("{} read, none of them a Kubernetes object", counted(n, "file")),
            };
            LoadError::new(
                &Arc::from(root),
                None,
                match rendered {
                    true => format!("nothing to scan in this PATH: {read}"),
                    false => format!("nothing to scan in this PATH: {read}. Check the PATH"),
                },
            )
        })
        .collect()
}

/// Whether the PATH `root` holds only what is judged through what uses it, by design:
/// a chart's template (or its `templates/`), listed as not rendered alone, or
/// Kustomize patches its overlay lists (each of its `files`). Named beside its chart
/// or overlay (CI passing the changed files with their folder), it is no PATH that
/// scanned nothing: the report lists it under "Not judged".
fn used_by_design(found: &Discovered, report: &ScanReport, root: &str, files: usize) -> bool {
    let clean = |p: &str| p.trim_start_matches("./").trim_end_matches('/').to_string();
    let root = clean(root);
    let under = |file: &str| {
        let file = clean(file);
        file == root || file.strip_prefix(&root).is_some_and(|r| r.starts_with('/'))
    };
    if found
        .not_scanned
        .iter()
        .any(|n| clean(&n.file.display().to_string()) == root)
    {
        return true;
    }
    // A patch file an overlay lists, of whatever form (a JSON 6902 list of
    // operations is no object at all).
    let path = std::path::Path::new(&root);
    if path.is_file() && kubeharden_load::kustomize::listing_kustomization(path).is_some() {
        return true;
    }
    let patches: BTreeSet<&str> = report
        .skipped
        .iter()
        .filter(|s| s.reason.starts_with("a Kustomize patch listed in"))
        .filter_map(|s| s.scope.rsplit_once(" in ").map(|(_, file)| file))
        .filter(|file| under(file))
        .collect();
    files > 0 && patches.len() == files
}

/// `1 input not rendered alone, by design (common: library chart): scan what uses it`.
fn not_rendered_alone(report: &ScanReport) -> Option<String> {
    let listed: Vec<String> = report
        .skipped
        .iter()
        .filter_map(|s| {
            let what = s.reason.strip_prefix(kubeharden_engine::BY_DESIGN)?;
            let what = what.split_once("):").map_or(what, |(w, _)| w);
            Some(format!("{}: {what}", s.scope))
        })
        .collect();
    let n = listed.len();
    (n > 0).then(|| {
        format!(
            "{} not rendered alone, by design ({}): scan what uses {}",
            counted(n, "input"),
            listed.join("; "),
            if n == 1 { "it" } else { "them" }
        )
    })
}

/// `read 3 files (2 YAML, 1 Dockerfile)`.
fn files_read(inputs: &[Input]) -> String {
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for input in inputs {
        *kinds.entry(input_kind(input)).or_default() += 1;
    }
    if kinds.is_empty() {
        return "no YAML, JSON or Dockerfile read".to_string();
    }
    let listed: Vec<String> = kinds
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    format!(
        "read {} ({})",
        counted(inputs.len(), "file"),
        listed.join(", ")
    )
}

fn input_kind(input: &Input) -> &'static str {
    let Input::File(path) = input else {
        return "standard input";
    };
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("yaml" | "yml") => "YAML",
        Some("json") => "JSON",
        _ => "Dockerfile",
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", plural(n))
}

/// Writes a report in the chosen format: the same for every reporting command.
pub fn write_report(
    report: &kubeharden_engine::ScanReport,
    rules: &RuleSet,
    args: &crate::cli::OutputArgs,
    fail_on: crate::cli::FailOn,
    summary_only: bool,
    show_suppressed: bool,
) -> Result<(), CliError> {
    let view = Report {
        scan: report,
        rules,
    };
    let mut out = output::open(args)?;
    let written = match args.format() {
        Format::Text => write_text(
            &view,
            &mut out,
            TextOptions {
                color: output::use_color(args),
                summary_only,
                show_suppressed,
            },
        ),
        Format::Json => write_json(&view, &mut out),
        Format::Sarif => write_sarif(&view, &mut out),
        Format::Junit => write_junit(&view, &mut out, &junit_meta()),
        Format::PolicyReport => write_policy_reports(
            &view,
            &mut out,
            &policy_report_options(fail_on, kubeharden_report::DEFAULT_MAX_RESULTS),
        ),
        Format::Html => write_html(&view, &mut out),
        Format::Markdown => write_markdown(&view, &mut out),
    };
    output::finish(written, out)
}

/// PolicyReports: findings that fail the run are `fail`, the others `warn`. With
/// `--fail-on none` (a CronJob that should succeed whatever it finds) the verdicts
/// keep the default level, low.
pub fn policy_report_options(
    fail_on: crate::cli::FailOn,
    max_results: usize,
) -> PolicyReportOptions {
    PolicyReportOptions {
        max_results,
        fail_at: fail_on.0.unwrap_or(kubeharden_rules::Severity::Low),
        time: std::time::SystemTime::now(),
    }
}

fn junit_meta() -> JunitMeta {
    let timestamp = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let hostname = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_string());
    JunitMeta {
        timestamp,
        hostname,
    }
}
