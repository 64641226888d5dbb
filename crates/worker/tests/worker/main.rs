//! The worker's specification, run against the `neurocards-testkit` fakes of KIE, Telegram
//! and OpenAI over real HTTP, on PostgreSQL and on SQLite. Each module is one capability;
//! the `both!` macro runs each of its cases once per backend.

mod crash;
mod delivery;
mod errors;
mod keys;
mod proxies;

use neurocards_core::config::{Config, Needs};
use neurocards_core::{JobKind, JobState, UserId, VideoDuration};
use neurocards_store::scratch::ScratchDatabase;
use neurocards_store::{ChargeOutcome, Dialect, Job, JobId, NewJob, NewUser, Store};
use neurocards_testkit::{FakeKie, FakeOpenAi, FakeTelegram, Sent};
use neurocards_worker::{Worker, WorkerOptions};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The KIE key the worker uses unless a case configures others.
pub const KIE_KEY: &str = "kie-key-one-0001";
/// The idea every paid job asks for unless a case says otherwise.
pub const PROMPT: &str = "photosynthesis in a leaf";
/// Long enough for any step on a loaded CI machine; waits end as soon as it happens.
pub const WAIT: Duration = Duration::from_secs(20);

/// A database, the three fakes and the settings pointing at them.
pub struct Harness {
    pub store: Store,
    pub kie: FakeKie,
    pub telegram: FakeTelegram,
    pub openai: FakeOpenAi,
    pub vars: HashMap<String, String>,
    _db: ScratchDatabase,
    _files: tempfile::TempDir,
}

/// A running worker.
pub struct Running {
    pub shutdown: CancellationToken,
    pub handle: JoinHandle<()>,
}

impl Running {
    /// Graceful stop; waits for the drain.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .expect("drained in time")
            .expect("worker task");
    }
}

impl Harness {
    pub async fn new(dialect: Dialect) -> Harness {
        Self::with_generation(dialect, Duration::from_millis(200)).await
    }

