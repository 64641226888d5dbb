//! A user who sends too much is answered once and then ignored for a while, without
//! slowing anyone else. Counters live in the shared ephemeral state (Redis when
//! configured), so every bot replica agrees.

use neurocards_ephemeral::Ephemeral;
use std::time::Duration;

/// When a user counts as flooding, and for how long they are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodLimits {
    /// Updates allowed per window.
    pub max_updates: u64,
    /// The window.
    pub window: Duration,
    /// How long a flooding user is ignored.
    pub pause: Duration,
}

impl Default for FloodLimits {
    fn default() -> Self {
        Self {
            max_updates: 20,
            window: Duration::from_secs(10),
            pause: Duration::from_secs(60),
        }
    }
}

/// What to do with a user's update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Handle it.
    Handle,
    /// Over the limit just now: tell the user once, handle nothing.
    Warn,
    /// Paused: drop it silently.
    Ignore,
}

/// Counts the update of `user` and decides. A broken Redis lets updates through: being
/// answered matters more than being protected.
pub async fn check(shared: &Ephemeral, limits: FloodLimits, user: i64) -> Verdict {
    let paused = format!("flood:paused:{user}");
    match shared.cooling(&paused).await {
        Ok(Some(_)) => return Verdict::Ignore,
        Ok(None) => {}
        Err(error) => {
            tracing::warn!(%error, "flood check unavailable");
            return Verdict::Handle;
        }
    }
    match shared
        .hit(&format!("flood:hits:{user}"), limits.window)
        .await
    {
        Ok(hits) if hits > limits.max_updates => {
            if let Err(error) = shared.cool_down(&paused, limits.pause).await {
                tracing::warn!(%error, "cannot pause a flooding user");
            }
            Verdict::Warn
        }
        Ok(_) => Verdict::Handle,
        Err(error) => {
            tracing::warn!(%error, "flood check unavailable");
            Verdict::Handle
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn warns_once_then_ignores_only_the_flooder() {
        let shared = Ephemeral::local();
        let limits = FloodLimits {
            max_updates: 3,
            window: Duration::from_secs(60),
            pause: Duration::from_secs(60),
        };
        for _ in 0..3 {
            assert_eq!(check(&shared, limits, 1).await, Verdict::Handle);
        }
        assert_eq!(check(&shared, limits, 1).await, Verdict::Warn);
        assert_eq!(check(&shared, limits, 1).await, Verdict::Ignore);
        assert_eq!(check(&shared, limits, 2).await, Verdict::Handle);
    }
}
