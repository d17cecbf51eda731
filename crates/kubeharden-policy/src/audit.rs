//! The API server's audit policy, evaluated as the API server does: the first rule
//! that matches a request decides its level; no match means it is not logged.

use std::sync::Arc;

use kubeharden_yaml::{FieldPath, Node};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AuditLevel {
    None,
    Metadata,
    Request,
    RequestResponse,
}

impl AuditLevel {
    pub fn parse(text: &str) -> Option<AuditLevel> {
        match text {
            "None" => Some(AuditLevel::None),
            "Metadata" => Some(AuditLevel::Metadata),
            "Request" => Some(AuditLevel::Request),
            "RequestResponse" => Some(AuditLevel::RequestResponse),
            _ => None,
        }
    }
}

/// A request to ask the policy about.
#[derive(Clone, Debug, Default)]
pub struct AuditProbe {
    pub verb: &'static str,
    pub group: &'static str,
    /// `pods`, or `pods/exec` for a subresource; empty for a non-resource URL.
    pub resource: &'static str,
    pub path: Option<&'static str>,
    pub namespace: Option<&'static str>,
    pub user: &'static str,
    pub groups: &'static [&'static str],
}

#[derive(Clone, Debug)]
struct GroupResources {
    group: String,
    resources: Vec<String>,
}

#[derive(Clone, Debug)]
struct Rule {
    level: Option<AuditLevel>,
    users: Vec<String>,
    user_groups: Vec<String>,
    verbs: Vec<String>,
    namespaces: Vec<String>,
    resources: Vec<GroupResources>,
    non_resource_urls: Vec<String>,
}

/// A document that is not an audit policy: the file, and the position of its `kind`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an audit policy (apiVersion {api_version:?}, kind {kind:?})")]
pub struct NotAPolicy {
    pub file: Arc<str>,
    pub pos: kubeharden_yaml::Pos,
    pub api_version: String,
    pub kind: String,
}

/// A parsed `audit.k8s.io/v1` Policy.
#[derive(Clone, Debug)]
pub struct AuditPolicy {
    pub file: Arc<str>,
    pub root: Node,
    rules: Vec<Rule>,
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.map(|n| {
        n.items()
            .iter()
            .filter_map(|i| i.scalar_text().map(str::to_string))
            .collect()
    })
    .unwrap_or_default()
}

