//! The task API on `api.kie.ai`: `createTask`, `recordInfo` and `chat/credit`, with bearer
//! auth and the `{"code","msg","data"}` envelope (HTTP 200, the outcome in `code`).

use super::KieState;
use super::state::{CreatedTask, Endpoint, KeyState, KieFault, Task, TaskState};
use super::tasks;
use crate::media;
use crate::util::{bearer, random_hex, unix_millis};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

const PROMPT_LIMIT: usize = 2500;

/// The envelope.
pub(crate) fn envelope(code: u16, msg: &str, data: Value) -> Response {
    Json(json!({ "code": code, "msg": msg, "data": data })).into_response()
}

fn fault_response(fault: KieFault) -> Option<Response> {
    match fault {
        KieFault::Maintenance => Some(envelope(
            455,
            "Service unavailable: the system is under maintenance",
            Value::Null,
        )),
        KieFault::ServerError => Some(envelope(
            500,
            "Server error, please try again later",
            Value::Null,
        )),
        KieFault::GenerationFailed => Some(envelope(501, "Generation failed", Value::Null)),
        KieFault::Hang => None,
        KieFault::Code(code) => {
            let msg = match code {
                400 => "Bad request: the request parameters are invalid",
                401 => "You do not have access permissions",
                402 => "Insufficient credits",
                404 => "Not found",
                422 => "Validation error: the request parameters failed validation",
                429 => "Rate limited: too many requests",
                505 => "This feature is currently disabled",
                _ => "Error",
            };
            Some(envelope(code, msg, Value::Null))
        }
    }
}

/// Auth, queued faults and key state for one call; `Err` is the answer to give instead.
pub(crate) async fn admit(
    state: &KieState,
    headers: &HeaderMap,
    endpoint: Endpoint,
) -> Result<String, Response> {
    let (key, fault, key_state) = {
        let mut inner = state.lock();
        *inner.calls.entry(endpoint).or_default() += 1;
        let key = bearer(headers);
        let fault = inner.take_fault(endpoint);
        let key_state = key.as_deref().map(|k| inner.key_state(k));
        (key, fault, key_state)
    };
    if let Some(fault) = fault {
        return match fault_response(fault) {
            Some(response) => Err(response),
            None => std::future::pending().await,
        };
    }
    let Some(key) = key else {
        return Err(envelope(
            401,
            "You do not have access permissions",
            Value::Null,
        ));
    };
    match key_state {
        Some(KeyState::Invalid) => Err(envelope(
            401,
            "You do not have access permissions",
            Value::Null,
        )),
        Some(KeyState::RateLimited) => Err(envelope(
            429,
            "The call frequency is too high, please try again later",
            Value::Null,
        )),
        Some(KeyState::OutOfCredits) if endpoint == Endpoint::CreateTask => Err(insufficient()),
        _ => Ok(key),
    }
}

fn insufficient() -> Response {
    envelope(
        402,
        "The current credits are insufficient. Please top up.",
        Value::Null,
    )
}

fn invalid(msg: &str) -> Response {
    envelope(422, msg, Value::Null)
}

fn is_http_url(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.starts_with("http://") || s.starts_with("https://"))
}

/// Checks a createTask body the way the Kling models' schemas do; returns the prompt.
fn validate(body: &Value) -> Result<(String, String, i64), String> {
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.trim().is_empty())
        .ok_or_else(|| "model is required".to_owned())?;
    if let Some(url) = body.get("callBackUrl").filter(|v| !v.is_null())
        && !is_http_url(url)
    {
        return Err("callBackUrl must be a valid URL".to_owned());
    }
    let input = body
        .get("input")
        .filter(|i| i.is_object())
        .ok_or_else(|| "input is required".to_owned())?;
    let prompt = input
        .get("prompt")
        .and_then(Value::as_str)
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| "input.prompt is required".to_owned())?;
    if prompt.chars().count() > PROMPT_LIMIT {
        return Err("input.prompt must be at most 2500 characters".to_owned());
    }
    if model.contains("image-to-video") {
        let single = input.get("image_url").filter(|v| !v.is_null());
        let many = input.get("image_urls").filter(|v| !v.is_null());
        match (single, many) {
            (None, None) => return Err("input.image_url is required for image-to-video".to_owned()),
            (Some(url), _) if !is_http_url(url) => {
                return Err("input.image_url must be a valid URL".to_owned());
            }
            (_, Some(urls)) => {
                let ok = urls
                    .as_array()
                    .is_some_and(|a| !a.is_empty() && a.iter().all(is_http_url));
                if !ok {
                    return Err("input.image_urls must be a non-empty array of URLs".to_owned());
                }
            }
            _ => {}
        }
    }
    let duration = match input.get("duration") {
        None | Some(Value::Null) => 5,
        Some(Value::String(d)) if d == "5" => 5,
        Some(Value::String(d)) if d == "10" => 10,
        Some(_) => return Err("input.duration must be one of \"5\", \"10\"".to_owned()),
    };
    if let Some(ratio) = input.get("aspect_ratio").filter(|v| !v.is_null()) {
        let ok = ratio
            .as_str()
            .is_some_and(|r| ["16:9", "9:16", "1:1"].contains(&r));
        if !ok {
            return Err("input.aspect_ratio must be one of 16:9, 9:16, 1:1".to_owned());
        }
    }
    if let Some(cfg) = input.get("cfg_scale").filter(|v| !v.is_null()) {
        let ok = cfg.as_f64().is_some_and(|c| (0.0..=1.0).contains(&c));
        if !ok {
            return Err("input.cfg_scale must be a number between 0 and 1".to_owned());
        }
    }
    if let Some(negative) = input.get("negative_prompt").filter(|v| !v.is_null()) {
        let ok = negative
            .as_str()
            .is_some_and(|n| n.chars().count() <= PROMPT_LIMIT);
        if !ok {
            return Err(
                "input.negative_prompt must be a string of at most 2500 characters".to_owned(),
            );
        }
    }
    Ok((model.to_owned(), prompt.to_owned(), duration))
}

