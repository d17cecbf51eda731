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
    let output = args.output.as_output();
    let mut out = output::open(&output)?;
    let written = match output.format() {
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
    // Columns as wide as their longest entry, so every row lines up.
    let name_width = rules.iter().map(|r| r.def.name.len()).max().unwrap_or(4);
    let rows_width = rules
        .iter()
        .map(|r| r.def.guidance.join(",").len())
        .max()
        .unwrap_or(8)
        .max("GUIDANCE".len());
    writeln!(
        out,
        "{:<6} {:<9} {:<name_width$} {:<rows_width$} PSS",
        "ID", "SEVERITY", "NAME", "GUIDANCE"
    )?;
    for rule in rules {
        let d = rule.def;
        let pss = d
            .pss
            .map(|p| format!("{}/{}", p.level.as_str(), p.check))
            .unwrap_or_default();
        let line = format!(
            "{:<6} {:<9} {:<name_width$} {:<rows_width$} {}",
            d.id,
            d.severity.as_str(),
            d.name,
            d.guidance.join(","),
            pss
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    writeln!(
        out,
        "\n{} rules; `kubeharden explain ID` documents one.",
        rules.len()
    )
}

pub fn explain(args: ExplainArgs) -> Result<u8, CliError> {
    let row = kubeharden_rules::guidance_row(&args.rule);
    let rule =
        match row {
            Some(_) => None,
            None => Some(find_rule(&args.rule).ok_or_else(|| {
                CliError::NoSuchRuleOrRow(args.rule.clone(), suggestion(&args.rule))
            })?),
        };
    let format = args.output.format();
    if !matches!(format, Format::Text | Format::Json) {
        return Err(CliError::FormatNotSupported {
            command: "explain",
            supported: "text or json",
            format,
        });
    }
    let text = match (format, row, rule) {
        (Format::Json, Some(row), _) => pretty(&row_json(row)),
        (Format::Json, None, Some(rule)) => pretty(&explained_rule_json(rule)),
        (_, Some(row), _) => explain_row(row),
        (_, None, Some(rule)) => explain_rule(rule),
        (_, None, None) => unreachable!("a rule or a row was found above"),
    };
    let mut out = output::open(&args.output.as_output())?;
    let written = out.write_all(text.as_bytes());
    output::finish(written, out)?;
    Ok(exit::CLEAN)
}

fn pretty(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// A rule as `rules --format json` lists it, with its rows' titles and its fix.
fn explained_rule_json(rule: &RuleEntry) -> serde_json::Value {
    let mut value = rule_json(rule);
    let rows: Vec<_> = rule
        .def
        .guidance
        .iter()
        .map(|row| json!({ "id": row, "title": kubeharden_rules::guidance_title(row) }))
        .collect();
    value["guidance_rows"] = json!(rows);
    value["remediation"] = json!(rule.info.fix());
    // What `kubeharden fix` changes for it, if it fixes it.
    value["fixable"] = json!(kubeharden_fix::fixable_rule(rule.def.id).map(|f| f.summary));
    value
}

/// A guidance row: its title and the rules that check it.
fn row_json(row: &str) -> serde_json::Value {
    let rules: Vec<_> = kubeharden_rules::all_rules()
        .iter()
        .filter(|r| r.def.guidance.contains(&row))
        .map(|r| json!({ "id": r.def.id, "name": r.def.name, "title": r.def.title }))
        .collect();
    json!({
        "row": row,
        "title": kubeharden_rules::guidance_title(row),
        "checked_by": rules,
    })
}

/// `; did you mean "RBAC-04"?` for `RBAC-4` (a row's number written short), else the
/// closest rule ID, rule name or guidance row.
fn suggestion(given: &str) -> String {
    let padded = given.rsplit_once('-').and_then(|(section, number)| {
        let number: u32 = number.parse().ok()?;
        kubeharden_rules::guidance_row(&format!("{section}-{number:02}"))
    });
    match padded {
        Some(row) => format!("; did you mean {row:?}?"),
        None => {
            let rows = kubeharden_rules::guidance_rows().map(|(id, _)| id);
            crate::suggest::did_you_mean(given, crate::suggest::rule_names().chain(rows))
        }
    }
}

/// A rule's page: its metadata, its guidance rows with their titles, its documentation.
fn explain_rule(rule: &kubeharden_rules::RuleEntry) -> String {
    let d = rule.def;
    let mut text = format!(
        "{} {}: {}\n\nSeverity:  {}\n",
        d.id, d.name, d.title, d.severity
    );
    for (n, row) in d.guidance.iter().enumerate() {
        let label = if n == 0 { "Guidance:" } else { "" };
        let title = kubeharden_rules::guidance_title(row).unwrap_or("");
        text.push_str(&format!("{label:<10} {row} {title}\n"));
    }
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
    text
}

/// A guidance row's page: its title and the rules that check it.
fn explain_row(row: &str) -> String {
    let title = kubeharden_rules::guidance_title(row).unwrap_or("");
    let mut text = format!("{row}: {title}\n\n");
    let rules: Vec<_> = kubeharden_rules::all_rules()
        .iter()
        .filter(|r| r.def.guidance.contains(&row))
        .collect();
    if rules.is_empty() {
        text.push_str("No rule checks this row: it is a manual review, or a process.\n");
    } else {
        text.push_str("Checked by:\n");
        for r in rules {
            text.push_str(&format!("  {} {}: {}\n", r.def.id, r.def.name, r.def.title));
        }
        text.push_str("\n`kubeharden explain ID` documents each.\n");
    }
    text
}
