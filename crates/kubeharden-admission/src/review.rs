//! The `admission.k8s.io/v1` AdmissionReview: the request the API server sends and
//! the response it expects.
//!
//! The request is read with serde into a small struct of its own rather than
//! kube-core's `AdmissionReview<DynamicObject>`: the object under review stays raw
//! JSON ([`RawValue`]) until the rules' reader turns it into a positioned tree, so it
//! is parsed once, not into a `serde_json::Value` first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

pub const API_VERSION: &str = "admission.k8s.io/v1";
pub const KIND: &str = "AdmissionReview";

/// Why a body is no AdmissionReview the webhook can answer.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("the body is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("the body is not JSON: {0}")]
    Json(serde_json::Error),
    /// JSON, but not of an AdmissionReview's shape (a field of the wrong type).
    #[error("the body is JSON but no AdmissionReview: {0}")]
    Shape(String),
    /// Another version of the API (`admission.k8s.io/v1beta1`), or another kind: an
    /// answer in v1 would not be read by the API server that sent it.
    #[error("apiVersion {given:?} and kind {kind:?}: this webhook answers {API_VERSION} {KIND} only; set admissionReviewVersions: [v1] in the webhook configuration")]
    WrongType { given: String, kind: String },
    #[error("the AdmissionReview has no request")]
    NoRequest,
    /// A CREATE or UPDATE whose `request.object` is missing or null.
    #[error("the AdmissionReview's {operation} request has no object (request.object)")]
    NoObject { operation: &'static str },
    #[error("the AdmissionReview's request has no uid (request.uid): the answer could not be matched to it")]
    NoUid,
}

impl ReviewError {
    /// Bytes that are no JSON, or JSON of the wrong shape, told apart. serde_json
    /// reports some shape errors (a number where an enum is) as syntax, so the body
    /// is read once more, only when it failed, to know which.
    fn of_body(e: serde_json::Error, body: &[u8]) -> ReviewError {
        match serde_json::from_slice::<serde_json::Value>(body) {
            // serde's words for a top level of another type name our own structure.
            Ok(value) if !value.is_object() => {
                let found = match value {
                    serde_json::Value::Array(_) => "a list",
                    serde_json::Value::String(_) => "a string",
                    serde_json::Value::Number(_) => "a number",
                    serde_json::Value::Bool(_) => "a boolean",
                    _ => "null",
                };
                ReviewError::Shape(format!("expected an object, found {found}"))
            }
            Ok(_) => ReviewError::Shape(shape_error(body).unwrap_or_else(|| e.to_string())),
            Err(_) => ReviewError::Json(e),
        }
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "apiVersion", default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(borrow)]
    request: Option<Request<'a>>,
}

/// The group, version and kind of the object (`request.kind`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct GroupVersionKind {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub kind: String,
}

impl GroupVersionKind {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct UserInfo {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operation {
    Create,
    Update,
    Delete,
    Connect,
}

/// `request` of an AdmissionReview.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request<'a> {
    /// Empty when the review has none: refused as [`ReviewError::NoUid`].
    #[serde(default)]
    pub uid: String,
    pub kind: GroupVersionKind,
    #[serde(default)]
    pub sub_resource: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: String,
    pub operation: Operation,
    #[serde(default)]
    pub user_info: UserInfo,
    #[serde(borrow, default)]
    pub object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub old_object: Option<&'a RawValue>,
    #[serde(default)]
    pub dry_run: bool,
}

/// Reads an AdmissionReview, refusing a body over `limit` bytes before parsing it.
pub fn parse(body: &[u8], limit: usize) -> Result<Request<'_>, ReviewError> {
    if body.len() > limit {
        return Err(ReviewError::TooLarge {
            size: body.len(),
            limit,
        });
    }
    let envelope: Envelope<'_> = serde_json::from_slice(body).map_err(|e| {
        // A review of another version is told so, whatever else is wrong with it: its
        // API server could not read a v1 answer.
        #[derive(Deserialize)]
        struct Head {
            #[serde(rename = "apiVersion", default)]
            api_version: String,
            #[serde(default)]
            kind: String,
        }
        match serde_json::from_slice::<Head>(body) {
            // (serde reads a list into a struct too: a list is told as a list.)
            Ok(head) if body.trim_ascii_start().starts_with(b"{") => {
                head_problem(head.api_version, head.kind)
                    .unwrap_or_else(|| ReviewError::of_body(e, body))
            }
            _ => ReviewError::of_body(e, body),
        }
    })?;
    if let Some(problem) = head_problem(envelope.api_version, envelope.kind) {
        return Err(problem);
    }
    let request = envelope.request.ok_or(ReviewError::NoRequest)?;
    if request.uid.is_empty() {
        return Err(ReviewError::NoUid);
    }
    Ok(request)
}

