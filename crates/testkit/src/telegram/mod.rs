//! A fake of the Telegram Bot API: `/bot<token>/<method>` with the real envelopes, long
//! polling and webhooks, messages that deserialize as teloxide's types, real file storage,
//! a simulated user who sends messages and presses buttons, and faults on demand.

mod faults;
mod files;
mod html;
mod methods;
mod params;
mod reply;
mod server;
mod state;
mod updates;
mod user_api;

pub use faults::{DEFAULT_UPLOAD_LIMIT, TgFault};
pub use state::{
    AnsweredCallback, Button, MediaKind, MediaSource, PreCheckoutAnswer, Sent, SentMedia,
};
pub use user_api::{InjectError, Injected, SimUser};

use crate::server::Server;
use crate::util::lock;
use bytes::Bytes;
use serde_json::Value;
use state::{BotAccount, Inner};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// The token [`FakeTelegram::start`] expects.
pub const DEFAULT_TOKEN: &str = "123456789:AAHfakeTokenForNeuroCardsTests";

/// Shared by the HTTP handlers, the webhook sender and the handle.
pub(crate) struct TgState {
    pub token: String,
    pub bot: BotAccount,
    pub inner: Mutex<Inner>,
    /// Bumped whenever the update queue or the polling owner changes.
    pub updates_changed: watch::Sender<u64>,
    /// Bumped whenever the transcript grows.
    pub sent_changed: watch::Sender<u64>,
    pub http: reqwest::Client,
}

impl TgState {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    pub(crate) fn notify_updates(&self) {
        self.updates_changed.send_modify(|n| *n += 1);
    }

    pub(crate) fn notify_sent(&self) {
        self.sent_changed.send_modify(|n| *n += 1);
    }
}

/// A running fake Telegram server. Cheap to clone; the server stops when the last clone drops.
#[derive(Clone)]
pub struct FakeTelegram {
    state: Arc<TgState>,
    server: Arc<Server>,
}

/// `wait_for` gave up; the message holds the chat's transcript.
#[derive(Debug, thiserror::Error)]
#[error("no matching message to chat {chat_id} within {timeout:?}; transcript:\n{transcript}")]
pub struct WaitError {
    /// The chat waited on.
    pub chat_id: i64,
    /// How long it waited.
    pub timeout: Duration,
    /// Everything the bot sent to the chat, one line each.
    pub transcript: String,
}

impl FakeTelegram {
    /// Starts a fake that accepts [`DEFAULT_TOKEN`].
    ///
    /// # Panics
    /// If no local port can be bound (a broken test machine).
    pub async fn start() -> Self {
        Self::start_with_token(DEFAULT_TOKEN).await
    }

    /// Starts a fake that accepts `token` (the bot id is the part before `:`).
    ///
    /// # Panics
    /// If no local port can be bound (a broken test machine).
    pub async fn start_with_token(token: &str) -> Self {
        let bot_id = token
            .split(':')
            .next()
            .and_then(|id| id.parse().ok())
            .unwrap_or(123_456_789);
        let state = Arc::new(TgState {
            token: token.to_owned(),
            bot: BotAccount {
                id: bot_id,
                username: "neurocards_test_bot".into(),
                first_name: "NeuroCards".into(),
            },
            inner: Mutex::new(Inner::default()),
            updates_changed: watch::channel(0).0,
            sent_changed: watch::channel(0).0,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
        });
        let server = Server::start(server::router(state.clone()))
            .await
            .expect("bind a local port for the Telegram fake");
        tokio::spawn(updates::deliver_webhooks(
            state.clone(),
            server.shutdown_signal(),
        ));
        Self {
            state,
            server: Arc::new(server),
        }
    }

    /// The base URL to give teloxide (`Bot::set_api_url`) or `TELEGRAM_API_URL`.
    pub fn api_url(&self) -> String {
        self.server.base_url()
    }

