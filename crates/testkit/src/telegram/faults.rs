//! Failures the Telegram fake can produce on demand: queued one-shot faults, users who
//! blocked the bot, Telegram's flood limits, the upload size limit and added latency.

use super::reply::ApiError;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

/// The real server refuses uploads over 50 MB.
pub const DEFAULT_UPLOAD_LIMIT: usize = 50 * 1024 * 1024;

/// A one-shot failure for a coming call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TgFault {
    /// 429 `Too Many Requests: retry after N` with `parameters.retry_after`.
    RetryAfter(u32),
    /// Any error answer, e.g. `Error(400, "Bad Request: chat not found")`.
    Error(u16, String),
    /// Close the connection without answering.
    DropConnection,
}

/// What a call must do instead of its normal work.
pub(crate) enum Verdict {
    Proceed,
    Fail(ApiError),
    Drop,
}

#[derive(Debug)]
struct Queued {
    method: Option<String>,
    fault: TgFault,
}

#[derive(Debug, Default)]
struct Flood {
    last_per_chat: HashMap<i64, Instant>,
    recent: VecDeque<Instant>,
}

/// The fault configuration.
#[derive(Debug)]
pub(crate) struct Faults {
    queue: VecDeque<Queued>,
    pub blocked: HashSet<i64>,
    flood: Option<Flood>,
    pub upload_limit: usize,
    pub latency: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            queue: VecDeque::new(),
            blocked: HashSet::new(),
            flood: None,
            upload_limit: DEFAULT_UPLOAD_LIMIT,
            latency: Duration::ZERO,
        }
    }
}

/// Methods that create messages, which Telegram's flood limits count.
fn is_send(method: &str) -> bool {
    (method.starts_with("send") && method != "sendChatAction") || method == "copyMessage"
}

impl Faults {
    pub(crate) fn push(&mut self, times: usize, method: Option<&str>, fault: TgFault) {
        for _ in 0..times {
            self.queue.push_back(Queued {
                method: method.map(str::to_owned),
                fault: fault.clone(),
            });
        }
    }

    pub(crate) fn set_flood_limits(&mut self, enabled: bool) {
        self.flood = enabled.then(Flood::default);
    }

    /// Decides the fate of one call to `method` for `chat_id`.
    pub(crate) fn check(&mut self, method: &str, chat_id: Option<i64>) -> Verdict {
        // Queued faults without a method never hit polling, so a bot keeps receiving updates.
        let position = self.queue.iter().position(|q| match &q.method {
            Some(m) => m == method,
            None => method != "getUpdates",
        });
        if let Some(at) = position
            && let Some(queued) = self.queue.remove(at)
        {
            return match queued.fault {
                TgFault::RetryAfter(secs) => Verdict::Fail(ApiError::retry_after(secs)),
                TgFault::Error(code, description) => {
                    Verdict::Fail(ApiError::new(code, description))
                }
                TgFault::DropConnection => Verdict::Drop,
            };
        }
        if let Some(chat) = chat_id
            && self.blocked.contains(&chat)
            && method != "answerCallbackQuery"
        {
            return Verdict::Fail(ApiError::blocked());
        }
        if let (Some(flood), Some(chat)) = (self.flood.as_mut(), chat_id)
            && is_send(method)
        {
            let now = Instant::now();
            while flood
                .recent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
            {
                flood.recent.pop_front();
            }
            let too_fast_for_chat = flood
                .last_per_chat
                .get(&chat)
                .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(1));
            if too_fast_for_chat || flood.recent.len() >= 30 {
                return Verdict::Fail(ApiError::retry_after(1));
            }
            flood.last_per_chat.insert(chat, now);
            flood.recent.push_back(now);
        }
        Verdict::Proceed
    }
}
