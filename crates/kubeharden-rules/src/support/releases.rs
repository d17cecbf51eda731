//! Kubernetes releases as data (`data/kubernetes-releases.json`, dated): which minors
//! are maintained, their newest patch, and the patch releases that fixed announced
//! vulnerabilities. The API server's version (KH904) and the kubelets' (KH903) are
//! judged against it. Dates compare as ISO-8601 text; "maintained" means on the
//! data's date, so a verdict never changes with the clock, only with the data.

use std::sync::OnceLock;

use serde::Deserialize;

const DATA: &str = include_str!("../../data/kubernetes-releases.json");

#[derive(Debug, Deserialize)]
pub(crate) struct Releases {
    /// When the data was last checked against its sources.
    pub as_of: String,
    minors: Vec<Minor>,
    containerd: Vec<RuntimeLine>,
    cves: Vec<Cve>,
}

/// A release line of a container runtime.
#[derive(Debug, Deserialize)]
struct RuntimeLine {
    /// `2.2`.
    line: String,
    /// `2026-11-06`, or a month (`2026-09`) where the source gives only that.
    end_of_life: String,
}

#[derive(Debug, Deserialize)]
struct Minor {
    /// `1.37`.
    minor: String,
    end_of_life: String,
    /// Only for the minors maintained on the data's date.
    #[serde(default)]
    latest_patch: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Cve {
    pub id: String,
    /// `kube-apiserver`, `kubelet`.
    pub component: String,
    pub summary: String,
    /// The first affected release, when older ones were not affected.
    #[serde(default)]
    introduced: Option<String>,
    /// The patch release of each branch that fixed it; older branches got no fix.
    fixed: Vec<String>,
}

/// `1.37.2`: a Kubernetes release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Version {
    pub major: u32,
    pub minor: u32,
    /// Absent when only the minor is known (`/version` without a `gitVersion`).
    pub patch: Option<u32>,
}

impl Version {
    /// `v1.37.2`, `v1.30.4-eks-a737599`, `1.29.3+k3s1`: the numbers before any suffix.
    pub fn parse(text: &str) -> Option<Version> {
        let digits = |s: &str| -> Option<u32> {
            let d: String = s.chars().take_while(char::is_ascii_digit).collect();
            d.parse().ok()
        };
        let mut parts = text.trim().trim_start_matches('v').split('.');
        let major = digits(parts.next()?)?;
        let minor = digits(parts.next()?)?;
        let patch = parts.next().and_then(digits);
        Some(Version {
            major,
            minor,
            patch,
        })
    }

    fn minor_text(self) -> String {
        format!("{}.{}", self.major, self.minor)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.patch {
            Some(p) => write!(f, "{}.{}.{p}", self.major, self.minor),
            None => write!(f, "{}.{}", self.major, self.minor),
        }
    }
}

/// What the data says of a version.
#[derive(Debug, Default)]
pub(crate) struct Verdict<'a> {
    /// The minor's end of life, when it was on or before the data's date.
    pub end_of_life: Option<&'a str>,
    /// Older than every minor the data lists: long out of support.
    pub older_than_data: bool,
    /// Newer than every minor the data lists: the data cannot judge it.
    pub newer_than_data: bool,
    /// The newest patch of its (maintained) minor, when the version is behind it.
    pub newer_patch: Option<&'a str>,
    /// Announced vulnerabilities of `component` that this version has.
    pub cves: Vec<&'a Cve>,
}

impl Verdict<'_> {
    pub fn is_clean(&self) -> bool {
        self.end_of_life.is_none()
            && !self.older_than_data
            && self.newer_patch.is_none()
            && self.cves.is_empty()
    }

    /// The problems in words, ending with the data's date.
    pub fn problems(&self, version: Version, as_of: &str) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(eol) = self.end_of_life {
            problems.push(format!(
                "minor {} is out of upstream support since {eol}",
                version.minor_text()
            ));
        }
        if self.older_than_data {
            problems.push(
                "older than every release kubeharden's data lists, long out of upstream support"
                    .into(),
            );
        }
        if let Some(latest) = self.newer_patch {
            problems.push(format!("not the newest patch of its minor ({latest})"));
        }
        for cve in &self.cves {
            problems.push(format!(
                "{} ({}), fixed in {}",
                cve.id,
                cve.summary,
                cve.fixed.join(", ")
            ));
        }
        if !problems.is_empty() {
            problems.push(format!("release data as of {as_of}"));
        }
        problems
    }
}

impl Releases {
    fn minor(&self, version: Version) -> Option<&Minor> {
        let key = version.minor_text();
        self.minors.iter().find(|m| m.minor == key)
    }