    /// The token the fake accepts.
    pub fn token(&self) -> &str {
        &self.state.token
    }

    /// The bot's user id.
    pub fn bot_id(&self) -> i64 {
        self.state.bot.id
    }

    /// The bot's username (without `@`).
    pub fn bot_username(&self) -> &str {
        &self.state.bot.username
    }

    /// A simulated user (private chat id = user id); settings persist per id.
    pub fn user(&self, id: i64) -> SimUser {
        SimUser::new(self.state.clone(), id)
    }

    /// Presses an inline button of bot message `message_id` in private chat `chat_id`.
    pub fn press(
        &self,
        chat_id: i64,
        message_id: i64,
        data: &str,
    ) -> Result<Injected, InjectError> {
        self.user(chat_id).press(message_id, data)
    }

    /// Everything the bot sent, edited or deleted in `chat_id`, in order.
    pub fn sent(&self, chat_id: i64) -> Vec<Sent> {
        self.state
            .lock()
            .chats
            .get(&chat_id)
            .map(|c| c.transcript.clone())
            .unwrap_or_default()
    }

    /// The transcript of `chat_id` as text, one line per entry.
    pub fn transcript(&self, chat_id: i64) -> String {
        self.sent(chat_id)
            .iter()
            .map(Sent::summary)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The message `message_id` of `chat_id` as Telegram currently shows it.
    pub fn message(&self, chat_id: i64, message_id: i64) -> Option<Value> {
        let inner = self.state.lock();
        Some(
            inner
                .chats
                .get(&chat_id)?
                .messages
                .get(&message_id)?
                .json
                .clone(),
        )
    }

    /// Waits for the next entry of `chat_id`'s transcript that matches `predicate`.
    ///
    /// Each chat has a cursor: the search starts after the entry the previous `wait_for`
    /// returned, so a reply that arrived before the call is still found, and the same entry
    /// is never returned twice.
    pub async fn wait_for(
        &self,
        chat_id: i64,
        predicate: impl Fn(&Sent) -> bool,
        timeout: Duration,
    ) -> Result<Sent, WaitError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.state.sent_changed.subscribe();
        loop {
            changes.borrow_and_update();
            {
                let mut inner = self.state.lock();
                let chat = inner.chat(chat_id);
                let found = chat.transcript[chat.cursor.min(chat.transcript.len())..]
                    .iter()
                    .position(&predicate);
                if let Some(offset) = found {
                    let at = chat.cursor + offset;
                    chat.cursor = at + 1;
                    return Ok(chat.transcript[at].clone());
                }
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { break; },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        Err(WaitError {
            chat_id,
            timeout,
            transcript: self.transcript(chat_id),
        })
    }

    /// Waits for the next entry of `chat_id`'s transcript, whatever it is.
    pub async fn next_sent(&self, chat_id: i64, timeout: Duration) -> Result<Sent, WaitError> {
        self.wait_for(chat_id, |_| true, timeout).await
    }

    /// Waits until `method` has been called at least `count` times; returns the count.
    pub async fn wait_calls(&self, method: &str, count: usize, timeout: Duration) -> Option<usize> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.state.sent_changed.subscribe();
        loop {
            changes.borrow_and_update();
            let now = self.calls(method);
            if now >= count {
                return Some(now);
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return None; },
                _ = tokio::time::sleep_until(deadline) => return None,
            }
        }
    }

