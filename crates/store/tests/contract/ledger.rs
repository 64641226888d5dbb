//! The ledger: the balance always equals the sum of an append-only list of entries.

use crate::{Fixture, neurocard};
use neurocards_core::UserId;
use neurocards_store::{ChargeOutcome, Lease};
use proptest::prelude::*;
use sqlx::Connection;
use std::time::Duration;

crate::contract!(
    balance_equals_the_ledger_after_any_mix_of_operations,
    a_removal_stops_at_zero,
    a_keyed_grant_happens_once,
    the_ledger_cannot_be_rewritten,
);

/// One step of a random history.
#[derive(Debug, Clone)]
enum Op {
    Grant(i64),
    Charge(i64),
    FinishOk,
    FinishFailed,
    Expire,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (-5i64..=5).prop_map(Op::Grant),
        (1i64..=3).prop_map(Op::Charge),
        Just(Op::FinishOk),
        Just(Op::FinishFailed),
        Just(Op::Expire),
    ]
}

async fn run_history(fx: &Fixture, user: UserId, ops: &[Op]) {
    let store = &fx.store;
    for op in ops {
        match op {
            Op::Grant(delta) => {
                let before = store.balance(user).await.expect("balance");
                let outcome = store
                    .grant(user, *delta, "grant", None)
                    .await
                    .expect("grant");
                assert_eq!(outcome.balance, (before + delta).max(0));
            }
            Op::Charge(cost) => {
                let mut job = neurocard(user, None);
                job.cost = *cost;
                let before = store.balance(user).await.expect("balance");
                match store.create_job_and_charge(&job).await.expect("charge") {
                    ChargeOutcome::Created(_) => assert!(before >= *cost),
                    ChargeOutcome::InsufficientCredits { balance, .. } => {
                        assert!(balance < *cost)
                    }
                    ChargeOutcome::Duplicate(job) => panic!("no key, yet duplicate {job:?}"),
                }
            }
            Op::FinishOk => {
                if let Some(job) = store
                    .claim("w", Duration::from_secs(60))
                    .await
                    .expect("claim")
                {
                    let lease = Lease {
                        job: job.id,
                        owner: "w".to_owned(),
                    };
                    assert!(store.finish_ok(&lease, "u", "f").await.expect("ok"));
                }
            }
            Op::FinishFailed => {
                if let Some(job) = store
                    .claim("w", Duration::from_secs(60))
                    .await
                    .expect("claim")
                {
                    assert!(
                        store
                            .finish_failed(job.id, Some("w"), "c", "m")
                            .await
                            .expect("fail")
                    );
                }
            }
            Op::Expire => {
                fx.clock.advance(Duration::from_secs(61));
                store.sweep(Duration::from_secs(3600)).await.expect("sweep");
            }
        }
        assert_eq!(
            store.balance(user).await.expect("balance"),
            store.ledger_sum(user).await.expect("sum"),
            "after {op:?}"
        );
    }
}

async fn balance_equals_the_ledger_after_any_mix_of_operations(fx: Fixture) {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    });
    let histories = proptest::collection::vec(op(), 1..40);
    let handle = tokio::runtime::Handle::current();
    let next_user = std::sync::atomic::AtomicI64::new(1000);
    // proptest drives the cases synchronously; each case runs on this test's runtime with
    // a user of its own, so cases share the database but not balances.
    let result = tokio::task::block_in_place(|| {
        runner.run(&histories, |ops| {
            let id = next_user.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            handle.block_on(async {
                let user = fx.user_with(id, 2).await;
                run_history(&fx, user, &ops).await;
            });
            Ok(())
        })
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

async fn a_removal_stops_at_zero(fx: Fixture) {
    let user = fx.user_with(1, 3).await;
    let outcome = fx
        .store
        .grant(user, -5, "correction", None)
        .await
        .expect("grant");
    assert_eq!((outcome.applied, outcome.balance), (-3, 0));
    let outcome = fx
        .store
        .grant(user, -1, "correction", None)
        .await
        .expect("grant");
    assert_eq!((outcome.applied, outcome.balance), (0, 0));
    assert_eq!(
        fx.store.ledger(user, 10).await.expect("ledger").len(),
        2,
        "welcome + removal"
    );
    assert!(fx.store.grant(UserId(99), 1, "x", None).await.is_err());
}

async fn a_keyed_grant_happens_once(fx: Fixture) {
    let user = fx.user_with(1, 0).await;
    for _ in 0..3 {
        fx.store
            .grant(user, 10, "purchase", Some("payment-1"))
            .await
            .expect("grant");
    }
    assert_eq!(fx.store.balance(user).await.expect("balance"), 10);
    assert_eq!(
        fx.store.credit_totals(0).await.expect("totals").purchased,
        10
    );
}

async fn the_ledger_cannot_be_rewritten(fx: Fixture) {
    fx.user_with(1, 2).await;
    let url = match fx.db.url() {
        neurocards_core::config::DatabaseUrl::Postgres(url) => url.expose().to_owned(),
        neurocards_core::config::DatabaseUrl::Sqlite(path) => {
            format!("sqlite://{}", path.display())
        }
    };
    let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
    let update = sqlx::query("UPDATE credit_ledger SET delta = 100")
        .execute(&mut conn)
        .await;
    assert!(update.is_err(), "update refused");
    let delete = sqlx::query("DELETE FROM credit_ledger")
        .execute(&mut conn)
        .await;
    assert!(delete.is_err(), "delete refused");
    assert_eq!(fx.store.ledger_sum(UserId(1)).await.expect("sum"), 2);
}
