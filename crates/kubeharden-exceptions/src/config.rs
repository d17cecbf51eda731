//! The configuration file, `.kubeharden.yaml`: read with the positioned YAML parser, so
//! that every mistake (an unknown key, a value of the wrong type, a rule that does not
//! exist, a date that is no date) names its file, line and column.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubeharden_findings::{PssLevel, ScanReport, Severity};
use kubeharden_rules::suggest::did_you_mean;
use kubeharden_rules::{all_rules, Framework};
use kubeharden_yaml::{
    from_node, parse_chunk, split_documents, DeError, FieldPath, Limits, Node, Pos,
};
use serde::Deserialize;

use crate::exception::{Exception, Exceptions, RawException};

/// The file's name, looked for in the scanned folder and every folder above it.
pub const CONFIG_FILE: &str = ".kubeharden.yaml";

/// A configuration file larger than this is refused: it is a few hundred lines.
const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// `fail-on`: the lowest severity that fails a run, or never.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailLevel {
    Never,
    At(Severity),
}

/// What the configuration file says. Every field is optional; the command line
/// overrides what it sets.
#[derive(Debug, Default)]
pub struct Config {
    /// The file it was read from.
    pub path: Option<PathBuf>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub min_severity: Option<Severity>,
    /// Severity overrides: every finding of the rule (by ID) gets this severity.
    pub severity: Vec<(&'static str, Severity)>,
    pub framework: Option<Framework>,
    pub fail_on: Option<FailLevel>,
    pub pss_target: Option<PssLevel>,
    pub exceptions: Exceptions,
}

/// A configuration file that could not be read or is wrong: where, and what.
#[derive(Debug)]
pub struct ConfigError {
    pub file: PathBuf,
    pub pos: Option<Pos>,
    pub message: String,
}

impl std::error::Error for ConfigError {}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        match self.pos {
            Some(pos) => write!(f, "{file}:{}:{}: {}", pos.line, pos.col, self.message),
            None => write!(f, "{file}: {}", self.message),
        }
    }
}

/// The file as written, checked for shape and types by serde.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    select: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    min_severity: Option<String>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
    framework: Option<String>,
    fail_on: Option<String>,
    pss_target: Option<String>,
    #[serde(default)]
    exceptions: Vec<RawException>,
}

/// The keys of the file and of an exception, for "did you mean".
const CONFIG_KEYS: &[&str] = &[
    "select",
    "ignore",
    "min-severity",
    "severity",
    "framework",
    "fail-on",
    "pss-target",
    "exceptions",
];
const EXCEPTION_KEYS: &[&str] = &[
    "rules",
    "kinds",
    "namespaces",
    "names",
    "containers",
    "labels",
    "reason",
    "owner",
    "expires",
];

