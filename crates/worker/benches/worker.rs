//! One worker process under load: N jobs (default 2,000) against the KIE fake with a long
//! generation time (default 60 s), polling for status (no callbacks). Prints the most jobs
//! in flight at once, the peak RSS (of this whole process, fakes included), queue-to-submit
//! and done-to-delivered latencies (p50/p99) and status calls per job.
//!
//! `cargo bench -p neurocards-worker` (SQLite; `BENCH_DATABASE=postgres` for PostgreSQL,
//! `BENCH_JOBS`, `BENCH_GENERATION_S` to change the load).

#[path = "../tests/worker/fakes.rs"]
#[allow(dead_code)]
mod fakes;

use fakes::{FakeKie, FakeOpenAi, FakeTelegram};
use neurocards_core::config::{Config, Needs};
use neurocards_core::{JobKind, JobState, UserId, VideoDuration};
use neurocards_store::scratch::ScratchDatabase;
use neurocards_store::{ChargeOutcome, Dialect, NewJob, NewUser, Store};
use neurocards_worker::{Worker, WorkerOptions};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

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

async fn bench(dialect: Dialect, jobs: u64, generation: Duration) {
    let db = ScratchDatabase::new(dialect).await.expect("database");
    let store = Store::open(db.url()).await.expect("store");
    let kie = FakeKie::start(generation).await;
    let telegram = FakeTelegram::start().await;
    let openai = FakeOpenAi::start().await;
    let files = tempfile::tempdir().expect("tempdir");
    let vars: HashMap<&str, String> = [
        ("BOT_TOKEN", "123456:BENCH-token".to_owned()),
        ("TELEGRAM_API_URL", telegram.url.clone()),
        ("KIE_API_KEY", "kie-bench-key-0001".to_owned()),
        ("KIE_BASE_URL", kie.url.clone()),
        ("KIE_UPLOAD_URL", kie.url.clone()),
        ("OPENAI_API_KEY", "sk-bench-000000".to_owned()),
        ("OPENAI_BASE_URL", openai.url.clone()),
        ("STORAGE_BASE_PATH", files.path().display().to_string()),
        ("WORKER_CONCURRENCY", (jobs + 100).to_string()),
    ]
    .into_iter()
    .collect();
    let config =
        Config::from_lookup(Needs::default(), |name| vars.get(name).cloned()).expect("config");
    let worker = Worker::new(&config, store.clone())
        .await
        .expect("worker")
        .with_options(WorkerOptions::default());
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(worker.run(shutdown.clone()));

    let started = Instant::now();
    let mut ids = Vec::new();
    for i in 0..jobs as i64 {
        let user = NewUser {
            id: UserId(10_000 + i),
            username: None,
            full_name: format!("bench {i}"),
            language: None,
            referral_code: None,
        };
        store.upsert_user(&user, 1).await.expect("user");
        let request = NewJob {
            user: UserId(10_000 + i),
            chat_id: 10_000 + i,
            kind: JobKind::Reels,
            prompt: "a wave at sunset".into(),
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
    let mut peak_in_flight = 0usize;
    loop {
        let (created, delivered) = (kie.tasks().len(), telegram.sent("sendVideo").len());
        peak_in_flight = peak_in_flight.max(created.saturating_sub(delivered));
        if delivered as u64 >= jobs {
            break;
        }
        assert!(
            started.elapsed() < generation * 4 + Duration::from_secs(300),
            "bench stalled: {created} created, {delivered} delivered"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let elapsed = started.elapsed();
    shutdown.cancel();
    let _ = running.await;

    let generation_ms = generation.as_millis() as i64;
    let (mut to_submit, mut to_deliver) = (Vec::new(), Vec::new());
    for id in &ids {
        let job = store.job(*id).await.expect("job").expect("exists");
        assert_eq!(job.state, JobState::Done, "{job:?}");
        if let (Some(submitted), Some(finished)) = (job.submitted_at, job.finished_at) {
            to_submit.push(submitted - job.created_at);
            to_deliver.push(finished - submitted - generation_ms);
        }
    }
    to_submit.sort_unstable();
    to_deliver.sort_unstable();
    let status_calls: u32 = kie.with(|s| s.status_queries.values().sum());
    println!(
        "worker bench ({dialect:?}, {jobs} jobs, generation {} s, polling):",
        generation.as_secs()
    );
    println!("  jobs in flight (peak)      {peak_in_flight}");
    println!("  peak RSS (process)         {:.1} MB", peak_rss_mb());
    println!(
        "  queue→submit   p50/p99     {} / {} ms",
        quantile(&to_submit, 0.5),
        quantile(&to_submit, 0.99)
    );
    println!(
        "  done→delivered p50/p99     {} / {} ms (incl. the poll interval)",
        quantile(&to_deliver, 0.5),
        quantile(&to_deliver, 0.99)
    );
    println!(
        "  status calls per job       {:.2}",
        f64::from(status_calls) / jobs as f64
    );
    println!("  tasks created              {}", kie.tasks().len());
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
    let jobs = env_or("BENCH_JOBS", 2000);
    let generation = Duration::from_secs(env_or("BENCH_GENERATION_S", 60));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(bench(dialect, jobs, generation));
}
