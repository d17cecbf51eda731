//! The kubelet: its config file and the flags that override it.

use std::path::PathBuf;
use std::sync::Arc;

use kubeharden_load::{load_text, LoadError};
use kubeharden_yaml::{FieldPath, Limits, Node, Pos};

use crate::component::{parse_flags, Flag};
use crate::discover::{name_of, read_text, under, NodeInputs, NodeView};
use crate::files::{FileFact, FileKind};

/// One effective kubelet setting and where it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    pub file: Arc<str>,
    pub pos: Pos,
    /// `--read-only-port` for a flag, `readOnlyPort` for a config key.
    pub path: FieldPath,
    pub from_flag: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Kubelet {
    /// The KubeletConfiguration file and its tree.
    pub config: Option<(Arc<str>, Node)>,
    /// Command-line flags, with the file each was read from (kubeadm-flags.env,
    /// a systemd drop-in, a process command line).
    pub flags: Vec<(Arc<str>, Flag)>,
}

impl Kubelet {
    /// The effective value of a setting: the flag when given, the config key otherwise.
    pub fn setting(&self, flag: &str, config_path: &str) -> Option<Setting> {
        if let Some((file, f)) = self.flags.iter().rev().find(|(_, f)| f.name == flag) {
            return Some(Setting {
                value: f.value.clone().unwrap_or_else(|| "true".into()),
                file: file.clone(),
                pos: f.pos,
                path: FieldPath::root().key(&format!("--{flag}")),
                from_flag: true,
            });
        }
        let (file, root) = self.config.as_ref()?;
        let path = FieldPath::parse(config_path);
        let node = path.segments().iter().try_fold(root, |n, seg| match seg {
            kubeharden_yaml::Seg::Key(k) => n.get(k),
            kubeharden_yaml::Seg::Index(i) => n.items().get(*i),
        })?;
        let at = root.locate(&path);
        let value = match &node.value {
            kubeharden_yaml::Value::Scalar(s) => s.text.to_string(),
            kubeharden_yaml::Value::Seq(items) => items
                .iter()
                .filter_map(Node::scalar_text)
                .collect::<Vec<_>>()
                .join(","),
            kubeharden_yaml::Value::Map(entries) => entries
                .iter()
                .filter_map(|e| e.key.scalar_text())
                .collect::<Vec<_>>()
                .join(","),
        };
        Some(Setting {
            value,
            file: file.clone(),
            pos: at.pos,
            path,
            from_flag: false,
        })
    }

    /// Whether the kubelet runs with a config file, whose defaults are safer than the
    /// flags' defaults (anonymous off, Webhook authorization, read-only port 0).
    pub fn has_config(&self) -> bool {
        self.config.is_some()
    }

    /// Where to report a setting that is missing: the config file, else the first
    /// flags file.
    pub fn anchor(&self, config_path: &str) -> Option<(Arc<str>, Pos, FieldPath)> {
        if let Some((file, root)) = &self.config {
            let path = FieldPath::parse(config_path);
            return Some((file.clone(), root.locate(&path).pos, path));
        }
        self.flags
            .first()
            .map(|(file, f)| (file.clone(), f.pos, FieldPath::root()))
    }
}

/// Flags in a text file: `kubeadm-flags.env`, systemd drop-ins, plain flag files.
pub(crate) fn flags_in_text(text: &str) -> Vec<Flag> {
    let mut items = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut col = 0usize;
        for word in line.split(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
            let start = line[col..].find(word).map_or(col, |i| col + i);
            col = start + word.len();
            let word = word
                .split_once("=--")
                .map_or(word, |(_, rest)| &word[word.len() - rest.len() - 2..]);
            if word.starts_with('-') || !items.is_empty() {
                items.push((
                    word.to_string(),
                    Pos::new(n as u32 + 1, start as u32 + 1),
                    FieldPath::root(),
                ));
            }
        }
    }
    parse_flags(&items)
}

/// The kubelet's flags (kubeadm-flags.env, /etc/default, systemd drop-ins) and the
/// config file they (or `--kubelet-config`) name.
pub(crate) fn read_kubelet(inputs: &NodeInputs, view: &mut NodeView) -> Option<Kubelet> {
    let root = &inputs.root;
    let mut kubelet = Kubelet::default();
    let mut flag_files: Vec<PathBuf> = vec![
        under(root, "/var/lib/kubelet/kubeadm-flags.env"),
        under(root, "/etc/default/kubelet"),
        under(root, "/etc/sysconfig/kubelet"),
    ];
    for dir in [
        "/etc/systemd/system/kubelet.service.d",
        "/usr/lib/systemd/system/kubelet.service.d",
        "/lib/systemd/system/kubelet.service.d",
    ] {
        if let Ok(entries) = std::fs::read_dir(under(root, dir)) {
            let mut confs: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "conf"))
                .collect();
            confs.sort();
            flag_files.extend(confs);
        }
    }
    for path in flag_files {
        if let Some(text) = read_text(&path, view) {
            let file = name_of(&path);
            kubelet
                .flags
                .extend(flags_in_text(&text).into_iter().map(|f| (file.clone(), f)));
        }
    }
    let config_path = inputs.kubelet_config.clone().or_else(|| {
        let named = kubelet
            .flags
            .iter()
            .rev()
            .find(|(_, f)| f.name == "config")
            .and_then(|(_, f)| f.value.clone());
        Some(under(
            root,
            named.as_deref().unwrap_or("/var/lib/kubelet/config.yaml"),
        ))
    })?;
    if let Some(text) = read_text(&config_path, view) {
        let file = name_of(&config_path);
        let loaded = load_text(&file, &text, &Limits::default());
        view.errors.extend(loaded.errors);
        match loaded.objects.into_iter().next() {
            Some(o) if o.resource.kind == "KubeletConfiguration" => {
                if let Ok(fact) = FileFact::read(
                    &config_path,
                    &config_path.display().to_string(),
                    FileKind::KubeletConfig,
                ) {
                    view.files.push(fact);
                }
                kubelet.config = Some((file, o.root));
            }
            Some(o) => view.errors.push(LoadError::new(
                &file,
                Some(o.root.pos),
                format!(
                    "expected a KubeletConfiguration, found kind {:?}; its settings were not read",
                    o.resource.kind
                ),
            )),
            None => view.errors.push(LoadError::new(
                &file,
                None,
                "no KubeletConfiguration in the file",
            )),
        }
    }
    (kubelet.config.is_some() || !kubelet.flags.is_empty()).then_some(kubelet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_from_env_and_dropins() {
        let flags = flags_in_text("KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///run/containerd/containerd.sock --read-only-port=10255\"\n");
        let ro = flags.iter().find(|f| f.name == "read-only-port").unwrap();
        assert_eq!(ro.value.as_deref(), Some("10255"));
        assert_eq!(ro.pos, Pos::new(1, 91));
        let drop = flags_in_text("[Service]\nEnvironment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"\nExecStart=/usr/bin/kubelet $KUBELET_CONFIG_ARGS --anonymous-auth=true\n");
        assert_eq!(
            drop.iter()
                .find(|f| f.name == "config")
                .unwrap()
                .value
                .as_deref(),
            Some("/var/lib/kubelet/config.yaml")
        );
        assert_eq!(
            drop.iter()
                .find(|f| f.name == "anonymous-auth")
                .unwrap()
                .pos
                .line,
            3
        );
    }
}
