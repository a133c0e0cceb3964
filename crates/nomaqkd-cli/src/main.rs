//! `nomaqkd`: the command line. Parses, validates, calls the library, prints.
//! Exit codes (SPEC §11.2): 0 when a result was computed, 2 for bad input.
#![forbid(unsafe_code)]

mod finite_fig;
mod rate;
mod reproduce;

// Shared with the Python package through the library target (src/lib.rs).
use nomaqkd_cli::{args, config, finite_cli, optimize, output, plot, simulate, sweep};

use clap::Parser;
use std::io::{self, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                        ExitCode::from(2)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                _ => {
                    // One line: clap's first line, without its usage block.
                    let text = e.render().to_string();
                    let first = text.lines().next().unwrap_or("error: invalid arguments").trim();
                    let first = first.strip_prefix("error: ").unwrap_or(first);
                    eprintln!("error: {first} (see --help)");
                    ExitCode::from(2)
                }
            };
        }
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let result = match &cli.command {
        args::Command::Rate(a) => rate::run(a, &mut out),
        args::Command::Simulate(a) => simulate::run(a, &mut out),
        args::Command::Sweep(a) => sweep::cli(a, &mut out),
        args::Command::Reproduce(a) => reproduce::cli(a, &mut out),
        args::Command::Optimize(a) => optimize::run(a, &mut out),
    };
    let result = result.and_then(|()| out.flush().map_err(anyhow::Error::from));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(io) = e.downcast_ref::<io::Error>() {
                if io.kind() == io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
            }
            if let Some(js) = e.downcast_ref::<serde_json::Error>() {
                if js.io_error_kind() == Some(io::ErrorKind::BrokenPipe) {
                    return ExitCode::SUCCESS;
                }
            }
            if let Some(csv) = e.downcast_ref::<csv::Error>() {
                if let csv::ErrorKind::Io(io) = csv.kind() {
                    if io.kind() == io::ErrorKind::BrokenPipe {
                        return ExitCode::SUCCESS;
                    }
                }
            }
            if let Some(stop) = e.downcast_ref::<sweep::Interrupted>() {
                eprintln!("{stop}");
                return ExitCode::from(130);
            }
            if let Some(input) = e.downcast_ref::<config::InputError>() {
                eprintln!("error: {input}");
                ExitCode::from(2)
            } else {
                eprintln!("error: {e:#}");
                ExitCode::from(1)
            }
        }
    }
}
