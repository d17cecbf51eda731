//! Reading a node's files as the node sees them, never outside `--root`.
//!
//! Under `--root /host` the node's `/` is `/host`: a link `/etc/kubernetes/admin.conf
//! -> /etc/shadow` means the node's `/host/etc/shadow`, not the scanner's own file,
//! and `../../..` stops at the root as it stops at `/`. So links are resolved here
//! component by component, inside the root (as `chroot` would), and what is opened
//! holds no link. Every read is capped in size, as `scan` caps its files.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Component, Path, PathBuf};

/// As many links as Linux follows in one path before it gives up (`ELOOP`).
const MAX_LINKS: usize = 40;

/// Where the node's files are, and how much of one is read.
#[derive(Clone, Debug)]
pub(crate) struct Reading {
    /// The node's `/`; `None` reads paths as given.
    pub root: Option<PathBuf>,
    pub max_file_size: u64,
}

impl Default for Reading {
    fn default() -> Self {
        Reading {
            root: None,
            max_file_size: kubeharden_load::DEFAULT_MAX_FILE_SIZE,
        }
    }
}

/// Why a file of the node could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadFailure {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("larger than the {limit}-byte limit (--max-file-size); not read")]
    TooLarge { limit: u64 },
    #[error("not a regular file (a device, pipe or socket); not read")]
    NotRegular,
    #[error("more than {MAX_LINKS} symbolic links in its path (a link loop?)")]
    LinkLoop,
}

impl Reading {
    /// The path to open for `path`: a path under the root has its links resolved
    /// inside the root; any other (a relative path the user named) is used as given.
    pub fn real(&self, path: &Path) -> Result<PathBuf, ReadFailure> {
        match &self.root {
            Some(root) => match path.strip_prefix(root) {
                Ok(inside) => resolve_in_root(root, inside),
                Err(_) => Ok(path.to_path_buf()),
            },
            None => Ok(path.to_path_buf()),
        }
    }

    /// The bytes of a regular file, at most `max_file_size` of them.
    pub fn read(&self, path: &Path) -> Result<Vec<u8>, ReadFailure> {
        let real = self.real(path)?;
        let meta = std::fs::metadata(&real)?;
        if meta.is_dir() {
            return Err(io::Error::from(io::ErrorKind::IsADirectory).into());
        }
        // A pipe would block the audit forever, a device could be endless.
        if !meta.is_file() {
            return Err(ReadFailure::NotRegular);
        }
        let limit = self.max_file_size;
        if meta.len() > limit {
            return Err(ReadFailure::TooLarge { limit });
        }
        // The size can grow after the check, and /proc files say 0.
        kubeharden_load::read_at_most(File::open(&real)?, limit)?
            .ok_or(ReadFailure::TooLarge { limit })
    }

    /// The entries of a folder, as paths under the folder as named (not where its
    /// links lead), so that they are shown, and resolved again when read, as named.
    pub fn list(&self, dir: &Path) -> Vec<PathBuf> {
        let Ok(real) = self.real(dir) else {
            return Vec::new();
        };
        let mut entries: Vec<PathBuf> = std::fs::read_dir(real)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| dir.join(e.file_name()))
            .collect();
        entries.sort();
        entries
    }

    /// Whether `path` itself (not a folder above it) is a symbolic link.
    pub fn is_link(&self, path: &Path) -> bool {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return false;
        };
        self.real(parent)
            .and_then(|dir| Ok(std::fs::symlink_metadata(dir.join(name))?))
            .is_ok_and(|m| m.is_symlink())
    }

    /// The file's metadata, its links resolved inside the root.
    pub fn metadata(&self, path: &Path) -> Option<std::fs::Metadata> {
        std::fs::metadata(self.real(path).ok()?).ok()
    }
}

