//! What the webhook enforces, where: modes per namespace (labels, else the
//! configuration file), exemptions, rule selection, limits.
//!
//! Modes follow Pod Security Admission: each of `enforce`, `warn` and `audit` has a
//! level of its own, here a severity: a finding at or above the `enforce` level
//! refuses the object, one at or above `warn` is returned as a warning, one at or
//! above `audit` is written in the audit event's annotations. A namespace sets them
//! with the labels `admission.kubeharden.io/enforce`, `.../warn` and `.../audit`
//! (a severity, or `none`), which win over the file's `namespaces` entry, which wins
//! over its `defaults`.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use kubeharden_findings::Severity;
use kubeharden_rules::{Framework, PssLevel, RuleSet, Selection};
use serde::Deserialize;

/// The label prefix of the modes: `admission.kubeharden.io/enforce`, ...
pub const LABEL_PREFIX: &str = "admission.kubeharden.io/";

/// The largest AdmissionReview read. An UPDATE's review carries the object and its old
/// copy, each up to etcd's 1.5 MiB, and the API server writes `<`, `>` and `&` of their
/// text as six bytes (`\u003c`): 16 MiB holds both but for the most contrived objects.
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;

/// The time a review may take before it is answered as failed.
pub const DEFAULT_TIMEOUT_MS: u64 = 2_000;

/// A mode's level: the lowest severity it acts on, or none (off).
pub type Level = Option<Severity>;

/// The three modes' levels for one namespace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Modes {
    pub enforce: Level,
    pub warn: Level,
    pub audit: Level,
}

impl Modes {
    /// The lowest level of any mode: findings below it matter to none.
    pub fn lowest(&self) -> Level {
        [self.enforce, self.warn, self.audit]
            .into_iter()
            .flatten()
            .min()
    }

    /// The stricter of two sets of modes, mode by mode: the lower level of each.
    pub fn stricter(self, other: Modes) -> Modes {
        let low = |a: Level, b: Level| [a, b].into_iter().flatten().min();
        Modes {
            enforce: low(self.enforce, other.enforce),
            warn: low(self.warn, other.warn),
            audit: low(self.audit, other.audit),
        }
    }

    /// The modes for what a controller made from a workload judged when written:
    /// nothing refused, what would have been is warned.
    pub fn judged_at_owner(self) -> Modes {
        let warn = [self.warn, self.enforce].into_iter().flatten().min();
        Modes {
            enforce: None,
            warn,
            audit: self.audit,
        }
    }
}

/// What the API server is told when a review cannot be judged (an error or the time
/// limit): the same choice as the webhook's `failurePolicy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum FailurePolicy {
    /// Refuse the object.
    #[default]
    Fail,
    /// Admit it.
    Ignore,
}

/// A configuration file that cannot be used: every mistake in it at its line and
/// column.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: u32,
        column: u32,
        message: String,
    },
}

/// The configuration file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct File {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    defaults: ModesFile,
    #[serde(default)]
    namespaces: BTreeMap<String, ModesFile>,
    /// The modes of cluster-scoped objects (ClusterRoleBindings, webhook
    /// configurations...), which no namespace's labels or entry can give.
    #[serde(default)]
    cluster_scoped: Option<ModesFile>,
    #[serde(default)]
    exemptions: Exemptions,
    #[serde(default)]
    rules: RulesFile,
    #[serde(default)]
    failure_policy: Option<FailurePolicy>,
    /// Signed, so that a negative value is refused as out of range, not of type.
    #[serde(default)]
    timeout_ms: Option<i64>,
    #[serde(default)]
    max_body_bytes: Option<usize>,
    #[serde(default)]
    inline_exceptions: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModesFile {
    enforce: Option<String>,
    warn: Option<String>,
    audit: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RulesFile {
    framework: Option<String>,
    #[serde(default)]
    select: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    min_severity: Option<String>,
    pss_target: Option<String>,
}

/// Requests let through unjudged.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Exemptions {
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Requesting users (`userInfo.username`), such as a controller's account.
    #[serde(default)]
    pub usernames: Vec<String>,
    /// Requesting users' groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Pods (and pod templates) that run under one of these RuntimeClasses (a
    /// sandbox such as gVisor or Kata).
    #[serde(default)]
    pub runtime_classes: Vec<String>,
}

