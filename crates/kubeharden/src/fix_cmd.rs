//! `kubeharden fix`: scan, plan the fixes, edit (in memory), scan the edits again,
//! then write patches or the edited sources, and report.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use kubeharden_fix::{
    diff, edit_sources, load_objects, patches, plan, verify, EditFailure, Edited, FixOptions,
    Judged, PatchFile, Plan, ResourceValues, Verdict, Verification,
};
use kubeharden_load::{read_source, Input, Source};
use kubeharden_report::Format;
use kubeharden_rules::Finding;
use serde_json::json;

use crate::cli::{FailOnErrors, FixArgs};
use crate::error::CliError;
use crate::scan_cmd::{scan_paths, Scanned};
use crate::settings::Settings;
use crate::{exit, output};

/// Everything one run did, for the report.
#[derive(Default)]
struct Outcome {
    judged: Vec<Judged>,
    edited: Vec<Edited>,
    failures: Vec<EditFailure>,
    check: Verification,
    errors: Vec<String>,
    written: Vec<String>,
    patch_files: Vec<PatchFile>,
    /// The planned changes, for the patches.
    fixes: Plan,
}

pub fn run(mut args: FixArgs) -> Result<u8, CliError> {
    // Each rule's finding has its own fix: fix judges them apart, as `scan --no-merge`.
    args.scan.no_merge = true;
    if !matches!(args.scan.output.format(), Format::Text | Format::Json) {
        return Err(CliError::FormatNotSupported {
            command: "fix",
            supported: "text and json",
            format: args.scan.output.format(),
        });
    }
    check_resource_values(&args)?;
    if args.scan.paths.iter().any(|p| p == Path::new("-")) {
        return Err(CliError::BadValue {
            flag: "PATH",
            value: "-".into(),
            expected: "fix edits files: name files or folders, not standard input",
        });
    }
    let Scanned {
        paths,
        settings,
        rules,
        found,
        options,
        clusters,
        mut report,
    } = scan_paths(&args.scan)?;
    // Nothing to fix because nothing was read is no clean pass, as for scan: exit 2
    // even under --soft-fail.
    let nothing = crate::scan_cmd::nothing_scanned(&paths, &found, &report);
    report.errors.extend(nothing.clone());
    settings.finish_report(&mut report)?;
    let accepted: Vec<_> = report
        .suppressed
        .iter()
        .map(|s| s.finding.clone())
        .collect();
    let fix_options = fix_options(&args);

    let mut outcome = Outcome {
        errors: report.errors.iter().map(ToString::to_string).collect(),
        ..Outcome::default()
    };
    let known: BTreeSet<String> = outcome.errors.iter().cloned().collect();
    // What every PATH of the command holds decides what is safe in each (a namespace
    // whose workloads are in another PATH gets no default deny; a binding in another
    // PATH keeps a token), though each PATH is scanned as its own cluster.
    let context: Vec<_> = clusters
        .iter()
        .flat_map(|c| load_objects(&read_sources(&c.inputs, args.scan.max_file_size), &options))
        .collect();
    let mut all_sources = Vec::new();
    for cluster in &clusters {
        let sources = read_sources(&cluster.inputs, args.scan.max_file_size);
        let names: BTreeSet<_> = sources.iter().map(|s| s.name.clone()).collect();
        let findings: Vec<_> = report
            .findings
            .iter()
            .filter(|f| names.contains(&f.location.file))
            .cloned()
            .collect();
        let objects = load_objects(&sources, &options);
        let plan = plan(&objects, &context, &findings, &fix_options);
        let (edited, failures) = edit_sources(&sources, &plan, &options);
        let check = verify(
            &sources, &edited, &plan, &accepted, &known, &rules, &options,
        );
        merge(&mut outcome, plan, edited, failures, check);
        all_sources.extend(sources);
    }
    not_in_sources(&report.findings, &all_sources, &mut outcome);
    write_or_show(&args, &mut outcome, &all_sources, &found.roots)?;
    let code = match nothing {
        Some(_) => Ok(crate::exit::ERROR),
        None => exit_code(&outcome, &settings),
    };
    write_outcome(&args, &outcome)?;
    code
}

