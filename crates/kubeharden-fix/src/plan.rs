//! From findings to changes: what each fixable finding's fix sets, or why it is refused.
//!
//! Each judgment follows docs/fix.md: a change is made only when it keeps what the
//! workload declares (its user, its capabilities, its token, its traffic) and the
//! API server still admits it; otherwise the finding is reported as refused, with
//! the reason and what would let `fix` make it.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Container, SecurityContext};
use kubeharden_findings::Finding;
use kubeharden_load::{ContainerRef, Object, Resource, Workload};
use kubeharden_yaml::{FieldPath, Node, Pos};

use crate::catalog::{fixable_rule, FixKind};

mod cluster;
use crate::want::{Val, Want};
use crate::writes::{written, Write, Written};
use cluster::Cluster;

/// What the user lets `fix` decide.
#[derive(Clone, Debug, Default)]
pub struct FixOptions {
    /// The UID to run containers as whose user is unknown or root (`--run-as-user`).
    pub run_as_user: Option<i64>,
    /// Resource values (`--cpu-request` ...); none are ever invented.
    pub resources: ResourceValues,
    /// Add default-deny policies to namespaces that run workloads (`--default-deny`).
    pub default_deny: bool,
}

/// The resource values the user gave.
#[derive(Clone, Debug, Default)]
pub struct ResourceValues {
    pub cpu_request: Option<String>,
    pub memory_request: Option<String>,
    pub cpu_limit: Option<String>,
    pub memory_limit: Option<String>,
}

impl ResourceValues {
    fn get(&self, which: &str, resource: &str) -> Option<&str> {
        match (which, resource) {
            ("requests", "cpu") => self.cpu_request.as_deref(),
            ("requests", "memory") => self.memory_request.as_deref(),
            ("limits", "cpu") => self.cpu_limit.as_deref(),
            ("limits", "memory") => self.memory_limit.as_deref(),
            _ => None,
        }
    }
}

/// What became of one finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The change made, in words (`sets runAsNonRoot: true`).
    Fixed(String),
    /// Why no change was made, and what would allow one.
    Refused(String),
    /// The rule has no fix in the catalog.
    NotFixable,
}

/// One finding and what `fix` does about it.
#[derive(Clone, Debug)]
pub struct Judged {
    pub finding: Finding,
    pub kind: Option<FixKind>,
    pub verdict: Verdict,
}

/// The changes to one object of a source file.
#[derive(Clone, Debug)]
pub struct ObjectFix {
    pub file: Arc<str>,
    pub resource: Arc<Resource>,
    /// Where the object starts in its file (several may share an identity).
    pub pos: Pos,
    /// Whether the manifest names its namespace (a patch must match it).
    pub namespace_in_source: bool,
    pub want: Want,
    /// The names of the containers the want's list indices point at, by field path
    /// (`spec.template.spec.containers[0]` -> `web`), for strategic merge patches.
    pub container_names: BTreeMap<String, String>,
}

/// A NetworkPolicy to add, and the file of the Namespace it protects.
#[derive(Clone, Debug)]
pub struct NewPolicy {
    pub namespace: String,
    pub file: Arc<str>,
    pub ingress: bool,
    pub egress: bool,
}

impl NewPolicy {
    pub const NAME: &'static str = "kubeharden-default-deny";

    /// The policy as a JSON value (rendered as YAML by the writers).
    pub fn object(&self) -> serde_json::Value {
        let mut types = Vec::new();
        if self.ingress {
            types.push("Ingress");
        }
        if self.egress {
            types.push("Egress");
        }
        serde_json::json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": Self::NAME, "namespace": self.namespace},
            "spec": {"podSelector": {}, "policyTypes": types},
        })
    }
}

/// Everything `fix` will do, and every finding's verdict.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub objects: Vec<ObjectFix>,
    pub policies: Vec<NewPolicy>,
    pub judged: Vec<Judged>,
}

