//! `kubeharden rbac who-can | can | permissions`.

use std::io::Write;

use k8s_openapi::api::rbac::v1::PolicyRule;
use kubeharden_rbac::{BindingDef, Grant, Identity, RbacModel, Request, RoleDef, SubjectRef};
use kubeharden_report::Format;
use serde_json::{json, Value};

use crate::cli::{CanArgs, PermissionsArgs, RequestArgs, WhoCanArgs};
use crate::error::CliError;
use crate::query::{answer_code, load, text_or_json};
use crate::{exit, output};

fn request(args: &RequestArgs) -> Request {
    Request::parse(
        &args.verb,
        &args.resource,
        args.namespace.as_deref(),
        args.name.as_deref(),
    )
}

fn binding_json(b: &BindingDef<'_>) -> Value {
    let res = &b.entry.origin.resource;
    json!({ "kind": res.kind, "namespace": b.namespace(), "name": res.name, "file": b.entry.origin.file, "line": b.entry.root.pos.line, "builtin": b.builtin })
}

fn role_json(r: &RoleDef<'_>) -> Value {
    json!({ "kind": if r.key.namespace.is_some() { "Role" } else { "ClusterRole" }, "namespace": r.key.namespace, "name": r.key.name, "file": r.entry.origin.file, "line": r.entry.root.pos.line, "builtin": r.builtin })
}

fn rule_json(rule: &PolicyRule) -> Value {
    json!({ "verbs": rule.verbs, "apiGroups": rule.api_groups, "resources": rule.resources, "resourceNames": rule.resource_names, "nonResourceURLs": rule.non_resource_urls })
}

fn grant_json(g: &Grant<'_, '_>) -> Value {
    json!({ "subject": g.subject, "binding": binding_json(g.binding), "role": role_json(g.role), "rule": rule_json(&g.role.rules[g.rule]) })
}

fn at(file: &str, line: u32) -> String {
    if file == "<built-in>" {
        "built-in".to_string()
    } else {
        format!("{file}:{line}")
    }
}

fn grant_text(g: &Grant<'_, '_>) -> String {
    format!(
        "{} ({}) -> {} ({})",
        g.binding.describe(),
        at(&g.binding.entry.origin.file, g.binding.entry.root.pos.line),
        g.role.key,
        at(&g.role.entry.origin.file, g.role.entry.root.pos.line)
    )
}

fn write(
    output_args: &crate::cli::OutputArgs,
    json_doc: impl FnOnce() -> Value,
    text: impl FnOnce() -> String,
) -> Result<(), CliError> {
    let mut out = output::open(output_args)?;
    let written = match output_args.format() {
        Format::Json => serde_json::to_writer_pretty(&mut out, &json_doc())
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        _ => out.write_all(text().as_bytes()),
    };
    output::finish(written, out)
}

fn code(had_errors: bool) -> u8 {
    if had_errors {
        exit::ERROR
    } else {
        exit::CLEAN
    }
}

pub fn who_can(args: WhoCanArgs) -> Result<u8, CliError> {
    text_or_json(args.output.format())?;
    let (view, had_errors) = load(&args.input)?;
    let model = RbacModel::build(&view);
    warn_of_unknown_verb(&args.request.verb);
    warn_of_unknown_resource(&args.request.resource);
    let req = request(&args.request);
    let grants = model.who_can(&req);
    write(
        &args.output.as_output(),
        || json!({ "version": 1, "request": req, "subjects": grants.iter().map(grant_json).collect::<Vec<_>>() }),
        || {
            let mut text = format!("who can {}:\n", req.describe());
            let width = grants
                .iter()
                .map(|g| g.subject.to_string().len())
                .max()
                .unwrap_or(0);
            for g in &grants {
                text.push_str(&format!(
                    "  {:width$}  via {}\n",
                    g.subject.to_string(),
                    grant_text(g)
                ));
            }
            if grants.is_empty() {
                text.push_str("  nobody\n");
            }
            text
        },
    )?;
    Ok(code(had_errors))
}