/// Findings of rendered charts and overlays point at templates and patches, which fix
/// does not edit: each is reported as not fixed, with why, and still counts as
/// remaining (they must never vanish into "0 remain").
fn not_in_sources(findings: &[Finding], sources: &[Source], outcome: &mut Outcome) {
    let read: BTreeSet<&str> = sources.iter().map(|s| &*s.name).collect();
    for f in findings
        .iter()
        .filter(|f| !read.contains(&*f.location.file))
    {
        outcome.judged.push(Judged {
            finding: f.clone(),
            kind: None,
            verdict: Verdict::Refused(RENDERED.to_string()),
        });
        outcome.check.remaining.push(f.clone());
    }
}

const RENDERED: &str = "rendered from a Helm chart or a Kustomize overlay: fix edits plain \
     manifests only; change the chart value or template, or the overlay's patch, that the \
     finding names";

/// A request above its limit, both given, would be written into every container and
/// refused by the API server: a usage error before anything is read or written.
fn check_resource_values(args: &FixArgs) -> Result<(), CliError> {
    let pairs = [
        ("cpu", &args.cpu_request, &args.cpu_limit),
        ("memory", &args.memory_request, &args.memory_limit),
    ];
    for (resource, request, limit) in pairs {
        let (Some(request), Some(limit)) = (request, limit) else {
            continue;
        };
        let above = match (
            kubeharden_fix::quantity(request),
            kubeharden_fix::quantity(limit),
        ) {
            (Some(r), Some(l)) => r > l,
            _ => false,
        };
        if above {
            return Err(CliError::BadValue {
                flag: if resource == "cpu" {
                    "--cpu-request"
                } else {
                    "--memory-request"
                },
                value: request.clone(),
                expected: if resource == "cpu" {
                    "no more than --cpu-limit: the API server refuses a container whose request is above its limit"
                } else {
                    "no more than --memory-limit: the API server refuses a container whose request is above its limit"
                },
            });
        }
    }
    Ok(())
}

fn fix_options(args: &FixArgs) -> FixOptions {
    FixOptions {
        run_as_user: args.run_as_user,
        resources: ResourceValues {
            cpu_request: args.cpu_request.clone(),
            memory_request: args.memory_request.clone(),
            cpu_limit: args.cpu_limit.clone(),
            memory_limit: args.memory_limit.clone(),
        },
        default_deny: args.default_deny,
    }
}

/// The texts of a cluster's files (errors reading them are already in the scan's report).
fn read_sources(inputs: &[Input], max_size: u64) -> Vec<Source> {
    inputs
        .iter()
        .filter_map(|i| read_source(i, max_size).ok())
        .map(|(source, _)| source)
        .collect()
}

fn merge(
    outcome: &mut Outcome,
    plan: Plan,
    edited: Vec<Edited>,
    failures: Vec<EditFailure>,
    check: Verification,
) {
    // A file that could not be edited keeps its findings: their fixes did not happen.
    let failed: BTreeSet<_> = failures.iter().map(|f| f.file.clone()).collect();
    let mut judged = plan.judged;
    for j in &mut judged {
        if failed.contains(&j.finding.location.file) && matches!(j.verdict, Verdict::Fixed(_)) {
            j.verdict = Verdict::Refused("its file could not be edited safely (see errors)".into());
        }
    }
    outcome.fixes.objects.extend(
        plan.objects
            .into_iter()
            .filter(|o| !failed.contains(&o.file)),
    );
    outcome.fixes.policies.extend(
        plan.policies
            .into_iter()
            .filter(|p| !failed.contains(&p.file)),
    );
    outcome.judged.extend(judged);
    outcome.edited.extend(edited);
    outcome.failures.extend(failures);
    outcome.errors.extend(check.errors.iter().cloned());
    // A finding of a file left unedited was not fixed, so it did not fail its fix: it
    // remains, and the file's error says why.
    let (unedited, not_cleared): (Vec<_>, Vec<_>) = check
        .not_cleared
        .into_iter()
        .partition(|f| failed.contains(&f.location.file));
    outcome.check.not_cleared.extend(not_cleared);
    outcome.check.remaining.extend(unedited);
    outcome.check.introduced.extend(check.introduced);
    outcome.check.remaining.extend(check.remaining);
}

