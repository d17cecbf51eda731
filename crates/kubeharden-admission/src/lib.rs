//! `kubeharden serve`: a validating admission webhook that judges objects with the
//! same rules and engine as `kubeharden scan`.
//!
//! - [`review`]: the `admission.k8s.io/v1` AdmissionReview read and answered;
//! - [`config`]: modes per namespace (labels or file), exemptions, rule selection;
//! - [`judge`]: one review, by `kubeharden_engine::check_together`;
//! - `grants`: RBAC bindings judged with their roles, and roles with their bindings;
//! - [`view`]: the cluster around a review, from kube-rs reflectors;
//! - [`server`]: HTTPS on hyper and rustls, certificate reload, health, metrics;
//! - [`metrics`]: the Prometheus exposition;
//! - [`log`]: the refusal log, written to stderr off the request's path;
//! - [`project`]: the project's exceptions file, read again when it changes.

#![forbid(unsafe_code)]

pub mod certs;
pub mod config;
mod grants;
pub mod judge;
pub mod log;
mod message;
pub mod metrics;
pub mod project;
pub mod review;
pub mod server;
pub mod view;

pub use config::{Config, ConfigError, FailurePolicy, Modes, LABEL_PREFIX};
pub use judge::{Answer, Decision, Mode, Reviewer, Verdict, MAX_CONTAINERS, MAX_POD_ITEMS};
pub use server::{ServeError, ServeOptions, Server};
pub use view::{ClusterSource, Informers};
