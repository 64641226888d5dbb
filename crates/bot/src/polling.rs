//! Long polling: fetch a batch of updates, handle each chat's updates in order (different
//! chats at once), and only then confirm the batch with the next offset — so updates a
//! crash interrupted are fetched again, never lost.

use crate::app::BotApp;
use std::collections::HashMap;
use std::time::Duration;
use teloxide::prelude::*;
use teloxide::types::{AllowedUpdate, Update};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How long one getUpdates call waits for updates (below the client's own timeout).
const LONG_POLL_SECONDS: u32 = 10;
/// How long to rest after Telegram could not be reached.
const ERROR_PAUSE: Duration = Duration::from_secs(2);

/// Polls until `shutdown`; the batch in hand is finished first.
pub async fn run(app: BotApp, shutdown: CancellationToken) {
    let raw = app.inner.raw.clone();
    if let Err(error) = raw.delete_webhook().await {
        tracing::warn!(%error, "cannot remove a webhook before polling");
    }
    let mut offset: i32 = 0;
    tracing::info!(bot = %app.username(), "polling for updates");
    loop {
        let request = raw
            .get_updates()
            .offset(offset)
            .timeout(LONG_POLL_SECONDS)
            .allowed_updates([AllowedUpdate::Message, AllowedUpdate::CallbackQuery]);
        let batch = tokio::select! {
            () = shutdown.cancelled() => break,
            batch = request.send() => batch,
        };
        let updates = match batch {
            Ok(updates) => updates,
            Err(error) => {
                tracing::warn!(error = %error, "getUpdates failed; retrying");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(ERROR_PAUSE) => continue,
                }
            }
        };
        let Some(last) = updates.last() else { continue };
        offset = i32::try_from(last.id.0)
            .unwrap_or(i32::MAX)
            .saturating_add(1);
        handle_batch(&app, updates).await;
    }
    // The last batch is handled; confirm it, or the next start would handle it again.
    if offset > 0
        && let Err(error) = raw.get_updates().offset(offset).timeout(0).limit(1).await
    {
        tracing::warn!(%error, "cannot confirm the last updates; they will come again");
    }
    tracing::info!("polling stopped");
}

/// Handles a batch: each chat's updates in order, chats concurrently.
async fn handle_batch(app: &BotApp, updates: Vec<Update>) {
    let mut by_chat: HashMap<Option<ChatId>, Vec<Update>> = HashMap::new();
    for update in updates {
        by_chat
            .entry(update.chat().map(|c| c.id))
            .or_default()
            .push(update);
    }
    let mut chats = JoinSet::new();
    for (_, updates) in by_chat {
        let app = app.clone();
        chats.spawn(async move {
            for update in updates {
                let id = update.id.0;
                let target = BotApp::reply_target(&update);
                if let Err(error) = app.handle(update).await {
                    tracing::error!(update = id, error = %error, cause = ?std::error::Error::source(&error), "update failed");
                    if let Some(target) = target {
                        app.apologise(target).await;
                    }
                }
            }
        });
    }
    while chats.join_next().await.is_some() {}
}
