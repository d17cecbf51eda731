//! Where reports go, and whether they get colour.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};

use crate::cli::{ColorChoice, OutputArgs};
use crate::error::CliError;

/// Opens the report destination: `--output FILE` or standard output.
pub fn open(args: &OutputArgs) -> Result<Box<dyn Write>, CliError> {
    match &args.output {
        Some(path) => {
            if args.explicit_format.is_none() && crate::cli::format_of_file(path).is_none() {
                // `-o report.yaml` would otherwise be text without a word.
                let named = path.extension().and_then(|e| e.to_str());
                if let Some(ext) = named.filter(|e| !matches!(*e, "txt" | "text" | "log" | "out")) {
                    eprintln!(
                        "kubeharden: warning: .{ext} names no report format; writing text (--format json, sarif, junit, html or markdown chooses another)"
                    );
                }
            }
            let file = File::create(path).map_err(|source| CliError::CreateOutput {
                path: path.clone(),
                source,
            })?;
            Ok(Box::new(BufWriter::new(file)))
        }
        None => Ok(Box::new(BufWriter::new(io::stdout().lock()))),
    }
}

/// Colour only for text on a terminal, never with NO_COLOR or into a file.
pub fn use_color(args: &OutputArgs) -> bool {
    match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && io::stdout().is_terminal()
                && anstream::AutoStream::choice(&io::stdout()) != anstream::ColorChoice::Never
        }
    }
}

/// Finishes writing; a closed pipe (`| head`) is not an error.
pub fn finish(result: io::Result<()>, mut out: Box<dyn Write>) -> Result<(), CliError> {
    match result.and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(CliError::WriteReport),
    }
}
