//! What node rules share: flag expectations on components, kubelet settings.

use kubeharden_findings::Severity;
use kubeharden_node::{Component, ComponentKind, Kubelet, NodeView, Setting, Unjudged};

use crate::context::{NodeOut, Tag};

/// Flags checked together: the checklist rows and severity of their problems (the
/// rule's own when `None`), and what each flag should be.
pub(crate) type FlagGroup<'a> = (
    Option<&'static [&'static str]>,
    Option<Severity>,
    &'a [(&'a str, Want)],
);

/// What a flag should be.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Want {
    /// Equal to the value; `.1` is the component's default when unset.
    Is(&'static str, &'static str),
    /// Set to anything.
    Set,
    /// Not set at all.
    Unset,
    /// A comma-separated list containing the item; `.1` is the default when unset.
    Contains(&'static str, &'static str),
    /// A comma-separated list not containing the item; `.1` is the default when unset.
    Excludes(&'static str, &'static str),
    /// Set, to one of these: the component's default is not good enough.
    Required(&'static [&'static str]),
    /// When `.1` is set, at least this number (unset counts as 0).
    AtLeast(i64, &'static str),
    /// A cipher-suite list without broken ciphers (RC4, 3DES, CBC-mode suites).
    StrongCiphers,
}

/// The TLS versions a component may accept at the least (`--tls-min-version`). Unset,
/// Go's default lets clients negotiate TLS 1.0 on older builds, so it is required.
pub(crate) const TLS_MIN: &[&str] = &["VersionTLS12", "VersionTLS13"];

/// The scheduler's and controller manager's serving endpoints: loopback only, no
/// profiling (CP-03).
pub(crate) const CONTROL_PLANE_ONLY: FlagGroup<'static> = (
    Some(&["CP-03"]),
    None,
    &[
        ("bind-address", Want::Is("127.0.0.1", "0.0.0.0")),
        ("profiling", Want::Is("false", "true")),
    ],
);

/// A component's TLS floor (TLS-01).
pub(crate) const TLS_MIN_VERSION: FlagGroup<'static> = (
    Some(&["TLS-01"]),
    None,
    &[("tls-min-version", Want::Required(TLS_MIN))],
);

/// Cipher suites TLS 1.2 configurations should not offer.
pub(crate) fn weak_cipher(suite: &str) -> bool {
    suite.contains("RC4") || suite.contains("3DES") || suite.contains("_CBC_")
}

/// `text` with the password of every URL's userinfo masked (`http://admin:***@host`):
/// node rules quote flag values, and a secret must never be printed.
pub(crate) fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The authority ends where the path, query, fragment or next list item starts.
        let end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#' | ',' | '"') || c.is_whitespace())
            .unwrap_or(tail.len());
        out.push_str(&redact_authority(&tail[..end]));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `user:password@host` as `user:***@host`; without a password, as it is.
fn redact_authority(authority: &str) -> String {
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return authority.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:***@{host}"),
        None => authority.to_string(),
    }
}

fn list(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// What is wrong with a flag, if anything.
fn problem(c: &Component, flag: &str, want: Want) -> Option<String> {
    let name = c.kind.name();
    let value = c.value(flag);
    match want {
        Want::Is(expected, default) => {
            let actual = value.unwrap_or(default);
            (actual != expected).then(|| match value {
                Some(v) => format!("{name} sets --{flag}={v}; it should be {expected}"),
                None => format!("{name} does not set --{flag}, which defaults to {default}; set --{flag}={expected}"),
            })
        }
        Want::Set => value
            .is_none()
            .then(|| format!("{name} does not set --{flag}")),
        Want::Unset => value.map(|v| format!("{name} sets --{flag}={v}")),
        Want::Contains(item, default) => {
            let actual = value.unwrap_or(default);
            (!list(actual).contains(&item))
                .then(|| format!("{name} --{flag} is {actual:?}, without {item}"))
        }
        Want::Excludes(item, default) => {
            let actual = value.unwrap_or(default);
            list(actual)
                .contains(&item)
                .then(|| format!("{name} --{flag} includes {item}"))
        }
        Want::Required(allowed) => match value {
            None => Some(format!(
                "{name} does not set --{flag}; set one of {}",
                allowed.join(", ")
            )),
            Some(v) => (!allowed.contains(&v)).then(|| {
                format!(
                    "{name} sets --{flag}={v}; use one of {}",
                    allowed.join(", ")
                )
            }),
        },
        Want::StrongCiphers => {
            let weak: Vec<&str> = value
                .map(list)
                .unwrap_or_default()
                .into_iter()
                .filter(|s| weak_cipher(s))
                .collect();
            (!weak.is_empty()).then(|| {
                format!(
                    "{name} --{flag} offers weak cipher suites: {}",
                    weak.join(", ")
                )
            })
        }
        Want::AtLeast(min, when) => {
            c.value(when)?;
            let n = value.and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
            (n < min).then(|| {
                format!(
                    "{name} --{flag} is {}; it should be at least {min}",
                    value.unwrap_or("unset")
                )
            })
        }
    }
}

/// Checks `wants` on the component of `kind`, reporting each problem at the flag, or
/// at the command when the flag is missing.
pub(crate) fn check_flags(
    view: &NodeView,
    kind: ComponentKind,
    wants: &[(&str, Want)],
    out: &mut NodeOut,
) {
    check_flag_rows(view, kind, &[(None, None, wants)], out);
}

/// Like [`check_flags`], for rules that span several checklist rows or severities:
/// each group of wants names the rows its problems violate, and how severe they are
/// when that differs from the rule.
pub(crate) fn check_flag_rows(
    view: &NodeView,
    kind: ComponentKind,
    groups: &[FlagGroup<'_>],
    out: &mut NodeOut,
) {
    let Some(c) = view.component(kind) else {
        return;
    };
    for (rows, severity, wants) in groups {
        // Flags of one group that must be set and are all missing are one problem
        // (the kubelet client certificate, key and CA): one finding naming them all.
        let unset: Vec<&str> = wants
            .iter()
            .filter(|(flag, want)| matches!(want, Want::Set) && c.value(flag).is_none())
            .map(|(flag, _)| *flag)
            .collect();
        let together = unset.len() > 1;
        let mut problems: Vec<(&str, String)> = wants
            .iter()
            .filter(|(flag, _)| !together || !unset.contains(flag))
            .filter_map(|(flag, want)| Some((*flag, problem(c, flag, *want)?)))
            .collect();
        if together {
            problems.insert(0, (unset[0], unset_message(c, &unset)));
        }
        for (i, (flag, message)) in problems.into_iter().enumerate() {
            let mut tag = match together && i == 0 {
                true => report_unset(c, &unset, message, out),
                false => report(c, flag, message, out),
            };
            if let Some(rows) = rows {
                tag = tag.rows(rows);
            }
            if let Some(severity) = severity {
                tag.severity(*severity);
            }
        }
    }
}

/// `kube-apiserver sets none of --a, --b or --c`.
fn unset_message(c: &Component, flags: &[&str]) -> String {
    let named: Vec<String> = flags.iter().map(|f| format!("--{f}")).collect();
    let (last, rest) = named.split_last().expect("two flags or more");
    format!(
        "{} sets none of {} or {last}",
        c.kind.name(),
        rest.join(", ")
    )
}

/// Reports flags a component does not set, at its command.
fn report_unset<'o>(
    c: &Component,
    flags: &[&str],
    message: String,
    out: &'o mut NodeOut,
) -> Tag<'o> {
    let name = c.kind.name();
    let named: Vec<String> = flags.iter().map(|f| format!("--{f}")).collect();
    let identity = format!("{}[{}]", c.command_path, named.join(","));
    out.at_flag(
        (name, name),
        &c.file,
        c.command_pos,
        (c.command_path.clone(), identity),
        message,
    )
}

