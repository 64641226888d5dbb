//! KIE (api.kie.ai) as a [`VideoProvider`]: `createTask`, `recordInfo`, the file-stream
//! upload and the credit balance, with key rotation and proxy rotation around every call.
//!
//! KIE wraps answers in `{"code", "msg", "data"}` and may put an error code in a 200
//! answer, so both the HTTP status and the envelope code go through [`classify`].

use crate::classify::{self, ErrorClass};
use crate::error::ProviderError;
use crate::keys::{Key, KeyRing, Pick};
use crate::proxies::ProxyPool;
use crate::video::{Submitted, TaskRef, TaskStatus, VideoProvider, VideoRequest};
use bytes::Bytes;
use neurocards_core::JobKind;
use neurocards_core::config::Config;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;
use url::Url;

const PROVIDER: &str = "kie";
/// What the model should avoid, for models that take a negative prompt.
const NEGATIVE_PROMPT: &str = "blur, distortion, low quality, watermark, text artifacts";
/// How closely the model follows the prompt (KIE's range is 0..1).
const CFG_SCALE: f64 = 0.5;
/// Longest an API call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest an upload may take.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(120);
/// Where our uploads go inside KIE's temporary storage.
const UPLOAD_PATH: &str = "neurocards/inputs";

/// Where KIE is and which models to use.
#[derive(Debug, Clone)]
pub struct KieSettings {
    /// `KIE_BASE_URL`.
    pub base_url: Url,
    /// `KIE_UPLOAD_URL`.
    pub upload_url: Url,
    /// `KIE_MODEL_IMAGE_TO_VIDEO`.
    pub model_image_to_video: String,
    /// `KIE_MODEL_TEXT_TO_VIDEO`.
    pub model_text_to_video: String,
}

impl KieSettings {
    /// From the product configuration.
    pub fn from_config(config: &Config) -> KieSettings {
        KieSettings {
            base_url: config.kie_base_url.clone(),
            upload_url: config.kie_upload_url.clone(),
            model_image_to_video: config.kie_model_image_to_video.clone(),
            model_text_to_video: config.kie_model_text_to_video.clone(),
        }
    }
}

/// The KIE client. Cheap to clone.
#[derive(Clone)]
pub struct KieClient {
    settings: KieSettings,
    keys: KeyRing,
    routes: ProxyPool,
}

#[derive(Deserialize)]
struct Envelope {
    code: Option<i64>,
    msg: Option<String>,
    data: Option<Value>,
}

fn error(class: ErrorClass, detail: impl Into<String>) -> ProviderError {
    ProviderError::new(PROVIDER, class, detail)
}

fn endpoint(base: &Url, path: &str) -> String {
    format!("{}{path}", base.as_str().trim_end_matches('/'))
}

/// Newer Kling models take a list of images, older ones a single `image_url`.
pub fn takes_image_list(model: &str) -> bool {
    ["kling-2.6", "kling-3", "kling-v2-6", "kling-v3"]
        .iter()
        .any(|prefix| model.starts_with(prefix))
}

impl KieClient {
    /// A client with its keys and routes.
    pub fn new(settings: KieSettings, keys: KeyRing, routes: ProxyPool) -> KieClient {
        KieClient {
            settings,
            keys,
            routes,
        }
    }

    /// The client every process builds from the configuration: `KIE_API_KEY` rotated and
    /// `PROXY_FILE` routes, their health in `shared` (Redis when configured, so all agree).
    pub fn from_config(
        config: &Config,
        shared: neurocards_ephemeral::Ephemeral,
    ) -> Result<KieClient, crate::proxies::ProxyPoolError> {
        let routes = ProxyPool::new(&config.proxies, config.proxy_cooldown, shared.clone())?;
        let keys = KeyRing::new("kie", &config.kie_api_keys, shared);
        Ok(KieClient::new(
            KieSettings::from_config(config),
            keys,
            routes,
        ))
    }

    /// The proxy routes (shared with the prompt enhancer).
    pub fn routes(&self) -> &ProxyPool {
        &self.routes
    }

