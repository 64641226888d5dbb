//! Every Telegram Bot API call the worker makes: fetch the input photo, edit the progress
//! message, send the video or a message. 429 answers are waited out (`retry_after`); a 403
//! means the user blocked the bot. The token is part of every URL, so errors are stripped
//! of their URL before anyone logs them.

use bytes::Bytes;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

/// Longest wait we accept from a 429 before giving up on the call.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Tries for a call that keeps meeting 429s or transport errors.
const MAX_TRIES: u32 = 5;
/// Longest an ordinary call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest a video upload may take.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// What went wrong talking to Telegram.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TelegramError {
    /// 403: the user blocked the bot (or deleted the account).
    #[error("the user blocked the bot")]
    Blocked,
    /// Telegram refused the call.
    #[error("Telegram error {code}: {description}")]
    Refused {
        /// `error_code`.
        code: i64,
        /// `description`.
        description: String,
    },
    /// The network or Telegram itself failed, even after retries.
    #[error("Telegram unreachable: {0}")]
    Transport(String),
}

/// What one answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `ok: true` with this result.
    Ok(Value),
    /// Wait this long and try again.
    RetryAfter(Duration),
    /// A final error.
    Error(TelegramError),
}

/// Reads a Bot API answer (`{"ok", "result"}` or `{"ok": false, "error_code", ...}`).
pub fn classify_answer(status: u16, body: &Value) -> Answer {
    if body.get("ok").and_then(Value::as_bool) == Some(true) {
        return Answer::Ok(body.get("result").cloned().unwrap_or(Value::Null));
    }
    let code = body
        .get("error_code")
        .and_then(Value::as_i64)
        .unwrap_or(i64::from(status));
    let description = body
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    match code {
        403 => Answer::Error(TelegramError::Blocked),
        429 => {
            let seconds = body
                .pointer("/parameters/retry_after")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            Answer::RetryAfter(Duration::from_secs(seconds))
        }
        500..=599 => Answer::RetryAfter(Duration::from_secs(1)),
        _ => Answer::Error(TelegramError::Refused { code, description }),
    }
}

/// An inline keyboard: one row per button, each `(label, callback data)`.
pub fn keyboard(buttons: &[(&str, &str)]) -> Value {
    let rows: Vec<Value> = buttons
        .iter()
        .map(|(text, data)| json!([{ "text": text, "callback_data": data }]))
        .collect();
    json!({ "inline_keyboard": rows })
}

/// The Bot API client of the worker. Cheap to clone.
#[derive(Clone)]
pub struct Telegram {
    client: reqwest::Client,
    methods: String,
    files: String,
}

impl Telegram {
    /// A client for `api_url` (e.g. `https://api.telegram.org`) with the bot's token.
    pub fn new(api_url: &url::Url, token: &neurocards_core::Secret) -> Telegram {
        let base = api_url.as_str().trim_end_matches('/');
        Telegram {
            client: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            methods: format!("{base}/bot{}", token.expose()),
            files: format!("{base}/file/bot{}", token.expose()),
        }
    }