/// The shape error of a body, named by the field at fault (`request.kind`,
/// `request.dryRun`), which serde's own message leaves out: the body is read once
/// more, only when it failed, with the path tracked.
fn shape_error(body: &[u8]) -> Option<String> {
    let mut json = serde_json::Deserializer::from_slice(body);
    let e = serde_path_to_error::deserialize::<_, Envelope<'_>>(&mut json).err()?;
    let path = e.path().to_string();
    let inner = e.into_inner().to_string();
    // `missing field `kind`` at `request` is the field `request.kind`.
    let missing = inner
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'));
    Some(match (missing, path.as_str()) {
        (Some((field, _)), "." | "") => format!("missing field {field}"),
        (Some((field, _)), parent) => format!("missing field {parent}.{field}"),
        (None, ".") => inner,
        (None, at) => format!("{at}: {inner}"),
    })
}

/// What is wrong with a body's `apiVersion` and `kind`, if anything. A review of
/// another version is told so whatever else is wrong with it: its API server could
/// not read a v1 answer.
fn head_problem(api_version: String, kind: String) -> Option<ReviewError> {
    match (api_version.as_str(), kind.as_str()) {
        ("", "") => Some(unnamed()),
        (API_VERSION, KIND) => None,
        // The right version of another kind: no admissionReviewVersions would help.
        (API_VERSION, other) => Some(ReviewError::Shape(format!(
            "kind {other:?}, expected {KIND}"
        ))),
        _ => Some(ReviewError::WrongType {
            given: api_version,
            kind,
        }),
    }
}

/// `{}` or another object that does not say what it is: no review of another
/// version (whose fix would be `admissionReviewVersions`), nor a review at all.
fn unnamed() -> ReviewError {
    ReviewError::Shape(format!(
        "it has no apiVersion and kind (expected {API_VERSION} {KIND})"
    ))
}

/// The uid of a body that is JSON but no valid review, so that an error can still
/// be answered as an AdmissionReview the API server matches to its request.
pub fn uid_of(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Uid {
        request: UidOnly,
    }
    #[derive(Deserialize)]
    struct UidOnly {
        uid: String,
    }
    serde_json::from_slice::<Uid>(body)
        .ok()
        .map(|u| u.request.uid)
        .filter(|uid| !uid.is_empty())
}

/// `response.status` of a refusal: what kubectl prints.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Status {
    pub code: u16,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `response` of an AdmissionReview.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
}

impl Response {
    pub fn allow(uid: &str) -> Response {
        Response {
            uid: uid.to_string(),
            allowed: true,
            status: None,
            warnings: Vec::new(),
            audit_annotations: BTreeMap::new(),
        }
    }

    pub fn deny(uid: &str, code: u16, reason: Option<&str>, message: String) -> Response {
        Response {
            allowed: false,
            status: Some(Status {
                code,
                message,
                reason: reason.map(str::to_string),
            }),
            ..Response::allow(uid)
        }
    }

    /// The whole AdmissionReview around this response, as JSON.
    pub fn to_review_json(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Out<'a> {
            #[serde(rename = "apiVersion")]
            api_version: &'static str,
            kind: &'static str,
            response: &'a Response,
        }
        serde_json::to_vec(&Out {
            api_version: API_VERSION,
            kind: KIND,
            response: self,
        })
        .expect("a response always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REVIEW: &str = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
      "request":{"uid":"u1","kind":{"group":"apps","version":"v1","kind":"Deployment"},
      "namespace":"shop","name":"web","operation":"UPDATE","dryRun":true,
      "userInfo":{"username":"alice","groups":["dev"]},
      "object":{"kind":"Deployment"},"oldObject":null}}"#;

