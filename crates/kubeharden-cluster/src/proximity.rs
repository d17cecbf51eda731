//! Which of several definitions of one object a reference means.
//!
//! Real repositories define the same object many times: a base and its overlays,
//! samples side by side, variants of one `deployment.yaml`. Only one of them is
//! applied with the file that refers to it, and the nearest is the best guess: the
//! same file, then the same folder, then the nearest ancestor folder, and only then
//! any other (the one sharing the most leading folders).

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::path::{Component, Path};

/// How near a definition is to the file that refers to it; lower is nearer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Nearness {
    SameFile,
    SameFolder,
    /// In a folder this many levels above the referring file's.
    Ancestor(usize),
    /// Anywhere else; sharing more leading folders is nearer.
    Elsewhere(Reverse<usize>),
}

fn folders(file: &str) -> Vec<Component<'_>> {
    Path::new(file)
        .parent()
        .map(|p| p.components().collect())
        .unwrap_or_default()
}

/// How near a definition in file `to` is to a reference from file `from`.
pub fn nearness(from: &str, to: &str) -> Nearness {
    if from == to {
        return Nearness::SameFile;
    }
    let (here, there) = (folders(from), folders(to));
    let common = here.iter().zip(&there).take_while(|(a, b)| a == b).count();
    match (common == there.len(), here.len() - common) {
        (true, 0) => Nearness::SameFolder,
        (true, up) => Nearness::Ancestor(up),
        (false, _) => Nearness::Elsewhere(Reverse(common)),
    }
}

/// The definition a reference from `from` means. Among equally near ones, the last
/// in file order wins, as `kubectl apply` of a folder leaves it.
pub fn nearest<'a, 'f, T: 'a>(
    definitions: impl IntoIterator<Item = &'a T>,
    from: &str,
    file: impl Fn(&'a T) -> &'f str,
) -> Option<&'a T> {
    let mut best: Option<(Nearness, &'a T)> = None;
    for def in definitions {
        let near = nearness(from, file(def));
        if best.is_none_or(|(b, _)| near <= b) {
            best = Some((near, def));
        }
    }
    best.map(|(_, def)| def)
}

/// The objects as seen from `from`: of each name (`key`), its nearest definition.
pub fn seen_from<'a, T: 'a, K: Ord>(
    definitions: impl IntoIterator<Item = &'a T>,
    from: &str,
    key: impl Fn(&'a T) -> K,
    file: impl Fn(&'a T) -> &'a str,
) -> Vec<&'a T> {
    let mut by_key: BTreeMap<K, Vec<&'a T>> = BTreeMap::new();
    for def in definitions {
        by_key.entry(key(def)).or_default().push(def);
    }
    by_key
        .into_values()
        .filter_map(|defs| nearest(defs, from, &file))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_file_then_folder_then_ancestor_then_anywhere() {
        let from = "repo/overlays/prod/deploy.yaml";
        assert_eq!(nearness(from, from), Nearness::SameFile);
        assert_eq!(
            nearness(from, "repo/overlays/prod/sa.yaml"),
            Nearness::SameFolder
        );
        assert_eq!(
            nearness(from, "repo/overlays/sa.yaml"),
            Nearness::Ancestor(1)
        );
        assert_eq!(nearness(from, "repo/sa.yaml"), Nearness::Ancestor(2));
        let cousin = nearness(from, "repo/overlays/dev/sa.yaml");
        let far = nearness(from, "repo/base/sa.yaml");
        assert!(Nearness::Ancestor(2) < cousin && cousin < far);
        assert!(nearness(from, "repo/overlays/prod/sub/sa.yaml") > Nearness::Ancestor(9));
    }

    #[test]
    fn nearest_prefers_proximity_then_the_last() {
        let defs = [
            "repo/base/sa.yaml",
            "repo/overlays/prod/sa.yaml",
            "repo/sa.yaml",
        ];
        let pick = |from: &str| *nearest(&defs, from, |d| d).unwrap();
        assert_eq!(
            pick("repo/overlays/prod/deploy.yaml"),
            "repo/overlays/prod/sa.yaml"
        );
        assert_eq!(pick("repo/base/deploy.yaml"), "repo/base/sa.yaml");
        assert_eq!(pick("repo/overlays/dev/deploy.yaml"), "repo/sa.yaml");
        assert_eq!(pick("other/deploy.yaml"), "repo/sa.yaml");
        let siblings = ["a/x.yaml", "a/y.yaml"];
        assert_eq!(*nearest(&siblings, "a/z.yaml", |d| d).unwrap(), "a/y.yaml");
    }

    #[test]
    fn seen_from_keeps_one_definition_per_name() {
        let defs = [
            ("lr", "a/lr.yaml"),
            ("lr", "b/lr.yaml"),
            ("other", "c/o.yaml"),
        ];
        let seen = seen_from(&defs, "b/pod.yaml", |d| d.0, |d| d.1);
        assert_eq!(seen, [&("lr", "b/lr.yaml"), &("other", "c/o.yaml")]);
    }
}
