//! One fuzz input as a tree of files: the node target writes it under a scratch root.
//!
//! ```text
//! @@@ etc/kubernetes/manifests/kube-apiserver.yaml
//! apiVersion: v1
//! kind: Pod
//! ...
//! @@@ etc/kubernetes/pki/ca.key 644
//! @@@ var/lib/etcd/
//! @@@ etc/kubernetes/pki/loop -> ..
//! ```
//!
//! A line starting `@@@ ` opens an entry: a file (its text is the lines up to the next
//! entry, with an optional octal mode after the path), a folder (the path ends in
//! `/`) or a symbolic link (`PATH -> TARGET`). Paths are relative to the root and may
//! not climb out of it; so may a link's target, an absolute one being read as under
//! the root (the tool must read it so too). Entries that break these rules are
//! dropped: the fuzzer explores the tool, not this format.

use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Most entries in one bundle, and most folders deep: enough for any node layout.
const MAX_ENTRIES: usize = 128;
const MAX_DEPTH: usize = 16;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    File {
        path: PathBuf,
        mode: Option<u32>,
        text: Vec<u8>,
    },
    Folder {
        path: PathBuf,
    },
    Link {
        path: PathBuf,
        target: PathBuf,
    },
}

const MARK: &[u8] = b"@@@ ";

/// The entries of `data`; bytes before the first `@@@ ` line are ignored.
pub fn parse(data: &[u8]) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut open: Option<(&[u8], Vec<u8>)> = None;
    for line in data.split_inclusive(|&b| b == b'\n') {
        if let Some(header) = line.strip_prefix(MARK) {
            entries.extend(open.take().and_then(|(h, text)| entry(h, text)));
            if entries.len() == MAX_ENTRIES {
                return entries;
            }
            open = Some((header.trim_ascii_end(), Vec::new()));
        } else if let Some((_, text)) = open.as_mut() {
            text.extend_from_slice(line);
        }
    }
    entries.extend(open.and_then(|(h, text)| entry(h, text)));
    entries
}

fn entry(header: &[u8], text: Vec<u8>) -> Option<Entry> {
    if let Some(at) = find(header, b" -> ") {
        let path = inside(&header[..at])?;
        let target = link_target(&path, &header[at + 4..])?;
        return Some(Entry::Link { path, target });
    }
    if header.ends_with(b"/") {
        return Some(Entry::Folder {
            path: inside(header)?,
        });
    }
    let (path, mode) = match header.rsplit_once_space() {
        Some((path, mode)) if is_octal_mode(mode) => (path, Some(octal(mode))),
        _ => (header, None),
    };
    Some(Entry::File {
        path: inside(path)?,
        mode,
        text,
    })
}

trait SplitSpace {
    fn rsplit_once_space(&self) -> Option<(&[u8], &[u8])>;
}

