//! What a scan of a live cluster knows beyond its objects: the context, the server
//! version, what was read and what could not be (a kind the identity may not list,
//! one the server does not serve). The cluster reader writes it as one more object,
//! a `kubeharden.io/v1alpha1` `ClusterSnapshot`, which the engine reads like any
//! other: a live scan and a scan of its snapshot file see the same facts.

use serde::{Deserialize, Serialize};

pub const SNAPSHOT_GROUP: &str = "kubeharden.io";
pub const SNAPSHOT_API_VERSION: &str = "kubeharden.io/v1alpha1";
pub const SNAPSHOT_KIND: &str = "ClusterSnapshot";

/// The body of a `ClusterSnapshot` (besides `apiVersion`, `kind` and `metadata`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotHeader {
    /// The kubeconfig context (or `in-cluster`).
    pub context: String,
    /// The API server's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<ServerVersion>,
    /// When the objects were read (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
    /// The namespaces read, when the scan was limited to some (`--namespace`);
    /// empty means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// Each kind read (in each namespace, when limited), with its object count.
    #[serde(default)]
    pub read: Vec<KindRead>,
    /// What could not be read, and why: its checks are not judged.
    #[serde(default)]
    pub unread: Vec<KindUnread>,
}

/// The API server's `/version`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerVersion {
    #[serde(default)]
    pub major: String,
    #[serde(default)]
    pub minor: String,
    /// `v1.37.2`, `v1.30.4-eks-a737599`.
    #[serde(default)]
    pub git_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub platform: String,
}

impl ServerVersion {
    /// (major, minor, patch) from `gitVersion`, else from `major`/`minor` (a
    /// provider's `minor` may read `30+`).
    pub fn numbers(&self) -> Option<(u32, u32, Option<u32>)> {
        let digits = |s: &str| -> Option<u32> {
            let d: String = s.chars().take_while(char::is_ascii_digit).collect();
            d.parse().ok()
        };
        let mut parts = self.git_version.trim_start_matches('v').split('.');
        if let (Some(major), Some(minor)) =
            (parts.next().and_then(digits), parts.next().and_then(digits))
        {
            return Some((major, minor, parts.next().and_then(digits)));
        }
        Some((digits(&self.major)?, digits(&self.minor)?, None))
    }
}

/// A kind that was read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KindRead {
    pub api_version: String,
    pub kind: String,
    /// `pods`, `networkpolicies.networking.k8s.io`.
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub objects: usize,
}

/// A kind that could not be read (in one namespace, or anywhere).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KindUnread {
    pub api_version: String,
    pub kind: String,
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub reason: String,
}

impl KindUnread {
    /// The API group of the kind.
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// What was not read, for a report: `secrets (all namespaces)`, `secrets in
    /// namespace shop`.
    pub fn scope(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} in namespace {ns}", self.resource),
            None => format!("{} (all namespaces)", self.resource),
        }
    }
}

/// A live scan's facts, from its `ClusterSnapshot`.
#[derive(Clone, Debug)]
pub struct LiveFacts {
    pub origin: crate::Origin,
    /// The `ClusterSnapshot` object, where findings about the cluster as a whole
    /// (its server version) are placed.
    pub root: kubeharden_yaml::Node,
    pub header: SnapshotHeader,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_numbers_from_git_version_or_fields() {
        let v = |git: &str, major: &str, minor: &str| ServerVersion {
            major: major.into(),
            minor: minor.into(),
            git_version: git.into(),
            platform: String::new(),
        };
        assert_eq!(v("v1.37.2", "1", "37").numbers(), Some((1, 37, Some(2))));
        assert_eq!(
            v("v1.30.4-eks-a737599", "1", "30+").numbers(),
            Some((1, 30, Some(4)))
        );
        assert_eq!(v("", "1", "29+").numbers(), Some((1, 29, None)));
        assert_eq!(v("", "", "").numbers(), None);
    }
}
