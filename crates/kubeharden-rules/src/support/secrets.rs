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

/// What a value a snapshot redacted starts with (crate::redact); the rest names
/// what kind of credential it was, and the rules read it as that credential.
const REDACTED: &str = "kubeharden-redacted: ";

/// What [`named_credential`] calls a literal under a credential name.
const NAMED: &str = "a literal value under a credential name";

/// The marker that replaces a credential of kind `what` in a snapshot.
pub(crate) fn redaction_marker(what: &str) -> String {
    format!("{REDACTED}{what}")
}

/// The kind of credential a redaction marker stands for.
fn redacted(value: &str) -> Option<&'static str> {
    let what = value.trim().strip_prefix(REDACTED)?;
    KNOWN_FORMATS
        .iter()
        .map(|(name, _)| *name)
        .chain([NAMED])
        .find(|name| *name == what)
}

/// The known credential format `value` contains, if any.
pub(crate) fn known_format(value: &str) -> Option<&'static str> {
    if let Some(what) = redacted(value) {
        return (what != NAMED).then_some(what);
    }
    let url = KNOWN_FORMATS.len() - 1;
    known_formats()
        .iter()
        .enumerate()
        .position(|(i, re)| match i == url {
            // A URL whose password is a placeholder (`$(DB_PASSWORD)`, `<password>`)
            // is how a Secret is meant to be used, not a leak.
            true => url_passwords(value).any(|p| !is_placeholder(p) && !reads_environment(p)),
            false => re.is_match(value),
        })
        .map(|i| KNOWN_FORMATS[i].0)
}

/// The passwords of the URLs in `value` (`scheme://user:PASSWORD@host`).
fn url_passwords(value: &str) -> impl Iterator<Item = &str> {
    static URL: OnceLock<Regex> = OnceLock::new();
    let re = URL.get_or_init(|| {
        Regex::new(r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]+:([^/\s@]+)@").expect("valid URL pattern")
    });
    re.captures_iter(value)
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
}

/// Whether `value` under `name` is a credential by its name: a credential-like name
/// with a literal value. Explicit rules, not an entropy guess: weak real passwords
/// (`admin`, `changeme`, `migration`) are credentials too. Not credentials:
/// placeholders (`<your-token>`, `$(VAR)`, `${VAR}`, `{{ .Values.x }}`, `INSERT_...`),
/// a value equal to its own key name, a reference to another Secret by name, and
/// code that reads an environment variable.
pub(crate) fn named_credential(name: &str, value: &str) -> Option<&'static str> {
    if let Some(what) = redacted(value) {
        return (what == NAMED).then_some(what);
    }
    let v = value.trim();
    let literal = !v.is_empty()
        && !is_placeholder(v)
        && !is_path_or_structure(v)
        && !is_flag_word(v)
        && !same_as_name(name, v)
        && !reads_environment(v);
    (literal && sensitive_name(name) && !is_secret_reference(name, v)).then_some(NAMED)
}

/// Words in a variable name that say it holds a credential (the checklist's SEC-01
/// key names: kubescape's defaults, by word rather than by substring).
const SENSITIVE_WORDS: [&str; 15] = [
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "credential",
    "credentials",
    "jwt",
    "bearer",
];

/// Name endings that say the variable only points at or describes a credential.
const BENIGN_SUFFIXES: [&str; 44] = [
    "file",
    "path",
    "dir",
    "name",
    "ref",
    "enabled",
    "enable",
    "disabled",
    "ttl",
    "timeout",
    "length",
    "header",
    "type",
    "mode",
    "id",
    "url",
    "uri",
    "endpoint",
    "refresh",
    "interval",
    "expiry",
    "expiration",
    "lifetime",
    "period",
    "seconds",
    "duration",
    "size",
    "count",
    "max",
    "min",
    "limit",
    "policy",
    "algorithm",
    "issuer",
    "audience",
    "prefix",
    "namespace",
    "version",
    "user",
    "username",
    "host",
    "port",
    "format",
    "provider",
];

/// Words that make a credential-named variable a setting about credentials
/// (`MYSQL_ALLOW_EMPTY_PASSWORD`, `MYSQL_RANDOM_ROOT_PASSWORD`).
const SETTING_WORDS: [&str; 10] = [
    "allow", "empty", "random", "generate", "skip", "require", "required", "use", "rotate", "min",
];

