//! The project's `.kubeharden.yaml` (`serve --exceptions`): read at start, and again
//! when the file changes (a ConfigMap update reaches a mounted file without a
//! restart), as the certificate is. An exception past its `expires` day covers
//! nothing: `serve` says so when it reads the file and on the day one expires, so a
//! refusal that starts on that day has its cause in the log.

use std::path::PathBuf;
use std::sync::Arc;

use kubeharden_exceptions::{Config, Date};

use crate::judge::Reviewer;
use crate::server::{stamp, RELOAD_EVERY};

/// One warning for each exception of `project` that has expired on `today`.
pub fn expired_warnings(project: &Config, today: Date) -> Vec<String> {
    expired_between(project, None, today)
}

/// The exceptions that expired after `since` (every one expired, without it), up to
/// `today`.
fn expired_between(project: &Config, since: Option<Date>, today: Date) -> Vec<String> {
    project
        .exceptions
        .iter()
        .filter(|e| e.expired(today) && !since.is_some_and(|day| e.expired(day)))
        .map(|e| {
            let day = e.expires.map(|d| d.to_string()).unwrap_or_default();
            format!(
                "warning: {}:{}:{}: exception expired on {day}; it no longer admits what it covered",
                e.file, e.pos.line, e.pos.col
            )
        })
        .collect()
}

/// Polls the project file and hands a new version that reads to `reviewer`; a
/// version with a mistake is logged and the current one kept. Logs the exceptions
/// that have expired at each reading and on each day that passes.
pub async fn watch(reviewer: Arc<Reviewer>, path: PathBuf, log: impl Fn(String) + Send) {
    let mut seen = stamp(&path);
    let mut day = kubeharden_exceptions::today();
    loop {
        tokio::time::sleep(RELOAD_EVERY).await;
        let today = kubeharden_exceptions::today();
        let now = stamp(&path);
        if now != seen {
            // Each version of the file is told about once: a mistake left in it is
            // one line, not one every 2 s; the next edit is read again.
            seen = now;
            match Config::load(&path) {
                Ok(project) => {
                    let expired = expired_warnings(&project, today);
                    reviewer.set_project(project);
                    log(format!("exceptions reloaded from {}", path.display()));
                    expired.into_iter().for_each(&log);
                }
                Err(e) => log(format!("keeping the current exceptions: {e}")),
            }
        } else if today != day {
            if let Some(project) = reviewer.project() {
                expired_between(&project, Some(day), today)
                    .into_iter()
                    .for_each(&log);
            }
        }
        day = today;
    }
}
