//! The append-only credit ledger and the balance that moves with it.

use crate::{CreditTotals, GrantOutcome, LedgerEntry, Store, StoreError};
use neurocards_core::UserId;
use sqlx::AnyConnection;

/// One change of a balance, as it is written to the ledger.
pub(crate) struct Credit<'a> {
    pub user: i64,
    pub delta: i64,
    pub reason: &'a str,
    pub job_id: Option<i64>,
    pub payment_id: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
}

/// Writes the ledger row and moves the balance in the caller's transaction. Returns the new
/// balance, or `None` when the idempotency key was used before (nothing changed).
pub(crate) async fn apply(
    conn: &mut AnyConnection,
    now: i64,
    credit: Credit<'_>,
) -> Result<Option<i64>, StoreError> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO credit_ledger (user_id, delta, reason, job_id, payment_id, idempotency_key, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(credit.user)
    .bind(credit.delta)
    .bind(credit.reason)
    .bind(credit.job_id)
    .bind(credit.payment_id)
    .bind(credit.idempotency_key)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_none() {
        return Ok(None);
    }
    let balance: i64 = sqlx::query_scalar(
        "UPDATE users SET balance = balance + $2 WHERE id = $1 RETURNING balance",
    )
    .bind(credit.user)
    .bind(credit.delta)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(balance))
}

/// Locks the user's row for this transaction and reads the balance.
pub(crate) async fn lock_balance(conn: &mut AnyConnection, user: i64) -> Result<i64, StoreError> {
    sqlx::query_scalar("UPDATE users SET balance = balance WHERE id = $1 RETURNING balance")
        .bind(user)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::UnknownUser(user))
}

impl Store {
    /// The user's balance.
    pub async fn balance(&self, user: UserId) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT balance FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::UnknownUser(user.0))
    }

    /// The sum of the user's ledger (equals the balance; an audit check).
    pub async fn ledger_sum(&self, user: UserId) -> Result<i64, StoreError> {
        let sum: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(delta), 0) AS BIGINT) FROM credit_ledger WHERE user_id = $1",
        )
        .bind(user.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(sum)
    }

    /// The user's newest ledger entries, newest first.
    pub async fn ledger(&self, user: UserId, limit: i64) -> Result<Vec<LedgerEntry>, StoreError> {
        let rows = sqlx::query_as(
            "SELECT id, user_id, delta, reason, job_id, payment_id, idempotency_key, created_at \
             FROM credit_ledger WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(user.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// Adds (or, with a negative `delta`, removes) credits through the ledger. A removal
    /// stops at a zero balance. With an idempotency key, a repeated grant changes nothing.
    pub async fn grant(
        &self,
        user: UserId,
        delta: i64,
        reason: &str,
        idempotency_key: Option<&str>,
    ) -> Result<GrantOutcome, StoreError> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let balance = lock_balance(&mut tx, user.0).await?;
        let applied = delta.max(-balance);
        if applied == 0 {
            tx.commit().await?;
            return Ok(GrantOutcome { applied, balance });
        }
        let credit = Credit {
            user: user.0,
            delta: applied,
            reason,
            job_id: None,
            payment_id: None,
            idempotency_key,
        };
        let outcome = match apply(&mut tx, now, credit).await? {
            Some(balance) => GrantOutcome { applied, balance },
            None => GrantOutcome {
                applied: 0,
                balance,
            },
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Credits moved since `since_ms` (0 for all time), by direction.
    pub async fn credit_totals(&self, since_ms: i64) -> Result<CreditTotals, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT reason, CAST(COALESCE(SUM(delta), 0) AS BIGINT) FROM credit_ledger \
             WHERE created_at >= $1 GROUP BY reason",
        )
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await?;
        let mut totals = CreditTotals::default();
        for (reason, sum) in rows {
            match reason.as_str() {
                "charge" => totals.charged += -sum,
                "refund" => totals.refunded += sum,
                "purchase" => totals.purchased += sum,
                _ => totals.granted += sum,
            }
        }
        Ok(totals)
    }
}
