//! Exceptions: findings accepted for a reason, by scope, until a date.

use std::collections::BTreeMap;
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use jiff::civil::Date;
use kubeharden_findings::{Finding, ScanReport, Suppression, SuppressionKind};
use kubeharden_load::{Resource, Warning, WarningKind};
use kubeharden_yaml::Pos;
use serde::Deserialize;

use crate::config::{rule_matches, Checker, ConfigError};

/// An exception as written in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawException {
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    namespaces: Vec<String>,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    containers: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    reason: Option<String>,
    owner: Option<String>,
    expires: Option<String>,
}

/// Glob patterns (`web-*`) and their compiled set.
#[derive(Clone, Debug)]
struct Globs {
    patterns: Vec<String>,
    set: GlobSet,
}

impl Globs {
    fn matches(&self, text: Option<&str>) -> bool {
        self.patterns.is_empty() || text.is_some_and(|t| self.set.is_match(t))
    }
}

/// One exception: the findings it covers (every scope it names must match; a scope
/// it leaves out matches anything), why, whose, and until when.
#[derive(Clone, Debug)]
pub struct Exception {
    /// Rule IDs, ID prefixes or names.
    pub rules: Vec<String>,
    /// Object kinds (`Deployment`), any case.
    pub kinds: Vec<String>,
    namespaces: Globs,
    names: Globs,
    containers: Globs,
    /// Labels the object must carry, all of them (as a selector's `matchLabels`).
    pub labels: Vec<(String, String)>,
    pub reason: String,
    pub owner: Option<String>,
    /// The last day it applies.
    pub expires: Option<Date>,
    /// Where it is written.
    pub file: Arc<str>,
    pub pos: Pos,
}

/// Kinds findings are about: the built-in ones, and those of `kubeharden node` and
/// Dockerfiles. A kind close to one of them but not it (`Deploymnet`) is a typo that
/// would never match; one far from all is taken as a custom resource's.
const KNOWN_KINDS: [&str; 44] = [
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "ReplicationController",
    "Service",
    "Ingress",
    "IngressClass",
    "NetworkPolicy",
    "ServiceAccount",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "Namespace",
    "ConfigMap",
    "Secret",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "StorageClass",
    "LimitRange",
    "ResourceQuota",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "CustomResourceDefinition",
    "Node",
    "Endpoints",
    "EndpointSlice",
    "PriorityClass",
    "RuntimeClass",
    "PodSecurityPolicy",
    "Dockerfile",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "etcd",
    "kubelet",
    "EncryptionConfiguration",
    "kubeconfig",
];

fn check_kind(check: &Checker<'_>, kind: &str, place: &str) -> Result<(), ConfigError> {
    if KNOWN_KINDS.iter().any(|k| k.eq_ignore_ascii_case(kind)) {
        return Ok(());
    }
    // An audit-log finding's kind is the API resource (`secrets`, `pods/exec`), which
    // matches as written.
    let (resource, _) = kind.split_once('/').unwrap_or((kind, ""));
    if KNOWN_KINDS
        .iter()
        .any(|k| plural(k).eq_ignore_ascii_case(resource))
    {
        return Ok(());
    }
    let hint = kubeharden_rules::suggest::did_you_mean(kind, KNOWN_KINDS);
    match hint.is_empty() {
        true => Ok(()),
        false => Err(check.error(place, format!("unknown kind {kind:?}, which no object has{hint} (a custom resource's kind is taken as written when it is like no built-in one)"))),
    }
}

/// The API resource Kubernetes names a kind by when its definition gives no plural
/// (`Secret` -> `secrets`, `NetworkPolicy` -> `networkpolicies`), as the audit log
/// names objects.
fn plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower == "endpoints" {
        lower
    } else if let Some(stem) = lower.strip_suffix('y') {
        format!("{stem}ies")
    } else if lower.ends_with('s') {
        format!("{lower}es")
    } else {
        format!("{lower}s")
    }
}

/// Whether the exception's `kind` names `res`'s kind. An audit-log finding's kind is
/// the API resource its request was on (`secrets`, `pods/exec`): `Secret` matches
/// `secrets`, and `Pod` its subresources too, since exec is a request on the pod.
fn kind_matches(kind: &str, res: &Resource) -> bool {
    if kind.eq_ignore_ascii_case(&res.kind) {
        return true;
    }
    let audited = res.api_version.starts_with("audit.k8s.io/");
    let resource = res
        .kind
        .split_once('/')
        .map_or(res.kind.as_str(), |(r, _)| r);
    audited && plural(kind).eq_ignore_ascii_case(resource)
}

