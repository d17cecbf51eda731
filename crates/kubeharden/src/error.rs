//! Why a command could not run at all (exit code 2). Errors in the input are not
//! these: they are reported with their file and line, and the run goes on.

use std::io;
use std::path::PathBuf;

use kubeharden_load::BadExclude;
use kubeharden_rbac::BadSubject;
use kubeharden_report::Format;
use kubeharden_rules::UnknownRule;

use crate::suggest::{did_you_mean, rule_names};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Exclude(#[from] BadExclude),
    #[error("{}{}", .0, did_you_mean(&.0.pattern, rule_names()))]
    Selection(#[from] UnknownRule),
    #[error(transparent)]
    Cluster(#[from] kubeharden_live::LiveError),
    #[error(transparent)]
    AdmissionConfig(#[from] kubeharden_admission::ConfigError),
    #[error(transparent)]
    Serve(#[from] kubeharden_admission::ServeError),
    #[error(transparent)]
    CertJob(#[from] kubeharden_admission::certs::CertJobError),
    #[error("cannot start the server's runtime: {0}")]
    Runtime(io::Error),
    #[error(transparent)]
    Subject(#[from] BadSubject),
    /// A chart render option (`--values`, `--set`, `--kube-version`, `--values-set`)
    /// that cannot be used: told once, before any chart is rendered.
    #[error(transparent)]
    RenderOption(#[from] kubeharden_engine::BadRenderOption),
    #[error("-j: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    /// A flag's value that is not of its form.
    #[error("{flag} {value:?}: {expected}")]
    BadValue {
        flag: &'static str,
        value: String,
        expected: &'static str,
    },
    /// A file a flag names that could not be read.
    #[error("{flag} {}: {source}", path.display())]
    FlagFile {
        flag: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("--root {}: not a folder", .0.display())]
    RootNotAFolder(PathBuf),
    #[error("{command} writes {supported}, not {}", format_name(*.format))]
    FormatNotSupported {
        command: &'static str,
        supported: &'static str,
        format: Format,
    },
    #[error("cannot write {}: {source}", path.display())]
    CreateOutput { path: PathBuf, source: io::Error },
    #[error("cannot write the report: {0}")]
    WriteReport(io::Error),
    /// `explain` of what is no rule and no guidance row, with a suggestion of either.
    #[error("no rule or guidance row {:?} (see `kubeharden rules`){}", .0, .1)]
    NoSuchRuleOrRow(String, String),
    #[error("the {0} PATHs are separate clusters: query one, or pass --one-cluster to treat them as one")]
    SeparateClusters(usize),
    /// A configuration file that cannot be read or is wrong (file:line:col).
    #[error("{0}")]
    Config(#[from] kubeharden_exceptions::ConfigError),
    /// A baseline file that cannot be read or is not one.
    #[error("{0}")]
    Baseline(#[from] kubeharden_exceptions::BaselineError),
    /// A query's `NS/NAME` that names no workload, or several.
    #[error("{0}")]
    Workload(#[from] WorkloadError),
}

/// A workload named on the command line (`--from`, `--to`, `-n`) that the scan does
/// not hold exactly once.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("{0:?}: expected NAMESPACE/NAME or NAMESPACE/KIND/NAME")]
    BadName(String),
    /// With a "did you mean" of the workloads the scan holds, or nothing.
    #[error("no workload {0:?} in the scanned objects{1}")]
    NotFound(String, String),
    #[error("{given:?} is ambiguous: {}; name it as NAMESPACE/KIND/NAME", candidates.join(", "))]
    Ambiguous {
        given: String,
        candidates: Vec<String>,
    },
    #[error("no workload in namespace {0:?} in the scanned objects{1}")]
    EmptyNamespace(String, String),
    #[error("--port {name}: {workload} declares no container port of that name ({})", if declared.is_empty() { "it names none of its ports".to_string() } else { format!("its named ports: {}", declared.join(", ")) })]
    NoNamedPort {
        workload: String,
        name: String,
        declared: Vec<String>,
    },
}

/// A format as `--format` spells it.
pub(crate) fn format_name(format: Format) -> &'static str {
    match format {
        Format::Text => "text",
        Format::Json => "json",
        Format::Sarif => "sarif",
        Format::Junit => "junit",
        Format::PolicyReport => "policyreport",
        Format::Html => "html",
        Format::Markdown => "markdown",
    }
}
