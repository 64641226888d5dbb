//! Store throughput: charge+enqueue and claim+finish cycles per second, with 16 concurrent
//! tasks, on PostgreSQL and SQLite; plus how fast an insert wakes an idle worker.
//!
//! `cargo bench -p neurocards-store` (PostgreSQL from `TEST_DATABASE_URL`, default local).

use neurocards_core::{JobKind, UserId, VideoDuration};
use neurocards_store::scratch::ScratchDatabase;
use neurocards_store::{ChargeOutcome, Dialect, Lease, NewJob, NewUser, Store};
use std::time::{Duration, Instant};

const TASKS: i64 = 16;
const JOBS_PER_TASK: i64 = 250;

fn job(user: UserId) -> NewJob {
    NewJob {
        user,
        chat_id: user.0,
        kind: JobKind::Neurocard,
        prompt: "the water cycle".to_owned(),
        input_file_id: Some("file".to_owned()),
        duration: VideoDuration::S5,
        cost: 1,
        idempotency_key: None,
        max_attempts: 3,
    }
}

async fn charge_and_enqueue(store: &Store) -> f64 {
    for t in 0..TASKS {
        let user = NewUser {
            id: UserId(t + 1),
            username: None,
            full_name: format!("bench {t}"),
            language: None,
            referral_code: None,
        };
        store.upsert_user(&user, JOBS_PER_TASK).await.expect("user");
    }
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..JOBS_PER_TASK {
                    let mut request = job(UserId(t + 1));
                    request.idempotency_key = Some(format!("{t}-{i}"));
                    match store.create_job_and_charge(&request).await.expect("charge") {
                        ChargeOutcome::Created(_) => {}
                        other => panic!("{other:?}"),
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    (TASKS * JOBS_PER_TASK) as f64 / started.elapsed().as_secs_f64()
}

async fn claim_and_finish(store: &Store) -> f64 {
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                let owner = format!("bench-{t}");
                let mut done = 0u64;
                while let Some(job) = store
                    .claim(&owner, Duration::from_secs(60))
                    .await
                    .expect("claim")
                {
                    let lease = Lease {
                        job: job.id,
                        owner: owner.clone(),
                    };
                    assert!(
                        store
                            .finish_ok(&lease, "https://r/v.mp4", "file")
                            .await
                            .expect("finish")
                    );
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("task");
    }
    assert_eq!(total as i64, TASKS * JOBS_PER_TASK);
    total as f64 / started.elapsed().as_secs_f64()
}

/// Medians over 50 inserts, in milliseconds: the insert's own round trip, and the time from
/// starting the insert to an idle waiter (in another process on PostgreSQL) waking.
async fn wake_latency(db: &ScratchDatabase, store: &Store) -> (f64, f64) {
    let waiting = match store.dialect() {
        Dialect::Postgres => Store::connect(db.url()).await.expect("second store"),
        Dialect::Sqlite => store.clone(),
    };
    let mut waiter = waiting.job_waiter().await.expect("waiter");
    let user = UserId(1);
    store.grant(user, 100, "bench", None).await.expect("grant");
    let (mut round_trips, mut wakes) = (Vec::new(), Vec::new());
    for _ in 0..50 {
        let start = Instant::now();
        let inserter = store.clone();
        let insert = tokio::spawn(async move {
            inserter
                .create_job_and_charge(&job(user))
                .await
                .expect("charge");
            start.elapsed()
        });
        assert!(waiter.wait(Duration::from_secs(5)).await, "woken");
        wakes.push(start.elapsed().as_secs_f64() * 1000.0);
        round_trips.push(insert.await.expect("insert").as_secs_f64() * 1000.0);
    }
    (median(round_trips), median(wakes))
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

async fn bench(dialect: Dialect) {
    let db = ScratchDatabase::new(dialect)
        .await
        .expect("scratch database");
    let store = Store::open(db.url()).await.expect("store");
    let charges = charge_and_enqueue(&store).await;
    let cycles = claim_and_finish(&store).await;
    let (insert, wake) = wake_latency(&db, &store).await;
    println!(
        "{:<8} charge+enqueue: {charges:>5.0}/s   claim+finish_ok: {cycles:>5.0}/s   \
         insert p50: {insert:.2} ms, insert start to idle worker woken p50: {wake:.2} ms   \
         ({TASKS} tasks, {} jobs)",
        format!("{dialect:?}").to_lowercase(),
        TASKS * JOBS_PER_TASK
    );
    store.close().await;
}

fn main() {
    // `cargo test --benches` runs this with --bench absent; only `cargo bench` measures.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        bench(Dialect::Postgres).await;
        bench(Dialect::Sqlite).await;
    });
}
