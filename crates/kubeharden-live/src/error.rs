//! Why a cluster could not be read at all. What could not be read of a cluster that
//! was reached (a forbidden kind, a failed list) is not one of these: it is reported
//! and its checks are listed as not judged.

/// A cluster that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// No kubeconfig, no such context, no credentials, and not inside a pod.
    #[error("{0}")]
    Config(String),
    #[error("cannot make a client for context {context}: {reason}")]
    Client { context: String, reason: String },
    /// No answer, a refused credential, or no `/version`: nothing can be read.
    #[error("the API server at {server} cannot be read: {reason}")]
    Server { server: String, reason: String },
    #[error("cannot discover the kinds the API server at {server} serves: {reason}")]
    Discovery { server: String, reason: String },
    #[error("cannot start the cluster reader: {0}")]
    Start(std::io::Error),
    #[error("the cluster reader stopped unexpectedly")]
    Stopped,
}