/// The verbs Kubernetes' authorizers are asked about, built-in resources' and RBAC's
/// own (`*` matches any).
const KNOWN_VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "impersonate",
    "bind",
    "escalate",
    "use",
    "approve",
    "sign",
    "attest",
    "proxy",
    "*",
];

/// A verb no built-in resource has is most likely a typo (`craete`): asked as given,
/// as a custom resource may define its own verbs, with a warning, as `kubectl auth
/// can-i` gives one.
fn warn_of_unknown_verb(verb: &str) {
    if !KNOWN_VERBS.contains(&verb) {
        eprintln!(
            "kubeharden: warning: {verb:?} is not a known verb; asked as given{}",
            kubeharden_rules::suggest::did_you_mean(verb, KNOWN_VERBS.iter().copied())
        );
    }
}

/// The resources Kubernetes itself serves (as RBAC names them: plural, lowercase).
const BUILT_IN_RESOURCES: &[&str] = &[
    "pods",
    "services",
    "endpoints",
    "configmaps",
    "secrets",
    "serviceaccounts",
    "namespaces",
    "nodes",
    "persistentvolumes",
    "persistentvolumeclaims",
    "events",
    "limitranges",
    "resourcequotas",
    "replicationcontrollers",
    "podtemplates",
    "bindings",
    "componentstatuses",
    "deployments",
    "replicasets",
    "statefulsets",
    "daemonsets",
    "controllerrevisions",
    "jobs",
    "cronjobs",
    "horizontalpodautoscalers",
    "ingresses",
    "ingressclasses",
    "networkpolicies",
    "roles",
    "rolebindings",
    "clusterroles",
    "clusterrolebindings",
    "storageclasses",
    "volumeattachments",
    "csidrivers",
    "csinodes",
    "csistoragecapacities",
    "poddisruptionbudgets",
    "priorityclasses",
    "runtimeclasses",
    "leases",
    "endpointslices",
    "customresourcedefinitions",
    "apiservices",
    "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations",
    "validatingadmissionpolicies",
    "validatingadmissionpolicybindings",
    "certificatesigningrequests",
    "tokenreviews",
    "subjectaccessreviews",
    "selfsubjectaccessreviews",
    "localsubjectaccessreviews",
    "selfsubjectrulesreviews",
    "serviceaccounts/token",
    "pods/exec",
    "pods/attach",
    "pods/portforward",
    "pods/log",
    "pods/eviction",
    "pods/ephemeralcontainers",
    "nodes/proxy",
    "services/proxy",
    "deployments/scale",
    "flowschemas",
    "prioritylevelconfigurations",
    "resourceclaims",
    "deviceclasses",
    "*",
];

/// A resource without a group that Kubernetes does not serve is most likely a typo
/// (`podz`): asked as given, with a warning, as for a verb. `widgets.example.com`,
/// subresources and non-resource URLs are left alone.
fn warn_of_unknown_resource(resource: &str) {
    if resource.starts_with('/') {
        return;
    }
    // `deploymnets.apps`: a group Kubernetes serves names its resources too.
    let (name, group) = resource.split_once('.').unwrap_or((resource, ""));
    let built_in_group = group.is_empty() || BUILT_IN_GROUPS.contains(&group);
    let base = name.split('/').next().unwrap_or(name);
    if built_in_group && !BUILT_IN_RESOURCES.contains(&name) && !BUILT_IN_RESOURCES.contains(&base)
    {
        eprintln!(
            "kubeharden: warning: {resource:?} is no built-in resource; asked as given{}",
            kubeharden_rules::suggest::did_you_mean(name, BUILT_IN_RESOURCES.iter().copied())
        );
    }
}

/// The API groups of Kubernetes itself, whose resources are all known here.
const BUILT_IN_GROUPS: [&str; 14] = [
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "rbac.authorization.k8s.io",
    "networking.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "scheduling.k8s.io",
    "node.k8s.io",
];

