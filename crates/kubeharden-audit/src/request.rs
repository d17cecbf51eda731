//! What a request body says: the pod spec of a created workload, the role of a
//! binding, the labels of a namespace. Parsed only for the few requests that need it.

use serde_json::Value;

use crate::event::Event;

/// Workload resources and where their pod spec sits in the body.
const POD_SPEC_PATHS: [(&str, &[&str]); 7] = [
    ("pods", &["spec"]),
    ("deployments", &["spec", "template", "spec"]),
    ("daemonsets", &["spec", "template", "spec"]),
    ("statefulsets", &["spec", "template", "spec"]),
    ("replicasets", &["spec", "template", "spec"]),
    ("jobs", &["spec", "template", "spec"]),
    (
        "cronjobs",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
];

pub fn is_workload(resource: &str) -> bool {
    POD_SPEC_PATHS.iter().any(|(r, _)| *r == resource)
}

/// The request body, parsed.
pub fn body(event: &Event<'_>) -> Option<Value> {
    event
        .request_object
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
}

/// What matters of a created or updated workload's pod spec.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PodFacts {
    /// `privileged`, `hostNetwork`, `hostPID`, `hostIPC`, `hostPath /x`.
    pub risky: Vec<String>,
    pub images: Vec<String>,
    /// Commands and arguments of every container, joined.
    pub command_lines: Vec<String>,
}

pub fn pod_facts(event: &Event<'_>) -> Option<PodFacts> {
    if event.subresource() != ""
        || !is_workload(event.resource())
        || !matches!(event.verb(), "create" | "update" | "patch")
    {
        return None;
    }
    let body = body(event)?;
    let (_, path) = POD_SPEC_PATHS
        .iter()
        .find(|(r, _)| *r == event.resource())?;
    let spec = path.iter().try_fold(&body, |v, k| v.get(k))?;
    let mut facts = PodFacts::default();
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if spec.get(field) == Some(&Value::Bool(true)) {
            facts.risky.push(field.to_string());
        }
    }
    for volume in spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(p) = volume
            .get("hostPath")
            .and_then(|h| h.get("path"))
            .and_then(Value::as_str)
        {
            facts.risky.push(format!("hostPath {p}"));
        }
    }
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        for c in spec
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if c.get("securityContext").and_then(|s| s.get("privileged"))
                == Some(&Value::Bool(true))
                && !facts.risky.contains(&"privileged".to_string())
            {
                facts.risky.push("privileged".into());
            }
            if let Some(image) = c.get("image").and_then(Value::as_str) {
                facts.images.push(image.to_string());
            }
            let words: Vec<&str> = ["command", "args"]
                .iter()
                .flat_map(|k| {
                    c.get(*k)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                })
                .collect();
            if !words.is_empty() {
                facts.command_lines.push(words.join(" "));
            }
        }
    }
    Some(facts)
}

/// Controllers of replicated pods: their scale and their pod template.
const REPLICATED: [&str; 5] = [
    "deployments",
    "statefulsets",
    "daemonsets",
    "replicasets",
    "replicationcontrollers",
];

/// What a write to a workload controller changed, as far as the event shows it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WorkloadChange {
    /// Through the `scale` subresource, or a body that sets `spec.replicas`.
    pub scaled: bool,
    /// The replica count asked for, when the body is logged.
    pub replicas: Option<i64>,
    /// Container images the body sets in the pod template.
    pub images: Vec<String>,
    /// `kubectl rollout restart`: the template's `restartedAt` annotation.
    pub restarted: bool,
    /// The body carries a pod template: a new rollout.
    pub template: bool,
    /// An `update` sends the whole object: what it changed is not in the event.
    pub whole_object: bool,
}

/// The scaling, image change or rollout a write to a Deployment, StatefulSet,
/// DaemonSet, ReplicaSet or ReplicationController makes. A `scale` write shows even
/// at level `Metadata`; any other write needs its body (level `Request`): without it,
/// or when the body touches neither replicas nor template, there is nothing to say.
pub fn workload_change(event: &Event<'_>) -> Option<WorkloadChange> {
    if !REPLICATED.contains(&event.resource()) || !matches!(event.verb(), "update" | "patch") {
        return None;
    }
    let body = body(event);
    let spec = body.as_ref().and_then(|b| b.get("spec"));
    let replicas = spec.and_then(|s| s.get("replicas")).and_then(Value::as_i64);
    match event.subresource() {
        "scale" => Some(WorkloadChange {
            scaled: true,
            replicas,
            ..WorkloadChange::default()
        }),
        "" => {
            let template = spec.and_then(|s| s.get("template"));
            if replicas.is_none() && template.is_none() {
                return None;
            }
            Some(WorkloadChange {
                scaled: replicas.is_some(),
                replicas,
                images: template.map(template_images).unwrap_or_default(),
                restarted: template
                    .and_then(|t| t.pointer("/metadata/annotations"))
                    .and_then(|a| a.get("kubectl.kubernetes.io/restartedAt"))
                    .is_some(),
                template: template.is_some(),
                whole_object: event.verb() == "update",
            })
        }
        _ => None,
    }
}

