//! The worker: turns paid jobs into delivered videos.
//!
//! [`Worker::run`] claims jobs from the store's queue and runs many at once as async tasks:
//! prompt (LLM or template) → input photo (Telegram → our copy → the provider's upload API,
//! or with `STORAGE_TYPE=s3` our bucket and a signed link)
//! → submit (task id recorded before waiting) → wait (callback or polling) → deliver
//! (sendVideo with the again/menu buttons, `file_id` recorded) → finish. A terminal error
//! fails the job with its refund and tells the user; shutdown releases the leases at a
//! recorded point so the next worker resumes without paying twice.
//!
//! The HTTP server wakes waiting jobs through [`Worker::callback_hub`].

mod context;
mod deliver;
mod hub;
mod job;
mod leases;
pub mod options;
mod outcome;
mod run;
pub mod storage;
pub mod telegram;
pub mod texts;

pub use hub::CallbackHub;
pub use options::WorkerOptions;

use context::Ctx;
use neurocards_core::config::Config;
use neurocards_core::metrics::Metrics;
use neurocards_ephemeral::Ephemeral;
use neurocards_providers::{KeyRing, KieClient, PromptEnhancer, ProxyPool, VideoProvider};
use neurocards_store::Store;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Why the worker could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// `BOT_TOKEN` is needed to fetch photos and deliver videos.
    #[error("BOT_TOKEN is required by the worker")]
    MissingBotToken,
    /// A proxy from `PROXY_FILE` cannot be used.
    #[error("cannot set up the proxies")]
    Proxies(#[from] neurocards_providers::proxies::ProxyPoolError),
    /// Redis (`REDIS_URL`) cannot be reached.
    #[error("cannot connect to Redis")]
    Redis(#[from] neurocards_ephemeral::EphemeralError),
    /// The database failed.
    #[error("database")]
    Store(#[from] neurocards_store::StoreError),
    /// The bucket of `STORAGE_TYPE=s3` cannot be used.
    #[error("cannot set up the bucket")]
    Storage(#[from] storage::StorageError),
}

/// A worker process's pipeline, ready to run.
pub struct Worker {
    ctx: Arc<Ctx>,
    concurrency: usize,
    keys: Option<KeyRing>,
}

impl Worker {
    /// Builds the worker from the configuration: KIE with key and proxy rotation (shared
    /// through Redis when `REDIS_URL` is set), the prompt LLM, Telegram, local storage.
    pub async fn new(config: &Config, store: Store) -> Result<Worker, WorkerError> {
        let shared = Ephemeral::connect(config.redis_url.as_ref()).await?;
        Worker::with_shared(config, store, shared)
    }

    /// Like [`Worker::new`], with the shared ephemeral state given (one process running the
    /// bot too shares its key and proxy health with it).
    pub fn with_shared(
        config: &Config,
        store: Store,
        shared: Ephemeral,
    ) -> Result<Worker, WorkerError> {
        let kie = KieClient::from_config(config, shared)?;
        let (keys, routes) = (kie.keys().clone(), kie.routes().clone());
        let mut worker = Worker::with_provider(config, store, Arc::new(kie), routes.clone())?;
        if let Some(ctx) = Arc::get_mut(&mut worker.ctx) {
            ctx.health = Some((keys.clone(), routes));
        }
        worker.keys = Some(keys);
        Ok(worker)
    }

    /// Builds the worker around any video provider (tests, a second provider).
    pub fn with_provider(
        config: &Config,
        store: Store,
        provider: Arc<dyn VideoProvider>,
        routes: ProxyPool,
    ) -> Result<Worker, WorkerError> {
        let token = config
            .bot_token
            .as_ref()
            .ok_or(WorkerError::MissingBotToken)?;
        let options = WorkerOptions::default();
        let enhancer = PromptEnhancer::new(
            config.openai_api_key.clone(),
            config.openai_base_url.clone(),
            config.openai_model.clone(),
            routes,
        )
        .with_timeout(options.enhancer_timeout);
        let ctx = Ctx {
            store,
            provider,
            enhancer,
            telegram: telegram::Telegram::new(&config.telegram_api_url, token),
            storage: storage::LocalStorage::new(&config.storage_base_path),
            bucket: config
                .s3
                .as_ref()
                .map(|s3| storage::BucketInputs::new(s3, &config.storage_base_path))
                .transpose()?,
            hub: CallbackHub::default(),
            leases: leases::Leases::default(),
            options,
            callback_base: config
                .public_base_url
                .as_ref()
                .map(|url| url.as_str().trim_end_matches('/').to_owned()),
            default_language: config.default_language,
            worker_timeout: config.worker_timeout,
            downloads: reqwest::Client::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            metrics: Metrics::new(),
            health: None,
            proxies_configured: !config.proxies.is_empty(),
        };
        Ok(Worker {
            ctx: Arc::new(ctx),
            concurrency: config.worker_concurrency,
            keys: None,
        })
    }

    /// Replaces the timings (tests shorten them; the owner name must stay unique).
    pub fn with_options(mut self, options: WorkerOptions) -> Worker {
        if let Some(ctx) = Arc::get_mut(&mut self.ctx) {
            ctx.enhancer = ctx.enhancer.clone().with_timeout(options.enhancer_timeout);
            ctx.options = options;
        }
        self
    }

    /// Counts into `metrics` (the process's, which the HTTP server renders).
    pub fn with_metrics(mut self, metrics: Metrics) -> Worker {
        if let Some(ctx) = Arc::get_mut(&mut self.ctx) {
            ctx.metrics = metrics;
        }
        self
    }

    /// The hub the HTTP server's KIE callback route wakes jobs through.
    pub fn callback_hub(&self) -> CallbackHub {
        self.ctx.hub.clone()
    }

    /// The KIE key rotation, for health reports and admin alerts (None with a custom
    /// provider).
    pub fn keys(&self) -> Option<KeyRing> {
        self.keys.clone()
    }

    /// This worker's name in leases and heartbeats.
    pub fn owner(&self) -> &str {
        &self.ctx.options.owner
    }

    /// Runs until `shutdown` is cancelled, then drains: in-flight jobs reach a recorded
    /// point and release their leases.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), WorkerError> {
        run::run(self.ctx, self.concurrency, shutdown).await
    }

    /// Runs the sweeper once (fails and refunds stuck jobs, tells their users).
    pub async fn sweep_once(&self) {
        run::sweep_once(&self.ctx).await;
    }
}
