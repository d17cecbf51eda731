//! Reading the cluster: the server version, discovery, then every kind the rules
//! read, page by page (`limit`/`continue`), each page handed on as soon as it is
//! read so memory holds a page or two, never the whole cluster.

use kubeharden_cluster::live::{
    KindRead, KindUnread, ServerVersion, SnapshotHeader, SNAPSHOT_API_VERSION, SNAPSHOT_KIND,
};
use kubeharden_load::Object;

use crate::connect::Connection;
use crate::fetch::{Failure, Fetcher};
use crate::kinds::Kind;
use crate::{Event, ReadOptions};

pub(crate) struct Reader<'a> {
    pub conn: &'a Connection,
    pub fetcher: Fetcher,
    pub options: &'a ReadOptions,
    pub emit: &'a mut dyn FnMut(Event),
    pub header: SnapshotHeader,
}

impl Reader<'_> {
    pub async fn run(mut self) -> Result<SnapshotHeader, crate::LiveError> {
        self.header.server_version = self.version().await?;
        let kinds = self.discover().await?;
        self.note_unserved(&kinds);
        for kind in &kinds {
            match (kind.namespaced, self.options.namespaces.is_empty()) {
                (true, false) => {
                    for ns in self.options.namespaces.clone() {
                        self.list(kind, Some(&ns)).await;
                    }
                }
                (false, false) if kind.group.is_empty() && kind.kind == "Namespace" => {
                    for ns in self.options.namespaces.clone() {
                        self.get_namespace(kind, &ns).await;
                    }
                }
                _ => self.list(kind, None).await,
            }
        }
        self.header.namespaces = self.options.namespaces.clone();
        let object = header_object(&self.header, &self.conn.context);
        (self.emit)(Event::Header(object));
        Ok(self.header)
    }

    /// GETs `path`, telling of each retry of `what`.
    async fn get(&mut self, path: &str, what: &str) -> Result<Vec<u8>, Failure> {
        let emit = &mut *self.emit;
        let mut on_retry = |attempt, reason: &str| {
            emit(Event::Retry {
                what: what.to_string(),
                attempt,
                reason: reason.into(),
            })
        };
        self.fetcher.get(path, &mut on_retry).await
    }

    /// `/version`, readable by everyone (`system:public-info-viewer`). A server that
    /// does not answer it, or refuses the credentials, cannot be read at all: that
    /// ends the scan with the server's URL and the reason. A server that forbids it
    /// (a hardened one) is read on, without its version.
    async fn version(&mut self) -> Result<Option<ServerVersion>, crate::LiveError> {
        let bytes = self.get("/version", "/version").await;
        match bytes.map(|b| serde_json::from_slice::<ServerVersion>(&b)) {
            Ok(Ok(version)) => Ok(Some(version)),
            Ok(Err(e)) => Err(self.unreadable(format!(
                "its /version answer is not a Kubernetes version ({e}): is this an API server?"
            ))),
            Err(failure @ (Failure::Forbidden(_) | Failure::NotFound(_))) => {
                (self.emit)(Event::Error(format!("cannot read /version: {failure}")));
                Ok(None)
            }
            Err(failure) => Err(self.unreadable(failure.to_string())),
        }
    }

    fn unreadable(&self, reason: String) -> crate::LiveError {
        crate::LiveError::Server {
            server: self.conn.server.clone(),
            reason,
        }
    }

    /// The kinds to read, retried like every request.
    async fn discover(&mut self) -> Result<Vec<Kind>, crate::LiveError> {
        let emit = &mut *self.emit;
        let mut on_retry = |attempt, reason: &str| {
            emit(Event::Retry {
                what: "discovery".to_string(),
                attempt,
                reason: reason.into(),
            })
        };
        crate::kinds::discover(&self.fetcher, &mut on_retry)
            .await
            .map_err(|reason| crate::LiveError::Discovery {
                server: self.conn.server.clone(),
                reason,
            })
    }

    /// Kubernetes' own kinds the rules read that this server does not serve: what
    /// depends on them is not judged, and the report says so.
    fn note_unserved(&mut self, kinds: &[Kind]) {
        let served = |group: &str, kind: &str| {
            kinds.iter().any(|k| {
                k.kind == kind && (k.group == group || (group == "extensions" && k.group == "apps"))
            })
        };
        for (group, kind) in crate::kinds::kinds_read() {
            let built_in = kubeharden_load::is_builtin_group(group);
            if !built_in || served(group, kind) {
                continue;
            }
            let api_version = if group.is_empty() {
                "v1".to_string()
            } else {
                format!("{group}/v1")
            };
            self.header.unread.push(KindUnread {
                api_version,
                kind: kind.to_string(),
                resource: kind.to_ascii_lowercase(),
                namespace: None,
                reason: "this API server does not serve this kind".into(),
            });
        }
    }

    fn unread(&mut self, kind: &Kind, namespace: Option<&str>, reason: String) {
        self.header.unread.push(KindUnread {
            api_version: kind.api_version(),
            kind: kind.kind.clone(),
            resource: kind.resource(),
            namespace: namespace.map(str::to_string),
            reason,
        });
    }

    /// Lists `kind` (in `namespace`), page by page.
    async fn list(&mut self, kind: &Kind, namespace: Option<&str>) {
        (self.emit)(Event::Listing {
            resource: kind.resource(),
            namespace: namespace.map(str::to_string),
        });
        let mut next: Option<String> = None;
        let mut count = 0;
        loop {
            let mut path = format!("{}?limit={}", kind.path(namespace), self.options.page_size);
            if let Some(token) = &next {
                path.push_str("&continue=");
                path.push_str(&encode_query(token));
            }
            let answer = self.get(&path, &kind.resource()).await;
            let failure = match answer {
                Ok(bytes) => match crate::json::read_page(&bytes) {
                    Ok(page) => {
                        drop(bytes);
                        count += page.items.len();
                        let objects: Vec<Object> = page
                            .items
                            .into_iter()
                            .map(|item| crate::object::from_item(item, kind, &self.conn.context))
                            .collect();
                        (self.emit)(Event::Objects(objects));
                        next = page.next;
                        if next.is_none() {
                            break;
                        }
                        continue;
                    }
                    Err(e) => Failure::Other(format!("answer not understood: {e}")),
                },
                Err(failure) => failure,
            };
            match failure {
                // The list changed too much while read (etcd compacted): go on with
                // what the server offers, which may miss or repeat an object.
                Failure::Expired {
                    next: Some(token), ..
                } => {
                    (self.emit)(Event::Retry {
                        what: kind.resource(),
                        attempt: 0,
                        reason: "the list expired while read; going on with an inconsistent list"
                            .into(),
                    });
                    next = Some(token);
                }
                Failure::Forbidden(message) => {
                    self.unread(kind, namespace, format!("forbidden: {message}"));
                    break;
                }
                // Its definition went away since discovery: it has no objects now.
                Failure::NotFound(_) if count == 0 => break,
                other => {
                    let place = namespace
                        .map(|ns| format!(" in namespace {ns}"))
                        .unwrap_or_default();
                    let message = format!("cannot list {}{place}: {other}", kind.resource());
                    (self.emit)(Event::Error(message.clone()));
                    self.unread(kind, namespace, message);
                    break;
                }
            }
        }
        self.header.read.push(KindRead {
            api_version: kind.api_version(),
            kind: kind.kind.clone(),
            resource: kind.resource(),
            namespace: namespace.map(str::to_string),
            objects: count,
        });
    }

    /// One named Namespace, when the scan is limited to some: an identity of those
    /// namespaces can often read them but not list them all.
    async fn get_namespace(&mut self, kind: &Kind, name: &str) {
        (self.emit)(Event::Listing {
            resource: kind.resource(),
            namespace: Some(name.to_string()),
        });
        let path = format!("{}/{}", kind.path(None), encode_query(name));
        let answer = self.get(&path, &kind.resource()).await;
        let mut count = 0;
        match answer.map(|b| crate::json::read_object(&b)) {
            Ok(Ok(item)) => {
                count = 1;
                let object = crate::object::from_item(item, kind, &self.conn.context);
                (self.emit)(Event::Objects(vec![object]));
            }
            Ok(Err(e)) => {
                let message = format!("namespace {name}: answer not understood: {e}");
                (self.emit)(Event::Error(message.clone()));
                self.unread(kind, Some(name), message);
            }
            Err(Failure::Forbidden(message)) => {
                self.unread(kind, Some(name), format!("forbidden: {message}"))
            }
            Err(Failure::NotFound(_)) => {
                (self.emit)(Event::Error(format!("namespace {name} does not exist")));
            }
            Err(other) => {
                let message = format!("cannot read namespace {name}: {other}");
                (self.emit)(Event::Error(message.clone()));
                self.unread(kind, Some(name), message);
            }
        }
        self.header.read.push(KindRead {
            api_version: kind.api_version(),
            kind: kind.kind.clone(),
            resource: kind.resource(),
            namespace: Some(name.to_string()),
            objects: count,
        });
    }
}