pub fn can(args: CanArgs) -> Result<u8, CliError> {
    text_or_json(args.output.format())?;
    let subject = SubjectRef::parse(&args.subject)?;
    let (view, had_errors) = load(&args.input)?;
    let model = RbacModel::build(&view);
    warn_of_unknown_verb(&args.request.verb);
    warn_of_unknown_resource(&args.request.resource);
    let req = request(&args.request);
    let grants = model.can(&Identity::of(&subject), &req);
    write(
        &args.output.as_output(),
        || json!({ "version": 1, "subject": subject, "request": req, "allowed": !grants.is_empty(), "complete": !had_errors, "grants": grants.iter().map(grant_json).collect::<Vec<_>>() }),
        || {
            let verdict = if grants.is_empty() { "no" } else { "yes" };
            // Objects that could not be read may grant more: say the answer is partial.
            let caveat = if had_errors {
                " (incomplete: some input could not be read, see the errors)"
            } else {
                ""
            };
            let mut text = format!("can {subject} {}? {verdict}{caveat}\n", req.describe());
            for g in &grants {
                text.push_str(&format!("  as {} via {}\n", g.subject, grant_text(g)));
            }
            text
        },
    )?;
    Ok(answer_code(Some(!grants.is_empty()), had_errors))
}

pub fn permissions(args: PermissionsArgs) -> Result<u8, CliError> {
    text_or_json(args.output.format())?;
    let subject = SubjectRef::parse(&args.subject)?;
    let (view, had_errors) = load(&args.input)?;
    let model = RbacModel::build(&view);
    let bound = model.permissions(&Identity::of(&subject));
    write(
        &args.output.as_output(),
        || {
            let entries: Vec<Value> = bound
                .iter()
                .map(|(b, role)| {
                    json!({
                        "scope": b.namespace().map_or("cluster".to_string(), |ns| format!("namespace {ns}")),
                        "binding": binding_json(b),
                        "role": role.map(|r| role_json(r)),
                        "rules": role.map(|r| r.rules.iter().map(rule_json).collect::<Vec<_>>()).unwrap_or_default(),
                    })
                })
                .collect();
            json!({ "version": 1, "subject": subject, "permissions": entries })
        },
        || {
            let mut text = format!("permissions of {subject}:\n");
            for (b, role) in &bound {
                let scope = b.namespace().map_or("cluster-wide".to_string(), |ns| {
                    format!("in namespace {ns}")
                });
                match role {
                    None => text.push_str(&format!(
                        "  {scope}: {} -> {} (missing: grants nothing)\n",
                        b.describe(),
                        b.role_key
                    )),
                    Some(r) => {
                        text.push_str(&format!("  {scope}: {} -> {}\n", b.describe(), r.key));
                        for rule in &r.rules {
                            let what = match &rule.non_resource_urls {
                                Some(urls) if !urls.is_empty() => urls.join(","),
                                _ => {
                                    let groups = rule
                                        .api_groups
                                        .clone()
                                        .unwrap_or_default()
                                        .iter()
                                        .map(|g| {
                                            if g.is_empty() {
                                                "core".to_string()
                                            } else {
                                                g.clone()
                                            }
                                        })
                                        .collect::<Vec<_>>()
                                        .join(",");
                                    let mut w = format!(
                                        "{} [{groups}]",
                                        rule.resources.clone().unwrap_or_default().join(",")
                                    );
                                    if let Some(names) =
                                        rule.resource_names.as_ref().filter(|n| !n.is_empty())
                                    {
                                        w.push_str(&format!(" named {}", names.join(",")));
                                    }
                                    w
                                }
                            };
                            text.push_str(&format!(
                                "      {:<40} {}\n",
                                rule.verbs.join(","),
                                what
                            ));
                        }
                    }
                }
            }
            if bound.is_empty() {
                text.push_str("  no binding names this subject\n");
            }
            text
        },
    )?;
    Ok(code(had_errors))
}
