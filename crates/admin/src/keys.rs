//! The provider keys as an operator sees them: each one masked, its health in the rotation
//! (shared through Redis when configured) and the credits left on its account.

use neurocards_providers::KieClient;
use neurocards_providers::keys::KeyHealth;
use serde::Serialize;
use std::fmt::Write as _;
use std::time::Duration;

/// How long a balance question may take before the report goes without it.
const CREDIT_TIMEOUT: Duration = Duration::from_secs(10);

/// One key's state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyReport {
    /// The key, masked (`abcd…wxyz`).
    pub key: String,
    /// healthy, cooling, parked or suspect.
    pub health: &'static str,
    /// Credits left on the key's account, when KIE answered.
    pub credits: Option<f64>,
}

fn health_name(health: KeyHealth) -> &'static str {
    match health {
        KeyHealth::Healthy => "healthy",
        KeyHealth::Cooling => "cooling",
        KeyHealth::Parked => "parked",
        KeyHealth::Suspect => "suspect",
    }
}

/// Every configured KIE key with its health and balance.
pub async fn key_reports(kie: &KieClient) -> Vec<KeyReport> {
    let ring = kie.keys();
    let health = ring.health().await;
    let mut reports = Vec::with_capacity(health.len());
    for (key, (masked, health)) in ring.keys().iter().zip(health) {
        let credits = match tokio::time::timeout(CREDIT_TIMEOUT, kie.credit(key)).await {
            Ok(Ok(credits)) => Some(credits),
            _ => None,
        };
        reports.push(KeyReport {
            key: masked,
            health: health_name(health),
            credits,
        });
    }
    reports
}

/// One line per key, and a summary line first.
pub fn render_keys(reports: &[KeyReport]) -> String {
    let count = |name: &str| reports.iter().filter(|r| r.health == name).count();
    let mut out = format!(
        "keys      {} configured: healthy {}, cooling {}, parked {}, suspect {}\n",
        reports.len(),
        count("healthy"),
        count("cooling"),
        count("parked"),
        count("suspect")
    );
    for report in reports {
        let credits = report
            .credits
            .map_or("balance unknown".to_owned(), |c| format!("{c:.0} credits"));
        let _ = writeln!(out, "          {} {}, {credits}", report.key, report.health);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_each_health() {
        let reports = [
            KeyReport {
                key: "k1…aa".into(),
                health: "healthy",
                credits: Some(120.0),
            },
            KeyReport {
                key: "k2…bb".into(),
                health: "parked",
                credits: None,
            },
        ];
        let text = render_keys(&reports);
        assert!(text.starts_with("keys      2 configured: healthy 1, cooling 0, parked 1"));
        assert!(text.contains("k1…aa healthy, 120 credits"));
        assert!(text.contains("k2…bb parked, balance unknown"));
    }
}
