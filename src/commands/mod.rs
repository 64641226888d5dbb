//! One module per subcommand; this one routes to them and turns failures into exit codes.

mod admin;
mod demo;
mod migrate;
mod serve;
mod shutdown;
mod webhook;

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
    let outcome = match command {
        // The demo brings its own settings: the operator's environment must not leak in.
        Command::Demo => demo::run().await,
        command => {
            let needs = Needs {
                bot_token: matches!(command, Command::Run | Command::Bot | Command::Worker),
            };
            match Config::from_env(needs) {
                Ok(config) => with_config(command, &config).await,
                Err(error) => return config_failure(&error),
            }
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

async fn with_config(command: Command, config: &Config) -> anyhow::Result<()> {
    use serve::Parts;
    match command {
        Command::Migrate => migrate::run(config).await,
        Command::Admin { command } => admin::run(config, command).await,
        Command::Run => {
            serve::run(
                "run",
                config,
                Parts {
                    bot: true,
                    worker: true,
                },
            )
            .await
        }
        Command::Bot => {
            serve::run(
                "bot",
                config,
                Parts {
                    bot: true,
                    worker: false,
                },
            )
            .await
        }
        Command::Worker => {
            serve::run(
                "worker",
                config,
                Parts {
                    bot: false,
                    worker: true,
                },
            )
            .await
        }
        Command::Demo => demo::run().await,
    }
}

fn config_failure(error: &ConfigError) -> ExitCode {
    eprintln!("configuration error: {error}");
    ExitCode::from(EXIT_CONFIG)
}
