//! The scan: inputs in, one report out.
//!
//! Files are scanned in parallel, and so are the documents of each file (a stream is
//! cut at its `---` and `...` lines before parsing). Each object is checked as soon as it is
//! parsed and its tree dropped, so memory holds findings and the small facts of the
//! cluster view, not the whole input. Once every object has been seen, the view is
//! built, cross-object conditions (a ServiceAccount that disables token automount, a
//! LimitRange default) are settled and the cluster-wide rules run. The report is sorted, so
//! it is the same whatever the thread count.
//!
//! A scan can hold several clusters ([`scan_clusters`]): by default each PATH of the
//! command line is one, with its own view, RBAC model and settled conditions, so
//! objects of unrelated projects never refer to each other. The report stays one.

#![forbid(unsafe_code)]

mod mapped;
mod owners;

use std::path::Path;

use kubeharden_cluster::{ClusterFacts, ClusterView};
use kubeharden_findings::{Requirement, SkippedChecks};
use kubeharden_load::{
    is_dockerfile, objects_from_dockerfile, objects_from_document, read_source, Discovered, Input,
    LoadError, LoadErrorKind, Object, RenderTarget, Source, Warning, Workload,
    DEFAULT_MAX_FILE_SIZE, DEFAULT_NAMESPACE,
};
pub use kubeharden_render::{
    check as check_render_options, BadRenderOption, RenderOptions, ValuesSet, BY_DESIGN,
};
use kubeharden_render::{Outcome, SourceMap};
// The report types live in kubeharden-findings, below the rules; named here too.
pub use kubeharden_findings::{ClusterStats, Counted, ScanReport, ScanStats};
use kubeharden_rules::inline::{apply_inline, inline_exceptions, InlineException};
use kubeharden_rules::RuleSet;
use kubeharden_yaml::{parse_chunk, split_documents, Limits};
use rayon::prelude::*;

#[derive(Clone, Debug)]
pub struct ScanOptions {
    pub limits: Limits,
    pub max_file_size: u64,
    /// The namespace of namespaced objects that name none (`--default-namespace`).
    pub default_namespace: String,
    /// Keep every object's labels in the report (`ScanReport::labels`), for
    /// exceptions that select objects by label.
    pub keep_labels: bool,
    /// How charts are rendered (`helm template`'s values and settings).
    pub render: RenderOptions,
    /// For a chart rendered with no `--namespace`: the namespace helm gave the
    /// release, which its objects there hold as if they named none (see `Rendered`).
    pub release_namespace: Option<String>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            limits: Limits::default(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            default_namespace: DEFAULT_NAMESPACE.to_string(),
            keep_labels: false,
            render: RenderOptions::default(),
            release_namespace: None,
        }
    }
}

/// The inputs of one cluster, and the command-line PATHs they come from.
#[derive(Clone, Debug, Default)]
pub struct ClusterInputs {
    pub roots: Vec<String>,
    pub inputs: Vec<Input>,
    /// Its Helm charts and Kustomize overlays, rendered before they are scanned.
    pub renders: Vec<RenderTarget>,
}

/// The clusters of a scan: one per PATH (a root), or all of them as one.
pub fn clusters_of(found: &Discovered, one_cluster: bool) -> Vec<ClusterInputs> {
    if one_cluster {
        let roots = found.roots.iter().map(|r| r.name.clone()).collect();
        return vec![ClusterInputs {
            roots,
            inputs: found.inputs.clone(),
            renders: found.renders.clone(),
        }];
    }
    found
        .roots
        .iter()
        .map(|r| ClusterInputs {
            roots: vec![r.name.clone()],
            inputs: found.inputs[r.inputs.clone()].to_vec(),
            renders: found.renders[r.renders.clone()].to_vec(),
        })
        .collect()
}

#[derive(Debug, Default)]
struct Partial {
    report: ScanReport,
    facts: ClusterFacts,
    /// The objects' inline exceptions (`kubeharden.io/ignore`), applied once every
    /// finding is known.
    inline: Vec<InlineException>,
    /// The checks of the compliance score are not counted (an admission review).
    uncounted: bool,
    /// The objects of a rendered text being scanned, kept for its source map.
    kept: Vec<Object>,
    /// The renders' source maps and objects: every finding of a rendered object is
    /// mapped back to its source once the report is complete (mapped.rs).
    mapped: Vec<mapped::Mapped>,
}