/// Plans the fixes of `findings` (one cluster's) on `objects` (the same cluster's,
/// with their source trees). `context` is every object the command was given, which
/// decides what is safe: the workloads of a namespace, the bindings of an account.
pub fn plan(
    objects: &[Object],
    context: &[Object],
    findings: &[Finding],
    options: &FixOptions,
) -> Plan {
    let cluster = Cluster::new(context);
    let mut plan = Plan::default();
    // Findings by the object they are on (file, identity, the nearest start above).
    let mut by_object: BTreeMap<usize, Vec<&Finding>> = BTreeMap::new();
    let mut namespaces: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        let kind = fixable_rule(f.rule_id).map(|x| x.kind);
        if kind == Some(FixKind::DefaultDenyPolicy) {
            namespaces
                .entry(f.resource.name.clone())
                .or_default()
                .push(f);
            continue;
        }
        match (kind, object_of(objects, f)) {
            (Some(_), Some(i)) => by_object.entry(i).or_default().push(f),
            _ => plan.judged.push(Judged {
                finding: f.clone(),
                kind,
                verdict: if kind.is_some() {
                    Verdict::Refused("its object was not found in the source".into())
                } else {
                    Verdict::NotFixable
                },
            }),
        }
    }
    for (i, mut found) in by_object {
        let object = &objects[i];
        // User fixes first: later judgments (drop ALL) see the user they set.
        found.sort_by_key(|f| fixable_rule(f.rule_id).map(|x| x.kind));
        plan_object(object, &found, &cluster, options, &mut plan);
    }
    for (namespace, found) in namespaces {
        plan_namespace(&namespace, &found, &cluster, options, &mut plan);
    }
    plan
}

/// The index of the object `finding` is on: same file and identity, the last one
/// that starts at or above the finding's line.
fn object_of(objects: &[Object], finding: &Finding) -> Option<usize> {
    objects
        .iter()
        .enumerate()
        .filter(|(_, o)| o.file == finding.location.file && o.resource == finding.resource)
        .filter(|(_, o)| o.root.pos.line <= finding.location.line.max(1))
        .max_by_key(|(_, o)| o.root.pos.line)
        .map(|(i, _)| i)
}

fn plan_object(
    object: &Object,
    findings: &[&Finding],
    cluster: &Cluster<'_>,
    options: &FixOptions,
    plan: &mut Plan,
) {
    let Some((workload, _)) = Workload::from_object(object) else {
        for f in findings {
            plan.judged.push(Judged {
                finding: (*f).clone(),
                kind: fixable_rule(f.rule_id).map(|x| x.kind),
                verdict: Verdict::Refused("not a workload kubeharden can read".into()),
            });
        }
        return;
    };
    let mut fixer = Fixer {
        w: &workload,
        cluster,
        options,
        want: Want::default(),
    };
    for f in findings {
        let kind = fixable_rule(f.rule_id).map(|x| x.kind);
        let verdict = match kind {
            Some(kind) => fixer.judge(kind, f),
            None => Verdict::NotFixable,
        };
        plan.judged.push(Judged {
            finding: (*f).clone(),
            kind,
            verdict,
        });
    }
    if fixer.want.is_empty() {
        return;
    }
    let container_names = workload
        .containers()
        .map(|c| (c.path.to_string(), c.name().to_string()))
        .collect();
    plan.objects.push(ObjectFix {
        file: object.file.clone(),
        resource: object.resource.clone(),
        pos: object.root.pos,
        namespace_in_source: !object.namespace_defaulted,
        want: fixer.want,
        container_names,
    });
}

fn plan_namespace(
    namespace: &str,
    findings: &[&Finding],
    cluster: &Cluster<'_>,
    options: &FixOptions,
    plan: &mut Plan,
) {
    let workloads = cluster.workloads_in(namespace);
    let mut deployers = cluster.deployers_into(namespace);
    deployers.extend(cluster.custom_resources_in(namespace).into_iter().take(3));
    let verdict = if (workloads == 0 && deployers.is_empty()) || options.default_deny {
        let ingress = findings.iter().any(|f| f.rule_id == "KH510");
        let egress = findings.iter().any(|f| f.rule_id == "KH511");
        plan.policies.push(NewPolicy {
            namespace: namespace.to_string(),
            file: findings[0].location.file.clone(),
            ingress,
            egress,
        });
        Verdict::Fixed(format!(
            "adds NetworkPolicy {namespace}/{} denying all {}",
            NewPolicy::NAME,
            match (ingress, egress) {
                (true, true) => "ingress and egress",
                (true, false) => "ingress",
                _ => "egress",
            }
        ))
    } else if workloads == 0 {
        Verdict::Refused(format!(
            "namespace {namespace} is where {} may run workloads the scan does not hold (a GitOps deployer's, an operator's), and a default deny would cut off every connection no policy allows (DNS too); write the allow policies they need, then run fix with --default-deny",
            deployers.join(" and ")
        ))
    } else {
        Verdict::Refused(format!(
            "namespace {namespace} runs {workloads} workload(s), and a default deny would cut off every connection no policy allows (DNS too); write the allow policies they need, then run fix with --default-deny"
        ))
    };
    for f in findings {
        plan.judged.push(Judged {
            finding: (*f).clone(),
            kind: Some(FixKind::DefaultDenyPolicy),
            verdict: verdict.clone(),
        });
    }
}

