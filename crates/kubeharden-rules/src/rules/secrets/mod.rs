//! Secrets: credentials in plain text, mounts, and encryption at rest.

pub mod automount_token;
pub mod configmap_credentials;
pub mod default_service_account;
pub mod env_credentials;
pub mod legacy_token_secret;
pub mod secret_env;
pub mod secret_in_manifest;
