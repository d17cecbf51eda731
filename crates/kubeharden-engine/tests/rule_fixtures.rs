//! One test per rule, in the style of ruff: `cargo test -p kubeharden-engine --test
//! rule_fixtures -- KH101` runs one rule's.
//!
//! Every manifest rule has a failing and a passing fixture in
//! `crates/kubeharden-rules/tests/fixtures/<rule-name>.{fail,pass}.yaml` (`.Dockerfile`
//! for image-build rules). A fixture holds cases, each starting at a line
//! `# case: <what it shows>` and scanned alone (its own cluster), with its lines
//! numbered as in the file. Every failing case must produce findings of that rule
//! only, at the places the rule's snapshot records under the case's name; every
//! passing case none. A rule's test reports every case that went wrong, and one rule's
//! failure hides no other rule's result.
//!
//! Node rules are tested on node trees (crates/kubeharden/tests/node.rs), audit
//! detectors on a generated log (crates/kubeharden-rules/tests/audit_detectors.rs).

use std::path::PathBuf;

use kubeharden_engine::{scan_text, ScanOptions, ScanReport};
use kubeharden_rules::{all_rules, Check, RuleEntry, RuleSet, Selection};
use libtest_mimic::{Arguments, Failed, Trial};

/// How many failing and passing cases a rule's fixtures should hold at least.
const ENOUGH_CASES: usize = 2;

/// Rules whose fixtures still hold fewer cases than [`ENOUGH_CASES`] of either kind.
/// The list can only shrink: a rule listed here that has enough cases fails its test
/// until it is taken off.
const THIN_FIXTURES: &[&str] = &[
    "KH102", "KH103", "KH104", "KH106", "KH107", "KH108", "KH109", "KH111", "KH112", "KH121",
    "KH124", "KH125", "KH126", "KH130", "KH131", "KH132", "KH134", "KH140", "KH201", "KH202",
    "KH301", "KH302", "KH303", "KH304", "KH402", "KH511", "KH512", "KH513", "KH516", "KH517",
    "KH520", "KH521", "KH530", "KH531", "KH534", "KH540", "KH541", "KH542", "KH543", "KH544",
    "KH601", "KH602", "KH604", "KH605", "KH606", "KH607", "KH608", "KH609", "KH610", "KH611",
    "KH612", "KH613", "KH620",
];

fn main() {
    let args = Arguments::from_args();
    let trials = all_rules()
        .iter()
        .copied()
        .filter(|r| !matches!(r.def.check, Check::Node(_) | Check::Audit(_)))
        .map(|rule| {
            Trial::test(format!("{}-{}", rule.def.id, rule.def.name), move || {
                check_rule(rule)
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

/// One case of a fixture: its name and its text, lines of other cases left blank.
struct Case {
    name: String,
    text: String,
}

/// A fixture file: its name as reports show it and its cases.
struct Fixture {
    name: String,
    cases: Vec<Case>,
}

const CASE_MARKER: &str = "# case: ";

impl Fixture {
    /// `<stem>.yaml`, or `<stem>.Dockerfile` for rules about image builds.
    fn read(stem: &str) -> Result<Fixture, String> {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../kubeharden-rules/tests/fixtures");
        let docker = format!("{stem}.Dockerfile");
        let file = if dir.join(&docker).is_file() {
            docker
        } else {
            format!("{stem}.yaml")
        };
        let path = dir.join(&file);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("missing fixture {}: {e}", path.display()))?;
        let name = format!("fixtures/{file}");
        let cases = split_cases(&text).map_err(|e| format!("{name}: {e}"))?;
        Ok(Fixture { name, cases })
    }
}

/// The cases of a fixture, each starting at a `# case:` line (a file without one is
/// one case). Each case's text keeps the file's line numbers: the lines before it
/// are blank, and a `---` that only separates it from the next case is dropped.
fn split_cases(text: &str) -> Result<Vec<Case>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with(CASE_MARKER))
        .collect();
    let Some(&first) = starts.first() else {
        return Ok(vec![Case {
            name: "whole file".into(),
            text: text.to_string(),
        }]);
    };
    let before_first = |l: &&str| l.trim().is_empty() || l.starts_with('#') || *l == "---";
    if !lines[..first].iter().all(before_first) {
        return Err("text before the first `# case:` line".into());
    }
    let mut cases = Vec::new();
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(lines.len());
        let mut body: Vec<&str> = lines[start..end].to_vec();
        while body
            .last()
            .is_some_and(|l| l.trim().is_empty() || *l == "---")
        {
            body.pop();
        }
        let name = lines[start][CASE_MARKER.len()..].trim().to_string();
        if cases.iter().any(|c: &Case| c.name == name) {
            return Err(format!("two cases named {name:?}"));
        }
        let text = "\n".repeat(start) + &body.join("\n") + "\n";
        cases.push(Case { name, text });
    }
    Ok(cases)
}

/// What went wrong in a rule's cases, each naming its fixture and case.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, fixture: &Fixture, case: &Case, what: String) {
        self.0
            .push(format!("{} case {:?}: {what}", fixture.name, case.name));
    }
}