    #[test]
    fn a_review_is_read() {
        let r = parse(REVIEW.as_bytes(), 1 << 20).unwrap();
        assert_eq!(r.uid, "u1");
        assert_eq!(r.kind.api_version(), "apps/v1");
        assert_eq!(r.operation, Operation::Update);
        assert!(r.dry_run);
        assert_eq!(r.user_info.groups, ["dev"]);
        assert_eq!(r.object.unwrap().get(), r#"{"kind":"Deployment"}"#);
        assert!(r.old_object.is_none());
    }

    #[test]
    fn bad_bodies_are_typed_errors() {
        assert!(matches!(
            parse(b"{not json", 100),
            Err(ReviewError::Json(_))
        ));
        assert!(matches!(
            parse(REVIEW.as_bytes(), 10),
            Err(ReviewError::TooLarge { limit: 10, .. })
        ));
        let v1beta1 = REVIEW.replace("admission.k8s.io/v1", "admission.k8s.io/v1beta1");
        let err = parse(v1beta1.as_bytes(), 1 << 20).unwrap_err();
        assert!(err.to_string().contains("v1beta1"), "{err}");
        assert!(matches!(
            parse(
                br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#,
                100
            ),
            Err(ReviewError::NoRequest)
        ));
        assert_eq!(uid_of(v1beta1.as_bytes()).as_deref(), Some("u1"));
        // Of the right version but another kind: said so, not sent to
        // admissionReviewVersions.
        let other = br#"{"apiVersion":"admission.k8s.io/v1","kind":"Foo","request":{"uid":"u"}}"#;
        assert_eq!(
            parse(other, 200).unwrap_err().to_string(),
            "the body is JSON but no AdmissionReview: kind \"Foo\", expected AdmissionReview"
        );
        // An object that does not say what it is is no review of another version.
        for body in [&b"{}"[..], br#"{"request":{"uid":"u"}}"#] {
            let err = parse(body, 100).unwrap_err().to_string();
            assert_eq!(
                err,
                "the body is JSON but no AdmissionReview: it has no apiVersion and kind (expected admission.k8s.io/v1 AdmissionReview)"
            );
        }
    }

    #[test]
    fn a_review_without_uid_is_said_to_lack_it_not_to_be_no_json() {
        let no_uid = REVIEW.replace(r#""uid":"u1","#, "");
        let err = parse(no_uid.as_bytes(), 1 << 20).unwrap_err();
        assert!(matches!(err, ReviewError::NoUid), "{err}");
        assert!(err.to_string().contains("request.uid"), "{err}");
        assert!(!err.to_string().contains("not JSON"), "{err}");
        // JSON of the wrong shape is JSON: the message says what is wrong with it.
        let bad_kind = REVIEW.replace(r#""operation":"UPDATE""#, r#""operation":7"#);
        let err = parse(bad_kind.as_bytes(), 1 << 20).unwrap_err();
        assert!(matches!(err, ReviewError::Shape(_)), "{err}");
        assert!(err.to_string().contains("request.operation: "), "{err}");
        // A missing field is named by its path.
        let no_kind = REVIEW.replace(
            r#""kind":{"group":"apps","version":"v1","kind":"Deployment"},"#,
            "",
        );
        assert_ne!(no_kind, REVIEW, "the fixture has a request.kind to remove");
        let err = parse(no_kind.as_bytes(), 1 << 20).unwrap_err();
        assert!(
            err.to_string().ends_with("missing field request.kind"),
            "{err}"
        );
        let beta = br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#;
        assert!(
            matches!(
                parse(beta, 1 << 20).unwrap_err(),
                ReviewError::WrongType { .. }
            ),
            "a malformed v1beta1 review is told its version"
        );
        let list = parse(b"[]", 1 << 20).unwrap_err();
        assert_eq!(
            list.to_string(),
            "the body is JSON but no AdmissionReview: expected an object, found a list"
        );
        assert!(
            err.to_string()
                .starts_with("the body is JSON but no AdmissionReview: "),
            "{err}"
        );
    }

    #[test]
    fn a_refusal_is_an_admission_review() {
        let json = Response::deny("u1", 403, Some("Forbidden"), "no".into()).to_review_json();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["apiVersion"], API_VERSION);
        assert_eq!(v["response"]["uid"], "u1");
        assert_eq!(v["response"]["allowed"], false);
        assert_eq!(v["response"]["status"]["code"], 403);
        assert!(v["response"].get("warnings").is_none());
    }
}