/// Writes the patches or the edited files, or (with --dry-run) keeps them for the report.
fn write_or_show(
    args: &FixArgs,
    outcome: &mut Outcome,
    sources: &[Source],
    roots: &[kubeharden_load::Root],
) -> Result<(), CliError> {
    // A file whose edits did not prove out is never written.
    let unproven: BTreeSet<_> = outcome
        .check
        .not_cleared
        .iter()
        .chain(&outcome.check.introduced)
        .map(|f| f.location.file.clone())
        .collect();
    outcome.edited.retain(|e| !unproven.contains(&e.name));
    if args.in_place {
        if !args.dry_run {
            for e in &outcome.edited {
                std::fs::write(&*e.name, &e.after).map_err(|source| CliError::CreateOutput {
                    path: PathBuf::from(&*e.name),
                    source,
                })?;
                outcome.written.push(e.name.to_string());
            }
        }
        return Ok(());
    }
    outcome
        .fixes
        .objects
        .retain(|o| !unproven.contains(&o.file));
    outcome
        .fixes
        .policies
        .retain(|p| !unproven.contains(&p.file));
    if outcome.fixes.objects.is_empty() && outcome.fixes.policies.is_empty() {
        return Ok(());
    }
    let (resources, collisions) = kustomize_resources(&args.output_dir, sources, roots)?;
    outcome.patch_files = patches(&outcome.fixes, &resources);
    if !collisions.is_empty() {
        // `kustomize build` refuses a kustomization whose resources define one object
        // twice ("may not add resource with an already registered id"): the patches
        // are written, the kustomization that could not build is not.
        outcome
            .patch_files
            .retain(|f| f.name != "kustomization.yaml");
        outcome.errors.push(format!(
            "kustomization.yaml not written: kustomize refuses resources that define one object twice, and {}; run fix on the files apart (each to its own --output-dir), or on a folder whose kustomization picks one of them",
            collisions.join("; ")
        ));
    }
    if args.dry_run {
        return Ok(());
    }
    let dir = &args.output_dir;
    std::fs::create_dir_all(dir).map_err(|source| CliError::CreateOutput {
        path: dir.clone(),
        source,
    })?;
    for file in &outcome.patch_files {
        let path = dir.join(&file.name);
        std::fs::write(&path, &file.text).map_err(|source| CliError::CreateOutput {
            path: path.clone(),
            source,
        })?;
        outcome.written.push(path.display().to_string());
    }
    Ok(())
}

/// What the kustomization's `resources` name, relative to the output folder: a
/// scanned folder that has a kustomization of its own, else each scanned file that
/// holds objects; and the objects two of those files both define (`Deployment shop/web
/// in a.yaml and b.yaml`), with which kustomize would not build it.
fn kustomize_resources(
    dir: &Path,
    sources: &[Source],
    roots: &[kubeharden_load::Root],
) -> Result<(Vec<String>, Vec<String>), CliError> {
    // Each object kustomize would load, by its id, with the files defining it.
    type Id = (String, String, Option<String>, String);
    let mut defined: std::collections::BTreeMap<Id, Vec<String>> = Default::default();
    let base = absolute(dir)?;
    let mut out = Vec::new();
    let mut covered: Vec<PathBuf> = Vec::new();
    for root in roots {
        let path = PathBuf::from(&root.name);
        let has_own = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
            .iter()
            .any(|k| path.join(k).is_file());
        if path.is_dir() && has_own {
            let abs = absolute(&path)?;
            out.push(relative(&base, &abs));
            covered.push(abs);
        }
    }
    for source in sources {
        let path = absolute(Path::new(&*source.name))?;
        let is_kustomization = path.file_name().is_some_and(|n| {
            n.to_string_lossy().starts_with("kustomization") || n == "Kustomization"
        });
        let objects = kubeharden_load::load_text(&source.name, &source.text, &Default::default());
        let fragment = objects
            .objects
            .iter()
            .any(|o| kubeharden_load::kustomize::partial_reason(o).is_some());
        if is_kustomization
            || objects.objects.is_empty()
            || fragment
            || covered.iter().any(|c| path.starts_with(c))
        {
            continue;
        }
        let name = relative(&base, &path);
        for o in &objects.objects {
            let r = &o.resource;
            let ns = r.namespace.clone().filter(|_| !o.namespace_defaulted);
            let id = (r.api_version.clone(), r.kind.clone(), ns, r.name.clone());
            let files = defined.entry(id).or_default();
            if !files.contains(&source.name.to_string()) {
                files.push(source.name.to_string());
            }
        }
        out.push(name);
    }
    let collisions = defined
        .into_iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|((_, kind, ns, name), files)| {
            let ns = ns.map(|n| format!("{n}/")).unwrap_or_default();
            format!("{kind} {ns}{name} is in both {}", files.join(" and "))
        })
        .collect();
    Ok((out, collisions))
}

