//! `neurocards admin ...`: the operator's shell tools, on the same database as the server.

use crate::cli::{AdminCommand, ExportCommand, JobsCommand};
use anyhow::{Context, bail};
use neurocards_admin::render_dashboard;
use neurocards_core::UserId;
use neurocards_core::config::Config;
use neurocards_store::{Job, JobId, Store, User};
use std::fmt::Write as _;

/// Runs one admin command.
pub async fn run(config: &Config, command: AdminCommand) -> anyhow::Result<()> {
    let store = Store::open(&config.database_url)
        .await
        .context("opening the database")?;
    let result = match command {
        AdminCommand::Stats { json } => stats(&store, json).await,
        AdminCommand::Grant {
            user,
            credits,
            reason,
        } => grant(&store, &user, credits, &reason.join(" ")).await,
        AdminCommand::User { user } => show_user(&store, &user).await,
        AdminCommand::Jobs { command } => jobs(&store, config, command).await,
        AdminCommand::Export {
            what: ExportCommand::Users { csv },
        } => export_users(&store, csv).await,
    };
    store.close().await;
    result
}

async fn find_user(store: &Store, who: &str) -> anyhow::Result<User> {
    let found = match who.parse::<i64>() {
        Ok(id) => store.user(UserId(id)).await?,
        Err(_) => store.user_by_username(who).await?,
    };
    found.with_context(|| format!("no user {who}"))
}

async fn stats(store: &Store, json: bool) -> anyhow::Result<()> {
    let board = store.dashboard().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&board)?);
    } else {
        print!("{}", render_dashboard(&board));
    }
    Ok(())
}

async fn grant(store: &Store, who: &str, credits: i64, reason: &str) -> anyhow::Result<()> {
    if credits == 0 {
        bail!("credits must not be 0");
    }
    let user = find_user(store, who).await?;
    let reason = if reason.is_empty() { "grant" } else { reason };
    let outcome = store.grant(user.id, credits, reason, None).await?;
    println!(
        "user {}: {:+} credits ({reason}), balance now {}",
        user.id, outcome.applied, outcome.balance
    );
    Ok(())
}

fn job_line(job: &Job) -> String {
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

async fn show_user(store: &Store, who: &str) -> anyhow::Result<()> {
    let user = find_user(store, who).await?;
    println!(
        "user {} @{} \"{}\" language {} balance {}",
        user.id,
        user.username.as_deref().unwrap_or("-"),
        user.full_name,
        user.language.map_or("default", |l| l.as_str()),
        user.balance
    );
    println!(
        "referral code {}, invited by {}, invited {}",
        user.referral_code,
        user.referrer.map_or("-".to_owned(), |r| r.to_string()),
        store.referral_count(user.id).await?
    );
    println!("ledger (newest first):");
    for entry in store.ledger(user.id, 10).await? {
        println!("  {:+} {}", entry.delta, entry.reason);
    }
    println!("last jobs:");
    for job in store.history(user.id, 0, 10).await? {
        println!("  {}", job_line(&job));
    }
    Ok(())
}

async fn jobs(store: &Store, config: &Config, command: JobsCommand) -> anyhow::Result<()> {
    match command {
        JobsCommand::Stuck => {
            let stuck = store.stuck_jobs(config.worker_timeout).await?;
            if stuck.is_empty() {
                println!("no stuck jobs");
            }
            for job in stuck {
                println!("{}", job_line(&job));
            }
        }
        JobsCommand::Retry { id } => {
            if !store.requeue(JobId(id)).await? {
                bail!("job {id} is finished or unknown; nothing re-queued");
            }
            println!("job {id} re-queued");
        }
        JobsCommand::Fail { id, reason } => {
            if !store
                .finish_failed(JobId(id), None, "operator", &reason)
                .await?
            {
                bail!("job {id} is finished or unknown; nothing changed");
            }
            println!("job {id} failed and refunded");
        }
    }
    Ok(())
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

async fn export_users(store: &Store, csv: bool) -> anyhow::Result<()> {
    if !csv {
        bail!("say --csv (the only export format)");
    }
    println!(
        "id,username,full_name,language,balance,referrer_id,created_at_ms,last_seen_at_ms,blocked"
    );
    for user in store.all_users().await? {
        println!(
            "{},{},{},{},{},{},{},{},{}",
            user.id,
            csv_field(user.username.as_deref().unwrap_or("")),
            csv_field(&user.full_name),
            user.language.map_or("", |l| l.as_str()),
            user.balance,
            user.referrer.map_or(String::new(), |r| r.to_string()),
            user.created_at,
            user.last_seen_at,
            user.blocked_at.is_some()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("Anna"), "Anna");
        assert_eq!(csv_field("Smith, Anna"), "\"Smith, Anna\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
