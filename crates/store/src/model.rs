//! The rows the store hands out and the requests it takes.

use crate::StoreError;
use neurocards_core::{JobKind, JobState, Language, UserId, VideoDuration};
use std::fmt;

/// A generation job's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub i64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What we learn about a user from each Telegram contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Telegram id.
    pub id: UserId,
    /// `@username`, without the `@`.
    pub username: Option<String>,
    /// First and last name.
    pub full_name: String,
    /// The language to start with, from Telegram's `language_code`.
    pub language: Option<Language>,
    /// The referral code from a `/start ref_<code>` payload.
    pub referral_code: Option<String>,
}

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Telegram id.
    pub id: UserId,
    /// `@username`, without the `@`.
    pub username: Option<String>,
    /// First and last name.
    pub full_name: String,
    /// Chosen or detected language; `None` means the configured default.
    pub language: Option<Language>,
    /// This user's own code for `ref_<code>` links.
    pub referral_code: String,
    /// Who invited this user.
    pub referrer: Option<UserId>,
    /// Credits available; always the sum of the user's ledger.
    pub balance: i64,
    /// When the bot learned the user blocked it.
    pub blocked_at: Option<i64>,
    /// First contact (ms since epoch).
    pub created_at: i64,
    /// Latest contact (ms since epoch).
    pub last_seen_at: i64,
}

/// The result of recording a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The user after the contact.
    pub user: User,
    /// True on the very first contact.
    pub is_new: bool,
    /// Free credits granted by this contact (0 for a returning user).
    pub free_credits_granted: i64,
}

/// One row of the credit ledger.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LedgerEntry {
    /// Row id, increasing.
    pub id: i64,
    /// Whose credits.
    pub user_id: i64,
    /// Credits added (positive) or taken (negative).
    pub delta: i64,
    /// Why: `welcome`, `charge`, `refund`, `grant`, `purchase`, `referral` ...
    pub reason: String,
    /// The job this entry pays for or refunds.
    pub job_id: Option<i64>,
    /// The payment this entry comes from.
    pub payment_id: Option<String>,
    /// Makes the entry happen at most once.
    pub idempotency_key: Option<String>,
    /// When (ms since epoch).
    pub created_at: i64,
}

/// A paid generation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// Who pays.
    pub user: UserId,
    /// Where progress and the video go.
    pub chat_id: i64,
    /// What to make.
    pub kind: JobKind,
    /// The user's text.
    pub prompt: String,
    /// Telegram file id of the input photo, if any.
    pub input_file_id: Option<String>,
    /// Video length.
    pub duration: VideoDuration,
    /// Credits to charge.
    pub cost: i64,
    /// Makes a repeated request return the first job (e.g. the callback query id).
    pub idempotency_key: Option<String>,
    /// Claims after which the job fails.
    pub max_attempts: i64,
}

/// What [`crate::Store::create_job_and_charge`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    /// Charged and queued.
    Created(Job),
    /// The idempotency key was seen before: this is the job it made; nothing charged.
    Duplicate(Job),
    /// Not enough credits; nothing charged, nothing queued.
    InsufficientCredits {
        /// Credits the user has.
        balance: i64,
        /// Credits the job costs.
        cost: i64,
    },
}

/// What a grant did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantOutcome {
    /// Credits actually moved (a removal stops at a zero balance).
    pub applied: i64,
    /// The balance afterwards.
    pub balance: i64,
}

/// Credits moved, by direction, over some period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CreditTotals {
    /// Given for free: welcome, referrals, admin grants.
    pub granted: i64,
    /// Bought.
    pub purchased: i64,
    /// Spent on generations.
    pub charged: i64,
    /// Returned for failed generations.
    pub refunded: i64,
}

/// A generation job, which is also its queue entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Id.
    pub id: JobId,
    /// Who paid.
    pub user: UserId,
    /// Where progress and the video go.
    pub chat_id: i64,
    /// What to make.
    pub kind: JobKind,
    /// Where it is in its life.
    pub state: JobState,
    /// Finer progress within `running` (`prompt`, `upload`, `submitted`, `delivering`...).
    pub stage: Option<String>,
    /// Credits charged.
    pub cost: i64,
    /// The user's text.
    pub user_prompt: String,
    /// The prompt sent to the video model.
    pub enhanced_prompt: Option<String>,
    /// Telegram file id of the input photo.
    pub input_file_id: Option<String>,
    /// Where our copy of the input lives, or the provider's upload URL.
    pub input_file_ref: Option<String>,
    /// Video length in seconds.
    pub duration_s: i64,
    /// `16:9` or `9:16`.
    pub aspect_ratio: String,
    /// Which provider took the task.
    pub provider: Option<String>,
    /// The provider's task id, stored before waiting on it.
    pub provider_task_id: Option<String>,
    /// Per-job secret in the provider's callback URL.
    pub callback_token: String,
    /// Times claimed.
    pub attempts: i64,
    /// Claims after which the job fails.
    pub max_attempts: i64,
    /// The worker holding the lease.
    pub lease_owner: Option<String>,
    /// When the lease runs out (ms since epoch).
    pub lease_expires_at: Option<i64>,
    /// Error class of a failure.
    pub error_class: Option<String>,
    /// Error text of a failure.
    pub error_message: Option<String>,
    /// Where the provider put the video.
    pub result_url: Option<String>,
    /// Telegram file id of the delivered video, for instant re-sends.
    pub video_file_id: Option<String>,
    /// The chat message that shows progress.
    pub progress_message_id: Option<i64>,
    /// The request's idempotency key.
    pub idempotency_key: Option<String>,
    /// Queued at.
    pub created_at: i64,
    /// First claimed at.
    pub started_at: Option<i64>,
    /// Provider task created at.
    pub submitted_at: Option<i64>,
    /// Done or failed at.
    pub finished_at: Option<i64>,
}

