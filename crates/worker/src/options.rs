//! The worker's timings and limits. Defaults suit production; tests shorten them.

use std::time::Duration;

/// Timings and limits of one worker process.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// This worker's name in leases and heartbeats (unique per process).
    pub owner: String,
    /// How long a claim holds a job without renewal.
    pub lease: Duration,
    /// How often the held leases are renewed (and the heartbeat written).
    pub renew_every: Duration,
    /// How long an idle worker sleeps when no wake-up comes (polling fallback).
    pub idle_poll: Duration,
    /// How often the sweeper runs.
    pub sweep_every: Duration,
    /// First wait before asking the provider about a task (no callbacks).
    pub poll_initial: Duration,
    /// Longest wait between status questions.
    pub poll_max: Duration,
    /// With callbacks on, how long to wait for one before asking anyway.
    pub callback_fallback: Duration,
    /// First wait after a retryable error.
    pub retry_initial: Duration,
    /// Longest wait after a retryable error.
    pub retry_max: Duration,
    /// Longest wait for the prompt LLM (at most 20 s).
    pub enhancer_timeout: Duration,
    /// Results larger than this are refused (2 GB).
    pub max_result_bytes: u64,
    /// Results larger than this go out as a link, not an upload (50 MB).
    pub max_upload_bytes: u64,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            owner: default_owner(),
            lease: Duration::from_secs(90),
            renew_every: Duration::from_secs(30),
            idle_poll: Duration::from_secs(5),
            sweep_every: Duration::from_secs(60),
            poll_initial: Duration::from_secs(3),
            poll_max: Duration::from_secs(30),
            callback_fallback: Duration::from_secs(60),
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(30),
            enhancer_timeout: Duration::from_secs(20),
            max_result_bytes: 2 * 1024 * 1024 * 1024,
            max_upload_bytes: 50 * 1024 * 1024,
        }
    }
}

/// `worker-<host>-<pid>-<random>`: unique even when two processes share a host and pid
/// namespace (containers).
pub fn default_owner() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".to_owned());
    format!(
        "worker-{host}-{}-{:04x}",
        std::process::id(),
        rand::random::<u16>()
    )
}
