//! Tells the admins about incidents, once per incident rather than once per job: every
//! provider key parked, the KIE balance under a threshold, more than 20% of generations
//! failing over 15 minutes.
//!
//! An incident is "open" while its condition holds; the flag lives in the store's settings,
//! so several workers and restarts agree that the admins were already told.

use neurocards_store::{Store, StoreError};
use teloxide::prelude::*;

/// The failure share over [`FAILURE_WINDOW_MS`] that raises the alarm.
pub const FAILURE_RATE_THRESHOLD: f64 = 0.2;
/// The window the failure rate is measured over.
pub const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Fewer finished jobs than this in the window say nothing about a rate.
pub const FAILURE_MIN_JOBS: i64 = 5;

/// Something the admins should know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incident {
    /// No provider key works; jobs wait.
    AllKeysParked,
    /// The KIE balance is under the threshold.
    LowProviderBalance,
    /// Too many generations fail.
    HighFailureRate,
}

impl Incident {
    fn key(self) -> &'static str {
        match self {
            Incident::AllKeysParked => "incident:all_keys_parked",
            Incident::LowProviderBalance => "incident:low_provider_balance",
            Incident::HighFailureRate => "incident:high_failure_rate",
        }
    }
}

/// Sends incident messages to the admins.
pub struct Alerts {
    store: Store,
    bot: Bot,
    admins: Vec<i64>,
}

impl Alerts {
    /// Alerts to `admins` through `bot`.
    pub fn new(store: Store, bot: Bot, admins: Vec<i64>) -> Self {
        Self { store, bot, admins }
    }

    /// Records whether `incident` holds now; tells the admins when it starts (with `detail`)
    /// and when it is over. Returns true when a message went out.
    pub async fn update(
        &self,
        incident: Incident,
        holds: bool,
        detail: &str,
    ) -> Result<bool, StoreError> {
        let open = self.store.setting(incident.key()).await?.as_deref() == Some("open");
        if holds == open {
            return Ok(false);
        }
        self.store
            .set_setting(incident.key(), if holds { "open" } else { "closed" })
            .await?;
        let text = if holds {
            format!("⚠️ {detail}")
        } else {
            format!("✅ Resolved: {}", describe(incident))
        };
        for admin in &self.admins {
            if let Err(error) = self.bot.send_message(ChatId(*admin), text.clone()).await {
                tracing::warn!(admin, error = %error, "could not alert an admin");
            }
        }
        Ok(true)
    }

    /// Checks the failure rate over the last 15 minutes and alerts on a change.
    pub async fn check_failure_rate(&self) -> Result<bool, StoreError> {
        let since = self.store.now_ms() - FAILURE_WINDOW_MS;
        let (done, failed) = self.store.outcomes_since(since).await?;
        let total = done + failed;
        let rate = if total == 0 {
            0.0
        } else {
            failed as f64 / total as f64
        };
        let holds = total >= FAILURE_MIN_JOBS && rate > FAILURE_RATE_THRESHOLD;
        let detail = format!(
            "{:.0}% of generations failed in the last 15 minutes ({failed} of {total}).",
            rate * 100.0
        );
        self.update(Incident::HighFailureRate, holds, &detail).await
    }
}

fn describe(incident: Incident) -> &'static str {
    match incident {
        Incident::AllKeysParked => "provider keys work again",
        Incident::LowProviderBalance => "the KIE balance is above the threshold",
        Incident::HighFailureRate => "the failure rate is back to normal",
    }
}

/// Under this many credits left on the best healthy key, the admins are told.
pub const LOW_BALANCE_CREDITS: f64 = 100.0;

/// Checks every incident every `every` until `shutdown`: the failure rate, every KIE key
/// parked, the KIE balance low. Runs in every worker process; the open/closed flags in the
/// store keep the admins from hearing the same thing from each.
pub async fn watch(
    alerts: Alerts,
    kie: Option<neurocards_providers::KieClient>,
    every: std::time::Duration,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Err(error) = alerts.check_failure_rate().await {
            tracing::warn!(%error, "failure-rate check failed");
        }
        let Some(kie) = &kie else { continue };
        let reports = crate::keys::key_reports(kie).await;
        if let Err(error) = alerts.check_keys(&reports).await {
            tracing::warn!(%error, "key checks failed");
        }
    }
}

impl Alerts {
    /// Alerts when every key is parked, and when the best healthy balance is low.
    pub async fn check_keys(&self, reports: &[crate::KeyReport]) -> Result<(), StoreError> {
        let all_parked = !reports.is_empty() && reports.iter().all(|r| r.health == "parked");
        self.update(
            Incident::AllKeysParked,
            all_parked,
            "Every KIE key is parked (invalid or out of credits): generations wait. Check the keys with `neurocards admin keys`.",
        )
        .await?;
        let best = reports
            .iter()
            .filter(|r| r.health != "parked")
            .filter_map(|r| r.credits)
            .reduce(f64::max);
        let low = best.is_some_and(|credits| credits < LOW_BALANCE_CREDITS);
        let detail = format!(
            "The KIE balance is low: {:.0} credits left on the best key. Top it up to keep generations running.",
            best.unwrap_or_default()
        );
        self.update(Incident::LowProviderBalance, low, &detail)
            .await?;
        Ok(())
    }
}
