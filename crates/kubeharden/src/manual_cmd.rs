//! `kubeharden completions SHELL` and `kubeharden man`: shell completions and man
//! pages generated from the CLI's own definition (clap_complete, clap_mangen), so
//! they never drift from the flags the binary takes.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::error::CliError;

pub fn completions(args: CompletionsArgs) -> Result<u8, CliError> {
    let mut command = Cli::command();
    // Generated in memory: clap_complete panics on a write error, and a reader that
    // closes the pipe early (`| head`) is no error.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "kubeharden", &mut script);
    write_stdout(&script)?;
    Ok(crate::exit::CLEAN)
}

/// Writes `bytes` to standard output; a closed pipe ends the output quietly.
fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::WriteReport(e)),
        _ => Ok(()),
    }
}

/// The page of `kubeharden` on standard output, or with `--dir` a page for it and
/// one for every subcommand (`kubeharden-scan.1`, `kubeharden-rbac-who-can.1`...).
pub fn man(args: ManArgs) -> Result<u8, CliError> {
    let command = Cli::command();
    match &args.dir {
        Some(dir) => write_pages(command, dir),
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .map_err(CliError::WriteReport)?;
            write_stdout(&with_exit_status(page))
        }
    }?;
    Ok(crate::exit::CLEAN)
}

fn write_pages(command: clap::Command, dir: &Path) -> Result<(), CliError> {
    let failed = |source| CliError::CreateOutput {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir)
        .and_then(|()| clap_mangen::generate_to(command, dir))
        .map_err(failed)?;
    // The pages generate_to wrote (one per command); a page an earlier run left keeps one
    // section, as `with_exit_status` adds it only where it is missing.
    for entry in std::fs::read_dir(dir).map_err(failed)? {
        let path = entry.map_err(failed)?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("kubeharden") && name.ends_with(".1") {
            let page = std::fs::read(&path).map_err(failed)?;
            std::fs::write(&path, with_exit_status(page)).map_err(failed)?;
        }
    }
    Ok(())
}

/// The exit codes, which clap does not know: a page without them leaves scripts to
/// guess which failures are findings and which are errors.
const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Clean: no finding at or above \fB\-\-fail\-on\fR (default low). For the queries
\fBrbac can\fR and \fBnetpol reach\fR: yes, allowed (as \fBkubectl auth can\-i\fR).
.TP
\fB1\fR
Findings at or above \fB\-\-fail\-on\fR. For \fBrbac can\fR and \fBnetpol reach\fR:
no, denied.
.TP
\fB2\fR
Errors: a file that cannot be read or parsed (unless \fB\-\-soft\-fail\fR or
\fB\-\-fail\-on\-errors never\fR), a chart or overlay that did not render, a bad
option or configuration, or nothing scanned at all.
"#;

/// `page` with the EXIT STATUS section, before VERSION (where man-pages(7) puts it,
/// after the options) or at the end.
fn with_exit_status(page: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&page);
    if text.contains(".SH \"EXIT STATUS\"") {
        return page;
    }
    let at = text.find("\n.SH VERSION").map_or(text.len(), |i| i + 1);
    let mut out = text[..at].to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(EXIT_STATUS);
    out.push_str(&text[at..]);
    out.into_bytes()
}
