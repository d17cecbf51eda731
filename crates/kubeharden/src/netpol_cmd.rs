//! `kubeharden netpol reach` and `kubeharden netpol matrix`.

use std::io::Write;

use kubeharden_cluster::custom::CustomEntry;
use kubeharden_cluster::netpol::{reach as evaluate, Direction, Reach, Side, Verdict};
use kubeharden_cluster::plugins::{network_plugins, Plugin};
use kubeharden_cluster::{ClusterView, PodEntry};
use kubeharden_report::Format;
use serde_json::{json, Value};

use crate::cli::{MatrixArgs, ReachArgs};
use crate::error::{CliError, WorkloadError};
use crate::query::{load, text_or_json};
use crate::{exit, output};

fn pod_name(pod: &PodEntry) -> String {
    format!(
        "{}/{}/{}",
        pod.namespace, pod.origin.resource.kind, pod.origin.resource.name
    )
}

/// A workload by `NS/NAME` or `NS/KIND/NAME`.
fn find<'v>(view: &'v ClusterView, spec: &str) -> Result<&'v PodEntry, WorkloadError> {
    let (namespace, name) = spec
        .split_once('/')
        .ok_or_else(|| WorkloadError::BadName(spec.to_string()))?;
    let found = view.find_pod(namespace, name);
    match found.as_slice() {
        [one] => Ok(&view.pods[*one]),
        [] => {
            // The closest `NS/NAME` the scan holds, as the user would type it.
            let names: Vec<String> = view
                .pods
                .iter()
                .map(|p| format!("{}/{}", p.namespace, p.origin.resource.name))
                .collect();
            let hint =
                kubeharden_rules::suggest::did_you_mean(spec, names.iter().map(String::as_str));
            Err(WorkloadError::NotFound(spec.to_string(), hint))
        }
        many => Err(WorkloadError::Ambiguous {
            given: spec.to_string(),
            candidates: many.iter().map(|&i| pod_name(&view.pods[i])).collect(),
        }),
    }
}

/// `--port` as given: a number, or the name of a container port of the destination
/// (as a NetworkPolicy may name one), with an optional protocol.
struct PortArg {
    number: Option<i32>,
    name: String,
    protocol: Option<String>,
}

fn parse_port(port: &str) -> Result<PortArg, CliError> {
    let bad = |expected| CliError::BadValue {
        flag: "--port",
        value: port.to_string(),
        expected,
    };
    let (given, protocol) = match port.split_once('/') {
        Some((given, protocol)) => (given, Some(protocol.to_ascii_uppercase())),
        None => (port, None),
    };
    if let Some(protocol) = &protocol {
        if !matches!(protocol.as_str(), "TCP" | "UDP" | "SCTP") {
            return Err(bad("protocol must be TCP, UDP or SCTP"));
        }
    }
    let number = match given.parse::<i32>() {
        Ok(n) if (1..=65535).contains(&n) => Some(n),
        Ok(_) => return Err(bad("a port number is 1 to 65535")),
        // A container port name (IANA_SVC_NAME): lower-case letters, digits and '-'.
        Err(_) if is_port_name(given) => None,
        Err(_) => return Err(bad("expected PORT, PORT/PROTOCOL, or the name of a container port of --to (http, http/TCP)")),
    };
    Ok(PortArg {
        number,
        name: given.to_string(),
        protocol,
    })
}

