//! Files whose mode and owner matter.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use kubeharden_load::load_text;
use kubeharden_yaml::Limits;

use crate::discover::{name_of, read_text, under, NodeView};

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

pub(crate) fn record_file(view: &mut NodeView, real: &Path, node_path: &str, kind: FileKind) {
    if let Ok(fact) = FileFact::read(real, node_path, kind) {
        view.files.push(fact);
    }
}

/// Records the modes of manifests, kubeconfigs and PKI files, and reads the kubeconfigs.
pub(crate) fn walk_files(root: &Path, view: &mut NodeView) {
    let manifests = under(root, "/etc/kubernetes/manifests");
    for entry in std::fs::read_dir(&manifests)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
    {
        let p = entry.path();
        record_file(
            view,
            &p,
            &format!(
                "/etc/kubernetes/manifests/{}",
                entry.file_name().to_string_lossy()
            ),
            FileKind::StaticPodManifest,
        );
    }
    for entry in std::fs::read_dir(under(root, "/etc/kubernetes"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
    {
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "conf") {
            record_file(
                view,
                &p,
                &format!("/etc/kubernetes/{}", entry.file_name().to_string_lossy()),
                FileKind::Kubeconfig,
            );
            if let Some(text) = read_text(&p, view) {
                let loaded = load_text(&name_of(&p), &text, &Limits::default());
                view.errors.extend(loaded.errors);
                if let Some(o) = loaded
                    .objects
                    .into_iter()
                    .find(|o| o.resource.kind == "Config")
                {
                    view.kubeconfigs.push((name_of(&p), o.root));
                }
            }
        }
    }
    let mut pki = vec![(
        under(root, "/etc/kubernetes/pki"),
        "/etc/kubernetes/pki".to_string(),
    )];
    while let Some((dir, node_dir)) = pki.pop() {
        for entry in std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            let p = entry.path();
            let node_path = format!("{node_dir}/{}", entry.file_name().to_string_lossy());
            if p.is_dir() {
                pki.push((p, node_path));
            } else if p.extension().is_some_and(|x| x == "key") {
                record_file(view, &p, &node_path, FileKind::PrivateKey);
            } else if p.extension().is_some_and(|x| x == "crt") {
                record_file(view, &p, &node_path, FileKind::Certificate);
            }
        }
    }
}
