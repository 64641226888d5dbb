//! API-key rotation: round-robin over healthy keys. A rate-limited key cools down (for the
//! provider's Retry-After, or a minute); an invalid or empty key is parked, and once its
//! park runs out (a few minutes) the key is re-checked with a cheap call before real work
//! goes to it. The state lives in [`Ephemeral`]: in Redis when shared, so every worker
//! agrees, in process otherwise. Keys are known there only by a fingerprint.

use neurocards_core::Secret;
use neurocards_ephemeral::Ephemeral;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// A rate-limited key rests this long when the provider did not say.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(60);
/// A parked key is re-checked after this long.
pub const DEFAULT_RECHECK: Duration = Duration::from_secs(300);
/// A key that was parked stays suspect (re-checked before use) this long.
const SUSPECT_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

/// One key as the rotation sees it.
#[derive(Clone)]
pub struct Key {
    /// The key itself.
    pub secret: Secret,
    /// A stable, non-secret name for it (hash prefix), stored with tasks.
    pub fingerprint: String,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({} {})", self.fingerprint, self.secret.masked())
    }
}

/// How a key is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyHealth {
    /// In rotation.
    Healthy,
    /// Rate-limited for a while.
    Cooling,
    /// Invalid or out of credits; re-checked later.
    Parked,
    /// Was parked; will be re-checked before its next use.
    Suspect,
}

/// What the rotation wants from the caller before it hands out a suspect key.
pub enum Pick {
    /// Use this key.
    Ready(Key),
    /// This key was parked; check it (e.g. with the credit endpoint) and report back with
    /// [`KeyRing::recheck_passed`] or [`KeyRing::park`].
    Recheck(Key),
    /// No key can be used now; the earliest comes back after this long, if known.
    Exhausted(Option<Duration>),
}

/// The rotating set of keys of one provider. Cheap to clone.
#[derive(Clone)]
pub struct KeyRing {
    inner: Arc<Inner>,
}

struct Inner {
    provider: &'static str,
    keys: Vec<Key>,
    next: AtomicUsize,
    state: Ephemeral,
    recheck_after_ms: AtomicU64,
}

/// A short stable name for a key: 12 hex digits of a hash; reveals nothing useful.
pub fn fingerprint(secret: &Secret) -> String {
    let mut hasher = DefaultHasher::new();
    secret.expose().hash(&mut hasher);
    format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}

impl KeyRing {
    /// Rotation over `keys` for `provider`, with its state in `state`.
    pub fn new(provider: &'static str, keys: &[Secret], state: Ephemeral) -> KeyRing {
        let keys = keys
            .iter()
            .map(|secret| Key {
                fingerprint: fingerprint(secret),
                secret: secret.clone(),
            })
            .collect();
        KeyRing {
            inner: Arc::new(Inner {
                provider,
                keys,
                next: AtomicUsize::new(0),
                state,
                recheck_after_ms: AtomicU64::new(DEFAULT_RECHECK.as_secs() * 1000),
            }),
        }
    }

    /// Re-checks parked keys after `after` instead of five minutes (tests).
    pub fn with_recheck_after(self, after: Duration) -> KeyRing {
        let millis = u64::try_from(after.as_millis()).unwrap_or(u64::MAX);
        self.inner.recheck_after_ms.store(millis, Ordering::Relaxed);
        self
    }

    /// Number of keys configured.
    pub fn len(&self) -> usize {
        self.inner.keys.len()
    }

    /// True when no key is configured.
    pub fn is_empty(&self) -> bool {
        self.inner.keys.is_empty()
    }

    /// Every key, in configuration order.
    pub fn keys(&self) -> &[Key] {
        &self.inner.keys
    }

    /// The key with this fingerprint, if configured.
    pub fn by_fingerprint(&self, fingerprint: &str) -> Option<Key> {
        self.inner
            .keys
            .iter()
            .find(|key| key.fingerprint == fingerprint)
            .cloned()
    }

    /// The next key to use, round-robin over the healthy ones.
    pub async fn pick(&self) -> Pick {
        let keys = &self.inner.keys;
        if keys.is_empty() {
            return Pick::Exhausted(None);
        }
        let start = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let mut soonest: Option<Duration> = None;
        for offset in 0..keys.len() {
            let key = &keys[(start + offset) % keys.len()];
            let blocked = [self.cool_key(key), self.park_key(key)];
            let mut wait = None;
            for flag in &blocked {
                if let Some(left) = self.read(flag).await {
                    wait = Some(wait.map_or(left, |w: Duration| w.max(left)));
                }
            }
            if let Some(left) = wait {
                soonest = Some(soonest.map_or(left, |s| s.min(left)));
                continue;
            }
            if self.read(&self.suspect_key(key)).await.is_some() {
                // Only one caller re-checks a key at a time; the others move on.
                let claim = self
                    .inner
                    .state
                    .hit(
                        &format!("{}:recheck", self.park_key(key)),
                        Duration::from_secs(30),
                    )
                    .await;
                if matches!(claim, Ok(1)) {
                    return Pick::Recheck(key.clone());
                }
                continue;
            }
            return Pick::Ready(key.clone());
        }
        Pick::Exhausted(soonest)
    }

