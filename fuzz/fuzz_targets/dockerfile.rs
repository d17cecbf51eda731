//! The Dockerfile reader (instructions, continuation lines, comments, stages) and
//! the image rules it feeds, then the report formats. Every finding is on a line
//! of the file.
#![no_main]

use std::sync::Arc;

use kubeharden_engine::ScanReport;
use kubeharden_fuzz::output::check_all;
use kubeharden_load::objects_from_dockerfile;
use kubeharden_rules::RuleSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let name: Arc<str> = "Dockerfile".into();
    let rules = RuleSet::all().manifest_rules();
    let mut scan = ScanReport::default();
    for object in &objects_from_dockerfile(&name, &text).objects {
        let result = rules.check_object(object);
        scan.findings.extend(result.findings);
        scan.errors.extend(result.errors);
    }
    let lines = text.lines().count().max(1);
    for finding in &scan.findings {
        let line = finding.location.line as usize;
        assert!((1..=lines).contains(&line), "{finding:?}");
    }
    check_all(&scan);
});
