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
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "kubeharden", &mut out);
    out.flush().map_err(CliError::WriteReport)?;
    Ok(crate::exit::CLEAN)
}

/// The page of `kubeharden` on standard output, or with `--dir` a page for it and
/// one for every subcommand (`kubeharden-scan.1`, `kubeharden-rbac-who-can.1`...).
pub fn man(args: ManArgs) -> Result<u8, CliError> {
    let command = Cli::command();
    match &args.dir {
        Some(dir) => write_pages(command, dir),
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(command)
                .render(&mut out)
                .and_then(|()| out.flush())
                .map_err(CliError::WriteReport)
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