    /// Cools a rate-limited key for `retry_after` (or a minute).
    pub async fn cool_down(&self, key: &Key, retry_after: Option<Duration>) {
        let duration = retry_after.unwrap_or(DEFAULT_COOLDOWN);
        tracing::warn!(provider = self.inner.provider, key = %key.secret.masked(), seconds = duration.as_secs(), "key rate-limited; cooling down");
        self.write(&self.cool_key(key), duration).await;
    }

    /// Parks an invalid or empty key until its next re-check.
    pub async fn park(&self, key: &Key, why: &str) {
        tracing::warn!(provider = self.inner.provider, key = %key.secret.masked(), why, "key parked");
        let recheck = Duration::from_millis(self.inner.recheck_after_ms.load(Ordering::Relaxed));
        self.write(&self.park_key(key), recheck).await;
        self.write(&self.suspect_key(key), SUSPECT_FOR).await;
    }

    /// A parked key answered its re-check: back in rotation.
    pub async fn recheck_passed(&self, key: &Key) {
        tracing::info!(provider = self.inner.provider, key = %key.secret.masked(), "parked key works again");
        for flag in [
            self.suspect_key(key),
            format!("{}:recheck", self.park_key(key)),
        ] {
            if let Err(error) = self.inner.state.clear(&flag).await {
                tracing::warn!(%error, "cannot clear a key flag");
            }
        }
    }

    /// Each key (masked) with its health, in configuration order.
    pub async fn health(&self) -> Vec<(String, KeyHealth)> {
        let mut out = Vec::new();
        for key in &self.inner.keys {
            let health = if self.read(&self.park_key(key)).await.is_some() {
                KeyHealth::Parked
            } else if self.read(&self.cool_key(key)).await.is_some() {
                KeyHealth::Cooling
            } else if self.read(&self.suspect_key(key)).await.is_some() {
                KeyHealth::Suspect
            } else {
                KeyHealth::Healthy
            };
            out.push((key.secret.masked(), health));
        }
        out
    }

    fn cool_key(&self, key: &Key) -> String {
        format!("key-cool:{}:{}", self.inner.provider, key.fingerprint)
    }

    fn park_key(&self, key: &Key) -> String {
        format!("key-park:{}:{}", self.inner.provider, key.fingerprint)
    }

    fn suspect_key(&self, key: &Key) -> String {
        format!("key-suspect:{}:{}", self.inner.provider, key.fingerprint)
    }

    async fn read(&self, flag: &str) -> Option<Duration> {
        match self.inner.state.cooling(flag).await {
            Ok(left) => left,
            Err(error) => {
                tracing::warn!(%error, "cannot read key state; treating the key as healthy");
                None
            }
        }
    }

    async fn write(&self, flag: &str, duration: Duration) {
        if let Err(error) = self.inner.state.cool_down(flag, duration).await {
            tracing::warn!(%error, "cannot record key state");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(n: usize) -> KeyRing {
        let keys: Vec<Secret> = (0..n)
            .map(|i| Secret::new(format!("key-{i}-abcdefgh")))
            .collect();
        KeyRing::new("kie", &keys, Ephemeral::local())
    }

    async fn ready(ring: &KeyRing) -> Key {
        match ring.pick().await {
            Pick::Ready(key) => key,
            _ => panic!("expected a ready key"),
        }
    }

    #[tokio::test]
    async fn round_robin_skips_cooling_and_parked_keys() {
        let ring = ring(3);
        let a = ready(&ring).await;
        let b = ready(&ring).await;
        assert_ne!(a.fingerprint, b.fingerprint);
        ring.cool_down(&a, Some(Duration::from_secs(30))).await;
        ring.park(&b, "402").await;
        for _ in 0..4 {
            let key = ready(&ring).await;
            assert_ne!(key.fingerprint, a.fingerprint);
            assert_ne!(key.fingerprint, b.fingerprint);
        }
        let health: Vec<KeyHealth> = ring.health().await.into_iter().map(|(_, h)| h).collect();
        assert_eq!(
            health,
            vec![KeyHealth::Cooling, KeyHealth::Parked, KeyHealth::Healthy]
        );
    }

    #[tokio::test]
    async fn exhausted_when_every_key_rests() {
        let ring = ring(2);
        let a = ready(&ring).await;
        let b = ready(&ring).await;
        ring.cool_down(&a, Some(Duration::from_secs(5))).await;
        ring.park(&b, "401").await;
        match ring.pick().await {
            Pick::Exhausted(Some(wait)) => assert!(wait <= Duration::from_secs(5)),
            _ => panic!("expected exhaustion"),
        }
        assert!(matches!(ring.pick().await, Pick::Exhausted(_)));
        assert!(matches!(
            KeyRing::new("kie", &[], Ephemeral::local()).pick().await,
            Pick::Exhausted(None)
        ));
    }

    #[tokio::test]
    async fn parked_keys_are_rechecked_after_their_park() {
        let ring = ring(1).with_recheck_after(Duration::from_millis(20));
        let key = ready(&ring).await;
        ring.park(&key, "402").await;
        assert!(matches!(ring.pick().await, Pick::Exhausted(_)));
        tokio::time::sleep(Duration::from_millis(30)).await;
        let Pick::Recheck(again) = ring.pick().await else {
            panic!("expected a re-check");
        };
        ring.recheck_passed(&again).await;
        assert_eq!(ready(&ring).await.fingerprint, key.fingerprint);
        assert!(!format!("{key:?}").contains("abcdefgh"));
    }
}
