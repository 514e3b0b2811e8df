//! The `retort` binary: parse the arguments, start the runtime, run the command, and turn its
//! result into an exit code. Everything else lives in the modules below.

mod app;
mod args;
mod commands;
mod display;
mod embedded;
mod exit;
mod lockfile;
mod paths;
mod printer;
mod progress;
mod project;
mod render;
mod settings;

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;

use crate::args::Cli;
use crate::exit::Outcome;
use crate::printer::{Printer, Terminal, Verbosity};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbosity = match (cli.global.quiet, cli.global.verbose) {
        (true, _) => Verbosity::Quiet,
        (false, true) => Verbosity::Verbose,
        (false, false) => Verbosity::Normal,
    };
    let printer = Printer::new(verbosity, Terminal::detect());
    let result = run(&cli, &printer);
    if let Err(error) = &result {
        printer.error(error);
    }
    exit::exit_status(&result).into()
}

/// Builds the runtime (after parsing, so `--help` never starts one) and runs the command.
fn run(cli: &Cli, printer: &Printer) -> anyhow::Result<Outcome> {
    let current_dir = std::env::current_dir().context("cannot read the current directory")?;
    let variable = |name: &str| std::env::var(name).ok();
    let environment = app::Environment {
        current_dir: &current_dir,
        variable: &variable,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(app::run(cli, &environment, printer))
}

#[cfg(test)]
mod tidy;
