//! The whole scan of one file of many objects: loading, every per-object rule, the
//! cluster view, cross-object conditions and the cluster-wide rules (RBAC,
//! NetworkPolicy, namespaces), then every report format. Nothing may panic, hang or
//! grow without bound, and every report must render (see `output::check_all`).
#![no_main]

use kubeharden_engine::{scan_text, ScanOptions};
use kubeharden_fuzz::output::check_all;
use kubeharden_rules::RuleSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let rules = RuleSet::all().manifest_rules();
    let report = scan_text("fuzz.yaml", &text, &rules, &ScanOptions::default());
    check_all(&report);
});
