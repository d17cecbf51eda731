//! The scan: inputs in, one report out.
//!
//! Files are scanned in parallel, and so are the documents of each file (a stream is
//! cut at its `---` and `...` lines before parsing). Each object is checked as soon as it is
//! parsed and its tree dropped, so memory holds findings and the small facts of the
//! cluster view, not the whole input. Once every object has been seen, the view is
//! built, cross-object conditions (a ServiceAccount that disables token automount, a
//! LimitRange default) are settled and the cluster-wide rules run. The report is sorted, so
//! it is the same whatever the thread count.

use std::path::Path;

use kubeharden_cluster::{ClusterFacts, ClusterView};
use kubeharden_load::{
    is_dockerfile, objects_from_dockerfile, objects_from_document, read_source, Input, LoadError,
    Object, Source, Workload, DEFAULT_MAX_FILE_SIZE,
};
use kubeharden_rules::{Finding, RuleSet, SkippedChecks};
use kubeharden_yaml::{parse_chunk, split_documents, Limits};
use rayon::prelude::*;

#[derive(Clone, Copy, Debug)]
pub struct ScanOptions {
    pub limits: Limits,
    pub max_file_size: u64,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            limits: Limits::default(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Inputs read (files and stdin).
    pub files: usize,
    pub bytes: u64,
    /// Kubernetes objects checked.
    pub objects: usize,
    /// Documents (or List items) skipped because they are not Kubernetes objects.
    pub skipped_documents: usize,
}

#[derive(Debug, Default)]
pub struct ScanReport {
    pub findings: Vec<Finding>,
    pub errors: Vec<LoadError>,
    /// Cluster-wide checks not run, and why.
    pub skipped: Vec<SkippedChecks>,
    pub stats: ScanStats,
}

#[derive(Debug, Default)]
struct Partial {
    report: ScanReport,
    facts: ClusterFacts,
}

impl Partial {
    fn merge(mut self, other: Partial) -> Partial {
        self.report.findings.extend(other.report.findings);
        self.report.errors.extend(other.report.errors);
        self.report.skipped.extend(other.report.skipped);
        let (a, b) = (&mut self.report.stats, other.report.stats);
        a.files += b.files;
        a.bytes += b.bytes;
        a.objects += b.objects;
        a.skipped_documents += b.skipped_documents;
        self.facts.merge(other.facts);
        self
    }
}

/// Scans `inputs` with `rules`.
pub fn scan(inputs: &[Input], rules: &RuleSet, options: &ScanOptions) -> ScanReport {
    let (report, view) = scan_with_view(inputs, rules, options);
    // Freeing a large view takes a while; do it while the caller writes the report.
    rayon::spawn(move || drop(view));
    report
}

/// Scans `inputs` and also returns the cluster view built from them, for queries
/// such as `netpol reach` (with an empty rule set, it only loads).
pub fn scan_with_view(
    inputs: &[Input],
    rules: &RuleSet,
    options: &ScanOptions,
) -> (ScanReport, ClusterView) {
    let partial = inputs
        .par_iter()
        .map(|input| scan_input(input, rules, options))
        .reduce(Partial::default, Partial::merge);
    finish(partial, rules)
}

/// Scans a text already in memory, as if it were a file named `name`.
pub fn scan_text(name: &str, text: &str, rules: &RuleSet, options: &ScanOptions) -> ScanReport {
    let source = Source {
        name: name.into(),
        text: text.to_string(),
    };
    finish(scan_source(&source, rules, options), rules).0
}

fn scan_input(input: &Input, rules: &RuleSet, options: &ScanOptions) -> Partial {
    match read_source(input, options.max_file_size) {
        Err(err) => {
            let mut partial = Partial::default();
            partial.report.errors.push(err);
            partial
        }
        Ok((source, warning)) => {
            let mut partial = scan_source(&source, rules, options);
            partial.report.errors.extend(warning);
            partial
        }
    }
}

fn scan_source(source: &Source, rules: &RuleSet, options: &ScanOptions) -> Partial {
    if is_dockerfile(Path::new(&*source.name)) {
        let mut partial = Partial::default();
        for object in &objects_from_dockerfile(&source.name, &source.text).objects {
            check(object, rules, &mut partial);
        }
        partial.report.stats.files += 1;
        partial.report.stats.bytes += source.text.len() as u64;
        return partial;
    }
    let mut partial = split_documents(&source.text)
        .into_par_iter()
        .map(|chunk| {
            let mut partial = Partial::default();
            for doc in parse_chunk(chunk, &options.limits) {
                match doc {
                    Ok(doc) => {
                        let objects = objects_from_document(&source.name, doc);
                        partial.report.stats.skipped_documents += objects.skipped;
                        partial.report.errors.extend(objects.errors);
                        for object in &objects.objects {
                            check(object, rules, &mut partial);
                        }
                    }
                    Err(e) => partial.report.errors.push(LoadError::new(
                        &source.name,
                        Some(e.pos),
                        e.message,
                    )),
                }
            }
            partial
        })
        .reduce(Partial::default, Partial::merge);
    partial.report.stats.files += 1;
    partial.report.stats.bytes += source.text.len() as u64;
    partial
}

fn check(object: &Object, rules: &RuleSet, partial: &mut Partial) {
    // A bug in one rule must not take the whole scan down: it becomes an error that
    // names the object, and the scan goes on.
    // A fragment (a Kustomize patch) is not judged as a workload, nor counted as one
    // in the cluster view; the report says so rather than passing it.
    let partial_reason = kubeharden_load::kustomize::partial_reason(object);
    if let Some(reason) = &partial_reason {
        partial.report.skipped.push(SkippedChecks {
            scope: format!("{} in {}", object.resource, object.file),
            rules: Vec::new(),
            reason: reason.clone(),
        });
    }
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut errors = Vec::new();
        let workload = Workload::from_object(object)
            .filter(|_| partial_reason.is_none())
            .map(|(w, e)| {
                errors = e;
                w
            });
        let findings = rules.check_loaded(object, workload.as_ref());
        let mut facts = ClusterFacts::default();
        errors.extend(facts.observe(object, workload.as_ref()));
        (findings, errors, facts)
    }));
    partial.report.stats.objects += 1;
    match checked {
        Ok((findings, errors, facts)) => {
            partial.report.findings.extend(findings);
            partial.report.errors.extend(errors);
            partial.facts.merge(facts);
        }
        Err(_) => {
            let message = format!(
                "internal error while checking {}; it was skipped (please report this bug)",
                object.resource
            );
            partial.report.errors.push(LoadError::new(
                &object.file,
                Some(object.root.pos),
                message,
            ));
        }
    }
}

/// Builds the cluster view, settles cross-object conditions, runs the cluster-wide
/// rules, and puts everything in a stable order.
fn finish(partial: Partial, rules: &RuleSet) -> (ScanReport, ClusterView) {
    let Partial { mut report, facts } = partial;
    let view = ClusterView::build(facts);
    report
        .findings
        .retain(|f| f.requires.as_ref().is_none_or(|r| r.holds(&view)));
    let cluster = rules.check_cluster(&view);
    report.findings.extend(cluster.findings);
    report.skipped.extend(cluster.skipped);
    report.skipped.sort_by(|a, b| a.scope.cmp(&b.scope));
    report
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    report
        .errors
        .sort_by(|a, b| (&a.file, a.pos, &a.message).cmp(&(&b.file, b.pos, &b.message)));
    (report, view)
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
    fn broken_document_is_an_error_and_the_rest_is_scanned() {
        let text = format!("{POD}---\nkind: [oops\n---\n{POD}");
        let report = scan_text("t.yaml", &text, &RuleSet::all(), &ScanOptions::default());
        assert_eq!(report.stats.objects, 2);
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.errors[0].pos.unwrap().line, 11);
    }
}
