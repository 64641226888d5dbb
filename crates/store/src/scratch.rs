//! Throw-away databases for tests, benchmarks and the offline demo.
//!
//! A PostgreSQL scratch database is created on the server named by `TEST_DATABASE_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`) and dropped when the value is
//! dropped; an SQLite one lives in a temporary folder that goes with it.

use crate::{Dialect, StoreError};
use neurocards_core::Secret;
use neurocards_core::config::DatabaseUrl;
use sqlx::{Connection, Executor, PgConnection};
use std::sync::atomic::{AtomicU32, Ordering};

/// The server scratch PostgreSQL databases are made on, unless `TEST_DATABASE_URL` says.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// An empty database that disappears when this value is dropped.
pub struct ScratchDatabase {
    url: DatabaseUrl,
    cleanup: Cleanup,
}

enum Cleanup {
    Postgres { admin_url: String, name: String },
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
}

impl ScratchDatabase {
    /// A new empty database of the given backend.
    pub async fn new(dialect: Dialect) -> Result<ScratchDatabase, StoreError> {
        match dialect {
            Dialect::Postgres => Self::postgres().await,
            Dialect::Sqlite => Self::sqlite(),
        }
    }

    /// A new SQLite file in a temporary folder.
    pub fn sqlite() -> Result<ScratchDatabase, StoreError> {
        let dir = tempfile::tempdir().map_err(|source| StoreError::CreateDir {
            path: std::env::temp_dir(),
            source,
        })?;
        let url = DatabaseUrl::Sqlite(dir.path().join("neurocards.db"));
        Ok(ScratchDatabase {
            url,
            cleanup: Cleanup::Sqlite(dir),
        })
    }

    /// A new database on the test PostgreSQL server.
    pub async fn postgres() -> Result<ScratchDatabase, StoreError> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let admin_url =
            std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
        let name = format!(
            "nc_scratch_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .map_err(StoreError::Connect)?;
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await?;
        admin.close().await?;
        let mut url = url::Url::parse(&admin_url)
            .map_err(|e| StoreError::Corrupt(format!("TEST_DATABASE_URL: {e}")))?;
        url.set_path(&name);
        Ok(ScratchDatabase {
            url: DatabaseUrl::Postgres(Secret::new(url.as_str())),
            cleanup: Cleanup::Postgres { admin_url, name },
        })
    }

    /// Where the database is.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let Cleanup::Postgres { admin_url, name } = &self.cleanup else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop runs inside async tests; a thread of its own keeps the runtime out of it.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .await?;
                admin.close().await?;
                Ok::<_, sqlx::Error>(())
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("could not drop scratch database: {error}");
        }
    }
}