/// The webhook's configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The modes of a namespace with neither labels nor an entry.
    pub defaults: Modes,
    pub namespaces: BTreeMap<String, Modes>,
    /// The modes of cluster-scoped objects (`clusterScoped`, else the defaults).
    pub cluster_scoped: Modes,
    pub exemptions: Exemptions,
    pub selection: Selection,
    pub pss_target: PssLevel,
    pub failure_policy: FailurePolicy,
    pub timeout: std::time::Duration,
    pub max_body: usize,
    /// Whether inline exceptions (`kubeharden.io/ignore`) of the reviewed object apply
    /// (`inlineExceptions`). Off by default: at the door, the author of the object
    /// would write its own exceptions.
    pub inline_exceptions: bool,
}

impl Default for Config {
    /// Without a file: warn about everything, enforce nothing until a namespace asks.
    fn default() -> Self {
        Config {
            defaults: Modes {
                enforce: None,
                warn: Some(Severity::Low),
                audit: Some(Severity::Low),
            },
            namespaces: BTreeMap::new(),
            cluster_scoped: Modes {
                enforce: None,
                warn: Some(Severity::Low),
                audit: Some(Severity::Low),
            },
            exemptions: Exemptions::default(),
            selection: Selection::default(),
            pss_target: PssLevel::Baseline,
            failure_policy: FailurePolicy::Fail,
            timeout: std::time::Duration::from_millis(DEFAULT_TIMEOUT_MS),
            max_body: DEFAULT_MAX_BODY,
            inline_exceptions: false,
        }
    }
}

/// A level as labels and the file spell it: a severity, or `none` / `off`.
pub fn parse_level(text: &str) -> Result<Level, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "none" | "off" | "" => Ok(None),
        other => Severity::from_str(other)
            .map(Some)
            .map_err(|e| format!("{e}, or none")),
    }
}

impl Config {
    /// Reads a configuration file (YAML or JSON).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: file.clone(),
            source,
        })?;
        Config::parse(&file, &text)
    }

    pub fn parse(file: &str, text: &str) -> Result<Config, ConfigError> {
        let invalid = |pos: kubeharden_yaml::Pos, message: String| ConfigError::Invalid {
            file: file.to_string(),
            line: pos.line,
            column: pos.col,
            message,
        };
        let first = kubeharden_yaml::split_documents(text).into_iter().next();
        let mut docs = first
            .map(|chunk| kubeharden_yaml::parse_chunk(chunk, &kubeharden_yaml::Limits::default()))
            .unwrap_or_default();
        docs.truncate(1);
        let root = match docs.pop() {
            None => return Ok(Config::default()),
            Some(Err(e)) => return Err(invalid(e.pos, e.message)),
            Some(Ok(doc)) => doc.root,
        };
        let parsed: File = kubeharden_yaml::from_node(&root)
            .map_err(|e| invalid(e.pos.unwrap_or(root.pos), e.to_string()))?;
        // A value that reads but is wrong: at its key's line and column.
        let at = |path: &[&str], message: String| {
            let field = kubeharden_yaml::FieldPath::from_segments(path.iter().copied());
            invalid(root.locate(&field).pos, message)
        };
        parsed.checked(&at)
    }

    /// The modes of `namespace`, from its labels (when the cluster view knows them),
    /// else the file.
    pub fn modes(
        &self,
        namespace: &str,
        labels: Option<&BTreeMap<String, String>>,
    ) -> (Modes, Vec<String>) {
        // A cluster-scoped object is in no namespace: its modes are the file's.
        if namespace.is_empty() {
            return (self.cluster_scoped, Vec::new());
        }
        let mut modes = self
            .namespaces
            .get(namespace)
            .copied()
            .unwrap_or(self.defaults);
        let mut wrong = Vec::new();
        let Some(labels) = labels else {
            return (modes, wrong);
        };
        for (name, slot) in [
            ("enforce", &mut modes.enforce),
            ("warn", &mut modes.warn),
            ("audit", &mut modes.audit),
        ] {
            if let Some(text) = labels.get(&format!("{LABEL_PREFIX}{name}")) {
                // A mistyped level fails closed, as Pod Security Admission reads one:
                // a typo must not turn enforcement off without a word.
                // An empty value (`enforce=`) is no level either: `none` turns a mode off.
                let level = match text.trim() {
                    "" => Err(
                        "an empty value is no level (critical, high, medium, low, info, or none)"
                            .to_string(),
                    ),
                    _ => parse_level(text),
                };
                *slot = level.unwrap_or_else(|e| {
                    wrong.push(format!(
                        "label {LABEL_PREFIX}{name}={text:?}: {e}; read as {UNREADABLE_LEVEL} until it is fixed"
                    ));
                    Some(UNREADABLE_LEVEL)
                });
            }
        }
        // A label of ours that names no mode (`enfroce`, `Enforce`) sets nothing: said,
        // as a typo of a key must not turn enforcement off without a word either.
        for key in labels.keys() {
            let Some(name) = key.strip_prefix(LABEL_PREFIX) else {
                continue;
            };
            if !MODES.contains(&name) {
                let hint = kubeharden_rules::suggest::did_you_mean(name, MODES);
                wrong.push(format!(
                    "label {key} names no mode (enforce, warn or audit): it sets nothing{hint}"
                ));
            }
        }
        (modes, wrong)
    }
}

