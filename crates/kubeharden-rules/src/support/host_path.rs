//! What the host path rules (KH103, KH133) need to take in KH134's findings: which
//! volume a finding names, and the writable mounts KH134 reported, by container.

use kubeharden_findings::Finding;

/// Whether `mount` (a KH134 finding: `... mounts host path volume "x" writable at
/// /p`) mounts the volume `volume` (a KH103 or KH133 finding: `volume "x" mounts
/// ...`) names.
pub(crate) fn mounts_volume_of(volume: &Finding, mount: &Finding) -> bool {
    let named = quoted_after(&volume.message, "volume ");
    named.is_some() && quoted_after(&mount.message, "host path volume ") == named
}

/// "writable by container "app" at /host, container "b" at /x": the KH134 findings
/// among `others`, each a place to set `readOnly: true`. `None` when there are none.
pub(crate) fn writers(others: &[Finding]) -> Option<String> {
    let writers: Vec<String> = others
        .iter()
        .filter(|o| o.rule_id == "KH134")
        .filter_map(|o| {
            let at = o.message.rsplit_once(" writable at ")?.1;
            Some(format!("container {:?} at {at}", o.container.as_deref()?))
        })
        .collect();
    (!writers.is_empty()).then(|| format!("writable by {}", writers.join(", ")))
}

/// The quoted name (as `{:?}` writes it) that follows `marker` in `message`.
fn quoted_after<'m>(message: &'m str, marker: &str) -> Option<&'m str> {
    let rest = &message[message.find(marker)? + marker.len()..];
    let rest = rest.strip_prefix('"')?;
    let mut escaped = false;
    let end = rest.char_indices().find_map(|(i, c)| match (escaped, c) {
        (false, '\\') => {
            escaped = true;
            None
        }
        (false, '"') => Some(i),
        _ => {
            escaped = false;
            None
        }
    })?;
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::quoted_after;

    #[test]
    fn reads_escaped_names() {
        assert_eq!(
            quoted_after(r#"volume "a\"b" mounts"#, "volume "),
            Some(r#"a\"b"#)
        );
        assert_eq!(quoted_after("volume data mounts", "volume "), None);
        assert_eq!(quoted_after("no marker", "volume "), None);
    }
}
