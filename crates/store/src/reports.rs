//! Read-only questions the cabinet and the admin dashboard ask.

use crate::model::{JobRow, job_columns};
use crate::{Job, Store, StoreError};
use neurocards_core::{JobKind, JobState, UserId};

/// A day's count; `day` is days since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCount {
    /// Days since 1970-01-01.
    pub day: i64,
    /// How many.
    pub count: i64,
}

/// Jobs by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobCounts {
    /// Waiting for a worker.
    pub queued: i64,
    /// Held by a worker.
    pub running: i64,
    /// Delivered.
    pub done: i64,
    /// Failed and refunded.
    pub failed: i64,
}

impl JobCounts {
    /// All jobs counted.
    pub fn total(&self) -> i64 {
        self.queued + self.running + self.done + self.failed
    }

    fn add(&mut self, state: &str, count: i64) {
        match state.parse::<JobState>() {
            Ok(JobState::Queued) => self.queued += count,
            Ok(JobState::Running) => self.running += count,
            Ok(JobState::Done) => self.done += count,
            Ok(JobState::Failed) => self.failed += count,
            Err(_) => tracing::warn!(state, "job rows with an unknown state"),
        }
    }
}

const DAY_MS: i64 = 86_400_000;

impl Store {
    /// A user's generations, newest first, `limit` from `offset`.
    pub async fn history(
        &self,
        user: UserId,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Job>, StoreError> {
        let rows: Vec<JobRow> = sqlx::query_as(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE user_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(user.0)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Job::try_from).collect()
    }

    /// A user's jobs by state.
    pub async fn user_job_counts(&self, user: UserId) -> Result<JobCounts, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM jobs WHERE user_id = $1 GROUP BY state")
                .bind(user.0)
                .fetch_all(&self.pool)
                .await?;
        let mut counts = JobCounts::default();
        for (state, count) in rows {
            counts.add(&state, count);
        }
        Ok(counts)
    }

    /// Jobs created since `since_ms`, by state (0 for all time).
    pub async fn job_counts(&self, since_ms: i64) -> Result<JobCounts, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT state, COUNT(*) FROM jobs WHERE created_at >= $1 GROUP BY state",
        )
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await?;
        let mut counts = JobCounts::default();
        for (state, count) in rows {
            counts.add(&state, count);
        }
        Ok(counts)
    }

    /// Users first seen since `since_ms`.
    pub async fn users_since(&self, since_ms: i64) -> Result<i64, StoreError> {
        let count = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE created_at >= $1")
            .bind(since_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok(count)
    }

    /// Users seen (any contact) since `since_ms`.
    pub async fn users_active_since(&self, since_ms: i64) -> Result<i64, StoreError> {
        let count = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE last_seen_at >= $1")
            .bind(since_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok(count)
    }

    /// New users per day since `since_ms`, oldest day first; days without any are absent.
    pub async fn users_per_day(&self, since_ms: i64) -> Result<Vec<DayCount>, StoreError> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT CAST(created_at / $2 AS BIGINT) AS day, COUNT(*) FROM users \
             WHERE created_at >= $1 GROUP BY day ORDER BY day",
        )
        .bind(since_ms)
        .bind(DAY_MS)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(day, count)| DayCount { day, count })
            .collect())
    }

    /// Jobs created per day since `since_ms`, optionally of one kind and one state.
    pub async fn jobs_per_day(
        &self,
        since_ms: i64,
        kind: Option<JobKind>,
        state: Option<JobState>,
    ) -> Result<Vec<DayCount>, StoreError> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT CAST(created_at / $2 AS BIGINT) AS day, COUNT(*) FROM jobs \
             WHERE created_at >= $1 AND (CAST($3 AS TEXT) IS NULL OR kind = $3) \
             AND (CAST($4 AS TEXT) IS NULL OR state = $4) GROUP BY day ORDER BY day",
        )
        .bind(since_ms)
        .bind(DAY_MS)
        .bind(kind.map(JobKind::as_str))
        .bind(state.map(JobState::as_str))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(day, count)| DayCount { day, count })
            .collect())
    }
}

impl Store {
    /// Every job ever made, counted by kind and state (for the metrics gauges).
    pub async fn jobs_by_kind_and_state(
        &self,
    ) -> Result<Vec<(JobKind, JobState, i64)>, StoreError> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(kind, state, count)| {
                let corrupt =
                    |e: neurocards_core::domain::UnknownName| StoreError::Corrupt(e.to_string());
                Ok((
                    kind.parse().map_err(corrupt)?,
                    state.parse().map_err(corrupt)?,
                    count,
                ))
            })
            .collect()
    }
}

impl Store {
    /// Jobs that ended since `since_ms`: (delivered, failed).
    pub async fn outcomes_since(&self, since_ms: i64) -> Result<(i64, i64), StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT state, COUNT(*) FROM jobs WHERE finished_at >= $1 GROUP BY state",
        )
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await?;
        let count = |wanted: &str| {
            rows.iter()
                .filter(|(state, _)| state == wanted)
                .map(|(_, n)| *n)
                .sum::<i64>()
        };
        Ok((count("done"), count("failed")))
    }
}
