//! A fake of KIE: the Kling task API (`createTask`, `recordInfo`, callbacks, credits) and
//! the file upload API on its own base URL, with per-key behaviour, service faults, timed
//! generations that return a real MP4, and counters for "no second task was paid for".

mod api;
mod state;
mod tasks;
mod upload;

pub use state::{
    CallbackAttempt, CreatedTask, DEFAULT_CREDITS, Endpoint, KeyState, KieFault, TaskState, Upload,
};

use crate::server::Server;
use crate::util::lock;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use state::Inner;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::watch;

/// The failure KIE reports when the content policy rejects a generation.
pub const CONTENT_POLICY_CODE: &str = "400";
/// Its message.
pub const CONTENT_POLICY_MSG: &str = "Your request was rejected by the content moderation system. Please modify the prompt or image and try again.";

pub(crate) struct KieState {
    pub inner: Mutex<Inner>,
    pub changed: watch::Sender<u64>,
    pub http: reqwest::Client,
    pub api_base: OnceLock<String>,
    pub upload_base: OnceLock<String>,
}

impl KieState {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    pub(crate) fn notify(&self) {
        self.changed.send_modify(|n| *n += 1);
    }
}

/// A running KIE fake (two servers: the task API and the upload API). Cheap to clone.
#[derive(Clone)]
pub struct FakeKie {
    state: Arc<KieState>,
    api: Arc<Server>,
    upload: Arc<Server>,
}

impl FakeKie {
    /// Starts both servers. Any non-empty bearer key is accepted, with [`DEFAULT_CREDITS`].
    ///
    /// # Panics
    /// If no local port can be bound (a broken test machine).
    pub async fn start() -> Self {
        let state = Arc::new(KieState {
            inner: Mutex::new(Inner::default()),
            changed: watch::channel(0).0,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            api_base: OnceLock::new(),
            upload_base: OnceLock::new(),
        });
        let api_router = Router::new()
            .route("/api/v1/jobs/createTask", post(api::create_task))
            .route("/api/v1/jobs/recordInfo", get(api::record_info))
            .route("/api/v1/chat/credit", get(api::credit))
            .route("/results/{file}", get(api::result_file))
            .with_state(state.clone());
        let upload_router = Router::new()
            .route("/api/file-stream-upload", post(upload::stream_upload))
            .route("/api/file-base64-upload", post(upload::base64_upload))
            .route("/api/file-url-upload", post(upload::url_upload))
            .route("/files/{*path}", get(upload::download))
            .layer(DefaultBodyLimit::disable())
            .with_state(state.clone());
        let api = Server::start(api_router)
            .await
            .expect("bind a local port for the KIE fake");
        let upload = Server::start(upload_router)
            .await
            .expect("bind a local port for the KIE upload fake");
        let _ = state.api_base.set(api.base_url());
        let _ = state.upload_base.set(upload.base_url());
        Self {
            state,
            api: Arc::new(api),
            upload: Arc::new(upload),
        }
    }

    /// `KIE_BASE_URL` (`http://127.0.0.1:<port>`).
    pub fn api_url(&self) -> String {
        self.api.base_url()
    }

    /// `KIE_UPLOAD_URL` (`http://127.0.0.1:<port>`), a different server from [`api_url`](Self::api_url).
    pub fn upload_url(&self) -> String {
        self.upload.base_url()
    }

    /// How long a task takes from creation to success/fail (default 200 ms).
    pub fn set_generation_time(&self, time: Duration) {
        self.state.lock().generation_time = time;
    }

    /// Credits a 5-second generation costs (10-second ones cost double; default 10).
    pub fn set_cost_per_5s(&self, credits: i64) {
        self.state.lock().cost_per_5s = credits;
    }

    /// Sets a key's balance.
    pub fn set_credits(&self, key: &str, credits: i64) {
        self.state.lock().credits.insert(key.to_owned(), credits);
    }

    /// A key's balance.
    pub fn credits(&self, key: &str) -> i64 {
        self.state.lock().credits_of(key)
    }

    /// Makes a key invalid (401), out of credits (402), rate-limited (429) or valid again.
    pub fn set_key_state(&self, key: &str, state: KeyState) {
        self.state.lock().keys.insert(key.to_owned(), state);
    }

    /// The next `times` calls of the task API (createTask, recordInfo, credit) fail with `fault`.
    pub fn fail_next(&self, times: usize, fault: KieFault) {
        let mut inner = self.state.lock();
        for _ in 0..times {
            inner.faults.push_back((None, fault));
        }
    }

    /// The next `times` calls of `endpoint` fail with `fault`.
    pub fn fail_next_on(&self, endpoint: Endpoint, times: usize, fault: KieFault) {
        let mut inner = self.state.lock();
        for _ in 0..times {
            inner.faults.push_back((Some(endpoint), fault));
        }
    }

