//! `neurocards migrate`: bring the database schema up to date.

use anyhow::Context;
use neurocards_core::config::{Config, DatabaseUrl};
use neurocards_store::Store;

/// Applies pending migrations and says where.
pub async fn run(config: &Config) -> anyhow::Result<()> {
    let store = Store::connect(&config.database_url)
        .await
        .context("opening the database")?;
    store.migrate().await.context("migrating")?;
    store.close().await;
    match &config.database_url {
        DatabaseUrl::Sqlite(path) => println!("migrations applied: sqlite {}", path.display()),
        DatabaseUrl::Postgres(_) => println!("migrations applied: postgres"),
    }
    Ok(())
}