/// Words before a final `key` that make it a credential (`API_KEY`, `MINIO_ACCESS_KEY`,
/// `azure_batchai_storage_key`), unlike `timeKey` or `CACHE_KEY`.
const KEY_QUALIFIERS: [&str; 20] = [
    "api",
    "secret",
    "access",
    "private",
    "storage",
    "master",
    "encryption",
    "signing",
    "sign",
    "batch",
    "license",
    "ssh",
    "client",
    "app",
    "service",
    "account",
    "auth",
    "session",
    "hmac",
    "shared",
];

/// A final `key` makes a credential name after one of `KEY_QUALIFIERS`.
const KEY_WORDS: [&str; 2] = ["key", "keys"];

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
    if words.iter().any(|w| SETTING_WORDS.contains(&w.as_str())) {
        return false;
    }
    let joined = words.concat();
    let key_last = words.len() >= 2
        && words
            .last()
            .is_some_and(|w| KEY_WORDS.contains(&w.as_str()))
        && KEY_QUALIFIERS.contains(&words[words.len() - 2].as_str());
    key_last
        || SENSITIVE_WORDS
            .iter()
            .any(|w| words.iter().any(|x| x == w) || (w.len() >= 6 && joined.contains(w)))
}

/// Placeholders a human is meant to replace, and references to other values.
fn is_placeholder(v: &str) -> bool {
    let upper = v.to_ascii_uppercase();
    (v.starts_with('<') && v.ends_with('>'))
        || v.starts_with("$(")
        || v.starts_with("${")
        || v.contains("{{")
        || v.starts_with('%')
        || [
            "INSERT_", "INSERT-", "REPLACE_", "REPLACE-", "YOUR_", "YOUR-", "TODO",
        ]
        .iter()
        .any(|p| upper.starts_with(p))
        || v.bytes()
            .all(|b| matches!(b, b'*' | b'x' | b'X' | b'.' | b'-' | b'#'))
}

/// A file path (`/var/secrets/key.json`, `./tls.key`, `file:///...`) or the start of a
/// YAML structure (`[]`, `{}`, `|`): where the credential is, not the credential.
fn is_path_or_structure(v: &str) -> bool {
    v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("~/")
        || v.starts_with("file:")
        || matches!(v.chars().next(), Some('[' | '{' | '|' | '>' | '&' | '*'))
}

/// Values that configure rather than authenticate (`PASSWORD_AUTH: true`).
fn is_flag_word(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "null"
            | "none"
            | "nil"
            | "~"
            | "\"\""
            | "''"
    )
}

/// `PASSWORD=password`, `token: TOKEN`: a value that only repeats its key name.
fn same_as_name(name: &str, v: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect::<String>()
    };
    norm(name) == norm(v)
}