    /// The next created task ends in `fail` with `failCode`/`failMsg` (credits refunded).
    pub fn fail_next_task(&self, fail_code: &str, fail_msg: &str) {
        self.state
            .lock()
            .fail_next_tasks
            .push_back((fail_code.to_owned(), fail_msg.to_owned()));
    }

    /// The next created task is rejected by the content policy.
    pub fn fail_next_task_content_policy(&self) {
        self.fail_next_task(CONTENT_POLICY_CODE, CONTENT_POLICY_MSG);
    }

    /// A running task will end in `fail`; `false` if it is unknown or already finished.
    pub fn fail_task(&self, task_id: &str, fail_code: &str, fail_msg: &str) -> bool {
        let mut inner = self.state.lock();
        match inner.tasks.get_mut(task_id) {
            Some(task) if !task.state.is_finished() => {
                task.fail = Some((fail_code.to_owned(), fail_msg.to_owned()));
                true
            }
            _ => false,
        }
    }

    /// Every accepted createTask, in order.
    pub fn created_tasks(&self) -> Vec<CreatedTask> {
        let inner = self.state.lock();
        inner
            .order
            .iter()
            .filter_map(|id| inner.tasks.get(id).map(|t| t.created.clone()))
            .collect()
    }

    /// How many tasks were created (and paid for).
    pub fn tasks_created(&self) -> usize {
        self.state.lock().order.len()
    }

    /// How many tasks `key` created.
    pub fn tasks_created_by(&self, key: &str) -> usize {
        self.created_tasks().iter().filter(|t| t.key == key).count()
    }

    /// How many tasks had exactly this prompt.
    pub fn tasks_with_prompt(&self, prompt: &str) -> usize {
        self.created_tasks()
            .iter()
            .filter(|t| t.prompt == prompt)
            .count()
    }

    /// recordInfo calls naming `task_id` (any outcome).
    pub fn status_queries(&self, task_id: &str) -> usize {
        self.state
            .lock()
            .status_queries
            .get(task_id)
            .copied()
            .unwrap_or(0)
    }

    /// Calls of an endpoint (any outcome).
    pub fn calls(&self, endpoint: Endpoint) -> usize {
        self.state.lock().calls.get(&endpoint).copied().unwrap_or(0)
    }

    /// Files received by the upload API, in order.
    pub fn uploads(&self) -> Vec<Upload> {
        self.state.lock().uploads.clone()
    }

    /// Every callback POST made, in order.
    pub fn callbacks(&self) -> Vec<CallbackAttempt> {
        self.state.lock().callbacks.clone()
    }

    /// A task's current state.
    pub fn task_state(&self, task_id: &str) -> Option<TaskState> {
        self.state.lock().tasks.get(task_id).map(|t| t.state)
    }

    /// The URL a successful task's `resultUrls` holds.
    pub fn result_url(&self, task_id: &str) -> String {
        format!("{}/results/{task_id}.mp4", self.api_url())
    }

    /// Waits until `task_id` is finished; its final state, or `None` on timeout.
    pub async fn wait_task_finished(&self, task_id: &str, timeout: Duration) -> Option<TaskState> {
        self.wait_until(timeout, |fake| {
            fake.task_state(task_id).filter(|s| s.is_finished())
        })
        .await
    }

    /// Waits until at least `count` tasks were created; the count, or `None` on timeout.
    pub async fn wait_tasks_created(&self, count: usize, timeout: Duration) -> Option<usize> {
        self.wait_until(timeout, |fake| {
            Some(fake.tasks_created()).filter(|n| *n >= count)
        })
        .await
    }

    /// Waits until `task_id` was asked about `count` times (a worker asks only once the task
    /// id is recorded); the count, or `None` on timeout.
    pub async fn wait_status_queries(
        &self,
        task_id: &str,
        count: usize,
        timeout: Duration,
    ) -> Option<usize> {
        self.wait_until(timeout, |fake| {
            Some(fake.status_queries(task_id)).filter(|n| *n >= count)
        })
        .await
    }

    /// Waits until at least `count` callback POSTs were made; the count, or `None` on timeout.
    pub async fn wait_callbacks(&self, count: usize, timeout: Duration) -> Option<usize> {
        self.wait_until(timeout, |fake| {
            Some(fake.callbacks().len()).filter(|n| *n >= count)
        })
        .await
    }

    async fn wait_until<T>(
        &self,
        timeout: Duration,
        check: impl Fn(&Self) -> Option<T>,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.state.changed.subscribe();
        loop {
            changes.borrow_and_update();
            if let Some(found) = check(self) {
                return Some(found);
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return None; },
                _ = tokio::time::sleep_until(deadline) => return check(self),
            }
        }
    }
}