/// A namespace name as the API server takes one: a DNS label.
fn is_namespace_name(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// The modes a namespace label sets (`admission.kubeharden.io/MODE`).
const MODES: [&str; 3] = ["enforce", "warn", "audit"];

/// The level a mode label that is no level is read as: the strictest of the usual
/// ones (`--fail-on`'s default).
pub const UNREADABLE_LEVEL: Severity = Severity::Low;

/// Where a value is wrong (its field path in the file) and why.
type Wrong = (Vec<String>, String);

impl File {
    /// The configuration the file describes; `at` places a wrong value's message at
    /// its field.
    fn checked(self, at: &dyn Fn(&[&str], String) -> ConfigError) -> Result<Config, ConfigError> {
        if let Some(kind) = self
            .kind
            .as_deref()
            .filter(|k| *k != "AdmissionConfiguration")
        {
            return Err(at(
                &["kind"],
                format!("kind {kind:?}: expected AdmissionConfiguration"),
            ));
        }
        // One version so far; another is a file written for a kubeharden that does
        // not exist (or a typo), read by nobody's rules.
        if let Some(version) = self
            .api_version
            .as_deref()
            .filter(|v| *v != "kubeharden.io/v1alpha1")
        {
            return Err(at(
                &["apiVersion"],
                format!("apiVersion {version:?}: expected kubeharden.io/v1alpha1"),
            ));
        }
        let wrong = |(path, message): Wrong| {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            at(&path, message)
        };
        let mut config = Config::default();
        config.defaults = self
            .defaults
            .apply(config.defaults, &["defaults"])
            .map_err(wrong)?;
        for (ns, modes) in &self.namespaces {
            if ns.is_empty() {
                let why = "a namespace has a name; the modes of cluster-scoped objects are `clusterScoped`";
                return Err(at(&["namespaces", ns], why.to_string()));
            }
            let modes = modes
                .apply(config.defaults, &["namespaces", ns])
                .map_err(wrong)?;
            config.namespaces.insert(ns.clone(), modes);
        }
        config.cluster_scoped = match &self.cluster_scoped {
            Some(modes) => modes
                .apply(config.defaults, &["clusterScoped"])
                .map_err(wrong)?,
            None => config.defaults,
        };
        // An exempt namespace that is no namespace name would exempt nothing, or (the
        // empty name) every cluster-scoped object: refused, named.
        for (i, ns) in self.exemptions.namespaces.iter().enumerate() {
            if !is_namespace_name(ns) {
                let place = ["exemptions", "namespaces", &format!("[{i}]")];
                let why = format!("{ns:?} is no namespace name (lowercase letters, digits and '-', at most 63); cluster-scoped objects take the modes of `clusterScoped`");
                return Err(at(&place, why));
            }
        }
        config.exemptions = self.exemptions;
        config.selection = self.rules.selection().map_err(wrong)?;
        if let Some(target) = &self.rules.pss_target {
            config.pss_target = match target.as_str() {
                "baseline" => PssLevel::Baseline,
                "restricted" => PssLevel::Restricted,
                other => {
                    return Err(at(
                        &["rules", "pssTarget"],
                        format!("rules.pssTarget {other:?}: expected baseline or restricted"),
                    ))
                }
            };
        }
        config.failure_policy = self.failure_policy.unwrap_or_default();
        if let Some(ms) = self.timeout_ms {
            // No review is judged in no time: 0 would answer every one by the failure policy.
            let ms = u64::try_from(ms).ok().filter(|ms| *ms > 0).ok_or_else(|| {
                at(
                    &["timeoutMs"],
                    format!("timeoutMs {ms}: expected milliseconds above 0 (default {DEFAULT_TIMEOUT_MS})"),
                )
            })?;
            config.timeout = std::time::Duration::from_millis(ms);
        }
        if let Some(bytes) = self.max_body_bytes {
            if bytes == 0 {
                return Err(at(
                    &["maxBodyBytes"],
                    format!("maxBodyBytes 0: expected bytes above 0 (default {DEFAULT_MAX_BODY})"),
                ));
            }
            config.max_body = bytes;
        }
        config.inline_exceptions = self.inline_exceptions.unwrap_or(false);
        Ok(config)
    }
}

impl ModesFile {
    /// The modes over `base`; a wrong level is named by its path under `place`.
    fn apply(&self, base: Modes, place: &[&str]) -> Result<Modes, Wrong> {
        let level = |given: &Option<String>, base: Level, what: &str| match given {
            None => Ok(base),
            Some(text) => parse_level(text).map_err(|e| {
                let mut path: Vec<String> = place.iter().map(|p| p.to_string()).collect();
                path.push(what.to_string());
                (path, format!("{what}: {e}"))
            }),
        };
        Ok(Modes {
            enforce: level(&self.enforce, base.enforce, "enforce")?,
            warn: level(&self.warn, base.warn, "warn")?,
            audit: level(&self.audit, base.audit, "audit")?,
        })
    }
}

impl RulesFile {
    fn selection(&self) -> Result<Selection, Wrong> {
        let wrong = |key: &str, e: String| {
            (
                vec!["rules".to_string(), key.to_string()],
                format!("rules.{key}: {e}"),
            )
        };
        let framework = match &self.framework {
            None => Framework::All,
            Some(f) => Framework::from_str(f).map_err(|e| wrong("framework", e.to_string()))?,
        };
        let min_severity = match &self.min_severity {
            None => None,
            Some(s) => {
                Some(Severity::from_str(s).map_err(|e| wrong("minSeverity", e.to_string()))?)
            }
        };
        let selection = Selection {
            framework,
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            min_severity,
        };
        // A pattern that names no rule is refused here, at its line, not when serving.
        if let Err(e) = RuleSet::new(&selection) {
            let (key, list) = if e.flag.contains("ignore") {
                ("ignore", &self.ignore)
            } else {
                ("select", &self.select)
            };
            let i = list.iter().position(|p| *p == e.pattern).unwrap_or(0);
            let path = vec!["rules".to_string(), key.to_string(), format!("[{i}]")];
            let message = format!(
                "rules.{key}[{i}]: {:?} names no rule (see `kubeharden rules`)",
                e.pattern
            );
            return Err((path, message));
        }
        Ok(selection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
apiVersion: kubeharden.io/v1alpha1
kind: AdmissionConfiguration
defaults: {enforce: high, warn: low}
namespaces:
  legacy: {enforce: none}
exemptions:
  namespaces: [kube-system]
  usernames: [system:serviceaccount:kube-system:replicaset-controller]
  runtimeClasses: [gvisor]
rules: {framework: pss-restricted, ignore: [KH121], minSeverity: medium}
failurePolicy: Ignore
timeoutMs: 500
";

    #[test]
    fn a_file_sets_modes_exemptions_and_rules() {
        let c = Config::parse("c.yaml", FILE).unwrap();
        assert_eq!(c.defaults.enforce, Some(Severity::High));
        assert_eq!(
            c.defaults.audit,
            Some(Severity::Low),
            "kept from the default"
        );
        let (legacy, _) = c.modes("legacy", None);
        assert_eq!(legacy.enforce, None);
        assert_eq!(legacy.warn, Some(Severity::Low));
        assert_eq!(c.exemptions.runtime_classes, ["gvisor"]);
        assert_eq!(c.selection.framework, Framework::PssRestricted);
        assert_eq!(c.selection.min_severity, Some(Severity::Medium));
        assert_eq!(c.failure_policy, FailurePolicy::Ignore);
        assert_eq!(c.timeout.as_millis(), 500);
    }

    #[test]
    fn labels_win_over_the_file() {
        let c = Config::parse("c.yaml", FILE).unwrap();
        let labels: BTreeMap<String, String> = [
            (
                "admission.kubeharden.io/enforce".to_string(),
                "critical".to_string(),
            ),
            (
                "admission.kubeharden.io/warn".to_string(),
                "none".to_string(),
            ),
        ]
        .into();
        let (m, wrong) = c.modes("legacy", Some(&labels));
        assert!(wrong.is_empty());
        assert_eq!(m.enforce, Some(Severity::Critical));
        assert_eq!(m.warn, None);
        let bad: BTreeMap<String, String> = [(
            "admission.kubeharden.io/enforce".to_string(),
            "loud".to_string(),
        )]
        .into();
        // A mistyped level fails closed, and says so.
        let (m, wrong) = c.modes("x", Some(&bad));
        assert_eq!(m.enforce, Some(Severity::Low));
        assert!(wrong[0].contains("enforce=\"loud\""), "{wrong:?}");
        assert!(
            wrong[0].ends_with("read as low until it is fixed"),
            "{wrong:?}"
        );
    }

    #[test]
    fn a_bad_file_names_its_line() {
        let err = Config::parse("c.yaml", "defaults: {enforce: high}\nwhatever: 1\n").unwrap_err();
        assert!(err.to_string().starts_with("c.yaml:"), "{err}");
        for bad in ["\"\"", "\" \"", "Bad_NS"] {
            let text = format!("exemptions:\n  namespaces: [ok, {bad}]\n");
            let err = Config::parse("c.yaml", &text).unwrap_err().to_string();
            assert!(
                err.starts_with("c.yaml:2:") && err.contains("is no namespace name"),
                "{err}"
            );
        }
        assert!(Config::parse("c.yaml", "exemptions:\n  namespaces: [kube-system, a-1]\n").is_ok());
        let err = Config::parse("c.yaml", "defaults: {enforce: loud}\n").unwrap_err();
        assert!(err.to_string().contains("enforce"), "{err}");
        let err = Config::parse("c.yaml", "rules: {select: [KH1], framework: nope}\n").unwrap_err();
        assert!(err.to_string().contains("framework"), "{err}");
    }

    #[test]
    fn a_wrong_value_names_its_line_and_column() {
        let cases = [
            (
                "timeoutMs: 0\n",
                "c.yaml:1:1: timeoutMs 0: expected milliseconds above 0",
            ),
            (
                "defaults: {}\ntimeoutMs: -5\n",
                "c.yaml:2:1: timeoutMs -5: expected milliseconds above 0",
            ),
            (
                "maxBodyBytes: 0\n",
                "c.yaml:1:1: maxBodyBytes 0: expected bytes above 0",
            ),
            (
                "defaults:\n  warn: low\n  enforce: loud\n",
                "c.yaml:3:3: enforce: ",
            ),
            (
                "namespaces:\n  shop.io: {audit: x}\n",
                "c.yaml:2:13: audit: ",
            ),
            (
                "rules:\n  framework: nope\n",
                "c.yaml:2:3: rules.framework: ",
            ),
            (
                "rules:\n  minSeverity: huge\n",
                "c.yaml:2:3: rules.minSeverity: ",
            ),
            (
                "rules:\n  pssTarget: strict\n",
                "c.yaml:2:3: rules.pssTarget \"strict\"",
            ),
            (
                "rules:\n  ignore: [KH101, KH1O2]\n",
                "c.yaml:2:19: rules.ignore[1]: \"KH1O2\" names no rule",
            ),
            (
                "rules:\n  select:\n  - KH9999\n",
                "c.yaml:3:5: rules.select[0]: \"KH9999\" names no rule",
            ),
            (
                "kind: Config\n",
                "c.yaml:1:1: kind \"Config\": expected AdmissionConfiguration",
            ),
            (
                "apiVersion: kubeharden.io/v1\n",
                "c.yaml:1:1: apiVersion \"kubeharden.io/v1\": expected kubeharden.io/v1alpha1",
            ),
        ];
        for (text, want) in cases {
            let err = Config::parse("c.yaml", text).unwrap_err().to_string();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
        assert_eq!(
            Config::parse("c.yaml", "timeoutMs: 1\n")
                .unwrap()
                .timeout
                .as_millis(),
            1
        );
    }
}
