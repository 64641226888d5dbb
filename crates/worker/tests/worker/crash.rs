//! Crash safety and graceful shutdown: a job whose worker dies after submitting is finished
//! by the next worker with the same task (one task paid for, one video); 20 jobs in flight
//! at shutdown are released and, after a restart, each finishes exactly once.
//!
//! (Killing a real `neurocards worker` child process with SIGKILL needs the binary's worker
//! subcommand, wired elsewhere; aborting the worker's runtime task here drops every job
//! task mid-flight the same way.)

use crate::Harness;
use neurocards_core::{JobKind, JobState};
use neurocards_store::Dialect;
use std::time::Duration;

async fn a_new_worker_resumes_the_submitted_task(dialect: Dialect) {
    let h = Harness::with_generation(dialect, Duration::from_millis(1500)).await;
    let job = h.paid_job(50, 1, JobKind::Neurocard).await;
    let first = h.start().await;
    let submitted = h
        .wait_job(job.id, "the submission", |j| j.provider_task_id.is_some())
        .await;
    first.handle.abort();
    let _ = first.handle.await;

    let second = h.start().await;
    let done = h.finished(job.id).await;
    second.stop().await;

    assert!(crate::is_done(&done), "{done:?}");
    assert_eq!(done.provider_task_id, submitted.provider_task_id);
    assert_eq!(h.kie.tasks().len(), 1, "one task paid for");
    assert_eq!(h.telegram.sent("sendVideo").len(), 1, "one video");
    assert_eq!(done.attempts, 2);
    h.assert_ledger_balanced(50).await;
}

async fn shutdown_with_20_in_flight_loses_and_doubles_nothing(dialect: Dialect) {
    let h = Harness::with_generation(dialect, Duration::from_millis(1500)).await;
    let mut jobs = Vec::new();
    for user in 0..20 {
        jobs.push(h.paid_job(100 + user, 1, JobKind::Reels).await);
    }
    let worker = h.start().await;
    for job in &jobs {
        h.wait_job(job.id, "the submission", |j| j.provider_task_id.is_some())
            .await;
    }
    worker.stop().await;
    for job in &jobs {
        let released = h.store.job(job.id).await.expect("job").expect("exists");
        assert_eq!(released.state, JobState::Queued, "released: {released:?}");
        assert!(released.lease_owner.is_none());
    }
    assert!(h.telegram.sent("sendVideo").is_empty());

    let restarted = h.start().await;
    for job in &jobs {
        let done = h.finished(job.id).await;
        assert!(crate::is_done(&done), "{done:?}");
        assert_eq!(done.attempts, 1, "a released claim is not counted");
    }
    restarted.stop().await;
    assert_eq!(h.kie.tasks().len(), 20, "one task per job");
    let videos = h.telegram.sent("sendVideo");
    assert_eq!(videos.len(), 20, "one video per job");
    let mut chats: Vec<i64> = videos.iter().map(|v| v.chat_id).collect();
    chats.sort_unstable();
    chats.dedup();
    assert_eq!(chats.len(), 20);
}

crate::both!(
    a_new_worker_resumes_the_submitted_task,
    shutdown_with_20_in_flight_loses_and_doubles_nothing,
);
