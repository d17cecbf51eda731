//! The audit-log reader and every audit detector: JSON lines, `EventList` documents
//! and gzip (one member or several), read from a file with limits scaled down so
//! that inputs of up to a few MB reach every bound (long lines, batch bytes,
//! document size, gzip expansion).
//!
//! The first byte chooses how the rest is stored: as it is, gzipped, or gzipped in
//! two members. Gzipping here lets the fuzzer mutate the log, not the deflate
//! stream; stored as it is, the bytes may still be (broken) gzip.
#![no_main]

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use kubeharden_audit::read::{Input, ReadLimits};
use kubeharden_audit::{analyse, AnalyseOptions, AuditConfig};
use kubeharden_engine::ScanReport;
use kubeharden_fuzz::output::check_all;
use kubeharden_fuzz::scratch;
use kubeharden_rules::{finding_from_alert, RuleSet};
use libfuzzer_sys::fuzz_target;

fn gzip(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(part).unwrap();
        out.extend(encoder.finish().unwrap());
    }
    out
}

fn stored(data: &[u8]) -> Vec<u8> {
    let Some((&how, log)) = data.split_first() else {
        return Vec::new();
    };
    match how % 4 {
        1 => gzip(&[log]),
        2 => {
            let (a, b) = log.split_at(log.len() / 2);
            gzip(&[a, b])
        }
        _ => log.to_vec(),
    }
}

fuzz_target!(|data: &[u8]| {
    let dir = scratch::fresh("audit_log");
    let path = dir.join("audit.log");
    std::fs::write(&path, stored(data)).unwrap();
    let limits = ReadLimits {
        max_line: 64 << 10,
        max_batch_bytes: 256 << 10,
        max_document: 512 << 10,
        max_gzip_ratio: 50,
        gzip_floor: 256 << 10,
    };
    let options = AnalyseOptions {
        limits,
        ..AnalyseOptions::default()
    };
    let config = AuditConfig {
        // Small thresholds, so that the windowed detectors fire on small inputs.
        brute_force_failures: 2,
        spray_users: 2,
        probe_forbidden: 2,
        secret_reads: 2,
        ..AuditConfig::default()
    };
    let rules = RuleSet::all().audit_rules();
    let mut detectors = rules.detectors(&config);
    let report = analyse(&[Input::File(path)], &mut detectors, &options);
    for lines in &report.malformed {
        assert!(lines.listed.len() <= kubeharden_audit::read::MAX_LISTED);
    }
    for d in &detectors {
        assert!(d.held() <= 1 << 20);
    }
    // Alerts become findings and are rendered: usernames and addresses are the
    // log's, so the text must come out escaped.
    let findings = report.alerts.into_iter().filter_map(finding_from_alert);
    let scan = ScanReport {
        findings: findings.collect(),
        ..ScanReport::default()
    };
    check_all(&scan);
});
