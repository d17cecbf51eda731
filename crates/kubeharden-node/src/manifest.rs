//! Which control-plane component a static pod runs, and with which flags.
//!
//! Real manifests start their component in several ways, and each must be read:
//! - kubeadm: `command: [kube-apiserver, --flag...]`;
//! - the image's entrypoint: no `command`, the flags in `args` (distroless etcd
//!   images, operators' own manifests); the image or the container name says which;
//! - a wrapper: `command: [/go-runner]` and `args: [--log-file=..., /usr/local/bin/kube-apiserver,
//!   --flag...]` (kops), `hyperkube kube-apiserver ...`, or `sh -c "exec kube-apiserver ..."`.
//!
//! The flags are the arguments after the component's binary, in `command` then `args`,
//! each with its own position.

use kubeharden_load::{LoadError, Object};
use kubeharden_yaml::{FieldPath, Node, Pos};

use crate::component::{parse_flags, Component, ComponentKind};

/// One argument of a container: its text, where it is, and its path in the manifest.
type Arg = (String, Pos, FieldPath);

/// What a static pod's container turned out to be.
#[derive(Debug)]
pub(crate) enum Recognised {
    Component(Component),
    /// Named like a component, but started by a command whose flags cannot be read.
    Opaque(LoadError),
}

/// Shells whose `-c` script is split into words to find the component in it.
const SHELLS: [&str; 4] = ["sh", "bash", "ash", "dash"];

/// Programs that run the program named by their first argument that is not a flag.
const WRAPPERS: [&str; 4] = ["go-runner", "tini", "dumb-init", "env"];

fn basename(text: &str) -> &str {
    text.rsplit('/').next().unwrap_or(text)
}

/// `-c`, `-ec`, `-xc`: a shell's flag that runs its next argument as a script.
fn is_script_flag(text: &str) -> bool {
    text.starts_with('-') && !text.starts_with("--") && text.contains('c')
}

/// The command and args of a container, a shell's `-c` script split into its words
/// (each at the script's position: the words have no node of their own).
fn argv(container: &Node, base: &FieldPath) -> (Vec<Arg>, usize) {
    let mut items: Vec<Arg> = Vec::new();
    let mut command_len = 0;
    for field in ["command", "args"] {
        let list = container.get(field).map(Node::items).unwrap_or_default();
        for (j, item) in list.iter().enumerate() {
            let Some(text) = item.scalar_text() else {
                continue;
            };
            let path = base.key(field).index(j);
            let script = items.len() == 2
                && SHELLS.contains(&basename(&items[0].0))
                && is_script_flag(&items[1].0);
            if script {
                for word in text.split_whitespace() {
                    let word = word.trim_matches(|c| c == '"' || c == '\'');
                    items.push((word.to_string(), item.pos, path.clone()));
                }
            } else {
                items.push((text.to_string(), item.pos, path));
            }
        }
        if field == "command" {
            command_len = items.len();
        }
    }
    (items, command_len)
}

/// Where a program may start in `items`. Only there: elsewhere a word is an argument,
/// and `/var/lib/etcd` in `--data-dir /var/lib/etcd` or `cp -r /var/lib/etcd` is no etcd.
/// - without a command, `args[0]` (an image without an entrypoint);
/// - in a shell's script, its first word and those after `exec`, `&&`, `||` or a `;`;
/// - behind a wrapper, its first argument that is neither a flag nor `VAR=value`;
/// - else the command itself.
fn program_positions(items: &[Arg], command_len: usize) -> Vec<usize> {
    let Some((first, _, _)) = items.first() else {
        return Vec::new();
    };
    let program = basename(first);
    if command_len > 0
        && SHELLS.contains(&program)
        && items.get(1).is_some_and(|a| is_script_flag(&a.0))
    {
        let starts = (2..items.len()).filter(|&i| {
            let word = &items[i].0;
            word == "exec" || word == "&&" || word == "||" || word.ends_with(';')
        });
        return std::iter::once(2).chain(starts.map(|i| i + 1)).collect();
    }
    if command_len > 0 && WRAPPERS.contains(&program) {
        let wrapped = items
            .iter()
            .skip(1)
            .position(|(t, _, _)| !t.starts_with('-') && !t.contains('='));
        return wrapped.map(|i| i + 1).into_iter().collect();
    }
    vec![0]
}

/// Where the component's binary is in `items`, and which component it is (`hyperkube`
/// names it in its next argument).
pub(crate) fn find_binary(items: &[Arg], command_len: usize) -> Option<(usize, ComponentKind)> {
    program_positions(items, command_len)
        .into_iter()
        .find_map(|at| {
            let program = basename(&items.get(at)?.0);
            if program == "hyperkube" {
                let sub = items.get(at + 1)?;
                return ComponentKind::from_alias(&sub.0).map(|kind| (at + 1, kind));
            }
            ComponentKind::from_binary(program).map(|kind| (at, kind))
        })
}

