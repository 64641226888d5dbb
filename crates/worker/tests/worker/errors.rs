//! Each classified error, injected: retryable ones are retried, terminal ones end the job
//! with its refund and a message that says what happened; the ledger always balances.

use crate::{Harness, PROMPT};
use neurocards_core::{JobKind, JobState, UserId};
use neurocards_store::{Dialect, Job};
use neurocards_testkit::kie::Endpoint;
use neurocards_testkit::{AiFault, KieFault, TgFault};

/// Runs one neurocard for user 30 (2 credits) to its end.
async fn run_one(h: &Harness) -> Job {
    let job = h.paid_job(30, 2, JobKind::Neurocard).await;
    run(h, job).await
}

/// Runs `job` (of user 30) to its end.
async fn run(h: &Harness, job: Job) -> Job {
    let worker = h.start().await;
    let done = h.finished(job.id).await;
    worker.stop().await;
    h.assert_ledger_balanced(30).await;
    done
}

async fn assert_refunded_and_told(h: &Harness, done: &Job, class: &str, says: &str) {
    assert_eq!(done.state, JobState::Failed, "{done:?}");
    assert_eq!(done.error_class.as_deref(), Some(class), "{done:?}");
    assert_eq!(
        h.store.balance(UserId(30)).await.expect("balance"),
        2,
        "refunded"
    );
    // The progress message is the bot's own, sent before the job was queued.
    let messages: Vec<_> = h
        .sent(30, "sendMessage")
        .into_iter()
        .filter(|m| Some(m.message_id) != done.progress_message_id)
        .collect();
    assert_eq!(messages.len(), 1, "one failure message: {messages:?}");
    assert!(messages[0].text().contains(says), "{}", messages[0].text());
    assert!(
        messages[0].text().contains("credits are back"),
        "{}",
        messages[0].text()
    );
    assert!(h.sent(30, "sendVideo").is_empty());
    assert_eq!(h.telegram.calls("sendVideo"), 0);
}

async fn kie_5xx_and_maintenance_are_retried(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    h.kie
        .fail_next_on(Endpoint::CreateTask, 1, KieFault::ServerError);
    h.kie
        .fail_next_on(Endpoint::CreateTask, 1, KieFault::Maintenance);
    h.kie
        .fail_next_on(Endpoint::RecordInfo, 1, KieFault::ServerError);
    let done = run_one(&h).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    assert_eq!(h.kie.tasks_created(), 1);
    assert_eq!(
        h.kie.calls(Endpoint::CreateTask),
        3,
        "500, 455, then accepted"
    );
    assert!(
        h.kie.calls(Endpoint::RecordInfo) >= 2,
        "500, then asked again"
    );
    assert_eq!(h.store.balance(UserId(30)).await.expect("balance"), 1);
}

async fn kie_422_is_refunded(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    // KIE answers 422 to a request it cannot take: here a prompt over its 2,500 characters
    // (the template keeps the whole idea when the LLM is unavailable).
    let idea = format!("{PROMPT} ").repeat(120);
    assert!(idea.chars().count() > 2500);
    h.openai.fail_next(1, AiFault::ServerError);
    let job = h
        .paid_job_with_prompt(30, 2, JobKind::Neurocard, &idea)
        .await;
    let done = run(&h, job).await;
    assert_refunded_and_told(&h, &done, "bad_request", "did not accept").await;
    assert_eq!(h.kie.calls(Endpoint::CreateTask), 1, "a 422 is not retried");
    assert_eq!(h.kie.tasks_created(), 0);
}

async fn kie_400_and_505_are_refunded_without_retrying(dialect: Dialect) {
    for code in [400, 505] {
        let h = Harness::new(dialect).await;
        h.kie
            .fail_next_on(Endpoint::CreateTask, 1, KieFault::Code(code));
        let done = run_one(&h).await;
        assert_refunded_and_told(&h, &done, "bad_request", "did not accept").await;
        assert_eq!(
            h.kie.calls(Endpoint::CreateTask),
            1,
            "a {code} is not retried"
        );
        assert_eq!(h.kie.tasks_created(), 0);
    }
}

async fn kie_501_asks_to_rephrase(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    h.kie
        .fail_next_on(Endpoint::CreateTask, 1, KieFault::GenerationFailed);
    let done = run_one(&h).await;
    assert_refunded_and_told(&h, &done, "generation_failed", "rephrasing").await;
    assert_eq!(h.kie.calls(Endpoint::CreateTask), 1, "a 501 is not retried");
    assert_eq!(h.kie.tasks_created(), 0);
}

async fn content_policy_failure_asks_to_rephrase(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    // Every task this job could create is refused by KIE's moderation.
    for _ in 0..3 {
        h.kie.fail_next_task_content_policy();
    }
    let done = run_one(&h).await;
    assert_refunded_and_told(&h, &done, "content_policy", "rephrasing").await;
    assert_eq!(h.kie.tasks_created(), 1, "no second task for a refused one");
}

async fn openai_failure_falls_back_to_the_template(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    // OpenAI is down for every call this job could make.
    h.openai.fail_next(5, AiFault::ServerError);
    let done = run_one(&h).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    assert!(h.openai.calls() >= 1, "the LLM was asked");
    let prompt = h.kie.created_tasks()[0].body["input"]["prompt"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(prompt.starts_with("photosynthesis in a leaf."), "{prompt}");
    assert_eq!(done.enhanced_prompt.as_deref(), Some(prompt.as_str()));
}

async fn telegram_429_is_waited_out(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    h.telegram
        .fail_next(1, Some("sendVideo"), TgFault::RetryAfter(1));
    let done = run_one(&h).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    assert_eq!(h.sent(30, "sendVideo").len(), 1);
    assert_eq!(h.telegram.calls("sendVideo"), 2, "the 429, then the video");
}

async fn blocked_user_is_refunded_without_retrying(dialect: Dialect) {
    let h = Harness::new(dialect).await;
    let job = h.paid_job(30, 2, JobKind::Neurocard).await;
    h.telegram.block_user(30);
    // Nothing reaches a user who blocked the bot, so the refused video is the last sign:
    // a graceful stop then waits for the job to record its end.
    let worker = h.start().await;
    h.telegram
        .wait_calls("sendVideo", 1, crate::WAIT)
        .await
        .expect("the video was tried");
    worker.stop().await;
    let done = h.store.job(job.id).await.expect("job").expect("exists");
    assert_eq!(done.state, JobState::Failed);
    assert_eq!(done.error_class.as_deref(), Some("telegram_blocked"));
    assert_eq!(h.kie.tasks_created(), 1);
    assert_eq!(h.telegram.calls("sendVideo"), 1, "a 403 is not retried");
    assert!(h.sent(30, "sendVideo").is_empty());
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
    kie_400_and_505_are_refunded_without_retrying,
    kie_501_asks_to_rephrase,
    content_policy_failure_asks_to_rephrase,
    openai_failure_falls_back_to_the_template,
    telegram_429_is_waited_out,
    blocked_user_is_refunded_without_retrying,
);
