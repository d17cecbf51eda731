//! Objects with the same name in several files, and scans of several roots, shaped
//! like real repositories: a base and its overlays, samples side by side, unrelated
//! projects scanned together.

use std::path::{Path, PathBuf};

use kubeharden_engine::{clusters_of, scan_clusters, ScanOptions, ScanReport};
use kubeharden_load::discover;
use kubeharden_rules::RuleSet;

/// Writes `files` (path, text) under a fresh folder.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn scan_paths(paths: &[PathBuf], one_cluster: bool, options: &ScanOptions) -> ScanReport {
    let found = discover(paths, &[]).unwrap();
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    scan_clusters(
        &clusters_of(&found, one_cluster),
        &RuleSet::all().manifest_rules(),
        options,
    )
}

fn scan_dir(dir: &Path) -> ScanReport {
    scan_paths(&[dir.to_path_buf()], false, &ScanOptions::default())
}

/// The files (relative to `dir`) with a finding of `rule`, in report order.
fn files_with(report: &ScanReport, rule: &str, dir: &Path) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.rule_id == rule)
        .map(|f| {
            Path::new(&*f.location.file)
                .strip_prefix(dir)
                .unwrap()
                .display()
                .to_string()
        })
        .collect()
}

fn messages(report: &ScanReport, rule: &str) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.rule_id == rule)
        .map(|f| f.message.clone())
        .collect()
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, namespace: shop}\nspec:\n  selector: {matchLabels: {app: app}}\n  template:\n    metadata: {labels: {app: app}}\n    spec:\n      serviceAccountName: app\n      containers:\n      - {name: app, image: registry.example.com/app@sha256:abc}\n";

fn service_account(automount: bool) -> String {
    format!("apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: app, namespace: shop}}\nautomountServiceAccountToken: {automount}\n")
}

#[test]
fn a_pod_uses_the_service_account_of_its_own_overlay() {
    for (base, prod, flagged) in [
        (false, true, "overlays/prod/deployment.yaml"),
        (true, false, "base/deployment.yaml"),
    ] {
        let (base_sa, prod_sa) = (service_account(base), service_account(prod));
        let dir = tree(&[
            ("base/deployment.yaml", DEPLOYMENT),
            ("base/serviceaccount.yaml", &base_sa),
            ("overlays/prod/deployment.yaml", DEPLOYMENT),
            ("overlays/prod/serviceaccount.yaml", &prod_sa),
        ]);
        let report = scan_dir(dir.path());
        assert_eq!(files_with(&report, "KH402", dir.path()), [flagged]);
    }
}

#[test]
fn a_pod_without_its_own_service_account_takes_the_nearest_ancestor_s() {
    let (root_sa, sibling_sa) = (service_account(false), service_account(true));
    let dir = tree(&[
        ("overlays/prod/deployment.yaml", DEPLOYMENT),
        ("overlays/serviceaccount.yaml", &root_sa),
        // Read last, and a cousin: it is not what prod applies.
        ("overlays/staging/serviceaccount.yaml", &sibling_sa),
    ]);
    let report = scan_dir(dir.path());
    assert!(files_with(&report, "KH402", dir.path()).is_empty());
}

fn namespace(labels: &str) -> String {
    format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {{{labels}}}\n")
}

#[test]
fn one_definition_repeated_in_a_file_is_reported_once_and_each_file_for_itself() {
    let bare = namespace("");
    let twice = format!("{bare}---\n{bare}");
    let enforced = namespace("pod-security.kubernetes.io/enforce: restricted");
    let dir = tree(&[
        ("samples/a/namespace.yaml", &twice),
        ("samples/b/namespace.yaml", &bare),
        ("samples/c/namespace.yaml", &enforced),
    ]);
    let report = scan_dir(dir.path());
    assert_eq!(
        files_with(&report, "KH504", dir.path()),
        ["samples/a/namespace.yaml", "samples/b/namespace.yaml"]
    );
}

fn limit_range(name: &str) -> String {
    format!("apiVersion: v1\nkind: LimitRange\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  limits:\n  - type: Container\n    default: {{cpu: 500m, memory: 256Mi}}\n")
}

/// KH520's messages for a namespace running the app, with LimitRanges `ranges`.
fn limit_range_messages(ranges: &[(&str, &str)]) -> Vec<String> {
    let ns = namespace("");
    let mut files = vec![
        ("base/namespace.yaml", ns.as_str()),
        ("base/deployment.yaml", DEPLOYMENT),
    ];
    files.extend(ranges);
    messages(&scan_dir(tree(&files).path()), "KH520")
}

#[test]
fn a_limit_range_in_a_base_and_its_overlay_is_one_limit_range() {
    let (defaults, other) = (limit_range("defaults"), limit_range("other"));
    let overlaid = [
        ("base/limits.yaml", defaults.as_str()),
        ("overlays/prod/limits.yaml", &defaults),
    ];
    assert_eq!(limit_range_messages(&overlaid), Vec::<String>::new());
    // Two LimitRanges of different names are two, and ambiguous.
    let two = [
        ("base/limits.yaml", defaults.as_str()),
        ("base/more-limits.yaml", &other),
    ];
    assert_eq!(
        limit_range_messages(&two),
        ["namespace shop has 2 LimitRanges; keep one so its defaults are unambiguous"]
    );
}

