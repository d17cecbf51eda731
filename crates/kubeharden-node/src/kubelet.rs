//! The kubelet: its config file and the flags that override it.

use std::path::PathBuf;
use std::sync::Arc;

use kubeharden_load::LoadError;
use kubeharden_yaml::{FieldPath, Node, Pos};

use crate::component::{parse_flags, Flag};
use crate::discover::{name_of, under, NodeInputs, NodeView};
use crate::files::{record_file, FileKind};
use crate::read::{read_objects, read_text, report, Loaded};

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

/// A setting that no flag gives and that the kubelet's config file, which could not
/// be read, may hold: it cannot be judged, neither as set nor on its default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unjudged {
    /// The config file.
    pub file: Arc<str>,
}

#[derive(Clone, Debug, Default)]
pub struct Kubelet {
    /// The KubeletConfiguration file and its tree.
    pub config: Option<(Arc<str>, Node)>,
    /// The config file the kubelet is given, when it is unreadable, empty, not valid
    /// YAML or not a KubeletConfiguration (the error says which).
    pub broken_config: Option<Arc<str>>,
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

    /// The effective setting as [`Kubelet::setting`] gives it, or [`Unjudged`] when no
    /// flag sets it and the config file could not be read: its defaults cannot be assumed.
    pub fn lookup(&self, flag: &str, config_path: &str) -> Result<Option<Setting>, Unjudged> {
        match (self.setting(flag, config_path), &self.broken_config) {
            (None, Some(file)) => Err(Unjudged { file: file.clone() }),
            (setting, _) => Ok(setting),
        }
    }

    /// The value of the last occurrence of a command-line flag.
    pub fn flag_value(&self, name: &str) -> Option<String> {
        self.flags
            .iter()
            .rev()
            .find(|(_, f)| f.name == name)
            .and_then(|(_, f)| f.value.clone())
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
            // `KUBELET_EXTRA_ARGS=--flag`: the flag starts after the variable's name.
            let (start, word) = match word.split_once("=--") {
                Some((_, rest)) => (col - rest.len() - 2, &word[word.len() - rest.len() - 2..]),
                None => (start, word),
            };
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
        let listed = view.reading.list(&under(root, dir));
        flag_files.extend(
            listed
                .into_iter()
                .filter(|p| p.extension().is_some_and(|x| x == "conf")),
        );
    }
    let mut command_known = false;
    for path in flag_files {
        if let Loaded::Read(text) = read_text(&path, view) {
            command_known |= starts_kubelet(&text);
            let file = name_of(&path);
            kubelet
                .flags
                .extend(flags_in_text(&text).into_iter().map(|f| (file.clone(), f)));
        }
    }
    read_config(inputs, command_known, &mut kubelet, view);
    let known = kubelet.config.is_some() || kubelet.broken_config.is_some();
    (known || !kubelet.flags.is_empty()).then_some(kubelet)
}

/// Whether a systemd unit text starts the kubelet (a non-empty `ExecStart=`): then its
/// flags are the kubelet's whole command line, and a missing `--config` means none.
fn starts_kubelet(text: &str) -> bool {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("ExecStart="))
        .any(|cmd| !cmd.trim().is_empty())
}

/// The config file: `--kubelet-config`, else the one `--config` names. Without
/// `--config` the kubelet reads no file and runs on its flags' defaults, so kubeadm's
/// place is not its config when a drop-in gives the command line. Only when no
/// command line was found (just env files, or nothing) is kubeadm's place assumed: the
/// file there is then the best evidence of the kubelet's settings.
fn config_path(inputs: &NodeInputs, named: Option<&str>, command_known: bool) -> Option<PathBuf> {
    match (&inputs.kubelet_config, named) {
        (Some(explicit), _) => Some(explicit.clone()),
        (None, Some(named)) => Some(under(&inputs.root, named)),
        (None, None) if command_known => None,
        (None, None) => Some(under(&inputs.root, "/var/lib/kubelet/config.yaml")),
    }
}

/// Reads the config file [`config_path`] gives. Named and absent, or there and
/// unusable, it is broken: the kubelet would not start on it, and nothing can be said
/// of the settings it would hold.
fn read_config(
    inputs: &NodeInputs,
    command_known: bool,
    kubelet: &mut Kubelet,
    view: &mut NodeView,
) {
    let named = kubelet.flag_value("config");
    let Some(path) = config_path(inputs, named.as_deref(), command_known) else {
        return;
    };
    let file = name_of(&path);
    record_file(
        view,
        &path,
        &crate::discover::node_path_of(&inputs.root, &path),
        FileKind::KubeletConfig,
    );
    let objects = match read_objects(&path, view) {
        Loaded::Read(objects) => objects,
        Loaded::Absent if inputs.kubelet_config.is_none() && named.is_none() => return,
        Loaded::Absent => {
            report(
                view,
                &path,
                "the kubelet's config file does not exist on this node",
            );
            kubelet.broken_config = Some(file);
            return;
        }
        Loaded::Broken => {
            kubelet.broken_config = Some(file);
            return;
        }
    };
    match objects.into_iter().next() {
        Some(o) if o.resource.kind == "KubeletConfiguration" => {
            kubelet.config = Some((file, o.root));
        }
        Some(o) => {
            view.errors.push(LoadError::new(
                &file,
                Some(o.root.pos),
                format!(
                    "expected a KubeletConfiguration, found kind {:?}; its settings were not read",
                    o.resource.kind
                ),
            ));
            kubelet.broken_config = Some(file);
        }
        None => {
            report(
                view,
                &path,
                "no KubeletConfiguration in the file: its document has no apiVersion and kind",
            );
            kubelet.broken_config = Some(file);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_config_leaves_unflagged_settings_unjudged() {
        let flag = |name: &str, value: &str| {
            let file: Arc<str> = "20-debug.conf".into();
            let f = Flag {
                name: name.into(),
                value: Some(value.into()),
                pos: Pos::new(3, 1),
                path: FieldPath::root(),
            };
            (file, f)
        };
        let kubelet = Kubelet {
            config: None,
            broken_config: Some("config.yaml".into()),
            flags: vec![flag("read-only-port", "0")],
        };
        let unjudged = Unjudged {
            file: "config.yaml".into(),
        };
        assert_eq!(
            kubelet.lookup("anonymous-auth", "authentication.anonymous.enabled"),
            Err(unjudged)
        );
        let port = kubelet
            .lookup("read-only-port", "readOnlyPort")
            .unwrap()
            .unwrap();
        assert!(port.from_flag && port.value == "0");
        let readable = Kubelet {
            broken_config: None,
            ..kubelet
        };
        assert_eq!(
            readable.lookup("anonymous-auth", "authentication.anonymous.enabled"),
            Ok(None)
        );
    }

    #[test]
    fn flags_from_env_and_dropins() {
        let flags = flags_in_text("KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///run/containerd/containerd.sock --read-only-port=10255\"\n");
        let ro = flags.iter().find(|f| f.name == "read-only-port").unwrap();
        assert_eq!(ro.value.as_deref(), Some("10255"));
        assert_eq!(ro.pos, Pos::new(1, 91));
        // A flag glued to its variable's name is placed at the flag.
        let extra = flags_in_text("Environment=\"KUBELET_EXTRA_ARGS=--anonymous-auth=true\"\n");
        assert_eq!(extra[0].name, "anonymous-auth");
        assert_eq!(extra[0].pos, Pos::new(1, 33));
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
