//! Recognising credentials written in plain text. Values are only ever classified,
//! never returned or printed.

use std::sync::OnceLock;

use regex::Regex;

/// Formats of well-known credentials, with a name for each.
const KNOWN_FORMATS: [(&str, &str); 9] = [
    ("a private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    ("an AWS access key ID", r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("a GitHub token", r"\bgh[pousr]_[0-9A-Za-z]{36,}\b"),
    (
        "a GitHub fine-grained token",
        r"\bgithub_pat_[0-9A-Za-z_]{50,}\b",
    ),
    ("a Google API key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    ("a Slack token", r"\bxox[baprs]-[0-9A-Za-z\-]{10,}"),
    ("a Stripe secret key", r"\b[rs]k_live_[0-9A-Za-z]{16,}\b"),
    (
        "a JSON Web Token",
        r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
    ),
    (
        "a URL with an embedded password",
        r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]+:[^/\s@]+@",
    ),
];

fn known_formats() -> &'static [Regex] {
    static SET: OnceLock<Vec<Regex>> = OnceLock::new();
    // One regex per format, each with a literal to search for first: a scan over
    // megabytes of ConfigMap dashboards stays a fast literal search. ASCII word
    // boundaries (`(?-u:\\b)`) avoid Unicode lookups.
    SET.get_or_init(|| {
        KNOWN_FORMATS
            .iter()
            .map(|(_, re)| {
                Regex::new(&re.replace(r"\b", r"(?-u:\b)")).expect("valid credential pattern")
            })
            .collect()
    })
}

/// The known credential format `value` contains, if any.
pub(crate) fn known_format(value: &str) -> Option<&'static str> {
    known_formats()
        .iter()
        .position(|re| re.is_match(value))
        .map(|i| KNOWN_FORMATS[i].0)
}

/// Whether `value` under `name` is a credential by its name: a sensitive name with a
/// literal, secret-looking value.
pub(crate) fn named_credential(name: &str, value: &str) -> Option<&'static str> {
    (sensitive_name(name) && literal_value(value) && secret_like(value))
        .then_some("a high-entropy value under a credential name")
}

/// Words in a variable name that say it holds a credential.
const SENSITIVE_WORDS: [&str; 10] = [
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "credential",
    "credentials",
];

/// Name endings that say the variable only points at or describes a credential.
const BENIGN_SUFFIXES: [&str; 14] = [
    "file", "path", "dir", "name", "ref", "enabled", "ttl", "timeout", "length", "header", "type",
    "mode", "id", "url",
];

fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_ascii_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        word.push(ch.to_ascii_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Whether a variable name says it holds a credential (`DB_PASSWORD`, `apiKey`).
pub(crate) fn sensitive_name(name: &str) -> bool {
    let words = words(name);
    if words
        .last()
        .is_some_and(|w| BENIGN_SUFFIXES.contains(&w.as_str()))
    {
        return false;
    }
    let joined = words.concat();
    SENSITIVE_WORDS
        .iter()
        .any(|w| words.iter().any(|x| x == w) || (w.len() >= 6 && joined.contains(w)))
}

/// Whether a value is a real literal, not empty, a reference or a plain number/flag.
fn literal_value(value: &str) -> bool {
    let v = value.trim();
    v.len() >= 4
        && !v.starts_with("$(")
        && !v.starts_with("${")
        && !v.starts_with('/')
        && !v.bytes().all(|b| b.is_ascii_digit())
        && !matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "none" | "null" | "changeme-in-secret"
        )
}

/// Shannon entropy of `value`, in bits per character.
fn entropy(value: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for ch in value.chars() {
        *counts.entry(ch).or_insert(0usize) += 1;
    }
    let len = value.chars().count() as f64;
    counts
        .values()
        .map(|&n| n as f64 / len)
        .map(|p| -p * p.log2())
        .sum()
}

/// Whether a value looks random enough to be a secret rather than a setting
/// (`strict`, `enabled`): high entropy, or a mix of at least three character classes.
fn secret_like(value: &str) -> bool {
    let v = value.trim();
    let classes = [
        v.bytes().any(|b| b.is_ascii_lowercase()),
        v.bytes().any(|b| b.is_ascii_uppercase()),
        v.bytes().any(|b| b.is_ascii_digit()),
        v.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ];
    entropy(v) >= 3.0 || (v.len() >= 8 && classes.iter().filter(|c| **c).count() >= 3)
}

/// What kind of credential `value` (under `name`) looks like, if any.
pub(crate) fn classify(name: &str, value: &str) -> Option<&'static str> {
    known_format(value).or_else(|| named_credential(name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(sensitive_name("DB_PASSWORD"));
        assert!(sensitive_name("apiKey"));
        assert!(sensitive_name("GITHUB_TOKEN"));
        assert!(sensitive_name("AWS_SECRET_ACCESS_KEY"));
        assert!(!sensitive_name("PASSWORD_FILE"));
        assert!(!sensitive_name("SECRET_NAME"));
        assert!(!sensitive_name("TOKEN_TTL"));
        assert!(!sensitive_name("LOG_LEVEL"));
    }

    #[test]
    fn values() {
        assert_eq!(
            classify("X", "AKIAIOSFODNN7EXAMPLE"),
            Some("an AWS access key ID")
        );
        assert_eq!(
            classify("DATABASE_URL", "postgres://app:hunter22@db:5432/app"),
            Some("a URL with an embedded password")
        );
        assert_eq!(
            classify("DB_PASSWORD", "s3cr3t-pass"),
            Some("a high-entropy value under a credential name")
        );
        assert_eq!(classify("DB_PASSWORD", "$(DB_PASS)"), None);
        assert_eq!(classify("TOKEN_REFRESH", "3600"), None);
        assert_eq!(classify("GREETING", "hello world"), None);
    }
}
