//! Finding and reading a node's configuration under a root folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubeharden_load::{LoadError, Object, Warning};
use kubeharden_yaml::{FieldPath, Node, Pos};

use crate::component::{parse_flags, Component, ComponentKind};
use crate::files::{read_kubeconfigs, record_file, walk_files, FileFact, FileKind};
use crate::kubelet::{read_kubelet, Kubelet};
use crate::manifest::{component_from_manifest, find_binary, Recognised};
use crate::read::{read_objects, report, Loaded};
use crate::rooted::Reading;
use kubeharden_policy::audit::AuditPolicy;

/// What to read, beyond the conventional places under the root.
#[derive(Clone, Debug)]
pub struct NodeInputs {
    pub root: PathBuf,
    pub apiserver: Option<PathBuf>,
    pub kubelet_config: Option<PathBuf>,
    pub audit_policy: Option<PathBuf>,
    pub encryption_config: Option<PathBuf>,
    /// More kubeconfigs to examine: an absolute path is the node's (under the root), a
    /// relative one is read as given.
    pub kubeconfigs: Vec<PathBuf>,
    /// `1.30`, overriding what the component images say.
    pub k8s_version: Option<(u32, u32)>,
    /// The largest file read, in bytes (`--max-file-size`, as `scan`'s).
    pub max_file_size: u64,
}

impl Default for NodeInputs {
    fn default() -> Self {
        NodeInputs {
            root: PathBuf::new(),
            apiserver: None,
            kubelet_config: None,
            audit_policy: None,
            encryption_config: None,
            kubeconfigs: Vec::new(),
            k8s_version: None,
            max_file_size: kubeharden_load::DEFAULT_MAX_FILE_SIZE,
        }
    }
}

/// A configuration file's name and its tree.
pub type ConfigTree = (Arc<str>, Node);

/// Everything read about one node.
#[derive(Debug, Default)]
pub struct NodeView {
    pub components: Vec<Component>,
    pub kubelet: Option<Kubelet>,
    pub audit_policy: Option<AuditPolicy>,
    /// The encryption configuration file and its tree.
    pub encryption_config: Option<(Arc<str>, Node)>,
    /// The structured authorization configuration `--authorization-config` names: the
    /// file and its tree, or `Err(file)` when it could not be read or used (an error
    /// says why).
    pub authorization_config: Option<Result<ConfigTree, Arc<str>>>,
    /// Kubeconfig files and their trees.
    pub kubeconfigs: Vec<(Arc<str>, Node)>,
    pub files: Vec<FileFact>,
    /// Configuration files the API server names that could not be read or used (each
    /// also an error): what depends on them is not judged.
    pub unusable: Vec<(FileKind, Arc<str>)>,
    /// The Kubernetes (major, minor) version, from an image tag or `--k8s-version`.
    pub version: Option<(u32, u32)>,
    pub errors: Vec<LoadError>,
    /// What was read whole but is worth telling (invalid UTF-8 replaced).
    pub warnings: Vec<Warning>,
    /// Files read.
    pub read: usize,
    /// Where files are read from, and how much of each.
    pub(crate) reading: Reading,
}

impl NodeView {
    pub fn component(&self, kind: ComponentKind) -> Option<&Component> {
        self.components.iter().find(|c| c.kind == kind)
    }
}

pub(crate) fn name_of(path: &Path) -> Arc<str> {
    path.display().to_string().into()
}

/// The path under the root for a path on the node.
pub(crate) fn under(root: &Path, node_path: &str) -> PathBuf {
    root.join(node_path.trim_start_matches('/'))
}

/// The path on the node of a file read at `path`: `/var/lib/kubelet/config.yaml`
/// whether the root was typed `node`, `./node` or `/abs/node`, so that a finding's
/// fingerprint does not depend on how `--root` was spelt. A file outside the root
/// (named by a flag such as `--kubelet-config`) is its absolute path.
pub(crate) fn node_path_of(root: &Path, path: &Path) -> String {
    let clean = |p: &Path| -> PathBuf {
        p.components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    };
    match clean(path).strip_prefix(clean(root)) {
        Ok(inside) => format!("/{}", inside.display()),
        Err(_) => std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string(),
    }
}

