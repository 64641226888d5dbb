//! The operator's dashboard: one read of everything `/admin` and `neurocards admin stats`
//! show, plus the worker heartbeats it counts.

use crate::{CreditTotals, Store, StoreError};
use neurocards_core::JobKind;
use serde::Serialize;

const DAY_MS: i64 = 86_400_000;
const MINUTE_MS: i64 = 60_000;

/// A worker process seen recently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct WorkerBeat {
    /// The worker's name.
    pub worker: String,
    /// Jobs it was working on.
    pub in_flight: i64,
    /// When it last reported (ms since epoch).
    pub seen_at: i64,
}

/// Everything the dashboard shows, computed at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    /// Users ever.
    pub users_total: i64,
    /// Users first seen since UTC midnight.
    pub users_new_today: i64,
    /// Users seen in the last 24 hours.
    pub users_active_24h: i64,
    /// Videos delivered ever.
    pub videos_total: i64,
    /// Videos delivered since UTC midnight.
    pub videos_today: i64,
    /// Videos delivered ever, by kind (neurocard, reels).
    pub videos_by_kind: Vec<(String, i64)>,
    /// Jobs waiting for a worker.
    pub jobs_queued: i64,
    /// Jobs held by a worker.
    pub jobs_running: i64,
    /// Jobs that failed in the last 24 hours.
    pub jobs_failed_24h: i64,
    /// The most frequent error classes of the last 24 hours, most frequent first.
    pub top_errors_24h: Vec<(String, i64)>,
    /// Workers that reported in the last minute.
    pub live_workers: Vec<WorkerBeat>,
    /// Credits moved since UTC midnight.
    pub credits_today: Credits,
    /// Credits moved ever.
    pub credits_total: Credits,
    /// Median seconds from first claim to delivery, over the last 24 hours.
    pub generation_p50_s: Option<f64>,
    /// 90th percentile of the same.
    pub generation_p90_s: Option<f64>,
}

/// Serializable copy of [`CreditTotals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Credits {
    /// Given for free.
    pub granted: i64,
    /// Bought.
    pub purchased: i64,
    /// Spent on generations.
    pub charged: i64,
    /// Returned for failures.
    pub refunded: i64,
}

impl From<CreditTotals> for Credits {
    fn from(t: CreditTotals) -> Credits {
        Credits {
            granted: t.granted,
            purchased: t.purchased,
            charged: t.charged,
            refunded: t.refunded,
        }
    }
}

/// The value at quantile `q` (0..=1) of sorted samples, nearest rank.
fn quantile(sorted: &[i64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1] as f64 / 1000.0)
}

impl Store {
    /// Records that `worker` is alive with `in_flight` jobs.
    pub async fn heartbeat(&self, worker: &str, in_flight: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO worker_heartbeats (worker, in_flight, seen_at) VALUES ($1, $2, $3) \
             ON CONFLICT (worker) DO UPDATE SET in_flight = excluded.in_flight, \
             seen_at = excluded.seen_at",
        )
        .bind(worker)
        .bind(in_flight)
        .bind(self.now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Workers that reported in the last minute.
    pub async fn live_workers(&self) -> Result<Vec<WorkerBeat>, StoreError> {
        let rows = sqlx::query_as(
            "SELECT worker, in_flight, seen_at FROM worker_heartbeats WHERE seen_at >= $1 \
             ORDER BY worker",
        )
        .bind(self.now() - MINUTE_MS)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// The dashboard, now.
    pub async fn dashboard(&self) -> Result<Dashboard, StoreError> {
        let now = self.now();
        let midnight = now - now.rem_euclid(DAY_MS);
        let day_ago = now - DAY_MS;
        let all = self.job_counts(0).await?;
        let count = |sql: &'static str, since: i64| {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(since)
                .fetch_one(&self.pool)
        };
        let videos_today = count(
            "SELECT COUNT(*) FROM jobs WHERE state = 'done' AND finished_at >= $1",
            midnight,
        )
        .await?;
        let jobs_failed_24h = count(
            "SELECT COUNT(*) FROM jobs WHERE state = 'failed' AND finished_at >= $1",
            day_ago,
        )
        .await?;
        let mut videos_by_kind = Vec::new();
        for kind in JobKind::ALL {
            let n: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state = 'done' AND kind = $1")
                    .bind(kind.as_str())
                    .fetch_one(&self.pool)
                    .await?;
            videos_by_kind.push((kind.as_str().to_owned(), n));
        }
        let top_errors_24h: Vec<(String, i64)> = sqlx::query_as(
            "SELECT COALESCE(error_class, 'unknown') AS class, COUNT(*) AS n FROM jobs \
             WHERE state = 'failed' AND finished_at >= $1 GROUP BY class \
             ORDER BY n DESC, class LIMIT 5",
        )
        .bind(day_ago)
        .fetch_all(&self.pool)
        .await?;
        let mut durations: Vec<i64> = sqlx::query_scalar(
            "SELECT finished_at - started_at FROM jobs WHERE state = 'done' \
             AND finished_at >= $1 AND started_at IS NOT NULL LIMIT 100000",
        )
        .bind(day_ago)
        .fetch_all(&self.pool)
        .await?;
        durations.sort_unstable();
        Ok(Dashboard {
            users_total: self.users_since(0).await?,
            users_new_today: self.users_since(midnight).await?,
            users_active_24h: self.users_active_since(day_ago).await?,
            videos_total: all.done,
            videos_today,
            videos_by_kind,
            jobs_queued: all.queued,
            jobs_running: all.running,
            jobs_failed_24h,
            top_errors_24h,
            live_workers: self.live_workers().await?,
            credits_today: self.credit_totals(midnight).await?.into(),
            credits_total: self.credit_totals(0).await?.into(),
            generation_p50_s: quantile(&durations, 0.5),
            generation_p90_s: quantile(&durations, 0.9),
        })
    }

    /// Every user, oldest first, for exports.
    pub async fn all_users(&self) -> Result<Vec<crate::User>, StoreError> {
        let rows: Vec<crate::model::UserRow> = sqlx::query_as(concat!(
            "SELECT ",
            crate::model::user_columns!(),
            " FROM users ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(crate::User::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn nearest_rank_quantiles() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[1000], 0.9), Some(1.0));
        let ms: Vec<i64> = (1..=10).map(|s| s * 1000).collect();
        assert_eq!(quantile(&ms, 0.5), Some(5.0));
        assert_eq!(quantile(&ms, 0.9), Some(9.0));
    }
}
