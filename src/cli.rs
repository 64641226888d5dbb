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
    /// Operator tools: stats, credits, users, stuck jobs.
    Admin {
        /// What to do.
        #[command(subcommand)]
        command: AdminCommand,
    },
}

/// `neurocards admin ...`; each reads `DATABASE_URL` like the server and works beside it.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// The dashboard: users, videos, queue, workers, credits, generation times.
    Stats {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Add credits to a user through the ledger (negative to remove, down to zero).
    Grant {
        /// Telegram id or @username.
        user: String,
        /// Credits to add (negative to remove).
        #[arg(allow_hyphen_values = true)]
        credits: i64,
        /// Why, for the ledger.
        #[arg(trailing_var_arg = true)]
        reason: Vec<String>,
    },
    /// A user's balance, ledger, referrals and last jobs.
    User {
        /// Telegram id or @username.
        user: String,
    },
    /// Generation jobs.
    Jobs {
        /// What to do with them.
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// The KIE keys (masked): health in the rotation and balance.
    Keys {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Export data.
    Export {
        /// What to export.
        #[command(subcommand)]
        what: ExportCommand,
    },
}

/// `neurocards admin jobs ...`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Jobs that cannot finish any more (lease expired with no attempts left, or running
    /// longer than WORKER_TIMEOUT).
    Stuck,
    /// Put an unfinished job back at the front of the queue with fresh attempts.
    Retry {
        /// Job id.
        id: i64,
    },
    /// End an unfinished job as failed and refund it.
    Fail {
        /// Job id.
        id: i64,
        /// Shown as the error message.
        #[arg(long, default_value = "failed by an operator")]
        reason: String,
    },
}

/// `neurocards admin export ...`
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Every user.
    Users {
        /// As CSV (the only format so far).
        #[arg(long)]
        csv: bool,
    },
}
