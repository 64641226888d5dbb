//! `neurocards run | bot | worker`: the long-running parts, started together or alone, on
//! one store, with one HTTP server, drained together on SIGTERM/SIGINT.

use anyhow::Context;
use neurocards_admin::alerts::Alerts;
use neurocards_bot::admin::run_broadcasts;
use neurocards_bot::{BotApp, BotSettings, polling};
use neurocards_core::config::Config;
use neurocards_core::metrics::Metrics;
use neurocards_ephemeral::Ephemeral;
use neurocards_providers::KieClient;
use neurocards_store::Store;
use neurocards_web::{HttpServer, HttpState};
use neurocards_worker::Worker;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How often a worker process checks the incidents admins are told about.
const ALERT_EVERY: Duration = Duration::from_secs(60);

/// The admins' alerts, when there are admins to tell.
fn alerts(config: &Config, store: &Store) -> Option<Alerts> {
    let token = config.bot_token.as_ref()?;
    if config.admin_ids.is_empty() {
        return None;
    }
    let bot = teloxide::Bot::new(token.expose()).set_api_url(config.telegram_api_url.clone());
    Some(Alerts::new(store.clone(), bot, config.admin_ids.clone()))
}

/// How long the parts may take to drain after a signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Which parts this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    /// The Telegram bot.
    pub bot: bool,
    /// The generation worker.
    pub worker: bool,
}

/// The one start-up line: what runs and how, never a secret.
pub fn summary(command: &str, config: &Config, parts: Parts) -> String {
    let mode = if config.public_base_url.is_some() {
        "webhook"
    } else {
        "polling"
    };
    let mut line = format!("neurocards {command}:");
    if parts.bot {
        line.push_str(&format!(" bot ({mode}),"));
    }
    if parts.worker {
        line.push_str(&format!(
            " worker ({} concurrent jobs, {} KIE keys, {} proxies),",
            config.worker_concurrency,
            config.kie_api_keys.len(),
            config.proxies.len()
        ));
    }
    line.push_str(&format!(
        " database {}, redis {}, http {}",
        config.database_url.kind(),
        if config.redis_url.is_some() {
            "on"
        } else {
            "off"
        },
        config.http_addr
    ));
    line
}

/// Runs the chosen parts until a signal, then drains them.
pub async fn run(command: &str, config: &Config, parts: Parts) -> anyhow::Result<()> {
    let shutdown = super::shutdown::on_signal();
    let running = start(config, parts, &shutdown).await?;
    println!("{}", summary(command, config, parts));
    running.wait(shutdown).await
}

/// The parts of one process, running.
pub struct Running {
    tasks: JoinSet<anyhow::Result<()>>,
    store: Store,
    /// Where the HTTP server listens.
    pub http_addr: SocketAddr,
}

impl Running {
    /// Waits for `shutdown` (or a part that ends), drains every part, closes the database.
    pub async fn wait(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let outcome = wait_and_drain(self.tasks, shutdown).await;
        self.store.close().await;
        outcome
    }
}

/// Opens the database and starts the chosen parts and the HTTP server; they stop when
/// `shutdown` is cancelled.
pub async fn start(
    config: &Config,
    parts: Parts,
    shutdown: &CancellationToken,
) -> anyhow::Result<Running> {
    let store = Store::open(&config.database_url)
        .await
        .context("opening the database")?;
    let redis = config
        .redis_url
        .as_ref()
        .map(|url| redis::Client::open(url.expose()))
        .transpose()
        .context("REDIS_URL")?;
    let metrics = Metrics::new();
    let mut tasks: JoinSet<anyhow::Result<()>> = JoinSet::new();

    // One shared state for the parts of this process: key and proxy health, flood counters
    // (in Redis when configured, so other processes see them too).
    let shared = Ephemeral::connect(config.redis_url.as_ref())
        .await
        .context("connecting to Redis")?;
    let mut job_waker = None;
    if parts.worker {
        let worker = Worker::with_shared(config, store.clone(), shared.clone())
            .context("starting the worker")?
            .with_metrics(metrics.clone());
        job_waker = Some(worker.callback_hub().job_waker());
        let stop = shutdown.clone();
        tasks.spawn(async move { worker.run(stop).await.context("worker") });
        if let Some(alerts) = alerts(config, &store) {
            let kie = KieClient::from_config(config, shared.clone()).context("PROXY_FILE")?;
            let kie = (!config.kie_api_keys.is_empty()).then_some(kie);
            let stop = shutdown.clone();
            tasks.spawn(async move {
                neurocards_admin::alerts::watch(alerts, kie, ALERT_EVERY, stop).await;
                Ok(())
            });
        }
    }
    let mut webhook = None;
    if parts.bot {
        let settings = BotSettings::from_config(config);
        let bot = BotApp::new(config, store.clone(), shared, metrics.clone(), settings)
            .await
            .context("connecting to Telegram (is BOT_TOKEN right?)")?;
        if let Err(error) = bot.register_commands().await {
            tracing::warn!(%error, "cannot register the command menu");
        }
        let (runner, stop) = (bot.clone(), shutdown.clone());
        tasks.spawn(async move {
            run_broadcasts(runner, stop).await;
            Ok(())
        });
        match &config.public_base_url {
            Some(base) => webhook = Some(super::webhook::set_up(&bot, base, config).await?),
            None => {
                let stop = shutdown.clone();
                tasks.spawn(async move {
                    polling::run(bot, stop).await;
                    Ok(())
                });
            }
        }
    }
    let state = HttpState {
        store: store.clone(),
        redis,
        metrics,
        job_waker,
        webhook,
    };
    let server = HttpServer::bind(config.http_addr, state)
        .await
        .context("starting the HTTP server")?;
    let http_addr = server.local_addr().context("the HTTP server's address")?;
    let stop = shutdown.clone();
    tasks.spawn(async move { server.serve(stop).await.context("HTTP server") });
    Ok(Running {
        tasks,
        store,
        http_addr,
    })
}

/// Waits for the first part to end (or a signal), then gives the rest the drain timeout.
async fn wait_and_drain(
    mut tasks: JoinSet<anyhow::Result<()>>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut outcome = Ok(());
    tokio::select! {
        Some(ended) = tasks.join_next() => {
            outcome = ended.context("a part panicked").and_then(|r| r);
        }
        () = shutdown.cancelled() => {}
    }
    shutdown.cancel();
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while let Some(ended) = tasks.join_next().await {
            if let Err(error) = ended.context("a part panicked").and_then(|r| r)
                && outcome.is_ok()
            {
                outcome = Err(error);
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!("parts did not drain within 30 s; stopping anyway");
    }
    outcome
}
