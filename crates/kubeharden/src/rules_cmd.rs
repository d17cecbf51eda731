//! `kubeharden rules` and `kubeharden explain`.

use std::io::Write;

use kubeharden_report::Format;
use kubeharden_rules::{find_rule, RuleEntry, RuleSet, Selection};
use serde_json::json;

use crate::cli::{ExplainArgs, RulesArgs};
use crate::error::CliError;
use crate::{exit, output};

fn rule_json(rule: &RuleEntry) -> serde_json::Value {
    let d = rule.def;
    json!({
        "id": d.id,
        "name": d.name,
        "title": d.title,
        "severity": d.severity,
        "section": rule.info.section,
        "guidance": d.guidance,
        "pss": d.pss.map(|p| json!({ "check": p.check, "level": p.level.as_str() })),
        "mitre": d.mitre.map(|m| json!({ "id": m.id, "name": m.name })),
        "documentation": rule.info.doc,
    })
}

pub fn list(args: RulesArgs) -> Result<u8, CliError> {
    let rules = RuleSet::new(&Selection {
        framework: args.framework,
        ..Selection::default()
    })?;
    let mut out = output::open(&args.output)?;
    let written = match args.output.format() {
        Format::Json => {
            let all: Vec<_> = rules.rules().iter().map(|r| rule_json(r)).collect();
            serde_json::to_writer_pretty(&mut out, &all)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }
        Format::Text => write_table(rules.rules(), &mut out),
        format => {
            return Err(CliError::FormatNotSupported {
                command: "`rules`",
                supported: "text or json",
                format,
            })
        }
    };
    output::finish(written, out)?;
    Ok(exit::CLEAN)
}

fn write_table(rules: &[&RuleEntry], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<6} {:<9} {:<32} {:<22} PSS",
        "ID", "SEVERITY", "NAME", "GUIDANCE"
    )?;
    for rule in rules {
        let d = rule.def;
        let pss = d
            .pss
            .map(|p| format!("{}/{}", p.level.as_str(), p.check))
            .unwrap_or_default();
        writeln!(
            out,
            "{:<6} {:<9} {:<32} {:<22} {}",
            d.id,
            d.severity.as_str(),
            d.name,
            d.guidance.join(","),
            pss
        )?;
    }
    writeln!(
        out,
        "\n{} rules; `kubeharden explain ID` documents one.",
        rules.len()
    )
}

pub fn explain(args: ExplainArgs) -> Result<u8, CliError> {
    let rule = find_rule(&args.rule).ok_or_else(|| CliError::NoSuchRule(args.rule.clone()))?;
    let d = rule.def;
    let mut text = format!(
        "{} {}: {}\n\nSeverity:  {}\nGuidance:  {}\n",
        d.id,
        d.name,
        d.title,
        d.severity,
        d.guidance.join(", ")
    );
    if let Some(p) = d.pss {
        text.push_str(&format!("PSS:       {} ({})\n", p.check, p.level.as_str()));
    }
    if let Some(m) = d.mitre {
        text.push_str(&format!("MITRE:     {} {}\n", m.id, m.name));
    }
    if let Some(fix) = kubeharden_fix::fixable_rule(d.id) {
        text.push_str(&format!(
            "Fixable:   by `kubeharden fix`: {}\n",
            fix.summary
        ));
    }
    text.push('\n');
    text.push_str(rule.info.doc);
    text.push('\n');
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::WriteReport(e)),
        _ => Ok(exit::CLEAN),
    }
}