    /// KIE tasks take `generation` from creation to success.
    pub async fn with_generation(dialect: Dialect, generation: Duration) -> Harness {
        let db = ScratchDatabase::new(dialect)
            .await
            .expect("scratch database");
        let store = Store::open(db.url()).await.expect("store");
        let (kie, telegram, openai) = (
            FakeKie::start().await,
            FakeTelegram::start().await,
            FakeOpenAi::start().await,
        );
        kie.set_generation_time(generation);
        let files = tempfile::tempdir().expect("tempdir");
        let vars: HashMap<String, String> = [
            ("BOT_TOKEN", telegram.token().to_owned()),
            ("TELEGRAM_API_URL", telegram.api_url()),
            ("KIE_API_KEY", KIE_KEY.to_owned()),
            ("KIE_BASE_URL", kie.api_url()),
            ("KIE_UPLOAD_URL", kie.upload_url()),
            ("OPENAI_API_KEY", "sk-test-000000".to_owned()),
            ("OPENAI_BASE_URL", openai.base_url()),
            ("STORAGE_BASE_PATH", files.path().display().to_string()),
            ("WORKER_TIMEOUT", "60".to_owned()),
            ("DEFAULT_LANGUAGE", "en".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        Harness {
            store,
            kie,
            telegram,
            openai,
            vars,
            _db: db,
            _files: files,
        }
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.vars.insert(name.to_owned(), value.to_owned());
    }

    pub fn config(&self) -> Config {
        Config::from_lookup(Needs::default(), |name| self.vars.get(name).cloned()).expect("config")
    }

    /// Fast timings so every case runs in about a second.
    pub fn options() -> WorkerOptions {
        static N: AtomicU32 = AtomicU32::new(0);
        WorkerOptions {
            owner: format!("test-worker-{}", N.fetch_add(1, Ordering::Relaxed)),
            lease: Duration::from_millis(1500),
            renew_every: Duration::from_millis(300),
            idle_poll: Duration::from_millis(100),
            sweep_every: Duration::from_secs(30),
            poll_initial: Duration::from_millis(100),
            poll_max: Duration::from_millis(300),
            callback_fallback: Duration::from_secs(20),
            retry_initial: Duration::from_millis(50),
            retry_max: Duration::from_millis(200),
            enhancer_timeout: Duration::from_secs(2),
            ..WorkerOptions::default()
        }
    }

    pub async fn worker(&self) -> Worker {
        Worker::new(&self.config(), self.store.clone())
            .await
            .expect("worker")
            .with_options(Self::options())
    }

    pub async fn start(&self) -> Running {
        let worker = self.worker().await;
        Self::spawn(worker)
    }

    pub fn spawn(worker: Worker) -> Running {
        let shutdown = CancellationToken::new();
        let token = shutdown.clone();
        let handle = tokio::spawn(async move {
            worker.run(token).await.expect("worker run");
        });
        Running { shutdown, handle }
    }

    /// A user with `credits` and a paid, queued job of `kind` asking for [`PROMPT`].
    pub async fn paid_job(&self, user: i64, credits: i64, kind: JobKind) -> Job {
        self.paid_job_with_prompt(user, credits, kind, PROMPT).await
    }

    /// As the bot leaves it: the user wrote to the bot (and, for a neurocard, sent a photo
    /// the Telegram fake holds), the job is charged, and the bot's progress message is in
    /// the chat.
    pub async fn paid_job_with_prompt(
        &self,
        user: i64,
        credits: i64,
        kind: JobKind,
        prompt: &str,
    ) -> Job {
        let new_user = NewUser {
            id: UserId(user),
            username: None,
            full_name: format!("User {user}"),
            language: None,
            referral_code: None,
        };
        self.store
            .upsert_user(&new_user, credits)
            .await
            .expect("user");
        let sim = self.telegram.user(user);
        sim.send_text(prompt);
        let input_file_id = (kind == JobKind::Neurocard)
            .then(|| sim.send_photo(None).file_id.expect("the photo's file_id"));
        let request = NewJob {
            user: UserId(user),
            chat_id: user,
            kind,
            prompt: prompt.to_owned(),
            input_file_id,
            duration: VideoDuration::S5,
            cost: 1,
            idempotency_key: None,
            max_attempts: 3,
        };
        let ChargeOutcome::Created(job) = self
            .store
            .create_job_and_charge(&request)
            .await
            .expect("charge")
        else {
            panic!("not charged");
        };
        let progress = self.bot_says(user, "⏳ Your request is in the queue").await;
        self.store
            .set_progress_message(job.id, progress)
            .await
            .expect("progress message");
        job
    }

    /// A message the bot itself sends (over the fake's Bot API), as its progress message.
    pub async fn bot_says(&self, chat: i64, text: &str) -> i64 {
        let url = format!(
            "{}/bot{}/sendMessage",
            self.telegram.api_url(),
            self.telegram.token()
        );
        let answer: Value = reqwest::Client::new()
            .post(url)
            .json(&json!({ "chat_id": chat, "text": text }))
            .send()
            .await
            .expect("sendMessage")
            .json()
            .await
            .expect("sendMessage answer");
        answer["result"]["message_id"]
            .as_i64()
            .unwrap_or_else(|| panic!("sendMessage refused: {answer}"))
    }

    /// What the bot did in `chat` with `method` (successful calls only), in order.
    pub fn sent(&self, chat: i64, method: &str) -> Vec<Sent> {
        self.telegram
            .sent(chat)
            .into_iter()
            .filter(|m| m.method == method)
            .collect()
    }

    /// Waits until the worker has recorded the task ids of `count` tasks: it asks KIE about
    /// a task only once its id is stored.
    pub async fn submissions_recorded(&self, count: usize) -> Vec<String> {
        self.kie
            .wait_tasks_created(count, WAIT)
            .await
            .expect("tasks created");
        let tasks: Vec<String> = self
            .kie
            .created_tasks()
            .into_iter()
            .map(|t| t.task_id)
            .collect();
        for task in &tasks {
            self.kie
                .wait_status_queries(task, 1, WAIT)
                .await
                .expect("the worker waits on its task");
        }
        tasks
    }

    /// Waits for the job's end as the user sees it — the worker's last edit of the progress
    /// message ("✅ Done!" or "❌"), made after the job is recorded done or failed (refused
    /// edits to a blocked user count too) — and returns the finished job.
    pub async fn finished(&self, id: JobId) -> Job {
        let job = self.store.job(id).await.expect("job").expect("exists");
        let message = job
            .progress_message_id
            .expect("every test job has a progress message");
        let last_edit = |params: &serde_json::Value| {
            params["chat_id"].to_string().trim_matches('"') == job.chat_id.to_string()
                && params["message_id"].to_string().trim_matches('"') == message.to_string()
                && matches!(params["text"].as_str(), Some("✅ Done!" | "❌"))
        };
        loop {
            let edits = self.telegram.requests("editMessageText");
            if edits.iter().any(last_edit) {
                break;
            }
            let more = self.telegram.calls("editMessageText") + 1;
            assert!(
                self.telegram
                    .wait_calls("editMessageText", more, WAIT)
                    .await
                    .is_some(),
                "job {id} did not finish: {:?}",
                self.store.job(id).await
            );
        }
        let done = self.store.job(id).await.expect("job").expect("exists");
        assert!(done.state.is_terminal(), "{done:?}");
        done
    }

    /// The balance equals the ledger's sum (money invariant 2).
    pub async fn assert_ledger_balanced(&self, user: i64) {
        let balance = self.store.balance(UserId(user)).await.expect("balance");
        let sum = self.store.ledger_sum(UserId(user)).await.expect("sum");
        assert_eq!(balance, sum, "balance and ledger disagree");
    }
}

pub fn is_done(job: &Job) -> bool {
    job.state == JobState::Done
}

/// Runs each listed `async fn(Dialect)` once on PostgreSQL and once on SQLite.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(neurocards_store::Dialect::Postgres).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(neurocards_store::Dialect::Sqlite).await;
                }
            )*
        }
    };
}
