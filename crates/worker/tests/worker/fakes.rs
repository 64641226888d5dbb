//! Minimal local fakes of KIE, Telegram and OpenAI, standing in until `neurocards-testkit`
//! lands (it was empty when these tests were written). Real HTTP on 127.0.0.1, the
//! documented envelopes, counters and transcripts to assert on.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A fake MP4 (an `ftyp` box and padding); the Telegram fake does not decode it.
pub const VIDEO: &[u8] = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isomPADDINGPADDINGPADDING";
/// A fake JPEG.
pub const PHOTO: &[u8] = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9";

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

// ---------------------------------------------------------------- KIE

/// One created task.
#[derive(Clone, Debug)]
pub struct KieTask {
    pub id: String,
    pub key: String,
    pub body: Value,
    created: Instant,
}

#[derive(Default)]
pub struct KieState {
    /// Per-key answer code (absent = 200).
    pub key_codes: HashMap<String, u16>,
    /// The next createTask calls answer with these envelope codes.
    pub create_faults: VecDeque<u16>,
    /// The next recordInfo calls answer with these envelope codes.
    pub status_faults: VecDeque<u16>,
    /// Tasks end in `fail` with this (failCode, failMsg).
    pub fail_tasks: Option<(String, String)>,
    pub generation: Duration,
    pub tasks: Vec<KieTask>,
    pub status_queries: HashMap<String, u32>,
    pub uploads: u32,
    pub credit_checks: u32,
    base: String,
}

#[derive(Clone)]
pub struct FakeKie {
    pub state: Arc<Mutex<KieState>>,
    pub url: String,
}

impl FakeKie {
    pub async fn start(generation: Duration) -> FakeKie {
        let state = Arc::new(Mutex::new(KieState {
            generation,
            ..KieState::default()
        }));
        let router = Router::new()
            .route("/api/v1/jobs/createTask", post(create_task))
            .route("/api/v1/jobs/recordInfo", get(record_info))
            .route("/api/file-stream-upload", post(upload))
            .route("/api/v1/chat/credit", get(credit))
            .route("/results/{id}", get(result))
            .with_state(state.clone());
        let url = format!("http://{}", serve(router).await);
        lock(&state).base = url.clone();
        FakeKie { state, url }
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut KieState) -> R) -> R {
        f(&mut lock(&self.state))
    }

    pub fn tasks(&self) -> Vec<KieTask> {
        self.with(|s| s.tasks.clone())
    }

    pub fn queries(&self, task: &str) -> u32 {
        self.with(|s| s.status_queries.get(task).copied().unwrap_or(0))
    }
}

fn envelope(code: u16, data: Value) -> Response {
    let status = match code {
        401 => StatusCode::UNAUTHORIZED,
        429 => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::OK,
    };
    (
        status,
        axum::Json(
            json!({"code": code, "msg": if code == 200 {"success"} else {"error"}, "data": data}),
        ),
    )
        .into_response()
}

fn key_of(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned()
}

fn key_code(state: &KieState, key: &str) -> u16 {
    state.key_codes.get(key).copied().unwrap_or(200)
}

async fn create_task(
    State(state): State<Arc<Mutex<KieState>>>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let key = key_of(&headers);
    let (id, callback, generation) = {
        let mut s = lock(&state);
        let code = key_code(&s, &key);
        if code != 200 {
            return envelope(code, Value::Null);
        }
        if let Some(code) = s.create_faults.pop_front() {
            return envelope(code, Value::Null);
        }
        let id = format!("task-{}", s.tasks.len() + 1);
        s.tasks.push(KieTask {
            id: id.clone(),
            key,
            body: body.clone(),
            created: Instant::now(),
        });
        (
            id,
            body.get("callBackUrl")
                .and_then(Value::as_str)
                .map(str::to_owned),
            s.generation,
        )
    };
    if let Some(callback) = callback {
        let task = id.clone();
        tokio::spawn(async move {
            tokio::time::sleep(generation).await;
            let body = json!({"code": 200, "msg": "success", "data": {"taskId": task, "state": "success"}});
            let _ = reqwest::Client::new()
                .post(callback)
                .json(&body)
                .send()
                .await;
        });
    }
    envelope(200, json!({ "taskId": id }))
}

