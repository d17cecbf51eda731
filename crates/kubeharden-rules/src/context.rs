//! What checks see (their context) and where they report what they find (their out).

use kubeharden_cluster::{ClusterView, Origin, PodEntry};
use kubeharden_findings::{PssLevel, Requirement, Severity};
use kubeharden_load::ContainerRef;
use kubeharden_node::NodeView;
use kubeharden_rbac::RbacModel;
use kubeharden_yaml::{FieldPath, Node, Pos};

/// What one violation's own evidence breaks, where that is narrower than its rule:
/// the checklist rows it violates and how severe it is. Unset means the rule's own.
#[derive(Clone, Debug, Default)]
pub(crate) struct Grade {
    pub rows: Option<&'static [&'static str]>,
    /// Rows of the rule this violation's evidence does not touch.
    pub without_rows: &'static [&'static str],
    pub severity: Option<Severity>,
    /// One level below the severity, for a narrower reach (one namespace, not all).
    pub milder: bool,
    /// The fix of this violation in one line, where the rule's own would name more
    /// (or other) than this object has wrong.
    pub fix: Option<String>,
    /// The YAML snippet of that fix, where the rule's shows another value.
    pub snippet: Option<String>,
    /// Every item of a list the message names only the first few of.
    pub details: Vec<String>,
    /// The field that names the problem in the fingerprint, where the reported one
    /// changes with what else is set: a container's missing `resources.limits.cpu` is
    /// of its `resources`, so that setting the requests makes no finding new.
    pub identity: Option<FieldPath>,
}

/// A reported violation, to narrow down: `out.at(..).rows(&["TLS-01"])`.
pub struct Tag<'a>(&'a mut Grade);

impl Tag<'_> {
    /// The checklist rows this violation's evidence breaks: a subset of the rule's.
    pub fn rows(self, rows: &'static [&'static str]) -> Self {
        self.0.rows = Some(rows);
        self
    }

    /// The fingerprint names the problem by `field` rather than by the field reported
    /// (see [`Grade::identity`]).
    pub fn identified_by(self, field: FieldPath) -> Self {
        self.0.identity = Some(field);
        self
    }

    /// The rule's rows but these: the ones this violation's evidence does not touch.
    pub fn without_rows(self, rows: &'static [&'static str]) -> Self {
        self.0.without_rows = rows;
        self
    }

    /// How severe this violation is, where it differs from the rule's default.
    pub fn severity(self, severity: Severity) -> Self {
        self.0.severity = Some(severity);
        self
    }

    /// One level below the severity it would have otherwise.
    pub fn milder(self) -> Self {
        self.0.milder = true;
        self
    }

    /// The fix of this violation in one line, in place of the rule's.
    pub fn fix(self, fix: impl Into<String>) -> Self {
        self.0.fix = Some(fix.into());
        self
    }

    /// The YAML snippet of this violation's fix, in place of the rule's.
    pub fn snippet(self, yaml: impl Into<String>) -> Self {
        self.0.snippet = Some(yaml.into());
        self
    }

    /// Every item of a list the message cuts short ("and 12 more"): the JSON report
    /// keeps them all (`details`).
    pub fn details(self, details: Vec<String>) -> Self {
        self.0.details = details;
        self
    }
}

/// What node rules see.
pub struct NodeCtx<'a> {
    pub view: &'a NodeView,
    pub config: ClusterConfig,
}

/// One problem a node rule found, located in a node file.
#[derive(Debug)]
pub(crate) struct NodeViolation {
    pub kind: String,
    pub name: String,
    pub file: std::sync::Arc<str>,
    pub pos: Pos,
    pub path: FieldPath,
    /// The path with list items named (`crate::list_keys`), where the tree was at hand.
    pub keyed_path: Option<String>,
    pub message: String,
    pub grade: Grade,
}

/// Where node rules report what they find.
#[derive(Debug, Default)]
pub struct NodeOut {
    pub(crate) violations: Vec<NodeViolation>,
    /// Settings that could not be judged, with the unreadable file that holds them.
    pub(crate) unjudged: Vec<(std::sync::Arc<str>, String)>,
    /// Files the rule judges as a whole (an audit policy) that could not be read, with
    /// what they hold.
    pub(crate) unread: Vec<(std::sync::Arc<str>, String)>,
}

