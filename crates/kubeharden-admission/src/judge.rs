//! One review: the AdmissionReview in, the verdict out, by the engine `scan` uses.
//!
//! The object under review is read as `cluster` reads a GET answer (positions 0:0,
//! `managedFields` skipped, Secret values dropped) and handed to
//! [`kubeharden_engine::check_together`] with what the cluster view knows of its
//! namespace (the Namespace, its ServiceAccounts, NetworkPolicies, RBAC): the
//! findings are those `scan` makes of a file that holds the same objects, kept for
//! the object under review. A workload controller is judged on its pod template,
//! as in `scan`, so a bad Deployment is refused before its pods exist.
//!
//! UPDATE: the new object is judged whole, and `oldObject` too; a finding the old
//! object already had (same rule and field path) never refuses the update, it is
//! returned as a warning. So an object admitted before the webhook (or before a
//! rule) can still be scaled, labelled or have its finalizers removed, while an
//! update that adds a problem (or makes an old one graver) is refused. An object
//! being deleted (`deletionTimestamp` set) may have its metadata changed (its
//! finalizers removed) unjudged; any other change of it is judged.
//!
//! dryRun: judged exactly like a real request (so `kubectl apply --dry-run=server`
//! shows the refusal); the webhook has no side effects.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use kubeharden_findings::{Finding, Severity};
use kubeharden_load::{Object, Resource};
use kubeharden_rules::RuleSet;
use kubeharden_yaml::{Node, Value};

use crate::config::{Config, FailurePolicy, Modes};
use crate::grants::{grants, grants_unknown_role, role_kind, stub_role, GRANT_RULES};
use crate::message;
use crate::review::{self, Operation, Request, Response, ReviewError};
use crate::view::ClusterSource;

/// What the webhook decided, for the answer and the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Decision {
    /// Judged and admitted (perhaps with warnings).
    Allowed,
    /// Judged and refused.
    Denied,
    /// Let through unjudged: an exempt namespace, user, group or runtime class.
    Exempt,
    /// Nothing to judge: DELETE, CONNECT, a subresource, a namespace with every mode
    /// off, an object being deleted.
    Skipped,
    /// The review could not be judged (bad input, the time limit); answered by the
    /// failure policy.
    Error,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::Denied => "denied",
            Decision::Exempt => "exempt",
            Decision::Skipped => "skipped",
            Decision::Error => "error",
        }
    }
}

/// The modes, by name, for the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    Enforce,
    Warn,
    Audit,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
        }
    }
}

/// A review's answer.
#[derive(Debug)]
pub struct Verdict {
    pub response: Response,
    pub decision: Decision,
    pub dry_run: bool,
    /// Each rule that acted, and in which mode.
    pub fired: Vec<(&'static str, Mode)>,
    /// What was judged, for the log: `CREATE shop/Deployment/web`.
    pub subject: Option<String>,
}

impl Verdict {
    /// The line `serve` logs for a refusal (the object, the rules that refused it) or
    /// a review that could not be judged; none for an admission.
    pub fn log_line(&self) -> Option<String> {
        let status = self.response.status.as_ref();
        let dry = if self.dry_run { " (dry run)" } else { "" };
        match self.decision {
            Decision::Denied => {
                let mut rules: Vec<&str> = self
                    .fired
                    .iter()
                    .filter(|(_, mode)| *mode == Mode::Enforce)
                    .map(|(rule, _)| *rule)
                    .collect();
                rules.sort_unstable();
                rules.dedup();
                let subject = self.subject.as_deref().unwrap_or(&self.response.uid);
                Some(format!("refused {subject}{dry}: {}", rules.join(", ")))
            }
            Decision::Error => Some(format!(
                "{} review {}: {}",
                if self.response.allowed {
                    "admitted unjudged"
                } else {
                    "refused unjudged"
                },
                self.response.uid,
                status.map_or_else(|| self.response.warnings.join("; "), |s| s.message.clone()),
            )),
            _ => None,
        }
    }
}

/// What a body gets: an AdmissionReview answer, or (no uid to answer to) HTTP 400.
#[derive(Debug)]
pub enum Answer {
    Review(Verdict),
    BadRequest(String),
}

/// Judges AdmissionReviews: the rules, the configuration and, when the webhook runs
/// against a cluster, its view.
pub struct Reviewer {
    rules: RuleSet,
    config: Config,
    fixes: HashMap<&'static str, String>,
    view: Option<Arc<dyn ClusterSource>>,
    /// The project's `.kubeharden.yaml`: its exceptions and severity overrides apply
    /// to every review as `scan` applies them. Swapped whole when the file changes.
    project: RwLock<Option<Arc<kubeharden_exceptions::Config>>>,
}

impl Reviewer {
    pub fn new(
        config: Config,
        view: Option<Arc<dyn ClusterSource>>,
    ) -> Result<Reviewer, kubeharden_rules::UnknownRule> {
        let mut rules = RuleSet::new(&config.selection)?.manifest_rules();
        rules.config.pss_target = config.pss_target;
        let fixes = rules
            .rules()
            .iter()
            .filter_map(|r| Some((r.def.id, r.info.fix()?.summary)).filter(|(_, s)| !s.is_empty()))
            .collect();
        Ok(Reviewer {
            rules,
            config,
            fixes,
            view,
            project: RwLock::new(None),
        })
    }

