//! `kubeharden audit-log`.

use std::io::Write;
use std::sync::Arc;

use kubeharden_audit::net::{read_list, Cidr};
use kubeharden_audit::read::{Input, MalformedLines};
use kubeharden_audit::{analyse, Alert, AnalyseOptions, AuditConfig};
use kubeharden_engine::{Counted, ScanReport, ScanStats};
use kubeharden_load::{LoadError, LoadErrorKind};
use kubeharden_report::printable;
use kubeharden_rules::{finding_from_alert, Finding, RuleSet, SkippedChecks};
use kubeharden_yaml::{Limits, Pos};

use crate::cli::AuditLogArgs;
use crate::error::CliError;
use crate::scan_cmd::finish;
use crate::settings::{config_start, Settings};

fn cidrs(list: &[String], flag: &'static str) -> Result<Vec<Cidr>, CliError> {
    list.iter()
        .map(|c| {
            Cidr::parse(c).ok_or_else(|| CliError::BadValue {
                flag,
                value: c.clone(),
                expected: "not a CIDR",
            })
        })
        .collect()
}

fn config(args: &AuditLogArgs, errors: &mut Vec<LoadError>) -> Result<AuditConfig, CliError> {
    let mut config = AuditConfig {
        brute_force_failures: args.brute_force_failures,
        spray_users: args.spray_users,
        probe_forbidden: args.probe_forbidden,
        secret_reads: args.secret_reads,
        window: args.window,
        secret_readers: args.secret_reader.clone(),
        exec_allowed: args.exec_allowed.clone(),
        cluster_cidrs: cidrs(&args.cluster_cidr, "--cluster-cidr")?,
        ..AuditConfig::default()
    };
    if !args.internal_cidr.is_empty() {
        config.internal_cidrs = cidrs(&args.internal_cidr, "--internal-cidr")?;
    }
    if let Some(path) = &args.deny_list {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::FlagFile {
            flag: "--deny-list",
            path: path.clone(),
            source,
        })?;
        let (ranges, bad) = read_list(&text);
        let name: Arc<str> = path.display().to_string().into();
        for line in bad {
            errors.push(LoadError::new(
                &name,
                Some(Pos::new(line as u32, 1)),
                "not a CIDR; the line was skipped",
            ));
        }
        config.deny_list = ranges;
    }
    Ok(config)
}

/// The detectors `--policy` blinds, as a "not judged" note.
fn blind_spots(
    args: &AuditLogArgs,
    rules: &RuleSet,
    errors: &mut Vec<LoadError>,
) -> Option<SkippedChecks> {
    let path = args.policy.as_ref()?;
    let name: Arc<str> = path.display().to_string().into();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            let reason = e.to_string();
            errors.push(LoadError::new(
                &name,
                None,
                LoadErrorKind::Unreadable { reason },
            ));
            return None;
        }
    };
    let loaded = kubeharden_load::load_text(&name, &text, &Limits::default());
    errors.extend(loaded.errors);
    let object = loaded.objects.into_iter().next()?;
    let policy = match kubeharden_audit::policy::AuditPolicy::read(name.clone(), object.root) {
        Ok(p) => p,
        Err(e) => {
            errors.push(LoadError::new(&e.file, Some(e.pos), e.to_string()));
            return None;
        }
    };
    let running: Vec<&str> = rules.rules().iter().map(|r| r.def.id).collect();
    let blinded: Vec<(
        &'static str,
        &'static str,
        kubeharden_audit::policy::AuditLevel,
    )> = kubeharden_audit::policy::blinded(&policy)
        .into_iter()
        .filter(|(id, _, _)| running.contains(id))
        .collect();
    if blinded.is_empty() {
        return None;
    }
    let mut ids: Vec<&'static str> = blinded.iter().map(|b| b.0).collect();
    ids.dedup();
    let mut seen = Vec::new();
    let reason = blinded
        .iter()
        .filter(|(_, what, _)| {
            let new = !seen.contains(what);
            seen.push(what);
            new
        })
        .map(|(_, what, level)| format!("{what} logged at {level:?}"))
        .collect::<Vec<_>>()
        .join("; ");
    Some(SkippedChecks {
        scope: format!("audit policy {name}"),
        rules: ids,
        reason: format!("the policy blinds them: {reason}"),
    })
}

