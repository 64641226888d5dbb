//! `POST /kie/callback/{token}`: unknown tokens are refused, a running job's worker is
//! woken, and a repeated callback for a finished job is a harmless 200.

use crate::start;
use neurocards_core::{JobKind, UserId, VideoDuration};
use neurocards_store::{ChargeOutcome, JobId, Lease, NewJob, NewUser};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

#[tokio::test]
async fn callbacks_wake_running_jobs_only() {
    let (woken_tx, mut woken) = mpsc::unbounded_channel::<JobId>();
    let server = start(move |state| {
        state.job_waker = Some(Arc::new(move |job| {
            let _ = woken_tx.send(job);
        }));
    })
    .await;
    let store = &server.store;
    let user = NewUser {
        id: UserId(1),
        username: None,
        full_name: "A".into(),
        language: None,
        referral_code: None,
    };
    store.upsert_user(&user, 1).await.expect("user");
    let request = NewJob {
        user: UserId(1),
        chat_id: 1,
        kind: JobKind::Neurocard,
        prompt: "volcano".into(),
        input_file_id: Some("f".into()),
        duration: VideoDuration::S5,
        cost: 1,
        idempotency_key: None,
        max_attempts: 3,
    };
    let ChargeOutcome::Created(job) = store.create_job_and_charge(&request).await.expect("job")
    else {
        panic!("not created");
    };
    let client = reqwest::Client::new();
    let post = |token: String| {
        client
            .post(format!("{}/kie/callback/{token}", server.base))
            .json(&serde_json::json!({"code": 200, "data": {"taskId": "t1", "state": "success"}}))
            .send()
    };

    assert_eq!(
        post("not-a-token".into()).await.expect("post").status(),
        404
    );
    assert!(woken.try_recv().is_err());

    assert_eq!(
        post(job.callback_token.clone())
            .await
            .expect("post")
            .status(),
        200
    );
    let woke = tokio::time::timeout(Duration::from_secs(5), woken.recv()).await;
    assert_eq!(woke.expect("woken in time"), Some(job.id));

    store
        .claim("w", Duration::from_secs(60))
        .await
        .expect("claim");
    let lease = Lease {
        job: job.id,
        owner: "w".into(),
    };
    assert!(store.finish_ok(&lease, "u", "f").await.expect("finish"));
    assert_eq!(
        post(job.callback_token.clone())
            .await
            .expect("post")
            .status(),
        200
    );
    assert!(woken.try_recv().is_err(), "a finished job is not woken");
}
