//! Running detectors over a stream of events and merging what they report.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use kubeharden_policy::cidr::Cidr;
use serde::Serialize;

use crate::event::Event;
use crate::read::{read_events, Input, MalformedLines, ReadError, ReadLimits, ReadOptions};

/// Thresholds, windows and lists the detectors read. Every field has a default that
/// suits a production cluster; the CLI can change them.
#[derive(Clone, Debug)]
pub struct AuditConfig {
    /// Failed logins (401) from one address within `window`: brute force.
    pub brute_force_failures: usize,
    /// Distinct users failing from one address within `window`: password spraying.
    pub spray_users: usize,
    /// Forbidden (403) answers to one user within `window`: permission probing.
    pub probe_forbidden: usize,
    /// Secret reads (get) by one subject within `window`: bulk reading.
    pub secret_reads: usize,
    /// The window of the counting detectors and of the attack chain, in seconds.
    pub window: f64,
    /// Users and service accounts allowed to read Secrets in bulk (globs, `*`).
    pub secret_readers: Vec<String>,
    /// Users and service accounts allowed to exec, attach and port-forward (globs, `*`).
    pub exec_allowed: Vec<String>,
    /// Pod and node address ranges: pod creation from them suggests a breakout.
    pub cluster_cidrs: Vec<Cidr>,
    /// Anonymizing networks and other denied ranges (`--deny-list`).
    pub deny_list: Vec<Cidr>,
    /// Networks service-account tokens are expected to come from.
    pub internal_cidrs: Vec<Cidr>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        let private = [
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "127.0.0.0/8",
            "fc00::/7",
            "::1/128",
        ];
        AuditConfig {
            brute_force_failures: 10,
            spray_users: 5,
            probe_forbidden: 20,
            secret_reads: 50,
            window: 600.0,
            secret_readers: Vec::new(),
            exec_allowed: Vec::new(),
            cluster_cidrs: Vec::new(),
            deny_list: Vec::new(),
            internal_cidrs: private.iter().filter_map(|c| Cidr::parse(c)).collect(),
        }
    }
}

/// Where an event is: its input, line and time.
#[derive(Clone, Debug)]
pub struct At {
    pub file: Arc<str>,
    pub line: u64,
    pub time: f64,
}

/// One thing a detector saw; observations with the same rule and key merge into one
/// alert.
#[derive(Clone, Debug)]
pub struct Observation {
    pub rule_id: &'static str,
    /// What makes alerts distinct, e.g. the source address of a brute force.
    pub key: String,
    /// Who did it: a user, service account or address.
    pub subject: String,
    pub message: String,
    /// The object concerned: (resource, namespace, name).
    pub object: Option<(String, Option<String>, Option<String>)>,
    /// How many events this observation stands for.
    pub count: u64,
    /// `count` is a running total (of a threshold detector's window), not an increment:
    /// the alert keeps the largest, and the latest message.
    pub running_total: bool,
}

/// Alerts: observations merged per rule and key.
#[derive(Clone, Debug, Serialize)]
pub struct Alert {
    pub rule_id: &'static str,
    pub subject: String,
    #[serde(skip)]
    pub key: String,
    pub message: String,
    pub source_ips: Vec<String>,
    /// First and last event time (seconds since the epoch).
    pub first_seen: f64,
    pub last_seen: f64,
    pub count: u64,
    /// Audit IDs of up to five example events.
    pub audit_ids: Vec<String>,
    pub file: Arc<str>,
    pub line: u64,
    #[serde(skip)]
    pub object: Option<(String, Option<String>, Option<String>)>,
}