/// The first malformed lines of an input one by one, then one error that counts the
/// rest: a log of garbage must not flood standard error or the report.
fn malformed_errors(lines: &MalformedLines, errors: &mut Vec<LoadError>) {
    errors.extend(lines.listed.iter().map(|m| {
        LoadError::new(
            &m.file,
            Some(Pos::new(m.line as u32, m.why.column() as u32)),
            format!("not an audit event: {}", m.why),
        )
    }));
    if let (Some(first), Some(m)) = (lines.first_unlisted, lines.listed.first()) {
        errors.push(LoadError::new(
            &m.file,
            Some(Pos::new(first as u32, 1)),
            format!(
                "{} more lines from here on are not audit events ({} in all; only the first {} are listed)",
                lines.more,
                lines.total(),
                lines.listed.len()
            ),
        ));
    }
}

/// Prints an alert as it is raised; `false` when standard output is gone (`| head`),
/// which ends the analysis quietly.
fn print_alert(alert: &Alert) -> bool {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "ALERT {} {} at {}:{}: {}",
        alert.rule_id,
        // Usernames and messages come from the log, which attackers write to.
        printable(&alert.subject),
        printable(&alert.file),
        alert.line,
        printable(&alert.message)
    )
    .and_then(|()| out.flush())
    .is_ok()
}

/// Whether standard output is a pipe whose reader has gone: asked while following a
/// quiet log, so that `--follow | head -1` ends without waiting for another alert.
fn stdout_closed() -> bool {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    use std::os::fd::AsFd;
    let stdout = std::io::stdout();
    let fd = stdout.as_fd();
    let mut fds = [PollFd::new(&fd, PollFlags::empty())];
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    poll(&mut fds, Some(&now)).is_ok_and(|_| fds[0].revents().contains(PollFlags::ERR))
}

/// A log with no audit event is no clean pass (a wrong file, an empty rotation, a
/// format that is not the API server's): an error, so the run exits 2.
fn no_events(files: &[std::path::PathBuf]) -> LoadError {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    LoadError::new(
        &Arc::from(names.join(", ")),
        None,
        "no audit event was read: an API server's audit log holds one JSON event a line \
         (audit.k8s.io/v1 Event) or an EventList; nothing was judged"
            .to_string(),
    )
}

pub fn run(args: AuditLogArgs) -> Result<u8, CliError> {
    crate::scan_cmd::set_threads(args.threads)?;
    // --format is checked by its parser (cli.rs, parse_audit_format): no PolicyReport,
    // and no file extension names one.
    let settings = Settings::resolve(&args.selection, None, None, &config_start(&[]))?;
    let rules = settings.rule_set()?.audit_rules();
    let mut errors = Vec::new();
    let config = config(&args, &mut errors)?;
    let blind = blind_spots(&args, &rules, &mut errors);
    let inputs: Vec<Input> = args
        .files
        .iter()
        .map(|f| {
            if f.as_os_str() == "-" {
                Input::Stdin
            } else {
                Input::File(f.clone())
            }
        })
        .collect();
    let mut detectors = rules.detectors(&config);
    let options = AnalyseOptions {
        follow: args.follow,
        on_new: args.follow.then_some(print_alert as fn(&Alert) -> bool),
        stop: args.follow.then_some(stdout_closed as fn() -> bool),
        ..AnalyseOptions::default()
    };
    let result = analyse(&inputs, &mut detectors, &options);
    for lines in &result.malformed {
        malformed_errors(lines, &mut errors);
    }
    errors.extend(result.errors.iter().map(|e| {
        let pos = e.line.map(|line| Pos::new(line as u32, 1));
        LoadError::new(&e.file, pos, e.kind.to_string())
    }));
    let no_event = result.events == 0 && !args.follow;
    if no_event {
        errors.push(no_events(&args.files));
    }
    let mut findings: Vec<Finding> = result
        .alerts
        .into_iter()
        .filter_map(finding_from_alert)
        .filter(|f| rules.admits(f))
        .collect();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut report = ScanReport {
        findings,
        errors,
        warnings: Vec::new(),
        skipped: blind.into_iter().collect(),
        stats: ScanStats {
            files: result.inputs,
            bytes: 0,
            objects: result.events as usize,
            skipped_documents: 0,
            counted: Counted::Events,
            ..ScanStats::default()
        },
        // Audit-log detectors make no checks of a configuration: no score.
        checks: Default::default(),
        ..ScanReport::default()
    };
    let code = finish(&mut report, &rules, &args.output, &settings)?;
    // A log with no event judged nothing, even under --soft-fail: exit 2, as scan.
    Ok(if no_event { crate::exit::ERROR } else { code })
}
