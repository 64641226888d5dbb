//! The update queue and its two exits: `getUpdates` long polling (offset confirms,
//! a waiting call returns as soon as an update arrives, a newer poll terminates an older one)
//! and webhooks (POSTed in order with the secret header, re-delivered until answered 2xx).

use super::TgState;
use super::params::Params;
use super::reply::ApiError;
use super::state::{Inner, Webhook};
use crate::util::unix_now;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Update kinds Telegram sends when `allowed_updates` is not set.
const DEFAULT_EXCLUDED: &[&str] = &["chat_member", "message_reaction", "message_reaction_count"];

/// Delivery attempts per update before the webhook sender gives up on it. Telegram keeps
/// trying for a long while; with the capped back-off below this spans about 30 s, enough
/// for a bot process to restart.
const WEBHOOK_ATTEMPTS: u32 = 24;

/// The kind of an update (`"message"`, `"callback_query"`, ...).
fn kind_of(update: &Value) -> &str {
    update
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "update_id"))
        .map(String::as_str)
        .unwrap_or("")
}

fn allowed(filter: Option<&Vec<String>>, update: &Value) -> bool {
    let kind = kind_of(update);
    match filter {
        Some(list) if !list.is_empty() => list.iter().any(|k| k == kind),
        _ => !DEFAULT_EXCLUDED.contains(&kind),
    }
}

/// Queues an update of `kind`; returns its `update_id`.
pub(crate) fn push_update(state: &TgState, inner: &mut Inner, kind: &str, payload: Value) -> i64 {
    inner.last_update_id += 1;
    let id = inner.last_update_id;
    let mut update = json!({ "update_id": id });
    update[kind] = payload;
    let filter = match &inner.webhook {
        Some(hook) => hook.allowed_updates.clone(),
        None => inner.allowed_updates.clone(),
    };
    if allowed(filter.as_ref(), &update) {
        inner.updates.push_back(update);
    }
    state.notify_updates();
    id
}

fn parse_allowed(params: &Params) -> Result<Option<Vec<String>>, ApiError> {
    Ok(params.json("allowed_updates")?.and_then(|v| {
        v.as_array().map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
    }))
}

pub(crate) async fn get_updates(state: &Arc<TgState>, params: &Params) -> Result<Value, ApiError> {
    let offset = params.i64("offset")?.unwrap_or(0);
    let limit = params.i64("limit")?.unwrap_or(100).clamp(1, 100) as usize;
    let timeout = params.i64("timeout")?.unwrap_or(0).clamp(0, 50) as u64;
    let new_filter = parse_allowed(params)?;
    let mut changes = state.updates_changed.subscribe();
    let generation = {
        let mut inner = state.lock();
        if inner.webhook.is_some() {
            return Err(ApiError::new(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            ));
        }
        if let Some(filter) = new_filter {
            inner.allowed_updates = Some(filter);
        }
        if offset > 0 {
            while inner
                .updates
                .front()
                .and_then(|u| u["update_id"].as_i64())
                .is_some_and(|id| id < offset)
            {
                inner.updates.pop_front();
            }
        }
        inner.poll_generation += 1;
        inner.poll_generation
    };
    state.notify_updates();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    loop {
        changes.borrow_and_update();
        {
            let mut inner = state.lock();
            if inner.poll_generation != generation {
                return Err(ApiError::new(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                ));
            }
            let filter = inner.allowed_updates.clone();
            inner.updates.retain(|u| allowed(filter.as_ref(), u));
            let batch: Vec<Value> = if offset < 0 {
                let skip = inner
                    .updates
                    .len()
                    .saturating_sub(offset.unsigned_abs() as usize);
                inner
                    .updates
                    .iter()
                    .skip(skip)
                    .take(limit)
                    .cloned()
                    .collect()
            } else {
                inner.updates.iter().take(limit).cloned().collect()
            };
            if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
                return Ok(Value::Array(batch));
            }
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return Ok(json!([])); },
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
}