impl NodeOut {
    fn push(&mut self, violation: NodeViolation) -> Tag<'_> {
        self.violations.push(violation);
        let last = self.violations.len() - 1;
        Tag(&mut self.violations[last].grade)
    }

    /// A problem of `what` (a component, the kubelet, a file) at `pos` of `file`.
    pub fn at(
        &mut self,
        what: (&str, &str),
        file: &std::sync::Arc<str>,
        pos: Pos,
        path: FieldPath,
        message: impl Into<String>,
    ) -> Tag<'_> {
        self.push(NodeViolation {
            kind: what.0.to_string(),
            name: what.1.to_string(),
            file: file.clone(),
            pos,
            path,
            keyed_path: None,
            // Messages quote flag values, whose URLs may carry a password.
            message: crate::support::node::redact_urls(&message.into()),
            grade: Grade::default(),
        })
    }

    /// A problem of one flag of a component, at `pos`: its fingerprint names the flag
    /// (`command[--client-ca-file]`), whether it is set wrong or missing, so that two
    /// problems of one rule on one component are told apart, and a flag that moves in
    /// the command line is the same problem.
    pub fn at_flag(
        &mut self,
        what: (&str, &str),
        file: &std::sync::Arc<str>,
        pos: Pos,
        (path, identity): (FieldPath, String),
        message: impl Into<String>,
    ) -> Tag<'_> {
        self.at(what, file, pos, path, message);
        let last = self.violations.len() - 1;
        self.violations[last].keyed_path = Some(identity);
        Tag(&mut self.violations[last].grade)
    }

    /// A problem at `path` of a node file whose tree is `root` (a kubeconfig, an audit
    /// policy): located in it, and its list items named for the fingerprint.
    pub fn at_in(
        &mut self,
        what: (&str, &str),
        file: &std::sync::Arc<str>,
        root: &Node,
        path: FieldPath,
        message: impl Into<String>,
    ) -> Tag<'_> {
        let keyed_path = crate::list_keys::keyed_path(root, &path);
        self.at(what, file, root.locate(&path).pos, path, message);
        let last = self.violations.len() - 1;
        self.violations[last].keyed_path = Some(keyed_path);
        Tag(&mut self.violations[last].grade)
    }

    /// A setting that cannot be judged because `file`, which holds it, could not be
    /// read: neither a finding nor a pass.
    pub fn cannot_judge(&mut self, file: &std::sync::Arc<str>, setting: &str) {
        self.unjudged.push((file.clone(), setting.to_string()));
    }

    /// A file the rule judges as a whole, which holds `what` (`the audit policy`),
    /// could not be read: the rule is not judged, neither as failed nor as passed.
    pub fn cannot_judge_file(&mut self, file: &std::sync::Arc<str>, what: &str) {
        self.unread.push((file.clone(), what.to_string()));
    }
}

/// Settings of the cluster-wide rules.
#[derive(Clone, Copy, Debug)]
pub struct ClusterConfig {
    /// The Pod Security level every namespace should enforce (`--pss-target`).
    pub pss_target: PssLevel,
    /// The user that should own a node's configuration files (`kubeharden node --owner-uid`).
    pub node_owner_uid: u32,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            pss_target: PssLevel::Baseline,
            node_owner_uid: 0,
        }
    }
}

/// What cluster rules see.
pub struct ClusterCtx<'a> {
    pub view: &'a ClusterView,
    pub config: ClusterConfig,
    rbac: std::sync::OnceLock<RbacModel<'a>>,
}

impl<'a> ClusterCtx<'a> {
    pub fn new(view: &'a ClusterView, config: ClusterConfig) -> ClusterCtx<'a> {
        ClusterCtx {
            view,
            config,
            rbac: std::sync::OnceLock::new(),
        }
    }

    /// The RBAC model of the scan (with the bootstrap policy), built on first use by
    /// whichever rule needs it first (cluster rules run in parallel).
    pub fn rbac(&self) -> &RbacModel<'a> {
        if self.view.roles.is_empty() && self.view.bindings.is_empty() {
            return RbacModel::bootstrap_only();
        }
        self.rbac.get_or_init(|| RbacModel::build(self.view))
    }
}

/// One problem a cluster rule found, already located.
#[derive(Debug)]
pub(crate) struct ClusterViolation {
    pub origin: Origin,
    pub path: FieldPath,
    /// The path with list items named (`crate::list_keys`), where the tree was at hand.
    pub keyed_path: Option<String>,
    pub pos: Pos,
    pub container: Option<String>,
    pub message: String,
    pub grade: Grade,
}

/// Where cluster rules report what they find.
#[derive(Debug, Default)]
pub struct ClusterOut {
    pub(crate) violations: Vec<ClusterViolation>,
    /// What the rule could not judge, and why: (scope, reason).
    pub(crate) not_judged: Vec<(String, String)>,
    /// The scan holds nothing this cluster-wide rule judges: it makes no check.
    pub(crate) no_subject: bool,
}

impl ClusterOut {
    /// Says the scan holds nothing the rule judges (no network plugin seen, say), so
    /// its silence is no pass: the compliance score counts no check.
    pub fn no_subject(&mut self) {
        self.no_subject = true;
    }

