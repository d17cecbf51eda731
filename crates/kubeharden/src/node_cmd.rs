//! `kubeharden node`.

use kubeharden_engine::{ScanReport, ScanStats};
use kubeharden_node::{discover, parse_version, NodeInputs};
use kubeharden_rules::{RuleSet, Selection};

use crate::cli::NodeArgs;
use crate::exit;
use crate::scan_cmd::write_report;

pub fn run(args: NodeArgs) -> Result<u8, String> {
    let k8s_version = match &args.k8s_version {
        Some(v) => Some(
            parse_version(v)
                .ok_or_else(|| format!("--k8s-version {v:?}: expected MAJOR.MINOR, e.g. 1.30"))?,
        ),
        None => None,
    };
    if !args.root.is_dir() {
        return Err(format!("--root {}: not a folder", args.root.display()));
    }
    let selection = Selection {
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        min_severity: args.min_severity,
        ..Selection::default()
    };
    let mut rules = RuleSet::new(&selection)?.node_rules();
    rules.config.node_owner_uid = args.owner_uid;
    let inputs = NodeInputs {
        root: args.root.clone(),
        apiserver: args.apiserver.clone(),
        kubelet_config: args.kubelet_config.clone(),
        audit_policy: args.audit_policy.clone(),
        encryption_config: args.encryption_config.clone(),
        k8s_version,
    };
    let view = discover(&inputs);
    let report = ScanReport {
        findings: rules.check_node(&view),
        errors: view.errors.clone(),
        skipped: Vec::new(),
        stats: ScanStats {
            files: view.read,
            bytes: 0,
            objects: view.components.len() + usize::from(view.kubelet.is_some()),
            skipped_documents: 0,
        },
    };
    for error in &report.errors {
        eprintln!("kubeharden: error: {error}");
    }
    write_report(&report, &rules, &args.output)?;
    Ok(if !report.errors.is_empty() {
        exit::ERROR
    } else if args
        .fail_on
        .0
        .is_some_and(|level| report.findings.iter().any(|f| f.severity >= level))
    {
        exit::FINDINGS
    } else {
        exit::CLEAN
    })
}
