//! The HTTP server every process runs (DESIGN.md fixes the routes):
//! `GET /healthz`, `GET /readyz`, `GET /metrics`, `POST /kie/callback/{token}` and, in
//! webhook mode, `POST /telegram/webhook`.
//!
//! The server knows nothing of the bot or the worker: the binary hands it a [`JobWaker`]
//! (the worker's callback hub) and an [`UpdateHandler`] (the bot), so dependencies keep
//! pointing one way.

mod callback;
mod health;
mod metrics;
mod webhook;

pub use webhook::secrets_match;

use axum::Router;
use axum::routing::{get, post};
use futures::future::BoxFuture;
use neurocards_core::Secret;
use neurocards_core::metrics::Metrics;
use neurocards_store::{JobId, Store};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Wakes the worker task waiting on a job when its provider reports completion.
pub type JobWaker = Arc<dyn Fn(JobId) + Send + Sync>;

/// Processes one Telegram update (JSON) to completion; an error makes Telegram re-deliver.
pub type UpdateHandler =
    Arc<dyn Fn(serde_json::Value) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// Webhook mode: the secret Telegram sends and who processes the updates.
#[derive(Clone)]
pub struct Webhook {
    /// Expected `X-Telegram-Bot-Api-Secret-Token`.
    pub secret: Secret,
    /// The bot.
    pub handler: UpdateHandler,
}

/// What the routes need.
#[derive(Clone)]
pub struct HttpState {
    /// The database (readiness, callbacks, metrics gauges).
    pub store: Store,
    /// Redis, when configured (readiness).
    pub redis: Option<redis::Client>,
    /// The process's metrics.
    pub metrics: Metrics,
    /// Wakes jobs on provider callbacks; without it callbacks are accepted and polling
    /// finds the result.
    pub job_waker: Option<JobWaker>,
    /// Set in webhook mode.
    pub webhook: Option<Webhook>,
}

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The address is taken or not ours.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The server stopped on an I/O error.
    #[error("HTTP server failed")]
    Serve(#[source] std::io::Error),
}

/// The routes.
pub fn router(state: HttpState) -> Router {
    let state = Arc::new(state);
    let mut router = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/kie/callback/{token}", post(callback::kie_callback));
    if state.webhook.is_some() {
        router = router.merge(webhook::routes());
    }
    router.with_state(state)
}

/// A bound listener, so callers learn the port before serving (tests bind port 0).
pub struct HttpServer {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl HttpServer {
    /// Binds `addr`.
    pub async fn bind(addr: SocketAddr, state: HttpState) -> Result<HttpServer, HttpError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| HttpError::Bind { addr, source })?;
        Ok(HttpServer {
            listener,
            router: router(state),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Result<SocketAddr, HttpError> {
        self.listener.local_addr().map_err(HttpError::Serve)
    }

    /// Serves until `shutdown` is cancelled, then finishes the requests in flight.
    pub async fn serve(self, shutdown: CancellationToken) -> Result<(), HttpError> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .map_err(HttpError::Serve)
    }
}
