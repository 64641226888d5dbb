//! One worker process under load: N jobs (default 2,000) arriving at a steady rate (default
//! 50 a second) against the testkit's KIE fake with a long generation time (default 60 s),
//! so that nearly all of them are in flight at once; KIE reports completion by callback to
//! the real HTTP server, as in production (`BENCH_POLLING=1` polls instead). Prints the most
//! jobs in flight at once (submitted, not yet delivered), the peak RSS (of this whole
//! process, fakes included; the Telegram fake is told not to keep the uploaded videos),
//! queue-to-submit and done-to-delivered latencies (p50/p99) and status calls per job.
//!
//! `cargo bench -p neurocards-worker` (SQLite; `BENCH_DATABASE=postgres` for PostgreSQL,
//! `BENCH_JOBS`, `BENCH_RATE`, `BENCH_GENERATION_S` to change the load).

use neurocards_core::config::{Config, Needs};
use neurocards_core::{JobKind, JobState, UserId, VideoDuration};
use neurocards_store::scratch::ScratchDatabase;
use neurocards_store::{ChargeOutcome, Dialect, NewJob, NewUser, Store};
use neurocards_testkit::{FakeKie, FakeOpenAi, FakeTelegram};
use neurocards_web::{HttpServer, HttpState};
use neurocards_worker::{Worker, WorkerOptions};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const KIE_KEY: &str = "kie-bench-key-0001";
const PROMPT: &str = "a wave at sunset";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn quantile(sorted: &[i64], q: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The most intervals `[start, end)` open at once.
fn peak_overlap(intervals: &[(i64, i64)]) -> usize {
    let mut events: Vec<(i64, i32)> = intervals
        .iter()
        .flat_map(|(start, end)| [(*start, 1), (*end, -1)])
        .collect();
    // At the same instant an end comes before a start.
    events.sort_unstable();
    let (mut open, mut peak) = (0i64, 0i64);
    for (_, delta) in events {
        open += i64::from(delta);
        peak = peak.max(open);
    }
    usize::try_from(peak).unwrap_or(0)
}

/// How the bench runs.
struct Load {
    jobs: u64,
    per_second: u64,
    generation: Duration,
    callbacks: bool,
}

async fn bench(dialect: Dialect, load: Load) {
    let Load {
        jobs,
        per_second,
        generation,
        callbacks,
    } = load;
    let db = ScratchDatabase::new(dialect).await.expect("database");
    let store = Store::open(db.url()).await.expect("store");
    let kie = FakeKie::start().await;
    kie.set_generation_time(generation);
    // Enough credits for every task (a 5-second one costs 10 by default).
    kie.set_credits(
        KIE_KEY,
        i64::try_from(jobs).unwrap_or(i64::MAX / 100) * 100 + 1000,
    );
    let telegram = FakeTelegram::start().await;
    // The videos the worker uploads are not kept, so the RSS is the worker's own (and the
    // fakes' bookkeeping), not 2,000 copies of a test video.
    telegram.drop_uploaded_bytes();
    let openai = FakeOpenAi::start().await;
    let files = tempfile::tempdir().expect("tempdir");
    let vars: HashMap<&str, String> = [
        ("BOT_TOKEN", telegram.token().to_owned()),
        ("TELEGRAM_API_URL", telegram.api_url()),
        ("KIE_API_KEY", KIE_KEY.to_owned()),
        ("KIE_BASE_URL", kie.api_url()),
        ("KIE_UPLOAD_URL", kie.upload_url()),
        ("OPENAI_API_KEY", "sk-bench-000000".to_owned()),
        ("OPENAI_BASE_URL", openai.base_url()),
        ("STORAGE_BASE_PATH", files.path().display().to_string()),
        ("WORKER_CONCURRENCY", (jobs + 100).to_string()),
    ]
    .into_iter()
    .collect();
    // The HTTP server's address is known before the worker is built: KIE calls it back.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let http_addr = listener.local_addr().expect("addr");
    drop(listener);
    let mut vars = vars;
    if callbacks {
        vars.insert("PUBLIC_BASE_URL", format!("http://{http_addr}"));
    }
    let config =
        Config::from_lookup(Needs::default(), |name| vars.get(name).cloned()).expect("config");
    let worker = Worker::new(&config, store.clone())
        .await
        .expect("worker")
        .with_options(WorkerOptions::default());
    let server = HttpServer::bind(
        http_addr,
        HttpState {
            store: store.clone(),
            redis: None,
            metrics: neurocards_core::metrics::Metrics::new(),
            job_waker: Some(worker.callback_hub().job_waker()),
            webhook: None,
        },
    )
    .await
    .expect("HTTP server");
    let shutdown = CancellationToken::new();
    let serving = tokio::spawn(server.serve(shutdown.clone()));
    let running = tokio::spawn(worker.run(shutdown.clone()));

    let started = Instant::now();
    let spacing = Duration::from_secs(1) / u32::try_from(per_second.max(1)).unwrap_or(u32::MAX);
    let mut ids = Vec::new();
    for i in 0..jobs as i64 {
        // Arrivals at a steady rate, as users confirm orders.
        tokio::time::sleep_until((started + spacing * u32::try_from(i).unwrap_or(0)).into()).await;
        let id = 10_000 + i;
        // The user wrote to the bot, so the bot may answer in the private chat.
        telegram.user(id).send_text(PROMPT);
        let user = NewUser {
            id: UserId(id),
            username: None,
            full_name: format!("bench {i}"),
            language: None,
            referral_code: None,
        };
        store.upsert_user(&user, 1).await.expect("user");
        let request = NewJob {
            user: UserId(id),
            chat_id: id,
            kind: JobKind::Reels,
            prompt: PROMPT.into(),
            input_file_id: None,
            duration: VideoDuration::S5,
            cost: 1,
            idempotency_key: None,
            max_attempts: 3,
        };
        match store.create_job_and_charge(&request).await.expect("charge") {
            ChargeOutcome::Created(job) => ids.push(job.id),
            other => panic!("{other:?}"),
        }
    }
    let limit = generation * 4 + Duration::from_secs(300);
    let wanted = usize::try_from(jobs).unwrap_or(usize::MAX);
    if telegram
        .wait_calls("sendVideo", wanted, limit.saturating_sub(started.elapsed()))
        .await
        .is_none()
    {
        panic!(
            "bench stalled: {} created, {} delivered",
            kie.tasks_created(),
            telegram.calls("sendVideo")
        );
    }
    let elapsed = started.elapsed();
    // The drain lets every job that already sent its video record it.
    shutdown.cancel();
    let _ = running.await;
    let _ = serving.await;

    let generation_ms = generation.as_millis() as i64;
    let (mut to_submit, mut to_deliver, mut in_flight) = (Vec::new(), Vec::new(), Vec::new());
    for id in &ids {
        let job = store.job(*id).await.expect("job").expect("exists");
        assert_eq!(job.state, JobState::Done, "{job:?}");
        if let (Some(submitted), Some(finished)) = (job.submitted_at, job.finished_at) {
            to_submit.push(submitted - job.created_at);
            to_deliver.push(finished - submitted - generation_ms);
            in_flight.push((submitted, finished));
        }
    }
    to_submit.sort_unstable();
    to_deliver.sort_unstable();
    let tasks = kie.created_tasks();
    let status_calls: usize = tasks
        .iter()
        .map(|task| kie.status_queries(&task.task_id))
        .sum();
    println!(
        "worker bench ({dialect:?}, {jobs} jobs at {per_second}/s, generation {} s, {}):",
        generation.as_secs(),
        if callbacks {
            "KIE callbacks"
        } else {
            "polling"
        }
    );
    println!("  jobs in flight (peak)      {}", peak_overlap(&in_flight));
    println!(
        "  peak RSS (process)         {:.1} MB (worker and fakes; the fake keeps no video bytes)",
        peak_rss_mb()
    );
    println!(
        "  queue→submit   p50/p99     {} / {} ms",
        quantile(&to_submit, 0.5),
        quantile(&to_submit, 0.99)
    );
    println!(
        "  done→delivered p50/p99     {} / {} ms (callback or poll, download, upload to Telegram)",
        quantile(&to_deliver, 0.5),
        quantile(&to_deliver, 0.99)
    );
    println!(
        "  status calls per job       {:.2}",
        status_calls as f64 / jobs as f64
    );
    println!("  tasks created              {}", tasks.len());
    println!(
        "  wall time                  {:.1} s",
        elapsed.as_secs_f64()
    );
}

fn main() {
    // `cargo test --benches` runs this without --bench; only `cargo bench` measures.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let dialect = match std::env::var("BENCH_DATABASE").as_deref() {
        Ok("postgres") => Dialect::Postgres,
        _ => Dialect::Sqlite,
    };
    let load = Load {
        jobs: env_or("BENCH_JOBS", 2000),
        per_second: env_or("BENCH_RATE", 50),
        generation: Duration::from_secs(env_or("BENCH_GENERATION_S", 60)),
        callbacks: env_or("BENCH_POLLING", 0) == 0,
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(bench(dialect, load));
}