/// Judges and plans the findings of one workload.
struct Fixer<'w, 'c> {
    w: &'w Workload<'w>,
    cluster: &'c Cluster<'c>,
    options: &'c FixOptions,
    want: Want,
}

fn refuse(why: impl Into<String>) -> Verdict {
    Verdict::Refused(why.into())
}

impl Fixer<'_, '_> {
    fn judge(&mut self, kind: FixKind, f: &Finding) -> Verdict {
        let container = self
            .w
            .containers()
            .find(|c| within(&f.path, &c.path.to_string()));
        match (kind, container) {
            (FixKind::RunAsNonRoot, Some(c)) => self.run_as_non_root(&c),
            (FixKind::RunAsNonRoot, None) => self.pod_run_as_non_root(),
            (FixKind::RunAsUser, _) => self.run_as_user(f),
            (FixKind::NoPrivilegeEscalation, Some(c)) => self.no_escalation(&c),
            (FixKind::DropAllCapabilities, Some(c)) => self.drop_all(&c, f),
            (FixKind::SeccompRuntimeDefault, _) => self.seccomp(),
            (FixKind::ReadOnlyRootFilesystem, Some(c)) => self.read_only_root(&c),
            (FixKind::NoTokenAutomount, _) => self.no_automount(),
            (FixKind::Resources, Some(c)) => self.resources(&c, f),
            _ => refuse("the finding names no field this fix changes"),
        }
    }

    fn set(&mut self, path: FieldPath, val: Val) {
        self.want.set(&path, val);
    }

    fn pod_sc_path(&self, field: &str) -> FieldPath {
        self.w.spec_path.key("securityContext").join(field)
    }

    /// The container's UID once the planned changes are made, as far as it is known.
    fn uid_after(&self, c: &ContainerRef<'_>) -> Option<i64> {
        let own = c.path.join("securityContext.runAsUser");
        let pod = self.pod_sc_path("runAsUser");
        let planned = |p: &FieldPath| match self.want.get(p) {
            Some(Val::Int(u)) => Some(*u),
            _ => None,
        };
        planned(&own)
            .or_else(|| sc(c.container).and_then(|s| s.run_as_user))
            .or_else(|| planned(&pod))
            .or_else(|| self.w.pod_security_context().and_then(|s| s.run_as_user))
    }

    /// Whether the container is known to run as a non-root user once the planned
    /// changes are made: a non-zero UID, or runAsNonRoot (the kubelet refuses to
    /// start it as root).
    fn non_root_after(&self, c: &ContainerRef<'_>) -> bool {
        let own = c.path.join("securityContext.runAsNonRoot");
        let planned = matches!(self.want.get(&own), Some(Val::Bool(true)));
        let set = sc(c.container).and_then(|s| s.run_as_non_root).or_else(|| {
            self.w
                .pod_security_context()
                .and_then(|s| s.run_as_non_root)
        });
        self.uid_after(c).is_some_and(|u| u > 0) || planned || set == Some(true)
    }

