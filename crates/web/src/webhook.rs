//! `POST /telegram/webhook`: updates pushed by Telegram, checked against the secret token
//! and processed before the answer, so an acknowledged update is never lost.

use crate::HttpState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::sync::Arc;

/// The header Telegram sends the secret in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// Telegram updates are small; anything larger is not from Telegram.
const MAX_UPDATE_BYTES: usize = 1024 * 1024;

pub fn routes() -> Router<Arc<HttpState>> {
    Router::new()
        .route("/telegram/webhook", post(telegram_webhook))
        .layer(DefaultBodyLimit::max(MAX_UPDATE_BYTES))
}

/// Compares two secrets in time that depends only on their lengths.
pub fn secrets_match(expected: &[u8], given: &[u8]) -> bool {
    if expected.len() != given.len() {
        return false;
    }
    expected
        .iter()
        .zip(given)
        .fold(0u8, |diff, (a, b)| diff | (a ^ b))
        == 0
}

async fn telegram_webhook(
    State(state): State<Arc<HttpState>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Some(webhook) = &state.webhook else {
        return StatusCode::NOT_FOUND;
    };
    let given = headers
        .get(SECRET_HEADER)
        .map(|value| value.as_bytes())
        .unwrap_or_default();
    if !secrets_match(webhook.secret.expose().as_bytes(), given) {
        return StatusCode::UNAUTHORIZED;
    }
    let update: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(update) => update,
        Err(_) => return StatusCode::BAD_REQUEST,
    };
    match (webhook.handler)(update).await {
        Ok(()) => StatusCode::OK,
        Err(error) => {
            tracing::error!(error, "webhook update failed; Telegram will re-deliver");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

#[cfg(test)]
mod tests {
    use super::secrets_match;

    #[test]
    fn secrets_compare_whole() {
        assert!(secrets_match(b"abc", b"abc"));
        assert!(!secrets_match(b"abc", b"abd"));
        assert!(!secrets_match(b"abc", b"ab"));
        assert!(!secrets_match(b"abc", b""));
    }
}
