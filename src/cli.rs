//! The command line, as DESIGN.md fixes it.

use clap::{Parser, Subcommand};

/// A Telegram bot that sells AI video generations.
#[derive(Debug, Parser)]
#[command(name = "neurocards", version, about)]
pub struct Cli {
    /// What to run; `run` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand, Default)]
pub enum Command {
    /// Bot, worker and HTTP server in one process (the default).
    #[default]
    Run,
    /// The Telegram bot alone (scale out behind a load balancer on PostgreSQL).
    Bot,
    /// A generation worker alone (run many on PostgreSQL).
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// The whole product offline against local fakes, driven by a scripted user.
    Demo,
    /// Operator tools.
    Admin {
        /// The admin command and its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}
