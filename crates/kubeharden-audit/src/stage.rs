//! One request, one event. The log backend writes up to four stages of a request
//! under one auditID: `RequestReceived` (no response yet), `ResponseStarted` (long
//! running requests such as watch, exec and port-forward, whose headers went out
//! first; and failed authentications, which are logged only at this stage),
//! `ResponseComplete` and `Panic`. A request counts at the first stage that carries
//! its response, so a failed login or an exec is seen as soon as it is logged, and
//! the later stage of the same request is not counted again.

use std::collections::{HashSet, VecDeque};

use crate::event::Event;

/// Long-running requests whose `ResponseStarted` has been counted and whose last
/// stage has not come yet. Bounded: beyond it the oldest are forgotten (their last
/// stage, if it ever comes, would count a second time).
const MAX_OPEN: usize = 1 << 16;

#[derive(Debug, Default)]
pub struct Requests {
    open: HashSet<Box<str>>,
    order: VecDeque<Box<str>>,
}

impl Requests {
    /// Whether `event` is the one that stands for its request.
    pub fn admit(&mut self, event: &Event<'_>) -> bool {
        match &*event.stage {
            "RequestReceived" => false,
            "ResponseStarted" => {
                self.remember(&event.audit_id);
                true
            }
            "ResponseComplete" | "Panic" => {
                self.open.is_empty() || !self.open.remove(&*event.audit_id)
            }
            // No stage: not written by the log backend; each event is a request.
            _ => true,
        }
    }

    fn remember(&mut self, id: &str) {
        if id.is_empty() {
            return;
        }
        if self.order.len() >= MAX_OPEN {
            if let Some(old) = self.order.pop_front() {
                self.open.remove(&old);
            }
        }
        self.open.insert(id.into());
        self.order.push_back(id.into());
    }

    /// Requests still waiting for their last stage.
    pub fn open(&self) -> usize {
        self.open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, stage: &str, code: Option<u16>) -> String {
        let status = code
            .map(|c| format!(r#","responseStatus":{{"metadata":{{}},"code":{c}}}"#))
            .unwrap_or_default();
        format!(r#"{{"auditID":"{id}","stage":"{stage}","verb":"get"{status}}}"#)
    }

    fn admitted(lines: &[String]) -> Vec<(String, String)> {
        let mut requests = Requests::default();
        lines
            .iter()
            .map(|l| serde_json::from_str::<Event<'_>>(l).unwrap())
            .filter(|e| requests.admit(e))
            .map(|e| (e.audit_id.to_string(), e.stage.to_string()))
            .collect()
    }

    #[test]
    fn each_request_counts_once_at_its_first_response() {
        let lines = [
            event("get", "RequestReceived", None),
            event("get", "ResponseComplete", Some(200)),
            event("watch", "RequestReceived", None),
            event("watch", "ResponseStarted", Some(200)),
            event("login", "ResponseStarted", Some(401)),
            event("watch", "ResponseComplete", Some(200)),
            event("boom", "RequestReceived", None),
            event("boom", "Panic", Some(500)),
        ];
        let got = admitted(&lines);
        let want = [
            ("get", "ResponseComplete"),
            ("watch", "ResponseStarted"),
            ("login", "ResponseStarted"),
            ("boom", "Panic"),
        ];
        assert_eq!(got.len(), want.len(), "{got:?}");
        for ((id, stage), (wid, wstage)) in got.iter().zip(want) {
            assert_eq!((id.as_str(), stage.as_str()), (wid, wstage));
        }
    }

    #[test]
    fn open_requests_stay_bounded() {
        let mut requests = Requests::default();
        for i in 0..MAX_OPEN + 10 {
            let line = event(&format!("w{i}"), "ResponseStarted", Some(200));
            assert!(requests.admit(&serde_json::from_str(&line).unwrap()));
        }
        assert_eq!(requests.open(), MAX_OPEN);
    }
}
