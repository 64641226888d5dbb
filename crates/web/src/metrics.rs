//! `GET /metrics`: the process's counters plus fleet-wide gauges read from the database.

use crate::HttpState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use neurocards_core::JobState;
use neurocards_core::metrics::{JobLabels, KindLabel};
use std::sync::Arc;

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Refreshes the database gauges and renders every metric.
pub async fn metrics(State(state): State<Arc<HttpState>>) -> impl IntoResponse {
    if let Err(error) = refresh_gauges(&state).await {
        tracing::warn!(error = %error, "metrics: database gauges unavailable");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain")],
            "database unavailable\n".to_owned(),
        );
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        state.metrics.render(),
    )
}

async fn refresh_gauges(state: &HttpState) -> Result<(), neurocards_store::StoreError> {
    let metrics = &state.metrics;
    let mut queued = 0;
    for (kind, job_state, count) in state.store.jobs_by_kind_and_state().await? {
        if job_state == JobState::Queued {
            queued += count;
        }
        metrics
            .jobs
            .get_or_create(&JobLabels {
                kind: kind.as_str().to_owned(),
                state: job_state.as_str().to_owned(),
            })
            .set(count);
    }
    metrics.queue_depth.set(queued);
    let totals = state.store.credit_totals(0).await?;
    for (direction, value) in [
        ("granted", totals.granted),
        ("purchased", totals.purchased),
        ("charged", totals.charged),
        ("refunded", totals.refunded),
    ] {
        metrics
            .credits
            .get_or_create(&KindLabel {
                kind: direction.to_owned(),
            })
            .set(value);
    }
    Ok(())
}
