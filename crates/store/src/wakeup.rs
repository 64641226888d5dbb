//! Waking idle workers as soon as a job is queued.
//!
//! PostgreSQL carries the signal between processes with `LISTEN/NOTIFY`; inside one process a
//! watch channel does (the only way on SQLite, where everything runs in one process). Either
//! way a waiter also wakes on its timeout, so polling remains the fallback.

use crate::{Dialect, Store, StoreError};
use neurocards_core::Secret;
use neurocards_core::config::DatabaseUrl;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The PostgreSQL notification channel (also spelled out in `jobs.rs`' NOTIFY).
pub(crate) const CHANNEL: &str = "neurocards_jobs";

/// The sending side, shared by every clone of a [`Store`].
#[derive(Clone)]
pub(crate) struct Wakeup {
    local: Arc<watch::Sender<u64>>,
    postgres_url: Option<Secret>,
}

impl Wakeup {
    pub(crate) fn new(dialect: Dialect, url: &DatabaseUrl) -> Self {
        let postgres_url = match (dialect, url) {
            (Dialect::Postgres, DatabaseUrl::Postgres(url)) => Some(url.clone()),
            _ => None,
        };
        Self {
            local: Arc::new(watch::channel(0).0),
            postgres_url,
        }
    }

    /// Wakes the waiters of this process.
    pub(crate) fn notify_local(&self) {
        self.local
            .send_modify(|generation| *generation = generation.wrapping_add(1));
    }
}

/// A worker's way to sleep until a job may be waiting.
pub struct JobWaiter {
    local: watch::Receiver<u64>,
    listener: Option<PgListener>,
}

impl JobWaiter {
    /// Waits until a job is announced or `max` passes; true when a signal woke it. A signal
    /// sent since the previous wait is not lost: the next wait returns at once.
    pub async fn wait(&mut self, max: Duration) -> bool {
        let timeout = tokio::time::sleep(max);
        tokio::pin!(timeout);
        match &mut self.listener {
            Some(listener) => tokio::select! {
                changed = self.local.changed() => changed.is_ok(),
                notified = listener.recv() => match notified {
                    Ok(_) => true,
                    Err(error) => {
                        tracing::warn!(%error, "job notifications interrupted; polling");
                        timeout.await;
                        false
                    }
                },
                () = &mut timeout => false,
            },
            None => tokio::select! {
                changed = self.local.changed() => changed.is_ok(),
                () = &mut timeout => false,
            },
        }
    }
}

impl Store {
    /// A waiter for this process's worker loop; on PostgreSQL it holds its own connection.
    pub async fn job_waiter(&self) -> Result<JobWaiter, StoreError> {
        let listener = match &self.wakeup.postgres_url {
            Some(url) => {
                let mut listener = PgListener::connect(url.expose())
                    .await
                    .map_err(StoreError::Connect)?;
                listener.listen(CHANNEL).await?;
                Some(listener)
            }
            None => None,
        };
        Ok(JobWaiter {
            local: self.wakeup.local.subscribe(),
            listener,
        })
    }
}