/// Where the cluster-wide rules run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Threads {
    /// On the thread pool: a scan.
    Pool,
    /// On this thread: the few objects of an admission review.
    This,
}

impl Partial {
    /// The partials of a parallel scan, in order, as one. Gathered and then joined
    /// once, with room made first: a pairwise reduce moves each finding once per level
    /// of its tree, which for hundreds of thousands of findings was most of a scan.
    fn gather(parts: impl ParallelIterator<Item = Partial>) -> Partial {
        let parts: Vec<Partial> = parts.collect();
        Partial::concat(parts)
    }

    fn concat(parts: Vec<Partial>) -> Partial {
        // The first part is the base: its findings are not moved, and a scan of one
        // file (one part) moves none. Each move of half a million findings touches
        // hundreds of megabytes of fresh pages, which was most of such a scan.
        let mut parts = parts.into_iter();
        let Some(mut all) = parts.next() else {
            return Partial::default();
        };
        let rest: Vec<Partial> = parts.collect();
        let findings = rest.iter().map(|p| p.report.findings.len()).sum();
        all.report.findings.reserve(findings);
        for part in rest {
            all = all.merge(part);
        }
        all
    }

    fn merge(mut self, other: Partial) -> Partial {
        self.report.absorb(other.report);
        self.facts.merge(other.facts);
        self.inline.extend(other.inline);
        self.kept.extend(other.kept);
        self.mapped.extend(other.mapped);
        self
    }
}

/// Scans `inputs` with `rules`, as one cluster.
pub fn scan(inputs: &[Input], rules: &RuleSet, options: &ScanOptions) -> ScanReport {
    let (report, view) = scan_with_view(inputs, rules, options);
    // Freeing a large view takes a while; do it while the caller writes the report.
    rayon::spawn(move || drop(view));
    report
}

/// Scans several clusters into one report: each has its own view, and its
/// cross-object conditions and cluster-wide rules see only its own objects.
pub fn scan_clusters(
    clusters: &[ClusterInputs],
    rules: &RuleSet,
    options: &ScanOptions,
) -> ScanReport {
    let reports: Vec<ScanReport> = clusters
        .par_iter()
        .map(|cluster| {
            let (mut report, view) = load_cluster(cluster, rules, options);
            rayon::spawn(move || drop(view));
            report.clusters = vec![ClusterStats {
                roots: cluster.roots.clone(),
                files: report.stats.files,
                objects: report.stats.objects,
            }];
            report
        })
        .collect();
    // The first cluster's report is the base, so that its findings are not moved.
    let mut reports = reports.into_iter();
    let mut report = reports.next().unwrap_or_default();
    let rest: Vec<ScanReport> = reports.collect();
    report
        .findings
        .reserve(rest.iter().map(|r| r.findings.len()).sum());
    for one in rest {
        report.absorb(one);
    }
    sort(&mut report);
    report
}

/// Scans `inputs` and also returns the cluster view built from them, for queries
/// such as `netpol reach` (with an empty rule set, it only loads).
pub fn scan_with_view(
    inputs: &[Input],
    rules: &RuleSet,
    options: &ScanOptions,
) -> (ScanReport, ClusterView) {
    let cluster = ClusterInputs {
        inputs: inputs.to_vec(),
        ..ClusterInputs::default()
    };
    scan_cluster_with_view(&cluster, rules, options)
}

/// Scans one cluster's inputs, charts and overlays, and also returns its view.
pub fn scan_cluster_with_view(
    cluster: &ClusterInputs,
    rules: &RuleSet,
    options: &ScanOptions,
) -> (ScanReport, ClusterView) {
    let (mut report, view) = load_cluster(cluster, rules, options);
    sort(&mut report);
    (report, view)
}

fn load_cluster(
    cluster: &ClusterInputs,
    rules: &RuleSet,
    options: &ScanOptions,
) -> (ScanReport, ClusterView) {
    let inputs = &cluster.inputs;
    // Kustomize patches anywhere in the scan are known before any file is judged.
    kubeharden_load::kustomize::index(inputs.iter().filter_map(|i| match i {
        Input::File(path) => Some(path.as_path()),
        Input::Stdin => None,
    }));
    let files = inputs
        .par_iter()
        .map(|input| scan_input(input, rules, options));
    // Charts and overlays render in parallel, each variant scanned as it comes.
    let rendered = cluster
        .renders
        .par_iter()
        .flat_map_iter(|target| kubeharden_render::render(target, &options.render))
        .map(|rendered| scan_rendered(rendered, rules, options));
    let partial = Partial::gather(files.chain(rendered));
    settle(partial, rules)
}

