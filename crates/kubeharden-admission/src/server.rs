//! The HTTPS server: hyper (HTTP/1.1, which the API server speaks to webhooks) on
//! rustls, the certificate reloaded when its files change.
//!
//! - `POST /validate`: an AdmissionReview in, one out. The body is read up to the
//!   configured limit (a larger one is HTTP 413, one that does not arrive
//!   in time 408, one that is no AdmissionReview 400). A body of up to
//!   [`JUDGED_HERE_MAX`] bytes is judged on the connection's task, a larger one on
//!   the blocking pool; past the configured time limit the failure policy answers.
//!   Refusals are logged through [`Log`], off the request's path.
//! - `GET /healthz`: the process serves. `GET /readyz`: the certificate is loaded
//!   and the cluster view (when there is one) has listed everything once.
//! - `GET /metrics`: Prometheus text.
//!
//! The certificate and key are read again when either file's modification time,
//! size or inode changes (polled, so a Secret volume's symlink swap is seen as
//! well as an edit in place). A pair that does not load is reported on stderr and
//! the previous one is kept.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_rustls::rustls::crypto::ring::sign::any_supported_type;
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::judge::{Answer, Reviewer};
use crate::log::Log;
use crate::metrics::Metrics;
use crate::review;
use crate::view::ClusterSource;

/// How often the certificate files are looked at.
pub const RELOAD_EVERY: Duration = Duration::from_secs(2);

/// A certificate or key that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("{file}: {message}")]
    Read { file: String, message: String },
    #[error("{file}: no certificate in the file")]
    NoCertificate { file: String },
    #[error("{file}: the key is of no supported type: {message}")]
    Key { file: String, message: String },
    #[error("{key} is not the key of the certificate in {cert} ({message})")]
    Mismatch {
        cert: String,
        key: String,
        message: String,
    },
}

/// A server that could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Cert(#[from] CertError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Reads a PEM certificate chain and its private key.
pub fn load_certified_key(cert: &Path, key: &Path) -> Result<CertifiedKey, CertError> {
    let name = |p: &Path| p.display().to_string();
    let read_err = |p: &Path, e: rustls_pki_types::pem::Error| CertError::Read {
        file: name(p),
        message: e.to_string(),
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| read_err(cert, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| read_err(cert, e))?;
    if chain.is_empty() {
        return Err(CertError::NoCertificate { file: name(cert) });
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| read_err(key, e))?;
    let signing = any_supported_type(&private).map_err(|e| CertError::Key {
        file: name(key),
        message: e.to_string(),
    })?;
    let pair = CertifiedKey::new(chain, signing);
    // A renewal that writes one file before the other must not be served: every
    // handshake would fail until the second file arrives.
    match pair.keys_match() {
        // A key type whose public half rustls cannot derive cannot be compared.
        Ok(())
        | Err(tokio_rustls::rustls::Error::InconsistentKeys(
            tokio_rustls::rustls::InconsistentKeys::Unknown,
        )) => Ok(pair),
        Err(e) => Err(CertError::Mismatch {
            cert: name(cert),
            key: name(key),
            message: e.to_string(),
        }),
    }
}

/// The serving certificate, swapped in place when its files change.
#[derive(Debug)]
pub struct Certificate {
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificate {
    fn served(&self) -> Arc<CertifiedKey> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.served())
    }
}

/// What identifies a file's version without reading it.
pub(crate) fn stamp(path: &Path) -> Option<(SystemTime, u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len(), m.ino()))
}

/// Where the webhook listens and what it serves with.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Everything a request needs.
struct State {
    reviewer: Arc<Reviewer>,
    metrics: Metrics,
    view: Option<Arc<dyn ClusterSource>>,
    log: Arc<Log>,
    /// Permits to hold a body larger than [`JUDGED_HERE_MAX`] (or of unknown length).
    large_bodies: tokio::sync::Semaphore,
}

/// How long a client has to finish its TLS handshake, or the headers of a request
/// (also while a kept-alive connection waits for its next one). The API server sends
/// each at once; a client that trickles them (slowloris) holds a connection and its
/// buffers, and is cut off.
pub const HANDSHAKE_AND_HEADERS: Duration = Duration::from_secs(10);

/// How many bodies over [`JUDGED_HERE_MAX`] are read and judged at once: with the
/// default 16 MiB limit, at most 64 MiB of them, whatever many clients send. The API
/// server's reviews are kilobytes; others wait for a permit, within the time limit.
pub const LARGE_BODIES_AT_ONCE: usize = 4;