    /// The key rotation (for health reports).
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The model a request goes to.
    pub fn model_for(&self, request: &VideoRequest) -> &str {
        match (request.kind, &request.image_url) {
            (JobKind::Reels, None) => &self.settings.model_text_to_video,
            _ => &self.settings.model_image_to_video,
        }
    }

    /// The `createTask` body for a request.
    pub fn create_task_body(&self, request: &VideoRequest) -> Value {
        let model = self.model_for(request);
        let mut input = json!({
            "prompt": request.prompt,
            "duration": request.duration_s.to_string(),
            "aspect_ratio": request.aspect_ratio,
            "negative_prompt": NEGATIVE_PROMPT,
            "cfg_scale": CFG_SCALE,
        });
        if let Some(image) = &request.image_url {
            if takes_image_list(model) {
                input["image_urls"] = json!([image]);
            } else {
                input["image_url"] = json!(image);
            }
        }
        let mut body = json!({ "model": model, "input": input });
        if let Some(callback) = &request.callback_url {
            body["callBackUrl"] = json!(callback);
        }
        body
    }

    /// The account's remaining credits, asked with `key` (also the re-check of a parked key).
    pub async fn credit(&self, key: &Key) -> Result<f64, ProviderError> {
        let url = endpoint(&self.settings.base_url, "/api/v1/chat/credit");
        let data = self.call(key, CALL_TIMEOUT, |c| c.get(&url)).await?;
        data.as_f64().ok_or_else(|| {
            error(
                ErrorClass::Retryable { retry_after: None },
                "credit: no number in data",
            )
        })
    }

    /// Runs `op` with the next usable key; parks rejected keys, cools rate-limited ones and
    /// moves on, until a key works or none is left.
    async fn with_key<T, F, Fut>(&self, op: F) -> Result<T, ProviderError>
    where
        F: Fn(Key) -> Fut,
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        let mut last_error = None;
        for _ in 0..(self.keys.len() * 2 + 1) {
            let key = match self.keys.pick().await {
                Pick::Ready(key) => key,
                Pick::Recheck(key) => match self.credit(&key).await {
                    Ok(credits) if credits > 0.0 => {
                        self.keys.recheck_passed(&key).await;
                        key
                    }
                    Ok(_) => {
                        self.keys.park(&key, "no credits on re-check").await;
                        continue;
                    }
                    Err(e) if e.class == ErrorClass::KeyRejected => {
                        self.keys.park(&key, "rejected on re-check").await;
                        continue;
                    }
                    Err(e) => {
                        last_error = Some(e);
                        continue;
                    }
                },
                Pick::Exhausted(wait) => {
                    let detail = match last_error {
                        Some(e) => format!("no usable key (last: {})", e.detail),
                        None => "no usable key".to_owned(),
                    };
                    return Err(error(
                        ErrorClass::NoKeyAvailable { retry_after: wait },
                        detail,
                    ));
                }
            };
            match op(key.clone()).await {
                Err(e) if e.class == ErrorClass::KeyRejected => {
                    self.keys.park(&key, &e.detail).await;
                    last_error = Some(e);
                }
                Err(e) if matches!(e.class, ErrorClass::RateLimited { .. }) => {
                    self.keys.cool_down(&key, e.class.retry_after()).await;
                    last_error = Some(e);
                }
                other => return other,
            }
        }
        Err(last_error.unwrap_or_else(|| {
            error(
                ErrorClass::NoKeyAvailable { retry_after: None },
                "no usable key",
            )
        }))
    }

    /// One authenticated call through the proxy rotation; returns the envelope's `data`.
    async fn call(
        &self,
        key: &Key,
        timeout: Duration,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Value, ProviderError> {
        let sent = self
            .routes
            .send(|client| {
                build(client)
                    .bearer_auth(key.secret.expose())
                    .timeout(timeout)
            })
            .await;
        let (response, _route) = match sent {
            Ok(answer) => answer,
            Err((e, route)) => {
                let class = classify::classify_transport(&e, route.via_proxy());
                return Err(error(class, format!("via {}: {e}", route.label)));
            }
        };
        let status = response.status();
        let retry_after = classify::retry_after_header(response.headers());
        let text = response.text().await.map_err(|e| {
            error(
                ErrorClass::Retryable { retry_after: None },
                format!("reading the answer: {}", e.without_url()),
            )
        })?;
        if !status.is_success() {
            let class = classify::classify_status(status.as_u16(), retry_after);
            return Err(error(class, format!("HTTP {status}: {}", snippet(&text))));
        }
        let envelope: Envelope = serde_json::from_str(&text).map_err(|e| {
            error(
                ErrorClass::Retryable { retry_after: None },
                format!("unreadable answer ({e}): {}", snippet(&text)),
            )
        })?;
        match envelope.code {
            Some(200) | None => Ok(envelope.data.unwrap_or(Value::Null)),
            Some(code) => {
                let code16 = u16::try_from(code).unwrap_or(500);
                let class = classify::classify_status(code16, retry_after);
                Err(error(
                    class,
                    format!("code {code}: {}", envelope.msg.unwrap_or_default()),
                ))
            }
        }
    }
}

