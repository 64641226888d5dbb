//! Webhook mode: Telegram POSTs updates to `PUBLIC_BASE_URL/telegram/webhook` with a secret
//! header; the HTTP server checks it and hands each update to the bot, answering only after
//! the update was handled (an error makes Telegram deliver it again).

use anyhow::Context;
use neurocards_bot::BotApp;
use neurocards_core::Secret;
use neurocards_core::config::Config;
use neurocards_web::Webhook;
use rand::Rng;
use std::sync::Arc;

/// Registers the webhook with Telegram and returns what the HTTP server needs to accept it.
pub async fn set_up(bot: &BotApp, base: &url::Url, config: &Config) -> anyhow::Result<Webhook> {
    let secret = match &config.webhook_secret_token {
        Some(secret) => secret.clone(),
        None => {
            tracing::info!("WEBHOOK_SECRET_TOKEN is empty: generated one for this run");
            Secret::new(random_secret())
        }
    };
    let url = base
        .join("telegram/webhook")
        .context("PUBLIC_BASE_URL cannot hold the webhook path")?;
    bot.set_webhook(url, secret.expose())
        .await
        .context("setWebhook")?;
    tracing::info!("webhook set");
    let bot = bot.clone();
    Ok(Webhook {
        secret,
        handler: Arc::new(move |update| {
            let bot = bot.clone();
            Box::pin(async move { bot.handle_json(update).await.map_err(|e| format!("{e:#}")) })
        }),
    })
}

/// 48 characters of `A-Z a-z 0-9`, as Telegram allows in a secret token.
fn random_secret() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..48)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}