    /// Applies a `.kubeharden.yaml`'s exceptions and severity overrides to every
    /// review, as `scan --config` does, so both keep giving the same verdict.
    pub fn with_project_config(self, project: kubeharden_exceptions::Config) -> Reviewer {
        self.set_project(project);
        self
    }

    /// Replaces the project configuration (its file changed); reviews under way
    /// finish with the one they started with.
    pub fn set_project(&self, project: kubeharden_exceptions::Config) {
        *self.project.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(project));
    }

    /// The project configuration in force.
    pub fn project(&self) -> Option<Arc<kubeharden_exceptions::Config>> {
        self.project
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Answers a request body. A review of another version (`v1beta1`) gets HTTP
    /// 400, not a v1 answer its API server could not read: the API server then
    /// applies the webhook's own `failurePolicy`.
    pub fn answer(&self, body: &[u8]) -> Answer {
        match review::parse(body, self.config.max_body) {
            Ok(request) => Answer::Review(self.review(&request)),
            Err(err @ ReviewError::WrongType { .. }) => Answer::BadRequest(err.to_string()),
            Err(err) => match review::uid_of(body) {
                Some(uid) => Answer::Review(self.failed(&uid, &err.to_string())),
                None => Answer::BadRequest(err.to_string()),
            },
        }
    }

    /// The answer to a review that could not be judged, by the failure policy.
    pub fn failed(&self, uid: &str, why: &str) -> Verdict {
        let message = format!("kubeharden: the request could not be judged: {why}");
        let response = match self.config.failure_policy {
            FailurePolicy::Fail => Response::deny(uid, 400, Some("BadRequest"), message),
            FailurePolicy::Ignore => Response {
                warnings: vec![message],
                ..Response::allow(uid)
            },
        };
        Verdict {
            response,
            decision: Decision::Error,
            dry_run: false,
            fired: Vec::new(),
            subject: None,
        }
    }

    fn review(&self, request: &Request<'_>) -> Verdict {
        let verdict = |response, decision| Verdict {
            response,
            decision,
            dry_run: request.dry_run,
            fired: Vec::new(),
            subject: None,
        };
        let uid = &request.uid;
        if matches!(request.operation, Operation::Delete | Operation::Connect)
            || !matches!(request.sub_resource.as_str(), "" | "ephemeralcontainers")
        {
            return verdict(Response::allow(uid), Decision::Skipped);
        }
        let Some(raw) = request.object else {
            let operation = match request.operation {
                Operation::Update => "UPDATE",
                _ => "CREATE",
            };
            return self.failed(uid, &ReviewError::NoObject { operation }.to_string());
        };
        let namespace = self.namespace_of(request);
        if self.exempt(request, &namespace) {
            return verdict(exempt(uid, "namespace or user"), Decision::Exempt);
        }
        // Before the view has listed the cluster, a namespace's labels (its modes) and
        // objects are unknown: judging would admit what an enforcing namespace refuses.
        if self.view.as_ref().is_some_and(|v| !v.ready()) {
            return self.failed(
                uid,
                "the cluster view has not synced yet, or a watch of it is failing",
            );
        }
        let mut root = match kubeharden_live::read_object(raw.get().as_bytes()) {
            Ok(root) => root,
            Err(e) => return self.failed(uid, &format!("request.object: {e}")),
        };
        // The API server sends the whole object, its kind included: anything else is
        // no object to judge, and passing it would be passing what was not judged.
        if let Some(why) = not_an_object(&root) {
            return self.failed(uid, &format!("request.object: {why}"));
        }
        // The object is judged as what it says it is; the API server sends the kind it
        // names (a subresource's request may name another).
        let said = root
            .get("kind")
            .and_then(Node::scalar_text)
            .unwrap_or_default();
        if request.sub_resource.is_empty() && said != request.kind.kind {
            let why = format!(
                "request.object is a {said}, the request names a {}",
                request.kind.kind
            );
            return self.failed(uid, &why);
        }
        // Judging grows faster than the containers: a pod of thousands would hold a
        // core for seconds after its answer. No real pod comes near the bound.
        let (containers, items) = pod_spec_size(&root);
        if containers > MAX_CONTAINERS {
            let why = format!("it has {containers} containers, more than the {MAX_CONTAINERS} judged at admission");
            return self.failed(uid, &why);
        }
        if items > MAX_POD_ITEMS {
            let why = format!("its pod spec has {items} volumes, mounts, ports and env vars, more than the {MAX_POD_ITEMS} judged at admission");
            return self.failed(uid, &why);
        }
        let (modes, mut warnings) = self.modes_of(request, &namespace, &root);
        // What a built-in controller makes from a workload (a Deployment's ReplicaSets,
        // their Pods) was judged as the workload's template when the workload was
        // written: refusing it would stall a rollout of a workload admitted before
        // enforcement, or by an exempt user. Its findings are warned and audited.
        let made = is_controller(&request.user_info) && has_owner(&root);
        let modes = if made { modes.judged_at_owner() } else { modes };
        if !self.config.inline_exceptions {
            warnings.extend(drop_inline_exceptions(&mut root));
        }
        // A role is judged whatever its own modes: its grants land where the bindings
        // that grant it are, whose namespaces' modes judge them (see `decide`).
        let role_review = request.kind.group == "rbac.authorization.k8s.io"
            && matches!(request.kind.kind.as_str(), "Role" | "ClusterRole")
            && self.view.is_some();
        let Some(lowest) = modes.lowest().or(role_review.then_some(Severity::Info)) else {
            // Nothing to judge, but a label that meant to set a mode is still told.
            let mut response = Response::allow(uid);
            response.warnings = warnings;
            return verdict(response, Decision::Skipped);
        };
        if let Some(class) = runtime_class(&root).filter(|c| {
            self.config
                .exemptions
                .runtime_classes
                .iter()
                .any(|e| e == c)
        }) {
            return verdict(
                exempt(uid, &format!("runtime class {class}")),
                Decision::Exempt,
            );
        }
        // An object being deleted may have its finalizers removed, as any metadata
        // changed; a change of anything else (a subject added to a binding held by a
        // finalizer) is judged as any update.
        let deleting = root
            .get("metadata")
            .and_then(|m| m.get("deletionTimestamp"))
            .is_some();
        if request.operation == Operation::Update
            && deleting
            && request
                .old_object
                .is_some_and(|old| same_but_metadata(raw.get(), old.get()))
        {
            return verdict(Response::allow(uid), Decision::Skipped);
        }
        let object = self.object(request, &namespace, root);
        let judged = self.judge(&object, lowest, made);
        // A field of the wrong type (`spec: x`) leaves part of the object unjudged.
        if !judged.errors.is_empty() {
            let why = format!("request.object: {}", judged.errors.join("; "));
            return self.failed(uid, &why);
        }
        // Findings of the old object by fingerprint (containers by name, not index), so a
        // container added before an old one does not make the old one's problems new.
        let old: BTreeMap<String, Severity> = match (request.operation, request.old_object) {
            (Operation::Update, Some(old)) => kubeharden_live::read_object(old.get().as_bytes())
                .map(|mut root| {
                    if !self.config.inline_exceptions {
                        drop_inline_exceptions(&mut root);
                    }
                    let old = self.object(request, &namespace, root);
                    self.judge(&old, lowest, made)
                        .findings
                        .into_iter()
                        .map(|f| (f.fingerprint(), f.severity))
                        .collect()
                })
                .unwrap_or_default(),
            _ => BTreeMap::new(),
        };
        // A finding through a binding (of a role under review) is judged by the
        // stricter of the role's modes and those of the binding's namespace.
        let mut through: HashMap<Resource, Modes> = HashMap::new();
        for f in judged
            .findings
            .iter()
            .filter(|f| *f.resource != *object.resource)
        {
            let ns = f.resource.namespace.clone().unwrap_or_default();
            let labels = self.view.as_ref().and_then(|v| v.namespace_labels(&ns));
            let (theirs, _) = self.config.modes(&ns, labels.as_ref());
            through.insert((*f.resource).clone(), modes.stricter(theirs));
        }
        let mut v = self.decide(uid, &object.resource, &modes, &through, &judged, &old);
        v.dry_run = request.dry_run;
        v.subject = Some(subject(request, &object.resource));
        warnings.append(&mut v.response.warnings);
        v.response.warnings = warnings;
        v
    }

    /// The namespace of the request (a Namespace is its own).
    fn namespace_of(&self, request: &Request<'_>) -> String {
        if request.kind.group.is_empty() && request.kind.kind == "Namespace" {
            request.name.clone()
        } else {
            request.namespace.clone()
        }
    }

    fn exempt(&self, request: &Request<'_>, namespace: &str) -> bool {
        let ex = &self.config.exemptions;
        let user = &request.user_info;
        ex.namespaces.iter().any(|n| n == namespace)
            || ex.usernames.contains(&user.username)
            || user.groups.iter().any(|g| ex.groups.contains(g))
    }

    /// The namespace's modes, from its labels when known (a Namespace under review
    /// carries its own), and a warning when a label cannot be read.
    fn modes_of(
        &self,
        request: &Request<'_>,
        namespace: &str,
        root: &Node,
    ) -> (Modes, Vec<String>) {
        let labels = if request.kind.group.is_empty() && request.kind.kind == "Namespace" {
            Some(labels_of(root))
        } else {
            self.view
                .as_ref()
                .and_then(|v| v.namespace_labels(namespace))
        };
        let (modes, wrong) = self.config.modes(namespace, labels.as_ref());
        let warnings = wrong
            .into_iter()
            .map(|e| format!("kubeharden: namespace {namespace}: {e}"))
            .collect();
        (modes, warnings)
    }

    fn object(&self, request: &Request<'_>, namespace: &str, mut root: Node) -> Object {
        let kind = &request.kind;
        if kind.group.is_empty() && kind.kind == "Secret" {
            kubeharden_live::redact_secret(&mut root);
        }
        let metadata = root.get("metadata");
        let text = |key: &str| {
            metadata
                .and_then(|m| m.get(key))
                .and_then(Node::scalar_text)
        };
        let name = text("name")
            .or_else(|| text("generateName"))
            .unwrap_or(&request.name)
            .to_string();
        let cluster_scoped =
            namespace.is_empty() || (kind.group.is_empty() && kind.kind == "Namespace");
        let namespace = (!cluster_scoped).then(|| namespace.to_string());
        let resource = Resource {
            api_version: kind.api_version(),
            kind: kind.kind.clone(),
            namespace,
            name,
        };
        kubeharden_live::cluster_object(root, "admission", &kind.group, resource)
    }

    /// The findings of `object` at or above `lowest`, and the rules that could not
    /// be judged without the cluster view.
    /// `made`: a built-in controller made it, so its ownerReferences are the truth.
    fn judge(&self, object: &Object, lowest: Severity, made: bool) -> Judged {
        let ns = object.resource.namespace.as_deref();
        let related = match (&self.view, ns) {
            (Some(view), Some(ns)) => view.related(ns),
            _ => Arc::default(),
        };
        // A binding under review is judged with the ClusterRole it grants and those
        // that role aggregates (a ClusterRoleBinding is of no namespace, so none came
        // with `related`); a Role or ClusterRole under review with the bindings that
        // grant it, whose subjects its rules are for.
        let mut around: Vec<Object> = Vec::new();
        // The roles whose grants the object under review decides: itself, and for a
        // ClusterRole the ones that aggregate it by its labels (`aggregate-to-view`).
        let mut decides: Vec<(String, String)> = Vec::new();
        if let Some(view) = &self.view {
            if let Some(name) = crate::grants::bound_cluster_role(&object.root) {
                around.extend(view.cluster_roles(name));
            }
            let kind = &*object.resource.kind;
            if role_kind(object) {
                let name = &object.resource.name;
                decides.push((kind.to_string(), name.clone()));
                if kind == "ClusterRole" {
                    around.extend(view.cluster_roles(name));
                    let aggregators = view.aggregators_of(&labels_of(&object.root));
                    for aggregator in aggregators.into_iter().filter(|a| a != name) {
                        around.extend(view.cluster_roles(&aggregator));
                        decides.push(("ClusterRole".to_string(), aggregator));
                    }
                }
                let ns = object.resource.namespace.as_deref();
                for (kind, name) in &decides {
                    around.extend(view.bindings_of(kind, ns, name));
                }
            }
        }
        around.retain(|o| !related.iter().any(|r| *r.resource == *o.resource));
        let mut seen = BTreeSet::new();
        around.retain(|o| seen.insert((*o.resource).clone()));
        let granting: Vec<Resource> = around
            .iter()
            .chain(related.iter())
            .filter(|o| {
                decides
                    .iter()
                    .any(|(kind, name)| grants(o, kind, name, object.resource.namespace.as_deref()))
            })
            .map(|o| (*o.resource).clone())
            .collect();
        // The cluster's copy of the object under review (an UPDATE) is replaced by it.
        // Without the view, a binding's role of unknown rules is judged as granting
        // nothing: what its subjects are (everyone, a default account) still counts.
        if self.view.is_none() {
            around.extend(stub_role(object));
        }
        let others = related
            .iter()
            .chain(around.iter())
            .filter(|o| *o.resource != *object.resource);
        // Inline exceptions (`kubeharden.io/ignore`) are applied by the engine; the
        // project's, here, in the order `scan` applies them: severities, then exceptions.
        let project = self.project();
        let keep_labels = project
            .as_ref()
            .is_some_and(|p| p.exceptions.needs_labels());
        // The project's severity overrides apply before findings merge, as in `scan`.
        let overridden = project
            .as_ref()
            .filter(|p| !p.severity.is_empty())
            .map(|p| self.rules.clone().with_severities(&p.severity));
        let mut report = kubeharden_engine::check_together(
            others.chain(std::iter::once(object)),
            overridden.as_ref().unwrap_or(&self.rules),
            keep_labels,
        );
        if let Some(project) = &project {
            project.override_severities(&mut report);
            let today = kubeharden_exceptions::today();
            project.exceptions.apply(&mut report, today, false);
            // A Pod or ReplicaSet a controller made is covered by the controller's
            // exceptions, as `scan` judges it through its controller. Only when a
            // controller sent it: anyone can write ownerReferences naming an excepted
            // Deployment, and `scan` of such a lone Pod applies no owner's exceptions.
            let owners = if made { owners_of(object) } else { Vec::new() };
            project
                .exceptions
                .apply_through_owners(&mut report, today, &object.resource, &owners);
        }
        let mut judged = Judged::default();
        for mut f in report.findings {
            // A role's grants are found at the bindings that grant it: they are its.
            let through = granting.iter().any(|b| *b == *f.resource);
            if (*f.resource != *object.resource && !through) || f.severity < lowest {
                continue;
            }
            if through {
                f.message = format!("through {}: {}", f.resource, f.message);
            }
            if object.resource.kind == "Namespace" && NAMESPACE_CONTENTS.contains(&f.rule_id) {
                continue;
            }
            if EITHER_ORDER.contains(&f.rule_id) {
                continue;
            }
            // Without the cluster, a condition on another object (its ServiceAccount
            // disables automount) cannot be settled: not judged, never refused.
            // A finding that took in others (KH201 with KH202's missing requests)
            // leaves their rules unjudged too.
            if self.view.is_none() && f.requires.is_some() {
                judged.not_judged.insert(f.rule_id);
                judged.not_judged.extend(f.covers.iter().copied());
            } else {
                judged.findings.push(f);
            }
        }
        // Without the cluster, a binding's grants are known only for the built-in
        // ClusterRoles (the bootstrap policy): to a Role or the cluster's own
        // ClusterRole, they are not judged, and said so.
        if self.view.is_none() && grants_unknown_role(object) {
            judged.not_judged.extend(GRANT_RULES);
        }
        judged.errors = report.errors.iter().map(|e| e.message()).collect();
        judged
    }

    fn decide(
        &self,
        uid: &str,
        resource: &Resource,
        own: &Modes,
        through: &HashMap<Resource, Modes>,
        judged: &Judged,
        old: &BTreeMap<String, Severity>,
    ) -> Verdict {
        let at = |level: Option<Severity>, f: &Finding| level.is_some_and(|l| f.severity >= l);
        let mut fired = Vec::new();
        let mut refusing: Vec<(&Finding, Option<&str>)> = Vec::new();
        let mut warnings = Vec::new();
        let mut audited = Vec::new();
        for f in &judged.findings {
            let modes = through.get(&*f.resource).unwrap_or(own);
            // A CREATE has no old findings: no fingerprint to make.
            // Already there, and no graver: a writable host root mounted where an unused
            // host path volume was is a new problem, though the field is the same.
            let existing = !old.is_empty()
                && old
                    .get(&f.fingerprint())
                    .is_some_and(|was| *was >= f.severity);
            if at(modes.enforce, f) && !existing {
                // The finding's own fix where it has one (the one field it sets).
                let fix = f.fix.as_deref();
                refusing.push((f, fix.or(self.fixes.get(f.rule_id).map(String::as_str))));
                fired.push((f.rule_id, Mode::Enforce));
            }
            if at(modes.warn, f) || (at(modes.enforce, f) && existing) {
                warnings.push(Said::Finding(f, existing));
                fired.push((f.rule_id, Mode::Warn));
            }
            if at(modes.audit, f) {
                audited.push(format!("{} {}", f.rule_id, f.path));
                fired.push((f.rule_id, Mode::Audit));
            }
        }
        // What was not judged is said first, so that no cut of many warnings leaves
        // it out, and in a refusal too: a user who only enforces must see it.
        let unjudged = (!judged.not_judged.is_empty()).then(|| {
            let rules: Vec<&str> = judged.not_judged.iter().copied().collect();
            format!(
                "kubeharden: not judged without the cluster view: {}",
                rules.join(", ")
            )
        });
        let all_modes = || std::iter::once(own).chain(through.values());
        if let Some(note) = unjudged
            .as_ref()
            .filter(|_| all_modes().any(|m| m.warn.is_some()))
        {
            warnings.insert(0, Said::Text(note.clone()));
        }
        let mut response = if refusing.is_empty() {
            Response::allow(uid)
        } else {
            let level = all_modes()
                .filter_map(|m| m.enforce)
                .min()
                .map_or("none", Severity::as_str);
            let mut text = message::refusal(&resource.to_string(), level, &refusing);
            if let Some(note) = &unjudged {
                text.push('\n');
                text.push_str(note);
            }
            Response::deny(uid, 403, Some("Forbidden"), text)
        };
        // Only what the answer can carry is formatted (a review may have thousands).
        let total = warnings.len();
        let first = warnings.into_iter().take(message::MAX_WARNINGS);
        response.warnings = message::fit_warnings(total, first.map(Said::text).collect());
        let audited = message::capped(audited, message::MAX_AUDITED, |n| format!("{n} more"));
        if !audited.is_empty() {
            response.audit_annotations = BTreeMap::from([(
                "findings".to_string(),
                serde_json::to_string(&audited).expect("strings serialize"),
            )]);
        }
        Verdict {
            decision: if response.allowed {
                Decision::Allowed
            } else {
                Decision::Denied
            },
            response,
            dry_run: false,
            fired,
            subject: None,
        }
    }
}

/// `CREATE shop/Deployment/web` (`CREATE Namespace/team-a` when cluster-scoped).
fn subject(request: &Request<'_>, resource: &Resource) -> String {
    let operation = match request.operation {
        Operation::Create => "CREATE",
        Operation::Update => "UPDATE",
        Operation::Delete => "DELETE",
        Operation::Connect => "CONNECT",
    };
    match &resource.namespace {
        Some(ns) => format!("{operation} {ns}/{}/{}", resource.kind, resource.name),
        None => format!("{operation} {}/{}", resource.kind, resource.name),
    }
}

/// Rules that judge a Namespace by the objects in it (default-deny policies, a
/// LimitRange, a quota). None of those can exist before the namespace does, so a
/// namespace is never refused (nor warned about) for them at the door; `scan` and
/// `cluster` judge them once it holds objects.
const NAMESPACE_CONTENTS: [&str; 4] = ["KH510", "KH511", "KH520", "KH521"];

/// Rules that judge an RBAC object by its counterpart (a binding's Role exists, a
/// Role has a binding). `kubectl apply` sends the two in either order, and the view
/// of the cluster lags what was just admitted: at the door the verdict would depend on
/// the order and the timing, and at `enforce: info` no order would pass. `scan` and
/// `cluster` judge them on the whole set.
const EITHER_ORDER: [&str; 2] = ["KH612", "KH613"];

/// A warning, written only if it is among those the answer carries: most findings of
/// a bad object are counted, not listed.
enum Said<'f> {
    /// A finding, and whether the old object had it already.
    Finding(&'f Finding, bool),
    Text(String),
}

impl Said<'_> {
    fn text(self) -> String {
        match self {
            Said::Finding(f, existing) => {
                let note = if existing {
                    " (already present; not refused on update)"
                } else {
                    ""
                };
                format!("kubeharden: {}{note}", message::line(f))
            }
            Said::Text(text) => text,
        }
    }
}