/// Code that reads the value from elsewhere: `os.environ["DB_PASSWORD"]`,
/// `process.env.TOKEN`, `getenv("SECRET")`, `$DB_PASSWORD`, `ENV['KEY']`.
fn reads_environment(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    [
        "environ",
        "getenv",
        "process.env",
        "env[",
        "env.fetch",
        "valuefrom",
        "secretkeyref",
    ]
    .iter()
    .any(|p| lower.contains(p))
        || (v.starts_with('$')
            && v[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// `existingSecret: db-auth`, `CLIENT_SECRET_SECRET: oauth-client`: the name of another
/// Secret, not a credential. Only when the key says so and the value is a resource name.
fn is_secret_reference(name: &str, v: &str) -> bool {
    let words = words(name);
    const HOLDERS: [&str; 10] = [
        "credentials",
        "credential",
        "creds",
        "auth",
        "basicauth",
        "tls",
        "cert",
        "certificate",
        "existing",
        "secret",
    ];
    // `passwordSecret`, `TOKEN_SECRET`, `admin-password-secret`: the Secret that holds
    // the password, named.
    let holder = |w: &str| HOLDERS.contains(&w) || SENSITIVE_WORDS.contains(&w);
    let says_reference = words.iter().any(|w| w == "existing" || w == "secretname")
        || (words.len() >= 2
            && words
                .last()
                .is_some_and(|w| w == "secret" || w == "secrets")
            && holder(words[words.len() - 2].as_str()));
    let resource_name = v.len() <= 253
        && v.contains('-')
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    says_reference && resource_name
}

/// What kind of credential `value` (under `name`) looks like, if any.
pub(crate) fn classify(name: &str, value: &str) -> Option<&'static str> {
    known_format(value).or_else(|| named_credential(name, value))
}

/// The annotation `kubectl apply` keeps the applied object in, as JSON.
pub(crate) const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The object as it was last applied, from its annotation, if it has one that parses.
/// It can keep what the live object no longer shows: a credential later moved into a
/// Secret is still here.
pub(crate) fn last_applied(object: &kubeharden_load::Object) -> Option<serde_json::Value> {
    let text = object
        .root
        .get("metadata")?
        .get("annotations")?
        .get(LAST_APPLIED)?
        .scalar_text()?;
    serde_json::from_str(text).ok()
}

/// Where findings about the last-applied copy point: the annotation.
pub(crate) fn last_applied_path() -> kubeharden_yaml::FieldPath {
    kubeharden_yaml::FieldPath::parse("metadata")
        .key("annotations")
        .key(LAST_APPLIED)
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
        assert_eq!(classify("DB_PASSWORD", "$(DB_PASS)"), None);
        assert_eq!(classify("TOKEN_REFRESH", "3600"), None);
        assert_eq!(classify("GREETING", "hello world"), None);
    }

    const NAMED: Option<&str> = Some("a literal value under a credential name");

    #[test]
    fn weak_real_passwords_are_credentials() {
        // Seen in real manifests: short, low-entropy, and still credentials.
        for (name, value) in [
            ("MYSQL_ROOT_PASSWORD", "migration"),
            ("PASSWORD", "admin"),
            ("POSTGRES_PASSWORD", "postgres"),
            ("ADMIN_PASS", "changeme"),
            ("DB_PASSWORD", "s3cr3t-pass"),
            ("RABBITMQ_DEFAULT_PASS", "guest"),
            ("api_key", "1234"),
            ("STRIPE_SECRET_KEY", "abcd"),
            ("azure_batchai_storage_key", "abc123"),
            ("MINIO_SECRET_KEY", "minio123"),
            ("NGC_API_KEY", "nvapi-abc"),
            ("JWT", "hello"),
            ("redis.passphrase", "letmein"),
        ] {
            assert_eq!(classify(name, value), NAMED, "{name}={value}");
        }
    }

    #[test]
    fn urls_whose_password_is_a_placeholder_are_not() {
        for v in [
            "postgres://app:$(DB_PASSWORD)@db:5432/app",
            "mongodb://root:$MONGO_PASSWORD@mongo:27017",
            "amqp://user:<password>@rabbit:5672",
            "redis://:${REDIS_PASSWORD}@redis:6379/0",
        ] {
            assert_eq!(known_format(v), None, "{v}");
        }
        assert_eq!(
            known_format("postgres://app:$(DB_USER)x@db/app postgres://a:hunter22@db/app"),
            Some("a URL with an embedded password")
        );
    }

    #[test]
    fn keys_that_name_the_secret_holding_a_password_are_references() {
        for key in [
            "passwordSecret",
            "adminPasswordSecret",
            "password-secret",
            "TOKEN_SECRET",
            "PASSWORD_SECRET",
        ] {
            assert_eq!(classify(key, "db-creds"), None, "{key}");
        }
        // A value that is no resource name is still a credential.
        assert!(classify("PASSWORD_SECRET", "S3cret!pass").is_some());
    }

    #[test]
    fn placeholders_references_and_code_are_not() {
        for (name, value) in [
            ("API_TOKEN", "<your-token>"),
            ("API_TOKEN", "${API_TOKEN}"),
            ("DB_PASSWORD", "$(DB_PASSWORD)"),
            ("DB_PASSWORD", "{{ .Values.db.password }}"),
            ("GITHUB_TOKEN", "INSERT_TOKEN_HERE"),
            ("PASSWORD", "password"),
            ("token", "TOKEN"),
            ("existingSecret", "db-credentials"),
            ("credentialsSecret", "jaeger-creds"),
            ("TLS_SECRET", "web-tls"),
            ("DB_PASSWORD", "os.environ['DB_PASSWORD']"),
            ("SECRET", "process.env.SECRET"),
            ("PASSWORD", "$PASSWORD"),
            ("PASSWORD_AUTH", "true"),
            ("SECRET_NAME", "app-secret"),
            ("TOKEN_TTL", "3600"),
            ("KEY_PATH", "/etc/key.pem"),
            ("CACHE_KEY_PREFIX", "app"),
            ("PASSWORD", "********"),
            ("MYSQL_ALLOW_EMPTY_PASSWORD", "1"),
            ("MYSQL_RANDOM_ROOT_PASSWORD", "yes"),
            (
                "GOOGLE_APPLICATION_CREDENTIALS",
                "/var/secrets/google/key.json",
            ),
            ("timeKey", "ts"),
            ("custom_secrets", "[]"),
            ("api-token-secret-namespace", "default"),
            ("SECRET_VERSION", "latest"),
            ("PASSWORD", ""),
        ] {
            assert_eq!(classify(name, value), None, "{name}={value}");
        }
    }
}