    fn run_as_non_root(&mut self, c: &ContainerRef<'_>) -> Verdict {
        let sc_path = c.path.key("securityContext");
        match (self.uid_after(c), self.options.run_as_user) {
            (Some(uid), _) if uid > 0 => {
                self.set(sc_path.key("runAsNonRoot"), Val::Bool(true));
                Verdict::Fixed(format!("sets runAsNonRoot: true (it runs as UID {uid})"))
            }
            (_, Some(uid)) => {
                if let Some(refused) = refuse_if_adding_capabilities(&[c], uid)
                    .or_else(|| self.refuse_if_root_is_needed(&[c], uid))
                {
                    return refused;
                }
                self.set(sc_path.key("runAsUser"), Val::Int(uid));
                self.set(sc_path.key("runAsNonRoot"), Val::Bool(true));
                Verdict::Fixed(format!("sets runAsUser: {uid} (--run-as-user) and runAsNonRoot: true"))
            }
            (Some(_), None) => refuse("it runs as root (runAsUser: 0); pass --run-as-user UID if its image works as another user"),
            (None, None) => refuse("its image decides the user and may run as root, which runAsNonRoot: true would keep from starting; pass --run-as-user UID, or set runAsUser"),
        }
    }

    fn pod_run_as_non_root(&mut self) -> Verdict {
        let unknown: Vec<String> = self
            .w
            .containers()
            .filter(|c| self.uid_after(c).is_none_or(|u| u <= 0))
            .map(|c| c.name().to_string())
            .collect();
        if !unknown.is_empty() {
            return refuse(format!(
                "the pod sets runAsNonRoot: false, and container(s) {} are not known to run as a non-root UID",
                unknown.join(", ")
            ));
        }
        self.set(self.pod_sc_path("runAsNonRoot"), Val::Bool(true));
        Verdict::Fixed(
            "sets the pod's runAsNonRoot: true (every container runs as a non-root UID)".into(),
        )
    }

    fn run_as_user(&mut self, f: &Finding) -> Verdict {
        let Some(uid) = self.options.run_as_user else {
            return refuse("it runs as root on purpose (runAsUser: 0); pass --run-as-user UID if its image works as another user");
        };
        // The containers whose user the value decides: its own, or the pod's that
        // set none of their own.
        let pod_level = f
            .path
            .starts_with(&self.pod_sc_path("runAsUser").to_string());
        let users: Vec<ContainerRef<'_>> = self
            .w
            .containers()
            .filter(|c| match pod_level {
                true => sc(c.container).and_then(|s| s.run_as_user).is_none(),
                false => within(&f.path, &c.path.to_string()),
            })
            .collect();
        let users: Vec<&ContainerRef<'_>> = users.iter().collect();
        if let Some(refused) = refuse_if_adding_capabilities(&users, uid)
            .or_else(|| self.refuse_if_root_is_needed(&users, uid))
        {
            return refused;
        }
        self.set(FieldPath::parse(&f.path), Val::Int(uid));
        Verdict::Fixed(format!("replaces runAsUser: 0 with {uid} (--run-as-user)"))
    }