impl From<String> for Said<'_> {
    fn from(text: String) -> Self {
        Said::Text(text)
    }
}

#[derive(Default)]
struct Judged {
    findings: Vec<Finding>,
    not_judged: BTreeSet<&'static str>,
    errors: Vec<String>,
}

fn exempt(uid: &str, what: &str) -> Response {
    let mut response = Response::allow(uid);
    response
        .audit_annotations
        .insert("exempt".to_string(), what.to_string());
    response
}

/// The most containers (regular, init and ephemeral) of one object judged at admission.
pub const MAX_CONTAINERS: usize = 1_000;

/// The most volumes, volume mounts, ports and env vars (all containers together) of
/// one object's pod spec judged at admission: rules compare them pairwise.
pub const MAX_POD_ITEMS: usize = 10_000;

/// The containers of an object's pod spec, wherever its kind keeps it, and its
/// volumes, mounts, ports and env vars.
fn pod_spec_size(root: &Node) -> (usize, usize) {
    let specs = [
        &["spec"][..],
        &["spec", "template", "spec"],
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ];
    let (mut containers, mut items) = (0, 0);
    let len = |node: &Node, key: &str| node.get(key).map_or(0, |l| l.items().len());
    for spec in specs
        .iter()
        .filter_map(|path| path.iter().try_fold(root, |node, key| node.get(key)))
    {
        items += len(spec, "volumes");
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            for c in spec.get(list).map(Node::items).unwrap_or_default() {
                containers += 1;
                items += ["volumeMounts", "volumeDevices", "ports", "env", "envFrom"]
                    .iter()
                    .map(|k| len(c, k))
                    .sum::<usize>();
            }
        }
    }
    (containers, items)
}

