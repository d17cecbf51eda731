//! Finding and reading a node's configuration under a root folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kubeharden_load::{load_text, LoadError, Object};
use kubeharden_yaml::{FieldPath, Limits, Node, Pos};

use crate::component::{parse_flags, Component, ComponentKind};
use crate::files::{record_file, walk_files, FileFact, FileKind};
use crate::kubelet::{read_kubelet, Kubelet};
use kubeharden_audit::policy::AuditPolicy;

/// What to read, beyond the conventional places under the root.
#[derive(Clone, Debug, Default)]
pub struct NodeInputs {
    pub root: PathBuf,
    pub apiserver: Option<PathBuf>,
    pub kubelet_config: Option<PathBuf>,
    pub audit_policy: Option<PathBuf>,
    pub encryption_config: Option<PathBuf>,
    /// `1.30`, overriding what the component images say.
    pub k8s_version: Option<(u32, u32)>,
}

/// Everything read about one node.
#[derive(Debug, Default)]
pub struct NodeView {
    pub components: Vec<Component>,
    pub kubelet: Option<Kubelet>,
    pub audit_policy: Option<AuditPolicy>,
    /// The encryption configuration file and its tree.
    pub encryption_config: Option<(Arc<str>, Node)>,
    /// Kubeconfig files and their trees.
    pub kubeconfigs: Vec<(Arc<str>, Node)>,
    pub files: Vec<FileFact>,
    /// The Kubernetes (major, minor) version, from an image tag or `--k8s-version`.
    pub version: Option<(u32, u32)>,
    pub errors: Vec<LoadError>,
    /// Files read.
    pub read: usize,
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

pub(crate) fn read_text(path: &Path, view: &mut NodeView) -> Option<String> {
    match std::fs::read(path) {
        Ok(bytes) => {
            view.read += 1;
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            view.errors.push(LoadError::new(
                &name_of(path),
                None,
                format!("cannot read: {e}"),
            ));
            None
        }
    }
}

fn load_objects(path: &Path, view: &mut NodeView) -> Vec<Object> {
    let Some(text) = read_text(path, view) else {
        return Vec::new();
    };
    let loaded = load_text(&name_of(path), &text, &Limits::default());
    view.errors.extend(loaded.errors);
    loaded.objects
}

/// `v1.30.2` in an image tag.
fn version_of(image: &str) -> Option<(u32, u32)> {
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

fn component_from_manifest(object: &Object) -> Option<Component> {
    if object.resource.kind != "Pod" {
        return None;
    }
    let containers = object.root.get("spec")?.get("containers")?.items();
    for (i, container) in containers.iter().enumerate() {
        let command = container
            .get("command")
            .map(Node::items)
            .unwrap_or_default();
        let args = container.get("args").map(Node::items).unwrap_or_default();
        let name = container.get("name").and_then(Node::as_str).unwrap_or("");
        // The first container that runs a control-plane component: a sidecar may come
        // before it.
        let kind = ComponentKind::from_name(name).or_else(|| {
            command
                .first()
                .and_then(Node::as_str)
                .and_then(ComponentKind::from_name)
        });
        let Some(kind) = kind else { continue };
        let base = FieldPath::parse("spec.containers").index(i);
        let mut items = Vec::new();
        for (field, list) in [("command", command), ("args", args)] {
            for (j, item) in list.iter().enumerate() {
                if let Some(text) = item.scalar_text() {
                    items.push((text.to_string(), item.pos, base.key(field).index(j)));
                }
            }
        }
        let command_path = base.key(if command.is_empty() {
            "args"
        } else {
            "command"
        });
        let command_pos = object.root.locate(&command_path).pos;
        let volumes = object
            .root
            .get("spec")
            .and_then(|s| s.get("volumes"))
            .map(Node::items)
            .unwrap_or_default();
        let host_path_of = |volume: &str| {
            volumes
                .iter()
                .find(|v| v.get("name").and_then(Node::as_str) == Some(volume))
                .and_then(|v| v.get("hostPath"))
                .and_then(|h| h.get("path"))
                .and_then(Node::as_str)
                .map(str::to_string)
        };
        let mounts = container
            .get("volumeMounts")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|m| {
                let mount_path = m.get("mountPath").and_then(Node::as_str)?;
                let host = host_path_of(m.get("name").and_then(Node::as_str)?)?;
                Some((mount_path.to_string(), host))
            })
            .collect();
        return Some(Component {
            kind,
            file: object.file.clone(),
            root: Some(object.root.clone()),
            flags: parse_flags(&items),
            command_path,
            command_pos,
            image: container
                .get("image")
                .and_then(Node::as_str)
                .map(str::to_string),
            mounts,
        });
    }
    None
}

fn processes(root: &Path, view: &mut NodeView) {
    let Ok(entries) = std::fs::read_dir(root.join("proc")) else {
        return;
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    dirs.sort();
    for dir in dirs {
        let path = dir.join("cmdline");
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let args: Vec<String> = bytes
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let Some(kind) = args.first().and_then(|a| ComponentKind::from_name(a)) else {
            continue;
        };
        if view.component(kind).is_some() {
            continue;
        }
        view.read += 1;
        let items: Vec<_> = args
            .iter()
            .enumerate()
            .map(|(i, a)| (a.clone(), Pos::new(1, i as u32 + 1), FieldPath::root()))
            .collect();
        view.components.push(Component {
            kind,
            file: name_of(&path),
            root: None,
            flags: parse_flags(&items),
            command_path: FieldPath::root(),
            command_pos: Pos::new(1, 1),
            image: None,
            mounts: Vec::new(),
        });
    }
}

/// Reads everything under `inputs.root` (and the explicit inputs).
pub fn discover(inputs: &NodeInputs) -> NodeView {
    let root = &inputs.root;
    let mut view = NodeView::default();
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(under(root, "/etc/kubernetes/manifests"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
        })
        .collect();
    manifests.sort();
    manifests.extend(inputs.apiserver.clone());
    for path in manifests {
        for object in load_objects(&path, &mut view) {
            if let Some(c) = component_from_manifest(&object) {
                view.components.retain(|existing| existing.kind != c.kind);
                view.components.push(c);
            }
        }
    }
    processes(root, &mut view);
    view.components.sort_by_key(|c| c.kind);
    view.version = inputs.k8s_version.or_else(|| {
        view.components
            .iter()
            .filter_map(|c| c.image.as_deref().and_then(version_of))
            .next()
    });
    view.kubelet = read_kubelet(inputs, &mut view);
    walk_files(root, &mut view);

    let apiserver = view.component(ComponentKind::ApiServer).cloned();
    let resolve = |flag: &str, explicit: &Option<PathBuf>| -> Option<PathBuf> {
        explicit.clone().or_else(|| {
            apiserver.as_ref().and_then(|a| a.value(flag)).map(|p| {
                under(
                    root,
                    &apiserver.as_ref().map_or(p.to_string(), |a| a.host_path(p)),
                )
            })
        })
    };
    if let Some(path) = resolve("audit-policy-file", &inputs.audit_policy) {
        record_file(
            &mut view,
            &path,
            &path.display().to_string(),
            FileKind::AuditPolicy,
        );
        match load_objects(&path, &mut view).into_iter().next() {
            Some(o) => match AuditPolicy::read(o.file.clone(), o.root.clone()) {
                Ok(policy) => view.audit_policy = Some(policy),
                Err(e) => view
                    .errors
                    .push(LoadError::new(&o.file, Some(o.root.pos), e)),
            },
            None if path.exists() => view.errors.push(LoadError::new(
                &name_of(&path),
                None,
                "no audit policy in the file",
            )),
            None => view.errors.push(LoadError::new(
                &name_of(&path),
                None,
                "the audit policy file the API server names does not exist on this node",
            )),
        }
    }
    if let Some(path) = resolve("encryption-provider-config", &inputs.encryption_config) {
        record_file(
            &mut view,
            &path,
            &path.display().to_string(),
            FileKind::EncryptionConfig,
        );
        match load_objects(&path, &mut view).into_iter().next() {
            Some(o) => view.encryption_config = Some((o.file.clone(), o.root.clone())),
            None => view.errors.push(LoadError::new(
                &name_of(&path),
                None,
                "the encryption configuration the API server names could not be read",
            )),
        }
    }
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
    fn a_sidecar_before_the_component_does_not_hide_it() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver, namespace: kube-system}\nspec:\n  containers:\n  - name: log-shipper\n    image: fluent-bit\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --anonymous-auth=false\n";
        let file: Arc<str> = "kube-apiserver.yaml".into();
        let loaded = kubeharden_load::load_text(&file, text, &Default::default());
        let component = component_from_manifest(&loaded.objects[0]).expect("the apiserver");
        assert_eq!(component.kind, ComponentKind::ApiServer);
        assert_eq!(component.value("anonymous-auth"), Some("false"));
        let flag = component.flag("anonymous-auth").unwrap();
        assert_eq!(flag.path.to_string(), "spec.containers[1].command[1]");
        assert_eq!(flag.pos, kubeharden_yaml::Pos::new(12, 7));
    }

    #[test]
    fn versions_from_image_tags() {
        assert_eq!(
            version_of("registry.k8s.io/kube-apiserver:v1.30.2"),
            Some((1, 30))
        );
        assert_eq!(version_of("registry.k8s.io/etcd:3.5.15-0"), Some((3, 5)));
        assert_eq!(parse_version("1.24"), Some((1, 24)));
    }
}
