//! The bot under a crowd: N simulated users (default 1,000) each send /start, /menu and
//! press the cabinet button, through the Telegram fake by long polling, on PostgreSQL
//! (`BENCH_DATABASE=sqlite` for SQLite). Telegram's pacing (1 message/s per chat) is
//! lifted so the figures show the bot's own work. Two runs: all users at once (how many
//! updates a second the bot gets through), then users arriving steadily at about half that
//! rate (how long one update waits for its answer, p50/p99, when the bot is not saturated
//! — with everyone at once the wait is only the length of the queue).
//!
//! `cargo bench -p neurocards-bot` (`BENCH_USERS` to change the crowd).

use neurocards_bot::{BotApp, BotSettings, polling};
use neurocards_core::config::{Config, Needs};
use neurocards_core::metrics::Metrics;
use neurocards_ephemeral::Ephemeral;
use neurocards_store::scratch::ScratchDatabase;
use neurocards_store::{Dialect, Store};
use neurocards_testkit::{FakeTelegram, Sent};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(120);

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Sends with `send`, waits for the answer matching `predicate`; the answer and its delay.
async fn step(
    tg: &FakeTelegram,
    id: i64,
    send: impl FnOnce(),
    predicate: impl Fn(&Sent) -> bool,
) -> (Sent, f64) {
    let started = Instant::now();
    send();
    let answer = tg.wait_for(id, predicate, WAIT).await.expect("answer");
    (answer, started.elapsed().as_secs_f64() * 1000.0)
}

/// One user's session; the latency of each answer in ms.
async fn session(tg: FakeTelegram, id: i64) -> Vec<f64> {
    let user = tg.user(id).first_name("Load").language_code(Some("en"));
    let is_menu = |m: &Sent| m.callback_data().contains(&"generate_neurocard");
    let (_, start) = step(&tg, id, || drop(user.send_command("start", None)), is_menu).await;
    let (menu, again) = step(&tg, id, || drop(user.send_command("menu", None)), is_menu).await;
    let press = || drop(user.press(menu.message_id, "cabinet").expect("press"));
    let (_, cabinet) = step(&tg, id, press, |m: &Sent| m.text().contains("Cabinet")).await;
    vec![start, again, cabinet]
}

async fn bench(dialect: Dialect, users: i64) {
    let db = ScratchDatabase::new(dialect).await.expect("database");
    let store = Store::open(db.url()).await.expect("store");
    let tg = FakeTelegram::start().await;
    let vars = [
        ("BOT_TOKEN", tg.token().to_owned()),
        ("TELEGRAM_API_URL", tg.api_url()),
        ("DEFAULT_LANGUAGE", "en".to_owned()),
    ];
    let config = Config::from_lookup(Needs { bot_token: true }, |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .expect("config");
    let settings = BotSettings {
        pacing: None,
        ..BotSettings::from_config(&config)
    };
    let app = BotApp::new(&config, store, Ephemeral::local(), Metrics::new(), settings)
        .await
        .expect("bot");
    let stop = CancellationToken::new();
    let polling = tokio::spawn(polling::run(app, stop.clone()));

    let burst = crowd(&tg, 10_000, users, Duration::ZERO).await;
    let steady = crowd(&tg, 20_000, users, Duration::from_millis(3)).await;
    stop.cancel();
    let _ = polling.await;
    let name = match dialect {
        Dialect::Postgres => "postgres",
        Dialect::Sqlite => "sqlite",
    };
    for (run, figures) in [("all at once", burst), ("steady 1 user/3 ms", steady)] {
        println!(
            "{name:<8} {users} users x 3 updates, {run:<18}: {:>5.0} updates/s   inject-to-answer p50 {:>6.1} ms   p99 {:>6.1} ms",
            figures.0,
            quantile(&figures.1, 0.5),
            quantile(&figures.1, 0.99),
        );
    }
}

/// `users` sessions starting `spacing` apart; updates per second and sorted latencies.
async fn crowd(tg: &FakeTelegram, first_id: i64, users: i64, spacing: Duration) -> (f64, Vec<f64>) {
    let started = Instant::now();
    let mut sessions = Vec::new();
    for n in 0..users {
        if !spacing.is_zero() {
            tokio::time::sleep_until((started + spacing * n as u32).into()).await;
        }
        sessions.push(tokio::spawn(session(tg.clone(), first_id + n)));
    }
    let mut latencies: Vec<f64> = Vec::new();
    for session in futures::future::join_all(sessions).await {
        latencies.extend(session.expect("session"));
    }
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    (rate, latencies)
}

fn main() {
    let users = std::env::var("BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dialect = match std::env::var("BENCH_DATABASE").as_deref() {
        Ok("sqlite") => Dialect::Sqlite,
        _ => Dialect::Postgres,
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(bench(dialect, users));
}