/// Percent-encodes a query value (a continue token is base64: `+`, `/`, `=`).
fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `ClusterSnapshot` object that carries the header.
pub(crate) fn header_object(header: &SnapshotHeader, context: &str) -> Object {
    let mut value = serde_json::to_value(header).expect("a header serializes");
    let body = value.as_object_mut().expect("a header is a map");
    let mut object = serde_json::Map::new();
    object.insert("apiVersion".into(), SNAPSHOT_API_VERSION.into());
    object.insert("kind".into(), SNAPSHOT_KIND.into());
    object.insert("metadata".into(), serde_json::json!({ "name": context }));
    object.append(body);
    let bytes = serde_json::to_vec(&object).expect("a header serializes");
    let root = crate::json::read_object(&bytes).expect("a header reads back");
    let kind = Kind {
        group: kubeharden_cluster::live::SNAPSHOT_GROUP.into(),
        version: "v1alpha1".into(),
        kind: SNAPSHOT_KIND.into(),
        plural: "clustersnapshots".into(),
        namespaced: false,
    };
    crate::object::from_item(root, &kind, context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_are_encoded() {
        assert_eq!(encode_query("eyJ2Ijo+/=="), "eyJ2Ijo%2B%2F%3D%3D");
    }

    #[test]
    fn the_header_object_reads_back_as_the_header() {
        let header = SnapshotHeader {
            context: "prod".into(),
            server_version: Some(ServerVersion {
                git_version: "v1.37.2".into(),
                ..Default::default()
            }),
            unread: vec![KindUnread {
                api_version: "v1".into(),
                kind: "Secret".into(),
                resource: "secrets".into(),
                namespace: None,
                reason: "forbidden".into(),
            }],
            ..Default::default()
        };
        let object = header_object(&header, "prod");
        assert_eq!(
            &*object.file,
            "cluster://prod/ClusterSnapshot.kubeharden.io/prod"
        );
        let mut errors = Vec::new();
        let back: SnapshotHeader = kubeharden_load::read_field(&object, "", &mut errors).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(back, header);
    }
}