    /// Why a container must keep running as root, if its spec shows it: it mounts a
    /// host path (a node agent's sockets and files are root's), or its command runs
    /// what only root may (`chown`, `chmod` of others' files, `useradd`, `mount`).
    fn refuse_if_root_is_needed(&self, users: &[&ContainerRef<'_>], uid: i64) -> Option<Verdict> {
        let host_volumes = self.w.host_path_volumes();
        for c in users {
            let mounted = c
                .container
                .volume_mounts
                .iter()
                .flatten()
                .find(|m| host_volumes.contains(m.name.as_str()));
            if let Some(m) = mounted {
                return Some(refuse(format!(
                    "container {} mounts the host path volume {} at {}, whose files and sockets are the node's root's: as user {uid} (--run-as-user) it may not open them",
                    c.name(),
                    m.name,
                    m.mount_path
                )));
            }
            if let Some(program) = runs_any(c.container, ROOT_PROGRAMS) {
                return Some(refuse(format!(
                    "container {} runs {program}, which needs root: as user {uid} (--run-as-user) it would fail",
                    c.name()
                )));
            }
        }
        None
    }

    fn no_escalation(&mut self, c: &ContainerRef<'_>) -> Verdict {
        let s = sc(c.container);
        // A setuid program gains its owner's rights through privilege escalation.
        if let Some(program) = runs_any(c.container, SETUID_PROGRAMS) {
            return refuse(format!("its command runs {program}, a setuid program that needs privilege escalation; set allowPrivilegeEscalation: false by hand once it runs without"));
        }
        if s.and_then(|s| s.allow_privilege_escalation) == Some(true) {
            return refuse("it sets allowPrivilegeEscalation: true, a choice of its author (setuid programs such as sudo or ping need it); set it to false by hand once it runs without");
        }
        if s.and_then(|s| s.privileged) == Some(true) {
            return refuse("the container is privileged, and the API server refuses allowPrivilegeEscalation: false with privileged: true; remove privileged first");
        }
        if adds(c.container)
            .iter()
            .any(|a| a.trim_start_matches("CAP_") == "SYS_ADMIN")
        {
            return refuse("the container adds SYS_ADMIN, and the API server refuses allowPrivilegeEscalation: false with it; remove SYS_ADMIN first");
        }
        self.set(
            c.path.join("securityContext.allowPrivilegeEscalation"),
            Val::Bool(false),
        );
        Verdict::Fixed("sets allowPrivilegeEscalation: false".into())
    }

    fn drop_all(&mut self, c: &ContainerRef<'_>, f: &Finding) -> Verdict {
        if f.path.contains("capabilities.add") {
            return refuse(
                "the container asks for this capability; remove it by hand if it does not need it",
            );
        }
        if sc(c.container).and_then(|s| s.privileged) == Some(true) {
            return refuse("the container is privileged, and has every capability whatever drop says, so drop: [ALL] would only look safe; remove privileged first");
        }
        if !self.non_root_after(c) {
            return refuse("it may run as root, and root processes use default capabilities (CHOWN, SETUID, NET_BIND_SERVICE...); prove a non-root user first (runAsUser, or --run-as-user)");
        }
        let mut drop: Vec<String> = sc(c.container)
            .and_then(|s| s.capabilities.as_ref())
            .and_then(|k| k.drop.clone())
            .unwrap_or_default();
        drop.push("ALL".into());
        self.set(
            c.path.join("securityContext.capabilities.drop"),
            Val::List(drop),
        );
        Verdict::Fixed("adds ALL to capabilities.drop (it runs as a non-root user, which has none of them in effect)".into())
    }

    fn seccomp(&mut self) -> Verdict {
        let annotated = self
            .w
            .annotations
            .keys()
            .any(|k| k.contains("seccomp.security.alpha.kubernetes.io"));
        if annotated {
            return refuse("the pod sets seccomp by annotation, which does nothing since Kubernetes 1.27 while an older API server refuses a seccompProfile field that disagrees with it; replace the annotation with the field by hand");
        }
        if let Some(p) = self
            .w
            .pod_security_context()
            .and_then(|s| s.seccomp_profile.as_ref())
        {
            return refuse(format!(
                "the pod chose seccomp profile {:?} on purpose",
                p.type_
            ));
        }
        self.set(
            self.pod_sc_path("seccompProfile.type"),
            Val::Str("RuntimeDefault".into()),
        );
        Verdict::Fixed("sets the pod's seccompProfile.type: RuntimeDefault".into())
    }

    fn read_only_root(&mut self, c: &ContainerRef<'_>) -> Verdict {
        if sc(c.container).and_then(|s| s.read_only_root_filesystem) == Some(false) {
            return refuse("it sets readOnlyRootFilesystem: false on purpose");
        }
        let writable = self.writable_mounts(c.container);
        if !writable.iter().any(|m| covers(m, "/tmp")) {
            return refuse("it mounts no writable volume (emptyDir) at /tmp, where programs write temporary files, and a program that writes to its root filesystem would fail; mount an emptyDir at /tmp (and wherever else it writes), then run fix again");
        }
        // A write the spec shows outside its writable volumes would fail read-only:
        // its image's (nginx's cache and pid file), its command's (`> /var/run/app.pid`,
        // `cp a /app/b`, `pip install`), one it does not place (a relative path
        // without a workingDir under a volume, `$HOME/x`), which may be either, and
        // a script of the image it runs, whose writes cannot be told.
        let mounted = |path: &str| writable.iter().any(|m| covers(m, path));
        if let Some(why) = written(c.container)
            .iter()
            .find_map(|w| fails_read_only(w, &mounted))
        {
            return refuse(why);
        }
        self.set(
            c.path.join("securityContext.readOnlyRootFilesystem"),
            Val::Bool(true),
        );
        // A mount at `/` is kept as "" (it covers every path) and shown as `/`.
        let shown: Vec<&str> = writable
            .iter()
            .map(|m| if m.is_empty() { "/" } else { m.as_str() })
            .collect();
        Verdict::Fixed(format!(
            "sets readOnlyRootFilesystem: true (it has writable volumes at {}, and neither its spec nor a known image shows a write elsewhere; run it once to be sure)",
            shown.join(", ")
        ))
    }

    /// The paths of the writable emptyDir, ephemeral or claimed volumes the container
    /// mounts (a StatefulSet's `volumeClaimTemplates` claim one for each pod).
    fn writable_mounts(&self, c: &Container) -> Vec<String> {
        let volumes = self.w.spec.volumes.as_deref().unwrap_or_default();
        let claimed: Vec<&str> = self
            .w
            .object
            .root
            .get("spec")
            .and_then(|s| s.get("volumeClaimTemplates"))
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|t| t.get("metadata")?.get("name")?.scalar_text())
            .collect();
        let writable = |m: &&k8s_openapi::api::core::v1::VolumeMount| {
            if claimed.contains(&m.name.as_str()) && !volumes.iter().any(|v| v.name == m.name) {
                return m.read_only != Some(true);
            }
            let Some(v) = volumes.iter().find(|v| v.name == m.name) else {
                return false;
            };
            let kind = v.empty_dir.is_some()
                || v.ephemeral.is_some()
                || v.persistent_volume_claim.is_some();
            kind && m.read_only != Some(true)
        };
        c.volume_mounts
            .iter()
            .flatten()
            .filter(writable)
            .map(|m| m.mount_path.trim_end_matches('/').to_string())
            .collect()
    }

