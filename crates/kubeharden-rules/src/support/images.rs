//! Reading container image references: `[registry/]repository[:tag][@digest]`.

use kubeharden_load::{ContainerRef, Workload};

/// Every container that names an image, with the image read.
pub(crate) fn container_images<'w>(
    w: &'w Workload<'_>,
) -> impl Iterator<Item = (ContainerRef<'w>, &'w str, ImageRef<'w>)> {
    w.containers().filter_map(|c| {
        let image = c.container.image.as_deref().filter(|i| !i.is_empty())?;
        Some((c, image, parse_image(image)))
    })
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// The registry host, when the reference names one (`registry.k8s.io`).
    pub registry: Option<&'a str>,
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

pub(crate) fn parse_image(image: &str) -> ImageRef<'_> {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    // A colon after the last slash starts the tag; one before it is a registry port.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].find(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    // The first component is a registry when it looks like a host, as Docker reads it.
    let (registry, repository) = match name.split_once('/') {
        Some((first, path)) if first.contains(['.', ':']) || first == "localhost" => {
            (Some(first), path)
        }
        _ => (None, name),
    };
    ImageRef {
        registry,
        repository,
        tag,
        digest,
    }
}

/// An image not pinned by digest under `imagePullPolicy: IfNotPresent` (KH303) is the
/// problem KH301 and KH302 state, seen from the pull policy: pinning the digest fixes
/// both, so their finding stands for KH303 on the same container and says what the
/// policy adds.
pub(crate) const PULL_POLICY: crate::merge::Merge = crate::merge::Merge {
    absorbs: &["KH303"],
    same: crate::merge::same_container,
    combine: Some(name_pull_policy),
    scope: crate::merge::Scope::Object,
    severity: crate::merge::MergedSeverity::Highest,
};

/// Adds KH303's point (its finding among `others`) to the kept image finding: with
/// `imagePullPolicy: IfNotPresent` or `Never`, the node runs whatever it cached under
/// the tag.
fn name_pull_policy(
    kept: &mut kubeharden_findings::Finding,
    others: &[kubeharden_findings::Finding],
) {
    let policy = others
        .iter()
        .filter(|o| o.rule_id == "KH303")
        .find_map(|o| o.message.split_once("imagePullPolicy: ")?.1.split_once(' '))
        .map(|(policy, _)| policy);
    if let Some(policy) = policy {
        kept.message.push_str(&format!(
            ", and its imagePullPolicy: {policy} runs whatever the node cached under that tag"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_registries_tags_and_digests() {
        let r = parse_image("registry.example.com:5000/team/app:1.2@sha256:abc");
        assert_eq!(
            r,
            ImageRef {
                registry: Some("registry.example.com:5000"),
                repository: "team/app",
                tag: Some("1.2"),
                digest: Some("sha256:abc")
            }
        );
        let r = parse_image("nginx");
        assert_eq!(
            r,
            ImageRef {
                registry: None,
                repository: "nginx",
                tag: None,
                digest: None
            }
        );
        let r = parse_image("library/nginx:latest");
        assert_eq!((r.registry, r.tag), (None, Some("latest")));
        assert_eq!(parse_image("localhost/app").registry, Some("localhost"));
    }
}
