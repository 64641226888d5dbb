//! What the KIE fake remembers: keys and credits, tasks and their states, uploaded files,
//! queued faults, and the counters tests assert on.

use bytes::Bytes;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// Credits a key has when first seen.
pub const DEFAULT_CREDITS: i64 = 10_000;

/// How a key is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// Works.
    Valid,
    /// Answers 401.
    Invalid,
    /// Answers 402 on createTask (status queries still work).
    OutOfCredits,
    /// Answers 429.
    RateLimited,
}

/// A service-wide failure for coming calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KieFault {
    /// Envelope code 455: maintenance.
    Maintenance,
    /// Envelope code 500: server error.
    ServerError,
    /// Envelope code 501: generation failed.
    GenerationFailed,
    /// No answer at all (the client's timeout must fire).
    Hang,
    /// Any other documented envelope code with its message: 400 bad request, 404 not
    /// found, 422 validation error, 505 feature disabled (or 401/402/429 service-wide).
    Code(u16),
}

/// Which API a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /api/v1/jobs/createTask`.
    CreateTask,
    /// `GET /api/v1/jobs/recordInfo`.
    RecordInfo,
    /// `GET /api/v1/chat/credit`.
    Credit,
    /// The three upload routes.
    Upload,
}

/// A task's state, as `data.state` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// Accepted, not yet queued.
    Waiting,
    /// In the processing queue.
    Queuing,
    /// Being generated.
    Generating,
    /// Done; `resultJson` holds `resultUrls`.
    Success,
    /// Failed; see `failCode`/`failMsg`.
    Fail,
}

impl TaskState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Waiting => "waiting",
            TaskState::Queuing => "queuing",
            TaskState::Generating => "generating",
            TaskState::Success => "success",
            TaskState::Fail => "fail",
        }
    }

    /// `success` or `fail`.
    pub fn is_finished(self) -> bool {
        matches!(self, TaskState::Success | TaskState::Fail)
    }
}

/// A `createTask` the fake accepted.
#[derive(Clone, Debug)]
pub struct CreatedTask {
    /// `data.taskId` returned.
    pub task_id: String,
    /// The bearer key that paid for it.
    pub key: String,
    /// `model`.
    pub model: String,
    /// `input.prompt`.
    pub prompt: String,
    /// The whole request body.
    pub body: Value,
}

/// One file received by the upload API.
#[derive(Clone, Debug)]
pub struct Upload {
    /// `"stream"`, `"base64"` or `"url"`.
    pub method: &'static str,
    /// The bearer key.
    pub key: String,
    /// Stored file name.
    pub file_name: String,
    /// `uploadPath`.
    pub upload_path: String,
    /// Bytes stored.
    pub size: usize,
    /// MIME type detected.
    pub mime_type: String,
    /// The `downloadUrl` answered.
    pub download_url: String,
}

/// One POST of a completion callback.
#[derive(Clone, Debug)]
pub struct CallbackAttempt {
    /// The task.
    pub task_id: String,
    /// `callBackUrl`.
    pub url: String,
    /// The HTTP status answered, `None` if the request failed.
    pub status: Option<u16>,
    /// The body posted.
    pub body: Value,
}

#[derive(Clone, Debug)]
pub(crate) struct Task {
    pub created: CreatedTask,
    pub callback_url: Option<String>,
    pub state: TaskState,
    pub fail: Option<(String, String)>,
    pub result_urls: Vec<String>,
    pub create_ms: i64,
    pub update_ms: i64,
    pub complete_ms: Option<i64>,
    pub cost: i64,
}

#[derive(Clone, Debug)]
pub(crate) struct StoredUpload {
    pub bytes: Bytes,
    pub mime_type: String,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub keys: HashMap<String, KeyState>,
    pub credits: HashMap<String, i64>,
    pub tasks: HashMap<String, Task>,
    pub order: Vec<String>,
    pub status_queries: HashMap<String, usize>,
    pub faults: VecDeque<(Option<Endpoint>, KieFault)>,
    pub fail_next_tasks: VecDeque<(String, String)>,
    pub generation_time: Duration,
    pub cost_per_5s: i64,
    pub uploads: Vec<Upload>,
    pub files: HashMap<String, StoredUpload>,
    pub callbacks: Vec<CallbackAttempt>,
    pub calls: HashMap<Endpoint, usize>,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            keys: HashMap::new(),
            credits: HashMap::new(),
            tasks: HashMap::new(),
            order: Vec::new(),
            status_queries: HashMap::new(),
            faults: VecDeque::new(),
            fail_next_tasks: VecDeque::new(),
            generation_time: Duration::from_millis(200),
            cost_per_5s: 10,
            uploads: Vec::new(),
            files: HashMap::new(),
            callbacks: Vec::new(),
            calls: HashMap::new(),
        }
    }
}

impl Inner {
    pub(crate) fn key_state(&self, key: &str) -> KeyState {
        self.keys.get(key).copied().unwrap_or(KeyState::Valid)
    }

    pub(crate) fn credits_of(&self, key: &str) -> i64 {
        self.credits.get(key).copied().unwrap_or(DEFAULT_CREDITS)
    }

    /// Takes the first queued fault for `endpoint` (untargeted faults spare the upload API).
    pub(crate) fn take_fault(&mut self, endpoint: Endpoint) -> Option<KieFault> {
        let at = self
            .faults
            .iter()
            .position(|(e, _)| e.map_or(endpoint != Endpoint::Upload, |e| e == endpoint))?;
        self.faults.remove(at).map(|(_, f)| f)
    }
}
