//! Baselines: the fingerprints of the findings a project knew at some point. Applied to
//! a later report, they suppress those findings, so only new ones count.
//!
//! The file is JSON, sorted, one entry per fingerprint with the rule, object and
//! message beside it for the people who review it; only `fingerprint`, `covers` and
//! `took_in` are read back.
//! Version 2 names list items by what they are (`env[TOKEN]`); a version 1 file, which
//! named them by position (`env[1]`), is still applied, by the fingerprints it was
//! written with, with a warning to write it again.

use std::collections::BTreeMap;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use kubeharden_findings::{
    identity, CoveredObject, Finding, ScanReport, Suppression, SuppressionKind,
};
use kubeharden_load::{Warning, WarningKind};
use serde::{Deserialize, Serialize};

const VERSION: u32 = 2;

/// The version whose fingerprints name list items (but containers) by position.
const POSITIONAL: u32 = 1;

/// A baseline file larger than this is refused (a million findings is ~300 MB).
const MAX_BASELINE_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
struct BaselineFile {
    version: u32,
    #[serde(default)]
    tool: String,
    findings: Vec<Entry>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Entry {
    fingerprint: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    rule: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    object: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    message: String,
    /// The rules the finding stood for (a merged finding): their findings of the
    /// same object and container are no new problem once it goes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    covers: Vec<String>,
    /// `RULE|OBJECT|CONTAINER` of each finding the merged finding took in: those of other
    /// containers and objects (each workload's KH512 under its namespace's KH511),
    /// which `--no-merge` shows on their own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    took_in: Vec<String>,
}

/// The findings a baseline accepts, by fingerprint (`Finding::fingerprint`).
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    entries: BTreeMap<String, Entry>,
    /// Read from a version 1 file: its fingerprints are `Finding::legacy_fingerprint`s.
    positional: bool,
}

/// A baseline file that could not be read or is not one.
#[derive(Debug)]
pub struct BaselineError {
    pub file: PathBuf,
    /// Line and column, when the JSON is wrong.
    pub pos: Option<(usize, usize)>,
    pub message: String,
}

impl std::error::Error for BaselineError {}

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        match self.pos {
            Some((line, col)) => write!(f, "{file}:{line}:{col}: {}", self.message),
            None => write!(f, "{file}: {}", self.message),
        }
    }
}

impl Baseline {
    /// The findings of `report` that count and those a baseline already accepted: a
    /// baseline written over the one it was run with keeps what is still found.
    pub fn of(report: &ScanReport) -> Baseline {
        let baselined = report
            .suppressed
            .iter()
            .filter(|s| s.suppression.kind == SuppressionKind::Baseline)
            .map(|s| &s.finding);
        let entries = report
            .findings
            .iter()
            .chain(baselined)
            .map(|f| {
                let entry = Entry {
                    fingerprint: f.fingerprint(),
                    rule: f.rule_id.to_string(),
                    object: f.resource.to_string(),
                    message: f.message.clone(),
                    covers: f.covers.iter().map(|r| r.to_string()).collect(),
                    took_in: took_in(f),
                };
                (entry.fingerprint.clone(), entry)
            })
            .collect();
        Baseline {
            entries,
            positional: false,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.entries.contains_key(fingerprint)
    }

    /// Reads a baseline file.
    pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
        let error = |pos, message: String| BaselineError {
            file: path.to_path_buf(),
            pos,
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| error(None, format!("cannot read: {e}")))?;
        if meta.len() > MAX_BASELINE_BYTES {
            return Err(error(
                None,
                format!("{} bytes: too large for a baseline", meta.len()),
            ));
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| error(None, format!("cannot read: {e}")))?;
        // The version is read first: a file of another version may be of another shape.
        #[derive(Deserialize)]
        struct Version {
            version: Option<u32>,
        }
        let shape = "not a kubeharden baseline (a JSON object with version and findings, as --write-baseline writes)";
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| error(Some((e.line(), e.column())), format!("{shape}: not JSON")))?;
        match serde_json::from_value::<Version>(value.clone()) {
            Err(_) => return Err(error(None, shape.to_string())),
            Ok(Version { version: Some(v) }) if v != VERSION && v != POSITIONAL => {
                return Err(error(
                    None,
                    format!("baseline version {v} (this kubeharden reads version {VERSION})"),
                ))
            }
            Ok(_) => {}
        }
        let file: BaselineFile = serde_json::from_str(&text).map_err(|e| {
            // The position leads the message; serde_json's own copy of it is left out.
            let text = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let what = text.strip_suffix(&suffix).unwrap_or(&text);
            error(
                Some((e.line(), e.column())),
                format!("not a kubeharden baseline: {what}"),
            )
        })?;
        if file.version != VERSION && file.version != POSITIONAL {
            return Err(error(
                None,
                format!(
                    "baseline version {} (this kubeharden reads version {VERSION})",
                    file.version
                ),
            ));
        }
        let entries = file
            .findings
            .into_iter()
            .map(|e| (e.fingerprint.clone(), e))
            .collect();
        Ok(Baseline {
            entries,
            positional: file.version == POSITIONAL,
        })
    }

    /// Writes the baseline to `path`, sorted by fingerprint, so that it diffs well.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let file = BaselineFile {
            version: VERSION,
            tool: "kubeharden".into(),
            findings: self.entries.values().cloned().collect(),
        };
        let mut text = serde_json::to_string_pretty(&file)?;
        text.push('\n');
        std::fs::write(path, text)
    }

    /// Suppresses the findings of `report` the baseline holds; `source` names the
    /// baseline file in each suppression. A version 1 baseline is applied by the
    /// fingerprints it was written with, and warns that it should be written again.
    pub fn apply(&self, report: &mut ScanReport, source: &str) {
        if self.positional {
            report.warnings.push(Warning {
                file: source.into(),
                pos: None,
                kind: WarningKind::PositionalBaseline,
            });
        }
        if self.entries.is_empty() {
            return;
        }
        let known = Known::of(self);
        let fingerprint = match self.positional {
            true => Finding::legacy_fingerprint,
            false => Finding::fingerprint,
        };
        // A merged finding the baseline knew, standing now for a rule it did not
        // know (NodePort become LoadBalancer), is new: `--no-merge` would show that
        // rule's finding alone, and both must agree on what is new.
        for finding in &mut report.findings {
            let print = fingerprint(finding);
            let left = known.left(finding, &print);
            if known.reason(finding, &print).is_some() && !left.is_empty() {
                finding.note_partly_baselined(source, &left);
            }
        }
        report.suppress(|finding| {
            let print = fingerprint(finding);
            if !known.left(finding, &print).is_empty() {
                return None;
            }
            Some(Suppression {
                kind: SuppressionKind::Baseline,
                reason: known.reason(finding, &print)?.to_string(),
                owner: None,
                expires: None,
                source: source.to_string(),
            })
        });
    }
}