/// The images a pod template's containers name.
fn template_images(template: &Value) -> Vec<String> {
    ["containers", "initContainers"]
        .iter()
        .filter_map(|list| template.get("spec")?.get(*list)?.as_array())
        .flatten()
        .filter_map(|c| c.get("image")?.as_str())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(line: &str) -> Option<WorkloadChange> {
        let e: Event<'_> = serde_json::from_str(line).unwrap();
        workload_change(&e)
    }

    #[test]
    fn reads_scaling_image_changes_and_restarts() {
        // The bodies kubectl sends (scale, set image, rollout restart), as a real API server logged them.
        let scale = change(r#"{"verb":"patch","objectRef":{"resource":"deployments","subresource":"scale"},"requestObject":{"spec":{"replicas":3}}}"#).unwrap();
        assert!(scale.scaled && scale.replicas == Some(3) && !scale.template);
        let image = change(r#"{"verb":"patch","objectRef":{"resource":"deployments"},"requestObject":{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],"containers":[{"image":"nginx:1.28","name":"nginx"}]}}}}}"#).unwrap();
        assert_eq!(image.images, ["nginx:1.28"]);
        assert!(image.template && !image.scaled && !image.restarted);
        let restart = change(r#"{"verb":"patch","objectRef":{"resource":"statefulsets"},"requestObject":{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-12-02T05:49:21Z"}}}}}}"#).unwrap();
        assert!(restart.restarted && restart.images.is_empty());
    }

    #[test]
    fn a_scale_shows_without_its_body_and_other_writes_need_one() {
        let scale = change(
            r#"{"verb":"update","objectRef":{"resource":"statefulsets","subresource":"scale"}}"#,
        )
        .unwrap();
        assert!(scale.scaled && scale.replicas.is_none());
        assert_eq!(
            change(r#"{"verb":"patch","objectRef":{"resource":"deployments"}}"#),
            None
        );
        // A label patch touches neither replicas nor template; status and pods are not watched.
        assert_eq!(
            change(
                r#"{"verb":"patch","objectRef":{"resource":"deployments"},"requestObject":{"metadata":{"labels":{"a":"b"}}}}"#
            ),
            None
        );
        assert_eq!(
            change(
                r#"{"verb":"update","objectRef":{"resource":"deployments","subresource":"status"},"requestObject":{"spec":{"replicas":2}}}"#
            ),
            None
        );
        assert_eq!(
            change(
                r#"{"verb":"patch","objectRef":{"resource":"pods"},"requestObject":{"spec":{"replicas":2}}}"#
            ),
            None
        );
        assert_eq!(
            change(
                r#"{"verb":"create","objectRef":{"resource":"deployments"},"requestObject":{"spec":{"replicas":2}}}"#
            ),
            None
        );
    }

    #[test]
    fn reads_a_deployment_body() {
        let line = r#"{"auditID":"x","stage":"ResponseComplete","verb":"create","objectRef":{"resource":"deployments","namespace":"a","apiGroup":"apps"},"requestObject":{"kind":"Deployment","spec":{"template":{"spec":{"hostPID":true,"containers":[{"name":"m","image":"xmrig/xmrig:6","args":["-o","stratum+tcp://pool:3333"],"securityContext":{"privileged":true}}],"volumes":[{"name":"r","hostPath":{"path":"/"}}]}}}}}"#;
        let e: Event<'_> = serde_json::from_str(line).unwrap();
        let f = pod_facts(&e).unwrap();
        assert_eq!(f.risky, ["hostPID", "hostPath /", "privileged"]);
        assert_eq!(f.images, ["xmrig/xmrig:6"]);
        assert_eq!(f.command_lines, ["-o stratum+tcp://pool:3333"]);
    }
}
