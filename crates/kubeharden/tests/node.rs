//! `kubeharden node` on fixture node trees (`tests/nodes/`): a default kubeadm control
//! plane, a worker, a hardened control plane (no findings), a legacy control plane read
//! from process command lines, and broken input. Each tree is copied to a scratch
//! folder and given the file modes its `modes.txt` lists (Git keeps no modes).

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