async fn record_info(
    State(state): State<Arc<Mutex<KieState>>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let key = key_of(&headers);
    let mut s = lock(&state);
    let code = key_code(&s, &key);
    if code == 401 {
        return envelope(code, Value::Null);
    }
    let task_id = query.get("taskId").cloned().unwrap_or_default();
    *s.status_queries.entry(task_id.clone()).or_default() += 1;
    if let Some(code) = s.status_faults.pop_front() {
        return envelope(code, Value::Null);
    }
    let Some(task) = s.tasks.iter().find(|t| t.id == task_id).cloned() else {
        return envelope(404, Value::Null);
    };
    let data = if task.created.elapsed() < s.generation {
        json!({"taskId": task.id, "state": "generating", "resultJson": null, "failCode": null, "failMsg": null})
    } else if let Some((code, msg)) = &s.fail_tasks {
        json!({"taskId": task.id, "state": "fail", "resultJson": null, "failCode": code, "failMsg": msg})
    } else {
        let result = json!({"resultUrls": [format!("{}/results/{}.mp4", s.base, task.id)]});
        json!({"taskId": task.id, "state": "success", "resultJson": result.to_string(), "failCode": null, "failMsg": null})
    };
    envelope(200, data)
}

async fn upload(
    State(state): State<Arc<Mutex<KieState>>>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    let key = key_of(&headers);
    let mut got_file = false;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            got_file = field.bytes().await.map(|b| !b.is_empty()).unwrap_or(false);
        }
    }
    let mut s = lock(&state);
    let code = key_code(&s, &key);
    if code != 200 {
        return envelope(code, Value::Null);
    }
    if !got_file {
        return envelope(400, Value::Null);
    }
    s.uploads += 1;
    let url = format!("{}/uploads/{}.jpg", s.base, s.uploads);
    (StatusCode::OK, axum::Json(json!({"success": true, "code": 200, "msg": "File uploaded successfully", "data": {"downloadUrl": url, "fileName": "x.jpg"}}))).into_response()
}

async fn credit(State(state): State<Arc<Mutex<KieState>>>, headers: HeaderMap) -> Response {
    let key = key_of(&headers);
    let mut s = lock(&state);
    s.credit_checks += 1;
    let code = key_code(&s, &key);
    if code != 200 {
        return envelope(code, Value::Null);
    }
    envelope(200, json!(100))
}

async fn result(Path(_id): Path<String>) -> impl IntoResponse {
    ([("content-type", "video/mp4")], Bytes::from_static(VIDEO))
}

// ---------------------------------------------------------------- Telegram

/// One call the bot made.
#[derive(Clone, Debug)]
pub struct Sent {
    pub method: String,
    pub chat_id: i64,
    pub text: String,
    pub markup: Value,
    pub bytes: usize,
}

#[derive(Default)]
pub struct TelegramState {
    pub sent: Vec<Sent>,
    pub blocked: HashSet<i64>,
    /// The next N sendVideo calls answer 429 retry_after 1.
    pub too_many: u32,
    next_id: i64,
}

#[derive(Clone)]
pub struct FakeTelegram {
    pub state: Arc<Mutex<TelegramState>>,
    pub url: String,
}

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        let state = Arc::new(Mutex::new(TelegramState::default()));
        let router = Router::new()
            .route("/{bot}/{method}", post(bot_method))
            .route("/file/{bot}/{*path}", get(file))
            .with_state(state.clone());
        let url = format!("http://{}", serve(router).await);
        FakeTelegram { state, url }
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut TelegramState) -> R) -> R {
        f(&mut lock(&self.state))
    }

    pub fn sent(&self, method: &str) -> Vec<Sent> {
        self.with(|s| {
            s.sent
                .iter()
                .filter(|m| m.method == method)
                .cloned()
                .collect()
        })
    }
}

