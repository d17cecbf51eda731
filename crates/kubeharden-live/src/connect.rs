//! Connecting to the API server as `kubectl` would: a kubeconfig context (its client
//! certificate, token, exec credential plugin or OIDC provider), or the pod's service
//! account when running inside the cluster.

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use crate::LiveError;

/// How to reach the cluster.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// `--kubeconfig`: otherwise `KUBECONFIG` or `~/.kube/config`, and inside a pod
    /// without either, its service account.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`: otherwise the kubeconfig's current context.
    pub context: Option<String>,
    /// How long one request may take before it is retried.
    pub request_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            kubeconfig: None,
            context: None,
            request_timeout: crate::DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// A client and the name the cluster goes by in locations.
pub(crate) struct Connection {
    pub client: Client,
    /// The kubeconfig context, or `in-cluster`.
    pub context: String,
    /// The API server's URL.
    pub server: String,
}

/// The context name of a pod's own service account.
pub const IN_CLUSTER: &str = "in-cluster";

pub(crate) async fn connect(options: &ConnectOptions) -> Result<Connection, LiveError> {
    let (mut config, context) = configure(options).await?;
    // Requests are retried here, with backoff, where a failure is transient
    // (crate::fetch), so kube's own retries are off.
    config.default_retry = false;
    config.read_timeout = Some(options.request_timeout);
    config.reset_reader_on_write = true;
    config.connect_timeout = Some(options.request_timeout.min(Duration::from_secs(15)));
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config).map_err(|e| LiveError::Client {
        context: context.clone(),
        reason: crate::describe::describe(&e),
    })?;
    Ok(Connection {
        client,
        context,
        server,
    })
}

async fn configure(options: &ConnectOptions) -> Result<(Config, String), LiveError> {
    configure_or_say_why(options)
        .await
        .map_err(LiveError::Config)
}

async fn configure_or_say_why(options: &ConnectOptions) -> Result<(Config, String), String> {
    let kubeconfig = match &options.kubeconfig {
        Some(path) => Some(Kubeconfig::read_from(path).map_err(|e| {
            // kube's message repeats the path, quoted twice: the cause alone.
            let cause = std::error::Error::source(&e).map_or(e.to_string(), |s| s.to_string());
            format!("cannot read kubeconfig {}: {cause}", path.display())
        })?),
        None => match Kubeconfig::read() {
            Ok(k) => Some(k),
            // No kubeconfig: a pod's service account, unless a context was asked for.
            Err(e) if options.context.is_some() => {
                return Err(format!("cannot read a kubeconfig: {e}"));
            }
            Err(e) => {
                let config = Config::incluster().map_err(|in_cluster| {
                    format!("no kubeconfig ({e}), and not inside a cluster ({in_cluster}); give --kubeconfig or set KUBECONFIG")
                })?;
                return Ok((config, IN_CLUSTER.to_string()));
            }
        },
    };
    let kubeconfig = kubeconfig.expect("read above");
    let context = options
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .ok_or("the kubeconfig names no current context; give --context")?;
    if !kubeconfig.contexts.iter().any(|c| c.name == context) {
        let known: Vec<&str> = kubeconfig
            .contexts
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        return Err(format!(
            "no context {context:?} in the kubeconfig (it has: {})",
            known.join(", ")
        ));
    }
    let select = KubeConfigOptions {
        context: Some(context.clone()),
        ..KubeConfigOptions::default()
    };
    let config = Config::from_custom_kubeconfig(kubeconfig, &select)
        .await
        .map_err(|e| format!("context {context}: {e}"))?;
    Ok((config, context))
}

/// A client for long-lived watches (the admission webhook's informers), and the
/// context name: kube's own timeouts, which outlast a watch's server-side timeout.
pub async fn watch_client(options: &ConnectOptions) -> Result<(Client, String), LiveError> {
    let (config, context) = configure(options).await?;
    let client = Client::try_from(config).map_err(|e| LiveError::Client {
        context: context.clone(),
        reason: crate::describe::describe(&e),
    })?;
    Ok((client, context))
}
