//! Admin broadcasts: one at a time, each recipient a row that moves
//! pending → sending → sent | blocked | failed, so a restart resumes without repeats.

use crate::{Store, StoreError};

/// A broadcast: the admin's message (copied to every recipient) and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Broadcast {
    /// Id.
    pub id: i64,
    /// The admin who started it (gets the report).
    pub admin_id: i64,
    /// Chat of the message to copy.
    pub chat_id: i64,
    /// The message to copy.
    pub message_id: i64,
    /// `running`, `done` or `cancelled`.
    pub state: String,
    /// Started at (ms since epoch).
    pub created_at: i64,
    /// Ended at.
    pub finished_at: Option<i64>,
}

/// Recipients by outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BroadcastProgress {
    /// Not yet tried.
    pub pending: i64,
    /// Delivered.
    pub sent: i64,
    /// The user blocked the bot.
    pub blocked: i64,
    /// Failed otherwise (including sends a crash left unknown; never retried).
    pub failed: i64,
}

impl BroadcastProgress {
    /// Every recipient.
    pub fn total(&self) -> i64 {
        self.pending + self.sent + self.blocked + self.failed
    }
}

/// What starting a broadcast did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BroadcastStart {
    /// Started with this many recipients.
    Started(Broadcast, i64),
    /// Another broadcast is still running.
    AlreadyRunning(Broadcast),
    /// This very message was broadcast before (a repeated press or delivery).
    Repeated(Broadcast),
}

const COLUMNS: &str =
    "SELECT id, admin_id, chat_id, message_id, state, created_at, finished_at FROM broadcasts";

impl Store {
    /// Users a broadcast would reach now (those who have not blocked the bot).
    pub async fn broadcast_audience(&self) -> Result<i64, StoreError> {
        let n = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE blocked_at IS NULL")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    /// Starts a broadcast of the admin's message to every user who has not blocked the bot,
    /// unless one is running or this message was broadcast already.
    pub async fn start_broadcast(
        &self,
        admin_id: i64,
        chat_id: i64,
        message_id: i64,
    ) -> Result<BroadcastStart, StoreError> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let earlier: Option<Broadcast> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{COLUMNS} WHERE chat_id = $1 AND message_id = $2"
        )))
        .bind(chat_id)
        .bind(message_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(earlier) = earlier {
            tx.rollback().await?;
            return Ok(BroadcastStart::Repeated(earlier));
        }
        let created: Option<Broadcast> = sqlx::query_as(
            "INSERT INTO broadcasts (admin_id, chat_id, message_id, state, created_at, open_slot) \
             VALUES ($1, $2, $3, 'running', $4, 1) ON CONFLICT (open_slot) DO NOTHING \
             RETURNING id, admin_id, chat_id, message_id, state, created_at, finished_at",
        )
        .bind(admin_id)
        .bind(chat_id)
        .bind(message_id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(broadcast) = created else {
            let running: Broadcast = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{COLUMNS} WHERE open_slot = 1"
            )))
            .fetch_one(&mut *tx)
            .await?;
            tx.rollback().await?;
            return Ok(BroadcastStart::AlreadyRunning(running));
        };
        let recipients = sqlx::query(
            "INSERT INTO broadcast_deliveries (broadcast_id, user_id, state) \
             SELECT $1, id, 'pending' FROM users WHERE blocked_at IS NULL",
        )
        .bind(broadcast.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(BroadcastStart::Started(broadcast, recipients as i64))
    }

    /// The running broadcast, if any.
    pub async fn running_broadcast(&self) -> Result<Option<Broadcast>, StoreError> {
        let found = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{COLUMNS} WHERE open_slot = 1"
        )))
        .fetch_optional(&self.pool)
        .await?;
        Ok(found)
    }

    /// A broadcast by id.
    pub async fn broadcast(&self, id: i64) -> Result<Option<Broadcast>, StoreError> {
        let found = sqlx::query_as(sqlx::AssertSqlSafe(format!("{COLUMNS} WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found)
    }

    /// After a crash: sends that may or may not have happened count as failed, never resent.
    pub async fn settle_unknown_deliveries(&self, broadcast_id: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE broadcast_deliveries SET state = 'failed' \
             WHERE broadcast_id = $1 AND state = 'sending'",
        )
        .bind(broadcast_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// The next recipients not yet tried, lowest user id first.
    pub async fn pending_recipients(
        &self,
        broadcast_id: i64,
        limit: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let ids = sqlx::query_scalar(
            "SELECT user_id FROM broadcast_deliveries WHERE broadcast_id = $1 \
             AND state = 'pending' ORDER BY user_id LIMIT $2",
        )
        .bind(broadcast_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids)
    }

    /// Moves one recipient from state `from` to `to`; false if it was not in `from`.
    pub async fn mark_delivery(
        &self,
        broadcast_id: i64,
        user_id: i64,
        from: &str,
        to: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE broadcast_deliveries SET state = $4 \
             WHERE broadcast_id = $1 AND user_id = $2 AND state = $3",
        )
        .bind(broadcast_id)
        .bind(user_id)
        .bind(from)
        .bind(to)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends a broadcast as `done` or `cancelled`; false if it had already ended.
    pub async fn end_broadcast(&self, broadcast_id: i64, state: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE broadcasts SET state = $2, finished_at = $3, open_slot = NULL \
             WHERE id = $1 AND open_slot = 1",
        )
        .bind(broadcast_id)
        .bind(state)
        .bind(self.now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Recipients of a broadcast by outcome.
    pub async fn broadcast_progress(
        &self,
        broadcast_id: i64,
    ) -> Result<BroadcastProgress, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT state, COUNT(*) FROM broadcast_deliveries WHERE broadcast_id = $1 \
             GROUP BY state",
        )
        .bind(broadcast_id)
        .fetch_all(&self.pool)
        .await?;
        let mut progress = BroadcastProgress::default();
        for (state, count) in rows {
            match state.as_str() {
                "pending" | "sending" => progress.pending += count,
                "sent" => progress.sent += count,
                "blocked" => progress.blocked += count,
                _ => progress.failed += count,
            }
        }
        Ok(progress)
    }
}
