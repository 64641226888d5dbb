//! The store: users, the credit ledger and the generation-job queue, on PostgreSQL or SQLite.
//!
//! One [`Store`] serves both backends through sqlx's `Any` driver; the SQL is shared and the
//! few places where the backends differ (row locking, how a write transaction begins, how
//! idle workers are woken) are chosen by [`Dialect`]. Money rules live here, inside
//! transactions, so no caller can break them:
//! - charging and creating a job happen in one transaction ([`Store::create_job_and_charge`]);
//! - every balance change is a row of the append-only ledger, written with the change;
//! - a failed job is refunded exactly once ([`Store::finish_failed`]).

mod broadcasts;
mod dashboard;
mod dialogue;
mod error;
mod jobs;
mod ledger;
mod model;
mod queue;
mod reports;
pub mod scratch;
mod users;
mod wakeup;

pub use broadcasts::{Broadcast, BroadcastProgress, BroadcastStart};
pub use dashboard::{Credits, Dashboard, WorkerBeat};
pub use error::StoreError;
pub use model::{
    ChargeOutcome, Contact, CreditTotals, GrantOutcome, Job, JobId, LedgerEntry, NewJob, NewUser,
    User,
};
pub use queue::Lease;
pub use reports::{DayCount, JobCounts};
pub use wakeup::JobWaiter;

use neurocards_core::clock::{Clock, SystemClock};
use neurocards_core::config::DatabaseUrl;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Which SQL dialect the pool speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL: row locks with `SKIP LOCKED`, `LISTEN/NOTIFY`.
    Postgres,
    /// SQLite: one writer at a time, `BEGIN IMMEDIATE`.
    Sqlite,
}

/// The database behind every other part. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    clock: Arc<dyn Clock>,
    wakeup: wakeup::Wakeup,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dialect", &self.dialect)
            .finish_non_exhaustive()
    }
}

/// Connections kept per process; enough for a worker's concurrent steps, small for SQLite.
const POSTGRES_POOL_SIZE: u32 = 20;
const SQLITE_POOL_SIZE: u32 = 8;

impl Store {
    /// Opens the database (creating an SQLite file and its folder on first use) without
    /// migrating it.
    pub async fn connect(url: &DatabaseUrl) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (dialect, text) = match url {
            DatabaseUrl::Postgres(secret) => (Dialect::Postgres, secret.expose().to_owned()),
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                        path: parent.to_path_buf(),
                        source,
                    })?;
                }
                (
                    Dialect::Sqlite,
                    format!("sqlite://{}?mode=rwc", path.display()),
                )
            }
        };
        let options = AnyConnectOptions::from_str(&text).map_err(StoreError::Connect)?;
        let pool = match dialect {
            Dialect::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(POSTGRES_POOL_SIZE)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
            }
            Dialect::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(SQLITE_POOL_SIZE)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // WAL lets readers run beside the one writer; NORMAL sync is
                            // durable across process crashes, which is what we need.
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
            }
        }
        .map_err(StoreError::Connect)?;
        let wakeup = wakeup::Wakeup::new(dialect, url);
        Ok(Store {
            pool,
            dialect,
            clock: Arc::new(SystemClock),
            wakeup,
        })
    }

    /// Opens the database and applies pending migrations: what every process does at start.
    pub async fn open(url: &DatabaseUrl) -> Result<Store, StoreError> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Uses `clock` for every timestamp and lease from now on (tests move time by hand).
    pub fn with_clock(mut self, clock: impl Clock) -> Store {
        self.clock = Arc::new(clock);
        self
    }

    /// Applies the pending migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.dialect {
            Dialect::Postgres => sqlx::migrate!("migrations/postgres"),
            Dialect::Sqlite => sqlx::migrate!("migrations/sqlite"),
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// The backend's dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Answers when the database does (for readiness checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The store's notion of now (ms since epoch): the clock every timestamp uses.
    pub fn now_ms(&self) -> i64 {
        self.now()
    }

    /// Begins a transaction that will write. SQLite takes the write lock up front, so two
    /// writers never deadlock upgrading a read lock.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        let tx = match self.dialect {
            Dialect::Postgres => self.pool.begin().await?,
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
        };
        Ok(tx)
    }
}
