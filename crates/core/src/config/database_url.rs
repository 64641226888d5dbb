//! `DATABASE_URL`: which backend, and where.

use crate::secret::Secret;
use std::fmt;
use std::path::PathBuf;

/// A database location the store can open.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A PostgreSQL server; the URL carries credentials, so it is kept secret.
    Postgres(Secret),
    /// An SQLite file, created on first use.
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// The embedded default.
    pub const DEFAULT: &'static str = "sqlite://data/neurocards.db";

    /// Parses `postgres://…`, `postgresql://…`, `sqlite://path` or `sqlite:path`.
    pub fn parse(text: &str) -> Result<DatabaseUrl, String> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            let url = url::Url::parse(text).map_err(|e| format!("not a valid URL ({e})"))?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err("the PostgreSQL URL has no host".to_owned());
            }
            return Ok(DatabaseUrl::Postgres(Secret::new(text)));
        }
        if let Some(rest) = text.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err("the SQLite URL has no file path".to_owned());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        Err("expected postgres://… or sqlite://path".to_owned())
    }

    /// "postgres" or "sqlite", for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            DatabaseUrl::Postgres(_) => "postgres",
            DatabaseUrl::Sqlite(_) => "sqlite",
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Postgres(_) => f.write_str("Postgres(***)"),
            DatabaseUrl::Sqlite(path) => write!(f, "Sqlite({})", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_backends() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db"),
            Ok(DatabaseUrl::Sqlite("data/x.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db?mode=rwc"),
            Ok(DatabaseUrl::Sqlite("/tmp/x.db".into()))
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://u:p@localhost/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(DatabaseUrl::parse("mysql://localhost").is_err());
        assert!(DatabaseUrl::parse("postgres://").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn debug_hides_credentials() {
        let url = DatabaseUrl::parse("postgres://u:hunter2@localhost/db").expect("valid");
        assert!(!format!("{url:?}").contains("hunter2"));
    }
}
