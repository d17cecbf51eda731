//! `kubeharden node` on a node tree written from the input (the bundle format of
//! `kubeharden_fuzz::bundle`: `@@@ PATH` lines open files, folders and links):
//! static pod manifests and their flags, process command lines, the kubelet's
//! config, flags, drop-ins and `kubeadm-flags.env`, kubeconfigs, the PKI walk, the
//! audit policy, encryption and authorization configurations the API server names,
//! and every node rule on what was read.
#![no_main]

use kubeharden_engine::ScanReport;
use kubeharden_fuzz::output::check_all;
use kubeharden_fuzz::{bundle, scratch};
use kubeharden_node::{discover, NodeInputs};
use kubeharden_rules::RuleSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let root = scratch::fresh("node");
    bundle::write(&root, &bundle::parse(data));
    let inputs = NodeInputs {
        root: root.clone(),
        ..NodeInputs::default()
    };
    let view = discover(&inputs);
    // Nothing outside the root is read: every file the view names is under it.
    let prefix = root.display().to_string();
    for error in &view.errors {
        let file: &str = &error.file;
        assert!(file.starts_with(&prefix), "read outside the root: {error}");
    }
    let rules = RuleSet::all().node_rules();
    let result = rules.check_node(&view);
    let mut errors = view.errors;
    errors.extend(result.errors);
    let scan = ScanReport {
        findings: result.findings,
        errors,
        ..ScanReport::default()
    };
    check_all(&scan);
});
