//! Suppressed findings in text output: counted in the summary, listed only when asked
//! (`--show-suppressed`), one line each with what accepted it.

use std::io::{self, Write};

use kubeharden_findings::{ScanReport, SuppressionKind};

use crate::text::printable;

/// `; 3 suppressed (2 by exceptions, 1 baselined)`, or nothing.
pub(crate) fn summary(scan: &ScanReport) -> String {
    if scan.suppressed.is_empty() {
        return String::new();
    }
    let count = |kinds: &[SuppressionKind]| {
        scan.suppressed
            .iter()
            .filter(|s| kinds.contains(&s.suppression.kind))
            .count()
    };
    let mut parts = Vec::new();
    let excepted = count(&[SuppressionKind::Config, SuppressionKind::Inline]);
    if excepted > 0 {
        parts.push(format!(
            "{excepted} by exception{}",
            if excepted == 1 { "" } else { "s" }
        ));
    }
    let baselined = count(&[SuppressionKind::Baseline]);
    if baselined > 0 {
        parts.push(format!("{baselined} baselined"));
    }
    format!(
        "; {} suppressed ({})",
        scan.suppressed.len(),
        parts.join(", ")
    )
}

/// The suppressed findings, one line each.
pub(crate) fn list(scan: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Suppressed")?;
    for s in &scan.suppressed {
        let f = &s.finding;
        let place = match f.location.line {
            0 => f.location.file.to_string(),
            line => format!("{}:{line}:{}", f.location.file, f.location.column),
        };
        let why = &s.suppression;
        let mut by = format!("{}: {} ({}", why.kind.as_str(), why.reason, why.source);
        if let Some(owner) = &why.owner {
            by.push_str(&format!(", owner {owner}"));
        }
        if let Some(expires) = &why.expires {
            by.push_str(&format!(", until {expires}"));
        }
        by.push(')');
        writeln!(
            out,
            "  {} {} {} {}: {}",
            printable(&place),
            f.rule_id,
            printable(&f.resource.to_string()),
            f.severity,
            printable(&by)
        )?;
    }
    Ok(())
}