/// Scans what a chart or an overlay rendered to, its findings mapped back to their
/// source; a render that failed is its error, one not rendered by design is listed.
fn scan_rendered(rendered: Outcome, rules: &RuleSet, options: &ScanOptions) -> Partial {
    let mut partial = Partial::default();
    let rendered = match rendered {
        Outcome::Rendered(rendered) => rendered,
        Outcome::Failed(err) => {
            partial.report.errors.push(err);
            return partial;
        }
        Outcome::NotRendered(why) => {
            partial.report.skipped.push(why);
            return partial;
        }
    };
    let mut options = options.clone();
    if let Some(ns) = rendered.default_namespace {
        options.default_namespace = ns;
    }
    options.release_namespace = rendered.release_namespace;
    let source = Source {
        name: rendered.name,
        text: rendered.text,
    };
    let mut partial = scan_source(&source, rules, &options, rendered.source_map);
    match rendered.chart {
        true => partial.report.stats.charts += 1,
        false => partial.report.stats.overlays += 1,
    }
    if rendered.later_variant {
        partial.report.stats.chart_variants += 1;
    }
    // A chart or overlay that renders nothing (every template behind a value that is
    // off) judged nothing: listed, never silent, whatever else the scan holds.
    if partial.report.stats.objects == 0 && partial.report.errors.is_empty() {
        partial.report.skipped.push(SkippedChecks {
            scope: source.name.to_string(),
            rules: Vec::new(),
            reason: "rendered no object (its templates may be behind values that are off; a chart's crds/ are not rendered): nothing of it was judged".to_string(),
        });
    }
    partial
}

/// Scans a text already in memory, as if it were a file named `name`.
pub fn scan_text(name: &str, text: &str, rules: &RuleSet, options: &ScanOptions) -> ScanReport {
    let source = Source {
        name: name.into(),
        text: text.to_string(),
    };
    let mut report = settle(scan_source(&source, rules, options, None), rules).0;
    sort(&mut report);
    report
}

/// Scans texts held in memory as one cluster, as `scan` scans files holding them:
/// what `kubeharden fix` edited, judged again before anything is written.
pub fn scan_sources(sources: &[Source], rules: &RuleSet, options: &ScanOptions) -> ScanReport {
    let partial = Partial::gather(
        sources
            .par_iter()
            .map(|source| scan_source(source, rules, options, None)),
    );
    let (mut report, view) = settle(partial, rules);
    rayon::spawn(move || drop(view));
    sort(&mut report);
    report
}

/// A scan of objects that arrive in batches, such as the pages of a live cluster's
/// lists: each batch is checked in parallel as it arrives and its trees dropped, so
/// memory holds the findings and the cluster view's small facts, not the objects.
/// [`ObjectScan::finish`] then settles cross-object conditions and runs the
/// cluster-wide rules, as for files.
pub struct ObjectScan<'r> {
    rules: &'r RuleSet,
    partial: Partial,
    keep_labels: bool,
}

impl<'r> ObjectScan<'r> {
    pub fn new(rules: &'r RuleSet) -> ObjectScan<'r> {
        ObjectScan {
            rules,
            partial: Partial::default(),
            keep_labels: false,
        }
    }

    /// Keeps every object's labels in the report, for exceptions that select by label.
    #[must_use]
    pub fn keeping_labels(mut self, keep: bool) -> Self {
        self.keep_labels = keep;
        self
    }

    /// Checks a batch of objects.
    pub fn check(&mut self, objects: Vec<Object>) {
        let (rules, keep_labels) = (self.rules, self.keep_labels);
        let batch = objects.into_par_iter().map(|object| {
            let mut partial = Partial::default();
            check(&object, rules, keep_labels, &mut partial);
            partial
        });
        let batch = Partial::gather(batch);
        let done = std::mem::take(&mut self.partial);
        self.partial = done.merge(batch);
    }

    /// Adds an error (something that could not be read) to the report.
    pub fn error(&mut self, error: LoadError) {
        self.partial.report.errors.push(error);
    }

    /// The report: cross-object conditions settled, cluster-wide rules run, sorted.
    pub fn finish(self) -> ScanReport {
        let (mut report, view) = settle(self.partial, self.rules);
        rayon::spawn(move || drop(view));
        sort(&mut report);
        report
    }
}

/// Judges a few objects held in memory as `scan` judges a file holding them, on this
/// thread (the cluster-wide rules too): an admission review (the object under review,
/// and what the cluster has around it). Cross-object conditions are settled and the
/// cluster-wide rules run on these objects alone. `keep_labels` keeps the objects'
/// labels in the report, for exceptions that select objects by label. The findings
/// are `scan`'s; the checks the compliance score counts are not counted (a review has
/// no score).
pub fn check_together<'a>(
    objects: impl IntoIterator<Item = &'a Object>,
    rules: &RuleSet,
    keep_labels: bool,
) -> ScanReport {
    let mut partial = Partial {
        uncounted: true,
        ..Partial::default()
    };
    for object in objects {
        check(object, rules, keep_labels, &mut partial);
    }
    let (mut report, _view) = settle_with(partial, rules, Threads::This);
    sort(&mut report);
    report
}