/// `v1.30.2` in an image tag.
fn version_of(image: &str) -> Option<(u32, u32)> {
    let image = image.split('@').next().unwrap_or(image);
    let tag = image.rsplit(':').next()?;
    let mut parts = tag.trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()?;
    Some((major, minor))
}

/// `major.minor`, as given to `--k8s-version`.
pub fn parse_version(text: &str) -> Option<(u32, u32)> {
    version_of(&format!("x:{text}"))
}

/// The control-plane components of the running processes (`proc/*/cmdline`), for
/// those no manifest gave. A wrapper (`hyperkube`, `go-runner`) is seen through.
fn processes(root: &Path, view: &mut NodeView) {
    let dirs: Vec<PathBuf> = view
        .reading
        .list(&under(root, "/proc"))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    for dir in dirs {
        let path = dir.join("cmdline");
        let Ok(bytes) = view.reading.read(&path) else {
            continue;
        };
        let items: Vec<_> = bytes
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .enumerate()
            .map(|(i, a)| {
                let text = String::from_utf8_lossy(a).into_owned();
                (text, Pos::new(1, i as u32 + 1), FieldPath::root())
            })
            .collect();
        let Some((at, kind)) = find_binary(&items, items.len()) else {
            continue;
        };
        if view.component(kind).is_some() {
            continue;
        }
        view.read += 1;
        view.components.push(Component {
            kind,
            file: name_of(&path),
            root: None,
            flags: parse_flags(&items[at + 1..]),
            command_path: FieldPath::root(),
            command_pos: Pos::new(1, 1),
            image: None,
            mounts: Vec::new(),
        });
    }
}

/// The static pod manifests: the kubelet's folder, then `--apiserver`.
fn manifests(inputs: &NodeInputs, view: &mut NodeView) {
    let mut paths: Vec<PathBuf> = view
        .reading
        .list(&under(&inputs.root, "/etc/kubernetes/manifests"))
        .into_iter()
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
        })
        .collect();
    paths.extend(inputs.apiserver.clone());
    for path in paths {
        let objects = match read_objects(&path, view) {
            Loaded::Read(objects) => objects,
            Loaded::Absent => {
                report(view, &path, "no such file");
                continue;
            }
            Loaded::Broken => continue,
        };
        for object in objects {
            match component_from_manifest(&object) {
                Some(Recognised::Component(c)) => {
                    view.components.retain(|existing| existing.kind != c.kind);
                    view.components.push(c);
                }
                Some(Recognised::Opaque(e)) => view.errors.push(e),
                None => {}
            }
        }
    }
}

/// The Kubernetes version the control-plane images say. etcd's image carries etcd's
/// own version (3.5), which is no Kubernetes version.
fn image_version(view: &NodeView) -> Option<(u32, u32)> {
    view.components
        .iter()
        .filter(|c| c.kind != ComponentKind::Etcd)
        .find_map(|c| c.image.as_deref().and_then(version_of))
}

/// A file the API server names (`--audit-policy-file`), or its explicit stand-in, as
/// a path under the root (resolved through the API server pod's hostPath mounts), its
/// mode recorded.
fn named_by_apiserver(
    inputs: &NodeInputs,
    view: &mut NodeView,
    flag: &str,
    explicit: &Option<PathBuf>,
    kind: FileKind,
) -> Option<PathBuf> {
    let path = match explicit {
        Some(path) => path.clone(),
        None => {
            let api = view.component(ComponentKind::ApiServer)?;
            under(&inputs.root, &api.host_path(api.value(flag)?))
        }
    };
    record_file(view, &path, &node_path_of(&inputs.root, &path), kind);
    Some(path)
}