/// Where detectors report.
#[derive(Debug, Default)]
pub struct AlertSink {
    alerts: BTreeMap<(&'static str, String), Alert>,
    /// Called with each new alert (follow mode prints them as they come); `false`
    /// stops the analysis (no one reads the alerts any more).
    pub on_new: Option<fn(&Alert) -> bool>,
    stopped: bool,
}

impl AlertSink {
    pub fn raise(&mut self, obs: Observation, event: &Event<'_>, at: &At) {
        let key = (obs.rule_id, obs.key.clone());
        let ip = event.source_ip().to_string();
        let mut is_new = false;
        let alert = self.alerts.entry(key).or_insert_with(|| {
            is_new = true;
            Alert {
                rule_id: obs.rule_id,
                subject: obs.subject.clone(),
                key: obs.key.clone(),
                message: obs.message.clone(),
                source_ips: Vec::new(),
                first_seen: at.time,
                last_seen: at.time,
                count: 0,
                audit_ids: Vec::new(),
                file: at.file.clone(),
                line: at.line,
                object: obs.object.clone(),
            }
        });
        if obs.running_total {
            if obs.count >= alert.count {
                alert.message = obs.message.clone();
            }
            alert.count = alert.count.max(obs.count);
        } else {
            alert.count += obs.count;
        }
        alert.last_seen = alert.last_seen.max(at.time);
        alert.first_seen = alert.first_seen.min(at.time);
        if !ip.is_empty() && !alert.source_ips.contains(&ip) && alert.source_ips.len() < 20 {
            alert.source_ips.push(ip);
        }
        if alert.audit_ids.len() < 5 && !event.audit_id.is_empty() {
            alert.audit_ids.push(event.audit_id.to_string());
        }
        if is_new {
            if let Some(f) = self.on_new {
                self.stopped |= !f(alert);
            }
        }
    }

    /// Whether `on_new` asked to stop.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    pub fn into_alerts(self) -> Vec<Alert> {
        let mut alerts: Vec<Alert> = self.alerts.into_values().collect();
        alerts.sort_by(|a, b| {
            (&a.file, a.line, a.rule_id, &a.key).cmp(&(&b.file, b.line, b.rule_id, &b.key))
        });
        alerts
    }
}

/// A detector: one audit rule's logic, with windowed state only.
pub trait Detector: Send {
    fn observe(&mut self, event: &Event<'_>, at: &At, sink: &mut AlertSink);

    /// How many keys (addresses, users) the detector holds state for: bounded by
    /// what its window holds, however long the log.
    fn held(&self) -> usize {
        0
    }
}

#[derive(Clone, Debug, Default)]
pub struct AnalyseOptions {
    /// Keep reading the last input as it grows (until interrupted or stopped); the
    /// inputs before it are read to their end.
    pub follow: bool,
    /// Print each alert as it is first raised; `false` stops the analysis.
    pub on_new: Option<fn(&Alert) -> bool>,
    /// Asked while following a quiet input: whether to stop.
    pub stop: Option<fn() -> bool>,
    pub limits: ReadLimits,
}

#[derive(Debug, Default)]
pub struct AuditReport {
    pub alerts: Vec<Alert>,
    /// Lines that are not audit events, per input.
    pub malformed: Vec<MalformedLines>,
    /// Inputs that could not be read to their end, with where and why.
    pub errors: Vec<ReadError>,
    pub events: u64,
    pub inputs: usize,
}

/// Reads every input in order and runs the detectors over its events.
pub fn analyse(
    inputs: &[Input],
    detectors: &mut [Box<dyn Detector>],
    options: &AnalyseOptions,
) -> AuditReport {
    let mut report = AuditReport::default();
    let mut sink = AlertSink {
        on_new: options.on_new,
        ..AlertSink::default()
    };
    for (i, input) in inputs.iter().enumerate() {
        report.inputs += 1;
        let read = ReadOptions {
            follow: options.follow && i + 1 == inputs.len(),
            limits: options.limits,
            stop: options.stop,
        };
        let (malformed, result) = read_events(input, &read, &mut |event, at| {
            report.events += 1;
            for d in detectors.iter_mut() {
                d.observe(event, at, &mut sink);
            }
            match sink.stopped() {
                true => ControlFlow::Break(()),
                false => ControlFlow::Continue(()),
            }
        });
        report.malformed.push(malformed);
        report.errors.extend(result.err());
        if sink.stopped() {
            break;
        }
    }
    report.alerts = sink.into_alerts();
    report
}