fn scan_input(input: &Input, rules: &RuleSet, options: &ScanOptions) -> Partial {
    match read_source(input, options.max_file_size) {
        Err(err) => {
            let mut partial = Partial::default();
            partial.report.errors.push(err);
            partial
        }
        Ok((source, warning)) => {
            let mut partial = match input {
                Input::File(path) if is_dockerfile(path) => {
                    scan_dockerfile(&source, &dockerfile_identity(path), rules, options)
                }
                _ => scan_source(&source, rules, options, None),
            };
            partial.report.warnings.extend(warning);
            partial
        }
    }
}

/// A Dockerfile has no name of its own: it is known by its path in the repository
/// holding it (the nearest folder above with `.git`), else under the current folder,
/// else by its absolute path. So its fingerprint is the same however the PATH is
/// typed (relative or absolute, the folder or the file) and wherever in the
/// repository the scan starts, and two Dockerfiles never share one.
fn dockerfile_identity(path: &Path) -> String {
    let Ok(file) = path.canonicalize() else {
        return path.display().to_string();
    };
    let repository = file
        .ancestors()
        .skip(1)
        .find(|dir| dir.join(".git").exists());
    let base = repository
        .map(Path::to_path_buf)
        .or_else(|| std::env::current_dir().ok()?.canonicalize().ok());
    let relative = base.and_then(|base| file.strip_prefix(base).ok().map(Path::to_path_buf));
    relative.unwrap_or(file).display().to_string()
}

/// Scans a Dockerfile read from a file, its object named `identity`.
fn scan_dockerfile(
    source: &Source,
    identity: &str,
    rules: &RuleSet,
    options: &ScanOptions,
) -> Partial {
    let mut partial = Partial::default();
    for mut object in objects_from_dockerfile(&source.name, &source.text).objects {
        let mut resource = (*object.resource).clone();
        resource.name = identity.to_string();
        object.resource = std::sync::Arc::new(resource);
        check(&object, rules, options.keep_labels, &mut partial);
    }
    partial.report.stats.files += 1;
    partial.report.stats.bytes += source.text.len() as u64;
    partial
}

/// Scans one text; `source_map` maps the findings of a rendered one to their source
/// (its objects are kept for it until the report is complete).
fn scan_source(
    source: &Source,
    rules: &RuleSet,
    options: &ScanOptions,
    source_map: Option<Box<dyn SourceMap>>,
) -> Partial {
    let keep = source_map.is_some();
    if is_dockerfile(Path::new(&*source.name)) {
        let mut partial = Partial::default();
        for object in &objects_from_dockerfile(&source.name, &source.text).objects {
            check(object, rules, options.keep_labels, &mut partial);
        }
        partial.report.stats.files += 1;
        partial.report.stats.bytes += source.text.len() as u64;
        return partial;
    }
    let mut partial = Partial::gather(split_documents(&source.text).into_par_iter().map(|chunk| {
        let mut partial = Partial::default();
        for doc in parse_chunk(chunk, &options.limits) {
            match doc {
                Ok(mut doc) => {
                    for twice in std::mem::take(&mut doc.duplicate_keys) {
                        partial
                            .report
                            .warnings
                            .push(duplicate_key(&source.name, twice));
                    }
                    let mut objects = objects_from_document(&source.name, doc);
                    partial.report.stats.skipped_documents += objects.skipped;
                    partial.report.errors.extend(objects.errors);
                    for object in &mut objects.objects {
                        object.default_namespace(&options.default_namespace);
                        if options.release_namespace.is_some()
                            && object.resource.namespace == options.release_namespace
                        {
                            object.namespace_defaulted = true;
                        }
                        check(object, rules, options.keep_labels, &mut partial);
                    }
                    if keep {
                        partial.kept.append(&mut objects.objects);
                    }
                }
                Err(e) => partial.report.errors.push(LoadError::new(
                    &source.name,
                    Some(e.pos),
                    LoadErrorKind::Syntax { message: e.message },
                )),
            }
        }
        partial
    }));
    partial.report.stats.files += 1;
    partial.report.stats.bytes += source.text.len() as u64;
    if let Some(map) = source_map {
        let objects = std::mem::take(&mut partial.kept);
        partial.mapped.push(mapped::Mapped { map, objects });
    }
    partial
}