fn is_port_name(s: &str) -> bool {
    (1..=15).contains(&s.len())
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The number and protocol `--port` means for the destination `dst`: a name is
/// looked up among its container ports, as the API server resolves a named port.
fn resolve_port(arg: &PortArg, dst: &PodEntry) -> Result<(i32, String), WorkloadError> {
    if let Some(number) = arg.number {
        return Ok((number, arg.protocol.clone().unwrap_or_else(|| "TCP".into())));
    }
    let declared = dst.ports.iter().find(|p| {
        p.name.as_deref() == Some(arg.name.as_str())
            && arg.protocol.as_ref().is_none_or(|want| *want == p.protocol)
    });
    match declared {
        Some(p) => Ok((p.port, p.protocol.clone())),
        None => Err(WorkloadError::NoNamedPort {
            workload: pod_name(dst),
            name: arg.name.clone(),
            declared: dst
                .ports
                .iter()
                .filter_map(|p| {
                    p.name
                        .as_ref()
                        .map(|n| format!("{n} ({}/{})", p.port, p.protocol))
                })
                .collect(),
        }),
    }
}

fn policy_ref(view: &ClusterView, i: usize) -> Value {
    let p = &view.policies[i];
    json!({ "namespace": p.namespace, "name": p.origin.resource.name, "file": p.origin.file, "line": p.root.pos.line })
}

/// Where the rule `r` of policy `i` sits (`spec.ingress[r]` or `spec.egress[r]`).
fn rule_line(view: &ClusterView, side: &Side, i: usize, r: usize) -> u32 {
    let path = kubeharden_yaml::FieldPath::parse("spec")
        .key(list_name(side))
        .index(r);
    view.policies[i].root.locate(&path).pos.line
}

fn list_name(side: &Side) -> &'static str {
    match side.direction {
        Direction::Ingress => "ingress",
        Direction::Egress => "egress",
    }
}