/// The component an entrypoint-started container runs: its image, else its name, else
/// the flags only that component takes.
fn entrypoint_kind(container: &Node, items: &[Arg]) -> Option<ComponentKind> {
    let image = container.get("image").and_then(Node::as_str).unwrap_or("");
    let name = container.get("name").and_then(Node::as_str).unwrap_or("");
    ComponentKind::from_image(image)
        .or_else(|| ComponentKind::from_alias(name))
        .or_else(|| {
            let flags = parse_flags(items);
            ComponentKind::from_flags(&flags)
        })
}

/// The pod's hostPath mounts of this container: (path in the container, on the host).
fn mounts(pod: &Node, container: &Node) -> Vec<(String, String)> {
    let volumes = pod
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
    container
        .get("volumeMounts")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|m| {
            let mount_path = m.get("mountPath").and_then(Node::as_str)?;
            let host = host_path_of(m.get("name").and_then(Node::as_str)?)?;
            Some((mount_path.to_string(), host))
        })
        .collect()
}

/// The component one container runs, if any.
fn recognise(object: &Object, i: usize, container: &Node) -> Option<Recognised> {
    let base = FieldPath::parse("spec.containers").index(i);
    let (items, command_len) = argv(container, &base);
    let (kind, flags_from) = match find_binary(&items, command_len) {
        Some((at, kind)) => (kind, at + 1),
        None if command_len == 0 => (entrypoint_kind(container, &items)?, 0),
        None => return opaque(object, &base, container),
    };
    let command_path = base.key(if command_len == 0 { "args" } else { "command" });
    Some(Recognised::Component(Component {
        kind,
        file: object.file.clone(),
        root: Some(object.root.clone()),
        flags: parse_flags(&items[flags_from..]),
        command_pos: object.root.locate(&command_path).pos,
        command_path,
        image: container
            .get("image")
            .and_then(Node::as_str)
            .map(str::to_string),
        mounts: mounts(&object.root, container),
    }))
}

/// A container named like a component whose command starts something else (a
/// script): its flags are unknown, so it is an error rather than a component judged
/// on no flags. Other containers (an `etcdctl` backup sidecar) are not components.
fn opaque(object: &Object, base: &FieldPath, container: &Node) -> Option<Recognised> {
    let name = container.get("name").and_then(Node::as_str)?;
    let kind = ComponentKind::from_alias(name)?;
    let command = base.key("command");
    Some(Recognised::Opaque(LoadError::new(
        &object.file,
        Some(object.root.locate(&command).pos),
        format!(
            "container {name:?} looks like {}, but its command does not start it directly; its flags cannot be read",
            kind.name()
        ),
    )))
}