impl Config {
    /// The configuration file for a scan of `start`: `.kubeharden.yaml` in its folder
    /// (its own folder for a file) or the nearest folder above.
    pub fn find(start: &Path) -> Option<PathBuf> {
        let folder = if start.is_file() {
            // A bare file name's parent is the empty path: the current folder.
            Some(start.parent()?)
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
        } else {
            start
        };
        let folder = std::path::absolute(folder).ok()?;
        let found = folder
            .ancestors()
            .map(|dir| dir.join(CONFIG_FILE))
            .find(|path| path.is_file())?;
        // Named as short as it can be: relative to the current folder when inside it.
        let here = std::env::current_dir().ok();
        let relative = here.and_then(|here| found.strip_prefix(here).ok().map(Path::to_path_buf));
        Some(relative.unwrap_or(found))
    }

    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let error = |message: String| ConfigError {
            file: path.to_path_buf(),
            pos: None,
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| error(format!("cannot read: {e}")))?;
        if meta.len() > MAX_CONFIG_BYTES {
            return Err(error(format!(
                "{} bytes: a configuration file may hold at most {MAX_CONFIG_BYTES}",
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read: {e}")))?;
        Config::parse(path, &text)
    }

    /// Checks `text` as the configuration file `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let at = |pos: Option<Pos>, message: String| ConfigError {
            file: path.to_path_buf(),
            pos,
            message,
        };
        let mut documents = Vec::new();
        for chunk in split_documents(text) {
            for doc in parse_chunk(chunk, &Limits::default()) {
                let doc =
                    doc.map_err(|e| at(Some(e.pos), format!("not valid YAML: {}", e.message)))?;
                documents.push(doc.root);
            }
        }
        if documents.len() > 1 {
            let pos = documents[1].pos;
            return Err(at(
                Some(pos),
                "one YAML document expected, found more".into(),
            ));
        }
        let mut config = Config {
            path: Some(path.to_path_buf()),
            ..Config::default()
        };
        let Some(root) = documents.pop().filter(|root| !root.is_null()) else {
            return Ok(config);
        };
        if !matches!(root.value, kubeharden_yaml::Value::Map(_)) {
            return Err(at(
                Some(root.pos),
                "expected a mapping of settings (select, exceptions, ...)".into(),
            ));
        }
        // serde names a key set twice but not where: the second is found here.
        if let Some((key, first, again)) = first_duplicate(&root) {
            let message = format!("key {key:?} is set twice (first at line {})", first.line);
            return Err(at(Some(again), message));
        }
        let raw: RawConfig = from_node(&root).map_err(|e| at(e.pos, explain(&e)))?;
        let file: Arc<str> = path.display().to_string().into();
        let check = Checker { root: &root, path };
        check.patterns(&raw.select, "select")?;
        check.patterns(&raw.ignore, "ignore")?;
        config.select = raw.select;
        config.ignore = raw.ignore;
        config.min_severity = raw
            .min_severity
            .as_deref()
            .map(|s| check.severity(s, "min-severity"))
            .transpose()?;
        for (rule, level) in &raw.severity {
            let id = check.rule(rule, &format!("severity.{rule}"))?;
            let level = check.severity(level, &format!("severity.{rule}"))?;
            config.severity.push((id, level));
        }
        config.severity.sort();
        config.framework = raw
            .framework
            .as_deref()
            .map(|s| {
                check.parsed::<Framework>(
                    s,
                    "framework",
                    &["all", "nsa-cisa", "pss-baseline", "pss-restricted"],
                )
            })
            .transpose()?;
        config.fail_on = raw
            .fail_on
            .as_deref()
            .map(|s| check.fail_level(s))
            .transpose()?;
        config.pss_target = raw
            .pss_target
            .as_deref()
            .map(|s| check.pss_level(s))
            .transpose()?;
        let mut exceptions = Vec::new();
        for (i, raw) in raw.exceptions.into_iter().enumerate() {
            let place = format!("exceptions[{i}]");
            exceptions.push(Exception::checked(raw, &check, &place, &file)?);
        }
        config.exceptions = Exceptions::new(exceptions);
        Ok(config)
    }

    /// Gives every finding of an overridden rule (listed and suppressed) its severity;
    /// merged findings got theirs before they merged (`RuleSet::with_severities`).
    pub fn override_severities(&self, report: &mut ScanReport) {
        if self.severity.is_empty() {
            return;
        }
        let overridden = |id: &str| {
            self.severity
                .iter()
                .find(|(r, _)| *r == id)
                .map(|(_, s)| *s)
        };
        let findings = report
            .findings
            .iter_mut()
            .chain(report.suppressed.iter_mut().map(|s| &mut s.finding));
        // A merged finding had the overrides applied before it merged (its severity is
        // the gravest of what it stands for, as overridden): left as it is.
        for finding in findings.filter(|f| f.covers.is_empty()) {
            if let Some(severity) = overridden(finding.rule_id) {
                finding.severity = severity;
            }
        }
    }
}

/// The first key set twice in a mapping of `node` or under it: the key, where it is
/// first, where again.
fn first_duplicate(node: &Node) -> Option<(String, Pos, Pos)> {
    let entries = node.entries();
    for (i, entry) in entries.iter().enumerate() {
        let key = entry.key.scalar_text().unwrap_or_default();
        let earlier = entries[..i]
            .iter()
            .find(|e| e.key.scalar_text().unwrap_or_default() == key);
        if let Some(first) = earlier {
            return Some((key.to_string(), first.key.pos, entry.key.pos));
        }
    }
    let children = entries.iter().map(|e| &e.value).chain(node.items());
    children.into_iter().find_map(first_duplicate)
}

/// serde's message for an unknown key, with the closest known key offered.
fn explain(e: &DeError) -> String {
    let Some(rest) = e.message.strip_prefix("unknown field `") else {
        return e.to_string();
    };
    let given = rest.split('`').next().unwrap_or("");
    // The key of an exception is inside `exceptions[N]`; the file's own are at the top.
    let (known, place) = match e.path_string() {
        place if place.is_empty() => (CONFIG_KEYS, String::new()),
        place => (EXCEPTION_KEYS, format!("{place}: ")),
    };
    format!(
        "{place}unknown key {given:?}{} (known keys: {})",
        did_you_mean(given, known.iter().copied()),
        known.join(", ")
    )
}

/// Checks values against the catalog, locating what is wrong in the file.
pub(crate) struct Checker<'a> {
    root: &'a Node,
    path: &'a Path,
}