/// A server bound to its address, not yet serving.
pub struct Server {
    listener: TcpListener,
    acceptor: TlsAcceptor,
    certificate: Arc<Certificate>,
    options: ServeOptions,
    state: Arc<State>,
}

impl Server {
    /// Loads the certificate and binds the address.
    pub async fn bind(
        options: ServeOptions,
        reviewer: Arc<Reviewer>,
        view: Option<Arc<dyn ClusterSource>>,
    ) -> Result<Server, ServeError> {
        let key = load_certified_key(&options.cert, &options.key)?;
        let metrics = Metrics::default();
        let mut validity = Validity::of(&key);
        validity.tell(&options.cert, "serving");
        metrics.certificate_expires(validity.not_after);
        let certificate = Arc::new(Certificate {
            current: RwLock::new(Arc::new(key)),
        });
        let mut tls = ServerConfig::builder()
            .with_no_client_auth()
            .with_cert_resolver(certificate.clone());
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let listener =
            TcpListener::bind(options.addr)
                .await
                .map_err(|source| ServeError::Listen {
                    addr: options.addr,
                    source,
                })?;
        Ok(Server {
            listener,
            acceptor: TlsAcceptor::from(Arc::new(tls)),
            certificate,
            options,
            state: Arc::new(State {
                reviewer,
                metrics,
                view,
                log: Log::to_stderr(),
                large_bodies: tokio::sync::Semaphore::new(LARGE_BODIES_AT_ONCE),
            }),
        })
    }

