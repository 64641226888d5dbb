//! What can go wrong in the store.

use std::path::PathBuf;

/// An error from the store. The cause chain is kept for the logs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or opened.
    #[error("cannot connect to the database")]
    Connect(#[source] sqlx::Error),
    /// The folder for the SQLite file could not be created.
    #[error("cannot create {path}")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A migration failed.
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database query failed")]
    Query(#[from] sqlx::Error),
    /// No user with that id.
    #[error("unknown user {0}")]
    UnknownUser(i64),
    /// A stored value that our code cannot read (a bug or a hand-edited row).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}
