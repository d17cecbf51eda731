//! The HTTPS server end to end on loopback: routes, health, metrics, limits, and the
//! certificate reloaded when its files change.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kubeharden_admission::{Config, Reviewer, ServeOptions, Server};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// A CA, and a certificate for 127.0.0.1 it signed, with its key.
struct Pair {
    ca: String,
    cert: String,
    key: String,
}

fn test_certificates() -> Pair {
    let (ca, cert, key) =
        kubeharden_admission::certs::generate(vec!["127.0.0.1".into()], 30).unwrap();
    Pair { ca, cert, key }
}

fn write_pair(dir: &Path, certs: &Pair) {
    // Written aside and renamed in, as a Secret volume swaps its files.
    for (name, text) in [("tls.crt", &certs.cert), ("tls.key", &certs.key)] {
        let tmp = dir.join(format!(".{name}"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, dir.join(name)).unwrap();
    }
}

/// One request over a new TLS connection trusting `ca`: (status, body).
async fn request(port: u16, ca: &str, head: &str, body: &[u8]) -> std::io::Result<(u16, String)> {
    let (status, _, body) = request_with_headers(port, ca, head, body).await?;
    Ok((status, body))
}

/// One request over a new TLS connection trusting `ca`: (status, headers, body).
async fn request_with_headers(
    port: u16,
    ca: &str,
    head: &str,
    body: &[u8],
) -> std::io::Result<(u16, String, String)> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.as_bytes()).unwrap())
        .unwrap();
    let config = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let mut tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await?;
    let text = format!(
        "{head} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    tls.write_all(text.as_bytes()).await?;
    tls.write_all(body).await?;
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await?;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer[9..12].parse().unwrap();
    let (headers, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    Ok((status, headers.to_string(), body.to_string()))
}

const REVIEW: &str = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},"namespace":"shop","name":"p","operation":"CREATE","userInfo":{"username":"alice"},"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"shop"},"spec":{"containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true}}]}}}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_reviews_health_and_metrics_and_reloads_its_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let first = test_certificates();
    write_pair(dir.path(), &first);
    let config =
        Config::parse("t.yaml", "defaults: {enforce: high}\nmaxBodyBytes: 65536\n").unwrap();
    let reviewer = Arc::new(Reviewer::new(config, None).unwrap());
    let options = ServeOptions {
        addr: "127.0.0.1:0".parse().unwrap(),
        cert: dir.path().join("tls.crt"),
        key: dir.path().join("tls.key"),
    };
    let server = Server::bind(options, reviewer, None).await.unwrap();
    let port = server.local_addr().unwrap().port();
    tokio::spawn(server.run());

    let (status, body) = request(port, &first.ca, "POST /validate", REVIEW.as_bytes())
        .await
        .unwrap();
    assert_eq!(status, 200);
    let review: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(review["response"]["uid"], "u-1");
    assert_eq!(review["response"]["allowed"], false);
    assert!(review["response"]["status"]["message"]
        .as_str()
        .unwrap()
        .contains("KH101"));

    assert_eq!(
        request(port, &first.ca, "GET /healthz", b"").await.unwrap(),
        (200, "ok\n".into())
    );
    assert_eq!(
        request(port, &first.ca, "GET /readyz", b"")
            .await
            .unwrap()
            .0,
        200
    );
    assert_eq!(
        request(port, &first.ca, "GET /nowhere", b"")
            .await
            .unwrap()
            .0,
        404
    );
    // A path served by another method: 405, with the method to use in `Allow`.
    for (head, allow) in [("GET /validate", "POST"), ("POST /healthz", "GET")] {
        let (status, headers, body) = request_with_headers(port, &first.ca, head, b"")
            .await
            .unwrap();
        assert_eq!(status, 405, "{head}: {body}");
        assert!(
            headers
                .lines()
                .any(|l| l.eq_ignore_ascii_case(&format!("allow: {allow}"))),
            "{head}: {headers}"
        );
    }
    let (status, body) = request(port, &first.ca, "POST /validate", b"{oops")
        .await
        .unwrap();
    assert_eq!(status, 400, "{body}");
    // Over --max-body: 413, Payload Too Large, not a malformed request.
    let big = vec![b' '; 70_000];
    let (status, body) = request(port, &first.ca, "POST /validate", &big)
        .await
        .unwrap();
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("over the limit of 65536"), "{body}");

    let (status, metrics) = request(port, &first.ca, "GET /metrics", b"").await.unwrap();
    assert_eq!(status, 200);
    assert!(
        metrics.contains(
            "kubeharden_admission_reviews_total{decision=\"denied\",dry_run=\"false\"} 1\n"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "kubeharden_admission_rule_decisions_total{rule=\"KH101\",mode=\"enforce\"} 1\n"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("kubeharden_admission_bad_requests_total 2\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kubeharden_admission_review_duration_seconds_count 1\n"),
        "{metrics}"
    );
    // When the served certificate expires, for an alert before it does: the test
    // certificate is valid for days to come.
    let expiry: i64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("kubeharden_admission_certificate_expiry_timestamp_seconds "))
        .expect("an expiry gauge")
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(expiry > now + 86_400, "{metrics}");

    // A new pair from another CA: served within a few seconds, and the old CA no
    // longer verifies the server.
    let second = test_certificates();
    write_pair(dir.path(), &second);
    let mut reloaded = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if request(port, &second.ca, "GET /healthz", b"").await.is_ok() {
            reloaded = true;
            break;
        }
    }
    assert!(reloaded, "the new certificate was not served");
    assert!(request(port, &first.ca, "GET /healthz", b"").await.is_err());
    let (_, metrics) = request(port, &second.ca, "GET /metrics", b"")
        .await
        .unwrap();
    assert!(
        metrics.contains("kubeharden_admission_certificate_reloads_total 1\n"),
        "{metrics}"
    );

    // A broken pair is not taken: the server keeps the one it has.
    std::fs::write(dir.path().join("tls.crt"), "garbage").unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(request(port, &second.ca, "GET /healthz", b"").await.is_ok());
}

