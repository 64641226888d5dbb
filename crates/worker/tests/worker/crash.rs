//! Crash safety and graceful shutdown: a job whose worker dies after submitting is finished
//! by the next worker with the same task (one task paid for, one video); 20 jobs in flight
//! at shutdown are released and, after a restart, each finishes exactly once.
//!
//! Aborting the worker's task here drops every job task mid-flight, as a crash would;
//! `tests/cli/scale.rs` also kills a real `neurocards worker` process with SIGKILL.

use crate::Harness;
use neurocards_core::{JobKind, JobState};
use neurocards_store::Dialect;
use std::time::Duration;

async fn a_new_worker_resumes_the_submitted_task(dialect: Dialect) {
    let h = Harness::with_generation(dialect, Duration::from_millis(1500)).await;
    let job = h.paid_job(50, 1, JobKind::Neurocard).await;
    let first = h.start().await;
    let tasks = h.submissions_recorded(1).await;
    first.handle.abort();
    let _ = first.handle.await;

    let second = h.start().await;
    let done = h.finished(job.id).await;
    second.stop().await;

    assert!(crate::is_done(&done), "{done:?}");
    assert_eq!(h.kie.created_tasks().len(), 1, "one task paid for");
    assert_eq!(done.provider_task_id.as_deref(), Some(tasks[0].as_str()));
    assert_eq!(h.kie.uploads().len(), 1, "the photo was uploaded once");
    assert_eq!(h.sent(50, "sendVideo").len(), 1, "one video");
    assert_eq!(h.telegram.calls("sendVideo"), 1, "one video");
    assert_eq!(done.attempts, 2);
    h.assert_ledger_balanced(50).await;
}

async fn shutdown_with_20_in_flight_loses_and_doubles_nothing(dialect: Dialect) {
    let h = Harness::with_generation(dialect, Duration::from_millis(1500)).await;
    let users: Vec<i64> = (100..120).collect();
    let mut jobs = Vec::new();
    for user in &users {
        jobs.push(h.paid_job(*user, 1, JobKind::Reels).await);
    }
    let worker = h.start().await;
    h.submissions_recorded(jobs.len()).await;
    worker.stop().await;
    for job in &jobs {
        let recorded = h.store.job(job.id).await.expect("job").expect("exists");
        assert!(recorded.provider_task_id.is_some(), "{recorded:?}");
    }
    for job in &jobs {
        let released = h.store.job(job.id).await.expect("job").expect("exists");
        assert_eq!(released.state, JobState::Queued, "released: {released:?}");
        assert!(released.lease_owner.is_none());
    }
    assert_eq!(
        h.telegram.calls("sendVideo"),
        0,
        "no video before the restart"
    );

    let restarted = h.start().await;
    for job in &jobs {
        let done = h.finished(job.id).await;
        assert!(crate::is_done(&done), "{done:?}");
        assert_eq!(done.attempts, 1, "a released claim is not counted");
    }
    restarted.stop().await;
    assert_eq!(h.kie.tasks_created(), 20, "one task per job");
    assert_eq!(h.telegram.calls("sendVideo"), 20, "one video per job");
    for user in &users {
        assert_eq!(h.sent(*user, "sendVideo").len(), 1, "one video to {user}");
    }
}

crate::both!(
    a_new_worker_resumes_the_submitted_task,
    shutdown_with_20_in_flight_loses_and_doubles_nothing,
);