    fn no_automount(&mut self) -> Verdict {
        if self.w.spec.automount_service_account_token == Some(true) {
            return refuse("the pod asks for its token (automountServiceAccountToken: true)");
        }
        let account = self
            .w
            .spec
            .service_account_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or("default");
        let namespace = self
            .w
            .object
            .resource
            .namespace
            .as_deref()
            .unwrap_or("default");
        if let Some(binding) = self.cluster.binding_of(namespace, account) {
            return refuse(format!("service account {account} is granted permissions by {binding}, so the pod may use the API"));
        }
        // Without RBAC of the namespace in the scan, a binding outside it may grant
        // the account (the `default` one too) what the pod uses its token for.
        if !self.cluster.holds_rbac_of(namespace) {
            return refuse(format!("the scan holds no RBAC bindings of namespace {namespace} (no Role or RoleBinding there, no ClusterRoleBinding), so whether the pod uses service account {account} cannot be judged; scan its RBAC manifests with it"));
        }
        if let Some(client) = self.w.containers().find_map(|c| api_client(c.container)) {
            return refuse(format!(
                "container {client}, which talks to the Kubernetes API with the pod's token"
            ));
        }
        // An account defined elsewhere has its RBAC elsewhere too, most likely.
        if account != "default" && !self.cluster.defines_account(namespace, account) {
            return refuse(format!("service account {account} is not in the scan, so neither are its bindings; scan its manifests with the pod's"));
        }
        // Vault (and others) authenticate a pod by its token, with no RBAC binding.
        if let Some(user) = self.token_login() {
            return refuse(format!("{user}, which logs in with the pod's token"));
        }
        self.set(
            self.w.spec_path.key("automountServiceAccountToken"),
            Val::Bool(false),
        );
        Verdict::Fixed(format!("sets automountServiceAccountToken: false (no binding in the scan grants {account} anything)"))
    }

    /// What in the pod logs in to a service with its token rather than the API: a
    /// Vault agent (its injector's annotation, or a Vault image).
    fn token_login(&self) -> Option<String> {
        if let Some((key, _)) = self
            .w
            .annotations
            .iter()
            .find(|(k, _)| k.starts_with("vault.hashicorp.com/agent-inject"))
        {
            return Some(format!("the pod asks for a Vault agent ({key})"));
        }
        self.w.containers().find_map(|c| {
            let image = c.container.image.as_deref().unwrap_or_default();
            let repository = image.split(['@', ':']).next().unwrap_or_default();
            let vault = repository
                .rsplit('/')
                .next()
                .is_some_and(|n| n.contains("vault"));
            vault.then(|| format!("container {} runs the Vault image {image}", c.name()))
        })
    }

