//! `kubeharden node` on fixture node trees (`tests/nodes/`, made by `make_trees.py`): a
//! default kubeadm control plane, a worker, a hardened control plane (no findings), a
//! legacy control plane read from process command lines, components started by their
//! image's entrypoint, a wrapper or a shell, users' kubeconfigs, damaged files, and
//! broken input. Each tree is copied to a scratch folder and given the file modes its
//! `modes.txt` lists (Git keeps no modes).

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The tree `name`, laid out in a scratch folder with its modes.
fn tree(name: &str) -> (tempfile::TempDir, PathBuf) {
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/nodes")
        .join(name);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(name);
    std::fs::create_dir_all(&root).unwrap();
    copy_tree(&source, &root);
    let modes = std::fs::read_to_string(root.join("modes.txt")).unwrap();
    for line in modes.lines() {
        let (mode, path) = line.split_once(' ').unwrap();
        let mode = u32::from_str_radix(mode, 8).unwrap();
        std::fs::set_permissions(root.join(path), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    std::fs::remove_file(root.join("modes.txt")).unwrap();
    (dir, root)
}

fn audit(root: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let uid = std::fs::metadata(root).unwrap().uid().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
        .args(["node", "--root"])
        .arg(root)
        .args(["--owner-uid", &uid, "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (
        out.status.code(),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Findings as `ID file:line:col path: message`, with the scratch folder removed.
fn render(doc: &serde_json::Value, root: &Path) -> String {
    let prefix = format!("{}/", root.display());
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["location"]["file"].as_str().unwrap().replace(&prefix, "");
            format!(
                "{} {}:{}:{} {}: {}",
                f["rule_id"].as_str().unwrap(),
                file,
                f["location"]["line"],
                f["location"]["column"],
                f["path"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
        .replace(&root.display().to_string(), "")
}

#[test]
fn kubeadm_control_plane_defaults() {
    let (_dir, root) = tree("kubeadm-control-plane");
    let (code, doc, stderr) = audit(&root, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        doc["errors"].as_array().unwrap().is_empty(),
        "{}",
        doc["errors"]
    );
    insta::assert_snapshot!(render(&doc, &root));
}

#[test]
fn worker_node() {
    let (_dir, root) = tree("worker");
    let (code, doc, stderr) = audit(&root, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    let text = render(&doc, &root);
    // The debug drop-in's flags override the config file.
    assert!(
        text.contains("KH740 etc/systemd/system/kubelet.service.d/20-debug.conf:3:"),
        "{text}"
    );
    assert!(
        !text.contains("abcdef.0123456789abcdef"),
        "a token was printed"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn hardened_control_plane_is_clean() {
    let (_dir, root) = tree("hardened-control-plane");
    let (code, doc, stderr) = audit(&root, &[]);
    assert_eq!(doc["errors"].as_array().unwrap().len(), 0, "{stderr}");
    assert_eq!(render(&doc, &root), "", "the hardened node has findings");
    assert_eq!(code, Some(0));
    assert!(doc["summary"]["objects"].as_u64().unwrap() >= 5);
}

#[test]
fn legacy_control_plane_from_process_command_lines() {
    let (_dir, root) = tree("legacy-control-plane");
    let (code, doc, stderr) = audit(&root, &["--k8s-version", "1.18"]);
    assert_eq!(code, Some(1), "{stderr}");
    let text = render(&doc, &root);
    for id in [
        "KH702", "KH703", "KH704", "KH705", "KH708", "KH709", "KH710", "KH712", "KH721", "KH730",
        "KH731", "KH732", "KH750",
    ] {
        assert!(text.contains(id), "{id} missing:\n{text}");
    }
    insta::assert_snapshot!(text);
}

#[test]
fn version_gates_the_insecure_port() {
    let (_dir, root) = tree("legacy-control-plane");
    let (_, doc, _) = audit(&root, &["--k8s-version", "1.30", "--select", "KH709"]);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn broken_input_is_reported_and_the_rest_audited() {
    let (_dir, root) = tree("broken");
    let (code, doc, stderr) = audit(&root, &[]);
    assert_eq!(code, Some(2));
    let errors: Vec<String> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{} {}",
                e["file"]
                    .as_str()
                    .unwrap()
                    .replace(&root.display().to_string(), ""),
                e["line"],
                e["message"]
            )
        })
        .collect();
    let all = errors.join("\n");
    assert!(all.contains("kube-scheduler.yaml:4"), "{all}");
    assert!(all.contains("folder.yaml"), "{all}");
    assert!(all.contains("KubeProxyConfiguration"), "{all}");
    assert!(stderr.contains("kube-scheduler.yaml"));
    let ids = common::rule_ids(&doc);
    assert!(
        ids.contains(&"KH707"),
        "the API server was still audited: {ids:?}"
    );
}

/// Errors as `file:line:col message` (`file message` without a position), scratch
/// folder removed.
fn errors(doc: &serde_json::Value, root: &Path) -> Vec<String> {
    let prefix = format!("{}/", root.display());
    doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let file = e["file"].as_str().unwrap().replace(&prefix, "");
            let at = match (e["line"].as_u64(), e["column"].as_u64()) {
                (Some(line), Some(col)) => format!(":{line}:{col}"),
                _ => String::new(),
            };
            format!("{file}{at} {}", e["message"].as_str().unwrap())
        })
        .collect()
}

/// Whether the tests run as root, who may read any file and give files away.
fn is_root() -> bool {
    let probe = tempfile::tempdir().unwrap();
    std::fs::metadata(probe.path()).unwrap().uid() == 0
}

#[test]
fn components_started_by_entrypoint_wrapper_or_shell_are_recognised() {
    let (_dir, root) = tree("entrypoint-control-plane");
    let (code, doc, stderr) = audit(&root, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(errors(&doc, &root), Vec::<String>::new());
    // Four components (apiserver by image, controller manager behind go-runner,
    // scheduler in a shell, etcd by image after a sidecar), the kubelet, five
    // kubeconfigs, the audit policy and the encryption configuration.
    assert_eq!(doc["summary"]["objects"], 12);
    let text = render(&doc, &root);
    // The only findings are the three planted flags, each at its place in `args`: the
    // hardened flags around them were read (unread, they would be findings too).
    assert_eq!(
        text,
        "KH730 etc/kubernetes/manifests/etcd.yaml:27:7 spec.containers[1].args[10]: etcd sets --peer-client-cert-auth=false; it should be true\n\
         KH701 etc/kubernetes/manifests/kube-apiserver.yaml:34:7 spec.containers[0].args[20]: kube-apiserver sets --anonymous-auth=true; it should be false\n\
         KH720 etc/kubernetes/manifests/kube-controller-manager.yaml:21:7 spec.containers[0].args[5]: kube-controller-manager sets --bind-address=0.0.0.0; it should be 127.0.0.1"
    );
}

/// Owners for the home-kubeconfigs tree: (path, uid). alice and bob own their homes
/// and kubeconfigs; carol's kubeconfig belongs to someone else.
const HOME_OWNERS: [(&str, u32); 6] = [
    ("home/alice", 1000),
    ("home/alice/.kube/config", 1000),
    ("home/bob", 1001),
    ("home/bob/.kube/config", 1001),
    ("home/carol", 1002),
    ("home/carol/.kube/config", 1003),
];

#[test]
fn users_kubeconfigs_are_examined() {
    let (_dir, root) = tree("home-kubeconfigs");
    let root_run = is_root();
    if root_run {
        for (path, uid) in HOME_OWNERS {
            std::os::unix::fs::chown(root.join(path), Some(uid), Some(uid)).unwrap();
        }
    }
    let (code, doc, stderr) = audit(&root, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(errors(&doc, &root), Vec::<String>::new());
    let text = render(&doc, &root);
    let out = format!("{text}\n{stderr}");
    assert!(!out.contains("eyJhbGciOi"), "a token was printed: {out}");
    assert!(
        text.contains("KH750 home/alice/.kube/config:1:1 : kubeconfig /home/alice/.kube/config has mode 644; it should be 600 or stricter"),
        "{text}"
    );
    assert!(
        text.contains("KH751 home/alice/.kube/config:15:5 users[0].user.token: kubeconfig user \"alice\" uses a bearer token (redacted)"),
        "{text}"
    );
    // Its fingerprint names the user, not its place in the list.
    let fingerprints: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "KH751")
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert!(
        fingerprints
            .iter()
            .any(|f| f.ends_with("|users[alice].user.token")),
        "{fingerprints:?}"
    );
    // bob's kubeconfig has no `kind`, as kubectl allows, and runs the aws CLI.
    assert!(
        text.contains("KH751 home/bob/.kube/config:16:5 users[0].user.exec: kubeconfig user \"arn:aws:eks:eu-west-1:111122223333:cluster/prod\" uses an exec plugin (aws)"),
        "{text}"
    );
    // root's copy of admin.conf is 600 and root's, bob's is 600 and his own.
    assert!(!text.contains("root/.kube/config"), "{text}");
    assert!(!text.contains("KH750 home/bob"), "{text}");
    if root_run {
        assert!(
            text.contains("KH750 home/carol/.kube/config:1:1 : kubeconfig /home/carol/.kube/config is owned by uid 1003, not 0 or the home folder's owner 1002"),
            "{text}"
        );
        assert_eq!(text.matches("KH750 home/carol").count(), 1, "{text}");
    } else {
        eprintln!("not root: the owner checks of home kubeconfigs were not exercised");
    }
    // Not in a usual place: examined only when named.
    assert!(!text.contains("opt/ci"), "{text}");
}

#[test]
fn kubeconfig_option_names_more_kubeconfigs() {
    let (dir, root) = tree("home-kubeconfigs");
    std::fs::write(
        dir.path().join("copied.conf"),
        "apiVersion: v1\nkind: Config\nusers:\n- name: deploy\n  user:\n    token: copied-token-value\n",
    )
    .unwrap();
    let uid = std::fs::metadata(&root).unwrap().uid().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
        .current_dir(dir.path())
        .args(["node", "--root"])
        .arg(&root)
        .args([
            "--owner-uid",
            &uid,
            "--format",
            "json",
            "--select",
            "KH750,KH751",
        ])
        // On the node, under --root; relative to the current folder; missing.
        .args(["--kubeconfig", "/opt/ci/kubeconfig"])
        .args(["--kubeconfig", "copied.conf"])
        .args(["--kubeconfig", "/etc/kubernetes/ci.conf"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        errors(&doc, &root),
        ["etc/kubernetes/ci.conf no such file"],
        "{stderr}"
    );
    let text = render(&doc, &root);
    let printed = format!("{text}\n{stderr}");
    for secret in ["hunter2-ci-basic-auth", "copied-token-value"] {
        assert!(!printed.contains(secret), "{secret} was printed: {printed}");
    }
    assert!(
        text.contains("KH751 opt/ci/kubeconfig:16:5 users[0].user.password: kubeconfig user \"kubernetes-admin\" uses a password (redacted)"),
        "{text}"
    );
    assert!(
        text.contains("KH750 opt/ci/kubeconfig:1:1 : kubeconfig /opt/ci/kubeconfig has mode 644"),
        "{text}"
    );
    assert!(
        text.contains("copied.conf:6:5 users[0].user.token: kubeconfig user \"deploy\" uses a bearer token (redacted)"),
        "{text}"
    );
    // The usual ones are still examined.
    assert!(text.contains("KH751 home/alice/.kube/config"), "{text}");
}

#[test]
fn damaged_files_are_errors_at_their_place_and_the_rest_is_judged() {
    let (_dir, root) = tree("damaged-control-plane");
    let (code, doc, stderr) = audit(&root, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    let kubelet_config = "var/lib/kubelet/config.yaml";
    let not_judged = |rule: &str, settings: &str| {
        format!("{kubelet_config} {rule} cannot be judged: no flag sets {settings}, and this file, which would, could not be read")
    };
    assert_eq!(
        errors(&doc, &root),
        [
            "etc/kubernetes/manifests/etcd.json:10:9 not valid YAML: while parsing a flow mapping, did not find expected ',' or '}'".to_string(),
            "etc/kubernetes/manifests/kube-controller-manager.yaml empty: the file holds no YAML document".into(),
            "etc/kubernetes/manifests/kube-scheduler.yaml:18:11 not valid YAML: mapping values are not allowed in this context".into(),
            format!("{kubelet_config}:9:4 not valid YAML: while parsing a block mapping, did not find expected key"),
            "etc/kubernetes/admin.conf empty: the file holds no YAML document".into(),
            "etc/kubernetes/super-admin.conf:16:1 not valid YAML: while scanning a plain scalar, found a tab".into(),
            "etc/kubernetes/audit-policy.yaml empty: the file holds no YAML document".into(),
            // The API server names the policy: its gaps are not judged, nor passed.
            "etc/kubernetes/audit-policy.yaml KH712 audit-policy-gaps cannot be judged: the audit policy this file holds could not be read".into(),
            // --anonymous-auth=false in /etc/default/kubelet decides that one.
            not_judged("KH740 kubelet-authentication", "authorization.mode, authentication.webhook.enabled, authentication.x509.clientCAFile"),
            not_judged("KH742 kubelet-tls", "rotateCertificates, serverTLSBootstrap (or tlsCertFile and tlsPrivateKeyFile), tlsCipherSuites, tlsMinVersion"),
            not_judged("KH743 kubelet-hardening", "protectKernelDefaults, seccompDefault, podPidsLimit"),
        ]
    );
    // Standard error says `file:line:col: why`.
    let scheduler = root.join("etc/kubernetes/manifests/kube-scheduler.yaml");
    assert!(
        stderr.contains(&format!(
            "kubeharden: error: {}:18:11: not valid YAML",
            scheduler.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("9fd3a1"), "a token was printed: {stderr}");
    let text = render(&doc, &root);
    assert!(!text.contains("9fd3a1"), "a token was printed: {text}");
    // The kubelet: judged on its flags only, never on defaults.
    let kubelet: Vec<&str> = text.lines().filter(|l| l.starts_with("KH74")).collect();
    assert_eq!(
        kubelet,
        ["KH741 etc/default/kubelet:1:44 --read-only-port: kubelet sets --read-only-port=10255; it should be 0"]
    );
    // The API server is still audited; the empty audit policy is no policy judged.
    assert!(
        text.contains("KH711 etc/kubernetes/manifests/kube-apiserver.yaml"),
        "{text}"
    );
    assert!(!text.contains("KH712"), "{text}");
}

#[test]
fn a_referenced_kubelet_config_that_is_missing_is_not_judged_on_defaults() {
    let (_dir, root) = tree("worker");
    std::fs::remove_file(root.join("var/lib/kubelet/config.yaml")).unwrap();
    let (code, doc, stderr) = audit(&root, &["--select", "KH74"]);
    assert_eq!(code, Some(2), "{stderr}");
    let all = errors(&doc, &root);
    assert_eq!(
        all[0],
        "var/lib/kubelet/config.yaml the kubelet's config file does not exist on this node"
    );
    assert!(all[1].starts_with("var/lib/kubelet/config.yaml KH740 kubelet-authentication cannot be judged: no flag sets authentication.webhook.enabled, authentication.x509.clientCAFile,"), "{all:?}");
    assert!(
        all.iter().any(|e| e
            .contains("KH741 kubelet-read-only-port cannot be judged: no flag sets readOnlyPort")),
        "{all:?}"
    );
    // The debug drop-in's flags are still judged; the flags' defaults (read-only port
    // 10255, no client CA) are not assumed.
    let text = render(&doc, &root);
    assert_eq!(
        text,
        "KH740 etc/systemd/system/kubelet.service.d/20-debug.conf:3:33 --anonymous-auth: kubelet sets --anonymous-auth=true; it should be false\n\
         KH740 etc/systemd/system/kubelet.service.d/20-debug.conf:3:55 --authorization-mode: kubelet sets --authorization-mode=AlwaysAllow; it should be Webhook"
    );
}

#[test]
fn an_unreadable_kubelet_config_is_not_judged() {
    let (dir, root) = tree("worker");
    // Everything readable by anyone but the kubelet config, as on a node where the
    // scanner does not run as root.
    let chmod = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    chmod(dir.path(), 0o755);
    for entry in walkdir(&root) {
        chmod(&entry, if entry.is_dir() { 0o755 } else { 0o644 });
    }
    let config = root.join("var/lib/kubelet/config.yaml");
    let mut command = if is_root() {
        chmod(&config, 0o600);
        let Some(setpriv) = kubeharden_testkit::tool(
            "setpriv",
            "running as root, the test cannot drop privileges to make a file unreadable",
        ) else {
            return;
        };
        let mut c = Command::new(setpriv);
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_kubeharden"));
        c
    } else {
        chmod(&config, 0o000);
        Command::new(env!("CARGO_BIN_EXE_kubeharden"))
    };
    let out = command
        .args(["node", "--root"])
        .arg(&root)
        .args(["--format", "json", "--select", "KH740,KH741,KH742,KH743"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let all = errors(&doc, &root);
    assert_eq!(
        all[0], "var/lib/kubelet/config.yaml cannot read: permission denied",
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|e| e.contains("KH741 kubelet-read-only-port cannot be judged")),
        "{all:?}"
    );
    // No finding on defaults; the drop-in's flags are judged.
    let ids = common::rule_ids(&doc);
    assert_eq!(ids, ["KH740", "KH740"], "{}", render(&doc, &root));
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all.extend(walkdir(&path));
        }
        all.push(path);
    }
    all
}

#[test]
fn a_kubelet_without_config_flag_runs_on_flag_defaults() {
    let (_dir, root) = tree("kubeadm-control-plane");
    // A drop-in that starts the kubelet without --config: the file at kubeadm's place
    // is left over, not read by the kubelet.
    let dropin = root.join("usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf");
    let text = std::fs::read_to_string(&dropin).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.contains("KUBELET_CONFIG_ARGS="))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(!text.contains("--config"), "{text}");
    std::fs::write(&dropin, text).unwrap();
    let (_, doc, stderr) = audit(&root, &["--select", "KH740,KH741"]);
    assert_eq!(errors(&doc, &root), Vec::<String>::new(), "{stderr}");
    let text = render(&doc, &root);
    for expected in [
        "kubelet does not set authentication.anonymous.enabled (--anonymous-auth), which defaults to true",
        "kubelet does not set authorization.mode (--authorization-mode), which defaults to AlwaysAllow",
        "KH741 ",
    ] {
        assert!(text.contains(expected), "{expected} missing:\n{text}");
    }
    assert!(!text.contains("var/lib/kubelet/config.yaml"), "{text}");
}

/// Replaces `from` with `to` in the file at `path` under `root`.
fn edit(root: &Path, path: &str, from: &str, to: &str) {
    let path = root.join(path);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from} not in {}", path.display());
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

const KUBEADM_API: &str = "etc/kubernetes/manifests/kube-apiserver.yaml";

#[test]
fn structured_authorization_config_is_read_not_taken_for_always_allow() {
    let (_dir, root) = tree("kubeadm-control-plane");
    let config = "--authorization-config=/etc/kubernetes/authz.yaml";
    edit(&root, KUBEADM_API, "--authorization-mode=Node,RBAC", config);
    let authz = root.join("etc/kubernetes/authz.yaml");
    let write = |types: &[&str]| {
        let mut text = String::from(
            "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n",
        );
        for t in types {
            text += &format!("- type: {t}\n  name: {}\n", t.to_lowercase());
        }
        std::fs::write(&authz, text).unwrap();
    };
    let kh703 = |root: &Path| {
        let (_, doc, _) = audit(root, &["--select", "KH703"]);
        (render(&doc, root), errors(&doc, root))
    };
    write(&["Node", "RBAC"]);
    assert_eq!(kh703(&root), (String::new(), vec![]));
    write(&["Webhook"]);
    let (text, errs) = kh703(&root);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(
        text,
        "KH703 etc/kubernetes/authz.yaml:3:1 authorizers: the authorizers of /etc/kubernetes/authz.yaml are \"Webhook\", without Node: kubelets are not limited to their own node's objects\n\
         KH703 etc/kubernetes/authz.yaml:3:1 authorizers: the authorizers of /etc/kubernetes/authz.yaml are \"Webhook\", without RBAC"
    );
    std::fs::remove_file(&authz).unwrap();
    let (text, errs) = kh703(&root);
    assert_eq!(text, "", "an unread configuration is no AlwaysAllow");
    assert_eq!(
        errs,
        [
            "etc/kubernetes/authz.yaml the authorization configuration the API server names does not exist on this node",
            "etc/kubernetes/authz.yaml KH703 apiserver-authorization-mode cannot be judged: the authorization configuration this file holds could not be read",
        ]
    );
}

#[test]
fn an_audit_log_on_standard_output_has_no_retention_to_judge() {
    let (_dir, root) = tree("kubeadm-control-plane");
    let flag = "--authorization-mode=Node,RBAC";
    edit(
        &root,
        KUBEADM_API,
        flag,
        &format!("{flag}\n    - --audit-log-path=-"),
    );
    let (_, doc, _) = audit(&root, &["--select", "KH711"]);
    let text = render(&doc, &root);
    assert!(!text.contains("audit-log-max"), "{text}");
    assert!(text.contains("--audit-policy-file"), "{text}");
}

#[test]
fn passwords_in_etcd_urls_are_not_printed() {
    let (_dir, root) = tree("legacy-control-plane");
    let url = "http://10.0.0.10:2379";
    edit(
        &root,
        "proc/101/cmdline",
        url,
        "http://admin:EtcdS3cretPw2@10.0.0.10:2379",
    );
    let (_, doc, stderr) = audit(&root, &["--k8s-version", "1.18"]);
    let text = render(&doc, &root);
    assert!(
        !format!("{text}{stderr}").contains("EtcdS3cretPw2"),
        "a password was printed: {text}"
    );
    assert!(
        text.contains(
            "kube-apiserver --etcd-servers uses plain HTTP: http://admin:***@10.0.0.10:2379"
        ),
        "{text}"
    );
}

#[test]
fn junit_shows_unjudged_kubelet_rules_as_errors_not_passes() {
    let (_dir, root) = tree("damaged-control-plane");
    let uid = std::fs::metadata(&root).unwrap().uid().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
        .args(["node", "--root"])
        .arg(&root)
        .args(["--owner-uid", &uid, "--format", "junit"])
        .output()
        .unwrap();
    let xml = String::from_utf8(out.stdout).unwrap();
    let suite = xml
        .split("<testsuite ")
        .find(|s| s.contains(r#"name="KH743"#))
        .expect("a KH743 suite");
    assert!(suite.contains(r#"errors="1""#), "{suite}");
    assert!(suite.contains(r#"<error type="NotJudged""#), "{suite}");
}

#[test]
fn a_link_cycle_under_the_pki_folder_ends() {
    let (_dir, root) = tree("kubeadm-control-plane");
    let pki = root.join("etc/kubernetes/pki");
    std::os::unix::fs::symlink("..", pki.join("loop")).unwrap();
    std::os::unix::fs::symlink("/", pki.join("host-root")).unwrap();
    let (code, doc, stderr) = audit(&root, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    // The walk neither looped nor left --root.
    let text = doc.to_string();
    assert!(!text.contains("pki/loop/"), "{text}");
    assert!(!text.contains("host-root/"), "{text}");
}

#[test]
fn an_oversized_file_is_a_located_error_and_not_read() {
    let (_dir, root) = tree("kubeadm-control-plane");
    let config = root.join("var/lib/kubelet/config.yaml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!("# {}\n", "x".repeat(200_000)));
    std::fs::write(&config, text).unwrap();
    let (code, doc, stderr) = audit(&root, &["--max-file-size", "100000"]);
    assert_eq!(code, Some(2), "{stderr}");
    let errors = errors(&doc, &root);
    assert_eq!(
        errors[0],
        "var/lib/kubelet/config.yaml larger than the 100000-byte limit (--max-file-size); not read"
    );
    // What only that file could say is not judged, as for any unreadable config.
    assert!(
        errors[1..].iter().all(|e| e.contains("cannot be judged")),
        "{errors:?}"
    );
    assert!(
        stderr.contains("config.yaml: larger than the 100000-byte limit"),
        "{stderr}"
    );
    // The rest of the node is still judged.
    assert!(render(&doc, &root).contains("etc/kubernetes/manifests/kube-apiserver.yaml"));
}

#[test]
fn links_resolve_inside_the_root_and_never_out_of_it() {
    let (dir, root) = tree("kubeadm-control-plane");
    // A kubeconfig outside --root, with a credential in it: never to be read.
    let outside = dir.path().join("outside.conf");
    let admin = root.join("etc/kubernetes/admin.conf");
    std::fs::copy(&admin, &outside).unwrap();
    std::fs::remove_file(&admin).unwrap();
    std::os::unix::fs::symlink(&outside, &admin).unwrap();
    let relative = root.join("etc/kubernetes/up.conf");
    std::os::unix::fs::symlink("../../../../../../../outside.conf", &relative).unwrap();
    std::os::unix::fs::symlink("/etc/shadow", root.join("etc/kubernetes/shadow.conf")).unwrap();
    // A manifest kept elsewhere on the node, linked by its absolute node path.
    let manifests = root.join("etc/kubernetes/manifests");
    std::fs::create_dir_all(root.join("srv")).unwrap();
    std::fs::rename(
        manifests.join("kube-apiserver.yaml"),
        root.join("srv/kube-apiserver.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "/srv/kube-apiserver.yaml",
        manifests.join("kube-apiserver.yaml"),
    )
    .unwrap();
    let (code, doc, stderr) = audit(&root, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    let text = doc.to_string();
    assert!(!text.contains("outside.conf"), "{text}");
    assert!(!text.contains("shadow"), "{text}");
    let findings = render(&doc, &root);
    // admin.conf leads to the node's /<scratch>/outside.conf, which is not there.
    assert!(
        !findings.contains("etc/kubernetes/admin.conf"),
        "{findings}"
    );
    // The API server is still found, through its link inside the root, and shown as named.
    assert!(
        findings.contains("etc/kubernetes/manifests/kube-apiserver.yaml"),
        "{findings}"
    );
}

#[test]
fn a_node_with_only_a_kubeconfig_counts_it_as_what_was_audited() {
    let dir = tempfile::tempdir().unwrap();
    let kubernetes = dir.path().join("etc/kubernetes");
    std::fs::create_dir_all(&kubernetes).unwrap();
    let kubeconfig = kubernetes.join("kubelet.conf");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n",
    )
    .unwrap();
    std::fs::set_permissions(&kubeconfig, std::fs::Permissions::from_mode(0o644)).unwrap();
    let uid = std::fs::metadata(dir.path()).unwrap().uid().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
        .args(["node", "--color", "never", "--owner-uid", &uid, "--root"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    // The mode 644 kubeconfig is the finding; the closing line counts the kubeconfig
    // as audited (it said "in 0 objects", as if nothing had been judged).
    let last = stdout.lines().last().unwrap();
    assert!(
        last.starts_with(
            "1 finding (1 high) in 1 configuration; scanned 1 configuration from 1 file"
        ),
        "{stdout}"
    );
}

/// A finding's fingerprint names a node file by its path on the node, however
/// `--root` is spelt (relative, `./`, absolute): a baseline written with one spelling
/// holds every finding of the others. Its resource shows that path too.
#[test]
fn node_fingerprints_do_not_depend_on_how_the_root_is_spelt() {
    let (dir, root) = tree("kubeadm-control-plane");
    // Loosen a file the kubelet reads by default, and one the API server names.
    std::fs::set_permissions(
        root.join("var/lib/kubelet/config.yaml"),
        std::fs::Permissions::from_mode(0o666),
    )
    .unwrap();
    let uid = std::fs::metadata(&root).unwrap().uid().to_string();
    let baseline = dir.path().join("baseline.json");
    let node = |spelt: &str, extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_kubeharden"))
            .current_dir(dir.path())
            .args(["node", "--root", spelt, "--owner-uid", &uid, "--no-config"])
            .args(["--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let written = node(
        "kubeadm-control-plane",
        &["--write-baseline", baseline.to_str().unwrap()],
    );
    // Written findings are the baseline's: listed as accepted by it.
    let files: Vec<&str> = written["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "KH750")
        .map(|f| f["resource"]["name"].as_str().unwrap())
        .collect();
    assert!(files.contains(&"/var/lib/kubelet/config.yaml"), "{files:?}");
    assert!(files.iter().all(|f| f.starts_with('/')), "{files:?}");
    let absolute = root.display().to_string();
    for spelt in ["./kubeadm-control-plane", absolute.as_str()] {
        let doc = node(spelt, &["--baseline", baseline.to_str().unwrap()]);
        assert_eq!(
            doc["findings"].as_array().unwrap().len(),
            0,
            "{spelt}: {doc}"
        );
    }
}

/// Two problems of one rule on one component are two fingerprints, each naming its
/// flag: a baseline of one does not hide the other, and a flag that moves in the
/// command line is the same problem.
#[test]
fn each_flag_problem_has_its_own_fingerprint() {
    let (dir, root) = tree("kubeadm-control-plane");
    let manifest = root.join("etc/kubernetes/manifests/kube-apiserver.yaml");
    let baseline = dir.path().join("b.json");
    let run = |extra: &[&str]| {
        audit(
            &root,
            &[&["--select", "KH705", "--no-config"], extra].concat(),
        )
    };
    let (_, doc, _) = run(&["--write-baseline", baseline.to_str().unwrap()]);
    let before: Vec<String> = doc["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    let unique: std::collections::BTreeSet<&String> = before.iter().collect();
    assert_eq!(unique.len(), before.len(), "{before:?}");
    // Remove the client CA: a new problem of the same rule, not hidden by the baseline.
    let text = std::fs::read_to_string(&manifest).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("--client-ca-file"))
        .unwrap()
        .to_string();
    std::fs::write(&manifest, text.replace(&format!("{line}\n"), "")).unwrap();
    let (code, doc, _) = run(&["--baseline", baseline.to_str().unwrap()]);
    let new: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(new[0].contains("client-ca-file"), "{new:?}");
}
