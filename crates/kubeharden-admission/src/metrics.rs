//! Prometheus metrics in the text exposition format (version 0.0.4), written by
//! hand: a latency histogram and three counters need no registry, and the
//! `prometheus` crate would bring protobuf and a global registry for them.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::judge::{Decision, Mode};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
pub struct Metrics {
    /// Per bucket (and +Inf last): reviews that took at most its bound.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    /// Total time, in nanoseconds.
    sum_nanos: AtomicU64,
    reviews: Mutex<BTreeMap<(Decision, bool), u64>>,
    rules: Mutex<BTreeMap<(&'static str, Mode), u64>>,
    bad_requests: AtomicU64,
    reloads: AtomicU64,
    /// The served certificate's notAfter, in Unix seconds (0: unknown).
    certificate_expiry: std::sync::atomic::AtomicI64,
}

impl Metrics {
    /// Records one answered review.
    pub fn review(
        &self,
        elapsed: Duration,
        decision: Decision,
        dry_run: bool,
        fired: &[(&'static str, Mode)],
    ) {
        let seconds = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        *lock(&self.reviews).entry((decision, dry_run)).or_default() += 1;
        if !fired.is_empty() {
            let mut rules = lock(&self.rules);
            for key in fired {
                *rules.entry(*key).or_default() += 1;
            }
        }
    }

    /// Records a request answered with no AdmissionReview (400, 408, 413, 503).
    pub fn bad_request(&self) {
        self.bad_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a certificate reload.
    pub fn reload(&self) {
        self.reloads.fetch_add(1, Ordering::Relaxed);
    }

    /// Records when the served certificate expires, for an alert before it does.
    pub fn certificate_expires(&self, not_after: Option<i64>) {
        self.certificate_expiry
            .store(not_after.unwrap_or(0), Ordering::Relaxed);
    }

    /// The exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let name = "kubeharden_admission_review_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time to judge an AdmissionReview, from the body read to the answer."
        );
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, count) in self.buckets.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            let le = BUCKETS.get(i).map_or("+Inf".to_string(), |b| b.to_string());
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
        }
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {cumulative}");

        let name = "kubeharden_admission_reviews_total";
        let _ = writeln!(out, "# HELP {name} AdmissionReviews answered, by decision.");
        let _ = writeln!(out, "# TYPE {name} counter");
        for ((decision, dry_run), n) in lock(&self.reviews).iter() {
            let d = decision.as_str();
            let _ = writeln!(out, "{name}{{decision=\"{d}\",dry_run=\"{dry_run}\"}} {n}");
        }

        let name = "kubeharden_admission_rule_decisions_total";
        let _ = writeln!(out, "# HELP {name} Findings that acted, by rule and mode (enforce refused, warn warned, audit annotated).");
        let _ = writeln!(out, "# TYPE {name} counter");
        for ((rule, mode), n) in lock(&self.rules).iter() {
            let m = mode.as_str();
            let _ = writeln!(out, "{name}{{rule=\"{rule}\",mode=\"{m}\"}} {n}");
        }

        for (name, help, value) in [
            (
                "kubeharden_admission_bad_requests_total",
                "Requests answered with no AdmissionReview (HTTP 400, 408, 413, 503).",
                &self.bad_requests,
            ),
            (
                "kubeharden_admission_certificate_reloads_total",
                "Serving certificates loaded after the first.",
                &self.reloads,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
        let name = "kubeharden_admission_certificate_expiry_timestamp_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} When the served certificate expires (notAfter, Unix time)."
        );
        let _ = writeln!(out, "# TYPE {name} gauge");
        let expiry = self.certificate_expiry.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name} {expiry}");
        out
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reviews_land_in_their_bucket_and_counters() {
        let m = Metrics::default();
        m.review(
            Duration::from_micros(300),
            Decision::Denied,
            false,
            &[("KH101", Mode::Enforce)],
        );
        m.review(Duration::from_secs(10), Decision::Allowed, true, &[]);
        m.bad_request();
        let text = m.render();
        assert!(
            text.contains(
                "kubeharden_admission_review_duration_seconds_bucket{le=\"0.00025\"} 0\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("kubeharden_admission_review_duration_seconds_bucket{le=\"0.0005\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("kubeharden_admission_review_duration_seconds_bucket{le=\"+Inf\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("kubeharden_admission_review_duration_seconds_count 2\n"));
        assert!(text.contains(
            "kubeharden_admission_reviews_total{decision=\"denied\",dry_run=\"false\"} 1\n"
        ));
        assert!(text.contains(
            "kubeharden_admission_reviews_total{decision=\"allowed\",dry_run=\"true\"} 1\n"
        ));
        assert!(text.contains(
            "kubeharden_admission_rule_decisions_total{rule=\"KH101\",mode=\"enforce\"} 1\n"
        ));
        assert!(text.contains("kubeharden_admission_bad_requests_total 1\n"));
    }
}
