//! Everything the bot sends goes through here, paced as Telegram asks (about one message a
//! second per chat, with a short burst allowed, and 30 a second overall) and retried when
//! Telegram answers 429 anyway. The pacing schedules each message for the earliest moment
//! that keeps both limits (GCRA), so an answer waits exactly as long as it must and not a
//! polling tick longer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{CallbackQueryId, InlineKeyboardMarkup, InputFile, Message, MessageId};
use tokio::time::Instant;

/// Tries for a call Telegram keeps answering with 429 or a network error.
const MAX_TRIES: u32 = 4;
/// The longest 429 wait we sit out; longer means Telegram is restricting the bot.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Chats remembered by the pacer before idle ones are forgotten.
const PACER_CHATS: usize = 10_000;

/// Telegram's message limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// Messages one chat may receive in a burst.
    pub chat_burst: u32,
    /// Steady interval between messages to one chat.
    pub chat_interval: Duration,
    /// Messages per second to all chats together.
    pub overall_per_second: u32,
}

impl Default for Pacing {
    /// What Telegram documents: ~1 message per second per chat (short bursts tolerated),
    /// 30 per second overall.
    fn default() -> Self {
        Pacing {
            chat_burst: 3,
            chat_interval: Duration::from_secs(1),
            overall_per_second: 30,
        }
    }
}

/// Theoretical arrival times (GCRA) per chat and overall.
struct Pacer {
    pacing: Pacing,
    state: Mutex<PacerState>,
}

struct PacerState {
    chats: HashMap<ChatId, Instant>,
    overall: Instant,
}