fn ok(result: Value) -> Response {
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

fn tg_error(code: u16, description: &str, retry_after: Option<u64>) -> Response {
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(seconds) = retry_after {
        body["parameters"] = json!({"retry_after": seconds});
    }
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(body),
    )
        .into_response()
}

async fn bot_method(
    State(state): State<Arc<Mutex<TelegramState>>>,
    Path((_bot, method)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Response {
    let is_multipart = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/"));
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut bytes = 0;
    if is_multipart {
        let parsed =
            <Multipart as axum::extract::FromRequest<()>>::from_request(request, &()).await;
        let Ok(mut form) = parsed else {
            return tg_error(400, "Bad Request: bad multipart", None);
        };
        while let Ok(Some(field)) = form.next_field().await {
            let name = field.name().unwrap_or_default().to_owned();
            let data = field.bytes().await.unwrap_or_default();
            if name == "video" {
                bytes = data.len();
            } else {
                fields.insert(name, String::from_utf8_lossy(&data).into_owned());
            }
        }
    } else {
        let body = axum::body::to_bytes(request.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&body) {
            for (k, v) in map {
                let text = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                fields.insert(k, text);
            }
        }
    }
    let chat_id: i64 = fields
        .get("chat_id")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut s = lock(&state);
    if method == "getFile" {
        let id = fields.get("file_id").cloned().unwrap_or_default();
        return ok(
            json!({"file_id": id, "file_unique_id": "u", "file_size": PHOTO.len(), "file_path": format!("photos/{id}.jpg")}),
        );
    }
    if s.blocked.contains(&chat_id) {
        return tg_error(403, "Forbidden: bot was blocked by the user", None);
    }
    if method == "sendVideo" && s.too_many > 0 {
        s.too_many -= 1;
        return tg_error(429, "Too Many Requests: retry after 1", Some(1));
    }
    s.next_id += 1;
    let message_id = 1000 + s.next_id;
    let text = fields
        .get("text")
        .or_else(|| fields.get("caption"))
        .cloned()
        .unwrap_or_default();
    let markup = fields
        .get("reply_markup")
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or(Value::Null);
    s.sent.push(Sent {
        method: method.clone(),
        chat_id,
        text: text.clone(),
        markup,
        bytes,
    });
    let mut message = json!({"message_id": message_id, "date": 0, "chat": {"id": chat_id, "type": "private"}, "text": text});
    if method == "sendVideo" {
        message["video"] = json!({"file_id": format!("video-{message_id}"), "file_unique_id": "v", "width": 720, "height": 1280, "duration": 5});
    }
    ok(message)
}

async fn file(Path((_bot, _path)): Path<(String, String)>) -> impl IntoResponse {
    Bytes::from_static(PHOTO)
}

// ---------------------------------------------------------------- OpenAI

#[derive(Default)]
pub struct OpenAiState {
    pub fault: Option<u16>,
    pub calls: u32,
}

#[derive(Clone)]
pub struct FakeOpenAi {
    pub state: Arc<Mutex<OpenAiState>>,
    pub url: String,
}

impl FakeOpenAi {
    pub async fn start() -> FakeOpenAi {
        let state = Arc::new(Mutex::new(OpenAiState::default()));
        let router = Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(state.clone());
        let url = format!("http://{}/v1", serve(router).await);
        FakeOpenAi { state, url }
    }
}

async fn chat(
    State(state): State<Arc<Mutex<OpenAiState>>>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut s = lock(&state);
    s.calls += 1;
    if let Some(code) = s.fault {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (
            status,
            axum::Json(json!({"error": {"message": "fault", "type": "server_error"}})),
        )
            .into_response();
    }
    let user = body
        .pointer("/messages/1/content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    axum::Json(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": format!("ENHANCED: {user}")}}]
    }))
    .into_response()
}
