//! What Services and Ingresses expose outside the cluster.

pub mod exposed_privileged;
pub mod exposed_service;
pub mod external_ips;
pub mod ingress_tls;
pub mod load_balancer_source_ranges;
pub mod nginx_snippets;
