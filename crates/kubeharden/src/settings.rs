//! What a reporting command runs with: its flags over the configuration file
//! (`.kubeharden.yaml`), and what is applied to its report at the one place every
//! command finishes it: severity overrides, exceptions and the baseline.

use std::path::{Path, PathBuf};

use kubeharden_engine::ScanReport;
use kubeharden_exceptions::{Baseline, Config, FailLevel};
use kubeharden_rules::{Framework, PssLevel, RuleSet, Selection, Severity};

use crate::cli::{FailOn, FailOnErrors, SelectArgs};
use crate::error::CliError;

/// A command's settings, resolved: a flag wins over the file, the file over the
/// default.
pub struct Settings {
    pub config: Config,
    pub framework: Framework,
    pub pss_target: PssLevel,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub min_severity: Option<Severity>,
    pub fail_on: FailOn,
    pub fail_on_errors: FailOnErrors,
    pub baseline: Option<PathBuf>,
    pub write_baseline: Option<PathBuf>,
    pub report_unused_exceptions: bool,
    pub show_suppressed: bool,
    /// `--summary`: text output prints only the summary.
    pub summary: bool,
}

impl Settings {
    /// Reads the configuration file (`--config`, or the one found upward from
    /// `start`) and lays the flags over it.
    pub fn resolve(
        args: &SelectArgs,
        framework: Option<Framework>,
        pss_target: Option<PssLevel>,
        start: &Path,
    ) -> Result<Settings, CliError> {
        let flags = &args.config;
        let path = match (&flags.config, flags.no_config) {
            (_, true) => None,
            (Some(path), false) => Some(path.clone()),
            (None, false) => Config::find(start),
        };
        let config = match path {
            Some(path) => Config::load(&path)?,
            None => Config::default(),
        };
        let or_file = |flag: &[String], file: &[String]| {
            let chosen = if flag.is_empty() { file } else { flag };
            chosen.to_vec()
        };
        let fail_on = args.fail_on.unwrap_or(match config.fail_on {
            Some(FailLevel::Never) => FailOn(None),
            Some(FailLevel::At(level)) => FailOn(Some(level)),
            None => FailOn(Some(Severity::Low)),
        });
        Ok(Settings {
            framework: framework.or(config.framework).unwrap_or_default(),
            pss_target: pss_target
                .or(config.pss_target)
                .unwrap_or(PssLevel::Baseline),
            select: or_file(&args.select, &config.select),
            ignore: or_file(&args.ignore, &config.ignore),
            min_severity: args.min_severity.or(config.min_severity),
            fail_on,
            fail_on_errors: if args.soft_fail {
                FailOnErrors::Never
            } else {
                args.fail_on_errors
            },
            baseline: flags.baseline.clone(),
            write_baseline: flags.write_baseline.clone(),
            report_unused_exceptions: flags.report_unused_exceptions,
            show_suppressed: flags.show_suppressed,
            summary: args.summary,
            config,
        })
    }

    /// The rule selection. `--min-severity` is applied to the finished report (in
    /// [`Settings::finish_report`]), not by the rule set: after severity overrides,
    /// and where the checks whose findings it hides can leave the score.
    pub fn selection(&self) -> Selection {
        Selection {
            framework: self.framework,
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            min_severity: None,
        }
    }

    /// The rules selected.
    pub fn rule_set(&self) -> Result<RuleSet, CliError> {
        let set = RuleSet::new(&self.selection())?;
        Ok(set.with_severities(&self.config.severity))
    }

    /// Whether the scan must keep object labels: exceptions select by label.
    pub fn keep_labels(&self) -> bool {
        self.config.exceptions.needs_labels()
    }

    /// Applies to a finished report what the configuration and flags say: severity
    /// overrides (then `--min-severity`), exceptions, and the baseline (written first
    /// with `--write-baseline`).
    pub fn finish_report(&self, report: &mut ScanReport) -> Result<(), CliError> {
        self.config.override_severities(report);
        if let Some(min) = self.min_severity {
            uncount_filtered_checks(report, min);
            report.findings.retain(|f| f.severity >= min);
            report.suppressed.retain(|s| s.finding.severity >= min);
        }
        self.config.exceptions.apply(
            report,
            kubeharden_exceptions::today(),
            self.report_unused_exceptions,
        );
        if let Some(path) = &self.baseline {
            Baseline::read(path)?.apply(report, &path.display().to_string());
        }
        if let Some(path) = &self.write_baseline {
            let baseline = Baseline::of(report);
            baseline
                .write(path)
                .map_err(|source| CliError::CreateOutput {
                    path: path.clone(),
                    source,
                })?;
            eprintln!(
                "kubeharden: wrote {} finding fingerprint{} to {}",
                baseline.len(),
                if baseline.len() == 1 { "" } else { "s" },
                path.display()
            );
            baseline.apply(report, &path.display().to_string());
        }
        Ok(())
    }
}

/// Where a command looks for its configuration file: the first PATH scanned (not
/// standard input), else the current folder.
pub fn config_start(paths: &[PathBuf]) -> PathBuf {
    paths
        .first()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Takes out of the score's checks those whose only findings `--min-severity` hides:
/// a check whose failure is filtered out is not judged at that level, and must not
/// count as passed (a filter would otherwise raise the score).
fn uncount_filtered_checks(report: &mut ScanReport, min: Severity) {
    use std::collections::BTreeSet;
    let subject = |f: &kubeharden_rules::Finding| {
        let r = &f.resource;
        (
            f.rule_id,
            r.kind.clone(),
            r.namespace.clone(),
            r.name.clone(),
        )
    };
    let kept: BTreeSet<_> = report
        .findings
        .iter()
        .filter(|f| f.severity >= min)
        .map(subject)
        .collect();
    let hidden: BTreeSet<_> = report
        .findings
        .iter()
        .filter(|f| f.severity < min)
        .map(subject)
        .filter(|s| !kept.contains(s))
        .collect();
    for (rule, ..) in hidden {
        if let Some(n) = report.checks.get_mut(rule) {
            *n = n.saturating_sub(1);
        }
    }
}
