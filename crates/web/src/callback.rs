//! `POST /kie/callback/{token}`: KIE says a task is done. The token is per job and
//! unguessable; the body is not trusted — the worker asks KIE for the task's state itself.

use crate::HttpState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use std::sync::Arc;

/// Unknown token → 404; a finished job → 200 (KIE may repeat itself); otherwise wake the
/// worker waiting on the job and answer 200.
pub async fn kie_callback(
    State(state): State<Arc<HttpState>>,
    Path(token): Path<String>,
) -> StatusCode {
    let job = match state.store.job_by_callback_token(&token).await {
        Ok(Some(job)) => job,
        Ok(None) => return StatusCode::NOT_FOUND,
        Err(error) => {
            tracing::error!(error = %error, "KIE callback: database unavailable");
            // KIE retries callbacks that fail; polling is the fallback anyway.
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    };
    if !job.state.is_terminal()
        && let Some(wake) = &state.job_waker
    {
        wake(job.id);
    }
    StatusCode::OK
}