/// The first container of a static pod that runs a control-plane component: a sidecar
/// may come before it.
pub(crate) fn component_from_manifest(object: &Object) -> Option<Recognised> {
    if object.resource.kind != "Pod" {
        return None;
    }
    let containers = object.root.get("spec")?.get("containers")?.items();
    containers
        .iter()
        .enumerate()
        .find_map(|(i, c)| recognise(object, i, c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn component(text: &str) -> Component {
        let file: Arc<str> = "m.yaml".into();
        let loaded = kubeharden_load::load_text(&file, text, &Default::default());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        match component_from_manifest(&loaded.objects[0]) {
            Some(Recognised::Component(c)) => c,
            other => panic!("not a component: {other:?}"),
        }
    }

    fn pod(container: &str) -> String {
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: x, namespace: kube-system}}\nspec:\n  containers:\n{container}")
    }

    #[test]
    fn a_sidecar_before_the_component_does_not_hide_it() {
        let c = component(&pod("  - name: log-shipper\n    image: fluent-bit\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command:\n    - kube-apiserver\n    - --anonymous-auth=false\n"));
        assert_eq!(c.kind, ComponentKind::ApiServer);
        assert_eq!(c.value("anonymous-auth"), Some("false"));
        let flag = c.flag("anonymous-auth").unwrap();
        assert_eq!(flag.path.to_string(), "spec.containers[1].command[1]");
        assert_eq!(flag.pos, Pos::new(12, 7));
    }

    #[test]
    fn an_entrypoint_component_is_known_by_its_image_and_its_args_are_flags() {
        let c = component(&pod("  - name: etcd-member\n    image: quay.io/coreos/etcd:v3.5.15\n    args:\n    - --data-dir\n    - /var/lib/etcd\n    - --client-cert-auth=true\n"));
        assert_eq!(c.kind, ComponentKind::Etcd);
        assert_eq!(c.value("data-dir"), Some("/var/lib/etcd"));
        assert_eq!(c.flag("client-cert-auth").unwrap().pos, Pos::new(11, 7));
        assert_eq!(
            c.flag("client-cert-auth").unwrap().path.to_string(),
            "spec.containers[0].args[2]"
        );
        assert_eq!(c.command_path.to_string(), "spec.containers[0].args");
    }

    #[test]
    fn a_wrapper_command_is_skipped_to_the_component() {
        // kops: go-runner's own flags come before the component's binary.
        let c = component(&pod("  - name: kube-apiserver\n    command: [/go-runner]\n    args:\n    - --log-file=/var/log/kube-apiserver.log\n    - --also-stdout\n    - /usr/local/bin/kube-apiserver\n    - --anonymous-auth=false\n    image: registry.k8s.io/kube-apiserver:v1.30.0\n"));
        assert_eq!(c.kind, ComponentKind::ApiServer);
        assert_eq!(c.flag("log-file"), None);
        assert_eq!(c.flag("anonymous-auth").unwrap().pos, Pos::new(12, 7));
    }

    #[test]
    fn each_way_of_starting_a_component() {
        let cases = [
            // The binary first in `args`, for an image without an entrypoint.
            ("  - name: apiserver\n    image: registry.k8s.io/kube-apiserver:v1.30.0\n    args: [kube-apiserver, --profiling=false]\n", ComponentKind::ApiServer, "profiling", "false"),
            ("  - name: apiserver\n    image: k8s.gcr.io/hyperkube:v1.18.0\n    command: [/hyperkube, apiserver, --insecure-port=0]\n", ComponentKind::ApiServer, "insecure-port", "0"),
            // GCE's kube-up runs the component from a shell.
            ("  - name: kube-scheduler\n    image: registry.k8s.io/kube-scheduler:v1.30.0\n    command:\n    - /bin/sh\n    - -c\n    - exec /usr/local/bin/kube-scheduler --profiling=false 1>>/var/log/kube-scheduler.log 2>&1\n", ComponentKind::Scheduler, "profiling", "false"),
            // An image that does not say: the container's name, else the flags.
            ("  - name: controller-manager\n    image: registry.example.com/platform/kcm:1.30.2\n    args: [--profiling=false]\n", ComponentKind::ControllerManager, "profiling", "false"),
            ("  - name: main\n    image: registry.example.com/platform/api:1.30.2\n    args: [--etcd-servers=https://127.0.0.1:2379]\n", ComponentKind::ApiServer, "etcd-servers", "https://127.0.0.1:2379"),
            ("  - name: main\n    image: registry.example.com/platform/sched:1.30.2\n    args: [--kubeconfig=/etc/kubernetes/scheduler.conf]\n", ComponentKind::Scheduler, "kubeconfig", "/etc/kubernetes/scheduler.conf"),
        ];
        for (container, kind, flag, value) in cases {
            let c = component(&pod(container));
            assert_eq!((c.kind, c.value(flag)), (kind, Some(value)), "{container}");
        }
    }

    #[test]
    fn other_containers_are_not_components() {
        let file: Arc<str> = "m.yaml".into();
        for container in [
            // An etcd backup sidecar uses the etcd image for etcdctl.
            "  - name: backup\n    image: registry.k8s.io/etcd:3.5.15-0\n    command: [etcdctl, snapshot, save, /backup/db]\n",
            "  - name: haproxy\n    image: haproxy:2.9\n    args: [-f, /usr/local/etc/haproxy/haproxy.cfg]\n",
            // Paths that end in a component's name are arguments, not programs.
            "  - name: copy\n    image: busybox:1.36\n    command: [/bin/sh, -c, 'cp -r /var/lib/etcd /backup && ls /backup/etcd']\n",
        ] {
            let loaded = kubeharden_load::load_text(&file, &pod(container), &Default::default());
            assert!(component_from_manifest(&loaded.objects[0]).is_none(), "{container}");
        }
        let loaded = kubeharden_load::load_text(&file, &pod("  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.30.0\n    command: [/scripts/start.sh]\n"), &Default::default());
        match component_from_manifest(&loaded.objects[0]) {
            Some(Recognised::Opaque(e)) => assert!(
                e.to_string().starts_with(
                    "m.yaml:8:5: container \"kube-apiserver\" looks like kube-apiserver"
                ),
                "{e}"
            ),
            other => panic!("{other:?}"),
        }
    }
}
