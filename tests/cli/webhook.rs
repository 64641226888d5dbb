//! Webhook mode as an operator runs it: a real `neurocards bot` process behind
//! `PUBLIC_BASE_URL`, the Telegram fake POSTing updates with the secret header.

use crate::process::{Process, free_port};
use neurocards_core::UserId;
use neurocards_core::config::DatabaseUrl;
use neurocards_store::Store;
use neurocards_testkit::FakeTelegram;
use serde_json::json;
use std::time::Duration;

const SOON: Duration = Duration::from_secs(20);
const SECRET: &str = "webhook_secret_for_tests";

fn vars(tg: &FakeTelegram, db: &std::path::Path, port: u16) -> Vec<(String, String)> {
    [
        ("BOT_TOKEN", tg.token().to_owned()),
        ("TELEGRAM_API_URL", tg.api_url()),
        ("DATABASE_URL", format!("sqlite://{}", db.display())),
        ("HTTP_ADDR", format!("127.0.0.1:{port}")),
        ("PUBLIC_BASE_URL", format!("http://127.0.0.1:{port}")),
        ("WEBHOOK_SECRET_TOKEN", SECRET.to_owned()),
        ("DEFAULT_LANGUAGE", "en".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A /start from someone the bot has never seen, as Telegram would POST it.
fn start_update(user: i64) -> serde_json::Value {
    let person = json!({"id": user, "is_bot": false, "first_name": "Mallory"});
    json!({
        "update_id": 900_000 + user,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "chat": {"id": user, "type": "private", "first_name": "Mallory"},
            "from": person,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}]
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_updates_need_the_secret_and_survive_a_killed_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tg = FakeTelegram::start().await;
    let port = free_port();
    let db = dir.path().join("bot.db");
    let vars = vars(&tg, &db, port);
    let mut bot = Process::start(dir.path(), "bot", &["bot"], &vars);
    let summary = bot.wait_line("neurocards bot:", SOON).await;
    assert!(summary.contains("bot (webhook)"), "{summary}");
    assert!(
        !summary.contains(SECRET) && !bot.logs().contains(SECRET),
        "the secret never shows"
    );
    let hook = format!("http://127.0.0.1:{port}/telegram/webhook");
    assert_eq!(tg.webhook_url().as_deref(), Some(hook.as_str()));

    // Telegram's own delivery carries the secret: processed.
    tg.user(5001)
        .first_name("Ann")
        .language_code(Some("en"))
        .send_command("start", None);
    tg.wait_for(
        5001,
        |m| m.callback_data().contains(&"generate_neurocard"),
        SOON,
    )
    .await
    .expect("the menu");

    // Without the secret, or with a wrong one: 401 and nothing recorded.
    let client = reqwest::Client::new();
    for secret in [None, Some("wrong_secret"), Some("webhook_secret_for_test")] {
        let mut request = client.post(&hook).json(&start_update(5002));
        if let Some(secret) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        let status = request.send().await.expect("POST").status();
        assert_eq!(status.as_u16(), 401, "secret {secret:?}");
    }
    let store = Store::connect(&DatabaseUrl::Sqlite(db.clone()))
        .await
        .expect("store");
    assert_eq!(store.user(UserId(5002)).await.expect("query"), None);

    // Killed while handling an update (its answer to the user is on the wire): Telegram
    // got no 2xx, delivers it again, and the restarted process handles it.
    let answered = tg.calls("sendMessage");
    tg.set_latency(Duration::from_secs(30));
    tg.user(5003)
        .first_name("Bob")
        .language_code(Some("en"))
        .send_command("start", None);
    tg.wait_arrived("sendMessage", answered + 1, SOON)
        .await
        .expect("the bot is answering");
    bot.kill9().await;
    tg.set_latency(Duration::ZERO);
    let mut restarted = Process::start(dir.path(), "bot-restarted", &["bot"], &vars);
    restarted.wait_line("neurocards bot:", SOON).await;
    tg.wait_for(
        5003,
        |m| m.callback_data().contains(&"generate_neurocard"),
        SOON,
    )
    .await
    .expect("the update was handled after the restart");
    let bob = store
        .user(UserId(5003))
        .await
        .expect("query")
        .expect("recorded");
    assert_eq!(
        bob.balance, 2,
        "free credits once, however often the update came"
    );
    assert!(restarted.terminate(SOON).await, "a clean exit on SIGTERM");
}
