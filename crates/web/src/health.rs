//! Liveness and readiness.

use crate::HttpState;
use axum::extract::State;
use axum::http::StatusCode;
use std::sync::Arc;
use std::time::Duration;

/// How long a dependency may take to answer a readiness check.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The process is alive.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// The database and, if configured, Redis answer; otherwise 503 naming the failing part.
pub async fn readyz(State(state): State<Arc<HttpState>>) -> (StatusCode, String) {
    let mut failing = Vec::new();
    match tokio::time::timeout(CHECK_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "readiness: database unreachable");
            failing.push("database");
        }
        Err(_) => failing.push("database"),
    }
    if let Some(client) = &state.redis
        && !redis_answers(client).await
    {
        failing.push("redis");
    }
    if failing.is_empty() {
        (StatusCode::OK, "ready\n".to_owned())
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("unavailable: {}\n", failing.join(", ")),
        )
    }
}

async fn redis_answers(client: &redis::Client) -> bool {
    let ping = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    matches!(tokio::time::timeout(CHECK_TIMEOUT, ping).await, Ok(Ok(_)))
}