    /// Calls `method`, building the request afresh for each try.
    async fn call(
        &self,
        method: &str,
        timeout: Duration,
        build: impl Fn(reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder, TelegramError>,
    ) -> Result<Value, TelegramError> {
        let url = format!("{}/{method}", self.methods);
        let mut last = TelegramError::Transport("no attempt".into());
        for _ in 0..MAX_TRIES {
            let request = build(self.client.post(&url).timeout(timeout))?;
            let wait = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    match classify_answer(status, &body) {
                        Answer::Ok(result) => return Ok(result),
                        Answer::Error(error) => return Err(error),
                        Answer::RetryAfter(wait) => {
                            last = TelegramError::Refused {
                                code: i64::from(status),
                                description: format!("retry after {}s", wait.as_secs()),
                            };
                            wait
                        }
                    }
                }
                Err(error) => {
                    last = TelegramError::Transport(error.without_url().to_string());
                    Duration::from_secs(1)
                }
            };
            if wait > MAX_RETRY_AFTER {
                break;
            }
            tracing::debug!(
                method,
                wait_ms = wait.as_millis() as u64,
                "Telegram asked to wait"
            );
            tokio::time::sleep(wait).await;
        }
        Err(last)
    }

    /// Downloads a file the user sent (getFile, then the file URL). The URL holds the token
    /// and never leaves this module.
    pub async fn download_file(&self, file_id: &str) -> Result<Bytes, TelegramError> {
        let file = self
            .call("getFile", CALL_TIMEOUT, |r| {
                Ok(r.json(&json!({ "file_id": file_id })))
            })
            .await?;
        let path = file
            .get("file_path")
            .and_then(Value::as_str)
            .ok_or_else(|| TelegramError::Refused {
                code: 400,
                description: "getFile returned no file_path".into(),
            })?;
        let response = self
            .client
            .get(format!("{}/{path}", self.files))
            .timeout(UPLOAD_TIMEOUT)
            .send()
            .await
            .map_err(|e| TelegramError::Transport(e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(TelegramError::Refused {
                code: i64::from(response.status().as_u16()),
                description: "file download failed".into(),
            });
        }
        response
            .bytes()
            .await
            .map_err(|e| TelegramError::Transport(e.without_url().to_string()))
    }

    /// Sends a text message; returns its message id.
    pub async fn send_message(
        &self,
        chat_id: i64,
        text: &str,
        markup: Option<&Value>,
    ) -> Result<i64, TelegramError> {
        let mut body = json!({ "chat_id": chat_id, "text": text });
        if let Some(markup) = markup {
            body["reply_markup"] = markup.clone();
        }
        let message = self
            .call("sendMessage", CALL_TIMEOUT, |r| Ok(r.json(&body)))
            .await?;
        Ok(message
            .get("message_id")
            .and_then(Value::as_i64)
            .unwrap_or_default())
    }

    /// Replaces a message's text; "message is not modified" counts as success.
    pub async fn edit_message_text(
        &self,
        chat_id: i64,
        message_id: i64,
        text: &str,
    ) -> Result<(), TelegramError> {
        let body = json!({ "chat_id": chat_id, "message_id": message_id, "text": text });
        match self
            .call("editMessageText", CALL_TIMEOUT, |r| Ok(r.json(&body)))
            .await
        {
            Ok(_) => Ok(()),
            Err(TelegramError::Refused { description, .. })
                if description.contains("message is not modified") =>
            {
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// Uploads a video file with a caption and buttons; returns the video's `file_id`.
    pub async fn send_video_file(
        &self,
        chat_id: i64,
        path: &Path,
        caption: &str,
        markup: &Value,
    ) -> Result<String, TelegramError> {
        let length = tokio::fs::metadata(path)
            .await
            .map_err(|e| TelegramError::Transport(format!("reading the video: {e}")))?
            .len();
        let message = self
            .call("sendVideo", UPLOAD_TIMEOUT, |r| {
                let file = std::fs::File::open(path)
                    .map_err(|e| TelegramError::Transport(format!("reading the video: {e}")))?;
                let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
                let part = reqwest::multipart::Part::stream_with_length(
                    reqwest::Body::wrap_stream(stream),
                    length,
                )
                .file_name("video.mp4")
                .mime_str("video/mp4")
                .map_err(|e| TelegramError::Transport(e.without_url().to_string()))?;
                let form = reqwest::multipart::Form::new()
                    .text("chat_id", chat_id.to_string())
                    .text("caption", caption.to_owned())
                    .text("supports_streaming", "true")
                    .text("reply_markup", markup.to_string())
                    .part("video", part);
                Ok(r.multipart(form))
            })
            .await?;
        message
            .pointer("/video/file_id")
            .or_else(|| message.pointer("/document/file_id"))
            .or_else(|| message.pointer("/animation/file_id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| TelegramError::Refused {
                code: 200,
                description: "sendVideo returned no file_id".into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        let ok = json!({"ok": true, "result": {"message_id": 5}});
        assert_eq!(
            classify_answer(200, &ok),
            Answer::Ok(json!({"message_id": 5}))
        );
        let blocked = json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"});
        assert_eq!(
            classify_answer(403, &blocked),
            Answer::Error(TelegramError::Blocked)
        );
        let slow = json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 3", "parameters": {"retry_after": 3}});
        assert_eq!(
            classify_answer(429, &slow),
            Answer::RetryAfter(Duration::from_secs(3))
        );
        let bad =
            json!({"ok": false, "error_code": 400, "description": "Bad Request: chat not found"});
        assert!(matches!(
            classify_answer(400, &bad),
            Answer::Error(TelegramError::Refused { code: 400, .. })
        ));
        assert!(matches!(
            classify_answer(502, &Value::Null),
            Answer::RetryAfter(_)
        ));
    }

    #[test]
    fn keyboards_have_one_button_per_row() {
        let k = keyboard(&[("Again", "again:reels"), ("Menu", "back_to_menu")]);
        assert_eq!(k["inline_keyboard"][1][0]["callback_data"], "back_to_menu");
    }
}
