//! What `deploy/` ships for running kubeharden inside a cluster scans clean with
//! kubeharden itself, and its parts agree:
//!
//! - `deploy/manifests` has no finding: the image not pinned by digest (KH302: no image
//!   is published yet) is an inline exception on each object that runs it, reported as
//!   suppressed with its reason, and the only one; the image's definition
//!   (`deploy/Dockerfile`) has none;
//! - the admission webhook (`webhook.enabled`, `deploy/manifests/webhook.yaml`) runs 2
//!   replicas on distinct nodes with a PodDisruptionBudget, in the restricted
//!   namespace, and its configuration leaves out kube-system and its own namespace and
//!   sets a timeout and match conditions; its certificate comes from cert-manager when
//!   the cluster serves cert-manager.io/v1, else from a one-shot Job;
//! - the in-cluster ClusterRole is the scanner ClusterRole of `deploy/rbac` without
//!   Secrets, and grants writes on policy reports only;
//! - the chart (`helm template`; helm built by `testbed/helm`, or on `PATH`) renders exactly
//!   the plain manifests with its default values, and scans fully clean once the
//!   image is pinned by digest.

mod common;
mod policy_common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use common::{root, run_in};
use policy_common::documents;

/// `kubeharden ARGS` in the repository root: (exit code, JSON report).
fn scan_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["scan", "-f", "json"];
    all.extend_from_slice(args);
    let out = run_in(&root(), &all, None);
    (out.status.code().unwrap_or(-1), common::json(&out))
}

