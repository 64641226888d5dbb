//! Broadcast bookkeeping: one at a time, every recipient tracked, a crash never repeats a send.

use crate::{Fixture, new_user};
use neurocards_core::UserId;
use neurocards_store::BroadcastStart;

crate::contract!(a_broadcast_tracks_each_recipient_once);

async fn a_broadcast_tracks_each_recipient_once(fx: Fixture) {
    for id in 1..=5 {
        fx.store.upsert_user(&new_user(id), 0).await.expect("user");
    }
    fx.store.mark_blocked(UserId(3)).await.expect("blocked");
    assert_eq!(fx.store.broadcast_audience().await.expect("audience"), 4);

    let BroadcastStart::Started(broadcast, recipients) =
        fx.store.start_broadcast(1, 1, 77).await.expect("start")
    else {
        panic!("not started");
    };
    assert_eq!(recipients, 4);
    match fx.store.start_broadcast(1, 1, 78).await.expect("second") {
        BroadcastStart::AlreadyRunning(running) => assert_eq!(running.id, broadcast.id),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fx.store
            .pending_recipients(broadcast.id, 10)
            .await
            .expect("pending"),
        vec![1, 2, 4, 5]
    );

    let id = broadcast.id;
    assert!(
        fx.store
            .mark_delivery(id, 1, "pending", "sending")
            .await
            .expect("mark")
    );
    assert!(
        fx.store
            .mark_delivery(id, 1, "sending", "sent")
            .await
            .expect("mark")
    );
    assert!(
        !fx.store
            .mark_delivery(id, 1, "pending", "sending")
            .await
            .expect("mark"),
        "once"
    );
    assert!(
        fx.store
            .mark_delivery(id, 2, "pending", "sending")
            .await
            .expect("mark")
    );
    assert!(
        fx.store
            .mark_delivery(id, 4, "pending", "sending")
            .await
            .expect("mark")
    );
    assert!(
        fx.store
            .mark_delivery(id, 4, "sending", "blocked")
            .await
            .expect("mark")
    );
    // A crash left user 2's send unknown: it is settled as failed, not resent.
    assert_eq!(
        fx.store
            .settle_unknown_deliveries(id)
            .await
            .expect("settle"),
        1
    );
    assert_eq!(
        fx.store.pending_recipients(id, 10).await.expect("pending"),
        vec![5]
    );

    let progress = fx.store.broadcast_progress(id).await.expect("progress");
    assert_eq!(
        (
            progress.pending,
            progress.sent,
            progress.blocked,
            progress.failed
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(progress.total(), 4);

    assert!(fx.store.end_broadcast(id, "cancelled").await.expect("end"));
    assert!(!fx.store.end_broadcast(id, "done").await.expect("end twice"));
    assert_eq!(
        fx.store.broadcast(id).await.expect("get").map(|b| b.state),
        Some("cancelled".into())
    );
    assert!(
        fx.store
            .running_broadcast()
            .await
            .expect("running")
            .is_none()
    );
    assert!(matches!(
        fx.store.start_broadcast(1, 1, 79).await.expect("next"),
        BroadcastStart::Started(_, 4)
    ));
    // The same message again (a second press, a repeated update) starts nothing.
    match fx.store.start_broadcast(1, 1, 77).await.expect("repeat") {
        BroadcastStart::Repeated(earlier) => assert_eq!(earlier.id, broadcast.id),
        other => panic!("{other:?}"),
    }
}