    fn resources(&mut self, c: &ContainerRef<'_>, f: &Finding) -> Verdict {
        let path = FieldPath::parse(&f.path);
        let segs: Vec<String> = path.segments().iter().rev().take(2).map(seg_text).collect();
        let [resource, which] = [segs[0].as_str(), segs.get(1).map_or("", String::as_str)];
        let flag = format!(
            "--{resource}-{}",
            if which == "limits" {
                "limit"
            } else {
                "request"
            }
        );
        let Some(value) = self.options.resources.get(which, resource) else {
            return refuse(format!(
                "no {flag} given, and kubeharden does not invent resource values"
            ));
        };
        let other = if which == "limits" {
            "requests"
        } else {
            "limits"
        };
        let existing = c.container.resources.as_ref().and_then(|r| {
            if other == "limits" {
                r.limits.as_ref()
            } else {
                r.requests.as_ref()
            }
        });
        if let Some(q) = existing.and_then(|m| m.get(resource)) {
            let (req, lim) = if which == "requests" {
                (value, q.0.as_str())
            } else {
                (q.0.as_str(), value)
            };
            if quantity(req).zip(quantity(lim)).is_some_and(|(r, l)| r > l) {
                return refuse(format!("{flag} {value} would put the request above the limit ({req} > {lim}), which the API server refuses"));
            }
        }
        self.set(path, Val::Str(value.to_string()));
        Verdict::Fixed(format!("sets {which}.{resource}: {value} ({flag})"))
    }
}

/// Why a write would fail on a read-only root filesystem, naming the write and the
/// command that makes it; `None` when one of the container's writable volumes
/// (`mounted`) holds it.
fn fails_read_only(w: &Written, mounted: &impl Fn(&str) -> bool) -> Option<String> {
    let origin = w.origin();
    Some(match &w.write {
    Write::Path(path) if mounted(path) => return None,
    Write::Path(path) => format!("it writes {path} ({origin}) outside its writable volumes; mount an emptyDir there, then run fix again"),
    Write::Relative(path) => {
        let what = match path.as_str() {
            "." => "into its working directory".to_string(),
            _ => format!("{path} in its working directory"),
        };
        format!("it writes {what} ({origin}), where its spec does not say (no workingDir, or a `cd` to a path it does not settle), so it may be the root filesystem; give it a workingDir under a writable volume, then run fix again")
    }
    Write::Unsettled(path) => format!("it writes {path} ({origin}), a path its spec does not settle (a variable, `~`, a command's output, what xargs reads), so it may be on the root filesystem; write to a literal path under a writable volume (for `~`, set HOME to one in its env), then run fix again"),
    Write::Root(_) if mounted("/") => return None,
    Write::Root(run) => format!("it runs {run} (in {}), which writes its root filesystem (a package manager installing outside its working directory); install in its image instead, or into a writable volume (a prefix or working directory there), then run fix again", w.within),
    Write::Script(script) => format!("cannot tell what it writes: it runs the script {script} ({origin}), whose commands are in its image, not its spec; find where the script writes, mount writable volumes there and set readOnlyRootFilesystem: true by hand, after a test run"),
    Write::Unknown(run) => format!("cannot tell what it writes: it runs {run} ({origin}), a command its spec does not fix (a variable or a command's output as the command, a shell reading its standard input); name the command in its spec, or find where it writes, mount writable volumes there and set readOnlyRootFilesystem: true by hand, after a test run"),
})
}

fn seg_text(seg: &kubeharden_yaml::Seg) -> String {
    match seg {
        kubeharden_yaml::Seg::Key(k) => k.to_string(),
        kubeharden_yaml::Seg::Index(i) => i.to_string(),
    }
}

fn sc(c: &Container) -> Option<&SecurityContext> {
    c.security_context.as_ref()
}

/// A refusal when a container of `users` adds capabilities: they are in effect for
/// root, while a process of another user holds them only through file capabilities
/// of its program, so running it as `uid` may take away what it asked for.
/// Programs that need root to do their work.
const ROOT_PROGRAMS: &[&str] = &[
    "chown",
    "chgrp",
    "useradd",
    "adduser",
    "groupadd",
    "addgroup",
    "usermod",
    "setcap",
    "mount",
    "chroot",
    "sysctl",
    "iptables",
    "ip6tables",
    "modprobe",
];