fn snippet(text: &str) -> String {
    text.chars().take(200).collect()
}

/// `failCode` comes as a string, a number or null.
fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Reads `recordInfo`'s `data`.
pub fn parse_record_info(data: &Value) -> Result<TaskStatus, ProviderError> {
    let state = data
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or("waiting")
        .to_owned();
    match state.as_str() {
        "success" => {
            let result = data
                .get("resultJson")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let parsed: Value = serde_json::from_str(result).map_err(|e| {
                error(
                    ErrorClass::Retryable { retry_after: None },
                    format!("resultJson is not JSON: {e}"),
                )
            })?;
            let urls: Vec<String> = parsed
                .get("resultUrls")
                .and_then(Value::as_array)
                .map(|urls| {
                    urls.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            if urls.is_empty() {
                return Err(error(
                    ErrorClass::GenerationFailed,
                    "the task succeeded without a result URL",
                ));
            }
            Ok(TaskStatus::Succeeded { urls })
        }
        "fail" => {
            let code = text_of(data.get("failCode"));
            let message = text_of(data.get("failMsg"));
            let class = classify::classify_task_failure(code.as_deref(), message.as_deref());
            Ok(TaskStatus::Failed {
                error: error(
                    class,
                    format!(
                        "task failed: {} {}",
                        code.unwrap_or_default(),
                        message.unwrap_or_default()
                    )
                    .trim()
                    .to_owned(),
                ),
            })
        }
        _ => Ok(TaskStatus::Pending { state }),
    }
}

#[async_trait::async_trait]
impl VideoProvider for KieClient {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn upload_input(
        &self,
        bytes: Bytes,
        file_name: &str,
        mime: &str,
    ) -> Result<String, ProviderError> {
        let url = endpoint(&self.settings.upload_url, "/api/file-stream-upload");
        let data = self
            .with_key(|key| {
                let (url, bytes) = (url.clone(), bytes.clone());
                async move {
                    self.call(&key, UPLOAD_TIMEOUT, |client| {
                        let part = reqwest::multipart::Part::stream(bytes.clone())
                            .file_name(file_name.to_owned());
                        let part = part.mime_str(mime).unwrap_or_else(|_| {
                            reqwest::multipart::Part::stream(bytes.clone())
                                .file_name(file_name.to_owned())
                        });
                        let form = reqwest::multipart::Form::new()
                            .part("file", part)
                            .text("uploadPath", UPLOAD_PATH)
                            .text("fileName", file_name.to_owned());
                        client.post(&url).multipart(form)
                    })
                    .await
                }
            })
            .await?;
        data.get("downloadUrl")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                error(
                    ErrorClass::Retryable { retry_after: None },
                    "upload answer without downloadUrl",
                )
            })
    }

    async fn submit(&self, request: &VideoRequest) -> Result<Submitted, ProviderError> {
        let url = endpoint(&self.settings.base_url, "/api/v1/jobs/createTask");
        let body = self.create_task_body(request);
        self.with_key(|key| {
            let (url, body) = (url.clone(), body.clone());
            async move {
                let data = self
                    .call(&key, CALL_TIMEOUT, |client| client.post(&url).json(&body))
                    .await?;
                let task_id = data
                    .get("taskId")
                    .and_then(Value::as_str)
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| {
                        error(
                            ErrorClass::Retryable { retry_after: None },
                            "createTask answer without taskId",
                        )
                    })?;
                Ok(Submitted {
                    task: TaskRef {
                        task_id: task_id.to_owned(),
                        account: Some(key.fingerprint.clone()),
                    },
                })
            }
        })
        .await
    }

    async fn status(&self, task: &TaskRef) -> Result<TaskStatus, ProviderError> {
        let mut url = Url::parse(&endpoint(
            &self.settings.base_url,
            "/api/v1/jobs/recordInfo",
        ))
        .map_err(|e| error(ErrorClass::BadRequest, format!("recordInfo URL: {e}")))?;
        url.query_pairs_mut().append_pair("taskId", &task.task_id);
        let url = url.to_string();
        // The task belongs to the account that created it: ask with that key when we know it.
        let owner = task
            .account
            .as_deref()
            .and_then(|fp| self.keys.by_fingerprint(fp));
        let data = match owner {
            Some(key) => {
                self.call(&key, CALL_TIMEOUT, |client| client.get(&url))
                    .await?
            }
            None => {
                self.with_key(|key| {
                    let url = url.clone();
                    async move {
                        self.call(&key, CALL_TIMEOUT, |client| client.get(&url))
                            .await
                    }
                })
                .await?
            }
        };
        parse_record_info(&data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurocards_ephemeral::Ephemeral;

    fn client() -> KieClient {
        let settings = KieSettings {
            base_url: Url::parse("http://127.0.0.1:1").expect("url"),
            upload_url: Url::parse("http://127.0.0.1:1").expect("url"),
            model_image_to_video: "kling-2.6/image-to-video".into(),
            model_text_to_video: "kling-2.6/text-to-video".into(),
        };
        KieClient::new(
            settings,
            KeyRing::new("kie", &[], Ephemeral::local()),
            ProxyPool::direct(),
        )
    }

    fn request(kind: JobKind, image: Option<&str>) -> VideoRequest {
        VideoRequest {
            kind,
            prompt: "a leaf in the sun".into(),
            image_url: image.map(str::to_owned),
            duration_s: 10,
            aspect_ratio: kind.aspect_ratio().into(),
            callback_url: Some("https://bot.example/kie/callback/t".into()),
        }
    }

    #[test]
    fn create_task_bodies_follow_the_model() {
        let kie = client();
        let body = kie.create_task_body(&request(JobKind::Neurocard, Some("https://f/x.jpg")));
        assert_eq!(body["model"], "kling-2.6/image-to-video");
        assert_eq!(body["callBackUrl"], "https://bot.example/kie/callback/t");
        assert_eq!(body["input"]["image_urls"], json!(["https://f/x.jpg"]));
        assert_eq!(body["input"]["duration"], "10");
        assert_eq!(body["input"]["aspect_ratio"], "16:9");
        let body = kie.create_task_body(&request(JobKind::Reels, None));
        assert_eq!(body["model"], "kling-2.6/text-to-video");
        assert_eq!(body["input"]["aspect_ratio"], "9:16");
        assert!(body["input"].get("image_urls").is_none());
        assert!(!takes_image_list("kling/v2-1-standard"));
    }

    #[test]
    fn record_info_states() {
        let ok =
            json!({"state": "success", "resultJson": "{\"resultUrls\":[\"https://r/v.mp4\"]}"});
        assert_eq!(
            parse_record_info(&ok).expect("parsed"),
            TaskStatus::Succeeded {
                urls: vec!["https://r/v.mp4".into()]
            }
        );
        let waiting = json!({"state": "generating", "resultJson": null});
        assert!(matches!(
            parse_record_info(&waiting),
            Ok(TaskStatus::Pending { .. })
        ));
        let failed =
            json!({"state": "fail", "failCode": 400, "failMsg": "content policy violation"});
        let Ok(TaskStatus::Failed { error }) = parse_record_info(&failed) else {
            panic!("expected failure");
        };
        assert_eq!(error.class, ErrorClass::ContentPolicy);
        let empty = json!({"state": "success", "resultJson": "{\"resultUrls\":[]}"});
        assert!(parse_record_info(&empty).is_err());
    }
}
