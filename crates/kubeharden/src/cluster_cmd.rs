//! `kubeharden cluster`: scan a live cluster through its API server.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kubeharden_engine::{ClusterStats, ObjectScan, ScanReport};
use kubeharden_live::{
    read_cluster, write_policy_reports, ConnectOptions, Event, ReadOptions, ReportWrite,
    SnapshotWriter,
};
use kubeharden_load::LoadError;
use kubeharden_rules::RuleSet;

use crate::cli::ClusterScanArgs;
use crate::error::CliError;
use crate::scan_cmd::{finish, manifest_rules, policy_report_options, set_threads};
use crate::settings::{config_start, Settings};

pub fn run(args: ClusterScanArgs) -> Result<u8, CliError> {
    set_threads(args.threads)?;
    refuse_one_file_for_two(&args)?;
    let settings = Settings::resolve(
        &args.selection,
        args.framework,
        args.pss_target,
        &config_start(&[]),
    )?;
    let mut rules = manifest_rules(&settings)?;
    if args.no_merge {
        rules = rules.every_finding();
    }
    let connect = ConnectOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        request_timeout: Duration::from_secs(args.request_timeout),
    };
    let read = ReadOptions {
        namespaces: args.namespace.clone(),
        page_size: args.chunk_size,
        retries: args.retries,
    };
    let scan = ObjectScan::new(&rules).keeping_labels(settings.keep_labels());
    let mut report = scan_cluster(&connect, &read, scan, args.snapshot.as_deref())?;
    let nothing = nothing_read(&report);
    if nothing.is_some() {
        // The checks made on the run's own record (the server version, say) are no
        // compliance: with nothing read, the score is n/a and no object was read.
        report.checks.clear();
        report.stats.objects = 0;
    }
    report.errors.extend(nothing.clone());
    let mut code = finish(&mut report, &rules, &args.output, &settings)?;
    if nothing.is_some() {
        // Even with --fail-on-errors never: an identity that could read nothing
        // checked nothing, and a CI gate must not go green on it.
        code = crate::exit::ERROR;
    }
    if args.write_policy_reports && nothing.is_some() {
        // Reports made of nothing would replace the last good ones with skips: a
        // permission lost must not empty the dashboards.
        eprintln!("kubeharden: read no object: the policy reports are left as they are");
    } else if args.write_policy_reports
        && !store_reports(&connect, &report, &rules, &args, &settings)?
    {
        code = crate::exit::ERROR;
    }
    std::mem::forget(report);
    Ok(code)
}

/// `--snapshot F --output F` would overwrite the snapshot with the report (or the
/// reverse): refused before anything is read.
fn refuse_one_file_for_two(args: &ClusterScanArgs) -> Result<(), CliError> {
    match (&args.snapshot, &args.output.output) {
        (Some(snapshot), Some(output)) if same_file(snapshot, output) => Err(CliError::BadValue {
            flag: "--snapshot",
            value: snapshot.display().to_string(),
            expected: "a file other than --output's (one would overwrite the other)",
        }),
        _ => Ok(()),
    }
}

/// The same path, or two paths to one existing file.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(a), Ok(b)) if a == b
        )
}

/// A cluster scan that read no object (an identity allowed to list nothing, a
/// namespace with nothing in it) is no clean pass: the error says so and how many
/// kinds could not be read. The snapshot's own record document is not an object read.
fn nothing_read(report: &ScanReport) -> Option<LoadError> {
    let cluster = report.clusters.first()?;
    if cluster.objects > 0 {
        return None;
    }
    let forbidden = report.skipped.len();
    let root: std::sync::Arc<str> = cluster
        .roots
        .first()
        .map_or("cluster://", |r| r.as_str())
        .into();
    Some(LoadError::new(
        &root,
        None,
        format!(
            "read no object from the cluster ({forbidden} group(s) of checks not judged); \
             nothing was checked: check the identity's permissions and --namespace"
        ),
    ))
}

/// `--write-policy-reports`: stores the findings as PolicyReports and deletes the
/// stale ones, saying on standard error what it did. False when a report could not
/// be written or deleted.
fn store_reports(
    connect: &ConnectOptions,
    report: &ScanReport,
    rules: &RuleSet,
    args: &ClusterScanArgs,
    settings: &Settings,
) -> Result<bool, CliError> {
    let options = policy_report_options(settings.fail_on, args.report_max_results);
    let view = kubeharden_report::Report {
        scan: report,
        rules,
    };
    let docs = kubeharden_report::policy_reports(&view, &options);
    for doc in docs.iter().filter(|d| d.omitted > 0) {
        eprintln!(
            "kubeharden: {} {}: {} of {} results kept (the most severe); the rest are counted in its summary",
            doc.kind(),
            doc.namespace.as_deref().unwrap_or(kubeharden_report::REPORT_NAME),
            doc.kept,
            doc.total()
        );
    }
    let write = ReportWrite {
        documents: docs.into_iter().map(|d| d.document).collect(),
        owner: (
            kubeharden_report::MANAGED_BY.0.to_string(),
            kubeharden_report::MANAGED_BY.1.to_string(),
        ),
        namespaces: args.namespace.clone(),
        delete_stale: report.errors.is_empty(),
        retries: args.retries,
    };
    if !write.delete_stale {
        eprintln!("kubeharden: the scan had errors: stale policy reports are kept");
    }
    let done = write_policy_reports(connect, &write)?;
    eprintln!(
        "kubeharden: policy reports: {} created, {} replaced, {} stale deleted",
        done.created.len(),
        done.replaced.len(),
        done.deleted.len()
    );
    for error in &done.errors {
        eprintln!("kubeharden: error: {}", kubeharden_report::printable(error));
    }
    Ok(done.errors.is_empty())
}

