//! Pod and container security settings (Pod Security Standards and more).

pub mod apparmor;
pub mod capabilities_baseline;
pub mod capabilities_restricted;
pub mod host_namespaces;
pub mod host_path_volume;
pub mod host_port;
pub mod host_probes;
pub mod image_root_user;
pub mod privilege_escalation;
pub mod privileged;
pub mod proc_mount;
pub mod proc_mount_restricted;
pub mod restricted_volumes;
pub mod root_group;
pub mod root_supplemental_groups;
pub mod run_as_non_root;
pub mod run_as_root_user;
pub mod sandbox_runtime;
pub mod seccomp_missing;
pub mod seccomp_unconfined;
pub mod selinux;
pub mod sensitive_host_path;
pub mod unsafe_sysctls;
pub mod windows_host_process;
pub mod writable_host_path_mount;
pub mod writable_root_filesystem;