/// `inside` (a path relative to `root`) with every link resolved as if `root` were
/// `/`: an absolute target starts again at the root, and `..` never climbs above it.
/// A part that does not exist ends the resolution: the rest is appended as it is, so
/// that opening it says "not found".
pub(crate) fn resolve_in_root(root: &Path, inside: &Path) -> Result<PathBuf, ReadFailure> {
    let mut resolved = PathBuf::new();
    let mut pending: Vec<OsString> = parts(inside);
    let mut links = 0;
    while let Some(part) = pending.pop() {
        if part == ".." {
            resolved.pop();
            continue;
        }
        let candidate = resolved.join(&part);
        let here = root.join(&candidate);
        let is_link = std::fs::symlink_metadata(&here).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            resolved = candidate;
            continue;
        }
        links += 1;
        if links > MAX_LINKS {
            return Err(ReadFailure::LinkLoop);
        }
        let target = std::fs::read_link(&here)?;
        if target.is_absolute() {
            resolved.clear();
        }
        pending.extend(parts(&target));
    }
    Ok(root.join(resolved))
}

/// The parts of a path, last first (a stack), without `/` and `.`.
fn parts(path: &Path) -> Vec<OsString> {
    let mut parts: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_os_string()),
            Component::ParentDir => Some("..".into()),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    parts.reverse();
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn node() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("host");
        std::fs::create_dir_all(root.join("etc/kubernetes")).unwrap();
        std::fs::create_dir_all(root.join("var/lib/kubelet")).unwrap();
        std::fs::write(root.join("var/lib/kubelet/config.yaml"), "kind: x\n").unwrap();
        (dir, root)
    }

    fn reading(root: &Path) -> Reading {
        Reading {
            root: Some(root.to_path_buf()),
            ..Reading::default()
        }
    }

    #[test]
    fn an_absolute_link_starts_again_at_the_root() {
        let (_dir, root) = node();
        let link = root.join("etc/kubernetes/kubelet.yaml");
        symlink("/var/lib/kubelet/config.yaml", &link).unwrap();
        assert_eq!(reading(&root).read(&link).unwrap(), b"kind: x\n");
        symlink("/etc/hostname", root.join("etc/kubernetes/host")).unwrap();
        let err = reading(&root)
            .read(&root.join("etc/kubernetes/host"))
            .unwrap_err();
        assert!(
            matches!(&err, ReadFailure::Io(e) if e.kind() == io::ErrorKind::NotFound),
            "{err}"
        );
    }

    #[test]
    fn dot_dot_stops_at_the_root() {
        let (_dir, root) = node();
        let link = root.join("etc/kubernetes/up");
        symlink("../../../../../../../var/lib/kubelet/config.yaml", &link).unwrap();
        assert_eq!(reading(&root).read(&link).unwrap(), b"kind: x\n");
        let resolved = resolve_in_root(&root, Path::new("../../etc/../../..")).unwrap();
        assert_eq!(resolved, root);
    }

    #[test]
    fn a_link_loop_is_an_error() {
        let (_dir, root) = node();
        symlink("b", root.join("etc/a")).unwrap();
        symlink("a", root.join("etc/b")).unwrap();
        let err = reading(&root).read(&root.join("etc/a")).unwrap_err();
        assert!(matches!(err, ReadFailure::LinkLoop), "{err}");
    }

    #[test]
    fn a_file_over_the_limit_is_not_read() {
        let (_dir, root) = node();
        let small = Reading {
            max_file_size: 4,
            ..reading(&root)
        };
        let err = small
            .read(&root.join("var/lib/kubelet/config.yaml"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "larger than the 4-byte limit (--max-file-size); not read"
        );
    }

    #[test]
    fn a_socket_is_not_opened() {
        let (_dir, root) = node();
        let socket = root.join("etc/kubernetes/socket.yaml");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let err = reading(&root).read(&socket).unwrap_err();
        assert!(matches!(err, ReadFailure::NotRegular), "{err}");
    }

    #[test]
    fn a_listed_folder_behind_a_link_stays_inside() {
        let (_dir, root) = node();
        symlink("/var/lib/kubelet", root.join("etc/kubernetes/manifests")).unwrap();
        let named = root.join("etc/kubernetes/manifests");
        let listed = reading(&root).list(&named);
        assert_eq!(listed, [named.join("config.yaml")]);
    }
}