    fn push(&mut self, violation: ClusterViolation) -> Tag<'_> {
        self.violations.push(violation);
        let last = self.violations.len() - 1;
        Tag(&mut self.violations[last].grade)
    }

    /// A problem at `path` of an object kept whole in the view (`root` is its tree).
    pub fn at(
        &mut self,
        origin: &Origin,
        root: &Node,
        path: FieldPath,
        message: impl Into<String>,
    ) -> Tag<'_> {
        let pos = root.locate(&path).pos;
        self.push(ClusterViolation {
            origin: origin.clone(),
            keyed_path: Some(crate::list_keys::keyed_path(root, &path)),
            path,
            pos,
            container: None,
            message: message.into(),
            grade: Grade::default(),
        })
    }

    /// Something the rule cannot judge from the scan (`scope`, e.g. `namespace shop`),
    /// and why: the report lists it rather than passing it.
    pub fn not_judged(&mut self, scope: impl Into<String>, reason: impl Into<String>) {
        self.not_judged.push((scope.into(), reason.into()));
    }

    /// A problem of a pod template, pointed at its labels (or nearest parent).
    pub fn at_pod_labels(&mut self, pod: &PodEntry, message: impl Into<String>) -> Tag<'_> {
        self.push(ClusterViolation {
            origin: pod.origin.clone(),
            keyed_path: None,
            path: pod.labels_path.clone(),
            pos: pod.labels_pos,
            container: None,
            message: message.into(),
            grade: Grade::default(),
        })
    }

    /// A problem of a pod template, at a place the view recorded.
    pub fn at_pod(
        &mut self,
        pod: &PodEntry,
        path: FieldPath,
        pos: Pos,
        message: impl Into<String>,
    ) -> Tag<'_> {
        self.push(ClusterViolation {
            origin: pod.origin.clone(),
            keyed_path: None,
            path,
            pos,
            container: None,
            message: message.into(),
            grade: Grade::default(),
        })
    }
}

/// One problem a check found, before it is located in the file.
#[derive(Debug)]
pub(crate) struct Violation {
    pub path: FieldPath,
    /// Where exactly, when finer than the field (a line inside a multi-line value).
    pub pos: Option<kubeharden_yaml::Pos>,
    pub container: Option<String>,
    pub message: String,
    pub requires: Option<Requirement>,
    pub grade: Grade,
}

/// Where checks report what they find.
#[derive(Debug, Default)]
pub struct Out {
    pub(crate) violations: Vec<Violation>,
}

impl Out {
    fn push(&mut self, violation: Violation) -> Tag<'_> {
        self.violations.push(violation);
        let last = self.violations.len() - 1;
        Tag(&mut self.violations[last].grade)
    }

    /// A problem at `path` of the object.
    pub fn at(&mut self, path: FieldPath, message: impl Into<String>) -> Tag<'_> {
        self.push(Violation {
            path,
            pos: None,
            container: None,
            message: message.into(),
            requires: None,
            grade: Grade::default(),
        })
    }

    /// A problem at `path`, found at `pos` inside its value.
    pub fn at_pos(
        &mut self,
        path: FieldPath,
        pos: kubeharden_yaml::Pos,
        message: impl Into<String>,
    ) -> Tag<'_> {
        self.push(Violation {
            path,
            pos: Some(pos),
            container: None,
            message: message.into(),
            requires: None,
            grade: Grade::default(),
        })
    }

    /// A problem of one container, at `path`.
    pub fn container(
        &mut self,
        container: &ContainerRef<'_>,
        path: FieldPath,
        message: impl Into<String>,
    ) -> Tag<'_> {
        self.push(Violation {
            path,
            pos: None,
            container: Some(container.name().to_string()),
            message: message.into(),
            requires: None,
            grade: Grade::default(),
        })
    }

    /// A problem of one container that stands only if `requires` holds across the scan.
    pub fn container_unless(
        &mut self,
        container: &ContainerRef<'_>,
        path: FieldPath,
        message: impl Into<String>,
        requires: Requirement,
    ) -> Tag<'_> {
        self.push(Violation {
            path,
            pos: None,
            container: Some(container.name().to_string()),
            message: message.into(),
            requires: Some(requires),
            grade: Grade::default(),
        })
    }

    /// A problem that stands only if `requires` holds across the scan.
    pub fn at_unless(
        &mut self,
        path: FieldPath,
        message: impl Into<String>,
        requires: Requirement,
    ) -> Tag<'_> {
        self.push(Violation {
            path,
            pos: None,
            container: None,
            message: message.into(),
            requires: Some(requires),
            grade: Grade::default(),
        })
    }
}