/// Reports a problem of a component's flag.
pub(crate) fn report<'o>(
    c: &Component,
    flag: &str,
    message: String,
    out: &'o mut NodeOut,
) -> Tag<'o> {
    let name = c.kind.name();
    let identity = format!("{}[--{flag}]", c.command_path);
    match c.flag(flag) {
        Some(f) => out.at_flag(
            (name, name),
            &c.file,
            f.pos,
            (f.path.clone(), identity),
            message,
        ),
        None => out.at_flag(
            (name, name),
            &c.file,
            c.command_pos,
            (c.command_path.clone(), identity),
            message,
        ),
    }
}

/// A kubelet setting as far as it can be known: `Err` (reported as not judged) when no
/// flag sets it and the config file that would could not be read.
pub(crate) fn kubelet_setting(
    k: &Kubelet,
    flag: &str,
    key: &str,
    out: &mut NodeOut,
) -> Result<Option<Setting>, Unjudged> {
    k.lookup(flag, key)
        .inspect_err(|e| out.cannot_judge(&e.file, key))
}

/// A kubelet setting that must equal `expected`: `flag_default` applies when neither
/// flag nor config sets it and there is no config file, `config_default` when there is.
/// With an unreadable config file, no default is assumed: it is not judged.
pub(crate) fn check_kubelet<'o>(
    k: &Kubelet,
    flag: &str,
    key: &str,
    expected: &str,
    defaults: (&str, &str),
    out: &'o mut NodeOut,
) -> Option<Tag<'o>> {
    let (flag_default, config_default) = defaults;
    let Ok(setting) = kubelet_setting(k, flag, key, out) else {
        return None;
    };
    match setting {
        Some(s) if !s.value.eq_ignore_ascii_case(expected) => {
            let via = if s.from_flag {
                format!("--{flag}={}", s.value)
            } else {
                format!("{key}: {}", s.value)
            };
            Some(out.at(
                ("kubelet", "kubelet"),
                &s.file,
                s.pos,
                s.path,
                format!("kubelet sets {via}; it should be {expected}"),
            ))
        }
        Some(_) => None,
        None => {
            let default = if k.has_config() {
                config_default
            } else {
                flag_default
            };
            if default.eq_ignore_ascii_case(expected) {
                return None;
            }
            let (file, pos, path) = k.anchor(key)?;
            Some(out.at(("kubelet", "kubelet"), &file, pos, path, format!("kubelet does not set {key} (--{flag}), which defaults to {default}; it should be {expected}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_passwords_are_masked() {
        assert_eq!(
            redact_urls(
                "uses plain HTTP: http://admin:EtcdS3cretPw2@0.0.0.0:2379, http://10.0.0.10:2379"
            ),
            "uses plain HTTP: http://admin:***@0.0.0.0:2379, http://10.0.0.10:2379"
        );
        assert_eq!(
            redact_urls("--etcd-servers=http://u:p@w@a:1/x,https://b:2"),
            "--etcd-servers=http://u:***@a:1/x,https://b:2"
        );
        let plain = "unix:///run/containerd/containerd.sock and http://user@host:80";
        assert_eq!(redact_urls(plain), plain);
    }
}
