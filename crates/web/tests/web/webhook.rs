//! `POST /telegram/webhook`: only requests with the right secret reach the bot; the answer
//! waits for the bot, so a failure makes Telegram re-deliver.

use crate::start;
use neurocards_core::Secret;
use neurocards_web::Webhook;
use std::sync::{Arc, Mutex};

type Seen = Arc<Mutex<Vec<serde_json::Value>>>;

async fn server_recording(fail: bool) -> (crate::Running, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let server = start(move |state| {
        state.webhook = Some(Webhook {
            secret: Secret::new("s3cret-token_1"),
            handler: Arc::new(move |update| {
                let log = log.clone();
                Box::pin(async move {
                    log.lock().map_err(|e| e.to_string())?.push(update);
                    if fail {
                        Err("bot failed".to_owned())
                    } else {
                        Ok(())
                    }
                })
            }),
        });
    })
    .await;
    (server, seen)
}

async fn post(base: &str, secret: Option<&str>, body: String) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/telegram/webhook"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(secret) = secret {
        request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    request.send().await.expect("post").status().as_u16()
}

const UPDATE: &str = r#"{"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "/start"}}"#;

#[tokio::test]
async fn only_the_right_secret_gets_through() {
    let (server, seen) = server_recording(false).await;
    assert_eq!(post(&server.base, None, UPDATE.into()).await, 401);
    assert_eq!(post(&server.base, Some("wrong"), UPDATE.into()).await, 401);
    assert_eq!(
        post(&server.base, Some("s3cret-token_2"), UPDATE.into()).await,
        401
    );
    assert!(seen.lock().expect("lock").is_empty(), "nothing processed");
    assert_eq!(
        post(&server.base, Some("s3cret-token_1"), UPDATE.into()).await,
        200
    );
    assert_eq!(seen.lock().expect("lock").len(), 1);
    assert_eq!(
        post(&server.base, Some("s3cret-token_1"), "not json".into()).await,
        400
    );
    let huge = format!(
        r#"{{"update_id": 2, "padding": "{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    assert_eq!(post(&server.base, Some("s3cret-token_1"), huge).await, 413);
    assert_eq!(seen.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn a_failed_update_is_not_acknowledged() {
    let (server, seen) = server_recording(true).await;
    assert_eq!(
        post(&server.base, Some("s3cret-token_1"), UPDATE.into()).await,
        500
    );
    assert_eq!(seen.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn without_webhook_mode_the_route_does_not_exist() {
    let server = start(|_| {}).await;
    assert_eq!(
        post(&server.base, Some("anything"), UPDATE.into()).await,
        404
    );
}