/// (rule, object) of each finding.
fn findings(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let r = &f["resource"];
            format!(
                "{} {} {}/{}",
                f["rule_id"].as_str().unwrap(),
                r["kind"].as_str().unwrap(),
                r["namespace"].as_str().unwrap_or(""),
                r["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn objects_of(path: &Path) -> Vec<Value> {
    documents(&std::fs::read_to_string(path).unwrap())
}

fn manifests() -> Vec<Value> {
    objects_of(&root().join("deploy/manifests/kubeharden.yaml"))
}

fn webhook_manifests() -> Vec<Value> {
    objects_of(&root().join("deploy/manifests/webhook.yaml"))
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

#[test]
fn the_manifests_scan_clean_with_the_unpinned_image_excepted() {
    let (code, doc) = scan_json(&["deploy/manifests"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(findings(&doc), Vec::<String>::new(), "{doc}");
    for s in doc["suppressed"].as_array().unwrap() {
        let reason = s["suppression"]["reason"].as_str().unwrap();
        assert!(reason.contains("set image.digest"), "{reason}");
    }
    let suppressed = serde_json::json!({ "findings": doc["suppressed"] });
    assert_eq!(
        findings(&suppressed),
        [
            "KH302 CronJob kubeharden/kubeharden",
            "KH302 Deployment kubeharden/kubeharden-webhook",
            "KH302 Job kubeharden/kubeharden-webhook-certs-r1-5d5888",
            "KH302 CronJob kubeharden/kubeharden-webhook-certs-renew",
        ],
        "{doc}"
    );
    let (code, doc) = scan_json(&["deploy/Dockerfile"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["summary"]["objects"], 1, "the Dockerfile is judged");
}

#[test]
fn the_in_cluster_reader_is_the_scanner_role_without_secrets() {
    let shipped = objects_of(&root().join("deploy/rbac/scanner-clusterrole.yaml"));
    let mut expected = find(&shipped, "ClusterRole", "kubeharden-scanner")["rules"].clone();
    for rule in expected.as_array_mut().unwrap() {
        if let Some(resources) = rule.get_mut("resources").and_then(Value::as_array_mut) {
            resources.retain(|r| r != "secrets");
        }
    }
    let objects = manifests();
    assert_eq!(
        find(&objects, "ClusterRole", "kubeharden-reader")["rules"],
        expected
    );
    let writes = &find(&objects, "ClusterRole", "kubeharden-policy-reports")["rules"];
    assert_eq!(writes.as_array().unwrap().len(), 1);
    assert_eq!(
        writes[0]["apiGroups"],
        serde_json::json!(["wgpolicyk8s.io"])
    );
    assert_eq!(
        writes[0]["resources"],
        serde_json::json!(["policyreports", "clusterpolicyreports"])
    );
    // The CronJob runs the writer as that account.
    let cron = find(&objects, "CronJob", "kubeharden");
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "kubeharden");
    let args = &pod["containers"][0]["args"];
    assert_eq!(args[0], "cluster");
    assert!(args
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("--write-policy-reports")));
}

/// `helm template kubeharden deploy/chart/kubeharden --namespace kubeharden ARGS`,
/// or `None` once the skip has been reported.
fn helm_template(args: &[&str]) -> Option<String> {
    let helm = helm()?;
    let out = Command::new(helm)
        .args(["template", "kubeharden", "deploy/chart/kubeharden"])
        .args(["--namespace", "kubeharden", "--kube-version", "1.37.2"])
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "helm template: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

/// The helm `testbed/helm` builds (once, cached), or without Go, helm on `PATH`.
fn helm() -> Option<std::path::PathBuf> {
    static BUILT: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let out = Command::new(root().join("testbed/helm")).output().unwrap();
        // testbed/helm exits 3 when Go is missing; any other failure is one.
        if out.status.code() == Some(3) {
            return None;
        }
        assert!(
            out.status.success(),
            "testbed/helm: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dir = String::from_utf8(out.stdout).unwrap();
        Some(Path::new(dir.trim()).join("helm"))
    });
    built
        .clone()
        .or_else(|| kubeharden_testkit::tool("helm", "the chart is not rendered nor scanned"))
}

/// Values a cluster would refuse, or that would deploy a webhook that cannot work,
/// are refused by helm itself (the chart's values.schema.json, and one check in the
/// template), naming the value; `helm lint` refuses them too.
#[test]
fn the_chart_refuses_values_that_cannot_work() {
    let Some(helm) = helm() else {
        return;
    };
    let refused = |set: &str| {
        let out = Command::new(&helm)
            .args([
                "template",
                "kubeharden",
                "deploy/chart/kubeharden",
                "--set",
                "webhook.enabled=true",
            ])
            .args(["--set", set])
            .current_dir(root())
            .output()
            .unwrap();
        (!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).into_owned())
    };
    for (set, says) in [
        ("webhook.replicas=0", "/webhook/replicas"),
        ("webhook.antiAffinity=requird", "/webhook/antiAffinity"),
        ("webhook.certManager=yes", "/webhook/certManager"),
        ("webhook.failurePolicy=ignore", "/webhook/failurePolicy"),
        ("webhook.timeoutSeconds=31", "/webhook/timeoutSeconds"),
        (
            "webhook.certRenewalSchedule=weekly",
            "/webhook/certRenewalSchedule",
        ),
        (
            "webhook.timeoutSeconds=2",
            "must be above webhook.config.timeoutMs",
        ),
        ("schedule=nope", "/schedule"),
        (
            "webhook.certRenewalSchedule=1 2 3",
            "/webhook/certRenewalSchedule",
        ),
        // The webhook's own configuration: what `serve` would refuse at start, so
        // that every replica would crash while failurePolicy Fail refuses every write.
        (
            "webhook.config.defaults.enforce=hgih",
            "/webhook/config/defaults/enforce",
        ),
        ("webhook.config.defualts.enforce=high", "'defualts'"),
        ("webhook.config.exemptions.namespace[0]=x", "'namespace'"),
        (
            "webhook.config.apiVersion=kubeharden.io/v1",
            "/webhook/config/apiVersion",
        ),
    ] {
        let error = refused(set).unwrap_or_else(|| panic!("{set} was rendered"));
        assert!(error.contains(says), "{set}: {error}");
    }
    for fine in [
        "webhook.replicas=1",
        "webhook.certManager=false",
        "webhook.timeoutSeconds=3",
        "schedule=@daily",
        "schedule=*/30 1-5 * * MON-FRI",
        "webhook.config.defaults.enforce=HIGH",
        "webhook.config.namespaces.shop.enforce=none",
    ] {
        assert_eq!(refused(fine), None, "{fine}");
    }
    let lint = Command::new(&helm)
        .args([
            "lint",
            "deploy/chart/kubeharden",
            "--set",
            "webhook.antiAffinity=requird",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(!lint.status.success(), "helm lint passed a typo");
}

#[test]
fn the_chart_passes_helm_lint() {
    let Some(helm) = helm() else {
        return;
    };
    let out = Command::new(helm)
        .args([
            "lint",
            "--strict",
            "deploy/chart/kubeharden",
            "--namespace",
            "kubeharden",
        ])
        .args(["--kube-version", "1.37.2"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_chart_renders_the_plain_manifests() {
    same_objects(&[], manifests());
    let mut both = manifests();
    both.extend(webhook_manifests());
    same_objects(&["--set", "webhook.enabled=true"], both);
}

fn same_objects(args: &[&str], mut plain: Vec<Value>) {
    let Some(rendered) = helm_template(args) else {
        return;
    };
    let mut chart = documents(&rendered);
    let key = |o: &Value| format!("{} {}", o["kind"], o["metadata"]["name"]);
    chart.sort_by_key(key);
    plain.sort_by_key(key);
    assert_eq!(chart.len(), plain.len());
    for (c, p) in chart.iter().zip(&plain) {
        assert_eq!(c, p, "{}", key(p));
    }
}

#[test]
fn the_chart_scans_clean_once_the_image_is_pinned() {
    let digest = format!("image.digest=sha256:{}", "4f".repeat(32));
    let Some(rendered) = helm_template(&["--set", &digest]) else {
        return;
    };
    let dir = common::tree(&[("rendered.yaml", &rendered)]);
    let out = run_in(dir.path(), &["scan", "rendered.yaml", "-f", "json"], None);
    let doc = common::json(&out);
    assert_eq!(out.status.code(), Some(0), "{:?}", findings(&doc));
    assert_eq!(doc["summary"]["objects"], 11);
    // Pinned, the image needs no exception: the chart leaves it out.
    assert_eq!(doc["suppressed"], serde_json::json!([]), "{doc}");
    // Reading Secrets is a choice the chart offers, and kubeharden reports it.
    let Some(rendered) = helm_template(&["--set", &digest, "--set", "rbac.readSecrets=true"])
    else {
        return;
    };
    let dir = common::tree(&[("rendered.yaml", &rendered)]);
    let out = run_in(dir.path(), &["scan", "rendered.yaml", "-f", "json"], None);
    assert_eq!(
        findings(&common::json(&out)),
        ["KH603 ClusterRoleBinding /kubeharden-reader"]
    );
    // The webhook, with its certificate from the Job or from cert-manager.
    for extra in [&[][..], &["--api-versions", "cert-manager.io/v1"][..]] {
        let mut args = vec!["--set", &digest, "--set", "webhook.enabled=true"];
        args.extend_from_slice(extra);
        let Some(rendered) = helm_template(&args) else {
            return;
        };
        let dir = common::tree(&[("rendered.yaml", &rendered)]);
        let out = run_in(dir.path(), &["scan", "rendered.yaml", "-f", "json"], None);
        let doc = common::json(&out);
        // Clean: leaving out its own namespace is how a webhook starts (KH905 knows).
        assert!(findings(&doc).is_empty(), "{extra:?}: {doc}");
        let kinds: Vec<Value> = documents(&rendered)
            .iter()
            .map(|o| o["kind"].clone())
            .collect();
        let cert_manager = !extra.is_empty();
        assert_eq!(kinds.contains(&Value::from("Certificate")), cert_manager);
        assert_eq!(kinds.contains(&Value::from("Job")), !cert_manager);
        let hooks = documents(&rendered);
        let config = find(&hooks, "ValidatingWebhookConfiguration", "kubeharden");
        assert_eq!(
            config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"].as_str(),
            cert_manager.then_some("kubeharden/kubeharden-webhook")
        );
    }
}

#[test]
fn the_webhook_is_highly_available_and_leaves_the_system_alone() {
    let objects = webhook_manifests();
    let deployment = find(&objects, "Deployment", "kubeharden-webhook");
    assert!(deployment["spec"]["replicas"].as_u64().unwrap() >= 2);
    let pod = &deployment["spec"]["template"]["spec"];
    // Apart where nodes allow: a one-node cluster still runs both replicas.
    let anti = &pod["affinity"]["podAntiAffinity"]
        ["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"];
    assert_eq!(anti["topologyKey"], "kubernetes.io/hostname");
    assert_eq!(
        anti["labelSelector"]["matchLabels"],
        deployment["spec"]["selector"]["matchLabels"]
    );
    let pdb = find(&objects, "PodDisruptionBudget", "kubeharden-webhook");
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    assert_eq!(pdb["spec"]["selector"], deployment["spec"]["selector"]);
    assert_eq!(pod["containers"][0]["args"][0], "serve");

    let config = find(&objects, "ValidatingWebhookConfiguration", "kubeharden");
    let hook = &config["webhooks"][0];
    assert_eq!(hook["failurePolicy"], "Fail");
    assert_eq!(hook["sideEffects"], "None");
    assert_eq!(hook["timeoutSeconds"], 5);
    assert_eq!(
        hook["clientConfig"]["service"]["name"],
        "kubeharden-webhook"
    );
    let excluded = &hook["namespaceSelector"]["matchExpressions"][0];
    assert_eq!(excluded["key"], "kubernetes.io/metadata.name");
    assert_eq!(excluded["operator"], "NotIn");
    assert_eq!(
        excluded["values"],
        serde_json::json!(["kube-system", "kubeharden"])
    );
    assert!(hook["matchConditions"].as_array().unwrap().len() >= 2);
    // Its own view grant passes unjudged only as the cluster-wide objects of that name:
    // a RoleBinding so named in a namespace is judged (a trial bound cluster-admin so).
    let grant = hook["matchConditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "not-its-own-rbac")
        .unwrap()["expression"]
        .as_str()
        .unwrap();
    // (Checked against the test bed's API server: a RoleBinding so named is sent to
    // the webhook, the ClusterRole and ClusterRoleBinding are not.)
    assert!(
        grant.contains("request.resource.resource in ['clusterroles', 'clusterrolebindings']"),
        "{grant}"
    );
    // All the release's own cluster-wide RBAC, by exact name: while the webhook is
    // down, an upgrade must still be able to change (and so repair) them.
    for name in [
        "kubeharden-webhook-view",
        "kubeharden-webhook-certs",
        "kubeharden-reader",
        "kubeharden-policy-reports",
    ] {
        assert!(grant.contains(&format!("'{name}'")), "{name}: {grant}");
    }
    // kubectl applies in file order: the configuration, failing closed until its
    // caBundle is set, comes after every object it would otherwise refuse.
    let plain = webhook_manifests();
    assert_eq!(
        plain.last().unwrap()["kind"],
        "ValidatingWebhookConfiguration"
    );

    // The namespace (deploy/manifests/kubeharden.yaml) enforces restricted.
    let ns = find(&manifests(), "Namespace", "kubeharden").clone();
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    // The one-shot Job's rights: create the Secret, read its own, and update only the
    // named webhook configuration.
    let job_role = find(&objects, "ClusterRole", "kubeharden-webhook-certs");
    assert_eq!(
        job_role["rules"][0]["resourceNames"],
        serde_json::json!(["kubeharden"])
    );
    let job = find(&objects, "Job", "kubeharden-webhook-certs-r1-5d5888");
    assert_eq!(
        job["spec"]["template"]["spec"]["containers"][0]["args"][0],
        "serve-certs"
    );
    // One of the release's objects, not a post-install hook: `helm install --wait`
    // (and Flux, Argo CD) wait for the replicas before such hooks run, and the
    // replicas wait for the Secret this Job makes. Never removed by a TTL either,
    // which a GitOps tool would see as drift and make again.
    let annotations = job["metadata"]["annotations"].as_object().unwrap();
    assert!(
        annotations.keys().all(|k| !k.starts_with("helm.sh/hook")),
        "{annotations:?}"
    );
    assert!(job["spec"].get("ttlSecondsAfterFinished").is_none());
    // A CronJob runs it again to renew the certificate before it runs out, which
    // takes updating the one Secret.
    let renew = find(&objects, "CronJob", "kubeharden-webhook-certs-renew");
    assert_eq!(
        renew["spec"]["jobTemplate"]["spec"]["template"],
        job["spec"]["template"]
    );
    let secret_role = find(&objects, "Role", "kubeharden-webhook-certs");
    assert_eq!(
        secret_role["rules"][1]["verbs"],
        serde_json::json!(["get", "update"])
    );
}

/// The krew manifest generator names every release archive with its SHA-256, for the
/// platforms krew knows, and refuses a folder with none or an unknown platform.
#[test]
fn the_krew_manifest_lists_each_archive_with_its_checksum() {
    let dir = tempfile::tempdir().unwrap();
    for target in ["linux-amd64", "darwin-arm64", "windows-amd64"] {
        let name = format!("kubeharden-1.2.3-{target}.tar.gz");
        std::fs::write(dir.path().join(&name), format!("archive for {target}")).unwrap();
    }
    let generate = root().join("deploy/krew/generate");
    let out = Command::new(&generate)
        .args(["v1.2.3", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest = String::from_utf8(out.stdout).unwrap();
    assert!(
        manifest.contains("kind: Plugin\nmetadata:\n  name: harden\n"),
        "{manifest}"
    );
    assert!(manifest.contains("  version: v1.2.3\n"), "{manifest}");
    for target in ["linux-amd64", "darwin-arm64", "windows-amd64"] {
        let (os, arch) = target.split_once('-').unwrap();
        let url = format!("releases/download/v1.2.3/kubeharden-1.2.3-{target}.tar.gz");
        let sum = sha256_hex(format!("archive for {target}").as_bytes());
        let entry = format!("os: {os}\n        arch: {arch}\n    uri: https://github.com/kubeharden/kubeharden/{url}\n    sha256: {sum}\n");
        assert!(manifest.contains(&entry), "{target} missing:\n{manifest}");
    }
    assert!(manifest.contains("bin: kubeharden.exe"), "{manifest}");

    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(&generate)
        .args(["1.2.3", empty.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(dir.path().join("kubeharden-1.2.3-plan9-mips.tar.gz"), "x").unwrap();
    let out = Command::new(&generate)
        .args(["1.2.3", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("plan9/mips"));
}

/// The SHA-256 of `bytes` in hex, by `sha256sum` (coreutils, as the script uses).
fn sha256_hex(bytes: &[u8]) -> String {
    use std::io::Write as _;
    let mut child = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

/// The chart ships the PolicyReport CRDs (Helm applies `crds/` before the chart) as
/// published upstream: byte for byte the copies the test bed installs.
#[test]
fn the_chart_ships_the_upstream_policy_report_crds() {
    let crds = root().join("deploy/chart/kubeharden/crds");
    for (shipped, upstream) in [
        (
            "wgpolicyk8s.io_policyreports.yaml",
            "policyreport-v1alpha2.yaml",
        ),
        (
            "wgpolicyk8s.io_clusterpolicyreports.yaml",
            "clusterpolicyreport-v1alpha2.yaml",
        ),
    ] {
        let ours = std::fs::read(crds.join(shipped)).unwrap();
        assert!(
            String::from_utf8_lossy(&ours).contains("kind: CustomResourceDefinition"),
            "{shipped}"
        );
        let Some(schemas) = kubeharden_testkit::shared(
            "schemas",
            "the shipped CRDs are not compared with upstream's",
        ) else {
            return;
        };
        assert_eq!(
            ours,
            std::fs::read(schemas.join(upstream)).unwrap(),
            "{shipped}"
        );
    }
}

/// The API server's egress is open on its ports to any address by default (its
/// address differs per cluster), and to the listed addresses alone when given.
#[test]
fn the_api_server_egress_narrows_to_the_listed_addresses() {
    let cidrs = "networkPolicy.apiServerCIDRs={10.0.0.1/32,192.168.1.10/32}";
    for (args, expected) in [
        (&[][..], Value::Null),
        (
            &["--set", cidrs][..],
            serde_json::json!([{"ipBlock": {"cidr": "10.0.0.1/32"}}, {"ipBlock": {"cidr": "192.168.1.10/32"}}]),
        ),
    ] {
        let Some(rendered) = helm_template(args) else {
            return;
        };
        let objects = documents(&rendered);
        let policy = find(&objects, "NetworkPolicy", "kubeharden-api-server");
        assert_eq!(policy["spec"]["egress"][0]["to"], expected, "{args:?}");
        assert_eq!(policy["spec"]["egress"][0]["ports"][0]["port"], 443);
    }
}
