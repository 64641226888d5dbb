//! Key rotation: a key out of credits (402) and an invalid key (401) are parked; the job
//! goes through on the next working key, and no task is created on the parked ones.

use crate::{Harness, KIE_KEY};
use neurocards_core::JobKind;
use neurocards_providers::KeyHealth;
use neurocards_store::Dialect;
use neurocards_testkit::KeyState;
use neurocards_testkit::kie::Endpoint;

async fn parks_402_and_401_and_succeeds_on_the_third_key(dialect: Dialect) {
    let mut h = Harness::new(dialect).await;
    h.set(
        "KIE_API_KEY",
        "kie-key-empty-402,kie-key-invalid-401,kie-key-good-200",
    );
    h.kie
        .set_key_state("kie-key-empty-402", KeyState::OutOfCredits);
    h.kie
        .set_key_state("kie-key-invalid-401", KeyState::Invalid);
    let job = h.paid_job(40, 1, JobKind::Reels).await;
    let worker = h.worker().await;
    let keys = worker.keys().expect("kie keys");
    let running = Harness::spawn(worker);
    let done = h.finished(job.id).await;
    running.stop().await;

    assert!(crate::is_done(&done), "{done:?}");
    let tasks = h.kie.created_tasks();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].key, "kie-key-good-200");
    assert_eq!(h.kie.tasks_created_by("kie-key-empty-402"), 0);
    assert_eq!(h.kie.tasks_created_by("kie-key-invalid-401"), 0);
    let health: Vec<KeyHealth> = keys.health().await.into_iter().map(|(_, h)| h).collect();
    assert_eq!(
        health,
        [KeyHealth::Parked, KeyHealth::Parked, KeyHealth::Healthy]
    );
    h.assert_ledger_balanced(40).await;
}

async fn with_every_key_parked_the_job_waits_then_times_out_refunded(dialect: Dialect) {
    let mut h = Harness::new(dialect).await;
    h.set("WORKER_TIMEOUT", "2");
    h.kie.set_key_state(KIE_KEY, KeyState::OutOfCredits);
    let job = h.paid_job(41, 1, JobKind::Reels).await;
    let worker = h.start().await;
    let done = h.finished(job.id).await;
    worker.stop().await;
    assert_eq!(done.error_class.as_deref(), Some("timeout"), "{done:?}");
    assert!(h.kie.calls(Endpoint::CreateTask) >= 1, "the key was tried");
    assert_eq!(h.kie.tasks_created(), 0);
    assert_eq!(
        h.store
            .balance(neurocards_core::UserId(41))
            .await
            .expect("balance"),
        1
    );
    h.assert_ledger_balanced(41).await;
}

crate::both!(
    parks_402_and_401_and_succeeds_on_the_third_key,
    with_every_key_parked_the_job_waits_then_times_out_refunded,
);
