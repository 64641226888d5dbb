//! The fakes' own tests: every documented method and fault answers in the documented shape
//! (Telegram's parsed by teloxide's own types), plus a smoke test with a real teloxide bot.

mod kie;
mod openai;
mod s3;
mod smoke;
mod telegram;

use std::time::Duration;

/// Generous bound for things that should happen at once.
pub const SOON: Duration = Duration::from_secs(10);

/// A plain HTTP client for raw calls.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}
