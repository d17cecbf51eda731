//! The fields of an audit event that detection reads.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::ops::Deref;

use serde::Deserialize;
use serde_json::value::RawValue;

/// A JSON string of the line: borrowed from it, and owned only when the line wrote it
/// with an escape (`\"`, `\u0026`, `\\`...), which real API servers often do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(transparent)]
pub struct Str<'a>(#[serde(borrow)] pub Cow<'a, str>);

impl Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Str<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Str<'_> {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Str<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl<'a> From<&'a str> for Str<'a> {
    fn from(s: &'a str) -> Self {
        Str(Cow::Borrowed(s))
    }
}

impl Str<'_> {
    /// Whether the string was borrowed from the line (no escape in it).
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Cow::Borrowed(_))
    }
}

fn text<'s>(s: &'s Option<Str<'_>>) -> Option<&'s str> {
    s.as_deref()
}

/// The event's annotations, in order. A handful per event: a list is cheaper to build,
/// search and drop than a hash map, for every event of the log.
#[derive(Debug, Default)]
pub struct Annotations<'a>(pub Vec<(Str<'a>, Str<'a>)>);

impl Annotations<'_> {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| **k == *key).map(|(_, v)| &**v)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Annotations<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Pairs<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Pairs<'a> {
            type Value = Annotations<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of strings")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Self::Value, M::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(2));
                while let Some(pair) = map.next_entry::<Str<'a>, Str<'a>>()? {
                    pairs.push(pair);
                }
                Ok(Annotations(pairs))
            }
        }
        d.deserialize_map(Pairs(std::marker::PhantomData))
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct User<'a> {
    #[serde(borrow, default)]
    pub username: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub groups: Vec<Str<'a>>,
}

impl User<'_> {
    pub fn name(&self) -> &str {
        text(&self.username).unwrap_or("")
    }

    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| **g == *group)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef<'a> {
    #[serde(borrow, default)]
    pub resource: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub namespace: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub api_group: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub subresource: Option<Str<'a>>,
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
    #[serde(borrow, default)]
    pub kind: Option<Str<'a>>,
    #[serde(borrow, default, rename = "auditID")]
    pub audit_id: Str<'a>,
    #[serde(borrow, default)]
    pub stage: Str<'a>,
    #[serde(borrow, default, rename = "requestURI")]
    pub request_uri: Str<'a>,
    #[serde(borrow, default)]
    pub verb: Str<'a>,
    #[serde(borrow, default)]
    pub user: User<'a>,
    #[serde(borrow, default)]
    pub impersonated_user: Option<User<'a>>,
    #[serde(borrow, default, rename = "sourceIPs")]
    pub source_ips: Vec<Str<'a>>,
    #[serde(borrow, default)]
    pub user_agent: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub object_ref: Option<ObjectRef<'a>>,
    #[serde(default)]
    pub response_status: Option<Status>,
    #[serde(borrow, default)]
    pub request_object: Option<&'a RawValue>,
    /// The object as the API server answered (level `RequestResponse`): a create's
    /// carries the name the server generated.
    #[serde(borrow, default)]
    pub response_object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub request_received_timestamp: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub stage_timestamp: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub annotations: Option<Annotations<'a>>,
}

impl<'a> Event<'a> {
    pub fn username(&self) -> &str {
        self.user.name()
    }

    pub fn verb(&self) -> &str {
        &self.verb
    }

    pub fn request_uri(&self) -> &str {
        &self.request_uri
    }

    pub fn code(&self) -> u16 {
        self.response_status
            .as_ref()
            .and_then(|s| s.code)
            .unwrap_or(0)
    }

    fn object_field(
        &self,
        field: for<'r> fn(&'r ObjectRef<'a>) -> &'r Option<Str<'a>>,
    ) -> Option<&str> {
        self.object_ref.as_ref().and_then(|o| text(field(o)))
    }

    pub fn resource(&self) -> &str {
        self.object_field(|o| &o.resource).unwrap_or("")
    }

    pub fn subresource(&self) -> &str {
        self.object_field(|o| &o.subresource).unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.object_field(|o| &o.namespace)
    }

    pub fn name(&self) -> Option<&str> {
        self.object_field(|o| &o.name)
    }

    /// The object's name, also of a create whose objectRef has none (a Pod made
    /// with `generateName`): the name in the response, else in the request, else its
    /// `generateName` with the audit ID, so that two objects are never one.
    pub fn object_name(&self) -> Option<Cow<'_, str>> {
        if let Some(name) = self.name() {
            return Some(Cow::Borrowed(name));
        }
        if self.verb() != "create" || !self.subresource().is_empty() {
            return None;
        }
        let response = metadata_of(self.response_object);
        let request = metadata_of(self.request_object);
        let named = |m: &Metadata| m.name.clone().filter(|n| !n.is_empty());
        let generated = |m: Metadata| {
            let prefix = m.generate_name.filter(|n| !n.is_empty())?;
            Some(format!("{prefix}(audit {})", &*self.audit_id))
        };
        response
            .as_ref()
            .and_then(named)
            .or_else(|| request.as_ref().and_then(named))
            .or_else(|| request.and_then(generated))
            .map(Cow::Owned)
    }

    pub fn api_group(&self) -> &str {
        self.object_field(|o| &o.api_group).unwrap_or("")
    }

    pub fn source_ip(&self) -> &str {
        self.source_ips.first().map(|s| &**s).unwrap_or("")
    }

    /// Whether the request was allowed and succeeded (2xx).
    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.code())
    }

    /// The authorizer's decision annotation (`allow`, `forbid`), if present.
    pub fn decision(&self) -> Option<&str> {
        self.annotations
            .as_ref()
            .and_then(|a| a.get("authorization.k8s.io/decision"))
    }

    /// The event's time in seconds since the epoch (stage time, else received time).
    pub fn time(&self) -> Option<f64> {
        let text = text(&self.stage_timestamp).or(text(&self.request_received_timestamp))?;
        let ts: jiff::Timestamp = text.parse().ok()?;
        Some(ts.as_second() as f64 + f64::from(ts.subsec_nanosecond()) / 1e9)
    }

    pub fn is_service_account(&self) -> bool {
        self.username().starts_with("system:serviceaccount:")
    }
}