pub(crate) async fn create_task(
    State(state): State<Arc<KieState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = match admit(&state, &headers, Endpoint::CreateTask).await {
        Ok(key) => key,
        Err(response) => return response,
    };
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return invalid("request body must be JSON");
    };
    let (model, prompt, duration) = match validate(&body) {
        Ok(v) => v,
        Err(msg) => return invalid(&msg),
    };
    let task_id = random_hex(16);
    {
        let mut inner = state.lock();
        let cost = inner.cost_per_5s * duration / 5;
        let credits = inner.credits_of(&key);
        if credits < cost {
            return insufficient();
        }
        inner.credits.insert(key.clone(), credits - cost);
        let fail = inner.fail_next_tasks.pop_front();
        let now = unix_millis();
        let task = Task {
            created: CreatedTask {
                task_id: task_id.clone(),
                key,
                model,
                prompt,
                body: body.clone(),
            },
            callback_url: body
                .get("callBackUrl")
                .and_then(Value::as_str)
                .map(str::to_owned),
            state: TaskState::Waiting,
            fail,
            result_urls: Vec::new(),
            create_ms: now,
            update_ms: now,
            complete_ms: None,
            cost,
        };
        inner.tasks.insert(task_id.clone(), task);
        inner.order.push(task_id.clone());
    }
    state.notify();
    tokio::spawn(tasks::run(state.clone(), task_id.clone()));
    envelope(200, "success", json!({ "taskId": task_id }))
}

/// `data` of recordInfo and of callbacks.
pub(crate) fn task_data(task: &Task) -> Value {
    let cost_secs = task
        .complete_ms
        .map(|done| ((done - task.create_ms) as f64 / 1000.0).round() as i64)
        .unwrap_or(0);
    let result_json = if task.state == TaskState::Success {
        json!({ "resultUrls": task.result_urls }).to_string()
    } else {
        String::new()
    };
    let (fail_code, fail_msg) = match (&task.state, &task.fail) {
        (TaskState::Fail, Some((code, msg))) => (code.clone(), msg.clone()),
        _ => (String::new(), String::new()),
    };
    json!({
        "taskId": task.created.task_id,
        "model": task.created.model,
        "state": task.state.as_str(),
        "param": task.created.body.to_string(),
        "resultJson": result_json,
        "failCode": fail_code,
        "failMsg": fail_msg,
        "costTime": cost_secs,
        "completeTime": task.complete_ms,
        "createTime": task.create_ms,
        "updateTime": task.update_ms,
    })
}

pub(crate) async fn record_info(
    State(state): State<Arc<KieState>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(id) = query.get("taskId") {
        *state.lock().status_queries.entry(id.clone()).or_default() += 1;
        state.notify();
    }
    let key = match admit(&state, &headers, Endpoint::RecordInfo).await {
        Ok(key) => key,
        Err(response) => return response,
    };
    let Some(task_id) = query.get("taskId").filter(|t| !t.is_empty()) else {
        return invalid("taskId is required");
    };
    let inner = state.lock();
    match inner.tasks.get(task_id).filter(|t| t.created.key == key) {
        Some(task) => envelope(200, "success", task_data(task)),
        None => envelope(404, "recordInfo is null", Value::Null),
    }
}

pub(crate) async fn credit(State(state): State<Arc<KieState>>, headers: HeaderMap) -> Response {
    let key = match admit(&state, &headers, Endpoint::Credit).await {
        Ok(key) => key,
        Err(response) => return response,
    };
    let inner = state.lock();
    let credits = match inner.key_state(&key) {
        KeyState::OutOfCredits => 0,
        _ => inner.credits_of(&key),
    };
    envelope(200, "success", json!(credits))
}

/// A finished task's video: the real MP4.
pub(crate) async fn result_file(
    Path(file): Path<String>,
    State(state): State<Arc<KieState>>,
) -> Response {
    let task_id = file.trim_end_matches(".mp4");
    let known = state
        .lock()
        .tasks
        .get(task_id)
        .is_some_and(|t| t.state == TaskState::Success);
    if !known {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [(header::CONTENT_TYPE, "video/mp4")],
        Bytes::from_static(media::MP4),
    )
        .into_response()
}