/// A client that sends its headers and trickles the body is answered 408 within the
/// request's time limit, its buffer freed; one that opens a connection and sends
/// nothing is cut off (slowloris); a review sent at once is still judged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let pair = test_certificates();
    write_pair(dir.path(), &pair);
    let config = Config::parse("t.yaml", "defaults: {enforce: high}\ntimeoutMs: 300\n").unwrap();
    let reviewer = Arc::new(Reviewer::new(config, None).unwrap());
    let options = ServeOptions {
        addr: "127.0.0.1:0".parse().unwrap(),
        cert: dir.path().join("tls.crt"),
        key: dir.path().join("tls.key"),
    };
    let server = Server::bind(options, reviewer, None).await.unwrap();
    let port = server.local_addr().unwrap().port();
    tokio::spawn(server.run());

    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pair.ca.as_bytes()).unwrap())
        .unwrap();
    let client = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connect = || async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        TlsConnector::from(Arc::new(client.clone()))
            .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
            .await
            .unwrap()
    };
    // Headers, then a tenth of the body, then nothing.
    let mut tls = connect().await;
    let head = "POST /validate HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 3000000\r\n\r\n";
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(&vec![b' '; 300_000]).await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = vec![0; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut answer))
        .await
        .expect("answered within the time limit")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("did not arrive within the time limit"),
        "{answer}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));

    // Still serving.
    let (status, _) = request(port, &pair.ca, "POST /validate", REVIEW.as_bytes())
        .await
        .unwrap();
    assert_eq!(status, 200);

    // A connection that sends no request is closed after the headers' time.
    let mut idle = connect().await;
    let closed = tokio::time::timeout(Duration::from_secs(20), idle.read(&mut [0; 16])).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "{closed:?}");
}
