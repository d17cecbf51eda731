//! Files whose mode and owner matter.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    Kubeconfig,
    PrivateKey,
    Certificate,
    StaticPodManifest,
    KubeletConfig,
    EncryptionConfig,
    AuditPolicy,
    EtcdDataDir,
}

impl FileKind {
    /// The loosest mode the CIS benchmark and the guidance accept.
    pub fn max_mode(self) -> u32 {
        match self {
            FileKind::Certificate => 0o644,
            FileKind::EtcdDataDir => 0o700,
            _ => 0o600,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            FileKind::Kubeconfig => "kubeconfig",
            FileKind::PrivateKey => "private key",
            FileKind::Certificate => "certificate",
            FileKind::StaticPodManifest => "static pod manifest",
            FileKind::KubeletConfig => "kubelet config",
            FileKind::EncryptionConfig => "encryption configuration (it holds the keys)",
            FileKind::AuditPolicy => "audit policy",
            FileKind::EtcdDataDir => "etcd data folder",
        }
    }
}

/// A file's mode and owner, as the node has them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileFact {
    /// The path on the node (`/etc/kubernetes/admin.conf`).
    pub path: String,
    /// The path as read (under `--root`).
    pub shown: String,
    pub kind: FileKind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl FileFact {
    pub fn read(real: &Path, node_path: &str, kind: FileKind) -> std::io::Result<FileFact> {
        let meta = std::fs::metadata(real)?;
        Ok(FileFact {
            path: node_path.to_string(),
            shown: real.display().to_string(),
            kind,
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
        })
    }

    /// Mode bits beyond what the kind allows.
    pub fn excess_mode(&self) -> u32 {
        self.mode & !self.kind.max_mode() & 0o777
    }
}