fn absolute(path: &Path) -> Result<PathBuf, CliError> {
    std::path::absolute(path).map_err(|source| CliError::CreateOutput {
        path: path.to_path_buf(),
        source,
    })
}

/// `to` relative to the folder `from` (both absolute).
fn relative(from: &Path, to: &Path) -> String {
    fn clean(p: &Path) -> Vec<Component<'_>> {
        p.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect()
    }
    let (a, b) = (clean(from), clean(to));
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), a.len() - common).collect();
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// 2 for errors (input, edits, a fix that did not clear its finding), 1 when
/// findings at or above --fail-on remain, 0 otherwise.
fn exit_code(outcome: &Outcome, settings: &Settings) -> Result<u8, CliError> {
    let errors_fail = settings.fail_on_errors == FailOnErrors::Always && !outcome.errors.is_empty();
    let broken = !outcome.failures.is_empty()
        || !outcome.check.not_cleared.is_empty()
        || !outcome.check.introduced.is_empty();
    let remains = settings
        .fail_on
        .0
        .is_some_and(|level| outcome.check.remaining.iter().any(|f| f.severity >= level));
    Ok(if errors_fail || broken {
        exit::ERROR
    } else if remains {
        exit::FINDINGS
    } else {
        exit::CLEAN
    })
}

fn location(j: &Judged) -> String {
    let f = &j.finding;
    let container = f
        .container
        .as_ref()
        .map(|c| format!(" container {c}"))
        .unwrap_or_default();
    format!(
        "{}:{} {}{container}",
        f.location.file, f.location.line, f.resource
    )
}

fn write_outcome(args: &FixArgs, outcome: &Outcome) -> Result<(), CliError> {
    let text = match args.scan.output.format() {
        Format::Json => serde_json::to_string_pretty(&json_outcome(args, outcome))
            .map(|mut s| {
                s.push('\n');
                s
            })
            .unwrap_or_default(),
        _ => text_outcome(args, outcome),
    };
    let mut out = output::open(&args.scan.output)?;
    let written = out.write_all(text.as_bytes());
    output::finish(written, out)
}

fn counts(outcome: &Outcome) -> (usize, usize, usize) {
    let count =
        |pred: fn(&Verdict) -> bool| outcome.judged.iter().filter(|j| pred(&j.verdict)).count();
    (
        count(|v| matches!(v, Verdict::Fixed(_))),
        count(|v| matches!(v, Verdict::Refused(_))),
        count(|v| matches!(v, Verdict::NotFixable)),
    )
}

