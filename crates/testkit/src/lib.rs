//! Faithful local fakes of the services NeuroCards talks to — the Telegram Bot API, KIE
//! (Kling video generation and file upload) and OpenAI chat completions — for tests,
//! benchmarks and `neurocards demo`. Each is a real HTTP server on `127.0.0.1` (random port)
//! speaking the documented wire format, envelopes and errors included.
//!
//! ```no_run
//! # async fn demo() {
//! use neurocards_testkit::{FakeTelegram, FakeKie, FakeOpenAi};
//! let tg = FakeTelegram::start().await;
//! let kie = FakeKie::start().await;
//! let ai = FakeOpenAi::start().await;
//! # }
//! ```
//! Start them, then point the code under test at `tg.api_url()` (teloxide's
//! `Bot::set_api_url`, `TELEGRAM_API_URL`) with token [`telegram::DEFAULT_TOKEN`],
//! `kie.api_url()` / `kie.upload_url()` (`KIE_BASE_URL` / `KIE_UPLOAD_URL`; any bearer key works
//! unless configured otherwise) and `ai.base_url()` (`OPENAI_BASE_URL`, already ending in `/v1`).
//! Servers stop when their handle (and every clone) is dropped.
//!
//! **Inject.** A simulated user produces updates that `getUpdates` (long polling) returns at
//! once, or that are POSTed to a webhook set with `setWebhook`:
//! `let ann = tg.user(42).first_name("Ann").language_code(Some("ru"));`, then
//! `ann.send_text("/start ref_7")`, `ann.send_photo(Some("volcano"))`, `ann.send_document(..)`,
//! `ann.press(message_id, "generate_reels")?`, `ann.pre_checkout(..)`, `ann.successful_payment(..)`.
//! A private chat exists once its user wrote: sending to anyone else answers 403 like Telegram.
//!
//! **Await.** `tg.wait_for(chat, |m| m.text().contains("Balance"), timeout).await?` returns
//! the next transcript entry (sends, edits, deletes) matching the predicate as soon as it is
//! recorded, or an error holding the whole transcript; `tg.sent(chat)` reads everything,
//! `tg.calls("sendVideo")` counts. KIE tasks finish on tokio timers
//! (`kie.set_generation_time(..)`), and `kie.wait_task_finished(task_id, timeout)` awaits one.
//!
//! **Faults.** Telegram: `tg.rate_limit_next(n, secs)` (429 + `retry_after`),
//! `tg.set_flood_limits(true)` (>1 msg/s per chat or >30/s → 429), `tg.block_user(chat)` (403),
//! `tg.fail_next(n, Some("sendVideo"), TgFault::Error(400, "Bad Request: ...".into()))`,
//! `tg.set_upload_limit(bytes)` (413), `tg.set_latency(d)`, `tg.drop_next(n)` (connection
//! closed unanswered). KIE: `kie.set_key_state(key, KeyState::Invalid | OutOfCredits |
//! RateLimited)`, `kie.fail_next(n, KieFault::Maintenance | ServerError | GenerationFailed |
//! Hang)`, `kie.fail_next_task(code, msg)` / `kie.fail_task(id, ..)` (content policy). OpenAI:
//! `ai.fail_next(n, AiFault::Unauthorized | RateLimited(secs) | ServerError | Hang |
//! EmptyContent)`.
//!
//! **S3.** `FakeS3::start("bucket")` serves an S3-compatible bucket at `endpoint()` (signed
//! PUTs, signed or presigned GETs, S3's XML errors) for `STORAGE_TYPE=s3`.
//!
//! Real media lives in [`media`]: a JPEG, PNG, GIF, WEBP, OGG voice and a playable H.264 MP4,
//! with readers for image sizes and MP4 duration.

pub mod kie;
pub mod media;
pub mod openai;
pub mod s3;
mod server;
pub mod telegram;
mod util;

pub use kie::{FakeKie, KeyState, KieFault};
pub use openai::{AiFault, FakeOpenAi};
pub use s3::FakeS3;
pub use telegram::{FakeTelegram, Sent, SimUser, TgFault};