/// The names in an object's `metadata`.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    generate_name: Option<String>,
}

/// The `metadata` of a logged object, when it has one.
fn metadata_of(object: Option<&RawValue>) -> Option<Metadata> {
    #[derive(Deserialize)]
    struct Object {
        #[serde(default)]
        metadata: Option<Metadata>,
    }
    let object: Object = serde_json::from_str(object?.get()).ok()?;
    object.metadata
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

    /// A line as the API server writes it: `&` of a query as `\u0026`, quotes inside
    /// an annotation as `\"`, a backslash as `\\`, and non-ASCII as `\u` escapes.
    const ESCAPED: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"7f2c0b1e-1a2b-4c3d-8e9f-0a1b2c3d4e5f","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods/web/exec?command=sh\u0026command=-c\u0026command=id\u0026container=app\u0026stdin=true","verb":"create","user":{"username":"jos\u00e9","groups":["d\\evs","system:authenticated"]},"sourceIPs":["10.1.2.3"],"userAgent":"kubectl/v1.37.2 (linux/amd64) kubernetes/abc \"quoted\" \ud83d\ude00","objectRef":{"resource":"pods","namespace":"shop","name":"web","apiVersion":"v1","subresource":"exec"},"responseStatus":{"metadata":{},"code":101},"requestReceivedTimestamp":"2026-11-27T10:00:00.000000Z","stageTimestamp":"2026-11-27T10:00:00.500000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"ops\" of ClusterRole \"edit\" to Group \"d\\evs\""}}"#;

    /// A create's objectRef names no object when the server made the name: the
    /// response's name, else the request's, else its prefix and the audit ID. Other
    /// requests (a list) have none.
    #[test]
    fn a_created_object_is_named_from_its_body() {
        let name = |verb: &str, bodies: &str| {
            let line = format!(
                r#"{{"auditID":"a1","verb":"{verb}","objectRef":{{"resource":"pods"}}{bodies}}}"#
            );
            let e: Event<'_> = serde_json::from_str(&line).unwrap();
            e.object_name().map(Cow::into_owned)
        };
        let request = r#","requestObject":{"metadata":{"generateName":"w-"}}"#;
        let response = r#","responseObject":{"metadata":{"name":"w-1"}}"#;
        assert_eq!(
            name("create", &format!("{request}{response}")).as_deref(),
            Some("w-1")
        );
        assert_eq!(name("create", request).as_deref(), Some("w-(audit a1)"));
        let named = r#","requestObject":{"metadata":{"name":"w"}}"#;
        assert_eq!(name("create", named).as_deref(), Some("w"));
        assert_eq!(name("list", response), None);
    }

    #[test]
    fn parses_escaped_strings() {
        let e: Event<'_> = serde_json::from_str(ESCAPED).unwrap();
        assert_eq!(
            e.request_uri(),
            "/api/v1/namespaces/shop/pods/web/exec?command=sh&command=-c&command=id&container=app&stdin=true"
        );
        assert_eq!(e.username(), "jos\u{e9}");
        assert!(e.user.in_group("d\\evs"));
        assert_eq!(
            e.user_agent.as_deref(),
            Some("kubectl/v1.37.2 (linux/amd64) kubernetes/abc \"quoted\" \u{1f600}")
        );
        let reason = e
            .annotations
            .as_ref()
            .unwrap()
            .get("authorization.k8s.io/reason")
            .unwrap();
        assert!(reason.ends_with("to Group \"d\\evs\""), "{reason}");
        assert_eq!(e.decision(), Some("allow"));
        assert_eq!((e.subresource(), e.code()), ("exec", 101));
    }

    #[test]
    fn borrows_what_has_no_escape() {
        let e: Event<'_> = serde_json::from_str(ESCAPED).unwrap();
        assert!(e.audit_id.is_borrowed() && e.verb.is_borrowed() && e.source_ips[0].is_borrowed());
        assert!(e
            .object_ref
            .as_ref()
            .unwrap()
            .name
            .as_ref()
            .unwrap()
            .is_borrowed());
        assert!(!e.request_uri.is_borrowed() && !e.user.username.as_ref().unwrap().is_borrowed());
    }

    #[test]
    fn escapes_anywhere_parse() {
        // Even a field name or a verb may be written with escapes: it is valid JSON.
        let line = r#"{"auditID":"a","st\u0061ge":"ResponseComplete","verb":"\u0063reate","objectRef":{"resource":"secrets","namespace":"n\/s"},"responseStatus":{"code":201}}"#;
        let e: Event<'_> = serde_json::from_str(line).unwrap();
        assert_eq!(
            (e.verb(), &*e.stage, e.namespace()),
            ("create", "ResponseComplete", Some("n/s"))
        );
    }
}