/// The kube-system accounts of kube-controller-manager's controllers that make pods
/// and their owners (`--use-service-account-credentials`). Only these: any other
/// account of kube-system named `-controller` (a third party's, or one made to look
/// like them) is judged as any user is.
const WORKLOAD_CONTROLLERS: [&str; 7] = [
    "replicaset-controller",
    "deployment-controller",
    "statefulset-controller",
    "daemon-set-controller",
    "job-controller",
    "cronjob-controller",
    "replication-controller",
];

/// Whether the request comes from a built-in controller of kube-controller-manager
/// that makes workloads: its own identity, or the account of one of those controllers.
fn is_controller(user: &crate::review::UserInfo) -> bool {
    let name = user.username.as_str();
    name == "system:kube-controller-manager"
        || name
            .strip_prefix("system:serviceaccount:kube-system:")
            .is_some_and(|account| WORKLOAD_CONTROLLERS.contains(&account))
}

/// Whether two objects (as JSON) differ in their `metadata` (and `status`) alone.
fn same_but_metadata(new: &str, old: &str) -> bool {
    let content = |text: &str| -> Option<serde_json::Value> {
        let mut value: serde_json::Value = serde_json::from_str(text).ok()?;
        let map = value.as_object_mut()?;
        map.remove("metadata");
        map.remove("status");
        Some(value)
    };
    matches!((content(new), content(old)), (Some(a), Some(b)) if a == b)
}

