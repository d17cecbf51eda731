//! The `kubeharden` command line: a thin layer over the engine, rules and reports.

#![forbid(unsafe_code)]

mod audit_cmd;
mod cli;
mod cluster_cmd;
mod error;
mod fix_cmd;
mod manual_cmd;
mod netpol_cmd;
mod node_cmd;
mod output;
mod query;
mod rbac_cmd;
mod rules_cmd;
mod scan_cmd;
mod serve_cmd;
mod settings;
mod suggest;

use std::process::ExitCode;

/// mimalloc rather than the C library's allocator: a review, a scanned object and its
/// findings are many small, short-lived allocations, and under the webhook's load
/// glibc's `malloc` and `free` took about 30% of the CPU (musl's, in the static
/// image, is slower still). See docs/benchmarks.md, "The admission webhook".
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

/// Exit codes shared by every command.
pub(crate) mod exit {
    pub const CLEAN: u8 = 0;
    pub const FINDINGS: u8 = 1;
    pub const ERROR: u8 = 2;
}

/// The command line, named in help and errors as the user ran it: `kubectl harden`
/// when kubectl runs the binary as its plugin (`kubectl-harden` on PATH).
fn parse() -> cli::Cli {
    use clap::{CommandFactory, FromArgMatches};
    let plugin = std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_stem().map(|s| s == "kubectl-harden"))
        .unwrap_or(false);
    if !plugin {
        return cli::Cli::parse();
    }
    let matches = cli::Cli::command().bin_name("kubectl harden").get_matches();
    cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn main() -> ExitCode {
    let cli = parse();
    let code = match cli.command {
        cli::Command::Scan(args) => scan_cmd::run(args),
        cli::Command::Cluster(args) => cluster_cmd::run(args),
        cli::Command::Rules(args) => rules_cmd::list(args),
        cli::Command::Explain(args) => rules_cmd::explain(args),
        cli::Command::Fix(args) => fix_cmd::run(args),
        cli::Command::Netpol(cli::NetpolCommand::Reach(args)) => netpol_cmd::reach(args),
        cli::Command::Netpol(cli::NetpolCommand::Matrix(args)) => netpol_cmd::matrix(args),
        cli::Command::Rbac(cli::RbacCommand::WhoCan(args)) => rbac_cmd::who_can(args),
        cli::Command::Rbac(cli::RbacCommand::Can(args)) => rbac_cmd::can(args),
        cli::Command::Rbac(cli::RbacCommand::Permissions(args)) => rbac_cmd::permissions(args),
        cli::Command::Node(args) => node_cmd::run(args),
        cli::Command::AuditLog(args) => audit_cmd::run(args),
        cli::Command::Completions(args) => manual_cmd::completions(args),
        cli::Command::Man(args) => manual_cmd::man(args),
        cli::Command::Serve(args) => serve_cmd::run(args),
        cli::Command::ServeCerts(args) => serve_cmd::certs(args),
    };
    match code {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("kubeharden: error: {message}");
            ExitCode::from(exit::ERROR)
        }
    }
}
