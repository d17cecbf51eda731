//! Control-plane components and their flags.

use std::sync::Arc;

use kubeharden_yaml::{FieldPath, Node, Pos};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComponentKind {
    ApiServer,
    ControllerManager,
    Scheduler,
    Etcd,
}

impl ComponentKind {
    pub fn name(self) -> &'static str {
        match self {
            ComponentKind::ApiServer => "kube-apiserver",
            ComponentKind::ControllerManager => "kube-controller-manager",
            ComponentKind::Scheduler => "kube-scheduler",
            ComponentKind::Etcd => "etcd",
        }
    }

    /// The component a binary (its file name) is.
    pub fn from_binary(name: &str) -> Option<ComponentKind> {
        match name {
            "kube-apiserver" => Some(ComponentKind::ApiServer),
            "kube-controller-manager" => Some(ComponentKind::ControllerManager),
            "kube-scheduler" => Some(ComponentKind::Scheduler),
            "etcd" => Some(ComponentKind::Etcd),
            _ => None,
        }
    }

    /// The component a container name or a hyperkube subcommand stands for: the
    /// binary's name, or hyperkube's short one (`apiserver`).
    pub fn from_alias(name: &str) -> Option<ComponentKind> {
        match name {
            "apiserver" => Some(ComponentKind::ApiServer),
            "controller-manager" => Some(ComponentKind::ControllerManager),
            "scheduler" => Some(ComponentKind::Scheduler),
            _ => ComponentKind::from_binary(name),
        }
    }

    /// The component an image is built for, from its repository's last part:
    /// `registry.k8s.io/kube-apiserver:v1.30.0`, `k8s.gcr.io/etcd-amd64:3.2.18`,
    /// `quay.io/coreos/etcd@sha256:...`.
    pub fn from_image(image: &str) -> Option<ComponentKind> {
        let repository = image.split('@').next().unwrap_or(image);
        let last = repository.rsplit('/').next().unwrap_or(repository);
        let name = last.split(':').next().unwrap_or(last);
        let name = ["-amd64", "-arm64", "-arm", "-ppc64le", "-s390x"]
            .iter()
            .find_map(|arch| name.strip_suffix(arch))
            .unwrap_or(name);
        ComponentKind::from_binary(name)
    }

    /// The component whose flags these are, by flags only it takes. The scheduler has
    /// none of its own that are common, so it is known by the kubeconfig it is given.
    pub fn from_flags(flags: &[Flag]) -> Option<ComponentKind> {
        let has = |names: &[&str]| flags.iter().any(|f| names.contains(&f.name.as_str()));
        if has(&[
            "etcd-servers",
            "service-account-issuer",
            "enable-admission-plugins",
        ]) {
            Some(ComponentKind::ApiServer)
        } else if has(&[
            "cluster-signing-cert-file",
            "controllers",
            "use-service-account-credentials",
            "root-ca-file",
            "service-account-private-key-file",
        ]) {
            Some(ComponentKind::ControllerManager)
        } else if has(&[
            "listen-client-urls",
            "advertise-client-urls",
            "listen-peer-urls",
            "initial-advertise-peer-urls",
            "initial-cluster",
        ]) {
            Some(ComponentKind::Etcd)
        } else {
            flags
                .iter()
                .filter(|f| f.name == "kubeconfig" || f.name == "authentication-kubeconfig")
                .filter_map(|f| f.value.as_deref())
                .any(|path| {
                    path.rsplit('/')
                        .next()
                        .is_some_and(|n| n.contains("scheduler"))
                })
                .then_some(ComponentKind::Scheduler)
        }
    }
}

/// One command-line flag, `--name=value` or `--name value`, and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
    pub pos: Pos,
    /// Its path in the manifest (`spec.containers[0].command[12]`), when it has one.
    pub path: FieldPath,
}

/// Boolean flags of the control-plane components, etcd and the kubelet. As in Go's
/// pflag, a boolean flag never takes the next argument as its value: `--profiling x`
/// is `--profiling=true` followed by the argument `x`.
const BOOLEAN_FLAGS: [&str; 33] = [
    "allow-privileged",
    "anonymous-auth",
    "audit-log-compress",
    "auto-tls",
    "client-cert-auth",
    "contention-profiling",
    "enable-aggregator-routing",
    "enable-bootstrap-token-auth",
    "enable-debugging-handlers",
    "enable-garbage-collector",
    "enable-priority-and-fairness",
    "enable-server",
    "experimental-initial-corrupt-check",
    "fail-swap-on",
    "insecure-skip-tls-verify",
    "leader-elect",
    "logtostderr",
    "make-iptables-util-chains",
    "peer-auto-tls",
    "peer-client-cert-auth",
    "profiling",
    "protect-kernel-defaults",
    "register-node",
    "rotate-certificates",
    "rotate-server-certificates",
    "seccomp-default",
    "serialize-image-pulls",
    "service-account-extend-token-expiration",
    "service-account-lookup",
    "use-service-account-credentials",
    "enable-pprof",
    "strict-reconfig-check",
    "enable-v2",
];

