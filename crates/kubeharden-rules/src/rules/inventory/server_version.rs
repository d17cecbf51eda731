//! ## What it does
//! Flags a cluster whose API server runs a Kubernetes release that is out of upstream support or unpatched: a minor past its end of life, a patch release with an announced vulnerability of the kube-apiserver that a later patch fixed, or a patch older than the newest of its (maintained) minor. The version is the server's own, from `/version` in a live scan (`kubeharden cluster`) or the `ClusterSnapshot` of a snapshot file.
//!
//! The release data ships with kubeharden and is dated (`data/kubernetes-releases.json`, as of 2026-12-02): the end-of-life dates from the kubernetes.io release pages, the newest patches from the published `k8s.io/api` module versions, and each vulnerability from its Kubernetes announcement, named in the data. Support is judged on the data's date, so a verdict changes with the data, never with the clock. A scan of files has no server version: the rule is listed as not judged, never passed. A server newer than the data is not judged either.
//!
//! ## Why it matters
//! A minor past its end of life gets no fix for what is found in it afterwards, and a server behind its minor's newest patch lacks fixes already published, some of them for announced vulnerabilities that attackers read too. The guidance asks that security patches and updates be applied promptly.
//!
//! ## Example
//! ```yaml
//! apiVersion: kubeharden.io/v1alpha1
//! kind: ClusterSnapshot
//! metadata: {name: prod}
//! context: prod
//! serverVersion: {major: "1", minor: "32", gitVersion: v1.32.5}
//! ```
//!
//! ## Fix
//! Upgrade the control plane to the newest patch of a maintained minor, one minor at a time (`kubeadm upgrade`, or the managed service's upgrade), then the nodes within the version-skew policy.
//!
//! No YAML snippet: an upgrade of the control plane, not a change to a manifest.

use crate::prelude::*;
use crate::support::releases::{releases, Version};

pub const RULE: RuleDef = RuleDef {
    id: "KH904",
    name: "server-version-unsupported",
    title: "API server release out of support or unpatched",
    severity: Severity::High,
    guidance: &["UPG-01"],
    pss: None,
    mitre: Some(Mitre {
        id: "T1190",
        name: "Exploit Public-Facing Application",
    }),
    check: Check::Cluster(check),
};

const NO_SERVER: &str = "the input holds no server version (files, not a cluster): scan `kubeharden cluster` or its snapshot to judge";

fn check(ctx: &ClusterCtx<'_>, out: &mut ClusterOut) {
    let Some(live) = &ctx.view.live else {
        out.not_judged("cluster", NO_SERVER);
        return;
    };
    let server = live.header.server_version.as_ref();
    let version = server.and_then(|s| {
        Version::parse(&s.git_version).or_else(|| {
            let (major, minor, patch) = s.numbers()?;
            Some(Version {
                major,
                minor,
                patch,
            })
        })
    });
    let Some(version) = version else {
        out.not_judged("cluster", "the cluster's /version could not be read");
        return;
    };
    let data = releases();
    let verdict = data.judge(version, "kube-apiserver");
    if verdict.newer_than_data {
        out.not_judged(
            "cluster",
            format!(
                "the API server's {version} is newer than kubeharden's release data (as of {})",
                data.as_of
            ),
        );
        return;
    }
    if verdict.is_clean() {
        return;
    }
    // Only behind its minor's newest patch, with no announced vulnerability: a
    // lesser finding than an unsupported or vulnerable release.
    let lesser =
        verdict.end_of_life.is_none() && !verdict.older_than_data && verdict.cves.is_empty();
    let git_version = server
        .map(|s| s.git_version.as_str())
        .filter(|g| !g.is_empty());
    let shown = git_version.map_or_else(|| version.to_string(), str::to_string);
    let message = format!(
        "the API server runs {shown}: {}",
        verdict.problems(version, &data.as_of).join("; ")
    );
    let path = if git_version.is_some() {
        "serverVersion.gitVersion"
    } else {
        "serverVersion"
    };
    let tag = out.at(&live.origin, &live.root, FieldPath::parse(path), message);
    if lesser {
        tag.severity(Severity::Medium);
    }
}
