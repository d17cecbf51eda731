//! Kubernetes audit logs, read as a stream and run through windowed detectors.
//!
//! - [`event::Event`] is the part of an `audit.k8s.io/v1` Event that detection reads,
//!   borrowed from the line it was parsed from.
//! - [`read`] turns files (plain or `.gz`), standard input and `EventList` documents
//!   into batches of lines. Batches are parsed in parallel and fed to the detectors
//!   in order, so memory holds one batch and the detectors' windows, never the log.
//! - [`Detector`] is what each audit rule of the catalog implements. It keeps only
//!   windowed state and reports [`Alert`]s, which are merged per rule, subject and
//!   key.

#![forbid(unsafe_code)]

mod engine;
pub mod event;
pub mod psa;
pub mod read;
pub mod request;
pub mod stage;
#[cfg(feature = "synthetic")]
pub mod synthetic;
mod window;

pub use engine::{
    analyse, Alert, AlertSink, AnalyseOptions, At, AuditConfig, AuditReport, Detector, Observation,
};
pub use window::{Distinct, Keyed, SlidingCount};
// The audit policy and CIDR ranges live in kubeharden-policy, shared with the node
// audit and the network rules; named here too, as before they moved.
pub use kubeharden_policy::audit as policy;
pub use kubeharden_policy::cidr as net;
