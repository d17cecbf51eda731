//! Files whose mode and owner matter.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use std::path::PathBuf;

use crate::discover::{name_of, under, NodeInputs, NodeView};
use crate::read::{read_yaml, report, Loaded};

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
    /// For a file in a home folder (`/home/alice/.kube/config`), the folder's owner:
    /// that user may own the file too.
    pub home_owner: Option<u32>,
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
            home_owner: None,
        })
    }

    /// Mode bits beyond what the kind allows.
    pub fn excess_mode(&self) -> u32 {
        self.mode & !self.kind.max_mode() & 0o777
    }
}

/// The mode and owner of the file at `path` (as named under the root; its links
/// resolved inside it), shown as named.
fn fact_of(view: &NodeView, path: &Path, node_path: &str, kind: FileKind) -> Option<FileFact> {
    let real = view.reading.real(path).ok()?;
    let mut fact = FileFact::read(&real, node_path, kind).ok()?;
    fact.shown = path.display().to_string();
    Some(fact)
}

pub(crate) fn record_file(view: &mut NodeView, path: &Path, node_path: &str, kind: FileKind) {
    if let Some(fact) = fact_of(view, path, node_path, kind) {
        view.files.push(fact);
    }
}

/// Records the modes of static pod manifests and PKI files.
pub(crate) fn walk_files(root: &Path, view: &mut NodeView) {
    for (p, node_path) in listed(view, root, "/etc/kubernetes/manifests") {
        record_file(view, &p, &node_path, FileKind::StaticPodManifest);
    }
    let mut pki = vec!["/etc/kubernetes/pki".to_string()];
    while let Some(node_dir) = pki.pop() {
        for (p, node_path) in listed(view, root, &node_dir) {
            // Only real folders are walked: a link to a folder may loop (pki/loop -> ..).
            let is_link = view.reading.is_link(&p);
            let is_dir = view.reading.metadata(&p).is_some_and(|m| m.is_dir());
            if is_dir && !is_link {
                pki.push(node_path);
            } else if is_dir {
                continue;
            } else if p.extension().is_some_and(|x| x == "key") {
                record_file(view, &p, &node_path, FileKind::PrivateKey);
            } else if p.extension().is_some_and(|x| x == "crt") {
                record_file(view, &p, &node_path, FileKind::Certificate);
            }
        }
    }
}

/// What a file that is no kubeconfig means where it was found.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// `/etc/kubernetes/*.conf`: other `.conf` files may sit there.
    Maybe,
    /// A user's `~/.kube/config`, a distribution's or the kubelet's kubeconfig.
    Kubeconfig,
    /// Named by `--kubeconfig`: it must exist, too.
    Named,
}

/// The owner of the home folder a node path is in, if it is in one.
fn home_owner(view: &NodeView, root: &Path, node_path: &str) -> Option<u32> {
    let home = if node_path.starts_with("/root/") {
        "/root".to_string()
    } else {
        let user = node_path.strip_prefix("/home/")?.split('/').next()?;
        format!("/home/{user}")
    };
    view.reading.metadata(&under(root, &home)).map(|m| m.uid())
}

/// Records a kubeconfig's mode and reads its users. A document without `kind` is read
/// too: kubectl accepts it.
fn read_kubeconfig(view: &mut NodeView, real: &Path, node_path: &str, expect: Expect, root: &Path) {
    if let Some(mut fact) = fact_of(view, real, node_path, FileKind::Kubeconfig) {
        fact.home_owner = home_owner(view, root, node_path);
        view.files.push(fact);
    }
    let docs = match read_yaml(real, view) {
        Loaded::Read(docs) => docs,
        Loaded::Absent if expect == Expect::Named => return report(view, real, "no such file"),
        Loaded::Absent | Loaded::Broken => return,
    };
    let Some(doc) = docs.into_iter().next() else {
        return;
    };
    match doc.root.get("kind").and_then(kubeharden_yaml::Node::as_str) {
        None | Some("Config") => view.kubeconfigs.push((name_of(real), doc.root)),
        Some(_) if expect == Expect::Maybe => {}
        Some(kind) => report(
            view,
            real,
            format!("not a kubeconfig: its kind is {kind:?}"),
        ),
    }
}

/// The files of a folder under the root, sorted, with their node paths.
fn listed(view: &NodeView, root: &Path, node_dir: &str) -> Vec<(PathBuf, String)> {
    view.reading
        .list(&under(root, node_dir))
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            let node_path = format!("{node_dir}/{name}");
            (p, node_path)
        })
        .collect()
}

/// Where kubeconfigs are, as (path under the root, path on the node, what else there
/// means): kubeadm's under `/etc/kubernetes`, k3s's and RKE2's, users'
/// `~/.kube/config`, the kubelet's `--kubeconfig`, and `--kubeconfig`.
fn kubeconfig_paths(inputs: &NodeInputs, view: &NodeView) -> Vec<(PathBuf, String, Expect)> {
    let root = &inputs.root;
    let mut wanted: Vec<(PathBuf, String, Expect)> = listed(view, root, "/etc/kubernetes")
        .into_iter()
        .filter(|(p, _)| p.extension().is_some_and(|x| x == "conf"))
        .map(|(p, n)| (p, n, Expect::Maybe))
        .collect();
    let homes = listed(view, root, "/home")
        .into_iter()
        .map(|(_, n)| format!("{n}/.kube/config"));
    let kubelet_named = view
        .kubelet
        .as_ref()
        .and_then(|k| k.flag_value("kubeconfig"));
    let expected = [
        "/etc/rancher/k3s/k3s.yaml",
        "/etc/rancher/rke2/rke2.yaml",
        "/root/.kube/config",
    ]
    .map(String::from)
    .into_iter()
    .chain(homes)
    .chain(kubelet_named);
    wanted.extend(expected.map(|n| (under(root, &n), n, Expect::Kubeconfig)));
    for path in &inputs.kubeconfigs {
        // An absolute path is the node's, under the root; a relative one is the user's.
        let real = if path.is_absolute() {
            under(root, &path.to_string_lossy())
        } else {
            path.clone()
        };
        wanted.push((real, path.display().to_string(), Expect::Named));
    }
    wanted
}

/// Records the mode of every kubeconfig of the node and reads its users, once each.
pub(crate) fn read_kubeconfigs(inputs: &NodeInputs, view: &mut NodeView) {
    let mut seen: Vec<PathBuf> = Vec::new();
    for (real, node_path, expect) in kubeconfig_paths(inputs, view) {
        if !seen.contains(&real) {
            read_kubeconfig(view, &real, &node_path, expect, &inputs.root);
            seen.push(real);
        }
    }
}