fn check_rule(rule: &RuleEntry) -> Result<(), Failed> {
    let d = rule.def;
    let only = RuleSet::new(&Selection {
        select: vec![d.id.to_string()],
        ..Default::default()
    })
    .map_err(|e| format!("{e:?}"))?;
    let scan = |fixture: &Fixture, case: &Case| {
        scan_text(&fixture.name, &case.text, &only, &ScanOptions::default())
    };
    let failing = Fixture::read(&format!("{}.fail", d.name))?;
    let passing = Fixture::read(&format!("{}.pass", d.name))?;
    let mut problems = Problems::default();
    let mut rendered = Vec::new();

    for case in &failing.cases {
        let report = scan(&failing, case);
        no_errors(&report, &failing, case, &mut problems);
        if report.findings.is_empty() {
            problems.add(&failing, case, format!("{} found nothing", d.id));
        }
        for f in report.findings.iter().filter(|f| f.rule_id != d.id) {
            problems.add(&failing, case, format!("a finding of {}", f.rule_id));
        }
        rendered.push(format!("{CASE_MARKER}{}", case.name));
        rendered.extend(report.findings.iter().map(|f| {
            // Severity and rows are per finding: the snapshot pins both.
            format!(
                "{}:{} {} [{}] {} {}: {}",
                f.location.line,
                f.location.column,
                f.severity,
                f.guidance.join(","),
                f.resource,
                f.path,
                f.message
            )
        }));
    }
    for case in &passing.cases {
        let report = scan(&passing, case);
        no_errors(&report, &passing, case, &mut problems);
        for f in &report.findings {
            let at = format!("{}:{}", f.location.line, f.location.column);
            problems.add(
                &passing,
                case,
                format!("should pass, found at {at}: {}", f.message),
            );
        }
    }
    enough_cases(
        d.id,
        failing.cases.len(),
        passing.cases.len(),
        &mut problems.0,
    );
    if !problems.0.is_empty() {
        return Err(problems.0.join("\n").into());
    }
    insta::assert_snapshot!(format!("{}-{}", d.id, d.name), rendered.join("\n"));
    Ok(())
}

fn no_errors(report: &ScanReport, fixture: &Fixture, case: &Case, problems: &mut Problems) {
    for e in &report.errors {
        problems.add(fixture, case, format!("error: {e:?}"));
    }
}

/// A rule has [`ENOUGH_CASES`] of each kind, or is listed in [`THIN_FIXTURES`].
fn enough_cases(id: &str, failing: usize, passing: usize, problems: &mut Vec<String>) {
    let enough = failing >= ENOUGH_CASES && passing >= ENOUGH_CASES;
    let listed = THIN_FIXTURES.contains(&id);
    if !enough && !listed {
        problems.push(format!(
            "{id}: {failing} failing and {passing} passing cases; write at least \
             {ENOUGH_CASES} of each (`# case: <what it shows>`)"
        ));
    }
    if enough && listed {
        problems.push(format!(
            "{id} has enough cases now: take it off THIN_FIXTURES"
        ));
    }
}
