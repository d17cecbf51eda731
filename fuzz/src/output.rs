//! What every rendered report must be, whatever the input held: text a terminal
//! shows as written, JSON and SARIF that parse, JUnit that is well-formed XML 1.0.

use kubeharden_engine::ScanReport;
use kubeharden_report::{
    write_json, write_junit, write_sarif, write_text, JunitMeta, Report, TextOptions,
};
use kubeharden_rules::{RuleSet, Selection};

/// Renders `scan` in every format and checks each. The report lists only the rules
/// that found something: every rule's documentation is the same whatever the
/// input, and rendering it all would make each input many times slower.
pub fn check_all(scan: &ScanReport) {
    let mut ids: Vec<String> = scan
        .findings
        .iter()
        .map(|f| f.rule_id.to_string())
        .collect();
    ids.sort();
    ids.dedup();
    let rules = match ids.is_empty() {
        true => RuleSet::none(),
        false => RuleSet::new(&Selection {
            select: ids,
            ..Selection::default()
        })
        .expect("findings name known rules"),
    };
    let report = Report {
        scan,
        rules: &rules,
    };
    let mut text = Vec::new();
    let options = TextOptions {
        show_suppressed: true,
        ..TextOptions::default()
    };
    write_text(&report, &mut text, options).unwrap();
    assert_terminal_safe(&String::from_utf8(text).expect("text output is UTF-8"));
    for write in [write_json, write_sarif] {
        let mut json = Vec::new();
        write(&report, &mut json).unwrap();
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(&json) {
            panic!("JSON output does not parse: {e}");
        }
    }
    let meta = JunitMeta {
        timestamp: "2025-01-01T00:00:00".into(),
        hostname: "fuzz".into(),
    };
    let mut xml = Vec::new();
    write_junit(&report, &mut xml, &meta).unwrap();
    assert_xml_chars(&String::from_utf8(xml).expect("JUnit output is UTF-8"));
}

/// No control character but the line break, and no bidirectional override: what the
/// input held is shown escaped.
pub fn assert_terminal_safe(text: &str) {
    let bad = text.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    });
    if let Some(c) = bad {
        let at = text.find(c).unwrap_or(0);
        let line = &text[text[..at].rfind('\n').map_or(0, |i| i + 1)..];
        let line = line.lines().next().unwrap_or("");
        panic!("text output holds {c:?} unescaped: {line:?}");
    }
}

/// Only characters XML 1.0 allows, written or as references (`&#1;` is no more
/// allowed than the byte itself).
pub fn assert_xml_chars(xml: &str) {
    let allowed = |c: u32| matches!(c, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF);
    if let Some(c) = xml.chars().find(|&c| !allowed(c as u32)) {
        panic!("JUnit output holds {c:?}, which XML 1.0 does not allow");
    }
    for reference in xml.split("&#").skip(1) {
        let Some((number, _)) = reference.split_once(';') else {
            continue;
        };
        let value = match number.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => number.parse(),
        };
        if let Ok(value) = value {
            assert!(
                allowed(value),
                "JUnit output refers to &#{number}; which XML 1.0 does not allow"
            );
        }
    }
}