/// Parses `--name=value` / `--name value` items; the last occurrence of a flag wins.
pub fn parse_flags(items: &[(String, Pos, FieldPath)]) -> Vec<Flag> {
    let mut flags: Vec<Flag> = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let (text, pos, path) = &items[i];
        i += 1;
        let Some(body) = text
            .strip_prefix("--")
            .or_else(|| text.strip_prefix('-').filter(|b| b.len() > 1))
        else {
            continue;
        };
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None if BOOLEAN_FLAGS.contains(&body) => (body.to_string(), None),
            None => match items.get(i) {
                Some((next, _, _)) if !next.starts_with('-') => {
                    i += 1;
                    (body.to_string(), Some(next.clone()))
                }
                _ => (body.to_string(), None),
            },
        };
        flags.retain(|f| f.name != name);
        flags.push(Flag {
            name,
            value,
            pos: *pos,
            path: path.clone(),
        });
    }
    flags
}

/// A control-plane component: where its configuration was read, and its flags.
#[derive(Clone, Debug)]
pub struct Component {
    pub kind: ComponentKind,
    pub file: Arc<str>,
    /// The static pod manifest, when the component was read from one.
    pub root: Option<Node>,
    pub flags: Vec<Flag>,
    /// Where a missing flag is reported: the container's command list.
    pub command_path: FieldPath,
    pub command_pos: Pos,
    pub image: Option<String>,
    /// The pod's hostPath mounts: (path in the container, path on the host).
    pub mounts: Vec<(String, String)>,
}

impl Component {
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// The flag's value (`true` for a bare boolean flag).
    pub fn value(&self, name: &str) -> Option<&str> {
        self.flag(name)
            .map(|f| f.value.as_deref().unwrap_or("true"))
    }

    /// A comma-separated flag as a list.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.value(name)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Where a path inside the container is on the host, through the hostPath mounts.
    pub fn host_path(&self, container_path: &str) -> String {
        self.mounts
            .iter()
            .filter(|(mount, _)| {
                container_path == mount
                    || container_path.starts_with(&format!("{}/", mount.trim_end_matches('/')))
            })
            .max_by_key(|(mount, _)| mount.len())
            .map(|(mount, host)| {
                format!(
                    "{}{}",
                    host.trim_end_matches('/'),
                    &container_path[mount.trim_end_matches('/').len()..]
                )
            })
            .unwrap_or_else(|| container_path.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(args: &[&str]) -> Vec<(String, Pos, FieldPath)> {
        args.iter()
            .enumerate()
            .map(|(i, a)| (a.to_string(), Pos::new(i as u32 + 1, 1), FieldPath::root()))
            .collect()
    }

    #[test]
    fn flags_in_both_forms_and_last_wins() {
        let flags = parse_flags(&items(&[
            "kube-apiserver",
            "--anonymous-auth=false",
            "--profiling",
            "--etcd-servers",
            "https://a:2379",
            "--anonymous-auth=true",
        ]));
        let get = |n: &str| flags.iter().find(|f| f.name == n).map(|f| f.value.clone());
        assert_eq!(get("anonymous-auth"), Some(Some("true".into())));
        assert_eq!(get("profiling"), Some(None));
        assert_eq!(get("etcd-servers"), Some(Some("https://a:2379".into())));
    }

    #[test]
    fn a_boolean_flag_without_a_value_does_not_swallow_the_next_argument() {
        // As pflag reads it: `--profiling` is true, and `/etc/x` is an argument.
        let flags = parse_flags(&items(&[
            "kube-scheduler",
            "--profiling",
            "/etc/x",
            "--authorization-kubeconfig",
            "/etc/kubernetes/scheduler.conf",
            "--leader-elect",
            "--bind-address",
            "127.0.0.1",
        ]));
        let get = |n: &str| flags.iter().find(|f| f.name == n).map(|f| f.value.clone());
        assert_eq!(get("profiling"), Some(None));
        assert_eq!(get("leader-elect"), Some(None));
        assert_eq!(
            get("authorization-kubeconfig"),
            Some(Some("/etc/kubernetes/scheduler.conf".into()))
        );
        assert_eq!(get("bind-address"), Some(Some("127.0.0.1".into())));
    }

    #[test]
    fn container_paths_resolve_through_mounts() {
        let c = Component {
            kind: ComponentKind::ApiServer,
            file: "m.yaml".into(),
            root: None,
            flags: vec![],
            command_path: FieldPath::root(),
            command_pos: Pos::default(),
            image: None,
            mounts: vec![
                ("/etc/kubernetes/audit".into(), "/srv/audit".into()),
                ("/etc/kubernetes".into(), "/etc/kubernetes".into()),
            ],
        };
        assert_eq!(
            c.host_path("/etc/kubernetes/audit/policy.yaml"),
            "/srv/audit/policy.yaml"
        );
        assert_eq!(
            c.host_path("/etc/kubernetes/enc.yaml"),
            "/etc/kubernetes/enc.yaml"
        );
        assert_eq!(c.host_path("/opt/x"), "/opt/x");
    }
}
