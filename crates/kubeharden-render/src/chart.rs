//! A chart's folder as helm names its parts: `CHART/templates/x.yaml` in a `# Source:`
//! comment or an error, `CHART/charts/SUB/templates/x.yaml` for a subchart, where SUB
//! is the dependency's alias when it has one (helm renames the subchart), and the
//! subchart's folder may be named otherwise (`charts/redis-17.0.0/`).

use std::path::{Path, PathBuf};

use kubeharden_yaml::Node;

use crate::first_document;

/// A file of a chart's folder that helm named.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ChartFile {
    /// The file on disk.
    pub file: PathBuf,
    /// The path helm gave, without the chart's name: `templates/x.yaml`.
    pub inside: String,
    /// The subcharts it is in, outermost first, as the parent's values name them.
    pub subcharts: Vec<String>,
}

/// The file helm names `source` (`CHART/...`) in the chart in `dir`.
pub(crate) fn source_file(dir: &Path, source: &str) -> Option<ChartFile> {
    let (_, inside) = source.split_once('/')?;
    let parts: Vec<&str> = inside.split('/').collect();
    let mut folder = dir.to_path_buf();
    let mut subcharts = Vec::new();
    let mut i = 0;
    while i + 2 < parts.len() && parts[i] == "charts" {
        folder = subchart_dir(&folder, parts[i + 1]);
        subcharts.push(parts[i + 1].to_string());
        i += 2;
    }
    Some(ChartFile {
        file: parts[i..].iter().fold(folder, |f, p| f.join(p)),
        inside: inside.to_string(),
        subcharts,
    })
}

/// The folder of the subchart helm calls `name` (its alias, or its name) in the chart
/// in `dir`: `charts/NAME`, else the folder whose Chart.yaml has the dependency's name.
pub(crate) fn subchart_dir(dir: &Path, name: &str) -> PathBuf {
    let plain = dir.join("charts").join(name);
    if plain.join("Chart.yaml").is_file() {
        return plain;
    }
    let real = aliased(dir, name).unwrap_or_else(|| name.to_string());
    let Ok(entries) = std::fs::read_dir(dir.join("charts")) else {
        return plain;
    };
    let mut folders: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    folders.sort();
    folders
        .into_iter()
        .find(|f| chart_field(f, "name").as_deref() == Some(real.as_str()))
        .unwrap_or(plain)
}

/// The archive (`charts/NAME-VERSION.tgz`) a subchart of `source` (`CHART/charts/SUB/...`)
/// is vendored as, when it is not unpacked in the chart in `dir`, and the path of
/// `source` in the subchart (`templates/x.yaml`).
pub(crate) fn archived(dir: &Path, source: &str) -> Option<(PathBuf, String)> {
    let (_, inside) = source.split_once('/')?;
    let parts: Vec<&str> = inside.split('/').collect();
    let mut folder = dir.to_path_buf();
    let mut i = 0;
    while i + 2 < parts.len() && parts[i] == "charts" {
        let sub = subchart_dir(&folder, parts[i + 1]);
        if !sub.is_dir() {
            let real = aliased(&folder, parts[i + 1]).unwrap_or_else(|| parts[i + 1].to_string());
            let mut archives: Vec<PathBuf> = std::fs::read_dir(folder.join("charts"))
                .ok()?
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                    name.starts_with(&format!("{real}-")) && name.ends_with(".tgz")
                })
                .collect();
            archives.sort();
            return Some((archives.pop()?, parts[i + 2..].join("/")));
        }
        folder = sub;
        i += 2;
    }
    None
}

/// The name of the dependency whose alias is `alias`, in the chart in `dir`.
fn aliased(dir: &Path, alias: &str) -> Option<String> {
    let root = chart_yaml(dir)?;
    let deps = root.get("dependencies")?;
    deps.items()
        .iter()
        .find(|d| d.get("alias").and_then(Node::scalar_text) == Some(alias))
        .and_then(|d| d.get("name"))
        .and_then(Node::scalar_text)
        .map(str::to_string)
}

/// A top-level field of the chart's Chart.yaml, as text.
pub(crate) fn chart_field(dir: &Path, field: &str) -> Option<String> {
    chart_yaml(dir)?
        .get(field)
        .and_then(Node::scalar_text)
        .map(str::to_string)
}

fn chart_yaml(dir: &Path) -> Option<Node> {
    first_document(&dir.join("Chart.yaml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, file: &str, text: &str) {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn a_subchart_is_found_by_its_alias_and_its_chart_name() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            d,
            "Chart.yaml",
            "name: web\ndependencies:\n- name: redis\n  alias: sessions\n",
        );
        write(d, "charts/redis-17.0.0/Chart.yaml", "name: redis\n");
        write(d, "charts/cache/Chart.yaml", "name: cache\n");
        let got = source_file(d, "web/charts/sessions/templates/a.yaml").unwrap();
        assert_eq!(got.file, d.join("charts/redis-17.0.0/templates/a.yaml"));
        assert_eq!(got.subcharts, ["sessions"]);
        assert_eq!(got.inside, "charts/sessions/templates/a.yaml");
        let got = source_file(d, "web/charts/cache/templates/a.yaml").unwrap();
        assert_eq!(got.file, d.join("charts/cache/templates/a.yaml"));
        let got = source_file(d, "web/templates/a.yaml").unwrap();
        assert_eq!(got.file, d.join("templates/a.yaml"));
        assert!(got.subcharts.is_empty());
        write(d, "charts/db-1.2.0.tgz", "");
        let archive = archived(d, "web/charts/db/templates/s.yaml");
        assert_eq!(
            archive,
            Some((
                d.join("charts/db-1.2.0.tgz"),
                "templates/s.yaml".to_string()
            ))
        );
        assert_eq!(archived(d, "web/charts/cache/templates/a.yaml"), None);
    }
}
