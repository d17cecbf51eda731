//! Templates of a subchart vendored as an archive (`charts/NAME-VERSION.tgz`, as
//! `helm dependency build` leaves it): read from the archive, so that their findings
//! are mapped to a line as an unpacked subchart's are.

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

/// The most read from one archive, unpacked: a chart's archive is kilobytes, and a
/// crafted one (a gzip bomb) must not cost more than this.
const MOST_UNPACKED: u64 = 64 << 20;

/// The most one template may hold.
const LARGEST_TEMPLATE: u64 = 4 << 20;

/// The text of the file at `inside` (`templates/x.yaml`) of the chart packed in
/// `archive`, whose entries all sit in one folder named after the chart
/// (`mariadb/templates/x.yaml`); none when it is not there, or the archive is not one.
pub(crate) fn read_template(archive: &Path, inside: &str) -> Option<String> {
    let file = std::fs::File::open(archive).ok()?;
    let unpacked = GzDecoder::new(file).take(MOST_UNPACKED);
    let mut tar = tar::Archive::new(unpacked);
    for entry in tar.entries().ok()? {
        let entry = entry.ok()?;
        let path = entry.path().ok()?.to_string_lossy().into_owned();
        let in_chart = path.split_once('/').map(|(_, rest)| rest);
        if in_chart != Some(inside) {
            continue;
        }
        let mut text = String::new();
        entry
            .take(LARGEST_TEMPLATE)
            .read_to_string(&mut text)
            .ok()?;
        return Some(text);
    }
    None
}

/// Every template file of the chart packed in `archive` and of the charts packed
/// inside it (`mariadb/charts/common/templates/_names.tpl`), named as paths in the
/// archive; bounded as `read_template` is.
pub(crate) fn templates(archive: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let Ok(file) = std::fs::File::open(archive) else {
        return out;
    };
    let unpacked = GzDecoder::new(file).take(MOST_UNPACKED);
    let mut tar = tar::Archive::new(unpacked);
    let Ok(entries) = tar.entries() else {
        return out;
    };
    for entry in entries {
        let Ok(entry) = entry else {
            break;
        };
        let Ok(path) = entry.path().map(|p| p.to_string_lossy().into_owned()) else {
            continue;
        };
        let Some((_, inside)) = path.split_once('/') else {
            continue;
        };
        if !inside.contains("templates/") || !entry.header().entry_type().is_file() {
            continue;
        }
        let inside = archive.join(inside);
        let mut text = String::new();
        if entry
            .take(LARGEST_TEMPLATE)
            .read_to_string(&mut text)
            .is_ok()
        {
            out.push((inside, text));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(files: &[(&str, &str)]) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        for (path, text) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, path, text.as_bytes()).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn reads_a_template_of_the_packed_chart() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("db-1.2.0.tgz");
        let files = [
            ("db/Chart.yaml", "name: db\n"),
            ("db/templates/s.yaml", "kind: StatefulSet\n"),
            ("db/templates/svc.yaml", "kind: Service\n"),
        ];
        std::fs::write(&archive, packed(&files)).unwrap();
        assert_eq!(
            read_template(&archive, "templates/svc.yaml").as_deref(),
            Some("kind: Service\n")
        );
        assert_eq!(read_template(&archive, "templates/none.yaml"), None);
        assert_eq!(read_template(&archive, "s.yaml"), None);
        let all: Vec<PathBuf> = templates(&archive).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            all,
            vec![
                archive.join("templates/s.yaml"),
                archive.join("templates/svc.yaml")
            ]
        );
    }

    #[test]
    fn what_is_not_an_archive_has_no_templates() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("db-1.2.0.tgz");
        std::fs::write(&archive, "not gzip").unwrap();
        assert_eq!(read_template(&archive, "templates/s.yaml"), None);
        std::fs::write(&archive, b"").unwrap();
        assert_eq!(read_template(&archive, "templates/s.yaml"), None);
    }
}