impl Exception {
    pub(crate) fn checked(
        raw: RawException,
        check: &Checker<'_>,
        place: &str,
        file: &Arc<str>,
    ) -> Result<Exception, ConfigError> {
        let reason = raw.reason.as_deref().map(str::trim).unwrap_or("");
        if reason.is_empty() {
            return Err(check.error(
                place,
                "an exception needs a reason: say why the findings are accepted".into(),
            ));
        }
        let scoped = !(raw.rules.is_empty()
            && raw.kinds.is_empty()
            && raw.namespaces.is_empty()
            && raw.names.is_empty()
            && raw.containers.is_empty()
            && raw.labels.is_empty());
        if !scoped {
            return Err(check.error(
                place,
                "an exception must say what it covers: rules, kinds, namespaces, names, containers or labels".into(),
            ));
        }
        check.patterns(&raw.rules, &format!("{place}.rules"))?;
        for (i, kind) in raw.kinds.iter().enumerate() {
            check_kind(check, kind, &format!("{place}.kinds[{i}]"))?;
        }
        let expires = raw
            .expires
            .as_deref()
            .map(|date| {
                date.trim().parse::<Date>().map_err(|_| {
                    let why = match date.contains('T') || date.contains(':') {
                        true => "a time of day is not taken: give the last day it applies, as YYYY-MM-DD",
                        false => "expected a calendar date, as YYYY-MM-DD",
                    };
                    check.error(&format!("{place}.expires"), format!("{date:?}: {why}"))
                })
            })
            .transpose()?;
        let globs = |patterns: Vec<String>, key: &str| -> Result<Globs, ConfigError> {
            let mut set = GlobSetBuilder::new();
            for (i, pattern) in patterns.iter().enumerate() {
                let glob = Glob::new(pattern).map_err(|e| {
                    check.error(&format!("{place}.{key}[{i}]"), format!("not a glob: {e}"))
                })?;
                set.add(glob);
            }
            let set = set
                .build()
                .map_err(|e| check.error(&format!("{place}.{key}"), e.to_string()))?;
            Ok(Globs { patterns, set })
        };
        Ok(Exception {
            rules: raw.rules,
            kinds: raw.kinds,
            namespaces: globs(raw.namespaces, "namespaces")?,
            names: globs(raw.names, "names")?,
            containers: globs(raw.containers, "containers")?,
            labels: raw.labels.into_iter().collect(),
            reason: reason.to_string(),
            owner: raw.owner.filter(|o| !o.trim().is_empty()),
            expires,
            file: file.clone(),
            pos: check.pos(place),
        })
    }

    /// Whether it covers `finding`, an object with `labels` (None when not known:
    /// an exception that names labels then covers nothing).
    pub fn covers(&self, finding: &Finding, labels: Option<&[(String, String)]>) -> bool {
        self.covers_as(finding, &finding.resource, labels)
    }

    /// Whether it covers `finding` taken as a finding of `res` (the controller
    /// that made the finding's object), `res` having `labels`.
    pub fn covers_as(
        &self,
        finding: &Finding,
        res: &Resource,
        labels: Option<&[(String, String)]>,
    ) -> bool {
        self.names_rule(finding.rule_id, finding.rule_name)
            && self.covers_object(finding, res, labels)
    }

    /// Whether it names the rule `id` (`name`), or names no rule.
    fn names_rule(&self, id: &str, name: &str) -> bool {
        self.rules.is_empty() || self.rules.iter().any(|p| rule_matches(id, name, p))
    }

    /// Whether it accepts one of the rules `finding` stands for besides its own (KH202
    /// under a KH201 that names a missing request), on its object. The finding stays
    /// while its own rule is not accepted, but the exception is in use, not unused.
    pub fn covers_a_merged_rule(
        &self,
        finding: &Finding,
        labels: Option<&[(String, String)]>,
    ) -> bool {
        !self.rules.is_empty()
            && finding.covers.iter().any(|id| self.names_rule_id(id))
            && self.covers_object(finding, &finding.resource, labels)
    }

    /// Whether it names the rule of ID `id`, by ID, prefix or name.
    fn names_rule_id(&self, id: &str) -> bool {
        let name = kubeharden_rules::find_rule(id).map_or("", |r| r.def.name);
        self.names_rule(id, name)
    }

    /// The rules `finding` stands for besides its own that it does not name (none
    /// when it names no rule: it then accepts every rule).
    fn leaves_merged(&self, finding: &Finding) -> Vec<&'static str> {
        finding.unaccepted_merged(|id| self.names_rule_id(id))
    }

    /// Whether it covers `finding`'s object `res` and container, whatever the rule.
    fn covers_object(
        &self,
        finding: &Finding,
        res: &Resource,
        labels: Option<&[(String, String)]>,
    ) -> bool {
        let kind = self.kinds.is_empty() || self.kinds.iter().any(|k| kind_matches(k, res));
        let labelled = self.labels.is_empty()
            || labels.is_some_and(|have| self.labels.iter().all(|want| have.contains(want)));
        kind && labelled
            && self.namespaces.matches(res.namespace.as_deref())
            && self.names.matches(Some(&res.name))
            && self.containers.matches(finding.container.as_deref())
    }

    /// Whether it has expired on `today`: it applies through its `expires` day.
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|last| today > last)
    }

    /// Whether it selects objects by label (a scan must keep them).
    pub fn needs_labels(&self) -> bool {
        !self.labels.is_empty()
    }

    fn suppression(&self) -> Suppression {
        Suppression {
            kind: SuppressionKind::Config,
            reason: self.reason.clone(),
            owner: self.owner.clone(),
            expires: self.expires.map(|d| d.to_string()),
            source: format!("{}:{}", self.file, self.pos.line),
        }
    }

    fn warning(&self, kind: WarningKind) -> Warning {
        Warning {
            file: self.file.clone(),
            pos: Some(self.pos),
            kind,
        }
    }
}

