//! How a job step can end short of the next step, and the retry loop every provider call
//! goes through (backoff with jitter, honouring Retry-After, bounded by the job's deadline).

use crate::texts::FailureReason;
use neurocards_providers::{ErrorClass, ProviderError};
use neurocards_store::StoreError;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A terminal failure: the job ends, is refunded, and the user is told `reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// Stored as the job's `error_class`.
    pub class: String,
    /// Stored as the job's `error_message` (no secrets).
    pub detail: String,
    /// What the user reads.
    pub reason: FailureReason,
}

impl Failure {
    pub(crate) fn new(class: &str, detail: impl Into<String>, reason: FailureReason) -> Self {
        Failure {
            class: class.to_owned(),
            detail: detail.into(),
            reason,
        }
    }

    pub(crate) fn from_provider(error: &ProviderError) -> Self {
        let reason = match error.class {
            ErrorClass::ContentPolicy | ErrorClass::GenerationFailed => FailureReason::Rephrase,
            ErrorClass::BadRequest => FailureReason::BadInput,
            _ => FailureReason::Internal,
        };
        Failure::new(error.class.as_str(), error.to_string(), reason)
    }

    pub(crate) fn timeout(doing: &str) -> Self {
        Failure::new(
            "timeout",
            format!("WORKER_TIMEOUT reached while {doing}"),
            FailureReason::Timeout,
        )
    }
}

/// Why a job's task stopped before the job was done.
#[derive(Debug)]
pub(crate) enum Stop {
    /// Shutdown: release the lease; the next worker resumes from the recorded point.
    Shutdown,
    /// The lease is gone (another worker has the job, or it finished): touch nothing.
    LeaseLost,
    /// Terminal: fail, refund, tell the user.
    Failed(Failure),
    /// The user blocked the bot: fail and refund without a message, mark the user.
    Blocked,
    /// The database failed: leave the job; its lease runs out and it is claimed again.
    Store(StoreError),
}

impl From<StoreError> for Stop {
    fn from(error: StoreError) -> Self {
        Stop::Store(error)
    }
}

/// The job's stop signals and deadline, checked at every recorded point.
#[derive(Clone)]
pub(crate) struct Guard {
    pub shutdown: CancellationToken,
    pub lost: CancellationToken,
    pub deadline: Instant,
}

impl Guard {
    /// Err when the job must not start its next step.
    pub(crate) fn checkpoint(&self) -> Result<(), Stop> {
        if self.lost.is_cancelled() {
            Err(Stop::LeaseLost)
        } else if self.shutdown.is_cancelled() {
            Err(Stop::Shutdown)
        } else {
            Ok(())
        }
    }

    /// Sleeps `delay`, or stops early on shutdown / lease loss.
    pub(crate) async fn pause(&self, delay: Duration) -> Result<(), Stop> {
        tokio::select! {
            () = tokio::time::sleep(delay) => Ok(()),
            () = self.lost.cancelled() => Err(Stop::LeaseLost),
            () = self.shutdown.cancelled() => Err(Stop::Shutdown),
        }
    }

    /// Time left before the deadline.
    pub(crate) fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

/// Backoff bounds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

/// `base` ± 20 %, so retries of many jobs do not arrive together.
pub(crate) fn jitter(base: Duration) -> Duration {
    let factor = 0.8 + rand::random::<f64>() * 0.4;
    base.mul_f64(factor)
}

/// Runs `op` until it succeeds, fails terminally, or the deadline comes. Retryable errors
/// wait (the provider's Retry-After, else exponential backoff with jitter). Each attempt's
/// outcome (`ok` or the error class) goes to `count`.
pub(crate) async fn retrying<T, F, Fut>(
    guard: &Guard,
    backoff: Backoff,
    doing: &str,
    count: impl Fn(&str),
    op: F,
) -> Result<T, Stop>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let mut wait = backoff.initial;
    loop {
        let outcome = op().await;
        count(outcome.as_ref().map_or_else(|e| e.class.as_str(), |_| "ok"));
        match outcome {
            Ok(value) => return Ok(value),
            Err(error) if error.class.is_terminal() => {
                return Err(Stop::Failed(Failure::from_provider(&error)));
            }
            Err(error) => {
                let delay = match error.class {
                    ErrorClass::NoKeyAvailable { retry_after: None } => backoff.max,
                    class => class.retry_after().unwrap_or_else(|| jitter(wait)),
                };
                if delay >= guard.left() {
                    return Err(Stop::Failed(Failure::timeout(doing)));
                }
                tracing::warn!(%error, doing, delay_ms = delay.as_millis() as u64, "provider call failed; retrying");
                guard.pause(delay).await?;
                wait = (wait * 2).min(backoff.max);
            }
        }
    }
}
