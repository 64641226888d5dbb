//! One user as an operator looks them up (by id or @username): balance, ledger, referrals
//! and last jobs. Shared by `neurocards admin user` and the bot's `/user`.

use neurocards_core::UserId;
use neurocards_store::{Job, Store, StoreError, User};
use std::fmt::Write as _;

/// A user by Telegram id or `@username` (the `@` optional).
pub async fn find_user(store: &Store, who: &str) -> Result<Option<User>, StoreError> {
    let who = who.trim();
    match who.parse::<i64>() {
        Ok(id) => store.user(UserId(id)).await,
        Err(_) => store.user_by_username(who.trim_start_matches('@')).await,
    }
}

/// One line about a job: id, kind, state, length, attempts, stage, task, error.
pub fn job_line(job: &Job) -> String {
    let mut line = format!(
        "#{} {} {} {}s attempts {}/{}",
        job.id, job.kind, job.state, job.duration_s, job.attempts, job.max_attempts
    );
    if let Some(stage) = &job.stage {
        let _ = write!(line, " stage {stage}");
    }
    if let Some(task) = &job.provider_task_id {
        let _ = write!(line, " task {task}");
    }
    if let Some(class) = &job.error_class {
        let _ = write!(
            line,
            " error {class}: {}",
            job.error_message.as_deref().unwrap_or("")
        );
    }
    line
}

/// Everything about a user, as text.
pub async fn user_report(store: &Store, user: &User) -> Result<String, StoreError> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "user {} @{} \"{}\" language {} balance {}{}",
        user.id,
        user.username.as_deref().unwrap_or("-"),
        user.full_name,
        user.language.map_or("default", |l| l.as_str()),
        user.balance,
        if user.blocked_at.is_some() {
            " (blocked the bot)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "referral code {}, invited by {}, invited {}",
        user.referral_code,
        user.referrer.map_or("-".to_owned(), |r| r.to_string()),
        store.referral_count(user.id).await?
    );
    let _ = writeln!(out, "ledger (newest first):");
    for entry in store.ledger(user.id, 10).await? {
        let _ = writeln!(out, "  {:+} {}", entry.delta, entry.reason);
    }
    let _ = writeln!(out, "last jobs:");
    for job in store.history(user.id, 0, 10).await? {
        let _ = writeln!(out, "  {}", job_line(&job));
    }
    Ok(out)
}