impl AuditPolicy {
    /// Reads a policy; an error says why it is not one, and where.
    pub fn read(file: Arc<str>, root: Node) -> Result<AuditPolicy, NotAPolicy> {
        let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
        let api = root.get("apiVersion").and_then(Node::as_str).unwrap_or("");
        if kind != "Policy" || !api.starts_with("audit.k8s.io/") {
            return Err(NotAPolicy {
                file,
                pos: root.get("kind").unwrap_or(&root).pos,
                api_version: api.to_string(),
                kind: kind.to_string(),
            });
        }
        let rules = root
            .get("rules")
            .map(|r| r.items().to_vec())
            .unwrap_or_default()
            .iter()
            .map(|r| Rule {
                level: r
                    .get("level")
                    .and_then(Node::as_str)
                    .and_then(AuditLevel::parse),
                users: strings(r.get("users")),
                user_groups: strings(r.get("userGroups")),
                verbs: strings(r.get("verbs")),
                namespaces: strings(r.get("namespaces")),
                resources: r
                    .get("resources")
                    .map(|g| {
                        g.items()
                            .iter()
                            .map(|gr| GroupResources {
                                group: gr
                                    .get("group")
                                    .and_then(Node::scalar_text)
                                    .unwrap_or("")
                                    .to_string(),
                                resources: strings(gr.get("resources")),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                non_resource_urls: strings(r.get("nonResourceURLs")),
            })
            .collect();
        Ok(AuditPolicy { file, root, rules })
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Indexes of rules whose `level` is missing or invalid.
    pub fn invalid_rules(&self) -> Vec<usize> {
        self.rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.level.is_none())
            .map(|(i, _)| i)
            .collect()
    }

    /// The path of rule `i`, for locating findings.
    pub fn rule_path(i: usize) -> FieldPath {
        FieldPath::parse("rules").index(i)
    }

    /// Whether some rule matches every request (no filters) at Metadata or more.
    pub fn catch_all(&self) -> Option<(usize, AuditLevel)> {
        self.rules.iter().enumerate().find_map(|(i, r)| {
            let unfiltered = r.users.is_empty()
                && r.user_groups.is_empty()
                && r.verbs.is_empty()
                && r.namespaces.is_empty()
                && r.resources.is_empty()
                && r.non_resource_urls.is_empty();
            unfiltered.then(|| (i, r.level.unwrap_or(AuditLevel::None)))
        })
    }

    /// The level a request is logged at, and the rule that decides it.
    pub fn level(&self, probe: &AuditProbe) -> (AuditLevel, Option<usize>) {
        for (i, rule) in self.rules.iter().enumerate() {
            if matches(rule, probe) {
                return (rule.level.unwrap_or(AuditLevel::None), Some(i));
            }
        }
        (AuditLevel::None, None)
    }
}

fn matches(rule: &Rule, p: &AuditProbe) -> bool {
    if !rule.users.is_empty() && !rule.users.iter().any(|u| u == p.user) {
        return false;
    }
    if !rule.user_groups.is_empty()
        && !rule
            .user_groups
            .iter()
            .any(|g| p.groups.contains(&g.as_str()))
    {
        return false;
    }
    if !rule.verbs.is_empty() && !rule.verbs.iter().any(|v| v == p.verb) {
        return false;
    }
    if let Some(path) = p.path {
        // Rules about resources or namespaces do not apply to non-resource URLs.
        if !rule.resources.is_empty() || !rule.namespaces.is_empty() {
            return false;
        }
        return rule.non_resource_urls.is_empty()
            || rule.non_resource_urls.iter().any(|u| {
                u == "*"
                    || u == path
                    || u.strip_suffix('*').is_some_and(|pre| path.starts_with(pre))
            });
    }
    if !rule.non_resource_urls.is_empty() {
        return false;
    }
    if !rule.namespaces.is_empty()
        && !rule
            .namespaces
            .iter()
            .any(|n| Some(n.as_str()) == p.namespace || (n.is_empty() && p.namespace.is_none()))
    {
        return false;
    }
    if rule.resources.is_empty() {
        return true;
    }
    let (resource, sub) = p
        .resource
        .split_once('/')
        .map_or((p.resource, None), |(r, s)| (r, Some(s)));
    rule.resources.iter().any(|gr| {
        gr.group == p.group
            && (gr.resources.is_empty()
                || gr.resources.iter().any(|r| {
                    r == "*"
                        || r == p.resource
                        || (sub.is_none() && r == resource)
                        || sub.is_some_and(|s| {
                            r == &format!("*/{s}") || r == &format!("{resource}/*")
                        })
                }))
    })
}

/// What each audit-log detector needs to see: (rule ID, what, a request it watches,
/// the least level that request must be logged at). `kubeharden node` (KH712) and
/// `kubeharden audit-log --policy` use it to say which detectors a policy blinds.
pub fn detector_needs() -> Vec<(&'static str, &'static str, AuditProbe, AuditLevel)> {
    const USER: &[&str] = &["system:authenticated"];
    let probe = |verb, group, resource| AuditProbe {
        verb,
        group,
        resource,
        namespace: Some("default"),
        user: "alice",
        groups: USER,
        ..AuditProbe::default()
    };
    let anonymous = AuditProbe {
        verb: "get",
        path: Some("/api"),
        user: "system:anonymous",
        groups: &["system:unauthenticated"],
        ..AuditProbe::default()
    };
    let failed_login = AuditProbe {
        verb: "list",
        group: "",
        resource: "pods",
        namespace: None,
        user: "",
        groups: &[],
        ..AuditProbe::default()
    };
    vec![
        (
            "KH801",
            "failed logins",
            failed_login.clone(),
            AuditLevel::Metadata,
        ),
        ("KH802", "failed logins", failed_login, AuditLevel::Metadata),
        (
            "KH804",
            "anonymous requests",
            anonymous,
            AuditLevel::Metadata,
        ),
        (
            "KH805",
            "exec into pods",
            probe("create", "", "pods/exec"),
            AuditLevel::Metadata,
        ),
        (
            "KH805",
            "attach to pods",
            probe("create", "", "pods/attach"),
            AuditLevel::Metadata,
        ),
        (
            "KH805",
            "port-forward to pods",
            probe("create", "", "pods/portforward"),
            AuditLevel::Metadata,
        ),
        (
            "KH806",
            "Secret reads",
            probe("get", "", "secrets"),
            AuditLevel::Metadata,
        ),
        (
            "KH807",
            "pod creation (bodies)",
            probe("create", "", "pods"),
            AuditLevel::Request,
        ),
        (
            "KH808",
            "pod creation",
            probe("create", "", "pods"),
            AuditLevel::Metadata,
        ),
        (
            "KH809",
            "CronJob changes",
            probe("create", "batch", "cronjobs"),
            AuditLevel::Metadata,
        ),
        (
            "KH810",
            "RBAC changes (bodies)",
            probe("create", "rbac.authorization.k8s.io", "clusterrolebindings"),
            AuditLevel::Request,
        ),
        (
            "KH812",
            "token requests",
            probe("create", "", "serviceaccounts/token"),
            AuditLevel::Metadata,
        ),
        (
            "KH812",
            "CSR approvals",
            probe(
                "update",
                "certificates.k8s.io",
                "certificatesigningrequests/approval",
            ),
            AuditLevel::Metadata,
        ),
        (
            "KH813",
            "admission webhook changes",
            probe(
                "update",
                "admissionregistration.k8s.io",
                "validatingwebhookconfigurations",
            ),
            AuditLevel::Metadata,
        ),
        (
            "KH813",
            "namespace label changes (bodies)",
            probe("patch", "", "namespaces"),
            AuditLevel::Request,
        ),
        (
            "KH814",
            "pod creation",
            probe("create", "", "pods"),
            AuditLevel::Metadata,
        ),
        (
            "KH817",
            "workload creation (bodies)",
            probe("create", "apps", "deployments"),
            AuditLevel::Request,
        ),
        (
            "KH818",
            "pod creation (bodies)",
            probe("create", "", "pods"),
            AuditLevel::Request,
        ),
    ]
}

/// The detectors `policy` blinds: (rule ID, what it cannot see, the level it gets).
pub fn blinded(policy: &AuditPolicy) -> Vec<(&'static str, &'static str, AuditLevel)> {
    detector_needs()
        .into_iter()
        .filter_map(|(rule, what, probe, least)| {
            let (level, _) = policy.level(&probe);
            (level < least).then_some((rule, what, level))
        })
        .collect()
}
