//! A fake of OpenAI's `POST /v1/chat/completions` (non-streaming): bearer auth, a real
//! `chat.completion` object whose content is a deterministic "enhanced prompt" made from the
//! last user message, OpenAI's error objects, and faults on demand.

use crate::server::Server;
use crate::util::{bearer, lock, random_id, unix_now};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// A failure for a coming call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AiFault {
    /// 401 `invalid_api_key`.
    Unauthorized,
    /// 429 `rate_limit_exceeded` with a `Retry-After` header (seconds).
    RateLimited(u32),
    /// 500 `server_error`.
    ServerError,
    /// No answer at all.
    Hang,
    /// A normal completion whose `content` is empty.
    EmptyContent,
}

#[derive(Default)]
struct Inner {
    api_key: Option<String>,
    faults: VecDeque<AiFault>,
    requests: Vec<Value>,
    calls: usize,
}

struct AiState {
    inner: Mutex<Inner>,
}

/// A running OpenAI-compatible fake. Cheap to clone.
#[derive(Clone)]
pub struct FakeOpenAi {
    state: Arc<AiState>,
    server: Arc<Server>,
}

/// The content the fake answers for `text` (the last user message).
pub fn enhance(text: &str) -> String {
    format!(
        "Cinematic shot: {}, smooth camera motion, soft natural lighting, shallow depth of field, high detail",
        text.trim()
    )
}

impl FakeOpenAi {
    /// Starts the fake; any non-empty bearer key is accepted until [`require_key`](Self::require_key).
    ///
    /// # Panics
    /// If no local port can be bound (a broken test machine).
    pub async fn start() -> Self {
        let state = Arc::new(AiState {
            inner: Mutex::new(Inner::default()),
        });
        let router = Router::new()
            .route("/v1/chat/completions", post(completions))
            .with_state(state.clone());
        let server = Server::start(router)
            .await
            .expect("bind a local port for the OpenAI fake");
        Self {
            state,
            server: Arc::new(server),
        }
    }

    /// `OPENAI_BASE_URL`: `http://127.0.0.1:<port>/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.server.base_url())
    }

    /// Only `key` is accepted from now on.
    pub fn require_key(&self, key: &str) {
        lock(&self.state.inner).api_key = Some(key.to_owned());
    }

    /// The next `times` calls fail with `fault`.
    pub fn fail_next(&self, times: usize, fault: AiFault) {
        let mut inner = lock(&self.state.inner);
        for _ in 0..times {
            inner.faults.push_back(fault);
        }
    }

    /// Calls received (any outcome).
    pub fn calls(&self) -> usize {
        lock(&self.state.inner).calls
    }

    /// Bodies of the calls received, in order.
    pub fn requests(&self) -> Vec<Value> {
        lock(&self.state.inner).requests.clone()
    }
}

fn error(status: StatusCode, message: &str, kind: &str, code: Option<&str>) -> Response {
    let body = json!({
        "error": { "message": message, "type": kind, "param": null, "code": code }
    });
    (status, Json(body)).into_response()
}

async fn completions(
    State(state): State<Arc<AiState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed = serde_json::from_slice::<Value>(&body).ok();
    let (fault, expected_key) = {
        let mut inner = lock(&state.inner);
        inner.calls += 1;
        inner.requests.push(parsed.clone().unwrap_or(Value::Null));
        (inner.faults.pop_front(), inner.api_key.clone())
    };
    let key = bearer(&headers);
    let unauthorized = || {
        error(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            Some("invalid_api_key"),
        )
    };
    match fault {
        Some(AiFault::Unauthorized) => return unauthorized(),
        Some(AiFault::RateLimited(secs)) => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit reached for requests. Please try again later.",
                "requests",
                Some("rate_limit_exceeded"),
            );
            response.headers_mut().insert(
                "retry-after",
                secs.to_string()
                    .parse()
                    .unwrap_or(axum::http::HeaderValue::from_static("1")),
            );
            return response;
        }
        Some(AiFault::ServerError) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The server had an error while processing your request. Sorry about that!",
                "server_error",
                None,
            );
        }
        Some(AiFault::Hang) => return std::future::pending().await,
        Some(AiFault::EmptyContent) | None => {}
    }
    let Some(key) = key else {
        return error(
            StatusCode::UNAUTHORIZED,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            "invalid_request_error",
            None,
        );
    };
    if expected_key.is_some_and(|k| k != key) {
        return unauthorized();
    }
    let Some(request) = parsed.filter(Value::is_object) else {
        return error(
            StatusCode::BAD_REQUEST,
            "We could not parse the JSON body of your request.",
            "invalid_request_error",
            None,
        );
    };
    let Some(model) = request
        .get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "you must provide a model parameter",
            "invalid_request_error",
            None,
        );
    };
    let Some(messages) = request
        .get("messages")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "Missing required parameter: 'messages'.",
            "invalid_request_error",
            Some("missing_required_parameter"),
        );
    };
    if request.get("stream").and_then(Value::as_bool) == Some(true) {
        return error(
            StatusCode::BAD_REQUEST,
            "Streaming is not supported by this fake.",
            "invalid_request_error",
            None,
        );
    }
    let user_text = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .and_then(|m| content_text(m.get("content")))
        .unwrap_or_default();
    let content = if fault == Some(AiFault::EmptyContent) {
        String::new()
    } else {
        enhance(&user_text)
    };
    let prompt_tokens: usize = messages
        .iter()
        .map(|m| {
            content_text(m.get("content"))
                .unwrap_or_default()
                .split_whitespace()
                .count()
                + 4
        })
        .sum();
    let completion_tokens = content.split_whitespace().count();
    Json(json!({
        "id": format!("chatcmpl-{}", random_id(29)),
        "object": "chat.completion",
        "created": unix_now(),
        "model": model,
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content, "refusal": null },
            "logprobs": null,
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": "fp_fake",
    }))
    .into_response()
}

/// Text of a message `content`: a string, or the text parts of an array.
fn content_text(content: Option<&Value>) -> Option<String> {
    match content? {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => Some(
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    }
}
