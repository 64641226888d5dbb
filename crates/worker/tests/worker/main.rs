//! The worker's specification, run against local fakes of KIE, Telegram and OpenAI over
//! real HTTP, on PostgreSQL and on SQLite. Each module is one capability; the `both!`
//! macro runs each of its cases once per backend.

mod crash;
mod delivery;
mod errors;
mod fakes;
mod keys;
mod proxies;

use fakes::{FakeKie, FakeOpenAi, FakeTelegram};
use neurocards_core::config::{Config, Needs};
use neurocards_core::{JobKind, JobState, UserId, VideoDuration};
use neurocards_store::scratch::ScratchDatabase;
use neurocards_store::{ChargeOutcome, Dialect, Job, JobId, NewJob, NewUser, Store};
use neurocards_worker::{Worker, WorkerOptions};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The bot token every fake and config shares.
pub const TOKEN: &str = "123456:TEST-token_abc";

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

    pub async fn with_generation(dialect: Dialect, generation: Duration) -> Harness {
        let db = ScratchDatabase::new(dialect)
            .await
            .expect("scratch database");
        let store = Store::open(db.url()).await.expect("store");
        let (kie, telegram, openai) = (
            FakeKie::start(generation).await,
            FakeTelegram::start().await,
            FakeOpenAi::start().await,
        );
        let files = tempfile::tempdir().expect("tempdir");
        let vars: HashMap<String, String> = [
            ("BOT_TOKEN", TOKEN.to_owned()),
            ("TELEGRAM_API_URL", telegram.url.clone()),
            ("KIE_API_KEY", "kie-key-one-0001".to_owned()),
            ("KIE_BASE_URL", kie.url.clone()),
            ("KIE_UPLOAD_URL", kie.url.clone()),
            ("OPENAI_API_KEY", "sk-test-000000".to_owned()),
            ("OPENAI_BASE_URL", openai.url.clone()),
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

    /// A user with `credits` and a paid, queued job of `kind` (with a photo for neurocards).
    pub async fn paid_job(&self, user: i64, credits: i64, kind: JobKind) -> Job {
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
        let request = NewJob {
            user: UserId(user),
            chat_id: user,
            kind,
            prompt: "photosynthesis in a leaf".to_owned(),
            input_file_id: (kind == JobKind::Neurocard).then(|| format!("photo-{user}")),
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
        self.store
            .set_progress_message(job.id, 1)
            .await
            .expect("progress message");
        job
    }

    /// Waits (with a timeout) until `check` holds for the job.
    pub async fn wait_job(&self, id: JobId, what: &str, check: impl Fn(&Job) -> bool) -> Job {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let job = self.store.job(id).await.expect("job").expect("exists");
            if check(&job) {
                return job;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}: {job:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn finished(&self, id: JobId) -> Job {
        self.wait_job(id, "the job to finish", |j| j.state.is_terminal())
            .await
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
