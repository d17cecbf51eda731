//! Storing a scan's PolicyReports in the cluster (`kubeharden cluster
//! --write-policy-reports`): the one place kubeharden writes to an API server.
//!
//! - Each report is created, or replaced when a report of that name exists and
//!   carries the owner label kubeharden puts on its reports. A same-named report
//!   without the label belongs to another tool: it is left alone and named in the
//!   outcome's errors.
//! - Reports with the owner label that this run did not write are stale (their
//!   namespace has no findings any more, or is gone) and are deleted, unless the
//!   caller says the scan was incomplete. Reports without the label are never
//!   listed, so never deleted.
//! - A run limited to some namespaces only writes and deletes PolicyReports in them:
//!   the ClusterPolicyReport, which describes the whole cluster, is left as it is.
//!
//! The identity needs create, get, list, update and delete on `policyreports` and
//! `clusterpolicyreports` of `wgpolicyk8s.io` (`deploy/rbac/`).

use std::collections::BTreeSet;
use std::time::Duration;

use kube::api::{Api, DeleteParams, DynamicObject, ListParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::Client;

use crate::{connect, ConnectOptions, LiveError};

/// The group and version written.
const GROUP: &str = "wgpolicyk8s.io";
const VERSION: &str = "v1alpha2";
/// The field manager the API server records for kubeharden's writes.
const FIELD_MANAGER: &str = "kubeharden";
/// Reports per LIST page when looking for stale ones.
const PAGE: u32 = 200;

/// What to write, and where stale reports may be deleted.
#[derive(Clone, Debug)]
pub struct ReportWrite {
    /// Whole `PolicyReport` (with `metadata.namespace`) and `ClusterPolicyReport`
    /// objects, each carrying the owner label.
    pub documents: Vec<serde_json::Value>,
    /// The label (key, value) on every report kubeharden writes.
    pub owner: (String, String),
    /// Only these namespaces were scanned; empty for the whole cluster.
    pub namespaces: Vec<String>,
    /// Whether stale reports are deleted. A scan that could not read everything it
    /// tried (errors) keeps them: a namespace whose objects failed to list would
    /// otherwise lose its report for want of findings.
    pub delete_stale: bool,
    /// Attempts after the first, for transient failures.
    pub retries: u32,
}

/// What a write did. `errors` are reports not written or not deleted, with why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportsWritten {
    pub created: Vec<String>,
    pub replaced: Vec<String>,
    pub deleted: Vec<String>,
    pub errors: Vec<String>,
}

/// Writes the reports and deletes stale ones. An error is returned only when the
/// cluster could not be reached or the report kinds are not served; what failed for
/// one report is in [`ReportsWritten::errors`].
pub fn write_policy_reports(
    connect: &ConnectOptions,
    write: &ReportWrite,
) -> Result<ReportsWritten, LiveError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(LiveError::Start)?;
    runtime.block_on(async {
        let conn = connect::connect(connect).await?;
        let writer = Writer {
            client: conn.client,
            timeout: connect.request_timeout,
            retries: write.retries,
            owner: &write.owner,
        };
        writer.run(write).await
    })
}

/// `PolicyReport` or `ClusterPolicyReport` as kube's dynamic API knows it.
fn resource(kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk(GROUP, VERSION, kind))
}

/// `kind namespace/name` or `kind name`.
fn describe(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

struct Writer<'a> {
    client: Client,
    timeout: Duration,
    retries: u32,
    owner: &'a (String, String),
}

/// One report to write, read from its document.
struct Target {
    kind: &'static str,
    namespace: Option<String>,
    name: String,
    object: DynamicObject,
}

