//! Generation jobs: paid for and queued in one step, finished exactly once.

use crate::ledger::{self, Credit};
use crate::model::{JobRow, job_columns};
use crate::{ChargeOutcome, Dialect, Job, JobId, NewJob, Store, StoreError};
use rand::Rng;
use sqlx::AnyConnection;

const SELECT_JOB_BY_KEY: &str = concat!(
    "SELECT ",
    job_columns!(),
    " FROM jobs WHERE idempotency_key = $1"
);

fn new_callback_token() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn job_by_key(conn: &mut AnyConnection, key: &str) -> Result<Option<Job>, StoreError> {
    let row: Option<JobRow> = sqlx::query_as(SELECT_JOB_BY_KEY)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(Job::try_from).transpose()
}

impl Store {
    /// Charges the user and queues the job in one transaction. Requests of one user are
    /// serialised on the user's row, so N credits start at most N jobs; a request whose
    /// idempotency key was seen before returns the first job and charges nothing.
    pub async fn create_job_and_charge(&self, new: &NewJob) -> Result<ChargeOutcome, StoreError> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let balance = ledger::lock_balance(&mut tx, new.user.0).await?;
        if let Some(key) = &new.idempotency_key
            && let Some(job) = job_by_key(&mut tx, key).await?
        {
            tx.commit().await?;
            return Ok(ChargeOutcome::Duplicate(job));
        }
        if balance < new.cost {
            tx.rollback().await?;
            return Ok(ChargeOutcome::InsufficientCredits {
                balance,
                cost: new.cost,
            });
        }
        let inserted: Option<JobRow> = sqlx::query_as(concat!(
            "INSERT INTO jobs (user_id, chat_id, kind, state, cost, user_prompt, input_file_id, \
             duration_s, aspect_ratio, callback_token, attempts, max_attempts, idempotency_key, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, 0, $10, $11, $12, $12) \
             ON CONFLICT (idempotency_key) DO NOTHING RETURNING ",
            job_columns!()
        ))
        .bind(new.user.0)
        .bind(new.chat_id)
        .bind(new.kind.as_str())
        .bind(new.cost)
        .bind(&new.prompt)
        .bind(new.input_file_id.as_deref())
        .bind(i64::from(new.duration.seconds()))
        .bind(new.kind.aspect_ratio())
        .bind(new_callback_token())
        .bind(new.max_attempts)
        .bind(new.idempotency_key.as_deref())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = inserted else {
            // Another user's request carried the same key; it made the job, not us.
            let key = new.idempotency_key.as_deref().unwrap_or_default();
            let job = job_by_key(&mut tx, key)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("job for key {key} vanished")))?;
            tx.commit().await?;
            return Ok(ChargeOutcome::Duplicate(job));
        };
        let job = Job::try_from(row)?;
        if new.cost > 0 {
            let key = format!("charge:{}", job.id);
            let credit = Credit {
                user: new.user.0,
                delta: -new.cost,
                reason: "charge",
                job_id: Some(job.id.0),
                payment_id: None,
                idempotency_key: Some(&key),
            };
            ledger::apply(&mut tx, now, credit).await?;
        }
        self.announce_job(&mut tx).await?;
        tx.commit().await?;
        self.wakeup.notify_local();
        Ok(ChargeOutcome::Created(job))
    }

    /// Tells idle workers in other processes that a job is waiting (delivered on commit).
    pub(crate) async fn announce_job(&self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        if self.dialect == Dialect::Postgres {
            // The channel is `wakeup::CHANNEL`.
            sqlx::query("NOTIFY neurocards_jobs")
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// A job by id.
    pub async fn job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        let row: Option<JobRow> = sqlx::query_as(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Job::try_from).transpose()
    }

    /// The job whose provider callback carries `token`.
    pub async fn job_by_callback_token(&self, token: &str) -> Result<Option<Job>, StoreError> {
        let row: Option<JobRow> = sqlx::query_as(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE callback_token = $1"
        ))
        .bind(token)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Job::try_from).transpose()
    }

    /// How many queued jobs are ahead of this one, plus one (1 = next to start).
    pub async fn queue_position(&self, id: JobId) -> Result<i64, StoreError> {
        let ahead: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND id < $1")
                .bind(id.0)
                .fetch_one(&self.pool)
                .await?;
        Ok(ahead + 1)
    }

    /// Remembers the chat message that shows this job's progress.
    pub async fn set_progress_message(&self, id: JobId, message_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE jobs SET progress_message_id = $2 WHERE id = $1")
            .bind(id.0)
            .bind(message_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Marks the job delivered, with the video's URL and Telegram file id. Only the lease
    /// holder can; returns false if the job is no longer held by `owner`.
    pub async fn finish_ok(
        &self,
        lease: &crate::Lease,
        result_url: &str,
        video_file_id: &str,
    ) -> Result<bool, StoreError> {
        let now = self.now();
        let done = sqlx::query(
            "UPDATE jobs SET state = 'done', stage = NULL, result_url = $3, video_file_id = $4, \
             finished_at = $5, updated_at = $5, lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = $1 AND state = 'running' AND lease_owner = $2",
        )
        .bind(lease.job.0)
        .bind(&lease.owner)
        .bind(result_url)
        .bind(video_file_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends the job as failed and refunds its cost, in one transaction, exactly once: a second
    /// call (or a call for a finished job) changes nothing and returns false. With `owner`,
    /// only the lease holder can fail the job; without, anyone (sweeper, operator).
    pub async fn finish_failed(
        &self,
        id: JobId,
        owner: Option<&str>,
        error_class: &str,
        error_message: &str,
    ) -> Result<bool, StoreError> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let failed: Option<(i64, i64)> = sqlx::query_as(
            "UPDATE jobs SET state = 'failed', stage = NULL, error_class = $3, error_message = $4, \
             finished_at = $5, updated_at = $5, lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = $1 AND state IN ('queued', 'running') \
             AND (CAST($2 AS TEXT) IS NULL OR lease_owner = $2) \
             RETURNING user_id, cost",
        )
        .bind(id.0)
        .bind(owner)
        .bind(error_class)
        .bind(error_message)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((user, cost)) = failed else {
            tx.rollback().await?;
            return Ok(false);
        };
        if cost > 0 {
            let key = format!("refund:{id}");
            let credit = Credit {
                user,
                delta: cost,
                reason: "refund",
                job_id: Some(id.0),
                payment_id: None,
                idempotency_key: Some(&key),
            };
            ledger::apply(&mut tx, now, credit).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