/// The rules of `side` that allow the peer, as `NAME ingress[0] (file:line)`.
fn allowing_rules_text(view: &ClusterView, side: &Side) -> String {
    side.allowing_rules
        .iter()
        .map(|&(i, r)| {
            let p = &view.policies[i];
            let line = rule_line(view, side, i, r);
            format!(
                "{} {}[{r}] ({}:{line})",
                p.origin.resource.name,
                list_name(side),
                p.origin.file
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn side_json(view: &ClusterView, side: &Side) -> Value {
    json!({
        "isolated": side.isolated,
        "allowed_ports": side.allowed.describe(),
        "unknown_ports": if side.maybe.is_empty() { Value::Null } else { json!(side.maybe.describe()) },
        "selecting_policies": side.selecting.iter().map(|&i| policy_ref(view, i)).collect::<Vec<_>>(),
        "allowing_policies": side.allowing.iter().map(|&i| policy_ref(view, i)).collect::<Vec<_>>(),
        "allowing_rules": side.allowing_rules.iter().map(|&(i, r)| {
            let mut rule = policy_ref(view, i);
            rule["index"] = json!(r);
            rule["line"] = json!(rule_line(view, side, i, r));
            rule
        }).collect::<Vec<_>>(),
    })
}

fn describe_side(
    view: &ClusterView,
    side: &Side,
    pod: &PodEntry,
    verb: &str,
    asked: Option<&(i32, String)>,
) -> String {
    let names = |list: &[usize]| {
        list.iter()
            .map(|&i| {
                let p = &view.policies[i];
                format!(
                    "{} ({}:{})",
                    p.origin.resource.name, p.origin.file, p.root.pos.line
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let who = pod_name(pod);
    if !side.isolated {
        return format!("{verb} {who}: not isolated (no NetworkPolicy with this policy type selects it): all ports allowed");
    }
    let mut line = format!("{verb} {who}: isolated by {}", names(&side.selecting));
    if side.allowing.is_empty() {
        line.push_str("; no rule allows the peer");
    } else {
        let open = side.allowed.describe();
        // The port asked about, when it is not among them, is not allowed here.
        let only = match asked {
            Some((port, protocol)) if !side.allowed.contains(*port, protocol) => " only",
            _ => "",
        };
        line.push_str(&format!(
            "; allowed by {} on {open}{only}",
            allowing_rules_text(view, side),
        ));
    }
    if !side.maybe.is_empty() {
        line.push_str(&format!(
            "; maybe on {} (depends on what the scan cannot see: a pod address for an ipBlock, or namespace labels)",
            side.maybe.describe()
        ));
    }
    line
}

/// What NetworkPolicy analysis alone cannot decide: whether the network plugin
/// enforces policies at all, and policies of other engines that apply.
struct Beyond<'v> {
    plugins: Vec<Plugin<'v>>,
    foreign: Vec<&'v CustomEntry>,
}

impl<'v> Beyond<'v> {
    fn of(view: &'v ClusterView, namespaces: &[&str]) -> Beyond<'v> {
        let mut foreign: Vec<&CustomEntry> = namespaces
            .iter()
            .flat_map(|ns| view.foreign_policies(ns))
            .collect();
        foreign.sort_by_key(|c| c.describe());
        foreign.dedup_by_key(|c| c.describe());
        Beyond {
            plugins: network_plugins(view),
            foreign,
        }
    }

    fn unenforced(&self) -> bool {
        !self.plugins.is_empty()
            && self
                .plugins
                .iter()
                .all(|p| p.enforces_network_policy == Some(false))
    }

    /// No plugin known to enforce, and one that may, depending on its settings.
    fn maybe_enforced(&self) -> Option<&Plugin<'v>> {
        if self
            .plugins
            .iter()
            .any(|p| p.enforces_network_policy == Some(true))
        {
            return None;
        }
        self.plugins
            .iter()
            .find(|p| p.enforces_network_policy.is_none())
    }

    /// Why verdicts from NetworkPolicies alone do not stand, if they do not.
    fn reason(&self) -> Option<String> {
        if self.unenforced() {
            let names: Vec<&str> = self.plugins.iter().map(|p| p.name).collect();
            return Some(format!("the network plugin ({}) does not enforce NetworkPolicy: every connection is allowed whatever the policies say", names.join(", ")));
        }
        if let Some(p) = self.maybe_enforced() {
            return Some(format!("whether the network plugin ({}) enforces NetworkPolicy depends on a setting the scan does not read (the AWS VPC CNI's policy agent needs --enable-network-policy=true)", p.name));
        }
        if self.foreign.is_empty() {
            return None;
        }
        let named: Vec<String> = self.foreign.iter().map(|c| c.describe()).collect();
        Some(format!(
            "policies of another engine apply ({}), which this analysis does not evaluate",
            named.join(", ")
        ))
    }

    /// The verdict once they are taken into account, and why it changed.
    fn settle(&self, verdict: Verdict) -> (Verdict, Option<String>) {
        let settled = match self.reason() {
            None => verdict,
            Some(_) if self.unenforced() => Verdict::Allowed,
            // Allowed by the policies is allowed whether or not they are enforced.
            Some(_) if self.maybe_enforced().is_some() && verdict == Verdict::Allowed => verdict,
            Some(_) => Verdict::Unknown,
        };
        let why = self
            .reason()
            .filter(|_| settled != verdict)
            .map(|why| format!("{why}; NetworkPolicies alone say {}", verdict_word(verdict)));
        (settled, why)
    }

    /// The network plugin as the scan shows it, for the text report.
    fn plugin_line(&self) -> String {
        if self.plugins.is_empty() {
            return "network plugin: none in the scan; the verdict assumes one that enforces NetworkPolicy".to_string();
        }
        let each: Vec<String> = self
            .plugins
            .iter()
            .map(|p| {
                let enforces = match p.enforces_network_policy {
                    Some(true) => "enforces",
                    Some(false) => "does not enforce",
                    None => "may enforce, depending on its settings,",
                };
                let from = &p.pod.origin.resource;
                format!(
                    "{} ({enforces} NetworkPolicy; {} {}/{})",
                    p.name, from.kind, p.pod.namespace, from.name
                )
            })
            .collect();
        format!("network plugin: {}", each.join(", "))
    }

    fn plugins_json(&self) -> Value {
        self.plugins
            .iter()
            .map(|p| json!({ "name": p.name, "enforces_network_policy": p.enforces_network_policy, "workload": pod_name(p.pod) }))
            .collect()
    }
}

/// The caveat of a connection from or to a pod that runs with `hostNetwork`: Kubernetes
/// leaves NetworkPolicy undefined for such pods, and most plugins treat their traffic
/// as the node's, which pod policies neither isolate nor match by selector.
fn host_network_caveat(src: &PodEntry, dst: &PodEntry) -> Option<String> {
    let mut named: Vec<String> = [src, dst]
        .iter()
        .filter(|p| p.host_network)
        .map(|p| pod_name(p))
        .collect();
    named.dedup();
    if named.is_empty() {
        return None;
    }
    let runs = if named.len() == 1 { "runs" } else { "run" };
    Some(format!(
        "{} {runs} with hostNetwork: NetworkPolicy is undefined for hostNetwork pods (most network plugins treat their traffic as the node's, so policies may not apply to it)",
        named.join(" and ")
    ))
}

/// The verdict once the plugin, other engines and hostNetwork pods are taken into
/// account, and why it changed. With a hostNetwork pod on either end, only an allowed
/// connection that no policy restricts in either direction is sure: the policies may
/// or may not apply, and the answer must hold both ways.
fn settle(
    beyond: &Beyond<'_>,
    result: &Reach,
    src: &PodEntry,
    dst: &PodEntry,
) -> (Verdict, Option<String>) {
    let (verdict, why) = beyond.settle(result.verdict);
    let unrestricted = !result.egress.isolated && !result.ingress.isolated;
    let sure = beyond.unenforced() || (verdict == Verdict::Allowed && unrestricted);
    match host_network_caveat(src, dst) {
        Some(caveat) if !sure => {
            let policies = format!("NetworkPolicies alone say {}", verdict_word(result.verdict));
            let why = why.unwrap_or(policies);
            (Verdict::Unknown, Some(format!("{caveat}; {why}")))
        }
        _ => (verdict, why),
    }
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Allowed => "ALLOWED",
        Verdict::Denied => "DENIED",
        Verdict::Unknown => "UNKNOWN",
    }
}

pub fn reach(args: ReachArgs) -> Result<u8, CliError> {
    text_or_json(args.output.format())?;
    let port_arg = args.port.as_deref().map(parse_port).transpose()?;
    let (view, had_errors) = load(&args.input)?;
    let (src, dst) = (find(&view, &args.from)?, find(&view, &args.to)?);
    let port = port_arg
        .as_ref()
        .map(|arg| resolve_port(arg, dst))
        .transpose()?;
    let result: Reach = evaluate(
        &view,
        src,
        dst,
        port.as_ref().map(|(p, proto)| (*p, proto.as_str())),
    );
    let beyond = Beyond::of(&view, &[&src.namespace, &dst.namespace]);
    let (verdict, why) = settle(&beyond, &result, src, dst);
    let host_network = host_network_caveat(src, dst);
    let on = match (&port_arg, &port) {
        (Some(arg), Some((p, proto))) if arg.number.is_none() => {
            format!("{} ({p}/{proto})", arg.name)
        }
        (_, Some((p, proto))) => format!("{p}/{proto}"),
        // Without --port, the question is whether some port is open, not every one.
        _ => "some port".to_string(),
    };
    let mut out = output::open(&args.output.as_output())?;
    let written = match args.output.format() {
        Format::Json => {
            let doc = json!({
                "version": 1,
                "from": pod_name(src),
                "to": pod_name(dst),
                "port": port.as_ref().map(|(p, proto)| json!({ "port": p, "protocol": proto, "name": port_arg.as_ref().filter(|a| a.number.is_none()).map(|a| &a.name) })),
                "verdict": verdict,
                "network_policy_verdict": result.verdict,
                "verdict_reason": why,
                "host_network": host_network,
                "network_plugins": beyond.plugins_json(),
                "allowed_ports": result.ports.describe(),
                "egress": side_json(&view, &result.egress),
                "ingress": side_json(&view, &result.ingress),
            });
            serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }
        _ => {
            let mut text = format!(
                "{} -> {} on {on}: {}\n",
                pod_name(src),
                pod_name(dst),
                verdict_word(verdict)
            );
            text.push_str(&format!(
                "  {}\n",
                describe_side(&view, &result.egress, src, "egress from", port.as_ref())
            ));
            text.push_str(&format!(
                "  {}\n",
                describe_side(&view, &result.ingress, dst, "ingress to", port.as_ref())
            ));
            if result.verdict == Verdict::Allowed && port.is_none() {
                text.push_str(&format!("  allowed ports: {}\n", result.ports.describe()));
            }
            // The reason says it where it changed the verdict; else it is said alone.
            match (&why, &host_network) {
                (Some(why), _) => text.push_str(&format!("  {why}\n")),
                (None, Some(caveat)) => text.push_str(&format!(
                    "  {caveat}; the answer holds either way, as no policy restricts this connection\n"
                )),
                (None, None) => {}
            }
            text.push_str(&format!("  {}\n", beyond.plugin_line()));
            if result.verdict == Verdict::Unknown {
                text.push_str("  the answer depends on what the scan cannot see: the address of a pod that an ipBlock may hold (pods in manifests have none yet), or the labels of a namespace whose Namespace object is not in the scan (add it to decide)\n");
            }
            out.write_all(text.as_bytes())
        }
    };
    output::finish(written, out)?;
    let answer = match verdict {
        Verdict::Allowed => Some(true),
        Verdict::Denied => Some(false),
        Verdict::Unknown => None,
    };
    Ok(crate::query::answer_code(answer, had_errors))
}

pub fn matrix(args: MatrixArgs) -> Result<u8, CliError> {
    text_or_json(args.output.format())?;
    let (view, had_errors) = load(&args.input)?;
    let pods: Vec<&PodEntry> = view
        .pods_in(&args.namespace)
        .iter()
        .map(|&i| &view.pods[i])
        .collect();
    if pods.is_empty() {
        let mut namespaces: Vec<&str> = view.pods.iter().map(|p| p.namespace.as_str()).collect();
        namespaces.dedup();
        let hint = kubeharden_rules::suggest::did_you_mean(&args.namespace, namespaces);
        return Err(WorkloadError::EmptyNamespace(args.namespace.clone(), hint).into());
    }
    let names: Vec<String> = pods
        .iter()
        .map(|p| format!("{}/{}", p.origin.resource.kind, p.origin.resource.name))
        .collect();
    let beyond = Beyond::of(&view, &[&args.namespace]);
    let grid: Vec<Vec<Verdict>> = pods
        .iter()
        .map(|src| {
            pods.iter()
                .map(|dst| settle(&beyond, &evaluate(&view, src, dst, None), src, dst).0)
                .collect()
        })
        .collect();
    let why = beyond.reason();
    // Their rows and columns are unknown where a policy restricts (see `settle`).
    let host_network: Vec<&str> = (pods.iter().zip(&names))
        .filter(|(p, _)| p.host_network)
        .map(|(_, n)| n.as_str())
        .collect();
    let mut out = output::open(&args.output.as_output())?;
    let written = match args.output.format() {
        Format::Json => {
            let doc = json!({ "version": 1, "namespace": args.namespace, "workloads": names, "matrix": grid, "verdict_reason": why, "host_network": host_network, "network_plugins": beyond.plugins_json() });
            serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }
        _ => {
            let width = names.iter().map(String::len).max().unwrap_or(4).max(9);
            let mut text = format!(
                "namespace {}: can the row reach the column (on some port)?\n",
                args.namespace
            );
            text.push_str(&format!("{:width$}", "from \\ to"));
            for (i, _) in names.iter().enumerate() {
                text.push_str(&format!("  [{i}]"));
            }
            text.push('\n');
            for (i, row) in grid.iter().enumerate() {
                text.push_str(&format!("{:width$}", names[i]));
                for v in row {
                    text.push_str(match v {
                        Verdict::Allowed => "  yes",
                        Verdict::Denied => "   no",
                        Verdict::Unknown => "    ?",
                    });
                }
                text.push_str(&format!("   [{i}]\n"));
            }
            text.push_str("yes: allowed, no: denied, ?: depends on pod addresses (ipBlock) or namespace labels not in the scan; `kubeharden netpol reach` explains one cell\n");
            if let Some(why) = &why {
                text.push_str(&format!("{why}\n"));
            }
            if !host_network.is_empty() {
                text.push_str(&format!("{} with hostNetwork: NetworkPolicy is undefined for them (policies may not apply), so a connection from or to them that a policy restricts is ?\n", host_network.join(", ")));
            }
            text.push_str(&format!("{}\n", beyond.plugin_line()));
            out.write_all(text.as_bytes())
        }
    };
    output::finish(written, out)?;
    Ok(if had_errors { exit::ERROR } else { exit::CLEAN })
}
