//! kube-rs errors as a user reads them. kube's own `Display` prints an API error's
//! `Status` and a failed credential plugin's process output as Rust debug structs;
//! these texts say what failed in words, with the server's message or the plugin's
//! standard error.

use std::error::Error as _;

use kube::client::AuthError;

/// What went wrong, in one line: the server's `code reason: message` for an API
/// error, the plugin's command and standard error for a failed credential plugin,
/// otherwise the chain of causes (`client error (Connect): tcp connect error:
/// Connection refused`).
pub(crate) fn describe(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => {
            let reason = if status.reason.is_empty() {
                "error"
            } else {
                &status.reason
            };
            format!("{} {reason}: {}", status.code, status.message)
        }
        kube::Error::Auth(auth) => format!("cannot authenticate: {}", describe_auth(auth)),
        // The variant's own prefix ("HyperError:", "ServiceError:") says nothing to a user.
        kube::Error::HyperError(_) | kube::Error::Service(_) => match error.source() {
            Some(source) => chain(source),
            None => error.to_string(),
        },
        other => chain(other),
    }
}

/// Whether trying again may help: no connection or answer, or an overloaded server;
/// never a credential that failed, which fails again.
pub(crate) fn transient(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) => matches!(status.code, 429 | 500 | 502 | 503 | 504),
        kube::Error::HyperError(_) | kube::Error::Service(_) => {
            !is_auth(error) && !is_certificate(error)
        }
        _ => false,
    }
}

/// Whether the server's certificate was refused (rustls says "invalid peer
/// certificate"): it will be refused again. By its text, as rustls is kube's own
/// dependency here, not ours.
fn is_certificate(error: &kube::Error) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if e.to_string().contains("invalid peer certificate") {
            return true;
        }
        next = e.source();
    }
    false
}

/// Whether a credential (token, client certificate, plugin) failed somewhere in the chain.
pub(crate) fn is_auth(error: &kube::Error) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if e.downcast_ref::<AuthError>().is_some() {
            return true;
        }
        next = e.source();
    }
    false
}

/// An error and its causes, joined with `: `, with a credential plugin's failure
/// told in words wherever it stands in the chain.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(auth) = e.downcast_ref::<AuthError>() {
            parts.push(format!("cannot authenticate: {}", describe_auth(auth)));
            break;
        }
        let text = e.to_string();
        // hyper and tower repeat their cause in their own text; keep each once.
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

fn describe_auth(auth: &AuthError) -> String {
    match auth {
        AuthError::AuthExecRun { cmd, out } => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let said = stderr.trim();
            let status = out
                .status
                .code()
                .map_or_else(|| "a signal".to_string(), |c| format!("status {c}"));
            if said.is_empty() {
                format!("the credential plugin `{cmd}` failed with {status}")
            } else {
                format!("the credential plugin `{cmd}` failed with {status}: {said}")
            }
        }
        other => match other.source() {
            Some(source) => format!("{other} ({})", chain(source)),
            None => other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, reason: &str, message: &str) -> kube::Error {
        let mut status = kube::core::Status::failure(message, reason);
        status.code = code;
        kube::Error::Api(Box::new(status))
    }

    #[test]
    fn api_errors_give_code_reason_and_message_not_a_debug_struct() {
        let text = describe(&status(401, "Unauthorized", "Unauthorized"));
        assert_eq!(text, "401 Unauthorized: Unauthorized");
        let text = describe(&status(403, "Forbidden", "User \"x\" cannot list"));
        assert_eq!(text, "403 Forbidden: User \"x\" cannot list");
        assert!(!text.contains("Status {"), "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn a_failed_credential_plugin_shows_its_command_status_and_stderr() {
        use std::os::unix::process::ExitStatusExt;
        let out = std::process::Output {
            status: std::process::ExitStatus::from_raw(3 << 8),
            stdout: b"{}".to_vec(),
            stderr: b"error: token expired, run `login`\n".to_vec(),
        };
        let error = kube::Error::Auth(AuthError::AuthExecRun {
            cmd: "aws eks get-token".into(),
            out: Box::new(out),
        });
        assert_eq!(
            describe(&error),
            "cannot authenticate: the credential plugin `aws eks get-token` failed with status 3: error: token expired, run `login`"
        );
    }

    #[test]
    fn other_errors_give_their_causes_once() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let error = kube::Error::ReadEvents(io);
        assert_eq!(
            describe(&error),
            "Error reading events stream: Connection refused"
        );
    }
}
