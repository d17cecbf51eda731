//! A node's configuration (`kubeharden node`): API server, kubelet, etcd, files.

pub mod apiserver_admission;
pub mod apiserver_anonymous;
pub mod apiserver_authorization;
pub mod apiserver_etcd;
pub mod apiserver_insecure_port;
pub mod apiserver_profiling;
pub mod apiserver_service_accounts;
pub mod apiserver_static_credentials;
pub mod apiserver_tls;
pub mod audit_logging;
pub mod audit_policy;
pub mod audit_webhook;
pub mod controller_manager;
pub mod encryption;
pub mod etcd_dedicated_ca;
pub mod etcd_servers_https;
pub mod etcd_tls;
pub mod file_permissions;
pub mod kubeconfig_credentials;
pub mod kubelet_auth;
pub mod kubelet_hardening;
pub mod kubelet_read_only_port;
pub mod kubelet_tls;
pub mod scheduler;