impl Target {
    fn of(document: &serde_json::Value) -> Result<Target, String> {
        let kind = match document["kind"].as_str() {
            Some("PolicyReport") => "PolicyReport",
            Some("ClusterPolicyReport") => "ClusterPolicyReport",
            other => return Err(format!("not a policy report: kind {other:?}")),
        };
        let object: DynamicObject = serde_json::from_value(document.clone())
            .map_err(|e| format!("a {kind} that is not an object: {e}"))?;
        let name = object.metadata.name.clone().unwrap_or_default();
        let namespace = object.metadata.namespace.clone();
        if name.is_empty() || (kind == "PolicyReport") != namespace.is_some() {
            return Err(format!("{kind} {name:?} lacks its name or namespace"));
        }
        Ok(Target {
            kind,
            namespace,
            name,
            object,
        })
    }

    fn describe(&self) -> String {
        describe(self.kind, self.namespace.as_deref(), &self.name)
    }
}

/// A request's failure: transient ones are retried.
fn transient(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(status) => status.code == 429 || status.code >= 500,
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

fn not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(status) if status.code == 404)
}

fn conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(status) if status.code == 409)
}

/// Whether the kind is served at all: a 404 naming the resource, not an object.
fn kind_missing(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(status) if status.code == 404
        && status.details.as_ref().is_none_or(|d| d.name.is_empty()))
}

