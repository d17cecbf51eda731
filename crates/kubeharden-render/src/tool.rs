//! Running a rendering tool: found on `PATH`, its output read within a size limit, its
//! failure told in its own words.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use kubeharden_load::{LoadError, LoadErrorKind};

/// How to install helm, for the error of a scan that found a chart without it.
pub const HELM_INSTALL: &str = "install helm 3 (https://helm.sh/docs/intro/install/), or build it with Go: go install helm.sh/helm/v3/cmd/helm@v3.22.0";
/// How to install kustomize, for the error of a scan that found an overlay without it.
pub const KUSTOMIZE_INSTALL: &str = "install kustomize (https://kubectl.docs.kubernetes.io/installation/kustomize/), or build it with Go: go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.1; kubectl on PATH works too (kubectl kustomize)";

/// The most of a tool's standard error kept for its message.
const MAX_STDERR: u64 = 64 * 1024;

/// The error of a chart or overlay (`file`) that `command` did not render.
pub fn not_rendered(file: &str, command: &'static str, reason: String) -> LoadError {
    let file: Arc<str> = file.into();
    LoadError::new(&file, None, LoadErrorKind::NotRendered { command, reason })
}

/// `name` found on `PATH`.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Runs `program args`, and gives what it printed, or why it failed: its standard
/// error (the last lines), its exit status, or output over `max_output` bytes.
pub fn run(program: &Path, args: &[String], max_output: u64) -> Result<String, String> {
    let (status, output, errors) = execute(program, args, max_output)?;
    if !status.success() {
        let message = last_lines(errors.trim(), 20);
        return Err(if message.is_empty() {
            format!("it failed ({status}) and said nothing")
        } else {
            message
        });
    }
    Ok(String::from_utf8_lossy(&output).into_owned())
}

/// What the tool printed on standard output, whether it succeeded or not (helm
/// `--debug` prints the invalid YAML it refuses), if it could be run and read.
pub fn output_of(program: &Path, args: &[String], max_output: u64) -> Option<String> {
    let (_, output, _) = execute(program, args, max_output).ok()?;
    Some(String::from_utf8_lossy(&output).into_owned())
}

/// Runs the tool: its exit status, standard output (at most `max_output` bytes) and
/// the start of its standard error.
fn execute(
    program: &Path,
    args: &[String],
    max_output: u64,
) -> Result<(std::process::ExitStatus, Vec<u8>, String), String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let errors = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = (&mut stderr).take(MAX_STDERR).read_to_end(&mut text);
        // Drain the rest, so the tool never blocks on a full pipe.
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        String::from_utf8_lossy(&text).into_owned()
    });
    let stdout = child.stdout.take().expect("stdout is piped");
    let read = kubeharden_load::read_at_most(stdout, max_output);
    if !matches!(read, Ok(Some(_))) {
        let _ = child.kill();
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let errors = errors.join().unwrap_or_default();
    let output = match read {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Err(format!(
                "printed more than {max_output} bytes (--max-file-size)"
            ))
        }
        Err(e) => return Err(format!("cannot read its output: {e}")),
    };
    Ok((status, output, errors))
}

/// The last `n` lines of `text`, on one line (`; ` between them: reports print an
/// error on one line, and would show a newline as `\x0a`), without the tools'
/// `Error: ` prefix, helm's hint to run again with `--debug`, and kustomize's
/// `# Warning:` lines (deprecations, which are not why it failed).
fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim())
        .filter(|l| {
            !l.is_empty() && !l.starts_with("Use --debug flag") && !l.starts_with("# Warning:")
        })
        .map(|l| l.strip_prefix("Error: ").unwrap_or(l))
        .collect();
    lines[lines.len().saturating_sub(n)..].join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, max: u64) -> Result<String, String> {
        run(
            Path::new("/bin/sh"),
            &["-c".to_string(), script.to_string()],
            max,
        )
    }

    #[test]
    fn output_and_failures_in_the_tools_words() {
        assert_eq!(sh("echo a: 1", 100).unwrap(), "a: 1\n");
        assert_eq!(
            sh("echo 'Error: no chart' >&2; exit 1", 100).unwrap_err(),
            "no chart"
        );
        let helm = "printf 'Error: execution error at (c/templates/a.yaml:5:8): a is\\nrequired\\n\\nUse --debug flag to render out invalid YAML\\n' >&2; exit 1";
        assert_eq!(
            sh(helm, 100).unwrap_err(),
            "execution error at (c/templates/a.yaml:5:8): a is; required"
        );
        let kustomize =
            "echo \"# Warning: 'bases' is deprecated.\" >&2; echo 'Error: no file' >&2; exit 1";
        assert_eq!(sh(kustomize, 100).unwrap_err(), "no file");
        assert!(sh("exit 3", 100).unwrap_err().contains("said nothing"));
        assert!(sh("yes", 1000)
            .unwrap_err()
            .contains("more than 1000 bytes"));
    }
}
