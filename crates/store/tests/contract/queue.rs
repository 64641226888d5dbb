//! The queue on the job rows: exclusive claims under leases, expiry and re-claim with
//! attempts counted, a bounded number of attempts, refunds exactly once, and wake-ups.

use crate::{Fixture, neurocard};
use futures::future::join_all;
use neurocards_core::JobState;
use neurocards_store::{ChargeOutcome, Job, JobId, Lease};
use std::collections::HashSet;
use std::time::Duration;

crate::contract!(
    concurrent_workers_never_share_a_job,
    an_expired_lease_is_claimed_again_with_one_more_attempt,
    a_job_past_max_attempts_fails_and_is_refunded_once,
    concurrent_failures_refund_once,
    a_released_job_keeps_its_task_and_its_attempts,
    a_finished_job_is_never_claimed,
    the_sweeper_fails_jobs_past_the_timeout,
    an_insert_wakes_a_waiter_in_another_process,
    queue_position_counts_the_jobs_ahead,
);

const LEASE: Duration = Duration::from_secs(30);

async fn queue_jobs(fx: &Fixture, count: i64) -> Vec<Job> {
    let user = fx.user_with(1, count).await;
    let mut jobs = Vec::new();
    for _ in 0..count {
        match fx.store.create_job_and_charge(&neurocard(user, None)).await {
            Ok(ChargeOutcome::Created(job)) => jobs.push(job),
            other => panic!("unexpected {other:?}"),
        }
    }
    jobs
}

fn lease(job: &Job, owner: &str) -> Lease {
    Lease {
        job: job.id,
        owner: owner.to_owned(),
    }
}

async fn concurrent_workers_never_share_a_job(fx: Fixture) {
    let jobs = queue_jobs(&fx, 40).await;
    let workers = (0..4).map(|w| {
        let store = fx.store.clone();
        tokio::spawn(async move {
            let owner = format!("worker-{w}");
            let mut mine = Vec::new();
            while let Some(job) = store.claim(&owner, LEASE).await.expect("claim") {
                assert_eq!(job.lease_owner.as_deref(), Some(owner.as_str()));
                mine.push(job.id);
            }
            mine
        })
    });
    let claimed: Vec<JobId> = join_all(workers)
        .await
        .into_iter()
        .flat_map(|joined| joined.expect("worker"))
        .collect();
    let distinct: HashSet<JobId> = claimed.iter().copied().collect();
    assert_eq!(claimed.len(), jobs.len(), "no job claimed twice");
    assert_eq!(distinct.len(), jobs.len(), "every job claimed");
}

async fn an_expired_lease_is_claimed_again_with_one_more_attempt(fx: Fixture) {
    let job = queue_jobs(&fx, 1).await.remove(0);
    let first = fx
        .store
        .claim("w1", LEASE)
        .await
        .expect("claim")
        .expect("a job");
    assert_eq!(
        (first.id, first.attempts, first.state),
        (job.id, 1, JobState::Running)
    );
    assert!(
        fx.store.claim("w2", LEASE).await.expect("claim").is_none(),
        "leased"
    );

    fx.clock.advance(LEASE + Duration::from_secs(1));
    let second = fx
        .store
        .claim("w2", LEASE)
        .await
        .expect("claim")
        .expect("expired");
    assert_eq!((second.id, second.attempts), (job.id, 2));
    assert_eq!(second.lease_owner.as_deref(), Some("w2"));

    // The first worker lost its lease: it can neither renew nor finish.
    assert!(
        !fx.store
            .renew_lease(job.id, "w1", LEASE)
            .await
            .expect("renew")
    );
    assert!(
        !fx.store
            .finish_ok(&lease(&job, "w1"), "u", "f")
            .await
            .expect("finish")
    );
    assert!(
        fx.store
            .renew_lease(job.id, "w2", LEASE)
            .await
            .expect("renew")
    );
    assert!(
        fx.store
            .finish_ok(&lease(&job, "w2"), "https://r/v.mp4", "vid")
            .await
            .expect("finish")
    );
    let done = fx.store.job(job.id).await.expect("job").expect("exists");
    assert_eq!(done.state, JobState::Done);
    assert_eq!(done.video_file_id.as_deref(), Some("vid"));
    assert_eq!(done.result_url.as_deref(), Some("https://r/v.mp4"));
}

