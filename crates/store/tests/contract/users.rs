//! Users: recorded on every contact, free credits exactly once, referrers only on the
//! first contact and never oneself.

use crate::{Fixture, new_user};
use futures::future::join_all;
use neurocards_core::{Language, UserId};
use neurocards_store::NewUser;

crate::contract!(
    free_credits_are_granted_once_under_concurrent_first_contacts,
    a_returning_user_is_refreshed_not_regranted,
    a_referral_links_only_a_new_user_and_never_oneself,
    users_are_found_by_username,
    language_is_stored,
);

async fn free_credits_are_granted_once_under_concurrent_first_contacts(fx: Fixture) {
    let contacts = (0..20).map(|_| {
        let store = fx.store.clone();
        tokio::spawn(async move { store.upsert_user(&new_user(42), 2).await })
    });
    let results: Vec<_> = join_all(contacts)
        .await
        .into_iter()
        .map(|joined| joined.expect("task").expect("upsert"))
        .collect();
    assert_eq!(results.iter().filter(|c| c.is_new).count(), 1);
    assert_eq!(
        results.iter().map(|c| c.free_credits_granted).sum::<i64>(),
        2
    );
    let user = UserId(42);
    assert_eq!(fx.store.balance(user).await.expect("balance"), 2);
    assert_eq!(fx.store.ledger(user, 10).await.expect("ledger").len(), 1);
    assert_eq!(fx.store.ledger_sum(user).await.expect("sum"), 2);
}

async fn a_returning_user_is_refreshed_not_regranted(fx: Fixture) {
    fx.store.upsert_user(&new_user(1), 2).await.expect("first");
    fx.clock.advance(std::time::Duration::from_secs(60));
    let renamed = NewUser {
        username: Some("renamed".to_owned()),
        full_name: "New Name".to_owned(),
        ..new_user(1)
    };
    let contact = fx.store.upsert_user(&renamed, 2).await.expect("again");
    assert!(!contact.is_new);
    assert_eq!(contact.free_credits_granted, 0);
    assert_eq!(contact.user.balance, 2);
    assert_eq!(contact.user.username.as_deref(), Some("renamed"));
    assert_eq!(contact.user.full_name, "New Name");
    assert!(contact.user.last_seen_at > contact.user.created_at);
}

async fn a_referral_links_only_a_new_user_and_never_oneself(fx: Fixture) {
    let referrer = fx
        .store
        .upsert_user(&new_user(1), 2)
        .await
        .expect("referrer")
        .user;
    let invited = NewUser {
        referral_code: Some(referrer.referral_code.clone()),
        ..new_user(2)
    };
    let contact = fx.store.upsert_user(&invited, 2).await.expect("invited");
    assert_eq!(contact.user.referrer, Some(UserId(1)));

    let existing = fx
        .store
        .upsert_user(&new_user(3), 2)
        .await
        .expect("existing")
        .user;
    let late = NewUser {
        referral_code: Some(referrer.referral_code.clone()),
        ..new_user(3)
    };
    let contact = fx.store.upsert_user(&late, 2).await.expect("late");
    assert_eq!(
        contact.user.referrer, None,
        "an existing user is not re-linked"
    );
    assert_eq!(existing.referrer, None);

    let own_code = fx
        .store
        .user(UserId(3))
        .await
        .expect("user")
        .expect("exists")
        .referral_code;
    let selfish = NewUser {
        referral_code: Some(own_code),
        ..new_user(3)
    };
    assert_eq!(
        fx.store
            .upsert_user(&selfish, 2)
            .await
            .expect("self")
            .user
            .referrer,
        None
    );

    let unknown = NewUser {
        referral_code: Some("nosuchcode".to_owned()),
        ..new_user(4)
    };
    assert_eq!(
        fx.store
            .upsert_user(&unknown, 2)
            .await
            .expect("unknown")
            .user
            .referrer,
        None
    );
    assert_eq!(fx.store.referral_count(UserId(1)).await.expect("count"), 1);
}

async fn users_are_found_by_username(fx: Fixture) {
    fx.store.upsert_user(&new_user(9), 0).await.expect("user");
    let found = fx.store.user_by_username("@USER9").await.expect("lookup");
    assert_eq!(found.map(|u| u.id), Some(UserId(9)));
    assert!(
        fx.store
            .user_by_username("nobody")
            .await
            .expect("lookup")
            .is_none()
    );
}

async fn language_is_stored(fx: Fixture) {
    let english = NewUser {
        language: Some(Language::En),
        ..new_user(5)
    };
    let user = fx.store.upsert_user(&english, 0).await.expect("user").user;
    assert_eq!(user.language, Some(Language::En));
    fx.store
        .set_language(UserId(5), Language::Ru)
        .await
        .expect("set");
    // A later contact from an English client keeps the user's own choice.
    let user = fx.store.upsert_user(&english, 0).await.expect("again").user;
    assert_eq!(user.language, Some(Language::Ru));
    assert!(
        fx.store
            .set_language(UserId(6), Language::En)
            .await
            .is_err()
    );
}
