//! Network plugins the scan can see, from the images of its pods.

/// A network plugin the scan can see, from the images of its pods.
pub struct Plugin<'v> {
    pub name: &'static str,
    pub enforces_network_policy: bool,
    pub pod: &'v crate::PodEntry,
}

/// Image repositories of network plugins (registry and tag aside): the plugin, and
/// whether it enforces NetworkPolicy. Canal is Calico's policy engine on flannel's
/// network: both are seen, and Calico enforces.
const PLUGIN_IMAGES: &[(&str, &str, bool)] = &[
    ("calico/node", "Calico", true),
    ("calico/calico", "Calico", true),
    ("tigera/operator", "Calico", true),
    ("cilium/cilium", "Cilium", true),
    ("antrea/antrea-agent", "Antrea", true),
    ("antrea/antrea-ubuntu", "Antrea", true),
    ("weaveworks/weave-npc", "Weave Net", true),
    ("weaveworks/weave-kube", "Weave Net", true),
    ("cloudnativelabs/kube-router", "kube-router", true),
    (
        "aws-network-policy-agent",
        "AWS VPC CNI network policy agent",
        true,
    ),
    ("azure-npm", "Azure Network Policy Manager", true),
    ("flannel/flannel", "flannel", false),
    ("flannel-io/flannel", "flannel", false),
    ("coreos/flannel", "flannel", false),
    ("amazon-k8s-cni", "AWS VPC CNI", false),
];

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

/// The network plugins whose pods the scan holds, one entry per plugin.
pub fn network_plugins(view: &crate::ClusterView) -> Vec<Plugin<'_>> {
    let mut found: Vec<Plugin<'_>> = Vec::new();
    for pod in &view.pods {
        for image in &pod.images {
            let repo = repository(image);
            let plugin = PLUGIN_IMAGES
                .iter()
                .find(|(r, _, _)| repo == *r || repo.ends_with(&format!("/{r}")));
            if let Some((_, name, enforces)) = plugin {
                if !found.iter().any(|p| p.name == *name) {
                    found.push(Plugin {
                        name,
                        enforces_network_policy: *enforces,
                        pod,
                    });
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::repository;

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
