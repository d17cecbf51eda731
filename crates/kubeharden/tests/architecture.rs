//! ARCHITECTURE.md's crate graph is the workspace's: the block under "## Crate
//! graph" lists each crate's workspace dependencies as `cargo metadata` gives them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// Each crate's workspace dependencies: (normal, dev-only), short names.
type Graph = BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>;

fn short(name: &str) -> String {
    name.strip_prefix("kubeharden-").unwrap_or(name).to_string()
}

fn names(list: &str) -> BTreeSet<String> {
    list.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect()
}

/// The graph ARCHITECTURE.md draws: the first `text` block after "## Crate graph".
fn documented(root: &Path) -> Graph {
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let section = text
        .split_once("## Crate graph")
        .expect("ARCHITECTURE.md has a \"## Crate graph\" section")
        .1;
    let block = section
        .split_once("```text\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("the crate graph is a ```text block")
        .0;
    block
        .lines()
        .map(|line| {
            let (name, deps) = line.split_once("->").expect("`crate -> deps` lines");
            let (normal, dev) = deps.split_once("; dev:").unwrap_or((deps, ""));
            (name.trim().to_string(), (names(normal), names(dev)))
        })
        .collect()
}

/// The graph cargo sees.
fn actual(root: &Path) -> Graph {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let members: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut graph = Graph::new();
    for package in packages {
        let (normal, dev) = graph
            .entry(short(package["name"].as_str().unwrap()))
            .or_default();
        for dep in package["dependencies"].as_array().unwrap() {
            let name = dep["name"].as_str().unwrap();
            if !members.contains(name) {
                continue;
            }
            match dep["kind"].as_str() {
                None => normal.insert(short(name)),
                Some("dev") => dev.insert(short(name)),
                Some(_) => continue,
            };
        }
    }
    graph
}

#[test]
fn the_documented_crate_graph_is_cargos() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (documented, actual) = (documented(&root), actual(&root));
    let mut differences = Vec::new();
    for name in documented
        .keys()
        .chain(actual.keys())
        .collect::<BTreeSet<_>>()
    {
        let (doc, real) = (documented.get(name), actual.get(name));
        if doc != real {
            differences.push(format!(
                "{name}: ARCHITECTURE.md says {doc:?}, cargo metadata {real:?}"
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "update the crate graph in ARCHITECTURE.md:\n{}",
        differences.join("\n")
    );
}
