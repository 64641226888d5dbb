//! What the cabinet and the dashboard read: history pages, counts, totals, per-day series.

use crate::{Fixture, START_MS, neurocard};
use neurocards_core::{JobKind, JobState, UserId};
use neurocards_store::{ChargeOutcome, DayCount, Lease};
use std::time::Duration;

crate::contract!(
    history_is_newest_first_and_paged,
    counts_and_series_match_what_happened
);

async fn history_is_newest_first_and_paged(fx: Fixture) {
    let user = fx.user_with(1, 12).await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        match fx
            .store
            .create_job_and_charge(&neurocard(user, None))
            .await
            .expect("charge")
        {
            ChargeOutcome::Created(job) => ids.push(job.id),
            other => panic!("{other:?}"),
        }
    }
    ids.reverse();
    let first = fx.store.history(user, 0, 10).await.expect("page 1");
    let second = fx.store.history(user, 10, 10).await.expect("page 2");
    assert_eq!(first.iter().map(|j| j.id).collect::<Vec<_>>(), ids[..10]);
    assert_eq!(second.iter().map(|j| j.id).collect::<Vec<_>>(), ids[10..]);
    assert!(
        fx.store
            .history(UserId(2), 0, 10)
            .await
            .expect("other")
            .is_empty()
    );
}

async fn counts_and_series_match_what_happened(fx: Fixture) {
    const DAY: Duration = Duration::from_secs(86_400);
    let day0 = START_MS / 86_400_000;
    let a = fx.user_with(1, 5).await;
    fx.store
        .create_job_and_charge(&neurocard(a, None))
        .await
        .expect("job");
    fx.clock.advance(DAY);
    let b = fx.user_with(2, 5).await;
    let mut reels = neurocard(b, None);
    reels.kind = JobKind::Reels;
    fx.store.create_job_and_charge(&reels).await.expect("job");
    fx.store
        .create_job_and_charge(&neurocard(b, None))
        .await
        .expect("job");
    let first = fx
        .store
        .claim("w", Duration::from_secs(60))
        .await
        .expect("claim")
        .expect("job");
    let lease = Lease {
        job: first.id,
        owner: "w".to_owned(),
    };
    fx.store.finish_ok(&lease, "u", "f").await.expect("ok");
    let second = fx
        .store
        .claim("w", Duration::from_secs(60))
        .await
        .expect("claim")
        .expect("job");
    fx.store
        .finish_failed(second.id, Some("w"), "provider", "x")
        .await
        .expect("fail");

    let counts = fx.store.job_counts(0).await.expect("counts");
    assert_eq!(
        (counts.queued, counts.running, counts.done, counts.failed),
        (1, 0, 1, 1)
    );
    assert_eq!(counts.total(), 3);
    assert_eq!(
        fx.store
            .job_counts(START_MS + 1)
            .await
            .expect("counts")
            .total(),
        2
    );
    let mine = fx.store.user_job_counts(b).await.expect("mine");
    assert_eq!((mine.queued, mine.failed), (1, 1));

    assert_eq!(
        fx.store.users_per_day(0).await.expect("users"),
        vec![
            DayCount {
                day: day0,
                count: 1
            },
            DayCount {
                day: day0 + 1,
                count: 1
            }
        ]
    );
    assert_eq!(
        fx.store
            .jobs_per_day(0, Some(JobKind::Reels), None)
            .await
            .expect("reels"),
        vec![DayCount {
            day: day0 + 1,
            count: 1
        }]
    );
    assert_eq!(
        fx.store
            .jobs_per_day(0, None, Some(JobState::Failed))
            .await
            .expect("failed"),
        vec![DayCount {
            day: day0 + 1,
            count: 1
        }]
    );
    assert_eq!(fx.store.users_since(START_MS + 1).await.expect("new"), 1);
    assert_eq!(fx.store.users_active_since(0).await.expect("active"), 2);

    let mut gauges = fx.store.jobs_by_kind_and_state().await.expect("gauges");
    gauges.sort_by_key(|(kind, state, _)| (kind.as_str(), state.as_str()));
    assert_eq!(
        gauges,
        vec![
            (JobKind::Neurocard, JobState::Done, 1),
            (JobKind::Neurocard, JobState::Queued, 1),
            (JobKind::Reels, JobState::Failed, 1),
        ]
    );

    let totals = fx.store.credit_totals(0).await.expect("totals");
    assert_eq!(totals.granted, 10);
    assert_eq!(totals.charged, 3);
    assert_eq!(totals.refunded, 1);
}
