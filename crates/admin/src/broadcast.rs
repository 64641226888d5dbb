//! Sends an admin's message to every user, in the background, within Telegram's limits.
//!
//! The message is copied (`copyMessage`), so text, photos and videos with captions all work.
//! Progress lives in the store: each recipient is marked `sending` before its message goes
//! out and `sent`/`blocked`/`failed` after, so a restart resumes where it stopped and never
//! sends anyone the message twice. Users who blocked the bot are marked in the store.

use neurocards_core::UserId;
use neurocards_store::{Broadcast, BroadcastProgress, Store, StoreError};
use std::time::Duration;
use teloxide::prelude::*;
use teloxide::types::{MessageId, Recipient};
use teloxide::{ApiError, RequestError};
use tokio_util::sync::CancellationToken;

/// Telegram allows about 30 messages a second overall; we stay under it.
pub const DEFAULT_RATE_PER_SECOND: u32 = 25;

/// Recipients read from the store at a time.
const BATCH: i64 = 50;

/// Why a broadcast stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum BroadcastError {
    /// The store failed; the broadcast resumes on the next run.
    #[error("broadcast bookkeeping failed")]
    Store(#[from] StoreError),
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BroadcastOutcome {
    /// Nothing to send.
    Idle,
    /// Every recipient was tried; the admin was sent this report.
    Finished(BroadcastProgress),
    /// Cancelled by an admin.
    Cancelled(BroadcastProgress),
    /// Stopped for shutdown; resumes on the next run.
    Interrupted,
}

/// Sends the running broadcast, if any.
pub struct BroadcastRunner {
    store: Store,
    bot: Bot,
    pause: Duration,
}

enum Delivery {
    Sent,
    Blocked,
    Failed,
    /// Shutdown came while waiting out a rate limit; nothing was sent.
    NotSent,
}

impl BroadcastRunner {
    /// A runner sending at most `rate_per_second` messages a second.
    pub fn new(store: Store, bot: Bot, rate_per_second: u32) -> Self {
        Self {
            store,
            bot,
            pause: Duration::from_secs(1) / rate_per_second.max(1),
        }
    }

    /// Runs the open broadcast to its end, cancellation, or `shutdown`.
    pub async fn run(
        &self,
        shutdown: &CancellationToken,
    ) -> Result<BroadcastOutcome, BroadcastError> {
        let Some(broadcast) = self.store.running_broadcast().await? else {
            return Ok(BroadcastOutcome::Idle);
        };
        let unknown = self.store.settle_unknown_deliveries(broadcast.id).await?;
        if unknown > 0 {
            tracing::warn!(
                broadcast = broadcast.id,
                unknown,
                "sends interrupted by a crash counted as failed"
            );
        }
        let mut pace = tokio::time::interval(self.pause);
        pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let current = self.store.broadcast(broadcast.id).await?;
            if current.as_ref().is_none_or(|b| b.state == "cancelled") {
                let progress = self.store.broadcast_progress(broadcast.id).await?;
                return Ok(BroadcastOutcome::Cancelled(progress));
            }
            let batch = self.store.pending_recipients(broadcast.id, BATCH).await?;
            if batch.is_empty() {
                self.store.end_broadcast(broadcast.id, "done").await?;
                let progress = self.store.broadcast_progress(broadcast.id).await?;
                self.report(&broadcast, &progress).await;
                return Ok(BroadcastOutcome::Finished(progress));
            }
            for user in batch {
                tokio::select! {
                    _ = pace.tick() => {}
                    () = shutdown.cancelled() => return Ok(BroadcastOutcome::Interrupted),
                }
                if !self
                    .store
                    .mark_delivery(broadcast.id, user, "pending", "sending")
                    .await?
                {
                    continue;
                }
                let outcome = self.deliver(&broadcast, user, shutdown).await;
                let state = match outcome {
                    Delivery::Sent => "sent",
                    Delivery::Blocked => {
                        self.store.mark_blocked(UserId(user)).await?;
                        "blocked"
                    }
                    Delivery::Failed => "failed",
                    Delivery::NotSent => {
                        self.store
                            .mark_delivery(broadcast.id, user, "sending", "pending")
                            .await?;
                        return Ok(BroadcastOutcome::Interrupted);
                    }
                };
                self.store
                    .mark_delivery(broadcast.id, user, "sending", state)
                    .await?;
            }
        }
    }

    /// Copies the message to one user, waiting out rate limits.
    async fn deliver(
        &self,
        broadcast: &Broadcast,
        user: i64,
        shutdown: &CancellationToken,
    ) -> Delivery {
        loop {
            let sent = self
                .bot
                .copy_message(
                    Recipient::Id(ChatId(user)),
                    Recipient::Id(ChatId(broadcast.chat_id)),
                    MessageId(broadcast.message_id as i32),
                )
                .await;
            match sent {
                Ok(_) => return Delivery::Sent,
                Err(RequestError::RetryAfter(wait)) => {
                    tokio::select! {
                        () = tokio::time::sleep(wait.duration()) => continue,
                        () = shutdown.cancelled() => return Delivery::NotSent,
                    }
                }
                Err(RequestError::Api(
                    ApiError::BotBlocked
                    | ApiError::UserDeactivated
                    | ApiError::CantInitiateConversation
                    | ApiError::ChatNotFound,
                )) => return Delivery::Blocked,
                Err(error) => {
                    tracing::warn!(user, error = %error, "broadcast message failed");
                    return Delivery::Failed;
                }
            }
        }
    }

    async fn report(&self, broadcast: &Broadcast, progress: &BroadcastProgress) {
        let text = format!(
            "📣 Broadcast #{} finished: sent {}, blocked {}, failed {} (of {}).",
            broadcast.id,
            progress.sent,
            progress.blocked,
            progress.failed,
            progress.total()
        );
        if let Err(error) = self
            .bot
            .send_message(ChatId(broadcast.admin_id), text)
            .await
        {
            tracing::warn!(error = %error, "could not send the broadcast report");
        }
    }
}