/// The AuthorizationConfiguration `--authorization-config` names (Kubernetes 1.30+),
/// which replaces `--authorization-mode`.
fn authorization_config(inputs: &NodeInputs, view: &mut NodeView) {
    let Some(api) = view.component(ComponentKind::ApiServer) else {
        return;
    };
    let Some(named) = api.value("authorization-config") else {
        return;
    };
    let path = under(&inputs.root, &api.host_path(named));
    let what = "authorization configuration";
    let config = match required_object(&path, what, view) {
        Some(o) if o.resource.kind == "AuthorizationConfiguration" => Ok((o.file, o.root)),
        Some(o) => {
            let message = format!(
                "expected an AuthorizationConfiguration, found kind {:?}; its authorizers were not read",
                o.resource.kind
            );
            view.errors
                .push(LoadError::new(&o.file, Some(o.root.pos), message));
            Err(o.file)
        }
        None => Err(name_of(&path)),
    };
    view.authorization_config = Some(config);
}

/// The first object of a file the API server needs, or why there is none.
fn required_object(path: &Path, what: &str, view: &mut NodeView) -> Option<Object> {
    let objects = match read_objects(path, view) {
        Loaded::Read(objects) => objects,
        Loaded::Absent => {
            let message = format!("the {what} the API server names does not exist on this node");
            report(view, path, message);
            return None;
        }
        Loaded::Broken => return None,
    };
    let first = objects.into_iter().next();
    if first.is_none() {
        report(
            view,
            path,
            format!("no {what} in the file: its document has no apiVersion and kind"),
        );
    }
    first
}

fn audit_policy(inputs: &NodeInputs, view: &mut NodeView) {
    let explicit = &inputs.audit_policy;
    let kind = FileKind::AuditPolicy;
    let Some(path) = named_by_apiserver(inputs, view, "audit-policy-file", explicit, kind) else {
        return;
    };
    let Some(o) = required_object(&path, "audit policy", view) else {
        view.unusable.push((kind, name_of(&path)));
        return;
    };
    match AuditPolicy::read(o.file.clone(), o.root.clone()) {
        Ok(policy) => view.audit_policy = Some(policy),
        Err(e) => {
            view.errors
                .push(LoadError::new(&e.file, Some(e.pos), e.to_string()));
            view.unusable.push((kind, o.file.clone()));
        }
    }
}

fn encryption_config(inputs: &NodeInputs, view: &mut NodeView) {
    let (explicit, kind) = (&inputs.encryption_config, FileKind::EncryptionConfig);
    let flag = "encryption-provider-config";
    let Some(path) = named_by_apiserver(inputs, view, flag, explicit, kind) else {
        return;
    };
    match required_object(&path, "encryption configuration", view) {
        Some(o) => view.encryption_config = Some((o.file.clone(), o.root.clone())),
        None => view.unusable.push((kind, name_of(&path))),
    }
}

/// One node's control plane as a cluster's API shows it: the static pods its kubelet
/// mirrors into `kube-system` (`kubernetes.io/config.mirror`). Only their command
/// lines are known. The files their flags name (audit policy, encryption and
/// authorization configuration) are on the node's disk: they are unusable here, so
/// what depends on them is not judged rather than guessed. `version` is the API
/// server's, else the images'.
pub fn from_static_pods(pods: &[Object], version: Option<(u32, u32)>) -> NodeView {
    let mut view = NodeView::default();
    for pod in pods {
        match component_from_manifest(pod) {
            Some(Recognised::Component(c)) => {
                view.components.retain(|existing| existing.kind != c.kind);
                view.components.push(c);
            }
            Some(Recognised::Opaque(e)) => view.errors.push(e),
            None => {}
        }
    }
    view.components.sort_by_key(|c| c.kind);
    view.version = version.or_else(|| image_version(&view));
    let Some(api) = view.component(ComponentKind::ApiServer) else {
        return view;
    };
    let on_node = |flag: &str| -> Option<Arc<str>> {
        let path = api.host_path(api.value(flag)?);
        Some(format!("{path} (on the node's disk)").into())
    };
    let named = [
        (FileKind::AuditPolicy, on_node("audit-policy-file")),
        (
            FileKind::EncryptionConfig,
            on_node("encryption-provider-config"),
        ),
    ];
    let authorization = on_node("authorization-config");
    for (kind, file) in named {
        view.unusable.extend(file.map(|f| (kind, f)));
    }
    view.authorization_config = authorization.map(Err);
    view
}