impl Writer<'_> {
    async fn run(&self, write: &ReportWrite) -> Result<ReportsWritten, LiveError> {
        let whole_cluster = write.namespaces.is_empty();
        let mut done = ReportsWritten::default();
        let mut written: BTreeSet<(Option<String>, String)> = BTreeSet::new();
        for document in &write.documents {
            let target = match Target::of(document) {
                Ok(t) => t,
                Err(why) => {
                    done.errors.push(why);
                    continue;
                }
            };
            let in_scope = match &target.namespace {
                Some(ns) => whole_cluster || write.namespaces.contains(ns),
                None => whole_cluster,
            };
            if !in_scope {
                continue;
            }
            written.insert((target.namespace.clone(), target.name.clone()));
            self.put(target, &mut done).await?;
        }
        if !write.delete_stale {
            return Ok(done);
        }
        self.delete_stale("PolicyReport", &write.namespaces, &written, &mut done)
            .await?;
        if whole_cluster {
            self.delete_stale("ClusterPolicyReport", &[], &written, &mut done)
                .await?;
        }
        Ok(done)
    }

    fn api(&self, kind: &str, namespace: Option<&str>) -> Api<DynamicObject> {
        let ar = resource(kind);
        match namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &ar),
            None => Api::all_with(self.client.clone(), &ar),
        }
    }

    /// Runs `call` with the timeout, retrying transient failures with backoff.
    async fn retry<T, F, Fut>(&self, mut call: F) -> Result<T, kube::Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, kube::Error>>,
    {
        let mut attempt = 0;
        loop {
            let outcome = match tokio::time::timeout(self.timeout, call()).await {
                Ok(outcome) => outcome,
                Err(_) => Err(kube::Error::Service(
                    format!("no answer in {} s", self.timeout.as_secs()).into(),
                )),
            };
            match outcome {
                Err(e) if transient(&e) && attempt < self.retries => {
                    attempt += 1;
                    tokio::time::sleep(crate::fetch::backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }

    fn is_ours(&self, object: &DynamicObject) -> bool {
        let (key, value) = self.owner;
        object
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(key))
            .is_some_and(|v| v == value)
    }

    /// Creates the report, or replaces ours of the same name.
    async fn put(&self, target: Target, done: &mut ReportsWritten) -> Result<(), LiveError> {
        let api = self.api(target.kind, target.namespace.as_deref());
        let params = PostParams {
            dry_run: false,
            field_manager: Some(FIELD_MANAGER.to_string()),
        };
        // A report replaced by someone else meanwhile (409) is read again, once.
        for _ in 0..2 {
            let existing = match self.retry(|| api.get_opt(&target.name)).await {
                Ok(existing) => existing,
                Err(e) if kind_missing(&e) => return Err(no_crd(target.kind, e)),
                Err(e) => {
                    done.errors
                        .push(format!("cannot read {}: {e}", target.describe()));
                    return Ok(());
                }
            };
            let creating = existing.is_none();
            let outcome = match existing {
                None => self.retry(|| api.create(&params, &target.object)).await,
                Some(old) if !self.is_ours(&old) => {
                    done.errors.push(format!(
                        "{} exists and was not written by kubeharden (no label {}={}): left alone",
                        target.describe(),
                        self.owner.0,
                        self.owner.1
                    ));
                    return Ok(());
                }
                Some(old) => {
                    let mut object = target.object.clone();
                    object.metadata.resource_version = old.metadata.resource_version;
                    self.retry(|| api.replace(&target.name, &params, &object))
                        .await
                }
            };
            match outcome {
                Ok(_) if creating => {
                    done.created.push(target.describe());
                    return Ok(());
                }
                Ok(_) => {
                    done.replaced.push(target.describe());
                    return Ok(());
                }
                Err(e) if conflict(&e) => continue,
                Err(e) if kind_missing(&e) => return Err(no_crd(target.kind, e)),
                Err(e) => {
                    done.errors
                        .push(format!("cannot write {}: {e}", target.describe()));
                    return Ok(());
                }
            }
        }
        done.errors.push(format!(
            "cannot write {}: it kept changing while being replaced",
            target.describe()
        ));
        Ok(())
    }

    /// Deletes the reports with the owner label that this run did not write, in
    /// `namespaces` (all namespaces when empty).
    async fn delete_stale(
        &self,
        kind: &'static str,
        namespaces: &[String],
        written: &BTreeSet<(Option<String>, String)>,
        done: &mut ReportsWritten,
    ) -> Result<(), LiveError> {
        let scopes: Vec<Option<&str>> = if namespaces.is_empty() {
            vec![None]
        } else {
            namespaces.iter().map(|ns| Some(ns.as_str())).collect()
        };
        for scope in scopes {
            let ours = match self.list_ours(kind, scope).await {
                Ok(ours) => ours,
                Err(e) if kind_missing(&e) => return Err(no_crd(kind, e)),
                Err(e) => {
                    done.errors.push(format!("cannot list {kind}s: {e}"));
                    continue;
                }
            };
            for (namespace, name) in ours {
                if written.contains(&(namespace.clone(), name.clone())) {
                    continue;
                }
                let what = describe(kind, namespace.as_deref(), &name);
                let api = self.api(kind, namespace.as_deref());
                let params = DeleteParams::default();
                match self.retry(|| api.delete(&name, &params)).await {
                    Ok(_) => done.deleted.push(what),
                    // Gone already: its namespace is being deleted, or another run won.
                    Err(e) if not_found(&e) => {}
                    Err(e) => done.errors.push(format!("cannot delete {what}: {e}")),
                }
            }
        }
        Ok(())
    }

    /// (namespace, name) of every report of `kind` with the owner label.
    async fn list_ours(
        &self,
        kind: &str,
        namespace: Option<&str>,
    ) -> Result<Vec<(Option<String>, String)>, kube::Error> {
        let api = self.api(kind, namespace);
        let selector = format!("{}={}", self.owner.0, self.owner.1);
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut params = ListParams::default().labels(&selector).limit(PAGE);
            if let Some(t) = &token {
                params = params.continue_token(t);
            }
            let page = self.retry(|| api.list(&params)).await?;
            found.extend(page.items.into_iter().map(|o| {
                (
                    o.metadata.namespace.clone(),
                    o.metadata.name.clone().unwrap_or_default(),
                )
            }));
            token = page.metadata.continue_.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(found);
            }
        }
    }
}

fn no_crd(kind: &str, e: kube::Error) -> LiveError {
    LiveError::Config(format!(
        "the API server does not serve {kind}s of {GROUP}/{VERSION} ({e}): install the \
         PolicyReport CRDs of the Kubernetes Policy WG first (README: Run inside the cluster)"
    ))
}
