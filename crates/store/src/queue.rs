//! The queue on the job rows: claim under a lease, renew it, release it, sweep what is stuck.
//!
//! Each claim adds one to `attempts`; a lease that runs out makes the job claimable again,
//! until `max_attempts` is reached and the sweeper fails it (with its refund).

use crate::model::{JobRow, job_columns};
use crate::{Dialect, Job, JobId, Store, StoreError};
use std::time::Duration;

/// A claim's SQL; PostgreSQL skips rows another worker is claiming right now.
macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE jobs SET state = 'running', lease_owner = $1, lease_expires_at = $2, \
             attempts = attempts + 1, started_at = COALESCE(started_at, $3), updated_at = $3 \
             WHERE id = (SELECT id FROM jobs \
               WHERE (state = 'queued' OR (state = 'running' AND lease_expires_at < $3)) \
               AND attempts < max_attempts ORDER BY id LIMIT 1",
            $lock,
            ") RETURNING ",
            job_columns!()
        )
    };
}
const CLAIM_POSTGRES: &str = claim_sql!(" FOR UPDATE SKIP LOCKED");
const CLAIM_SQLITE: &str = claim_sql!("");

/// What a worker holds while it works on a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The job.
    pub job: JobId,
    /// The worker's name.
    pub owner: String,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// Takes the oldest claimable job for `owner` under a lease of `lease`, if any.
    pub async fn claim(&self, owner: &str, lease: Duration) -> Result<Option<Job>, StoreError> {
        let now = self.now();
        let sql = match self.dialect {
            Dialect::Postgres => CLAIM_POSTGRES,
            Dialect::Sqlite => CLAIM_SQLITE,
        };
        let mut tx = self.begin_write().await?;
        let row: Option<JobRow> = sqlx::query_as(sql)
            .bind(owner)
            .bind(now.saturating_add(millis(lease)))
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.map(Job::try_from).transpose()
    }

    /// Extends the lease; false means the lease was lost (expired and taken, or finished)
    /// and the worker must stop working on the job.
    pub async fn renew_lease(
        &self,
        id: JobId,
        owner: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let now = self.now();
        let done = sqlx::query(
            "UPDATE jobs SET lease_expires_at = $3, updated_at = $4 \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
        )
        .bind(id.0)
        .bind(owner)
        .bind(now.saturating_add(millis(lease)))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives the job back to the queue without counting the attempt (graceful shutdown).
    /// Its recorded progress (provider task id) stays, so the next worker resumes it.
    pub async fn release(&self, id: JobId, owner: &str) -> Result<bool, StoreError> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, \
             attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, updated_at = $3 \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
        )
        .bind(id.0)
        .bind(owner)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let released = done.rows_affected() == 1;
        if released {
            self.announce_job(&mut tx).await?;
        }
        tx.commit().await?;
        if released {
            self.wakeup.notify_local();
        }
        Ok(released)
    }

    /// Puts a job that is not finished back at the front of the queue with fresh attempts
    /// (operator's retry of a stuck job). False if the job is finished or unknown.
    pub async fn requeue(&self, id: JobId) -> Result<bool, StoreError> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, \
             attempts = 0, updated_at = $2 WHERE id = $1 AND state IN ('queued', 'running')",
        )
        .bind(id.0)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let requeued = done.rows_affected() == 1;
        if requeued {
            self.announce_job(&mut tx).await?;
        }
        tx.commit().await?;
        if requeued {
            self.wakeup.notify_local();
        }
        Ok(requeued)
    }

    /// Jobs that cannot finish any more: an expired lease with no attempts left, or running
    /// longer than `timeout` since first claimed. Listed, not changed (`sweep` fails them).
    pub async fn stuck_jobs(&self, timeout: Duration) -> Result<Vec<Job>, StoreError> {
        let now = self.now();
        let rows: Vec<JobRow> = sqlx::query_as(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE state IN ('queued', 'running') AND ( \
               (lease_expires_at < $1 AND attempts >= max_attempts) \
               OR (started_at IS NOT NULL AND started_at < $2)) ORDER BY id"
        ))
        .bind(now)
        .bind(now.saturating_sub(millis(timeout)))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Job::try_from).collect()
    }

    /// Fails (and refunds) every stuck job; returns the jobs this call failed, so their users
    /// can be told.
    pub async fn sweep(&self, timeout: Duration) -> Result<Vec<Job>, StoreError> {
        let mut failed = Vec::new();
        for job in self.stuck_jobs(timeout).await? {
            let (class, message) = if job.attempts >= job.max_attempts {
                ("attempts_exhausted", "the job failed on every attempt")
            } else {
                ("timeout", "the job took longer than the worker timeout")
            };
            if self.finish_failed(job.id, None, class, message).await? {
                failed.push(job);
            }
        }
        Ok(failed)
    }

    /// Records the prompt sent to the video model (lease holder only).
    pub async fn set_enhanced_prompt(
        &self,
        lease: &Lease,
        prompt: &str,
    ) -> Result<bool, StoreError> {
        self.update_held(
            lease,
            "UPDATE jobs SET enhanced_prompt = $3, updated_at = $4 \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
            prompt,
        )
        .await
    }

    /// Records where the input photo now lives (lease holder only).
    pub async fn set_input_ref(&self, lease: &Lease, reference: &str) -> Result<bool, StoreError> {
        self.update_held(
            lease,
            "UPDATE jobs SET input_file_ref = $3, updated_at = $4 \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
            reference,
        )
        .await
    }

    /// Records the progress stage shown to the user (lease holder only).
    pub async fn set_stage(&self, lease: &Lease, stage: &str) -> Result<bool, StoreError> {
        self.update_held(
            lease,
            "UPDATE jobs SET stage = $3, updated_at = $4 \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
            stage,
        )
        .await
    }

    /// Records the provider's task id before anything waits on it, so a resumed job polls
    /// that task instead of paying for a second one (lease holder only).
    pub async fn record_submission(
        &self,
        lease: &Lease,
        provider: &str,
        task_id: &str,
    ) -> Result<bool, StoreError> {
        let now = self.now();
        let done = sqlx::query(
            "UPDATE jobs SET provider = $3, provider_task_id = $4, submitted_at = $5, \
             stage = 'submitted', updated_at = $5 \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
        )
        .bind(lease.job.0)
        .bind(&lease.owner)
        .bind(provider)
        .bind(task_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn update_held(
        &self,
        lease: &Lease,
        sql: &'static str,
        value: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(sql)
            .bind(lease.job.0)
            .bind(&lease.owner)
            .bind(value)
            .bind(self.now())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