/// Project A lets alice create pods in `ci` and binds `ci/deployer`, which only
/// project B defines, and B makes it cluster-admin.
const PROJECT_A: &str = r#"apiVersion: v1
kind: Namespace
metadata: {name: ci}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: runner, namespace: ci}
rules:
- {apiGroups: [""], resources: [pods], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: runner, namespace: ci}
subjects:
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
- {kind: ServiceAccount, name: deployer, namespace: ci}
roleRef: {kind: Role, name: runner, apiGroup: rbac.authorization.k8s.io}
"#;

const PROJECT_B: &str = r#"apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer, namespace: ci}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: deployer-admin}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: ci}
roleRef: {kind: ClusterRole, name: cluster-admin, apiGroup: rbac.authorization.k8s.io}
"#;

#[test]
fn unrelated_projects_are_separate_clusters_unless_merged() {
    let dir = tree(&[
        ("project-a/rbac.yaml", PROJECT_A),
        ("project-b/rbac.yaml", PROJECT_B),
    ]);
    let roots = [dir.path().join("project-a"), dir.path().join("project-b")];
    let alice_escalates = |r: &ScanReport| {
        messages(r, "KH620")
            .iter()
            .any(|m| m.contains("User alice") || m.contains("user:alice"))
    };
    let dangling = |r: &ScanReport| {
        messages(r, "KH612")
            .iter()
            .any(|m| m.contains("service account ci/deployer"))
    };

    let apart = scan_paths(&roots, false, &ScanOptions::default());
    assert!(!alice_escalates(&apart), "{:?}", messages(&apart, "KH620"));
    assert!(dangling(&apart), "{:?}", messages(&apart, "KH612"));
    assert_eq!(apart.clusters.len(), 2);
    assert_eq!(apart.clusters[0].files, 1);

    let merged = scan_paths(&roots, true, &ScanOptions::default());
    assert!(alice_escalates(&merged), "{:?}", messages(&merged, "KH620"));
    assert!(!dangling(&merged));
    assert_eq!(merged.clusters.len(), 1);
    assert_eq!(merged.clusters[0].roots.len(), 2);

    // Their common parent is one PATH, so one cluster: as merged.
    let parent = scan_paths(&[dir.path().to_path_buf()], false, &ScanOptions::default());
    assert!(alice_escalates(&parent));
}

#[test]
fn the_default_namespace_places_objects_and_shows_in_findings() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  serviceAccountName: app\n  containers:\n  - {name: web, image: registry.example.com/web@sha256:abc}\n";
    let sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: team}\nautomountServiceAccountToken: false\n";
    let dir = tree(&[("pod.yaml", pod), ("sa.yaml", sa)]);
    let scan_in = |namespace: &str| {
        let options = ScanOptions {
            default_namespace: namespace.to_string(),
            ..ScanOptions::default()
        };
        scan_paths(&[dir.path().to_path_buf()], false, &options)
    };
    let team = scan_in("team");
    assert!(messages(&team, "KH402").is_empty());
    let web = |r: &ScanReport| {
        let f = r
            .findings
            .iter()
            .find(|f| f.resource.name == "web")
            .unwrap();
        f.resource.namespace.clone()
    };
    assert_eq!(web(&team).as_deref(), Some("team"));
    // A namespace the manifest does not name is not "placed explicitly in default".
    let default = scan_in("default");
    assert_eq!(messages(&default, "KH402").len(), 1);
    assert_eq!(web(&default).as_deref(), Some("default"));
    assert!(messages(&default, "KH501").is_empty());
    // Cluster-scoped objects keep no namespace.
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: wide}\nrules:\n- {apiGroups: ['*'], resources: ['*'], verbs: ['*']}\n";
    std::fs::write(dir.path().join("role.yaml"), role).unwrap();
    let report = scan_in("team");
    let wide = report.findings.iter().find(|f| f.resource.name == "wide");
    assert_eq!(wide.unwrap().resource.namespace, None);
}

/// Each project of the real-world corpus as a root of its own: the report of all of
/// them is exactly the union of the reports of each alone.
#[test]
fn real_corpus_per_root_report_is_the_union_of_single_scans() {
    let Some(corpus) =
        kubeharden_testkit::shared("corpus/real", "the per-root union is not checked on it")
    else {
        return;
    };
    let entries = std::fs::read_dir(&corpus).unwrap();
    let mut projects: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    projects.sort();
    let render = |r: &ScanReport| {
        r.findings
            .iter()
            .map(|f| {
                format!(
                    "{}:{}:{}:{}",
                    f.location.file, f.location.line, f.rule_id, f.message
                )
            })
            .collect::<Vec<_>>()
    };
    let options = ScanOptions::default();
    let all = scan_paths(&projects, false, &options);
    let mut union: Vec<String> = projects
        .iter()
        .flat_map(|p| render(&scan_paths(std::slice::from_ref(p), false, &options)))
        .collect();
    union.sort();
    let mut together = render(&all);
    together.sort();
    assert_eq!(together, union);
    assert_eq!(all.clusters.len(), projects.len());
}