/// What the events of a read become: findings, a snapshot, progress.
struct Scan<'r> {
    scan: ObjectScan<'r>,
    snapshot_path: Option<&'r std::path::Path>,
    snapshot: Option<SnapshotWriter>,
    progress: Progress,
    /// `cluster://CONTEXT`, where errors are located.
    root: Arc<str>,
    objects: usize,
}

impl Scan<'_> {
    fn on_event(&mut self, event: Event) {
        match event {
            Event::Connected { context, server } => {
                self.root = kubeharden_live::cluster_root(&context).into();
                self.progress.connected(&context, &server);
                if let Some(path) = self.snapshot_path {
                    match SnapshotWriter::create(path, &context) {
                        Ok(writer) => self.snapshot = Some(writer),
                        Err(e) => self.error(format!("cannot write {}: {e}", path.display())),
                    }
                }
            }
            Event::Listing {
                resource,
                namespace,
            } => self.progress.listing(&resource, namespace.as_deref()),
            Event::Objects(objects) => {
                self.objects += objects.len();
                self.progress.read(objects.len());
                self.write_snapshot(&objects);
                self.scan.check(objects);
            }
            Event::Header(object) => {
                let objects = vec![object];
                self.write_snapshot(&objects);
                self.scan.check(objects);
            }
            Event::Retry {
                what,
                attempt,
                reason,
            } => self
                .progress
                .note(&format!("{what}: {reason} (retry {attempt})")),
            Event::Error(message) => self.error(message),
        }
    }

    fn write_snapshot(&mut self, objects: &[kubeharden_load::Object]) {
        let Some(writer) = &mut self.snapshot else {
            return;
        };
        // Credentials in ConfigMaps and env stay out of the file, as Secret values do.
        let write = |o: &kubeharden_load::Object| match kubeharden_rules::redact_credentials(o) {
            Some(redacted) => writer.write(&redacted),
            None => writer.write(o),
        };
        if let Err(e) = objects.iter().try_for_each(write) {
            self.snapshot = None;
            let path = self.snapshot_path.map(|p| p.display().to_string());
            self.error(format!("cannot write {}: {e}", path.unwrap_or_default()));
        }
    }

    fn error(&mut self, message: String) {
        self.scan.error(LoadError::new(&self.root, None, message));
    }
}

/// Reads the cluster and judges its objects as they arrive.
fn scan_cluster<'r>(
    connect: &ConnectOptions,
    read: &ReadOptions,
    objects: ObjectScan<'r>,
    snapshot: Option<&'r std::path::Path>,
) -> Result<ScanReport, CliError> {
    let mut scan = Scan {
        scan: objects,
        snapshot_path: snapshot,
        snapshot: None,
        progress: Progress::new(std::io::stderr().is_terminal()),
        root: "cluster://".into(),
        objects: 0,
    };
    let header = read_cluster(connect, read, |event| scan.on_event(event));
    scan.progress.done(scan.objects);
    let header = header?;
    if let Some(writer) = scan.snapshot.take() {
        if let Err(e) = writer.finish() {
            scan.error(format!("cannot write the snapshot: {e}"));
        }
    }
    let objects = scan.objects;
    let mut report = scan.scan.finish();
    report.clusters = vec![ClusterStats {
        roots: vec![kubeharden_live::cluster_root(&header.context)],
        files: 0,
        objects,
    }];
    Ok(report)
}

/// A one-line progress display on standard error, only when it is a terminal.
struct Progress {
    on: bool,
    started: Instant,
    resource: String,
    count: usize,
    total: usize,
}

impl Progress {
    fn new(on: bool) -> Progress {
        Progress {
            on,
            started: Instant::now(),
            resource: String::new(),
            count: 0,
            total: 0,
        }
    }

    fn show(&self, line: &str) {
        if self.on {
            let mut err = std::io::stderr().lock();
            // Back to the line's start and clear it; the line is cut to fit.
            let line: String = line.chars().take(100).collect();
            let _ = write!(err, "\r\x1b[K{}", kubeharden_report::printable(&line));
            let _ = err.flush();
        }
    }

    fn connected(&mut self, context: &str, server: &str) {
        self.show(&format!(
            "connected to {context} ({server}); discovering kinds"
        ));
    }

    fn listing(&mut self, resource: &str, namespace: Option<&str>) {
        self.resource = match namespace {
            Some(ns) => format!("{resource} in {ns}"),
            None => resource.to_string(),
        };
        self.count = 0;
        self.show(&format!("reading {}", self.resource));
    }

    fn read(&mut self, n: usize) {
        self.count += n;
        self.total += n;
        self.show(&format!(
            "reading {}: {}  ({} objects so far)",
            self.resource, self.count, self.total
        ));
    }

    fn note(&self, text: &str) {
        if self.on {
            self.show("");
            eprintln!("kubeharden: {}", kubeharden_report::printable(text));
        }
    }

    fn done(&self, objects: usize) {
        if self.on {
            self.show("");
            eprintln!(
                "kubeharden: read {objects} objects in {:.1} s",
                self.started.elapsed().as_secs_f64()
            );
        }
    }
}