/// Reads everything under `inputs.root` (and the explicit inputs).
pub fn discover(inputs: &NodeInputs) -> NodeView {
    let root = &inputs.root;
    let mut view = NodeView {
        reading: Reading {
            root: Some(root.clone()),
            max_file_size: inputs.max_file_size,
        },
        ..NodeView::default()
    };
    manifests(inputs, &mut view);
    processes(root, &mut view);
    view.components.sort_by_key(|c| c.kind);
    view.version = inputs.k8s_version.or_else(|| image_version(&view));
    view.kubelet = read_kubelet(inputs, &mut view);
    walk_files(root, &mut view);
    read_kubeconfigs(inputs, &mut view);
    audit_policy(inputs, &mut view);
    authorization_config(inputs, &mut view);
    encryption_config(inputs, &mut view);
    if let Some(etcd) = view.component(ComponentKind::Etcd) {
        let data_dir = etcd
            .value("data-dir")
            .unwrap_or("/var/lib/etcd")
            .to_string();
        let real = under(root, &etcd.host_path(&data_dir));
        record_file(&mut view, &real, &data_dir, FileKind::EtcdDataDir);
    }
    view.files.sort_by(|a, b| a.shown.cmp(&b.shown));
    view.files.dedup_by(|a, b| a.shown == b.shown);
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_image_tags() {
        assert_eq!(
            version_of("registry.k8s.io/kube-apiserver:v1.30.2"),
            Some((1, 30))
        );
        assert_eq!(
            version_of("registry.k8s.io/kube-apiserver:v1.29.4@sha256:4d7c1b3a"),
            Some((1, 29))
        );
        assert_eq!(version_of("registry.k8s.io/etcd:3.5.15-0"), Some((3, 5)));
        assert_eq!(parse_version("1.24"), Some((1, 24)));
    }

    #[test]
    fn processes_are_known_by_their_program_not_their_arguments() {
        let root = tempfile::tempdir().unwrap();
        let cmdline = |pid: &str, args: &[&str]| {
            let dir = root.path().join("proc").join(pid);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("cmdline"), args.join("\0") + "\0").unwrap();
        };
        cmdline("90", &["du", "-sh", "/var/lib/etcd"]);
        cmdline(
            "91",
            &[
                "/go-runner",
                "--also-stdout",
                "/usr/local/bin/kube-scheduler",
                "--profiling=false",
            ],
        );
        cmdline("95", &["/usr/local/bin/etcd", "--data-dir", "/srv/etcd"]);
        let mut view = NodeView::default();
        processes(root.path(), &mut view);
        let found: Vec<_> = view
            .components
            .iter()
            .map(|c| (c.kind, c.flags.len()))
            .collect();
        assert_eq!(
            found,
            [(ComponentKind::Scheduler, 1), (ComponentKind::Etcd, 1)]
        );
        let etcd = view.component(ComponentKind::Etcd).unwrap();
        assert_eq!(etcd.value("data-dir"), Some("/srv/etcd"));
        assert_eq!(etcd.flag("data-dir").unwrap().pos, Pos::new(1, 2));
    }

    #[test]
    fn etcd_does_not_give_the_kubernetes_version() {
        let etcd = |image: &str, kind| Component {
            kind,
            file: "m.yaml".into(),
            root: None,
            flags: vec![],
            command_path: FieldPath::root(),
            command_pos: Pos::default(),
            image: Some(image.into()),
            mounts: vec![],
        };
        let mut view = NodeView::default();
        view.components
            .push(etcd("registry.k8s.io/etcd:3.5.15-0", ComponentKind::Etcd));
        assert_eq!(image_version(&view), None);
        view.components.push(etcd(
            "registry.k8s.io/kube-scheduler:v1.28.3",
            ComponentKind::Scheduler,
        ));
        assert_eq!(image_version(&view), Some((1, 28)));
    }
}