async fn a_job_past_max_attempts_fails_and_is_refunded_once(fx: Fixture) {
    let job = queue_jobs(&fx, 1).await.remove(0);
    let user = job.user;
    assert_eq!(fx.store.balance(user).await.expect("balance"), 0);
    for attempt in 1..=3 {
        let claimed = fx
            .store
            .claim("w", LEASE)
            .await
            .expect("claim")
            .expect("claimable");
        assert_eq!(claimed.attempts, attempt);
        fx.clock.advance(LEASE + Duration::from_secs(1));
    }
    assert!(
        fx.store.claim("w", LEASE).await.expect("claim").is_none(),
        "attempts used up"
    );

    let swept = fx
        .store
        .sweep(Duration::from_secs(3600))
        .await
        .expect("sweep");
    assert_eq!(swept.iter().map(|j| j.id).collect::<Vec<_>>(), vec![job.id]);
    let failed = fx.store.job(job.id).await.expect("job").expect("exists");
    assert_eq!(failed.state, JobState::Failed);
    assert_eq!(failed.error_class.as_deref(), Some("attempts_exhausted"));

    for _ in 0..2 {
        assert!(
            !fx.store
                .finish_failed(job.id, None, "x", "again")
                .await
                .expect("fail")
        );
    }
    assert!(
        fx.store
            .sweep(Duration::from_secs(3600))
            .await
            .expect("sweep")
            .is_empty()
    );
    assert_eq!(fx.store.balance(user).await.expect("balance"), 1);
    assert_eq!(fx.store.ledger_sum(user).await.expect("sum"), 1);
    let refunds = fx.store.ledger(user, 10).await.expect("ledger");
    assert_eq!(refunds.iter().filter(|e| e.reason == "refund").count(), 1);
}

async fn concurrent_failures_refund_once(fx: Fixture) {
    let job = queue_jobs(&fx, 1).await.remove(0);
    fx.store
        .claim("w", LEASE)
        .await
        .expect("claim")
        .expect("job");
    let calls = (0..10).map(|i| {
        let store = fx.store.clone();
        let owner = if i % 2 == 0 { Some("w") } else { None };
        tokio::spawn(async move {
            store
                .finish_failed(job.id, owner, "provider", "boom")
                .await
                .expect("fail")
        })
    });
    let ended: usize = join_all(calls)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().expect("task"))
        .count();
    assert_eq!(ended, 1);
    assert_eq!(fx.store.balance(job.user).await.expect("balance"), 1);
    assert_eq!(fx.store.ledger_sum(job.user).await.expect("sum"), 1);
}

async fn a_released_job_keeps_its_task_and_its_attempts(fx: Fixture) {
    let job = queue_jobs(&fx, 1).await.remove(0);
    let claimed = fx
        .store
        .claim("w1", LEASE)
        .await
        .expect("claim")
        .expect("job");
    let held = lease(&claimed, "w1");
    assert!(
        fx.store
            .set_enhanced_prompt(&held, "cinematic leaf")
            .await
            .expect("prompt")
    );
    assert!(
        fx.store
            .record_submission(&held, "kie", "task-123")
            .await
            .expect("submit")
    );
    assert!(fx.store.release(job.id, "w1").await.expect("release"));
    assert!(
        !fx.store.set_stage(&held, "late").await.expect("stage"),
        "lease is gone"
    );

    let resumed = fx
        .store
        .claim("w2", LEASE)
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(
        resumed.attempts, 1,
        "a graceful release does not use up an attempt"
    );
    assert_eq!(resumed.provider_task_id.as_deref(), Some("task-123"));
    assert_eq!(resumed.provider.as_deref(), Some("kie"));
    assert_eq!(resumed.enhanced_prompt.as_deref(), Some("cinematic leaf"));
    assert!(resumed.submitted_at.is_some());
}