impl Pacer {
    fn new(pacing: Pacing) -> Pacer {
        Pacer {
            pacing,
            state: Mutex::new(PacerState {
                chats: HashMap::new(),
                overall: Instant::now(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PacerState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reserves the chat's next slot: a burst, then one per interval.
    fn reserve_chat(&self, chat: ChatId, now: Instant) -> Instant {
        let interval = self.pacing.chat_interval;
        let tolerance = interval * self.pacing.chat_burst.saturating_sub(1);
        let mut state = self.lock();
        if state.chats.len() > PACER_CHATS {
            state.chats.retain(|_, tat| *tat > now);
        }
        let tat = state.chats.get(&chat).copied().unwrap_or(now).max(now);
        let at = tat.checked_sub(tolerance).unwrap_or(now).max(now);
        state.chats.insert(chat, tat + interval);
        at
    }

    /// Reserves the next overall slot from `now` (strictly spaced).
    fn reserve_overall(&self, now: Instant) -> Instant {
        let interval = Duration::from_secs(1) / self.pacing.overall_per_second.max(1);
        let mut state = self.lock();
        let at = state.overall.max(now);
        state.overall = at + interval;
        at
    }

    /// Waits for the chat's slot, then for an overall one: a chat in its one-a-second phase
    /// holds up nobody else.
    async fn wait(&self, chat: ChatId) {
        tokio::time::sleep_until(self.reserve_chat(chat, Instant::now())).await;
        tokio::time::sleep_until(self.reserve_overall(Instant::now())).await;
    }
}

/// The bot's outgoing calls.
pub struct Outbox {
    bot: Bot,
    pacer: Option<Pacer>,
}

impl Outbox {
    /// Sends through `bot`, paced by `pacing` (`None`: unpaced, for benchmarks).
    pub fn new(bot: Bot, pacing: Option<Pacing>) -> Outbox {
        Outbox {
            bot,
            pacer: pacing.map(Pacer::new),
        }
    }

    async fn pace(&self, chat: ChatId) {
        if let Some(pacer) = &self.pacer {
            pacer.wait(chat).await;
        }
    }

    /// Sends a text message.
    pub async fn send_message(
        &self,
        chat: ChatId,
        text: String,
        markup: Option<InlineKeyboardMarkup>,
    ) -> Result<Message, RequestError> {
        self.pace(chat).await;
        retrying(|| {
            let mut request = self.bot.send_message(chat, text.clone());
            if let Some(markup) = &markup {
                request = request.reply_markup(markup.clone());
            }
            request.send()
        })
        .await
    }

    /// Replaces a message's text and buttons.
    pub async fn edit_text(
        &self,
        chat: ChatId,
        message: MessageId,
        text: String,
        markup: Option<InlineKeyboardMarkup>,
    ) -> Result<Message, RequestError> {
        self.pace(chat).await;
        retrying(|| {
            let mut request = self.bot.edit_message_text(chat, message, text.clone());
            if let Some(markup) = &markup {
                request = request.reply_markup(markup.clone());
            }
            request.send()
        })
        .await
    }

    /// Sends a video (by file id, or uploaded).
    pub async fn send_video(
        &self,
        chat: ChatId,
        video: InputFile,
        caption: String,
        markup: Option<InlineKeyboardMarkup>,
    ) -> Result<Message, RequestError> {
        self.pace(chat).await;
        retrying(|| {
            let mut request = self
                .bot
                .send_video(chat, video.clone())
                .caption(caption.clone());
            if let Some(markup) = &markup {
                request = request.reply_markup(markup.clone());
            }
            request.send()
        })
        .await
    }

    /// Sends a picture with a caption.
    pub async fn send_photo(
        &self,
        chat: ChatId,
        photo: InputFile,
        caption: String,
    ) -> Result<Message, RequestError> {
        self.pace(chat).await;
        retrying(|| {
            self.bot
                .send_photo(chat, photo.clone())
                .caption(caption.clone())
                .send()
        })
        .await
    }

    /// Copies a message (any kind) from `from` into `chat`, as a broadcast preview.
    pub async fn copy_message(
        &self,
        chat: ChatId,
        from: ChatId,
        message: MessageId,
    ) -> Result<(), RequestError> {
        self.pace(chat).await;
        retrying(|| self.bot.copy_message(chat, from, message).send())
            .await
            .map(|_| ())
    }

    /// Stops a button's spinner, with a short notice when given. Not paced: it is not a
    /// message and the user is waiting on it.
    pub async fn answer_callback(
        &self,
        id: CallbackQueryId,
        notice: Option<&str>,
    ) -> Result<(), RequestError> {
        retrying(|| {
            let mut request = self.bot.answer_callback_query(id.clone());
            if let Some(notice) = notice {
                request = request.text(notice);
            }
            request.send()
        })
        .await
        .map(|_| ())
    }
}

/// Runs a call again after a 429 (waiting what Telegram asks) or a network error.
async fn retrying<T, F, Fut>(call: F) -> Result<T, RequestError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, RequestError>>,
{
    let mut tries = 1;
    loop {
        let outcome = call().await;
        let wait = match &outcome {
            Err(RequestError::RetryAfter(after)) if after.duration() <= MAX_RETRY_AFTER => {
                after.duration()
            }
            // Only a connection never made is safe to repeat: a reset after Telegram took
            // the request would send the message twice.
            Err(RequestError::Network(error)) if error.is_connect() => {
                // teloxide strips the token-bearing URL from its network errors.
                tracing::debug!(%error, "Telegram unreachable; retrying");
                Duration::from_millis(500)
            }
            _ => return outcome,
        };
        if tries >= MAX_TRIES {
            return outcome;
        }
        tries += 1;
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_chat_gets_its_burst_then_one_a_second() {
        let pacer = Pacer::new(Pacing::default());
        let now = Instant::now();
        let chat = ChatId(1);
        let slots: Vec<Duration> = (0..5)
            .map(|_| pacer.reserve_chat(chat, now) - now)
            .collect();
        assert_eq!(slots[..3], [Duration::ZERO; 3], "a burst of three");
        assert_eq!(slots[3], Duration::from_secs(1));
        assert_eq!(slots[4], Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_busy_chat_does_not_hold_up_others() {
        let pacer = Pacer::new(Pacing::default());
        let now = Instant::now();
        for _ in 0..4 {
            pacer.reserve_chat(ChatId(1), now);
        }
        assert_eq!(pacer.reserve_chat(ChatId(2), now), now);
        assert!(pacer.reserve_overall(now) - now < Duration::from_millis(50));
    }

    #[tokio::test]
    async fn thirty_a_second_overall() {
        let pacer = Pacer::new(Pacing::default());
        let now = Instant::now();
        let last = (0..61)
            .map(|_| pacer.reserve_overall(now))
            .max()
            .expect("slots");
        assert!(
            last - now >= Duration::from_millis(1990),
            "{:?}",
            last - now
        );
        assert!(
            last - now <= Duration::from_millis(2100),
            "{:?}",
            last - now
        );
    }
}