/// Why `root` is no Kubernetes object, if it is not one: not a mapping, or without
/// its `kind` or `apiVersion`.
fn not_an_object(root: &Node) -> Option<String> {
    use kubeharden_yaml::Value;
    let found = match &root.value {
        Value::Map(_) => None,
        Value::Seq(_) => Some("a list"),
        Value::Scalar(_) if root.is_null() => Some("null"),
        Value::Scalar(_) => Some("a scalar"),
    };
    if let Some(found) = found {
        return Some(format!("expected an object, found {found}"));
    }
    let missing: Vec<&str> = ["apiVersion", "kind"]
        .into_iter()
        .filter(|k| root.get(k).and_then(Node::scalar_text).is_none())
        .collect();
    if !missing.is_empty() {
        return Some(format!("the object has no {}", missing.join(" or ")));
    }
    let metadata = root.get("metadata");
    let unreadable = metadata.is_some_and(|m| !matches!(m.value, Value::Map(_)));
    unreadable.then(|| "metadata: expected a mapping".to_string())
}

/// Whether the object names a controller among its owners.
fn has_owner(root: &Node) -> bool {
    root.get("metadata")
        .and_then(|m| m.get("ownerReferences"))
        .is_some_and(|refs| {
            refs.items()
                .iter()
                .any(|r| r.get("controller").and_then(Node::scalar_text) == Some("true"))
        })
}

