//! What every job task shares: the store, the provider, the clients, the options.

use crate::hub::CallbackHub;
use crate::leases::Leases;
use crate::options::WorkerOptions;
use crate::storage::LocalStorage;
use crate::telegram::Telegram;
use neurocards_core::Language;
use neurocards_providers::{PromptEnhancer, VideoProvider};
use neurocards_store::Store;
use std::sync::Arc;
use std::time::Duration;

pub(crate) struct Ctx {
    pub store: Store,
    pub provider: Arc<dyn VideoProvider>,
    pub enhancer: PromptEnhancer,
    pub telegram: Telegram,
    pub storage: LocalStorage,
    /// The bucket input photos go to when `STORAGE_TYPE=s3`.
    pub bucket: Option<crate::storage::BucketInputs>,
    pub hub: CallbackHub,
    pub leases: Leases,
    pub options: WorkerOptions,
    /// `PUBLIC_BASE_URL` without its trailing slash, when callbacks are on.
    pub callback_base: Option<String>,
    pub default_language: Language,
    pub worker_timeout: Duration,
    /// Result downloads (the provider's CDN), direct.
    pub downloads: reqwest::Client,
    /// The process's metrics: provider calls, job durations, key and proxy health.
    pub metrics: neurocards_core::metrics::Metrics,
    /// The key rotation and the proxy routes, for the health gauges.
    pub health: Option<(
        neurocards_providers::KeyRing,
        neurocards_providers::ProxyPool,
    )>,
    /// `PROXY_FILE` listed proxies (else the pool's one route is direct).
    pub proxies_configured: bool,
}
