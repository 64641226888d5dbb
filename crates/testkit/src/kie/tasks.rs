//! A task's life on tokio timers: waiting → queuing → generating → success | fail, then the
//! callback POSTed to `callBackUrl` (retried a few times on non-2xx), as KIE documents it.

use super::KieState;
use super::api::task_data;
use super::state::{CallbackAttempt, TaskState};
use crate::util::unix_millis;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// Callback deliveries per task before giving up.
const CALLBACK_ATTEMPTS: u32 = 3;

pub(crate) async fn run(state: Arc<KieState>, task_id: String) {
    let total = state.lock().generation_time;
    let steps = [
        (total / 10, TaskState::Queuing),
        (total * 15 / 100, TaskState::Generating),
        (total - total / 10 - total * 15 / 100, TaskState::Success),
    ];
    for (delay, next) in steps {
        tokio::time::sleep(delay).await;
        if !advance(&state, &task_id, next) {
            return;
        }
    }
    let callback = {
        let inner = state.lock();
        inner.tasks.get(&task_id).and_then(|task| {
            let url = task.callback_url.clone()?;
            let mut data = task_data(task);
            data["consumeCredits"] = json!(if task.state == TaskState::Success { task.cost } else { 0 });
            data["remainedCredits"] = json!(inner.credits_of(&task.created.key));
            let body = if task.state == TaskState::Success {
                json!({ "code": 200, "msg": "Playground task completed successfully.", "data": data })
            } else {
                data["resultJson"] = Value::Null;
                json!({ "code": 501, "msg": "Playground task failed.", "data": data })
            };
            Some((url, body))
        })
    };
    if let Some((url, body)) = callback {
        deliver(&state, &task_id, &url, body).await;
    }
}

/// Moves the task on; `false` if it was already finished (or is gone).
fn advance(state: &KieState, task_id: &str, next: TaskState) -> bool {
    {
        let mut inner = state.lock();
        let api_base = state.api_base.get().cloned().unwrap_or_default();
        let Some(task) = inner.tasks.get_mut(task_id) else {
            return false;
        };
        if task.state.is_finished() {
            return false;
        }
        let now = unix_millis();
        task.update_ms = now;
        let mut refund = None;
        if next == TaskState::Success {
            task.complete_ms = Some(now);
            if task.fail.is_some() {
                task.state = TaskState::Fail;
                refund = Some((task.created.key.clone(), task.cost));
            } else {
                task.state = TaskState::Success;
                task.result_urls = vec![format!("{api_base}/results/{task_id}.mp4")];
            }
        } else {
            task.state = next;
        }
        if let Some((key, cost)) = refund {
            let credits = inner.credits_of(&key);
            inner.credits.insert(key, credits + cost);
        }
    }
    state.notify();
    true
}

async fn deliver(state: &KieState, task_id: &str, url: &str, body: Value) {
    for attempt in 0..CALLBACK_ATTEMPTS {
        let status = state
            .http
            .post(url)
            .json(&body)
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16());
        state.lock().callbacks.push(CallbackAttempt {
            task_id: task_id.to_owned(),
            url: url.to_owned(),
            status,
            body: body.clone(),
        });
        state.notify();
        if status.is_some_and(|s| (200..300).contains(&s)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
    }
}
