//! GET requests with a timeout, a size cap, and retries with exponential backoff
//! where the failure is transient (no connection, no answer in time, 429, 5xx
//! overload). What the server refuses (403, 404, 410) is not retried: the caller
//! decides what it means.

use std::time::Duration;

use http_body_util::{BodyExt, Limited};
use kube::Client;

/// The largest answer read (one LIST page, one object): a larger one is an error.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024 * 1024;

/// Why a request gave no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// 403: the identity may not read it. The server's message.
    Forbidden(String),
    /// 404: the server does not serve it (or no longer: a custom resource definition
    /// removed while reading).
    NotFound(String),
    /// 410: a LIST's continue token expired. The server may give a token to go on
    /// with (an inconsistent list).
    Expired {
        message: String,
        next: Option<String>,
    },
    /// Anything else, after the retries.
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Forbidden(m) => write!(f, "forbidden: {m}"),
            Failure::NotFound(m) => write!(f, "not found: {m}"),
            Failure::Expired { message, .. } => write!(f, "expired: {message}"),
            Failure::Other(m) => f.write_str(m),
        }
    }
}

/// One attempt's outcome when it failed.
enum Attempt {
    Final(Failure),
    /// Worth another try, after at least this long (`Retry-After`).
    Transient(String, Option<Duration>),
}

pub(crate) struct Fetcher {
    pub client: Client,
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
}

/// The delay before retry `attempt` (1-based): 0.5 s, 1 s, 2 s, ... up to 8 s.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let millis = 500u64.saturating_mul(1 << attempt.saturating_sub(1).min(4));
    Duration::from_millis(millis.min(8000))
}

impl Fetcher {
    /// GETs `path`. `on_retry(attempt, reason)` is told of each retry.
    pub async fn get(
        &self,
        path: &str,
        on_retry: &mut dyn FnMut(u32, &str),
    ) -> Result<Vec<u8>, Failure> {
        let mut attempt = 0;
        loop {
            let outcome = match tokio::time::timeout(self.timeout, self.once(path)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(Attempt::Transient(
                    format!("no answer in {} s", self.timeout.as_secs()),
                    None,
                )),
            };
            match outcome {
                Ok(bytes) => return Ok(bytes),
                Err(Attempt::Final(failure)) => return Err(failure),
                Err(Attempt::Transient(reason, after)) => {
                    attempt += 1;
                    if attempt > self.retries {
                        return Err(Failure::Other(format!(
                            "{reason} (after {attempt} attempt{})",
                            if attempt == 1 { "" } else { "s" }
                        )));
                    }
                    on_retry(attempt, &reason);
                    let wait = backoff(attempt).max(after.unwrap_or_default());
                    tokio::time::sleep(wait.min(Duration::from_secs(60))).await;
                }
            }
        }
    }

    async fn once(&self, path: &str) -> Result<Vec<u8>, Attempt> {
        let request = http::Request::get(path)
            .header(http::header::ACCEPT, "application/json")
            .body(kube::client::Body::empty())
            .map_err(|e| Attempt::Final(Failure::Other(format!("bad request {path}: {e}"))))?;
        let response = self.client.send(request).await.map_err(|e| {
            // A credential plugin or token that fails will fail again.
            if crate::describe::is_auth(&e) || !crate::describe::transient(&e) {
                Attempt::Final(Failure::Other(crate::describe::describe(&e)))
            } else {
                Attempt::Transient(crate::describe::describe(&e), None)
            }
        })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| {
                let reason = format!("cannot read the answer to {path}: {e}");
                if e.is::<http_body_util::LengthLimitError>() {
                    Attempt::Final(Failure::Other(format!(
                        "the answer to {path} is larger than {MAX_ANSWER_BYTES} bytes"
                    )))
                } else {
                    Attempt::Transient(reason, None)
                }
            })?
            .to_bytes()
            .to_vec();
        if status.is_success() {
            return Ok(body);
        }
        let message = status_message(&body).unwrap_or_else(|| status.to_string());
        Err(match status.as_u16() {
            401 => Attempt::Final(Failure::Other(format!("unauthorized: {message}"))),
            403 => Attempt::Final(Failure::Forbidden(message)),
            404 => Attempt::Final(Failure::NotFound(message)),
            410 => Attempt::Final(Failure::Expired {
                message,
                next: status_continue(&body),
            }),
            429 | 500 | 502 | 503 | 504 => {
                Attempt::Transient(format!("{status}: {message}"), retry_after)
            }
            _ => Attempt::Final(Failure::Other(format!("{status}: {message}"))),
        })
    }
}

#[derive(serde::Deserialize)]
struct Status {
    message: Option<String>,
    metadata: Option<StatusMeta>,
}

#[derive(serde::Deserialize)]
struct StatusMeta {
    #[serde(rename = "continue")]
    next: Option<String>,
}

/// The `message` of a `Status` answer.
fn status_message(body: &[u8]) -> Option<String> {
    let status: Status = serde_json::from_slice(body).ok()?;
    status.message.filter(|m| !m.is_empty())
}

/// The continue token a 410 `Status` offers, to go on with an inconsistent list.
fn status_continue(body: &[u8]) -> Option<String> {
    let status: Status = serde_json::from_slice(body).ok()?;
    status.metadata?.next.filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        let waits: Vec<u64> = (1..=7).map(|a| backoff(a).as_millis() as u64).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
    }

    #[test]
    fn status_answers_give_their_message_and_continue_token() {
        let gone = br#"{"kind":"Status","message":"The provided continue parameter is too old","metadata":{"continue":"next"}}"#;
        assert_eq!(
            status_message(gone).as_deref(),
            Some("The provided continue parameter is too old")
        );
        assert_eq!(status_continue(gone).as_deref(), Some("next"));
        assert_eq!(status_message(b"<html>"), None);
    }
}