async fn a_finished_job_is_never_claimed(fx: Fixture) {
    let job = queue_jobs(&fx, 1).await.remove(0);
    let claimed = fx
        .store
        .claim("w", LEASE)
        .await
        .expect("claim")
        .expect("job");
    assert!(
        fx.store
            .finish_ok(&lease(&claimed, "w"), "u", "f")
            .await
            .expect("finish")
    );
    fx.clock.advance(LEASE * 10);
    assert!(fx.store.claim("w", LEASE).await.expect("claim").is_none());
    assert!(
        !fx.store
            .finish_failed(job.id, None, "late", "late")
            .await
            .expect("fail")
    );
    assert_eq!(
        fx.store.balance(job.user).await.expect("balance"),
        0,
        "no refund for a delivered job"
    );
    assert!(!fx.store.requeue(job.id).await.expect("requeue"));
}

async fn the_sweeper_fails_jobs_past_the_timeout(fx: Fixture) {
    let jobs = queue_jobs(&fx, 2).await;
    let claimed = fx
        .store
        .claim("w", LEASE)
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(claimed.id, jobs[0].id);
    let timeout = Duration::from_secs(1800);
    // The worker keeps renewing, but the job runs past the timeout.
    for _ in 0..61 {
        fx.clock.advance(LEASE / 2 + Duration::from_secs(15));
        assert!(
            fx.store
                .renew_lease(claimed.id, "w", LEASE)
                .await
                .expect("renew")
        );
    }
    let stuck = fx.store.stuck_jobs(timeout).await.expect("stuck");
    assert_eq!(
        stuck.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![claimed.id]
    );
    let swept = fx.store.sweep(timeout).await.expect("sweep");
    assert_eq!(swept.len(), 1);
    let failed = fx
        .store
        .job(claimed.id)
        .await
        .expect("job")
        .expect("exists");
    assert_eq!(failed.error_class.as_deref(), Some("timeout"));
    let waiting = fx
        .store
        .job(jobs[1].id)
        .await
        .expect("job")
        .expect("exists");
    assert_eq!(waiting.state, JobState::Queued, "a queued job is not stuck");
    assert_eq!(fx.store.balance(claimed.user).await.expect("balance"), 1);
}

async fn an_insert_wakes_a_waiter_in_another_process(fx: Fixture) {
    // On SQLite every part shares one process (and so one store); on PostgreSQL the waiter
    // sits on a second, independent store, so only LISTEN/NOTIFY can wake it.
    let waiting_store = match fx.store.dialect() {
        neurocards_store::Dialect::Postgres => fx.second_store().await,
        neurocards_store::Dialect::Sqlite => fx.store.clone(),
    };
    let mut waiter = waiting_store.job_waiter().await.expect("waiter");
    let user = fx.user_with(5, 1).await;
    let store = fx.store.clone();
    let insert =
        tokio::spawn(async move { store.create_job_and_charge(&neurocard(user, None)).await });
    // A generous bound: a missed signal would show up as `false` (timed out).
    assert!(
        waiter.wait(Duration::from_secs(20)).await,
        "woken by the insert"
    );
    insert.await.expect("task").expect("insert");
    assert!(
        waiting_store
            .claim("w", LEASE)
            .await
            .expect("claim")
            .is_some(),
        "the job is there to claim"
    );
}

async fn queue_position_counts_the_jobs_ahead(fx: Fixture) {
    let jobs = queue_jobs(&fx, 3).await;
    assert_eq!(
        fx.store.queue_position(jobs[2].id).await.expect("position"),
        3
    );
    fx.store
        .claim("w", LEASE)
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(
        fx.store.queue_position(jobs[2].id).await.expect("position"),
        2
    );
}