impl Checker<'_> {
    /// The error for the value at `place` (a dotted path in the file).
    pub(crate) fn error(&self, place: &str, message: String) -> ConfigError {
        ConfigError {
            file: self.path.to_path_buf(),
            pos: Some(self.pos(place)),
            message: format!("{place}: {message}"),
        }
    }

    pub(crate) fn pos(&self, place: &str) -> Pos {
        self.root.locate(&FieldPath::parse(place)).pos
    }

    /// The error for a wrong value at `place`: located at the value, not its key.
    fn value_error(&self, place: &str, message: String) -> ConfigError {
        ConfigError {
            pos: Some(self.root.locate_value(&FieldPath::parse(place)).pos),
            ..self.error(place, message)
        }
    }

    /// Rule patterns as `--select` takes them: IDs, ID prefixes (`KH1`) or names.
    pub(crate) fn patterns(&self, patterns: &[String], place: &str) -> Result<(), ConfigError> {
        for (i, pattern) in patterns.iter().enumerate() {
            if !all_rules()
                .iter()
                .any(|r| rule_matches(r.def.id, r.def.name, pattern))
            {
                return Err(self.error(
                    &format!("{place}[{i}]"),
                    format!(
                        "{pattern:?} names no rule (see `kubeharden rules`){}",
                        did_you_mean(pattern, kubeharden_rules::suggest::rule_names())
                    ),
                ));
            }
        }
        Ok(())
    }

    /// One rule, by ID or name: its ID.
    fn rule(&self, name: &str, place: &str) -> Result<&'static str, ConfigError> {
        all_rules()
            .iter()
            .find(|r| r.def.id.eq_ignore_ascii_case(name) || r.def.name.eq_ignore_ascii_case(name))
            .map(|r| r.def.id)
            .ok_or_else(|| {
                self.error(
                    place,
                    format!(
                        "{name:?} is no rule ID or name (see `kubeharden rules`){}",
                        did_you_mean(name, kubeharden_rules::suggest::rule_names())
                    ),
                )
            })
    }

    fn severity(&self, given: &str, place: &str) -> Result<Severity, ConfigError> {
        given
            .parse()
            .map_err(|e: kubeharden_findings::UnknownSeverity| {
                let levels = ["critical", "high", "medium", "low", "info"];
                self.value_error(place, format!("{e}{}", did_you_mean(given, levels)))
            })
    }

    /// `fail-on`: a severity, or `none` (also spelt `never`).
    fn fail_level(&self, given: &str) -> Result<FailLevel, ConfigError> {
        if matches!(given.to_ascii_lowercase().as_str(), "none" | "never") {
            return Ok(FailLevel::Never);
        }
        given.parse().map(FailLevel::At).map_err(|_| {
            let levels = ["critical", "high", "medium", "low", "info", "none"];
            let message = format!(
                "unknown value {given:?} (expected {}){}",
                levels.join(", "),
                did_you_mean(given, levels)
            );
            self.value_error("fail-on", message)
        })
    }

    fn parsed<T: std::str::FromStr>(
        &self,
        given: &str,
        place: &str,
        known: &[&str],
    ) -> Result<T, ConfigError> {
        given.parse().map_err(|_| {
            self.value_error(
                place,
                format!(
                    "unknown value {given:?} (expected {}){}",
                    known.join(", "),
                    did_you_mean(given, known.iter().copied())
                ),
            )
        })
    }

    fn pss_level(&self, given: &str) -> Result<PssLevel, ConfigError> {
        match given.to_ascii_lowercase().as_str() {
            "baseline" => Ok(PssLevel::Baseline),
            "restricted" => Ok(PssLevel::Restricted),
            _ => self
                .parsed::<Never>(given, "pss-target", &["baseline", "restricted"])
                .map(|n| match n {}),
        }
    }
}

/// A type no text parses to: the error path of a closed set of words.
enum Never {}

impl std::str::FromStr for Never {
    type Err = ();
    fn from_str(_: &str) -> Result<Never, ()> {
        Err(())
    }
}

/// Whether a rule pattern (ID, ID prefix or name, any case) names this rule.
pub(crate) fn rule_matches(id: &str, name: &str, pattern: &str) -> bool {
    name.eq_ignore_ascii_case(pattern)
        || (id.len() >= pattern.len()
            && !pattern.is_empty()
            && id.is_char_boundary(pattern.len())
            && id[..pattern.len()].eq_ignore_ascii_case(pattern))
}