/// The warning for a key a document's mapping sets twice.
fn duplicate_key(
    file: &std::sync::Arc<str>,
    twice: kubeharden_yaml::DuplicateKey,
) -> kubeharden_load::Warning {
    kubeharden_load::Warning {
        file: file.clone(),
        pos: Some(twice.pos),
        kind: kubeharden_load::WarningKind::DuplicateKey {
            key: twice.key,
            first: twice.first.line,
        },
    }
}

/// The container list (`spec.containers`) or container (`spec.containers[1]`) an error
/// made unreadable as a whole: read as absent, so no container rule saw it, and the
/// object would look clean of them without this being said.
fn unread_containers(error: &LoadError) -> Option<&str> {
    let LoadErrorKind::Field(field) = &error.kind else {
        return None;
    };
    let path = field.path.as_str();
    let list = path.strip_suffix(']').map_or(path, |p| {
        p.rsplit_once('[')
            .filter(|(_, index)| index.bytes().all(|b| b.is_ascii_digit()))
            .map_or(p, |(list, _)| list)
    });
    let last = list.rsplit('.').next().unwrap_or(list);
    matches!(
        last,
        "containers" | "initContainers" | "ephemeralContainers"
    )
    .then_some(path)
}

fn check(object: &Object, rules: &RuleSet, keep_labels: bool, partial: &mut Partial) {
    // A bug in one rule must not take the whole scan down: it becomes an error that
    // names the object, and the scan goes on.
    // A fragment (a Kustomize patch) is not judged at all, nor put in the cluster
    // view (a Service patch `type: LoadBalancer` has no source ranges of its own); the
    // report says so rather than passing it.
    // Nor is it counted as an object scanned: a run of patches alone checked nothing.
    if let Some(reason) = kubeharden_load::kustomize::partial_reason(object) {
        partial.report.stats.patches += 1;
        partial.report.skipped.push(SkippedChecks {
            scope: format!("{} in {}", object.resource, object.file),
            rules: Vec::new(),
            reason,
        });
        return;
    }
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let (workload, mut errors) = Workload::read_object(object);
        let findings = rules.check_loaded(object, workload.as_ref());
        let mut facts = ClusterFacts::default();
        errors.extend(facts.observe(object, workload.as_ref()));
        let unknown: Vec<Warning> = workload
            .iter()
            .flat_map(|w| &w.unknown_fields)
            .map(|(path, pos)| Warning {
                file: object.file.clone(),
                pos: Some(*pos),
                kind: kubeharden_load::WarningKind::UnknownField {
                    path: path.to_string(),
                },
            })
            .collect();
        (findings, errors, unknown, facts, workload.is_some())
    }));
    partial.report.stats.objects += 1;
    partial.inline.extend(inline_exceptions(object));
    if keep_labels {
        keep_labels_of(object, &mut partial.report);
    }
    match checked {
        Ok((mut findings, errors, unknown, facts, is_workload)) => {
            partial.report.warnings.extend(unknown);
            // A list item that is no container at all (`containers: [x]`) was read as an
            // empty one: what the rules say of that phantom is no finding.
            let phantoms: Vec<&str> = errors
                .iter()
                .filter_map(unread_containers)
                .filter(|p| p.ends_with(']'))
                .collect();
            findings.retain(|f| !phantoms.iter().any(|p| f.path.starts_with(p)));
            let unread = errors.iter().find_map(unread_containers);
            if let Some(list) = unread {
                partial.report.skipped.push(SkippedChecks {
                    scope: object.resource.to_string(),
                    rules: Vec::new(),
                    reason: format!(
                        "the container rules did not judge {list}, which could not be read (see Errors)"
                    ),
                });
            }
            // The checks the score counts: each rule that judged this object.
            // Containers that could not be read were not judged: no rule of the pod's
            // makes a check of it that passes (its findings still fail one).
            if !partial.uncounted {
                let judged = is_workload && unread.is_none();
                rules.count_checks(object, judged, &mut partial.report.checks);
            }
            partial.report.findings.extend(findings);
            partial.report.errors.extend(errors);
            partial.facts.merge(facts);
        }
        Err(_) => {
            let resource = object.resource.to_string();
            partial.report.errors.push(LoadError::new(
                &object.file,
                Some(object.root.pos),
                LoadErrorKind::Internal { resource },
            ));
        }
    }
}

