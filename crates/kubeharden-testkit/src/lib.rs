//! What a test needs from outside the repository: the `shared/` folder beside it
//! (the guidance, conformance fixtures, the real-world corpus, report schemas) or a
//! tool on `PATH` (`xmllint`, `setpriv`, Go for the test bed).
//!
//! A test whose need is missing never passes silently:
//! - it prints `SKIPPED: <test>: <why>` straight to the process's standard error, which
//!   the test harness does not capture, so the line shows in `cargo test`'s output
//!   next to the test's `ok`;
//! - where the need is required it fails instead: `KUBEHARDEN_REQUIRE_SHARED=1` for
//!   `shared/`, `KUBEHARDEN_REQUIRE_TOOLS=1` for tools (`.ci/run` sets both, and
//!   `KUBEHARDEN_REQUIRE_TESTBED=1` for the test bed).

#![forbid(unsafe_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

/// The variable that makes a missing `shared/` a failure.
pub const REQUIRE_SHARED: &str = "KUBEHARDEN_REQUIRE_SHARED";
/// The variable that makes a missing tool a failure.
pub const REQUIRE_TOOLS: &str = "KUBEHARDEN_REQUIRE_TOOLS";

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `shared/<sub>` beside the repository, or `None` once the skip has been reported
/// (`what` says what goes unchecked without it).
pub fn shared(sub: &str, what: &str) -> Option<PathBuf> {
    let dir = repo_root().join("../shared").join(sub);
    if dir.exists() {
        return Some(dir);
    }
    skip(
        REQUIRE_SHARED,
        &format!(
            "{} not found; {what}",
            Path::new("../shared").join(sub).display()
        ),
    );
    None
}

/// The tool `name` found on `PATH`, or `None` once the skip has been reported.
pub fn tool(name: &str, what: &str) -> Option<PathBuf> {
    if let Some(found) = on_path(name) {
        return Some(found);
    }
    skip(REQUIRE_TOOLS, &format!("{name} is not installed; {what}"));
    None
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Reports a skipped test where the harness shows it, or fails the test when
/// `require_var` is `1`.
pub fn skip(require_var: &str, reason: &str) {
    skip_or_fail(require_var, is_required(require_var), reason);
}

fn skip_or_fail(require_var: &str, required: bool, reason: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if required {
        panic!("{test}: {reason}, and {require_var}=1 requires it");
    }
    // `eprintln!` would be captured with the test's output and shown only on failure;
    // the process's own stderr is not.
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED: {test}: {reason}");
}

fn is_required(var: &str) -> bool {
    std::env::var_os(var).is_some_and(|v| v == "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_is_none() {
        assert!(on_path("kubeharden-no-such-tool").is_none());
        assert!(on_path("sh").is_some());
    }

    #[test]
    fn a_required_need_fails_the_test() {
        let failed = std::panic::catch_unwind(|| skip_or_fail(REQUIRE_TOOLS, true, "gone"));
        let message = *failed.unwrap_err().downcast::<String>().unwrap();
        assert!(message.contains("gone"), "{message}");
        assert!(message.contains(REQUIRE_TOOLS), "{message}");
    }

    #[test]
    fn a_missing_shared_folder_is_a_skip_unless_required() {
        if is_required(REQUIRE_SHARED) {
            return;
        }
        assert!(shared("no/such/folder", "nothing checked").is_none());
    }
}