/// Removes the inline exception annotations (`kubeharden.io/ignore`) of an object and
/// of its pod template: at admission the one who writes the object would write its own
/// exceptions (`inlineExceptions: true` in the configuration honours them). Says so.
fn drop_inline_exceptions(root: &mut Node) -> Option<String> {
    use kubeharden_rules::inline::IGNORE_ANNOTATION;
    let mut dropped = false;
    for meta in [
        &["metadata"][..],
        &["spec", "template", "metadata"],
        &["spec", "jobTemplate", "spec", "template", "metadata"],
    ] {
        let mut node = Some(&mut *root);
        for key in meta.iter().chain(&["annotations"]) {
            node = node.and_then(|n| match &mut n.value {
                Value::Map(entries) => entries
                    .iter_mut()
                    .find(|e| e.key.scalar_text() == Some(key))
                    .map(|e| &mut e.value),
                _ => None,
            });
        }
        if let Some(Value::Map(entries)) = node.map(|n| &mut n.value) {
            let before = entries.len();
            entries.retain(|e| e.key.scalar_text() != Some(IGNORE_ANNOTATION));
            dropped |= entries.len() != before;
        }
    }
    dropped.then(|| {
        format!("kubeharden: its {IGNORE_ANNOTATION} annotation is not honoured at admission (inlineExceptions is off): the findings it names were judged")
    })
}