impl SplitSpace for [u8] {
    fn rsplit_once_space(&self) -> Option<(&[u8], &[u8])> {
        let at = self.iter().rposition(|&b| b == b' ')?;
        Some((&self[..at], &self[at + 1..]))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn is_octal_mode(text: &[u8]) -> bool {
    (3..=4).contains(&text.len()) && text.iter().all(|b| (b'0'..=b'7').contains(b))
}

fn octal(text: &[u8]) -> u32 {
    text.iter().fold(0, |n, b| n * 8 + u32::from(b - b'0'))
}

/// A relative path of plain names, not too deep.
fn inside(raw: &[u8]) -> Option<PathBuf> {
    let path = Path::new(std::ffi::OsStr::from_bytes(raw));
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Normal(name) => out.push(name),
            Component::CurDir | Component::RootDir => {}
            Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    let depth = out.components().count();
    (1..=MAX_DEPTH).contains(&depth).then_some(out)
}

/// A link's target as written, if it stays under the root however it is resolved:
/// `..` only before the names (after a name that is itself a link, `..` would climb
/// from wherever that link leads), and never above the root from the link's folder.
/// An absolute target is made relative to the root.
fn link_target(link: &Path, raw: &[u8]) -> Option<PathBuf> {
    let target = Path::new(std::ffi::OsStr::from_bytes(raw));
    let folder_depth = link.components().count() - 1;
    let mut out = PathBuf::new();
    let mut ups = 0;
    if target.is_absolute() {
        ups = folder_depth;
        (0..ups).for_each(|_| out.push(".."));
    }
    let mut named = false;
    for part in target.components() {
        match part {
            Component::Normal(name) => {
                named = true;
                out.push(name);
            }
            Component::ParentDir if !named && ups < folder_depth => {
                ups += 1;
                out.push("..");
            }
            Component::ParentDir => return None,
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    Some(out)
}

/// Writes the entries under `root`: files and folders first, then the links, each
/// only where no link is on its way (a write through a link could leave the root).
/// An entry that cannot be made (its folder is a file) is left out.
pub fn write(root: &Path, entries: &[Entry]) {
    for entry in entries {
        let _ = match entry {
            Entry::Folder { path } => std::fs::create_dir_all(root.join(path)),
            Entry::File { path, mode, text } => write_file(&root.join(path), *mode, text),
            Entry::Link { .. } => Ok(()),
        };
    }
    for entry in entries {
        if let Entry::Link { path, target } = entry {
            if !through_link(root, path) {
                let real = root.join(path);
                let _ = parent_of(&real).and_then(|()| std::os::unix::fs::symlink(target, &real));
            }
        }
    }
}

fn write_file(real: &Path, mode: Option<u32>, text: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    parent_of(real)?;
    std::fs::write(real, text)?;
    match mode {
        Some(mode) => std::fs::set_permissions(real, std::fs::Permissions::from_mode(mode)),
        None => Ok(()),
    }
}

/// Whether `path` (under `root`) is or passes through a link, or is already there.
fn through_link(root: &Path, path: &Path) -> bool {
    let mut at = root.to_path_buf();
    path.components().any(|part| {
        at.push(part);
        std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink())
    }) || std::fs::symlink_metadata(root.join(path)).is_ok()
}

fn parent_of(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(parent) => std::fs::create_dir_all(parent),
        None => Ok(()),
    }
}

/// The bundle of the files under `root` (for seeds): each regular file with its
/// mode, each link with its target, empty folders as folders.
pub fn render(root: &Path) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    render_into(root, Path::new(""), &mut out)?;
    Ok(out)
}

fn render_into(root: &Path, rel: &Path, out: &mut Vec<u8>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut names: Vec<_> = std::fs::read_dir(root.join(rel))?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|e| e.file_name())
        .collect();
    names.sort();
    if names.is_empty() && !rel.as_os_str().is_empty() {
        out.extend_from_slice(format!("@@@ {}/\n", rel.display()).as_bytes());
    }
    for name in names {
        let path = rel.join(&name);
        let real = root.join(&path);
        let meta = std::fs::symlink_metadata(&real)?;
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&real)?;
            let header = format!("@@@ {} -> {}\n", path.display(), target.display());
            out.extend_from_slice(header.as_bytes());
        } else if meta.is_dir() {
            render_into(root, &path, out)?;
        } else {
            let mode = meta.permissions().mode() & 0o7777;
            let header = format!("@@@ {} {mode:03o}\n", path.display());
            out.extend_from_slice(header.as_bytes());
            let text = std::fs::read(&real)?;
            out.extend_from_slice(&text);
            if !text.is_empty() && !text.ends_with(b"\n") {
                out.push(b'\n');
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_of_every_kind() {
        let data = b"ignored\n@@@ a/b.yaml\nx: 1\n@@@ a/k.key 600\n@@@ c/\n@@@ a/loop -> ..\n";
        let got = parse(data);
        assert_eq!(
            got,
            vec![
                Entry::File {
                    path: "a/b.yaml".into(),
                    mode: None,
                    text: b"x: 1\n".to_vec()
                },
                Entry::File {
                    path: "a/k.key".into(),
                    mode: Some(0o600),
                    text: Vec::new()
                },
                Entry::Folder { path: "c".into() },
                Entry::Link {
                    path: "a/loop".into(),
                    target: "..".into()
                },
            ]
        );
    }

    #[test]
    fn nothing_climbs_out_of_the_root() {
        assert!(parse(b"@@@ ../x\n").is_empty());
        assert!(parse(b"@@@ a/l -> ../..\n").is_empty());
        // After a name (which may be a link), `..` could climb anywhere.
        assert!(parse(b"@@@ a/l -> b/../..\n").is_empty());
        assert_eq!(
            parse(b"@@@ a/b/l -> /etc/x\n"),
            vec![Entry::Link {
                path: "a/b/l".into(),
                target: "../../etc/x".into()
            }]
        );
    }

    #[test]
    fn a_tree_round_trips() {
        let data = b"@@@ a/b.yaml 644\nx: 1\n@@@ a/l -> b.yaml\n@@@ e/\n";
        let root = crate::scratch::fresh("bundle-test");
        write(&root, &parse(data));
        assert_eq!(render(&root).unwrap(), data.to_vec());
        std::fs::remove_dir_all(root).unwrap();
    }
}