/// Records an object's labels for exceptions that select by label.
fn keep_labels_of(object: &Object, report: &mut ScanReport) {
    let labels = object
        .root
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .map(|labels| {
            labels
                .entries()
                .iter()
                .filter_map(|e| Some((e.key.scalar_text()?, e.value.scalar_text()?)))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let key = (object.file.clone(), object.resource.clone());
    report.labels.insert(key, labels);
}

/// Whether a finding's condition holds in the scan's cluster view, for a finding in
/// file `from`: of several definitions of the object it names, the nearest counts.
fn holds(requirement: &Requirement, view: &ClusterView, from: &str) -> bool {
    match requirement {
        Requirement::ServiceAccountAutomounts { namespace, name } => {
            !view.automount_disabled(namespace, name, from)
        }
        Requirement::NoLimitRangeDefault {
            namespace,
            resource,
            limit,
        } => !view.limit_range_default(namespace, resource, *limit, from),
    }
}

/// Two cluster snapshots in one scan (`cat a.yaml b.yaml`, or both named) would be
/// judged as one cluster, with one of their server versions: an error at the second
/// record, naming both (the same file named twice is one snapshot).
fn snapshots_mixed(facts: &kubeharden_cluster::ClusterFacts) -> Option<LoadError> {
    let records = facts.snapshot_records();
    let (first, first_context) = records.first()?;
    let (other, context) = records
        .iter()
        .find(|(o, _)| o.file != first.file || o.pos != first.pos)?;
    Some(LoadError::new(
        &other.file,
        Some(other.pos),
        format!(
            "a second cluster snapshot in one scan (context {context:?}; the first, context {first_context:?}, is in {}): their objects would be judged as one cluster; scan each snapshot alone",
            first.file
        ),
    ))
}

/// Builds the cluster view, settles cross-object conditions (each for the file of
/// its finding: of several definitions of an object, the nearest counts) and runs
/// the cluster-wide rules.
fn settle(partial: Partial, rules: &RuleSet) -> (ScanReport, ClusterView) {
    settle_with(partial, rules, Threads::Pool)
}

fn settle_with(partial: Partial, rules: &RuleSet, threads: Threads) -> (ScanReport, ClusterView) {
    let Partial {
        mut report,
        facts,
        inline,
        uncounted: _,
        kept: _,
        mapped,
    } = partial;
    report.errors.extend(snapshots_mixed(&facts));
    let view = ClusterView::build(facts);
    report.findings.retain(|f| {
        f.requires
            .as_ref()
            .is_none_or(|r| holds(r, &view, &f.location.file))
    });
    let cluster = match threads {
        Threads::Pool => rules.check_cluster(&view),
        Threads::This => rules.check_cluster_here(&view),
    };
    report.findings.extend(cluster.findings);
    report.skipped.extend(cluster.skipped);
    for (rule, n) in cluster.checks {
        *report.checks.entry(rule).or_default() += n;
    }
    kubeharden_rules::note_unenforced_policies(&mut report.findings, &view);
    // Merged first, so that a pod and its owner (or a pod and its siblings) compare
    // the same one-per-problem findings, and a sibling note is not merged away.
    rules.merge_findings(&mut report.findings);
    owners::judge_through_owners(&mut report.findings, &view.owners);
    rules.uncount_made(&mut report.checks, view.owners.made_count() as u64);
    apply_inline(&mut report, &inline);
    // Last, so that every finding is mapped, the cluster-wide rules' too, and the
    // steps above compare findings by the place their object was read from.
    mapped::map_findings(&mut report, &mapped);
    mapped::map_errors(&mut report.errors, &mapped);
    (report, view)
}

/// Puts a report in a stable order, whatever the thread count, and drops repeats:
/// the same finding twice (a file under two PATHs, a check of each definition of a
/// namespace that lands on one shared object) is one problem.
fn sort(report: &mut ScanReport) {
    report
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    report
        .findings
        .dedup_by(|a, b| a.sort_key().cmp(&b.sort_key()).is_eq());
    report
        .suppressed
        .sort_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
    report
        .suppressed
        .dedup_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()).is_eq());
    // By place, then by text: the order every report has had.
    report
        .errors
        .sort_by_cached_key(|e| (e.file.clone(), e.pos, e.message()));
    report
        .errors
        .dedup_by(|a, b| (&a.file, a.pos) == (&b.file, b.pos) && a.message() == b.message());
    report
        .warnings
        .sort_by(|a, b| (&a.file, a.pos).cmp(&(&b.file, b.pos)));
    report.warnings.dedup();
    report
        .skipped
        .sort_by(|a, b| (&a.scope, &a.reason, &a.rules).cmp(&(&b.scope, &b.reason, &b.rules)));
    report.skipped.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  serviceAccountName: runner\n  containers:\n  - name: c\n    image: registry.example.com/c@sha256:abc\n";

    fn token_findings(text: &str) -> usize {
        let report = scan_text("t.yaml", text, &RuleSet::all(), &ScanOptions::default());
        report
            .findings
            .iter()
            .filter(|f| f.rule_id == "KH402")
            .count()
    }

    #[test]
    fn service_account_that_disables_automount_clears_the_pod() {
        assert_eq!(token_findings(POD), 1);
        let sa = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: runner, namespace: app}\nautomountServiceAccountToken: false\n";
        assert_eq!(token_findings(&format!("{POD}{sa}")), 0);
        let other_ns = sa.replace("namespace: app", "namespace: other");
        assert_eq!(token_findings(&format!("{POD}{other_ns}")), 1);
    }

    /// A container list (or container) of the wrong type reads as absent: no container
    /// rule saw it, and the report says so rather than letting the pod look clean of
    /// them. A bad field inside a container leaves the container judged.
    #[test]
    fn containers_that_cannot_be_read_are_not_judged() {
        let not_judged = |spec: &str| {
            let text = format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d, namespace: app}}\nspec:\n  template:\n    spec:\n{spec}");
            let report = scan_text("t.yaml", &text, &RuleSet::all(), &ScanOptions::default());
            assert!(!report.errors.is_empty(), "{spec}");
            report
                .skipped
                .iter()
                .filter(|s| s.scope == "Deployment app/d")
                .map(|s| s.reason.clone())
                .collect::<Vec<_>>()
        };
        let list = not_judged("      containers: oops\n");
        assert_eq!(list.len(), 1);
        // No rule of the pod counts a check that passes: the score is not 100%.
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  automountServiceAccountToken: false\n  containers: {name: c, image: x}\n";
        let report = scan_text("t.yaml", text, &RuleSet::all(), &ScanOptions::default());
        assert_eq!(report.checks.get("KH101"), None, "{:?}", report.checks);
        assert!(
            list[0].contains("spec.template.spec.containers,"),
            "{list:?}"
        );
        let init = not_judged("      containers:\n      - {name: a, image: x}\n      initContainers: {name: b, image: y}\n");
        assert!(
            init[0].contains("spec.template.spec.initContainers,"),
            "{init:?}"
        );
        let field = not_judged("      containers:\n      - {name: a, image: x, securityContext: {privileged: maybe}}\n");
        assert_eq!(field, Vec::<String>::new());
    }

    /// A misspelt key of a pod spec (which kubectl refuses, checked on the test bed:
    /// "strict decoding error: unknown field") is a warning at its line; a known
    /// field, a label or an annotation of any name, and a resource name are not.
    #[test]
    fn unknown_fields_of_a_pod_spec_are_warnings() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: app, labels: {anything: x}}\nspec:\n  template:\n    metadata:\n      annotations: {whatever.example.com/x: v}\n    spec:\n      hostNetwrok: true\n      containers:\n      - name: c\n        image: x\n        securityContex: {privileged: true}\n        resources: {limits: {example.com/dongle: 1}}\n        securityContext: {runAsUser: 1000}\n";
        let report = scan_text("t.yaml", text, &RuleSet::all(), &ScanOptions::default());
        let said: Vec<String> = report
            .warnings
            .iter()
            .map(|w| format!("{}:{}", w.pos.unwrap().line, w.kind))
            .collect();
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(
            said[0].starts_with("9:unknown field spec.template.spec.hostNetwrok: "),
            "{said:?}"
        );
        assert!(
            said[1]
                .starts_with("13:unknown field spec.template.spec.containers[0].securityContex: "),
            "{said:?}"
        );
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }

    #[test]
    fn same_report_with_one_thread_or_many() {
        let text = (0..50)
            .map(|i| POD.replace("name: p", &format!("name: p{i}")))
            .collect::<Vec<_>>()
            .join("---\n");
        let many = scan_text("t.yaml", &text, &RuleSet::all(), &ScanOptions::default());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let one =
            pool.install(|| scan_text("t.yaml", &text, &RuleSet::all(), &ScanOptions::default()));
        let render = |r: &ScanReport| {
            r.findings
                .iter()
                .map(|f| format!("{}:{}:{}", f.location.line, f.rule_id, f.message))
                .collect::<Vec<_>>()
        };
        assert_eq!(render(&many), render(&one));
        assert_eq!(many.stats.objects, 50);
    }

    #[test]
    fn checks_count_each_rule_on_each_subject_it_judges() {
        let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: app, uid: u1}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: c, image: r.example/c:1}\n";
        let service = "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: app}\nspec: {type: NodePort}\n";
        let ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n";
        let text = [deploy, service, ns, &POD.replace("name: p,", "name: q,")].join("---\n");
        let report = scan_text("t.yaml", &text, &RuleSet::all(), &ScanOptions::default());
        let checks = |id: &str| report.checks.get(id).copied().unwrap_or(0);
        assert_eq!(checks("KH101"), 2, "two workloads");
        assert_eq!(checks("KH540"), 1, "one Service");
        assert_eq!(checks("KH510"), 1, "one namespace judged");
        assert_eq!(checks("KH533"), 0, "no ConfigMap");
        // A ReplicaSet the Deployment made is judged through it: no more checks.
        let rs = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: d-1\n  namespace: app\n  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: d, uid: u1, controller: true}]\nspec:\n  template:\n    spec:\n      containers:\n      - {name: c, image: r.example/c:1}\n";
        let with_rs = format!("{text}---\n{rs}");
        let report = scan_text("t.yaml", &with_rs, &RuleSet::all(), &ScanOptions::default());
        assert_eq!(report.checks.get("KH101").copied(), Some(2));
    }

    #[test]
    fn a_sidecar_injected_into_every_replica_is_one_finding_naming_the_others() {
        let rs = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web-1, namespace: app, uid: rs1}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: web, image: r.example/web:1}\n";
        let pod = |name: &str| {
            format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: app\n  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: rs1, controller: true}}]\nspec:\n  containers:\n  - {{name: web, image: r.example/web:1}}\n  - name: proxy\n    image: r.example/proxy:1\n    securityContext: {{privileged: true}}\n")
        };
        let text = [
            rs.to_string(),
            pod("web-1-a"),
            pod("web-1-b"),
            pod("web-1-c"),
        ]
        .join("---\n");
        let report = scan_text("t.yaml", &text, &RuleSet::all(), &ScanOptions::default());
        let proxy: Vec<&kubeharden_rules::Finding> = report
            .findings
            .iter()
            .filter(|f| f.container.as_deref() == Some("proxy"))
            .collect();
        assert!(!proxy.is_empty());
        let mut said: Vec<(&str, &str)> = proxy.iter().map(|f| (f.rule_id, &*f.message)).collect();
        said.dedup();
        assert_eq!(said.len(), proxy.len(), "one finding a problem: {proxy:#?}");
        for f in &proxy {
            assert_eq!(f.resource.name, "web-1-a");
            assert!(
                f.message
                    .ends_with("(and in 2 other Pods of ReplicaSet web-1)"),
                "{}",
                f.message
            );
        }
        // What the owner has too is reported on the owner only.
        let web: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.container.as_deref() == Some("web"))
            .map(|f| f.resource.kind.as_str())
            .collect();
        assert!(
            !web.is_empty() && web.iter().all(|k| *k == "ReplicaSet"),
            "{web:?}"
        );
    }

    #[test]
    fn broken_document_is_an_error_and_the_rest_is_scanned() {
        let text = format!("{POD}---\nkind: [oops\n---\n{POD}");
        let report = scan_text("t.yaml", &text, &RuleSet::all(), &ScanOptions::default());
        assert_eq!(report.stats.objects, 2);
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.errors[0].pos.unwrap().line, 11);
    }
}
