//! One module per subcommand; this one routes to them and turns failures into exit codes.

mod admin;
mod migrate;

use crate::cli::Command;
use neurocards_core::config::{Config, ConfigError, Needs};
use std::process::ExitCode;

/// Exit code for a bad setting: the operator must fix the configuration.
const EXIT_CONFIG: u8 = 2;

/// Logs go to stderr; `RUST_LOG` tunes them (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Runs one subcommand to its end.
pub async fn dispatch(command: Command) -> ExitCode {
    let needs = Needs {
        bot_token: matches!(command, Command::Run | Command::Bot),
    };
    let config = match Config::from_env(needs) {
        Ok(config) => config,
        Err(error) => return config_failure(&error),
    };
    let outcome = match command {
        Command::Migrate => migrate::run(&config).await,
        Command::Admin { command } => admin::run(&config, command).await,
        Command::Run | Command::Bot | Command::Worker | Command::Demo => {
            eprintln!("neurocards: this command is not available yet");
            return ExitCode::FAILURE;
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole cause chain on one line.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn config_failure(error: &ConfigError) -> ExitCode {
    eprintln!("configuration error: {error}");
    ExitCode::from(EXIT_CONFIG)
}