    /// The address bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the process ends.
    pub async fn run(self) {
        tokio::spawn(reload(
            self.certificate.clone(),
            self.options.clone(),
            self.state.clone(),
        ));
        loop {
            let (tcp, _) = match self.listener.accept().await {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of descriptors and the like: pause rather than spin.
                    eprintln!("kubeharden serve: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = self.acceptor.clone();
            let state = self.state.clone();
            tokio::spawn(async move {
                let handshake = tokio::time::timeout(HANDSHAKE_AND_HEADERS, acceptor.accept(tcp));
                let Ok(Ok(tls)) = handshake.await else {
                    return;
                };
                let service = service_fn(move |req| handle(state.clone(), req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(HANDSHAKE_AND_HEADERS)
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    }
}

/// Polls the certificate files and swaps in a new pair that loads.
async fn reload(certificate: Arc<Certificate>, options: ServeOptions, state: Arc<State>) {
    let mut seen = (stamp(&options.cert), stamp(&options.key));
    let mut served = Validity::of(&certificate.served());
    // Told at start already (Server::bind): not again at the first look.
    served.told_expired = served.problem(unix_now()).is_some();
    loop {
        tokio::time::sleep(RELOAD_EVERY).await;
        served.tell_when_it_runs_out(&options.cert);
        let now = (stamp(&options.cert), stamp(&options.key));
        if now == seen {
            continue;
        }
        // Each version of the files is told about once: a pair left mismatched for
        // an hour is one line, not 1,800. A half-written pair (the certificate
        // updated, the key not yet) loads when the second file changes.
        seen = now;
        match load_certified_key(&options.cert, &options.key) {
            Ok(key) => {
                served = Validity::of(&key);
                served.tell(&options.cert, "reloaded");
                state.metrics.certificate_expires(served.not_after);
                *certificate
                    .current
                    .write()
                    .unwrap_or_else(|e| e.into_inner()) = Arc::new(key);
                state.metrics.reload();
                eprintln!("kubeharden serve: certificate reloaded");
            }
            Err(e) => eprintln!("kubeharden serve: keeping the current certificate: {e}"),
        }
    }
}

/// When the served certificate stops being valid. The server serves an expired
/// certificate rather than nothing (a renewal may be on its way, and the reload
/// picks it up), but says so: the API server refuses every handshake with it, and
/// under `failurePolicy: Fail` every write the webhook covers is refused.
#[derive(Debug, Clone, Copy)]
struct Validity {
    not_before: Option<i64>,
    not_after: Option<i64>,
    told_expired: bool,
}

impl Validity {
    fn of(key: &CertifiedKey) -> Validity {
        let times = key.cert.first().and_then(|der| {
            let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
            let v = cert.validity();
            Some((v.not_before.timestamp(), v.not_after.timestamp()))
        });
        Validity {
            not_before: times.map(|t| t.0),
            not_after: times.map(|t| t.1),
            told_expired: false,
        }
    }

    /// A warning on stderr when the certificate just loaded cannot be trusted now.
    fn tell(&mut self, file: &Path, what: &str) {
        if let Some(why) = self.problem(unix_now()) {
            eprintln!(
                "kubeharden serve: warning: the {what} certificate {} {why}; the API server will refuse it",
                file.display()
            );
            self.told_expired = true;
        }
    }

    /// A warning, once, when a certificate that was valid runs out while served.
    fn tell_when_it_runs_out(&mut self, file: &Path) {
        if !self.told_expired && self.not_after.is_some_and(|t| t < unix_now()) {
            self.tell(file, "served");
        }
    }

    fn problem(&self, now: i64) -> Option<String> {
        let date = |t: i64| {
            time::OffsetDateTime::from_unix_timestamp(t)
                .map_or_else(|_| t.to_string(), |d| d.date().to_string())
        };
        match (self.not_before, self.not_after) {
            (_, Some(after)) if after < now => Some(format!("expired on {}", date(after))),
            (Some(before), _) if before > now => {
                Some(format!("is not valid before {}", date(before)))
            }
            _ => None,
        }
    }
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

type Body = Full<Bytes>;

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .expect("a static response builds")
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Body>, std::convert::Infallible> {
    const TEXT: &str = "text/plain; charset=utf-8";
    // Each path serves one method; another method on it is 405 with `Allow`.
    let (allowed, allow) = match req.uri().path() {
        "/validate" => (Method::POST, "POST"),
        "/healthz" | "/readyz" | "/metrics" => (Method::GET, "GET"),
        _ => {
            return Ok(reply(
                StatusCode::NOT_FOUND,
                TEXT,
                "not found: POST /validate, GET /healthz, /readyz, /metrics\n",
            ))
        }
    };
    if req.method() != allowed {
        let mut answer = reply(
            StatusCode::METHOD_NOT_ALLOWED,
            TEXT,
            format!("{} {}: use {allow}\n", req.method(), req.uri().path()),
        );
        answer
            .headers_mut()
            .insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
        return Ok(answer);
    }
    Ok(match req.uri().path() {
        "/healthz" => reply(StatusCode::OK, TEXT, "ok\n"),
        "/readyz" => {
            if state.view.as_ref().is_none_or(|v| v.ready()) {
                reply(StatusCode::OK, TEXT, "ok\n")
            } else {
                reply(
                    StatusCode::SERVICE_UNAVAILABLE,
                    TEXT,
                    "the cluster view is not synced yet, or a watch of it is failing (see the log)\n",
                )
            }
        }
        "/metrics" => reply(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            state.metrics.render(),
        ),
        _ => validate(&state, req).await,
    })
}

async fn validate(state: &Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    let limit = state.reviewer.config().max_body;
    // The request's time limit covers reading its body too: a client that sends the
    // headers and trickles the body is answered, and its buffer freed, in time.
    let deadline = tokio::time::Instant::from_std(started + state.reviewer.config().timeout);
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let _permit = match declared.is_some_and(|n| n <= JUDGED_HERE_MAX) {
        true => None,
        false => match tokio::time::timeout_at(deadline, state.large_bodies.acquire()).await {
            Ok(Ok(permit)) => Some(permit),
            _ => return too_busy(state),
        },
    };
    let reading = Limited::new(req.into_body(), limit).collect();
    let body = match tokio::time::timeout_at(deadline, reading).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return too_large(state, limit);
        }
        Ok(Err(e)) => {
            return bad_request(state, &format!("the body could not be read: {e}"));
        }
        Err(_) => {
            return refuse(
                state,
                StatusCode::REQUEST_TIMEOUT,
                "the body did not arrive within the time limit",
            )
        }
    };
    let verdict = within_time_limit(&state.reviewer, body).await;
    match verdict {
        Answer::BadRequest(why) => bad_request(state, &why),
        Answer::Review(v) => {
            state
                .metrics
                .review(started.elapsed(), v.decision, v.dry_run, &v.fired);
            if let Some(line) = v.log_line() {
                state.log.line(&line);
            }
            reply(
                StatusCode::OK,
                "application/json",
                v.response.to_review_json(),
            )
        }
    }
}

fn bad_request(state: &State, why: &str) -> Response<Body> {
    refuse(state, StatusCode::BAD_REQUEST, why)
}

/// A body over `maxBodyBytes`: 413, once the limit is read (answering before
/// reading would reset the connection under the client's unsent body).
fn too_large(state: &State, limit: usize) -> Response<Body> {
    refuse(
        state,
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the body is over the limit of {limit} bytes (maxBodyBytes)"),
    )
}

/// A request answered with no AdmissionReview (the API server applies the failure
/// policy to it).
fn refuse(state: &State, status: StatusCode, why: &str) -> Response<Body> {
    state.metrics.bad_request();
    // The API server shows its user only "rejected our request for an unknown reason":
    // the log says which.
    state
        .log
        .line(&format!("answered {}: {why}", status.as_u16()));
    reply(
        status,
        "text/plain; charset=utf-8",
        format!("kubeharden: {why}\n"),
    )
}

/// More large bodies than [`LARGE_BODIES_AT_ONCE`] waited past the time limit: 503,
/// which the API server treats as the webhook failing (its failure policy decides).
fn too_busy(state: &State) -> Response<Body> {
    state.metrics.bad_request();
    reply(
        StatusCode::SERVICE_UNAVAILABLE,
        "text/plain; charset=utf-8",
        "kubeharden: too many large requests at once; try again\n",
    )
}

/// The largest body judged on the connection's own task rather than on the blocking
/// pool. A review's cost grows with its object; the real corpus's largest review
/// (13.7 KB) is judged in well under a millisecond, while handing every review to a
/// pool thread and back cost about a sixth of the server's CPU (task switches) under
/// load. A larger body, which may take long, keeps the pool and its time limit.
pub const JUDGED_HERE_MAX: usize = 32 * 1024;

/// Judges a body; past the configured time, the failure policy answers. A small
/// body is judged on this task and its verdict dropped if it came too late; a larger
/// one on the blocking pool, abandoned at the limit (the judging thread finishes in
/// the background, unheard).
pub async fn within_time_limit(reviewer: &Arc<Reviewer>, body: Bytes) -> Answer {
    let limit = reviewer.config().timeout;
    if body.len() <= JUDGED_HERE_MAX {
        return judge_here(reviewer, &body, limit);
    }
    let worker = reviewer.clone();
    let input = body.clone();
    let judged = tokio::task::spawn_blocking(move || worker.answer(&input));
    match tokio::time::timeout(limit, judged).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(panicked)) => {
            answer_failure(reviewer, &body, &format!("internal error: {panicked}"))
        }
        Err(_) => answer_failure(reviewer, &body, &too_long(limit)),
    }
}

/// Judges a body on this thread. A panic in the rules is answered by the failure
/// policy, as on the blocking pool; so is a verdict reached after `limit`.
fn judge_here(reviewer: &Reviewer, body: &[u8], limit: Duration) -> Answer {
    let started = Instant::now();
    let judged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reviewer.answer(body)));
    match judged {
        Err(panicked) => {
            let what = panicked
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| panicked.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("a panic");
            answer_failure(reviewer, body, &format!("internal error: {what}"))
        }
        Ok(_) if started.elapsed() > limit => answer_failure(reviewer, body, &too_long(limit)),
        Ok(answer) => answer,
    }
}

fn too_long(limit: Duration) -> String {
    format!("the review took longer than {} ms", limit.as_millis())
}

fn answer_failure(reviewer: &Reviewer, body: &[u8], why: &str) -> Answer {
    match review::uid_of(body) {
        Some(uid) => Answer::Review(reviewer.failed(&uid, why)),
        None => Answer::BadRequest(why.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    /// A pod with many containers, to make a review take some time.
    fn big_review() -> Bytes {
        let body = review_of(crate::MAX_CONTAINERS);
        assert!(body.len() > JUDGED_HERE_MAX, "judged on the blocking pool");
        body
    }

    /// A review of a pod with `n` privileged containers.
    fn review_of(n: usize) -> Bytes {
        let containers: Vec<serde_json::Value> = (0..n)
            .map(|i| serde_json::json!({"name": format!("c{i}"), "image": "nginx", "securityContext": {"privileged": true}}))
            .collect();
        let body = serde_json::json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "slow", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "namespace": "shop", "name": "p", "operation": "CREATE",
                "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"},
                           "spec": {"containers": containers}}}});
        serde_json::to_vec(&body).unwrap().into()
    }

    fn reviewer(extra: &str) -> Arc<Reviewer> {
        let text = format!("defaults: {{enforce: low}}\n{extra}");
        Arc::new(Reviewer::new(Config::parse("t.yaml", &text).unwrap(), None).unwrap())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_time_limit_answers_by_the_failure_policy() {
        for (policy, allowed) in [("Fail", false), ("Ignore", true)] {
            let r = reviewer(&format!("timeoutMs: 1\nfailurePolicy: {policy}\n"));
            let Answer::Review(v) = within_time_limit(&r, big_review()).await else {
                panic!("no review answer");
            };
            assert_eq!(v.decision, crate::Decision::Error);
            assert_eq!(v.response.uid, "slow");
            assert_eq!(v.response.allowed, allowed);
            let text = format!("{:?}", v.response);
            assert!(text.contains("longer than 1 ms"), "{text}");
        }
        // With time enough, the same review is judged.
        let patient = reviewer("timeoutMs: 120000\n");
        let Answer::Review(v) = within_time_limit(&patient, big_review()).await else {
            panic!("no review answer");
        };
        assert_eq!(v.decision, crate::Decision::Denied);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_review_is_judged_here_and_a_late_verdict_is_not_given() {
        let small = review_of(2);
        assert!(small.len() <= JUDGED_HERE_MAX);
        let r = reviewer("failurePolicy: Fail\n");
        let Answer::Review(v) = within_time_limit(&r, small.clone()).await else {
            panic!("no review answer");
        };
        assert_eq!(v.decision, crate::Decision::Denied);
        // A verdict reached after the limit is replaced by the failure policy's answer.
        let Answer::Review(late) = judge_here(&r, &small, Duration::ZERO) else {
            panic!("no review answer");
        };
        assert_eq!(late.decision, crate::Decision::Error);
        assert!(!late.response.allowed);
        let text = format!("{:?}", late.response);
        assert!(text.contains("longer than 0 ms"), "{text}");
    }

    #[test]
    fn an_expired_or_not_yet_valid_certificate_is_named_with_its_date() {
        let valid = Validity {
            not_before: Some(1_000),
            not_after: Some(2_000_000),
            told_expired: false,
        };
        assert_eq!(valid.problem(1_500), None);
        assert_eq!(
            valid.problem(3_000_000).as_deref(),
            Some("expired on 1970-01-24")
        );
        assert_eq!(
            valid.problem(10).as_deref(),
            Some("is not valid before 1970-01-01")
        );
        // A certificate whose dates cannot be read is not called expired.
        let unknown = Validity {
            not_before: None,
            not_after: None,
            told_expired: false,
        };
        assert_eq!(unknown.problem(3_000_000), None);
    }

    #[test]
    fn a_served_certificate_that_runs_out_is_told_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut served = Validity {
            not_before: Some(0),
            not_after: Some(unix_now() - 5),
            told_expired: false,
        };
        served.tell_when_it_runs_out(&dir.path().join("tls.crt"));
        assert!(served.told_expired);
        let mut fresh = Validity {
            not_after: Some(unix_now() + 3_600),
            ..served
        };
        fresh.told_expired = false;
        fresh.tell_when_it_runs_out(&dir.path().join("tls.crt"));
        assert!(!fresh.told_expired);
    }

    #[test]
    fn a_bad_certificate_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("tls.crt");
        let key = dir.path().join("tls.key");
        std::fs::write(&cert, "not pem").unwrap();
        std::fs::write(&key, "not pem").unwrap();
        let err = load_certified_key(&cert, &key).unwrap_err().to_string();
        assert!(err.contains("tls.crt"), "{err}");
        let missing = load_certified_key(&dir.path().join("nope"), &key)
            .unwrap_err()
            .to_string();
        assert!(missing.contains("nope"), "{missing}");
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let make = || crate::certs::generate(vec!["127.0.0.1".to_string()], 30).unwrap();
        let ((_, one_cert, one_key), (_, _, other_key)) = (make(), make());
        let cert = write("tls.crt", one_cert);
        let key = write("tls.key", one_key);
        assert!(load_certified_key(&cert, &key).is_ok());
        let stale = write("old.key", other_key);
        let err = load_certified_key(&cert, &stale).unwrap_err().to_string();
        assert!(
            err.contains("old.key is not the key of the certificate in") && err.contains("tls.crt"),
            "{err}"
        );
    }
}
