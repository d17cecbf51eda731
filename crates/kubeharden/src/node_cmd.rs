//! `kubeharden node`.

use kubeharden_engine::{ScanReport, ScanStats};
use kubeharden_node::{discover, parse_version, NodeInputs};
use kubeharden_rules::RuleSet;

use crate::cli::NodeArgs;
use crate::error::CliError;
use crate::scan_cmd::finish;

pub fn run(args: NodeArgs) -> Result<u8, CliError> {
    let k8s_version = match &args.k8s_version {
        Some(v) => Some(parse_version(v).ok_or_else(|| CliError::BadValue {
            flag: "--k8s-version",
            value: v.clone(),
            expected: "expected MAJOR.MINOR, e.g. 1.30",
        })?),
        None => None,
    };
    if !args.root.is_dir() {
        return Err(CliError::RootNotAFolder(args.root.clone()));
    }
    let selection = args.selection.selection();
    let mut rules = RuleSet::new(&selection)?.node_rules();
    rules.config.node_owner_uid = args.owner_uid;
    let inputs = NodeInputs {
        root: args.root.clone(),
        apiserver: args.apiserver.clone(),
        kubelet_config: args.kubelet_config.clone(),
        audit_policy: args.audit_policy.clone(),
        encryption_config: args.encryption_config.clone(),
        kubeconfigs: args.kubeconfigs.clone(),
        k8s_version,
        max_file_size: args.max_file_size,
    };
    let view = discover(&inputs);
    let checked = rules.check_node(&view);
    let mut errors = view.errors.clone();
    errors.extend(checked.errors);
    let report = ScanReport {
        findings: checked.findings,
        errors,
        warnings: view.warnings.clone(),
        skipped: Vec::new(),
        stats: ScanStats {
            files: view.read,
            bytes: 0,
            objects: view.components.len() + usize::from(view.kubelet.is_some()),
            skipped_documents: 0,
        },
        clusters: Vec::new(),
    };
    finish(&report, &rules, &args.output, args.selection.fail_on)
}
