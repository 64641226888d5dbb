//! Prometheus metrics shared by every part of one process.
//!
//! Counters move where things happen (updates in the bot, provider calls in the worker);
//! gauges that describe the database (jobs by state, credits) are set right before each
//! scrape by the HTTP server, so they are true for the whole fleet, not one process.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;

/// Labels naming one kind of thing (update type, job kind, error class ...).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// The kind.
    pub kind: String,
}

/// Labels of a provider call.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProviderLabels {
    /// `kie`, `openai`, `telegram`.
    pub provider: String,
    /// `ok` or an error class.
    pub outcome: String,
}

/// Labels of a job gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    /// neurocard or reels.
    pub kind: String,
    /// queued, running, done, failed.
    pub state: String,
}

/// Labels of a health gauge (keys, proxies).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HealthLabels {
    /// healthy, cooling, parked.
    pub health: String,
}

/// Every metric of the product. Cheap to clone; clones share the values.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    /// Telegram updates handled, by type (message, callback_query ...).
    pub updates_handled: Family<KindLabel, Counter>,
    /// Calls to external providers, by provider and outcome.
    pub provider_calls: Family<ProviderLabels, Counter>,
    /// Generation time from claim to delivery, by job kind.
    pub job_duration_seconds: Family<KindLabel, Histogram>,
    /// Jobs in the database, by kind and state (set at scrape).
    pub jobs: Family<JobLabels, Gauge>,
    /// Jobs waiting for a worker (set at scrape).
    pub queue_depth: Gauge,
    /// Credits moved since the start, by direction: granted, purchased, charged, refunded
    /// (set at scrape from the ledger).
    pub credits: Family<KindLabel, Gauge>,
    /// Provider API keys by health (set by the worker).
    pub provider_keys: Family<HealthLabels, Gauge>,
    /// Outbound proxies by health (set by the worker).
    pub proxies: Family<HealthLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh set of metrics, registered under the `neurocards` prefix.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("neurocards");
        let updates_handled = Family::<KindLabel, Counter>::default();
        let provider_calls = Family::<ProviderLabels, Counter>::default();
        let job_duration_seconds = Family::<KindLabel, Histogram>::new_with_constructor(
            (|| {
                Histogram::new([
                    15.0, 30.0, 60.0, 90.0, 120.0, 180.0, 300.0, 600.0, 1200.0, 1800.0,
                ])
            }) as fn() -> Histogram,
        );
        let jobs = Family::<JobLabels, Gauge>::default();
        let queue_depth = Gauge::default();
        let credits = Family::<KindLabel, Gauge>::default();
        let provider_keys = Family::<HealthLabels, Gauge>::default();
        let proxies = Family::<HealthLabels, Gauge>::default();
        registry.register(
            "updates_handled",
            "Telegram updates handled, by type",
            updates_handled.clone(),
        );
        registry.register(
            "provider_calls",
            "Calls to external providers, by provider and outcome",
            provider_calls.clone(),
        );
        registry.register(
            "job_duration_seconds",
            "Time from a job's first claim to its delivery",
            job_duration_seconds.clone(),
        );
        registry.register(
            "jobs",
            "Jobs in the database by kind and state",
            jobs.clone(),
        );
        registry.register(
            "queue_depth",
            "Jobs waiting for a worker",
            queue_depth.clone(),
        );
        registry.register(
            "credits",
            "Credits moved since the start, by direction",
            credits.clone(),
        );
        registry.register(
            "provider_keys",
            "Provider API keys by health",
            provider_keys.clone(),
        );
        registry.register("proxies", "Outbound proxies by health", proxies.clone());
        Metrics {
            registry: Arc::new(registry),
            updates_handled,
            provider_calls,
            job_duration_seconds,
            jobs,
            queue_depth,
            credits,
            provider_keys,
            proxies,
        }
    }

    /// Counts one handled update of `kind`.
    pub fn update_handled(&self, kind: &str) {
        self.updates_handled
            .get_or_create(&KindLabel {
                kind: kind.to_owned(),
            })
            .inc();
    }

    /// Counts one provider call.
    pub fn provider_call(&self, provider: &str, outcome: &str) {
        self.provider_calls
            .get_or_create(&ProviderLabels {
                provider: provider.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_what_moved() {
        let metrics = Metrics::new();
        metrics.update_handled("message");
        metrics.update_handled("message");
        metrics.provider_call("kie", "ok");
        metrics.queue_depth.set(3);
        let text = metrics.render();
        assert!(
            text.contains("neurocards_updates_handled_total{kind=\"message\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("neurocards_provider_calls_total{provider=\"kie\",outcome=\"ok\"} 1")
        );
        assert!(text.contains("neurocards_queue_depth 3"));
        assert!(text.trim_end().ends_with("# EOF"));
    }
}
