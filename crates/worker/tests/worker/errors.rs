//! Each classified error, injected: retryable ones are retried, terminal ones end the job
//! with its refund and a message that says what happened; the ledger always balances.

use crate::Harness;
use neurocards_core::{JobKind, JobState, UserId};
use neurocards_store::Dialect;

/// Runs one neurocard for user 30 (2 credits) to its end.
async fn run_one(h: &Harness) -> neurocards_store::Job {
    let job = h.paid_job(30, 2, JobKind::Neurocard).await;
    let worker = h.start().await;
    let done = h.finished(job.id).await;
    worker.stop().await;
    h.assert_ledger_balanced(30).await;
    done
}

async fn assert_refunded_and_told(
    h: &Harness,
    done: &neurocards_store::Job,
    class: &str,
    says: &str,
) {
    assert_eq!(done.state, JobState::Failed, "{done:?}");
    assert_eq!(done.error_class.as_deref(), Some(class), "{done:?}");
    assert_eq!(
        h.store.balance(UserId(30)).await.expect("balance"),
        2,
        "refunded"
    );
    let messages = h.telegram.sent("sendMessage");
    assert_eq!(messages.len(), 1, "one failure message");
    assert!(messages[0].text.contains(says), "{}", messages[0].text);
    assert!(
        messages[0].text.contains("credits are back"),
        "{}",
        messages[0].text
    );
    assert!(h.telegram.sent("sendVideo").is_empty());
}

async fn kie_5xx_and_maintenance_are_retried(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    h.kie.with(|s| {
        s.create_faults.extend([500, 455]);
        s.status_faults.push_back(500);
    });
    let done = run_one(&h).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    assert_eq!(h.kie.tasks().len(), 1);
    assert_eq!(h.store.balance(UserId(30)).await.expect("balance"), 1);
}

async fn kie_422_is_refunded(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    h.kie.with(|s| s.create_faults.push_back(422));
    let done = run_one(&h).await;
    assert_refunded_and_told(&h, &done, "bad_request", "did not accept").await;
}

async fn kie_501_asks_to_rephrase(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    h.kie.with(|s| s.create_faults.push_back(501));
    let done = run_one(&h).await;
    assert_refunded_and_told(&h, &done, "generation_failed", "rephrasing").await;
}

async fn content_policy_failure_asks_to_rephrase(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    h.kie
        .with(|s| s.fail_tasks = Some(("400".into(), "Content violates the usage policy".into())));
    let done = run_one(&h).await;
    assert_refunded_and_told(&h, &done, "content_policy", "rephrasing").await;
    assert_eq!(h.kie.tasks().len(), 1, "no second task for a refused one");
}

async fn openai_failure_falls_back_to_the_template(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    h.openai.state.lock().expect("lock").fault = Some(500);
    let done = run_one(&h).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    let prompt = h.kie.tasks()[0].body["input"]["prompt"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(prompt.starts_with("photosynthesis in a leaf."), "{prompt}");
    assert_eq!(done.enhanced_prompt.as_deref(), Some(prompt.as_str()));
}

async fn telegram_429_is_waited_out(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    h.telegram.with(|s| s.too_many = 1);
    let done = run_one(&h).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    assert_eq!(h.telegram.sent("sendVideo").len(), 1);
}

async fn blocked_user_is_refunded_without_retrying(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    h.telegram.with(|s| s.blocked.insert(30));
    let done = run_one(&h).await;
    assert_eq!(done.state, JobState::Failed);
    assert_eq!(done.error_class.as_deref(), Some("telegram_blocked"));
    assert_eq!(h.kie.tasks().len(), 1);
    assert_eq!(h.store.balance(UserId(30)).await.expect("balance"), 2);
    let user = h
        .store
        .user(UserId(30))
        .await
        .expect("user")
        .expect("exists");
    assert!(user.blocked_at.is_some(), "marked blocked");
}

crate::both!(
    kie_5xx_and_maintenance_are_retried,
    kie_422_is_refunded,
    kie_501_asks_to_rephrase,
    content_policy_failure_asks_to_rephrase,
    openai_failure_falls_back_to_the_template,
    telegram_429_is_waited_out,
    blocked_user_is_refunded_without_retrying,
);
