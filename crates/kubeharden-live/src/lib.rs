//! Reading a live cluster into the objects the rules judge.
//!
//! - [`read_cluster`] connects as `kubectl` would ([`ConnectOptions`]: kubeconfig
//!   context, client certificates, tokens, exec credential plugins, OIDC, or a pod's
//!   service account), asks the API server what it serves (discovery), and lists
//!   every kind the rules read ([`kinds_read`]), page by page, with a timeout and
//!   retries with backoff. The reader only ever gets and lists
//!   (`deploy/rbac/scanner-clusterrole.yaml` is all it needs).
//! - Each page becomes [`Object`](kubeharden_load::Object)s located at
//!   `cluster://CONTEXT/NAMESPACE/KIND/NAME` ([`location`]) and goes to the caller
//!   ([`Event::Objects`]) at once: memory holds a page or two. Secret values are
//!   removed as they are read.
//! - What cannot be read (forbidden, not served) is recorded with the reason in the
//!   scan's header, a `ClusterSnapshot` object ([`Event::Header`],
//!   `kubeharden_cluster::live`), which the engine turns into checks not judged.
//! - [`SnapshotWriter`] writes the objects as a YAML stream for `kubeharden scan`.
//! - [`write_policy_reports`] stores a scan's PolicyReports and deletes its stale ones:
//!   the one write kubeharden makes, and only with `--write-policy-reports`.

#![forbid(unsafe_code)]

mod connect;
mod describe;
mod error;
mod fetch;
mod json;
mod kinds;
mod object;
mod policy_reports;
mod read;
mod snapshot;

use std::time::Duration;

use kubeharden_cluster::live::SnapshotHeader;
use kubeharden_load::Object;

pub use connect::{watch_client, ConnectOptions, IN_CLUSTER};
pub use error::LiveError;
pub use fetch::MAX_ANSWER_BYTES;
pub use json::read_object;
pub use kinds::{kinds_read, Kind};
pub use object::{cluster_object, cluster_root, location, location_kind, redact_secret, SCHEME};
pub use policy_reports::{write_policy_reports, ReportWrite, ReportsWritten};
pub use snapshot::SnapshotWriter;

/// What to read.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Only these namespaces (`--namespace`); empty for all. Namespaced kinds are
    /// then listed in each, and the Namespace objects read by name.
    pub namespaces: Vec<String>,
    /// Objects per LIST page (`limit`).
    pub page_size: u32,
    /// Retries of a request that failed for a transient reason.
    pub retries: u32,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            namespaces: Vec::new(),
            page_size: 500,
            retries: 5,
        }
    }
}

/// What the reader tells its caller, in order.
#[derive(Debug)]
pub enum Event {
    /// The context and server, once connected.
    Connected { context: String, server: String },
    /// A kind (in a namespace) is being listed.
    Listing {
        resource: String,
        namespace: Option<String>,
    },
    /// A page of objects.
    Objects(Vec<Object>),
    /// A request failed for a transient reason and is tried again (attempt 0: the
    /// list goes on inconsistently after its continue token expired).
    Retry {
        what: String,
        attempt: u32,
        reason: String,
    },
    /// Something could not be read: the scan is incomplete (its checks are also
    /// listed as not judged).
    Error(String),
    /// The scan's `ClusterSnapshot`, last: judge it like the other objects.
    Header(Object),
}

/// Reads the cluster, handing each event to `on_event` on the calling thread while
/// the next page is fetched. Returns the scan's header, or why the cluster could
/// not be read at all (no kubeconfig, no connection, no discovery).
pub fn read_cluster(
    connect: &ConnectOptions,
    options: &ReadOptions,
    mut on_event: impl FnMut(Event),
) -> Result<SnapshotHeader, LiveError> {
    // Two pages in flight at most: one being judged, one read.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Event>(1);
    let (connect, options) = (connect.clone(), options.clone());
    let reader = std::thread::Builder::new()
        .name("kubeharden-live".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(LiveError::Start)?;
            runtime.block_on(read_async(&connect, &options, &mut |event| {
                // The receiver only goes away when the caller is done.
                let _ = sender.send(event);
            }))
        })
        .map_err(LiveError::Start)?;
    for event in receiver {
        on_event(event);
    }
    reader.join().map_err(|_| LiveError::Stopped)?
}

async fn read_async(
    connect: &ConnectOptions,
    options: &ReadOptions,
    emit: &mut dyn FnMut(Event),
) -> Result<SnapshotHeader, LiveError> {
    let conn = connect::connect(connect).await?;
    emit(Event::Connected {
        context: conn.context.clone(),
        server: conn.server.clone(),
    });
    let fetcher = fetch::Fetcher {
        client: conn.client.clone(),
        timeout: connect.request_timeout,
        retries: options.retries,
    };
    let header = SnapshotHeader {
        context: conn.context.clone(),
        server: Some(conn.server.clone()),
        taken_at: Some(jiff::Timestamp::now().to_string()),
        ..SnapshotHeader::default()
    };
    read::Reader {
        conn: &conn,
        fetcher,
        options,
        emit,
        header,
    }
    .run()
    .await
}

/// The default request timeout.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
