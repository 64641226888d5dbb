//! The HTTP server, over real HTTP against a real store: health, readiness as dependencies
//! come and go, metrics, KIE callbacks and the Telegram webhook's secret check.

mod callback;
mod health;
mod metrics;
mod tcp_switch;
mod webhook;

use neurocards_core::metrics::Metrics;
use neurocards_store::scratch::ScratchDatabase;
use neurocards_store::{Dialect, Store};
use neurocards_web::{HttpServer, HttpState};
use tokio_util::sync::CancellationToken;

/// A running server on a random port; stops when dropped.
pub struct Running {
    pub base: String,
    pub store: Store,
    _db: ScratchDatabase,
    stop: CancellationToken,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

pub async fn scratch_store(dialect: Dialect) -> (ScratchDatabase, Store) {
    let db = ScratchDatabase::new(dialect).await.expect("database");
    let store = Store::open(db.url()).await.expect("store");
    (db, store)
}

/// Starts the server with `configure` applied to a default state on a fresh SQLite store.
pub async fn start(configure: impl FnOnce(&mut HttpState)) -> Running {
    let (db, store) = scratch_store(Dialect::Sqlite).await;
    let mut state = HttpState {
        store: store.clone(),
        redis: None,
        metrics: Metrics::new(),
        job_waker: None,
        webhook: None,
    };
    configure(&mut state);
    start_with(state, db).await
}

pub async fn start_with(state: HttpState, db: ScratchDatabase) -> Running {
    let store = state.store.clone();
    let server = HttpServer::bind("127.0.0.1:0".parse().expect("addr"), state)
        .await
        .expect("bind");
    let base = format!("http://{}", server.local_addr().expect("addr"));
    let stop = CancellationToken::new();
    tokio::spawn(server.serve(stop.clone()));
    Running {
        base,
        store,
        _db: db,
        stop,
    }
}
