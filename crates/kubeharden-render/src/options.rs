//! The render options checked once, before any chart is rendered: a bad value is the
//! user's to fix on the command line, not a failure of each chart (which helm would
//! report once per chart and variant).

use std::collections::HashSet;

use crate::RenderOptions;

/// A render option that cannot be used: the flag, the value, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRenderOption {
    pub flag: &'static str,
    pub value: String,
    pub problem: String,
}

impl std::fmt::Display for BadRenderOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?}: {}", self.flag, self.value, self.problem)
    }
}

impl std::error::Error for BadRenderOption {}

fn bad(
    flag: &'static str,
    value: impl Into<String>,
    problem: impl Into<String>,
) -> BadRenderOption {
    BadRenderOption {
        flag,
        value: value.into(),
        problem: problem.into(),
    }
}

/// A flag whose value must have a shape: the flag, the value, the test, what it is.
type Shaped<'a> = (
    &'static str,
    &'a Option<String>,
    fn(&str) -> bool,
    &'static str,
);

/// Checks `--release-name`, `--kube-version`, `--values` and `--values-set` files,
/// `--set` syntax, and that no two values sets share a name.
pub fn check(options: &RenderOptions) -> Result<(), BadRenderOption> {
    let shaped: [Shaped; 2] = [
        (
            "--release-name",
            &options.release_name,
            is_release_name,
            "not a release name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 53 characters",
        ),
        (
            "--kube-version",
            &options.kube_version,
            is_version,
            "not a Kubernetes version (such as 1.30 or v1.30.2)",
        ),
    ];
    for (flag, value, valid, problem) in shaped {
        if let Some(value) = value.as_deref().filter(|v| !valid(v)) {
            return Err(bad(flag, value, problem));
        }
    }
    for file in &options.values {
        readable_file("--values", file)?;
    }
    for arg in &options.set {
        crate::helm_values::parse_set(arg).map_err(|pair| {
            bad(
                "--set",
                pair,
                "not KEY=VALUE (several are separated by commas)",
            )
        })?;
    }
    let mut names = HashSet::new();
    for set in &options.values_sets {
        let value = format!("{}={}", set.name, set.file.display());
        if !names.insert(&set.name) {
            return Err(bad(
                "--values-set",
                value,
                format!(
                    "the name {} is given twice: each variant needs its own",
                    set.name
                ),
            ));
        }
        readable_file("--values-set", &set.file)
            .map_err(|e| bad("--values-set", value, e.problem))?;
    }
    Ok(())
}

/// A name helm takes for a release: DNS labels joined by dots, at most 53 characters.
fn is_release_name(name: &str) -> bool {
    let label = |l: &str| {
        !l.is_empty()
            && l.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    name.len() <= 53 && name.split('.').all(label)
}

/// `1.30`, `v1.30.2`, `1.30.2-gke.100`: what helm's `--kube-version` takes.
fn is_version(text: &str) -> bool {
    let core = text.strip_prefix('v').unwrap_or(text);
    let core = core.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    (1..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

fn readable_file(flag: &'static str, file: &std::path::Path) -> Result<(), BadRenderOption> {
    let shown = file.display().to_string();
    match std::fs::metadata(file) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => Err(bad(flag, shown, "not a file")),
        Err(e) => Err(bad(flag, shown, format!("cannot read: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ValuesSet;

    #[test]
    fn each_bad_option_is_named_with_its_value() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let good = RenderOptions {
            values: vec![file.path().to_path_buf()],
            set: vec!["a=1,b.c=x".into()],
            kube_version: Some("v1.30.2".into()),
            values_sets: vec![ValuesSet {
                name: "prod".into(),
                file: file.path().to_path_buf(),
            }],
            ..RenderOptions::default()
        };
        assert_eq!(check(&good), Ok(()));
        let flag_of = |change: &dyn Fn(&mut RenderOptions)| {
            let mut options = good.clone();
            change(&mut options);
            check(&options).unwrap_err().flag
        };
        assert_eq!(
            flag_of(&|o| o.kube_version = Some("banana".into())),
            "--kube-version"
        );
        assert_eq!(
            flag_of(&|o| o.values.push("/no/such.yaml".into())),
            "--values"
        );
        assert_eq!(flag_of(&|o| o.set.push("image.tag".into())), "--set");
        for name in ["Shop", "shop_1", "-shop", "a..b", &"a".repeat(54)] {
            let release = |o: &mut RenderOptions| o.release_name = Some(name.to_string());
            assert_eq!(flag_of(&release), "--release-name", "{name}");
        }
        for name in ["shop", "shop-1.prod", "a"] {
            assert!(is_release_name(name), "{name}");
        }
        let twice = |o: &mut RenderOptions| o.values_sets.push(o.values_sets[0].clone());
        assert_eq!(flag_of(&twice), "--values-set");
        for version in ["1.30", "1.30.0", "v1.30.2-gke.100"] {
            assert!(is_version(version), "{version}");
        }
        for version in ["", "1.x", "1.2.3.4", "v"] {
            assert!(!is_version(version), "{version}");
        }
    }
}
