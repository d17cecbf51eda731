//! Network plugins the scan can see, from the images of its pods.

/// A network plugin the scan can see, from the images of its pods.
pub struct Plugin<'v> {
    pub name: &'static str,
    /// Whether it enforces NetworkPolicy; `None` when that depends on a setting the
    /// scan does not read (the AWS VPC CNI's policy agent is off by default).
    pub enforces_network_policy: Option<bool>,
    pub pod: &'v crate::PodEntry,
}

/// How a plugin's image is named: a repository path suffix (`calico/node`), or a last
/// path segment that only this plugin uses (`flannel`, also behind a mirror such as
/// `registry.corp/mirror/flannel` or Rancher's `mirrored-flannel-flannel`). The
/// plugin, and whether it enforces NetworkPolicy. Canal is Calico's policy engine on
/// flannel's network: both are seen, and Calico enforces.
const PLUGIN_IMAGES: &[(&str, &str, Option<bool>)] = &[
    ("calico/node", "Calico", Some(true)),
    ("calico/calico", "Calico", Some(true)),
    ("calico-node", "Calico", Some(true)),
    ("tigera/operator", "Calico", Some(true)),
    ("cilium", "Cilium", Some(true)),
    ("antrea-agent", "Antrea", Some(true)),
    ("antrea-ubuntu", "Antrea", Some(true)),
    ("weave-npc", "Weave Net", Some(true)),
    ("weave-kube", "Weave Net", Some(true)),
    ("kube-router", "kube-router", Some(true)),
    ("azure-npm", "Azure Network Policy Manager", Some(true)),
    ("flannel", "flannel", Some(false)),
    ("amazon-k8s-cni", "AWS VPC CNI", Some(false)),
    // Shipped in the default aws-node DaemonSet, but enforcing only with
    // --enable-network-policy=true.
    ("aws-network-policy-agent", "AWS VPC CNI", None),
    // kind's plugin: its early releases route pods and enforce no NetworkPolicy, later
    // ones do; which one runs is not told by the image name.
    ("kindnetd", "kindnet", None),
];

/// Whether `image` (any registry, tag or digest) is of a repository `pattern` names:
/// a path suffix (`calico/node`) or a last path segment (`fluent-bit`).
pub fn image_named(image: &str, pattern: &str) -> bool {
    named(repository(image), pattern)
}

/// Whether the repository `repo` is named by `pattern`.
fn named(repo: &str, pattern: &str) -> bool {
    if pattern.contains('/') {
        return repo == pattern || repo.ends_with(&format!("/{pattern}"));
    }
    let last = repo.rsplit('/').next().unwrap_or(repo);
    last == pattern
        || last
            .strip_prefix("mirrored-")
            .is_some_and(|m| m.ends_with(&format!("-{pattern}")))
}

/// The repository of an image reference: no registry host, tag or digest.
fn repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    let (head, last) = image.rsplit_once('/').unwrap_or(("", image));
    let name_end = image.len() - last.len() + last.find(':').unwrap_or(last.len());
    let path = &image[..name_end];
    // The first segment is a registry host when it has a dot or a port, or is localhost.
    match head.split_once('/').map_or(head, |(first, _)| first) {
        first if first.contains('.') || first.contains(':') || first == "localhost" => {
            &path[first.len() + 1..]
        }
        _ => path,
    }
}

/// The network plugins whose pods the scan holds, one entry per plugin. Of one
/// plugin's images, the most enforcing wins: `Some(true)`, then `None`, then
/// `Some(false)` (the AWS CNI with its policy agent is `None`).
pub fn network_plugins(view: &crate::ClusterView) -> Vec<Plugin<'_>> {
    let mut found: Vec<Plugin<'_>> = Vec::new();
    let rank = |e: Option<bool>| match e {
        Some(true) => 2,
        None => 1,
        Some(false) => 0,
    };
    for pod in &view.pods {
        for image in &pod.images {
            let repo = repository(image);
            let Some((_, name, enforces)) = PLUGIN_IMAGES.iter().find(|(p, _, _)| named(repo, p))
            else {
                continue;
            };
            match found.iter_mut().find(|p| p.name == *name) {
                Some(p) if rank(*enforces) > rank(p.enforces_network_policy) => {
                    p.enforces_network_policy = *enforces;
                }
                Some(_) => {}
                None => found.push(Plugin {
                    name,
                    enforces_network_policy: *enforces,
                    pod,
                }),
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::{named, repository};

    #[test]
    fn plugins_are_named_by_path_or_distinctive_last_segment() {
        assert!(named("flannel-io/flannel", "flannel"));
        assert!(named("mirror/flannel", "flannel"));
        assert!(named("rancher/mirrored-flannel-flannel", "flannel"));
        assert!(named("rancher/flannel", "flannel"));
        assert!(!named("flannel-io/flannel-cni-plugin", "flannel"));
        assert!(named("calico/node", "calico/node"));
        assert!(!named("bitnami/node", "calico/node"));
        assert!(named("cilium/cilium", "cilium"));
        assert!(!named("cilium/operator-generic", "cilium"));
    }

    #[test]
    fn repository_drops_registry_tag_and_digest() {
        assert_eq!(repository("quay.io/calico/node:v3.28.1"), "calico/node");
        assert_eq!(
            repository("ghcr.io/flannel-io/flannel:v0.25.6"),
            "flannel-io/flannel"
        );
        assert_eq!(
            repository("docker.io/flannel/flannel:v0.24.4"),
            "flannel/flannel"
        );
        assert_eq!(repository("calico/node"), "calico/node");
        assert_eq!(
            repository("localhost:5000/cilium/cilium@sha256:ab"),
            "cilium/cilium"
        );
        assert_eq!(
            repository("602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.3"),
            "amazon-k8s-cni"
        );
    }
}
