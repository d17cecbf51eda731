//! `kubeharden node`.

use kubeharden_engine::{Counted, ScanReport, ScanStats};
use std::path::Path;
use std::sync::Arc;

use kubeharden_load::LoadError;
use kubeharden_node::{discover, parse_version, NodeInputs, NodeView};

use crate::cli::NodeArgs;
use crate::error::CliError;
use crate::exit;
use crate::scan_cmd::finish;
use crate::settings::{config_start, Settings};

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
    let settings = Settings::resolve(&args.selection, None, None, &config_start(&[]))?;
    let mut rules = settings.rule_set()?.node_rules();
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
    let nothing = nothing_to_audit(&view, &args.root);
    errors.extend(nothing.clone());
    let mut report = ScanReport {
        findings: checked.findings,
        errors,
        warnings: view.warnings.clone(),
        skipped: Vec::new(),
        stats: ScanStats {
            files: view.read,
            bytes: 0,
            objects: configurations(&view),
            skipped_documents: 0,
            counted: Counted::Configurations,
            ..ScanStats::default()
        },
        checks: checked.checks,
        ..ScanReport::default()
    };
    let code = finish(&mut report, &rules, &args.output, &settings)?;
    // Even with --fail-on-errors never: an audit of nothing passed nothing.
    Ok(if nothing.is_some() { exit::ERROR } else { code })
}

/// What the audit judged: each component, the kubelet, and each configuration file
/// judged on its own (a kubeconfig alone is no component, yet it was audited).
fn configurations(view: &NodeView) -> usize {
    view.components.len()
        + usize::from(view.kubelet.is_some())
        + view.kubeconfigs.len()
        + usize::from(view.audit_policy.is_some())
        + usize::from(view.encryption_config.is_some())
}

/// A root with no component, kubelet or configuration file to judge is most likely
/// not a node's root (a wrong --root, or the host not mounted): no clean pass.
fn nothing_to_audit(view: &NodeView, root: &Path) -> Option<LoadError> {
    let found_something = !view.components.is_empty()
        || view.kubelet.is_some()
        || !view.kubeconfigs.is_empty()
        || view.audit_policy.is_some()
        || view.encryption_config.is_some();
    if found_something {
        return None;
    }
    let name: Arc<str> = root.display().to_string().into();
    Some(LoadError::new(
        &name,
        None,
        format!(
            "nothing to audit: no control-plane component (no static pod manifest of one \
             in /etc/kubernetes/manifests, no process of one in /proc), no kubelet and no \
             kubeconfig under this root ({} read). Is --root the node's filesystem root?",
            counted(view.read, "file")
        ),
    ))
}

/// `1 file`, `3 files`.
fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}
