//! `/metrics` is OpenMetrics text whose gauges follow the database.

use crate::start;
use neurocards_core::{JobKind, UserId, VideoDuration};
use neurocards_store::{ChargeOutcome, NewJob, NewUser};

fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn gauges_follow_the_database() {
    let server = start(|_| {}).await;
    let url = format!("{}/metrics", server.base);
    let before = reqwest::get(&url).await.expect("metrics");
    assert_eq!(before.status(), 200);
    assert!(
        before.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .expect("header")
            .starts_with("application/openmetrics-text")
    );
    let before = before.text().await.expect("body");
    assert_eq!(sample(&before, "neurocards_queue_depth"), Some(0.0));

    let user = NewUser {
        id: UserId(1),
        username: None,
        full_name: "A".into(),
        language: None,
        referral_code: None,
    };
    server.store.upsert_user(&user, 2).await.expect("user");
    let job = NewJob {
        user: UserId(1),
        chat_id: 1,
        kind: JobKind::Reels,
        prompt: "sunrise".into(),
        input_file_id: None,
        duration: VideoDuration::S5,
        cost: 1,
        idempotency_key: None,
        max_attempts: 3,
    };
    let outcome = server.store.create_job_and_charge(&job).await.expect("job");
    assert!(matches!(outcome, ChargeOutcome::Created(_)));

    let after = reqwest::get(&url)
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    assert_eq!(sample(&after, "neurocards_queue_depth"), Some(1.0));
    assert_eq!(
        sample(&after, "neurocards_jobs{kind=\"reels\",state=\"queued\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(&after, "neurocards_credits{kind=\"charged\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(&after, "neurocards_credits{kind=\"granted\"}"),
        Some(2.0)
    );
    // Every sample line belongs to a declared metric family.
    for line in after
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let name = line.split(['{', ' ']).next().unwrap_or_default();
        let family = name.trim_end_matches("_total");
        assert!(
            after.contains(&format!("# TYPE {family} ")),
            "undeclared {line}"
        );
    }
}