/// Setuid programs, which raise privileges when run.
const SETUID_PROGRAMS: &[&str] = &["sudo", "su", "ping", "newgrp", "passwd", "doas", "mount"];

/// The first of `programs` the container's command or args run, read as words of a
/// shell line (`sh -c "chown -R 1000 /data && app"`), by name or path.
fn runs_any(c: &Container, programs: &[&'static str]) -> Option<&'static str> {
    let words = c.command.iter().chain(c.args.iter()).flatten();
    words
        .flat_map(|w| w.split(|ch: char| ch.is_whitespace() || ";&|()`".contains(ch)))
        .filter_map(|w| w.rsplit('/').next())
        .find_map(|w| programs.iter().find(|p| **p == w).copied())
}

/// A container that is plainly a Kubernetes API client: a kubectl or helm image, or a
/// command that runs kubectl or helm. Described as `NAME runs kubectl`.
fn api_client(c: &Container) -> Option<String> {
    const CLIENTS: [&str; 2] = ["kubectl", "helm"];
    let image = c.image.as_deref().unwrap_or_default();
    let repository = image.split(['@', ':']).next().unwrap_or_default();
    let last = repository.rsplit('/').next().unwrap_or_default();
    if let Some(client) = CLIENTS.iter().find(|name| last.contains(*name)) {
        return Some(format!("{} runs the {client} image {image}", c.name));
    }
    runs_any(c, &CLIENTS).map(|client| format!("{} runs {client}", c.name))
}

fn refuse_if_adding_capabilities(users: &[&ContainerRef<'_>], uid: i64) -> Option<Verdict> {
    // A privileged container declares every capability: as another user it would
    // have none of them in effect (a node agent, an NFS server).
    let privileged = users
        .iter()
        .find(|c| sc(c.container).and_then(|s| s.privileged) == Some(true));
    if let Some(c) = privileged {
        return Some(refuse(format!(
            "container {} is privileged, which a process uses as root but as user {uid} (--run-as-user) would hold no capability; remove privileged, then set its user once it works without root",
            c.name()
        )));
    }
    let (name, added) = users
        .iter()
        .map(|c| (c.name(), adds(c.container)))
        .find(|(_, added)| !added.is_empty())?;
    Some(refuse(format!(
        "container {name} adds capabilities ({}), which a process has in effect as root but as user {uid} (--run-as-user) only through file capabilities of its program; set its user by hand once it works without root",
        added.join(", ")
    )))
}

fn adds(c: &Container) -> Vec<String> {
    sc(c)
        .and_then(|s| s.capabilities.as_ref())
        .and_then(|k| k.add.clone())
        .unwrap_or_default()
}

/// Whether `path` is `prefix` or below it.
fn within(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// A resource quantity as a number, for comparing a request with a limit.
pub fn quantity(text: &str) -> Option<f64> {
    const SUFFIXES: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("Pi", 1125899906842624.0),
        ("Ei", 1152921504606846976.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    let (number, scale) = SUFFIXES
        .iter()
        .find_map(|(s, f)| text.strip_suffix(s).map(|n| (n, *f)))
        .unwrap_or((text, 1.0));
    number
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(|n| n * scale)
}

/// Whether a volume mounted at `mount` holds `path`.
fn covers(mount: &str, path: &str) -> bool {
    path == mount || path.starts_with(&format!("{mount}/")) || mount.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_compare_across_suffixes() {
        assert_eq!(quantity("100m"), Some(0.1));
        assert_eq!(quantity("1"), Some(1.0));
        assert!(quantity("128Mi").unwrap() > quantity("100M").unwrap());
        assert_eq!(quantity("lots"), None);
        assert!(within(
            "spec.containers[0].securityContext",
            "spec.containers[0]"
        ));
        assert!(!within("spec.containers[10]", "spec.containers[1]"));
        assert!(covers("/tmp", "/tmp/x") && covers("/tmp", "/tmp") && !covers("/tmp", "/tmpx"));
    }
}
