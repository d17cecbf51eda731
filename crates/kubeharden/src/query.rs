//! What the query commands (`netpol`, `rbac`) share: loading objects into a view.

use std::path::PathBuf;

use kubeharden_cluster::ClusterView;
use kubeharden_engine::{clusters_of, scan_cluster_with_view, ScanOptions};
use kubeharden_load::discover;
use kubeharden_report::Format;
use kubeharden_rules::RuleSet;

use crate::cli::InputArgs;
use crate::error::CliError;
use crate::exit;

/// Loads the objects of a query; input errors are printed and make the exit code 2.
pub fn load(input: &InputArgs) -> Result<(ClusterView, bool), CliError> {
    let paths = if input.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        input.paths.clone()
    };
    let found = discover(&paths, &input.exclude)?;
    // A query asks about one cluster; unrelated PATHs are not silently merged.
    if found.roots.len() > 1 && !input.cluster.one_cluster {
        return Err(CliError::SeparateClusters(found.roots.len()));
    }
    let options = ScanOptions {
        default_namespace: input.cluster.default_namespace.clone(),
        ..ScanOptions::default()
    };
    // One cluster: charts and overlays rendered with it.
    let cluster = clusters_of(&found, true).remove(0);
    let (report, view) = scan_cluster_with_view(&cluster, &RuleSet::none(), &options);
    let errors: Vec<_> = found.errors.iter().chain(&report.errors).collect();
    for error in &errors {
        eprintln!("kubeharden: error: {error}");
    }
    for warning in &report.warnings {
        eprintln!("kubeharden: warning: {warning}");
    }
    // An answer about nothing is no answer: "no" on an empty folder or a wrong path
    // would read as a denial (exit 1) to a script.
    let nothing = report.stats.objects == 0;
    if nothing {
        let named: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "kubeharden: error: {}: nothing to query: no Kubernetes object found; check the PATH",
            named.join(", ")
        );
    }
    Ok((view, !errors.is_empty() || nothing))
}

/// Query commands write text or JSON.
pub fn text_or_json(format: Format) -> Result<(), CliError> {
    match format {
        Format::Text | Format::Json => Ok(()),
        format => Err(CliError::FormatNotSupported {
            command: "this query",
            supported: "text or json",
            format,
        }),
    }
}

/// The exit code of a yes-or-no query (`rbac can`, `netpol reach`), as `kubectl auth
/// can-i` gives it: 0 for yes, 1 for no. Input errors make any answer incomplete, and
/// an answer the scan cannot decide (`None`) is neither: both give 2, so a script that
/// tests for one answer never takes the other by mistake.
pub fn answer_code(answer: Option<bool>, had_errors: bool) -> u8 {
    match answer {
        _ if had_errors => exit::ERROR,
        Some(true) => exit::CLEAN,
        Some(false) => exit::FINDINGS,
        None => exit::ERROR,
    }
}