/// The exceptions of a configuration file, in its order: the first that covers a
/// finding is the one reported.
#[derive(Clone, Debug, Default)]
pub struct Exceptions {
    list: Vec<Exception>,
}

impl Exceptions {
    pub fn new(list: Vec<Exception>) -> Exceptions {
        Exceptions { list }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Exception> {
        self.list.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Whether any selects objects by label: the scan must then keep labels
    /// (`ScanOptions::keep_labels`), or such exceptions cover nothing.
    pub fn needs_labels(&self) -> bool {
        self.list.iter().any(Exception::needs_labels)
    }

    /// Moves the findings of `made` that an exception covers as findings of one of
    /// its `owners` (the controllers that made it, nearest first) to the suppressed
    /// list: `scan` reports a made object's problems on its controller, so the
    /// controller's exceptions are the made object's too. The owners' labels are not
    /// known here, so an exception that selects by label does not reach through.
    pub fn apply_through_owners(
        &self,
        report: &mut ScanReport,
        today: Date,
        made: &Resource,
        owners: &[Resource],
    ) {
        if owners.is_empty() {
            return;
        }
        let live: Vec<&Exception> = self.list.iter().filter(|e| !e.expired(today)).collect();
        report.suppress(|finding| {
            if *finding.resource != *made {
                return None;
            }
            let exception = live
                .iter()
                .find(|e| owners.iter().any(|o| e.covers_as(finding, o, None)))?;
            Some(exception.suppression())
        });
    }

    /// Moves the findings the exceptions cover to the report's suppressed list. An
    /// exception past its `expires` date (on `today`) covers nothing and is a warning;
    /// with `report_unused`, so is one that covered no finding.
    pub fn apply(&self, report: &mut ScanReport, today: Date, report_unused: bool) {
        let live: Vec<&Exception> = self.list.iter().filter(|e| !e.expired(today)).collect();
        let mut used = vec![false; live.len()];
        let labels = std::mem::take(&mut report.labels);
        // An exception of a finding's own rule that leaves out a rule it stands for
        // (KH201 without the KH202 of the same container) does not hide it.
        for finding in &mut report.findings {
            let key = (finding.location.file.clone(), finding.resource.clone());
            let have = labels.get(&key).map(Vec::as_slice);
            let whole =
                |e: &&Exception| e.covers(finding, have) && e.leaves_merged(finding).is_empty();
            if live.iter().any(whole) {
                continue;
            }
            if let Some((i, partial)) = live
                .iter()
                .enumerate()
                .find(|(_, e)| e.covers(finding, have))
            {
                used[i] = true;
                let left = partial.leaves_merged(finding);
                let source = format!("{}:{}", partial.file, partial.pos.line);
                finding.note_partly_accepted(&source, &left);
                continue;
            }
            // An exception of a rule the finding stands for, not of its own: that
            // rule's checks are accepted (the score counts them so, as `--no-merge`
            // does), and the finding stays for its own rule.
            for (i, exception) in live.iter().enumerate() {
                if exception.covers_a_merged_rule(finding, have) {
                    used[i] = true;
                    let accepted: Vec<&'static str> = finding
                        .covers
                        .iter()
                        .copied()
                        .filter(|id| exception.names_rule_id(id))
                        .collect();
                    for id in accepted {
                        if !finding.accepted_rules.contains(&id) {
                            finding.accepted_rules.push(id);
                        }
                    }
                }
            }
        }
        report.suppress(|finding| {
            let key = (finding.location.file.clone(), finding.resource.clone());
            let have = labels.get(&key).map(Vec::as_slice);
            let (i, exception) = live
                .iter()
                .enumerate()
                .find(|(_, e)| e.covers(finding, have) && e.leaves_merged(finding).is_empty())?;
            used[i] = true;
            Some(exception.suppression())
        });
        if report_unused {
            for finding in &report.findings {
                let key = (finding.location.file.clone(), finding.resource.clone());
                let have = labels.get(&key).map(Vec::as_slice);
                for (i, exception) in live.iter().enumerate() {
                    used[i] = used[i] || exception.covers_a_merged_rule(finding, have);
                }
            }
        }
        report.labels = labels;
        for exception in self.list.iter().filter(|e| e.expired(today)) {
            let expired = exception.expires.map(|d| d.to_string()).unwrap_or_default();
            report
                .warnings
                .push(exception.warning(WarningKind::ExpiredException { expired }));
        }
        if report_unused {
            let unused = live.iter().zip(&used).filter(|(_, used)| !**used);
            for (exception, _) in unused {
                report
                    .warnings
                    .push(exception.warning(WarningKind::UnusedException));
            }
        }
    }
}