pub(crate) fn set_webhook(state: &TgState, params: &Params) -> Result<Value, ApiError> {
    let url = params.str("url").unwrap_or_default();
    let mut inner = state.lock();
    if params.bool("drop_pending_updates") {
        inner.updates.clear();
    }
    if url.is_empty() {
        inner.webhook = None;
        return Ok(json!(true));
    }
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ApiError::bad_request(
            "bad webhook: An HTTPS URL must be provided for webhook",
        ));
    }
    if let Some(secret) = params.str("secret_token") {
        let valid = (1..=256).contains(&secret.len())
            && secret
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(ApiError::bad_request(
                "secret token contains unallowed characters",
            ));
        }
    }
    inner.webhook = Some(Webhook {
        url,
        secret_token: params.str("secret_token"),
        max_connections: params.i64("max_connections")?.unwrap_or(40).clamp(1, 100) as u32,
        allowed_updates: parse_allowed(params)?,
        last_error: None,
    });
    drop(inner);
    state.notify_updates();
    Ok(json!(true))
}

pub(crate) fn delete_webhook(state: &TgState, params: &Params) -> Result<Value, ApiError> {
    let mut inner = state.lock();
    inner.webhook = None;
    if params.bool("drop_pending_updates") {
        inner.updates.clear();
    }
    Ok(json!(true))
}

pub(crate) fn webhook_info(state: &TgState) -> Value {
    let inner = state.lock();
    let pending = inner.updates.len();
    match &inner.webhook {
        None => {
            json!({ "url": "", "has_custom_certificate": false, "pending_update_count": pending })
        }
        Some(hook) => {
            let mut info = json!({
                "url": hook.url,
                "has_custom_certificate": false,
                "pending_update_count": pending,
                "max_connections": hook.max_connections,
                "ip_address": "127.0.0.1",
            });
            if let Some((date, message)) = &hook.last_error {
                info["last_error_date"] = json!(date);
                info["last_error_message"] = json!(message);
            }
            if let Some(allowed) = &hook.allowed_updates {
                info["allowed_updates"] = json!(allowed);
            }
            info
        }
    }
}

/// The webhook sender: one update at a time, in queue order (so in order per chat).
pub(crate) async fn deliver_webhooks(state: Arc<TgState>, mut shutdown: watch::Receiver<bool>) {
    let mut changes = state.updates_changed.subscribe();
    let mut attempts = 0u32;
    loop {
        changes.borrow_and_update();
        let next = {
            let inner = state.lock();
            inner
                .webhook
                .as_ref()
                .and_then(|hook| Some((hook.clone(), inner.updates.front()?.clone())))
        };
        let Some((hook, update)) = next else {
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return; },
                _ = shutdown.changed() => return,
            }
            continue;
        };
        let mut request = state.http.post(&hook.url).json(&update);
        if let Some(secret) = &hook.secret_token {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        let outcome = tokio::select! {
            result = request.send() => result,
            _ = shutdown.changed() => return,
        };
        let error = match outcome {
            Ok(response) if response.status().is_success() => None,
            Ok(response) => Some(format!(
                "Wrong response from the webhook: {}",
                response.status()
            )),
            Err(e) if e.is_connect() => Some("Connection refused".to_owned()),
            Err(e) => Some(format!("Failed to deliver: {e}")),
        };
        let delivered_or_given_up = {
            let mut inner = state.lock();
            if let (Some(message), Some(hook)) = (&error, inner.webhook.as_mut()) {
                hook.last_error = Some((unix_now(), message.clone()));
            }
            attempts = if error.is_some() { attempts + 1 } else { 0 };
            let done = error.is_none() || attempts >= WEBHOOK_ATTEMPTS;
            if done && inner.updates.front() == Some(&update) {
                inner.updates.pop_front();
            }
            done
        };
        if delivered_or_given_up {
            attempts = 0;
            state.notify_sent();
        } else {
            let backoff = Duration::from_millis(50 << attempts.min(5));
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
