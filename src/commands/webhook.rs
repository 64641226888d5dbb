//! Webhook mode: Telegram POSTs updates to `PUBLIC_BASE_URL/telegram/webhook` with a secret
//! header; the HTTP server checks it and hands each update to the bot, answering only after
//! the update was handled (an error makes Telegram deliver it again).

use anyhow::Context;
use neurocards_bot::BotApp;
use neurocards_core::Secret;
use neurocards_core::config::Config;
use neurocards_web::Webhook;
use std::sync::Arc;

/// Registers the webhook with Telegram and returns what the HTTP server needs to accept it.
pub async fn set_up(bot: &BotApp, base: &url::Url, config: &Config) -> anyhow::Result<Webhook> {
    let secret = match &config.webhook_secret_token {
        Some(secret) => secret.clone(),
        None => {
            tracing::info!("WEBHOOK_SECRET_TOKEN is empty: derived one from BOT_TOKEN");
            derived_secret(bot_token(config)?)
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
            Box::pin(async move { bot.handle_json(update).await.map_err(|e| chain(&e)) })
        }),
    })
}

/// An error with its causes, one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn bot_token(config: &Config) -> anyhow::Result<&Secret> {
    config
        .bot_token
        .as_ref()
        .context("BOT_TOKEN is required in webhook mode")
}

/// A secret every replica derives alike from the bot token (which only the operator and
/// Telegram know), so several bot replicas behind one webhook agree without configuration:
/// the SHA-256 of a label and the token, as 64 hex digits (Telegram allows `A-Z a-z 0-9 _ -`).
fn derived_secret(token: &Secret) -> Secret {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"neurocards webhook secret\0")
        .chain_update(token.expose().as_bytes())
        .finalize();
    Secret::new(
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_derive_the_same_secret_and_it_reveals_no_token() {
        let token = Secret::new("123456:AAH-token_value");
        let one = derived_secret(&token);
        assert_eq!(one.expose(), derived_secret(&token).expose());
        assert_eq!(one.expose().len(), 64);
        assert!(one.expose().chars().all(|c| c.is_ascii_hexdigit()));
        assert!(!one.expose().contains("AAH"));
        let other = derived_secret(&Secret::new("123456:another"));
        assert_ne!(one.expose(), other.expose());
    }
}
