//! The fields of an audit event that detection reads.

use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Default, Deserialize)]
pub struct User<'a> {
    #[serde(borrow, default)]
    pub username: Option<&'a str>,
    #[serde(borrow, default)]
    pub groups: Vec<&'a str>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef<'a> {
    #[serde(borrow, default)]
    pub resource: Option<&'a str>,
    #[serde(borrow, default)]
    pub namespace: Option<&'a str>,
    #[serde(borrow, default)]
    pub name: Option<&'a str>,
    #[serde(borrow, default)]
    pub api_group: Option<&'a str>,
    #[serde(borrow, default)]
    pub subresource: Option<&'a str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Status {
    #[serde(default)]
    pub code: Option<u16>,
}

/// One audit event (`audit.k8s.io/v1`, kind `Event`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event<'a> {
    #[serde(borrow, default, rename = "auditID")]
    pub audit_id: &'a str,
    #[serde(borrow, default)]
    pub stage: &'a str,
    #[serde(borrow, default, rename = "requestURI")]
    pub request_uri: &'a str,
    #[serde(borrow, default)]
    pub verb: &'a str,
    #[serde(borrow, default)]
    pub user: User<'a>,
    #[serde(borrow, default)]
    pub impersonated_user: Option<User<'a>>,
    #[serde(borrow, default, rename = "sourceIPs")]
    pub source_ips: Vec<&'a str>,
    #[serde(borrow, default)]
    pub user_agent: Option<&'a str>,
    #[serde(borrow, default)]
    pub object_ref: Option<ObjectRef<'a>>,
    #[serde(default)]
    pub response_status: Option<Status>,
    #[serde(borrow, default)]
    pub request_object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub request_received_timestamp: Option<&'a str>,
    #[serde(borrow, default)]
    pub stage_timestamp: Option<&'a str>,
    #[serde(borrow, default)]
    pub annotations: Option<std::collections::HashMap<&'a str, &'a str>>,
}

impl<'a> Event<'a> {
    pub fn username(&self) -> &'a str {
        self.user.username.unwrap_or("")
    }

    pub fn code(&self) -> u16 {
        self.response_status
            .as_ref()
            .and_then(|s| s.code)
            .unwrap_or(0)
    }

    pub fn resource(&self) -> &'a str {
        self.object_ref
            .as_ref()
            .and_then(|o| o.resource)
            .unwrap_or("")
    }

    pub fn subresource(&self) -> &'a str {
        self.object_ref
            .as_ref()
            .and_then(|o| o.subresource)
            .unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&'a str> {
        self.object_ref.as_ref().and_then(|o| o.namespace)
    }

    pub fn name(&self) -> Option<&'a str> {
        self.object_ref.as_ref().and_then(|o| o.name)
    }

    pub fn api_group(&self) -> &'a str {
        self.object_ref
            .as_ref()
            .and_then(|o| o.api_group)
            .unwrap_or("")
    }

    pub fn source_ip(&self) -> &'a str {
        self.source_ips.first().copied().unwrap_or("")
    }

    /// Whether the request was allowed and succeeded (2xx).
    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.code())
    }

    /// The authorizer's decision annotation (`allow`, `forbid`), if present.
    pub fn decision(&self) -> Option<&'a str> {
        self.annotations
            .as_ref()
            .and_then(|a| a.get("authorization.k8s.io/decision").copied())
    }

    /// The event's time in seconds since the epoch (stage time, else received time).
    pub fn time(&self) -> Option<f64> {
        let text = self.stage_timestamp.or(self.request_received_timestamp)?;
        let ts: jiff::Timestamp = text.parse().ok()?;
        Some(ts.as_second() as f64 + f64::from(ts.subsec_nanosecond()) / 1e9)
    }

    /// Only the completed stage counts, so one request is one event (logs may also
    /// hold RequestReceived and ResponseStarted stages).
    pub fn is_final(&self) -> bool {
        self.stage.is_empty() || self.stage == "ResponseComplete" || self.stage == "Panic"
    }

    pub fn is_service_account(&self) -> bool {
        self.username().starts_with("system:serviceaccount:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_log_backend_line() {
        let line = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods/web/exec?command=sh","verb":"create","user":{"username":"alice","groups":["devs","system:authenticated"]},"sourceIPs":["10.1.2.3"],"objectRef":{"resource":"pods","namespace":"shop","name":"web","apiVersion":"v1","subresource":"exec"},"responseStatus":{"metadata":{},"code":101},"requestReceivedTimestamp":"2026-11-27T10:00:00.000000Z","stageTimestamp":"2026-11-27T10:00:00.500000Z","annotations":{"authorization.k8s.io/decision":"allow"}}"#;
        let e: Event<'_> = serde_json::from_str(line).unwrap();
        assert_eq!(
            (e.username(), e.resource(), e.subresource(), e.code()),
            ("alice", "pods", "exec", 101)
        );
        assert_eq!(e.decision(), Some("allow"));
        assert!((e.time().unwrap() - 1_795_773_600.5).abs() < 1e-6);
    }
}
