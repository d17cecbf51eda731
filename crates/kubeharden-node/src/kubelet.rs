//! The kubelet: its config file and the flags that override it.

use std::sync::Arc;

use kubeharden_yaml::{FieldPath, Node, Pos};

use crate::component::Flag;

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