fn text_outcome(args: &FixArgs, outcome: &Outcome) -> String {
    let mut s = String::new();
    let (fixed, refused, not_fixable) = counts(outcome);
    let mut section = |title: String, lines: Vec<String>| {
        if !lines.is_empty() {
            s.push_str(&format!("{title}\n"));
            for l in lines {
                s.push_str(&format!("  {l}\n"));
            }
            s.push('\n');
        }
    };
    let fixed_lines = outcome
        .judged
        .iter()
        .filter_map(|j| match &j.verdict {
            Verdict::Fixed(what) => Some(format!("{}: {} {what}", location(j), j.finding.rule_id)),
            _ => None,
        })
        .collect();
    section(format!("Fixed ({fixed}):"), fixed_lines);
    let refused_lines = outcome
        .judged
        .iter()
        .filter_map(|j| match &j.verdict {
            Verdict::Refused(why) => Some(format!(
                "{}: {} not fixed: {why}",
                location(j),
                j.finding.rule_id
            )),
            _ => None,
        })
        .collect();
    section(format!("Not fixed ({refused}):"), refused_lines);
    let broken: Vec<String> = outcome
        .check
        .not_cleared
        .iter()
        .map(|f| {
            format!(
                "{} {} {}: {} still fails after its fix: {}",
                f.location.file, f.resource, f.path, f.rule_id, f.message
            )
        })
        .chain(outcome.check.introduced.iter().map(|f| {
            format!(
                "{} {}: {} appeared after the fixes: {}",
                f.location.file, f.resource, f.rule_id, f.message
            )
        }))
        .chain(
            outcome
                .failures
                .iter()
                .map(|f| format!("{}: not edited: {}", f.file, f.reason)),
        )
        .chain(outcome.errors.iter().cloned())
        .collect();
    section("Errors:".into(), broken);
    if args.dry_run && args.in_place {
        for e in &outcome.edited {
            s.push_str(&diff(e));
        }
    }
    if args.dry_run && !args.in_place {
        for f in &outcome.patch_files {
            s.push_str(&format!(
                "--- {}/{}\n{}\n",
                args.output_dir.display(),
                f.name,
                f.text
            ));
        }
    }
    let mut by_rule = std::collections::BTreeMap::<&str, usize>::new();
    for f in &outcome.check.remaining {
        *by_rule.entry(f.rule_id).or_default() += 1;
    }
    let rules: Vec<String> = by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    // fix judges each rule's finding apart; `scan` states each problem once.
    let mut merged = outcome.check.remaining.clone();
    kubeharden_rules::merge_findings(&mut merged);
    s.push_str(&format!(
        "{fixed} finding(s) fixed, {refused} not fixed (see why above), {not_fixable} of rules fix does not cover; {} finding(s) remain after the fixes, each rule's apart{} ({} problem(s) as `scan` counts them)\n",
        outcome.check.remaining.len(),
        if rules.is_empty() { String::new() } else { format!(": {}", rules.join(", ")) },
        merged.len()
    ));
    let verb = if args.dry_run { "would write" } else { "wrote" };
    if args.in_place {
        let files: Vec<String> = outcome.edited.iter().map(|e| e.name.to_string()).collect();
        if !files.is_empty() {
            s.push_str(&format!(
                "{verb} {} file(s): {}\n",
                files.len(),
                files.join(", ")
            ));
        }
    } else if !outcome.patch_files.is_empty() {
        s.push_str(&format!(
            "{verb} {} file(s) into {}; build the hardened manifests with: kubectl kustomize --load-restrictor LoadRestrictionsNone {}\n",
            outcome.patch_files.len(),
            args.output_dir.display(),
            args.output_dir.display()
        ));
    }
    s
}

fn json_judged(j: &Judged) -> serde_json::Value {
    let f = &j.finding;
    let (verdict, detail) = match &j.verdict {
        Verdict::Fixed(what) => ("fixed", what.as_str()),
        Verdict::Refused(why) => ("refused", why.as_str()),
        Verdict::NotFixable => ("not_fixable", ""),
    };
    json!({
        "rule_id": f.rule_id,
        "severity": f.severity,
        "resource": &*f.resource,
        "container": f.container,
        "path": f.path,
        "location": f.location,
        "verdict": verdict,
        "detail": detail,
    })
}

fn json_outcome(args: &FixArgs, outcome: &Outcome) -> serde_json::Value {
    let (fixed, refused, not_fixable) = counts(outcome);
    let diffs: Vec<_> = if args.in_place {
        outcome
            .edited
            .iter()
            .map(|e| json!({"file": &*e.name, "diff": diff(e)}))
            .collect()
    } else {
        Vec::new()
    };
    let patch_files: Vec<_> = outcome
        .patch_files
        .iter()
        .map(|f| json!({"file": args.output_dir.join(&f.name), "text": f.text}))
        .collect();
    json!({
        "version": 1,
        "mode": if args.in_place { "in-place" } else { "patches" },
        "dry_run": args.dry_run,
        "findings": outcome.check.remaining,
        // Every finding judged, with its verdict: fixed, refused, or of a rule fix does
        // not cover (not_fixable), as summary counts them.
        "fixes": outcome.judged.iter().map(json_judged).collect::<Vec<_>>(),
        "not_cleared": outcome.check.not_cleared,
        "introduced": outcome.check.introduced,
        "errors": outcome.errors.iter().cloned().chain(outcome.failures.iter().map(|f| format!("{}: {}", f.file, f.reason))).collect::<Vec<_>>(),
        "written": outcome.written,
        "diffs": diffs,
        "patches": patch_files,
        "summary": {"fixed": fixed, "refused": refused, "not_fixable": not_fixable, "remaining": outcome.check.remaining.len()},
    })
}
