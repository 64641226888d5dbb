//! The OpenAI fake: a real `chat.completion` object, OpenAI's error objects and faults.

use crate::http;
use neurocards_testkit::openai::enhance;
use neurocards_testkit::{AiFault, FakeOpenAi};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// `chat.completion` per OpenAI's API reference.
#[derive(Debug, Deserialize)]
struct Completion {
    id: String,
    object: String,
    created: i64,
    model: String,
    choices: Vec<Choice>,
    usage: Usage,
}

#[derive(Debug, Deserialize)]
struct Choice {
    index: u32,
    message: ChatMessage,
    finish_reason: String,
}

#[derive(Debug, Deserialize)]
struct ChatMessage {
    role: String,
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Usage {
    prompt_tokens: u32,
    completion_tokens: u32,
    total_tokens: u32,
}

/// `{"error":{"message","type","param","code"}}`.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorObject,
}

#[derive(Debug, Deserialize)]
struct ErrorObject {
    message: String,
    #[serde(rename = "type")]
    kind: String,
    param: Option<String>,
    code: Option<String>,
}

fn request() -> Value {
    json!({
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You write video prompts."},
            {"role": "user", "content": "a volcano erupting"}
        ]
    })
}

async fn post(ai: &FakeOpenAi, key: Option<&str>, body: &Value) -> reqwest::Response {
    let mut call = http()
        .post(format!("{}/chat/completions", ai.base_url()))
        .json(body);
    if let Some(key) = key {
        call = call.bearer_auth(key);
    }
    call.send().await.expect("send")
}

#[tokio::test]
async fn completions_return_a_deterministic_enhanced_prompt() {
    let ai = FakeOpenAi::start().await;
    let response = post(&ai, Some("sk-test"), &request()).await;
    assert_eq!(response.status(), 200);
    let completion: Completion = response.json().await.expect("chat.completion");
    assert!(completion.id.starts_with("chatcmpl-"));
    assert_eq!(
        (completion.object.as_str(), completion.model.as_str()),
        ("chat.completion", "gpt-4o-mini")
    );
    assert!(completion.created > 0);
    let choice = &completion.choices[0];
    assert_eq!(
        (
            choice.index,
            choice.message.role.as_str(),
            choice.finish_reason.as_str()
        ),
        (0, "assistant", "stop")
    );
    assert_eq!(
        choice.message.content.as_deref(),
        Some(enhance("a volcano erupting").as_str())
    );
    assert!(
        choice
            .message
            .content
            .as_deref()
            .is_some_and(|c| c.contains("a volcano erupting"))
    );
    assert_eq!(
        completion.usage.total_tokens,
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    );
    assert_eq!(ai.calls(), 1);
    assert_eq!(
        ai.requests()[0]["messages"][1]["content"],
        "a volcano erupting"
    );
}

#[tokio::test]
async fn errors_use_openais_error_object() {
    let ai = FakeOpenAi::start().await;
    let missing = post(&ai, None, &request()).await;
    assert_eq!(missing.status(), 401);
    let body: ErrorBody = missing.json().await.expect("error object");
    assert_eq!(body.error.kind, "invalid_request_error");
    assert!(body.error.param.is_none());

    ai.require_key("sk-right");
    let wrong: ErrorBody = post(&ai, Some("sk-wrong"), &request())
        .await
        .json()
        .await
        .expect("error");
    assert_eq!(wrong.error.code.as_deref(), Some("invalid_api_key"));
    assert!(!wrong.error.message.is_empty());

    ai.fail_next(1, AiFault::RateLimited(3));
    let limited = post(&ai, Some("sk-right"), &request()).await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "3");
    let body: ErrorBody = limited.json().await.expect("error");
    assert_eq!(body.error.code.as_deref(), Some("rate_limit_exceeded"));

    ai.fail_next(1, AiFault::ServerError);
    assert_eq!(post(&ai, Some("sk-right"), &request()).await.status(), 500);
    ai.fail_next(1, AiFault::Unauthorized);
    assert_eq!(post(&ai, Some("sk-right"), &request()).await.status(), 401);

    ai.fail_next(1, AiFault::EmptyContent);
    let empty: Completion = post(&ai, Some("sk-right"), &request())
        .await
        .json()
        .await
        .expect("completion");
    assert_eq!(empty.choices[0].message.content.as_deref(), Some(""));

    ai.fail_next(1, AiFault::Hang);
    let hung = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client")
        .post(format!("{}/chat/completions", ai.base_url()))
        .bearer_auth("sk-right")
        .json(&request())
        .send()
        .await;
    assert!(hung.is_err_and(|e| e.is_timeout()));

    let bad = post(&ai, Some("sk-right"), &json!({"model": "m"})).await;
    assert_eq!(bad.status(), 400);
    assert_eq!(ai.calls(), 8);
}
