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
            write_stdout(&page)
        }
    }?;
    Ok(crate::exit::CLEAN)
}

fn write_pages(command: clap::Command, dir: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(dir)
        .and_then(|()| clap_mangen::generate_to(command, dir))
        .map_err(|source| CliError::CreateOutput {
            path: dir.to_path_buf(),
            source,
        })
}
