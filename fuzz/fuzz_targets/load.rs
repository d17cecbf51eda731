//! The loader and the rules on arbitrary bytes: nothing may panic, hang or grow
//! without bound. `cargo fuzz run load` (see fuzz/README.md).
#![no_main]

use std::sync::Arc;

use kubeharden_load::load_text;
use kubeharden_rules::RuleSet;
use kubeharden_yaml::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let name: Arc<str> = "fuzz.yaml".into();
    let limits = Limits {
        max_depth: 64,
        max_nodes: 100_000,
        ..Limits::default()
    };
    let loaded = load_text(&name, &text, &limits);
    let rules = RuleSet::all();
    for object in &loaded.objects {
        let result = rules.check_object(object);
        for finding in &result.findings {
            assert!(finding.location.line >= 1);
        }
    }
});
