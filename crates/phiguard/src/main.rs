//! The `phiguard` command: wiring only. Each command lives in `commands/`; the work is done
//! by the library crates.

mod cli;
mod commands;
mod keys;
mod output;

use std::process::ExitCode;

use clap::FromArgMatches;

use cli::{Cli, Command};
use output::Output;

/// Exit codes scripts can rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything ran and nothing failed.
    Ok = 0,
    /// Everything ran and at least one finding failed.
    FailingFindings = 1,
}

/// Usage errors (from clap) and runtime errors.
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::from_arg_matches(&cli::command().get_matches()) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    let out = Output::new(cli.global.json, cli.global.quiet).with_color(cli.global.color);
    output::init_logging(cli.global.verbose, cli.global.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            out.error(&anyhow::Error::new(e).context("could not start the async runtime"));
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let result = runtime.block_on(run(&cli, &out));
    match result {
        Ok(outcome) => ExitCode::from(outcome as u8),
        Err(error) => {
            out.error(&error);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

async fn run(cli: &Cli, out: &Output) -> anyhow::Result<Outcome> {
    match &cli.command {
        Command::Init(args) => commands::init::run(&cli.global, args, out).await,
        Command::Status => commands::status::run(&cli.global, out).await,
        Command::Assess(args) => commands::assess::run(&cli.global, args, out).await,
        Command::Attest(args) => commands::assess::attest(&cli.global, args, out).await,
        Command::Demo(args) => commands::demo::run(&cli.global, args, out).await,
        Command::Ledger(command) => commands::ledger::run(&cli.global, command, out).await,
        Command::Seal(args) => commands::seal::seal(&cli.global, args, out).await,
        Command::Unseal(args) => commands::seal::unseal(&cli.global, args, out).await,
        Command::Keys(command) => commands::keys::run(&cli.global, command, out).await,
        Command::Pseudonym(args) => commands::pseudonym::run(&cli.global, args, out),
        Command::Fim(command) => commands::fim::run(&cli.global, command, out).await,
        Command::Host(command) => commands::host::run(&cli.global, command, out).await,
        Command::Cloud(command) => commands::cloud::run(&cli.global, command, out).await,
        Command::Register(command) => commands::register::run(&cli.global, command, out).await,
        Command::Matrix(command) => commands::matrix::run(&cli.global, command, out).await,
        Command::Access(command) => commands::access::run(&cli.global, command, out).await,
        Command::Incident(command) => commands::incident::run(&cli.global, command, out).await,
        Command::Breach(command) => commands::breach::run(&cli.global, command, out).await,
        Command::Asset(command) => commands::asset::asset(&cli.global, command, out).await,
        Command::Flow(command) => commands::asset::flow(&cli.global, command, out).await,
        Command::Risk(command) => commands::risk::run(&cli.global, command, out).await,
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own consistency checks (duplicate flags, bad defaults, conflicting names) over
    /// every command, as declared and as the binary builds it.
    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
        super::cli::command().debug_assert();
    }
}
