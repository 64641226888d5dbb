//! State that all replicas share and that may be lost: per-user rate windows, API-key and
//! proxy cool-downs. In Redis when `REDIS_URL` is set, so every bot replica and worker
//! agrees; in process otherwise (one machine on SQLite).
//!
//! Keys are namespaced by the caller (`flood:<user>`, `key:<hash>` ...); values expire on
//! their own, so nothing here ever needs cleaning up.

use neurocards_core::Secret;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Prefix of every Redis key we write, so a shared Redis stays tidy.
const PREFIX: &str = "neurocards:";

/// Why shared state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum EphemeralError {
    /// Redis failed.
    #[error("redis")]
    Redis(#[from] redis::RedisError),
}

/// Shared, expiring counters and flags.
#[derive(Clone)]
pub struct Ephemeral {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Local(Arc<Mutex<HashMap<String, Entry>>>),
    Redis(ConnectionManager),
}

struct Entry {
    count: u64,
    expires: Instant,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl Ephemeral {
    /// In Redis at `redis_url` when given, in process otherwise.
    pub async fn connect(redis_url: Option<&Secret>) -> Result<Ephemeral, EphemeralError> {
        let backend = match redis_url {
            Some(url) => {
                let client = redis::Client::open(url.expose())?;
                Backend::Redis(ConnectionManager::new(client).await?)
            }
            None => Backend::Local(Arc::default()),
        };
        Ok(Ephemeral { backend })
    }

    /// In process only.
    pub fn local() -> Ephemeral {
        Ephemeral {
            backend: Backend::Local(Arc::default()),
        }
    }

    /// True when shared through Redis.
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Redis(_))
    }

    /// Counts one hit on `key` in a fixed window of length `window` that starts with the
    /// first hit; returns the hits in the window so far, this one included.
    pub async fn hit(&self, key: &str, window: Duration) -> Result<u64, EphemeralError> {
        match &self.backend {
            Backend::Local(map) => {
                let now = Instant::now();
                let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let entry = map.entry(key.to_owned()).or_insert(Entry {
                    count: 0,
                    expires: now + window,
                });
                if entry.expires <= now {
                    *entry = Entry {
                        count: 0,
                        expires: now + window,
                    };
                }
                entry.count += 1;
                Ok(entry.count)
            }
            Backend::Redis(conn) => {
                let mut conn = conn.clone();
                let key = format!("{PREFIX}{key}");
                // INCR and PEXPIRE NX in one round trip: the window starts with its first hit.
                let (count, _): (u64, i64) = redis::pipe()
                    .atomic()
                    .incr(&key, 1)
                    .cmd("PEXPIRE")
                    .arg(&key)
                    .arg(millis(window))
                    .arg("NX")
                    .query_async(&mut conn)
                    .await?;
                Ok(count)
            }
        }
    }

    /// Marks `key` as cooling down for `duration` (a later call replaces the earlier one).
    pub async fn cool_down(&self, key: &str, duration: Duration) -> Result<(), EphemeralError> {
        match &self.backend {
            Backend::Local(map) => {
                let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                map.insert(
                    key.to_owned(),
                    Entry {
                        count: 1,
                        expires: Instant::now() + duration,
                    },
                );
                Ok(())
            }
            Backend::Redis(conn) => {
                let mut conn = conn.clone();
                let _: () = conn
                    .pset_ex(format!("{PREFIX}{key}"), 1, millis(duration))
                    .await?;
                Ok(())
            }
        }
    }

    /// How long `key` still cools down, or `None` when it does not.
    pub async fn cooling(&self, key: &str) -> Result<Option<Duration>, EphemeralError> {
        match &self.backend {
            Backend::Local(map) => {
                let now = Instant::now();
                let map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                Ok(map
                    .get(key)
                    .filter(|entry| entry.expires > now)
                    .map(|entry| entry.expires - now))
            }
            Backend::Redis(conn) => {
                let mut conn = conn.clone();
                let left: i64 = conn.pttl(format!("{PREFIX}{key}")).await?;
                Ok((left > 0).then(|| Duration::from_millis(left as u64)))
            }
        }
    }

    /// Ends a cool-down or window early.
    pub async fn clear(&self, key: &str) -> Result<(), EphemeralError> {
        match &self.backend {
            Backend::Local(map) => {
                map.lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .remove(key);
                Ok(())
            }
            Backend::Redis(conn) => {
                let mut conn = conn.clone();
                let _: () = conn.del(format!("{PREFIX}{key}")).await?;
                Ok(())
            }
        }
    }
}