/// The controllers that made `object`, as it tells them (its `ownerReferences`, and
/// the Deployment or CronJob its ReplicaSet's or Job's name says). Their API version
/// is not known; exceptions read kind, namespace and name only.
fn owners_of(object: &Object) -> Vec<Resource> {
    kubeharden_cluster::owners::claimed_owners(object)
        .into_iter()
        .map(|key| Resource {
            api_version: key.group,
            kind: key.kind,
            namespace: key.namespace,
            name: key.name,
        })
        .collect()
}

fn labels_of(root: &Node) -> BTreeMap<String, String> {
    root.get("metadata")
        .and_then(|m| m.get("labels"))
        .map(|l| {
            l.entries()
                .iter()
                .filter_map(|e| {
                    Some((
                        e.key.scalar_text()?.to_string(),
                        e.value.scalar_text()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The RuntimeClass a pod or pod template runs under.
fn runtime_class(root: &Node) -> Option<&str> {
    let spec = root.get("spec")?;
    let pod_spec = [
        Some(spec),
        spec.get("template").and_then(|t| t.get("spec")),
        spec.get("jobTemplate")
            .and_then(|j| j.get("spec"))
            .and_then(|s| s.get("template"))
            .and_then(|t| t.get("spec")),
    ];
    pod_spec
        .into_iter()
        .flatten()
        .find_map(|s| s.get("runtimeClassName").and_then(Node::scalar_text))
}
