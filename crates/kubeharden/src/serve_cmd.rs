//! `kubeharden serve`: the admission webhook.

use std::sync::Arc;

use kubeharden_admission::{
    project, ClusterSource, Config, Informers, Reviewer, ServeOptions, Server,
};
use kubeharden_live::ConnectOptions;

use crate::cli::{ServeArgs, ServeCertsArgs};
use crate::error::CliError;

pub fn run(args: ServeArgs) -> Result<u8, CliError> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    runtime()?.block_on(serve(args, config))
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
}

/// The pod's own namespace, from its service account's mount.
const POD_NAMESPACE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

pub fn certs(args: ServeCertsArgs) -> Result<u8, CliError> {
    if args.renew_before_days >= args.valid_days {
        return Err(CliError::BadValue {
            flag: "--renew-before-days",
            value: args.renew_before_days.to_string(),
            expected: "must be fewer days than --valid-days (else every run renews the certificate, and replicas not yet reloaded lose the CA they serve)",
        });
    }
    let namespace = args.namespace.clone().unwrap_or_else(|| {
        std::fs::read_to_string(POD_NAMESPACE)
            .map(|ns| ns.trim().to_string())
            .unwrap_or_else(|_| "kubeharden".to_string())
    });
    let job = kubeharden_admission::certs::CertJob {
        namespace,
        service: args.service,
        secret: args.secret,
        webhook_configuration: args.webhook_configuration,
        valid_days: args.valid_days,
        renew_before_days: args.renew_before_days,
        wait_for_configuration: std::time::Duration::from_secs(args.wait_for_configuration),
    };
    let options = ConnectOptions {
        kubeconfig: args.kubeconfig,
        context: args.context,
        ..ConnectOptions::default()
    };
    runtime()?.block_on(async {
        let (client, _) = kubeharden_live::watch_client(&options).await?;
        job.run(&client).await?;
        Ok(crate::exit::CLEAN)
    })
}

async fn serve(args: ServeArgs, config: Config) -> Result<u8, CliError> {
    let view = if args.no_cluster {
        eprintln!("kubeharden serve: no cluster view (--no-cluster): namespace modes come from the configuration; findings that depend on another object are not judged");
        None
    } else {
        let options = ConnectOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            ..ConnectOptions::default()
        };
        let (client, context) = kubeharden_live::watch_client(&options).await?;
        eprintln!("kubeharden serve: watching namespaces, service accounts, RBAC and network policies of {context}");
        let informers = Informers::start(&client);
        let waiting = informers.clone();
        tokio::spawn(async move {
            waiting.wait().await;
            // Listed once; a watch that fails is said on its own, and keeps it unready.
            eprintln!("kubeharden serve: cluster view listed");
        });
        Some(informers as Arc<dyn ClusterSource>)
    };
    let mut reviewer = Reviewer::new(config, view.clone())?;
    if let Some(path) = &args.exceptions {
        let project = kubeharden_exceptions::Config::load(path)?;
        for warning in project::expired_warnings(&project, kubeharden_exceptions::today()) {
            eprintln!("kubeharden serve: {warning}");
        }
        reviewer = reviewer.with_project_config(project);
    }
    let reviewer = Arc::new(reviewer);
    if let Some(path) = args.exceptions.clone() {
        let log = |line: String| eprintln!("kubeharden serve: {line}");
        tokio::spawn(project::watch(reviewer.clone(), path, log));
    }
    let options = ServeOptions {
        addr: args.addr,
        cert: args.cert,
        key: args.key,
    };
    let server = Server::bind(options, reviewer, view).await?;
    let addr = server.local_addr().map_err(CliError::Runtime)?;
    eprintln!("kubeharden serve: listening on https://{addr} (POST /validate; GET /healthz, /readyz, /metrics)");
    server.run().await;
    Ok(crate::exit::CLEAN)
}