/// The column list every job query selects, in [`JobRow`] order.
macro_rules! job_columns {
    () => {
        "id, user_id, chat_id, kind, state, stage, cost, user_prompt, enhanced_prompt, \
         input_file_id, input_file_ref, duration_s, aspect_ratio, provider, provider_task_id, \
         callback_token, attempts, max_attempts, lease_owner, lease_expires_at, error_class, \
         error_message, result_url, video_file_id, progress_message_id, idempotency_key, \
         created_at, started_at, submitted_at, finished_at"
    };
}
pub(crate) use job_columns;

/// A job as the database returns it, before its names are parsed.
#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    id: i64,
    user_id: i64,
    chat_id: i64,
    kind: String,
    state: String,
    stage: Option<String>,
    cost: i64,
    user_prompt: String,
    enhanced_prompt: Option<String>,
    input_file_id: Option<String>,
    input_file_ref: Option<String>,
    duration_s: i64,
    aspect_ratio: String,
    provider: Option<String>,
    provider_task_id: Option<String>,
    callback_token: String,
    attempts: i64,
    max_attempts: i64,
    lease_owner: Option<String>,
    lease_expires_at: Option<i64>,
    error_class: Option<String>,
    error_message: Option<String>,
    result_url: Option<String>,
    video_file_id: Option<String>,
    progress_message_id: Option<i64>,
    idempotency_key: Option<String>,
    created_at: i64,
    started_at: Option<i64>,
    submitted_at: Option<i64>,
    finished_at: Option<i64>,
}

impl TryFrom<JobRow> for Job {
    type Error = StoreError;
    fn try_from(row: JobRow) -> Result<Job, StoreError> {
        let corrupt = |e: neurocards_core::domain::UnknownName| {
            StoreError::Corrupt(format!("job {}: {e}", row.id))
        };
        Ok(Job {
            id: JobId(row.id),
            user: UserId(row.user_id),
            chat_id: row.chat_id,
            kind: row.kind.parse().map_err(corrupt)?,
            state: row.state.parse().map_err(corrupt)?,
            stage: row.stage,
            cost: row.cost,
            user_prompt: row.user_prompt,
            enhanced_prompt: row.enhanced_prompt,
            input_file_id: row.input_file_id,
            input_file_ref: row.input_file_ref,
            duration_s: row.duration_s,
            aspect_ratio: row.aspect_ratio,
            provider: row.provider,
            provider_task_id: row.provider_task_id,
            callback_token: row.callback_token,
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            lease_owner: row.lease_owner,
            lease_expires_at: row.lease_expires_at,
            error_class: row.error_class,
            error_message: row.error_message,
            result_url: row.result_url,
            video_file_id: row.video_file_id,
            progress_message_id: row.progress_message_id,
            idempotency_key: row.idempotency_key,
            created_at: row.created_at,
            started_at: row.started_at,
            submitted_at: row.submitted_at,
            finished_at: row.finished_at,
        })
    }
}

/// The column list every user query selects, in [`UserRow`] order.
macro_rules! user_columns {
    () => {
        "id, username, full_name, language, referral_code, referrer_id, balance, blocked_at, \
         created_at, last_seen_at"
    };
}
pub(crate) use user_columns;

/// A user as the database returns it.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    username: Option<String>,
    full_name: String,
    language: Option<String>,
    referral_code: String,
    referrer_id: Option<i64>,
    balance: i64,
    blocked_at: Option<i64>,
    created_at: i64,
    last_seen_at: i64,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> User {
        User {
            id: UserId(row.id),
            username: row.username,
            full_name: row.full_name,
            // An unknown stored language falls back to the default rather than failing.
            language: row.language.and_then(|l| l.parse().ok()),
            referral_code: row.referral_code,
            referrer: row.referrer_id.map(UserId),
            balance: row.balance,
            blocked_at: row.blocked_at,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
        }
    }
}