/// `RULE|OBJECT|CONTAINER` of the findings `finding` took in, sorted, once each.
fn took_in(finding: &Finding) -> Vec<String> {
    let keys = finding.covered_objects.iter().map(taken_key);
    let keys: std::collections::BTreeSet<String> = keys.collect();
    keys.into_iter().collect()
}

/// `RULE|OBJECT|CONTAINER` of a finding a merged one took in.
fn taken_key((rule, _, res, container): &CoveredObject) -> String {
    let container = container.as_deref().unwrap_or("");
    format!("{rule}|{}|{container}", identity(res))
}

/// What a baseline knows, as its entries and the rules they stood for.
struct Known<'a> {
    seen: HashSet<&'a str>,
    /// The `covered_key`s of the rules merged findings stood for, and of the
    /// findings they took in (on other containers and objects).
    stood_for: HashSet<String>,
    /// The `covered_key`s of every rule known on an object and container: the
    /// entries' own and those they stood for or took in.
    rules: HashSet<String>,
    /// A version 1 file, written before entries named what they stood for: its
    /// merged findings are taken whole, or the same scan would show them all new.
    whole: bool,
}

impl<'a> Known<'a> {
    fn of(baseline: &'a Baseline) -> Known<'a> {
        let entries = baseline.entries.values();
        let stood_for: HashSet<String> = entries
            .clone()
            .flat_map(|e| {
                let variant = parts(&e.fingerprint).map_or("", |(_, _, v)| v);
                let covers = e.covers.iter();
                let covers = covers.filter_map(|rule| covered_key(&e.fingerprint, rule));
                let taken = e.took_in.iter().map(move |key| format!("{key}|{variant}"));
                covers.chain(taken)
            })
            .collect();
        let own = entries.filter_map(|e| {
            let rule = e.fingerprint.split('|').next()?;
            covered_key(&e.fingerprint, rule)
        });
        let rules = own.chain(stood_for.iter().cloned()).collect();
        Known {
            seen: baseline.entries.keys().map(String::as_str).collect(),
            stood_for,
            rules,
            whole: baseline.positional,
        }
    }

    /// Why `finding` (of fingerprint `print`) is known, by its own rule.
    fn reason(&self, finding: &Finding, print: &str) -> Option<&'static str> {
        if self.seen.contains(print) {
            Some("known before: in the baseline")
        } else if covered_key(print, finding.rule_id).is_some_and(|k| self.stood_for.contains(&k)) {
            // Once a merged finding is fixed in part (privileged: true removed),
            // the problems it stood for show on their own: known all the same.
            Some("known before: in the baseline, stated by a finding that stood for it")
        } else {
            None
        }
    }

    /// The rules `finding` stands for besides its own that the baseline did not
    /// know.
    fn left(&self, finding: &Finding, print: &str) -> Vec<&'static str> {
        finding.unaccepted_merged(|rule| self.whole || self.knows(finding, print, rule))
    }

    /// Whether the baseline knew `rule`, which `finding` stands for: on its object
    /// and container, or on each container and object whose `rule` finding it took
    /// in (a baseline written with `--no-merge` holds those apart).
    fn knows(&self, finding: &Finding, print: &str, rule: &str) -> bool {
        if covered_key(print, rule).is_some_and(|k| self.rules.contains(&k)) {
            return true;
        }
        let variant = parts(print).map_or("", |(_, _, variant)| variant);
        let mut taken = finding
            .covered_objects
            .iter()
            .filter(|(r, ..)| *r == rule)
            .peekable();
        taken.peek().is_some()
            && taken.all(|t| self.rules.contains(&format!("{}|{variant}", taken_key(t))))
    }
}

/// `RULE|OBJECT|CONTAINER|VARIANT` of a fingerprint (`RULE|OBJECT|CONTAINER|PATH`,
/// `|values-set:NAME` for a variant) with `rule` in its place: the key of a problem of
/// that rule on the same object and container, whatever its field.
fn covered_key(fingerprint: &str, rule: &str) -> Option<String> {
    let (object, container, variant) = parts(fingerprint)?;
    Some(format!("{rule}|{object}|{container}|{variant}"))
}

/// The object, container and variant (empty for none) of a fingerprint.
fn parts(fingerprint: &str) -> Option<(&str, &str, &str)> {
    let mut parts = fingerprint.splitn(4, '|');
    let (_, object, container) = (parts.next()?, parts.next()?, parts.next()?);
    let variant = parts
        .next()
        .and_then(|rest| rest.rsplit_once("|values-set:"))
        .map_or("", |(_, v)| v);
    Some((object, container, variant))
}
