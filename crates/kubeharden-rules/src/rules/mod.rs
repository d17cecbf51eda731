//! The rule files, one module a rule, grouped by guidance section, and the registry
//! that lists them. A rule is added by declaring its module in its section's `mod.rs`
//! and naming it in [`REGISTERED`]; a test fails, naming the file, when a rule file on
//! disk is missing from either.

use crate::rule::RuleDef;

pub mod admission;
pub mod audit;
pub mod exposure;
pub mod images;
pub mod inventory;
pub mod namespaces;
pub mod network;
pub mod node;
pub mod pod;
pub mod rbac;
pub mod resources;
pub mod secrets;

/// A rule as its file declares it: the section folder, the file, and the file's text
/// (its `//!` comment is the rule's documentation).
pub(crate) struct Registered {
    pub def: &'static RuleDef,
    pub section: &'static str,
    /// The file, relative to `src/rules/`.
    // Only the registry test reads it (to compare the list with the files on disk).
    #[cfg_attr(not(test), allow(dead_code))]
    pub file: &'static str,
    pub source: &'static str,
}

/// Registers `section::rule` with its file's text, read at compile time.
macro_rules! registered {
    ($($section:ident :: $rule:ident),* $(,)?) => {
        &[$(Registered {
            def: &$section::$rule::RULE,
            section: stringify!($section),
            file: concat!(stringify!($section), "/", stringify!($rule), ".rs"),
            source: include_str!(concat!(stringify!($section), "/", stringify!($rule), ".rs")),
        }),*]
    };
}

/// Every rule, by section and file name.
pub(crate) static REGISTERED: &[Registered] = registered![
    admission::fails_open,
    audit::admission_change,
    audit::anonymous_access,
    audit::attack_chain,
    audit::breakout,
    audit::brute_force,
    audit::cronjob,
    audit::cryptomining,
    audit::denied_network,
    audit::exec,
    audit::impersonation,
    audit::kube_system_workload,
    audit::login_after_failures,
    audit::permission_probing,
    audit::pod_security_violation,
    audit::privileged_workload,
    audit::rbac_change,
    audit::sa_token_misuse,
    audit::secret_reads,
    audit::token_request,
    audit::workload_change,
    exposure::exposed_privileged,
    exposure::exposed_service,
    exposure::external_ips,
    exposure::ingress_tls,
    exposure::load_balancer_source_ranges,
    exposure::nginx_snippets,
    images::implicit_registry,
    inventory::inline_exception,
    inventory::log_agent,
    inventory::metrics_pipeline,
    inventory::node_versions,
    inventory::server_version,
    images::mutable_tag,
    images::no_digest,
    images::pull_policy,
    namespaces::default_namespace,
    namespaces::kube_prefix,
    namespaces::pss_enforce,
    namespaces::pss_version,
    namespaces::system_namespace,
    network::allow_all,
    network::dead_policy,
    network::default_deny_egress,
    network::default_deny_ingress,
    network::metadata_egress,
    network::pod_not_isolated,
    network::policy_enforcement,
    network::policy_type_typo,
    node::apiserver_admission,
    node::apiserver_anonymous,
    node::apiserver_authorization,
    node::apiserver_etcd,
    node::apiserver_insecure_port,
    node::apiserver_profiling,
    node::apiserver_service_accounts,
    node::apiserver_static_credentials,
    node::apiserver_tls,
    node::audit_logging,
    node::audit_webhook,
    node::audit_policy,
    node::controller_manager,
    node::encryption,
    node::etcd_dedicated_ca,
    node::etcd_servers_https,
    node::etcd_tls,
    node::file_permissions,
    node::kubeconfig_credentials,
    node::kubelet_auth,
    node::kubelet_hardening,
    node::kubelet_read_only_port,
    node::kubelet_tls,
    node::scheduler,
    pod::apparmor,
    pod::capabilities_baseline,
    pod::capabilities_restricted,
    pod::host_namespaces,
    pod::host_path_volume,
    pod::host_port,
    pod::host_probes,
    pod::image_root_user,
    pod::privilege_escalation,
    pod::privileged,
    pod::proc_mount,
    pod::proc_mount_restricted,
    pod::restricted_volumes,
    pod::root_group,
    pod::root_supplemental_groups,
    pod::run_as_non_root,
    pod::run_as_root_user,
    pod::sandbox_runtime,
    pod::seccomp_missing,
    pod::seccomp_unconfined,
    pod::selinux,
    pod::sensitive_host_path,
    pod::unsafe_sysctls,
    pod::windows_host_process,
    pod::writable_host_path_mount,
    pod::writable_root_filesystem,
    rbac::anonymous,
    rbac::cluster_admin,
    rbac::dangling,
    rbac::default_service_account,
    rbac::escalation_path,
    rbac::escalation_verbs,
    rbac::exec,
    rbac::node_proxy,
    rbac::persistent_volumes,
    rbac::read_secrets,
    rbac::shared_role,
    rbac::unbound_role,
    rbac::webhook_write,
    rbac::wildcard,
    rbac::workload_create,
    resources::limit_range,
    resources::limits,
    resources::requests,
    resources::resource_quota,
    secrets::automount_token,
    secrets::configmap_credentials,
    secrets::default_service_account,
    secrets::env_credentials,
    secrets::legacy_token_secret,
    secrets::secret_env,
    secrets::secret_in_manifest,
];

/// Lists `section::rule` modules that declare a `MERGE`, each with its rule's ID.
macro_rules! merging {
    ($($section:ident :: $rule:ident),* $(,)?) => {
        vec![$(crate::merge::Declared {
            rule: $section::$rule::RULE.id,
            merge: &$section::$rule::MERGE,
        }),*]
    };
}

/// The rules whose findings take in others of the same problem ([`crate::merge`]),
/// in the order they apply: a rule that takes in another's findings comes before
/// that rule's own declaration, so what it took is not merged twice.
pub(crate) fn merges() -> Vec<crate::merge::Declared> {
    merging![
        resources::limits,
        resources::requests,
        pod::sensitive_host_path,
        pod::host_path_volume,
        pod::privileged,
        pod::capabilities_baseline,
        pod::run_as_root_user,
        images::mutable_tag,
        images::no_digest,
        secrets::automount_token,
        exposure::exposed_privileged,
        exposure::exposed_service,
        network::metadata_egress,
        network::default_deny_ingress,
        network::default_deny_egress,
        network::pod_not_isolated,
        rbac::cluster_admin,
    ]
}
