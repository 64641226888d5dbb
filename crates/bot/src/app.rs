//! The bot as a value: its settings, its connections, and the one entry point every update
//! goes through ([`BotApp::handle`]), whether it came by long polling or by webhook.

use crate::dialogue_storage::{DialogueStorageError, StoreStorage};
use crate::flood::FloodLimits;
use crate::outbox::{Outbox, Pacing};
use neurocards_core::config::Config;
use neurocards_core::metrics::Metrics;
use neurocards_core::{Language, PriceTable};
use neurocards_ephemeral::Ephemeral;
use neurocards_providers::KieClient;
use neurocards_providers::proxies::ProxyPoolError;
use neurocards_store::{Store, StoreError};
use std::path::PathBuf;
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::types::Update;
use tokio::sync::Notify;

/// Why an update could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    /// The database failed.
    #[error("database")]
    Store(#[from] StoreError),
    /// The dialogue state could not be read or written.
    #[error("dialogue state")]
    Dialogue(#[from] DialogueStorageError),
    /// Telegram refused a call or could not be reached.
    #[error("Telegram")]
    Telegram(#[from] teloxide::RequestError),
    /// An update that is not valid JSON for an `Update`.
    #[error("malformed update")]
    Malformed(#[from] serde_json::Error),
    /// A proxy from `PROXY_FILE` cannot be used.
    #[error("cannot set up the proxies")]
    Proxies(#[from] ProxyPoolError),
    /// `BOT_TOKEN` is not set.
    #[error("BOT_TOKEN is required by the bot")]
    MissingToken,
}

impl BotError {
    /// True when the same update may well succeed later (the database or the network was
    /// down), so Telegram should deliver it again.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            BotError::Store(_)
                | BotError::Dialogue(DialogueStorageError::Store(_))
                | BotError::Telegram(
                    teloxide::RequestError::Network(_) | teloxide::RequestError::RetryAfter(_)
                )
        )
    }
}

/// The bot's settings, from the configuration.
#[derive(Debug, Clone)]
pub struct BotSettings {
    /// Credits a new user receives.
    pub free_credits: i64,
    /// What each generation costs.
    pub prices: PriceTable,
    /// Language of users whose Telegram language we do not speak.
    pub default_language: Language,
    /// Shown in /help and the buy screen.
    pub support_contact: Option<String>,
    /// Sent to new users by file id.
    pub welcome_video_file_id: Option<String>,
    /// Uploaded once for new users, then sent by its cached file id.
    pub welcome_video_path: Option<PathBuf>,
    /// Claims after which a job fails.
    pub max_attempts: i64,
    /// When a flooding user is paused.
    pub flood: FloodLimits,
    /// Telegram ids allowed to use the admin commands.
    pub admin_ids: Vec<i64>,
    /// Outgoing message limits; `None` sends unpaced (benchmarks).
    pub pacing: Option<Pacing>,
}

impl BotSettings {
    /// The settings for `config`, with Telegram's own message limits.
    pub fn from_config(config: &Config) -> BotSettings {
        BotSettings {
            free_credits: config.free_credits,
            prices: PriceTable::default(),
            default_language: config.default_language,
            support_contact: config.support_contact.clone(),
            welcome_video_file_id: config.welcome_video_file_id.clone(),
            welcome_video_path: config.welcome_video_path.clone(),
            max_attempts: 3,
            flood: FloodLimits::default(),
            admin_ids: config.admin_ids.clone(),
            pacing: Some(Pacing::default()),
        }
    }
}

/// The Telegram bot. Cheap to clone.
#[derive(Clone)]
pub struct BotApp {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub store: Store,
    /// Every message, edit and callback answer, paced and retried.
    pub tg: Outbox,
    /// The plain client for getUpdates, getFile, downloads and set-up calls.
    pub raw: Bot,
    pub dialogues: Arc<StoreStorage>,
    pub shared: Ephemeral,
    pub settings: BotSettings,
    /// The bot's `@username`, for referral links.
    pub username: String,
    pub metrics: Metrics,
    /// KIE, for the dashboard's key health and balance (when keys are configured).
    pub kie: Option<KieClient>,
    /// Wakes the broadcast runner when an admin starts a broadcast.
    pub broadcasts: Arc<Notify>,
}

impl BotApp {
    /// Connects to Telegram (getMe checks the token) and prepares the bot.
    pub async fn new(
        config: &Config,
        store: Store,
        shared: Ephemeral,
        metrics: Metrics,
        settings: BotSettings,
    ) -> Result<BotApp, BotError> {
        let token = config.bot_token.as_ref().ok_or(BotError::MissingToken)?;
        let raw = Bot::new(token.expose()).set_api_url(config.telegram_api_url.clone());
        let me = raw.get_me().await?;
        let username = me.username.clone().unwrap_or_default();
        let tg = Outbox::new(raw.clone(), settings.pacing);
        let kie = kie_client(config, &shared)?;
        Ok(BotApp {
            inner: Arc::new(Inner {
                dialogues: StoreStorage::new(store.clone()),
                store,
                tg,
                raw,
                shared,
                settings,
                username,
                metrics,
                kie,
                broadcasts: Arc::new(Notify::new()),
            }),
        })
    }

    /// The bot's `@username`, without the `@`.
    pub fn username(&self) -> &str {
        &self.inner.username
    }

    /// Registers the command menu in Russian and English (and the default for the rest).
    pub async fn register_commands(&self) -> Result<(), BotError> {
        use teloxide::types::BotCommand;
        let list = |language: Language| -> Vec<BotCommand> {
            crate::texts::texts(language)
                .commands
                .iter()
                .map(|(command, description)| BotCommand::new(*command, *description))
                .collect()
        };
        for language in [Language::Ru, Language::En] {
            self.inner
                .raw
                .set_my_commands(list(language))
                .language_code(language.as_str())
                .await?;
        }
        self.inner
            .raw
            .set_my_commands(list(self.inner.settings.default_language))
            .await?;
        Ok(())
    }

    /// Handles one update to completion: what the user sees and what the store records.
    pub async fn handle(&self, update: Update) -> Result<(), BotError> {
        crate::router::route(&self.inner, update).await
    }

    /// Who to tell if `update` fails: its private chat and the sender's language code.
    pub fn reply_target(update: &Update) -> Option<(ChatId, Option<String>)> {
        let chat = update.chat().filter(|chat| chat.is_private())?;
        Some((chat.id, update.from()?.language_code.clone()))
    }

    /// Tells the user of a failed update that something broke on our side (polling mode,
    /// where Telegram will not deliver the update again). Best effort.
    pub async fn apologise(&self, (chat, language_code): (ChatId, Option<String>)) {
        let language = language_code
            .as_deref()
            .and_then(Language::from_telegram_code)
            .unwrap_or(self.inner.settings.default_language);
        let text = crate::texts::texts(language).internal_error.to_owned();
        if let Err(error) = self.inner.tg.send_message(chat, text, None).await {
            tracing::debug!(%error, "could not apologise for a failed update");
        }
    }

    /// Handles one update given as the Bot API's JSON (webhook mode).
    pub async fn handle_json(&self, update: serde_json::Value) -> Result<(), BotError> {
        // teloxide's `UpdateKind` only deserializes from text: from a `Value` every update
        // would come out as `UpdateKind::Error`.
        let update: Update = serde_json::from_str(&update.to_string())?;
        let target = Self::reply_target(&update);
        match self.handle(update).await {
            // Delivering it again cannot help: answer the user and let Telegram move on.
            Err(error) if !error.is_transient() => {
                tracing::error!(error = %error, cause = ?std::error::Error::source(&error), "update failed");
                if let Some(target) = target {
                    self.apologise(target).await;
                }
                Ok(())
            }
            outcome => outcome,
        }
    }

    /// Webhook mode: asks Telegram to POST updates to `url` with `secret`.
    pub async fn set_webhook(&self, url: url::Url, secret: &str) -> Result<(), BotError> {
        self.inner
            .raw
            .set_webhook(url)
            .secret_token(secret.to_owned())
            .await?;
        Ok(())
    }
}

/// The dashboard's view of KIE: the same key rotation as the workers (shared through Redis
/// when configured), or none without keys.
fn kie_client(config: &Config, shared: &Ephemeral) -> Result<Option<KieClient>, BotError> {
    if config.kie_api_keys.is_empty() {
        return Ok(None);
    }
    Ok(Some(KieClient::from_config(config, shared.clone())?))
}