    /// Waits until `count` calls of `method` have arrived, before any injected latency is
    /// served (so a test can act while the bot waits on its answer); returns the count.
    pub async fn wait_arrived(
        &self,
        method: &str,
        count: usize,
        timeout: Duration,
    ) -> Option<usize> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.state.sent_changed.subscribe();
        loop {
            changes.borrow_and_update();
            let now = self.state.lock().arrived.get(method).copied().unwrap_or(0);
            if now >= count {
                return Some(now);
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return None; },
                _ = tokio::time::sleep_until(deadline) => return None,
            }
        }
    }

    /// How many times `method` was called (any outcome, wrong-token calls excluded).
    pub fn calls(&self, method: &str) -> usize {
        self.state.lock().calls.get(method).copied().unwrap_or(0)
    }

    /// The parameters of every call of `method`, in order.
    pub fn requests(&self, method: &str) -> Vec<Value> {
        self.state
            .lock()
            .requests
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, p)| p.clone())
            .collect()
    }

    /// Every `answerCallbackQuery`, in order.
    pub fn answered_callbacks(&self) -> Vec<AnsweredCallback> {
        self.state.lock().answered_callbacks.clone()
    }

    /// Every `answerPreCheckoutQuery`, in order.
    pub fn pre_checkout_answers(&self) -> Vec<PreCheckoutAnswer> {
        self.state.lock().pre_checkout_answers.clone()
    }

    /// The bytes behind a `file_id`.
    pub fn file_bytes(&self, file_id: &str) -> Option<Bytes> {
        self.state
            .lock()
            .files
            .get(file_id)
            .map(|f| f.bytes.clone())
    }

    /// Updates injected but not yet confirmed by `getUpdates`/delivered to the webhook.
    pub fn pending_updates(&self) -> usize {
        self.state.lock().updates.len()
    }

    /// Waits until every injected update was confirmed by polling or delivered to (or given
    /// up by) the webhook; `false` on timeout.
    pub async fn wait_no_pending_updates(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.state.sent_changed.subscribe();
        loop {
            changes.borrow_and_update();
            if self.pending_updates() == 0 {
                return true;
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return false; },
                _ = tokio::time::sleep_until(deadline) => return self.pending_updates() == 0,
            }
        }
    }

    /// The webhook URL, if one is set.
    pub fn webhook_url(&self) -> Option<String> {
        self.state.lock().webhook.as_ref().map(|w| w.url.clone())
    }

    // ---- faults

    /// The next `times` calls (of `method`, or of any method but `getUpdates`) fail with `fault`.
    pub fn fail_next(&self, times: usize, method: Option<&str>, fault: TgFault) {
        self.state.lock().faults.push(times, method, fault);
    }

    /// The next `times` calls (any method but `getUpdates`) answer 429 with `retry_after`.
    pub fn rate_limit_next(&self, times: usize, retry_after: u32) {
        self.fail_next(times, None, TgFault::RetryAfter(retry_after));
    }

    /// The next `times` calls (any method but `getUpdates`) lose their connection.
    pub fn drop_next(&self, times: usize) {
        self.fail_next(times, None, TgFault::DropConnection);
    }

    /// Telegram's flood limits: more than 1 message/s to a chat or 30/s overall answers 429.
    pub fn set_flood_limits(&self, enabled: bool) {
        self.state.lock().faults.set_flood_limits(enabled);
    }

    /// Calls addressed to `chat_id` answer 403 "Forbidden: bot was blocked by the user".
    pub fn block_user(&self, chat_id: i64) {
        self.state.lock().faults.blocked.insert(chat_id);
    }

    /// Undoes [`block_user`](Self::block_user).
    pub fn unblock_user(&self, chat_id: i64) {
        self.state.lock().faults.blocked.remove(&chat_id);
    }

    /// Uploads (and downloads by URL) over `bytes` answer 413 (default 50 MB).
    pub fn set_upload_limit(&self, bytes: usize) {
        self.state.lock().faults.upload_limit = bytes;
    }

    /// Stops keeping the bytes of files the bot uploads (they are answered as usual; their
    /// `file_bytes` and downloads are then empty): for benchmarks sending thousands of videos.
    pub fn drop_uploaded_bytes(&self) {
        self.state.lock().drop_uploaded_bytes = true;
    }

    /// Every call waits this long before it is handled.
    pub fn set_latency(&self, latency: Duration) {
        self.state.lock().faults.latency = latency;
    }
}
