//! `neurocards demo`: the whole product offline. A temporary SQLite database, the testkit's
//! fakes of Telegram, KIE and OpenAI on loopback, the real bot, worker and HTTP server
//! talking HTTP to them, and a scripted user who makes a neurocard and a Reels clip and
//! re-sends a video from the cabinet. Prints the conversation; exits 1 at the first step
//! that does not happen.

mod script;
mod transcript;

use super::serve::{self, Parts};
use anyhow::Context;
use neurocards_core::config::{Config, Needs};
use neurocards_testkit::{FakeKie, FakeOpenAi, FakeTelegram};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How long a KIE generation takes in the demo (minutes in real life).
const GENERATION_TIME: Duration = Duration::from_secs(2);

/// Runs the demo; `Err` names the step that failed.
pub async fn run() -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let (telegram, kie, openai) = (
        FakeTelegram::start().await,
        FakeKie::start().await,
        FakeOpenAi::start().await,
    );
    kie.set_generation_time(GENERATION_TIME);
    let database = dir.path().join("neurocards.db");
    let vars: HashMap<&str, String> = [
        ("BOT_TOKEN", telegram.token().to_owned()),
        ("TELEGRAM_API_URL", telegram.api_url()),
        ("DATABASE_URL", format!("sqlite://{}", database.display())),
        (
            "STORAGE_BASE_PATH",
            dir.path().join("files").display().to_string(),
        ),
        ("HTTP_ADDR", "127.0.0.1:0".to_owned()),
        ("KIE_API_KEY", "demo-kie-key".to_owned()),
        ("KIE_BASE_URL", kie.api_url()),
        ("KIE_UPLOAD_URL", kie.upload_url()),
        ("OPENAI_API_KEY", "demo-openai-key".to_owned()),
        ("OPENAI_BASE_URL", openai.base_url()),
        ("DEFAULT_LANGUAGE", "en".to_owned()),
    ]
    .into_iter()
    .collect();
    let config = Config::from_lookup(Needs { bot_token: true }, |name| vars.get(name).cloned())
        .context("the demo's settings")?;

    println!("NeuroCards demo: the real bot and worker against local fakes; no network, no keys.");
    println!(
        "  database {} · Telegram {} · KIE {} · OpenAI {}",
        database.display(),
        telegram.api_url(),
        kie.api_url(),
        openai.base_url()
    );
    let shutdown = CancellationToken::new();
    let running = serve::start(
        &config,
        Parts {
            bot: true,
            worker: true,
        },
        &shutdown,
    )
    .await?;
    println!("  HTTP server on {}\n", running.http_addr);

    let outcome = script::play(&telegram, &kie, started).await;
    shutdown.cancel();
    running.wait(shutdown).await?;
    match outcome {
        Ok(summary) => {
            println!("\n{summary}");
            println!("demo: OK ({:.1} s)", started.elapsed().as_secs_f64());
            Ok(())
        }
        Err(error) => {
            println!("demo: FAILED");
            Err(error)
        }
    }
}
