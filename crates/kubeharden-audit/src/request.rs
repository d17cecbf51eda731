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

#[cfg(test)]
mod tests {
    use super::*;

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