    fn listed_minors(&self) -> impl Iterator<Item = Version> + '_ {
        self.minors.iter().filter_map(|m| Version::parse(&m.minor))
    }

    /// The oldest minor still maintained on the data's date.
    pub fn oldest_maintained(&self) -> Option<Version> {
        self.minors
            .iter()
            .filter(|m| m.end_of_life.as_str() > self.as_of.as_str())
            .filter_map(|m| Version::parse(&m.minor))
            .min()
    }

    /// When a containerd release line's support ended, if on or before the data's date.
    /// Lines older than the data's are out of support; newer ones are not judged.
    pub fn containerd_end_of_life(&self, version: Version) -> Option<&str> {
        let key = version.minor_text();
        if let Some(line) = self.containerd.iter().find(|l| l.line == key) {
            return (line.end_of_life.as_str() <= self.as_of.as_str())
                .then_some(line.end_of_life.as_str());
        }
        let oldest = self
            .containerd
            .iter()
            .filter_map(|l| Version::parse(&l.line))
            .min()?;
        (version < oldest).then_some("before the oldest line kubeharden's data lists")
    }

    /// What the data says of `version` of `component` (`kube-apiserver`, `kubelet`).
    pub fn judge(&self, version: Version, component: &str) -> Verdict<'_> {
        let mut verdict = Verdict::default();
        let minor = Version {
            patch: None,
            ..version
        };
        let (Some(oldest), Some(newest)) = (self.listed_minors().min(), self.listed_minors().max())
        else {
            return verdict;
        };
        if minor > newest {
            verdict.newer_than_data = true;
            return verdict;
        }
        match self.minor(version) {
            None if minor < oldest => verdict.older_than_data = true,
            None => {}
            Some(m) if m.end_of_life.as_str() <= self.as_of.as_str() => {
                verdict.end_of_life = Some(&m.end_of_life);
            }
            Some(m) => {
                let latest = m.latest_patch.as_deref();
                let behind = latest
                    .and_then(Version::parse)
                    .is_some_and(|l| version.patch.is_some_and(|p| Some(p) < l.patch));
                verdict.newer_patch = latest.filter(|_| behind);
            }
        }
        verdict.cves = self
            .cves
            .iter()
            .filter(|c| c.component == component && c.affects(version))
            .collect();
        verdict
    }
}

impl Cve {
    /// Whether `version` has it: before `introduced`, no; in a branch with a fix, before
    /// the fix; a branch older than every fixed one got none; a newer one had it fixed
    /// from its first release. A version whose patch is unknown is not judged.
    fn affects(&self, version: Version) -> bool {
        let Some(patch) = version.patch else {
            return false;
        };
        if self
            .introduced
            .as_deref()
            .and_then(Version::parse)
            .is_some_and(|first| version < first)
        {
            return false;
        }
        let fixes: Vec<Version> = self
            .fixed
            .iter()
            .filter_map(|f| Version::parse(f))
            .collect();
        let same_branch = |f: &&Version| f.major == version.major && f.minor == version.minor;
        if let Some(fix) = fixes.iter().find(same_branch) {
            return Some(patch) < fix.patch;
        }
        let newest_fixed = fixes.iter().map(|f| (f.major, f.minor)).max();
        newest_fixed.is_some_and(|newest| (version.major, version.minor) < newest)
    }
}

/// The release data, read once.
pub(crate) fn releases() -> &'static Releases {
    static RELEASES: OnceLock<Releases> = OnceLock::new();
    // The data ships inside the binary; the test below proves it parses.
    RELEASES.get_or_init(|| serde_json::from_str(DATA).unwrap_or_else(|e| panic!("{e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn the_data_parses_and_is_dated() {
        let r = releases();
        assert_eq!(r.as_of.len(), 10);
        assert_eq!(r.oldest_maintained(), Some(v("1.35")));
        for m in &r.minors {
            assert!(Version::parse(&m.minor).is_some(), "{}", m.minor);
            assert!(m
                .latest_patch
                .as_deref()
                .is_none_or(|p| Version::parse(p).is_some()));
        }
    }

    #[test]
    fn versions_read_as_servers_and_kubelets_report_them() {
        assert_eq!(v("v1.30.4-eks-a737599"), v("1.30.4"));
        assert_eq!(v("v1.29.3+k3s1").patch, Some(3));
        assert_eq!(v("1.37").patch, None);
        assert!(Version::parse("latest").is_none());
    }

    #[test]
    fn end_of_life_patches_and_cves() {
        let r = releases();
        let old = r.judge(v("v1.30.4"), "kube-apiserver");
        assert_eq!(old.end_of_life, Some("2025-07-15"));
        let ids: Vec<&str> = old.cves.iter().map(|c| c.id.as_str()).collect();
        // 1.30 got no fix of CVE-2025-5187; CVE-2025-4563 came with 1.32.
        assert_eq!(ids, ["CVE-2025-5187"]);
        let fixed = r.judge(v("v1.33.4"), "kube-apiserver");
        assert!(fixed.cves.is_empty());
        let between = r.judge(v("v1.32.5"), "kube-apiserver");
        assert_eq!(between.cves.len(), 2);
        assert!(r.judge(v("v1.37.2"), "kube-apiserver").is_clean());
        assert_eq!(
            r.judge(v("v1.36.1"), "kube-apiserver").newer_patch,
            Some("1.36.6")
        );
        assert!(r.judge(v("v1.39.0"), "kube-apiserver").newer_than_data);
        assert!(r.judge(v("v1.20.1"), "kube-apiserver").older_than_data);
        assert!(r.judge(v("v1.30.4"), "kubelet").cves.is_empty());
        assert_eq!(r.containerd_end_of_life(v("1.7.24")), Some("2026-09"));
        assert_eq!(r.containerd_end_of_life(v("2.3.5")), None);
        assert_eq!(r.containerd_end_of_life(v("2.4.1")), None);
        assert!(r.containerd_end_of_life(v("1.5.18")).is_some());
    }
}
