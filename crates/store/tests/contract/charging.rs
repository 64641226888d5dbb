//! Charging and queueing happen together: N credits start at most N jobs, a repeated
//! request is recognised by its idempotency key, and nothing is charged without a job.

use crate::{Fixture, neurocard};
use futures::future::join_all;
use neurocards_core::UserId;
use neurocards_store::{ChargeOutcome, StoreError};

crate::contract!(
    one_credit_starts_one_job_out_of_fifty_taps,
    three_credits_start_three_jobs_out_of_fifty_taps,
    one_key_sent_twenty_times_makes_one_job,
    not_enough_credits_charges_nothing,
    unknown_user_is_an_error,
);

async fn race(fx: &Fixture, user: UserId, taps: usize) -> Vec<ChargeOutcome> {
    let attempts = (0..taps).map(|i| {
        let store = fx.store.clone();
        let key = format!("tap-{i}");
        tokio::spawn(async move {
            store
                .create_job_and_charge(&neurocard(user, Some(&key)))
                .await
        })
    });
    join_all(attempts)
        .await
        .into_iter()
        .map(|joined| joined.expect("task").expect("charge"))
        .collect()
}

async fn assert_started(fx: &Fixture, credits: i64, expected_jobs: usize) {
    let user = fx.user_with(100 + credits, credits).await;
    let outcomes = race(fx, user, 50).await;
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, ChargeOutcome::Created(_)))
        .count();
    let refused = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                ChargeOutcome::InsufficientCredits {
                    balance: 0,
                    cost: 1
                }
            )
        })
        .count();
    assert_eq!(created, expected_jobs);
    assert_eq!(refused, 50 - expected_jobs);
    assert_eq!(
        fx.store.history(user, 0, 100).await.expect("history").len(),
        expected_jobs
    );
    let charges = fx
        .store
        .ledger(user, 100)
        .await
        .expect("ledger")
        .into_iter()
        .filter(|e| e.reason == "charge")
        .count();
    assert_eq!(charges, expected_jobs);
    assert_eq!(fx.store.balance(user).await.expect("balance"), 0);
    assert_eq!(fx.store.ledger_sum(user).await.expect("sum"), 0);
}

async fn one_credit_starts_one_job_out_of_fifty_taps(fx: Fixture) {
    assert_started(&fx, 1, 1).await;
}

async fn three_credits_start_three_jobs_out_of_fifty_taps(fx: Fixture) {
    assert_started(&fx, 3, 3).await;
}

async fn one_key_sent_twenty_times_makes_one_job(fx: Fixture) {
    let user = fx.user_with(7, 5).await;
    let attempts = (0..20).map(|_| {
        let store = fx.store.clone();
        tokio::spawn(async move {
            store
                .create_job_and_charge(&neurocard(user, Some("callback-query-42")))
                .await
        })
    });
    let outcomes: Vec<ChargeOutcome> = join_all(attempts)
        .await
        .into_iter()
        .map(|joined| joined.expect("task").expect("charge"))
        .collect();
    let mut ids = Vec::new();
    let mut created = 0;
    for outcome in &outcomes {
        match outcome {
            ChargeOutcome::Created(job) => {
                created += 1;
                ids.push(job.id);
            }
            ChargeOutcome::Duplicate(job) => ids.push(job.id),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created, 1);
    ids.dedup();
    assert_eq!(ids.len(), 1, "every answer names the same job");
    assert_eq!(fx.store.balance(user).await.expect("balance"), 4);
    assert_eq!(fx.store.ledger_sum(user).await.expect("sum"), 4);
}

async fn not_enough_credits_charges_nothing(fx: Fixture) {
    let user = fx.user_with(8, 1).await;
    let mut job = neurocard(user, Some("k"));
    job.cost = 2;
    let outcome = fx.store.create_job_and_charge(&job).await.expect("charge");
    assert_eq!(
        outcome,
        ChargeOutcome::InsufficientCredits {
            balance: 1,
            cost: 2
        }
    );
    assert!(
        fx.store
            .history(user, 0, 10)
            .await
            .expect("history")
            .is_empty()
    );
    // The refused key is not burnt: with credits, the same request goes through.
    fx.store.grant(user, 1, "grant", None).await.expect("grant");
    let outcome = fx.store.create_job_and_charge(&job).await.expect("charge");
    assert!(matches!(outcome, ChargeOutcome::Created(_)), "{outcome:?}");
    assert_eq!(fx.store.balance(user).await.expect("balance"), 0);
}

async fn unknown_user_is_an_error(fx: Fixture) {
    let result = fx
        .store
        .create_job_and_charge(&neurocard(UserId(404), None))
        .await;
    assert!(
        matches!(result, Err(StoreError::UnknownUser(404))),
        "{result:?}"
    );
}
