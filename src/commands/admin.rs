//! `neurocards admin ...`: the operator's shell tools, on the same database as the server.

use crate::cli::{AdminCommand, ExportCommand, JobsCommand};
use anyhow::{Context, bail};
use neurocards_admin::{job_line, key_reports, render_dashboard, render_keys, user_report};
use neurocards_core::config::Config;
use neurocards_ephemeral::Ephemeral;
use neurocards_providers::KieClient;
use neurocards_store::{JobId, Store, User};

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
        AdminCommand::Keys { json } => keys(config, json).await,
        AdminCommand::Export {
            what: ExportCommand::Users { csv },
        } => export_users(&store, csv).await,
    };
    store.close().await;
    result
}

async fn find_user(store: &Store, who: &str) -> anyhow::Result<User> {
    neurocards_admin::find_user(store, who)
        .await?
        .with_context(|| format!("no user {who}"))
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

async fn show_user(store: &Store, who: &str) -> anyhow::Result<()> {
    let user = find_user(store, who).await?;
    print!("{}", user_report(store, &user).await?);
    Ok(())
}

/// Each KIE key, masked, with its health in the shared rotation and its balance.
async fn keys(config: &Config, json: bool) -> anyhow::Result<()> {
    if config.kie_api_keys.is_empty() {
        bail!("KIE_API_KEY is empty: no keys to show");
    }
    let shared = Ephemeral::connect(config.redis_url.as_ref())
        .await
        .context("connecting to Redis")?;
    let kie = KieClient::from_config(config, shared).context("PROXY_FILE")?;
    let reports = key_reports(&kie).await;
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        print!("{}", render_keys(&reports));
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
